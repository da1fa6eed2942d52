//! Checkout: `POST /api/v1/orders`, from the cart or from explicit lines.
//!
//! One transaction, under the request's `Idempotency-Key`: every line priced from the catalogue
//! (the client sends variants and quantities, never prices), the order written with one vendor
//! order per vendor, the shipping address copied, the history and an `order.placed` event
//! written, and only then the stock reserved — last, in the commit's round trip, so the stock rows
//! are locked for as short a time as possible. Short stock rolls everything back and answers 409
//! naming the lines.

use axum::{
    extract::State,
    http::{HeaderMap, HeaderValue, StatusCode, header},
};
use kernel::{
    ApiError, AppState, RequestCtx,
    error::{FieldError, Problem},
    extract::AppJson,
    idempotency::{self, Begun, IdempotencyKey, Options, StoredResponse},
    outbox::{self, Event},
    rbac::Can,
    validate::Validator,
};
use products::api::stock::{self, Line, Offer};
use serde::{Deserialize, Serialize};
use serde_json::json;
use time::OffsetDateTime;
use users::api::PostalAddress;
use utoipa::ToSchema;
use uuid::Uuid;

use super::{
    cart::{pricing, resolve},
    views::{self, Order},
};
use crate::{
    domain::{order_number, quote},
    permissions as perm,
    repo::{
        self,
        carts::{MAX_LINES, MAX_QUANTITY},
        orders::NewOrder,
    },
};

#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OrderLine {
    pub variant_id: Uuid,
    /// 1 to 999 units.
    #[schema(minimum = 1, maximum = 999)]
    pub quantity: i32,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PlaceOrder {
    /// What to buy. Omitted: everything in the caller's cart (the bought lines then leave it).
    #[schema(max_items = 100)]
    pub lines: Option<Vec<OrderLine>>,
    /// One of the caller's saved addresses, copied into the order.
    pub shipping_address_id: Option<Uuid>,
    /// Or an address given here.
    pub shipping_address: Option<PostalAddress>,
    #[schema(max_length = 500)]
    pub note: Option<String>,
    /// The total the customer was shown, in minor units. When given and the order now costs
    /// something else (a price changed), the order is refused with 409 `price_changed`.
    pub expected_total_minor: Option<i64>,
}

