//! SMTP provider (email) on lettre, with rustls on aws-lc-rs for STARTTLS and implicit TLS.
//!
//! Settings: `host`, `port` (587; 465 when `tls` is `"tls"`), `tls` (`"none"` | `"starttls"` |
//! `"tls"`, default `"starttls"`, which refuses servers that do not offer STARTTLS), `username`
//! (optional), `from` (required, `"Tienda <no-reply@x.test>"`), `timeout_secs` (10). Secret: the
//! password, required when `username` is set.
//!
//! Each message carries `Message-ID: <{id}@gamarriando.notify>` (the dedupe key, also the receipt)
//! and `X-Gamarriando-Notification: {id}`; `List-Unsubscribe` (+ one-click `-Post`) when the
//! message has an unsubscribe URL. One connection per message: no pool, so a provider can be built
//! outside a runtime and holds no sockets between sends.

use std::{fmt, sync::Arc, time::Duration};

use lettre::{
    AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor,
    message::{
        Mailbox, MultiPart, SinglePart,
        header::{Header, HeaderName, HeaderValue},
    },
    transport::smtp::authentication::Credentials,
};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

use crate::{Channel, Notifier, Outgoing, ProviderConfig, Receipt, SendError, settings};

pub const NAME: &str = "smtp";

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Tls {
    /// Plain text (development sinks only).
    None,
    /// Plain connection upgraded with STARTTLS, which is required.
    #[default]
    Starttls,
    /// TLS from the first byte (SMTPS, usually port 465).
    Tls,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Settings {
    host: String,
    port: Option<u16>,
    #[serde(default)]
    tls: Tls,
    username: Option<String>,
    from: String,
    timeout_secs: Option<u64>,
}

pub struct Smtp {
    host: String,
    port: u16,
    tls: Tls,
    from: Mailbox,
    timeout: Duration,
    credentials: Option<(String, SecretString)>,
}

impl fmt::Debug for Smtp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Smtp")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("tls", &self.tls)
            .field("from", &self.from.to_string())
            .field("username", &self.credentials.as_ref().map(|(u, _)| u))
            .finish_non_exhaustive()
    }
}

pub fn factory(config: &ProviderConfig) -> anyhow::Result<Arc<dyn Notifier>> {
    Ok(Arc::new(Smtp::from_config(config)?))
}

impl Smtp {
    pub fn from_config(config: &ProviderConfig) -> anyhow::Result<Self> {
        let s: Settings = settings::parse(NAME, config)?;
        anyhow::ensure!(!s.host.trim().is_empty(), "smtp settings: `host` is empty");
        let from: Mailbox = s.from.parse().map_err(|e| {
            anyhow::anyhow!("smtp settings: `from` {:?} is not a mailbox: {e}", s.from)
        })?;
        let credentials = match (s.username, &config.secret) {
            (Some(user), _) => Some((user, settings::secret(NAME, config, "password")?.clone())),
            (None, Some(_)) => {
                anyhow::bail!("smtp settings: a password is configured but `username` is missing")
            }
            (None, None) => None,
        };
        let port = s.port.unwrap_or(match s.tls {
            Tls::Tls => 465,
            Tls::None | Tls::Starttls => 587,
        });
        let smtp = Self {
            host: s.host,
            port,
            tls: s.tls,
            from,
            timeout: settings::timeout(NAME, s.timeout_secs)?,
            credentials,
        };
        smtp.transport()?; // checks the host and TLS setup now rather than at the first send
        Ok(smtp)
    }

    fn transport(&self) -> anyhow::Result<AsyncSmtpTransport<Tokio1Executor>> {
        type T = AsyncSmtpTransport<Tokio1Executor>;
        let builder = match self.tls {
            Tls::None => T::builder_dangerous(&self.host),
            Tls::Starttls => T::starttls_relay(&self.host)?,
            Tls::Tls => T::relay(&self.host)?,
        };
        let mut builder = builder.port(self.port).timeout(Some(self.timeout));
        if let Some((user, password)) = &self.credentials {
            builder = builder.credentials(Credentials::new(
                user.clone(),
                password.expose_secret().to_owned(),
            ));
        }
        Ok(builder.build())
    }
}

