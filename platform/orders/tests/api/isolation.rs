//! Every order endpoint across customers, vendors and tenants. Another party's order is a 404,
//! never a 403, and the database itself keeps the rows apart (checked with the runtime role).

use serde_json::{Value, json};
use uuid::Uuid;

use crate::*;

/// Rows of `table` the runtime role sees as `user` in `t` (RLS decides, not the handlers).
async fn visible(app: &kernel::testing::TestApp, t: &Tenant, user: Uuid, table: &str) -> i64 {
    let mut tx = app.state.db.begin_scoped(t.id, Some(user)).await.unwrap();
    let n: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(format!("select count(*) from {table}")))
        .fetch_one(tx.conn())
        .await
        .unwrap();
    tx.commit().await.unwrap();
    n
}

fn part_id(o: &Value, vendor: Uuid) -> String {
    o["vendor_orders"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["vendor_id"] == vendor.to_string())
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string()
}

#[tokio::test]
async fn customers_see_only_their_own_orders() {
    let app = app().await;
    let m = market(&app, "own").await;
    let o = place(&app, &m.t, &m.alice.token, &[(m.a_variant, 1)])
        .await
        .expect(201)
        .body;
    let id = id_of(&o);
    app.get(&format!("/api/v1/orders/{id}"))
        .host(&m.t.host)
        .bearer(&m.bob.token)
        .send()
        .await
        .expect_problem(404, "not_found");
    app.post(&format!("/api/v1/orders/{id}/cancel"))
        .host(&m.t.host)
        .bearer(&m.bob.token)
        .json(&json!({}))
        .send()
        .await
        .expect_problem(404, "not_found");
    let bobs = app
        .get("/api/v1/orders")
        .host(&m.t.host)
        .bearer(&m.bob.token)
        .send()
        .await
        .expect(200)
        .body;
    assert_eq!(bobs["items"].as_array().unwrap().len(), 0);
    // Customers cannot reach the admin list or the vendor endpoints at all.
    app.get("/api/v1/orders/admin/orders")
        .host(&m.t.host)
        .bearer(&m.bob.token)
        .send()
        .await
        .expect_problem(403, "forbidden");
    let vo = part_id(&o, m.a.vendor_id);
    app.get(&format!("/api/v1/orders/vendor-orders/{vo}"))
        .host(&m.t.host)
        .bearer(&m.bob.token)
        .send()
        .await
        .expect_problem(403, "forbidden");
    // Guests: nothing without signing in.
    app.get(&format!("/api/v1/orders/{id}"))
        .host(&m.t.host)
        .send()
        .await
        .expect_problem(401, "unauthorized");
    app.get("/api/v1/orders")
        .host(&m.t.host)
        .send()
        .await
        .expect_problem(401, "unauthorized");
    // The database agrees: Bob's role-bound SQL sees none of Alice's rows.
    for table in [
        "orders",
        "vendor_orders",
        "order_items",
        "shipping_addresses",
        "order_status_history",
    ] {
        assert_eq!(visible(&app, &m.t, m.bob.id, table).await, 0, "{table}");
        assert!(visible(&app, &m.t, m.alice.id, table).await > 0, "{table}");
    }
    // And Bob's SQL cannot change Alice's order.
    let mut tx = app
        .state
        .db
        .begin_scoped(m.t.id, Some(m.bob.id))
        .await
        .unwrap();
    let changed = sqlx::query("update orders set status = 'cancelled'")
        .execute(tx.conn())
        .await
        .unwrap()
        .rows_affected();
    assert_eq!(changed, 0);
    tx.commit().await.unwrap();
    // The admin sees it.
    let all = app
        .get("/api/v1/orders/admin/orders")
        .host(&m.t.host)
        .bearer(&m.admin)
        .send()
        .await
        .expect(200)
        .body;
    assert_eq!(all["items"][0]["id"], o["id"]);
    app.get(&format!("/api/v1/orders/{id}"))
        .host(&m.t.host)
        .bearer(&m.admin)
        .send()
        .await
        .expect(200);
}

