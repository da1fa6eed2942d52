//! The in-app inbox: a user's own messages, unread counts, marking read.

use axum::{Json, extract::State, http::StatusCode};
use kernel::{
    ApiError, AppState, RequestCtx,
    error::Problem,
    extract::{AppPath, AppQuery},
    pagination::{Page, PageQuery},
    rbac::Can,
};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use time::OffsetDateTime;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

use crate::{permissions as perm, repo};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_inbox))
        .routes(routes!(unread_count))
        .routes(routes!(mark_read))
        .routes(routes!(mark_all_read))
}

/// A message in the inbox.
#[derive(Debug, Serialize, ToSchema)]
pub struct InboxItem {
    pub id: Uuid,
    /// The template it was made from (`order_placed`, `reset_password`, `announcement`, …).
    pub template: String,
    /// The event it is about (`order.placed`, …).
    pub topic: Option<String>,
    pub subject: String,
    pub body: String,
    /// What a client needs to link to the subject (`order_id`, `number`, `url`).
    pub data: Value,
    #[serde(with = "time::serde::rfc3339::option")]
    pub read_at: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct InboxQuery {
    /// Only unread messages.
    #[serde(default)]
    pub unread: bool,
    /// Items per page, 1 to 100 (default 20).
    pub limit: Option<u32>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// The caller's in-app messages, newest first.
#[utoipa::path(get, path = "/api/v1/notifications/inbox", tag = "notifications", security(("bearer" = [])),
    params(InboxQuery),
    responses(
        (status = 200, body = Page<InboxItem>),
        (status = "4XX", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn list_inbox(
    _: Can<perm::ReadInbox>,
    ctx: RequestCtx,
    State(state): State<AppState>,
    AppQuery(q): AppQuery<InboxQuery>,
) -> Result<Json<Page<InboxItem>>, ApiError> {
    let me = ctx.require_user()?.user_id;
    let page = PageQuery {
        limit: q.limit,
        cursor: q.cursor,
    };
    let (limit, cursor) = (page.limit()?, page.cursor::<Uuid>()?);
    let mut tx = state.db.begin_for(&ctx).await?;
    let rows =
        repo::notifications::inbox(tx.conn(), me, q.unread, cursor, i64::from(limit) + 1).await?;
    tx.commit().await?;
    let page = Page::from_rows(rows, limit, |r| r.id);
    Ok(Json(Page {
        items: page
            .items
            .into_iter()
            .map(|n| InboxItem {
                id: n.id,
                template: n.template,
                topic: n.topic,
                subject: n.subject,
                body: n.body,
                data: n.data,
                read_at: n.read_at,
                created_at: n.created_at,
            })
            .collect(),
        next_cursor: page.next_cursor,
    }))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct UnreadCount {
    pub unread: i64,
}

/// How many of the caller's in-app messages are unread.
#[utoipa::path(get, path = "/api/v1/notifications/inbox/unread-count", tag = "notifications", security(("bearer" = [])),
    responses(
        (status = 200, body = UnreadCount),
        (status = "4XX", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn unread_count(
    _: Can<perm::ReadInbox>,
    ctx: RequestCtx,
    State(state): State<AppState>,
) -> Result<Json<UnreadCount>, ApiError> {
    let me = ctx.require_user()?.user_id;
    let mut tx = state.db.begin_for(&ctx).await?;
    let unread = repo::notifications::unread_count(tx.conn(), me).await?;
    tx.commit().await?;
    Ok(Json(UnreadCount { unread }))
}

/// Marks one message read (again: no change).
#[utoipa::path(post, path = "/api/v1/notifications/inbox/{id}/read", tag = "notifications", security(("bearer" = [])),
    params(("id" = Uuid, Path)),
    responses(
        (status = 204),
        (status = "4XX", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn mark_read(
    _: Can<perm::WriteInbox>,
    ctx: RequestCtx,
    State(state): State<AppState>,
    AppPath(id): AppPath<Uuid>,
) -> Result<StatusCode, ApiError> {
    let me = ctx.require_user()?.user_id;
    let mut tx = state.db.begin_for(&ctx).await?;
    if !repo::notifications::mark_read(tx.conn(), me, id).await? {
        return Err(ApiError::NotFound);
    }
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Marked {
    pub marked: u64,
}

/// Marks every message read.
#[utoipa::path(post, path = "/api/v1/notifications/inbox/read-all", tag = "notifications", security(("bearer" = [])),
    responses(
        (status = 200, body = Marked),
        (status = "4XX", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn mark_all_read(
    _: Can<perm::WriteInbox>,
    ctx: RequestCtx,
    State(state): State<AppState>,
) -> Result<Json<Marked>, ApiError> {
    let me = ctx.require_user()?.user_id;
    let mut tx = state.db.begin_for(&ctx).await?;
    let marked = repo::notifications::mark_all_read(tx.conn(), me).await?;
    tx.commit().await?;
    Ok(Json(Marked { marked }))
}
