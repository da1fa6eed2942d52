//! The cart: one per customer, or per guest behind an opaque token (`X-Cart-Token`), kept on the
//! server so web and mobile share it. It answers with current prices and stock, grouped by
//! vendor and priced exactly as checkout will price it. A signed-in request that still carries
//! a guest token merges that cart into the customer's (the first request after login does it).

use axum::{
    Json,
    extract::State,
    http::{HeaderMap, StatusCode},
};
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use kernel::{
    ApiError, AppState, RequestCtx,
    error::{FieldError, Problem},
    extract::{AppJson, AppPath},
    rbac::Can,
};
use products::api::stock::{self, Offer};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use sqlx::PgConnection;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

use crate::{
    domain::{Quote, Tax, quote},
    permissions as perm,
    repo::carts::{self, MAX_QUANTITY},
};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(get_cart, clear_cart))
        .routes(routes!(add_cart_item))
        .routes(routes!(set_cart_item, remove_cart_item))
}

/// The guest cart header.
pub const TOKEN_HEADER: &str = "x-cart-token";

fn token_hash(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

fn new_token() -> String {
    URL_SAFE_NO_PAD.encode(rand::random::<[u8; 32]>())
}

/// The token a request carries (a malformed one is as good as none).
fn presented(headers: &HeaderMap) -> Option<String> {
    headers
        .get(TOKEN_HEADER)
        .and_then(|v| v.to_str().ok())
        .filter(|t| (16..=128).contains(&t.len()))
        .map(str::to_string)
}

/// Whose cart a request works on.
pub struct CartRef {
    pub id: Option<Uuid>,
    /// A guest's token (the one presented, or a new one when the cart was just created).
    pub token: Option<String>,
}

/// Finds the caller's cart (creating it when `create`), merging a presented guest cart into a
/// signed-in customer's.
pub async fn resolve(
    conn: &mut PgConnection,
    ctx: &RequestCtx,
    headers: &HeaderMap,
    create: bool,
) -> Result<CartRef, ApiError> {
    let token = presented(headers);
    let guest = match &token {
        Some(t) => carts::of_token(conn, &token_hash(t)).await?,
        None => None,
    };
    if let Some(me) = ctx.user_id() {
        let mine = match (
            guest.is_some() || create,
            carts::of_customer(conn, me).await?,
        ) {
            (_, Some(id)) => Some(id),
            (true, None) => Some(carts::ensure_customer(conn, ctx.tenant.id, me).await?),
            (false, None) => None,
        };
        if let (Some(from), Some(into)) = (guest, mine) {
            carts::merge(conn, from, into).await?;
        }
        return Ok(CartRef {
            id: mine,
            token: None,
        });
    }
    match (guest, create) {
        (Some(id), _) => Ok(CartRef {
            id: Some(id),
            token,
        }),
        (None, false) => Ok(CartRef {
            id: None,
            token: None,
        }),
        (None, true) => {
            let token = new_token();
            let id = carts::create_guest(conn, ctx.tenant.id, &token_hash(&token)).await?;
            Ok(CartRef {
                id: Some(id),
                token: Some(token),
            })
        }
    }
}

/// The marketplace's currency and tax, as checkout prices with them.
pub fn pricing(ctx: &RequestCtx) -> (String, Tax) {
    let t = &ctx.tenant;
    (
        t.currency.clone(),
        Tax {
            rate_bps: t.tax_rate_bps,
            inclusive: t.tax_inclusive,
        },
    )
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct CartLine {
    pub variant_id: Uuid,
    pub product_id: Uuid,
    pub sku: String,
    pub title: String,
    pub variant_title: Option<String>,
    pub unit_price_minor: i64,
    pub quantity: i32,
    pub total_minor: i64,
    /// Units that can be bought now.
    pub available: i32,
    /// Whether `quantity` can be bought now (checkout refuses the order otherwise).
    pub in_stock: bool,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct CartVendor {
    pub vendor_id: Uuid,
    pub vendor_name: String,
    pub lines: Vec<CartLine>,
    pub subtotal_minor: i64,
    pub shipping_minor: i64,
    pub tax_minor: i64,
    pub total_minor: i64,
}

/// A line whose variant can no longer be bought (unpublished, deleted, vendor suspended).
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct UnavailableLine {
    pub variant_id: Uuid,
    pub quantity: i32,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Cart {
    /// For guests: send it back as `X-Cart-Token` to reach this cart again. Keep it secret.
    pub cart_token: Option<String>,
    pub currency: String,
    pub vendors: Vec<CartVendor>,
    pub unavailable: Vec<UnavailableLine>,
    pub subtotal_minor: i64,
    pub shipping_minor: i64,
    pub tax_minor: i64,
    pub total_minor: i64,
    pub tax_rate_bps: i32,
    pub tax_inclusive: bool,
    pub item_count: i32,
}

/// Prices the cart `cart` as it stands.
async fn view(conn: &mut PgConnection, ctx: &RequestCtx, cart: CartRef) -> Result<Cart, ApiError> {
    let (currency, tax) = pricing(ctx);
    let items = match cart.id {
        Some(id) => carts::items(conn, id).await?,
        None => Vec::new(),
    };
    let ids: Vec<Uuid> = items.iter().map(|i| i.variant_id).collect();
    let mut offers = stock::offers(conn, &ids, ctx.locale).await?;
    let mut lines: Vec<(Offer, i32)> = Vec::new();
    let mut unavailable = Vec::new();
    for item in items {
        match offers
            .iter()
            .position(|o| o.variant_id == item.variant_id && o.currency == currency)
        {
            Some(i) => lines.push((offers.swap_remove(i), item.quantity)),
            None => unavailable.push(UnavailableLine {
                variant_id: item.variant_id,
                quantity: item.quantity,
            }),
        }
    }
    let q = quote(lines, tax).ok_or(ApiError::conflict("amount_too_large"))?;
    Ok(cart_of(q, currency, unavailable, cart.token))
}

fn cart_of(
    q: Quote,
    currency: String,
    unavailable: Vec<UnavailableLine>,
    token: Option<String>,
) -> Cart {
    Cart {
        cart_token: token,
        currency,
        unavailable,
        subtotal_minor: q.subtotal_minor,
        shipping_minor: q.shipping_minor,
        tax_minor: q.tax_minor,
        total_minor: q.total_minor,
        tax_rate_bps: q.tax.rate_bps,
        tax_inclusive: q.tax.inclusive,
        item_count: q.item_count,
        vendors: q
            .vendors
            .into_iter()
            .map(|v| CartVendor {
                vendor_id: v.vendor_id,
                vendor_name: v.vendor_name,
                subtotal_minor: v.subtotal_minor,
                shipping_minor: v.shipping_minor,
                tax_minor: v.tax_minor,
                total_minor: v.total_minor,
                lines: v
                    .lines
                    .into_iter()
                    .map(|l| CartLine {
                        in_stock: l.offer.available >= l.quantity,
                        variant_id: l.offer.variant_id,
                        product_id: l.offer.product_id,
                        sku: l.offer.sku,
                        title: l.offer.title,
                        variant_title: l.offer.variant_title,
                        unit_price_minor: l.offer.price_minor,
                        quantity: l.quantity,
                        total_minor: l.total_minor,
                        available: l.offer.available,
                    })
                    .collect(),
            })
            .collect(),
    }
}

/// The caller's cart, priced now. A guest without a token gets an empty cart.
#[utoipa::path(get, path = "/api/v1/orders/cart", tag = "orders", security((), ("bearer" = [])),
    params(("X-Cart-Token" = Option<String>, Header, description = "A guest's cart token")),
    responses(
        (status = 200, body = Cart),
        (status = "4XX", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn get_cart(
    _: Can<perm::UseCart>,
    ctx: RequestCtx,
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Json<Cart>, ApiError> {
    let mut tx = state.db.begin_for(&ctx).await?;
    let cart = resolve(tx.conn(), &ctx, &headers, false).await?;
    let view = view(tx.conn(), &ctx, cart).await?;
    tx.commit().await?;
    Ok(Json(view))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewCartItem {
    pub variant_id: Uuid,
    /// Units to add, 1 to 999 (the line never holds more than 999).
    #[schema(minimum = 1, maximum = 999)]
    pub quantity: i32,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CartItemQuantity {
    /// The line's quantity, 1 to 999.
    #[schema(minimum = 1, maximum = 999)]
    pub quantity: i32,
}

fn check_quantity(q: i32) -> Result<(), ApiError> {
    if (1..=MAX_QUANTITY).contains(&q) {
        Ok(())
    } else {
        Err(ApiError::Validation(vec![
            FieldError::new("quantity", "out_of_range")
                .with("min", 1)
                .with("max", MAX_QUANTITY),
        ]))
    }
}

/// Adds or sets a line after checking the variant can be bought here.
async fn put(
    state: &AppState,
    ctx: &RequestCtx,
    headers: &HeaderMap,
    variant: Uuid,
    quantity: i32,
    increment: bool,
) -> Result<Cart, ApiError> {
    check_quantity(quantity)?;
    let mut tx = state.db.begin_for(ctx).await?;
    let offered = stock::offers(tx.conn(), &[variant], ctx.locale).await?;
    if offered.is_empty() {
        return Err(ApiError::field("variant_id", "unknown_variant"));
    }
    let cart = resolve(tx.conn(), ctx, headers, true).await?;
    let id = cart
        .id
        .ok_or_else(|| ApiError::internal(anyhow::anyhow!("cart not created")))?;
    if carts::put_item(tx.conn(), ctx.tenant.id, id, variant, quantity, increment)
        .await?
        .is_none()
    {
        return Err(ApiError::Rejected {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            code: "cart_full",
        });
    }
    let view = view(tx.conn(), ctx, cart).await?;
    tx.commit().await?;
    Ok(view)
}

/// Adds units of a variant to the cart (creating the cart; a guest gets its `cart_token`).
#[utoipa::path(post, path = "/api/v1/orders/cart/items", tag = "orders", security((), ("bearer" = [])),
    params(("X-Cart-Token" = Option<String>, Header, description = "A guest's cart token")),
    request_body = NewCartItem,
    responses(
        (status = 200, body = Cart),
        (status = 422, body = Problem, content_type = "application/problem+json"),
        (status = "4XX", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn add_cart_item(
    _: Can<perm::UseCart>,
    ctx: RequestCtx,
    State(state): State<AppState>,
    headers: HeaderMap,
    AppJson(body): AppJson<NewCartItem>,
) -> Result<Json<Cart>, ApiError> {
    put(&state, &ctx, &headers, body.variant_id, body.quantity, true)
        .await
        .map(Json)
}

/// Sets the quantity of a variant in the cart (adding the line when missing).
#[utoipa::path(put, path = "/api/v1/orders/cart/items/{id}", tag = "orders", security((), ("bearer" = [])),
    params(("id" = Uuid, Path, description = "Variant id"),
           ("X-Cart-Token" = Option<String>, Header, description = "A guest's cart token")),
    request_body = CartItemQuantity,
    responses(
        (status = 200, body = Cart),
        (status = 422, body = Problem, content_type = "application/problem+json"),
        (status = "4XX", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn set_cart_item(
    _: Can<perm::UseCart>,
    ctx: RequestCtx,
    State(state): State<AppState>,
    headers: HeaderMap,
    AppPath(variant): AppPath<Uuid>,
    AppJson(body): AppJson<CartItemQuantity>,
) -> Result<Json<Cart>, ApiError> {
    put(&state, &ctx, &headers, variant, body.quantity, false)
        .await
        .map(Json)
}

/// Removes a variant from the cart.
#[utoipa::path(delete, path = "/api/v1/orders/cart/items/{id}", tag = "orders", security((), ("bearer" = [])),
    params(("id" = Uuid, Path, description = "Variant id"),
           ("X-Cart-Token" = Option<String>, Header, description = "A guest's cart token")),
    responses(
        (status = 200, body = Cart),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = "4XX", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn remove_cart_item(
    _: Can<perm::UseCart>,
    ctx: RequestCtx,
    State(state): State<AppState>,
    headers: HeaderMap,
    AppPath(variant): AppPath<Uuid>,
) -> Result<Json<Cart>, ApiError> {
    let mut tx = state.db.begin_for(&ctx).await?;
    let cart = resolve(tx.conn(), &ctx, &headers, false).await?;
    let id = cart.id.ok_or(ApiError::NotFound)?;
    if !carts::remove_item(tx.conn(), id, variant).await? {
        return Err(ApiError::NotFound);
    }
    let view = view(tx.conn(), &ctx, cart).await?;
    tx.commit().await?;
    Ok(Json(view))
}

/// Empties the cart.
#[utoipa::path(delete, path = "/api/v1/orders/cart", tag = "orders", security((), ("bearer" = [])),
    params(("X-Cart-Token" = Option<String>, Header, description = "A guest's cart token")),
    responses(
        (status = 200, body = Cart),
        (status = "4XX", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn clear_cart(
    _: Can<perm::UseCart>,
    ctx: RequestCtx,
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Json<Cart>, ApiError> {
    let mut tx = state.db.begin_for(&ctx).await?;
    let cart = resolve(tx.conn(), &ctx, &headers, false).await?;
    if let Some(id) = cart.id {
        carts::clear(tx.conn(), id, None).await?;
    }
    let view = view(tx.conn(), &ctx, cart).await?;
    tx.commit().await?;
    Ok(Json(view))
}
