//! PayPal Checkout: Orders v2 and Payments v2 over reqwest, webhooks through PayPal's
//! verification API.
//!
//! * Calls authenticate with an OAuth2 client-credentials token (`POST /v1/oauth2/token`,
//!   Basic `client_id:client_secret`), cached until shortly before it expires and shared by
//!   concurrent calls; a 401 drops it and the call is retried once with a fresh one.
//! * `create_payment` creates an order (intent `CAPTURE`) and answers a redirect to PayPal's
//!   approval page. Its reference is the PayPal **order** id.
//! * `confirm` captures the approved order. An order the payer has not approved yet stays
//!   `RequiresAction`; a declined instrument is [`PaymentError::Declined`].
//! * `refund` refunds the order's first capture: it reads the capture id from the order.
//! * `cancel` calls nothing: PayPal has no way to void an order that is not captured, and one
//!   that is never captured expires by itself. It answers `Cancelled`; the payment service must
//!   not `confirm` a payment it cancelled.
//! * Money-moving calls carry the service's idempotency key as `PayPal-Request-Id`.
//! * Webhooks: the `PAYPAL-TRANSMISSION-*` headers must be present and at most
//!   [`crate::WEBHOOK_TOLERANCE`] old, then PayPal's
//!   `POST /v1/notifications/verify-webhook-signature` decides, with the raw body as the event.
//!
//! Settings: `client_id` (required), `webhook_id` (required to accept webhooks), `api_base`
//! (default `https://api-m.paypal.com`; the sandbox is `https://api-m.sandbox.paypal.com`) and
//! `timeout_secs`. Credential: `client_secret`.
//!
//! Amounts are ISO 4217 minor units turned into PayPal's decimal strings without floats
//! (`wire::format_amount`). Currencies PayPal takes without decimals although ISO gives them
//! two (HUF, TWD) are sent with their decimals, and PayPal refuses amounts with cents in them.

mod wire;

use std::{sync::Arc, time::Instant};

use reqwest::{Method, StatusCode, header};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize, de::DeserializeOwned};
use serde_json::value::RawValue;

use crate::{
    Descriptor, NewPayment, NewRefund, PaymentError, PaymentProvider, PaymentStatus,
    ProviderConfig, ProviderPayment, ProviderRefund, WebhookError, WebhookEvent, WebhookRequest,
    http, settings,
};

pub const NAME: &str = "paypal";
pub const DEFAULT_API_BASE: &str = "https://api-m.paypal.com";
pub const SANDBOX_API_BASE: &str = "https://api-m.sandbox.paypal.com";

pub const DESCRIPTOR: Descriptor = Descriptor {
    name: NAME,
    credentials: &["client_secret"],
    factory,
};

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Settings {
    client_id: Option<String>,
    webhook_id: Option<String>,
    api_base: Option<String>,
    timeout_secs: Option<u64>,
}

pub struct PayPal {
    http: reqwest::Client,
    api_base: String,
    client_id: String,
    client_secret: SecretString,
    webhook_id: Option<String>,
    /// The current access token. Held across a token request, so concurrent calls wait for one
    /// token instead of each asking for their own.
    token: tokio::sync::Mutex<Option<Token>>,
}

struct Token {
    value: SecretString,
    use_until: Instant,
}

pub fn factory(config: &ProviderConfig) -> anyhow::Result<Arc<dyn PaymentProvider>> {
    let s: Settings = settings::parse(NAME, config)?;
    let client_id = s
        .client_id
        .map(|id| id.trim().to_owned())
        .filter(|id| !id.is_empty())
        .ok_or_else(|| anyhow::anyhow!("{NAME} settings: `client_id` is required"))?;
    let webhook_id = s
        .webhook_id
        .map(|id| id.trim().to_owned())
        .filter(|id| !id.is_empty());
    Ok(Arc::new(PayPal {
        http: http::client(settings::timeout(NAME, s.timeout_secs)?)?,
        api_base: settings::base_url(NAME, "api_base", s.api_base, DEFAULT_API_BASE)?,
        client_id,
        client_secret: config.credential(NAME, "client_secret")?.clone(),
        webhook_id,
        token: tokio::sync::Mutex::new(None),
    }))
}

impl PayPal {
    fn scrub(&self, text: &str) -> String {
        http::redact(text, self.client_secret.expose_secret())
    }

