use serde_json::Value;
use sqlx::{FromRow, PgConnection};
use time::OffsetDateTime;
use users::api::PostalAddress;
use uuid::Uuid;

use crate::domain::{Quote, Status};

/// What checkout writes: the order, its vendor parts and items, the shipping address and the
/// first history rows, in one statement (one round trip while the stock is not yet locked).
pub struct NewOrder<'a> {
    pub id: Uuid,
    /// Ids of the vendor orders (one per `quote.vendors`), of their items (per vendor, per line)
    /// and of the history rows (the order's, then each vendor order's), made by the caller so
    /// the answer can be built without reading the rows back.
    pub vendor_order_ids: &'a [Uuid],
    pub item_ids: &'a [Vec<Uuid>],
    pub history_ids: &'a [Uuid],
    /// Microsecond precision, as stored.
    pub placed_at: OffsetDateTime,
    pub tenant: Uuid,
    pub number: &'a str,
    pub customer: Uuid,
    pub currency: &'a str,
    pub quote: &'a Quote,
    pub locale: &'a str,
    pub note: Option<&'a str>,
    pub expires_at: OffsetDateTime,
    pub address: &'a PostalAddress,
}

pub async fn insert(conn: &mut PgConnection, o: &NewOrder<'_>) -> Result<(), sqlx::Error> {
    let q = o.quote;
    let vo_ids = o.vendor_order_ids;
    let vendor_ids: Vec<Uuid> = q.vendors.iter().map(|v| v.vendor_id).collect();
    let col =
        |f: fn(&crate::domain::VendorQuote) -> i64| q.vendors.iter().map(f).collect::<Vec<i64>>();
    let (mut i_vo, mut i_vendor, mut i_product, mut i_variant) = (vec![], vec![], vec![], vec![]);
    let (mut i_sku, mut i_title, mut i_vtitle, mut i_options) = (vec![], vec![], vec![], vec![]);
    let (mut i_price, mut i_qty, mut i_total, mut i_id) = (vec![], vec![], vec![], vec![]);
    for ((v, vo), ids) in q.vendors.iter().zip(vo_ids).zip(o.item_ids) {
        for (l, id) in v.lines.iter().zip(ids) {
            i_id.push(*id);
            i_vo.push(*vo);
            i_vendor.push(v.vendor_id);
            i_product.push(l.offer.product_id);
            i_variant.push(l.offer.variant_id);
            i_sku.push(l.offer.sku.clone());
            i_title.push(l.offer.title.clone());
            i_vtitle.push(l.offer.variant_title.clone());
            i_options.push(l.offer.options.clone());
            i_price.push(l.offer.price_minor);
            i_qty.push(l.quantity);
            i_total.push(l.total_minor);
        }
    }
    let a = o.address;
    sqlx::query(
        "with o as (
           insert into orders (id, tenant_id, number, customer_id, status, currency, subtotal_minor,
                               shipping_minor, tax_minor, total_minor, tax_rate_bps, tax_inclusive,
                               item_count, locale, note, expires_at, placed_at, updated_at)
           values ($1, $2, $3, $4, 'pending_payment', $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15,
                   $42, $42)),
         vo as (
           insert into vendor_orders (id, tenant_id, order_id, vendor_id, customer_id, number, status,
                                      subtotal_minor, shipping_minor, tax_minor, total_minor,
                                      created_at, updated_at)
           select u.id, $2, $1, u.vendor_id, $4, $3, 'pending_payment', u.sub, u.ship, u.tax, u.total,
                  $42, $42
             from unnest($16::uuid[], $17::uuid[], $18::int8[], $19::int8[], $20::int8[], $21::int8[])
                  as u(id, vendor_id, sub, ship, tax, total)),
         it as (
           insert into order_items (id, tenant_id, order_id, vendor_order_id, vendor_id, customer_id,
                                    product_id, variant_id, sku, title, variant_title, options,
                                    unit_price_minor, quantity, total_minor)
           select u.id, $2, $1, u.vo, u.vendor_id, $4, u.product_id, u.variant_id, u.sku, u.title,
                  u.vtitle, u.options, u.price, u.qty, u.total
             from unnest($22::uuid[], $23::uuid[], $24::uuid[], $25::uuid[], $26::uuid[], $27::text[],
                         $28::text[], $29::text[], $30::jsonb[], $31::int8[], $32::int4[], $33::int8[])
                  as u(id, vo, vendor_id, product_id, variant_id, sku, title, vtitle, options, price, qty, total)),
         ad as (
           insert into shipping_addresses (order_id, tenant_id, customer_id, recipient, phone, line1,
                                           line2, city, region, postal_code, country)
           values ($1, $2, $4, $34, $35, $36, $37, $38, $39, $40, $41)),
         h as (
           insert into order_status_history (id, tenant_id, order_id, vendor_order_id, vendor_id,
                                             customer_id, to_status, actor_id, actor_role, created_at)
           select u.id, $2, $1, u.vo, u.vendor_id, $4, 'pending_payment', $4, 'customer', $42
             from unnest($43::uuid[], array[null::uuid] || $16::uuid[], array[null::uuid] || $17::uuid[])
                  as u(id, vo, vendor_id))
         select 1",
    )
    .bind(o.id)
    .bind(o.tenant)
    .bind(o.number)
    .bind(o.customer)
    .bind(o.currency)
    .bind(q.subtotal_minor)
    .bind(q.shipping_minor)
    .bind(q.tax_minor)
    .bind(q.total_minor)
    .bind(q.tax.rate_bps)
    .bind(q.tax.inclusive)
    .bind(q.item_count)
    .bind(o.locale)
    .bind(o.note)
    .bind(o.expires_at)
    .bind(vo_ids)
    .bind(&vendor_ids)
    .bind(col(|v| v.subtotal_minor))
    .bind(col(|v| v.shipping_minor))
    .bind(col(|v| v.tax_minor))
    .bind(col(|v| v.total_minor))
    .bind(&i_id)
    .bind(&i_vo)
    .bind(&i_vendor)
    .bind(&i_product)
    .bind(&i_variant)
    .bind(&i_sku)
    .bind(&i_title)
    .bind(&i_vtitle)
    .bind(&i_options)
    .bind(&i_price)
    .bind(&i_qty)
    .bind(&i_total)
    .bind(&a.recipient)
    .bind(&a.phone)
    .bind(&a.line1)
    .bind(&a.line2)
    .bind(&a.city)
    .bind(&a.region)
    .bind(&a.postal_code)
    .bind(&a.country)
    .bind(o.placed_at)
    .bind(o.history_ids)
    .execute(conn)
    .await?;
    Ok(())
}

