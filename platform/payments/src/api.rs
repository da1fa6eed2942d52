//! What other crates call: the outbox handler that carries payments over to orders, and the
//! demo marketplaces' sandbox gateway.

use std::{collections::BTreeMap, sync::Arc};

use gateways::sandbox;
use kernel::{
    ApiError, AppState,
    outbox::{Claimed, Handler, HandlerError},
};
use orders::api::PaidOutcome;
use rand::RngCore as _;
use secrecy::SecretString;
use serde::Deserialize;
use uuid::Uuid;

use crate::{
    flow::{self, RefundRequest},
    gateways as gw, repo,
};

/// The outbox handler of the payment service: `payment.captured` marks the order paid (or, when
/// the order was cancelled meanwhile, refunds the payment in full), `payment.refunded` moves the
/// order to `refunded`/`partially_refunded`. Both are idempotent: a redelivered event finds the
/// order already moved.
pub fn handler(state: &AppState) -> Arc<dyn Handler> {
    Arc::new(OrderPayments {
        state: state.clone(),
    })
}

struct OrderPayments {
    state: AppState,
}

#[derive(Deserialize)]
struct PaymentEvent {
    payment_id: Uuid,
    order_id: Uuid,
    customer_id: Uuid,
}

#[async_trait::async_trait]
impl Handler for OrderPayments {
    async fn handle(&self, event: &Claimed) -> Result<(), HandlerError> {
        let on_order = match event.topic.as_str() {
            "payment.captured" | "payment.refunded" => {
                serde_json::from_value::<PaymentEvent>(event.payload.clone())
                    .map_err(HandlerError::permanent)?
            }
            _ => return Ok(()),
        };
        let done = if event.topic == "payment.captured" {
            self.captured(event.tenant_id, &on_order).await
        } else {
            self.refunded(event.tenant_id, &on_order).await
        };
        done.map_err(|e| HandlerError::retryable(anyhow::anyhow!("{e}")))
    }

    fn batchable(&self, _event: &Claimed) -> bool {
        true
    }
}

impl OrderPayments {
    async fn captured(&self, tenant: Uuid, e: &PaymentEvent) -> Result<(), ApiError> {
        let mut tx = gw::begin_system(&self.state, tenant, Some(e.customer_id)).await?;
        let outcome = orders::api::record_payment(tx.conn(), tenant, e.order_id).await?;
        if outcome == PaidOutcome::NotPayable {
            // The order was cancelled (or expired) before the money arrived: give it back.
            let payment = repo::payments::get(tx.conn(), e.payment_id, true)
                .await?
                .ok_or(ApiError::NotFound)?;
            if payment.refunded_minor < payment.captured_minor {
                let gateway = gw::load(&self.state, tx.conn(), tenant, Some(&payment.provider))
                    .await?
                    .ok_or(ApiError::conflict("gateway_unavailable"))?;
                flow::refund(
                    tx.conn(),
                    tenant,
                    &gateway,
                    &payment,
                    &RefundRequest {
                        amount_minor: None,
                        vendor_order: None,
                        reason: Some("order cancelled before the payment arrived"),
                        requested_by: None,
                        key: "order-not-payable".into(),
                    },
                )
                .await?;
                tracing::info!(payment = %payment.id, "payment for a cancelled order refunded");
            }
        }
        tx.commit().await
    }

    async fn refunded(&self, tenant: Uuid, e: &PaymentEvent) -> Result<(), ApiError> {
        let mut tx = gw::begin_system(&self.state, tenant, Some(e.customer_id)).await?;
        let (total, per_part) =
            repo::refunds::succeeded_of_payment(tx.conn(), e.payment_id).await?;
        let whole: Vec<Uuid> = orders::api::parts(tx.conn(), e.order_id)
            .await?
            .into_iter()
            .filter(|p| {
                per_part
                    .iter()
                    .any(|(vo, amount)| *vo == p.id && *amount >= p.total_minor)
            })
            .map(|p| p.id)
            .collect();
        orders::api::record_refund(tx.conn(), tenant, e.order_id, total, &whole).await?;
        tx.commit().await
    }
}

/// Demo data: the sandbox gateway as the marketplace's default, unless it has one. `admin` is
/// one of its admins.
pub async fn seed_sandbox(state: &AppState, tenant: Uuid, admin: Uuid) -> Result<(), ApiError> {
    let mut tx = state.db.begin_scoped(tenant, Some(admin)).await?;
    if repo::gateways::get(tx.conn(), sandbox::NAME)
        .await?
        .is_some()
    {
        return tx.commit().await;
    }
    let mut secret = [0u8; 24];
    rand::rng().fill_bytes(&mut secret);
    let credentials = BTreeMap::from([(
        "webhook_secret".to_string(),
        SecretString::from(format!("whsec_sbx_{}", hex::encode(secret))),
    )]);
    let (sealed, hint) = gw::seal(state, tenant, sandbox::NAME, &credentials)?;
    repo::gateways::upsert(
        tx.conn(),
        tenant,
        &repo::gateways::Upsert {
            provider: sandbox::NAME,
            enabled: true,
            is_default: true,
            settings: &serde_json::json!({}),
            sealed: &sealed,
            hint: &hint,
        },
    )
    .await?;
    tx.commit().await
}
