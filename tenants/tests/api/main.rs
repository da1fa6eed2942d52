//! Integration tests of the tenant registry and the platform-staff tenant admin API, against a
//! real PostgreSQL (a database per test, the app connected as the runtime role) and Redis.

mod access;
mod domains;
mod openapi;
mod resolution;
mod tenants;
mod validation;

use std::sync::Arc;

use axum::{Json, routing::get};
use kernel::{
    AppState, RequestCtx,
    tenant::PLATFORM_TENANT_ID,
    testing::{TestApp, TestResponse},
};
use serde_json::{Value, json};
use utoipa_axum::router::OpenApiRouter;
use uuid::Uuid;

pub const PLATFORM: &str = "localhost";
pub const BASE: &str = "/api/v1/platform/tenants";
/// A route outside the spec that tells which tenant a host resolved to.
pub const WHOAMI: &str = "/api/v1/test/whoami";

pub fn host(slug: &str) -> String {
    format!("{slug}.{PLATFORM}")
}

async fn whoami(ctx: RequestCtx) -> Json<Value> {
    Json(json!({ "id": ctx.tenant.id, "slug": ctx.tenant.slug, "name": ctx.tenant.name }))
}

/// The app with the tenants router and the resolver, wired as the server does.
pub async fn app() -> TestApp {
    let api =
        ::tenants::router().merge(OpenApiRouter::<AppState>::new().route(WHOAMI, get(whoami)));
    TestApp::builder()
        .build(
            |db, cache, cfg| {
                Arc::new(::tenants::DbResolver::new(
                    db,
                    cache,
                    &cfg.platform_domain,
                    cfg.tenant_cache_ttl,
                ))
            },
            api,
        )
        .await
}

/// Inserts a user of `tenant` through the owner pool (RLS is forced on the owner too, so the
/// transaction names the tenant) and mints an access token for it with `roles`.
pub async fn token(app: &TestApp, tenant: Uuid, roles: &[&str]) -> String {
    let user = Uuid::now_v7();
    let mut tx = app.db.owner.begin().await.unwrap();
    sqlx::query("select set_config('app.tenant_id', $1, true)")
        .bind(tenant.to_string())
        .execute(&mut *tx)
        .await
        .unwrap();
    sqlx::query(
        "insert into users (id, tenant_id, email, password_hash) values ($1, $2, $3, 'not-a-hash')",
    )
    .bind(user)
    .bind(tenant)
    .bind(format!("{}@test.gamarriando.pe", user.simple()))
    .execute(&mut *tx)
    .await
    .unwrap();
    tx.commit().await.unwrap();
    app.state
        .jwt
        .issue(
            user,
            tenant,
            Uuid::now_v7(),
            roles.iter().map(|r| r.to_string()).collect(),
            None,
        )
        .unwrap()
}

/// A platform admin's token.
pub async fn staff(app: &TestApp) -> String {
    token(app, PLATFORM_TENANT_ID, &["platform_admin"]).await
}

/// Creates a marketplace through the API and returns its body.
pub async fn create(app: &TestApp, staff: &str, body: Value) -> Value {
    app.post(BASE)
        .host(PLATFORM)
        .bearer(staff)
        .json(&body)
        .send()
        .await
        .expect(201)
        .body
}

pub async fn create_slug(app: &TestApp, staff: &str, slug: &str) -> Value {
    create(
        app,
        staff,
        json!({ "slug": slug, "name": format!("Tienda {slug}") }),
    )
    .await
}

pub fn id_of(v: &Value) -> Uuid {
    v["id"].as_str().unwrap().parse().unwrap()
}

/// Rows in the registry (the platform tenant included), as the owner sees them.
pub async fn tenant_count(app: &TestApp) -> i64 {
    app.owner_scalar(PLATFORM_TENANT_ID, "select count(*) from tenants")
        .await
}

pub async fn domain_count(app: &TestApp) -> i64 {
    app.owner_scalar(PLATFORM_TENANT_ID, "select count(*) from tenant_domains")
        .await
}

/// The tenant a host resolves to (its slug), or the problem code.
pub async fn resolve(app: &TestApp, host: &str) -> Result<String, (u16, String)> {
    let res: TestResponse = app.get(WHOAMI).host(host).send().await;
    if res.status.is_success() {
        Ok(res.body["slug"].as_str().unwrap().to_string())
    } else {
        Err((
            res.status.as_u16(),
            res.body["code"].as_str().unwrap_or_default().to_string(),
        ))
    }
}
