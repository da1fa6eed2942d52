//! How news from a provider changes a payment, and how money goes back. Every path (the
//! provider's first answer, a confirmation, a webhook, a refund, the outbox worker) goes through
//! here, so each change is checked, recorded in the ledger and announced the same way.

use gateways::{Failure, NewRefund, PaymentError, PaymentStatus, ProviderPayment, RefundStatus};
use kernel::{
    ApiError,
    error::FieldError,
    outbox::{self, Event},
};
use serde_json::{Value, json};
use sqlx::PgConnection;
use uuid::Uuid;

use crate::{
    gateways::Gateway,
    repo::{
        self,
        ledger::NewLedgerEntry,
        payments::{PaymentRow, StatusChange},
        refunds::Refund,
    },
};

/// What a provider said about a payment.
#[derive(Clone, Debug)]
pub struct Update {
    pub status: PaymentStatus,
    pub captured_minor: Option<i64>,
    pub failure: Option<Failure>,
    /// What the client must do next (kept while an action is required).
    pub next_action: Option<Value>,
    /// The provider event it came from, when a webhook.
    pub event_id: Option<String>,
}

impl From<&ProviderPayment> for Update {
    fn from(p: &ProviderPayment) -> Self {
        Update {
            status: p.status,
            captured_minor: p.captured_minor,
            failure: p.failure.clone(),
            next_action: (p.status == PaymentStatus::RequiresAction)
                .then(|| serde_json::to_value(&p.next_action).unwrap_or(Value::Null)),
            event_id: None,
        }
    }
}

pub fn parse_status(s: &str) -> Result<PaymentStatus, ApiError> {
    PaymentStatus::parse(s)
        .ok_or_else(|| ApiError::internal(anyhow::anyhow!("unknown payment status {s}")))
}

/// Applies `update` to a payment locked by the caller, if it moves it forward: a late or
/// repeated report changes nothing. Returns the changed row.
pub async fn advance(
    conn: &mut PgConnection,
    tenant: Uuid,
    payment: &PaymentRow,
    update: &Update,
) -> Result<Option<PaymentRow>, ApiError> {
    if !parse_status(&payment.status)?.advances_to(update.status) {
        return Ok(None);
    }
    let captured = match update.status {
        PaymentStatus::Captured => update.captured_minor.unwrap_or(payment.amount_minor),
        _ => payment.captured_minor,
    };
    let row = repo::payments::set_status(
        conn,
        payment.id,
        &StatusChange {
            status: update.status.as_str(),
            captured_minor: captured,
            next_action: update.next_action.as_ref(),
            failure_code: update.failure.as_ref().map(|f| f.code.as_str()),
            failure_message: update.failure.as_ref().map(|f| f.message.as_str()),
        },
    )
    .await?;
    record(conn, tenant, &row, update).await?;
    Ok(Some(row))
}

/// The ledger row and the event of a payment that reached `update.status`.
pub async fn record(
    conn: &mut PgConnection,
    tenant: Uuid,
    payment: &PaymentRow,
    update: &Update,
) -> Result<(), ApiError> {
    let (kind, amount) = match update.status {
        PaymentStatus::Authorized => ("authorization", payment.amount_minor),
        PaymentStatus::Captured => ("capture", payment.captured_minor),
        PaymentStatus::Failed => ("failure", payment.amount_minor),
        PaymentStatus::Cancelled => ("cancellation", payment.amount_minor),
        PaymentStatus::RequiresAction | PaymentStatus::Processing => return Ok(()),
    };
    repo::ledger::append(
        conn,
        tenant,
        &NewLedgerEntry {
            payment_id: payment.id,
            refund_id: None,
            kind,
            amount_minor: amount,
            currency: &payment.currency,
            provider: &payment.provider,
            provider_ref: Some(&payment.provider_ref),
            provider_event_id: update.event_id.as_deref(),
            detail: update.failure.as_ref().map(|f| f.code.as_str()),
        },
    )
    .await?;
    if update.status == PaymentStatus::Captured {
        let event = Event::new(
            "payment.captured",
            payment.id,
            json!({
                "payment_id": payment.id,
                "order_id": payment.order_id,
                "number": payment.order_number,
                "customer_id": payment.customer_id,
                "amount_minor": payment.captured_minor,
                "currency": payment.currency,
                "provider": payment.provider,
                "locale": payment.locale,
            }),
        );
        outbox::emit(conn, tenant, &event).await?;
    }
    Ok(())
}

/// A refund asked for.
pub struct RefundRequest<'a> {
    /// `None`: everything still refundable (of the vendor's part, when one is named).
    pub amount_minor: Option<i64>,
    pub vendor_order: Option<(Uuid, i64)>,
    pub reason: Option<&'a str>,
    pub requested_by: Option<Uuid>,
    /// Stable across retries of this refund (the provider's idempotency key comes from it).
    pub key: String,
}

pub const REFUND_EXCEEDS: ApiError = ApiError::conflict("refund_exceeds_captured");

