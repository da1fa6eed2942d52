//! Paying for an order, following the payment, and reading payment history.

use axum::{Json, extract::State, http::StatusCode};
use gateways::{NewPayment, PaymentError, PaymentStatus};
use kernel::{
    ApiError, AppState, RequestCtx,
    error::Problem,
    extract::{AppJson, AppPath, AppQuery},
    idempotency::{self, Begun, IdempotencyKey, StoredResponse},
    pagination::{Page, PageQuery},
    rbac::Can,
};
use orders::api::Payable;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use time::OffsetDateTime;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

use crate::{
    flow::{self, Update},
    gateways::{self as gw, Gateway},
    permissions as perm,
    repo::{
        self,
        ledger::LedgerEntry,
        payments::{Filter, PaymentRow},
        refunds::Refund,
    },
};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_payment, list_payments))
        .routes(routes!(get_payment))
        .routes(routes!(confirm_payment))
        .routes(routes!(cancel_payment))
}

/// A payment for an order.
#[derive(Debug, Serialize, ToSchema)]
pub struct PaymentView {
    pub id: Uuid,
    pub order_id: Uuid,
    pub order_number: String,
    /// The gateway: `sandbox`, `stripe`, `paypal`.
    pub provider: String,
    /// `requires_action`, `processing`, `failed`, `cancelled`, `authorized` or `captured`.
    pub status: String,
    pub amount_minor: i64,
    pub currency: String,
    pub captured_minor: i64,
    pub refunded_minor: i64,
    /// What the client must do next: `{"type": "none"}`, `{"type": "confirm_with_client_secret",
    /// "client_secret": …}` (then `POST /payments/{id}/confirm`), or `{"type": "redirect", "url":
    /// …}` (approve there, then confirm).
    #[schema(value_type = Object)]
    pub next_action: Value,
    /// Why it failed: the provider's code (`card_declined`, `insufficient_funds`) and message.
    pub failure: Option<FailureView>,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339::option")]
    pub captured_at: Option<OffsetDateTime>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct FailureView {
    pub code: String,
    pub message: String,
}

impl PaymentView {
    /// The payment as `viewer` may see it: the client secret (which lets its holder confirm the
    /// payment) goes to the paying customer only, never to the vendors or admins who list it.
    fn for_viewer(r: PaymentRow, viewer: Uuid) -> Self {
        let own = r.customer_id == viewer;
        let mut view = PaymentView::from(r);
        if !own && let Some(action) = view.next_action.as_object_mut() {
            action.remove("client_secret");
        }
        view
    }
}

impl From<PaymentRow> for PaymentView {
    fn from(r: PaymentRow) -> Self {
        PaymentView {
            id: r.id,
            order_id: r.order_id,
            order_number: r.order_number,
            provider: r.provider,
            status: r.status,
            amount_minor: r.amount_minor,
            currency: r.currency,
            captured_minor: r.captured_minor,
            refunded_minor: r.refunded_minor,
            next_action: r
                .next_action
                .unwrap_or_else(|| serde_json::json!({"type": "none"})),
            failure: r.failure_code.map(|code| FailureView {
                code,
                message: r.failure_message.unwrap_or_default(),
            }),
            created_at: r.created_at,
            updated_at: r.updated_at,
            captured_at: r.captured_at,
        }
    }
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewPaymentRequest {
    pub order_id: Uuid,
    /// The gateway to pay through; the marketplace's default when omitted.
    pub provider: Option<String>,
    /// A token from the provider's client SDK (`pm_…`; the sandbox's `tok_success`, `tok_3ds`,
    /// …). Never card data. Omit it to confirm on the client with the returned client secret.
    #[schema(max_length = 255)]
    pub method: Option<String>,
    /// A saved payment method instead of `method`.
    pub payment_method_id: Option<Uuid>,
    /// Where the provider sends the customer back after approving (PayPal).
    #[schema(max_length = 2048)]
    pub return_url: Option<String>,
    #[schema(max_length = 2048)]
    pub cancel_url: Option<String>,
}

fn check_url(field: &'static str, url: &Option<String>) -> Result<(), ApiError> {
    match url {
        Some(u) if u.len() > 2048 || !(u.starts_with("https://") || u.starts_with("http://")) => {
            Err(ApiError::field(field, "invalid_url"))
        }
        _ => Ok(()),
    }
}

/// Pays for an order that waits for payment, for the order's amount in its currency (never an
/// amount from the client). Requires an `Idempotency-Key`: a retry answers the first response and
/// the provider is asked with a key derived from it, so nothing is charged twice. A declined
/// payment is created with status `failed` and the provider's reason; the order may be paid
/// again with another method.
#[utoipa::path(post, path = "/api/v1/payments", tag = "payments", security(("bearer" = [])),
    params(IdempotencyKey),
    request_body = NewPaymentRequest,
    responses(
        (status = 201, body = PaymentView),
        (status = "4XX", body = Problem, content_type = "application/problem+json"),
        (status = "5XX", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn create_payment(
    _: Can<perm::Pay>,
    ctx: RequestCtx,
    State(state): State<AppState>,
    key: IdempotencyKey,
    AppJson(body): AppJson<NewPaymentRequest>,
) -> Result<StoredResponse, ApiError> {
    let me = ctx.require_user()?.user_id;
    check_url("return_url", &body.return_url)?;
    check_url("cancel_url", &body.cancel_url)?;
    if body.method.is_some() && body.payment_method_id.is_some() {
        return Err(ApiError::field(
            "payment_method_id",
            "conflicts_with_method",
        ));
    }
    if let Some(m) = &body.method {
        super::methods::check_token("method", m)?;
    }
    let mut guard = match idempotency::begin(&state.db, &ctx, &key, &body).await? {
        Begun::Replay(first) => return Ok(first),
        Begun::Fresh(guard) => guard,
    };
    let conn = guard.conn();
    let order = orders::api::payable(conn, body.order_id, true)
        .await?
        .filter(|o| o.customer_id == me)
        .ok_or(ApiError::NotFound)?;
    if order.status != orders::api::Status::PendingPayment {
        return Err(ApiError::conflict("order_not_payable"));
    }
    if repo::payments::live_for_order(conn, order.id)
        .await?
        .is_some()
    {
        return Err(ApiError::conflict("payment_in_progress"));
    }
    let (provider, method) = match body.payment_method_id {
        Some(id) => {
            let m = repo::methods::get(conn, id)
                .await?
                .ok_or(ApiError::field("payment_method_id", "not_found"))?;
            if body.provider.as_deref().is_some_and(|p| p != m.provider) {
                return Err(ApiError::field("payment_method_id", "other_provider"));
            }
            (Some(m.provider), Some(m.token))
        }
        None => (body.provider.clone(), body.method.clone()),
    };
    let gateway = gw::load(&state, conn, ctx.tenant.id, provider.as_deref())
        .await?
        .ok_or_else(|| ApiError::field("provider", "gateway_unavailable"))?;
    let row = charge(&state, &ctx, conn, &order, &gateway, method, &body, &key).await?;
    guard
        .complete(StatusCode::CREATED, &PaymentView::from(row))
        .await
}

/// Asks the provider and records its answer in the caller's transaction.
#[allow(clippy::too_many_arguments)]
async fn charge(
    state: &AppState,
    ctx: &RequestCtx,
    conn: &mut sqlx::PgConnection,
    order: &Payable,
    gateway: &Gateway,
    method: Option<String>,
    body: &NewPaymentRequest,
    key: &IdempotencyKey,
) -> Result<PaymentRow, ApiError> {
    let id = Uuid::now_v7();
    let tenant = ctx.tenant.id;
    let provider_key = gateways::derive_key(
        &tenant.to_string(),
        &["payment", &order.customer_id.to_string(), key.as_str()],
    );
    let answer = gateway
        .client
        .create_payment(&NewPayment {
            payment_id: id,
            order_id: order.id,
            order_number: order.number.clone(),
            amount_minor: order.total_minor,
            currency: order.currency.clone(),
            idempotency_key: provider_key.clone(),
            method: method.clone(),
            return_url: body.return_url.clone(),
            cancel_url: body.cancel_url.clone(),
            webhook_url: Some(state.config.public_url(
                &ctx.host,
                &format!("/api/v1/payments/webhooks/{}", gateway.provider),
            )),
            description: format!("{} {}", ctx.tenant.name, order.number),
        })
        .await;
    let (update, reference) = match answer {
        Ok(p) => (Update::from(&p), p.reference),
        Err(PaymentError::Declined(f)) => (
            Update {
                status: PaymentStatus::Failed,
                captured_minor: None,
                failure: Some(f),
                next_action: None,
                event_id: None,
            },
            // A decline has no provider payment: our own id stands in for the reference.
            format!("declined_{id}"),
        ),
        Err(e) => return Err(flow::provider_error(e)),
    };
    let captured = match update.status {
        PaymentStatus::Captured => update.captured_minor.unwrap_or(order.total_minor),
        _ => 0,
    };
    let row = repo::payments::insert(
        conn,
        tenant,
        &repo::payments::Insert {
            id,
            order_id: order.id,
            customer_id: order.customer_id,
            order_number: &order.number,
            locale: &order.locale,
            provider: &gateway.provider,
            provider_ref: &reference,
            provider_key: &provider_key,
            status: update.status.as_str(),
            amount_minor: order.total_minor,
            currency: &order.currency,
            captured_minor: captured,
            method: method.as_deref(),
            next_action: update.next_action.as_ref(),
            failure_code: update.failure.as_ref().map(|f| f.code.as_str()),
            failure_message: update.failure.as_ref().map(|f| f.message.as_str()),
        },
    )
    .await
    .map_err(|e| match &e {
        // The provider answered a reference we already hold: a payment made under another
        // idempotency key of ours cannot share it.
        sqlx::Error::Database(d) if d.is_unique_violation() => {
            ApiError::conflict("payment_in_progress")
        }
        _ => e.into(),
    })?;
    flow::record(conn, tenant, &row, &update).await?;
    Ok(row)
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PaymentQuery {
    /// Only the payments of this order.
    pub order_id: Option<Uuid>,
    /// Only payments in this status.
    pub status: Option<String>,
    pub limit: Option<u32>,
    pub cursor: Option<String>,
}

/// Payment history, newest first: a customer's own payments, the payments of orders a vendor
/// has a part in, every payment of the marketplace for its admins.
#[utoipa::path(get, path = "/api/v1/payments", tag = "payments", security(("bearer" = [])),
    params(PaymentQuery),
    responses(
        (status = 200, body = Page<PaymentView>),
        (status = "4XX", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn list_payments(
    _: Can<perm::ReadPayments>,
    ctx: RequestCtx,
    State(state): State<AppState>,
    AppQuery(q): AppQuery<PaymentQuery>,
) -> Result<Json<Page<PaymentView>>, ApiError> {
    let me = ctx.require_user()?.user_id;
    if let Some(s) = &q.status
        && PaymentStatus::parse(s).is_none()
    {
        return Err(ApiError::field("status", "invalid"));
    }
    let page = PageQuery {
        limit: q.limit,
        cursor: q.cursor,
    };
    let (limit, cursor) = (page.limit()?, page.cursor::<Uuid>()?);
    let filter = Filter {
        order: q.order_id,
        status: q.status,
    };
    let mut tx = state.db.begin_for(&ctx).await?;
    let rows = repo::payments::list(tx.conn(), &filter, cursor, limit + 1).await?;
    tx.commit().await?;
    Ok(Json(
        Page::from_rows(rows, limit, |r| r.id).map(|r| PaymentView::for_viewer(r, me)),
    ))
}

/// A payment with its ledger and refunds.
#[derive(Debug, Serialize, ToSchema)]
pub struct PaymentDetail {
    #[serde(flatten)]
    pub payment: PaymentView,
    pub transactions: Vec<LedgerEntry>,
    pub refunds: Vec<Refund>,
}

#[utoipa::path(get, path = "/api/v1/payments/{payment_id}", tag = "payments", security(("bearer" = [])),
    params(("payment_id" = Uuid, Path)),
    responses(
        (status = 200, body = PaymentDetail),
        (status = "4XX", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn get_payment(
    _: Can<perm::ReadPayments>,
    ctx: RequestCtx,
    State(state): State<AppState>,
    AppPath(id): AppPath<Uuid>,
) -> Result<Json<PaymentDetail>, ApiError> {
    let me = ctx.require_user()?.user_id;
    let mut tx = state.db.begin_for(&ctx).await?;
    let payment = repo::payments::get(tx.conn(), id, false)
        .await?
        .ok_or(ApiError::NotFound)?;
    let transactions = repo::ledger::of_payment(tx.conn(), id).await?;
    let refunds = repo::refunds::of_payment(tx.conn(), id).await?;
    tx.commit().await?;
    Ok(Json(PaymentDetail {
        payment: PaymentView::for_viewer(payment, me),
        transactions,
        refunds,
    }))
}

/// The customer's own payment, locked, in a transaction of theirs.
async fn own_payment(
    state: &AppState,
    ctx: &RequestCtx,
    id: Uuid,
) -> Result<(kernel::db::TenantTx, PaymentRow), ApiError> {
    let me = ctx.require_user()?.user_id;
    let mut tx = state.db.begin_for(ctx).await?;
    let payment = repo::payments::get(tx.conn(), id, true)
        .await?
        .filter(|p| p.customer_id == me)
        .ok_or(ApiError::NotFound)?;
    Ok((tx, payment))
}

async fn gateway_of(
    state: &AppState,
    tx: &mut kernel::db::TenantTx,
    ctx: &RequestCtx,
    p: &PaymentRow,
) -> Result<Gateway, ApiError> {
    gw::load(state, tx.conn(), ctx.tenant.id, Some(&p.provider))
        .await?
        .ok_or(ApiError::conflict("gateway_unavailable"))
}

/// After the customer acted (confirmed with the client secret, approved at the redirect): the
/// provider captures or says where the payment stands. Confirming a settled payment answers it
/// as it is.
#[utoipa::path(post, path = "/api/v1/payments/{payment_id}/confirm", tag = "payments", security(("bearer" = [])),
    params(("payment_id" = Uuid, Path)),
    responses(
        (status = 200, body = PaymentView),
        (status = "4XX", body = Problem, content_type = "application/problem+json"),
        (status = "5XX", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn confirm_payment(
    _: Can<perm::Pay>,
    ctx: RequestCtx,
    State(state): State<AppState>,
    AppPath(id): AppPath<Uuid>,
) -> Result<Json<PaymentView>, ApiError> {
    let (mut tx, payment) = own_payment(&state, &ctx, id).await?;
    if flow::parse_status(&payment.status)?.is_settled() {
        tx.commit().await?;
        return Ok(Json(payment.into()));
    }
    let gateway = gateway_of(&state, &mut tx, &ctx, &payment).await?;
    let answer = gateway
        .client
        .confirm(
            &payment.provider_ref,
            &gateways::derive_key(&payment.provider_key, &["confirm"]),
        )
        .await
        .map_err(flow::provider_error)?;
    let row = flow::advance(tx.conn(), ctx.tenant.id, &payment, &Update::from(&answer))
        .await?
        .unwrap_or(payment);
    tx.commit().await?;
    Ok(Json(row.into()))
}

/// Gives up a payment that is not captured (to pay another way).
#[utoipa::path(post, path = "/api/v1/payments/{payment_id}/cancel", tag = "payments", security(("bearer" = [])),
    params(("payment_id" = Uuid, Path)),
    responses(
        (status = 200, body = PaymentView),
        (status = "4XX", body = Problem, content_type = "application/problem+json"),
        (status = "5XX", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn cancel_payment(
    _: Can<perm::Pay>,
    ctx: RequestCtx,
    State(state): State<AppState>,
    AppPath(id): AppPath<Uuid>,
) -> Result<Json<PaymentView>, ApiError> {
    let (mut tx, payment) = own_payment(&state, &ctx, id).await?;
    let status = flow::parse_status(&payment.status)?;
    if status.is_settled() || status == PaymentStatus::Authorized {
        return Err(ApiError::conflict("payment_not_cancellable"));
    }
    let gateway = gateway_of(&state, &mut tx, &ctx, &payment).await?;
    let answer = gateway
        .client
        .cancel(&payment.provider_ref)
        .await
        .map_err(flow::provider_error)?;
    let row = flow::advance(tx.conn(), ctx.tenant.id, &payment, &Update::from(&answer))
        .await?
        .unwrap_or(payment);
    tx.commit().await?;
    Ok(Json(row.into()))
}