/// Places an order. Requires an `Idempotency-Key`: a retry gets the first answer, never a
/// second order.
#[utoipa::path(post, path = "/api/v1/orders", tag = "orders", security(("bearer" = [])),
    params(IdempotencyKey),
    request_body = PlaceOrder,
    responses(
        (status = 201, body = Order, headers(("Location" = String, description = "The order"))),
        (status = 409, description = "Out of stock (`errors` names the lines), price changed, or the key is in use",
            body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
        (status = "4XX", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn place_order(
    _: Can<perm::PlaceOrders>,
    ctx: RequestCtx,
    State(state): State<AppState>,
    headers: HeaderMap,
    key: IdempotencyKey,
    AppJson(mut body): AppJson<PlaceOrder>,
) -> Result<StoredResponse, ApiError> {
    let customer = ctx.require_user()?.user_id;
    let requested = check(&mut body)?;
    // Every statement here is a lookup by key or an insert: skip planning each one again (the
    // catalogue lookup's plan under RLS costs more than running it).
    let options = Options {
        settings: &[("plan_cache_mode", "force_generic_plan")],
        ..Options::default()
    };
    let mut guard =
        match idempotency::begin_with(&state.db, &ctx, Some(&key), &body, options).await? {
            Begun::Replay(first) => return Ok(first),
            Begun::Fresh(guard) => guard,
        };
    let conn = guard.conn();

    // What to buy: the explicit lines, or the cart's.
    let (lines, cart) = match requested {
        Some(lines) => (lines, None),
        None => {
            let cart = resolve(conn, &ctx, &headers, false).await?;
            let id = cart.id.ok_or(EMPTY_CART)?;
            let items = repo::carts::items(conn, id).await?;
            (
                items.iter().map(|i| (i.variant_id, i.quantity)).collect(),
                Some(id),
            )
        }
    };
    if lines.is_empty() {
        return Err(EMPTY_CART);
    }
    let address = match (body.shipping_address.take(), body.shipping_address_id) {
        (Some(a), _) => a,
        (None, Some(id)) => users::api::saved_address(conn, customer, id)
            .await?
            .ok_or(ApiError::field("shipping_address_id", "not_found"))?,
        (None, None) => return Err(ApiError::field("shipping_address", "required")),
    };

    // Prices and vendors come from the catalogue, as the caller may see it now.
    let (currency, tax) = pricing(&ctx);
    let ids: Vec<Uuid> = lines.iter().map(|l| l.0).collect();
    let mut offers = stock::offers(conn, &ids, ctx.locale).await?;
    let mut priced: Vec<(Offer, i32)> = Vec::with_capacity(lines.len());
    let mut v = Validator::new();
    for (i, (variant, quantity)) in lines.iter().enumerate() {
        match offers.iter().position(|o| o.variant_id == *variant) {
            Some(p) if offers[p].currency == currency => {
                priced.push((offers.swap_remove(p), *quantity))
            }
            Some(_) => {
                v.push(
                    FieldError::new(format!("lines[{i}].variant_id"), "currency_mismatch")
                        .with("expected", &currency),
                );
            }
            None => {
                v.push(FieldError::new(
                    format!("lines[{i}].variant_id"),
                    "unknown_variant",
                ));
            }
        }
    }
    v.finish()?;
    // Refuse what the catalogue already shows short without writing anything (the reservation
    // below stays the authority: stock can go between this read and it).
    let short: Vec<stock::Shortage> = priced
        .iter()
        .filter(|(o, q)| o.available < *q)
        .map(|(o, q)| stock::Shortage {
            variant_id: o.variant_id,
            requested: *q,
            available: o.available,
        })
        .collect();
    let q = quote(priced, tax).ok_or(ApiError::conflict("amount_too_large"))?;
    if !short.is_empty() {
        return Err(out_of_stock(&lines, &q, &short));
    }
    if body
        .expected_total_minor
        .is_some_and(|t| t != q.total_minor)
    {
        return Err(ApiError::conflict("price_changed"));
    }

    let id = Uuid::now_v7();
    let number = order_number(id);
    let vendor_order_ids: Vec<Uuid> = q.vendors.iter().map(|_| Uuid::now_v7()).collect();
    let item_ids: Vec<Vec<Uuid>> = q
        .vendors
        .iter()
        .map(|v| v.lines.iter().map(|_| Uuid::now_v7()).collect())
        .collect();
    let history_ids: Vec<Uuid> = (0..=q.vendors.len()).map(|_| Uuid::now_v7()).collect();
    let now = OffsetDateTime::now_utc();
    // As stored: PostgreSQL keeps microseconds.
    let now = now
        .replace_nanosecond(now.nanosecond() / 1000 * 1000)
        .unwrap_or(now);
    let new = NewOrder {
        id,
        vendor_order_ids: &vendor_order_ids,
        item_ids: &item_ids,
        history_ids: &history_ids,
        placed_at: now,
        tenant: ctx.tenant.id,
        number: &number,
        customer,
        currency: &currency,
        quote: &q,
        locale: ctx.locale.as_str(),
        note: body.note.as_deref(),
        expires_at: now + state.config.order_payment_timeout,
        address: &address,
    };
    repo::orders::insert(conn, &new).await?;
    let event = Event::new(
        "order.placed",
        id,
        json!({
            "order_id": id,
            "number": number,
            "customer_id": customer,
            "vendor_ids": q.vendors.iter().map(|v| v.vendor_id).collect::<Vec<_>>(),
            "total_minor": q.total_minor,
            "currency": currency,
            "item_count": q.item_count,
            "locale": ctx.locale.as_str(),
        }),
    );
    outbox::emit(conn, ctx.tenant.id, &event).await?;
    if let Some(cart) = cart {
        repo::carts::clear(conn, cart, Some(&ids)).await?;
    }
    let location =
        HeaderValue::from_str(&format!("/api/v1/orders/{id}")).map_err(ApiError::internal)?;
    let answer = StoredResponse::json(StatusCode::CREATED, &views::placed(&new))?
        .with_header(header::LOCATION, location);
    guard.record(&answer).await?;

    // Last, and in the commit's own round trip, so the stock rows stay locked only for the
    // reservation and the commit: reserve every line or none, locking in variant order (a
    // shortage rolls back everything above).
    let mut stock_lines: Vec<Line> = lines
        .iter()
        .map(|&(variant_id, quantity)| Line {
            variant_id,
            quantity,
        })
        .collect();
    stock_lines.sort_by_key(|l| l.variant_id);
    let levels = match stock::reserve_and_commit(guard.into_tx(), &stock_lines).await? {
        Ok(levels) => levels,
        Err(short) => return Err(out_of_stock(&lines, &q, &short)),
    };
    if levels.iter().any(|l| l.available == 0) {
        stock::availability_changed(&state, ctx.tenant.id).await;
    }
    Ok(answer)
}

const EMPTY_CART: ApiError = ApiError::Rejected {
    status: StatusCode::UNPROCESSABLE_ENTITY,
    code: "cart_empty",
};

/// Validates the request; returns the explicit lines merged by variant (`None`: the cart's).
fn check(body: &mut PlaceOrder) -> Result<Option<Vec<(Uuid, i32)>>, ApiError> {
    let mut v = Validator::new();
    match (&mut body.shipping_address, body.shipping_address_id) {
        (Some(a), None) => a.check(&mut v, "shipping_address."),
        (None, Some(_)) => {}
        (None, None) => {
            v.push(FieldError::new("shipping_address", "required"));
        }
        (Some(_), Some(_)) => {
            v.push(
                FieldError::new("shipping_address_id", "exclusive")
                    .with("other", "shipping_address"),
            );
        }
    }
    v.opt_text("note", body.note.as_deref(), 500);
    if let Some(t) = body.expected_total_minor {
        v.check(t >= 0, "expected_total_minor", "invalid");
    }
    let Some(lines) = &body.lines else {
        v.finish()?;
        return Ok(None);
    };
    if lines.len() > MAX_LINES {
        v.push(FieldError::new("lines", "too_many").with("max", MAX_LINES));
    }
    let mut merged: Vec<(Uuid, i32)> = Vec::new();
    for (i, l) in lines.iter().enumerate() {
        if !(1..=MAX_QUANTITY).contains(&l.quantity) {
            v.push(
                FieldError::new(format!("lines[{i}].quantity"), "out_of_range")
                    .with("min", 1)
                    .with("max", MAX_QUANTITY),
            );
            continue;
        }
        match merged.iter_mut().find(|m| m.0 == l.variant_id) {
            Some(m) if m.1 + l.quantity > MAX_QUANTITY => {
                v.push(
                    FieldError::new(format!("lines[{i}].quantity"), "out_of_range")
                        .with("min", 1)
                        .with("max", MAX_QUANTITY),
                );
            }
            Some(m) => m.1 += l.quantity,
            None => merged.push((l.variant_id, l.quantity)),
        }
    }
    v.finish()?;
    if merged.is_empty() {
        return Err(EMPTY_CART);
    }
    Ok(Some(merged))
}

/// 409 naming each short line: its index, variant, SKU, what was asked and what is left.
fn out_of_stock(
    lines: &[(Uuid, i32)],
    q: &crate::domain::Quote,
    short: &[stock::Shortage],
) -> ApiError {
    let errors = lines
        .iter()
        .enumerate()
        .filter_map(|(i, (variant, _))| {
            let s = short.iter().find(|s| s.variant_id == *variant)?;
            let sku = q
                .vendors
                .iter()
                .flat_map(|v| &v.lines)
                .find(|l| l.offer.variant_id == *variant)
                .map_or(String::new(), |l| l.offer.sku.clone());
            Some(
                FieldError::new(format!("lines[{i}]"), "out_of_stock")
                    .with("variant_id", s.variant_id)
                    .with("sku", sku)
                    .with("requested", s.requested)
                    .with("available", s.available.max(0)),
            )
        })
        .collect();
    ApiError::RejectedWith {
        status: StatusCode::CONFLICT,
        code: "out_of_stock",
        errors,
    }
}
