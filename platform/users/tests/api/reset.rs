use std::time::Duration;

use serde_json::json;

use crate::*;

async fn ask(app: &TestApp, t: &Tenant, email: &str) -> kernel::testing::TestResponse {
    app.post("/api/v1/users/password-reset")
        .host(&t.host)
        .json(&json!({"email": email}))
        .send()
        .await
}

#[tokio::test]
async fn reset_answers_the_same_for_unknown_emails() {
    let app = app().await;
    let a = tenant(&app, "gamarra").await;
    register(&app, &a, "ana@gamarra.pe").await;
    let known = ask(&app, &a, "ana@gamarra.pe").await.expect(202);
    let unknown = ask(&app, &a, "nobody@gamarra.pe").await.expect(202);
    assert_eq!(known.text, unknown.text);
    assert_eq!(
        known.headers.get("content-type"),
        unknown.headers.get("content-type")
    );
    let sent: i64 = app
        .owner_scalar(
            a.id,
            "select count(*) from outbox where topic = 'user.password_reset_requested'",
        )
        .await;
    assert_eq!(sent, 1, "only the real account got a message");
}

#[tokio::test]
async fn reset_sets_the_password_once_and_signs_out_everywhere() {
    let app = app().await;
    let a = tenant(&app, "gamarra").await;
    let (id, l) = signup(&app, &a, "ana@gamarra.pe").await;
    ask(&app, &a, "ana@gamarra.pe").await.expect(202);
    let token = delivered_token(&app, &a, id, "reset_password").await;
    let confirm = |t: String| {
        app.post("/api/v1/users/password-reset/confirm")
            .host(&a.host)
            .json(&json!({"token": t, "new_password": "a brand new secret"}))
            .send()
    };
    confirm(token.clone()).await.expect(204);
    refresh(&app, &a, &l.refresh)
        .await
        .expect_problem(401, "invalid_refresh_token");
    app.post("/api/v1/users/login")
        .host(&a.host)
        .json(&json!({"email": "ana@gamarra.pe", "password": PASSWORD}))
        .send()
        .await
        .expect_problem(401, "invalid_credentials");
    login_with(&app, &a, "ana@gamarra.pe", "a brand new secret").await;
    confirm(token).await.expect_problem(400, "invalid_token");
    // The verification token is not a reset token.
    let verify = delivered_token(&app, &a, id, "verify_email").await;
    confirm(verify).await.expect_problem(400, "invalid_token");
}

#[tokio::test]
async fn reset_tokens_expire() {
    let app = app_with(|c| c.reset_token_ttl = Duration::ZERO).await;
    let a = tenant(&app, "gamarra").await;
    let id = register(&app, &a, "ana@gamarra.pe").await;
    ask(&app, &a, "ana@gamarra.pe").await.expect(202);
    let token = delivered_token(&app, &a, id, "reset_password").await;
    tokio::time::sleep(Duration::from_millis(20)).await;
    app.post("/api/v1/users/password-reset/confirm")
        .host(&a.host)
        .json(&json!({"token": token, "new_password": "a brand new secret"}))
        .send()
        .await
        .expect_problem(400, "invalid_token");
    login(&app, &a, "ana@gamarra.pe").await;
}
