//! The Twilio provider against a fake Messages API.

use std::sync::{Arc, Mutex};

use axum::{
    Json, Router,
    extract::{Path, State},
    http::{HeaderMap, StatusCode, header},
    response::{IntoResponse, Response},
    routing::post,
};
use base64::{Engine, engine::general_purpose::STANDARD};
use serde_json::json;

use crate::*;

const SID: &str = "AC0123456789abcdef0123456789abcdef";
const TOKEN: &str = "twilio-auth-token-secret";

type Seen = Arc<Mutex<Vec<Vec<(String, String)>>>>;

fn error(status: StatusCode, code: u32, message: &str) -> Response {
    let body = json!({
        "code": code,
        "message": message,
        "more_info": format!("https://www.twilio.com/docs/errors/{code}"),
        "status": status.as_u16(),
    });
    (status, Json(body)).into_response()
}

/// Checks the request like Twilio does; the recipient number picks a failure.
async fn create_message(
    State(seen): State<Seen>,
    Path(account): Path<String>,
    headers: HeaderMap,
    body: String,
) -> Response {
    let creds = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic "))
        .and_then(|b| STANDARD.decode(b).ok())
        .and_then(|b| String::from_utf8(b).ok());
    if account != SID || creds != Some(format!("{SID}:{TOKEN}")) {
        return error(StatusCode::UNAUTHORIZED, 20003, "Authenticate");
    }
    if headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        != Some("application/x-www-form-urlencoded")
    {
        return error(StatusCode::BAD_REQUEST, 20001, "Unsupported content type");
    }
    let form: Vec<(String, String)> = serde_urlencoded::from_str(&body).unwrap();
    let get = |k: &str| form.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
    let Some(to) = get("To") else {
        return error(
            StatusCode::BAD_REQUEST,
            21604,
            "A 'To' phone number is required.",
        );
    };
    if get("Body").is_none_or(|b| b.is_empty()) {
        return error(StatusCode::BAD_REQUEST, 21602, "Message body is required.");
    }
    if get("From").is_none() && get("MessagingServiceSid").is_none() {
        return error(
            StatusCode::BAD_REQUEST,
            21603,
            "A 'From' or 'MessagingServiceSid' parameter is required to send a message.",
        );
    }
    seen.lock().unwrap().push(form.clone());
    match to.as_str() {
        "+15005550001" => error(
            StatusCode::BAD_REQUEST,
            21211,
            "The 'To' number +15005550001 is not a valid phone number.",
        ),
        "+15005550429" => error(StatusCode::TOO_MANY_REQUESTS, 20429, "Too Many Requests"),
        "+15005550500" => {
            (StatusCode::INTERNAL_SERVER_ERROR, "Internal Server Error").into_response()
        }
        _ => (
            StatusCode::CREATED,
            Json(json!({
                "account_sid": SID,
                "sid": "SM1f0e8ae6ade43cb3c0ce4525424e404f",
                "status": "queued",
                "to": to,
                "body": get("Body"),
            })),
        )
            .into_response(),
    }
}

async fn setup() -> (String, Seen) {
    let seen = Seen::default();
    let app = Router::new()
        .route(
            "/2010-04-01/Accounts/{account}/Messages.json",
            post(create_message),
        )
        .with_state(seen.clone());
    (serve(app).await, seen)
}

fn settings(base: &str) -> serde_json::Value {
    json!({
        "base_url": base,
        "account_sid": SID,
        "from": "+15005550006",
        "status_callback_url": "https://api.x.test/hooks/twilio",
    })
}

#[tokio::test]
async fn sends_and_reads_the_sid() {
    let (base, seen) = setup().await;
    let n = build("twilio", settings(&base), TOKEN);
    let msg = outgoing("+51987654321");
    let receipt = n.send(&msg).await.unwrap();
    assert_eq!(
        receipt.provider_message_id.as_deref(),
        Some("SM1f0e8ae6ade43cb3c0ce4525424e404f")
    );
    let form = seen.lock().unwrap().pop().unwrap();
    let get = |k: &str| form.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
    assert_eq!(get("To"), Some("+51987654321"));
    assert_eq!(get("From"), Some("+15005550006"));
    assert_eq!(get("Body"), Some(msg.text.as_str()));
    assert_eq!(
        get("StatusCallback"),
        Some(format!("https://api.x.test/hooks/twilio?notification_id={}", msg.id).as_str())
    );
}

#[tokio::test]
async fn messaging_service_instead_of_from() {
    let (base, seen) = setup().await;
    let s = json!({"base_url": base, "account_sid": SID, "messaging_service_sid": "MG9752274e9e519418a7406176694466fa"});
    build("twilio", s, TOKEN)
        .send(&outgoing("+51987654321"))
        .await
        .unwrap();
    let form = seen.lock().unwrap().pop().unwrap();
    assert!(form.contains(&(
        "MessagingServiceSid".into(),
        "MG9752274e9e519418a7406176694466fa".into()
    )));
    assert!(
        !form
            .iter()
            .any(|(k, _)| k == "From" || k == "StatusCallback")
    );
}

#[tokio::test]
async fn classifies_failures() {
    let (base, _) = setup().await;
    let n = build("twilio", settings(&base), TOKEN);
    let err = n.send(&outgoing("+15005550001")).await.unwrap_err();
    assert_permanent(&err, "21211");
    assert_permanent(&err, "is not a valid phone number");
    assert_retryable(&n.send(&outgoing("+15005550429")).await.unwrap_err());
    assert_retryable(&n.send(&outgoing("+15005550500")).await.unwrap_err());
}

#[tokio::test]
async fn wrong_token_is_permanent_and_not_echoed() {
    let (base, seen) = setup().await;
    let n = build("twilio", settings(&base), "wrong-twilio-token-secret");
    let err = n.send(&outgoing("+51987654321")).await.unwrap_err();
    assert_permanent(&err, "20003");
    assert_no_secret(&err, "wrong-twilio-token-secret");
    assert!(seen.lock().unwrap().is_empty());
}

#[test]
fn signature_round_trips_with_form_params() {
    let url = "https://api.x.test/hooks/twilio?notification_id=1";
    let params = vec![
        ("MessageStatus".to_owned(), "delivered".to_owned()),
        (
            "MessageSid".to_owned(),
            "SM1f0e8ae6ade43cb3c0ce4525424e404f".to_owned(),
        ),
    ];
    let sig = notify::twilio::signature(TOKEN, url, &params);
    assert!(notify::twilio::verify_signature(TOKEN, url, &params, &sig));
    assert!(!notify::twilio::verify_signature(
        "other", url, &params, &sig
    ));
}
