//! Bad input gets a 4xx problem in the caller's language, and nothing is written.

use serde_json::{Value, json};

use crate::*;

async fn written(app: &kernel::testing::TestApp, t: &Tenant) -> (i64, i64, i64) {
    (
        count(app, t, "products").await,
        count(app, t, "product_variants").await,
        count(app, t, "inventory_adjustments").await,
    )
}

#[tokio::test]
async fn bad_products_are_refused_with_field_errors_and_write_nothing() {
    let app = app().await;
    let m = market(&app, "gamarra").await;
    active_product(&app, &m.t, &m.a.token, "Existente", "DUP-1", 1).await;
    let before = written(&app, &m.t).await;
    let variant = |extra: Value| {
        let mut v = json!({"sku": "NEW-1", "price_minor": 100});
        v.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        json!({"title": "Nuevo", "variants": [v]})
    };
    // (body, status, problem code, an expected field error)
    type Case = (
        Value,
        u16,
        &'static str,
        Option<(&'static str, &'static str)>,
    );
    let cases: Vec<Case> = vec![
        (
            variant(json!({"price_minor": -1})),
            422,
            "validation_failed",
            Some(("variants[0].price_minor", "out_of_range")),
        ),
        (
            variant(json!({"currency": "XYZ"})),
            422,
            "validation_failed",
            Some(("variants[0].currency", "currency_unknown")),
        ),
        (
            variant(json!({"currency": "USD"})),
            422,
            "validation_failed",
            Some(("variants[0].currency", "currency_mismatch")),
        ),
        (
            variant(json!({"compare_at_minor": 50})),
            422,
            "validation_failed",
            Some(("variants[0].compare_at_minor", "compare_at_not_above_price")),
        ),
        (
            variant(json!({"stock": -5})),
            422,
            "validation_failed",
            Some(("variants[0].stock", "out_of_range")),
        ),
        (
            variant(json!({"price_minor": "10"})),
            422,
            "validation_failed",
            None,
        ),
        (
            variant(json!({"price_minor": 1.5})),
            422,
            "validation_failed",
            None,
        ),
        (variant(json!({"sku": "dup-1"})), 409, "sku_taken", None),
        (
            json!({"title": "X", "variants": [{"sku": "S", "price_minor": 1}, {"sku": "s", "price_minor": 1}]}),
            422,
            "validation_failed",
            Some(("variants[1].sku", "duplicate")),
        ),
        (
            json!({"title": ""}),
            422,
            "validation_failed",
            Some(("title", "required")),
        ),
        (
            json!({"title": "x".repeat(201)}),
            422,
            "validation_failed",
            Some(("title", "too_long")),
        ),
        (
            json!({"title": "X", "slug": "Con Espacios"}),
            422,
            "validation_failed",
            Some(("slug", "slug_invalid")),
        ),
        (
            json!({"title": "X", "status": "published"}),
            422,
            "validation_failed",
            Some(("status", "invalid_choice")),
        ),
        (
            json!({"title": "X", "attributes": {"color": 3}}),
            422,
            "validation_failed",
            Some(("attributes.color", "invalid")),
        ),
        (
            json!({"title": "X", "tags": vec!["t"; 21]}),
            422,
            "validation_failed",
            Some(("tags", "too_long")),
        ),
        (
            json!({"title": "X", "category_ids": [uuid::Uuid::now_v7()]}),
            422,
            "validation_failed",
            Some(("category_ids", "not_found")),
        ),
        (
            json!({"title": "X", "translations": {"fr": {"title": "Polo"}}}),
            422,
            "validation_failed",
            Some(("translations.fr", "invalid_choice")),
        ),
        (
            json!({"title": "X", "translations": {"es": {"title": "Polo"}}}),
            422,
            "validation_failed",
            Some(("translations.es", "default_locale")),
        ),
        (
            json!({"title": "X", "price": 10}),
            422,
            "validation_failed",
            Some(("price", "unknown_field")),
        ),
        (
            json!({"title": "X", "status": "active"}),
            409,
            "product_needs_variant",
            None,
        ),
    ];
    for (body, status, code, field) in cases {
        let res = app
            .post("/api/v1/products")
            .host(&m.t.host)
            .bearer(&m.a.token)
            .json(&body)
            .send()
            .await
            .expect_problem(status, code);
        if let Some((f, c)) = field {
            assert!(
                res.field_codes().contains(&(f.to_string(), c.to_string())),
                "{body}: {:?}",
                res.field_codes()
            );
        }
        assert_eq!(written(&app, &m.t).await, before, "{body} wrote something");
    }
    // Malformed JSON and the wrong content type.
    app.post("/api/v1/products")
        .host(&m.t.host)
        .bearer(&m.a.token)
        .raw("application/json", "{\"title\": ")
        .send()
        .await
        .expect_problem(400, "malformed_request");
    app.post("/api/v1/products")
        .host(&m.t.host)
        .bearer(&m.a.token)
        .raw("text/plain", "title=x")
        .send()
        .await
        .expect(415);
}

