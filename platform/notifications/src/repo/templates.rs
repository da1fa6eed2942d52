//! `notification_templates`: a tenant's wording replacing the shipped one.

use sqlx::{AssertSqlSafe, PgConnection};
use time::OffsetDateTime;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct TemplateRow {
    pub template: String,
    pub channel: String,
    pub locale: String,
    pub subject: String,
    pub body: String,
    pub html: Option<String>,
    pub updated_at: OffsetDateTime,
}

const COLUMNS: &str = "template, channel, locale, subject, body, html, updated_at";

pub async fn list(conn: &mut PgConnection) -> Result<Vec<TemplateRow>, sqlx::Error> {
    sqlx::query_as(AssertSqlSafe(format!(
        "select {COLUMNS} from notification_templates order by template, channel, locale"
    )))
    .fetch_all(conn)
    .await
}

pub async fn upsert(
    conn: &mut PgConnection,
    tenant: uuid::Uuid,
    row: &TemplateRow,
) -> Result<TemplateRow, sqlx::Error> {
    sqlx::query_as(AssertSqlSafe(format!(
        "insert into notification_templates (tenant_id, template, channel, locale, subject, body, html)
         values ($1, $2, $3, $4, $5, $6, $7)
         on conflict (tenant_id, template, channel, locale) do update
            set subject = excluded.subject, body = excluded.body, html = excluded.html
         returning {COLUMNS}"
    )))
    .bind(tenant)
    .bind(&row.template)
    .bind(&row.channel)
    .bind(&row.locale)
    .bind(&row.subject)
    .bind(&row.body)
    .bind(&row.html)
    .fetch_one(conn)
    .await
}

pub async fn delete(
    conn: &mut PgConnection,
    template: &str,
    channel: &str,
    locale: &str,
) -> Result<bool, sqlx::Error> {
    Ok(sqlx::query(
        "delete from notification_templates where template = $1 and channel = $2 and locale = $3",
    )
    .bind(template)
    .bind(channel)
    .bind(locale)
    .execute(conn)
    .await?
    .rows_affected()
        == 1)
}
