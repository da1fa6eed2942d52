//! The Stripe and PayPal providers against local servers that speak the providers' documented
//! wire formats (form bodies and `Idempotency-Key` for Stripe, JSON, OAuth2 and
//! `PayPal-Request-Id` for PayPal), with idempotent replays, declines, rate limits and signed
//! webhooks.

mod paypal;
mod stripe;

use std::fmt;

use gateways::NewPayment;
use uuid::Uuid;

/// Serves `router` on a free loopback port for the rest of the test; returns its base URL.
pub async fn serve(router: axum::Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    format!("http://{addr}")
}

/// A base URL nobody listens on.
pub async fn closed_port() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    format!("http://{addr}")
}

pub fn new_payment(key: &str, method: Option<&str>) -> NewPayment {
    NewPayment {
        payment_id: Uuid::from_u128(0x11),
        order_id: Uuid::from_u128(0x22),
        order_number: "GMR-1001".into(),
        amount_minor: 5000,
        currency: "PEN".into(),
        idempotency_key: key.into(),
        method: method.map(Into::into),
        return_url: None,
        cancel_url: None,
        webhook_url: None,
        description: "Order GMR-1001".into(),
    }
}

/// Neither `Display` nor `Debug` of `e` shows `secret`.
#[track_caller]
pub fn assert_hidden(e: &(impl fmt::Display + fmt::Debug), secret: &str) {
    let text = format!("{e} | {e:#} | {e:?} | {e:#?}");
    assert!(!text.contains(secret), "the secret leaks: {text}");
}