#[tokio::test]
async fn vendors_see_only_their_part_and_where_to_ship_it() {
    let app = app().await;
    let m = market(&app, "parts").await;
    let c = seller(&app, &m.t, &m.admin, "parts-c", 0).await;
    let both = place(
        &app,
        &m.t,
        &m.alice.token,
        &[(m.a_variant, 1), (m.b_variant, 2)],
    )
    .await
    .expect(201)
    .body;
    let only_b = place(&app, &m.t, &m.bob.token, &[(m.b_variant, 1)])
        .await
        .expect(201)
        .body;
    let (va, vb) = (part_id(&both, m.a.vendor_id), part_id(&both, m.b.vendor_id));

    let mine = app
        .get(&format!("/api/v1/orders/vendor-orders/{va}"))
        .host(&m.t.host)
        .bearer(&m.a.token)
        .send()
        .await
        .expect(200)
        .body;
    assert_eq!(mine["items"].as_array().unwrap().len(), 1);
    assert_eq!(mine["items"][0]["variant_id"], m.a_variant.to_string());
    assert_eq!(mine["shipping_address"]["recipient"], "Alicia Quispe");
    assert!(
        mine["history"]
            .as_array()
            .unwrap()
            .iter()
            .all(|h| h["vendor_order_id"] == va)
    );
    // Vendor A: not B's part, not the whole order, not orders it has no part in.
    app.get(&format!("/api/v1/orders/vendor-orders/{vb}"))
        .host(&m.t.host)
        .bearer(&m.a.token)
        .send()
        .await
        .expect_problem(404, "not_found");
    app.get(&format!("/api/v1/orders/{}", both["id"].as_str().unwrap()))
        .host(&m.t.host)
        .bearer(&m.a.token)
        .send()
        .await
        .expect_problem(404, "not_found");
    app.post(&format!("/api/v1/orders/vendor-orders/{vb}/status"))
        .host(&m.t.host)
        .bearer(&m.a.token)
        .json(&json!({"status": "cancelled"}))
        .send()
        .await
        .expect_problem(404, "not_found");
    app.post(&format!("/api/v1/orders/vendor-orders/{vb}/tracking"))
        .host(&m.t.host)
        .bearer(&m.a.token)
        .json(&json!({"carrier": "X", "tracking_number": "1"}))
        .send()
        .await
        .expect_problem(404, "not_found");
    let list = app
        .get("/api/v1/orders/vendor-orders")
        .host(&m.t.host)
        .bearer(&m.a.token)
        .send()
        .await
        .expect(200)
        .body;
    let ids: Vec<&str> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, [va.as_str()]);
    let list_b = app
        .get("/api/v1/orders/vendor-orders")
        .host(&m.t.host)
        .bearer(&m.b.token)
        .send()
        .await
        .expect(200)
        .body;
    assert_eq!(list_b["items"].as_array().unwrap().len(), 2);
    // In the database: A sees its item and the address of Alice's order only; C sees nothing.
    assert_eq!(visible(&app, &m.t, m.a.user_id, "order_items").await, 1);
    assert_eq!(visible(&app, &m.t, m.a.user_id, "vendor_orders").await, 1);
    assert_eq!(
        visible(&app, &m.t, m.a.user_id, "shipping_addresses").await,
        1
    );
    assert_eq!(
        visible(&app, &m.t, m.b.user_id, "shipping_addresses").await,
        2
    );
    for table in [
        "orders",
        "vendor_orders",
        "order_items",
        "shipping_addresses",
        "order_status_history",
        "order_tracking",
    ] {
        assert_eq!(visible(&app, &m.t, c.user_id, table).await, 0, "{table}");
    }
    let c_list = app
        .get("/api/v1/orders/vendor-orders")
        .host(&m.t.host)
        .bearer(&c.token)
        .send()
        .await
        .expect(200)
        .body;
    assert_eq!(c_list["items"].as_array().unwrap().len(), 0);
    let _ = only_b;
}

#[tokio::test]
async fn nothing_crosses_tenants() {
    let app = app().await;
    let m = market(&app, "one").await;
    let n = market(&app, "two").await;
    let o = place(&app, &m.t, &m.alice.token, &[(m.a_variant, 1)])
        .await
        .expect(201)
        .body;
    let id = id_of(&o);
    let vo = part_id(&o, m.a.vendor_id);
    // Tenant one's token is refused on tenant two's host.
    app.get("/api/v1/orders")
        .host(&n.t.host)
        .bearer(&m.alice.token)
        .send()
        .await
        .expect_problem(401, "unauthorized");
    // Tenant two's admin and vendors find nothing of tenant one.
    app.get(&format!("/api/v1/orders/{id}"))
        .host(&n.t.host)
        .bearer(&n.admin)
        .send()
        .await
        .expect_problem(404, "not_found");
    app.post(&format!("/api/v1/orders/{id}/mark-paid"))
        .host(&n.t.host)
        .bearer(&n.admin)
        .json(&json!({}))
        .send()
        .await
        .expect_problem(404, "not_found");
    app.post(&format!("/api/v1/orders/{id}/cancel"))
        .host(&n.t.host)
        .bearer(&n.admin)
        .json(&json!({}))
        .send()
        .await
        .expect_problem(404, "not_found");
    app.get(&format!("/api/v1/orders/vendor-orders/{vo}"))
        .host(&n.t.host)
        .bearer(&n.admin)
        .send()
        .await
        .expect_problem(404, "not_found");
    app.post(&format!("/api/v1/orders/vendor-orders/{vo}/status"))
        .host(&n.t.host)
        .bearer(&n.a.token)
        .json(&json!({"status": "cancelled"}))
        .send()
        .await
        .expect_problem(404, "not_found");
    let all = app
        .get("/api/v1/orders/admin/orders")
        .host(&n.t.host)
        .bearer(&n.admin)
        .send()
        .await
        .expect(200)
        .body;
    assert_eq!(all["items"].as_array().unwrap().len(), 0);
    // Tenant one's variants cannot be bought on tenant two.
    let res = place(&app, &n.t, &n.alice.token, &[(m.a_variant, 1)])
        .await
        .expect_problem(422, "validation_failed");
    assert_eq!(
        res.field_codes(),
        vec![(
            "lines[0].variant_id".to_string(),
            "unknown_variant".to_string()
        )]
    );
    app.post("/api/v1/orders/cart/items")
        .host(&n.t.host)
        .bearer(&n.alice.token)
        .json(&json!({"variant_id": m.a_variant, "quantity": 1}))
        .send()
        .await
        .expect_problem(422, "validation_failed");
    // Tenant one's admin runtime scope sees none of tenant two's rows even as the same tables.
    for table in [
        "orders",
        "vendor_orders",
        "order_items",
        "shipping_addresses",
        "order_status_history",
        "carts",
    ] {
        assert_eq!(visible(&app, &n.t, n.alice.id, table).await, 0, "{table}");
    }
    assert_eq!(stock(&app, &m.t, m.a_variant).await, (10, 1));
}
