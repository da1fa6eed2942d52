//! The FCM provider against a fake OAuth2 token endpoint and FCM v1 API. The token endpoint checks
//! the RS256 assertion with the public half of a key generated for the test.

use std::sync::{
    Arc, Mutex,
    atomic::{AtomicBool, AtomicUsize, Ordering},
};

use aws_lc_rs::{
    encoding::AsDer,
    rsa::{KeyPair, KeySize},
    signature::{self, KeyPair as _},
};
use axum::{
    Form, Json, Router,
    extract::{Path, State},
    http::{HeaderMap, StatusCode, header},
    response::{IntoResponse, Response},
    routing::post,
};
use base64::{
    Engine,
    engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD},
};
use serde_json::{Value, json};

use crate::*;

const PROJECT: &str = "tienda-test";
const CLIENT_EMAIL: &str = "notify@tienda-test.iam.gserviceaccount.com";

#[derive(Default)]
struct Fake {
    public_key: Vec<u8>,
    token_uri: Mutex<String>,
    token_hits: AtomicUsize,
    /// Tokens FCM accepts.
    valid: Mutex<Vec<String>>,
    messages: Mutex<Vec<Value>>,
    /// FCM refuses every token (a revoked service account).
    always_401: AtomicBool,
}

type Shared = Arc<Fake>;

fn google_error(status: StatusCode, state: &str, fcm: Option<&str>, message: &str) -> Response {
    let details: Vec<Value> = fcm
        .map(|c| json!({"@type": "type.googleapis.com/google.firebase.fcm.v1.FcmError", "errorCode": c}))
        .into_iter()
        .collect();
    let body = json!({"error": {"code": status.as_u16(), "message": message, "status": state, "details": details}});
    (status, Json(body)).into_response()
}

fn token_error(description: &str) -> Response {
    (
        StatusCode::BAD_REQUEST,
        Json(json!({"error": "invalid_grant", "error_description": description})),
    )
        .into_response()
}

/// The assertion checks Google's token endpoint makes: RS256 with the account's key, iss, aud,
/// scope, a lifetime of at most an hour.
async fn token(State(fake): State<Shared>, Form(form): Form<Vec<(String, String)>>) -> Response {
    let get = |k: &str| form.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
    if get("grant_type") != Some("urn:ietf:params:oauth:grant-type:jwt-bearer") {
        return (
            StatusCode::BAD_REQUEST,
            Json(json!({"error": "unsupported_grant_type"})),
        )
            .into_response();
    }
    let Some(jwt) = get("assertion") else {
        return token_error("Missing assertion.");
    };
    let parts: Vec<&str> = jwt.split('.').collect();
    if parts.len() != 3 {
        return token_error("Invalid JWT.");
    }
    let key =
        signature::UnparsedPublicKey::new(&signature::RSA_PKCS1_2048_8192_SHA256, &fake.public_key);
    let sig = URL_SAFE_NO_PAD.decode(parts[2]).unwrap_or_default();
    if key
        .verify(format!("{}.{}", parts[0], parts[1]).as_bytes(), &sig)
        .is_err()
    {
        return token_error("Invalid JWT Signature.");
    }
    let header: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[0]).unwrap()).unwrap();
    let claims: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[1]).unwrap()).unwrap();
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let (iat, exp) = (
        claims["iat"].as_i64().unwrap_or(0),
        claims["exp"].as_i64().unwrap_or(0),
    );
    let ok = header["alg"] == "RS256"
        && header["kid"] == "test-key-id"
        && claims["iss"] == CLIENT_EMAIL
        && claims["aud"] == *fake.token_uri.lock().unwrap()
        && claims["scope"] == "https://www.googleapis.com/auth/firebase.messaging"
        && (now - iat).abs() < 60
        && exp - iat == 3600;
    if !ok {
        return token_error(&format!("Invalid JWT claims: {header} {claims}"));
    }
    let n = fake.token_hits.fetch_add(1, Ordering::SeqCst) + 1;
    let token = format!("ya29.test-access-token-{n}");
    fake.valid.lock().unwrap().push(token.clone());
    Json(json!({"access_token": token, "expires_in": 3599, "token_type": "Bearer"})).into_response()
}

