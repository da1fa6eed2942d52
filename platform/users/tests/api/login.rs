use serde_json::json;

use crate::*;

#[tokio::test]
async fn login_issues_a_pair_and_records_the_session() {
    let app = app().await;
    let a = tenant(&app, "gamarra").await;
    let id = register(&app, &a, "ana@gamarra.pe").await;
    let res = app
        .post("/api/v1/users/login")
        .host(&a.host)
        .header("user-agent", "tests/1.0")
        .header("x-forwarded-for", "203.0.113.7")
        .json(&json!({"email": "ANA@gamarra.pe", "password": PASSWORD}))
        .send()
        .await
        .expect(200);
    assert_eq!(res.body["token_type"], "Bearer");
    assert_eq!(res.body["expires_in"], 900);
    let claims = app
        .state
        .jwt
        .verify(res.body["access_token"].as_str().unwrap(), a.id)
        .unwrap();
    assert_eq!(claims.sub, id);
    let (ua, ip): (String, String) = (
        app.owner_scalar(a.id, "select user_agent from user_sessions")
            .await,
        app.owner_scalar(a.id, "select ip from user_sessions").await,
    );
    assert_eq!((ua.as_str(), ip.as_str()), ("tests/1.0", "203.0.113.7"));
    // Only the hash of the refresh token is stored.
    let refresh = res.body["refresh_token"].as_str().unwrap();
    let n: i64 = app.owner_scalar(a.id, &format!("select count(*) from user_sessions where refresh_token_hash = sha256('{refresh}'::bytea)")).await;
    assert_eq!(n, 1);
}

#[tokio::test]
async fn wrong_password_unknown_email_and_disabled_account_look_the_same() {
    let app = app().await;
    let a = tenant(&app, "gamarra").await;
    register(&app, &a, "ana@gamarra.pe").await;
    register(&app, &a, "off@gamarra.pe").await;
    let _: i64 = app.owner_scalar(a.id, "with u as (update users set status = 'disabled' where email = 'off@gamarra.pe' returning 1) select count(*) from u").await;
    let mut bodies = Vec::new();
    for (email, pw) in [
        ("ana@gamarra.pe", "wrong password!"),
        ("nobody@gamarra.pe", PASSWORD),
        ("off@gamarra.pe", PASSWORD),
    ] {
        let res = app
            .post("/api/v1/users/login")
            .host(&a.host)
            .lang("en")
            .json(&json!({"email": email, "password": pw}))
            .send()
            .await
            .expect_problem(401, "invalid_credentials");
        let mut b = res.body.clone();
        b.as_object_mut().unwrap().remove("request_id");
        bodies.push(b);
    }
    assert_eq!(bodies[0], bodies[1]);
    assert_eq!(bodies[0], bodies[2]);
    assert_eq!(count(&app, &a, "user_sessions").await, 0);
}

#[tokio::test]
async fn login_is_rate_limited_per_account() {
    let app = app_with(|c| c.login_limit_per_account = 3).await;
    let a = tenant(&app, "gamarra").await;
    register(&app, &a, "ana@gamarra.pe").await;
    for i in 0..3 {
        app.post("/api/v1/users/login")
            .host(&a.host)
            .header("x-forwarded-for", &format!("198.51.100.{i}"))
            .json(&json!({"email": "ana@gamarra.pe", "password": "wrong password"}))
            .send()
            .await
            .expect_problem(401, "invalid_credentials");
    }
    // Even the right password, from yet another address, waits out the window.
    let res = app
        .post("/api/v1/users/login")
        .host(&a.host)
        .header("x-forwarded-for", "198.51.100.99")
        .lang("en")
        .json(&json!({"email": "Ana@gamarra.pe", "password": PASSWORD}))
        .send()
        .await
        .expect_problem(429, "rate_limited");
    assert!(res.headers.get("retry-after").is_some());
    assert_eq!(res.body["title"], "Too many requests");
    // Another tenant's account with the same email is counted separately.
    let b = tenant(&app, "polvos").await;
    register(&app, &b, "ana@gamarra.pe").await;
    login(&app, &b, "ana@gamarra.pe").await;
}

#[tokio::test]
async fn login_is_rate_limited_per_ip() {
    let app = app_with(|c| c.login_limit_per_ip = 3).await;
    let a = tenant(&app, "gamarra").await;
    register(&app, &a, "ana@gamarra.pe").await;
    for i in 0..3 {
        app.post("/api/v1/users/login")
            .host(&a.host)
            .header("x-forwarded-for", "203.0.113.9")
            .json(&json!({"email": format!("u{i}@gamarra.pe"), "password": "wrong password"}))
            .send()
            .await
            .expect_problem(401, "invalid_credentials");
    }
    app.post("/api/v1/users/login")
        .host(&a.host)
        .header("x-forwarded-for", "203.0.113.9")
        .json(&json!({"email": "ana@gamarra.pe", "password": PASSWORD}))
        .send()
        .await
        .expect_problem(429, "rate_limited");
    app.post("/api/v1/users/login")
        .host(&a.host)
        .header("x-forwarded-for", "203.0.113.10")
        .json(&json!({"email": "ana@gamarra.pe", "password": PASSWORD}))
        .send()
        .await
        .expect(200);
}
