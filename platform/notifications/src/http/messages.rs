//! Messages as admins see them: every delivery with its attempts, retrying dead ones, and
//! messages of their own (announcements), now or at a set time, cancellable until then.
//! Bodies are never shown here: some hold a person's account links.

use axum::{Json, extract::State, http::StatusCode};
use kernel::{
    ApiError, AppState, RequestCtx,
    error::{FieldError, Problem},
    extract::{AppJson, AppPath, AppQuery},
    outbox,
    pagination::{Page, PageQuery},
    rbac::Can,
};
use serde::{Deserialize, Serialize};
use serde_json::json;
use time::OffsetDateTime;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

use crate::{
    dispatch::{self, Occasion},
    domain::{
        Category, Channel,
        topics::{Audience, Rule},
    },
    permissions as perm,
    repo::{self, notifications::Notification},
};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_messages, send_message))
        .routes(routes!(get_message))
        .routes(routes!(cancel_message))
        .routes(routes!(retry_message))
        .routes(routes!(list_dead_events))
        .routes(routes!(retry_dead_event))
}

/// A message and where it stands.
#[derive(Debug, Serialize, ToSchema)]
pub struct Message {
    pub id: Uuid,
    pub channel: String,
    pub category: String,
    pub template: String,
    pub topic: Option<String>,
    pub locale: Option<String>,
    pub user_id: Option<Uuid>,
    pub webhook_id: Option<Uuid>,
    /// Email address, phone, `devices` (push) or webhook URL.
    pub recipient: Option<String>,
    pub subject: String,
    /// `scheduled`, `pending`, `sent`, `delivered`, `failed` (retrying), `dead`, `cancelled`.
    pub status: String,
    #[serde(with = "time::serde::rfc3339")]
    pub send_at: OffsetDateTime,
    pub attempts: i32,
    pub provider: Option<String>,
    pub provider_message_id: Option<String>,
    pub last_error: Option<String>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub sent_at: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub delivered_at: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

impl From<Notification> for Message {
    fn from(n: Notification) -> Self {
        Message {
            id: n.id,
            channel: n.channel,
            category: n.category,
            template: n.template,
            topic: n.topic,
            locale: n.locale,
            user_id: n.user_id,
            webhook_id: n.endpoint_id,
            recipient: n.recipient,
            subject: n.subject,
            status: n.status,
            send_at: n.send_at,
            attempts: n.attempts,
            provider: n.provider,
            provider_message_id: n.provider_message_id,
            last_error: n.last_error,
            sent_at: n.sent_at,
            delivered_at: n.delivered_at,
            created_at: n.created_at,
        }
    }
}

/// One delivery attempt or provider report.
#[derive(Debug, Serialize, ToSchema)]
pub struct Attempt {
    pub attempt: i32,
    pub provider: String,
    /// `sent`, `failed`, `delivered`, `undelivered`.
    pub status: String,
    pub provider_message_id: Option<String>,
    pub error: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MessageDetail {
    #[serde(flatten)]
    pub message: Message,
    pub attempts_log: Vec<Attempt>,
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct MessageQuery {
    /// Only messages in this status (`dead` lists what needs an admin).
    pub status: Option<String>,
    pub channel: Option<String>,
    pub user_id: Option<Uuid>,
    /// Items per page, 1 to 100 (default 20).
    pub limit: Option<u32>,
    pub cursor: Option<String>,
}

const STATUSES: [&str; 7] = [
    "scheduled",
    "pending",
    "sent",
    "delivered",
    "failed",
    "dead",
    "cancelled",
];

/// Every message of the marketplace, newest first.
#[utoipa::path(get, path = "/api/v1/notifications/messages", tag = "notifications", security(("bearer" = [])),
    params(MessageQuery),
    responses(
        (status = 200, body = Page<Message>),
        (status = "4XX", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn list_messages(
    _: Can<perm::ManageNotifications>,
    ctx: RequestCtx,
    State(state): State<AppState>,
    AppQuery(q): AppQuery<MessageQuery>,
) -> Result<Json<Page<Message>>, ApiError> {
    let mut errors = Vec::new();
    if q.status.as_deref().is_some_and(|s| !STATUSES.contains(&s)) {
        errors.push(FieldError::new("status", "invalid_choice"));
    }
    if q.channel
        .as_deref()
        .is_some_and(|c| Channel::parse(c).is_none())
    {
        errors.push(FieldError::new("channel", "invalid_choice"));
    }
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    let page = PageQuery {
        limit: q.limit,
        cursor: q.cursor,
    };
    let (limit, cursor) = (page.limit()?, page.cursor::<Uuid>()?);
    let filter = repo::notifications::Filter {
        status: q.status,
        channel: q.channel,
        user_id: q.user_id,
    };
    let mut tx = state.db.begin_for(&ctx).await?;
    let rows = repo::notifications::list(tx.conn(), &filter, cursor, i64::from(limit) + 1).await?;
    tx.commit().await?;
    let page = Page::from_rows(rows, limit, |r| r.id);
    Ok(Json(Page {
        items: page.items.into_iter().map(Message::from).collect(),
        next_cursor: page.next_cursor,
    }))
}

/// One message with every attempt.
#[utoipa::path(get, path = "/api/v1/notifications/messages/{id}", tag = "notifications", security(("bearer" = [])),
    params(("id" = Uuid, Path)),
    responses(
        (status = 200, body = MessageDetail),
        (status = "4XX", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn get_message(
    _: Can<perm::ManageNotifications>,
    ctx: RequestCtx,
    State(state): State<AppState>,
    AppPath(id): AppPath<Uuid>,
) -> Result<Json<MessageDetail>, ApiError> {
    let mut tx = state.db.begin_for(&ctx).await?;
    let n = repo::notifications::get(tx.conn(), id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let logs = repo::logs::of(tx.conn(), id).await?;
    tx.commit().await?;
    Ok(Json(MessageDetail {
        message: n.into(),
        attempts_log: logs
            .into_iter()
            .map(|l| Attempt {
                attempt: l.attempt,
                provider: l.provider,
                status: l.status,
                provider_message_id: l.provider_message_id,
                error: l.error,
                at: l.created_at,
            })
            .collect(),
    }))
}

/// Gives a dead message a fresh set of attempts.
#[utoipa::path(post, path = "/api/v1/notifications/messages/{id}/retry", tag = "notifications", security(("bearer" = [])),
    params(("id" = Uuid, Path)),
    responses(
        (status = 200, body = Message),
        (status = "4XX", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn retry_message(
    _: Can<perm::ManageNotifications>,
    ctx: RequestCtx,
    State(state): State<AppState>,
    AppPath(id): AppPath<Uuid>,
) -> Result<Json<Message>, ApiError> {
    let mut tx = state.db.begin_for(&ctx).await?;
    let n = repo::notifications::lock(tx.conn(), id)
        .await?
        .ok_or(ApiError::NotFound)?;
    // The send work item has the message's id (outbox::emit_per_aggregate).
    if n.status != "dead" || !outbox::retry(tx.conn(), id).await? {
        return Err(ApiError::conflict("notification_not_dead"));
    }
    repo::notifications::revive(tx.conn(), id).await?;
    let n = repo::notifications::get(tx.conn(), id)
        .await?
        .ok_or(ApiError::NotFound)?;
    tx.commit().await?;
    Ok(Json(n.into()))
}

/// Cancels a scheduled message.
#[utoipa::path(post, path = "/api/v1/notifications/messages/{id}/cancel", tag = "notifications", security(("bearer" = [])),
    params(("id" = Uuid, Path)),
    responses(
        (status = 200, body = Message),
        (status = "4XX", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn cancel_message(
    _: Can<perm::ManageNotifications>,
    ctx: RequestCtx,
    State(state): State<AppState>,
    AppPath(id): AppPath<Uuid>,
) -> Result<Json<Message>, ApiError> {
    let mut tx = state.db.begin_for(&ctx).await?;
    match repo::notifications::cancel(tx.conn(), id).await? {
        None => return Err(ApiError::NotFound),
        Some(false) => return Err(ApiError::conflict("notification_not_scheduled")),
        Some(true) => {}
    }
    let n = repo::notifications::get(tx.conn(), id)
        .await?
        .ok_or(ApiError::NotFound)?;
    tx.commit().await?;
    Ok(Json(n.into()))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewMessage {
    /// Who receives it (1 to 1000 accounts of this marketplace; unknown ones are skipped).
    pub user_ids: Vec<Uuid>,
    /// `marketing` messages reach only those who opted in; `transactional` ones follow each
    /// person's transactional preferences.
    pub category: Category,
    #[schema(max_length = 200)]
    pub title: String,
    #[schema(max_length = 5000)]
    pub message: String,
    /// When to send it (RFC 3339). Omitted or past: now.
    #[serde(default, with = "time::serde::rfc3339::option")]
    #[schema(value_type = Option<String>)]
    pub send_at: Option<OffsetDateTime>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SentMessage {
    /// Groups the messages this request made.
    pub batch_id: Uuid,
    /// The messages made (one per person and channel their preferences allow).
    pub messages: Vec<Message>,
}

/// Sends an announcement to some people of the marketplace over every channel their
/// preferences allow, in their language, now or at `send_at` (cancellable until then).
#[utoipa::path(post, path = "/api/v1/notifications/messages", tag = "notifications", security(("bearer" = [])),
    request_body = NewMessage,
    responses(
        (status = 201, body = SentMessage),
        (status = "4XX", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn send_message(
    _: Can<perm::ManageNotifications>,
    ctx: RequestCtx,
    State(state): State<AppState>,
    AppJson(body): AppJson<NewMessage>,
) -> Result<(StatusCode, Json<SentMessage>), ApiError> {
    let mut errors = Vec::new();
    if body.user_ids.is_empty() || body.user_ids.len() > 1000 {
        errors.push(
            FieldError::new("user_ids", "out_of_range")
                .with("min", 1)
                .with("max", 1000),
        );
    }
    for (field, value, max) in [
        ("title", &body.title, 200),
        ("message", &body.message, 5000),
    ] {
        if value.trim().is_empty() {
            errors.push(FieldError::new(field, "required"));
        } else if value.chars().count() > max {
            errors.push(FieldError::new(field, "too_long").with("max", max));
        }
    }
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    let batch = Uuid::now_v7();
    let payload = json!({ "title": body.title.trim(), "message": body.message.trim() });
    let what = Occasion {
        tenant: ctx.tenant.id,
        event_id: batch,
        topic: "notification.announcement",
        payload: &payload,
        link: None,
    };
    let rule = Rule {
        audience: Audience::Subject,
        template: "announcement",
        category: body.category,
        mandatory: false,
    };
    let now = OffsetDateTime::now_utc();
    let later = body.send_at.filter(|at| *at > now);
    // Planning reads the recipients' preferences and devices, which only their owners and the
    // worker see: the admin's request plans in the worker's scope, as the worker would.
    let mut tx = state
        .db
        .begin_scoped_with(ctx.tenant.id, ctx.user_id(), &[("app.worker", "on")])
        .await?;
    let setting = repo::recipients::setting(tx.conn(), ctx.tenant.id, &[rule.template], &[])
        .await?
        .ok_or(ApiError::TenantNotFound)?;
    let people = repo::recipients::load(tx.conn(), &body.user_ids).await?;
    let rows = dispatch::messages(
        &state,
        &setting,
        &people,
        &what,
        &[(rule, body.user_ids.clone())],
        later,
    );
    let written = dispatch::write(tx.conn(), ctx.tenant.id, &rows, later).await?;
    let ids: Vec<Uuid> = written.into_iter().map(|(id, _)| id).collect();
    let messages = repo::notifications::get_many(tx.conn(), &ids)
        .await?
        .into_iter()
        .map(Message::from)
        .collect();
    tx.commit().await?;
    Ok((
        StatusCode::CREATED,
        Json(SentMessage {
            batch_id: batch,
            messages,
        }),
    ))
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct DeadEventQuery {
    /// Items per page, 1 to 100 (default 20).
    pub limit: Option<u32>,
    pub cursor: Option<String>,
}

/// Events of the marketplace the worker gave up on (planning or sending failed for good),
/// oldest first. Account links in them are sealed.
#[utoipa::path(get, path = "/api/v1/notifications/events/dead", tag = "notifications", security(("bearer" = [])),
    params(DeadEventQuery),
    responses(
        (status = 200, body = Page<outbox::DeadEvent>),
        (status = "4XX", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn list_dead_events(
    _: Can<perm::ManageNotifications>,
    ctx: RequestCtx,
    State(state): State<AppState>,
    AppQuery(q): AppQuery<DeadEventQuery>,
) -> Result<Json<Page<outbox::DeadEvent>>, ApiError> {
    let page = PageQuery {
        limit: q.limit,
        cursor: q.cursor,
    };
    let (limit, cursor) = (page.limit()?, page.cursor::<Uuid>()?);
    let mut tx = state.db.begin_for(&ctx).await?;
    let rows =
        outbox::list_dead(tx.conn(), Some(ctx.tenant.id), cursor, i64::from(limit) + 1).await?;
    tx.commit().await?;
    Ok(Json(Page::from_rows(rows, limit, |e| e.id)))
}

/// Gives a dead event a fresh set of attempts (a message's send work item revives the message).
#[utoipa::path(post, path = "/api/v1/notifications/events/{id}/retry", tag = "notifications", security(("bearer" = [])),
    params(("id" = Uuid, Path)),
    responses(
        (status = 204),
        (status = "4XX", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn retry_dead_event(
    _: Can<perm::ManageNotifications>,
    ctx: RequestCtx,
    State(state): State<AppState>,
    AppPath(id): AppPath<Uuid>,
) -> Result<StatusCode, ApiError> {
    let mut tx = state.db.begin_for(&ctx).await?;
    if !outbox::retry(tx.conn(), id).await? {
        return Err(ApiError::NotFound);
    }
    repo::notifications::revive(tx.conn(), id).await?;
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}
