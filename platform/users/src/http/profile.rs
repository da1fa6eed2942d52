//! The caller's profile and preferences.

use axum::{Json, extract::State};
use kernel::{
    ApiError, AppState, RequestCtx, error::Problem, extract::AppJson, i18n::Locale, rbac::Can,
    validate::Validator,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{nullable, views::User};
use crate::{domain::limits, permissions as perm, repo};

/// The signed-in account with its profile and roles.
#[utoipa::path(get, path = "/api/v1/users/me", tag = "users", security(("bearer" = [])),
    responses(
        (status = 200, body = User),
        (status = "4XX", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn get_me(
    _: Can<perm::ReadProfile>,
    ctx: RequestCtx,
    State(state): State<AppState>,
) -> Result<Json<User>, ApiError> {
    let me = ctx.require_user()?;
    let mut tx = state.db.begin_for(&ctx).await?;
    let user = repo::users::get(tx.conn(), me.user_id)
        .await?
        .ok_or(ApiError::NotFound)?;
    tx.commit().await?;
    Ok(Json(user.into()))
}

/// Omitted fields stay as they are; `null` clears `phone` or `avatar_url`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProfilePatch {
    #[schema(max_length = 100)]
    pub display_name: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, max_length = 32, example = "+51 987 654 321")]
    pub phone: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, max_length = 2048, example = "https://cdn.gamarriando.pe/a.png")]
    pub avatar_url: Option<Option<String>>,
}

fn is_phone(s: &str) -> bool {
    let digits = s.chars().filter(char::is_ascii_digit).count();
    (6..=15).contains(&digits) && s.chars().all(|c| c.is_ascii_digit() || " +-()".contains(c))
}

fn is_http_url(s: &str) -> bool {
    (s.starts_with("https://") || s.starts_with("http://"))
        && !s.chars().any(|c| c.is_whitespace() || c.is_control())
}

/// Updates the caller's profile.
#[utoipa::path(patch, path = "/api/v1/users/me", tag = "users", security(("bearer" = [])),
    request_body = ProfilePatch,
    responses(
        (status = 200, body = User),
        (status = 422, body = Problem, content_type = "application/problem+json"),
        (status = "4XX", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn update_me(
    _: Can<perm::WriteProfile>,
    ctx: RequestCtx,
    State(state): State<AppState>,
    AppJson(body): AppJson<ProfilePatch>,
) -> Result<Json<User>, ApiError> {
    let me = ctx.require_user()?;
    let phone = body
        .phone
        .map(|p| p.map(|s| s.trim().to_string()).filter(|s| !s.is_empty()));
    let avatar = body
        .avatar_url
        .map(|p| p.map(|s| s.trim().to_string()).filter(|s| !s.is_empty()));
    let mut v = Validator::new();
    if let Some(name) = &body.display_name {
        v.text("display_name", name, 0, limits::DISPLAY_NAME);
    }
    if let Some(Some(p)) = &phone {
        v.text("phone", p, 0, limits::PHONE)
            .check(is_phone(p), "phone", "invalid");
    }
    if let Some(Some(u)) = &avatar {
        v.text("avatar_url", u, 0, limits::AVATAR_URL).check(
            is_http_url(u),
            "avatar_url",
            "invalid",
        );
    }
    v.finish()?;

    let mut tx = state.db.begin_for(&ctx).await?;
    let cur = repo::users::get(tx.conn(), me.user_id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let name = body
        .display_name
        .as_deref()
        .map(str::trim)
        .unwrap_or(&cur.display_name)
        .to_string();
    let phone = phone.unwrap_or(cur.phone);
    let avatar = avatar.unwrap_or(cur.avatar_url);
    repo::profiles::update_profile(
        tx.conn(),
        me.user_id,
        &name,
        phone.as_deref(),
        avatar.as_deref(),
    )
    .await?;
    let user = repo::users::get(tx.conn(), me.user_id)
        .await?
        .ok_or(ApiError::NotFound)?;
    tx.commit().await?;
    Ok(Json(user.into()))
}

/// Language preference: for error messages, tokens and every message sent to the user. What the
/// user receives, and how, is under `/api/v1/notifications/preferences`.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Preferences {
    /// `null` → the marketplace's default language.
    pub locale: Option<Locale>,
}

impl From<repo::profiles::PreferencesRow> for Preferences {
    fn from(r: repo::profiles::PreferencesRow) -> Self {
        Self {
            locale: r.locale.as_deref().and_then(Locale::parse),
        }
    }
}

/// The caller's preferences.
#[utoipa::path(get, path = "/api/v1/users/me/preferences", tag = "users", security(("bearer" = [])),
    responses(
        (status = 200, body = Preferences),
        (status = "4XX", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn get_preferences(
    _: Can<perm::ReadProfile>,
    ctx: RequestCtx,
    State(state): State<AppState>,
) -> Result<Json<Preferences>, ApiError> {
    let me = ctx.require_user()?;
    let mut tx = state.db.begin_for(&ctx).await?;
    let prefs = repo::profiles::preferences(tx.conn(), me.user_id)
        .await?
        .ok_or(ApiError::NotFound)?;
    tx.commit().await?;
    Ok(Json(prefs.into()))
}

/// Replaces the caller's preferences. A new `locale` applies to tokens issued from now on.
#[utoipa::path(put, path = "/api/v1/users/me/preferences", tag = "users", security(("bearer" = [])),
    request_body = Preferences,
    responses(
        (status = 200, body = Preferences),
        (status = 422, body = Problem, content_type = "application/problem+json"),
        (status = "4XX", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn update_preferences(
    _: Can<perm::WriteProfile>,
    ctx: RequestCtx,
    State(state): State<AppState>,
    AppJson(body): AppJson<Preferences>,
) -> Result<Json<Preferences>, ApiError> {
    let me = ctx.require_user()?;
    let row = repo::profiles::PreferencesRow {
        locale: body.locale.map(|l| l.as_str().to_string()),
    };
    let mut tx = state.db.begin_for(&ctx).await?;
    if !repo::profiles::update_preferences(tx.conn(), me.user_id, &row).await? {
        return Err(ApiError::NotFound);
    }
    tx.commit().await?;
    Ok(Json(body))
}
