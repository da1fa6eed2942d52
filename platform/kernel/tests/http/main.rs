//! The HTTP surface every service inherits: tenant resolution, problem+json in the caller's
//! language, extractor errors, body limits, request ids, security headers, panics, and `Can<P>`.
//! A two-tenant in-memory resolver stands in for the registry (the registry has its own tests).

use std::{sync::Arc, time::Duration};

use axum::{Json, extract::State};
use kernel::{
    ApiError, AppState, RequestCtx,
    extract::AppJson,
    i18n::Locale,
    permission,
    rbac::Can,
    tenant::{Tenant, TenantKind, TenantResolver, TenantStatus},
    testing::TestApp,
};
use serde_json::json;
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

permission!(ReadProfile, "profile", "read");
permission!(ManageRoles, "roles", "manage");

const A: Uuid = Uuid::from_u128(0xa);
const B: Uuid = Uuid::from_u128(0xb);

struct Fixed;

#[async_trait::async_trait]
impl TenantResolver for Fixed {
    async fn resolve(&self, host: &str) -> Result<Option<Tenant>, ApiError> {
        let t = |id, slug: &str, locale, status| Tenant {
            id,
            kind: TenantKind::Marketplace,
            slug: slug.into(),
            name: slug.into(),
            default_locale: locale,
            currency: "PEN".into(),
            tax_rate_bps: 0,
            tax_inclusive: true,
            status,
        };
        Ok(match host {
            "a.localhost" => Some(t(A, "a", Locale::Es, TenantStatus::Active)),
            "b.localhost" => Some(t(B, "b", Locale::En, TenantStatus::Active)),
            "off.localhost" => Some(t(
                Uuid::from_u128(0xc),
                "off",
                Locale::Es,
                TenantStatus::Suspended,
            )),
            _ => None,
        })
    }
}

#[derive(serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct Echo {
    name: String,
    qty: u32,
}

#[utoipa::path(post, path = "/api/v1/test/echo", responses((status = 200)))]
async fn echo(ctx: RequestCtx, AppJson(body): AppJson<Echo>) -> Json<serde_json::Value> {
    Json(json!({ "name": body.name, "tenant": ctx.tenant.id, "locale": ctx.locale }))
}

#[utoipa::path(get, path = "/api/v1/test/me", responses((status = 200)))]
async fn me(_: Can<ReadProfile>, ctx: RequestCtx) -> Json<serde_json::Value> {
    Json(json!({ "user": ctx.user_id() }))
}

#[utoipa::path(get, path = "/api/v1/test/admin", responses((status = 200)))]
async fn admin(_: Can<ManageRoles>) -> &'static str {
    "ok"
}

#[utoipa::path(get, path = "/api/v1/test/boom", responses((status = 500)))]
async fn boom(State(_state): State<AppState>) -> &'static str {
    panic!("secret detail that must not leak")
}

async fn app() -> TestApp {
    let api = OpenApiRouter::new()
        .routes(routes!(echo))
        .routes(routes!(me))
        .routes(routes!(admin))
        .routes(routes!(boom));
    TestApp::builder()
        .config(|c| c.body_limit_bytes = 1024)
        .build(|_, _, _| Arc::new(Fixed), api)
        .await
}

fn token(app: &TestApp, tenant: Uuid, roles: &[&str], lng: Option<&str>) -> String {
    app.state
        .jwt
        .issue(
            Uuid::now_v7(),
            tenant,
            Uuid::now_v7(),
            roles.iter().map(|r| r.to_string()).collect(),
            lng.map(str::to_string),
        )
        .unwrap()
}

#[tokio::test]
async fn unknown_host_is_a_localized_404_problem() {
    let app = app().await;
    let es = app
        .get("/api/v1/test/me")
        .host("nope.localhost")
        .send()
        .await
        .expect_problem(404, "tenant_not_found");
    let en = app
        .get("/api/v1/test/me")
        .host("nope.localhost")
        .lang("en-GB,en;q=0.8")
        .send()
        .await
        .expect_problem(404, "tenant_not_found");
    assert_ne!(es.body["title"], en.body["title"]);
    assert_eq!(en.body["title"], "Marketplace not found");
}

#[tokio::test]
async fn suspended_tenant_is_refused() {
    let app = app().await;
    app.get("/api/v1/test/me")
        .host("off.localhost")
        .send()
        .await
        .expect_problem(403, "tenant_suspended");
}

#[tokio::test]
async fn locale_falls_back_from_header_to_user_to_tenant() {
    let app = app().await;
    let body = json!({ "name": "x", "qty": 1 });
    // Tenant b defaults to English, a to Spanish.
    let r = app
        .post("/api/v1/test/echo")
        .host("b.localhost")
        .json(&body)
        .send()
        .await
        .expect(200);
    assert_eq!(r.body["locale"], "en");
    let r = app
        .post("/api/v1/test/echo")
        .host("a.localhost")
        .json(&body)
        .send()
        .await
        .expect(200);
    assert_eq!(r.body["locale"], "es");
    // The user's preference beats the tenant default; Accept-Language beats both.
    let t = token(&app, A, &[], Some("en"));
    let r = app
        .post("/api/v1/test/echo")
        .host("a.localhost")
        .bearer(&t)
        .json(&body)
        .send()
        .await
        .expect(200);
    assert_eq!(r.body["locale"], "en");
    let r = app
        .post("/api/v1/test/echo")
        .host("a.localhost")
        .bearer(&t)
        .lang("es")
        .json(&body)
        .send()
        .await
        .expect(200);
    assert_eq!(r.body["locale"], "es");
    assert_eq!(r.headers["content-language"], "es");
}

