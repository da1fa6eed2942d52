//! Sign-in, refresh-token rotation and sign-out.
//!
//! Access tokens are short-lived JWTs (`config.access_token_ttl`) and are not checked against the
//! session table: revoking a session (logout, reuse, role change, password reset) stops its
//! refresh token at once, while an already-issued access token lives until it expires.

use axum::{Json, extract::State, http::StatusCode};
use kernel::{
    ApiError, AppState, RequestCtx,
    auth::{hash_token, new_opaque_token, verify_password},
    error::Problem,
    extract::AppJson,
    rbac::Can,
    validate::Validator,
};
use serde::{Deserialize, Serialize};
use sqlx::PgConnection;
use utoipa::ToSchema;
use uuid::Uuid;

use super::expires_in;
use crate::{
    domain::{Email, limits},
    permissions as perm,
    repo::{self, sessions},
};

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    #[schema(example = "ana@gamarra.pe", max_length = 254)]
    pub email: String,
    #[schema(max_length = 128, format = Password)]
    pub password: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TokenPair {
    /// EdDSA JWT valid only on this marketplace's host.
    pub access_token: String,
    #[schema(example = "Bearer")]
    pub token_type: &'static str,
    /// Seconds until the access token expires.
    pub expires_in: u64,
    /// Opaque, single use: each refresh returns a new one.
    pub refresh_token: String,
}

const INVALID_CREDENTIALS: ApiError = ApiError::Rejected {
    status: StatusCode::UNAUTHORIZED,
    code: "invalid_credentials",
};
const INVALID_REFRESH: ApiError = ApiError::Rejected {
    status: StatusCode::UNAUTHORIZED,
    code: "invalid_refresh_token",
};

