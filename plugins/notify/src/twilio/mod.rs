//! Twilio Programmable Messaging provider (SMS).
//!
//! `POST {base_url}/2010-04-01/Accounts/{account_sid}/Messages.json`, HTTP Basic
//! `account_sid:auth_token`, form fields `To`, `Body`, `From` or `MessagingServiceSid`, and
//! `StatusCallback`. `201 Created` with `{"sid","status"}` is success. Settings: `base_url`
//! (`https://api.twilio.com`), `account_sid` (required), exactly one of `from` /
//! `messaging_service_sid`, `status_callback_url`, `timeout_secs` (10). Secret: the auth token.
//!
//! Twilio takes no idempotency key, so the notification id goes into the status callback URL
//! (`notification_id=<id>`), which lets the callback handler tie Twilio's SID back to it.
//! [`signature`] / [`verify_signature`] implement `X-Twilio-Signature` for those callbacks.

use std::{fmt, sync::Arc};

use aws_lc_rs::hmac;
use base64::{Engine, engine::general_purpose::STANDARD as BASE64};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

use crate::{Channel, Notifier, Outgoing, ProviderConfig, Receipt, SendError, http, settings};

pub const NAME: &str = "twilio";
pub const DEFAULT_BASE_URL: &str = "https://api.twilio.com";

/// The form fields and response bodies, and the conversions to and from them (no IO).
pub mod wire {
    use serde::Deserialize;

    use crate::{Outgoing, SendError};

    /// Where the message is sent from.
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub enum Sender {
        From(String),
        MessagingService(String),
    }

    /// `201 Created` body (the fields we use).
    #[derive(Debug, Deserialize)]
    pub struct Created {
        pub sid: String,
        #[serde(default)]
        pub status: Option<String>,
    }

    /// `{"code":21211,"message":"...","more_info":"...","status":400}`
    #[derive(Debug, Deserialize)]
    pub struct ErrorBody {
        #[serde(default)]
        pub code: Option<i64>,
        #[serde(default)]
        pub message: Option<String>,
        #[serde(default)]
        pub more_info: Option<String>,
    }

    /// E.164: `+` then 8 to 15 digits, the first not zero.
    pub fn is_e164(s: &str) -> bool {
        s.strip_prefix('+').is_some_and(|d| {
            (8..=15).contains(&d.len())
                && d.bytes().all(|b| b.is_ascii_digit())
                && !d.starts_with('0')
        })
    }

    /// The form fields of the Create Message request.
    pub fn build_form(
        sender: &Sender,
        status_callback: Option<&str>,
        msg: &Outgoing,
    ) -> Result<Vec<(String, String)>, SendError> {
        if !is_e164(&msg.to) {
            return Err(SendError::permanent(format!(
                "recipient {:?} is not an E.164 phone number",
                msg.to
            )));
        }
        if msg.text.trim().is_empty() {
            return Err(SendError::permanent("the SMS body is empty"));
        }
        let mut form = vec![
            ("To".to_owned(), msg.to.clone()),
            ("Body".to_owned(), msg.text.clone()),
        ];
        form.push(match sender {
            Sender::From(from) => ("From".into(), from.clone()),
            Sender::MessagingService(sid) => ("MessagingServiceSid".into(), sid.clone()),
        });
        if let Some(cb) = status_callback {
            let sep = if cb.contains('?') { '&' } else { '?' };
            form.push((
                "StatusCallback".into(),
                format!("{cb}{sep}notification_id={}", msg.id),
            ));
        }
        Ok(form)
    }

