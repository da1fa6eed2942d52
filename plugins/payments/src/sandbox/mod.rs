//! The built-in gateway: no outside account, deterministic outcomes chosen by test tokens, and
//! signed webhooks, so the whole payment flow runs on a laptop and in CI.
//!
//! | method token             | outcome                                                        |
//! |--------------------------|----------------------------------------------------------------|
//! | `tok_success`, `tok_visa`| captured at once                                               |
//! | `tok_decline`            | declined, `card_declined`                                      |
//! | `tok_insufficient_funds` | declined, `insufficient_funds`                                 |
//! | `tok_3ds`, none          | requires action (a client secret); `confirm` captures it      |
//! | `tok_async`              | processing; after `async_delay_ms` a signed `payment.succeeded` webhook is POSTed to the payment's webhook URL |
//!
//! The sandbox keeps no state: the scenario and a hash of the idempotency key make up the
//! payment's reference (`pay_sbx_3ds_…`), so a retry gets the same reference and `confirm`
//! knows what it confirms. Webhooks carry `Sandbox-Signature`, Stripe's `t=…,v1=…` scheme
//! ([`crate::signature`]) under the marketplace's `webhook_secret`.

use std::{net::SocketAddr, sync::Arc, time::Duration};

use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use serde_json::json;
use sha2::{Digest, Sha256};

use crate::{
    Descriptor, Failure, NewPayment, NewRefund, NextAction, PaymentError, PaymentProvider,
    PaymentStatus, ProviderConfig, ProviderPayment, ProviderRefund, RefundStatus,
    WEBHOOK_TOLERANCE, WebhookError, WebhookEvent, WebhookKind, WebhookRequest, http, settings,
    signature,
};

pub const NAME: &str = "sandbox";
pub const SIGNATURE_HEADER: &str = "sandbox-signature";

pub const DESCRIPTOR: Descriptor = Descriptor {
    name: NAME,
    credentials: &["webhook_secret"],
    factory,
};

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Settings {
    /// How long `tok_async` payments stay processing before their webhook (default 1500 ms).
    async_delay_ms: Option<u64>,
}

pub struct Sandbox {
    webhook_secret: SecretString,
    async_delay: Duration,
}

pub fn factory(config: &ProviderConfig) -> anyhow::Result<Arc<dyn PaymentProvider>> {
    let s: Settings = settings::parse(NAME, config)?;
    let async_delay = match s.async_delay_ms {
        None => Duration::from_millis(1500),
        Some(ms @ 0..=600_000) => Duration::from_millis(ms),
        Some(_) => anyhow::bail!("sandbox settings: `async_delay_ms` must be at most 600000"),
    };
    Ok(Arc::new(Sandbox {
        webhook_secret: config.credential(NAME, "webhook_secret")?.clone(),
        async_delay,
    }))
}

/// The outcome a token asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Scenario {
    Success,
    Declined,
    Insufficient,
    Action,
    Async,
}

impl Scenario {
    fn from_token(token: Option<&str>) -> Result<Self, PaymentError> {
        Ok(match token {
            None | Some("tok_3ds") => Scenario::Action,
            Some("tok_success" | "tok_visa") => Scenario::Success,
            Some("tok_decline") => Scenario::Declined,
            Some("tok_insufficient_funds") => Scenario::Insufficient,
            Some("tok_async") => Scenario::Async,
            Some(_) => {
                return Err(PaymentError::rejected(
                    "unknown sandbox token (use tok_success, tok_decline, tok_insufficient_funds, tok_3ds or tok_async)",
                ));
            }
        })
    }

    fn tag(self) -> &'static str {
        match self {
            Scenario::Success => "ok",
            Scenario::Declined => "declined",
            Scenario::Insufficient => "nofunds",
            Scenario::Action => "3ds",
            Scenario::Async => "async",
        }
    }

    fn from_reference(reference: &str) -> Result<Self, PaymentError> {
        let tag = reference
            .strip_prefix("pay_sbx_")
            .and_then(|r| r.split_once('_'))
            .map(|(tag, _)| tag);
        [
            Scenario::Success,
            Scenario::Declined,
            Scenario::Insufficient,
            Scenario::Action,
            Scenario::Async,
        ]
        .into_iter()
        .find(|s| Some(s.tag()) == tag)
        .ok_or_else(|| PaymentError::rejected("no such sandbox payment"))
    }

    fn failure(self) -> Option<Failure> {
        let (code, message) = match self {
            Scenario::Declined => ("card_declined", "The card was declined."),
            Scenario::Insufficient => ("insufficient_funds", "The card has insufficient funds."),
            _ => return None,
        };
        Some(Failure {
            code: code.into(),
            message: message.into(),
        })
    }
}

