//! Stock per variant: levels, adjustments with a reason (kept in a history), low-stock
//! thresholds. Only the product's vendor and the marketplace admins see or change them.

use axum::{Json, extract::State, http::StatusCode};
use kernel::{
    ApiError, AppState, RequestCtx,
    error::{FieldError, Problem},
    extract::{AppJson, AppPath, AppQuery},
    pagination::{Page, PageQuery},
    rbac::Can,
    validate::Validator,
};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

use super::variants::STOCK_MAX;
use crate::{
    cache, permissions as perm,
    repo::{
        self,
        inventory::{Adjusted, AdjustmentRow, Change, LevelRow},
    },
};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_inventory))
        .routes(routes!(update_inventory))
        .routes(routes!(list_adjustments, adjust_inventory))
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct StockLevel {
    pub variant_id: Uuid,
    pub sku: String,
    pub on_hand: i32,
    /// Held by unpaid orders.
    pub reserved: i32,
    /// `on_hand - reserved`: what can be sold now.
    pub available: i32,
    pub low_stock_threshold: i32,
    /// `available` is at or under the threshold.
    pub low_stock: bool,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
}

impl From<LevelRow> for StockLevel {
    fn from(r: LevelRow) -> Self {
        let available = r.on_hand - r.reserved;
        Self {
            variant_id: r.variant_id,
            sku: r.sku,
            on_hand: r.on_hand,
            reserved: r.reserved,
            available,
            low_stock_threshold: r.low_stock_threshold,
            low_stock: available <= r.low_stock_threshold,
            updated_at: r.updated_at,
        }
    }
}

/// Makes sure the caller may manage product `id` (404 otherwise, also for another vendor's).
async fn writable(conn: &mut sqlx::PgConnection, id: Uuid) -> Result<(), ApiError> {
    if repo::products::writable(conn, id).await? {
        Ok(())
    } else {
        Err(ApiError::NotFound)
    }
}