#[derive(Clone, Debug, FromRow)]
pub struct OrderRow {
    pub id: Uuid,
    pub number: String,
    pub customer_id: Uuid,
    pub status: String,
    pub currency: String,
    pub subtotal_minor: i64,
    pub shipping_minor: i64,
    pub tax_minor: i64,
    pub total_minor: i64,
    pub tax_rate_bps: i32,
    pub tax_inclusive: bool,
    pub item_count: i32,
    pub locale: String,
    pub note: Option<String>,
    pub expires_at: OffsetDateTime,
    pub placed_at: OffsetDateTime,
    pub paid_at: Option<OffsetDateTime>,
    pub cancelled_at: Option<OffsetDateTime>,
    pub updated_at: OffsetDateTime,
    /// Refunded so far (by the payment service).
    pub refunded_minor: i64,
}

const ORDER_COLS: &str =
    "o.id, o.number, o.customer_id, o.status, o.currency::text, o.subtotal_minor,
    o.shipping_minor, o.tax_minor, o.total_minor, o.tax_rate_bps, o.tax_inclusive, o.item_count,
    o.locale, o.note, o.expires_at, o.placed_at, o.paid_at, o.cancelled_at, o.updated_at,
    o.refunded_minor";

pub async fn get(
    conn: &mut PgConnection,
    id: Uuid,
    lock: bool,
) -> Result<Option<OrderRow>, sqlx::Error> {
    let lock = if lock { " for update" } else { "" };
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "select {ORDER_COLS} from orders o where o.id = $1{lock}"
    )))
    .bind(id)
    .fetch_optional(conn)
    .await
}

