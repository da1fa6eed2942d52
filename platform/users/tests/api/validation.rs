//! Bad input on every write route: a 4xx problem in the caller's language, and nothing written.

use serde_json::{Value, json};

use crate::*;

const TABLES: [&str; 8] = [
    "users",
    "user_profiles",
    "user_preferences",
    "user_addresses",
    "user_sessions",
    "user_tokens",
    "user_roles",
    "outbox",
];

async fn counts(app: &TestApp, t: &Tenant) -> Vec<i64> {
    let mut v = Vec::new();
    for table in TABLES {
        v.push(count(app, t, table).await);
    }
    v
}

async fn rows_digest(app: &TestApp, t: &Tenant) -> String {
    app.owner_scalar(
        t.id,
        "select concat_ws('|', (select string_agg(concat(email, password_hash, email_verified_at, status), ',') from users),
            (select string_agg(concat(display_name, phone, avatar_url), ',') from user_profiles),
            (select string_agg(concat(user_id, locale), ',') from user_preferences),
            (select string_agg(concat(city, country, is_default), ',') from user_addresses))",
    )
    .await
}

#[tokio::test]
async fn bad_input_is_refused_in_the_callers_language_without_writing() {
    let app = app().await;
    let a = tenant(&app, "gamarra").await;
    let (_, l) = signup(&app, &a, "ana@gamarra.pe").await;
    let res = app
        .post("/api/v1/users/me/addresses")
        .host(&a.host)
        .bearer(&l.access)
        .json(&address())
        .send()
        .await
        .expect(201);
    let addr = res.body["id"].as_str().unwrap().to_string();
    let long = "x".repeat(300);
    let prefs = json!({"locale": "en"});
    let with = |base: &Value, k: &str, v: Value| {
        let mut b = base.clone();
        b[k] = v;
        b
    };
    let reg = json!({"email": "new@gamarra.pe", "password": PASSWORD});
    let cases: Vec<(&str, String, Value, bool)> = vec![
        // (method, path, body, authenticated)
        (
            "POST",
            "/api/v1/users/register".into(),
            json!({"password": PASSWORD}),
            false,
        ),
        (
            "POST",
            "/api/v1/users/register".into(),
            json!({"email": 42, "password": PASSWORD}),
            false,
        ),
        (
            "POST",
            "/api/v1/users/register".into(),
            with(&reg, "email", json!(format!("{long}@x.pe"))),
            false,
        ),
        (
            "POST",
            "/api/v1/users/register".into(),
            with(&reg, "password", json!("short")),
            false,
        ),
        (
            "POST",
            "/api/v1/users/register".into(),
            with(&reg, "password", json!("p".repeat(129))),
            false,
        ),
        (
            "POST",
            "/api/v1/users/register".into(),
            with(&reg, "display_name", json!(long)),
            false,
        ),
        (
            "POST",
            "/api/v1/users/register".into(),
            with(&reg, "locale", json!("fr")),
            false,
        ),
        (
            "POST",
            "/api/v1/users/register".into(),
            with(&reg, "tenant_id", json!(Uuid::now_v7())),
            false,
        ),
        (
            "POST",
            "/api/v1/users/register".into(),
            with(&reg, "role", json!("admin")),
            false,
        ),
        (
            "POST",
            "/api/v1/users/register".into(),
            with(&reg, "email_verified", json!(true)),
            false,
        ),
        (
            "POST",
            "/api/v1/users/login".into(),
            json!({"email": "ana@gamarra.pe"}),
            false,
        ),
        (
            "POST",
            "/api/v1/users/login".into(),
            json!({"email": "ana@gamarra.pe", "password": PASSWORD, "tenant_id": "x"}),
            false,
        ),
        (
            "POST",
            "/api/v1/users/verify-email".into(),
            json!({}),
            false,
        ),
        (
            "POST",
            "/api/v1/users/verify-email".into(),
            json!({"token": long}),
            false,
        ),
        (
            "POST",
            "/api/v1/users/token/refresh".into(),
            json!({"refresh_token": 1}),
            false,
        ),
        (
            "POST",
            "/api/v1/users/password-reset".into(),
            json!({"email": "not-an-email"}),
            false,
        ),
        (
            "POST",
            "/api/v1/users/password-reset/confirm".into(),
            json!({"token": "t", "new_password": "short"}),
            false,
        ),
        (
            "PATCH",
            "/api/v1/users/me".into(),
            json!({"display_name": long}),
            true,
        ),
        (
            "PATCH",
            "/api/v1/users/me".into(),
            json!({"email_verified": true}),
            true,
        ),
        (
            "PATCH",
            "/api/v1/users/me".into(),
            json!({"email": "evil@x.pe"}),
            true,
        ),
        (
            "PATCH",
            "/api/v1/users/me".into(),
            json!({"role": "admin"}),
            true,
        ),
        (
            "PUT",
            "/api/v1/users/me/preferences".into(),
            with(&prefs, "marketing", json!("yes")),
            true,
        ),
        (
            "PUT",
            "/api/v1/users/me/preferences".into(),
            json!({"locale": "fr"}),
            true,
        ),
        (
            "PUT",
            "/api/v1/users/me/preferences".into(),
            with(&prefs, "tenant_id", json!(Uuid::now_v7())),
            true,
        ),
        (
            "POST",
            "/api/v1/users/me/addresses".into(),
            json!({"city": "Lima"}),
            true,
        ),
        (
            "POST",
            "/api/v1/users/me/addresses".into(),
            with(&address(), "line1", json!(long)),
            true,
        ),
        (
            "POST",
            "/api/v1/users/me/addresses".into(),
            with(&address(), "tenant_id", json!(Uuid::now_v7())),
            true,
        ),
        (
            "POST",
            "/api/v1/users/me/addresses".into(),
            with(&address(), "user_id", json!(Uuid::now_v7())),
            true,
        ),
        (
            "PATCH",
            format!("/api/v1/users/me/addresses/{addr}"),
            json!({"country": "Peru"}),
            true,
        ),
        (
            "PATCH",
            format!("/api/v1/users/me/addresses/{addr}"),
            json!({"is_default": "yes"}),
            true,
        ),
    ];
    let before = (counts(&app, &a).await, rows_digest(&app, &a).await);
    for (m, path, body, auth) in &cases {
        let mut titles = Vec::new();
        for lang in ["en", "es"] {
            let mut r = app.req(m, path).host(&a.host).lang(lang).json(body);
            if *auth {
                r = r.bearer(&l.access);
            }
            let res = r.send().await;
            assert!(
                res.status.is_client_error(),
                "{m} {path} {body}: {} {}",
                res.status,
                res.text
            );
            assert_eq!(
                res.headers["content-type"], "application/problem+json",
                "{m} {path}"
            );
            assert_eq!(res.headers["content-language"], lang);
            titles.push(res.body["title"].as_str().unwrap().to_string());
        }
        assert_ne!(
            titles[0], titles[1],
            "{m} {path}: titles must be translated"
        );
    }
    assert_eq!(
        (counts(&app, &a).await, rows_digest(&app, &a).await),
        before
    );
}

