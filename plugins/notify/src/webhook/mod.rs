//! Signed webhooks: `POST <msg.to>` with a JSON event and a `Gamarriando-Signature` header.
//!
//! Body: `{"id","type","created_at","tenant_id","data"}`. Headers: `Gamarriando-Event: <topic>`,
//! `Gamarriando-Delivery: <id>` (the dedupe key) and
//! `Gamarriando-Signature: t=<unix secs>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>`.
//! Settings: `timeout_secs` (10), nothing else. Secret: the endpoint's signing secret (its UTF-8
//! bytes are the HMAC key).
//!
//! 2xx is success (receipt: the response's `X-Request-Id`, if any). Redirects are not followed
//! and are permanent failures, like 410 Gone and the other 4xx but 408 and 429.
//!
//! The URL is the tenant's: refusing private addresses (SSRF) is the calling service's job.

use std::{fmt, sync::Arc, time::Duration};

use aws_lc_rs::hmac;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

use crate::{Channel, Notifier, Outgoing, ProviderConfig, Receipt, SendError, http, settings};

pub const NAME: &str = "webhook";
pub const SIGNATURE_HEADER: &str = "Gamarriando-Signature";
pub const EVENT_HEADER: &str = "Gamarriando-Event";
pub const DELIVERY_HEADER: &str = "Gamarriando-Delivery";

/// The event body (no IO).
pub mod wire {
    use serde::{Deserialize, Serialize};
    use uuid::Uuid;

    use crate::{Outgoing, SendError};

    #[derive(Debug, Serialize, Deserialize, PartialEq)]
    pub struct Event {
        pub id: Uuid,
        #[serde(rename = "type")]
        pub kind: String,
        #[serde(with = "time::serde::rfc3339")]
        pub created_at: time::OffsetDateTime,
        pub tenant_id: Uuid,
        pub data: serde_json::Value,
    }

    pub fn event(msg: &Outgoing) -> Event {
        Event {
            id: msg.id,
            kind: msg.topic.clone(),
            created_at: msg.created_at,
            tenant_id: msg.tenant_id,
            data: msg.data.clone(),
        }
    }

    /// The raw body that is signed and sent.
    pub fn body(msg: &Outgoing) -> Result<Vec<u8>, SendError> {
        serde_json::to_vec(&event(msg))
            .map_err(|e| SendError::Permanent(anyhow::anyhow!("cannot encode the event: {e}")))
    }

    /// The endpoint URL, which must be http(s).
    pub fn endpoint(to: &str) -> Result<reqwest::Url, SendError> {
        match reqwest::Url::parse(to) {
            Ok(u) if matches!(u.scheme(), "http" | "https") && u.host().is_some() => Ok(u),
            _ => Err(SendError::permanent(
                "the webhook endpoint is not an http(s) URL",
            )),
        }
    }
}

fn key(secret: &[u8]) -> hmac::Key {
    hmac::Key::new(hmac::HMAC_SHA256, secret)
}

fn signed_payload(t: i64, body: &[u8]) -> Vec<u8> {
    let mut data = format!("{t}.").into_bytes();
    data.extend_from_slice(body);
    data
}

