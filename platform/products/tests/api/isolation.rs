//! Every product-service endpoint, tried across vendors and across tenants: another vendor's or
//! another tenant's row is a 404 and nothing changes.

use serde_json::{Value, json};

use crate::*;

/// Every write a vendor can aim at a product, with a body that would succeed for its owner.
fn product_writes(id: &str, vid: &str) -> Vec<(&'static str, String, Value)> {
    vec![
        (
            "PATCH",
            format!("/api/v1/products/{id}"),
            json!({"title": "pwned"}),
        ),
        ("DELETE", format!("/api/v1/products/{id}"), Value::Null),
        (
            "POST",
            format!("/api/v1/products/{id}/variants"),
            json!({"sku": "X-1", "price_minor": 1}),
        ),
        (
            "PATCH",
            format!("/api/v1/products/{id}/variants/{vid}"),
            json!({"price_minor": 1}),
        ),
        (
            "DELETE",
            format!("/api/v1/products/{id}/variants/{vid}"),
            Value::Null,
        ),
        (
            "GET",
            format!("/api/v1/products/{id}/inventory"),
            Value::Null,
        ),
        (
            "PATCH",
            format!("/api/v1/products/{id}/variants/{vid}/inventory"),
            json!({"low_stock_threshold": 1}),
        ),
        (
            "POST",
            format!("/api/v1/products/{id}/variants/{vid}/inventory/adjustments"),
            json!({"delta": -1, "reason": "lost"}),
        ),
        (
            "GET",
            format!("/api/v1/products/{id}/variants/{vid}/inventory/adjustments"),
            Value::Null,
        ),
    ]
}

async fn snapshot(app: &kernel::testing::TestApp, t: &Tenant) -> Vec<i64> {
    let mut out = vec![];
    for table in [
        "products",
        "product_variants",
        "inventory_adjustments",
        "product_tags",
        "categories",
        "vendors",
    ] {
        out.push(count(app, t, table).await);
    }
    let sums: i64 = app
        .owner_scalar(t.id, "select coalesce(sum(on_hand), 0)::int8 + coalesce(sum(low_stock_threshold), 0)::int8 from inventory")
        .await;
    let titles: i64 = app
        .owner_scalar(t.id, "select count(*) from products where title = 'pwned'")
        .await;
    out.extend([sums, titles]);
    out
}

#[tokio::test]
async fn vendor_b_cannot_touch_vendor_a_products() {
    let app = app().await;
    let m = market(&app, "gamarra").await;
    let draft = product(
        &app,
        &m.t,
        &m.a.token,
        json!({"title": "Borrador A", "variants": [{"sku": "A-D", "price_minor": 10, "stock": 3}]}),
    )
    .await;
    let active = active_product(&app, &m.t, &m.a.token, "Activo A", "A-A", 3).await;
    let before = snapshot(&app, &m.t).await;
    for p in [&draft, &active] {
        let (id, vid) = (
            p["id"].as_str().unwrap(),
            p["variants"][0]["id"].as_str().unwrap(),
        );
        for (method, path, body) in product_writes(id, vid) {
            let mut req = app.req(method, &path).host(&m.t.host).bearer(&m.b.token);
            if !body.is_null() {
                req = req.json(&body);
            }
            req.send().await.expect_problem(404, "not_found");
        }
    }
    // The draft is invisible to B; the active product is readable by anyone.
    app.get(&format!(
        "/api/v1/products/{}",
        draft["id"].as_str().unwrap()
    ))
    .host(&m.t.host)
    .bearer(&m.b.token)
    .send()
    .await
    .expect_problem(404, "not_found");
    assert_eq!(snapshot(&app, &m.t).await, before);
    // A customer is refused by RBAC before any row is looked at.
    let (id, vid) = (
        active["id"].as_str().unwrap(),
        active["variants"][0]["id"].as_str().unwrap(),
    );
    for (method, path, body) in product_writes(id, vid) {
        let mut req = app.req(method, &path).host(&m.t.host).bearer(&m.customer);
        if !body.is_null() {
            req = req.json(&body);
        }
        req.send().await.expect_problem(403, "forbidden");
    }
    // And B's SQL, through its own RLS-bound transaction, changes none of A's rows either.
    let mut tx = app
        .state
        .db
        .begin_scoped(m.t.id, Some(m.b.user_id))
        .await
        .unwrap();
    for sql in [
        "update products set title = 'pwned'",
        "update product_variants set price_minor = 0",
        "update inventory set on_hand = 0",
        "delete from product_tags",
        "delete from product_images",
        "delete from product_categories",
    ] {
        let n = sqlx::query(sql).execute(tx.conn()).await.unwrap();
        assert_eq!(n.rows_affected(), 0, "{sql}");
    }
    let seen: i64 = sqlx::query_scalar("select count(*) from inventory_adjustments")
        .fetch_one(tx.conn())
        .await
        .unwrap();
    assert_eq!(seen, 0, "B cannot read A's stock history");
    let err = sqlx::query(
        "insert into product_variants (id, tenant_id, product_id, sku, price_minor, currency) values (gen_random_uuid(), $1, $2, 'EVIL', 1, 'PEN')",
    )
    .bind(m.t.id)
    .bind(id.parse::<uuid::Uuid>().unwrap())
    .execute(tx.conn())
    .await
    .unwrap_err();
    assert!(err.to_string().contains("row-level security"), "{err}");
}