async fn send(
    State(fake): State<Shared>,
    Path(rest): Path<String>,
    headers: HeaderMap,
    body: String,
) -> Response {
    let Some(project) = rest.strip_suffix("/messages:send") else {
        return google_error(StatusCode::NOT_FOUND, "NOT_FOUND", None, "no such method");
    };
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    if fake.always_401.load(Ordering::SeqCst)
        || !bearer.is_some_and(|t| fake.valid.lock().unwrap().iter().any(|v| v == t))
    {
        return google_error(
            StatusCode::UNAUTHORIZED,
            "UNAUTHENTICATED",
            None,
            "Request had invalid authentication credentials.",
        );
    }
    if project != PROJECT {
        return google_error(
            StatusCode::FORBIDDEN,
            "PERMISSION_DENIED",
            Some("SENDER_ID_MISMATCH"),
            "SenderId mismatch",
        );
    }
    if headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        != Some("application/json")
    {
        return google_error(
            StatusCode::BAD_REQUEST,
            "INVALID_ARGUMENT",
            None,
            "Invalid JSON payload received.",
        );
    }
    let Ok(req) = serde_json::from_str::<Value>(&body) else {
        return google_error(
            StatusCode::BAD_REQUEST,
            "INVALID_ARGUMENT",
            None,
            "Invalid JSON payload received.",
        );
    };
    let m = &req["message"];
    let data_ok = m["data"]
        .as_object()
        .is_some_and(|d| d.values().all(Value::is_string));
    if !m["token"].is_string() || !m["notification"]["title"].is_string() || !data_ok {
        return google_error(
            StatusCode::BAD_REQUEST,
            "INVALID_ARGUMENT",
            Some("INVALID_ARGUMENT"),
            "Invalid value at 'message.data'",
        );
    }
    fake.messages.lock().unwrap().push(req.clone());
    match m["token"].as_str().unwrap() {
        "unregistered-token" => google_error(StatusCode::NOT_FOUND, "NOT_FOUND", Some("UNREGISTERED"), "Requested entity was not found."),
        "invalid-token" => google_error(StatusCode::BAD_REQUEST, "INVALID_ARGUMENT", Some("INVALID_ARGUMENT"), "The registration token is not a valid FCM registration token"),
        "quota-token" => google_error(StatusCode::TOO_MANY_REQUESTS, "RESOURCE_EXHAUSTED", Some("QUOTA_EXCEEDED"), "Quota exceeded."),
        "internal-token" => google_error(StatusCode::INTERNAL_SERVER_ERROR, "INTERNAL", Some("INTERNAL"), "Internal error encountered."),
        _ => Json(json!({"name": format!("projects/{PROJECT}/messages/0:1500415314455276%31bd1c9631bd1c96")})).into_response(),
    }
}

fn pem(der: &[u8]) -> String {
    let b64 = STANDARD.encode(der);
    let lines: Vec<&str> = b64
        .as_bytes()
        .chunks(64)
        .map(|c| std::str::from_utf8(c).unwrap())
        .collect();
    format!(
        "-----BEGIN PRIVATE KEY-----\n{}\n-----END PRIVATE KEY-----\n",
        lines.join("\n")
    )
}

struct Setup {
    fake: Shared,
    settings: Value,
    secret: String,
    private_key_pem: String,
}

async fn setup() -> Setup {
    let key = KeyPair::generate(KeySize::Rsa2048).unwrap();
    let private_key_pem = pem(key.as_der().unwrap().as_ref());
    let fake = Arc::new(Fake {
        public_key: key.public_key().as_ref().to_vec(),
        ..Fake::default()
    });
    let app = Router::new()
        .route("/token", post(token))
        .route("/v1/projects/{*rest}", post(send))
        .with_state(fake.clone());
    let base = serve(app).await;
    let token_uri = format!("{base}/token");
    *fake.token_uri.lock().unwrap() = token_uri.clone();
    let secret = json!({
        "type": "service_account",
        "project_id": PROJECT,
        "private_key_id": "test-key-id",
        "private_key": private_key_pem,
        "client_email": CLIENT_EMAIL,
        "token_uri": "https://oauth2.googleapis.com/token",
    })
    .to_string();
    Setup {
        fake,
        settings: json!({"base_url": base, "token_uri": token_uri}),
        secret,
        private_key_pem,
    }
}

