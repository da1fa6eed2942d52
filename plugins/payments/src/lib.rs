//! Payment providers: the [`PaymentProvider`] trait, a name → factory [`Registry`] and the
//! built-in gateways (`sandbox`, `stripe`, `paypal`).
//!
//! The payment service owns payments, the ledger, refunds and idempotency; a provider only turns
//! one request into calls to the outside world and reads the outside world's answers and webhooks
//! into the few shapes below. Every request that moves money carries an idempotency key the
//! service derives from its own, so a retry never charges or refunds twice at the provider.
//!
//! Credentials (API keys, client secrets, webhook secrets) arrive in
//! [`ProviderConfig::credentials`] as [`SecretString`]s: no error message or `Debug` output of
//! this crate contains them.

use std::{collections::BTreeMap, fmt, sync::Arc, time::Duration};

use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use uuid::Uuid;

pub mod paypal;
pub mod sandbox;
pub mod signature;
pub mod stripe;

mod http;
mod settings;

/// Where a payment stands at the provider. The order of the variants is progress: a payment
/// only ever moves to a later state ([`PaymentStatus::advances_to`]), so a late or repeated
/// webhook can never move it back.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PaymentStatus {
    /// The customer must act: confirm with the client secret, or approve at a redirect.
    RequiresAction,
    /// Accepted, the outcome comes later (by webhook).
    Processing,
    /// Declined or errored. A later success (the customer retried at the provider) still wins.
    Failed,
    /// Given up before capture.
    Cancelled,
    /// Authorized, not yet captured.
    Authorized,
    /// The money is taken.
    Captured,
}

impl PaymentStatus {
    pub const ALL: [PaymentStatus; 6] = [
        PaymentStatus::RequiresAction,
        PaymentStatus::Processing,
        PaymentStatus::Failed,
        PaymentStatus::Cancelled,
        PaymentStatus::Authorized,
        PaymentStatus::Captured,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            PaymentStatus::RequiresAction => "requires_action",
            PaymentStatus::Processing => "processing",
            PaymentStatus::Failed => "failed",
            PaymentStatus::Cancelled => "cancelled",
            PaymentStatus::Authorized => "authorized",
            PaymentStatus::Captured => "captured",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|x| x.as_str() == s)
    }

    fn rank(self) -> u8 {
        match self {
            PaymentStatus::RequiresAction => 0,
            PaymentStatus::Processing => 1,
            PaymentStatus::Failed | PaymentStatus::Cancelled => 2,
            PaymentStatus::Authorized => 3,
            PaymentStatus::Captured => 4,
        }
    }

    /// Whether news of `to` moves a payment in `self` forward. Captured is final; a failure or
    /// cancellation is overtaken only by money actually authorized or taken.
    pub fn advances_to(self, to: PaymentStatus) -> bool {
        to.rank() > self.rank()
    }

    /// No further change is expected without someone acting.
    pub fn is_settled(self) -> bool {
        matches!(
            self,
            PaymentStatus::Captured | PaymentStatus::Failed | PaymentStatus::Cancelled
        )
    }
}

impl fmt::Display for PaymentStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What the client must do next.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum NextAction {
    /// Nothing: the outcome is known or comes by webhook.
    None,
    /// Confirm in the browser or app with the provider's SDK (Stripe.js, the sandbox's
    /// `POST /payments/{id}/confirm`).
    ConfirmWithClientSecret { client_secret: String },
    /// Send the customer to the provider to approve (PayPal), then confirm.
    Redirect { url: String },
}

/// The client secret lets its holder confirm the payment: keep it out of logs.
impl fmt::Debug for NextAction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NextAction::None => f.write_str("None"),
            NextAction::ConfirmWithClientSecret { .. } => f.write_str("ConfirmWithClientSecret"),
            NextAction::Redirect { url } => f.debug_struct("Redirect").field("url", url).finish(),
        }
    }
}

/// Why the provider refused a payment, in its words (`card_declined`, `insufficient_funds`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Failure {
    pub code: String,
    pub message: String,
}

