//! The PayPal provider against a local PayPal: OAuth2 client credentials, Orders v2 with
//! `PayPal-Request-Id` replays, captures, refunds, and the webhook verification API.

use std::{
    collections::{HashMap, HashSet},
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
use base64::Engine;
use gateways::{
    NewRefund, NextAction, PaymentError, PaymentProvider, PaymentStatus, ProviderConfig,
    RefundStatus, Registry, WebhookError, WebhookEvent, WebhookKind, WebhookRequest,
};
use serde_json::{Value, json};
use time::{OffsetDateTime, format_description::well_known::Rfc3339};
use uuid::Uuid;

use crate::{assert_hidden, closed_port, new_payment, serve};

const CLIENT_ID: &str = "AcGmrClientId";
const SECRET: &str = "EKgmrClientSecretHunter2";
const WEBHOOK_ID: &str = "8PT597110X687430LKGECATA";
/// What the fake signs transmissions with (standing in for PayPal's certificate).
const SIGNING_KEY: &[u8] = b"paypal-fake-signing-key";

#[derive(Clone, Debug)]
struct Seen {
    path: String,
    request_id: Option<String>,
    body: Value,
}

struct Fake {
    expires_in: u64,
    tokens_issued: usize,
    valid_tokens: HashSet<String>,
    /// Every bearer token is refused (a revoked app).
    refuse_tokens: bool,
    orders: HashMap<String, Value>,
    approved: HashSet<String>,
    declines: HashSet<String>,
    captures: HashMap<String, String>,
    replays: HashMap<(String, String), (StatusCode, Value)>,
    next_id: usize,
    seen: Vec<Seen>,
    verifications: usize,
    fail_next: Option<StatusCode>,
}

type Shared = Arc<Mutex<Fake>>;

impl Default for Fake {
    fn default() -> Self {
        Self {
            expires_in: 32_400,
            tokens_issued: 0,
            valid_tokens: HashSet::new(),
            refuse_tokens: false,
            orders: HashMap::new(),
            approved: HashSet::new(),
            declines: HashSet::new(),
            captures: HashMap::new(),
            replays: HashMap::new(),
            next_id: 0,
            seen: Vec::new(),
            verifications: 0,
            fail_next: None,
        }
    }
}

fn respond(status: StatusCode, body: Value) -> Response {
    (status, Json(body)).into_response()
}

fn unprocessable(issue: &str, description: &str) -> (StatusCode, Value) {
    (
        StatusCode::UNPROCESSABLE_ENTITY,
        json!({"name": "UNPROCESSABLE_ENTITY",
            "message": "The requested action could not be performed, semantically incorrect, or failed business validation.",
            "debug_id": "f1e2d3c4b5a69", "details": [{"issue": issue, "description": description}],
            "links": [{"href": format!("https://developer.paypal.com/api/rest/reference/orders/v2/errors/#{issue}"), "rel": "information_link"}]}),
    )
}

fn not_found() -> (StatusCode, Value) {
    (
        StatusCode::NOT_FOUND,
        json!({"name": "RESOURCE_NOT_FOUND", "message": "The specified resource does not exist.",
            "debug_id": "a1b2c3", "details": [{"issue": "INVALID_RESOURCE_ID",
            "description": "Specified resource ID does not exist. Please check the resource ID and try again."}]}),
    )
}

async fn token(State(s): State<Shared>, headers: HeaderMap, body: Bytes) -> Response {
    let mut fake = s.lock().unwrap();
    let basic = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic "))
        .and_then(|v| base64::engine::general_purpose::STANDARD.decode(v).ok())
        .map(|v| String::from_utf8(v).unwrap())
        .unwrap_or_default();
    let form: Vec<(String, String)> = serde_urlencoded::from_bytes(&body).unwrap();
    assert_eq!(
        form,
        [("grant_type".to_owned(), "client_credentials".to_owned())]
    );
    if basic != format!("{CLIENT_ID}:{SECRET}") {
        // Echoes what it got, so the test can check the provider never repeats it.
        return respond(
            StatusCode::UNAUTHORIZED,
            json!({"error": "invalid_client",
                "error_description": format!("Client Authentication failed for {basic}")}),
        );
    }
    fake.tokens_issued += 1;
    let token = format!("A21AAFakeToken{}", fake.tokens_issued);
    fake.valid_tokens.insert(token.clone());
    respond(
        StatusCode::OK,
        json!({"scope": "https://uri.paypal.com/services/payments/payment",
            "access_token": token, "token_type": "Bearer", "app_id": "APP-80W284485P519543T",
            "expires_in": fake.expires_in, "nonce": "2024-01-01T00:00:00Zabc"}),
    )
}

/// Checks the bearer token, records the request and applies `fail_next`.
fn admit(
    fake: &mut Fake,
    path: String,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<Seen, (StatusCode, Value)> {
    let bearer = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or_default();
    if fake.refuse_tokens || !fake.valid_tokens.contains(bearer) {
        return Err((
            StatusCode::UNAUTHORIZED,
            json!({"error": "invalid_token", "error_description": "Token signature verification failed"}),
        ));
    }
    let body: Value = if body.is_empty() {
        Value::Null
    } else {
        assert_eq!(
            headers.get("content-type").unwrap(),
            "application/json",
            "{path}"
        );
        serde_json::from_slice(body).unwrap()
    };
    let seen = Seen {
        path,
        request_id: headers
            .get("paypal-request-id")
            .map(|v| v.to_str().unwrap().to_owned()),
        body,
    };
    fake.seen.push(seen.clone());
    if let Some(status) = fake.fail_next.take() {
        return Err((
            status,
            json!({"name": if status == StatusCode::TOO_MANY_REQUESTS { "RATE_LIMIT_REACHED" } else { "INTERNAL_SERVER_ERROR" },
                "message": "Too many requests. Blocked due to rate limiting.", "debug_id": "rl1"}),
        ));
    }
    Ok(seen)
}

/// Runs `f` once per `PayPal-Request-Id` (per path); a repeat gets the first answer.
fn idempotent(
    fake: &mut Fake,
    seen: &Seen,
    f: impl FnOnce(&mut Fake) -> (StatusCode, Value),
) -> (StatusCode, Value) {
    let Some(id) = seen.request_id.clone() else {
        return (
            StatusCode::BAD_REQUEST,
            json!({"name": "INVALID_REQUEST", "message": "PayPal-Request-Id is expected here"}),
        );
    };
    let slot = (seen.path.clone(), id);
    if let Some(answer) = fake.replays.get(&slot) {
        return answer.clone();
    }
    let answer = f(fake);
    fake.replays.insert(slot, answer.clone());
    answer
}

fn order_view(fake: &Fake, id: &str) -> Value {
    let mut order = fake.orders[id].clone();
    let open = matches!(
        order["status"].as_str(),
        Some("CREATED" | "PAYER_ACTION_REQUIRED")
    );
    if open && fake.approved.contains(id) {
        order["status"] = json!("APPROVED");
    }
    order
}

async fn create_order(State(s): State<Shared>, headers: HeaderMap, body: Bytes) -> Response {
    let mut fake = s.lock().unwrap();
    let seen = match admit(&mut fake, "/v2/checkout/orders".into(), &headers, &body) {
        Ok(seen) => seen,
        Err((status, body)) => return respond(status, body),
    };
    let (status, body) = idempotent(&mut fake, &seen, |fake| {
        let b = &seen.body;
        let unit = &b["purchase_units"][0];
        let value = unit["amount"]["value"].as_str().unwrap_or_default();
        let decimal = !value.is_empty()
            && value.split('.').count() <= 2
            && value.chars().all(|c| c.is_ascii_digit() || c == '.');
        if b["intent"] != "CAPTURE" || !decimal {
            return unprocessable("INVALID_PARAMETER_VALUE", "intent or amount");
        }
        fake.next_id += 1;
        let id = format!("5O190127TN36{:05}", fake.next_id);
        let with_source = b["payment_source"]["paypal"].is_object();
        let (status, rel) = if with_source {
            ("PAYER_ACTION_REQUIRED", "payer-action")
        } else {
            ("CREATED", "approve")
        };
        let order = json!({
            "id": id, "intent": "CAPTURE", "status": status,
            "purchase_units": [{"reference_id": unit["reference_id"], "custom_id": unit["custom_id"],
                "invoice_id": unit["invoice_id"], "amount": unit["amount"]}],
            "create_time": "2024-01-01T00:00:00Z",
            "links": [
                {"href": format!("https://api-m.sandbox.paypal.com/v2/checkout/orders/{id}"), "rel": "self", "method": "GET"},
                {"href": format!("https://www.sandbox.paypal.com/checkoutnow?token={id}"), "rel": rel, "method": "GET"},
            ],
        });
        fake.orders.insert(id, order.clone());
        (StatusCode::CREATED, order)
    });
    respond(status, body)
}

async fn get_order(
    State(s): State<Shared>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    let mut fake = s.lock().unwrap();
    if let Err((status, body)) = admit(
        &mut fake,
        format!("/v2/checkout/orders/{id}"),
        &headers,
        b"",
    ) {
        return respond(status, body);
    }
    if !fake.orders.contains_key(&id) {
        let (status, body) = not_found();
        return respond(status, body);
    }
    respond(StatusCode::OK, order_view(&fake, &id))
}

async fn capture_order(
    State(s): State<Shared>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let mut fake = s.lock().unwrap();
    let path = format!("/v2/checkout/orders/{id}/capture");
    let seen = match admit(&mut fake, path, &headers, &body) {
        Ok(seen) => seen,
        Err((status, body)) => return respond(status, body),
    };
    let (status, body) = idempotent(&mut fake, &seen, |fake| {
        let Some(order) = fake.orders.get(&id) else {
            return not_found();
        };
        if order["status"] == "COMPLETED" {
            return unprocessable(
                "ORDER_ALREADY_CAPTURED",
                "Order already captured.If 'intent=CAPTURE' only one capture per order is allowed.",
            );
        }
        if !fake.approved.contains(&id) {
            return unprocessable(
                "ORDER_NOT_APPROVED",
                "Payer has not yet approved the Order for payment. Please redirect the payer to the 'rel':'approve' url returned as part of the HATEOAS links within the Create Order call or provide a valid payment_source in the request.",
            );
        }
        if fake.declines.contains(&id) {
            return unprocessable(
                "INSTRUMENT_DECLINED",
                "The instrument presented  was either declined by the processor or bank, or it can't be used for this payment.",
            );
        }
        fake.next_id += 1;
        let capture_id = format!("3C679366HH9{:05}", fake.next_id);
        fake.captures.insert(capture_id.clone(), id.clone());
        let order = fake.orders.get_mut(&id).unwrap();
        let amount = order["purchase_units"][0]["amount"].clone();
        order["status"] = json!("COMPLETED");
        order["purchase_units"][0]["payments"] = json!({"captures": [{
            "id": capture_id, "status": "COMPLETED", "amount": amount, "final_capture": true,
            "seller_protection": {"status": "ELIGIBLE"},
            "links": [{"href": format!("https://api-m.sandbox.paypal.com/v2/payments/captures/{capture_id}"), "rel": "self"}]}]});
        (StatusCode::CREATED, order.clone())
    });
    respond(status, body)
}

async fn refund_capture(
    State(s): State<Shared>,
    Path(capture_id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let mut fake = s.lock().unwrap();
    let path = format!("/v2/payments/captures/{capture_id}/refund");
    let seen = match admit(&mut fake, path, &headers, &body) {
        Ok(seen) => seen,
        Err((status, body)) => return respond(status, body),
    };
    let (status, body) = idempotent(&mut fake, &seen, |fake| {
        if !fake.captures.contains_key(&capture_id) {
            return not_found();
        }
        fake.next_id += 1;
        (
            StatusCode::CREATED,
            json!({"id": format!("1JU08902781{:05}", fake.next_id), "status": "COMPLETED",
                "amount": seen.body["amount"], "custom_id": seen.body["custom_id"],
                "links": [{"href": format!("https://api-m.sandbox.paypal.com/v2/payments/captures/{capture_id}"), "rel": "up"}]}),
        )
    });
    respond(status, body)
}

/// What the fake "PayPal" signs: the transmission, the webhook id and the event.
fn transmission_sig(id: &str, time: &str, webhook_id: &str, event: &Value) -> String {
    use aws_lc_rs::hmac;
    let key = hmac::Key::new(hmac::HMAC_SHA256, SIGNING_KEY);
    let data = format!(
        "{id}|{time}|{webhook_id}|{}",
        serde_json::to_string(event).unwrap()
    );
    base64::engine::general_purpose::STANDARD.encode(hmac::sign(&key, data.as_bytes()).as_ref())
}

async fn verify_signature(State(s): State<Shared>, headers: HeaderMap, body: Bytes) -> Response {
    let mut fake = s.lock().unwrap();
    let seen = match admit(
        &mut fake,
        "/v1/notifications/verify-webhook-signature".into(),
        &headers,
        &body,
    ) {
        Ok(seen) => seen,
        Err((status, body)) => return respond(status, body),
    };
    fake.verifications += 1;
    let b = &seen.body;
    let field = |name: &str| b[name].as_str().unwrap_or_default().to_owned();
    for name in [
        "auth_algo",
        "cert_url",
        "transmission_id",
        "transmission_sig",
        "transmission_time",
        "webhook_id",
    ] {
        if field(name).is_empty() {
            return respond(
                StatusCode::BAD_REQUEST,
                json!({"name": "VALIDATION_ERROR", "message": "Invalid request - see details",
                "details": [{"field": name, "issue": "MISSING_REQUIRED_PARAMETER"}]}),
            );
        }
    }
    if !b["webhook_event"].is_object() {
        return respond(
            StatusCode::BAD_REQUEST,
            json!({"name": "VALIDATION_ERROR", "message": "webhook_event"}),
        );
    }
    let expected = transmission_sig(
        &field("transmission_id"),
        &field("transmission_time"),
        WEBHOOK_ID,
        &b["webhook_event"],
    );
    let ok = field("webhook_id") == WEBHOOK_ID && field("transmission_sig") == expected;
    respond(
        StatusCode::OK,
        json!({"verification_status": if ok { "SUCCESS" } else { "FAILURE" }}),
    )
}

async fn fake_paypal() -> (String, Shared) {
    let state = Shared::default();
    let router = Router::new()
        .route("/v1/oauth2/token", post(token))
        .route("/v2/checkout/orders", post(create_order))
        .route("/v2/checkout/orders/{id}", get(get_order))
        .route("/v2/checkout/orders/{id}/capture", post(capture_order))
        .route("/v2/payments/captures/{id}/refund", post(refund_capture))
        .route(
            "/v1/notifications/verify-webhook-signature",
            post(verify_signature),
        )
        .with_state(state.clone());
    (serve(router).await, state)
}

fn provider_with(settings: Value, secret: &str) -> Arc<dyn PaymentProvider> {
    Registry::builtin()
        .build(
            "paypal",
            &ProviderConfig::new(settings, [("client_secret", secret)]),
        )
        .unwrap()
}

fn settings(api_base: &str) -> Value {
    json!({"client_id": CLIENT_ID, "webhook_id": WEBHOOK_ID, "api_base": api_base, "timeout_secs": 5})
}

async fn paypal() -> (Arc<dyn PaymentProvider>, Shared) {
    let (base, state) = fake_paypal().await;
    (provider_with(settings(&base), SECRET), state)
}

fn with_urls(key: &str) -> gateways::NewPayment {
    let mut p = new_payment(key, None);
    p.return_url = Some("https://gamarra.example/checkout/paypal/return".into());
    p.cancel_url = Some("https://gamarra.example/checkout/paypal/cancel".into());
    p
}

fn last(state: &Shared) -> Seen {
    state.lock().unwrap().seen.last().unwrap().clone()
}

fn tokens(state: &Shared) -> usize {
    state.lock().unwrap().tokens_issued
}

#[tokio::test]
async fn creates_an_order_with_an_approval_link() {
    let (p, state) = paypal().await;
    let order = p.create_payment(&with_urls("gmr-key-1")).await.unwrap();
    assert_eq!(order.status, PaymentStatus::RequiresAction);
    assert_eq!(
        order.next_action,
        NextAction::Redirect {
            url: format!(
                "https://www.sandbox.paypal.com/checkoutnow?token={}",
                order.reference
            )
        }
    );
    let seen = last(&state);
    assert_eq!(seen.path, "/v2/checkout/orders");
    assert_eq!(seen.request_id.as_deref(), Some("gmr-key-1"));
    let b = &seen.body;
    assert_eq!(b["intent"], "CAPTURE");
    let unit = &b["purchase_units"][0];
    assert_eq!(unit["reference_id"], Uuid::from_u128(0x22).to_string());
    assert_eq!(unit["custom_id"], Uuid::from_u128(0x11).to_string());
    assert_eq!(unit["invoice_id"], "GMR-1001");
    assert_eq!(
        unit["amount"],
        json!({"currency_code": "PEN", "value": "50.00"})
    );
    let ctx = &b["payment_source"]["paypal"]["experience_context"];
    assert_eq!(
        ctx["return_url"],
        "https://gamarra.example/checkout/paypal/return"
    );
    assert_eq!(
        ctx["cancel_url"],
        "https://gamarra.example/checkout/paypal/cancel"
    );

    // The same key: the same order.
    let again = p.create_payment(&with_urls("gmr-key-1")).await.unwrap();
    assert_eq!(again, order);
    assert_eq!(state.lock().unwrap().orders.len(), 1);

    // Without return URLs: a CREATED order and its `approve` link; yen have no decimals.
    let mut yen = new_payment("gmr-key-2", None);
    yen.currency = "JPY".into();
    let created = p.create_payment(&yen).await.unwrap();
    assert!(
        matches!(created.next_action, NextAction::Redirect { ref url } if url.contains(&created.reference))
    );
    let seen = last(&state);
    assert_eq!(seen.body["purchase_units"][0]["amount"]["value"], "5000");
    assert!(seen.body.get("payment_source").is_none());
}

#[tokio::test]
async fn one_token_serves_many_calls() {
    let (p, state) = paypal().await;
    let (k1, k2, k3) = (with_urls("k1"), with_urls("k2"), with_urls("k3"));
    let (a, b, c) = tokio::join!(
        p.create_payment(&k1),
        p.create_payment(&k2),
        p.create_payment(&k3),
    );
    for r in [a, b, c] {
        r.unwrap();
    }
    p.create_payment(&with_urls("k4")).await.unwrap();
    assert_eq!(tokens(&state), 1);
}

#[tokio::test]
async fn expired_tokens_are_replaced() {
    let (p, state) = paypal().await;
    state.lock().unwrap().expires_in = 0;
    p.create_payment(&with_urls("k1")).await.unwrap();
    p.create_payment(&with_urls("k2")).await.unwrap();
    assert_eq!(tokens(&state), 2);
}

#[tokio::test]
async fn a_refused_token_is_replaced_once() {
    let (p, state) = paypal().await;
    p.create_payment(&with_urls("k1")).await.unwrap();
    // PayPal forgets the token before it expires: one 401, a new token, the call succeeds.
    state.lock().unwrap().valid_tokens.clear();
    p.create_payment(&with_urls("k2")).await.unwrap();
    assert_eq!(tokens(&state), 2);
    p.create_payment(&with_urls("k3")).await.unwrap();
    assert_eq!(tokens(&state), 2);

    // Refused again with the new token: the credentials are the problem, no loop.
    state.lock().unwrap().refuse_tokens = true;
    let err = p.create_payment(&with_urls("k4")).await.unwrap_err();
    assert!(matches!(err, PaymentError::Unauthorized(_)), "{err:?}");
    assert_eq!(tokens(&state), 3);
}

#[tokio::test]
async fn confirm_captures_an_approved_order() {
    let (p, state) = paypal().await;
    let order = p.create_payment(&with_urls("k1")).await.unwrap();

    // The payer has not approved yet: still theirs to do, with the same link.
    let waiting = p.confirm(&order.reference, "capture-1").await.unwrap();
    assert_eq!(waiting.status, PaymentStatus::RequiresAction);
    assert_eq!(waiting.next_action, order.next_action);

    state
        .lock()
        .unwrap()
        .approved
        .insert(order.reference.clone());
    let captured = p.confirm(&order.reference, "capture-2").await.unwrap();
    assert_eq!(captured.status, PaymentStatus::Captured);
    assert_eq!(captured.captured_minor, Some(5000));
    assert_eq!(captured.next_action, NextAction::None);
    let capture_calls: Vec<_> = state
        .lock()
        .unwrap()
        .seen
        .iter()
        .filter(|s| s.path.ends_with("/capture"))
        .map(|s| s.request_id.clone().unwrap())
        .collect();
    assert_eq!(capture_calls, ["capture-1", "capture-2"]);

    // The same key replays; another key finds the order captured.
    assert_eq!(
        p.confirm(&order.reference, "capture-2").await.unwrap(),
        captured
    );
    assert_eq!(
        p.confirm(&order.reference, "capture-3")
            .await
            .unwrap()
            .status,
        PaymentStatus::Captured
    );
    assert!(matches!(
        p.confirm("NOSUCHORDER", "capture-4").await,
        Err(PaymentError::Rejected(_))
    ));
}

#[tokio::test]
async fn a_declined_instrument_is_a_decline() {
    let (p, state) = paypal().await;
    let order = p.create_payment(&with_urls("k1")).await.unwrap();
    {
        let mut fake = state.lock().unwrap();
        fake.approved.insert(order.reference.clone());
        fake.declines.insert(order.reference.clone());
    }
    match p.confirm(&order.reference, "c1").await {
        Err(PaymentError::Declined(f)) => {
            assert_eq!(f.code, "INSTRUMENT_DECLINED");
            assert!(f.message.contains("declined"), "{}", f.message);
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn refunds_go_to_the_capture() {
    let (p, state) = paypal().await;
    let order = p.create_payment(&with_urls("k1")).await.unwrap();
    let refund = NewRefund {
        refund_id: Uuid::from_u128(0x44),
        payment_reference: order.reference.clone(),
        amount_minor: 1050,
        currency: "PEN".into(),
        idempotency_key: "refund-1".into(),
        reason: Some("the shoes did not fit".into()),
    };
    // Nothing captured yet: nothing to refund.
    assert!(matches!(
        p.refund(&refund).await,
        Err(PaymentError::Rejected(_))
    ));

    state
        .lock()
        .unwrap()
        .approved
        .insert(order.reference.clone());
    p.confirm(&order.reference, "c1").await.unwrap();
    let capture_id = state
        .lock()
        .unwrap()
        .captures
        .keys()
        .next()
        .unwrap()
        .clone();

    let r = p.refund(&refund).await.unwrap();
    assert_eq!((r.status, r.amount_minor), (RefundStatus::Succeeded, 1050));
    let seen = last(&state);
    assert_eq!(
        seen.path,
        format!("/v2/payments/captures/{capture_id}/refund")
    );
    assert_eq!(seen.request_id.as_deref(), Some("refund-1"));
    assert_eq!(
        seen.body["amount"],
        json!({"currency_code": "PEN", "value": "10.50"})
    );
    assert_eq!(seen.body["custom_id"], Uuid::from_u128(0x44).to_string());
    assert_eq!(seen.body["note_to_payer"], "the shoes did not fit");
    assert_eq!(p.refund(&refund).await.unwrap(), r);
}

#[tokio::test]
async fn cancel_calls_nothing() {
    let (p, state) = paypal().await;
    let c = p.cancel("5O190127TN36000001").await.unwrap();
    assert_eq!(c.status, PaymentStatus::Cancelled);
    assert_eq!(c.reference, "5O190127TN36000001");
    assert_eq!(tokens(&state), 0);
    assert!(state.lock().unwrap().seen.is_empty());
}

#[tokio::test]
async fn rate_limits_and_outages_may_be_retried() {
    let (p, state) = paypal().await;
    for status in [
        StatusCode::TOO_MANY_REQUESTS,
        StatusCode::SERVICE_UNAVAILABLE,
    ] {
        state.lock().unwrap().fail_next = Some(status);
        let err = p.create_payment(&with_urls("k1")).await.unwrap_err();
        assert!(
            matches!(err, PaymentError::Unavailable(_)),
            "{status}: {err:?}"
        );
    }
    assert!(p.create_payment(&with_urls("k1")).await.is_ok());

    let down = provider_with(settings(&closed_port().await), SECRET);
    let err = down.create_payment(&with_urls("k1")).await.unwrap_err();
    assert!(matches!(err, PaymentError::Unavailable(_)), "{err:?}");
    assert_hidden(&err, SECRET);
    assert!(matches!(
        down.check().await,
        Err(PaymentError::Unavailable(_))
    ));
}

#[tokio::test]
async fn a_wrong_secret_is_unauthorized_and_never_shown() {
    let (base, _) = fake_paypal().await;
    provider_with(settings(&base), SECRET)
        .check()
        .await
        .unwrap();

    let wrong = "EKwrongSecretHunter3";
    let p = provider_with(settings(&base), wrong);
    let err = p.check().await.unwrap_err();
    assert!(matches!(err, PaymentError::Unauthorized(_)), "{err:?}");
    assert!(err.to_string().contains("invalid_client"), "{err}");
    assert_hidden(&err, wrong);
    let err = p.create_payment(&with_urls("k1")).await.unwrap_err();
    assert!(matches!(err, PaymentError::Unauthorized(_)), "{err:?}");
    assert_hidden(&err, wrong);
}

#[test]
fn settings_are_checked() {
    let r = Registry::builtin();
    let build = |settings: Value| {
        r.build(
            "paypal",
            &ProviderConfig::new(settings, [("client_secret", SECRET)]),
        )
        .err()
        .map(|e| format!("{e:#}"))
    };
    assert_eq!(build(json!({"client_id": CLIENT_ID})), None);
    let e = build(json!({})).unwrap();
    assert!(e.contains("client_id"), "{e}");
    let e = build(json!({"client_id": CLIENT_ID, "sandbox": true})).unwrap();
    assert!(e.contains("sandbox"), "{e}");
    let e = build(json!({"client_id": CLIENT_ID, "api_base": "not a url"})).unwrap();
    assert!(e.contains("api_base"), "{e}");
    let e = r
        .build(
            "paypal",
            &ProviderConfig::new(json!({"client_id": CLIENT_ID}), std::iter::empty()),
        )
        .err()
        .map(|e| format!("{e:#}"))
        .unwrap();
    assert!(e.contains("client_secret"), "{e}");
}

fn signed_headers(body: &str, time: &str, sig: Option<&str>) -> HeaderMap {
    let event: Value = serde_json::from_str(body).unwrap();
    let sig = sig.map_or_else(
        || transmission_sig("69cd13f0-d67a-11e5-baa3", time, WEBHOOK_ID, &event),
        str::to_owned,
    );
    let mut h = HeaderMap::new();
    for (k, v) in [
        ("paypal-auth-algo", "SHA256withRSA"),
        (
            "paypal-cert-url",
            "https://api-m.sandbox.paypal.com/v1/notifications/certs/CERT-360caa42-fca2a594-1d93a270",
        ),
        ("paypal-transmission-id", "69cd13f0-d67a-11e5-baa3"),
        ("paypal-transmission-sig", sig.as_str()),
        ("paypal-transmission-time", time),
    ] {
        h.insert(k, v.parse().unwrap());
    }
    h
}

async fn deliver(
    p: &dyn PaymentProvider,
    headers: &HeaderMap,
    body: &str,
    received_at: OffsetDateTime,
) -> Result<WebhookEvent, WebhookError> {
    p.verify_webhook(&WebhookRequest {
        headers,
        body: body.as_bytes(),
        received_at,
    })
    .await
}

fn capture_completed() -> String {
    json!({
        "id": "WH-58D329510W468432D-8HN650336L201105X",
        "event_version": "1.0",
        "create_time": "2024-01-01T00:00:00.000Z",
        "resource_type": "capture",
        "resource_version": "2.0",
        "event_type": "PAYMENT.CAPTURE.COMPLETED",
        "summary": "Payment completed for PEN 50.00",
        "resource": {
            "id": "3C679366HH908993F", "status": "COMPLETED",
            "amount": {"currency_code": "PEN", "value": "50.00"},
            "final_capture": true,
            "supplementary_data": {"related_ids": {"order_id": "5O190127TN364715T"}},
            "links": [{"href": "https://api.paypal.com/v2/payments/captures/3C679366HH908993F", "rel": "self"}]
        }
    })
    .to_string()
}

#[tokio::test]
async fn webhooks_are_verified_by_paypal() {
    let (p, state) = paypal().await;
    let body = capture_completed();
    let now = OffsetDateTime::now_utc().replace_nanosecond(0).unwrap();
    let time = now.format(&Rfc3339).unwrap();

    let ev = deliver(&*p, &signed_headers(&body, &time, None), &body, now)
        .await
        .unwrap();
    assert_eq!(ev.id, "WH-58D329510W468432D-8HN650336L201105X");
    assert_eq!(
        ev.kind,
        WebhookKind::Payment {
            reference: "5O190127TN364715T".into(),
            status: PaymentStatus::Captured,
            captured_minor: Some(5000),
            failure: None,
        }
    );
    // Our request carried the transmission, our webhook id and the body as the event.
    let seen = last(&state);
    assert_eq!(seen.path, "/v1/notifications/verify-webhook-signature");
    assert_eq!(seen.body["webhook_id"], WEBHOOK_ID);
    assert_eq!(seen.body["auth_algo"], "SHA256withRSA");
    assert_eq!(seen.body["transmission_time"], time.as_str());
    assert_eq!(
        seen.body["webhook_event"],
        serde_json::from_str::<Value>(&body).unwrap()
    );

    // PayPal says no: a forged signature, or a body changed on the way.
    let forged = signed_headers(&body, &time, Some("Zm9yZ2Vk"));
    assert!(matches!(
        deliver(&*p, &forged, &body, now).await,
        Err(WebhookError::Signature(_))
    ));
    let changed = body.replace("50.00", "5000.00");
    assert!(matches!(
        deliver(&*p, &signed_headers(&body, &time, None), &changed, now).await,
        Err(WebhookError::Signature(_))
    ));
    let asked = state.lock().unwrap().verifications;
    assert_eq!(asked, 3);

    // Refused before asking PayPal: old, or without its headers.
    let old = (now - time::Duration::seconds(301))
        .format(&Rfc3339)
        .unwrap();
    assert!(matches!(
        deliver(&*p, &signed_headers(&body, &old, None), &body, now).await,
        Err(WebhookError::Stale)
    ));
    let mut missing = signed_headers(&body, &time, None);
    missing.remove("paypal-transmission-sig");
    assert!(matches!(
        deliver(&*p, &missing, &body, now).await,
        Err(WebhookError::Signature(_))
    ));
    assert_eq!(state.lock().unwrap().verifications, asked);

    // PayPal unreachable: it will deliver again.
    state.lock().unwrap().fail_next = Some(StatusCode::SERVICE_UNAVAILABLE);
    assert!(matches!(
        deliver(&*p, &signed_headers(&body, &time, None), &body, now).await,
        Err(WebhookError::Unavailable(_))
    ));
}

#[tokio::test]
async fn webhooks_need_a_webhook_id() {
    let (base, state) = fake_paypal().await;
    let p = provider_with(json!({"client_id": CLIENT_ID, "api_base": base}), SECRET);
    let body = capture_completed();
    let now = OffsetDateTime::now_utc();
    let time = now.format(&Rfc3339).unwrap();
    assert!(matches!(
        deliver(&*p, &signed_headers(&body, &time, None), &body, now).await,
        Err(WebhookError::Signature(_))
    ));
    assert_eq!(state.lock().unwrap().verifications, 0);
}

#[tokio::test]
async fn refund_and_other_events() {
    let (p, _) = paypal().await;
    let now = OffsetDateTime::now_utc();
    let time = now.format(&Rfc3339).unwrap();
    let refunded = json!({
        "id": "WH-1GE84257G0350133W-6RW800890C634293G",
        "event_type": "PAYMENT.CAPTURE.REFUNDED",
        "resource_type": "refund",
        "resource": {
            "id": "1JU08902781691411", "status": "COMPLETED",
            "amount": {"currency_code": "PEN", "value": "10.50"},
            "links": [
                {"href": "https://api.paypal.com/v2/payments/refunds/1JU08902781691411", "rel": "self"},
                {"href": "https://api.paypal.com/v2/payments/captures/3C679366HH908993F", "rel": "up"}
            ]
        }
    })
    .to_string();
    let ev = deliver(&*p, &signed_headers(&refunded, &time, None), &refunded, now)
        .await
        .unwrap();
    assert_eq!(
        ev.kind,
        WebhookKind::Refund {
            payment_reference: "3C679366HH908993F".into(),
            reference: "1JU08902781691411".into(),
            status: RefundStatus::Succeeded,
            amount_minor: 1050,
        }
    );
    let approved = json!({"id": "WH-2", "event_type": "CHECKOUT.ORDER.APPROVED",
        "resource": {"id": "5O190127TN364715T", "status": "APPROVED"}})
    .to_string();
    let ev = deliver(&*p, &signed_headers(&approved, &time, None), &approved, now)
        .await
        .unwrap();
    assert_eq!(
        ev.kind,
        WebhookKind::Other("CHECKOUT.ORDER.APPROVED".into())
    );
}
