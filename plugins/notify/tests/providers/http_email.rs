//! The SendGrid-style email provider against a fake Mail Send API.

use std::sync::{Arc, Mutex};

use axum::{
    Json, Router,
    extract::State,
    http::{HeaderMap, StatusCode, header},
    response::{IntoResponse, Response},
    routing::post,
};
use serde_json::{Value, json};

use crate::*;

const KEY: &str = "SG.test-api-key-secret";
const MESSAGE_ID: &str = "14c5d75ce93.dfd.64b469.filter0001.16648.5515E0B88.0";

type Seen = Arc<Mutex<Vec<Value>>>;

fn errors(status: StatusCode, field: Option<&str>, message: &str) -> Response {
    let body = json!({"errors": [{"message": message, "field": field, "help": null}]});
    (status, Json(body)).into_response()
}

/// Checks the request like SendGrid does; the recipient's local part picks a failure.
async fn mail_send(State(seen): State<Seen>, headers: HeaderMap, body: String) -> Response {
    if headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        != Some(&format!("Bearer {KEY}"))
    {
        return errors(
            StatusCode::UNAUTHORIZED,
            None,
            "The provided authorization grant is invalid, expired, or revoked",
        );
    }
    if headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        != Some("application/json")
    {
        return errors(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            None,
            "Content-Type should be application/json.",
        );
    }
    let Ok(mail) = serde_json::from_str::<Value>(&body) else {
        return errors(StatusCode::BAD_REQUEST, None, "Bad Request");
    };
    let to = mail["personalizations"][0]["to"][0]["email"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let checks = [
        (
            to.contains('@'),
            "personalizations.0.to.0.email",
            "Does not contain a valid address.",
        ),
        (
            mail["from"]["email"].is_string(),
            "from.email",
            "The from email does not contain a valid address.",
        ),
        (
            mail["subject"].as_str().is_some_and(|s| !s.is_empty()),
            "subject",
            "The subject is required.",
        ),
        (
            mail["content"][0]["type"] == "text/plain",
            "content",
            "text/plain must be first.",
        ),
        (
            mail["content"][0]["value"].is_string(),
            "content.0.value",
            "The content value is required.",
        ),
    ];
    for (ok, field, message) in checks {
        if !ok {
            return errors(StatusCode::BAD_REQUEST, Some(field), message);
        }
    }
    seen.lock().unwrap().push(mail);
    match to.split('@').next().unwrap() {
        "bad" => errors(
            StatusCode::BAD_REQUEST,
            Some("personalizations.0.to.0.email"),
            "Does not contain a valid address.",
        ),
        "ratelimit" => errors(StatusCode::TOO_MANY_REQUESTS, None, "too many requests"),
        "boom" => errors(StatusCode::INTERNAL_SERVER_ERROR, None, "internal error"),
        _ => (StatusCode::ACCEPTED, [("X-Message-Id", MESSAGE_ID)]).into_response(),
    }
}

async fn setup() -> (String, Seen) {
    let seen = Seen::default();
    let app = Router::new()
        .route("/v3/mail/send", post(mail_send))
        .with_state(seen.clone());
    (serve(app).await, seen)
}

fn settings(base: &str) -> Value {
    json!({"base_url": base, "from_email": "no-reply@tienda.x.test", "from_name": "Tienda"})
}

#[tokio::test]
async fn sends_and_reads_the_message_id() {
    let (base, seen) = setup().await;
    let n = build("http_email", settings(&base), KEY);
    let msg = outgoing("ana@x.test");
    let receipt = n.send(&msg).await.unwrap();
    assert_eq!(receipt.provider_message_id.as_deref(), Some(MESSAGE_ID));

    let mail = seen.lock().unwrap().pop().unwrap();
    let p = &mail["personalizations"][0];
    assert_eq!(p["to"][0]["email"], "ana@x.test");
    assert_eq!(p["custom_args"]["notification_id"], msg.id.to_string());
    assert_eq!(
        mail["from"],
        json!({"email": "no-reply@tienda.x.test", "name": "Tienda"})
    );
    assert_eq!(mail["subject"], "Pedido confirmado ñ");
    assert_eq!(
        mail["content"][0],
        json!({"type": "text/plain", "value": msg.text})
    );
    assert_eq!(
        mail["content"][1],
        json!({"type": "text/html", "value": msg.html.unwrap()})
    );
    assert_eq!(
        mail["headers"]["List-Unsubscribe"],
        "<https://tienda.x.test/unsubscribe?t=abc>"
    );
    assert_eq!(
        mail["headers"]["List-Unsubscribe-Post"],
        "List-Unsubscribe=One-Click"
    );
}

#[tokio::test]
async fn classifies_failures() {
    let (base, _) = setup().await;
    let n = build("http_email", settings(&base), KEY);

    let err = n.send(&outgoing("bad@x.test")).await.unwrap_err();
    assert_permanent(&err, "Does not contain a valid address.");
    assert_retryable(&n.send(&outgoing("ratelimit@x.test")).await.unwrap_err());
    assert_retryable(&n.send(&outgoing("boom@x.test")).await.unwrap_err());
}

#[tokio::test]
async fn wrong_key_is_permanent_and_not_echoed() {
    let (base, seen) = setup().await;
    let n = build("http_email", settings(&base), "SG.wrong-key-secret");
    let err = n.send(&outgoing("ana@x.test")).await.unwrap_err();
    assert_permanent(&err, "authorization grant is invalid");
    assert_no_secret(&err, "SG.wrong-key-secret");
    assert!(seen.lock().unwrap().is_empty());
}
