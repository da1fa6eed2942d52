//! Firebase Cloud Messaging HTTP v1 provider (push).
//!
//! Secret: the service-account JSON (`client_email`, `private_key`, `project_id`, `token_uri`).
//! Settings: `base_url` (`https://fcm.googleapis.com`), `token_uri` (overrides the account's),
//! `timeout_secs` (10).
//!
//! An access token comes from the OAuth2 JWT-bearer grant (an RS256 assertion signed with the
//! account's key), is cached until 60 s before it expires and is fetched again once when FCM
//! answers 401. Messages go to `POST {base_url}/v1/projects/{project_id}/messages:send`; the data
//! map carries `notification_id` so the app can drop duplicates.

use std::{
    fmt,
    sync::Arc,
    time::{Duration, Instant},
};

use jsonwebtoken::{Algorithm, EncodingKey, Header};
use reqwest::StatusCode;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use tokio::sync::Mutex;

use crate::{Channel, Notifier, Outgoing, ProviderConfig, Receipt, SendError, http, settings};

pub const NAME: &str = "fcm";
pub const DEFAULT_BASE_URL: &str = "https://fcm.googleapis.com";
pub const DEFAULT_TOKEN_URI: &str = "https://oauth2.googleapis.com/token";
pub const SCOPE: &str = "https://www.googleapis.com/auth/firebase.messaging";
pub const JWT_BEARER_GRANT: &str = "urn:ietf:params:oauth:grant-type:jwt-bearer";

/// Request and response bodies, and the conversions to and from them (no IO).
pub mod wire {
    use std::collections::BTreeMap;

    use reqwest::StatusCode;
    use secrecy::SecretString;
    use serde::{Deserialize, Serialize};

    use crate::{Outgoing, SendError};

    /// The fields of a service-account key file that we use.
    #[derive(Debug, Deserialize)]
    pub struct ServiceAccount {
        pub client_email: String,
        pub private_key: SecretString,
        #[serde(default)]
        pub private_key_id: Option<String>,
        pub project_id: String,
        #[serde(default)]
        pub token_uri: Option<String>,
    }

    /// Parses the secret. Errors say which field is missing but never quote the JSON.
    pub fn service_account(json: &str) -> anyhow::Result<ServiceAccount> {
        serde_json::from_str(json).map_err(|e| {
            let what = if e.to_string().starts_with("missing field") {
                // "missing field `client_email` at line 5 column 1": names a field, no value.
                e.to_string()
            } else {
                format!(
                    "{:?} error at line {} column {}",
                    e.classify(),
                    e.line(),
                    e.column()
                )
            };
            anyhow::anyhow!("fcm: the secret is not a service-account JSON key: {what}")
        })
    }

    /// The claims of the JWT-bearer assertion.
    #[derive(Debug, Serialize, Deserialize, PartialEq)]
    pub struct Claims {
        pub iss: String,
        pub scope: String,
        pub aud: String,
        pub iat: i64,
        pub exp: i64,
    }

    pub fn claims(client_email: &str, token_uri: &str, now: i64) -> Claims {
        Claims {
            iss: client_email.to_owned(),
            scope: super::SCOPE.to_owned(),
            aud: token_uri.to_owned(),
            iat: now,
            exp: now + 3600,
        }
    }

    #[derive(Debug, Deserialize)]
    pub struct TokenResponse {
        pub access_token: SecretString,
        #[serde(default = "default_expires_in")]
        pub expires_in: u64,
        #[serde(default)]
        pub token_type: Option<String>,
    }

    fn default_expires_in() -> u64 {
        3600
    }

    /// `{"error":"invalid_grant","error_description":"Invalid JWT Signature."}`
    #[derive(Debug, Deserialize)]
    pub struct TokenError {
        pub error: String,
        #[serde(default)]
        pub error_description: Option<String>,
    }

    pub fn token_error_message(body: &[u8]) -> String {
        match serde_json::from_slice::<TokenError>(body) {
            Ok(TokenError {
                error,
                error_description: Some(d),
            }) => format!("{error}: {d}"),
            Ok(TokenError { error, .. }) => error,
            Err(_) => crate::http::snippet(body),
        }
    }

    #[derive(Debug, Serialize, Deserialize, PartialEq)]
    pub struct SendRequest {
        pub message: Message,
    }

    #[derive(Debug, Serialize, Deserialize, PartialEq)]
    pub struct Message {
        pub token: String,
        pub notification: Notification,
        pub data: BTreeMap<String, String>,
    }