    async fn fetch_token(&self) -> Result<Token, PaymentError> {
        let res = self
            .http
            .post(format!("{}/v1/oauth2/token", self.api_base))
            .basic_auth(&self.client_id, Some(self.client_secret.expose_secret()))
            .header(header::ACCEPT, "application/json")
            .form(&[("grant_type", "client_credentials")])
            .send()
            .await
            .map_err(http::transport_error)?;
        let status = res.status();
        let body = res.bytes().await.map_err(http::transport_error)?;
        if !status.is_success() {
            let e: wire::TokenError =
                serde_json::from_slice(&body).unwrap_or_else(|_| wire::TokenError {
                    error_description: http::snippet(&body),
                    ..Default::default()
                });
            let text = format!("paypal token: {} {}", e.error, e.error_description);
            return Err(http::status_error(status, self.scrub(text.trim())));
        }
        let answer: wire::TokenAnswer = serde_json::from_slice(&body).map_err(|e| {
            PaymentError::unavailable(format!("paypal token: unreadable answer: {e}"))
        })?;
        Ok(Token {
            value: SecretString::from(answer.access_token),
            use_until: Instant::now() + wire::token_lifetime(answer.expires_in),
        })
    }

    /// The cached token, or a new one.
    async fn token(&self) -> Result<SecretString, PaymentError> {
        let mut slot = self.token.lock().await;
        if let Some(t) = slot.as_ref()
            && t.use_until > Instant::now()
        {
            return Ok(t.value.clone());
        }
        let fresh = self.fetch_token().await?;
        let value = fresh.value.clone();
        *slot = Some(fresh);
        Ok(value)
    }

    /// Forgets `rejected` unless a concurrent call already replaced it.
    async fn forget(&self, rejected: &SecretString) {
        let mut slot = self.token.lock().await;
        if slot
            .as_ref()
            .is_some_and(|t| t.value.expose_secret() == rejected.expose_secret())
        {
            *slot = None;
        }
    }

    /// One authenticated call; a 401 is retried once with a fresh token.
    async fn call<B: Serialize + ?Sized>(
        &self,
        method: Method,
        path: &str,
        request_id: Option<&str>,
        body: Option<&B>,
    ) -> Result<(StatusCode, Vec<u8>), PaymentError> {
        let request_id = request_id.map(wire::request_id).transpose()?;
        for attempt in 0..2 {
            let token = self.token().await?;
            let mut req = self
                .http
                .request(method.clone(), format!("{}{path}", self.api_base))
                .bearer_auth(token.expose_secret())
                .header(header::ACCEPT, "application/json")
                .header("prefer", "return=representation");
            if let Some(id) = request_id {
                req = req.header("paypal-request-id", id);
            }
            if let Some(body) = body {
                req = req.json(body);
            }
            let res = req.send().await.map_err(http::transport_error)?;
            let status = res.status();
            if status == StatusCode::UNAUTHORIZED && attempt == 0 {
                tracing::debug!("paypal: token refused, fetching a new one");
                self.forget(&token).await;
                continue;
            }
            let bytes = res.bytes().await.map_err(http::transport_error)?;
            return Ok((status, bytes.to_vec()));
        }
        unreachable!("the second attempt always returns")
    }

    /// A success answer read as `T`, or the failure as our error.
    fn read<T: DeserializeOwned>(
        &self,
        status: StatusCode,
        body: &[u8],
    ) -> Result<T, PaymentError> {
        if !status.is_success() {
            return Err(self.failure(status, body));
        }
        serde_json::from_slice(body).map_err(|e| {
            PaymentError::unavailable(format!("paypal: unreadable answer (HTTP {status}): {e}"))
        })
    }

    fn failure(&self, status: StatusCode, body: &[u8]) -> PaymentError {
        wire::ApiError::parse(body).into_payment_error(status, self.client_secret.expose_secret())
    }

    async fn order(&self, id: &str) -> Result<wire::Order, PaymentError> {
        let (status, body) = self
            .call::<()>(
                Method::GET,
                &format!("/v2/checkout/orders/{id}"),
                None,
                None,
            )
            .await?;
        self.read(status, &body)
    }
}

#[derive(Serialize)]
struct VerifyRequest<'a> {
    auth_algo: &'a str,
    cert_url: &'a str,
    transmission_id: &'a str,
    transmission_sig: &'a str,
    transmission_time: &'a str,
    webhook_id: &'a str,
    /// The body exactly as it arrived: PayPal checks the signature over these bytes.
    webhook_event: &'a RawValue,
}

#[async_trait::async_trait]
impl PaymentProvider for PayPal {
    fn name(&self) -> &str {
        NAME
    }

    async fn create_payment(&self, p: &NewPayment) -> Result<ProviderPayment, PaymentError> {
        let body = wire::create_order_body(p)?;
        let (status, answer) = self
            .call(
                Method::POST,
                "/v2/checkout/orders",
                Some(&p.idempotency_key),
                Some(&body),
            )
            .await?;
        let order: wire::Order = self.read(status, &answer)?;
        Ok(wire::order_payment(&order))
    }