/// Stock of every variant of a product.
#[utoipa::path(get, path = "/api/v1/products/{id}/inventory", tag = "products", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Product id")),
    responses(
        (status = 200, body = Vec<StockLevel>),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = "4XX", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn list_inventory(
    _: Can<perm::WriteProducts>,
    ctx: RequestCtx,
    State(state): State<AppState>,
    AppPath(id): AppPath<Uuid>,
) -> Result<Json<Vec<StockLevel>>, ApiError> {
    let mut tx = state.db.begin_for(&ctx).await?;
    writable(tx.conn(), id).await?;
    let rows = repo::inventory::of_product(tx.conn(), id).await?;
    tx.commit().await?;
    Ok(Json(rows.into_iter().map(StockLevel::from).collect()))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InventorySettings {
    /// Warn when what can be sold falls to this many units.
    pub low_stock_threshold: i32,
}

/// Sets a variant's low-stock threshold.
#[utoipa::path(patch, path = "/api/v1/products/{id}/variants/{variant_id}/inventory", tag = "products", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Product id"), ("variant_id" = Uuid, Path, description = "Variant id")),
    request_body = InventorySettings,
    responses(
        (status = 200, body = StockLevel),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
        (status = "4XX", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn update_inventory(
    _: Can<perm::WriteProducts>,
    ctx: RequestCtx,
    State(state): State<AppState>,
    AppPath((id, variant)): AppPath<(Uuid, Uuid)>,
    AppJson(body): AppJson<InventorySettings>,
) -> Result<Json<StockLevel>, ApiError> {
    if !(0..=STOCK_MAX).contains(&body.low_stock_threshold) {
        return Err(ApiError::Validation(vec![
            FieldError::new("low_stock_threshold", "out_of_range")
                .with("min", 0)
                .with("max", STOCK_MAX),
        ]));
    }
    let mut tx = state.db.begin_for(&ctx).await?;
    writable(tx.conn(), id).await?;
    let row = repo::inventory::set_threshold(tx.conn(), id, variant, body.low_stock_threshold)
        .await?
        .ok_or(ApiError::NotFound)?;
    tx.commit().await?;
    Ok(Json(row.into()))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewAdjustment {
    /// Units added (positive) or removed (negative); never 0.
    #[schema(example = -2)]
    pub delta: i32,
    /// `received`, `sold`, `returned`, `damaged`, `lost` or `correction`.
    pub reason: String,
    #[schema(max_length = 500)]
    pub note: Option<String>,
}

const REASONS: [&str; 6] = [
    "received",
    "sold",
    "returned",
    "damaged",
    "lost",
    "correction",
];

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Adjustment {
    pub id: Uuid,
    pub variant_id: Uuid,
    pub delta: i32,
    pub reason: String,
    pub note: Option<String>,
    pub on_hand_after: i32,
    /// Who made it.
    pub actor_id: Option<Uuid>,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

impl From<AdjustmentRow> for Adjustment {
    fn from(r: AdjustmentRow) -> Self {
        Self {
            id: r.id,
            variant_id: r.variant_id,
            delta: r.delta,
            reason: r.reason,
            note: r.note,
            on_hand_after: r.on_hand_after,
            actor_id: r.actor_id,
            created_at: r.created_at,
        }
    }
}

/// Adjusts a variant's stock atomically and records why. Concurrent adjustments never lose an
/// update; one that would take stock below what is reserved (or zero) is refused with 409
/// `insufficient_stock` and changes nothing.
#[utoipa::path(post, path = "/api/v1/products/{id}/variants/{variant_id}/inventory/adjustments", tag = "products", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Product id"), ("variant_id" = Uuid, Path, description = "Variant id")),
    request_body = NewAdjustment,
    responses(
        (status = 201, body = StockLevel),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`insufficient_stock`", body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
        (status = "4XX", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn adjust_inventory(
    _: Can<perm::WriteProducts>,
    ctx: RequestCtx,
    State(state): State<AppState>,
    AppPath((id, variant)): AppPath<(Uuid, Uuid)>,
    AppJson(body): AppJson<NewAdjustment>,
) -> Result<(StatusCode, Json<StockLevel>), ApiError> {
    let me = ctx.require_user()?.user_id;
    let note = body
        .note
        .map(|n| n.trim().to_string())
        .filter(|n| !n.is_empty());
    let mut v = Validator::new();
    v.check(body.delta != 0, "delta", "invalid")
        .check(
            body.delta.unsigned_abs() <= STOCK_MAX as u32,
            "delta",
            "out_of_range",
        )
        .check(
            REASONS.contains(&body.reason.as_str()),
            "reason",
            "invalid_choice",
        )
        .opt_text("note", note.as_deref(), 500)
        .finish()?;
    let mut tx = state.db.begin_for(&ctx).await?;
    writable(tx.conn(), id).await?;
    let change = Change {
        product: id,
        variant,
        delta: body.delta,
        reason: &body.reason,
        note: note.as_deref(),
        actor: me,
    };
    let level = match repo::inventory::adjust(tx.conn(), ctx.tenant.id, &change).await? {
        Adjusted::Done(level) => level,
        Adjusted::Missing => return Err(ApiError::NotFound),
        Adjusted::Insufficient => return Err(ApiError::conflict("insufficient_stock")),
    };
    // Going in or out of stock changes what search shows.
    repo::search::refresh(tx.conn(), id).await?;
    tx.commit().await?;
    cache::invalidate(&state, ctx.tenant.id).await;
    Ok((StatusCode::CREATED, Json(level.into())))
}

/// A variant's adjustment history, newest first.
#[utoipa::path(get, path = "/api/v1/products/{id}/variants/{variant_id}/inventory/adjustments", tag = "products", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Product id"), ("variant_id" = Uuid, Path, description = "Variant id"), PageQuery),
    responses(
        (status = 200, body = Page<Adjustment>),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = "4XX", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn list_adjustments(
    _: Can<perm::WriteProducts>,
    ctx: RequestCtx,
    State(state): State<AppState>,
    AppPath((id, variant)): AppPath<(Uuid, Uuid)>,
    AppQuery(q): AppQuery<PageQuery>,
) -> Result<Json<Page<Adjustment>>, ApiError> {
    let (limit, cursor) = (q.limit()?, q.cursor::<Uuid>()?);
    let mut tx = state.db.begin_for(&ctx).await?;
    writable(tx.conn(), id).await?;
    let rows = repo::inventory::history(tx.conn(), id, variant, cursor, limit).await?;
    tx.commit().await?;
    Ok(Json(
        Page::from_rows(rows, limit, |r| r.id).map(Adjustment::from),
    ))
}