    #[derive(Debug, Serialize, Deserialize, PartialEq)]
    pub struct Notification {
        pub title: String,
        pub body: String,
    }

    /// FCM data values are strings: strings stay, other values become their JSON text, nulls go.
    pub fn data_map(msg: &Outgoing) -> Result<BTreeMap<String, String>, SendError> {
        let mut map = BTreeMap::new();
        match &msg.data {
            serde_json::Value::Null => {}
            serde_json::Value::Object(o) => {
                for (k, v) in o {
                    match v {
                        serde_json::Value::Null => {}
                        serde_json::Value::String(s) => {
                            map.insert(k.clone(), s.clone());
                        }
                        other => {
                            map.insert(k.clone(), other.to_string());
                        }
                    }
                }
            }
            _ => return Err(SendError::permanent("push data must be a JSON object")),
        }
        map.insert("notification_id".into(), msg.id.to_string());
        Ok(map)
    }

    pub fn build_request(msg: &Outgoing) -> Result<SendRequest, SendError> {
        let token = msg.to.trim();
        if token.is_empty() || token.contains(char::is_whitespace) {
            return Err(SendError::permanent(
                "the recipient is not an FCM registration token",
            ));
        }
        Ok(SendRequest {
            message: Message {
                token: token.to_owned(),
                notification: Notification {
                    title: msg.subject.clone(),
                    body: msg.text.clone(),
                },
                data: data_map(msg)?,
            },
        })
    }

    /// `{"name":"projects/p/messages/123"}`
    #[derive(Debug, Deserialize)]
    pub struct SendResponse {
        pub name: String,
    }

    #[derive(Debug, Deserialize)]
    pub struct ErrorBody {
        pub error: ErrorStatus,
    }

    #[derive(Debug, Deserialize)]
    pub struct ErrorStatus {
        #[serde(default)]
        pub message: Option<String>,
        #[serde(default)]
        pub status: Option<String>,
        #[serde(default)]
        pub details: Vec<ErrorDetail>,
    }

    #[derive(Debug, Deserialize)]
    pub struct ErrorDetail {
        #[serde(rename = "@type", default)]
        pub kind: Option<String>,
        #[serde(rename = "errorCode", default)]
        pub error_code: Option<String>,
    }

    /// Classifies an FCM error answer by its `FcmError` code (else its status, else HTTP status).
    pub fn classify_error(status: StatusCode, body: &[u8]) -> SendError {
        let Ok(ErrorBody { error }) = serde_json::from_slice::<ErrorBody>(body) else {
            return crate::http::status_error(status, crate::http::snippet(body));
        };
        let fcm_code = error
            .details
            .iter()
            .filter(|d| d.kind.as_deref().is_some_and(|k| k.ends_with("FcmError")))
            .find_map(|d| d.error_code.clone());
        let code = fcm_code.or(error.status).unwrap_or_default();
        let retryable = match code.as_str() {
            "UNREGISTERED"
            | "INVALID_ARGUMENT"
            | "SENDER_ID_MISMATCH"
            | "THIRD_PARTY_AUTH_ERROR"
            | "NOT_FOUND"
            | "PERMISSION_DENIED"
            | "UNAUTHENTICATED" => false,
            "UNAVAILABLE" | "INTERNAL" | "QUOTA_EXCEEDED" | "RESOURCE_EXHAUSTED" => true,
            _ => crate::http::is_retryable_status(status),
        };
        let err = anyhow::anyhow!(
            "FCM HTTP {status} {code}: {}",
            error.message.unwrap_or_default()
        );
        if retryable {
            SendError::Retryable(err)
        } else {
            SendError::Permanent(err)
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Settings {
    base_url: Option<String>,
    token_uri: Option<String>,
    timeout_secs: Option<u64>,
}

struct CachedToken {
    value: SecretString,
    refresh_at: Instant,
}

pub struct Fcm {
    endpoint: String,
    token_uri: String,
    client_email: String,
    key_id: Option<String>,
    key: EncodingKey,
    client: reqwest::Client,
    token: Mutex<Option<CachedToken>>,
}

impl fmt::Debug for Fcm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Fcm")
            .field("endpoint", &self.endpoint)
            .field("token_uri", &self.token_uri)
            .field("client_email", &self.client_email)
            .finish_non_exhaustive()
    }
}

pub fn factory(config: &ProviderConfig) -> anyhow::Result<Arc<dyn Notifier>> {
    Ok(Arc::new(Fcm::from_config(config)?))
}

impl Fcm {
    pub fn from_config(config: &ProviderConfig) -> anyhow::Result<Self> {
        let s: Settings = settings::parse(NAME, config)?;
        let account = wire::service_account(
            settings::secret(NAME, config, "service-account JSON")?.expose_secret(),
        )?;
        anyhow::ensure!(
            !account.project_id.is_empty()
                && account
                    .project_id
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-'),
            "fcm: the service account's `project_id` {:?} is not a project id",
            account.project_id
        );
        let key = EncodingKey::from_rsa_pem(account.private_key.expose_secret().as_bytes())
            .map_err(|_| {
                anyhow::anyhow!("fcm: the service account's `private_key` is not an RSA PEM key")
            })?;
        // Sign once now so an unusable key fails when the configuration is saved.
        jsonwebtoken::encode(
            &Header::new(Algorithm::RS256),
            &wire::claims("x", "x", 0),
            &key,
        )
        .map_err(|_| {
            anyhow::anyhow!("fcm: the service account's `private_key` cannot sign RS256")
        })?;
        let base = settings::base_url(NAME, s.base_url, DEFAULT_BASE_URL)?;
        let token_uri = match s.token_uri.or(account.token_uri) {
            Some(uri) => settings::base_url(NAME, Some(uri), DEFAULT_TOKEN_URI)
                .map_err(|_| anyhow::anyhow!("fcm: `token_uri` must be an http(s) URL"))?,
            None => DEFAULT_TOKEN_URI.to_owned(),
        };
        Ok(Self {
            endpoint: format!("{base}/v1/projects/{}/messages:send", account.project_id),
            token_uri,
            client_email: account.client_email,
            key_id: account.private_key_id,
            key,
            client: http::client(settings::timeout(NAME, s.timeout_secs)?)?,
            token: Mutex::new(None),
        })
    }