/// A payment to create at the provider.
#[derive(Clone, Debug)]
pub struct NewPayment {
    /// Our payment id (metadata at the provider, so its dashboard links back).
    pub payment_id: Uuid,
    pub order_id: Uuid,
    pub order_number: String,
    pub amount_minor: i64,
    /// ISO 4217, upper case.
    pub currency: String,
    /// Derived from the client's `Idempotency-Key`: the same on every retry.
    pub idempotency_key: String,
    /// A saved or client-side token (`pm_…`, a sandbox `tok_…`); never card data.
    pub method: Option<String>,
    /// Where the provider sends the customer back after approving (PayPal).
    pub return_url: Option<String>,
    pub cancel_url: Option<String>,
    /// Where a provider that calls back per payment (the sandbox) sends its webhooks.
    pub webhook_url: Option<String>,
    pub description: String,
}

/// A provider's view of a payment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProviderPayment {
    /// The provider's id (`pi_…`, a PayPal order id, `pay_sbx_…`).
    pub reference: String,
    pub status: PaymentStatus,
    pub next_action: NextAction,
    /// Taken so far, when the provider says.
    pub captured_minor: Option<i64>,
    pub failure: Option<Failure>,
}

/// A refund to make at the provider.
#[derive(Clone, Debug)]
pub struct NewRefund {
    pub refund_id: Uuid,
    /// The provider's payment id.
    pub payment_reference: String,
    pub amount_minor: i64,
    pub currency: String,
    pub idempotency_key: String,
    pub reason: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RefundStatus {
    Pending,
    Succeeded,
    Failed,
}

impl RefundStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            RefundStatus::Pending => "pending",
            RefundStatus::Succeeded => "succeeded",
            RefundStatus::Failed => "failed",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [Self::Pending, Self::Succeeded, Self::Failed]
            .into_iter()
            .find(|x| x.as_str() == s)
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProviderRefund {
    pub reference: String,
    pub status: RefundStatus,
    pub amount_minor: i64,
}

/// A webhook as it arrived: the raw body (signatures cover bytes, not JSON) and its headers.
#[derive(Clone, Copy, Debug)]
pub struct WebhookRequest<'a> {
    pub headers: &'a ::http::HeaderMap,
    pub body: &'a [u8],
    pub received_at: OffsetDateTime,
}

/// A verified webhook.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WebhookEvent {
    /// The provider's event id: a redelivery carries the same one.
    pub id: String,
    pub kind: WebhookKind,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum WebhookKind {
    Payment {
        reference: String,
        status: PaymentStatus,
        captured_minor: Option<i64>,
        failure: Option<Failure>,
    },
    Refund {
        payment_reference: String,
        reference: String,
        status: RefundStatus,
        amount_minor: i64,
    },
    /// A type we do not act on (still acknowledged, so the provider stops sending it).
    Other(String),
}

/// Why a call to a provider failed.
#[derive(Debug, thiserror::Error)]
pub enum PaymentError {
    /// The provider said no for this payment (a declined card): a business answer, not a fault.
    #[error("declined: {}", .0.code)]
    Declined(Failure),
    /// Our request was wrong or the account cannot do it (bad parameters, unknown payment,
    /// refund larger than the charge).
    #[error("{0:#}")]
    Rejected(anyhow::Error),
    /// The credentials were refused (401/403).
    #[error("the provider refused the credentials: {0:#}")]
    Unauthorized(anyhow::Error),
    /// No answer, a timeout, 429 or 5xx: the same call (same idempotency key) may succeed later.
    #[error("{0:#}")]
    Unavailable(anyhow::Error),
}

impl PaymentError {
    pub fn rejected(msg: impl fmt::Display + fmt::Debug + Send + Sync + 'static) -> Self {
        Self::Rejected(anyhow::Error::msg(msg))
    }

    pub fn unavailable(msg: impl fmt::Display + fmt::Debug + Send + Sync + 'static) -> Self {
        Self::Unavailable(anyhow::Error::msg(msg))
    }
}

