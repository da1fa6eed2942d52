//! Bad checkouts: a 4xx problem in the caller's language, and nothing written.

use serde_json::{Value, json};

use crate::*;

async fn post(
    app: &kernel::testing::TestApp,
    m: &Market,
    body: Value,
) -> kernel::testing::TestResponse {
    app.post("/api/v1/orders")
        .host(&m.t.host)
        .bearer(&m.alice.token)
        .header("idempotency-key", &key())
        .json(&body)
        .send()
        .await
}

async fn nothing_written(app: &kernel::testing::TestApp, m: &Market) {
    for table in [
        "orders",
        "vendor_orders",
        "order_items",
        "shipping_addresses",
        "order_status_history",
        "idempotency_keys",
    ] {
        assert_eq!(count(app, &m.t, table).await, 0, "{table}");
    }
    assert_eq!(stock(app, &m.t, m.a_variant).await, (10, 0));
}

#[tokio::test]
async fn bad_orders_are_refused_with_nothing_written() {
    let app = app().await;
    let m = market(&app, "bad").await;
    let line = |q: i64| json!([{"variant_id": m.a_variant, "quantity": q}]);
    // (body, status, problem code, field errors expected among the problem's)
    type Case<'a> = (Value, u16, &'a str, Vec<(&'a str, &'a str)>);
    let cases: Vec<Case> = vec![
        (
            json!({"shipping_address": address()}),
            422,
            "cart_empty",
            vec![],
        ),
        (
            json!({"lines": [], "shipping_address": address()}),
            422,
            "cart_empty",
            vec![],
        ),
        (
            json!({"lines": line(0), "shipping_address": address()}),
            422,
            "validation_failed",
            vec![("lines[0].quantity", "out_of_range")],
        ),
        (
            json!({"lines": line(1_000_000_000), "shipping_address": address()}),
            422,
            "validation_failed",
            vec![("lines[0].quantity", "out_of_range")],
        ),
        (
            json!({"lines": line(-1), "shipping_address": address()}),
            422,
            "validation_failed",
            vec![("lines[0].quantity", "out_of_range")],
        ),
        (
            json!({"lines": [{"variant_id": uuid::Uuid::now_v7(), "quantity": 1}], "shipping_address": address()}),
            422,
            "validation_failed",
            vec![("lines[0].variant_id", "unknown_variant")],
        ),
        // Prices come from the catalogue: a client-sent price is an unknown field, not a discount.
        (
            json!({"lines": [{"variant_id": m.a_variant, "quantity": 1, "unit_price_minor": 1}], "shipping_address": address()}),
            422,
            "validation_failed",
            vec![("lines[0].unit_price_minor", "unknown_field")],
        ),
        (
            json!({"lines": line(1), "shipping_address": address(), "total_minor": 1}),
            422,
            "validation_failed",
            vec![("total_minor", "unknown_field")],
        ),
        (
            json!({"lines": line(1)}),
            422,
            "validation_failed",
            vec![("shipping_address", "required")],
        ),
        (
            json!({"lines": line(1), "shipping_address": {"recipient": "", "line1": "x", "city": "Lima", "country": "XX"}}),
            422,
            "validation_failed",
            vec![
                ("shipping_address.recipient", "required"),
                ("shipping_address.country", "invalid"),
            ],
        ),
        (
            json!({"lines": line(1), "shipping_address": address(), "shipping_address_id": uuid::Uuid::now_v7()}),
            422,
            "validation_failed",
            vec![("shipping_address_id", "exclusive")],
        ),
        (
            json!({"lines": line(1), "shipping_address_id": uuid::Uuid::now_v7()}),
            422,
            "validation_failed",
            vec![("shipping_address_id", "not_found")],
        ),
        (
            json!({"lines": line(1), "shipping_address": address(), "note": "x".repeat(501)}),
            422,
            "validation_failed",
            vec![("note", "too_long")],
        ),
        (
            json!({"lines": line(600).as_array().unwrap().iter().chain(line(600).as_array().unwrap()).collect::<Vec<_>>(), "shipping_address": address()}),
            422,
            "validation_failed",
            vec![("lines[1].quantity", "out_of_range")],
        ),
        (
            json!({"lines": "everything"}),
            422,
            "validation_failed",
            vec![("lines", "invalid_type")],
        ),
    ];
    for (body, status, code, fields) in cases {
        let res = post(&app, &m, body.clone())
            .await
            .expect_problem(status, code);
        let got = res.field_codes();
        for (f, c) in &fields {
            assert!(
                got.contains(&(f.to_string(), c.to_string())),
                "{body}: {got:?}"
            );
        }
        nothing_written(&app, &m).await;
    }
    // Without a key, or with a malformed one.
    app.post("/api/v1/orders")
        .host(&m.t.host)
        .bearer(&m.alice.token)
        .json(&json!({"lines": line(1), "shipping_address": address()}))
        .send()
        .await
        .expect_problem(400, "idempotency_key_required");
    app.post("/api/v1/orders")
        .host(&m.t.host)
        .bearer(&m.alice.token)
        .header("idempotency-key", "")
        .json(&json!({"lines": line(1), "shipping_address": address()}))
        .send()
        .await
        .expect_problem(400, "idempotency_key_invalid");
    // Guests must sign in to order.
    app.post("/api/v1/orders")
        .host(&m.t.host)
        .header("idempotency-key", &key())
        .json(&json!({"lines": line(1), "shipping_address": address()}))
        .send()
        .await
        .expect_problem(401, "unauthorized");
    nothing_written(&app, &m).await;
}

