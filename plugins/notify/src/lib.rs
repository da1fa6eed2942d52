//! Notification providers: the [`Notifier`] trait, a name → factory [`Registry`] and the built-in
//! provider family (console, SMTP, SendGrid-style HTTP email, Twilio SMS, FCM push and signed
//! webhooks).
//!
//! The notification service owns scheduling, retries and the in-app inbox; a provider only turns
//! one [`Outgoing`] message into one call to the outside world and says whether a failure is worth
//! retrying ([`SendError`]). Every provider sends [`Outgoing::id`] along (Message-ID, custom
//! argument, data field, delivery header) so a receiver can drop the duplicates that retries make.
//!
//! Secrets (passwords, API keys, private keys) arrive in [`ProviderConfig::secret`] and stay in
//! [`SecretString`]s: no error message or `Debug` output of this crate contains them.

use std::{collections::BTreeMap, fmt, str::FromStr, sync::Arc};

use secrecy::SecretString;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

pub mod console;
pub mod fcm;
pub mod http_email;
pub mod smtp;
pub mod twilio;
pub mod webhook;

mod http;
mod settings;

/// How a message reaches its recipient. In-app messages are stored by the service itself.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Channel {
    Email,
    Sms,
    Push,
    Webhook,
}

impl Channel {
    pub const ALL: [Channel; 4] = [
        Channel::Email,
        Channel::Sms,
        Channel::Push,
        Channel::Webhook,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Email => "email",
            Channel::Sms => "sms",
            Channel::Push => "push",
            Channel::Webhook => "webhook",
        }
    }
}

impl fmt::Display for Channel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, thiserror::Error)]
#[error("unknown channel {0:?} (known: email, sms, push, webhook)")]
pub struct UnknownChannel(String);

impl FromStr for Channel {
    type Err = UnknownChannel;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Channel::ALL
            .into_iter()
            .find(|c| c.as_str() == s)
            .ok_or_else(|| UnknownChannel(s.to_owned()))
    }
}

/// One message to one recipient, already rendered by the service.
#[derive(Clone, Serialize, Deserialize)]
pub struct Outgoing {
    /// The notification id: stable across retries, sent by every provider so receivers dedupe.
    pub id: Uuid,
    pub tenant_id: Uuid,
    /// The event, e.g. `order.placed`.
    pub topic: String,
    /// Email address, E.164 phone number, FCM registration token or webhook URL.
    pub to: String,
    pub subject: String,
    pub text: String,
    pub html: Option<String>,
    /// Push data or webhook event payload.
    pub data: serde_json::Value,
    pub unsubscribe_url: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: time::OffsetDateTime,
}

/// Bodies and links may carry user secrets (reset links), so `Debug` shows only the envelope.
impl fmt::Debug for Outgoing {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Outgoing")
            .field("id", &self.id)
            .field("tenant_id", &self.tenant_id)
            .field("topic", &self.topic)
            .field("subject", &self.subject)
            .field("created_at", &self.created_at)
            .finish_non_exhaustive()
    }
}

/// What the provider said about an accepted message.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Receipt {
    /// The provider's id of the message (SMTP Message-ID, SendGrid X-Message-Id, Twilio SID, FCM
    /// message name), when it gives one.
    pub provider_message_id: Option<String>,
}

/// Why a send failed, and whether sending the same message again may succeed.
#[derive(Debug, thiserror::Error)]
pub enum SendError {
    /// Network errors, timeouts, 408, 429, 5xx, SMTP 4xx: try again later.
    #[error("{0:#}")]
    Retryable(anyhow::Error),
    /// Rejected for good (bad address, bad credentials, invalid payload): do not retry.
    #[error("{0:#}")]
    Permanent(anyhow::Error),
}

impl SendError {
    pub fn retryable(msg: impl fmt::Display + fmt::Debug + Send + Sync + 'static) -> Self {
        Self::Retryable(anyhow::Error::msg(msg))
    }

    pub fn permanent(msg: impl fmt::Display + fmt::Debug + Send + Sync + 'static) -> Self {
        Self::Permanent(anyhow::Error::msg(msg))
    }

