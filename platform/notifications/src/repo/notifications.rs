//! `notifications`: one message to one recipient over one channel.

use serde_json::Value;
use sqlx::{AssertSqlSafe, PgConnection};
use time::OffsetDateTime;
use uuid::Uuid;

/// A message to write. In-app messages due now are written `sent`: the row is the delivery.
#[derive(Debug, Clone)]
pub struct NewNotification {
    pub id: Uuid,
    pub user_id: Option<Uuid>,
    pub endpoint_id: Option<Uuid>,
    pub event_id: Option<Uuid>,
    pub topic: String,
    pub channel: &'static str,
    pub category: &'static str,
    pub template: String,
    pub locale: Option<&'static str>,
    pub recipient: Option<String>,
    pub subject: String,
    pub body: String,
    pub html: Option<String>,
    pub data: Value,
    pub status: &'static str,
    pub send_at: OffsetDateTime,
}

/// Inserts in one statement; rows already made from the same event (same channel and
/// recipient) are skipped. Returns the ids and channels of the rows written.
pub async fn insert_all(
    conn: &mut PgConnection,
    tenant: Uuid,
    rows: &[NewNotification],
) -> Result<Vec<(Uuid, String)>, sqlx::Error> {
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let col = |f: fn(&NewNotification) -> Option<String>| rows.iter().map(f).collect::<Vec<_>>();
    sqlx::query_as(
        "insert into notifications (id, tenant_id, user_id, endpoint_id, event_id, topic, channel,
                category, template, locale, recipient, subject, body, html, data, status, send_at,
                sent_at)
         select r.id, $1, r.user_id, r.endpoint_id, r.event_id, r.topic, r.channel, r.category,
                r.template, r.locale, r.recipient, r.subject, r.body, r.html, r.data, r.status,
                r.send_at, case when r.status = 'sent' then now() end
           from unnest($2::uuid[], $3::uuid[], $4::uuid[], $5::uuid[], $6::text[], $7::text[],
                       $8::text[], $9::text[], $10::text[], $11::text[], $12::text[], $13::text[],
                       $14::text[], $15::jsonb[], $16::text[], $17::timestamptz[])
             as r (id, user_id, endpoint_id, event_id, topic, channel, category, template, locale,
                   recipient, subject, body, html, data, status, send_at)
         on conflict (tenant_id, event_id, channel, coalesce(user_id, endpoint_id))
            where event_id is not null do nothing
         returning id, channel",
    )
    .bind(tenant)
    .bind(rows.iter().map(|r| r.id).collect::<Vec<_>>())
    .bind(rows.iter().map(|r| r.user_id).collect::<Vec<_>>())
    .bind(rows.iter().map(|r| r.endpoint_id).collect::<Vec<_>>())
    .bind(rows.iter().map(|r| r.event_id).collect::<Vec<_>>())
    .bind(col(|r| Some(r.topic.clone())))
    .bind(col(|r| Some(r.channel.to_string())))
    .bind(col(|r| Some(r.category.to_string())))
    .bind(col(|r| Some(r.template.clone())))
    .bind(col(|r| r.locale.map(str::to_string)))
    .bind(col(|r| r.recipient.clone()))
    .bind(col(|r| Some(r.subject.clone())))
    .bind(col(|r| Some(r.body.clone())))
    .bind(col(|r| r.html.clone()))
    .bind(rows.iter().map(|r| r.data.clone()).collect::<Vec<_>>())
    .bind(col(|r| Some(r.status.to_string())))
    .bind(rows.iter().map(|r| r.send_at).collect::<Vec<_>>())
    .fetch_all(conn)
    .await
}

/// A message as the sender and the admin views see it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Notification {
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub user_id: Option<Uuid>,
    pub endpoint_id: Option<Uuid>,
    pub topic: Option<String>,
    pub channel: String,
    pub category: String,
    pub template: String,
    pub locale: Option<String>,
    pub recipient: Option<String>,
    pub subject: String,
    pub body: String,
    pub html: Option<String>,
    pub data: Value,
    pub status: String,
    pub send_at: OffsetDateTime,
    pub attempts: i32,
    pub provider: Option<String>,
    pub provider_message_id: Option<String>,
    pub last_error: Option<String>,
    pub read_at: Option<OffsetDateTime>,
    pub sent_at: Option<OffsetDateTime>,
    pub delivered_at: Option<OffsetDateTime>,
    pub created_at: OffsetDateTime,
}

const COLUMNS: &str =
    "id, tenant_id, user_id, endpoint_id, topic, channel, category, template, locale,
    recipient, subject, body, html, data, status, send_at, attempts, provider, provider_message_id,
    last_error, read_at, sent_at, delivered_at, created_at";

pub async fn get(conn: &mut PgConnection, id: Uuid) -> Result<Option<Notification>, sqlx::Error> {
    sqlx::query_as(AssertSqlSafe(format!(
        "select {COLUMNS} from notifications where id = $1"
    )))
    .bind(id)
    .fetch_optional(conn)
    .await
}

pub async fn get_many(
    conn: &mut PgConnection,
    ids: &[Uuid],
) -> Result<Vec<Notification>, sqlx::Error> {
    sqlx::query_as(AssertSqlSafe(format!(
        "select {COLUMNS} from notifications where id = any($1) order by id"
    )))
    .bind(ids)
    .fetch_all(conn)
    .await
}

