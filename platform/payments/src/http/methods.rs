//! A customer's saved payment methods: provider tokens, never card numbers.

use axum::{Json, extract::State, http::StatusCode};
use kernel::{
    ApiError, AppState, RequestCtx,
    error::Problem,
    extract::{AppJson, AppPath},
    rbac::Can,
};
use serde::Deserialize;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

use crate::{
    gateways as gw, permissions as perm,
    repo::{self, methods::PaymentMethod},
};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_methods, add_method))
        .routes(routes!(delete_method))
        .routes(routes!(default_method))
}

/// A provider token: 3 to 255 letters, digits and `_-.:`, and no run of twelve or more digits
/// (what a card number looks like: those never reach our servers).
pub fn check_token(field: &'static str, token: &str) -> Result<(), ApiError> {
    let mut run = 0;
    for b in token.bytes() {
        run = if b.is_ascii_digit() { run + 1 } else { 0 };
        if run >= 12 {
            return Err(ApiError::field(field, "card_number_not_allowed"));
        }
    }
    let ok = (3..=255).contains(&token.len())
        && token
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"_-.:".contains(&b));
    if ok {
        Ok(())
    } else {
        Err(ApiError::field(field, "invalid_token"))
    }
}

#[utoipa::path(get, path = "/api/v1/payments/methods", tag = "payments", security(("bearer" = [])),
    responses(
        (status = 200, body = Vec<PaymentMethod>),
        (status = "4XX", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn list_methods(
    _: Can<perm::Pay>,
    ctx: RequestCtx,
    State(state): State<AppState>,
) -> Result<Json<Vec<PaymentMethod>>, ApiError> {
    ctx.require_user()?;
    let mut tx = state.db.begin_for(&ctx).await?;
    let rows = repo::methods::list(tx.conn()).await?;
    tx.commit().await?;
    Ok(Json(rows))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewMethod {
    /// An enabled gateway of the marketplace.
    pub provider: String,
    /// The provider's token for the method (from its client SDK).
    #[schema(max_length = 255)]
    pub token: String,
    #[schema(max_length = 40)]
    pub brand: Option<String>,
    /// The last four digits, to show.
    #[schema(pattern = "^[0-9]{4}$")]
    pub last4: Option<String>,
    #[schema(minimum = 1, maximum = 12)]
    pub exp_month: Option<i16>,
    #[schema(minimum = 2000, maximum = 2200)]
    pub exp_year: Option<i16>,
    #[serde(default)]
    pub is_default: bool,
}

/// Saves a payment method (the first one becomes the default). Saving the same token again
/// answers the saved one.
#[utoipa::path(post, path = "/api/v1/payments/methods", tag = "payments", security(("bearer" = [])),
    request_body = NewMethod,
    responses(
        (status = 201, body = PaymentMethod),
        (status = "4XX", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn add_method(
    _: Can<perm::Pay>,
    ctx: RequestCtx,
    State(state): State<AppState>,
    AppJson(body): AppJson<NewMethod>,
) -> Result<(StatusCode, Json<PaymentMethod>), ApiError> {
    let me = ctx.require_user()?.user_id;
    check_token("token", &body.token)?;
    if body
        .brand
        .as_ref()
        .is_some_and(|b| b.is_empty() || b.len() > 40)
    {
        return Err(ApiError::field("brand", "invalid"));
    }
    if body
        .last4
        .as_ref()
        .is_some_and(|l| l.len() != 4 || !l.bytes().all(|b| b.is_ascii_digit()))
    {
        return Err(ApiError::field("last4", "invalid"));
    }
    if body.exp_month.is_some_and(|m| !(1..=12).contains(&m)) {
        return Err(ApiError::field("exp_month", "out_of_range"));
    }
    if body.exp_year.is_some_and(|y| !(2000..=2200).contains(&y)) {
        return Err(ApiError::field("exp_year", "out_of_range"));
    }
    let mut tx = state.db.begin_for(&ctx).await?;
    if gw::load(&state, tx.conn(), ctx.tenant.id, Some(&body.provider))
        .await?
        .is_none()
    {
        return Err(ApiError::field("provider", "gateway_unavailable"));
    }
    let row = repo::methods::insert(
        tx.conn(),
        ctx.tenant.id,
        me,
        &repo::methods::Insert {
            provider: &body.provider,
            token: &body.token,
            brand: body.brand.as_deref(),
            last4: body.last4.as_deref(),
            exp_month: body.exp_month,
            exp_year: body.exp_year,
            is_default: body.is_default,
        },
    )
    .await?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, Json(row)))
}

#[utoipa::path(delete, path = "/api/v1/payments/methods/{method_id}", tag = "payments", security(("bearer" = [])),
    params(("method_id" = Uuid, Path)),
    responses(
        (status = 204),
        (status = "4XX", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn delete_method(
    _: Can<perm::Pay>,
    ctx: RequestCtx,
    State(state): State<AppState>,
    AppPath(id): AppPath<Uuid>,
) -> Result<StatusCode, ApiError> {
    ctx.require_user()?;
    let mut tx = state.db.begin_for(&ctx).await?;
    if !repo::methods::delete(tx.conn(), id).await? {
        return Err(ApiError::NotFound);
    }
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Makes a saved method the default.
#[utoipa::path(post, path = "/api/v1/payments/methods/{method_id}/default", tag = "payments", security(("bearer" = [])),
    params(("method_id" = Uuid, Path)),
    responses(
        (status = 200, body = PaymentMethod),
        (status = "4XX", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn default_method(
    _: Can<perm::Pay>,
    ctx: RequestCtx,
    State(state): State<AppState>,
    AppPath(id): AppPath<Uuid>,
) -> Result<Json<PaymentMethod>, ApiError> {
    ctx.require_user()?;
    let mut tx = state.db.begin_for(&ctx).await?;
    if !repo::methods::make_default(tx.conn(), id).await? {
        return Err(ApiError::NotFound);
    }
    let row = repo::methods::get(tx.conn(), id)
        .await?
        .ok_or(ApiError::NotFound)?;
    tx.commit().await?;
    Ok(Json(row))
}