fn digest(parts: &[&str]) -> String {
    let mut h = Sha256::new();
    for p in parts {
        h.update((p.len() as u64).to_be_bytes());
        h.update(p.as_bytes());
    }
    hex::encode(&h.finalize()[..12])
}

impl Sandbox {
    fn payment(&self, reference: String, status: PaymentStatus, s: Scenario) -> ProviderPayment {
        let next_action = if status == PaymentStatus::RequiresAction {
            NextAction::ConfirmWithClientSecret {
                client_secret: format!(
                    "{reference}_secret_{}",
                    digest(&[self.webhook_secret.expose_secret(), &reference])
                ),
            }
        } else {
            NextAction::None
        };
        ProviderPayment {
            reference,
            status,
            next_action,
            captured_minor: None,
            failure: if status == PaymentStatus::Failed {
                s.failure()
            } else {
                None
            },
        }
    }
}

#[async_trait::async_trait]
impl PaymentProvider for Sandbox {
    fn name(&self) -> &str {
        NAME
    }

    async fn create_payment(&self, p: &NewPayment) -> Result<ProviderPayment, PaymentError> {
        if p.amount_minor <= 0 {
            return Err(PaymentError::rejected("the amount must be positive"));
        }
        let scenario = Scenario::from_token(p.method.as_deref())?;
        let reference = format!(
            "pay_sbx_{}_{}",
            scenario.tag(),
            digest(&[&p.idempotency_key])
        );
        let status = match scenario {
            Scenario::Success => PaymentStatus::Captured,
            Scenario::Declined | Scenario::Insufficient => {
                return Err(PaymentError::Declined(
                    scenario.failure().expect("a decline"),
                ));
            }
            Scenario::Action => PaymentStatus::RequiresAction,
            Scenario::Async => {
                let url = p.webhook_url.clone().ok_or_else(|| {
                    PaymentError::rejected("tok_async needs a webhook URL to report to")
                })?;
                let event = json!({
                    "id": format!("evt_sbx_{}", digest(&["succeeded", &reference])),
                    "type": "payment.succeeded",
                    "data": {"reference": reference, "amount_minor": p.amount_minor},
                });
                let secret = self.webhook_secret.clone();
                let delay = self.async_delay;
                tokio::spawn(async move {
                    tokio::time::sleep(delay).await;
                    deliver(&url, &secret, &event).await;
                });
                PaymentStatus::Processing
            }
        };
        let mut payment = self.payment(reference, status, scenario);
        if status == PaymentStatus::Captured {
            payment.captured_minor = Some(p.amount_minor);
        }
        Ok(payment)
    }

    async fn confirm(
        &self,
        reference: &str,
        _idempotency_key: &str,
    ) -> Result<ProviderPayment, PaymentError> {
        let s = Scenario::from_reference(reference)?;
        let status = match s {
            Scenario::Success | Scenario::Action => PaymentStatus::Captured,
            Scenario::Async => PaymentStatus::Processing,
            Scenario::Declined | Scenario::Insufficient => PaymentStatus::Failed,
        };
        Ok(self.payment(reference.to_owned(), status, s))
    }

    async fn cancel(&self, reference: &str) -> Result<ProviderPayment, PaymentError> {
        let s = Scenario::from_reference(reference)?;
        if s == Scenario::Success {
            return Err(PaymentError::rejected(
                "a captured payment cannot be cancelled; refund it",
            ));
        }
        Ok(self.payment(reference.to_owned(), PaymentStatus::Cancelled, s))
    }

    async fn refund(&self, r: &NewRefund) -> Result<ProviderRefund, PaymentError> {
        Scenario::from_reference(&r.payment_reference)?;
        if r.amount_minor <= 0 {
            return Err(PaymentError::rejected("the amount must be positive"));
        }
        Ok(ProviderRefund {
            reference: format!("re_sbx_{}", digest(&[&r.idempotency_key])),
            status: RefundStatus::Succeeded,
            amount_minor: r.amount_minor,
        })
    }

