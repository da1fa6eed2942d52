//! Integration tests of the user service: real PostgreSQL (one database per test, runtime role,
//! RLS in force) and real Redis (a namespace per test).

mod addresses;
mod isolation;
mod jwt;
mod login;
mod profile;
mod register;
mod reset;
mod roles;
mod sessions;
mod tokens;
mod validation;

use std::sync::Arc;

use kernel::{config::Config, tenant::PLATFORM_TENANT_ID, testing::TestApp};
use serde_json::{Value, json};
use uuid::Uuid;

pub const PASSWORD: &str = "correct horse battery";

pub async fn app() -> TestApp {
    app_with(|_| {}).await
}

pub async fn app_with(f: impl FnOnce(&mut Config)) -> TestApp {
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
            users::router(),
        )
        .await
}

#[derive(Clone, Debug)]
pub struct Tenant {
    pub id: Uuid,
    pub host: String,
}

pub fn platform() -> Tenant {
    Tenant {
        id: PLATFORM_TENANT_ID,
        host: "localhost".into(),
    }
}

/// A marketplace `{slug}.localhost`, inserted as the owner in the platform scope.
pub async fn tenant(app: &TestApp, slug: &str) -> Tenant {
    let id = Uuid::now_v7();
    let _: Uuid = app
        .owner_scalar(PLATFORM_TENANT_ID, &format!("insert into tenants (id, slug, name) values ('{id}', '{slug}', 'Tienda {slug}') returning id"))
        .await;
    Tenant {
        id,
        host: format!("{slug}.localhost"),
    }
}

pub async fn count(app: &TestApp, t: &Tenant, table: &str) -> i64 {
    app.owner_scalar(t.id, &format!("select count(*) from {table}"))
        .await
}

/// Registers through the API; returns the user id.
pub async fn register(app: &TestApp, t: &Tenant, email: &str) -> Uuid {
    let res = app
        .post("/api/v1/users/register")
        .host(&t.host)
        .json(&json!({"email": email, "password": PASSWORD, "display_name": "Ana"}))
        .send()
        .await
        .expect(201);
    res.body["user"]["id"].as_str().unwrap().parse().unwrap()
}

pub struct Login {
    pub access: String,
    pub refresh: String,
}

pub async fn login(app: &TestApp, t: &Tenant, email: &str) -> Login {
    login_with(app, t, email, PASSWORD).await
}

pub async fn login_with(app: &TestApp, t: &Tenant, email: &str, password: &str) -> Login {
    let res = app
        .post("/api/v1/users/login")
        .host(&t.host)
        .json(&json!({"email": email, "password": password}))
        .send()
        .await
        .expect(200);
    Login {
        access: res.body["access_token"].as_str().unwrap().into(),
        refresh: res.body["refresh_token"].as_str().unwrap().into(),
    }
}

/// Registers and signs in.
pub async fn signup(app: &TestApp, t: &Tenant, email: &str) -> (Uuid, Login) {
    let id = register(app, t, email).await;
    (id, login(app, t, email).await)
}

/// An account with `roles`, created through `users::api`, signed in.
pub async fn staff(app: &TestApp, t: &Tenant, email: &str, roles: &[&str]) -> (Uuid, Login) {
    let id = users::api::create_user(&app.state.db, t.id, email, PASSWORD, "Staff", roles, true)
        .await
        .unwrap();
    (id, login(app, t, email).await)
}

/// The token of the latest link of `template` sent to `user`: from the outbox event that has
/// the notification service send it (the link travels sealed; the test holds the key).
pub async fn delivered_token(app: &TestApp, t: &Tenant, user: Uuid, template: &str) -> String {
    let topic = match template {
        "verify_email" => "user.email_verification_requested",
        _ => "user.password_reset_requested",
    };
    let payload: Value = app
        .owner_scalar(
            t.id,
            &format!("select payload from outbox where aggregate_id = '{user}' and topic = '{topic}' order by id desc limit 1"),
        )
        .await;
    let url = notifications::api::open_account_link(&app.state.secrets, t.id, &payload).unwrap();
    url.split_once("token=").unwrap().1.to_string()
}

pub async fn refresh(app: &TestApp, t: &Tenant, token: &str) -> kernel::testing::TestResponse {
    app.post("/api/v1/users/token/refresh")
        .host(&t.host)
        .json(&json!({"refresh_token": token}))
        .send()
        .await
}

pub fn address() -> Value {
    json!({"recipient": "Ana Pérez", "line1": "Jr. Gamarra 123", "city": "Lima", "country": "PE"})
}
