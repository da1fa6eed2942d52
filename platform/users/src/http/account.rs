//! Account lifecycle for guests: registration, email verification, password reset.

use axum::{extract::State, http::StatusCode};
use kernel::{
    ApiError, AppState, RequestCtx,
    auth::{hash_password, hash_token, new_opaque_token},
    error::Problem,
    extract::AppJson,
    i18n::Locale,
    outbox,
    rbac::Can,
    validate::Validator,
};
use serde::{Deserialize, Serialize};
use sqlx::PgConnection;
use utoipa::ToSchema;
use uuid::Uuid;

use super::{expires_in, views::User};
use crate::{
    accounts::{self, NewAccount},
    domain::{Email, Password, limits},
    permissions as perm,
    repo::{self, tokens},
};

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RegisterRequest {
    #[schema(example = "ana@gamarra.pe", max_length = 254)]
    pub email: String,
    #[schema(min_length = 10, max_length = 128, format = Password)]
    pub password: String,
    #[schema(max_length = 100)]
    pub display_name: Option<String>,
    /// Preferred language for messages and errors.
    pub locale: Option<Locale>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Registered {
    pub user: User,
}

/// Creates an account in this marketplace and sends a verification message.
///
/// The same email in another marketplace is a separate account. Self-registration is closed on
/// the platform host (platform staff are created by an operator).
#[utoipa::path(post, path = "/api/v1/users/register", tag = "users",
    request_body = RegisterRequest,
    responses(
        (status = 201, body = Registered),
        (status = 409, description = "`email_taken`", body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
        (status = "4XX", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn register_user(
    _: Can<perm::Register>,
    ctx: RequestCtx,
    State(state): State<AppState>,
    AppJson(body): AppJson<RegisterRequest>,
) -> Result<(StatusCode, axum::Json<Registered>), ApiError> {
    let account = NewAccount::parse(&body.email, &body.password, body.display_name.as_deref())?;
    if ctx.tenant.is_platform() {
        return Err(ApiError::Rejected {
            status: StatusCode::FORBIDDEN,
            code: "registration_closed",
        });
    }

    let hash = account.hash().await?;
    let tenant = ctx.tenant.id;
    let mut tx = state.db.begin_scoped(tenant, None).await?;
    let locale = body.locale.map(Locale::as_str);
    let id = accounts::insert(tx.conn(), tenant, &account, &hash, false, locale).await?;
    let msg_locale = body.locale.unwrap_or(ctx.locale);
    send_token(
        tx.conn(),
        &state,
        &ctx,
        id,
        tokens::VERIFY_EMAIL,
        msg_locale,
    )
    .await?;
    let user = repo::users::get(tx.conn(), id)
        .await?
        .ok_or(ApiError::NotFound)?;
    tx.commit().await?;
    Ok((
        StatusCode::CREATED,
        axum::Json(Registered { user: user.into() }),
    ))
}

/// Stores a single-use token (its hash only) and, in the caller's transaction, the event that
/// has the notification service send the link: if anything later fails, neither exists. The
/// link travels sealed (see `notifications::api::account_link_event`).
async fn send_token(
    conn: &mut PgConnection,
    state: &AppState,
    ctx: &RequestCtx,
    user: Uuid,
    purpose: &'static str,
    locale: Locale,
) -> Result<(), ApiError> {
    let (token, hash) = new_opaque_token();
    let (ttl, path, topic) = match purpose {
        tokens::VERIFY_EMAIL => (
            state.config.verify_token_ttl,
            "/verify-email",
            "user.email_verification_requested",
        ),
        _ => (
            state.config.reset_token_ttl,
            "/reset-password",
            "user.password_reset_requested",
        ),
    };
    tokens::insert(conn, &hash, ctx.tenant.id, user, purpose, expires_in(ttl)).await?;
    let url = state
        .config
        .public_url(&ctx.host, &format!("{path}?token={token}"));
    let event = notifications::api::account_link_event(
        &state.secrets,
        ctx.tenant.id,
        topic,
        user,
        &url,
        ttl.as_secs(),
        locale.as_str(),
    )
    .map_err(ApiError::Internal)?;
    outbox::emit(conn, ctx.tenant.id, &event).await?;
    Ok(())
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TokenRequest {
    #[schema(max_length = 128)]
    pub token: String,
}

fn token_hash(token: &str) -> Result<Vec<u8>, ApiError> {
    Validator::new()
        .text("token", token, 1, limits::TOKEN)
        .finish()?;
    Ok(hash_token(token.trim()))
}

/// Confirms the email address with the token sent at registration (single use, expiring).
#[utoipa::path(post, path = "/api/v1/users/verify-email", tag = "users",
    request_body = TokenRequest,
    responses(
        (status = 204, description = "Email verified"),
        (status = 400, description = "`invalid_token`: unknown, used or expired", body = Problem, content_type = "application/problem+json"),
        (status = "4XX", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn verify_email(
    _: Can<perm::Register>,
    ctx: RequestCtx,
    State(state): State<AppState>,
    AppJson(body): AppJson<TokenRequest>,
) -> Result<StatusCode, ApiError> {
    let hash = token_hash(&body.token)?;
    let mut tx = state.db.begin_scoped(ctx.tenant.id, None).await?;
    let user = tokens::consume(tx.conn(), &hash, tokens::VERIFY_EMAIL)
        .await?
        .ok_or(ApiError::bad_request("invalid_token"))?;
    repo::users::mark_verified(tx.conn(), user).await?;
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResetRequest {
    #[schema(example = "ana@gamarra.pe", max_length = 254)]
    pub email: String,
}

/// Sends a password-reset link when an active account has this email.
///
/// Always answers 202 with no body, whether or not the account exists, so the endpoint cannot be
/// used to discover accounts.
#[utoipa::path(post, path = "/api/v1/users/password-reset", tag = "users",
    request_body = ResetRequest,
    responses(
        (status = 202, description = "If the account exists, a link was sent"),
        (status = "4XX", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn request_password_reset(
    _: Can<perm::Recover>,
    ctx: RequestCtx,
    State(state): State<AppState>,
    AppJson(body): AppJson<ResetRequest>,
) -> Result<StatusCode, ApiError> {
    let email = Email::parse("email", &body.email).map_err(|e| ApiError::Validation(vec![e]))?;
    let mut tx = state.db.begin_scoped(ctx.tenant.id, None).await?;
    if let Some(user) = repo::users::active_id_by_email(tx.conn(), email.as_str()).await? {
        let locale = repo::profiles::locale(tx.conn(), user)
            .await?
            .and_then(|l| Locale::parse(&l))
            .unwrap_or(ctx.locale);
        send_token(
            tx.conn(),
            &state,
            &ctx,
            user,
            tokens::RESET_PASSWORD,
            locale,
        )
        .await?;
    }
    tx.commit().await?;
    Ok(StatusCode::ACCEPTED)
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResetConfirm {
    #[schema(max_length = 128)]
    pub token: String,
    #[schema(min_length = 10, max_length = 128, format = Password)]
    pub new_password: String,
}

/// Sets a new password with a reset token (single use, expiring) and signs out every session.
#[utoipa::path(post, path = "/api/v1/users/password-reset/confirm", tag = "users",
    request_body = ResetConfirm,
    responses(
        (status = 204, description = "Password changed; every session revoked"),
        (status = 400, description = "`invalid_token`", body = Problem, content_type = "application/problem+json"),
        (status = "4XX", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn confirm_password_reset(
    _: Can<perm::Recover>,
    ctx: RequestCtx,
    State(state): State<AppState>,
    AppJson(body): AppJson<ResetConfirm>,
) -> Result<StatusCode, ApiError> {
    let mut v = Validator::new();
    v.text("token", &body.token, 1, limits::TOKEN);
    let password = v.parse(Password::parse("new_password", &body.new_password));
    v.finish()?;
    let Some(password) = password else {
        unreachable!("validated above")
    };
    let new_hash = hash_password(password.into_inner()).await?;
    let mut tx = state.db.begin_scoped(ctx.tenant.id, None).await?;
    let user = tokens::consume(
        tx.conn(),
        &hash_token(body.token.trim()),
        tokens::RESET_PASSWORD,
    )
    .await?
    .ok_or(ApiError::bad_request("invalid_token"))?;
    repo::users::set_password(tx.conn(), user, &new_hash).await?;
    // The link reached the mailbox, so the address is proven too.
    repo::users::mark_verified(tx.conn(), user).await?;
    tokens::spend_all(tx.conn(), user, tokens::RESET_PASSWORD).await?;
    repo::sessions::revoke_all(tx.conn(), user, "password_reset").await?;
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}
