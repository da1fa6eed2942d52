//! Orders as their customer sees them (own history, one order, cancel), and as the tenant's
//! admins do (every order, and marking one paid by hand until the payment service does it).

use axum::{Json, extract::State};
use kernel::{
    ApiError, AppState, RequestCtx,
    error::{FieldError, Problem},
    extract::{AppJson, AppPath, AppQuery},
    pagination::{Page, PageQuery},
    rbac::Can,
};
use products::api::stock;
use serde::Deserialize;
use time::OffsetDateTime;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

use super::views::{self, Order, OrderSummary};
use crate::{
    domain::{Actor, Status},
    permissions as perm,
    repo::{self, orders::OrderFilter},
    workflow::{self, Transition},
};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_all_orders))
        .routes(routes!(get_order))
        .routes(routes!(cancel_order))
        .routes(routes!(mark_order_paid))
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct OrderListQuery {
    /// Only orders in this status.
    #[param(inline)]
    pub status: Option<Status>,
    /// Placed at or after this time (RFC 3339).
    #[serde(default, with = "time::serde::rfc3339::option")]
    #[param(value_type = Option<String>)]
    pub placed_from: Option<OffsetDateTime>,
    /// Placed before this time (RFC 3339).
    #[serde(default, with = "time::serde::rfc3339::option")]
    #[param(value_type = Option<String>)]
    pub placed_to: Option<OffsetDateTime>,
    /// Items per page, 1 to 100 (default 20).
    pub limit: Option<u32>,
    /// `next_cursor` of the previous page (with the same filters).
    pub cursor: Option<String>,
}

async fn list(
    state: &AppState,
    ctx: &RequestCtx,
    q: OrderListQuery,
    customer: Option<Uuid>,
) -> Result<Page<OrderSummary>, ApiError> {
    let page = PageQuery {
        limit: q.limit,
        cursor: q.cursor,
    };
    let (limit, cursor) = (page.limit()?, page.cursor::<(OffsetDateTime, Uuid)>()?);
    if let (Some(from), Some(to)) = (q.placed_from, q.placed_to)
        && from > to
    {
        return Err(ApiError::Validation(vec![
            FieldError::new("placed_from", "greater_than_other").with("other", "placed_to"),
        ]));
    }
    let filter = OrderFilter {
        customer,
        status: q.status,
        placed_from: q.placed_from,
        placed_to: q.placed_to,
    };
    let mut tx = state.db.begin_for(ctx).await?;
    let rows = repo::orders::list(tx.conn(), &filter, cursor, limit).await?;
    tx.commit().await?;
    let page = Page::from_rows(rows, limit, |r| (r.placed_at, r.id));
    Ok(Page {
        items: page
            .items
            .into_iter()
            .map(OrderSummary::new)
            .collect::<Result<_, _>>()?,
        next_cursor: page.next_cursor,
    })
}