#[tokio::test]
async fn nothing_crosses_tenants() {
    let app = app().await;
    let a = market(&app, "alfa").await;
    let b = market(&app, "beta").await;
    let cat = app
        .post("/api/v1/products/categories")
        .host(&a.t.host)
        .bearer(&a.admin)
        .json(&json!({"name": "Exclusiva Alfa"}))
        .send()
        .await
        .expect(201)
        .body;
    let cat_id = cat["id"].as_str().unwrap();
    let p = product(
        &app,
        &a.t,
        &a.a.token,
        json!({"title": "Poncho Alfa", "status": "active", "category_ids": [cat_id],
               "variants": [{"sku": "ALFA-1", "price_minor": 100, "stock": 2}]}),
    )
    .await;
    let (id, vid) = (
        p["id"].as_str().unwrap(),
        p["variants"][0]["id"].as_str().unwrap(),
    );
    let before = snapshot(&app, &a.t).await;

    // A's tokens are refused on B's host (and B's on A's).
    for token in [&a.admin, &a.a.token, &a.customer] {
        app.get("/api/v1/products/manage")
            .host(&b.t.host)
            .bearer(token)
            .send()
            .await
            .expect_problem(401, "unauthorized");
    }
    // B's own admin and vendors, on B's host, aimed at A's ids and slugs.
    let reads = [
        format!("/api/v1/products/{id}"),
        "/api/v1/products/poncho-alfa".to_string(),
        format!("/api/v1/products/categories/{cat_id}"),
        "/api/v1/products/categories/exclusiva-alfa".to_string(),
        format!("/api/v1/products/vendors/{}", a.a.vendor_id),
        "/api/v1/products/vendors/alfa-a".to_string(),
        format!("/api/v1/products/admin/vendors/{}", a.a.vendor_id),
    ];
    for path in &reads {
        app.get(path)
            .host(&b.t.host)
            .bearer(&b.admin)
            .send()
            .await
            .expect_problem(404, "not_found");
    }
    for token in [&b.a.token, &b.admin] {
        for (method, path, body) in product_writes(id, vid) {
            let mut req = app.req(method, &path).host(&b.t.host).bearer(token);
            if !body.is_null() {
                req = req.json(&body);
            }
            req.send().await.expect_problem(404, "not_found");
        }
    }
    for (method, path, body) in [
        (
            "PATCH",
            format!("/api/v1/products/categories/{cat_id}"),
            json!({"name": "x"}),
        ),
        (
            "POST",
            format!("/api/v1/products/categories/{cat_id}/move"),
            json!({"parent_id": null}),
        ),
        (
            "DELETE",
            format!("/api/v1/products/categories/{cat_id}"),
            Value::Null,
        ),
        (
            "POST",
            format!("/api/v1/products/vendors/{}/suspend", a.a.vendor_id),
            Value::Null,
        ),
        (
            "POST",
            format!("/api/v1/products/vendors/{}/approve", a.a.vendor_id),
            Value::Null,
        ),
    ] {
        let mut req = app.req(method, &path).host(&b.t.host).bearer(&b.admin);
        if !body.is_null() {
            req = req.json(&body);
        }
        req.send().await.expect_problem(404, "not_found");
    }
    // A category of A cannot be attached to a product of B.
    app.post("/api/v1/products")
        .host(&b.t.host)
        .bearer(&b.a.token)
        .json(&json!({"title": "Robo", "category_ids": [cat_id]}))
        .send()
        .await
        .expect_problem(422, "validation_failed");
    // Lists on B show B's rows only.
    let lists = [
        ("/api/v1/products/categories", &b.customer),
        ("/api/v1/products/vendors", &b.customer),
        ("/api/v1/products/admin/vendors", &b.admin),
        ("/api/v1/products/manage", &b.admin),
    ];
    for (path, token) in lists {
        let res = app
            .get(path)
            .host(&b.t.host)
            .bearer(token)
            .send()
            .await
            .expect(200);
        assert!(
            !res.text.contains("Alfa") && !res.text.contains("alfa"),
            "{path}: {}",
            res.text
        );
    }
    assert_eq!(snapshot(&app, &a.t).await, before);
}

#[tokio::test]
async fn a_customer_reads_only_its_own_vendor_application() {
    let app = app().await;
    let m = market(&app, "gamarra").await;
    app.get("/api/v1/products/vendors/me")
        .host(&m.t.host)
        .bearer(&m.customer)
        .send()
        .await
        .expect_problem(404, "not_found");
    let mine = app
        .get("/api/v1/products/vendors/me")
        .host(&m.t.host)
        .bearer(&m.a.token)
        .send()
        .await
        .expect(200);
    assert_eq!(mine.body["id"], m.a.vendor_id.to_string());
    app.get("/api/v1/products/admin/vendors")
        .host(&m.t.host)
        .bearer(&m.a.token)
        .send()
        .await
        .expect_problem(403, "forbidden");
    app.get("/api/v1/products/vendors/me")
        .host(&m.t.host)
        .send()
        .await
        .expect_problem(401, "unauthorized");
}
