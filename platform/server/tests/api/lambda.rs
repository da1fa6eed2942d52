//! The Lambda entry: API Gateway HTTP API (payload v2) events through `lambda_http`'s own
//! conversion and the production router, on a real database as the runtime role.

use std::time::Duration;

use gamarriando_server::{
    app::{self, Services},
    lambda,
};
use kernel::{
    auth::JwtKeys, cache::Cache, config::Config, db::Db, tenant::PLATFORM_TENANT_ID,
    testing::TestDb,
};
use lambda_http::request::LambdaRequest;
use secrecy::SecretString;
use serde_json::{Value, json};
use tower::ServiceExt;
use uuid::Uuid;

/// An API Gateway HTTP API v2 event, as API Gateway sends it.
fn event(
    method: &str,
    path: &str,
    host: &str,
    extra_headers: &[(&str, &str)],
    body: Option<&str>,
) -> Value {
    let mut headers = json!({
        "host": host,
        "accept": "application/json",
        "user-agent": "curl/8.5.0",
        "x-forwarded-for": "203.0.113.7",
        "x-forwarded-port": "443",
        "x-forwarded-proto": "https",
        "x-amzn-trace-id": "Root=1-67891233-abcdef012345678912345678",
    });
    for (k, v) in extra_headers {
        headers[*k] = json!(v);
    }
    json!({
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": path,
        "rawQueryString": "",
        "headers": headers,
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "r3pmxmplak",
            "domainName": host,
            "domainPrefix": host.split('.').next().unwrap(),
            "http": {
                "method": method,
                "path": path,
                "protocol": "HTTP/1.1",
                "sourceIp": "203.0.113.7",
                "userAgent": "curl/8.5.0"
            },
            "requestId": "JKJaXmPLvHcESHA=",
            "routeKey": "$default",
            "stage": "$default",
            "time": "26/Nov/2026:01:40:00 +0000",
            "timeEpoch": 1795225200000u64
        },
        "body": body,
        "isBase64Encoded": false
    })
}

struct Setup {
    _db: TestDb,
    router: axum::Router,
    jwt: std::sync::Arc<JwtKeys>,
    gamarra: Uuid,
    mercado: Uuid,
    ana: Uuid,
    bob: Uuid,
}

async fn insert_tenant(db: &TestDb, slug: &str, name: &str) -> Uuid {
    let id = Uuid::now_v7();
    let mut tx = db.owner.begin().await.unwrap();
    sqlx::query("select set_config('app.tenant_id', $1, true)")
        .bind(PLATFORM_TENANT_ID.to_string())
        .execute(&mut *tx)
        .await
        .unwrap();
    sqlx::query("insert into tenants (id, slug, name, default_locale, currency) values ($1, $2, $3, 'es', 'PEN')")
        .bind(id)
        .bind(slug)
        .bind(name)
        .execute(&mut *tx)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    id
}

/// The state a Lambda process builds, on a test database (lazy pool as the runtime role).
async fn setup() -> Setup {
    let db = TestDb::new().await;
    let gamarra = insert_tenant(&db, "gamarra", "Gamarra Moda").await;
    let mercado = insert_tenant(&db, "mercado", "Mercado Central").await;
    let key = base64::Engine::encode(
        &base64::engine::general_purpose::STANDARD,
        JwtKeys::generate_pkcs8(),
    );
    let env = [
        ("DATABASE_URL", db.app_url.clone()),
        ("JWT_SIGNING_KEY", key.clone()),
    ];
    let config =
        Config::from_lookup(|k| env.iter().find(|(n, _)| *n == k).map(|(_, v)| v.clone())).unwrap();
    let config = lambda::lambda_config(config).unwrap();
    assert!(
        config.trust_forwarded_for,
        "Lambda trusts API Gateway's X-Forwarded-For"
    );
    let pool = Db::connect_lazy(&SecretString::from(db.app_url.clone()), 4).unwrap();
    let jwt = JwtKeys::from_base64(&key, &config.jwt_issuer, Duration::from_secs(300)).unwrap();
    let state = app::state_from_parts(config, pool, Cache::memory(&db.name), jwt)
        .await
        .unwrap();
    let ana = users::api::create_user(
        &state.db,
        gamarra,
        "ana@gamarra.test",
        "a-long-password-1",
        "Ana",
        &[],
        true,
    )
    .await
    .unwrap();
    let bob = users::api::create_user(
        &state.db,
        mercado,
        "bob@mercado.test",
        "a-long-password-2",
        "Bob",
        &[],
        true,
    )
    .await
    .unwrap();
    let jwt = state.jwt.clone();
    let router = app::router(state, &Services::all());
    Setup {
        _db: db,
        router,
        jwt,
        gamarra,
        mercado,
        ana,
        bob,
    }
}

