//! Variants of a product: SKU (unique in the marketplace), options, price in minor units of the
//! marketplace currency, compare-at price, weight. Each variant has one inventory row.

use std::collections::HashSet;

use axum::{Json, extract::State, http::StatusCode};
use kernel::{
    ApiError, AppState, RequestCtx,
    error::{FieldError, Problem, on_constraint},
    extract::{AppJson, AppPath},
    rbac::Can,
    validate::Validator,
};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

use super::nullable;
use crate::{
    cache,
    domain::{Currency, string_map},
    permissions as perm,
    repo::{self, variants::VariantRow},
};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_variant))
        .routes(routes!(update_variant, delete_variant))
}

/// The highest price accepted, in minor units (ten billion in major units of a 2-decimal currency).
pub const PRICE_MAX: i64 = 1_000_000_000_000;
/// The most units one variant can hold.
pub const STOCK_MAX: i32 = 1_000_000_000;
pub const VARIANTS_MAX: usize = 100;

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Variant {
    pub id: Uuid,
    pub sku: String,
    pub title: Option<String>,
    /// Option name → value: `{"talla": "M"}`.
    #[schema(value_type = Object)]
    pub options: Value,
    /// Minor units (cents/céntimos).
    pub price_minor: i64,
    /// ISO 4217; always the marketplace currency.
    pub currency: String,
    pub compare_at_minor: Option<i64>,
    pub weight_grams: Option<i32>,
    pub position: i32,
    /// Units that can be sold now (on hand minus reserved).
    pub available: i32,
}

impl From<VariantRow> for Variant {
    fn from(r: VariantRow) -> Self {
        Self {
            id: r.id,
            sku: r.sku,
            title: r.title,
            options: r.options,
            price_minor: r.price_minor,
            currency: r.currency,
            compare_at_minor: r.compare_at_minor,
            weight_grams: r.weight_grams,
            position: r.position,
            available: r.available.max(0),
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewVariant {
    #[schema(max_length = 64, example = "POLO-AZ-M")]
    pub sku: String,
    pub title: Option<String>,
    #[schema(value_type = Option<Object>)]
    pub options: Option<Map<String, Value>>,
    /// Minor units, 0 or more.
    #[schema(minimum = 0, example = 2990)]
    pub price_minor: i64,
    /// Defaults to the marketplace currency, the only one accepted.
    pub currency: Option<String>,
    /// The "before" price shown struck through; above `price_minor`.
    pub compare_at_minor: Option<i64>,
    pub weight_grams: Option<i32>,
    #[serde(default)]
    pub position: i32,
    /// Units on hand to start with (recorded as a `received` adjustment).
    #[serde(default)]
    pub stock: i32,
    #[serde(default)]
    pub low_stock_threshold: i32,
}

/// Omitted fields stay; `null` clears an optional field. Stock changes through adjustments.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VariantPatch {
    pub sku: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    pub title: Option<Option<String>>,
    #[schema(value_type = Option<Object>)]
    pub options: Option<Map<String, Value>>,
    pub price_minor: Option<i64>,
    pub currency: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<i64>)]
    pub compare_at_minor: Option<Option<i64>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<i32>)]
    pub weight_grams: Option<Option<i32>>,
    pub position: Option<i32>,
}

/// Checks a complete variant (after defaults or a patch) under `field` (`variants[0].` or ``).
pub fn check(v: &mut Validator, field: &str, row: &mut VariantRow, tenant_currency: &str) {
    row.sku = row.sku.trim().to_string();
    row.title = row
        .title
        .take()
        .map(|t| t.trim().to_string())
        .filter(|t| !t.is_empty());
    v.text(&format!("{field}sku"), &row.sku, 1, 64)
        .check(
            !row.sku.chars().any(|c| c.is_whitespace() || c.is_control()),
            &format!("{field}sku"),
            "invalid",
        )
        .opt_text(&format!("{field}title"), row.title.as_deref(), 200);
    if !(0..=PRICE_MAX).contains(&row.price_minor) {
        v.push(
            FieldError::new(format!("{field}price_minor"), "out_of_range")
                .with("min", 0)
                .with("max", PRICE_MAX),
        );
    }
    if let Some(c) = row.compare_at_minor
        && (c <= row.price_minor || c > PRICE_MAX)
    {
        v.push(FieldError::new(
            format!("{field}compare_at_minor"),
            "compare_at_not_above_price",
        ));
    }
    if row.weight_grams.is_some_and(|w| w < 0) {
        v.push(
            FieldError::new(format!("{field}weight_grams"), "out_of_range")
                .with("min", 0)
                .with("max", i32::MAX),
        );
    }
    if let Some(currency) = v.parse(Currency::parse(&format!("{field}currency"), &row.currency))
        && currency.as_str() != tenant_currency
    {
        v.push(
            FieldError::new(format!("{field}currency"), "currency_mismatch")
                .with("expected", tenant_currency),
        );
    }
    match row.options.as_object() {
        Some(map) => {
            if let Err(e) = string_map(&format!("{field}options"), map) {
                v.push(e);
            }
        }
        None => {
            v.push(FieldError::new(format!("{field}options"), "invalid_type"));
        }
    }
}

