//! Bad input: a 422 problem naming every wrong field, in the caller's language, and nothing written.

use kernel::i18n::Locale;
use serde_json::{Value, json};

use crate::*;

fn codes(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(f, c)| (f.to_string(), c.to_string()))
        .collect()
}

#[tokio::test]
async fn invalid_tenants_are_refused_and_nothing_is_written() {
    let app = app().await;
    let staff = staff(&app).await;
    let long_name = "n".repeat(201);
    let cases: Vec<(Value, Vec<(String, String)>)> = vec![
        (
            json!({ "slug": "admin", "name": "X" }),
            codes(&[("slug", "slug_reserved")]),
        ),
        (
            json!({ "slug": "www", "name": "X" }),
            codes(&[("slug", "slug_reserved")]),
        ),
        (
            json!({ "slug": "platform", "name": "X" }),
            codes(&[("slug", "slug_reserved")]),
        ),
        (
            json!({ "slug": "Gamarra", "name": "X" }),
            codes(&[("slug", "slug_format")]),
        ),
        (
            json!({ "slug": "-gamarra", "name": "X" }),
            codes(&[("slug", "slug_format")]),
        ),
        (
            json!({ "slug": "gamarra-", "name": "X" }),
            codes(&[("slug", "slug_format")]),
        ),
        (
            json!({ "slug": "gam.arra", "name": "X" }),
            codes(&[("slug", "slug_format")]),
        ),
        (
            json!({ "slug": "a".repeat(64), "name": "X" }),
            codes(&[("slug", "slug_format")]),
        ),
        (
            json!({ "slug": "", "name": "X" }),
            codes(&[("slug", "required")]),
        ),
        (
            json!({ "slug": "ok", "name": "  " }),
            codes(&[("name", "required")]),
        ),
        (
            json!({ "slug": "ok", "name": long_name }),
            codes(&[("name", "too_long")]),
        ),
        (
            json!({ "slug": "ok", "name": "X", "currency": "pen" }),
            codes(&[("currency", "currency_format")]),
        ),
        (
            json!({ "slug": "ok", "name": "X", "currency": "SOLES" }),
            codes(&[("currency", "currency_format")]),
        ),
        (
            json!({ "slug": "ok", "name": "X", "default_locale": "fr" }),
            codes(&[("default_locale", "invalid_choice")]),
        ),
        (
            json!({ "slug": "ok", "name": "X", "default_locale": "ES" }),
            codes(&[("default_locale", "invalid_choice")]),
        ),
        (
            json!({ "slug": "ok", "name": "X", "id": "00000000-0000-0000-0000-000000000001" }),
            codes(&[("id", "unknown_field")]),
        ),
        (
            json!({ "slug": "ok", "name": "X", "status": "suspended" }),
            codes(&[("status", "unknown_field")]),
        ),
        (
            json!({ "slug": "ok", "name": "X", "kind": "platform" }),
            codes(&[("kind", "unknown_field")]),
        ),
        (json!({ "name": "X" }), codes(&[("slug", "required")])),
        (
            json!({ "slug": 7, "name": "X" }),
            codes(&[("slug", "invalid_type")]),
        ),
        // Every wrong field at once.
        (
            json!({ "slug": "api", "name": "", "currency": "usd" }),
            codes(&[
                ("slug", "slug_reserved"),
                ("name", "required"),
                ("currency", "currency_format"),
            ]),
        ),
    ];
    for (body, expected) in cases {
        let res = app
            .post(BASE)
            .host(PLATFORM)
            .bearer(&staff)
            .json(&body)
            .send()
            .await
            .expect_problem(422, "validation_failed");
        assert_eq!(res.field_codes(), expected, "body: {body}");
        for e in res.body["errors"].as_array().unwrap() {
            let message = e["message"].as_str().unwrap();
            assert!(
                !message.starts_with("field-"),
                "untranslated message for {body}: {message}"
            );
        }
    }
    assert_eq!(tenant_count(&app).await, 1, "only the platform tenant");
}