    /// Captures the order. Not approved yet: where the order stands (the approval link again).
    /// Already captured (under another key): the order as it is.
    async fn confirm(
        &self,
        reference: &str,
        idempotency_key: &str,
    ) -> Result<ProviderPayment, PaymentError> {
        let id = wire::check_id(reference)?;
        let (status, body) = self
            .call(
                Method::POST,
                &format!("/v2/checkout/orders/{id}/capture"),
                Some(idempotency_key),
                Some(&serde_json::json!({})),
            )
            .await?;
        if status.is_success() {
            let order: wire::Order = self.read(status, &body)?;
            return Ok(wire::order_payment(&order));
        }
        let err = wire::ApiError::parse(&body);
        if status == StatusCode::UNPROCESSABLE_ENTITY
            && (err.has_issue("ORDER_NOT_APPROVED") || err.has_issue("ORDER_ALREADY_CAPTURED"))
        {
            return Ok(wire::order_payment(&self.order(id).await?));
        }
        Err(err.into_payment_error(status, self.client_secret.expose_secret()))
    }

    async fn cancel(&self, reference: &str) -> Result<ProviderPayment, PaymentError> {
        let id = wire::check_id(reference)?;
        Ok(ProviderPayment {
            reference: id.to_owned(),
            status: PaymentStatus::Cancelled,
            next_action: crate::NextAction::None,
            captured_minor: None,
            failure: None,
        })
    }

    async fn refund(&self, r: &NewRefund) -> Result<ProviderRefund, PaymentError> {
        let body = wire::refund_body(r)?;
        let order = self.order(wire::check_id(&r.payment_reference)?).await?;
        let capture = order
            .capture()
            .ok_or_else(|| PaymentError::rejected("the PayPal order has no capture to refund"))?;
        let capture_id = wire::check_id(&capture.id)?;
        let (status, answer) = self
            .call(
                Method::POST,
                &format!("/v2/payments/captures/{capture_id}/refund"),
                Some(&r.idempotency_key),
                Some(&body),
            )
            .await?;
        let refund: wire::RefundAnswer = self.read(status, &answer)?;
        Ok(ProviderRefund {
            status: wire::refund_status(&refund.status),
            amount_minor: refund
                .amount
                .as_ref()
                .and_then(wire::Money::minor)
                .unwrap_or(r.amount_minor),
            reference: refund.id,
        })
    }

    async fn verify_webhook(&self, w: &WebhookRequest<'_>) -> Result<WebhookEvent, WebhookError> {
        let t = wire::transmission(w.headers, w.received_at)?;
        let webhook_id = self.webhook_id.as_deref().ok_or_else(|| {
            WebhookError::Signature("paypal: no `webhook_id` is configured".into())
        })?;
        let event = std::str::from_utf8(w.body)
            .ok()
            .and_then(|s| serde_json::from_str::<&RawValue>(s).ok())
            .ok_or_else(|| WebhookError::Signature("the body is not JSON".into()))?;
        let req = VerifyRequest {
            auth_algo: t.auth_algo,
            cert_url: t.cert_url,
            transmission_id: t.transmission_id,
            transmission_sig: t.transmission_sig,
            transmission_time: t.transmission_time,
            webhook_id,
            webhook_event: event,
        };
        let asked = self
            .call(
                Method::POST,
                "/v1/notifications/verify-webhook-signature",
                None,
                Some(&req),
            )
            .await
            .and_then(|(status, body)| self.read::<wire::VerifyAnswer>(status, &body));
        let answer = match asked {
            Ok(a) => a,
            // Our request was refused (an unknown webhook id): nothing is verified.
            Err(PaymentError::Unauthorized(e) | PaymentError::Unavailable(e)) => {
                return Err(WebhookError::Unavailable(e));
            }
            // Our request was refused (an unknown webhook id, say): nothing is verified.
            Err(e) => {
                return Err(WebhookError::Signature(format!(
                    "PayPal refused to verify the webhook: {e}"
                )));
            }
        };
        if answer.verification_status != "SUCCESS" {
            return Err(WebhookError::Signature(format!(
                "PayPal says {}",
                answer.verification_status
            )));
        }
        wire::parse_event(w.body)
    }

    /// Asks for a new token: the credentials work when PayPal gives one.
    async fn check(&self) -> Result<(), PaymentError> {
        let mut slot = self.token.lock().await;
        *slot = Some(self.fetch_token().await?);
        Ok(())
    }
}