#[tokio::test]
async fn problems_speak_the_callers_language() {
    let app = app().await;
    let m = market(&app, "gamarra").await;
    let body =
        json!({"title": "X", "variants": [{"sku": "S", "price_minor": -1, "currency": "XYZ"}]});
    let es = app
        .post("/api/v1/products")
        .host(&m.t.host)
        .bearer(&m.a.token)
        .lang("es")
        .json(&body)
        .send()
        .await
        .expect_problem(422, "validation_failed");
    let en = app
        .post("/api/v1/products")
        .host(&m.t.host)
        .bearer(&m.a.token)
        .lang("en")
        .json(&body)
        .send()
        .await
        .expect_problem(422, "validation_failed");
    assert_eq!(es.body["errors"].as_array().unwrap().len(), 2);
    assert_ne!(
        es.body["errors"][1]["message"],
        en.body["errors"][1]["message"]
    );
    assert!(
        en.body["errors"][1]["message"]
            .as_str()
            .unwrap()
            .contains("ISO 4217"),
        "{}",
        en.text
    );
    let es = app
        .post("/api/v1/products/vendors")
        .host(&m.t.host)
        .bearer(&m.a.token)
        .lang("es")
        .json(&json!({"name": "Otra", "contact_email": "x@y.pe"}))
        .send()
        .await
        .expect_problem(409, "vendor_exists");
    assert_eq!(es.body["title"], "Ya postulaste");
}

#[tokio::test]
async fn bad_paging_and_queries_are_refused() {
    let app = app().await;
    let m = market(&app, "gamarra").await;
    let p = active_product(&app, &m.t, &m.a.token, "Polo", "P-1", 1).await;
    let adj = format!(
        "/api/v1/products/{}/variants/{}/inventory/adjustments",
        p["id"].as_str().unwrap(),
        p["variants"][0]["id"].as_str().unwrap()
    );
    for path in [
        "/api/v1/products/vendors?limit=100000".to_string(),
        "/api/v1/products/vendors?limit=0".to_string(),
        "/api/v1/products/vendors?cursor=%21%21".to_string(),
        "/api/v1/products/manage?limit=100000".to_string(),
        "/api/v1/products/manage?status=gone".to_string(),
        "/api/v1/products/manage?vendor_id=nope".to_string(),
        "/api/v1/products/admin/vendors?status=gone".to_string(),
        format!("{adj}?limit=100000"),
    ] {
        app.get(&path)
            .host(&m.t.host)
            .bearer(&m.admin)
            .send()
            .await
            .expect_problem(422, "validation_failed");
    }
    // Adjustments: zero, absurd, unknown reason.
    for body in [
        json!({"delta": 0, "reason": "sold"}),
        json!({"delta": 2_000_000_000, "reason": "received"}),
        json!({"delta": 1, "reason": "gift"}),
        json!({"delta": 1, "reason": "received", "note": "n".repeat(501)}),
    ] {
        app.post(&adj)
            .host(&m.t.host)
            .bearer(&m.a.token)
            .json(&body)
            .send()
            .await
            .expect_problem(422, "validation_failed");
    }
    // Categories and vendors.
    for body in [
        json!({"name": ""}),
        json!({"name": "x", "slug": "a--b"}),
        json!({"name": "x", "parent_id": "no"}),
    ] {
        app.post("/api/v1/products/categories")
            .host(&m.t.host)
            .bearer(&m.admin)
            .json(&body)
            .send()
            .await
            .expect_problem(422, "validation_failed");
    }
    app.post("/api/v1/products/categories")
        .host(&m.t.host)
        .bearer(&m.admin)
        .json(&json!({"name": "x", "parent_id": uuid::Uuid::now_v7()}))
        .send()
        .await
        .expect_problem(404, "not_found");
    let (_, c) = user(&app, &m.t, "new@x.pe", &[]).await;
    for body in [
        json!({"name": "Tienda", "contact_email": "no-es-email"}),
        json!({"name": "Tienda", "contact_email": "a@b.pe", "shipping_rate_minor": -1}),
        json!({"name": "Tienda", "contact_email": "a@b.pe", "slug": "gamarra-a"}),
    ] {
        let res = app
            .post("/api/v1/products/vendors")
            .host(&m.t.host)
            .bearer(&c)
            .json(&body)
            .send()
            .await;
        assert!(res.status.is_client_error(), "{body}: {}", res.text);
    }
    assert_eq!(count(&app, &m.t, "categories").await, 0);
    assert_eq!(count(&app, &m.t, "vendors").await, 2);
}
