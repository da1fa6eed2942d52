//! Refunds, by admins, and by vendors for their own part where the marketplace allows it.

use axum::{extract::State, http::StatusCode};
use kernel::{
    ApiError, AppState, RequestCtx,
    error::Problem,
    extract::{AppJson, AppPath},
    idempotency::{self, Begun, IdempotencyKey, StoredResponse},
    rbac::Can,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

use crate::{
    flow::{self, RefundRequest},
    gateways as gw, permissions as perm,
    repo::{self, refunds::Refund},
};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(create_refund))
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewRefundRequest {
    /// What to give back, in minor units; everything still refundable when omitted (of the
    /// vendor's part, when one is named).
    pub amount_minor: Option<i64>,
    /// Refund one vendor's part (required for vendors).
    pub vendor_order_id: Option<Uuid>,
    #[schema(max_length = 500)]
    pub reason: Option<String>,
}

/// Refunds all or part of a captured payment. Never more than was captured minus what was
/// already refunded, even when refunds race (409 `refund_exceeds_captured`); a vendor part never
/// gets back more than its total. Requires an `Idempotency-Key`. The order becomes `refunded` or
/// `partially_refunded` and the customer is told.
#[utoipa::path(post, path = "/api/v1/payments/{payment_id}/refunds", tag = "payments", security(("bearer" = [])),
    params(("payment_id" = Uuid, Path), IdempotencyKey),
    request_body = NewRefundRequest,
    responses(
        (status = 201, body = Refund),
        (status = "4XX", body = Problem, content_type = "application/problem+json"),
        (status = "5XX", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn create_refund(
    _: Can<perm::Refund>,
    ctx: RequestCtx,
    State(state): State<AppState>,
    AppPath(id): AppPath<Uuid>,
    key: IdempotencyKey,
    AppJson(body): AppJson<NewRefundRequest>,
) -> Result<StoredResponse, ApiError> {
    let me = ctx.require_user()?.user_id;
    let admin = ctx.roles().any(|r| r == "admin");
    if body
        .reason
        .as_ref()
        .is_some_and(|r| r.chars().count() > 500)
    {
        return Err(ApiError::field("reason", "too_long"));
    }
    if !admin && body.vendor_order_id.is_none() {
        return Err(ApiError::field("vendor_order_id", "required"));
    }
    let mut guard = match idempotency::begin(&state.db, &ctx, &key, &body).await? {
        Begun::Replay(first) => return Ok(first),
        Begun::Fresh(guard) => guard,
    };
    let conn = guard.conn();
    let payment = repo::payments::get(conn, id, true)
        .await?
        .ok_or(ApiError::NotFound)?;
    if !admin && !repo::gateways::vendor_refunds(conn).await? {
        return Err(ApiError::Rejected {
            status: StatusCode::FORBIDDEN,
            code: "vendor_refunds_disabled",
        });
    }
    let vendor_order = match body.vendor_order_id {
        Some(vo) => {
            let my_vendor: Option<Uuid> = sqlx::query_scalar("select app_current_vendor()")
                .fetch_one(&mut *conn)
                .await?;
            let part = orders::api::parts(conn, payment.order_id)
                .await?
                .into_iter()
                .find(|p| p.id == vo && (admin || Some(p.vendor_id) == my_vendor))
                .ok_or(ApiError::field("vendor_order_id", "not_found"))?;
            Some((part.id, part.total_minor))
        }
        None => None,
    };
    let gateway = gw::load(&state, conn, ctx.tenant.id, Some(&payment.provider))
        .await?
        .ok_or(ApiError::conflict("gateway_unavailable"))?;
    let refund: Refund = flow::refund(
        conn,
        ctx.tenant.id,
        &gateway,
        &payment,
        &RefundRequest {
            amount_minor: body.amount_minor,
            vendor_order,
            reason: body.reason.as_deref(),
            requested_by: Some(me),
            key: key.as_str().to_owned(),
        },
    )
    .await?;
    guard.complete(StatusCode::CREATED, &refund).await
}
