//! `notification_channels`: a tenant's provider per channel, its credential sealed.

use serde_json::Value;
use sqlx::{AssertSqlSafe, PgConnection};
use time::OffsetDateTime;

/// The sealing context of a channel's credential (`secret_sealed`): it opens for this tenant and
/// channel only.
pub fn secret_context(tenant: uuid::Uuid, channel: &str) -> String {
    format!("notification_channels/{tenant}/{channel}")
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ChannelRow {
    pub channel: String,
    pub provider: String,
    pub settings: Value,
    pub secret_sealed: Option<Vec<u8>>,
    pub secret_hint: Option<String>,
    pub enabled: bool,
    pub updated_at: OffsetDateTime,
}

const COLUMNS: &str =
    "channel, provider, settings, secret_sealed, secret_hint, enabled, updated_at";

pub async fn list(conn: &mut PgConnection) -> Result<Vec<ChannelRow>, sqlx::Error> {
    sqlx::query_as(AssertSqlSafe(format!(
        "select {COLUMNS} from notification_channels order by channel"
    )))
    .fetch_all(conn)
    .await
}

pub async fn get(
    conn: &mut PgConnection,
    channel: &str,
) -> Result<Option<ChannelRow>, sqlx::Error> {
    sqlx::query_as(AssertSqlSafe(format!(
        "select {COLUMNS} from notification_channels where channel = $1"
    )))
    .bind(channel)
    .fetch_optional(conn)
    .await
}

pub struct Upsert<'a> {
    pub channel: &'a str,
    pub provider: &'a str,
    pub settings: &'a Value,
    /// `None`: keep the stored secret (when the provider is unchanged).
    pub secret: Option<(Vec<u8>, String)>,
    pub enabled: bool,
}

pub async fn upsert(
    conn: &mut PgConnection,
    tenant: uuid::Uuid,
    u: &Upsert<'_>,
) -> Result<ChannelRow, sqlx::Error> {
    let (sealed, hint) = match &u.secret {
        Some((s, h)) => (Some(s.as_slice()), Some(h.as_str())),
        None => (None, None),
    };
    sqlx::query_as(AssertSqlSafe(format!(
        "insert into notification_channels (tenant_id, channel, provider, settings, secret_sealed, secret_hint, enabled)
         values ($1, $2, $3, $4, $5, $6, $7)
         on conflict (tenant_id, channel) do update
            set provider = excluded.provider, settings = excluded.settings, enabled = excluded.enabled,
                secret_sealed = case when $8 then excluded.secret_sealed else notification_channels.secret_sealed end,
                secret_hint = case when $8 then excluded.secret_hint else notification_channels.secret_hint end
         returning {COLUMNS}"
    )))
    .bind(tenant)
    .bind(u.channel)
    .bind(u.provider)
    .bind(u.settings)
    .bind(sealed)
    .bind(hint)
    .bind(u.enabled)
    .bind(u.secret.is_some())
    .fetch_one(conn)
    .await
}

pub async fn insert_if_absent(
    conn: &mut PgConnection,
    tenant: uuid::Uuid,
    channel: &str,
    provider: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "insert into notification_channels (tenant_id, channel, provider) values ($1, $2, $3)
         on conflict (tenant_id, channel) do nothing",
    )
    .bind(tenant)
    .bind(channel)
    .bind(provider)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn delete(conn: &mut PgConnection, channel: &str) -> Result<bool, sqlx::Error> {
    Ok(
        sqlx::query("delete from notification_channels where channel = $1")
            .bind(channel)
            .execute(conn)
            .await?
            .rows_affected()
            == 1,
    )
}