    /// `"Twilio error 21211: <message> (<more_info>)"`, or a snippet of a body of another shape.
    pub fn error_message(body: &[u8]) -> String {
        match serde_json::from_slice::<ErrorBody>(body) {
            Ok(ErrorBody {
                code,
                message: Some(m),
                more_info,
            }) => {
                let mut s = match code {
                    Some(c) => format!("Twilio error {c}: {m}"),
                    None => format!("Twilio error: {m}"),
                };
                if let Some(info) = more_info {
                    s.push_str(&format!(" ({info})"));
                }
                s
            }
            _ => crate::http::snippet(body),
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Settings {
    base_url: Option<String>,
    account_sid: String,
    from: Option<String>,
    messaging_service_sid: Option<String>,
    status_callback_url: Option<String>,
    timeout_secs: Option<u64>,
}

pub struct Twilio {
    endpoint: String,
    account_sid: String,
    auth_token: SecretString,
    sender: wire::Sender,
    status_callback: Option<String>,
    client: reqwest::Client,
}

impl fmt::Debug for Twilio {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Twilio")
            .field("endpoint", &self.endpoint)
            .field("sender", &self.sender)
            .finish_non_exhaustive()
    }
}

pub fn factory(config: &ProviderConfig) -> anyhow::Result<Arc<dyn Notifier>> {
    Ok(Arc::new(Twilio::from_config(config)?))
}

impl Twilio {
    pub fn from_config(config: &ProviderConfig) -> anyhow::Result<Self> {
        let s: Settings = settings::parse(NAME, config)?;
        anyhow::ensure!(
            !s.account_sid.is_empty() && s.account_sid.bytes().all(|b| b.is_ascii_alphanumeric()),
            "twilio settings: `account_sid` {:?} is not an account SID",
            s.account_sid
        );
        let sender = match (s.from, s.messaging_service_sid) {
            (Some(from), None) => wire::Sender::From(from),
            (None, Some(sid)) => wire::Sender::MessagingService(sid),
            _ => anyhow::bail!(
                "twilio settings: set exactly one of `from` and `messaging_service_sid`"
            ),
        };
        if let Some(cb) = &s.status_callback_url {
            let ok = reqwest::Url::parse(cb).is_ok_and(|u| matches!(u.scheme(), "http" | "https"));
            anyhow::ensure!(
                ok,
                "twilio settings: `status_callback_url` {cb:?} must be an http(s) URL"
            );
        }
        let auth_token = settings::secret(NAME, config, "auth token")?.clone();
        let base = settings::base_url(NAME, s.base_url, DEFAULT_BASE_URL)?;
        Ok(Self {
            endpoint: format!("{base}/2010-04-01/Accounts/{}/Messages.json", s.account_sid),
            account_sid: s.account_sid,
            auth_token,
            sender,
            status_callback: s.status_callback_url,
            client: http::client(settings::timeout(NAME, s.timeout_secs)?)?,
        })
    }
}

#[async_trait::async_trait]
impl Notifier for Twilio {
    fn name(&self) -> &str {
        NAME
    }

    fn channel(&self) -> Channel {
        Channel::Sms
    }

    async fn send(&self, msg: &Outgoing) -> Result<Receipt, SendError> {
        let form = wire::build_form(&self.sender, self.status_callback.as_deref(), msg)?;
        let res = self
            .client
            .post(&self.endpoint)
            .basic_auth(&self.account_sid, Some(self.auth_token.expose_secret()))
            .form(&form)
            .send()
            .await
            .map_err(http::transport_error)?;
        let status = res.status();
        let bytes = res.bytes().await.map_err(http::transport_error)?;
        if status.is_success() {
            return match serde_json::from_slice::<wire::Created>(&bytes) {
                Ok(created) => {
                    tracing::debug!(sid = %created.sid, status = ?created.status, "twilio: accepted");
                    Ok(Receipt {
                        provider_message_id: Some(created.sid),
                    })
                }
                Err(e) => {
                    // Accepted all the same: resending would text the user twice.
                    tracing::warn!(error = %e, "twilio: accepted, but the body has no sid");
                    Ok(Receipt::default())
                }
            };
        }
        Err(http::status_error(status, wire::error_message(&bytes)))
    }
}

fn signed_payload(url: &str, params: &[(String, String)]) -> String {
    let mut sorted: Vec<&(String, String)> = params.iter().collect();
    sorted.sort();
    let mut data = url.to_owned();
    for (k, v) in sorted {
        data.push_str(k);
        data.push_str(v);
    }
    data
}

/// `X-Twilio-Signature` of a request to `url` with POST `params`: base64 HMAC-SHA1, keyed with
/// the auth token, of the full URL followed by each parameter's name and value, sorted by name.
pub fn signature(auth_token: &str, url: &str, params: &[(String, String)]) -> String {
    let key = hmac::Key::new(hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY, auth_token.as_bytes());
    BASE64.encode(hmac::sign(&key, signed_payload(url, params).as_bytes()).as_ref())
}

/// Checks an `X-Twilio-Signature` header in constant time.
pub fn verify_signature(
    auth_token: &str,
    url: &str,
    params: &[(String, String)],
    signature: &str,
) -> bool {
    let Ok(tag) = BASE64.decode(signature.trim()) else {
        return false;
    };
    let key = hmac::Key::new(hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY, auth_token.as_bytes());
    hmac::verify(&key, signed_payload(url, params).as_bytes(), &tag).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{assert_no_secret, outgoing};
    use serde_json::json;

    fn docs_params() -> Vec<(String, String)> {
        [
            ("CallSid", "CA1234567890ABCDE"),
            ("Caller", "+14158675309"),
            ("Digits", "1234"),
            ("From", "+14158675309"),
            ("To", "+18005551212"),
        ]
        .into_iter()
        .rev() // order must not matter
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
    }

    /// The example of Twilio's request-validation docs (twilio-php `RequestValidator`).
    #[test]
    fn signature_matches_twilio_docs_vector() {
        let url = "https://mycompany.com/myapp.php?foo=1&bar=2";
        let sig = signature("12345", url, &docs_params());
        assert_eq!(sig, "RSOYDt4T1cUTdK1PDd93/VVr8B8=");
        assert!(verify_signature("12345", url, &docs_params(), &sig));
        assert!(!verify_signature("12346", url, &docs_params(), &sig));
        assert!(!verify_signature(
            "12345",
            &format!("{url}&x=1"),
            &docs_params(),
            &sig
        ));
        let mut params = docs_params();
        params[0].1.push('0');
        assert!(!verify_signature("12345", url, &params, &sig));
        assert!(!verify_signature(
            "12345",
            url,
            &docs_params(),
            "not base64!"
        ));
    }

    #[test]
    fn form_has_the_twilio_fields() {
        let msg = outgoing("+51999888777");
        let form = wire::build_form(
            &wire::Sender::From("+15005550006".into()),
            Some("https://api.x.test/twilio/status"),
            &msg,
        )
        .unwrap();
        assert_eq!(
            form,
            vec![
                ("To".to_owned(), "+51999888777".to_owned()),
                ("Body".to_owned(), msg.text.clone()),
                ("From".to_owned(), "+15005550006".to_owned()),
                (
                    "StatusCallback".to_owned(),
                    format!(
                        "https://api.x.test/twilio/status?notification_id={}",
                        msg.id
                    )
                ),
            ]
        );
        let form =
            wire::build_form(&wire::Sender::MessagingService("MG1".into()), None, &msg).unwrap();
        assert!(form.contains(&("MessagingServiceSid".into(), "MG1".into())));
        assert_eq!(form.len(), 3);
    }

    #[test]
    fn bad_phone_is_permanent() {
        for to in [
            "999888777",
            "+0123456789",
            "+51 999 888",
            "+1",
            "ana@x.test",
        ] {
            let err = wire::build_form(&wire::Sender::From("+1500".into()), None, &outgoing(to))
                .unwrap_err();
            assert!(matches!(err, SendError::Permanent(_)), "{to}");
        }
    }

    #[test]
    fn error_bodies_are_explained() {
        let body = br#"{"code":21211,"message":"The 'To' number +5 is not a valid phone number.","more_info":"https://www.twilio.com/docs/errors/21211","status":400}"#;
        assert_eq!(
            wire::error_message(body),
            "Twilio error 21211: The 'To' number +5 is not a valid phone number. (https://www.twilio.com/docs/errors/21211)"
        );
    }

    #[test]
    fn config_errors_name_the_field_and_hide_the_token() {
        let secret = "tw-auth-token-secret";
        for (s, field) in [
            (json!({"from": "+15005550006"}), "account_sid"),
            (json!({"account_sid": "AC1"}), "messaging_service_sid"),
            (
                json!({"account_sid": "AC1", "from": "+1", "messaging_service_sid": "MG1"}),
                "from",
            ),
            (
                json!({"account_sid": "AC/../x", "from": "+1"}),
                "account_sid",
            ),
            (
                json!({"account_sid": "AC1", "from": "+1", "status_callback_url": "nope"}),
                "status_callback_url",
            ),
        ] {
            let err =
                Twilio::from_config(&ProviderConfig::new(s.clone(), Some(secret))).unwrap_err();
            let text = format!("{err:#}");
            assert!(text.contains(field), "{s}: {text}");
            assert_no_secret(&err, &text, secret);
        }
        let err = Twilio::from_config(&ProviderConfig::new(
            json!({"account_sid": "AC1", "from": "+1"}),
            None,
        ))
        .unwrap_err();
        assert!(err.to_string().contains("auth token"), "{err}");
        let ok = Twilio::from_config(&ProviderConfig::new(
            json!({"account_sid": "AC1", "from": "+1"}),
            Some(secret),
        ))
        .unwrap();
        assert!(!format!("{ok:?}").contains(secret));
    }

    #[tokio::test]
    async fn unreachable_is_retryable_and_hides_the_token() {
        let secret = "tw-auth-token-secret";
        let n = Twilio::from_config(&ProviderConfig::new(
            json!({"account_sid": "AC1", "from": "+15005550006", "base_url": "http://127.0.0.1:9"}),
            Some(secret),
        ))
        .unwrap();
        let err = n.send(&outgoing("+51999888777")).await.unwrap_err();
        assert!(err.is_retryable(), "{err}");
        assert_no_secret(&err, &err.to_string(), secret);
    }
}