    async fn verify_webhook(&self, w: &WebhookRequest<'_>) -> Result<WebhookEvent, WebhookError> {
        let header = w
            .headers
            .get(SIGNATURE_HEADER)
            .and_then(|h| h.to_str().ok())
            .ok_or_else(|| WebhookError::Signature(format!("no {SIGNATURE_HEADER} header")))?;
        signature::verify(
            header,
            w.body,
            &[self.webhook_secret.expose_secret().as_bytes()],
            WEBHOOK_TOLERANCE,
            w.received_at.unix_timestamp(),
        )
        .map_err(|e| match e {
            signature::VerifyError::OutsideTolerance => WebhookError::Stale,
            e => WebhookError::Signature(e.to_string()),
        })?;
        parse_event(w.body)
    }

    async fn check(&self) -> Result<(), PaymentError> {
        Ok(())
    }
}

#[derive(Deserialize)]
struct Event {
    id: String,
    #[serde(rename = "type")]
    kind: String,
    data: EventData,
}

#[derive(Deserialize)]
struct EventData {
    reference: String,
    amount_minor: Option<i64>,
    payment_reference: Option<String>,
    code: Option<String>,
}

/// Reads a verified sandbox event.
fn parse_event(body: &[u8]) -> Result<WebhookEvent, WebhookError> {
    let e: Event =
        serde_json::from_slice(body).map_err(|e| WebhookError::Malformed(e.to_string()))?;
    let d = e.data;
    let kind = match e.kind.as_str() {
        "payment.succeeded" => WebhookKind::Payment {
            reference: d.reference,
            status: PaymentStatus::Captured,
            captured_minor: d.amount_minor,
            failure: None,
        },
        "payment.failed" => WebhookKind::Payment {
            reference: d.reference,
            status: PaymentStatus::Failed,
            captured_minor: None,
            failure: Some(Failure {
                code: d.code.unwrap_or_else(|| "processing_error".into()),
                message: "The payment failed.".into(),
            }),
        },
        "refund.succeeded" => WebhookKind::Refund {
            payment_reference: d.payment_reference.ok_or_else(|| {
                WebhookError::Malformed("refund without payment_reference".into())
            })?,
            reference: d.reference,
            status: RefundStatus::Succeeded,
            amount_minor: d.amount_minor.unwrap_or(0),
        },
        other => WebhookKind::Other(other.to_owned()),
    };
    Ok(WebhookEvent { id: e.id, kind })
}

/// POSTs a signed event, retrying a few times like a real gateway would. `*.localhost` hosts
/// go to the loopback address (RFC 6761), which the system resolver does not do for subdomains.
async fn deliver(url: &str, secret: &SecretString, event: &serde_json::Value) {
    let body = event.to_string();
    for attempt in 0..5u32 {
        if attempt > 0 {
            tokio::time::sleep(Duration::from_millis(500) * 2u32.pow(attempt)).await;
        }
        let t = time::OffsetDateTime::now_utc().unix_timestamp();
        let sig = signature::sign(secret.expose_secret().as_bytes(), t, body.as_bytes());
        let sent = match client_for(url) {
            Ok(c) => {
                c.post(url)
                    .header("content-type", "application/json")
                    .header(SIGNATURE_HEADER, sig)
                    .body(body.clone())
                    .send()
                    .await
            }
            Err(e) => {
                tracing::warn!(error = %e, "sandbox webhook: bad URL");
                return;
            }
        };
        match sent {
            Ok(r) if r.status().is_success() => return,
            Ok(r) => tracing::warn!(status = %r.status(), attempt, "sandbox webhook refused"),
            Err(e) => tracing::warn!(error = %e.without_url(), attempt, "sandbox webhook failed"),
        }
    }
}