/// A new variant's row and its opening stock and threshold, validated.
pub fn new_row(
    v: &mut Validator,
    field: &str,
    product: Uuid,
    n: NewVariant,
    tenant_currency: &str,
) -> (VariantRow, i32, i32) {
    let mut row = VariantRow {
        id: Uuid::now_v7(),
        product_id: product,
        sku: n.sku,
        title: n.title,
        options: Value::Object(n.options.unwrap_or_default()),
        price_minor: n.price_minor,
        currency: n.currency.unwrap_or_else(|| tenant_currency.to_string()),
        compare_at_minor: n.compare_at_minor,
        weight_grams: n.weight_grams,
        position: n.position,
        available: 0,
    };
    check(v, field, &mut row, tenant_currency);
    if !(0..=STOCK_MAX).contains(&n.stock) {
        v.push(
            FieldError::new(format!("{field}stock"), "out_of_range")
                .with("min", 0)
                .with("max", STOCK_MAX),
        );
    }
    if !(0..=STOCK_MAX).contains(&n.low_stock_threshold) {
        v.push(
            FieldError::new(format!("{field}low_stock_threshold"), "out_of_range")
                .with("min", 0)
                .with("max", STOCK_MAX),
        );
    }
    (row, n.stock, n.low_stock_threshold)
}

/// SKUs repeated inside one request (the database only catches clashes with stored ones).
pub fn check_unique_skus<'a>(v: &mut Validator, skus: impl Iterator<Item = &'a str>) {
    let mut seen = HashSet::new();
    for (i, sku) in skus.enumerate() {
        if !seen.insert(sku.to_lowercase()) {
            v.push(FieldError::new(format!("variants[{i}].sku"), "duplicate"));
        }
    }
}

/// Stores new variants with their opening stock (as `received` adjustments by `actor`).
pub async fn insert_all(
    conn: &mut sqlx::PgConnection,
    tenant: Uuid,
    actor: Uuid,
    rows: &[(VariantRow, i32, i32)],
) -> Result<(), ApiError> {
    for (row, stock, threshold) in rows {
        repo::variants::upsert(conn, tenant, row, *threshold)
            .await
            .map_err(on_constraint(
                repo::variants::SKU_KEY,
                ApiError::conflict("sku_taken"),
            ))?;
        if *stock > 0 {
            let change = repo::inventory::Change {
                product: row.product_id,
                variant: row.id,
                delta: *stock,
                reason: "received",
                note: None,
                actor,
            };
            repo::inventory::adjust(conn, tenant, &change).await?;
        }
    }
    Ok(())
}

