//! `payment_transactions`: the append-only ledger (the table refuses updates and deletes).

use serde::Serialize;
use sqlx::PgConnection;
use time::OffsetDateTime;
use utoipa::ToSchema;
use uuid::Uuid;

/// One money movement as it happened.
#[derive(Debug, Clone, Serialize, ToSchema, sqlx::FromRow)]
pub struct LedgerEntry {
    pub id: Uuid,
    pub payment_id: Uuid,
    pub refund_id: Option<Uuid>,
    /// `authorization`, `capture`, `refund`, `failure` or `cancellation`.
    pub kind: String,
    pub amount_minor: i64,
    pub currency: String,
    pub provider: String,
    pub provider_ref: Option<String>,
    pub provider_event_id: Option<String>,
    pub detail: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

pub struct NewLedgerEntry<'a> {
    pub payment_id: Uuid,
    pub refund_id: Option<Uuid>,
    pub kind: &'a str,
    pub amount_minor: i64,
    pub currency: &'a str,
    pub provider: &'a str,
    pub provider_ref: Option<&'a str>,
    pub provider_event_id: Option<&'a str>,
    pub detail: Option<&'a str>,
}

pub async fn append(
    conn: &mut PgConnection,
    tenant: Uuid,
    e: &NewLedgerEntry<'_>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "insert into payment_transactions (id, tenant_id, payment_id, refund_id, kind, amount_minor,
                                           currency, provider, provider_ref, provider_event_id, detail)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
    )
    .bind(Uuid::now_v7())
    .bind(tenant)
    .bind(e.payment_id)
    .bind(e.refund_id)
    .bind(e.kind)
    .bind(e.amount_minor)
    .bind(e.currency)
    .bind(e.provider)
    .bind(e.provider_ref)
    .bind(e.provider_event_id)
    .bind(e.detail.map(|d| d.chars().take(500).collect::<String>()))
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn of_payment(
    conn: &mut PgConnection,
    payment: Uuid,
) -> Result<Vec<LedgerEntry>, sqlx::Error> {
    sqlx::query_as(
        "select id, payment_id, refund_id, kind, amount_minor, currency::text, provider, provider_ref,
                provider_event_id, detail, created_at
           from payment_transactions where payment_id = $1 order by id",
    )
    .bind(payment)
    .fetch_all(conn)
    .await
}
