//! What the API answers with, and how an order is read back for each party: a customer or an
//! admin sees the whole order; a vendor sees only its part and the address to ship it to.

use kernel::ApiError;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sqlx::PgConnection;
use time::OffsetDateTime;
use users::api::PostalAddress;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::{
    domain::Status,
    repo::{
        self,
        orders::{HistoryRow, ItemRow, NewOrder, OrderRow, VendorOrderRow},
        tracking::{EventRow, TrackingRow},
    },
    workflow::parse,
};

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct OrderItem {
    pub id: Uuid,
    pub product_id: Uuid,
    pub variant_id: Uuid,
    pub sku: String,
    /// The product title when the order was placed.
    pub title: String,
    pub variant_title: Option<String>,
    pub options: Value,
    pub unit_price_minor: i64,
    pub quantity: i32,
    pub total_minor: i64,
}

impl From<ItemRow> for OrderItem {
    fn from(r: ItemRow) -> Self {
        Self {
            id: r.id,
            product_id: r.product_id,
            variant_id: r.variant_id,
            sku: r.sku,
            title: r.title,
            variant_title: r.variant_title,
            options: r.options,
            unit_price_minor: r.unit_price_minor,
            quantity: r.quantity,
            total_minor: r.total_minor,
        }
    }
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct TrackingEvent {
    pub id: Uuid,
    /// `label_created`, `picked_up`, `in_transit`, `out_for_delivery`, `delivered` or `exception`.
    pub status: String,
    pub description: Option<String>,
    pub location: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    pub occurred_at: OffsetDateTime,
}

impl From<EventRow> for TrackingEvent {
    fn from(r: EventRow) -> Self {
        Self {
            id: r.id,
            status: r.status,
            description: r.description,
            location: r.location,
            occurred_at: r.occurred_at,
        }
    }
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Tracking {
    pub id: Uuid,
    pub carrier: String,
    pub tracking_number: String,
    pub tracking_url: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    pub events: Vec<TrackingEvent>,
}

impl Tracking {
    pub fn new(r: TrackingRow, events: Vec<TrackingEvent>) -> Self {
        Self {
            id: r.id,
            carrier: r.carrier,
            tracking_number: r.tracking_number,
            tracking_url: r.tracking_url,
            created_at: r.created_at,
            events,
        }
    }
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct HistoryEntry {
    /// The vendor order that moved; absent for the order's own status.
    pub vendor_order_id: Option<Uuid>,
    pub from_status: Option<Status>,
    pub to_status: Status,
    /// `customer`, `vendor`, `admin` or `system`.
    pub actor_role: String,
    pub reason: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

impl HistoryEntry {
    fn new(r: HistoryRow) -> Result<Self, ApiError> {
        Ok(Self {
            vendor_order_id: r.vendor_order_id,
            from_status: r.from_status.as_deref().map(parse).transpose()?,
            to_status: parse(&r.to_status)?,
            actor_role: r.actor_role,
            reason: r.reason,
            created_at: r.created_at,
        })
    }
}

/// One vendor's part of an order.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct VendorOrder {
    pub id: Uuid,
    pub order_id: Uuid,
    /// The order's number (shared by all its vendor orders).
    pub number: String,
    pub vendor_id: Uuid,
    pub vendor_name: String,
    pub status: Status,
    pub currency: String,
    pub subtotal_minor: i64,
    pub shipping_minor: i64,
    pub tax_minor: i64,
    pub total_minor: i64,
    pub items: Vec<OrderItem>,
    pub tracking: Vec<Tracking>,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
}

/// A whole order, as its customer and the tenant's admins see it.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Order {
    pub id: Uuid,
    #[schema(example = "7K2D-9QFA-M3XZ")]
    pub number: String,
    pub customer_id: Uuid,
    pub status: Status,
    pub currency: String,
    /// Items, in minor units.
    pub subtotal_minor: i64,
    /// The vendors' flat rates.
    pub shipping_minor: i64,
    /// Tax on items and shipping: included in them when `tax_inclusive`, on top otherwise.
    pub tax_minor: i64,
    /// What the customer pays.
    pub total_minor: i64,
    pub tax_rate_bps: i32,
    pub tax_inclusive: bool,
    pub item_count: i32,
    pub note: Option<String>,
    pub shipping_address: PostalAddress,
    pub vendor_orders: Vec<VendorOrder>,
    pub history: Vec<HistoryEntry>,
    #[serde(with = "time::serde::rfc3339")]
    pub placed_at: OffsetDateTime,
    /// Unpaid orders are cancelled at this time.
    #[serde(with = "time::serde::rfc3339::option")]
    pub payment_due_at: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub paid_at: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub cancelled_at: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
}

/// An order in a list.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct OrderSummary {
    pub id: Uuid,
    pub number: String,
    pub customer_id: Uuid,
    pub status: Status,
    pub currency: String,
    pub total_minor: i64,
    pub item_count: i32,
    #[serde(with = "time::serde::rfc3339")]
    pub placed_at: OffsetDateTime,
}

impl OrderSummary {
    pub fn new(r: OrderRow) -> Result<Self, ApiError> {
        Ok(Self {
            id: r.id,
            status: parse(&r.status)?,
            number: r.number,
            customer_id: r.customer_id,
            currency: r.currency,
            total_minor: r.total_minor,
            item_count: r.item_count,
            placed_at: r.placed_at,
        })
    }
}

/// A vendor order as its vendor sees it: its items, where to ship, its own history.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct VendorOrderDetail {
    #[serde(flatten)]
    pub part: VendorOrder,
    pub shipping_address: PostalAddress,
    pub history: Vec<HistoryEntry>,
}

