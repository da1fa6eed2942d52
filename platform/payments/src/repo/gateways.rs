//! `payment_gateways` and `payment_settings`.

use serde_json::Value;
use sqlx::{AssertSqlSafe, PgConnection};
use time::OffsetDateTime;
use uuid::Uuid;

/// The sealing context of a gateway's credentials: they open for this tenant and provider only.
pub fn credentials_context(tenant: Uuid, provider: &str) -> String {
    format!("payment_gateways/{tenant}/{provider}")
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct GatewayRow {
    pub provider: String,
    pub enabled: bool,
    pub is_default: bool,
    pub settings: Value,
    pub credentials_sealed: Option<Vec<u8>>,
    pub credentials_hint: Value,
    pub updated_at: OffsetDateTime,
}

const COLUMNS: &str =
    "provider, enabled, is_default, settings, credentials_sealed, credentials_hint, updated_at";

pub async fn list(conn: &mut PgConnection) -> Result<Vec<GatewayRow>, sqlx::Error> {
    sqlx::query_as(AssertSqlSafe(format!(
        "select {COLUMNS} from payment_gateways order by is_default desc, provider"
    )))
    .fetch_all(conn)
    .await
}

pub async fn get(
    conn: &mut PgConnection,
    provider: &str,
) -> Result<Option<GatewayRow>, sqlx::Error> {
    sqlx::query_as(AssertSqlSafe(format!(
        "select {COLUMNS} from payment_gateways where provider = $1"
    )))
    .bind(provider)
    .fetch_optional(conn)
    .await
}

/// The tenant's enabled gateways, default first, whoever asks (`payment_gateways_of_tenant`):
/// `provider`, else the default one (or the first enabled).
pub async fn enabled(
    conn: &mut PgConnection,
    provider: Option<&str>,
) -> Result<Vec<GatewayRow>, sqlx::Error> {
    sqlx::query_as(AssertSqlSafe(format!(
        "select {COLUMNS} from payment_gateways_of_tenant()
          where enabled and ($1::text is null or provider = $1)"
    )))
    .bind(provider)
    .fetch_all(conn)
    .await
}

pub struct Upsert<'a> {
    pub provider: &'a str,
    pub enabled: bool,
    pub is_default: bool,
    pub settings: &'a Value,
    pub sealed: &'a [u8],
    pub hint: &'a Value,
}

/// Saves a gateway; making it the default takes the flag from the previous one.
pub async fn upsert(
    conn: &mut PgConnection,
    tenant: Uuid,
    u: &Upsert<'_>,
) -> Result<GatewayRow, sqlx::Error> {
    if u.is_default {
        sqlx::query(
            "update payment_gateways set is_default = false where is_default and provider <> $1",
        )
        .bind(u.provider)
        .execute(&mut *conn)
        .await?;
    }
    sqlx::query_as(AssertSqlSafe(format!(
        "insert into payment_gateways (tenant_id, provider, enabled, is_default, settings,
                                       credentials_sealed, credentials_hint)
         values ($1, $2, $3, $4, $5, $6, $7)
         on conflict (tenant_id, provider) do update
            set enabled = excluded.enabled, is_default = excluded.is_default,
                settings = excluded.settings, credentials_sealed = excluded.credentials_sealed,
                credentials_hint = excluded.credentials_hint
         returning {COLUMNS}"
    )))
    .bind(tenant)
    .bind(u.provider)
    .bind(u.enabled)
    .bind(u.is_default)
    .bind(u.settings)
    .bind(u.sealed)
    .bind(u.hint)
    .fetch_one(conn)
    .await
}

pub async fn delete(conn: &mut PgConnection, provider: &str) -> Result<bool, sqlx::Error> {
    Ok(
        sqlx::query("delete from payment_gateways where provider = $1")
            .bind(provider)
            .execute(conn)
            .await?
            .rows_affected()
            == 1,
    )
}

/// Whether vendors may refund their own part of an order (off unless an admin allowed it).
pub async fn vendor_refunds(conn: &mut PgConnection) -> Result<bool, sqlx::Error> {
    Ok(
        sqlx::query_scalar::<_, bool>("select vendor_refunds from payment_settings")
            .fetch_optional(conn)
            .await?
            .unwrap_or(false),
    )
}

pub async fn set_vendor_refunds(
    conn: &mut PgConnection,
    tenant: Uuid,
    allowed: bool,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "insert into payment_settings (tenant_id, vendor_refunds) values ($1, $2)
         on conflict (tenant_id) do update set vendor_refunds = excluded.vendor_refunds",
    )
    .bind(tenant)
    .bind(allowed)
    .execute(conn)
    .await?;
    Ok(())
}