fn client_for(url: &str) -> anyhow::Result<reqwest::Client> {
    let u = reqwest::Url::parse(url)?;
    let mut b = http::builder(Duration::from_secs(10));
    if let Some(host) = u.host_str().filter(|h| h.ends_with(".localhost"))
        && let Some(port) = u.port_or_known_default()
    {
        b = b.resolve(host, SocketAddr::from(([127, 0, 0, 1], port)));
    }
    Ok(b.build()?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Registry;
    use serde_json::json;
    use uuid::Uuid;

    fn sandbox() -> Arc<dyn PaymentProvider> {
        Registry::builtin()
            .build(
                NAME,
                &ProviderConfig::new(json!({}), [("webhook_secret", "whsec_test")]),
            )
            .unwrap()
    }

    fn new_payment(method: Option<&str>, key: &str) -> NewPayment {
        NewPayment {
            payment_id: Uuid::nil(),
            order_id: Uuid::nil(),
            order_number: "A-1".into(),
            amount_minor: 5000,
            currency: "PEN".into(),
            idempotency_key: key.into(),
            method: method.map(Into::into),
            return_url: None,
            cancel_url: None,
            webhook_url: None,
            description: "order A-1".into(),
        }
    }

    #[tokio::test]
    async fn tokens_choose_the_outcome() {
        let s = sandbox();
        let ok = s
            .create_payment(&new_payment(Some("tok_success"), "k1"))
            .await
            .unwrap();
        assert_eq!(ok.status, PaymentStatus::Captured);
        assert_eq!(ok.captured_minor, Some(5000));
        assert_eq!(ok.next_action, NextAction::None);

        match s
            .create_payment(&new_payment(Some("tok_insufficient_funds"), "k2"))
            .await
        {
            Err(PaymentError::Declined(f)) => assert_eq!(f.code, "insufficient_funds"),
            other => panic!("{other:?}"),
        }

        let action = s
            .create_payment(&new_payment(Some("tok_3ds"), "k3"))
            .await
            .unwrap();
        assert_eq!(action.status, PaymentStatus::RequiresAction);
        assert!(matches!(
            action.next_action,
            NextAction::ConfirmWithClientSecret { .. }
        ));
        let confirmed = s.confirm(&action.reference, "k3c").await.unwrap();
        assert_eq!(confirmed.status, PaymentStatus::Captured);

        assert!(matches!(
            s.create_payment(&new_payment(Some("tok_other"), "k4"))
                .await,
            Err(PaymentError::Rejected(_))
        ));
        assert!(matches!(
            s.create_payment(&new_payment(Some("tok_async"), "k5"))
                .await,
            Err(PaymentError::Rejected(_))
        ));
    }

    #[tokio::test]
    async fn a_retry_gets_the_same_reference() {
        let s = sandbox();
        let a = s
            .create_payment(&new_payment(Some("tok_success"), "same"))
            .await
            .unwrap();
        let b = s
            .create_payment(&new_payment(Some("tok_success"), "same"))
            .await
            .unwrap();
        let c = s
            .create_payment(&new_payment(Some("tok_success"), "other"))
            .await
            .unwrap();
        assert_eq!(a.reference, b.reference);
        assert_ne!(a.reference, c.reference);
    }

    async fn verify(
        s: &dyn PaymentProvider,
        secret: &[u8],
        body: &str,
        signed_at: time::OffsetDateTime,
        received_at: time::OffsetDateTime,
    ) -> Result<WebhookEvent, WebhookError> {
        let mut headers = ::http::HeaderMap::new();
        let sig = signature::sign(secret, signed_at.unix_timestamp(), body.as_bytes());
        headers.insert(SIGNATURE_HEADER, sig.parse().unwrap());
        s.verify_webhook(&WebhookRequest {
            headers: &headers,
            body: body.as_bytes(),
            received_at,
        })
        .await
    }

    #[tokio::test]
    async fn webhooks_verify_with_the_secret_only() {
        let s = sandbox();
        let body = json!({"id": "evt_1", "type": "payment.succeeded",
            "data": {"reference": "pay_sbx_async_x", "amount_minor": 5000}})
        .to_string();
        let now = time::OffsetDateTime::now_utc();
        let ev = verify(&*s, b"whsec_test", &body, now, now).await.unwrap();
        assert_eq!(ev.id, "evt_1");
        assert!(matches!(
            ev.kind,
            WebhookKind::Payment {
                status: PaymentStatus::Captured,
                captured_minor: Some(5000),
                ..
            }
        ));
        assert!(matches!(
            verify(&*s, b"whsec_other", &body, now, now).await,
            Err(WebhookError::Signature(_))
        ));
        let later = now + Duration::from_secs(301);
        assert!(matches!(
            verify(&*s, b"whsec_test", &body, now, later).await,
            Err(WebhookError::Stale)
        ));
        let flipped = body.replace("5000", "5001");
        let mut headers = ::http::HeaderMap::new();
        let sig = signature::sign(b"whsec_test", now.unix_timestamp(), body.as_bytes());
        headers.insert(SIGNATURE_HEADER, sig.parse().unwrap());
        let tampered = s
            .verify_webhook(&WebhookRequest {
                headers: &headers,
                body: flipped.as_bytes(),
                received_at: now,
            })
            .await;
        assert!(matches!(tampered, Err(WebhookError::Signature(_))));
    }
}
