//! HTTP email provider speaking the SendGrid v3 Mail Send API.
//!
//! `POST {base_url}/v3/mail/send` with `Authorization: Bearer <api key>`; `202 Accepted` with an
//! `X-Message-Id` header is success. Settings: `base_url` (`https://api.sendgrid.com`),
//! `from_email` (required), `from_name`, `timeout_secs` (10). Secret: the API key.
//!
//! The notification id travels as the `notification_id` custom argument (echoed in SendGrid's
//! event webhook) and in an `X-Gamarriando-Notification` header.

use std::{fmt, sync::Arc};

use reqwest::StatusCode;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

use crate::{Channel, Notifier, Outgoing, ProviderConfig, Receipt, SendError, http, settings};

pub const NAME: &str = "http_email";
pub const DEFAULT_BASE_URL: &str = "https://api.sendgrid.com";

/// The request and response bodies, and the conversions to and from them (no IO).
pub mod wire {
    use std::collections::BTreeMap;

    use serde::{Deserialize, Serialize};

    use crate::{Outgoing, SendError};

    #[derive(Debug, Serialize, Deserialize, PartialEq)]
    pub struct Mail {
        pub personalizations: Vec<Personalization>,
        pub from: Address,
        pub subject: String,
        pub content: Vec<Content>,
        #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
        pub headers: BTreeMap<String, String>,
    }

    #[derive(Debug, Serialize, Deserialize, PartialEq)]
    pub struct Personalization {
        pub to: Vec<Address>,
        #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
        pub custom_args: BTreeMap<String, String>,
    }

    #[derive(Debug, Serialize, Deserialize, PartialEq)]
    pub struct Address {
        pub email: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub name: Option<String>,
    }

    #[derive(Debug, Serialize, Deserialize, PartialEq)]
    pub struct Content {
        #[serde(rename = "type")]
        pub kind: String,
        pub value: String,
    }

    /// `{"errors":[{"message":..,"field":..,"help":..}]}`
    #[derive(Debug, Deserialize)]
    pub struct ErrorBody {
        #[serde(default)]
        pub errors: Vec<ErrorItem>,
    }

    #[derive(Debug, Deserialize)]
    pub struct ErrorItem {
        #[serde(default)]
        pub message: Option<String>,
        #[serde(default)]
        pub field: Option<String>,
    }

    /// The Mail Send body for `msg`.
    pub fn build_request(from: &Address, msg: &Outgoing) -> Result<Mail, SendError> {
        let to = msg.to.trim();
        let valid = to.split_once('@').is_some_and(|(l, d)| {
            !l.is_empty() && d.contains('.') && !to.contains(char::is_whitespace)
        });
        if !valid {
            return Err(SendError::permanent(format!(
                "invalid recipient address {:?}",
                msg.to
            )));
        }
        let mut content = vec![Content {
            kind: "text/plain".into(),
            value: msg.text.clone(),
        }];
        if let Some(html) = &msg.html {
            content.push(Content {
                kind: "text/html".into(),
                value: html.clone(),
            });
        }
        let mut headers =
            BTreeMap::from([("X-Gamarriando-Notification".to_owned(), msg.id.to_string())]);
        if let Some(url) = &msg.unsubscribe_url {
            headers.insert("List-Unsubscribe".into(), format!("<{url}>"));
            headers.insert(
                "List-Unsubscribe-Post".into(),
                "List-Unsubscribe=One-Click".into(),
            );
        }
        Ok(Mail {
            personalizations: vec![Personalization {
                to: vec![Address {
                    email: to.to_owned(),
                    name: None,
                }],
                custom_args: BTreeMap::from([
                    ("notification_id".to_owned(), msg.id.to_string()),
                    ("tenant_id".to_owned(), msg.tenant_id.to_string()),
                ]),
            }],
            from: Address {
                email: from.email.clone(),
                name: from.name.clone(),
            },
            subject: msg.subject.clone(),
            content,
            headers,
        })
    }

