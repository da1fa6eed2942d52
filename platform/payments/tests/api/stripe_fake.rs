//! A local server speaking the part of Stripe's API the service uses (form-encoded requests,
//! Bearer secret key, `Idempotency-Key` replays, 402 card errors), and Stripe's webhook
//! signature, so the payment service is tested against Stripe's wire format.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
};

use axum::{
    Json, Router,
    body::Bytes,
    extract::{Path, State},
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Response},
    routing::{get, post},
};
use kernel::testing::TestApp;
use serde_json::{Value, json};

use crate::*;

pub const SECRET_KEY: &str = "sk_test_51FakeSecretKeyForGamarriando0001";
pub const WEBHOOK_SECRET: &str = "whsec_fake_gamarriando_webhook_secret_01";

#[derive(Default)]
pub struct Seen {
    /// Every `POST /v1/payment_intents`, by idempotency key.
    pub creates: Vec<String>,
    /// Every `POST /v1/refunds`, by idempotency key.
    pub refunds: Vec<String>,
    intents: HashMap<String, Value>,
    /// Answers to give to the next creates, before the normal one (e.g. 500).
    pub fail_next: Vec<StatusCode>,
}

#[derive(Clone)]
pub struct Fake {
    pub url: String,
    pub seen: Arc<Mutex<Seen>>,
}

fn error(status: StatusCode, kind: &str, code: &str, message: &str) -> Response {
    (
        status,
        Json(json!({"error": {"type": kind, "code": code, "message": message}})),
    )
        .into_response()
}

fn authorized(headers: &HeaderMap) -> bool {
    headers.get("authorization").and_then(|v| v.to_str().ok())
        == Some(&format!("Bearer {SECRET_KEY}"))
}

async fn create(State(seen): State<Arc<Mutex<Seen>>>, headers: HeaderMap, body: Bytes) -> Response {
    if !authorized(&headers) {
        return error(
            StatusCode::UNAUTHORIZED,
            "invalid_request_error",
            "api_key_invalid",
            "Invalid API Key provided: sk_test_****0001",
        );
    }
    let form: HashMap<String, String> = serde_urlencoded::from_bytes(&body).unwrap();
    let key = headers
        .get("idempotency-key")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    let mut seen = seen.lock().unwrap();
    seen.creates.push(key.clone());
    if !seen.fail_next.is_empty() {
        let status = seen.fail_next.remove(0);
        return error(
            status,
            "api_error",
            "",
            "Something went wrong on Stripe's end.",
        );
    }
    if let Some(intent) = seen.intents.get(&key) {
        return Json(intent.clone()).into_response();
    }
    let method = form.get("payment_method").cloned();
    if method.as_deref() == Some("pm_card_chargeDeclined") {
        return (
            StatusCode::PAYMENT_REQUIRED,
            Json(json!({"error": {
            "type": "card_error", "code": "card_declined", "decline_code": "generic_decline",
            "message": "Your card was declined."}})),
        )
            .into_response();
    }
    let amount: i64 = form["amount"].parse().unwrap();
    let n = seen.intents.len() + 1;
    let id = format!("pi_fake_{n:04}");
    let succeeded = method.is_some() && form.get("confirm").map(String::as_str) == Some("true");
    let intent = json!({
        "id": id, "object": "payment_intent", "amount": amount, "amount_capturable": 0,
        "amount_received": if succeeded { amount } else { 0 },
        "automatic_payment_methods": {"enabled": true}, "capture_method": "automatic_async",
        "confirmation_method": "automatic", "description": form.get("description"),
        "currency": form["currency"], "client_secret": format!("{id}_secret_fake"),
        "status": if succeeded { "succeeded" } else { "requires_payment_method" },
        "metadata": {"payment_id": form.get("metadata[payment_id]"), "order_id": form.get("metadata[order_id]")},
        "livemode": false, "created": 1_700_000_000, "last_payment_error": null,
        "latest_charge": if succeeded { json!(format!("ch_{id}")) } else { Value::Null },
        "next_action": null, "payment_method": method, "payment_method_types": ["card"],
    });
    seen.intents.insert(key, intent.clone());
    Json(intent).into_response()
}