/// `<{id}@gamarriando.notify>`: the same on every retry, so receivers can drop duplicates.
pub fn message_id(msg: &Outgoing) -> String {
    format!("<{}@gamarriando.notify>", msg.id)
}

macro_rules! text_header {
    ($ty:ident, $name:literal) => {
        #[derive(Clone, Debug)]
        struct $ty(String);

        impl Header for $ty {
            fn name() -> HeaderName {
                HeaderName::new_from_ascii_str($name)
            }

            fn parse(s: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
                Ok(Self(s.to_owned()))
            }

            fn display(&self) -> HeaderValue {
                HeaderValue::new(Self::name(), self.0.clone())
            }
        }
    };
}

text_header!(ListUnsubscribe, "List-Unsubscribe");
text_header!(ListUnsubscribePost, "List-Unsubscribe-Post");
text_header!(NotificationHeader, "X-Gamarriando-Notification");

/// The MIME message for `msg` (pure: no IO). An unusable address or URL is a permanent failure.
pub fn build_message(from: &Mailbox, msg: &Outgoing) -> Result<Message, SendError> {
    let to: Mailbox = msg.to.parse().map_err(|e| {
        SendError::Permanent(anyhow::anyhow!(
            "invalid recipient address {:?}: {e}",
            msg.to
        ))
    })?;
    let mut builder = Message::builder()
        .from(from.clone())
        .to(to)
        .subject(msg.subject.clone())
        .message_id(Some(message_id(msg)))
        .header(NotificationHeader(msg.id.to_string()));
    if let Some(url) = &msg.unsubscribe_url {
        let bad = |c: char| c.is_whitespace() || c.is_control() || matches!(c, '<' | '>' | ',');
        if !url.is_ascii() || url.is_empty() || url.contains(bad) {
            return Err(SendError::permanent(format!(
                "unsubscribe URL {url:?} cannot go into a List-Unsubscribe header"
            )));
        }
        builder = builder
            .header(ListUnsubscribe(format!("<{url}>")))
            .header(ListUnsubscribePost("List-Unsubscribe=One-Click".into()));
    }
    let built = match &msg.html {
        Some(html) => builder.multipart(MultiPart::alternative_plain_html(
            msg.text.clone(),
            html.clone(),
        )),
        None => builder.singlepart(SinglePart::plain(msg.text.clone())),
    };
    built.map_err(|e| SendError::Permanent(anyhow::anyhow!("cannot build the email: {e}")))
}

/// SMTP 5xx replies and client-side refusals are final; 4xx replies, connection, TLS and
/// timeout failures are worth retrying.
pub fn classify(err: lettre::transport::smtp::Error) -> SendError {
    let permanent = err.is_permanent() || err.is_client();
    let err = anyhow::Error::new(err).context("smtp");
    if permanent {
        SendError::Permanent(err)
    } else {
        SendError::Retryable(err)
    }
}

#[async_trait::async_trait]
impl Notifier for Smtp {
    fn name(&self) -> &str {
        NAME
    }

    fn channel(&self) -> Channel {
        Channel::Email
    }