/// Filters of an order list. `customer` narrows to one customer (their own history).
#[derive(Clone, Debug, Default)]
pub struct OrderFilter {
    pub customer: Option<Uuid>,
    pub status: Option<Status>,
    pub placed_from: Option<OffsetDateTime>,
    pub placed_to: Option<OffsetDateTime>,
}

/// Newest first; the cursor is the last row's (placed_at, id).
pub async fn list(
    conn: &mut PgConnection,
    f: &OrderFilter,
    after: Option<(OffsetDateTime, Uuid)>,
    limit: u32,
) -> Result<Vec<OrderRow>, sqlx::Error> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "select {ORDER_COLS} from orders o
          where ($1::uuid is null or o.customer_id = $1)
            and ($2::text is null or o.status = $2)
            and ($3::timestamptz is null or o.placed_at >= $3)
            and ($4::timestamptz is null or o.placed_at < $4)
            and ($5::timestamptz is null or (o.placed_at, o.id) < ($5, $6))
          order by o.placed_at desc, o.id desc
          limit $7"
    )))
    .bind(f.customer)
    .bind(f.status.map(Status::as_str))
    .bind(f.placed_from)
    .bind(f.placed_to)
    .bind(after.map(|a| a.0))
    .bind(after.map(|a| a.1))
    .bind(i64::from(limit) + 1)
    .fetch_all(conn)
    .await
}

#[derive(Clone, Debug, FromRow)]
pub struct VendorOrderRow {
    pub id: Uuid,
    pub order_id: Uuid,
    pub vendor_id: Uuid,
    pub vendor_name: String,
    pub customer_id: Uuid,
    pub number: String,
    pub status: String,
    pub subtotal_minor: i64,
    pub shipping_minor: i64,
    pub tax_minor: i64,
    pub total_minor: i64,
    pub currency: String,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
}

const VO_COLS: &str = "vo.id, vo.order_id, vo.vendor_id, v.name as vendor_name, vo.customer_id, vo.number,
    vo.status, vo.subtotal_minor, vo.shipping_minor, vo.tax_minor, vo.total_minor,
    (select currency::text from tenants where id = vo.tenant_id) as currency, vo.created_at, vo.updated_at";

/// The parts of an order the caller may see (a vendor: only its own).
pub async fn vendor_orders_of(
    conn: &mut PgConnection,
    order: Uuid,
) -> Result<Vec<VendorOrderRow>, sqlx::Error> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "select {VO_COLS} from vendor_orders vo join vendors v on v.id = vo.vendor_id
          where vo.order_id = $1 order by vo.id"
    )))
    .bind(order)
    .fetch_all(conn)
    .await
}

pub async fn vendor_order(
    conn: &mut PgConnection,
    id: Uuid,
) -> Result<Option<VendorOrderRow>, sqlx::Error> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "select {VO_COLS} from vendor_orders vo join vendors v on v.id = vo.vendor_id where vo.id = $1"
    )))
    .bind(id)
    .fetch_optional(conn)
    .await
}

/// A vendor's orders, newest first; the cursor is the last row's (created_at, id).
pub async fn list_vendor_orders(
    conn: &mut PgConnection,
    vendor: Uuid,
    status: Option<Status>,
    after: Option<(OffsetDateTime, Uuid)>,
    limit: u32,
) -> Result<Vec<VendorOrderRow>, sqlx::Error> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "select {VO_COLS} from vendor_orders vo join vendors v on v.id = vo.vendor_id
          where vo.vendor_id = $1
            and ($2::text is null or vo.status = $2)
            and ($3::timestamptz is null or (vo.created_at, vo.id) < ($3, $4))
          order by vo.created_at desc, vo.id desc
          limit $5"
    )))
    .bind(vendor)
    .bind(status.map(Status::as_str))
    .bind(after.map(|a| a.0))
    .bind(after.map(|a| a.1))
    .bind(i64::from(limit) + 1)
    .fetch_all(conn)
    .await
}