/// Adds a variant to a product the caller may edit.
#[utoipa::path(post, path = "/api/v1/products/{id}/variants", tag = "products", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Product id")),
    request_body = NewVariant,
    responses(
        (status = 201, body = Variant),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`sku_taken`, `too_many_variants`", body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
        (status = "4XX", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn create_variant(
    _: Can<perm::WriteProducts>,
    ctx: RequestCtx,
    State(state): State<AppState>,
    AppPath(id): AppPath<Uuid>,
    AppJson(body): AppJson<NewVariant>,
) -> Result<(StatusCode, Json<Variant>), ApiError> {
    let me = ctx.require_user()?.user_id;
    let mut v = Validator::new();
    let row = new_row(&mut v, "", id, body, &ctx.tenant.currency);
    v.finish()?;
    let mut tx = state.db.begin_for(&ctx).await?;
    repo::products::base_for_update(tx.conn(), id)
        .await?
        .ok_or(ApiError::NotFound)?;
    if repo::variants::count(tx.conn(), id).await? as usize >= VARIANTS_MAX {
        return Err(ApiError::conflict("too_many_variants"));
    }
    let variant = row.0.id;
    insert_all(tx.conn(), ctx.tenant.id, me, &[row]).await?;
    repo::search::refresh(tx.conn(), id).await?;
    let saved = repo::variants::get_for_update(tx.conn(), id, variant)
        .await?
        .ok_or(ApiError::NotFound)?;
    tx.commit().await?;
    cache::invalidate(&state, ctx.tenant.id).await;
    Ok((StatusCode::CREATED, Json(saved.into())))
}

/// Edits a variant of a product the caller may edit.
#[utoipa::path(patch, path = "/api/v1/products/{id}/variants/{variant_id}", tag = "products", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Product id"), ("variant_id" = Uuid, Path, description = "Variant id")),
    request_body = VariantPatch,
    responses(
        (status = 200, body = Variant),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`sku_taken`", body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
        (status = "4XX", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn update_variant(
    _: Can<perm::WriteProducts>,
    ctx: RequestCtx,
    State(state): State<AppState>,
    AppPath((id, variant)): AppPath<(Uuid, Uuid)>,
    AppJson(p): AppJson<VariantPatch>,
) -> Result<Json<Variant>, ApiError> {
    let mut tx = state.db.begin_for(&ctx).await?;
    repo::products::base_for_update(tx.conn(), id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let mut row = repo::variants::get_for_update(tx.conn(), id, variant)
        .await?
        .ok_or(ApiError::NotFound)?;
    if let Some(s) = p.sku {
        row.sku = s;
    }
    if let Some(t) = p.title {
        row.title = t;
    }
    if let Some(o) = p.options {
        row.options = Value::Object(o);
    }
    if let Some(price) = p.price_minor {
        row.price_minor = price;
    }
    if let Some(c) = p.currency {
        row.currency = c;
    }
    if let Some(c) = p.compare_at_minor {
        row.compare_at_minor = c;
    }
    if let Some(w) = p.weight_grams {
        row.weight_grams = w;
    }
    if let Some(pos) = p.position {
        row.position = pos;
    }
    let mut v = Validator::new();
    check(&mut v, "", &mut row, &ctx.tenant.currency);
    v.finish()?;
    repo::variants::upsert(tx.conn(), ctx.tenant.id, &row, 0)
        .await
        .map_err(on_constraint(
            repo::variants::SKU_KEY,
            ApiError::conflict("sku_taken"),
        ))?;
    repo::search::refresh(tx.conn(), id).await?;
    let saved = repo::variants::get_for_update(tx.conn(), id, variant)
        .await?
        .ok_or(ApiError::NotFound)?;
    tx.commit().await?;
    cache::invalidate(&state, ctx.tenant.id).await;
    Ok(Json(saved.into()))
}

/// Removes a variant (and its stock). An active product keeps at least one variant.
#[utoipa::path(delete, path = "/api/v1/products/{id}/variants/{variant_id}", tag = "products", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Product id"), ("variant_id" = Uuid, Path, description = "Variant id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`product_needs_variant`", body = Problem, content_type = "application/problem+json"),
        (status = "4XX", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn delete_variant(
    _: Can<perm::WriteProducts>,
    ctx: RequestCtx,
    State(state): State<AppState>,
    AppPath((id, variant)): AppPath<(Uuid, Uuid)>,
) -> Result<StatusCode, ApiError> {
    let mut tx = state.db.begin_for(&ctx).await?;
    let product = repo::products::base_for_update(tx.conn(), id)
        .await?
        .ok_or(ApiError::NotFound)?;
    if !repo::variants::delete(tx.conn(), id, variant).await? {
        return Err(ApiError::NotFound);
    }
    if product.status == "active" && repo::variants::count(tx.conn(), id).await? == 0 {
        return Err(ApiError::conflict("product_needs_variant"));
    }
    repo::search::refresh(tx.conn(), id).await?;
    tx.commit().await?;
    cache::invalidate(&state, ctx.tenant.id).await;
    Ok(StatusCode::NO_CONTENT)
}
