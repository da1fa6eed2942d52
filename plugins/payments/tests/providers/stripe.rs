//! The Stripe provider against a local Stripe: form-encoded bodies, `Authorization: Bearer`,
//! `Idempotency-Key` replays, card errors, rate limits and `Stripe-Signature` webhooks.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
};

use axum::{
    Router,
    body::Bytes,
    extract::{Path, State},
    http::{HeaderMap, Method, StatusCode},
    response::{IntoResponse, Response},
    routing::{get, post},
};
use gateways::{
    NewRefund, NextAction, PaymentError, PaymentProvider, PaymentStatus, ProviderConfig,
    RefundStatus, Registry, WebhookError, WebhookKind, WebhookRequest,
};
use serde_json::{Value, json};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::{assert_hidden, closed_port, new_payment, serve};

const KEY: &str = "sk_test_51GmrFakeKey0123456789";
const WHSEC: &str = "whsec_gmr_test_secret";

/// One request as the fake saw it.
#[derive(Clone, Debug)]
struct Seen {
    method: Method,
    path: String,
    key: Option<String>,
    form: Vec<(String, String)>,
}

impl Seen {
    fn param(&self, name: &str) -> Option<&str> {
        self.form
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

type Form = Vec<(String, String)>;

#[derive(Default)]
struct Fake {
    intents: HashMap<String, Value>,
    refunded: HashMap<String, i64>,
    /// Idempotency key → (request, answer): a repeat replays the answer.
    replays: HashMap<String, (Form, StatusCode, Value)>,
    next_id: usize,
    seen: Vec<Seen>,
    /// The next request is answered with this status (429, 500).
    fail_next: Option<StatusCode>,
}

type Shared = Arc<Mutex<Fake>>;

fn error(status: StatusCode, kind: &str, code: Option<&str>, message: &str) -> (StatusCode, Value) {
    (
        status,
        json!({"error": {"type": kind, "code": code, "message": message}}),
    )
}

fn intent_json(id: &str, form: &HashMap<String, String>, status: &str) -> Value {
    let amount: i64 = form["amount"].parse().unwrap();
    let metadata: serde_json::Map<String, Value> = form
        .iter()
        .filter_map(|(k, v)| {
            let name = k.strip_prefix("metadata[")?.strip_suffix(']')?;
            Some((name.to_owned(), json!(v)))
        })
        .collect();
    json!({
        "id": id,
        "object": "payment_intent",
        "amount": amount,
        "amount_capturable": if status == "requires_capture" { amount } else { 0 },
        "amount_received": if status == "succeeded" { amount } else { 0 },
        "automatic_payment_methods": {"enabled": true},
        "capture_method": "automatic_async",
        "client_secret": format!("{id}_secret_Xk2sE1"),
        "confirmation_method": "automatic",
        "created": 1_700_000_000,
        "currency": form["currency"],
        "description": form.get("description"),
        "last_payment_error": null,
        "latest_charge": if status == "succeeded" { json!(format!("ch_{id}")) } else { Value::Null },
        "livemode": false,
        "metadata": metadata,
        "next_action": null,
        "payment_method": form.get("payment_method"),
        "payment_method_types": ["card"],
        "status": status,
    })
}

/// Checks the credentials, parses the form, records the request and applies `fail_next`.
fn admit(
    fake: &mut Fake,
    method: Method,
    path: String,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<Seen, (StatusCode, Value)> {
    let auth = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if auth != format!("Bearer {KEY}") {
        // Echoes the key it got, so the test can check the provider never repeats it.
        let given = auth.strip_prefix("Bearer ").unwrap_or(auth);
        return Err(error(
            StatusCode::UNAUTHORIZED,
            "invalid_request_error",
            None,
            &format!("Invalid API Key provided: {given}"),
        ));
    }
    if !body.is_empty() {
        let ct = headers
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        assert_eq!(ct, "application/x-www-form-urlencoded", "{path}");
    }
    let form: Vec<(String, String)> = serde_urlencoded::from_bytes(body).expect("a form body");
    let seen = Seen {
        method,
        path,
        key: headers
            .get("idempotency-key")
            .map(|v| v.to_str().unwrap().to_owned()),
        form,
    };
    fake.seen.push(seen.clone());
    if let Some(status) = fake.fail_next.take() {
        let code = (status == StatusCode::TOO_MANY_REQUESTS).then_some("rate_limit");
        let kind = if status.is_server_error() {
            "api_error"
        } else {
            "invalid_request_error"
        };
        return Err(error(status, kind, code, "Try again later."));
    }
    Ok(seen)
}

/// Runs `f` once per idempotency key; a repeat with the same parameters gets the first answer,
/// one with other parameters an `idempotency_error`, as Stripe does.
fn idempotent(
    fake: &mut Fake,
    seen: &Seen,
    f: impl FnOnce(&mut Fake) -> (StatusCode, Value),
) -> (StatusCode, Value) {
    let Some(key) = seen.key.clone() else {
        return f(fake);
    };
    // Parameters compare as a set: metadata keys come in any order.
    let mut params = seen.form.clone();
    params.sort();
    if let Some((form, status, answer)) = fake.replays.get(&key) {
        if *form != params {
            return error(
                StatusCode::BAD_REQUEST,
                "idempotency_error",
                None,
                "Keys for idempotent requests can only be used with the same parameters.",
            );
        }
        return (*status, answer.clone());
    }
    let (status, answer) = f(fake);
    fake.replays.insert(key, (params, status, answer.clone()));
    (status, answer)
}

fn respond((status, body): (StatusCode, Value)) -> Response {
    (status, axum::Json(body)).into_response()
}

async fn create_intent(State(s): State<Shared>, headers: HeaderMap, body: Bytes) -> Response {
    let mut fake = s.lock().unwrap();
    let seen = match admit(
        &mut fake,
        Method::POST,
        "/v1/payment_intents".into(),
        &headers,
        &body,
    ) {
        Ok(seen) => seen,
        Err(e) => return respond(e),
    };
    respond(idempotent(&mut fake, &seen, |fake| {
        let form: HashMap<String, String> = seen.form.iter().cloned().collect();
        let ok_amount = form
            .get("amount")
            .and_then(|a| a.parse::<i64>().ok())
            .is_some_and(|a| a > 0);
        let ok_currency = form
            .get("currency")
            .is_some_and(|c| c.len() == 3 && c.chars().all(|c| c.is_ascii_lowercase()));
        if !ok_amount || !ok_currency {
            return error(
                StatusCode::BAD_REQUEST,
                "invalid_request_error",
                Some("parameter_invalid_integer"),
                "Invalid amount or currency.",
            );
        }
        fake.next_id += 1;
        let id = format!("pi_3Fake{:04}", fake.next_id);
        let method = form.get("payment_method").map(String::as_str);
        let confirm = form.get("confirm").map(String::as_str) == Some("true");
        if method.is_some() != confirm {
            return error(
                StatusCode::BAD_REQUEST,
                "invalid_request_error",
                Some("parameter_missing"),
                "A payment method is confirmed with confirm=true.",
            );
        }
        let status = match method {
            None => "requires_payment_method",
            Some("pm_card_visa") => "succeeded",
            Some("pm_card_authorize") => "requires_capture",
            Some("pm_card_threeDSecure2Required" | "pm_card_redirect") => "requires_action",
            Some(decline @ ("pm_card_chargeDeclined" | "pm_card_insufficientFunds")) => {
                let decline_code = if decline == "pm_card_chargeDeclined" {
                    "generic_decline"
                } else {
                    "insufficient_funds"
                };
                let last_error = json!({"type": "card_error", "code": "card_declined",
                    "decline_code": decline_code, "message": "Your card was declined."});
                let mut intent = intent_json(&id, &form, "requires_payment_method");
                intent["last_payment_error"] = last_error.clone();
                fake.intents.insert(id.clone(), intent.clone());
                let mut err = last_error;
                err["payment_intent"] = intent;
                err["request_log_url"] = json!("https://dashboard.stripe.com/test/logs/req_1");
                return (StatusCode::PAYMENT_REQUIRED, json!({"error": err}));
            }
            Some(_) => {
                return error(
                    StatusCode::BAD_REQUEST,
                    "invalid_request_error",
                    Some("resource_missing"),
                    "No such PaymentMethod.",
                );
            }
        };
        let mut intent = intent_json(&id, &form, status);
        match method {
            Some("pm_card_threeDSecure2Required") => {
                intent["next_action"] = json!({"type": "use_stripe_sdk",
                    "use_stripe_sdk": {"type": "three_d_secure_redirect", "stripe_js": "https://hooks.stripe.com/3d"}});
            }
            Some("pm_card_redirect") => {
                intent["next_action"] = json!({"type": "redirect_to_url", "redirect_to_url": {
                    "url": format!("https://hooks.stripe.com/redirect/authenticate/src_{id}"),
                    "return_url": form.get("return_url")}});
            }
            _ => {}
        }
        fake.intents.insert(id, intent.clone());
        (StatusCode::OK, intent)
    }))
}

fn missing(id: &str) -> (StatusCode, Value) {
    error(
        StatusCode::NOT_FOUND,
        "invalid_request_error",
        Some("resource_missing"),
        &format!("No such payment_intent: '{id}'"),
    )
}

fn unexpected_state(status: &str) -> (StatusCode, Value) {
    error(
        StatusCode::BAD_REQUEST,
        "invalid_request_error",
        Some("payment_intent_unexpected_state"),
        &format!("This PaymentIntent's status is {status}."),
    )
}

async fn get_intent(
    State(s): State<Shared>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    let mut fake = s.lock().unwrap();
    if let Err(e) = admit(
        &mut fake,
        Method::GET,
        format!("/v1/payment_intents/{id}"),
        &headers,
        b"",
    ) {
        return respond(e);
    }
    respond(match fake.intents.get(&id) {
        Some(intent) => (StatusCode::OK, intent.clone()),
        None => missing(&id),
    })
}

async fn intent_action(
    State(s): State<Shared>,
    Path((id, action)): Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let mut fake = s.lock().unwrap();
    let path = format!("/v1/payment_intents/{id}/{action}");
    let seen = match admit(&mut fake, Method::POST, path, &headers, &body) {
        Ok(seen) => seen,
        Err(e) => return respond(e),
    };
    respond(idempotent(&mut fake, &seen, |fake| {
        let Some(intent) = fake.intents.get_mut(&id) else {
            return missing(&id);
        };
        let status = intent["status"].as_str().unwrap().to_owned();
        match action.as_str() {
            "capture" if status == "requires_capture" => {
                intent["amount_received"] = intent["amount_capturable"].clone();
                intent["amount_capturable"] = json!(0);
                intent["status"] = json!("succeeded");
            }
            "cancel" if !matches!(status.as_str(), "succeeded" | "canceled") => {
                intent["status"] = json!("canceled");
                intent["canceled_at"] = json!(1_700_000_100);
                intent["cancellation_reason"] = json!("requested_by_customer");
            }
            "capture" | "cancel" => return unexpected_state(&status),
            _ => return missing(&id),
        }
        (StatusCode::OK, intent.clone())
    }))
}

async fn create_refund(State(s): State<Shared>, headers: HeaderMap, body: Bytes) -> Response {
    let mut fake = s.lock().unwrap();
    let seen = match admit(
        &mut fake,
        Method::POST,
        "/v1/refunds".into(),
        &headers,
        &body,
    ) {
        Ok(seen) => seen,
        Err(e) => return respond(e),
    };
    respond(idempotent(&mut fake, &seen, |fake| {
        let pi = seen.param("payment_intent").unwrap_or_default().to_owned();
        let Some(intent) = fake.intents.get(&pi) else {
            return missing(&pi);
        };
        let received = intent["amount_received"].as_i64().unwrap();
        let currency = intent["currency"].clone();
        let amount: i64 = seen
            .param("amount")
            .map_or(received, |a| a.parse().unwrap());
        if let Some(reason) = seen.param("reason")
            && !matches!(reason, "duplicate" | "fraudulent" | "requested_by_customer")
        {
            return error(
                StatusCode::BAD_REQUEST,
                "invalid_request_error",
                Some("parameter_invalid_string"),
                "Invalid reason.",
            );
        }
        let refunded = fake.refunded.entry(pi.clone()).or_default();
        if *refunded + amount > received {
            return error(
                StatusCode::BAD_REQUEST,
                "invalid_request_error",
                Some("amount_too_large"),
                "Refund amount is greater than unrefunded amount on charge.",
            );
        }
        *refunded += amount;
        fake.next_id += 1;
        let metadata: serde_json::Map<String, Value> = seen
            .form
            .iter()
            .filter_map(|(k, v)| {
                let name = k.strip_prefix("metadata[")?.strip_suffix(']')?;
                Some((name.to_owned(), json!(v)))
            })
            .collect();
        (
            StatusCode::OK,
            json!({
                "id": format!("re_3Fake{:04}", fake.next_id),
                "object": "refund",
                "amount": amount,
                "charge": format!("ch_{pi}"),
                "created": 1_700_000_200,
                "currency": currency,
                "metadata": metadata,
                "payment_intent": pi,
                "reason": seen.param("reason"),
                "status": "succeeded",
            }),
        )
    }))
}

async fn balance(State(s): State<Shared>, headers: HeaderMap) -> Response {
    let mut fake = s.lock().unwrap();
    if let Err(e) = admit(&mut fake, Method::GET, "/v1/balance".into(), &headers, b"") {
        return respond(e);
    }
    respond((
        StatusCode::OK,
        json!({"object": "balance", "livemode": false,
            "available": [{"amount": 0, "currency": "pen", "source_types": {"card": 0}}],
            "pending": [{"amount": 0, "currency": "pen", "source_types": {"card": 0}}]}),
    ))
}

async fn fake_stripe() -> (String, Shared) {
    let state = Shared::default();
    let router = Router::new()
        .route("/v1/payment_intents", post(create_intent))
        .route("/v1/payment_intents/{id}", get(get_intent))
        .route("/v1/payment_intents/{id}/{action}", post(intent_action))
        .route("/v1/refunds", post(create_refund))
        .route("/v1/balance", get(balance))
        .with_state(state.clone());
    (serve(router).await, state)
}

fn provider_with(api_base: &str, key: &str, webhook_secret: &str) -> Arc<dyn PaymentProvider> {
    Registry::builtin()
        .build(
            "stripe",
            &ProviderConfig::new(
                json!({"api_base": api_base, "timeout_secs": 5}),
                [("secret_key", key), ("webhook_secret", webhook_secret)],
            ),
        )
        .unwrap()
}

async fn stripe() -> (Arc<dyn PaymentProvider>, Shared) {
    let (base, state) = fake_stripe().await;
    (provider_with(&base, KEY, WHSEC), state)
}

fn last(state: &Shared) -> Seen {
    state.lock().unwrap().seen.last().unwrap().clone()
}

#[tokio::test]
async fn creates_an_intent_for_the_client_to_confirm() {
    let (s, state) = stripe().await;
    let p = s
        .create_payment(&new_payment("gmr-key-1", None))
        .await
        .unwrap();
    assert_eq!(p.status, PaymentStatus::RequiresAction);
    assert!(p.reference.starts_with("pi_"));
    assert_eq!(
        p.next_action,
        NextAction::ConfirmWithClientSecret {
            client_secret: format!("{}_secret_Xk2sE1", p.reference)
        }
    );
    let seen = last(&state);
    assert_eq!(seen.key.as_deref(), Some("gmr-key-1"));
    assert_eq!(seen.param("amount"), Some("5000"));
    assert_eq!(seen.param("currency"), Some("pen"));
    assert_eq!(
        seen.param("metadata[payment_id]"),
        Some(Uuid::from_u128(0x11).to_string().as_str())
    );
    assert_eq!(
        seen.param("metadata[order_id]"),
        Some(Uuid::from_u128(0x22).to_string().as_str())
    );
    assert_eq!(seen.param("description"), Some("Order GMR-1001"));
    assert_eq!(
        seen.param("automatic_payment_methods[enabled]"),
        Some("true")
    );
    assert_eq!(seen.param("confirm"), None);
    assert_eq!(seen.param("payment_method"), None);
}

#[tokio::test]
async fn one_idempotency_key_makes_one_intent() {
    let (s, state) = stripe().await;
    let a = s
        .create_payment(&new_payment("same-key", Some("pm_card_visa")))
        .await
        .unwrap();
    let b = s
        .create_payment(&new_payment("same-key", Some("pm_card_visa")))
        .await
        .unwrap();
    assert_eq!(a, b);
    assert_eq!(state.lock().unwrap().intents.len(), 1);
    let c = s
        .create_payment(&new_payment("other-key", Some("pm_card_visa")))
        .await
        .unwrap();
    assert_ne!(a.reference, c.reference);
    assert_eq!(state.lock().unwrap().intents.len(), 2);
    // The same key with other parameters is Stripe's idempotency_error: our mistake.
    let mut changed = new_payment("same-key", Some("pm_card_visa"));
    changed.amount_minor = 7000;
    assert!(matches!(
        s.create_payment(&changed).await,
        Err(PaymentError::Rejected(_))
    ));
}

#[tokio::test]
async fn a_method_token_confirms_at_once() {
    let (s, state) = stripe().await;
    let p = s
        .create_payment(&new_payment("k", Some("pm_card_visa")))
        .await
        .unwrap();
    assert_eq!(p.status, PaymentStatus::Captured);
    assert_eq!(p.captured_minor, Some(5000));
    assert_eq!(p.next_action, NextAction::None);
    let seen = last(&state);
    assert_eq!(seen.param("payment_method"), Some("pm_card_visa"));
    assert_eq!(seen.param("confirm"), Some("true"));
    // No return URL: redirect-based methods are turned off.
    assert_eq!(
        seen.param("automatic_payment_methods[allow_redirects]"),
        Some("never")
    );

    let mut with_return = new_payment("k2", Some("pm_card_visa"));
    with_return.return_url = Some("https://gamarra.example/checkout/return".into());
    s.create_payment(&with_return).await.unwrap();
    let seen = last(&state);
    assert_eq!(
        seen.param("return_url"),
        Some("https://gamarra.example/checkout/return")
    );
    assert_eq!(
        seen.param("automatic_payment_methods[allow_redirects]"),
        None
    );
}

#[tokio::test]
async fn card_declines_are_declines() {
    let (s, _) = stripe().await;
    for (pm, code) in [
        ("pm_card_chargeDeclined", "generic_decline"),
        ("pm_card_insufficientFunds", "insufficient_funds"),
    ] {
        match s.create_payment(&new_payment(pm, Some(pm))).await {
            Err(PaymentError::Declined(f)) => {
                assert_eq!(f.code, code);
                assert_eq!(f.message, "Your card was declined.");
            }
            other => panic!("{pm}: {other:?}"),
        }
    }
}

#[tokio::test]
async fn three_d_secure_needs_the_customer() {
    let (s, _) = stripe().await;
    let sdk = s
        .create_payment(&new_payment("k1", Some("pm_card_threeDSecure2Required")))
        .await
        .unwrap();
    assert_eq!(sdk.status, PaymentStatus::RequiresAction);
    assert!(matches!(
        sdk.next_action,
        NextAction::ConfirmWithClientSecret { ref client_secret } if client_secret.contains("_secret_")
    ));
    let redirect = s
        .create_payment(&new_payment("k2", Some("pm_card_redirect")))
        .await
        .unwrap();
    assert_eq!(
        redirect.next_action,
        NextAction::Redirect {
            url: format!(
                "https://hooks.stripe.com/redirect/authenticate/src_{}",
                redirect.reference
            )
        }
    );
}

#[tokio::test]
async fn confirm_captures_what_is_authorized() {
    let (s, state) = stripe().await;
    let authorized = s
        .create_payment(&new_payment("k1", Some("pm_card_authorize")))
        .await
        .unwrap();
    assert_eq!(authorized.status, PaymentStatus::Authorized);
    let captured = s
        .confirm(&authorized.reference, "confirm-key")
        .await
        .unwrap();
    assert_eq!(captured.status, PaymentStatus::Captured);
    assert_eq!(captured.captured_minor, Some(5000));
    let seen = last(&state);
    assert_eq!(
        seen.path,
        format!("/v1/payment_intents/{}/capture", authorized.reference)
    );
    assert_eq!(seen.key.as_deref(), Some("confirm-key"));
    // A retry replays the capture.
    assert_eq!(
        s.confirm(&authorized.reference, "confirm-key")
            .await
            .unwrap(),
        captured
    );

    // Not confirmed by the client yet: read, nothing captured.
    let waiting = s.create_payment(&new_payment("k2", None)).await.unwrap();
    let before = state.lock().unwrap().seen.len();
    let still = s.confirm(&waiting.reference, "ck2").await.unwrap();
    assert_eq!(still.status, PaymentStatus::RequiresAction);
    let seen = state.lock().unwrap().seen[before..].to_vec();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].method, Method::GET);

    // Confirmed by Stripe.js in the meantime.
    {
        let mut fake = state.lock().unwrap();
        let intent = fake.intents.get_mut(&waiting.reference).unwrap();
        intent["status"] = json!("succeeded");
        intent["amount_received"] = json!(5000);
    }
    let done = s.confirm(&waiting.reference, "ck3").await.unwrap();
    assert_eq!(
        (done.status, done.captured_minor),
        (PaymentStatus::Captured, Some(5000))
    );

    assert!(matches!(
        s.confirm("pi_missing", "ck4").await,
        Err(PaymentError::Rejected(_))
    ));
    assert!(matches!(
        s.confirm("pi_1/../../v1/balance", "ck5").await,
        Err(PaymentError::Rejected(_))
    ));
}

#[tokio::test]
async fn cancel_gives_up_an_open_intent() {
    let (s, _) = stripe().await;
    let open = s.create_payment(&new_payment("k1", None)).await.unwrap();
    let cancelled = s.cancel(&open.reference).await.unwrap();
    assert_eq!(cancelled.status, PaymentStatus::Cancelled);
    // Twice: where it stands.
    assert_eq!(
        s.cancel(&open.reference).await.unwrap().status,
        PaymentStatus::Cancelled
    );
    let paid = s
        .create_payment(&new_payment("k2", Some("pm_card_visa")))
        .await
        .unwrap();
    assert!(matches!(
        s.cancel(&paid.reference).await,
        Err(PaymentError::Rejected(_))
    ));
}

#[tokio::test]
async fn refunds_carry_the_key_and_the_reason() {
    let (s, state) = stripe().await;
    let paid = s
        .create_payment(&new_payment("k1", Some("pm_card_visa")))
        .await
        .unwrap();
    let refund = |key: &str, amount: i64, reason: Option<&str>| NewRefund {
        refund_id: Uuid::from_u128(0x33),
        payment_reference: paid.reference.clone(),
        amount_minor: amount,
        currency: "PEN".into(),
        idempotency_key: key.into(),
        reason: reason.map(Into::into),
    };
    let r = s
        .refund(&refund("r1", 1500, Some("requested_by_customer")))
        .await
        .unwrap();
    assert!(r.reference.starts_with("re_"));
    assert_eq!((r.status, r.amount_minor), (RefundStatus::Succeeded, 1500));
    let seen = last(&state);
    assert_eq!(seen.path, "/v1/refunds");
    assert_eq!(seen.key.as_deref(), Some("r1"));
    assert_eq!(seen.param("payment_intent"), Some(paid.reference.as_str()));
    assert_eq!(seen.param("amount"), Some("1500"));
    assert_eq!(seen.param("reason"), Some("requested_by_customer"));
    assert_eq!(
        seen.param("metadata[refund_id]"),
        Some(Uuid::from_u128(0x33).to_string().as_str())
    );
    // The same key: the same refund, once.
    assert_eq!(
        s.refund(&refund("r1", 1500, Some("requested_by_customer")))
            .await
            .unwrap(),
        r
    );

    // A reason in the customer's words goes to the metadata.
    s.refund(&refund("r2", 1000, Some("the shoes did not fit")))
        .await
        .unwrap();
    let seen = last(&state);
    assert_eq!(seen.param("reason"), None);
    assert_eq!(
        seen.param("metadata[reason]"),
        Some("the shoes did not fit")
    );
    assert_eq!(state.lock().unwrap().refunded[&paid.reference], 2500);

    assert!(matches!(
        s.refund(&refund("r3", 5000, None)).await,
        Err(PaymentError::Rejected(_))
    ));
}

#[tokio::test]
async fn rate_limits_and_outages_may_be_retried() {
    let (s, state) = stripe().await;
    for status in [
        StatusCode::TOO_MANY_REQUESTS,
        StatusCode::INTERNAL_SERVER_ERROR,
    ] {
        state.lock().unwrap().fail_next = Some(status);
        let err = s
            .create_payment(&new_payment("k1", None))
            .await
            .unwrap_err();
        assert!(
            matches!(err, PaymentError::Unavailable(_)),
            "{status}: {err:?}"
        );
    }
    // Each failed attempt reached Stripe once: async-stripe did not retry on its own.
    assert_eq!(state.lock().unwrap().seen.len(), 2);
    // Nothing was stored under the key: the retry creates the intent.
    assert!(s.create_payment(&new_payment("k1", None)).await.is_ok());

    let down = provider_with(&closed_port().await, KEY, WHSEC);
    let err = down
        .create_payment(&new_payment("k1", None))
        .await
        .unwrap_err();
    assert!(matches!(err, PaymentError::Unavailable(_)), "{err:?}");
    assert_hidden(&err, KEY);
}

#[tokio::test]
async fn refused_keys_are_unauthorized_and_never_shown() {
    let (base, _) = fake_stripe().await;
    let good = provider_with(&base, KEY, WHSEC);
    good.check().await.unwrap();

    let wrong_key = "sk_test_51WrongKeyHunter2";
    let s = provider_with(&base, wrong_key, WHSEC);
    let err = s.check().await.unwrap_err();
    assert!(matches!(err, PaymentError::Unauthorized(_)), "{err:?}");
    assert_hidden(&err, wrong_key);
    let err = s.create_payment(&new_payment("k", None)).await.unwrap_err();
    assert!(matches!(err, PaymentError::Unauthorized(_)), "{err:?}");
    assert!(err.to_string().contains("Invalid API Key"), "{err}");
    assert_hidden(&err, wrong_key);
}

#[test]
fn settings_are_checked() {
    let r = Registry::builtin();
    let build = |settings: Value, creds: &[(&str, &str)]| {
        r.build(
            "stripe",
            &ProviderConfig::new(settings, creds.iter().copied()),
        )
        .err()
        .map(|e| format!("{e:#}"))
    };
    let creds = [("secret_key", KEY), ("webhook_secret", WHSEC)];
    assert_eq!(build(json!({}), &creds), None);
    assert_eq!(build(Value::Null, &creds), None);
    let e = build(json!({"api_key": "x"}), &creds).unwrap();
    assert!(e.contains("api_key"), "{e}");
    let e = build(json!({"api_base": "ftp://stripe"}), &creds).unwrap();
    assert!(e.contains("api_base"), "{e}");
    let e = build(json!({"timeout_secs": 0}), &creds).unwrap();
    assert!(e.contains("timeout_secs"), "{e}");
    let publishable = "pk_test_51Publishable";
    let e = build(
        json!({}),
        &[("secret_key", publishable), ("webhook_secret", WHSEC)],
    )
    .unwrap();
    assert!(e.contains("secret_key") && !e.contains(publishable), "{e}");
    let e = build(json!({}), &[("secret_key", KEY)]).unwrap();
    assert!(e.contains("webhook_secret") && !e.contains(KEY), "{e}");
}

/// `Stripe-Signature` computed here from Stripe's documentation, independently of the crate:
/// `t=<unix>,v1=hex(HMAC-SHA256(secret, "<t>.<body>"))`.
fn stripe_signature(secret: &str, t: i64, body: &str) -> String {
    use aws_lc_rs::hmac;
    let key = hmac::Key::new(hmac::HMAC_SHA256, secret.as_bytes());
    let tag = hmac::sign(&key, format!("{t}.{body}").as_bytes());
    format!("t={t},v1={}", hex::encode(tag.as_ref()))
}

async fn deliver(
    s: &dyn PaymentProvider,
    signature: Option<&str>,
    body: &str,
    received_at: OffsetDateTime,
) -> Result<gateways::WebhookEvent, WebhookError> {
    let mut headers = HeaderMap::new();
    if let Some(sig) = signature {
        headers.insert("stripe-signature", sig.parse().unwrap());
    }
    s.verify_webhook(&WebhookRequest {
        headers: &headers,
        body: body.as_bytes(),
        received_at,
    })
    .await
}

#[tokio::test]
async fn webhooks_signed_like_stripe() {
    let (s, _) = stripe().await;
    let body = json!({
        "id": "evt_3Fake", "object": "event", "api_version": "2025-09-30.clover",
        "type": "payment_intent.succeeded",
        "data": {"object": {"id": "pi_3Fake0001", "object": "payment_intent", "amount": 5000,
            "amount_received": 5000, "currency": "pen", "status": "succeeded"}}
    })
    .to_string();
    let now = OffsetDateTime::now_utc();
    let t = now.unix_timestamp();
    let good = stripe_signature(WHSEC, t, &body);

    let ev = deliver(&*s, Some(&good), &body, now).await.unwrap();
    assert_eq!(ev.id, "evt_3Fake");
    assert_eq!(
        ev.kind,
        WebhookKind::Payment {
            reference: "pi_3Fake0001".into(),
            status: PaymentStatus::Captured,
            captured_minor: Some(5000),
            failure: None,
        }
    );

    let mut flipped = body.clone().into_bytes();
    flipped[10] ^= 1;
    let flipped = String::from_utf8(flipped).unwrap();
    assert!(matches!(
        deliver(&*s, Some(&good), &flipped, now).await,
        Err(WebhookError::Signature(_))
    ));
    let other = stripe_signature("whsec_someone_else", t, &body);
    assert!(matches!(
        deliver(&*s, Some(&other), &body, now).await,
        Err(WebhookError::Signature(_))
    ));
    let old = stripe_signature(WHSEC, t - 301, &body);
    assert!(matches!(
        deliver(&*s, Some(&old), &body, now).await,
        Err(WebhookError::Stale)
    ));
    assert!(matches!(
        deliver(&*s, None, &body, now).await,
        Err(WebhookError::Signature(_))
    ));
    assert!(matches!(
        deliver(&*s, Some("v1=abc"), &body, now).await,
        Err(WebhookError::Signature(_))
    ));
    // Signed, but not an event.
    let junk = "{\"hello\": 1}";
    assert!(matches!(
        deliver(&*s, Some(&stripe_signature(WHSEC, t, junk)), junk, now).await,
        Err(WebhookError::Malformed(_))
    ));
    // A signature within the tolerance the other way (a clock ahead of ours) is fine.
    let ahead = stripe_signature(WHSEC, t + 60, &body);
    assert!(deliver(&*s, Some(&ahead), &body, now).await.is_ok());
}

#[tokio::test]
async fn webhook_secrets_rotate() {
    let (base, _) = fake_stripe().await;
    let s = provider_with(&base, KEY, "whsec_old_one, whsec_new_one");
    let body = json!({"id": "evt_r", "type": "refund.updated", "data": {"object": {
        "id": "re_1", "object": "refund", "amount": 1500, "status": "succeeded",
        "payment_intent": "pi_1"}}})
    .to_string();
    let now = OffsetDateTime::now_utc();
    for secret in ["whsec_old_one", "whsec_new_one"] {
        let sig = stripe_signature(secret, now.unix_timestamp(), &body);
        let ev = deliver(&*s, Some(&sig), &body, now).await.unwrap();
        assert_eq!(
            ev.kind,
            WebhookKind::Refund {
                payment_reference: "pi_1".into(),
                reference: "re_1".into(),
                status: RefundStatus::Succeeded,
                amount_minor: 1500,
            }
        );
    }
    // Stripe signs with both during a rotation: one header, two v1 values.
    let t = now.unix_timestamp();
    let both = format!(
        "{},{}",
        stripe_signature("whsec_retired", t, &body),
        stripe_signature("whsec_new_one", t, &body)
            .split_once(',')
            .unwrap()
            .1
    );
    assert!(deliver(&*s, Some(&both), &body, now).await.is_ok());
}
