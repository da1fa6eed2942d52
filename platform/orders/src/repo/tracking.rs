use sqlx::{FromRow, PgConnection};
use time::OffsetDateTime;
use uuid::Uuid;

use super::orders::VendorOrderRow;

#[derive(Clone, Debug, FromRow)]
pub struct TrackingRow {
    pub id: Uuid,
    pub vendor_order_id: Uuid,
    pub carrier: String,
    pub tracking_number: String,
    pub tracking_url: Option<String>,
    pub created_at: OffsetDateTime,
}

#[derive(Clone, Debug, FromRow)]
pub struct EventRow {
    pub id: Uuid,
    pub tracking_id: Uuid,
    pub status: String,
    pub description: Option<String>,
    pub location: Option<String>,
    pub occurred_at: OffsetDateTime,
}

pub const UNIQUE_KEY: &str = "order_tracking_vendor_order_id_carrier_tracking_number_key";

pub struct NewTracking<'a> {
    pub carrier: &'a str,
    pub tracking_number: &'a str,
    pub tracking_url: Option<&'a str>,
}

pub async fn insert(
    conn: &mut PgConnection,
    tenant: Uuid,
    vo: &VendorOrderRow,
    t: &NewTracking<'_>,
    by: Uuid,
) -> Result<TrackingRow, sqlx::Error> {
    sqlx::query_as(
        "insert into order_tracking (id, tenant_id, order_id, vendor_order_id, vendor_id, customer_id,
                                     carrier, tracking_number, tracking_url, created_by)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
         returning id, vendor_order_id, carrier, tracking_number, tracking_url, created_at",
    )
    .bind(Uuid::now_v7())
    .bind(tenant)
    .bind(vo.order_id)
    .bind(vo.id)
    .bind(vo.vendor_id)
    .bind(vo.customer_id)
    .bind(t.carrier)
    .bind(t.tracking_number)
    .bind(t.tracking_url)
    .bind(by)
    .fetch_one(conn)
    .await
}

/// Shipments of the given vendor orders (those the caller may see), oldest first.
pub async fn of_vendor_orders(
    conn: &mut PgConnection,
    vendor_orders: &[Uuid],
) -> Result<Vec<TrackingRow>, sqlx::Error> {
    sqlx::query_as(
        "select id, vendor_order_id, carrier, tracking_number, tracking_url, created_at
           from order_tracking where vendor_order_id = any($1) order by created_at, id",
    )
    .bind(vendor_orders)
    .fetch_all(conn)
    .await
}

pub async fn events(
    conn: &mut PgConnection,
    trackings: &[Uuid],
) -> Result<Vec<EventRow>, sqlx::Error> {
    sqlx::query_as(
        "select id, tracking_id, status, description, location, occurred_at
           from order_tracking_events where tracking_id = any($1) order by occurred_at, id",
    )
    .bind(trackings)
    .fetch_all(conn)
    .await
}

pub struct NewEvent<'a> {
    pub status: &'a str,
    pub description: Option<&'a str>,
    pub location: Option<&'a str>,
    pub occurred_at: OffsetDateTime,
}

/// Adds an event to a shipment of `vo`; `None` when the shipment is not one of its.
pub async fn add_event(
    conn: &mut PgConnection,
    tenant: Uuid,
    vo: &VendorOrderRow,
    tracking: Uuid,
    e: &NewEvent<'_>,
) -> Result<Option<EventRow>, sqlx::Error> {
    sqlx::query_as(
        "insert into order_tracking_events (id, tenant_id, tracking_id, vendor_id, customer_id, status,
                                            description, location, occurred_at)
         select $1, $2, t.id, t.vendor_id, t.customer_id, $5, $6, $7, $8
           from order_tracking t where t.id = $3 and t.vendor_order_id = $4
         returning id, tracking_id, status, description, location, occurred_at",
    )
    .bind(Uuid::now_v7())
    .bind(tenant)
    .bind(tracking)
    .bind(vo.id)
    .bind(e.status)
    .bind(e.description)
    .bind(e.location)
    .bind(e.occurred_at)
    .fetch_optional(conn)
    .await
}