/// Why a webhook was refused. None of these changes anything.
#[derive(Debug, thiserror::Error)]
pub enum WebhookError {
    /// Missing, malformed or wrong signature, or signed by someone else.
    #[error("webhook signature invalid: {0}")]
    Signature(String),
    /// Signed too long ago (a replay).
    #[error("webhook timestamp outside the tolerance")]
    Stale,
    /// Signed, but not an event we can read.
    #[error("webhook body malformed: {0}")]
    Malformed(String),
    /// Verification needs the provider and it did not answer: the provider will redeliver.
    #[error("webhook verification unavailable: {0:#}")]
    Unavailable(anyhow::Error),
}

/// A payment gateway, configured for one marketplace. Object-safe so a registry can hand out
/// `Arc<dyn PaymentProvider>`.
#[async_trait::async_trait]
pub trait PaymentProvider: Send + Sync + 'static {
    /// The registry name.
    fn name(&self) -> &str;

    /// Creates (and, when a method is given and the provider allows, confirms) a payment.
    async fn create_payment(&self, p: &NewPayment) -> Result<ProviderPayment, PaymentError>;

    /// After the customer acted (confirmed, approved): captures what is authorized, or reads
    /// where the payment stands.
    async fn confirm(
        &self,
        reference: &str,
        idempotency_key: &str,
    ) -> Result<ProviderPayment, PaymentError>;

    /// Gives up a payment that is not captured.
    async fn cancel(&self, reference: &str) -> Result<ProviderPayment, PaymentError>;

    /// Refunds all or part of a captured payment.
    async fn refund(&self, r: &NewRefund) -> Result<ProviderRefund, PaymentError>;

    /// Checks a webhook's signature with this marketplace's secret and reads it.
    async fn verify_webhook(&self, w: &WebhookRequest<'_>) -> Result<WebhookEvent, WebhookError>;

    /// Whether the credentials work (the admin's "test connection").
    async fn check(&self) -> Result<(), PaymentError>;
}

/// A marketplace's configuration of one gateway: non-secret settings (a JSON object) and its
/// decrypted credentials by name.
#[derive(Clone, Default)]
pub struct ProviderConfig {
    pub settings: serde_json::Value,
    pub credentials: BTreeMap<String, SecretString>,
}

impl fmt::Debug for ProviderConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ProviderConfig")
            .field("settings", &self.settings)
            .field("credentials", &self.credentials.keys().collect::<Vec<_>>())
            .finish()
    }
}

impl ProviderConfig {
    pub fn new<'a>(
        settings: serde_json::Value,
        credentials: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Self {
        Self {
            settings,
            credentials: credentials
                .into_iter()
                .map(|(k, v)| (k.to_owned(), SecretString::from(v.to_owned())))
                .collect(),
        }
    }

    /// A credential that must be set; `provider` names who needs it (the value is never shown).
    pub fn credential(&self, provider: &str, name: &str) -> anyhow::Result<&SecretString> {
        match self.credentials.get(name) {
            Some(s) if !s.expose_secret().trim().is_empty() => Ok(s),
            _ => anyhow::bail!("{provider}: the credential `{name}` is missing"),
        }
    }
}

/// Builds a provider from a marketplace's configuration. Checks the settings eagerly, so a bad
/// configuration fails when it is saved rather than at the first payment.
pub type Factory = fn(&ProviderConfig) -> anyhow::Result<Arc<dyn PaymentProvider>>;

/// What a registry knows of a provider besides its factory.
#[derive(Clone, Copy, Debug)]
pub struct Descriptor {
    pub name: &'static str,
    /// Credentials the provider needs; the only names accepted.
    pub credentials: &'static [&'static str],
    pub factory: Factory,
}

/// Provider factories by name.
#[derive(Clone, Default)]
pub struct Registry {
    entries: BTreeMap<&'static str, Descriptor>,
}

impl fmt::Debug for Registry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.entries.keys()).finish()
    }
}

impl Registry {
    pub fn new() -> Self {
        Self::default()
    }

    /// Every built-in provider.
    pub fn builtin() -> Self {
        let mut r = Self::new();
        r.register(sandbox::DESCRIPTOR)
            .register(stripe::DESCRIPTOR)
            .register(paypal::DESCRIPTOR);
        r
    }