/// Locks the row for the sender, so a cancel and a send cannot cross.
pub async fn lock(conn: &mut PgConnection, id: Uuid) -> Result<Option<Notification>, sqlx::Error> {
    sqlx::query_as(AssertSqlSafe(format!(
        "select {COLUMNS} from notifications where id = $1 for update"
    )))
    .bind(id)
    .fetch_optional(conn)
    .await
}

/// The outcome of one attempt.
pub async fn record_attempt(
    conn: &mut PgConnection,
    id: Uuid,
    status: &str,
    provider: &str,
    provider_message_id: Option<&str>,
    error: Option<&str>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "update notifications
            set status = $2, provider = $3, attempts = attempts + 1,
                provider_message_id = coalesce($4, provider_message_id),
                last_error = $5,
                sent_at = case when $2 = 'sent' then now() else sent_at end
          where id = $1",
    )
    .bind(id)
    .bind(status)
    .bind(provider)
    .bind(provider_message_id)
    .bind(error)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn set_status(
    conn: &mut PgConnection,
    id: Uuid,
    status: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "update notifications set status = $2,
                sent_at = case when $2 = 'sent' then now() else sent_at end
          where id = $1",
    )
    .bind(id)
    .bind(status)
    .execute(conn)
    .await?;
    Ok(())
}

/// A dead message whose work item an admin retried: pending again (no-op for other rows).
pub async fn revive(conn: &mut PgConnection, id: Uuid) -> Result<(), sqlx::Error> {
    sqlx::query("update notifications set status = 'pending' where id = $1 and status = 'dead'")
        .bind(id)
        .execute(conn)
        .await?;
    Ok(())
}

/// Cancels a scheduled message. False when it is not (or no longer) scheduled.
pub async fn cancel(conn: &mut PgConnection, id: Uuid) -> Result<Option<bool>, sqlx::Error> {
    let row: Option<(String,)> = sqlx::query_as(
        "with target as (select id, status from notifications where id = $1 for update),
              done as (update notifications n set status = 'cancelled'
                         from target t where n.id = t.id and t.status = 'scheduled' returning n.id)
         select t.status from target t",
    )
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?;
    Ok(row.map(|(status,)| status == "scheduled"))
}

/// A provider's delivery report for the message it knows as `provider_message_id`.
pub async fn delivery_report(
    conn: &mut PgConnection,
    provider: &str,
    provider_message_id: &str,
    delivered: bool,
) -> Result<Option<(Uuid, String, i32)>, sqlx::Error> {
    sqlx::query_as(
        "update notifications
            set status = case when $3 then 'delivered' else 'failed' end,
                delivered_at = case when $3 then now() end,
                last_error = case when $3 then null else 'the provider reported it undelivered' end
          where provider = $1 and provider_message_id = $2 and status in ('sent', 'delivered', 'failed')
          returning id, channel, attempts",
    )
    .bind(provider)
    .bind(provider_message_id)
    .bind(delivered)
    .fetch_optional(conn)
    .await
}

// ---- inbox (the caller's own in-app messages; RLS adds the same condition) ----

pub async fn inbox(
    conn: &mut PgConnection,
    user: Uuid,
    unread_only: bool,
    after: Option<Uuid>,
    limit: i64,
) -> Result<Vec<Notification>, sqlx::Error> {
    sqlx::query_as(AssertSqlSafe(format!(
        "select {COLUMNS} from notifications
          where user_id = $1 and channel = 'in_app' and status in ('sent', 'delivered')
            and ($2 = false or read_at is null) and ($3::uuid is null or id < $3)
          order by id desc limit $4"
    )))
    .bind(user)
    .bind(unread_only)
    .bind(after)
    .bind(limit)
    .fetch_all(conn)
    .await
}

pub async fn unread_count(conn: &mut PgConnection, user: Uuid) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        "select count(*) from notifications
          where user_id = $1 and channel = 'in_app' and read_at is null and status in ('sent', 'delivered')",
    )
    .bind(user)
    .fetch_one(conn)
    .await
}

/// Marks one message read (idempotent). False when the caller has no such message.
pub async fn mark_read(conn: &mut PgConnection, user: Uuid, id: Uuid) -> Result<bool, sqlx::Error> {
    let n = sqlx::query(
        "update notifications set read_at = coalesce(read_at, now())
          where id = $1 and user_id = $2 and channel = 'in_app' and status in ('sent', 'delivered')",
    )
    .bind(id)
    .bind(user)
    .execute(conn)
    .await?
    .rows_affected();
    Ok(n == 1)
}

pub async fn mark_all_read(conn: &mut PgConnection, user: Uuid) -> Result<u64, sqlx::Error> {
    Ok(sqlx::query(
        "update notifications set read_at = now()
          where user_id = $1 and channel = 'in_app' and read_at is null and status in ('sent', 'delivered')",
    )
    .bind(user)
    .execute(conn)
    .await?
    .rows_affected())
}

// ---- admin ----

pub struct Filter {
    pub status: Option<String>,
    pub channel: Option<String>,
    pub user_id: Option<Uuid>,
}

pub async fn list(
    conn: &mut PgConnection,
    f: &Filter,
    after: Option<Uuid>,
    limit: i64,
) -> Result<Vec<Notification>, sqlx::Error> {
    sqlx::query_as(AssertSqlSafe(format!(
        "select {COLUMNS} from notifications
          where ($1::text is null or status = $1) and ($2::text is null or channel = $2)
            and ($3::uuid is null or user_id = $3) and ($4::uuid is null or id < $4)
          order by id desc limit $5"
    )))
    .bind(&f.status)
    .bind(&f.channel)
    .bind(f.user_id)
    .bind(after)
    .bind(limit)
    .fetch_all(conn)
    .await
}
