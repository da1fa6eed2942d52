//! What other crates may call: the server runs the expiry sweep.

use std::time::Duration;

use kernel::{ApiError, AppState};
use products::api::stock;
use uuid::Uuid;

use crate::{
    domain::{Actor, Status},
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
