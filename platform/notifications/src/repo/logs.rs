//! `notification_logs`: every delivery attempt and provider report.

use sqlx::PgConnection;
use time::OffsetDateTime;
use uuid::Uuid;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct LogRow {
    pub attempt: i32,
    pub provider: String,
    pub status: String,
    pub provider_message_id: Option<String>,
    pub error: Option<String>,
    pub created_at: OffsetDateTime,
}

pub struct NewLog<'a> {
    pub notification_id: Uuid,
    pub attempt: i32,
    pub channel: &'a str,
    pub provider: &'a str,
    pub status: &'a str,
    pub provider_message_id: Option<&'a str>,
    pub error: Option<&'a str>,
}

pub async fn insert(
    conn: &mut PgConnection,
    tenant: Uuid,
    l: &NewLog<'_>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "insert into notification_logs (id, tenant_id, notification_id, attempt, channel, provider,
                status, provider_message_id, error)
         values ($1, $2, $3, $4, $5, $6, $7, $8, left($9, 2000))",
    )
    .bind(Uuid::now_v7())
    .bind(tenant)
    .bind(l.notification_id)
    .bind(l.attempt)
    .bind(l.channel)
    .bind(l.provider)
    .bind(l.status)
    .bind(l.provider_message_id)
    .bind(l.error)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn of(conn: &mut PgConnection, notification: Uuid) -> Result<Vec<LogRow>, sqlx::Error> {
    sqlx::query_as(
        "select attempt, provider, status, provider_message_id, error, created_at
           from notification_logs where notification_id = $1 order by id",
    )
    .bind(notification)
    .fetch_all(conn)
    .await
}
