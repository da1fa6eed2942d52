use std::time::Duration;

use serde_json::json;

use crate::*;

#[tokio::test]
async fn register_creates_account_and_verification_works_once() {
    let app = app().await;
    let a = tenant(&app, "gamarra").await;
    let res = app
        .post("/api/v1/users/register")
        .host(&a.host)
        .json(&json!({"email": "Ana@Gamarra.pe", "password": PASSWORD, "display_name": "Ana", "locale": "en"}))
        .send()
        .await
        .expect(201);
    assert_eq!(res.body["user"]["email"], "ana@gamarra.pe");
    assert_eq!(res.body["user"]["email_verified"], false);
    let id: Uuid = res.body["user"]["id"].as_str().unwrap().parse().unwrap();
    for table in [
        "users",
        "user_profiles",
        "user_preferences",
        "user_tokens",
        "outbox",
    ] {
        assert_eq!(count(&app, &a, table).await, 1, "{table}");
    }
    // Only the hash is stored.
    let token = delivered_token(&app, &a, id, "verify_email").await;
    let stored: i64 = app
        .owner_scalar(
            a.id,
            &format!(
                "select count(*) from user_tokens where token_hash = sha256('{token}'::bytea)"
            ),
        )
        .await;
    assert_eq!(stored, 1);
    let raw: i64 = app
        .owner_scalar(
            a.id,
            &format!(
                "select count(*) from user_tokens where encode(token_hash, 'escape') = '{token}'"
            ),
        )
        .await;
    assert_eq!(raw, 0);

    let l = login(&app, &a, "ana@gamarra.pe").await;
    let me = app
        .get("/api/v1/users/me")
        .host(&a.host)
        .bearer(&l.access)
        .send()
        .await
        .expect(200);
    assert_eq!(
        me.body["email_verified"], false,
        "unverified accounts may sign in"
    );

    app.post("/api/v1/users/verify-email")
        .host(&a.host)
        .json(&json!({"token": token}))
        .send()
        .await
        .expect(204);
    let me = app
        .get("/api/v1/users/me")
        .host(&a.host)
        .bearer(&l.access)
        .send()
        .await
        .expect(200);
    assert_eq!(me.body["email_verified"], true);
    // Single use.
    app.post("/api/v1/users/verify-email")
        .host(&a.host)
        .json(&json!({"token": token}))
        .send()
        .await
        .expect_problem(400, "invalid_token");
    app.post("/api/v1/users/verify-email")
        .host(&a.host)
        .json(&json!({"token": "nope"}))
        .send()
        .await
        .expect_problem(400, "invalid_token");
}

#[tokio::test]
async fn verification_token_expires() {
    let app = app_with(|c| c.verify_token_ttl = Duration::ZERO).await;
    let a = tenant(&app, "gamarra").await;
    let id = register(&app, &a, "ana@gamarra.pe").await;
    let token = delivered_token(&app, &a, id, "verify_email").await;
    tokio::time::sleep(Duration::from_millis(20)).await;
    app.post("/api/v1/users/verify-email")
        .host(&a.host)
        .json(&json!({"token": token}))
        .send()
        .await
        .expect_problem(400, "invalid_token");
    let verified: bool = app
        .owner_scalar(a.id, "select email_verified_at is not null from users")
        .await;
    assert!(!verified);
}

#[tokio::test]
async fn verification_token_of_another_tenant_is_unknown() {
    let app = app().await;
    let (a, b) = (tenant(&app, "gamarra").await, tenant(&app, "polvos").await);
    let id = register(&app, &a, "ana@gamarra.pe").await;
    let token = delivered_token(&app, &a, id, "verify_email").await;
    app.post("/api/v1/users/verify-email")
        .host(&b.host)
        .json(&json!({"token": token}))
        .send()
        .await
        .expect_problem(400, "invalid_token");
    app.post("/api/v1/users/verify-email")
        .host(&a.host)
        .json(&json!({"token": token}))
        .send()
        .await
        .expect(204);
}

#[tokio::test]
async fn duplicate_email_in_same_tenant_is_409() {
    let app = app().await;
    let a = tenant(&app, "gamarra").await;
    register(&app, &a, "ana@gamarra.pe").await;
    app.post("/api/v1/users/register")
        .host(&a.host)
        .json(&json!({"email": "ANA@gamarra.pe", "password": "another password"}))
        .send()
        .await
        .expect_problem(409, "email_taken");
    assert_eq!(count(&app, &a, "users").await, 1);
    assert_eq!(
        count(&app, &a, "outbox").await,
        1,
        "no second verification event"
    );
}

#[tokio::test]
async fn same_email_in_two_tenants_is_two_accounts() {
    let app = app().await;
    let (a, b) = (tenant(&app, "gamarra").await, tenant(&app, "polvos").await);
    let ida = register(&app, &a, "ana@gamarra.pe").await;
    let res = app
        .post("/api/v1/users/register")
        .host(&b.host)
        .json(&json!({"email": "ana@gamarra.pe", "password": "a different password"}))
        .send()
        .await
        .expect(201);
    let idb: Uuid = res.body["user"]["id"].as_str().unwrap().parse().unwrap();
    assert_ne!(ida, idb);
    // Each account has its own password.
    login(&app, &a, "ana@gamarra.pe").await;
    login_with(&app, &b, "ana@gamarra.pe", "a different password").await;
    app.post("/api/v1/users/login")
        .host(&b.host)
        .json(&json!({"email": "ana@gamarra.pe", "password": PASSWORD}))
        .send()
        .await
        .expect_problem(401, "invalid_credentials");
    assert_eq!(count(&app, &a, "users").await, 1);
    assert_eq!(count(&app, &b, "users").await, 1);
}

#[tokio::test]
async fn registration_is_closed_on_the_platform_host() {
    let app = app().await;
    app.post("/api/v1/users/register")
        .host("localhost")
        .json(&json!({"email": "eve@x.pe", "password": PASSWORD}))
        .send()
        .await
        .expect_problem(403, "registration_closed");
    assert_eq!(count(&app, &platform(), "users").await, 0);
}