    async fn send(&self, msg: &Outgoing) -> Result<Receipt, SendError> {
        let email = build_message(&self.from, msg)?;
        let transport = self.transport().map_err(SendError::Permanent)?;
        transport.send(email).await.map_err(classify)?;
        Ok(Receipt {
            provider_message_id: Some(message_id(msg)),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{assert_no_secret, outgoing};
    use serde_json::json;

    fn formatted(msg: &Outgoing) -> String {
        let from: Mailbox = "Tienda <no-reply@x.test>".parse().unwrap();
        String::from_utf8(build_message(&from, msg).unwrap().formatted()).unwrap()
    }

    #[test]
    fn message_has_dedupe_and_unsubscribe_headers() {
        let msg = outgoing("Ana <ana@x.test>");
        let raw = formatted(&msg);
        assert!(
            raw.contains(&format!("Message-ID: <{}@gamarriando.notify>", msg.id)),
            "{raw}"
        );
        assert!(
            raw.contains(&format!("X-Gamarriando-Notification: {}", msg.id)),
            "{raw}"
        );
        assert!(
            raw.contains("List-Unsubscribe: <https://x.test/unsubscribe?u=1>"),
            "{raw}"
        );
        assert!(
            raw.contains("List-Unsubscribe-Post: List-Unsubscribe=One-Click"),
            "{raw}"
        );
        assert!(raw.contains("multipart/alternative"), "{raw}");
        assert!(raw.contains("text/html"), "{raw}");
    }

    #[test]
    fn text_only_without_unsubscribe() {
        let mut msg = outgoing("ana@x.test");
        msg.html = None;
        msg.unsubscribe_url = None;
        let raw = formatted(&msg);
        assert!(!raw.contains("multipart"), "{raw}");
        assert!(!raw.contains("List-Unsubscribe"), "{raw}");
    }

    #[test]
    fn bad_recipient_or_url_is_permanent() {
        let from: Mailbox = "x@x.test".parse().unwrap();
        let err = build_message(&from, &outgoing("not an address")).unwrap_err();
        assert!(matches!(err, SendError::Permanent(_)));
        let mut msg = outgoing("a@x.test");
        msg.unsubscribe_url = Some("https://x.test/u\r\nBcc: evil@x.test".into());
        assert!(matches!(
            build_message(&from, &msg),
            Err(SendError::Permanent(_))
        ));
    }

    #[test]
    fn settings_errors_name_the_field_and_hide_the_password() {
        let secret = "sup3r-s3cret-pw";
        let cases = [
            (json!({"host": "smtp.x.test"}), "from"),
            (json!({"from": "a@x.test"}), "host"),
            (json!({"host": "h", "from": "not a mailbox"}), "from"),
            (
                json!({"host": "h", "from": "a@x.test", "tls": "ssl"}),
                "tls",
            ),
            (
                json!({"host": "h", "from": "a@x.test", "port": 70000}),
                "port",
            ),
            (
                json!({"host": "h", "from": "a@x.test", "usename": "u"}),
                "usename",
            ),
            (json!({"host": "h", "from": "a@x.test"}), "username"),
        ];
        for (s, field) in cases {
            let err = Smtp::from_config(&ProviderConfig::new(s.clone(), Some(secret))).unwrap_err();
            let text = format!("{err:#}");
            assert!(text.contains(field), "{s}: {text}");
            assert_no_secret(&err, &text, secret);
        }
        let err = Smtp::from_config(&ProviderConfig::new(
            json!({"host": "h", "from": "a@x.test", "username": "u"}),
            None,
        ))
        .unwrap_err();
        assert!(err.to_string().contains("password"), "{err}");
    }

    #[test]
    fn debug_hides_the_password() {
        let secret = "sup3r-s3cret-pw";
        let smtp = Smtp::from_config(&ProviderConfig::new(
            json!({"host": "smtp.x.test", "from": "a@x.test", "username": "u", "tls": "tls"}),
            Some(secret),
        ))
        .unwrap();
        assert_eq!(smtp.port, 465);
        assert!(!format!("{smtp:?}").contains(secret));
    }

    #[tokio::test]
    async fn connection_refused_is_retryable_and_hides_the_password() {
        let secret = "sup3r-s3cret-pw";
        // Port 9 on localhost: nothing listens there.
        let smtp = Smtp::from_config(&ProviderConfig::new(
            json!({"host": "127.0.0.1", "port": 9, "tls": "none", "from": "a@x.test", "username": "u"}),
            Some(secret),
        ))
        .unwrap();
        let err = smtp.send(&outgoing("b@x.test")).await.unwrap_err();
        assert!(err.is_retryable(), "{err}");
        assert_no_secret(&err, &err.to_string(), secret);
    }
}
