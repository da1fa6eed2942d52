//! The caller's own sessions (devices signed in).

use axum::{Json, extract::State, http::StatusCode};
use kernel::{
    ApiError, AppState, RequestCtx,
    error::Problem,
    extract::{AppPath, AppQuery},
    pagination::{Page, PageQuery},
    rbac::Can,
};
use serde::Serialize;
use time::OffsetDateTime;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::{permissions as perm, repo::sessions};

#[derive(Debug, Serialize, ToSchema)]
pub struct Session {
    pub id: Uuid,
    /// The session of the access token making this request.
    pub current: bool,
    pub user_agent: Option<String>,
    pub ip: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub last_used_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub expires_at: OffsetDateTime,
}

/// Lists the caller's live sessions, newest first.
#[utoipa::path(get, path = "/api/v1/users/me/sessions", tag = "users", security(("bearer" = [])),
    params(PageQuery),
    responses(
        (status = 200, body = Page<Session>),
        (status = "4XX", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn list_sessions(
    _: Can<perm::ReadSessions>,
    ctx: RequestCtx,
    State(state): State<AppState>,
    AppQuery(q): AppQuery<PageQuery>,
) -> Result<Json<Page<Session>>, ApiError> {
    let me = ctx.require_user()?;
    let (limit, cursor) = (q.limit()?, q.cursor::<Uuid>()?);
    let mut tx = state.db.begin_for(&ctx).await?;
    let rows = sessions::list_live(tx.conn(), me.user_id, cursor, limit).await?;
    tx.commit().await?;
    let current = me.session_id;
    Ok(Json(Page::from_rows(rows, limit, |r| r.id).map(|r| {
        Session {
            current: r.id == current,
            id: r.id,
            user_agent: r.user_agent,
            ip: r.ip,
            created_at: r.created_at,
            last_used_at: r.last_used_at,
            expires_at: r.expires_at,
        }
    })))
}

/// Signs out one of the caller's sessions. Another user's session is a 404.
#[utoipa::path(delete, path = "/api/v1/users/me/sessions/{id}", tag = "users", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Session id")),
    responses(
        (status = 204, description = "Revoked"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = "4XX", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn revoke_session(
    _: Can<perm::WriteSessions>,
    ctx: RequestCtx,
    State(state): State<AppState>,
    AppPath(id): AppPath<Uuid>,
) -> Result<StatusCode, ApiError> {
    let me = ctx.require_user()?;
    let mut tx = state.db.begin_for(&ctx).await?;
    if !sessions::revoke(tx.conn(), me.user_id, id, "revoked_by_user").await? {
        return Err(ApiError::NotFound);
    }
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}
