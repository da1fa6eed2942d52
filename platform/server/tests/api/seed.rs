//! The demo seed through the services' public functions, as the runtime role: idempotent, and the
//! printed credentials log in.

use std::time::Duration;

use gamarriando_server::{
    app::{self, Services},
    seed,
};
use kernel::{auth::JwtKeys, cache::Cache, config::Config, db::Db, testing::TestDb};
use secrecy::SecretString;

#[tokio::test]
async fn seed_is_idempotent_and_its_accounts_log_in() {
    let db = TestDb::new().await;
    let mut config = Config::from_lookup(|_| None).unwrap();
    config.database_url = Some(SecretString::from(db.app_url.clone()));
    let pool = Db::connect_lazy(&SecretString::from(db.app_url.clone()), 4).unwrap();
    let jwt = JwtKeys::from_pkcs8(
        &JwtKeys::generate_pkcs8(),
        "gamarriando",
        Duration::from_secs(60),
    )
    .unwrap();
    let state = app::state_from_parts(config, pool, Cache::memory(&db.name), jwt)
        .await
        .unwrap();

    let first = seed::seed(&state).await.unwrap();
    assert_eq!(first.tenants.len(), 2);
    assert_eq!(first.accounts.len(), 7);
    assert!(first.tenants.iter().all(|t| t.created) && first.accounts.iter().all(|a| a.created));
    let text = seed::render(&first, "http://127.0.0.1:8080");
    assert!(
        text.contains("gamarra.localhost")
            && text.contains("admin@mercado.test")
            && text.contains("curl"),
        "{text}"
    );

    let second = seed::seed(&state).await.unwrap();
    assert!(
        second.tenants.iter().all(|t| !t.created) && second.accounts.iter().all(|a| !a.created)
    );
    assert_eq!(
        first.tenants.iter().map(|t| t.id).collect::<Vec<_>>(),
        second.tenants.iter().map(|t| t.id).collect::<Vec<_>>()
    );
    assert!(seed::render(&second, "http://127.0.0.1:8080").contains("[exists]"));

    // The printed credentials work on the printed host, and roles were granted.
    let router = app::router(state.clone(), &Services::all());
    let login = |host: &'static str, email: &'static str| {
        let router = router.clone();
        async move {
            use http_body_util::BodyExt;
            use tower::ServiceExt;
            let body =
                serde_json::json!({ "email": email, "password": seed::DEMO_PASSWORD }).to_string();
            let req = axum::http::Request::post("/api/v1/users/login")
                .header("host", host)
                .header("content-type", "application/json")
                .body(axum::body::Body::from(body))
                .unwrap();
            let res = router.oneshot(req).await.unwrap();
            let status = res.status().as_u16();
            let bytes = res.into_body().collect().await.unwrap().to_bytes();
            (
                status,
                serde_json::from_slice::<serde_json::Value>(&bytes).unwrap_or_default(),
            )
        }
    };
    let (status, body) = login("gamarra.localhost", "admin@gamarra.test").await;
    assert_eq!(status, 200, "{body}");
    let token = body["access_token"].as_str().unwrap();
    let gamarra = first.tenants[0].id;
    let claims = state.jwt.verify(token, gamarra).unwrap();
    assert_eq!(claims.roles, vec!["admin".to_string()]);
    let (status, body) = login("localhost", seed::PLATFORM_ADMIN_EMAIL).await;
    assert_eq!(status, 200, "{body}");
    // A marketplace's account does not exist on the other marketplace.
    let (status, _) = login("mercado.localhost", "admin@gamarra.test").await;
    assert_eq!(status, 401);
}