    /// Adds (or replaces) a provider.
    pub fn register(&mut self, d: Descriptor) -> &mut Self {
        self.entries.insert(d.name, d);
        self
    }

    pub fn names(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.entries.keys().copied()
    }

    pub fn get(&self, name: &str) -> Option<&Descriptor> {
        self.entries.get(name)
    }

    /// Builds the named provider from a marketplace's configuration.
    pub fn build(
        &self,
        name: &str,
        config: &ProviderConfig,
    ) -> anyhow::Result<Arc<dyn PaymentProvider>> {
        let d = self.entries.get(name).ok_or_else(|| {
            let known: Vec<_> = self.names().collect();
            anyhow::anyhow!(
                "unknown payment provider {name:?} (known: {})",
                known.join(", ")
            )
        })?;
        if let Some(extra) = config
            .credentials
            .keys()
            .find(|k| !d.credentials.contains(&k.as_str()))
        {
            anyhow::bail!(
                "{name}: unknown credential `{extra}` (known: {})",
                d.credentials.join(", ")
            );
        }
        (d.factory)(config)
            .map_err(|e| e.context(format!("invalid configuration for provider {name:?}")))
    }
}

/// The provider-side idempotency key for one of our operations: stable for the same inputs,
/// unrelated across marketplaces, and no longer than providers accept (Stripe: 255, PayPal: 108).
pub fn derive_key(scope: &str, parts: &[&str]) -> String {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    for p in std::iter::once(scope).chain(parts.iter().copied()) {
        h.update((p.len() as u64).to_be_bytes());
        h.update(p.as_bytes());
    }
    format!("gmr-{}", hex::encode(&h.finalize()[..24]))
}

/// How long a signed webhook stays acceptable (Stripe's default tolerance).
pub const WEBHOOK_TOLERANCE: Duration = Duration::from_secs(300);

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn builtin_names() {
        let names: Vec<_> = Registry::builtin().names().collect();
        assert_eq!(names, ["paypal", "sandbox", "stripe"]);
    }

    #[test]
    fn unknown_provider_and_credential_are_named() {
        let r = Registry::builtin();
        let err = r
            .build("bitcoin", &ProviderConfig::default())
            .err()
            .unwrap()
            .to_string();
        assert!(err.contains("bitcoin") && err.contains("stripe"), "{err}");
        let cfg = ProviderConfig::new(json!({}), [("pin", "1234")]);
        let err = r.build("sandbox", &cfg).err().unwrap().to_string();
        assert!(err.contains("`pin`") && !err.contains("1234"), "{err}");
    }

    #[test]
    fn status_only_moves_forward() {
        use PaymentStatus::*;
        assert!(RequiresAction.advances_to(Processing));
        assert!(Processing.advances_to(Captured));
        assert!(Failed.advances_to(Captured));
        assert!(!Captured.advances_to(Failed));
        assert!(!Captured.advances_to(Processing));
        assert!(!Processing.advances_to(RequiresAction));
        assert!(!Failed.advances_to(Cancelled));
        assert!(!Captured.advances_to(Captured));
        for s in PaymentStatus::ALL {
            assert_eq!(PaymentStatus::parse(s.as_str()), Some(s));
        }
    }

    #[test]
    fn derived_keys_are_stable_and_scoped() {
        let a = derive_key("tenant-a", &["user", "key-1"]);
        assert_eq!(a, derive_key("tenant-a", &["user", "key-1"]));
        assert_ne!(a, derive_key("tenant-b", &["user", "key-1"]));
        assert_ne!(derive_key("t", &["ab", "c"]), derive_key("t", &["a", "bc"]));
        assert!(a.len() <= 108);
    }

    #[test]
    fn debug_hides_credentials_and_client_secrets() {
        let cfg = ProviderConfig::new(json!({}), [("api_key", "sk_test_hunter2")]);
        assert!(!format!("{cfg:?}").contains("hunter2"));
        let next = NextAction::ConfirmWithClientSecret {
            client_secret: "pi_1_secret_hunter2".into(),
        };
        assert!(!format!("{next:?}").contains("hunter2"));
    }
}
