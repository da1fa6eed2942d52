//! Vendor orders: each vendor works its own part of an order — lists it, moves it through
//! processing, shipping and delivery (or cancels it before shipping) and adds tracking. Row-level
//! security shows a vendor only its parts, their items and the address to ship them to; admins
//! may do all of it for any vendor.

use axum::{Json, extract::State, http::StatusCode};
use kernel::{
    ApiError, AppState, RequestCtx,
    error::{FieldError, Problem},
    extract::{AppJson, AppPath, AppQuery},
    outbox::{self, Event},
    pagination::{Page, PageQuery},
    rbac::Can,
    validate::Validator,
};
use products::api::stock;
use serde::Deserialize;
use serde_json::json;
use sqlx::PgConnection;
use time::OffsetDateTime;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

use super::views::{self, Tracking, TrackingEvent, VendorOrderDetail, VendorOrderSummary};
use crate::{
    domain::{Actor, Status},
    permissions as perm,
    repo::{
        self,
        orders::VendorOrderRow,
        tracking::{NewEvent, NewTracking},
    },
    workflow::{self, Transition, parse},
};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_vendor_orders))
        .routes(routes!(get_vendor_order))
        .routes(routes!(move_vendor_order))
        .routes(routes!(add_tracking))
        .routes(routes!(add_tracking_event))
}

/// The caller's approved shop, if any.
async fn my_vendor(conn: &mut PgConnection) -> Result<Option<Uuid>, ApiError> {
    Ok(sqlx::query_scalar("select app_current_vendor()")
        .fetch_one(conn)
        .await?)
}