/// Signs in with email and password.
///
/// Unknown email, wrong password and disabled account get the same 401. Accounts whose email is
/// not yet verified may sign in (`email_verified` is in `/me`). Attempts are limited per account
/// and per client address (429 with `Retry-After`).
#[utoipa::path(post, path = "/api/v1/users/login", tag = "users",
    request_body = LoginRequest,
    responses(
        (status = 200, body = TokenPair),
        (status = 401, description = "`invalid_credentials`", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "`rate_limited`", body = Problem, content_type = "application/problem+json"),
        (status = "4XX", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn login_user(
    _: Can<perm::Login>,
    ctx: RequestCtx,
    State(state): State<AppState>,
    AppJson(body): AppJson<LoginRequest>,
) -> Result<Json<TokenPair>, ApiError> {
    let mut v = Validator::new();
    let email = v.parse(Email::parse("email", &body.email));
    v.text("password", &body.password, 1, 128);
    v.finish()?;
    let Some(email) = email else {
        unreachable!("validated above")
    };
    let cfg = &state.config;
    limit(
        &state,
        &format!("login:acct:{}:{}", ctx.tenant.id, email.as_str()),
        cfg.login_limit_per_account,
    )
    .await?;
    if let Some(ip) = &ctx.client_ip {
        limit(&state, &format!("login:ip:{ip}"), cfg.login_limit_per_ip).await?;
    }

    let tenant = ctx.tenant.id;
    let mut tx = state.db.begin_scoped(tenant, None).await?;
    let creds = repo::users::credentials_by_email(tx.conn(), email.as_str()).await?;
    // argon2 takes ~50 ms: no connection is held while it runs.
    tx.commit().await?;
    // Verify even for unknown accounts (against a dummy hash) so timing reveals nothing.
    let ok = verify_password(
        body.password,
        creds.as_ref().map(|c| c.password_hash.clone()),
    )
    .await?;
    let user = match creds {
        Some(c) if ok && c.status == "active" => c.id,
        _ => return Err(INVALID_CREDENTIALS),
    };
    let (refresh, hash) = new_opaque_token();
    let session = Uuid::now_v7();
    let mut tx = state.db.begin_scoped(tenant, None).await?;
    sessions::insert(
        tx.conn(),
        &sessions::NewSession {
            id: session,
            tenant,
            user,
            refresh_hash: &hash,
            user_agent: ctx.user_agent.as_deref(),
            ip: ctx.client_ip.as_deref(),
            expires_at: expires_in(cfg.refresh_token_ttl),
        },
    )
    .await?;
    let pair = token_pair(tx.conn(), &state, tenant, user, session, refresh).await?;
    tx.commit().await?;
    Ok(Json(pair))
}

/// Counts one attempt against `key`; 429 past `max` within `config.login_window`. A cache outage
/// does not lock everyone out: it is logged and the attempt proceeds (argon2 still slows guessing).
async fn limit(state: &AppState, key: &str, max: u32) -> Result<(), ApiError> {
    match state.cache.hit(key, state.config.login_window).await {
        Ok((count, retry)) if count > u64::from(max) => Err(ApiError::RateLimited {
            retry_after_secs: retry,
        }),
        Ok(_) => Ok(()),
        Err(e) => {
            tracing::warn!(error = %e, "rate limiter unavailable");
            Ok(())
        }
    }
}

/// Roles and locale are read fresh, so a refresh picks up grants made since sign-in.
async fn token_pair(
    conn: &mut PgConnection,
    state: &AppState,
    tenant: Uuid,
    user: Uuid,
    session: Uuid,
    refresh_token: String,
) -> Result<TokenPair, ApiError> {
    let (roles, locale) = repo::roles::token_claims(conn, user).await?;
    let access_token = state.jwt.issue(user, tenant, session, roles, locale)?;
    Ok(TokenPair {
        access_token,
        token_type: "Bearer",
        expires_in: state.jwt.access_ttl.as_secs(),
        refresh_token,
    })
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RefreshRequest {
    #[schema(max_length = 128)]
    pub refresh_token: String,
}

/// Exchanges a refresh token for a new pair (rotation).
///
/// Each refresh token works once. Presenting one that was already rotated is treated as theft:
/// the whole session (token family) is revoked, including the newer token, and the answer is
/// 401. Two concurrent refreshes with one token: exactly one succeeds.
#[utoipa::path(post, path = "/api/v1/users/token/refresh", tag = "users",
    request_body = RefreshRequest,
    responses(
        (status = 200, body = TokenPair),
        (status = 401, description = "`invalid_refresh_token`: unknown, rotated, revoked or expired", body = Problem, content_type = "application/problem+json"),
        (status = "4XX", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn refresh_token(
    _: Can<perm::Login>,
    ctx: RequestCtx,
    State(state): State<AppState>,
    AppJson(body): AppJson<RefreshRequest>,
) -> Result<Json<TokenPair>, ApiError> {
    Validator::new()
        .text("refresh_token", &body.refresh_token, 1, limits::TOKEN)
        .finish()?;
    let old = hash_token(body.refresh_token.trim());
    let tenant = ctx.tenant.id;
    // No access token here: the session is found by its hash, and RLS (tenant scope) keeps the
    // search inside this tenant, so another tenant's refresh token matches nothing.
    let mut tx = state.db.begin_scoped(tenant, None).await?;
    let (refresh, new) = new_opaque_token();
    let Some(rotated) = sessions::rotate(
        tx.conn(),
        &old,
        &new,
        expires_in(state.config.refresh_token_ttl),
    )
    .await?
    else {
        if sessions::revoke_on_reuse(tx.conn(), &old).await? {
            tracing::warn!(tenant = %tenant, "refresh token reuse detected; session revoked");
        }
        // Commit the revocation even though the caller gets a 401.
        tx.commit().await?;
        return Err(INVALID_REFRESH);
    };
    if !repo::users::is_active(tx.conn(), rotated.user_id).await? {
        return Err(INVALID_REFRESH);
    }
    let pair = token_pair(
        tx.conn(),
        &state,
        tenant,
        rotated.user_id,
        rotated.id,
        refresh,
    )
    .await?;
    tx.commit().await?;
    Ok(Json(pair))
}

/// Signs out: revokes the session of the presented access token (its refresh token stops working).
#[utoipa::path(post, path = "/api/v1/users/logout", tag = "users", security(("bearer" = [])),
    responses(
        (status = 204, description = "Session revoked"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = "4XX", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn logout_user(
    _: Can<perm::WriteSessions>,
    ctx: RequestCtx,
    State(state): State<AppState>,
) -> Result<StatusCode, ApiError> {
    let me = ctx.require_user()?;
    let mut tx = state.db.begin_for(&ctx).await?;
    sessions::revoke(tx.conn(), me.user_id, me.session_id, "logout").await?;
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}