#[tokio::test]
async fn sends_reusing_the_access_token() {
    let s = setup().await;
    let n = build("fcm", s.settings.clone(), &s.secret);
    let msg = outgoing("device-token-1");
    let receipt = n.send(&msg).await.unwrap();
    assert_eq!(
        receipt.provider_message_id.as_deref(),
        Some("projects/tienda-test/messages/0:1500415314455276%31bd1c9631bd1c96")
    );
    n.send(&outgoing("device-token-2")).await.unwrap();
    assert_eq!(
        s.fake.token_hits.load(Ordering::SeqCst),
        1,
        "the token is cached"
    );

    let m = s.fake.messages.lock().unwrap()[0]["message"].clone();
    assert_eq!(m["token"], "device-token-1");
    assert_eq!(
        m["notification"],
        json!({"title": msg.subject, "body": msg.text})
    );
    assert_eq!(
        m["data"],
        json!({"order_id": "1001", "total": "59.9", "paid": "true", "notification_id": msg.id.to_string()})
    );
}

#[tokio::test]
async fn fetches_a_new_token_after_a_401() {
    let s = setup().await;
    let n = build("fcm", s.settings.clone(), &s.secret);
    n.send(&outgoing("device-token-1")).await.unwrap();
    s.fake.valid.lock().unwrap().clear(); // revoked early
    n.send(&outgoing("device-token-1")).await.unwrap();
    assert_eq!(s.fake.token_hits.load(Ordering::SeqCst), 2);
    assert_eq!(s.fake.messages.lock().unwrap().len(), 2);
}

#[tokio::test]
async fn classifies_failures() {
    let s = setup().await;
    let n = build("fcm", s.settings.clone(), &s.secret);
    assert_permanent(
        &n.send(&outgoing("unregistered-token")).await.unwrap_err(),
        "UNREGISTERED",
    );
    assert_permanent(
        &n.send(&outgoing("invalid-token")).await.unwrap_err(),
        "not a valid FCM registration token",
    );
    assert_retryable(&n.send(&outgoing("quota-token")).await.unwrap_err());
    assert_retryable(&n.send(&outgoing("internal-token")).await.unwrap_err());
}

#[tokio::test]
async fn a_key_the_token_endpoint_refuses_is_permanent_and_not_echoed() {
    let s = setup().await;
    let other = KeyPair::generate(KeySize::Rsa2048).unwrap();
    let other_pem = pem(other.as_der().unwrap().as_ref());
    let secret = s.secret.replace(
        &s.private_key_pem.replace('\n', "\\n"),
        &other_pem.replace('\n', "\\n"),
    );
    assert_ne!(secret, s.secret);
    let n = build("fcm", s.settings.clone(), &secret);
    let err = n.send(&outgoing("device-token-1")).await.unwrap_err();
    assert_permanent(&err, "Invalid JWT Signature");
    let key_body: String = other_pem.lines().nth(1).unwrap().to_owned();
    assert_no_secret(&err, &key_body);
    assert!(s.fake.messages.lock().unwrap().is_empty());
}

#[tokio::test]
async fn a_second_401_is_permanent() {
    let s = setup().await;
    s.fake.always_401.store(true, Ordering::SeqCst);
    let n = build("fcm", s.settings.clone(), &s.secret);
    let err = n.send(&outgoing("device-token-1")).await.unwrap_err();
    assert_permanent(&err, "UNAUTHENTICATED");
    assert_eq!(
        s.fake.token_hits.load(Ordering::SeqCst),
        2,
        "one refresh, then give up"
    );
}