#[tokio::test]
async fn problems_speak_the_callers_language() {
    let app = app().await;
    let staff = staff(&app).await;
    let body = json!({ "slug": "admin", "name": "X", "status": "active" });
    let en = app
        .post(BASE)
        .host(PLATFORM)
        .bearer(&staff)
        .lang("en")
        .json(&body)
        .send()
        .await
        .expect_problem(422, "validation_failed");
    let es = app
        .post(BASE)
        .host(PLATFORM)
        .bearer(&staff)
        .lang("es-PE")
        .json(&body)
        .send()
        .await
        .expect_problem(422, "validation_failed");
    assert_eq!(
        en.body["title"],
        Locale::En.text("problem-validation_failed-title")
    );
    assert_eq!(
        es.body["title"],
        Locale::Es.text("problem-validation_failed-title")
    );
    assert_ne!(en.body["title"], es.body["title"]);
    assert_eq!(en.headers["content-language"], "en");
    assert_eq!(es.headers["content-language"], "es");
    // serde stops at the first unknown field; the message is still ours, in the caller's language.
    assert_eq!(
        en.field_codes(),
        [("status".to_string(), "unknown_field".to_string())]
    );
    assert_ne!(
        en.body["errors"][0]["message"],
        es.body["errors"][0]["message"]
    );

    let body = json!({ "slug": "admin", "name": "X" });
    let en = app
        .post(BASE)
        .host(PLATFORM)
        .bearer(&staff)
        .lang("en")
        .json(&body)
        .send()
        .await
        .expect_problem(422, "validation_failed");
    let es = app
        .post(BASE)
        .host(PLATFORM)
        .bearer(&staff)
        .lang("es")
        .json(&body)
        .send()
        .await
        .expect_problem(422, "validation_failed");
    assert_eq!(
        en.body["errors"][0]["message"],
        "The value of the field \"slug\" is reserved by the platform."
    );
    assert_eq!(
        es.body["errors"][0]["message"],
        "El valor del campo «slug» está reservado por la plataforma."
    );

    let id = id_of(&create_slug(&app, &staff, "gamarra").await);
    let en = app
        .post(BASE)
        .host(PLATFORM)
        .bearer(&staff)
        .lang("en")
        .json(&json!({ "slug": "gamarra", "name": "X" }))
        .send()
        .await
        .expect_problem(409, "slug_taken");
    let es = app
        .post(BASE)
        .host(PLATFORM)
        .bearer(&staff)
        .lang("es")
        .json(&json!({ "slug": "gamarra", "name": "X" }))
        .send()
        .await
        .expect_problem(409, "slug_taken");
    assert_eq!(en.body["title"], "Slug taken");
    assert_eq!(es.body["title"], "Slug en uso");
    app.post(&format!("{BASE}/{id}/domains"))
        .host(PLATFORM)
        .bearer(&staff)
        .json(&json!({ "domain": "tienda.example.pe" }))
        .send()
        .await
        .expect(201);
    let en = app
        .post(&format!("{BASE}/{id}/domains"))
        .host(PLATFORM)
        .bearer(&staff)
        .lang("en")
        .json(&json!({ "domain": "tienda.example.pe" }))
        .send()
        .await
        .expect_problem(409, "domain_taken");
    let es = app
        .post(&format!("{BASE}/{id}/domains"))
        .host(PLATFORM)
        .bearer(&staff)
        .lang("es")
        .json(&json!({ "domain": "tienda.example.pe" }))
        .send()
        .await
        .expect_problem(409, "domain_taken");
    assert_ne!(en.body["title"], es.body["title"]);
    assert_ne!(en.body["detail"], es.body["detail"]);
}

#[tokio::test]
async fn invalid_patches_change_nothing() {
    let app = app().await;
    let staff = staff(&app).await;
    let t = create_slug(&app, &staff, "gamarra").await;
    let id = id_of(&t);
    for (body, expected) in [
        (json!({ "name": "" }), codes(&[("name", "required")])),
        (
            json!({ "name": "n".repeat(201) }),
            codes(&[("name", "too_long")]),
        ),
        (
            json!({ "currency": "usd" }),
            codes(&[("currency", "currency_format")]),
        ),
        (
            json!({ "default_locale": "pt" }),
            codes(&[("default_locale", "invalid_choice")]),
        ),
        (
            json!({ "tax_rate_bps": 10_001 }),
            codes(&[("tax_rate_bps", "out_of_range")]),
        ),
        (
            json!({ "tax_rate_bps": -1 }),
            codes(&[("tax_rate_bps", "out_of_range")]),
        ),
        (
            json!({ "status": "suspended" }),
            codes(&[("status", "unknown_field")]),
        ),
        (
            json!({ "kind": "platform" }),
            codes(&[("kind", "unknown_field")]),
        ),
        (
            json!({ "id": uuid::Uuid::now_v7() }),
            codes(&[("id", "unknown_field")]),
        ),
        (
            json!({ "name": "", "currency": "x" }),
            codes(&[("name", "required"), ("currency", "currency_format")]),
        ),
    ] {
        let res = app
            .patch(&format!("{BASE}/{id}"))
            .host(PLATFORM)
            .bearer(&staff)
            .json(&body)
            .send()
            .await
            .expect_problem(422, "validation_failed");
        assert_eq!(res.field_codes(), expected, "body: {body}");
    }
    let reason = json!({ "reason": "r".repeat(501) });
    let res = app
        .post(&format!("{BASE}/{id}/suspend"))
        .host(PLATFORM)
        .bearer(&staff)
        .json(&reason)
        .send()
        .await
        .expect_problem(422, "validation_failed");
    assert_eq!(res.field_codes(), codes(&[("reason", "too_long")]));
    let res = app
        .post(&format!("{BASE}/{id}/suspend"))
        .host(PLATFORM)
        .bearer(&staff)
        .json(&json!({ "reason": "x", "status": "active" }))
        .send()
        .await
        .expect_problem(422, "validation_failed");
    assert_eq!(res.field_codes(), codes(&[("status", "unknown_field")]));
    let got = app
        .get(&format!("{BASE}/{id}"))
        .host(PLATFORM)
        .bearer(&staff)
        .send()
        .await
        .expect(200);
    assert_eq!(got.body, t, "nothing changed");
}