/// The `Gamarriando-Signature` header value for `body` sent at unix time `t`.
pub fn sign(secret: &[u8], t: i64, body: &[u8]) -> String {
    let tag = hmac::sign(&key(secret), &signed_payload(t, body));
    format!("t={t},v1={}", hex::encode(tag.as_ref()))
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VerifyError {
    #[error("malformed signature header")]
    Malformed,
    #[error("signature header has no v1 signature")]
    NoSignature,
    #[error("signature timestamp is outside the tolerance")]
    OutsideTolerance,
    #[error("no signature matches")]
    Mismatch,
}

/// Checks a `Gamarriando-Signature` header: its timestamp must be within `tolerance` of `now`
/// (unix seconds) and one of its `v1` signatures (several during a secret rotation) must match,
/// compared in constant time.
pub fn verify(
    header: &str,
    body: &[u8],
    secret: &[u8],
    tolerance: Duration,
    now: i64,
) -> Result<(), VerifyError> {
    let mut t = None;
    let mut sigs = Vec::new();
    for part in header.split(',') {
        let (k, v) = part.trim().split_once('=').ok_or(VerifyError::Malformed)?;
        match k {
            "t" => t = Some(v.parse::<i64>().map_err(|_| VerifyError::Malformed)?),
            "v1" => sigs.push(v),
            _ => {} // other schemes, for forward compatibility
        }
    }
    let t = t.ok_or(VerifyError::Malformed)?;
    if sigs.is_empty() {
        return Err(VerifyError::NoSignature);
    }
    let age = now.abs_diff(t);
    if age > tolerance.as_secs() {
        return Err(VerifyError::OutsideTolerance);
    }
    let key = key(secret);
    let payload = signed_payload(t, body);
    let matched = sigs
        .iter()
        .any(|s| hex::decode(s).is_ok_and(|tag| hmac::verify(&key, &payload, &tag).is_ok()));
    if matched {
        Ok(())
    } else {
        Err(VerifyError::Mismatch)
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Settings {
    timeout_secs: Option<u64>,
}

pub struct Webhook {
    secret: SecretString,
    client: reqwest::Client,
}

impl fmt::Debug for Webhook {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Webhook").finish_non_exhaustive()
    }
}

pub fn factory(config: &ProviderConfig) -> anyhow::Result<Arc<dyn Notifier>> {
    Ok(Arc::new(Webhook::from_config(config)?))
}

impl Webhook {
    pub fn from_config(config: &ProviderConfig) -> anyhow::Result<Self> {
        let s: Settings = settings::parse(NAME, config)?;
        Ok(Self {
            secret: settings::secret(NAME, config, "signing secret")?.clone(),
            client: http::client(settings::timeout(NAME, s.timeout_secs)?)?,
        })
    }
}

#[async_trait::async_trait]
impl Notifier for Webhook {
    fn name(&self) -> &str {
        NAME
    }

    fn channel(&self) -> Channel {
        Channel::Webhook
    }

    async fn send(&self, msg: &Outgoing) -> Result<Receipt, SendError> {
        let url = wire::endpoint(&msg.to)?;
        let body = wire::body(msg)?;
        let t = time::OffsetDateTime::now_utc().unix_timestamp();
        let signature = sign(self.secret.expose_secret().as_bytes(), t, &body);
        let res = self
            .client
            .post(url)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .header(EVENT_HEADER, &msg.topic)
            .header(DELIVERY_HEADER, msg.id.to_string())
            .header(SIGNATURE_HEADER, signature)
            .body(body)
            .send()
            .await
            .map_err(http::transport_error)?;
        let status = res.status();
        if status.is_success() {
            let id = res
                .headers()
                .get("x-request-id")
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned);
            return Ok(Receipt {
                provider_message_id: id,
            });
        }
        if status.is_redirection() {
            return Err(SendError::permanent(format!(
                "HTTP {status}: the endpoint redirects, and redirects are not followed"
            )));
        }
        let bytes = res.bytes().await.unwrap_or_default();
        Err(http::status_error(status, http::snippet(&bytes)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{assert_no_secret, outgoing};
    use serde_json::json;

    const SECRET: &[u8] = b"whsec_test_secret";
    const TOLERANCE: Duration = Duration::from_secs(300);

    #[test]
    fn body_has_the_event_fields() {
        let msg = outgoing("https://hooks.x.test/in");
        let body: serde_json::Value = serde_json::from_slice(&wire::body(&msg).unwrap()).unwrap();
        assert_eq!(
            body,
            json!({
                "id": msg.id,
                "type": "order.placed",
                "created_at": "2023-11-14T22:13:20Z",
                "tenant_id": msg.tenant_id,
                "data": {"order_id": "o-1", "total": 42},
            })
        );
    }

    #[test]
    fn sign_matches_a_known_value() {
        // HMAC-SHA256("whsec_test_secret", "1700000000.{}"), computed independently.
        let header = sign(SECRET, 1_700_000_000, b"{}");
        assert_eq!(
            header,
            "t=1700000000,v1=ceb8863f7208fa249a6cd8f951e993c7563412aca65866f6272283debe143ab3"
        );
        assert_eq!(
            verify(&header, b"{}", SECRET, TOLERANCE, 1_700_000_000),
            Ok(())
        );
    }

    #[test]
    fn verify_rejects_tampering_age_and_garbage() {
        let body = br#"{"id":1}"#;
        let header = sign(SECRET, 1000, body);
        assert_eq!(verify(&header, body, SECRET, TOLERANCE, 1100), Ok(()));
        assert_eq!(
            verify(&header, br#"{"id":2}"#, SECRET, TOLERANCE, 1000),
            Err(VerifyError::Mismatch)
        );
        assert_eq!(
            verify(&header, body, b"other", TOLERANCE, 1000),
            Err(VerifyError::Mismatch)
        );
        assert_eq!(
            verify(&header, body, SECRET, TOLERANCE, 1000 + 301),
            Err(VerifyError::OutsideTolerance)
        );
        assert_eq!(
            verify(&header, body, SECRET, TOLERANCE, 1000 - 301),
            Err(VerifyError::OutsideTolerance)
        );
        assert_eq!(
            verify("garbage", body, SECRET, TOLERANCE, 1000),
            Err(VerifyError::Malformed)
        );
        assert_eq!(
            verify("t=1000", body, SECRET, TOLERANCE, 1000),
            Err(VerifyError::NoSignature)
        );
        assert_eq!(
            verify("t=1000,v1=zz", body, SECRET, TOLERANCE, 1000),
            Err(VerifyError::Mismatch)
        );
    }

    #[test]
    fn verify_accepts_any_of_several_signatures() {
        let body = b"payload";
        let old = sign(b"old-secret", 1000, body);
        let new = sign(SECRET, 1000, body);
        let both = format!("{new},{}", old.split_once(',').unwrap().1);
        assert_eq!(verify(&both, body, SECRET, TOLERANCE, 1000), Ok(()));
        assert_eq!(verify(&both, body, b"old-secret", TOLERANCE, 1000), Ok(()));
    }

    #[test]
    fn endpoint_must_be_http() {
        for to in ["ftp://x.test/in", "not a url", "mailto:a@x.test"] {
            assert!(
                matches!(wire::endpoint(to), Err(SendError::Permanent(_))),
                "{to}"
            );
        }
    }

    #[test]
    fn config_needs_the_secret_and_hides_it() {
        let err = Webhook::from_config(&ProviderConfig::new(json!({}), None)).unwrap_err();
        assert!(err.to_string().contains("signing secret"), "{err}");
        let secret = "whsec_do_not_print";
        let err = Webhook::from_config(&ProviderConfig::new(json!({"timeout": 3}), Some(secret)))
            .unwrap_err();
        let text = format!("{err:#}");
        assert!(text.contains("timeout"), "{text}");
        assert_no_secret(&err, &text, secret);
        let ok = Webhook::from_config(&ProviderConfig::new(serde_json::Value::Null, Some(secret)))
            .unwrap();
        assert!(!format!("{ok:?}").contains(secret));
    }

    #[tokio::test]
    async fn unreachable_is_retryable_and_hides_secret_and_url() {
        let secret = "whsec_do_not_print";
        let n = Webhook::from_config(&ProviderConfig::new(json!({}), Some(secret))).unwrap();
        let err = n
            .send(&outgoing("http://127.0.0.1:9/hook?token=url-token"))
            .await
            .unwrap_err();
        assert!(err.is_retryable(), "{err}");
        assert_no_secret(&err, &err.to_string(), secret);
        assert_no_secret(&err, &err.to_string(), "url-token");
    }
}
