//! Checkout: pricing from the catalogue, one vendor order per vendor, address snapshots, stock
//! reserved, history and the outbox, from explicit lines or from the cart.

use serde_json::json;

use crate::*;

#[tokio::test]
async fn an_order_splits_by_vendor_and_reserves_stock() {
    let app = app().await;
    let m = market(&app, "split").await;
    let res = place(
        &app,
        &m.t,
        &m.alice.token,
        &[(m.a_variant, 2), (m.b_variant, 1)],
    )
    .await
    .expect(201);
    let o = &res.body;
    let id = id_of(o);
    assert_eq!(res.headers["location"], format!("/api/v1/orders/{id}"));
    assert_eq!(o["status"], "pending_payment");
    assert_eq!(o["currency"], "PEN");
    // 2 × 25.00 + 40.00 of goods, 10.00 + 5.00 shipping, no tax configured.
    assert_eq!(o["subtotal_minor"], 9000);
    assert_eq!(o["shipping_minor"], 1500);
    assert_eq!(o["tax_minor"], 0);
    assert_eq!(o["total_minor"], 10500);
    assert_eq!(o["item_count"], 3);
    assert!(o["payment_due_at"].is_string());
    let parts = o["vendor_orders"].as_array().unwrap();
    assert_eq!(parts.len(), 2);
    let a = parts
        .iter()
        .find(|p| p["vendor_id"] == m.a.vendor_id.to_string())
        .unwrap();
    assert_eq!(a["subtotal_minor"], 5000);
    assert_eq!(a["shipping_minor"], 1000);
    assert_eq!(a["total_minor"], 6000);
    assert_eq!(a["items"][0]["quantity"], 2);
    assert_eq!(a["items"][0]["unit_price_minor"], 2500);
    assert_eq!(a["status"], "pending_payment");
    assert_eq!(o["shipping_address"]["country"], "PE");
    // One history row for the order and one per vendor order, all by the customer.
    assert_eq!(o["history"].as_array().unwrap().len(), 3);
    assert_eq!(stock(&app, &m.t, m.a_variant).await, (10, 2));
    assert_eq!(stock(&app, &m.t, m.b_variant).await, (10, 1));
    let placed: i64 = app
        .owner_scalar(
            m.t.id,
            &format!(
                "select count(*) from outbox where topic = 'order.placed' and aggregate_id = '{id}'"
            ),
        )
        .await;
    assert_eq!(placed, 1);
    // The customer reads it back, and finds it in their history.
    let back = app
        .get(&format!("/api/v1/orders/{id}"))
        .host(&m.t.host)
        .bearer(&m.alice.token)
        .send()
        .await
        .expect(200);
    // The answer to the checkout is the order exactly as it reads back.
    assert_eq!(&back.body, o);
    let list = app
        .get("/api/v1/orders")
        .host(&m.t.host)
        .bearer(&m.alice.token)
        .send()
        .await
        .expect(200);
    assert_eq!(list.body["items"][0]["id"], o["id"]);
}

#[tokio::test]
async fn tax_is_included_or_added_as_the_marketplace_says() {
    let app = app().await;
    let m = market(&app, "tax").await;
    set_tax(&app, &m.t, 1800, true).await;
    let o = place(&app, &m.t, &m.alice.token, &[(m.a_variant, 1)])
        .await
        .expect(201)
        .body;
    // 25.00 + 10.00 shipping including 18 %: 35.00 / 1.18 = 29.66, so 5.34 of tax.
    assert_eq!(
        (o["tax_minor"].as_i64(), o["total_minor"].as_i64()),
        (Some(534), Some(3500))
    );
    assert_eq!(o["tax_inclusive"], true);
    set_tax(&app, &m.t, 1800, false).await;
    let o = place(&app, &m.t, &m.alice.token, &[(m.a_variant, 1)])
        .await
        .expect(201)
        .body;
    assert_eq!(
        (o["tax_minor"].as_i64(), o["total_minor"].as_i64()),
        (Some(630), Some(4130))
    );
}