#[tokio::test]
async fn unreadable_bodies_are_problems_too() {
    let app = app().await;
    let staff = staff(&app).await;
    app.post(BASE)
        .host(PLATFORM)
        .bearer(&staff)
        .raw("text/plain", "slug=x")
        .send()
        .await
        .expect_problem(415, "unsupported_media_type");
    app.post(BASE)
        .host(PLATFORM)
        .bearer(&staff)
        .raw("application/json", "{not json")
        .send()
        .await
        .expect_problem(400, "malformed_request");
    let id = id_of(&create_slug(&app, &staff, "gamarra").await);
    app.post(&format!("{BASE}/{id}/suspend"))
        .host(PLATFORM)
        .bearer(&staff)
        .raw("text/plain", "because")
        .send()
        .await
        .expect_problem(415, "unsupported_media_type");
    assert_eq!(tenant_count(&app).await, 2);
    let got = app
        .get(&format!("{BASE}/{id}"))
        .host(PLATFORM)
        .bearer(&staff)
        .send()
        .await
        .expect(200);
    assert_eq!(got.body["status"], "active");
}

#[tokio::test]
async fn list_queries_are_validated() {
    let app = app().await;
    let staff = staff(&app).await;
    for (query, field, code) in [
        ("limit=100000", "limit", "out_of_range"),
        ("limit=0", "limit", "out_of_range"),
        ("limit=many", "limit", "invalid"),
        ("status=deleted", "status", "invalid_choice"),
        ("cursor=!!", "cursor", "invalid"),
    ] {
        let res = app
            .get(&format!("{BASE}?{query}"))
            .host(PLATFORM)
            .bearer(&staff)
            .lang("en")
            .send()
            .await
            .expect_problem(422, "validation_failed");
        assert_eq!(res.field_codes(), codes(&[(field, code)]), "{query}");
    }
    let q = "q".repeat(64);
    let res = app
        .get(&format!("{BASE}?q={q}"))
        .host(PLATFORM)
        .bearer(&staff)
        .send()
        .await
        .expect_problem(422, "validation_failed");
    assert_eq!(res.field_codes(), codes(&[("q", "too_long")]));
    app.get(&format!("{BASE}?limit=100"))
        .host(PLATFORM)
        .bearer(&staff)
        .send()
        .await
        .expect(200);
}

#[tokio::test]
async fn invalid_domains_are_refused_and_nothing_is_written() {
    let app = app().await;
    let staff = staff(&app).await;
    let id = id_of(&create_slug(&app, &staff, "gamarra").await);
    for (domain, code) in [
        ("localhost", "domain_format"),
        ("tienda", "domain_format"),
        ("tienda..example.pe", "domain_format"),
        ("-tienda.example.pe", "domain_format"),
        ("tienda_1.example.pe", "domain_format"),
        ("https://tienda.example.pe", "domain_format"),
        ("10.0.0.1", "domain_format"),
        ("", "required"),
        ("otra.localhost", "domain_reserved"),
        ("gamarra.localhost", "domain_reserved"),
    ] {
        let res = app
            .post(&format!("{BASE}/{id}/domains"))
            .host(PLATFORM)
            .bearer(&staff)
            .json(&json!({ "domain": domain }))
            .send()
            .await
            .expect_problem(422, "validation_failed");
        assert_eq!(res.field_codes(), codes(&[("domain", code)]), "{domain}");
    }
    let too_long = format!(
        "{}.pe",
        [
            "a".repeat(63),
            "b".repeat(63),
            "c".repeat(63),
            "d".repeat(60)
        ]
        .join(".")
    );
    assert!(too_long.len() > 253);
    let res = app
        .post(&format!("{BASE}/{id}/domains"))
        .host(PLATFORM)
        .bearer(&staff)
        .json(&json!({ "domain": too_long }))
        .send()
        .await
        .expect_problem(422, "validation_failed");
    assert_eq!(res.field_codes(), codes(&[("domain", "domain_format")]));
    let res = app
        .post(&format!("{BASE}/{id}/domains"))
        .host(PLATFORM)
        .bearer(&staff)
        .json(&json!({ "domain": "tienda.example.pe", "verified_at": "2020-01-01T00:00:00Z" }))
        .send()
        .await
        .expect_problem(422, "validation_failed");
    assert_eq!(
        res.field_codes(),
        codes(&[("verified_at", "unknown_field")])
    );
    assert_eq!(domain_count(&app).await, 0);
}