    /// A valid access token: the cached one unless it is near expiry or is `rejected`.
    async fn access_token(
        &self,
        rejected: Option<&SecretString>,
    ) -> Result<SecretString, SendError> {
        let mut cached = self.token.lock().await;
        if let Some(t) = cached.as_ref() {
            let is_rejected =
                rejected.is_some_and(|r| r.expose_secret() == t.value.expose_secret());
            if !is_rejected && Instant::now() < t.refresh_at {
                return Ok(t.value.clone());
            }
        }
        *cached = None;
        let fresh = self.fetch_token().await?;
        let value = fresh.value.clone();
        *cached = Some(fresh);
        Ok(value)
    }

    async fn fetch_token(&self) -> Result<CachedToken, SendError> {
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        let mut header = Header::new(Algorithm::RS256);
        header.kid = self.key_id.clone();
        let assertion = jsonwebtoken::encode(
            &header,
            &wire::claims(&self.client_email, &self.token_uri, now),
            &self.key,
        )
        .map_err(|_| SendError::permanent("fcm: cannot sign the token request"))?;
        let res = self
            .client
            .post(&self.token_uri)
            .form(&[("grant_type", JWT_BEARER_GRANT), ("assertion", &assertion)])
            .send()
            .await
            .map_err(|e| http::transport_error(e).context("fcm token endpoint"))?;
        let status = res.status();
        let bytes = res
            .bytes()
            .await
            .map_err(|e| http::transport_error(e).context("fcm token endpoint"))?;
        if !status.is_success() {
            return Err(
                http::status_error(status, wire::token_error_message(&bytes))
                    .context("fcm token endpoint"),
            );
        }
        let token: wire::TokenResponse = serde_json::from_slice(&bytes).map_err(|_| {
            SendError::retryable("fcm token endpoint: the answer has no access_token")
        })?;
        if let Some(kind) = token.token_type.as_deref()
            && !kind.eq_ignore_ascii_case("bearer")
        {
            return Err(SendError::permanent(format!(
                "fcm token endpoint: unexpected token_type {kind:?}"
            )));
        }
        let lifetime = Duration::from_secs(token.expires_in.saturating_sub(60));
        Ok(CachedToken {
            value: token.access_token,
            refresh_at: Instant::now() + lifetime,
        })
    }
}

#[async_trait::async_trait]
impl Notifier for Fcm {
    fn name(&self) -> &str {
        NAME
    }

    fn channel(&self) -> Channel {
        Channel::Push
    }

