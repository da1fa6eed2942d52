//! Stock for orders: what a variant sells for, and the reservation that checkout, payment and
//! cancellation move inside the order service's own transaction.
//!
//! A checkout *reserves* (`reserved += q`, so `on_hand - reserved` can never be oversold); a
//! payment *commits* the reservation (the units leave `on_hand`, the stock history says `sold`);
//! cancelling an unpaid order *releases* it, and cancelling a paid one before shipping *restocks*.
//! Customers may not write inventory (row-level security lets only a product's vendor and the
//! admins do that), so the moves are SECURITY DEFINER functions (migration 0008) bound to the
//! caller's tenant. Each locks its stock rows in variant-id order, so concurrent checkouts over
//! overlapping variants queue rather than deadlock.

use kernel::{ApiError, AppState, db::TenantTx, i18n::Locale};
use serde_json::Value;
use sqlx::{FromRow, PgConnection, Row, postgres::PgDatabaseError};
use uuid::Uuid;

use crate::cache;

/// A variant as a buyer may order it now, read with the caller's rights: variants of drafts,
/// archived products or vendors that are not approved are not offers.
#[derive(Clone, Debug, FromRow)]
pub struct Offer {
    pub variant_id: Uuid,
    pub product_id: Uuid,
    pub vendor_id: Uuid,
    pub vendor_name: String,
    /// The vendor's flat shipping rate per order, in minor units.
    pub shipping_rate_minor: i64,
    pub sku: String,
    /// The product title in the requested locale (the base title when there is no translation).
    pub title: String,
    pub variant_title: Option<String>,
    pub options: Value,
    pub price_minor: i64,
    pub currency: String,
    /// On hand minus reserved.
    pub available: i32,
}

/// The offers among `variants` (unknown, hidden or unsellable ones are simply absent).
pub async fn offers(
    conn: &mut PgConnection,
    variants: &[Uuid],
    locale: Locale,
) -> Result<Vec<Offer>, ApiError> {
    Ok(sqlx::query_as(
        "select v.id as variant_id, p.id as product_id, p.vendor_id, vd.name as vendor_name,
                vd.shipping_rate_minor, v.sku::text as sku, coalesce(t.title, p.title) as title,
                v.title as variant_title, v.options, v.price_minor, v.currency::text as currency,
                coalesce(i.on_hand - i.reserved, 0) as available
           from product_variants v
           join products p on p.id = v.product_id and p.status = 'active'
           join vendors vd on vd.id = p.vendor_id and vd.status = 'approved'
           left join product_translations t on t.product_id = p.id and t.locale = $2
           left join inventory i on i.variant_id = v.id
          where v.id = any($1)",
    )
    .bind(variants)
    .bind(locale.as_str())
    .fetch_all(conn)
    .await?)
}

/// One line of a stock move.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Line {
    pub variant_id: Uuid,
    pub quantity: i32,
}

/// A line that could not be reserved, with what can be sold of it now.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shortage {
    pub variant_id: Uuid,
    pub requested: i32,
    pub available: i32,
}

/// What can be sold of a variant after a move.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Level {
    pub variant_id: Uuid,
    pub available: i32,
}

fn columns(lines: &[Line]) -> (Vec<Uuid>, Vec<i32>) {
    lines.iter().map(|l| (l.variant_id, l.quantity)).unzip()
}

/// The SQLSTATE `inventory_reserve` raises when a line is short; its detail lists the short
/// lines as JSON `[[variant_id, requested, available], …]`.
const SHORT: &str = "GM409";

/// Reserves every line or none as the last step of `tx`, and commits it: `Err` lists the short
/// lines, and then nothing was reserved and `tx` rolled back. Quantities must be positive; lines
/// of the same variant are added up (one level per variant).
///
/// One round trip for both ([`TenantTx::commit_after`]): the stock rows stay locked only while
/// the reservation runs and the commit is flushed, which bounds how many orders a single
/// popular variant can take per second.
pub async fn reserve_and_commit(
    tx: TenantTx,
    lines: &[Line],
) -> Result<Result<Vec<Level>, Vec<Shortage>>, ApiError> {
    // Uuid's Display is hex and dashes, and quantities are integers: nothing here can inject.
    let variants: Vec<String> = lines.iter().map(|l| l.variant_id.to_string()).collect();
    let quantities: Vec<String> = lines.iter().map(|l| l.quantity.to_string()).collect();
    let sql = format!(
        "select variant_id, available from inventory_reserve('{{{}}}'::uuid[], '{{{}}}'::integer[])",
        variants.join(","),
        quantities.join(","),
    );
    match tx.commit_after(&sql).await {
        Ok(rows) => rows
            .iter()
            .map(|r| {
                Ok(Level {
                    variant_id: r.try_get(0)?,
                    available: r.try_get(1)?,
                })
            })
            .collect::<Result<_, sqlx::Error>>()
            .map(Ok)
            .map_err(ApiError::from),
        Err(sqlx::Error::Database(e)) if e.code().as_deref() == Some(SHORT) => {
            let detail = e
                .try_downcast_ref::<PgDatabaseError>()
                .and_then(|e| e.detail())
                .unwrap_or_default();
            let short: Vec<(Uuid, i32, i32)> =
                serde_json::from_str(detail).map_err(ApiError::internal)?;
            Ok(Err(short
                .into_iter()
                .map(|(variant_id, requested, available)| Shortage {
                    variant_id,
                    requested,
                    available,
                })
                .collect()))
        }
        Err(e) => Err(e.into()),
    }
}

/// Gives back what `lines` held (an unpaid order cancelled or expired).
pub async fn release(conn: &mut PgConnection, lines: &[Line]) -> Result<Vec<Level>, ApiError> {
    let (variants, quantities) = columns(lines);
    let rows = sqlx::query_as("select variant_id, available from inventory_release($1, $2)")
        .bind(&variants)
        .bind(&quantities)
        .fetch_all(conn)
        .await?;
    Ok(levels(rows))
}

/// Turns the reservation of `lines` into a sale (the order was paid); `note` goes to the stock
/// history (the order number).
pub async fn commit(conn: &mut PgConnection, lines: &[Line], note: &str) -> Result<(), ApiError> {
    let (variants, quantities) = columns(lines);
    sqlx::query("select inventory_commit($1, $2, $3)")
        .bind(&variants)
        .bind(&quantities)
        .bind(note)
        .execute(conn)
        .await?;
    Ok(())
}

/// Puts sold units back on hand (a paid order cancelled before shipping).
pub async fn restock(
    conn: &mut PgConnection,
    lines: &[Line],
    note: &str,
) -> Result<Vec<Level>, ApiError> {
    let (variants, quantities) = columns(lines);
    let rows = sqlx::query_as("select variant_id, available from inventory_restock($1, $2, $3)")
        .bind(&variants)
        .bind(&quantities)
        .bind(note)
        .fetch_all(conn)
        .await?;
    Ok(levels(rows))
}

fn levels(rows: Vec<(Uuid, i32)>) -> Vec<Level> {
    rows.into_iter()
        .map(|(variant_id, available)| Level {
            variant_id,
            available,
        })
        .collect()
}

/// Call after a committed stock move that sold a variant out or brought one back: cached
/// catalogue pages show availability, so they are dropped. Other moves leave the pages (at most
/// [`cache::TTL`] stale on counts; checkout always reads the database).
pub async fn availability_changed(state: &AppState, tenant: Uuid) {
    cache::invalidate(state, tenant).await;
}