#[tokio::test]
async fn unknown_fields_are_named_and_malformed_bodies_are_problems() {
    let app = app().await;
    let a = tenant(&app, "gamarra").await;
    let res = app
        .post("/api/v1/users/register")
        .host(&a.host)
        .json(&json!({"email": "x@gamarra.pe", "password": PASSWORD, "email_verified": true}))
        .send()
        .await
        .expect_problem(422, "validation_failed");
    assert_eq!(
        res.field_codes(),
        [("email_verified".to_string(), "unknown_field".to_string())]
    );
    app.post("/api/v1/users/register")
        .host(&a.host)
        .raw("application/json", "{nope")
        .send()
        .await
        .expect_problem(400, "malformed_request");
    app.post("/api/v1/users/register")
        .host(&a.host)
        .raw("text/plain", "email=x")
        .send()
        .await
        .expect_problem(415, "unsupported_media_type");
    let res = app
        .post("/api/v1/users/register")
        .host(&a.host)
        .lang("es")
        .json(&json!({"email": "bad", "password": "short"}))
        .send()
        .await
        .expect_problem(422, "validation_failed");
    let codes = res.field_codes();
    assert_eq!(
        codes,
        [
            ("email".to_string(), "invalid".to_string()),
            ("password".into(), "too_short".into())
        ]
    );
    assert_eq!(count(&app, &a, "users").await, 0);
}