#[tokio::test]
async fn a_changed_price_refuses_the_order_the_customer_did_not_see() {
    let app = app().await;
    let m = market(&app, "repriced").await;
    let body = |expected: i64| {
        json!({
            "lines": [{"variant_id": m.a_variant, "quantity": 1}],
            "shipping_address": address(),
            "expected_total_minor": expected,
        })
    };
    app.post("/api/v1/orders")
        .host(&m.t.host)
        .bearer(&m.alice.token)
        .header("idempotency-key", &key())
        .json(&body(100))
        .send()
        .await
        .expect_problem(409, "price_changed");
    assert_eq!(count(&app, &m.t, "orders").await, 0);
    assert_eq!(stock(&app, &m.t, m.a_variant).await, (10, 0));
    app.post("/api/v1/orders")
        .host(&m.t.host)
        .bearer(&m.alice.token)
        .header("idempotency-key", &key())
        .json(&body(3500))
        .send()
        .await
        .expect(201);
}

#[tokio::test]
async fn checkout_from_the_cart_with_a_saved_address_snapshots_it() {
    let app = app().await;
    let m = market(&app, "fromcart").await;
    for (v, q) in [(m.a_variant, 1), (m.b_variant, 2)] {
        app.post("/api/v1/orders/cart/items")
            .host(&m.t.host)
            .bearer(&m.alice.token)
            .json(&json!({"variant_id": v, "quantity": q}))
            .send()
            .await
            .expect(200);
    }
    let saved = app
        .post("/api/v1/users/me/addresses")
        .host(&m.t.host)
        .bearer(&m.alice.token)
        .json(&json!({"recipient": "Casa", "line1": "Av. Aviación 100", "city": "Lima", "country": "PE"}))
        .send()
        .await
        .expect(201)
        .body;
    let o = app
        .post("/api/v1/orders")
        .host(&m.t.host)
        .bearer(&m.alice.token)
        .header("idempotency-key", &key())
        .json(&json!({"shipping_address_id": saved["id"]}))
        .send()
        .await
        .expect(201)
        .body;
    assert_eq!(o["item_count"], 3);
    assert_eq!(o["shipping_address"]["line1"], "Av. Aviación 100");
    // The bought lines left the cart.
    let cart = app
        .get("/api/v1/orders/cart")
        .host(&m.t.host)
        .bearer(&m.alice.token)
        .send()
        .await
        .expect(200)
        .body;
    assert_eq!(cart["item_count"], 0);
    // Editing the address book later does not touch the order.
    app.patch(&format!(
        "/api/v1/users/me/addresses/{}",
        saved["id"].as_str().unwrap()
    ))
    .host(&m.t.host)
    .bearer(&m.alice.token)
    .json(&json!({"line1": "Otra calle 1"}))
    .send()
    .await
    .expect(200);
    let back = app
        .get(&format!("/api/v1/orders/{}", o["id"].as_str().unwrap()))
        .host(&m.t.host)
        .bearer(&m.alice.token)
        .send()
        .await
        .expect(200)
        .body;
    assert_eq!(back["shipping_address"]["line1"], "Av. Aviación 100");
    // Another customer's saved address cannot be used.
    app.post("/api/v1/orders")
        .host(&m.t.host)
        .bearer(&m.bob.token)
        .header("idempotency-key", &key())
        .json(&json!({"lines": [{"variant_id": m.a_variant, "quantity": 1}], "shipping_address_id": saved["id"]}))
        .send()
        .await
        .expect_problem(422, "validation_failed");
}

#[tokio::test]
async fn out_of_stock_names_the_lines_and_reserves_nothing() {
    let app = app().await;
    let m = market_with_stock(&app, "short", 3).await;
    let res = place(
        &app,
        &m.t,
        &m.alice.token,
        &[(m.a_variant, 1), (m.b_variant, 5)],
    )
    .await
    .expect_problem(409, "out_of_stock");
    assert_eq!(
        res.field_codes(),
        vec![("lines[1]".to_string(), "out_of_stock".to_string())]
    );
    let msg = res.body["errors"][0]["message"].as_str().unwrap();
    assert!(msg.contains('3') && msg.contains("short-B1"), "{msg}");
    assert_eq!(stock(&app, &m.t, m.a_variant).await, (3, 0));
    assert_eq!(stock(&app, &m.t, m.b_variant).await, (3, 0));
    for table in [
        "orders",
        "vendor_orders",
        "order_items",
        "shipping_addresses",
        "order_status_history",
    ] {
        assert_eq!(count(&app, &m.t, table).await, 0, "{table}");
    }
    let events: i64 = app
        .owner_scalar(
            m.t.id,
            "select count(*) from outbox where topic like 'order.%'",
        )
        .await;
    assert_eq!(events, 0);
}
