//! Integration tests of the notification service: real PostgreSQL (one database per test,
//! runtime role, RLS in force), real Redis, a real SMTP server (.ci/smtp_sink.py) and local HTTP
//! servers speaking the providers' formats. The user, product and order services are mounted
//! beside it: events come from real accounts and real checkouts.

mod admin;
mod crash;
mod delivery;
mod inbox;
mod isolation;
mod preferences;
mod receiver;

use std::{sync::Arc, time::Duration};

use kernel::{
    config::Config,
    outbox::{self, Event, WorkerConfig},
    testing::TestApp,
};
use serde_json::{Value, json};
use uuid::Uuid;

pub const PASSWORD: &str = "correct horse battery";

pub async fn app() -> TestApp {
    app_with(|_| {}).await
}

pub async fn app_with(f: impl FnOnce(&mut Config)) -> TestApp {
    let _ = tracing_subscriber::fmt()
        .with_env_filter("warn")
        .with_test_writer()
        .try_init();
    TestApp::builder()
        .config(f)
        .build(
            |db, cache, cfg| {
                Arc::new(tenants::DbResolver::new(
                    db,
                    cache,
                    &cfg.platform_domain,
                    cfg.tenant_cache_ttl,
                ))
            },
            notifications::router()
                .merge(users::router())
                .merge(products::router())
                .merge(orders::router()),
        )
        .await
}

#[derive(Clone, Debug)]
pub struct Tenant {
    pub id: Uuid,
    pub host: String,
}

pub async fn tenant(app: &TestApp, slug: &str) -> Tenant {
    let id = Uuid::now_v7();
    let _: Uuid = app
        .owner_scalar(
            kernel::tenant::PLATFORM_TENANT_ID,
            &format!("insert into tenants (id, slug, name) values ('{id}', '{slug}', 'Tienda {slug}') returning id"),
        )
        .await;
    Tenant {
        id,
        host: format!("{slug}.localhost"),
    }
}

pub struct User {
    pub id: Uuid,
    pub token: String,
}

pub async fn user(app: &TestApp, t: &Tenant, email: &str, roles: &[&str]) -> User {
    let id = users::api::create_user(&app.state.db, t.id, email, PASSWORD, "Ana", roles, true)
        .await
        .unwrap();
    User {
        id,
        token: login(app, t, email).await,
    }
}

pub async fn login(app: &TestApp, t: &Tenant, email: &str) -> String {
    let res = app
        .post("/api/v1/users/login")
        .host(&t.host)
        .json(&json!({"email": email, "password": PASSWORD}))
        .send()
        .await
        .expect(200);
    res.body["access_token"].as_str().unwrap().into()
}

/// A worker tuned for tests: short leases, quick retries, three attempts.
pub fn worker_config() -> WorkerConfig {
    WorkerConfig {
        batch: 64,
        concurrency: 8,
        lease: Duration::from_secs(2),
        handler_timeout: Duration::from_secs(5),
        poll_interval: Duration::from_millis(50),
        backoff_base: Duration::from_millis(20),
        backoff_cap: Duration::from_millis(50),
        max_attempts: 3,
        retain_done: None,
    }
}

/// Plans and sends everything due now (events, then the messages they made), as a worker does.
pub async fn drain(app: &TestApp) -> usize {
    notifications::api::worker(&app.state, worker_config(), vec![])
        .drain()
        .await
        .unwrap()
}