    /// The provider's explanation in an error body, or a snippet of the body.
    pub fn error_message(body: &[u8]) -> String {
        match serde_json::from_slice::<ErrorBody>(body) {
            Ok(b) if !b.errors.is_empty() => b
                .errors
                .iter()
                .map(|e| match (&e.field, &e.message) {
                    (Some(f), Some(m)) => format!("{f}: {m}"),
                    (None, Some(m)) => m.clone(),
                    (_, None) => "unknown error".into(),
                })
                .collect::<Vec<_>>()
                .join("; "),
            _ => crate::http::snippet(body),
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Settings {
    base_url: Option<String>,
    from_email: String,
    from_name: Option<String>,
    timeout_secs: Option<u64>,
}

pub struct HttpEmail {
    endpoint: String,
    from: wire::Address,
    api_key: SecretString,
    client: reqwest::Client,
}

impl fmt::Debug for HttpEmail {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpEmail")
            .field("endpoint", &self.endpoint)
            .field("from", &self.from)
            .finish_non_exhaustive()
    }
}

pub fn factory(config: &ProviderConfig) -> anyhow::Result<Arc<dyn Notifier>> {
    Ok(Arc::new(HttpEmail::from_config(config)?))
}

impl HttpEmail {
    pub fn from_config(config: &ProviderConfig) -> anyhow::Result<Self> {
        let s: Settings = settings::parse(NAME, config)?;
        anyhow::ensure!(
            s.from_email.contains('@'),
            "http_email settings: `from_email` {:?} is not an email address",
            s.from_email
        );
        let api_key = settings::secret(NAME, config, "API key")?.clone();
        let base = settings::base_url(NAME, s.base_url, DEFAULT_BASE_URL)?;
        Ok(Self {
            endpoint: format!("{base}/v3/mail/send"),
            from: wire::Address {
                email: s.from_email,
                name: s.from_name,
            },
            api_key,
            client: http::client(settings::timeout(NAME, s.timeout_secs)?)?,
        })
    }
}

#[async_trait::async_trait]
impl Notifier for HttpEmail {
    fn name(&self) -> &str {
        NAME
    }

    fn channel(&self) -> Channel {
        Channel::Email
    }

    async fn send(&self, msg: &Outgoing) -> Result<Receipt, SendError> {
        let body = wire::build_request(&self.from, msg)?;
        let res = self
            .client
            .post(&self.endpoint)
            .bearer_auth(self.api_key.expose_secret())
            .json(&body)
            .send()
            .await
            .map_err(http::transport_error)?;
        let status = res.status();
        if status.is_success() {
            let id = res
                .headers()
                .get("x-message-id")
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned);
            if status != StatusCode::ACCEPTED {
                tracing::warn!(%status, "http_email: unexpected success status");
            }
            return Ok(Receipt {
                provider_message_id: id,
            });
        }
        let bytes = res.bytes().await.unwrap_or_default();
        Err(http::status_error(status, wire::error_message(&bytes)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{assert_no_secret, outgoing};
    use serde_json::json;

    fn from() -> wire::Address {
        wire::Address {
            email: "no-reply@x.test".into(),
            name: Some("Tienda".into()),
        }
    }

    #[test]
    fn request_matches_the_sendgrid_shape() {
        let msg = outgoing("ana@x.test");
        let body = serde_json::to_value(wire::build_request(&from(), &msg).unwrap()).unwrap();
        assert_eq!(
            body,
            json!({
                "personalizations": [{
                    "to": [{"email": "ana@x.test"}],
                    "custom_args": {"notification_id": msg.id.to_string(), "tenant_id": msg.tenant_id.to_string()},
                }],
                "from": {"email": "no-reply@x.test", "name": "Tienda"},
                "subject": "Pedido confirmado ñ",
                "content": [
                    {"type": "text/plain", "value": msg.text},
                    {"type": "text/html", "value": msg.html.clone().unwrap()},
                ],
                "headers": {
                    "List-Unsubscribe": "<https://x.test/unsubscribe?u=1>",
                    "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
                    "X-Gamarriando-Notification": msg.id.to_string(),
                },
            })
        );
    }

    #[test]
    fn bad_recipient_is_permanent() {
        let err = wire::build_request(&from(), &outgoing("nobody")).unwrap_err();
        assert!(matches!(err, SendError::Permanent(_)));
    }

    #[test]
    fn error_messages_are_extracted() {
        let body = br#"{"errors":[{"message":"The from address does not match a verified Sender Identity.","field":"from","help":null}]}"#;
        assert_eq!(
            wire::error_message(body),
            "from: The from address does not match a verified Sender Identity."
        );
        assert_eq!(
            wire::error_message(b"<html>oops</html>"),
            "<html>oops</html>"
        );
    }

    #[test]
    fn config_errors_name_the_field_and_hide_the_key() {
        let secret = "SG.very-secret-key";
        for (s, field) in [
            (json!({}), "from_email"),
            (json!({"from_email": "nope"}), "from_email"),
            (
                json!({"from_email": "a@x.test", "base_url": "ftp://x"}),
                "base_url",
            ),
            (
                json!({"from_email": "a@x.test", "timeout_secs": 0}),
                "timeout_secs",
            ),
        ] {
            let err =
                HttpEmail::from_config(&ProviderConfig::new(s.clone(), Some(secret))).unwrap_err();
            let text = format!("{err:#}");
            assert!(text.contains(field), "{s}: {text}");
            assert_no_secret(&err, &text, secret);
        }
        let err = HttpEmail::from_config(&ProviderConfig::new(
            json!({"from_email": "a@x.test"}),
            None,
        ))
        .unwrap_err();
        assert!(err.to_string().contains("API key"), "{err}");
        let ok = HttpEmail::from_config(&ProviderConfig::new(
            json!({"from_email": "a@x.test"}),
            Some(secret),
        ))
        .unwrap();
        assert_eq!(ok.endpoint, "https://api.sendgrid.com/v3/mail/send");
        assert!(!format!("{ok:?}").contains(secret));
    }

    #[tokio::test]
    async fn unreachable_is_retryable_and_hides_the_key() {
        let secret = "SG.very-secret-key";
        let n = HttpEmail::from_config(&ProviderConfig::new(
            json!({"from_email": "a@x.test", "base_url": "http://127.0.0.1:9"}),
            Some(secret),
        ))
        .unwrap();
        let err = n.send(&outgoing("b@x.test")).await.unwrap_err();
        assert!(err.is_retryable(), "{err}");
        assert_no_secret(&err, &err.to_string(), secret);
    }
}