/// The caller's orders, newest first.
#[utoipa::path(get, path = "/api/v1/orders", tag = "orders", security(("bearer" = [])),
    params(OrderListQuery),
    responses(
        (status = 200, body = Page<OrderSummary>),
        (status = "4XX", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn list_my_orders(
    _: Can<perm::ReadOrders>,
    ctx: RequestCtx,
    State(state): State<AppState>,
    AppQuery(q): AppQuery<OrderListQuery>,
) -> Result<Json<Page<OrderSummary>>, ApiError> {
    let me = ctx.require_user()?.user_id;
    list(&state, &ctx, q, Some(me)).await.map(Json)
}

/// Every order of the marketplace, newest first (admins).
#[utoipa::path(get, path = "/api/v1/orders/admin/orders", tag = "orders", security(("bearer" = [])),
    params(OrderListQuery),
    responses(
        (status = 200, body = Page<OrderSummary>),
        (status = "4XX", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn list_all_orders(
    _: Can<perm::ManageOrders>,
    ctx: RequestCtx,
    State(state): State<AppState>,
    AppQuery(q): AppQuery<OrderListQuery>,
) -> Result<Json<Page<OrderSummary>>, ApiError> {
    list(&state, &ctx, q, None).await.map(Json)
}

/// Whether the caller acts as the order's customer or as an admin; vendors read their part
/// through the vendor-order endpoints, so to them (and anyone else) it is not found.
fn actor_for(ctx: &RequestCtx, customer: Uuid) -> Result<Actor, ApiError> {
    if ctx.user_id() == Some(customer) {
        Ok(Actor::Customer)
    } else if ctx.may::<perm::ManageOrders>() {
        Ok(Actor::Admin)
    } else {
        Err(ApiError::NotFound)
    }
}

/// One order: items per vendor, tracking, the shipping address and the status history.
#[utoipa::path(get, path = "/api/v1/orders/{id}", tag = "orders", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Order id")),
    responses(
        (status = 200, body = Order),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = "4XX", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn get_order(
    _: Can<perm::ReadOrders>,
    ctx: RequestCtx,
    State(state): State<AppState>,
    AppPath(id): AppPath<Uuid>,
) -> Result<Json<Order>, ApiError> {
    let mut tx = state.db.begin_for(&ctx).await?;
    let row = repo::orders::get(tx.conn(), id, false)
        .await?
        .ok_or(ApiError::NotFound)?;
    actor_for(&ctx, row.customer_id)?;
    let order = views::order(tx.conn(), row).await?;
    tx.commit().await?;
    Ok(Json(order))
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Reason {
    /// Why (kept in the history).
    #[schema(max_length = 500)]
    pub reason: Option<String>,
}

impl Reason {
    fn checked(&self) -> Result<Option<&str>, ApiError> {
        match self.reason.as_deref().map(str::trim) {
            Some(r) if r.chars().count() > 500 => Err(ApiError::Validation(vec![
                FieldError::new("reason", "too_long").with("max", 500),
            ])),
            Some("") | None => Ok(None),
            Some(r) => Ok(Some(r)),
        }
    }
}

/// Runs a whole-order move for the caller and answers with the order.
async fn transition(
    state: &AppState,
    ctx: &RequestCtx,
    id: Uuid,
    to: Status,
    admin_only: bool,
    reason: Option<&str>,
) -> Result<Order, ApiError> {
    let mut tx = state.db.begin_for(ctx).await?;
    let row = repo::orders::get(tx.conn(), id, false)
        .await?
        .ok_or(ApiError::NotFound)?;
    let actor = if admin_only {
        Actor::Admin
    } else {
        actor_for(ctx, row.customer_id)?
    };
    let applied = workflow::apply(
        tx.conn(),
        ctx.tenant.id,
        &Transition {
            order: id,
            vendor_order: None,
            to,
            actor,
            actor_id: ctx.user_id(),
            reason,
        },
    )
    .await?;
    let order = views::order(tx.conn(), applied.order).await?;
    tx.commit().await?;
    if applied.availability_changed {
        stock::availability_changed(state, ctx.tenant.id).await;
    }
    Ok(order)
}

/// Cancels the whole order: the customer while no vendor has started on it, an admin before
/// anything shipped. Held stock is released (sold stock restocked) exactly once.
#[utoipa::path(post, path = "/api/v1/orders/{id}/cancel", tag = "orders", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Order id")),
    request_body = Reason,
    responses(
        (status = 200, body = Order),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Not possible in the order's status", body = Problem, content_type = "application/problem+json"),
        (status = "4XX", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn cancel_order(
    _: Can<perm::PlaceOrders>,
    ctx: RequestCtx,
    State(state): State<AppState>,
    AppPath(id): AppPath<Uuid>,
    AppJson(body): AppJson<Reason>,
) -> Result<Json<Order>, ApiError> {
    transition(&state, &ctx, id, Status::Cancelled, false, body.checked()?)
        .await
        .map(Json)
}

/// **Admin tool, not a payment.** Marks an unpaid order paid by hand (a payment received
/// outside the platform): the reserved stock becomes sold and `order.paid` is announced. Card
/// and wallet payments do this through the payment service.
#[utoipa::path(post, path = "/api/v1/orders/{id}/mark-paid", tag = "orders", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Order id")),
    request_body = Reason,
    responses(
        (status = 200, body = Order),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Not awaiting payment, or past its payment deadline", body = Problem, content_type = "application/problem+json"),
        (status = "4XX", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn mark_order_paid(
    _: Can<perm::ManageOrders>,
    ctx: RequestCtx,
    State(state): State<AppState>,
    AppPath(id): AppPath<Uuid>,
    AppJson(body): AppJson<Reason>,
) -> Result<Json<Order>, ApiError> {
    transition(&state, &ctx, id, Status::Paid, true, body.checked()?)
        .await
        .map(Json)
}
