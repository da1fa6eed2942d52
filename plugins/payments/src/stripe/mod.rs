//! Stripe, through async-stripe's 1.0 client: PaymentIntents, Refunds and `Stripe-Signature`
//! webhooks.
//!
//! * `create_payment` creates a PaymentIntent (`metadata[payment_id]`, `metadata[order_id]`).
//!   With a method token (`pm_…`) it confirms at once; without one it leaves the intent for the
//!   client to confirm with Stripe.js and the client secret.
//! * `confirm` reads the intent and captures it when it waits for capture.
//! * Money-moving calls carry the service's idempotency key as `Idempotency-Key`, so a retry
//!   gets Stripe's first answer back.
//! * Webhooks are checked with [`crate::signature`] (`t=…,v1=…`, 300 s tolerance) over the raw
//!   body against every secret in `webhook_secret` (several, separated by commas or
//!   whitespace, during a rotation), then read with our own types (`wire::parse_event`).
//!
//! Settings: `api_base` (default `https://api.stripe.com`; tests point it at a local server) and
//! `timeout_secs`. Credentials: `secret_key` (`sk_…` or a restricted `rk_…`) and
//! `webhook_secret`.

mod wire;

use std::{collections::HashMap, str::FromStr, sync::Arc};

use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use stripe::{Client, IdempotencyKey, RequestStrategy, StripeError, StripeRequest};
use stripe_core::{
    PaymentIntentStatus,
    balance::RetrieveForMyAccountBalance,
    payment_intent::{
        CancelPaymentIntent, CapturePaymentIntent, CreatePaymentIntent,
        CreatePaymentIntentAutomaticPaymentMethods,
        CreatePaymentIntentAutomaticPaymentMethodsAllowRedirects, RetrievePaymentIntent,
    },
    refund::{CreateRefund, CreateRefundReason},
};
use stripe_types::Currency;

use crate::{
    Descriptor, NewPayment, NewRefund, PaymentError, PaymentProvider, ProviderConfig,
    ProviderPayment, ProviderRefund, WEBHOOK_TOLERANCE, WebhookError, WebhookEvent, WebhookRequest,
    http, settings, signature,
};

pub const NAME: &str = "stripe";
pub const SIGNATURE_HEADER: &str = "stripe-signature";
pub const DEFAULT_API_BASE: &str = "https://api.stripe.com";

pub const DESCRIPTOR: Descriptor = Descriptor {
    name: NAME,
    credentials: &["secret_key", "webhook_secret"],
    factory,
};

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Settings {
    api_base: Option<String>,
    timeout_secs: Option<u64>,
}

pub struct Stripe {
    client: Client,
    /// Kept only to scrub it from any message Stripe (or a proxy) might echo.
    secret_key: SecretString,
    webhook_secrets: Vec<SecretString>,
}

pub fn factory(config: &ProviderConfig) -> anyhow::Result<Arc<dyn PaymentProvider>> {
    let s: Settings = settings::parse(NAME, config)?;
    let api_base = settings::base_url(NAME, "api_base", s.api_base, DEFAULT_API_BASE)?;
    let timeout = settings::timeout(NAME, s.timeout_secs)?;
    let secret_key = config.credential(NAME, "secret_key")?.clone();
    let key = secret_key.expose_secret().trim();
    anyhow::ensure!(
        key.starts_with("sk_") || key.starts_with("rk_"),
        "{NAME}: the credential `secret_key` must be a secret key (sk_…) or a restricted key (rk_…)"
    );
    let webhook_secrets: Vec<SecretString> =
        wire::split_secrets(config.credential(NAME, "webhook_secret")?.expose_secret())
            .into_iter()
            .map(|s| SecretString::from(s.to_owned()))
            .collect();
    // async-stripe appends `v1/…` to the base, which must end with a slash.
    let client = stripe::ClientBuilder::new(key)
        .url(format!("{api_base}/"))
        .timeout(timeout)
        .app_info(
            "gamarriando",
            Some(env!("CARGO_PKG_VERSION").to_owned()),
            None,
        )
        .build()
        .map_err(|e| anyhow::anyhow!("{NAME}: cannot build the client: {e}"))?;
    Ok(Arc::new(Stripe {
        client,
        secret_key: SecretString::from(key.to_owned()),
        webhook_secrets,
    }))
}