#[tokio::test]
async fn problems_speak_the_callers_language() {
    let app = app().await;
    let m = market_with_stock(&app, "idioma", 1).await;
    let res = app
        .post("/api/v1/orders")
        .host(&m.t.host)
        .bearer(&m.alice.token)
        .header("idempotency-key", &key())
        .lang("es")
        .json(&json!({"lines": [{"variant_id": m.a_variant, "quantity": 2}], "shipping_address": address()}))
        .send()
        .await
        .expect_problem(409, "out_of_stock");
    assert_eq!(res.body["title"], "Stock insuficiente");
    assert!(
        res.body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .starts_with("Solo se pueden comprar 1")
    );
    let res = app
        .post("/api/v1/orders")
        .host(&m.t.host)
        .bearer(&m.alice.token)
        .header("idempotency-key", &key())
        .lang("en")
        .json(&json!({"lines": [{"variant_id": m.a_variant, "quantity": 2}], "shipping_address": address()}))
        .send()
        .await
        .expect_problem(409, "out_of_stock");
    assert_eq!(res.body["title"], "Not enough stock");
}

#[tokio::test]
async fn drafts_and_suspended_shops_cannot_be_bought() {
    let app = app().await;
    let m = market(&app, "unsellable").await;
    let product: uuid::Uuid = app
        .owner_scalar(
            m.t.id,
            &format!(
                "select product_id from product_variants where id = '{}'",
                m.a_variant
            ),
        )
        .await;
    app.patch(&format!("/api/v1/products/{product}"))
        .host(&m.t.host)
        .bearer(&m.a.token)
        .json(&json!({"status": "draft"}))
        .send()
        .await
        .expect(200);
    place(&app, &m.t, &m.alice.token, &[(m.a_variant, 1)])
        .await
        .expect_problem(422, "validation_failed");
    app.post(&format!(
        "/api/v1/products/vendors/{}/suspend",
        m.b.vendor_id
    ))
    .host(&m.t.host)
    .bearer(&m.admin)
    .json(&json!({"reason": "audit"}))
    .send()
    .await
    .expect(200);
    place(&app, &m.t, &m.alice.token, &[(m.b_variant, 1)])
        .await
        .expect_problem(422, "validation_failed");
    assert_eq!(count(&app, &m.t, "orders").await, 0);
}
