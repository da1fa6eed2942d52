//! `payments`, and the provider events already applied to them.

use serde_json::Value;
use sqlx::{AssertSqlSafe, PgConnection};
use time::OffsetDateTime;
use uuid::Uuid;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PaymentRow {
    pub id: Uuid,
    pub order_id: Uuid,
    pub customer_id: Uuid,
    pub order_number: String,
    pub locale: String,
    pub provider: String,
    pub provider_ref: String,
    pub provider_key: String,
    pub status: String,
    pub amount_minor: i64,
    pub currency: String,
    pub captured_minor: i64,
    pub refunded_minor: i64,
    pub next_action: Option<Value>,
    pub failure_code: Option<String>,
    pub failure_message: Option<String>,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
    pub captured_at: Option<OffsetDateTime>,
}

const COLUMNS: &str =
    "id, order_id, customer_id, order_number, locale, provider, provider_ref, provider_key, status,
    amount_minor, currency::text, captured_minor, refunded_minor, next_action, failure_code,
    failure_message, created_at, updated_at, captured_at";

fn lock_clause(lock: bool) -> &'static str {
    if lock { " for update" } else { "" }
}

pub async fn get(
    conn: &mut PgConnection,
    id: Uuid,
    lock: bool,
) -> Result<Option<PaymentRow>, sqlx::Error> {
    sqlx::query_as(AssertSqlSafe(format!(
        "select {COLUMNS} from payments where id = $1{}",
        lock_clause(lock)
    )))
    .bind(id)
    .fetch_optional(conn)
    .await
}

pub async fn by_reference(
    conn: &mut PgConnection,
    provider: &str,
    reference: &str,
) -> Result<Option<PaymentRow>, sqlx::Error> {
    sqlx::query_as(AssertSqlSafe(format!(
        "select {COLUMNS} from payments where provider = $1 and provider_ref = $2 for update"
    )))
    .bind(provider)
    .bind(reference)
    .fetch_optional(conn)
    .await
}

/// The payment of `order` under way or done, if any.
pub async fn live_for_order(
    conn: &mut PgConnection,
    order: Uuid,
) -> Result<Option<PaymentRow>, sqlx::Error> {
    sqlx::query_as(AssertSqlSafe(format!(
        "select {COLUMNS} from payments where order_id = $1 and status not in ('failed', 'cancelled')"
    )))
    .bind(order)
    .fetch_optional(conn)
    .await
}

pub struct Insert<'a> {
    pub id: Uuid,
    pub order_id: Uuid,
    pub customer_id: Uuid,
    pub order_number: &'a str,
    pub locale: &'a str,
    pub provider: &'a str,
    pub provider_ref: &'a str,
    pub provider_key: &'a str,
    pub status: &'a str,
    pub amount_minor: i64,
    pub currency: &'a str,
    pub captured_minor: i64,
    pub method: Option<&'a str>,
    pub next_action: Option<&'a Value>,
    pub failure_code: Option<&'a str>,
    pub failure_message: Option<&'a str>,
}

pub async fn insert(
    conn: &mut PgConnection,
    tenant: Uuid,
    p: &Insert<'_>,
) -> Result<PaymentRow, sqlx::Error> {
    sqlx::query_as(AssertSqlSafe(format!(
        "insert into payments (id, tenant_id, order_id, customer_id, provider, provider_ref,
                               provider_key, status, amount_minor, currency, captured_minor, method,
                               next_action, failure_code, failure_message, order_number, locale,
                               captured_at)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17,
                 case when $8 = 'captured' then now() end)
         returning {COLUMNS}"
    )))
    .bind(p.id)
    .bind(tenant)
    .bind(p.order_id)
    .bind(p.customer_id)
    .bind(p.provider)
    .bind(p.provider_ref)
    .bind(p.provider_key)
    .bind(p.status)
    .bind(p.amount_minor)
    .bind(p.currency)
    .bind(p.captured_minor)
    .bind(p.method)
    .bind(p.next_action)
    .bind(p.failure_code)
    .bind(
        p.failure_message
            .map(|m| m.chars().take(500).collect::<String>()),
    )
    .bind(p.order_number)
    .bind(p.locale)
    .fetch_one(conn)
    .await
}

pub struct StatusChange<'a> {
    pub status: &'a str,
    pub captured_minor: i64,
    pub next_action: Option<&'a Value>,
    pub failure_code: Option<&'a str>,
    pub failure_message: Option<&'a str>,
}

pub async fn set_status(
    conn: &mut PgConnection,
    id: Uuid,
    c: &StatusChange<'_>,
) -> Result<PaymentRow, sqlx::Error> {
    sqlx::query_as(AssertSqlSafe(format!(
        "update payments set status = $2, captured_minor = $3, next_action = $4,
                failure_code = $5, failure_message = $6,
                captured_at = case when $2 = 'captured' then coalesce(captured_at, now()) else captured_at end
          where id = $1
         returning {COLUMNS}"
    )))
    .bind(id)
    .bind(c.status)
    .bind(c.captured_minor)
    .bind(c.next_action)
    .bind(c.failure_code)
    .bind(c.failure_message.map(|m| m.chars().take(500).collect::<String>()))
    .fetch_one(conn)
    .await
}

/// Reserves `amount` of what was captured for a refund; false when not that much is left.
/// The row is locked by the caller, and the table's check backs the arithmetic.
pub async fn reserve_refund(
    conn: &mut PgConnection,
    id: Uuid,
    amount: i64,
) -> Result<bool, sqlx::Error> {
    Ok(sqlx::query(
        "update payments set refunded_minor = refunded_minor + $2
          where id = $1 and refunded_minor + $2 <= captured_minor",
    )
    .bind(id)
    .bind(amount)
    .execute(conn)
    .await?
    .rows_affected()
        == 1)
}

/// Gives back a reservation whose refund the provider refused.
pub async fn release_refund(
    conn: &mut PgConnection,
    id: Uuid,
    amount: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query("update payments set refunded_minor = refunded_minor - $2 where id = $1")
        .bind(id)
        .bind(amount)
        .execute(conn)
        .await?;
    Ok(())
}

#[derive(Debug, Default, Clone)]
pub struct Filter {
    pub order: Option<Uuid>,
    pub status: Option<String>,
}

/// Newest first; the cursor is the last id (UUIDv7, so time-ordered).
pub async fn list(
    conn: &mut PgConnection,
    f: &Filter,
    after: Option<Uuid>,
    limit: u32,
) -> Result<Vec<PaymentRow>, sqlx::Error> {
    sqlx::query_as(AssertSqlSafe(format!(
        "select {COLUMNS} from payments
          where ($1::uuid is null or order_id = $1) and ($2::text is null or status = $2)
            and ($3::uuid is null or id < $3)
          order by id desc limit $4"
    )))
    .bind(f.order)
    .bind(&f.status)
    .bind(after)
    .bind(i64::from(limit))
    .fetch_all(conn)
    .await
}

/// Records a provider event; false when it was recorded before (a redelivery).
pub async fn first_delivery(
    conn: &mut PgConnection,
    tenant: Uuid,
    provider: &str,
    event_id: &str,
    kind: &str,
) -> Result<bool, sqlx::Error> {
    Ok(sqlx::query(
        "insert into payment_webhook_events (tenant_id, provider, event_id, kind)
         values ($1, $2, $3, $4) on conflict do nothing",
    )
    .bind(tenant)
    .bind(provider)
    .bind(event_id)
    .bind(kind)
    .execute(conn)
    .await?
    .rows_affected()
        == 1)
}