/// Sends once with the given idempotency key (async-stripe's strategies never retry it).
fn idempotent(key: &str) -> Result<RequestStrategy, PaymentError> {
    IdempotencyKey::new(key)
        .map(RequestStrategy::Idempotent)
        .map_err(|e| PaymentError::rejected(format!("stripe: {e}")))
}

impl Stripe {
    /// async-stripe's error as ours. Its `Display` dumps the whole error object (which may hold
    /// a PaymentIntent and its client secret), so only the fields we need are read.
    fn error(&self, e: StripeError) -> PaymentError {
        let scrub = |s: &str| http::redact(s, self.secret_key.expose_secret());
        match e {
            StripeError::Stripe(api, status) => {
                let mut api = wire::ApiError::from_api(&api);
                api.message = api.message.as_deref().map(scrub);
                api.into_payment_error(status)
            }
            StripeError::ClientError(m) => {
                PaymentError::unavailable(format!("stripe: no answer: {}", scrub(&m)))
            }
            StripeError::Timeout => PaymentError::unavailable("stripe: timed out"),
            // A body we cannot read (a proxy's HTML page, a changed object): the same call with
            // the same idempotency key may be tried again.
            StripeError::JSONDeserialize(m) => {
                PaymentError::unavailable(format!("stripe: unreadable answer: {}", scrub(&m)))
            }
            StripeError::ConfigError(m) => PaymentError::rejected(format!("stripe: {}", scrub(&m))),
        }
    }

    async fn retrieve(&self, id: &str) -> Result<stripe_core::PaymentIntent, PaymentError> {
        RetrievePaymentIntent::new(id)
            .send(&self.client)
            .await
            .map_err(|e| self.error(e))
    }
}

fn is_unexpected_state(e: &StripeError) -> bool {
    matches!(e, StripeError::Stripe(api, _)
        if api.code.as_ref().is_some_and(|c| c.as_str() == "payment_intent_unexpected_state"))
}

#[async_trait::async_trait]
impl PaymentProvider for Stripe {
    fn name(&self) -> &str {
        NAME
    }

    async fn create_payment(&self, p: &NewPayment) -> Result<ProviderPayment, PaymentError> {
        if p.amount_minor <= 0 {
            return Err(PaymentError::rejected("the amount must be positive"));
        }
        let currency = Currency::from_str(&p.currency.to_ascii_lowercase())
            .unwrap_or_else(|never| match never {});
        let metadata = HashMap::from([
            ("payment_id".to_owned(), p.payment_id.to_string()),
            ("order_id".to_owned(), p.order_id.to_string()),
            ("order_number".to_owned(), p.order_number.clone()),
        ]);
        let mut req = CreatePaymentIntent::new(p.amount_minor, currency)
            .metadata(metadata)
            .description(p.description.as_str());
        match &p.method {
            Some(method) => {
                req = req.payment_method(method.as_str()).confirm(true);
                match &p.return_url {
                    Some(url) => req = req.return_url(url.as_str()),
                    // Confirming server-side without a return URL: redirect-based methods
                    // cannot come back, so Stripe must not offer them.
                    None => {
                        let mut apm = CreatePaymentIntentAutomaticPaymentMethods::new(true);
                        apm.allow_redirects =
                            Some(CreatePaymentIntentAutomaticPaymentMethodsAllowRedirects::Never);
                        req = req.automatic_payment_methods(apm);
                    }
                }
            }
            None => {
                req = req.automatic_payment_methods(
                    CreatePaymentIntentAutomaticPaymentMethods::new(true),
                );
            }
        }
        let intent = req
            .customize()
            .request_strategy(idempotent(&p.idempotency_key)?)
            .send(&self.client)
            .await
            .map_err(|e| self.error(e))?;
        Ok(wire::payment(&wire::Intent::from_api(&intent)))
    }