async fn retrieve(
    State(seen): State<Arc<Mutex<Seen>>>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    if !authorized(&headers) {
        return error(
            StatusCode::UNAUTHORIZED,
            "invalid_request_error",
            "api_key_invalid",
            "Invalid API Key",
        );
    }
    let seen = seen.lock().unwrap();
    match seen.intents.values().find(|i| i["id"] == id.as_str()) {
        Some(i) => Json(i.clone()).into_response(),
        None => error(
            StatusCode::NOT_FOUND,
            "invalid_request_error",
            "resource_missing",
            "No such payment_intent",
        ),
    }
}

async fn refund(State(seen): State<Arc<Mutex<Seen>>>, headers: HeaderMap, body: Bytes) -> Response {
    if !authorized(&headers) {
        return error(
            StatusCode::UNAUTHORIZED,
            "invalid_request_error",
            "api_key_invalid",
            "Invalid API Key",
        );
    }
    let form: HashMap<String, String> = serde_urlencoded::from_bytes(&body).unwrap();
    let key = headers
        .get("idempotency-key")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    let mut seen = seen.lock().unwrap();
    seen.refunds.push(key.clone());
    let n = seen.refunds.len();
    Json(json!({"id": format!("re_fake_{n:04}"), "object": "refund",
        "amount": form["amount"].parse::<i64>().unwrap(), "currency": "pen", "created": 1_700_000_200,
        "charge": format!("ch_{}", form["payment_intent"]), "metadata": {}, "reason": null,
        "payment_intent": form["payment_intent"], "status": "succeeded"}))
    .into_response()
}

async fn balance(headers: HeaderMap) -> Response {
    if !authorized(&headers) {
        return error(
            StatusCode::UNAUTHORIZED,
            "invalid_request_error",
            "api_key_invalid",
            "Invalid API Key provided: sk_test_****0001",
        );
    }
    Json(json!({"object": "balance", "livemode": false,
        "available": [{"amount": 0, "currency": "pen", "source_types": {"card": 0}}],
        "pending": [{"amount": 0, "currency": "pen", "source_types": {"card": 0}}]}))
    .into_response()
}

pub async fn start() -> Fake {
    let seen = Arc::new(Mutex::new(Seen::default()));
    let app = Router::new()
        .route("/v1/payment_intents", post(create))
        .route("/v1/payment_intents/{id}", get(retrieve))
        .route("/v1/refunds", post(refund))
        .route("/v1/balance", get(balance))
        .with_state(seen.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    Fake { url, seen }
}

/// Stripe as the marketplace's default gateway, pointed at the fake.
pub async fn use_stripe(app: &TestApp, m: &Market, fake: &Fake, webhook_secret: &str) {
    app.put("/api/v1/payments/gateways/stripe")
        .host(&m.t.host)
        .bearer(&m.admin)
        .json(
            &json!({"is_default": true, "settings": {"api_base": fake.url},
                      "credentials": {"secret_key": SECRET_KEY, "webhook_secret": webhook_secret}}),
        )
        .send()
        .await
        .expect(200);
}

/// A Stripe event, signed as Stripe signs it (`Stripe-Signature: t=…,v1=…`).
pub async fn stripe_webhook(
    app: &TestApp,
    t: &Tenant,
    secret: &str,
    at: i64,
    body: &str,
) -> kernel::testing::TestResponse {
    app.post("/api/v1/payments/webhooks/stripe")
        .host(&t.host)
        .header(
            "stripe-signature",
            &::gateways::signature::sign(secret.as_bytes(), at, body.as_bytes()),
        )
        .raw("application/json", body.to_string())
        .send()
        .await
}

/// A `payment_intent.succeeded` event for intent `id`.
pub fn intent_succeeded(event_id: &str, id: &str, amount: i64) -> String {
    json!({
        "id": event_id, "object": "event", "type": "payment_intent.succeeded", "api_version": "2024-06-20",
        "created": 1_700_000_000, "livemode": false,
        "data": {"object": {"id": id, "object": "payment_intent", "amount": amount,
                            "amount_received": amount, "currency": "pen", "status": "succeeded"}},
    })
    .to_string()
}