#[tokio::test]
async fn body_errors_are_problems_with_field_codes() {
    let app = app().await;
    let r = app
        .post("/api/v1/test/echo")
        .host("a.localhost")
        .lang("en")
        .json(&json!({ "qty": 1 }))
        .send()
        .await
        .expect_problem(422, "validation_failed");
    assert_eq!(
        r.field_codes(),
        vec![("name".to_string(), "required".to_string())]
    );
    assert!(
        r.body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("name")
    );
    let r = app
        .post("/api/v1/test/echo")
        .host("a.localhost")
        .json(&json!({ "name": "x", "qty": 1, "tenant_id": B }))
        .send()
        .await
        .expect_problem(422, "validation_failed");
    assert_eq!(
        r.field_codes(),
        vec![("tenant_id".to_string(), "unknown_field".to_string())]
    );
    let r = app
        .post("/api/v1/test/echo")
        .host("a.localhost")
        .json(&json!({ "name": "x", "qty": -1 }))
        .send()
        .await
        .expect_problem(422, "validation_failed");
    assert_eq!(r.field_codes()[0].1, "invalid");
    app.post("/api/v1/test/echo")
        .host("a.localhost")
        .raw("application/json", "{oops")
        .send()
        .await
        .expect_problem(400, "malformed_request");
    app.post("/api/v1/test/echo")
        .host("a.localhost")
        .raw("text/plain", "name=x")
        .send()
        .await
        .expect_problem(415, "unsupported_media_type");
    let big = json!({ "name": "x".repeat(4096), "qty": 1 });
    app.post("/api/v1/test/echo")
        .host("a.localhost")
        .json(&big)
        .send()
        .await
        .expect_problem(413, "payload_too_large");
}

#[tokio::test]
async fn request_ids_and_security_headers() {
    let app = app().await;
    let r = app
        .get("/api/v1/test/me")
        .host("a.localhost")
        .send()
        .await
        .expect(401);
    let rid = r.headers["x-request-id"].to_str().unwrap().to_string();
    assert_eq!(r.body["request_id"], rid.as_str());
    assert_eq!(r.headers["x-content-type-options"], "nosniff");
    assert_eq!(r.headers["x-frame-options"], "DENY");
    assert_eq!(r.headers["www-authenticate"], "Bearer");
    let r = app
        .get("/health")
        .header("x-request-id", "abc-123")
        .send()
        .await
        .expect(200);
    assert_eq!(r.headers["x-request-id"], "abc-123");
}

#[tokio::test]
async fn panics_are_500_problems_without_details() {
    let app = app().await;
    let r = app
        .get("/api/v1/test/boom")
        .host("a.localhost")
        .send()
        .await
        .expect_problem(500, "internal");
    assert!(!r.text.contains("secret detail"));
}

#[tokio::test]
async fn can_distinguishes_guests_members_and_tenants() {
    let app = app().await;
    app.get("/api/v1/test/me")
        .host("a.localhost")
        .send()
        .await
        .expect_problem(401, "unauthorized");
    let customer = token(&app, A, &[], None);
    app.get("/api/v1/test/me")
        .host("a.localhost")
        .bearer(&customer)
        .send()
        .await
        .expect(200);
    app.get("/api/v1/test/admin")
        .host("a.localhost")
        .bearer(&customer)
        .send()
        .await
        .expect_problem(403, "forbidden");
    let admin = token(&app, A, &["admin"], None);
    app.get("/api/v1/test/admin")
        .host("a.localhost")
        .bearer(&admin)
        .send()
        .await
        .expect(200);
    // A's admin token on B's host is not a token at all there.
    app.get("/api/v1/test/admin")
        .host("b.localhost")
        .bearer(&admin)
        .send()
        .await
        .expect_problem(401, "unauthorized");
    app.get("/api/v1/test/me")
        .host("b.localhost")
        .bearer(&customer)
        .send()
        .await
        .expect_problem(401, "unauthorized");
    // Garbage and other schemes are refused, never downgraded to guest.
    app.get("/api/v1/test/me")
        .host("a.localhost")
        .bearer("garbage")
        .send()
        .await
        .expect_problem(401, "unauthorized");
    app.get("/api/v1/test/me")
        .host("a.localhost")
        .header("authorization", "Basic YTpi")
        .send()
        .await
        .expect_problem(401, "unauthorized");
}

#[tokio::test]
async fn expired_tokens_are_refused() {
    let app = TestApp::builder()
        .config(|c| c.access_token_ttl = Duration::from_secs(0))
        .build(
            |_, _, _| Arc::new(Fixed),
            OpenApiRouter::new().routes(routes!(me)),
        )
        .await;
    let t = token(&app, A, &[], None);
    tokio::time::sleep(Duration::from_secs(7)).await; // past the 5 s leeway
    app.get("/api/v1/test/me")
        .host("a.localhost")
        .bearer(&t)
        .send()
        .await
        .expect_problem(401, "unauthorized");
}

#[tokio::test]
async fn unknown_paths_are_problems() {
    let app = app().await;
    app.get("/nothing/here")
        .lang("en")
        .send()
        .await
        .expect_problem(404, "not_found");
}
