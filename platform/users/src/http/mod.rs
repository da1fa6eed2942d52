//! Handlers by resource. Each handler names its permission (`Can<…>`), reaches rows only through
//! a tenant transaction, and documents itself for the OpenAPI spec.

use kernel::AppState;
use serde::{Deserialize, Deserializer};
use utoipa_axum::{router::OpenApiRouter, routes};

mod account;
mod addresses;
mod admin;
mod auth;
mod profile;
mod sessions;
mod views;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(account::register_user))
        .routes(routes!(account::verify_email))
        .routes(routes!(account::request_password_reset))
        .routes(routes!(account::confirm_password_reset))
        .routes(routes!(auth::login_user))
        .routes(routes!(auth::refresh_token))
        .routes(routes!(auth::logout_user))
        .routes(routes!(sessions::list_sessions))
        .routes(routes!(sessions::revoke_session))
        .routes(routes!(profile::get_me, profile::update_me))
        .routes(routes!(
            profile::get_preferences,
            profile::update_preferences
        ))
        .routes(routes!(
            addresses::list_addresses,
            addresses::create_address
        ))
        .routes(routes!(
            addresses::get_address,
            addresses::update_address,
            addresses::delete_address
        ))
        .routes(routes!(admin::list_users))
        .routes(routes!(admin::list_user_roles))
        .routes(routes!(admin::grant_role, admin::revoke_role))
}

/// For PATCH bodies: tells "absent" (`None`) from "null" (`Some(None)`), so a client can clear a
/// field by sending `null` and leave it alone by omitting it.
fn nullable<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
    d: D,
) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(d).map(Some)
}

fn expires_in(ttl: std::time::Duration) -> time::OffsetDateTime {
    time::OffsetDateTime::now_utc() + ttl
}