    async fn send(&self, msg: &Outgoing) -> Result<Receipt, SendError> {
        let body = wire::build_request(msg)?;
        let mut rejected = None;
        loop {
            let token = self.access_token(rejected.as_ref()).await?;
            let res = self
                .client
                .post(&self.endpoint)
                .bearer_auth(token.expose_secret())
                .json(&body)
                .send()
                .await
                .map_err(http::transport_error)?;
            let status = res.status();
            if status == StatusCode::UNAUTHORIZED && rejected.is_none() {
                rejected = Some(token); // once: the token may have been revoked early
                continue;
            }
            let bytes = res.bytes().await.map_err(http::transport_error)?;
            if status.is_success() {
                let name = serde_json::from_slice::<wire::SendResponse>(&bytes)
                    .ok()
                    .map(|r| r.name);
                return Ok(Receipt {
                    provider_message_id: name,
                });
            }
            return Err(wire::classify_error(status, &bytes));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{assert_no_secret, outgoing};
    use serde_json::json;

    #[test]
    fn request_has_notification_and_string_data() {
        let msg = outgoing("fcm-token-1");
        let body = serde_json::to_value(wire::build_request(&msg).unwrap()).unwrap();
        assert_eq!(
            body,
            json!({"message": {
                "token": "fcm-token-1",
                "notification": {"title": "Pedido confirmado ñ", "body": msg.text},
                "data": {"order_id": "o-1", "total": "42", "notification_id": msg.id.to_string()},
            }})
        );
        let mut bad = outgoing("tok");
        bad.data = json!([1]);
        assert!(matches!(
            wire::build_request(&bad),
            Err(SendError::Permanent(_))
        ));
        assert!(matches!(
            wire::build_request(&outgoing("")),
            Err(SendError::Permanent(_))
        ));
    }

    #[test]
    fn errors_are_classified_by_fcm_code() {
        let body = |code: u16, status: &str, fcm: &str| {
            json!({"error": {"code": code, "message": "m", "status": status, "details": [
                {"@type": "type.googleapis.com/google.firebase.fcm.v1.FcmError", "errorCode": fcm}
            ]}})
            .to_string()
        };
        let cases = [
            (404, "NOT_FOUND", "UNREGISTERED", false),
            (400, "INVALID_ARGUMENT", "INVALID_ARGUMENT", false),
            (503, "UNAVAILABLE", "UNAVAILABLE", true),
            (500, "INTERNAL", "INTERNAL", true),
            (429, "RESOURCE_EXHAUSTED", "QUOTA_EXCEEDED", true),
        ];
        for (code, status, fcm, retryable) in cases {
            let err = wire::classify_error(
                StatusCode::from_u16(code).unwrap(),
                body(code, status, fcm).as_bytes(),
            );
            assert_eq!(err.is_retryable(), retryable, "{fcm}");
            assert!(err.to_string().contains(fcm), "{err}");
        }
        let err = wire::classify_error(StatusCode::BAD_GATEWAY, b"<html>");
        assert!(err.is_retryable());
    }

    #[test]
    fn bad_secret_is_explained_without_quoting_it() {
        let secret = r#"{"client_email": "a@p.iam.test", "private_key": "-----BEGIN PRIVATE KEY-----\nTOPSECRETKEYMATERIAL\n-----END PRIVATE KEY-----\n", "project_id": "p"}"#;
        let err = Fcm::from_config(&ProviderConfig::new(json!({}), Some(secret))).unwrap_err();
        let text = format!("{err:#}");
        assert!(text.contains("private_key"), "{text}");
        assert_no_secret(&err, &text, "TOPSECRETKEYMATERIAL");

        let err = Fcm::from_config(&ProviderConfig::new(
            json!({}),
            Some(r#"{"private_key": "TOPSECRETKEYMATERIAL", "project_id": 5}"#),
        ))
        .unwrap_err();
        let text = format!("{err:#}");
        assert_no_secret(&err, &text, "TOPSECRETKEYMATERIAL");

        let err = Fcm::from_config(&ProviderConfig::new(
            json!({}),
            Some(r#"{"private_key": "TOPSECRETKEYMATERIAL", "project_id": "p"}"#),
        ))
        .unwrap_err();
        let text = format!("{err:#}");
        assert!(text.contains("client_email"), "{text}");
        assert_no_secret(&err, &text, "TOPSECRETKEYMATERIAL");

        let err = Fcm::from_config(&ProviderConfig::new(json!({}), None)).unwrap_err();
        assert!(err.to_string().contains("service-account"), "{err}");

        let err =
            Fcm::from_config(&ProviderConfig::new(json!({"base": "x"}), Some(secret))).unwrap_err();
        assert!(format!("{err:#}").contains("base"), "{err:#}");
    }
}
