//! A user's own preferences (per channel and category) and push devices.

use axum::{Json, extract::State, http::StatusCode};
use kernel::{
    ApiError, AppState, RequestCtx,
    error::{FieldError, Problem},
    extract::{AppJson, AppPath},
    rbac::Can,
};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

use crate::{
    domain::{Category, Channel, preferences::default_enabled},
    permissions as perm, repo,
};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(
            get_notification_preferences,
            set_notification_preferences
        ))
        .routes(routes!(list_devices, register_device))
        .routes(routes!(remove_device))
}

/// Whether the user receives one category of messages over one channel.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Preference {
    /// `in_app`, `email`, `sms` or `push`.
    pub channel: Channel,
    pub category: Category,
    pub enabled: bool,
}

/// Every channel and category. Messages the user asked for themselves (email verification,
/// password reset) go by email and in-app whatever these say.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Preferences {
    pub preferences: Vec<Preference>,
}

async fn current(state: &AppState, ctx: &RequestCtx, me: Uuid) -> Result<Preferences, ApiError> {
    let mut tx = state.db.begin_for(ctx).await?;
    let stored = repo::preferences::of(tx.conn(), me).await?;
    tx.commit().await?;
    let mut out = Vec::new();
    for channel in Channel::PERSONAL {
        for category in Category::ALL {
            let enabled = stored
                .iter()
                .find(|(c, k, _)| c == channel.as_str() && k == category.as_str())
                .map(|(_, _, e)| *e)
                .unwrap_or_else(|| default_enabled(channel, category));
            out.push(Preference {
                channel,
                category,
                enabled,
            });
        }
    }
    Ok(Preferences { preferences: out })
}

/// The caller's notification preferences.
#[utoipa::path(get, path = "/api/v1/notifications/preferences", tag = "notifications", security(("bearer" = [])),
    responses(
        (status = 200, body = Preferences),
        (status = "4XX", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn get_notification_preferences(
    _: Can<perm::ReadInbox>,
    ctx: RequestCtx,
    State(state): State<AppState>,
) -> Result<Json<Preferences>, ApiError> {
    let me = ctx.require_user()?.user_id;
    current(&state, &ctx, me).await.map(Json)
}

/// Changes some of the caller's preferences (those not named keep their value).
#[utoipa::path(put, path = "/api/v1/notifications/preferences", tag = "notifications", security(("bearer" = [])),
    request_body = Preferences,
    responses(
        (status = 200, body = Preferences),
        (status = "4XX", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn set_notification_preferences(
    _: Can<perm::WriteInbox>,
    ctx: RequestCtx,
    State(state): State<AppState>,
    AppJson(body): AppJson<Preferences>,
) -> Result<Json<Preferences>, ApiError> {
    let me = ctx.require_user()?.user_id;
    let mut errors = Vec::new();
    if body.preferences.is_empty() || body.preferences.len() > 16 {
        errors.push(
            FieldError::new("preferences", "out_of_range")
                .with("min", 1)
                .with("max", 16),
        );
    }
    for (i, p) in body.preferences.iter().enumerate() {
        if p.channel == Channel::Webhook {
            errors.push(FieldError::new(
                format!("preferences[{i}].channel"),
                "invalid_choice",
            ));
        }
    }
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    let items: Vec<(&str, &str, bool)> = body
        .preferences
        .iter()
        .map(|p| (p.channel.as_str(), p.category.as_str(), p.enabled))
        .collect();
    let mut tx = state.db.begin_for(&ctx).await?;
    repo::preferences::set(tx.conn(), ctx.tenant.id, me, &items).await?;
    tx.commit().await?;
    current(&state, &ctx, me).await.map(Json)
}

/// A device that receives push messages.
#[derive(Debug, Serialize, ToSchema)]
pub struct Device {
    pub id: Uuid,
    pub platform: String,
    /// The registration token's last characters (the whole token is never shown back).
    pub token_hint: String,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub last_seen_at: OffsetDateTime,
}

impl From<repo::devices::Device> for Device {
    fn from(d: repo::devices::Device) -> Self {
        Device {
            id: d.id,
            platform: d.platform,
            token_hint: kernel::secrets::mask(&d.token),
            created_at: d.created_at,
            last_seen_at: d.last_seen_at,
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewDevice {
    /// The FCM registration token of the app on this device.
    #[schema(min_length = 10, max_length = 4096)]
    pub token: String,
    /// `android`, `ios` or `web`.
    pub platform: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Devices {
    pub items: Vec<Device>,
}

/// The caller's push devices.
#[utoipa::path(get, path = "/api/v1/notifications/devices", tag = "notifications", security(("bearer" = [])),
    responses(
        (status = 200, body = Devices),
        (status = "4XX", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn list_devices(
    _: Can<perm::ReadInbox>,
    ctx: RequestCtx,
    State(state): State<AppState>,
) -> Result<Json<Devices>, ApiError> {
    let me = ctx.require_user()?.user_id;
    let mut tx = state.db.begin_for(&ctx).await?;
    let items = repo::devices::list(tx.conn(), me).await?;
    tx.commit().await?;
    Ok(Json(Devices {
        items: items.into_iter().map(Device::from).collect(),
    }))
}

/// Registers this device for push messages (again: refreshes it).
#[utoipa::path(post, path = "/api/v1/notifications/devices", tag = "notifications", security(("bearer" = [])),
    request_body = NewDevice,
    responses(
        (status = 201, body = Device),
        (status = "4XX", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn register_device(
    _: Can<perm::WriteInbox>,
    ctx: RequestCtx,
    State(state): State<AppState>,
    AppJson(body): AppJson<NewDevice>,
) -> Result<(StatusCode, Json<Device>), ApiError> {
    let me = ctx.require_user()?.user_id;
    let token = body.token.trim();
    let mut errors = Vec::new();
    if !(10..=4096).contains(&token.len()) || token.chars().any(char::is_whitespace) {
        errors.push(FieldError::new("token", "invalid"));
    }
    if !["android", "ios", "web"].contains(&body.platform.as_str()) {
        errors.push(FieldError::new("platform", "invalid_choice"));
    }
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    let mut tx = state.db.begin_for(&ctx).await?;
    let device = repo::devices::upsert(tx.conn(), ctx.tenant.id, me, token, &body.platform).await?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, Json(device.into())))
}

/// Stops push messages to one of the caller's devices.
#[utoipa::path(delete, path = "/api/v1/notifications/devices/{id}", tag = "notifications", security(("bearer" = [])),
    params(("id" = Uuid, Path)),
    responses(
        (status = 204),
        (status = "4XX", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn remove_device(
    _: Can<perm::WriteInbox>,
    ctx: RequestCtx,
    State(state): State<AppState>,
    AppPath(id): AppPath<Uuid>,
) -> Result<StatusCode, ApiError> {
    let me = ctx.require_user()?.user_id;
    let mut tx = state.db.begin_for(&ctx).await?;
    if !repo::devices::delete(tx.conn(), me, id).await? {
        return Err(ApiError::NotFound);
    }
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}