    pub fn is_retryable(&self) -> bool {
        matches!(self, Self::Retryable(_))
    }

    /// Adds context to the inner error, keeping the class.
    pub fn context(self, ctx: impl fmt::Display + Send + Sync + 'static) -> Self {
        match self {
            Self::Retryable(e) => Self::Retryable(e.context(ctx)),
            Self::Permanent(e) => Self::Permanent(e.context(ctx)),
        }
    }
}

/// A delivery provider. Object-safe so a registry can hand out `Arc<dyn Notifier>`.
#[async_trait::async_trait]
pub trait Notifier: Send + Sync + 'static {
    /// The registry name of this provider.
    fn name(&self) -> &str;

    fn channel(&self) -> Channel;

    /// Delivers `msg` once. The caller retries [`SendError::Retryable`] failures with the same
    /// `msg.id`.
    async fn send(&self, msg: &Outgoing) -> Result<Receipt, SendError>;
}

/// A tenant's configuration of one provider: non-secret settings (a JSON object) and the
/// decrypted secret.
#[derive(Clone, Debug, Default)]
pub struct ProviderConfig {
    pub settings: serde_json::Value,
    pub secret: Option<SecretString>,
}

impl ProviderConfig {
    pub fn new(settings: serde_json::Value, secret: Option<&str>) -> Self {
        Self {
            settings,
            secret: secret.map(|s| SecretString::from(s.to_owned())),
        }
    }
}

/// Builds a provider from a tenant's configuration. Checks the settings eagerly, so a bad
/// configuration fails when it is saved rather than when the first message goes out.
pub type Factory = fn(&ProviderConfig) -> anyhow::Result<Arc<dyn Notifier>>;

#[derive(Clone, Copy)]
struct Entry {
    channel: Channel,
    factory: Factory,
}

/// Provider factories by name.
#[derive(Clone, Default)]
pub struct Registry {
    entries: BTreeMap<&'static str, Entry>,
}

impl fmt::Debug for Registry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map()
            .entries(self.entries.iter().map(|(n, e)| (n, e.channel)))
            .finish()
    }
}

impl Registry {
    pub fn new() -> Self {
        Self::default()
    }

    /// Every built-in provider.
    pub fn builtin() -> Self {
        let mut r = Self::new();
        r.register("console", Channel::Email, console::email_factory)
            .register(smtp::NAME, Channel::Email, smtp::factory)
            .register(http_email::NAME, Channel::Email, http_email::factory)
            .register(twilio::NAME, Channel::Sms, twilio::factory)
            .register(fcm::NAME, Channel::Push, fcm::factory)
            .register(webhook::NAME, Channel::Webhook, webhook::factory);
        r
    }

    /// Adds (or replaces) a provider.
    pub fn register(
        &mut self,
        name: &'static str,
        channel: Channel,
        factory: Factory,
    ) -> &mut Self {
        self.entries.insert(name, Entry { channel, factory });
        self
    }

    pub fn names(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.entries.keys().copied()
    }

    pub fn channel_of(&self, name: &str) -> Option<Channel> {
        self.entries.get(name).map(|e| e.channel)
    }

