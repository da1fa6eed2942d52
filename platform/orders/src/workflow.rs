//! Applying a status change: the one path every move takes (a vendor shipping, a customer
//! cancelling, an admin marking paid, the expiry sweep), so each is checked, moves stock, is
//! recorded and announced the same way.
//!
//! The order row is locked first (`FOR UPDATE`): changes to one order apply one after the
//! other, so two racing cancels (or a cancel and the expiry sweep) cannot both release stock —
//! the second finds the order cancelled and gets 409.

use std::collections::HashMap;

use kernel::{
    ApiError,
    outbox::{self, Event},
};
use products::api::stock::{self, Line};
use serde_json::json;
use sqlx::PgConnection;
use uuid::Uuid;

use crate::{
    domain::{Actor, Status, StockMove},
    repo::{
        self,
        orders::{Change, OrderRow},
    },
};

/// A move asked for.
pub struct Transition<'a> {
    pub order: Uuid,
    /// One vendor's part; `None` moves every part of the order that is not cancelled.
    pub vendor_order: Option<Uuid>,
    pub to: Status,
    pub actor: Actor,
    /// Who, when a person; `None` for the platform.
    pub actor_id: Option<Uuid>,
    pub reason: Option<&'a str>,
}

/// What a move did.
pub struct Applied {
    pub order: OrderRow,
    /// A variant sold out or came back: cached catalogue pages must go
    /// ([`stock::availability_changed`] after commit).
    pub availability_changed: bool,
}

pub const TRANSITION_INVALID: ApiError = ApiError::conflict("order_transition_invalid");

pub async fn apply(
    conn: &mut PgConnection,
    tenant: Uuid,
    t: &Transition<'_>,
) -> Result<Applied, ApiError> {
    let mut order = repo::orders::get(conn, t.order, true)
        .await?
        .ok_or(ApiError::NotFound)?;
    let visible = repo::orders::vendor_orders_of(conn, order.id).await?;
    let targets: Vec<_> = match t.vendor_order {
        Some(id) => vec![
            visible
                .into_iter()
                .find(|vo| vo.id == id)
                .ok_or(ApiError::NotFound)?,
        ],
        None => visible
            .into_iter()
            .filter(|vo| vo.status != Status::Cancelled.as_str())
            .collect(),
    };
    if targets.is_empty() {
        return Err(TRANSITION_INVALID);
    }
    // A payment the provider confirmed is accepted while the order still waits for it (the row
    // lock keeps the sweep out); anyone else marking paid must beat the deadline.
    if t.to == Status::Paid
        && t.actor != Actor::System
        && order.expires_at <= time::OffsetDateTime::now_utc()
    {
        return Err(ApiError::conflict("order_expired"));
    }

    let mut moves: HashMap<StockMove, Vec<Uuid>> = HashMap::new();
    let mut changes = Vec::new();
    for vo in &targets {
        let from = parse(&vo.status)?;
        if !from.allows(t.to, t.actor) {
            return Err(TRANSITION_INVALID);
        }
        if let Some(m) = from.stock_move(t.to) {
            moves.entry(m).or_default().push(vo.id);
        }
        changes.push(Change {
            vendor_order: Some((vo.id, vo.vendor_id)),
            from,
            to: t.to,
        });
    }

    let mut availability_changed = false;
    for (m, vendor_orders) in moves {
        let lines = lines_of(conn, &vendor_orders).await?;
        let note = format!("order {}", order.number);
        let levels = match m {
            StockMove::Commit => {
                stock::commit(conn, &lines, &note).await?;
                Vec::new()
            }
            StockMove::Release => stock::release(conn, &lines).await?,
            StockMove::Restock => stock::restock(conn, &lines, &note).await?,
        };
        // Available before the move was zero: the variant is back on sale.
        availability_changed |= levels.iter().any(|l| {
            lines
                .iter()
                .any(|x| x.variant_id == l.variant_id && l.available - x.quantity <= 0)
        });
    }

    // The order's status follows from every part's, the other vendors' included.
    let mut parts: Vec<(Uuid, String)> =
        sqlx::query_as("select vendor_order_id, status from order_part_statuses($1)")
            .bind(order.id)
            .fetch_all(&mut *conn)
            .await?;
    for (id, status) in &mut parts {
        if targets.iter().any(|vo| vo.id == *id) {
            *status = t.to.as_str().to_string();
        }
    }
    let parts: Vec<Status> = parts
        .iter()
        .map(|(_, s)| parse(s))
        .collect::<Result<_, _>>()?;
    let derived = Status::derive(&parts, order.refunded_minor > 0);
    let before = parse(&order.status)?;
    if derived != before {
        changes.push(Change {
            vendor_order: None,
            from: before,
            to: derived,
        });
    }
    repo::orders::record_changes(
        conn,
        tenant,
        &order,
        &changes,
        t.actor_id,
        t.actor.as_str(),
        t.reason,
    )
    .await?;

    let event = Event::new(
        format!("order.{}", t.to.as_str()),
        order.id,
        json!({
            "order_id": order.id,
            "number": order.number,
            "customer_id": order.customer_id,
            "status": derived,
            "vendor_order_ids": targets.iter().map(|vo| vo.id).collect::<Vec<_>>(),
            "vendor_ids": targets.iter().map(|vo| vo.vendor_id).collect::<Vec<_>>(),
            "whole_order": t.vendor_order.is_none(),
            "actor": t.actor.as_str(),
            "reason": t.reason,
            "total_minor": order.total_minor,
            "currency": order.currency,
            "locale": order.locale,
        }),
    );
    outbox::emit(conn, tenant, &event).await?;

    order = repo::orders::get(conn, order.id, false)
        .await?
        .ok_or(ApiError::NotFound)?;
    Ok(Applied {
        order,
        availability_changed,
    })
}

/// Money came back without completing any vendor's part: the order (not its parts) says so.
pub async fn mark_partially_refunded(
    conn: &mut PgConnection,
    tenant: Uuid,
    order: Uuid,
    from: Status,
) -> Result<(), ApiError> {
    let row = repo::orders::get(conn, order, true)
        .await?
        .ok_or(ApiError::NotFound)?;
    let change = Change {
        vendor_order: None,
        from,
        to: Status::PartiallyRefunded,
    };
    repo::orders::record_changes(
        conn,
        tenant,
        &row,
        &[change],
        None,
        "system",
        Some("refunded"),
    )
    .await?;
    let event = Event::new(
        "order.partially_refunded",
        order,
        json!({
            "order_id": order,
            "number": row.number,
            "customer_id": row.customer_id,
            "status": Status::PartiallyRefunded,
            "refunded_minor": row.refunded_minor,
            "total_minor": row.total_minor,
            "currency": row.currency,
            "locale": row.locale,
        }),
    );
    outbox::emit(conn, tenant, &event).await?;
    Ok(())
}

/// Units per variant of the given vendor orders' items.
async fn lines_of(conn: &mut PgConnection, vendor_orders: &[Uuid]) -> Result<Vec<Line>, ApiError> {
    let mut lines: Vec<Line> = Vec::new();
    for item in repo::orders::items(conn, vendor_orders).await? {
        match lines.iter_mut().find(|l| l.variant_id == item.variant_id) {
            Some(l) => l.quantity += item.quantity,
            None => lines.push(Line {
                variant_id: item.variant_id,
                quantity: item.quantity,
            }),
        }
    }
    Ok(lines)
}

pub fn parse(s: &str) -> Result<Status, ApiError> {
    Status::parse(s).ok_or_else(|| ApiError::internal(anyhow::anyhow!("unknown status {s}")))
}