/// The vendor order and how the caller acts on it: its vendor, or an admin. Anyone else gets 404.
async fn reach(
    conn: &mut PgConnection,
    ctx: &RequestCtx,
    id: Uuid,
) -> Result<(VendorOrderRow, Actor), ApiError> {
    let vo = repo::orders::vendor_order(conn, id)
        .await?
        .ok_or(ApiError::NotFound)?;
    if my_vendor(conn).await? == Some(vo.vendor_id) {
        Ok((vo, Actor::Vendor))
    } else if ctx.may::<perm::ManageOrders>() {
        Ok((vo, Actor::Admin))
    } else {
        Err(ApiError::NotFound)
    }
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct VendorOrderListQuery {
    /// Only vendor orders in this status.
    #[param(inline)]
    pub status: Option<Status>,
    /// Items per page, 1 to 100 (default 20).
    pub limit: Option<u32>,
    /// `next_cursor` of the previous page (with the same filter).
    pub cursor: Option<String>,
}

/// The caller's shop's orders, newest first.
#[utoipa::path(get, path = "/api/v1/orders/vendor-orders", tag = "orders", security(("bearer" = [])),
    params(VendorOrderListQuery),
    responses(
        (status = 200, body = Page<VendorOrderSummary>),
        (status = "4XX", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn list_vendor_orders(
    _: Can<perm::FulfilOrders>,
    ctx: RequestCtx,
    State(state): State<AppState>,
    AppQuery(q): AppQuery<VendorOrderListQuery>,
) -> Result<Json<Page<VendorOrderSummary>>, ApiError> {
    let page = PageQuery {
        limit: q.limit,
        cursor: q.cursor,
    };
    let (limit, cursor) = (page.limit()?, page.cursor::<(OffsetDateTime, Uuid)>()?);
    let mut tx = state.db.begin_for(&ctx).await?;
    let vendor = my_vendor(tx.conn()).await?.ok_or(ApiError::Forbidden)?;
    let rows = repo::orders::list_vendor_orders(tx.conn(), vendor, q.status, cursor, limit).await?;
    tx.commit().await?;
    let page = Page::from_rows(rows, limit, |r| (r.created_at, r.id));
    Ok(Json(Page {
        items: page
            .items
            .into_iter()
            .map(VendorOrderSummary::new)
            .collect::<Result<_, _>>()?,
        next_cursor: page.next_cursor,
    }))
}

/// One vendor order: its items, tracking, where to ship it, its history.
#[utoipa::path(get, path = "/api/v1/orders/vendor-orders/{id}", tag = "orders", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Vendor order id")),
    responses(
        (status = 200, body = VendorOrderDetail),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = "4XX", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn get_vendor_order(
    _: Can<perm::FulfilOrders>,
    ctx: RequestCtx,
    State(state): State<AppState>,
    AppPath(id): AppPath<Uuid>,
) -> Result<Json<VendorOrderDetail>, ApiError> {
    let mut tx = state.db.begin_for(&ctx).await?;
    let (vo, _) = reach(tx.conn(), &ctx, id).await?;
    let detail = views::vendor_order(tx.conn(), vo).await?;
    tx.commit().await?;
    Ok(Json(detail))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VendorOrderMove {
    /// `processing`, `shipped`, `delivered` or `cancelled` (before shipping).
    pub status: Status,
    /// Why (kept in the history).
    #[schema(max_length = 500)]
    pub reason: Option<String>,
}

/// Moves the vendor order on; the order's own status follows from all its parts.
#[utoipa::path(post, path = "/api/v1/orders/vendor-orders/{id}/status", tag = "orders", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Vendor order id")),
    request_body = VendorOrderMove,
    responses(
        (status = 200, body = VendorOrderDetail),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Not possible from the current status, or not the caller's to make",
            body = Problem, content_type = "application/problem+json"),
        (status = "4XX", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn move_vendor_order(
    _: Can<perm::FulfilOrders>,
    ctx: RequestCtx,
    State(state): State<AppState>,
    AppPath(id): AppPath<Uuid>,
    AppJson(body): AppJson<VendorOrderMove>,
) -> Result<Json<VendorOrderDetail>, ApiError> {
    let mut v = Validator::new();
    v.opt_text("reason", body.reason.as_deref(), 500);
    v.finish()?;
    let mut tx = state.db.begin_for(&ctx).await?;
    let (vo, actor) = reach(tx.conn(), &ctx, id).await?;
    let applied = workflow::apply(
        tx.conn(),
        ctx.tenant.id,
        &Transition {
            order: vo.order_id,
            vendor_order: Some(vo.id),
            to: body.status,
            actor,
            actor_id: ctx.user_id(),
            reason: body
                .reason
                .as_deref()
                .map(str::trim)
                .filter(|r| !r.is_empty()),
        },
    )
    .await?;
    let vo = repo::orders::vendor_order(tx.conn(), id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let detail = views::vendor_order(tx.conn(), vo).await?;
    tx.commit().await?;
    if applied.availability_changed {
        stock::availability_changed(&state, ctx.tenant.id).await;
    }
    Ok(Json(detail))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewShipment {
    #[schema(max_length = 100, example = "Olva Courier")]
    pub carrier: String,
    #[schema(max_length = 100)]
    pub tracking_number: String,
    /// Where the customer can follow it (http or https).
    #[schema(max_length = 500)]
    pub tracking_url: Option<String>,
}

/// Statuses in which a vendor order can carry shipments.
const SHIPPABLE: [Status; 4] = [
    Status::Paid,
    Status::Processing,
    Status::Shipped,
    Status::Delivered,
];

/// Adds a shipment (carrier and tracking number) to a paid vendor order.
#[utoipa::path(post, path = "/api/v1/orders/vendor-orders/{id}/tracking", tag = "orders", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Vendor order id")),
    request_body = NewShipment,
    responses(
        (status = 201, body = Tracking),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Not paid yet or cancelled, or this tracking number is already there",
            body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
        (status = "4XX", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn add_tracking(
    _: Can<perm::FulfilOrders>,
    ctx: RequestCtx,
    State(state): State<AppState>,
    AppPath(id): AppPath<Uuid>,
    AppJson(body): AppJson<NewShipment>,
) -> Result<(StatusCode, Json<Tracking>), ApiError> {
    let mut v = Validator::new();
    v.text("carrier", &body.carrier, 1, 100)
        .text("tracking_number", &body.tracking_number, 1, 100)
        .opt_text("tracking_url", body.tracking_url.as_deref(), 500);
    if let Some(url) = &body.tracking_url {
        v.check(
            url.starts_with("https://") || url.starts_with("http://"),
            "tracking_url",
            "invalid",
        );
    }
    v.finish()?;
    let mut tx = state.db.begin_for(&ctx).await?;
    let (vo, _) = reach(tx.conn(), &ctx, id).await?;
    if !SHIPPABLE.contains(&parse(&vo.status)?) {
        return Err(ApiError::conflict("tracking_not_allowed"));
    }
    let new = NewTracking {
        carrier: body.carrier.trim(),
        tracking_number: body.tracking_number.trim(),
        tracking_url: body.tracking_url.as_deref(),
    };
    let row = repo::tracking::insert(
        tx.conn(),
        ctx.tenant.id,
        &vo,
        &new,
        ctx.require_user()?.user_id,
    )
    .await
    .map_err(kernel::error::on_constraint(
        repo::tracking::UNIQUE_KEY,
        ApiError::conflict("tracking_exists"),
    ))?;
    let event = Event::new(
        "order.tracking_added",
        vo.order_id,
        json!({
            "order_id": vo.order_id,
            "vendor_order_id": vo.id,
            "number": vo.number,
            "customer_id": vo.customer_id,
            "carrier": row.carrier,
            "tracking_number": row.tracking_number,
            "tracking_url": row.tracking_url,
        }),
    );
    outbox::emit(tx.conn(), ctx.tenant.id, &event).await?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, Json(Tracking::new(row, Vec::new()))))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewTrackingEvent {
    /// `label_created`, `picked_up`, `in_transit`, `out_for_delivery`, `delivered` or `exception`.
    pub status: String,
    #[schema(max_length = 500)]
    pub description: Option<String>,
    #[schema(max_length = 200)]
    pub location: Option<String>,
    /// When the carrier saw it (RFC 3339); default now.
    #[serde(default, with = "time::serde::rfc3339::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub occurred_at: Option<OffsetDateTime>,
}

const EVENT_STATUSES: [&str; 6] = [
    "label_created",
    "picked_up",
    "in_transit",
    "out_for_delivery",
    "delivered",
    "exception",
];

/// Records what the carrier reported about a shipment.
#[utoipa::path(post, path = "/api/v1/orders/vendor-orders/{id}/tracking/{tracking_id}/events", tag = "orders", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Vendor order id"), ("tracking_id" = Uuid, Path, description = "Shipment id")),
    request_body = NewTrackingEvent,
    responses(
        (status = 201, body = TrackingEvent),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
        (status = "4XX", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn add_tracking_event(
    _: Can<perm::FulfilOrders>,
    ctx: RequestCtx,
    State(state): State<AppState>,
    AppPath((id, tracking)): AppPath<(Uuid, Uuid)>,
    AppJson(body): AppJson<NewTrackingEvent>,
) -> Result<(StatusCode, Json<TrackingEvent>), ApiError> {
    let mut v = Validator::new();
    if !EVENT_STATUSES.contains(&body.status.as_str()) {
        v.push(FieldError::new("status", "invalid_choice"));
    }
    v.opt_text("description", body.description.as_deref(), 500)
        .opt_text("location", body.location.as_deref(), 200);
    v.finish()?;
    let mut tx = state.db.begin_for(&ctx).await?;
    let (vo, _) = reach(tx.conn(), &ctx, id).await?;
    let e = NewEvent {
        status: &body.status,
        description: body.description.as_deref(),
        location: body.location.as_deref(),
        occurred_at: body.occurred_at.unwrap_or_else(OffsetDateTime::now_utc),
    };
    let row = repo::tracking::add_event(tx.conn(), ctx.tenant.id, &vo, tracking, &e)
        .await?
        .ok_or(ApiError::NotFound)?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, Json(row.into())))
}