/// Refunds part or all of a captured payment the caller locked (`for update`): racing refunds
/// queue on that lock, and each reserves its amount before the provider is called, so together
/// they never exceed what was captured. A provider that says no leaves nothing written.
pub async fn refund(
    conn: &mut PgConnection,
    tenant: Uuid,
    gateway: &Gateway,
    payment: &PaymentRow,
    req: &RefundRequest<'_>,
) -> Result<Refund, ApiError> {
    if parse_status(&payment.status)? != PaymentStatus::Captured {
        return Err(ApiError::conflict("payment_not_captured"));
    }
    let left = payment.captured_minor - payment.refunded_minor;
    let part_left = match req.vendor_order {
        Some((vo, total)) => Some(total - repo::refunds::committed_for_part(conn, vo).await?),
        None => None,
    };
    let limit = part_left.map_or(left, |p| p.min(left));
    let amount = req.amount_minor.unwrap_or(limit);
    if amount <= 0 && req.amount_minor.is_some() {
        return Err(ApiError::field("amount_minor", "must_be_positive"));
    }
    if amount <= 0 || amount > limit {
        return Err(REFUND_EXCEEDS);
    }
    if !repo::payments::reserve_refund(conn, payment.id, amount).await? {
        return Err(REFUND_EXCEEDS);
    }
    let id = Uuid::now_v7();
    let answer = gateway
        .client
        .refund(&NewRefund {
            refund_id: id,
            payment_reference: payment.provider_ref.clone(),
            amount_minor: amount,
            currency: payment.currency.clone(),
            idempotency_key: gateways::derive_key(
                &tenant.to_string(),
                &["refund", &payment.id.to_string(), &req.key],
            ),
            reason: req.reason.map(str::to_owned),
        })
        .await
        .map_err(provider_error)?;
    let status = answer.status;
    if status == RefundStatus::Failed {
        repo::payments::release_refund(conn, payment.id, amount).await?;
    }
    let row = repo::refunds::insert(
        conn,
        tenant,
        &repo::refunds::Insert {
            id,
            payment_id: payment.id,
            order_id: payment.order_id,
            vendor_order_id: req.vendor_order.map(|(vo, _)| vo),
            amount_minor: amount,
            currency: &payment.currency,
            status: status.as_str(),
            reason: req.reason,
            provider_ref: &answer.reference,
            requested_by: req.requested_by,
        },
    )
    .await?;
    if status != RefundStatus::Pending {
        refund_settled(conn, tenant, payment, &row, status, None).await?;
    }
    Ok(row)
}

/// A refund's final word: a ledger row, and for a success the `payment.refunded` event that
/// moves the order.
pub async fn refund_settled(
    conn: &mut PgConnection,
    tenant: Uuid,
    payment: &PaymentRow,
    refund: &Refund,
    status: RefundStatus,
    event_id: Option<&str>,
) -> Result<(), ApiError> {
    let succeeded = status == RefundStatus::Succeeded;
    repo::ledger::append(
        conn,
        tenant,
        &NewLedgerEntry {
            payment_id: payment.id,
            refund_id: Some(refund.id),
            kind: if succeeded { "refund" } else { "failure" },
            amount_minor: refund.amount_minor,
            currency: &payment.currency,
            provider: &payment.provider,
            provider_ref: refund.provider_ref.as_deref(),
            provider_event_id: event_id,
            detail: (!succeeded).then_some("refund_failed"),
        },
    )
    .await?;
    if succeeded {
        let event = Event::new(
            "payment.refunded",
            refund.id,
            json!({
                "payment_id": payment.id,
                "refund_id": refund.id,
                "order_id": payment.order_id,
                "vendor_order_id": refund.vendor_order_id,
                "number": payment.order_number,
                "customer_id": payment.customer_id,
                "amount_minor": refund.amount_minor,
                "currency": payment.currency,
                "locale": payment.locale,
            }),
        );
        outbox::emit(conn, tenant, &event).await?;
    }
    Ok(())
}

/// A provider failure as the caller sees it. Never includes credentials: provider errors are
/// written without them.
pub fn provider_error(e: PaymentError) -> ApiError {
    match e {
        PaymentError::Declined(f) => ApiError::RejectedWith {
            status: http::StatusCode::PAYMENT_REQUIRED,
            code: "payment_declined",
            errors: vec![FieldError::new("payment", "declined").with("reason", f.code)],
        },
        PaymentError::Rejected(e) => ApiError::RejectedWith {
            status: http::StatusCode::UNPROCESSABLE_ENTITY,
            code: "payment_rejected",
            errors: vec![
                FieldError::new("payment", "provider_refused").with("reason", format!("{e:#}")),
            ],
        },
        PaymentError::Unauthorized(e) => {
            tracing::warn!(error = %e, "payment gateway refused the marketplace's credentials");
            ApiError::Rejected {
                status: http::StatusCode::BAD_GATEWAY,
                code: "payment_gateway_misconfigured",
            }
        }
        PaymentError::Unavailable(e) => ApiError::Unavailable(e),
    }
}
