//! Provider webhooks. The host names the marketplace, the path the provider; the signature is
//! checked with that marketplace's secret before anything is read. Each provider event is
//! applied once (`payment_webhook_events`), and only ever moves a payment forward.

use axum::{Json, body::Bytes, extract::State, http::HeaderMap};
use gateways::{RefundStatus, WebhookError, WebhookKind, WebhookRequest};
use kernel::{ApiError, AppState, RequestCtx, error::Problem, extract::AppPath};
use serde::Serialize;
use time::OffsetDateTime;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::{
    flow::{self, Update},
    gateways as gw,
    repo::{self, payments::PaymentRow},
};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(receive_webhook))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct WebhookReceipt {
    /// `applied`, `duplicate` (seen before: nothing done) or `ignored` (nothing of ours).
    pub status: &'static str,
}

/// Receives a provider's webhook (`Stripe-Signature`, PayPal's transmission headers, the
/// sandbox's `Sandbox-Signature`). A bad or old signature gets 400 `webhook_invalid` and changes
/// nothing.
#[utoipa::path(post, path = "/api/v1/payments/webhooks/{provider}", tag = "payments",
    params(("provider" = String, Path, description = "`sandbox`, `stripe`, `paypal`")),
    request_body(content = String, content_type = "application/json", description = "The provider's event, as it signed it"),
    responses(
        (status = 200, body = WebhookReceipt),
        (status = "4XX", body = Problem, content_type = "application/problem+json"),
        (status = "5XX", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn receive_webhook(
    ctx: RequestCtx,
    State(state): State<AppState>,
    AppPath(provider): AppPath<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<WebhookReceipt>, ApiError> {
    let tenant = ctx.tenant.id;
    let mut tx = gw::begin_system(&state, tenant, None).await?;
    let conn = tx.conn();
    let gateway = gw::load(&state, conn, tenant, Some(&provider))
        .await?
        .ok_or(ApiError::NotFound)?;
    let event = gateway
        .client
        .verify_webhook(&WebhookRequest {
            headers: &headers,
            body: &body,
            received_at: OffsetDateTime::now_utc(),
        })
        .await
        .map_err(|e| {
            tracing::warn!(%provider, error = %e, "payment webhook refused");
            match e {
                WebhookError::Unavailable(e) => ApiError::Unavailable(e),
                _ => ApiError::bad_request("webhook_invalid"),
            }
        })?;
    let kind = match &event.kind {
        WebhookKind::Payment { .. } => "payment".to_string(),
        WebhookKind::Refund { .. } => "refund".to_string(),
        WebhookKind::Other(t) => t.chars().take(100).collect(),
    };
    if !repo::payments::first_delivery(conn, tenant, &provider, &event.id, &kind).await? {
        tx.commit().await?;
        return Ok(Json(WebhookReceipt {
            status: "duplicate",
        }));
    }
    let applied = match event.kind {
        WebhookKind::Payment {
            reference,
            status,
            captured_minor,
            failure,
        } => match repo::payments::by_reference(conn, &provider, &reference).await? {
            Some(p) => {
                let update = Update {
                    status,
                    captured_minor,
                    failure,
                    next_action: None,
                    event_id: Some(event.id.clone()),
                };
                flow::advance(conn, tenant, &p, &update).await?.is_some()
            }
            None => false,
        },
        WebhookKind::Refund {
            reference, status, ..
        } => settle_refund(conn, tenant, &reference, status, &event.id).await?,
        WebhookKind::Other(_) => false,
    };
    tx.commit().await?;
    tracing::info!(%provider, event = %event.id, %kind, applied, "payment webhook");
    Ok(Json(WebhookReceipt {
        status: if applied { "applied" } else { "ignored" },
    }))
}

/// A pending refund of ours reached its end at the provider.
async fn settle_refund(
    conn: &mut sqlx::PgConnection,
    tenant: uuid::Uuid,
    reference: &str,
    status: RefundStatus,
    event_id: &str,
) -> Result<bool, ApiError> {
    let Some(refund) = repo::refunds::by_reference(conn, reference).await? else {
        return Ok(false);
    };
    if refund.status != RefundStatus::Pending.as_str() || status == RefundStatus::Pending {
        return Ok(false);
    }
    let payment: PaymentRow = repo::payments::get(conn, refund.payment_id, true)
        .await?
        .ok_or(ApiError::NotFound)?;
    repo::refunds::set_status(conn, refund.id, status.as_str()).await?;
    if status == RefundStatus::Failed {
        repo::payments::release_refund(conn, payment.id, refund.amount_minor).await?;
    }
    flow::refund_settled(conn, tenant, &payment, &refund, status, Some(event_id)).await?;
    Ok(true)
}