    async fn confirm(
        &self,
        reference: &str,
        idempotency_key: &str,
    ) -> Result<ProviderPayment, PaymentError> {
        let id = wire::check_id(reference)?;
        let mut intent = self.retrieve(id).await?;
        if intent.status == PaymentIntentStatus::RequiresCapture {
            intent = CapturePaymentIntent::new(id)
                .customize()
                .request_strategy(idempotent(idempotency_key)?)
                .send(&self.client)
                .await
                .map_err(|e| self.error(e))?;
        }
        Ok(wire::payment(&wire::Intent::from_api(&intent)))
    }

    /// Cancels the intent. Cancelling one that is already cancelled answers where it stands.
    async fn cancel(&self, reference: &str) -> Result<ProviderPayment, PaymentError> {
        let id = wire::check_id(reference)?;
        let intent = match CancelPaymentIntent::new(id).send(&self.client).await {
            Ok(intent) => intent,
            Err(e) if is_unexpected_state(&e) => {
                let current = self.retrieve(id).await?;
                if current.status != PaymentIntentStatus::Canceled {
                    return Err(self.error(e));
                }
                current
            }
            Err(e) => return Err(self.error(e)),
        };
        Ok(wire::payment(&wire::Intent::from_api(&intent)))
    }

    async fn refund(&self, r: &NewRefund) -> Result<ProviderRefund, PaymentError> {
        let id = wire::check_id(&r.payment_reference)?;
        if r.amount_minor <= 0 {
            return Err(PaymentError::rejected("the amount must be positive"));
        }
        let mut metadata = HashMap::from([("refund_id".to_owned(), r.refund_id.to_string())]);
        let mut req = CreateRefund::new()
            .payment_intent(id)
            .amount(r.amount_minor);
        if let Some(reason) = r.reason.as_deref() {
            match wire::refund_reason(reason) {
                Some(known) => {
                    req = req.reason(
                        CreateRefundReason::from_str(known).unwrap_or_else(|never| match never {}),
                    );
                }
                // In the customer's words: metadata, which Stripe caps at 500 characters.
                None => {
                    metadata.insert("reason".into(), reason.chars().take(500).collect());
                }
            }
        }
        let refund = req
            .metadata(metadata)
            .customize()
            .request_strategy(idempotent(&r.idempotency_key)?)
            .send(&self.client)
            .await
            .map_err(|e| self.error(e))?;
        Ok(ProviderRefund {
            reference: refund.id.as_str().to_owned(),
            status: wire::refund_status(refund.status.as_deref()),
            amount_minor: refund.amount,
        })
    }

    async fn verify_webhook(&self, w: &WebhookRequest<'_>) -> Result<WebhookEvent, WebhookError> {
        let header = w
            .headers
            .get(SIGNATURE_HEADER)
            .and_then(|h| h.to_str().ok())
            .ok_or_else(|| WebhookError::Signature("no Stripe-Signature header".into()))?;
        let secrets: Vec<&[u8]> = self
            .webhook_secrets
            .iter()
            .map(|s| s.expose_secret().as_bytes())
            .collect();
        signature::verify(
            header,
            w.body,
            &secrets,
            WEBHOOK_TOLERANCE,
            w.received_at.unix_timestamp(),
        )
        .map_err(|e| match e {
            signature::VerifyError::OutsideTolerance => WebhookError::Stale,
            e => WebhookError::Signature(e.to_string()),
        })?;
        wire::parse_event(w.body)
    }

    /// Reads the balance: any key that may act on the account can.
    async fn check(&self) -> Result<(), PaymentError> {
        RetrieveForMyAccountBalance::new()
            .send(&self.client)
            .await
            .map(|_| ())
            .map_err(|e| self.error(e))
    }
}