/// A vendor order in the vendor's list.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct VendorOrderSummary {
    pub id: Uuid,
    pub order_id: Uuid,
    pub number: String,
    pub status: Status,
    pub currency: String,
    pub total_minor: i64,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

impl VendorOrderSummary {
    pub fn new(r: VendorOrderRow) -> Result<Self, ApiError> {
        Ok(Self {
            id: r.id,
            status: parse(&r.status)?,
            order_id: r.order_id,
            number: r.number,
            currency: r.currency,
            total_minor: r.total_minor,
            created_at: r.created_at,
        })
    }
}

/// The vendor orders with their items and tracking, as the caller may see them.
async fn parts(
    conn: &mut PgConnection,
    rows: Vec<VendorOrderRow>,
) -> Result<Vec<VendorOrder>, ApiError> {
    let ids: Vec<Uuid> = rows.iter().map(|r| r.id).collect();
    let mut items = repo::orders::items(conn, &ids).await?;
    let trackings = repo::tracking::of_vendor_orders(conn, &ids).await?;
    let tracking_ids: Vec<Uuid> = trackings.iter().map(|t| t.id).collect();
    let mut events = repo::tracking::events(conn, &tracking_ids).await?;
    let mut trackings: Vec<(Uuid, Tracking)> = trackings
        .into_iter()
        .map(|t| {
            let mine = events
                .extract_if(.., |e| e.tracking_id == t.id)
                .map(TrackingEvent::from)
                .collect();
            (t.vendor_order_id, Tracking::new(t, mine))
        })
        .collect();
    rows.into_iter()
        .map(|r| {
            Ok(VendorOrder {
                status: parse(&r.status)?,
                items: items
                    .extract_if(.., |i| i.vendor_order_id == r.id)
                    .map(OrderItem::from)
                    .collect(),
                tracking: trackings
                    .extract_if(.., |(vo, _)| *vo == r.id)
                    .map(|(_, t)| t)
                    .collect(),
                id: r.id,
                order_id: r.order_id,
                number: r.number,
                vendor_id: r.vendor_id,
                vendor_name: r.vendor_name,
                currency: r.currency,
                subtotal_minor: r.subtotal_minor,
                shipping_minor: r.shipping_minor,
                tax_minor: r.tax_minor,
                total_minor: r.total_minor,
                created_at: r.created_at,
                updated_at: r.updated_at,
            })
        })
        .collect()
}

fn history(rows: Vec<HistoryRow>) -> Result<Vec<HistoryEntry>, ApiError> {
    rows.into_iter().map(HistoryEntry::new).collect()
}