async fn invoke(router: &axum::Router, event: Value) -> (u16, Value, Value) {
    let res = lambda::invoke(router.clone(), event).await.unwrap();
    let status = res["statusCode"].as_u64().unwrap() as u16;
    assert_eq!(
        res["isBase64Encoded"], false,
        "JSON answers are sent as text: {res}"
    );
    let body = res["body"]
        .as_str()
        .map(|b| serde_json::from_str(b).unwrap_or(Value::Null))
        .unwrap_or(Value::Null);
    (status, res["headers"].clone(), body)
}

#[tokio::test]
async fn api_gateway_events_reach_the_router() {
    let s = setup().await;

    // Liveness answers on any host.
    let (status, _, body) = invoke(
        &s.router,
        event("GET", "/health", "gamarra.localhost", &[], None),
    )
    .await;
    assert_eq!((status, &body["status"]), (200, &json!("ok")));

    // Unknown host: a 404 problem, not another tenant.
    let (status, headers, body) = invoke(
        &s.router,
        event("GET", "/api/v1/users/me", "nobody.localhost", &[], None),
    )
    .await;
    assert_eq!(status, 404, "{body}");
    assert_eq!(headers["content-type"], "application/problem+json");
    assert_eq!(body["code"], "tenant_not_found");

    // A token of this tenant: the caller's own account.
    let token = s
        .jwt
        .issue(s.ana, s.gamarra, Uuid::now_v7(), vec![], None)
        .unwrap();
    let auth = format!("Bearer {token}");
    let (status, _, body) = invoke(
        &s.router,
        event(
            "GET",
            "/api/v1/users/me",
            "gamarra.localhost",
            &[("authorization", &auth)],
            None,
        ),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["email"], "ana@gamarra.test");

    // The same request without a token, and with another tenant's token: 401.
    let (status, _, body) = invoke(
        &s.router,
        event("GET", "/api/v1/users/me", "gamarra.localhost", &[], None),
    )
    .await;
    assert_eq!(status, 401, "{body}");
    let other = s
        .jwt
        .issue(s.bob, s.mercado, Uuid::now_v7(), vec![], None)
        .unwrap();
    let other = format!("Bearer {other}");
    let (status, _, body) = invoke(
        &s.router,
        event(
            "GET",
            "/api/v1/users/me",
            "gamarra.localhost",
            &[("authorization", &other)],
            None,
        ),
    )
    .await;
    assert_eq!(status, 401, "{body}");
    assert_eq!(body["code"], "unauthorized");
    // …while it works on its own tenant's host.
    let (status, _, body) = invoke(
        &s.router,
        event(
            "GET",
            "/api/v1/users/me",
            "mercado.localhost",
            &[("authorization", &other)],
            None,
        ),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["email"], "bob@mercado.test");
}

#[tokio::test]
async fn login_through_api_gateway_then_use_the_token() {
    let s = setup().await;
    let login = json!({ "email": "ana@gamarra.test", "password": "a-long-password-1" }).to_string();
    let (status, _, body) = invoke(
        &s.router,
        event(
            "POST",
            "/api/v1/users/login",
            "gamarra.localhost",
            &[("content-type", "application/json")],
            Some(&login),
        ),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let token = body["access_token"]
        .as_str()
        .unwrap_or_else(|| panic!("no access_token in {body}"));
    let auth = format!("Bearer {token}");
    let (status, _, body) = invoke(
        &s.router,
        event(
            "GET",
            "/api/v1/users/me",
            "gamarra.localhost",
            &[("authorization", &auth)],
            None,
        ),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["email"], "ana@gamarra.test");
}

/// `lambda_http`'s public conversion (event → `http::Request`) through the router with `oneshot`.
#[tokio::test]
async fn lambda_request_converts_to_an_http_request() {
    let s = setup().await;
    let raw = event("GET", "/api/v1/users/me", "nobody.localhost", &[], None);
    let request: LambdaRequest = serde_json::from_value(raw).unwrap();
    let request: lambda_http::Request = request.into();
    assert_eq!(request.uri().path(), "/api/v1/users/me");
    let res = s.router.clone().oneshot(request).await.unwrap();
    assert_eq!(res.status(), 404);
}
