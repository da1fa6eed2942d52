//! What other crates may call: the server runs the expiry sweep; the payment service reads
//! orders it charges for and reports payments and refunds, inside its own transaction.

use std::time::Duration;

use kernel::{ApiError, AppState};
use products::api::stock;
use uuid::Uuid;

pub use crate::domain::Status;

use crate::{
    domain::Actor,
    workflow::{self, Transition},
};

/// Cancels up to `limit` unpaid orders past their deadline, in every tenant, releasing their
/// stock. Returns how many it cancelled.
///
/// Each order is cancelled in its own transaction scoped to its tenant and its customer: the
/// sweep does nothing the customer could not do (cancel their own unpaid order), so it needs no
/// way around row-level security. The order row lock makes a racing cancel or payment wait, and
/// the state is checked again under it.
pub async fn expire_due(state: &AppState, limit: i32) -> Result<usize, ApiError> {
    let mut tx = state.db.begin_platform().await?;
    let due: Vec<(Uuid, Uuid, Uuid)> =
        sqlx::query_as("select tenant_id, order_id, customer_id from orders_expired($1)")
            .bind(limit)
            .fetch_all(tx.conn())
            .await?;
    tx.commit().await?;
    let mut expired = 0;
    for (tenant, order, customer) in due {
        let mut tx = state.db.begin_scoped(tenant, Some(customer)).await?;
        let still_due: Option<bool> = sqlx::query_scalar(
            "select status = 'pending_payment' and expires_at <= now() from orders where id = $1 for update",
        )
        .bind(order)
        .fetch_optional(tx.conn())
        .await?;
        if still_due != Some(true) {
            continue;
        }
        let applied = workflow::apply(
            tx.conn(),
            tenant,
            &Transition {
                order,
                vendor_order: None,
                to: Status::Cancelled,
                actor: Actor::System,
                actor_id: None,
                reason: Some("expired"),
            },
        )
        .await?;
        tx.commit().await?;
        if applied.availability_changed {
            stock::availability_changed(state, tenant).await;
        }
        expired += 1;
    }
    Ok(expired)
}

/// [`expire_due`] in batches until nothing is due; returns how many orders it cancelled.
pub async fn expire_all(state: &AppState) -> Result<usize, ApiError> {
    const BATCH: i32 = 100;
    let mut total = 0;
    loop {
        let n = expire_due(state, BATCH).await?;
        total += n;
        if n < BATCH as usize {
            return Ok(total);
        }
    }
}

/// Runs [`expire_all`] every `every` until the process ends (`gamarriando serve` spawns it).
pub async fn run_expiry(state: AppState, every: Duration) {
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        match expire_all(&state).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(expired = n, "unpaid orders expired"),
            Err(e) => tracing::warn!(error = %e, "order expiry failed"),
        }
    }
}

/// What the payment service needs of an order to charge for it.
#[derive(Clone, Debug)]
pub struct Payable {
    pub id: Uuid,
    pub number: String,
    pub customer_id: Uuid,
    pub status: Status,
    pub total_minor: i64,
    pub currency: String,
    pub locale: String,
    pub expires_at: time::OffsetDateTime,
    pub refunded_minor: i64,
}

/// One vendor's part of an order, as refunds see it.
#[derive(Clone, Debug)]
pub struct Part {
    pub id: Uuid,
    pub vendor_id: Uuid,
    pub status: Status,
    pub total_minor: i64,
}

/// The order as the caller may see it (row-level security decides), locked for the rest of the
/// caller's transaction when `lock`.
pub async fn payable(
    conn: &mut sqlx::PgConnection,
    order: Uuid,
    lock: bool,
) -> Result<Option<Payable>, ApiError> {
    let Some(o) = crate::repo::orders::get(conn, order, lock).await? else {
        return Ok(None);
    };
    Ok(Some(Payable {
        id: o.id,
        number: o.number,
        customer_id: o.customer_id,
        status: workflow::parse(&o.status)?,
        total_minor: o.total_minor,
        currency: o.currency,
        locale: o.locale,
        expires_at: o.expires_at,
        refunded_minor: o.refunded_minor,
    }))
}

/// The vendor orders of `order` the caller may see.
pub async fn parts(conn: &mut sqlx::PgConnection, order: Uuid) -> Result<Vec<Part>, ApiError> {
    crate::repo::orders::vendor_orders_of(conn, order)
        .await?
        .into_iter()
        .map(|vo| {
            Ok(Part {
                id: vo.id,
                vendor_id: vo.vendor_id,
                status: workflow::parse(&vo.status)?,
                total_minor: vo.total_minor,
            })
        })
        .collect()
}

/// What recording a payment did to its order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PaidOutcome {
    /// The order moved to `paid` (its stock reservation became a sale).
    Paid,
    /// It was already paid or beyond: a repeated confirmation.
    AlreadyPaid,
    /// It can no longer be paid (cancelled, expired and swept): the money must go back.
    NotPayable,
}

/// The payment service confirms that `order` is paid, inside its transaction (scoped to the
/// order's tenant). Idempotent: a second confirmation changes nothing.
pub async fn record_payment(
    conn: &mut sqlx::PgConnection,
    tenant: Uuid,
    order: Uuid,
) -> Result<PaidOutcome, ApiError> {
    let current = payable(conn, order, true)
        .await?
        .ok_or(ApiError::NotFound)?;
    match current.status {
        Status::PendingPayment => {}
        Status::Cancelled => return Ok(PaidOutcome::NotPayable),
        _ => return Ok(PaidOutcome::AlreadyPaid),
    }
    workflow::apply(
        conn,
        tenant,
        &Transition {
            order,
            vendor_order: None,
            to: Status::Paid,
            actor: Actor::System,
            actor_id: None,
            reason: Some("payment captured"),
        },
    )
    .await?;
    Ok(PaidOutcome::Paid)
}

/// The payment service refunded money of `order`: `refunded_minor` is everything refunded on it
/// so far and `whole_parts` the vendor orders now refunded in full. Parts refunded in full move
/// to `refunded` (every live part once the whole total is back); a refund that completes no part
/// leaves the order `partially_refunded`. Idempotent: amounts are totals, not increments.
pub async fn record_refund(
    conn: &mut sqlx::PgConnection,
    tenant: Uuid,
    order: Uuid,
    refunded_minor: i64,
    whole_parts: &[Uuid],
) -> Result<(), ApiError> {
    let current = payable(conn, order, true)
        .await?
        .ok_or(ApiError::NotFound)?;
    sqlx::query("update orders set refunded_minor = greatest(refunded_minor, $2) where id = $1")
        .bind(order)
        .bind(refunded_minor)
        .execute(&mut *conn)
        .await?;
    let all = refunded_minor >= current.total_minor;
    let targets: Vec<Uuid> = parts(conn, order)
        .await?
        .into_iter()
        .filter(|p| p.status.can_become(Status::Refunded))
        .filter(|p| all || whole_parts.contains(&p.id))
        .map(|p| p.id)
        .collect();
    for vendor_order in &targets {
        workflow::apply(
            conn,
            tenant,
            &Transition {
                order,
                vendor_order: Some(*vendor_order),
                to: Status::Refunded,
                actor: Actor::System,
                actor_id: None,
                reason: Some("refunded"),
            },
        )
        .await?;
    }
    if targets.is_empty()
        && refunded_minor > 0
        && !matches!(
            current.status,
            Status::PartiallyRefunded | Status::Refunded | Status::Cancelled
        )
    {
        workflow::mark_partially_refunded(conn, tenant, order, current.status).await?;
    }
    Ok(())
}
