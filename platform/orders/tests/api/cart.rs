//! The cart: guests and customers, priced like checkout, merged at sign-in.

use serde_json::json;

use crate::*;

#[tokio::test]
async fn a_guest_cart_lives_behind_its_token_and_merges_at_sign_in() {
    let app = app().await;
    let m = market(&app, "guest").await;
    // No token: an empty cart, and no token is handed out for a read.
    let empty = app
        .get("/api/v1/orders/cart")
        .host(&m.t.host)
        .send()
        .await
        .expect(200)
        .body;
    assert_eq!(empty["item_count"], 0);
    assert!(empty["cart_token"].is_null());
    let first = app
        .post("/api/v1/orders/cart/items")
        .host(&m.t.host)
        .json(&json!({"variant_id": m.a_variant, "quantity": 2}))
        .send()
        .await
        .expect(200)
        .body;
    let token = first["cart_token"].as_str().unwrap().to_string();
    assert_eq!(first["vendors"][0]["lines"][0]["quantity"], 2);
    assert_eq!(first["total_minor"], 6000);
    let more = app
        .post("/api/v1/orders/cart/items")
        .host(&m.t.host)
        .header("x-cart-token", &token)
        .json(&json!({"variant_id": m.a_variant, "quantity": 1}))
        .send()
        .await
        .expect(200)
        .body;
    assert_eq!(more["vendors"][0]["lines"][0]["quantity"], 3);
    assert_eq!(more["cart_token"], token.as_str());
    // Another guest (no token, or a made-up one) does not see it.
    let other = app
        .get("/api/v1/orders/cart")
        .host(&m.t.host)
        .header("x-cart-token", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa")
        .send()
        .await
        .expect(200)
        .body;
    assert_eq!(other["item_count"], 0);
    // Nor does another marketplace.
    let n = market(&app, "guest2").await;
    let elsewhere = app
        .get("/api/v1/orders/cart")
        .host(&n.t.host)
        .header("x-cart-token", &token)
        .send()
        .await
        .expect(200)
        .body;
    assert_eq!(elsewhere["item_count"], 0);
    // Alice has one unit of B in her cart; signing in with the guest token merges both.
    app.put(&format!("/api/v1/orders/cart/items/{}", m.b_variant))
        .host(&m.t.host)
        .bearer(&m.alice.token)
        .json(&json!({"quantity": 1}))
        .send()
        .await
        .expect(200);
    let merged = app
        .get("/api/v1/orders/cart")
        .host(&m.t.host)
        .bearer(&m.alice.token)
        .header("x-cart-token", &token)
        .send()
        .await
        .expect(200)
        .body;
    assert!(merged["cart_token"].is_null());
    assert_eq!(merged["item_count"], 4);
    assert_eq!(merged["vendors"].as_array().unwrap().len(), 2);
    // The guest cart is gone; Bob never sees Alice's.
    let gone = app
        .get("/api/v1/orders/cart")
        .host(&m.t.host)
        .header("x-cart-token", &token)
        .send()
        .await
        .expect(200)
        .body;
    assert_eq!(gone["item_count"], 0);
    let bobs = app
        .get("/api/v1/orders/cart")
        .host(&m.t.host)
        .bearer(&m.bob.token)
        .send()
        .await
        .expect(200)
        .body;
    assert_eq!(bobs["item_count"], 0);
}

#[tokio::test]
async fn the_cart_shows_stock_and_groups_and_caps_lines() {
    let app = app().await;
    let m = market_with_stock(&app, "cartview", 3).await;
    set_tax(&app, &m.t, 1800, false).await;
    let put = |v: uuid::Uuid, q: i64| {
        app.put(&format!("/api/v1/orders/cart/items/{v}"))
            .host(&m.t.host)
            .bearer(&m.alice.token)
            .json(&json!({"quantity": q}))
            .send()
    };
    put(m.a_variant, 5).await.expect(200);
    let cart = put(m.b_variant, 1).await.expect(200).body;
    let a = cart["vendors"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["vendor_id"] == m.a.vendor_id.to_string())
        .unwrap()
        .clone();
    assert_eq!(a["lines"][0]["available"], 3);
    assert_eq!(a["lines"][0]["in_stock"], false);
    assert_eq!(a["shipping_minor"], 1000);
    // (5 × 25.00 + 10.00) × 1.18 and (40.00 + 5.00) × 1.18
    assert_eq!(a["total_minor"], 15930);
    assert_eq!(cart["total_minor"], 15930 + 5310);
    put(m.a_variant, 0)
        .await
        .expect_problem(422, "validation_failed");
    put(m.a_variant, 1000)
        .await
        .expect_problem(422, "validation_failed");
    // Adding beyond 999 caps the line.
    app.post("/api/v1/orders/cart/items")
        .host(&m.t.host)
        .bearer(&m.alice.token)
        .json(&json!({"variant_id": m.a_variant, "quantity": 999}))
        .send()
        .await
        .expect(200);
    let cart = app
        .get("/api/v1/orders/cart")
        .host(&m.t.host)
        .bearer(&m.alice.token)
        .send()
        .await
        .expect(200)
        .body;
    let a = cart["vendors"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["vendor_id"] == m.a.vendor_id.to_string())
        .unwrap()
        .clone();
    assert_eq!(a["lines"][0]["quantity"], 999);
    // A variant that stops being sold moves to `unavailable` and out of the totals.
    let product: uuid::Uuid = app
        .owner_scalar(
            m.t.id,
            &format!(
                "select product_id from product_variants where id = '{}'",
                m.b_variant
            ),
        )
        .await;
    app.patch(&format!("/api/v1/products/{product}"))
        .host(&m.t.host)
        .bearer(&m.b.token)
        .json(&json!({"status": "draft"}))
        .send()
        .await
        .expect(200);
    let cart = app
        .get("/api/v1/orders/cart")
        .host(&m.t.host)
        .bearer(&m.alice.token)
        .send()
        .await
        .expect(200)
        .body;
    assert_eq!(
        cart["unavailable"][0]["variant_id"],
        m.b_variant.to_string()
    );
    assert_eq!(cart["vendors"].as_array().unwrap().len(), 1);
    // Removing and clearing.
    app.delete(&format!("/api/v1/orders/cart/items/{}", m.b_variant))
        .host(&m.t.host)
        .bearer(&m.alice.token)
        .send()
        .await
        .expect(200);
    app.delete(&format!("/api/v1/orders/cart/items/{}", m.b_variant))
        .host(&m.t.host)
        .bearer(&m.alice.token)
        .send()
        .await
        .expect_problem(404, "not_found");
    let cleared = app
        .delete("/api/v1/orders/cart")
        .host(&m.t.host)
        .bearer(&m.alice.token)
        .send()
        .await
        .expect(200)
        .body;
    assert_eq!(cleared["item_count"], 0);
    // Checkout from an empty cart.
    app.post("/api/v1/orders")
        .host(&m.t.host)
        .bearer(&m.alice.token)
        .header("idempotency-key", &key())
        .json(&json!({"shipping_address": address()}))
        .send()
        .await
        .expect_problem(422, "cart_empty");
}
