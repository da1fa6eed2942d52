//! `refunds`.

use serde::Serialize;
use sqlx::{AssertSqlSafe, PgConnection};
use time::OffsetDateTime;
use utoipa::ToSchema;
use uuid::Uuid;

/// A refund of all or part of a payment.
#[derive(Debug, Clone, Serialize, ToSchema, sqlx::FromRow)]
pub struct Refund {
    pub id: Uuid,
    pub payment_id: Uuid,
    pub order_id: Uuid,
    /// The vendor's part it refunds, when it is one vendor's.
    pub vendor_order_id: Option<Uuid>,
    pub amount_minor: i64,
    pub currency: String,
    /// `pending`, `succeeded` or `failed`.
    pub status: String,
    pub reason: Option<String>,
    pub provider_ref: Option<String>,
    pub requested_by: Option<Uuid>,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
}

const COLUMNS: &str = "id, payment_id, order_id, vendor_order_id, amount_minor, currency::text,
    status, reason, provider_ref, requested_by, created_at, updated_at";

pub struct Insert<'a> {
    pub id: Uuid,
    pub payment_id: Uuid,
    pub order_id: Uuid,
    pub vendor_order_id: Option<Uuid>,
    pub amount_minor: i64,
    pub currency: &'a str,
    pub status: &'a str,
    pub reason: Option<&'a str>,
    pub provider_ref: &'a str,
    pub requested_by: Option<Uuid>,
}

pub async fn insert(
    conn: &mut PgConnection,
    tenant: Uuid,
    r: &Insert<'_>,
) -> Result<Refund, sqlx::Error> {
    sqlx::query_as(AssertSqlSafe(format!(
        "insert into refunds (id, tenant_id, payment_id, order_id, vendor_order_id, amount_minor,
                              currency, status, reason, provider_ref, requested_by)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
         returning {COLUMNS}"
    )))
    .bind(r.id)
    .bind(tenant)
    .bind(r.payment_id)
    .bind(r.order_id)
    .bind(r.vendor_order_id)
    .bind(r.amount_minor)
    .bind(r.currency)
    .bind(r.status)
    .bind(r.reason)
    .bind(r.provider_ref)
    .bind(r.requested_by)
    .fetch_one(conn)
    .await
}

pub async fn of_payment(
    conn: &mut PgConnection,
    payment: Uuid,
) -> Result<Vec<Refund>, sqlx::Error> {
    sqlx::query_as(AssertSqlSafe(format!(
        "select {COLUMNS} from refunds where payment_id = $1 order by id"
    )))
    .bind(payment)
    .fetch_all(conn)
    .await
}

pub async fn by_reference(
    conn: &mut PgConnection,
    reference: &str,
) -> Result<Option<Refund>, sqlx::Error> {
    sqlx::query_as(AssertSqlSafe(format!(
        "select {COLUMNS} from refunds where provider_ref = $1 for update"
    )))
    .bind(reference)
    .fetch_optional(conn)
    .await
}

pub async fn set_status(
    conn: &mut PgConnection,
    id: Uuid,
    status: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query("update refunds set status = $2 where id = $1")
        .bind(id)
        .bind(status)
        .execute(conn)
        .await?;
    Ok(())
}

/// What is refunded or on its way back (not failed) for one vendor's part.
pub async fn committed_for_part(
    conn: &mut PgConnection,
    vendor_order: Uuid,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        "select coalesce(sum(amount_minor), 0)::bigint from refunds
          where vendor_order_id = $1 and status <> 'failed'",
    )
    .bind(vendor_order)
    .fetch_one(conn)
    .await
}

/// Refunded for good, in total and per vendor part, for the order's status.
pub async fn succeeded_of_payment(
    conn: &mut PgConnection,
    payment: Uuid,
) -> Result<(i64, Vec<(Uuid, i64)>), sqlx::Error> {
    let rows: Vec<(Option<Uuid>, i64)> = sqlx::query_as(
        "select vendor_order_id, sum(amount_minor)::bigint from refunds
          where payment_id = $1 and status = 'succeeded' group by vendor_order_id",
    )
    .bind(payment)
    .fetch_all(conn)
    .await?;
    let total = rows.iter().map(|(_, a)| a).sum();
    let parts = rows
        .into_iter()
        .filter_map(|(vo, a)| vo.map(|vo| (vo, a)))
        .collect();
    Ok((total, parts))
}
