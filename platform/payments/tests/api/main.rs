//! Integration tests of the payment service: real PostgreSQL (one database per test, runtime
//! role, RLS in force), real Redis, the sandbox gateway, and a local server speaking Stripe's
//! wire format. The user, product and order services are mounted beside it: payments are for
//! real checkouts, and the outbox worker (payments, then notifications) moves the orders.

mod flow;
mod gateways;
mod idempotency;
mod isolation;
mod refunds;
mod secrets;
mod stripe_fake;
mod webhooks;

use std::time::Duration;

use kernel::{config::Config, outbox::WorkerConfig, testing::TestApp};
use serde_json::{Value, json};
pub use testkit::*;
use uuid::Uuid;

pub async fn app() -> TestApp {
    app_with(|_| {}).await
}

pub async fn app_with(f: impl FnOnce(&mut Config)) -> TestApp {
    testkit::app_with(
        payments::router()
            .merge(orders::router())
            .merge(products::router())
            .merge(users::router()),
        f,
    )
    .await
}

/// The sandbox's webhook secret in these tests.
pub const SANDBOX_SECRET: &str = "whsec_sandbox_test_0123456789";

/// The sandbox as the marketplace's default gateway, as its admin configures it.
pub async fn use_sandbox(app: &TestApp, m: &Market) {
    use_sandbox_with(app, m, SANDBOX_SECRET, json!({})).await;
}

pub async fn use_sandbox_with(app: &TestApp, m: &Market, secret: &str, settings: Value) {
    app.put("/api/v1/payments/gateways/sandbox")
        .host(&m.t.host)
        .bearer(&m.admin)
        .json(&json!({"is_default": true, "settings": settings,
                      "credentials": {"webhook_secret": secret}}))
        .send()
        .await
        .expect(200);
}

/// A marketplace with the sandbox gateway and an order of Alice's (one unit of each vendor's
/// variant: 2500 + 1000 shipping, 4000 + 500 shipping = 8000).
pub async fn market_with_order(app: &TestApp, slug: &str) -> (Market, Value) {
    let m = market(app, slug).await;
    use_sandbox(app, &m).await;
    let order = place(
        app,
        &m.t,
        &m.alice.token,
        &[(m.a_variant, 1), (m.b_variant, 1)],
    )
    .await
    .expect(201)
    .body;
    (m, order)
}

/// `POST /api/v1/payments` for `order` as `token`, with `key`.
pub async fn pay(
    app: &TestApp,
    t: &Tenant,
    token: &str,
    key: &str,
    body: Value,
) -> kernel::testing::TestResponse {
    app.post("/api/v1/payments")
        .host(&t.host)
        .bearer(token)
        .header("idempotency-key", key)
        .json(&body)
        .send()
        .await
}

/// A worker tuned for tests, with the payment service's handler before the notifications'.
pub fn worker(app: &TestApp) -> kernel::outbox::Worker {
    notifications::api::worker(
        &app.state,
        WorkerConfig {
            lease: Duration::from_secs(5),
            poll_interval: Duration::from_millis(50),
            backoff_base: Duration::from_millis(20),
            backoff_cap: Duration::from_millis(50),
            max_attempts: 3,
            ..WorkerConfig::default()
        },
        vec![payments::api::handler(&app.state)],
    )
}

/// Handles every due event, as the worker does.
pub async fn drain(app: &TestApp) -> usize {
    worker(app).drain().await.unwrap()
}

pub async fn order_status(app: &TestApp, t: &Tenant, token: &str, order: Uuid) -> String {
    app.get(&format!("/api/v1/orders/{order}"))
        .host(&t.host)
        .bearer(token)
        .send()
        .await
        .expect(200)
        .body["status"]
        .as_str()
        .unwrap()
        .to_string()
}

/// Ledger kinds of a payment, oldest first, as the owner reads them.
pub async fn ledger(app: &TestApp, t: &Tenant, payment: Uuid) -> String {
    app.owner_scalar(
        t.id,
        &format!(
            "select coalesce(string_agg(kind || ':' || amount_minor, ',' order by id), '')
               from payment_transactions where payment_id = '{payment}'"
        ),
    )
    .await
}

/// `webhook_secret`-signed sandbox event, as the sandbox signs it.
pub fn sandbox_signature(secret: &str, at: i64, body: &str) -> String {
    ::gateways::signature::sign(secret.as_bytes(), at, body.as_bytes())
}

pub fn now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

/// Posts a sandbox webhook signed with `secret` at unix time `at`.
pub async fn sandbox_webhook(
    app: &TestApp,
    t: &Tenant,
    secret: &str,
    at: i64,
    body: &str,
) -> kernel::testing::TestResponse {
    app.post("/api/v1/payments/webhooks/sandbox")
        .host(&t.host)
        .header("sandbox-signature", &sandbox_signature(secret, at, body))
        .raw("application/json", body.to_string())
        .send()
        .await
}