    /// Builds the named provider from a tenant's configuration.
    pub fn build(&self, name: &str, config: &ProviderConfig) -> anyhow::Result<Arc<dyn Notifier>> {
        let entry = self.entries.get(name).ok_or_else(|| {
            let known: Vec<_> = self.names().collect();
            anyhow::anyhow!(
                "unknown notification provider {name:?} (known: {})",
                known.join(", ")
            )
        })?;
        let notifier = (entry.factory)(config)
            .map_err(|e| e.context(format!("invalid configuration for provider {name:?}")))?;
        anyhow::ensure!(
            notifier.channel() == entry.channel,
            "provider {name:?} is registered for {} but delivers {}",
            entry.channel,
            notifier.channel()
        );
        Ok(notifier)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn builtin_names_and_channels() {
        let r = Registry::builtin();
        let names: Vec<_> = r.names().collect();
        assert_eq!(
            names,
            ["console", "fcm", "http_email", "smtp", "twilio", "webhook"]
        );
        assert_eq!(r.channel_of("console"), Some(Channel::Email));
        assert_eq!(r.channel_of("smtp"), Some(Channel::Email));
        assert_eq!(r.channel_of("http_email"), Some(Channel::Email));
        assert_eq!(r.channel_of("twilio"), Some(Channel::Sms));
        assert_eq!(r.channel_of("fcm"), Some(Channel::Push));
        assert_eq!(r.channel_of("webhook"), Some(Channel::Webhook));
        assert_eq!(r.channel_of("pigeon"), None);
    }

    #[test]
    fn unknown_provider_is_named_with_the_known_ones() {
        let err = Registry::builtin()
            .build("carrier_pigeon", &ProviderConfig::default())
            .err()
            .unwrap()
            .to_string();
        assert!(err.contains("carrier_pigeon"), "{err}");
        assert!(err.contains("smtp") && err.contains("webhook"), "{err}");
    }

    #[test]
    fn builds_and_registers() {
        let mut r = Registry::new();
        assert!(r.build("console", &ProviderConfig::default()).is_err());
        r.register("console", Channel::Email, console::email_factory);
        let n = r.build("console", &ProviderConfig::default()).unwrap();
        assert_eq!(n.name(), "console");
        assert_eq!(n.channel(), Channel::Email);
    }

    #[test]
    fn a_factory_for_another_channel_is_refused() {
        let mut r = Registry::new();
        r.register("console", Channel::Sms, console::email_factory);
        let err = r
            .build("console", &ProviderConfig::default())
            .err()
            .unwrap();
        assert!(err.to_string().contains("registered for sms"), "{err}");
    }

    #[test]
    fn bad_settings_name_the_field() {
        let cfg = ProviderConfig::new(json!({"host": "smtp.x.test", "port": "many"}), None);
        let err = format!(
            "{:#}",
            Registry::builtin().build("smtp", &cfg).err().unwrap()
        );
        assert!(err.contains("port"), "{err}");
        assert!(err.contains("\"smtp\""), "{err}");
    }

    #[test]
    fn channel_round_trips() {
        for c in Channel::ALL {
            assert_eq!(c.as_str().parse::<Channel>().unwrap(), c);
            assert_eq!(serde_json::to_value(c).unwrap(), json!(c.as_str()));
        }
        assert!("fax".parse::<Channel>().is_err());
    }

    #[test]
    fn debug_hides_bodies_and_secrets() {
        let cfg = ProviderConfig::new(json!({}), Some("hunter2-secret"));
        assert!(!format!("{cfg:?}").contains("hunter2"));
        let msg = test_support::outgoing("a@x.test");
        let dbg = format!("{msg:?}");
        assert!(!dbg.contains("token=abc"), "{dbg}");
    }
}

/// Shared helpers for the unit tests of every provider.
#[cfg(test)]
pub(crate) mod test_support {
    use super::*;

    pub fn outgoing(to: &str) -> Outgoing {
        Outgoing {
            id: Uuid::from_u128(0x0190_0000_0000_7000_8000_0000_0000_0001),
            tenant_id: Uuid::from_u128(0x0190_0000_0000_7000_8000_0000_0000_00aa),
            topic: "order.placed".into(),
            to: to.into(),
            subject: "Pedido confirmado ñ".into(),
            text: "Tu pedido está listo: https://x.test/reset?token=abc".into(),
            html: Some("<p>Tu pedido está listo</p>".into()),
            data: serde_json::json!({"order_id": "o-1", "total": 42}),
            unsubscribe_url: Some("https://x.test/unsubscribe?u=1".into()),
            created_at: time::OffsetDateTime::from_unix_timestamp(1_700_000_000).unwrap(),
        }
    }

    /// Asserts that neither the error nor its debug form contains `secret`.
    pub fn assert_no_secret(err: &dyn fmt::Debug, display: &str, secret: &str) {
        assert!(!display.contains(secret), "secret leaked: {display}");
        let dbg = format!("{err:?}");
        assert!(!dbg.contains(secret), "secret leaked in Debug: {dbg}");
    }
}
