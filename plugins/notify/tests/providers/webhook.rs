//! Signed webhooks against a receiver that checks the signature independently.

use std::{
    sync::{Arc, Mutex},
    time::Duration,
};

use aws_lc_rs::hmac;
use axum::{
    Router,
    body::Bytes,
    extract::{Path, State},
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Response},
    routing::post,
};
use serde_json::{Value, json};

use crate::*;

const SECRET: &str = "whsec_endpoint_signing_secret";

#[derive(Clone, Debug)]
struct Delivery {
    headers: HeaderMap,
    body: Bytes,
}

type Seen = Arc<Mutex<Vec<Delivery>>>;

/// A receiver's own check, written from the spec rather than with the crate's `verify`:
/// `t=<secs>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>`.
fn reference_check(header: &str, body: &[u8], secret: &[u8]) -> bool {
    let mut t = None;
    let mut v1 = Vec::new();
    for part in header.split(',') {
        match part.split_once('=') {
            Some(("t", v)) => t = Some(v.to_owned()),
            Some(("v1", v)) => v1.push(v.to_owned()),
            _ => return false,
        }
    }
    let Some(t) = t else { return false };
    let mut signed = format!("{t}.").into_bytes();
    signed.extend_from_slice(body);
    let expected = hex::encode(hmac::sign(
        &hmac::Key::new(hmac::HMAC_SHA256, secret),
        &signed,
    ));
    v1.contains(&expected)
}

async fn receive(
    State(seen): State<Seen>,
    Path(mode): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let signature = headers
        .get("gamarriando-signature")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    if !reference_check(signature, &body, SECRET.as_bytes()) {
        return (StatusCode::UNAUTHORIZED, "bad signature").into_response();
    }
    seen.lock().unwrap().push(Delivery { headers, body });
    match mode.as_str() {
        "ok" => (StatusCode::OK, [("X-Request-Id", "req-42")], "thanks").into_response(),
        "empty" => StatusCode::NO_CONTENT.into_response(),
        "gone" => (StatusCode::GONE, "endpoint removed").into_response(),
        "moved" => (StatusCode::MOVED_PERMANENTLY, [("Location", "/hook/ok")]).into_response(),
        "bad" => (StatusCode::BAD_REQUEST, "unknown event type").into_response(),
        "busy" => StatusCode::TOO_MANY_REQUESTS.into_response(),
        _ => (StatusCode::INTERNAL_SERVER_ERROR, "oops").into_response(),
    }
}

async fn setup() -> (String, Seen) {
    let seen = Seen::default();
    let app = Router::new()
        .route("/hook/{mode}", post(receive))
        .with_state(seen.clone());
    (serve(app).await, seen)
}

#[tokio::test]
async fn delivers_a_signed_event() {
    let (base, seen) = setup().await;
    let n = build("webhook", json!({}), SECRET);
    let msg = outgoing(&format!("{base}/hook/ok"));
    let receipt = n.send(&msg).await.unwrap();
    assert_eq!(receipt.provider_message_id.as_deref(), Some("req-42"));

    let d = seen.lock().unwrap().pop().unwrap();
    let h = |k: &str| d.headers.get(k).unwrap().to_str().unwrap().to_owned();
    assert_eq!(h("content-type"), "application/json");
    assert_eq!(h("gamarriando-event"), "order.placed");
    assert_eq!(h("gamarriando-delivery"), msg.id.to_string());
    let body: Value = serde_json::from_slice(&d.body).unwrap();
    assert_eq!(
        body,
        json!({
            "id": msg.id,
            "type": "order.placed",
            "created_at": msg.created_at.format(&time::format_description::well_known::Rfc3339).unwrap(),
            "tenant_id": msg.tenant_id,
            "data": msg.data,
        })
    );

    // The crate's verify agrees with the reference, and refuses tampering and old deliveries.
    let sig = h("gamarriando-signature");
    let t: i64 = sig
        .split(',')
        .next()
        .unwrap()
        .strip_prefix("t=")
        .unwrap()
        .parse()
        .unwrap();
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    assert!((now - t).abs() < 60);
    let tolerance = Duration::from_secs(300);
    notify::webhook::verify(&sig, &d.body, SECRET.as_bytes(), tolerance, now).unwrap();
    let mut flipped = d.body.to_vec();
    flipped[10] ^= 0x01;
    assert_eq!(
        notify::webhook::verify(&sig, &flipped, SECRET.as_bytes(), tolerance, now),
        Err(notify::webhook::VerifyError::Mismatch)
    );
    assert!(!reference_check(&sig, &flipped, SECRET.as_bytes()));
    assert_eq!(
        notify::webhook::verify(&sig, &d.body, SECRET.as_bytes(), tolerance, now + 3600),
        Err(notify::webhook::VerifyError::OutsideTolerance)
    );
    let old = notify::webhook::sign(SECRET.as_bytes(), now - 3600, &d.body);
    assert!(reference_check(&old, &d.body, SECRET.as_bytes()));
    assert_eq!(
        notify::webhook::verify(&old, &d.body, SECRET.as_bytes(), tolerance, now),
        Err(notify::webhook::VerifyError::OutsideTolerance)
    );
}

#[tokio::test]
async fn no_content_is_success_without_receipt() {
    let (base, _) = setup().await;
    let n = build("webhook", json!({}), SECRET);
    let receipt = n
        .send(&outgoing(&format!("{base}/hook/empty")))
        .await
        .unwrap();
    assert_eq!(receipt.provider_message_id, None);
}

#[tokio::test]
async fn classifies_failures() {
    let (base, seen) = setup().await;
    let n = build("webhook", json!({}), SECRET);
    let send = |mode: &str| {
        let n = n.clone();
        let msg = outgoing(&format!("{base}/hook/{mode}"));
        async move { n.send(&msg).await.unwrap_err() }
    };
    assert_permanent(&send("gone").await, "410");
    assert_permanent(&send("moved").await, "redirect");
    assert_permanent(&send("bad").await, "unknown event type");
    assert_retryable(&send("busy").await);
    assert_retryable(&send("error").await);
    // The redirect was not followed: /hook/ok was never hit.
    assert_eq!(seen.lock().unwrap().len(), 5);
}

#[tokio::test]
async fn wrong_secret_is_refused_by_the_receiver_and_not_echoed() {
    let (base, seen) = setup().await;
    let n = build("webhook", json!({}), "whsec_some_other_secret");
    let err = n
        .send(&outgoing(&format!("{base}/hook/ok")))
        .await
        .unwrap_err();
    assert_permanent(&err, "401");
    assert_no_secret(&err, "whsec_some_other_secret");
    assert!(seen.lock().unwrap().is_empty());
}