/// The whole order `row` (which the caller could read).
pub async fn order(conn: &mut PgConnection, row: OrderRow) -> Result<Order, ApiError> {
    let rows = repo::orders::vendor_orders_of(conn, row.id).await?;
    let vendor_orders = parts(conn, rows).await?;
    let shipping_address = repo::orders::address(conn, row.id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let history = history(repo::orders::history(conn, row.id).await?)?;
    Ok(Order {
        id: row.id,
        status: parse(&row.status)?,
        payment_due_at: (row.status == Status::PendingPayment.as_str()).then_some(row.expires_at),
        number: row.number,
        customer_id: row.customer_id,
        currency: row.currency,
        subtotal_minor: row.subtotal_minor,
        shipping_minor: row.shipping_minor,
        tax_minor: row.tax_minor,
        total_minor: row.total_minor,
        tax_rate_bps: row.tax_rate_bps,
        tax_inclusive: row.tax_inclusive,
        item_count: row.item_count,
        note: row.note,
        shipping_address,
        vendor_orders,
        history,
        placed_at: row.placed_at,
        paid_at: row.paid_at,
        cancelled_at: row.cancelled_at,
        updated_at: row.updated_at,
    })
}

/// Vendor order `row` with the shipping address and the history of that part.
pub async fn vendor_order(
    conn: &mut PgConnection,
    row: VendorOrderRow,
) -> Result<VendorOrderDetail, ApiError> {
    let (id, order_id) = (row.id, row.order_id);
    let part = parts(conn, vec![row])
        .await?
        .pop()
        .ok_or(ApiError::NotFound)?;
    let shipping_address = repo::orders::address(conn, order_id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let history = history(
        repo::orders::history(conn, order_id)
            .await?
            .into_iter()
            .filter(|h| h.vendor_order_id == Some(id))
            .collect(),
    )?;
    Ok(VendorOrderDetail {
        part,
        shipping_address,
        history,
    })
}

/// The order checkout just wrote, as [`order`] would read it back (a test holds them equal), built
/// from what checkout already holds: reading it back would keep the stock rows locked longer.
pub fn placed(o: &NewOrder<'_>) -> Order {
    let q = o.quote;
    let pending = |vendor_order_id| HistoryEntry {
        vendor_order_id,
        from_status: None,
        to_status: Status::PendingPayment,
        actor_role: "customer".into(),
        reason: None,
        created_at: o.placed_at,
    };
    let vendor_orders: Vec<VendorOrder> = q
        .vendors
        .iter()
        .zip(o.vendor_order_ids)
        .zip(o.item_ids)
        .map(|((v, id), item_ids)| VendorOrder {
            id: *id,
            order_id: o.id,
            number: o.number.to_string(),
            vendor_id: v.vendor_id,
            vendor_name: v.vendor_name.clone(),
            status: Status::PendingPayment,
            currency: o.currency.to_string(),
            subtotal_minor: v.subtotal_minor,
            shipping_minor: v.shipping_minor,
            tax_minor: v.tax_minor,
            total_minor: v.total_minor,
            items: v
                .lines
                .iter()
                .zip(item_ids)
                .map(|(l, item)| OrderItem {
                    id: *item,
                    product_id: l.offer.product_id,
                    variant_id: l.offer.variant_id,
                    sku: l.offer.sku.clone(),
                    title: l.offer.title.clone(),
                    variant_title: l.offer.variant_title.clone(),
                    options: l.offer.options.clone(),
                    unit_price_minor: l.offer.price_minor,
                    quantity: l.quantity,
                    total_minor: l.total_minor,
                })
                .collect(),
            tracking: Vec::new(),
            created_at: o.placed_at,
            updated_at: o.placed_at,
        })
        .collect();
    let history = std::iter::once(None)
        .chain(o.vendor_order_ids.iter().copied().map(Some))
        .map(pending)
        .collect();
    Order {
        id: o.id,
        number: o.number.to_string(),
        customer_id: o.customer,
        status: Status::PendingPayment,
        currency: o.currency.to_string(),
        subtotal_minor: q.subtotal_minor,
        shipping_minor: q.shipping_minor,
        tax_minor: q.tax_minor,
        total_minor: q.total_minor,
        tax_rate_bps: q.tax.rate_bps,
        tax_inclusive: q.tax.inclusive,
        item_count: q.item_count,
        note: o.note.map(str::to_string),
        shipping_address: o.address.clone(),
        vendor_orders,
        history,
        placed_at: o.placed_at,
        payment_due_at: Some(o.expires_at),
        paid_at: None,
        cancelled_at: None,
        updated_at: o.placed_at,
    }
}