#[derive(Clone, Debug, FromRow)]
pub struct ItemRow {
    pub id: Uuid,
    pub vendor_order_id: Uuid,
    pub product_id: Uuid,
    pub variant_id: Uuid,
    pub sku: String,
    pub title: String,
    pub variant_title: Option<String>,
    pub options: Value,
    pub unit_price_minor: i64,
    pub quantity: i32,
    pub total_minor: i64,
}

/// Items of the given vendor orders (only those the caller may see).
pub async fn items(
    conn: &mut PgConnection,
    vendor_orders: &[Uuid],
) -> Result<Vec<ItemRow>, sqlx::Error> {
    sqlx::query_as(
        "select id, vendor_order_id, product_id, variant_id, sku, title, variant_title, options,
                unit_price_minor, quantity, total_minor
           from order_items where vendor_order_id = any($1) order by vendor_order_id, id",
    )
    .bind(vendor_orders)
    .fetch_all(conn)
    .await
}

pub async fn address(
    conn: &mut PgConnection,
    order: Uuid,
) -> Result<Option<PostalAddress>, sqlx::Error> {
    sqlx::query_as(
        "select recipient, phone, line1, line2, city, region, postal_code, country::text as country
           from shipping_addresses where order_id = $1",
    )
    .bind(order)
    .fetch_optional(conn)
    .await
}

#[derive(Clone, Debug, FromRow)]
pub struct HistoryRow {
    pub vendor_order_id: Option<Uuid>,
    pub from_status: Option<String>,
    pub to_status: String,
    pub actor_role: String,
    pub reason: Option<String>,
    pub created_at: OffsetDateTime,
}

/// The status history the caller may see, oldest first.
pub async fn history(conn: &mut PgConnection, order: Uuid) -> Result<Vec<HistoryRow>, sqlx::Error> {
    sqlx::query_as(
        "select vendor_order_id, from_status, to_status, actor_role, reason, created_at
           from order_status_history where order_id = $1 order by created_at, id",
    )
    .bind(order)
    .fetch_all(conn)
    .await
}

/// One status change to record.
pub struct Change {
    pub vendor_order: Option<(Uuid, Uuid)>,
    pub from: Status,
    pub to: Status,
}

/// Sets the statuses of vendor orders and the order, and records every change with its actor.
pub async fn record_changes(
    conn: &mut PgConnection,
    tenant: Uuid,
    order: &OrderRow,
    changes: &[Change],
    actor: Option<Uuid>,
    role: &str,
    reason: Option<&str>,
) -> Result<(), sqlx::Error> {
    let (mut vo, mut vendor, mut from, mut to) = (vec![], vec![], vec![], vec![]);
    for c in changes {
        vo.push(c.vendor_order.map(|v| v.0));
        vendor.push(c.vendor_order.map(|v| v.1));
        from.push(c.from.as_str());
        to.push(c.to.as_str());
    }
    sqlx::query(
        "with upd_vo as (
           update vendor_orders vo set status = u.to_status
             from unnest($3::uuid[], $5::text[]) as u(id, to_status)
            where vo.id = u.id),
         ot as (
           select u.to_status from unnest($3::uuid[], $5::text[]) as u(id, to_status)
            where u.id is null),
         upd_o as (
           update orders set
             status = coalesce((select to_status from ot), status),
             paid_at = case when (select to_status from ot) = 'paid' then now() else paid_at end,
             cancelled_at = case when (select to_status from ot) = 'cancelled' then now() else cancelled_at end
            where id = $2 and exists (select from ot))
         insert into order_status_history (id, tenant_id, order_id, vendor_order_id, vendor_id,
                                           customer_id, from_status, to_status, actor_id, actor_role, reason)
         select app_uuid_v7(), $1, $2, u.vo, u.vendor, $6, u.f, u.t, $7, $8, $9
           from unnest($3::uuid[], $4::uuid[], $10::text[], $5::text[]) as u(vo, vendor, f, t)",
    )
    .bind(tenant)
    .bind(order.id)
    .bind(&vo)
    .bind(&vendor)
    .bind(&to)
    .bind(order.customer_id)
    .bind(actor)
    .bind(role)
    .bind(reason)
    .bind(&from)
    .execute(conn)
    .await?;
    Ok(())
}