/// Drains until `done` holds (retries come due after their backoff), for at most 10 s.
pub async fn drain_until<F, Fut>(app: &TestApp, mut done: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    for _ in 0..200 {
        drain(app).await;
        if done().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the outbox did not reach the expected state in 10 s");
}

/// Writes an event as a service would, in its own committed transaction.
pub async fn emit(app: &TestApp, t: &Tenant, topic: &str, aggregate: Uuid, payload: Value) -> Uuid {
    let mut tx = app.state.db.begin_scoped(t.id, None).await.unwrap();
    let id = outbox::emit(tx.conn(), t.id, &Event::new(topic, aggregate, payload))
        .await
        .unwrap();
    tx.commit().await.unwrap();
    id
}

/// An `order.placed` event of `customer` (vendors: `vendors`), as checkout writes it.
pub async fn order_placed(app: &TestApp, t: &Tenant, customer: Uuid, vendors: &[Uuid]) -> Uuid {
    let order = Uuid::now_v7();
    emit(
        app,
        t,
        "order.placed",
        order,
        json!({
            "order_id": order,
            "number": "GM-4821-XK",
            "customer_id": customer,
            "vendor_ids": vendors,
            "total_minor": 123_450,
            "currency": "PEN",
            "item_count": 2,
            "locale": "es",
        }),
    )
    .await;
    order
}

pub async fn count(app: &TestApp, t: &Tenant, sql_where: &str) -> i64 {
    app.owner_scalar(
        t.id,
        &format!("select count(*) from notifications where {sql_where}"),
    )
    .await
}

/// Sets one of the user's preferences through the API.
pub async fn set_preference(
    app: &TestApp,
    t: &Tenant,
    token: &str,
    channel: &str,
    category: &str,
    enabled: bool,
) {
    app.put("/api/v1/notifications/preferences")
        .host(&t.host)
        .bearer(token)
        .json(&json!({"preferences": [{"channel": channel, "category": category, "enabled": enabled}]}))
        .send()
        .await
        .expect(200);
}

/// Gives the user a phone number (+51987654321), as their profile would.
pub async fn set_phone(app: &TestApp, t: &Tenant, user: Uuid) {
    let _: i32 = app
        .owner_scalar(
            t.id,
            &format!("update user_profiles set phone = '+51987654321' where user_id = '{user}' returning 1"),
        )
        .await;
}

/// Sets a channel's provider as the tenant's admin would.
pub async fn set_channel(app: &TestApp, t: &Tenant, admin: &str, channel: &str, body: Value) {
    app.put(&format!("/api/v1/notifications/channels/{channel}"))
        .host(&t.host)
        .bearer(admin)
        .json(&body)
        .send()
        .await
        .expect(200);
}

pub fn smtp_addr() -> (String, u16) {
    let addr = std::env::var("TEST_SMTP_ADDR").unwrap_or_else(|_| "127.0.0.1:8025".into());
    let (host, port) = addr.rsplit_once(':').unwrap();
    (host.to_string(), port.parse().unwrap())
}

pub fn smtp_dir() -> std::path::PathBuf {
    std::env::var("TEST_SMTP_DIR")
        .map(Into::into)
        .unwrap_or_else(|_| {
            std::path::PathBuf::from(std::env::var("HOME").unwrap()).join(".cache/gamarriando-smtp")
        })
}

/// The email channel on the local SMTP server.
pub async fn use_smtp(app: &TestApp, t: &Tenant, admin: &str) {
    let (host, port) = smtp_addr();
    set_channel(
        app,
        t,
        admin,
        "email",
        json!({"provider": "smtp", "settings": {"host": host, "port": port, "tls": "none", "from": "Tienda <no-reply@tienda.test>"}}),
    )
    .await;
}

/// The message the SMTP server received for notification `id`, parsed. Fails when it did not
/// arrive (is the SMTP sink running? .ci/run starts it).
pub fn received_email(id: Uuid) -> Vec<u8> {
    let path = smtp_dir().join(format!("{id}@gamarriando.notify.eml"));
    std::fs::read(&path).unwrap_or_else(|e| {
        panic!(
            "{} not received ({e}); is the SMTP sink up at {:?}? .ci/run starts it",
            path.display(),
            smtp_addr()
        )
    })
}

pub async fn notification_id(app: &TestApp, t: &Tenant, sql_where: &str) -> Uuid {
    app.owner_scalar(
        t.id,
        &format!("select id from notifications where {sql_where}"),
    )
    .await
}
