//! The status workflow: vendors move their parts, the order's status follows, illegal moves are
//! 409, payment commits stock, cancelling a paid order restocks, tracking reaches the customer.

use serde_json::{Value, json};
use uuid::Uuid;

use crate::*;

async fn vo_move(
    app: &kernel::testing::TestApp,
    m: &Market,
    token: &str,
    vo: &Value,
    to: &str,
) -> kernel::testing::TestResponse {
    app.post(&format!(
        "/api/v1/orders/vendor-orders/{}/status",
        vo["id"].as_str().unwrap()
    ))
    .host(&m.t.host)
    .bearer(token)
    .json(&json!({"status": to}))
    .send()
    .await
}

async fn order(app: &kernel::testing::TestApp, m: &Market, token: &str, id: Uuid) -> Value {
    app.get(&format!("/api/v1/orders/{id}"))
        .host(&m.t.host)
        .bearer(token)
        .send()
        .await
        .expect(200)
        .body
}

fn part(o: &Value, vendor: Uuid) -> &Value {
    o["vendor_orders"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["vendor_id"] == vendor.to_string())
        .unwrap()
}

async fn mark_paid(
    app: &kernel::testing::TestApp,
    m: &Market,
    token: &str,
    id: Uuid,
) -> kernel::testing::TestResponse {
    app.post(&format!("/api/v1/orders/{id}/mark-paid"))
        .host(&m.t.host)
        .bearer(token)
        .json(&json!({"reason": "bank transfer 123"}))
        .send()
        .await
}

#[tokio::test]
async fn vendors_fulfil_their_parts_and_the_order_follows() {
    let app = app().await;
    let m = market(&app, "flow").await;
    let o = place(
        &app,
        &m.t,
        &m.alice.token,
        &[(m.a_variant, 2), (m.b_variant, 1)],
    )
    .await
    .expect(201)
    .body;
    let id = id_of(&o);
    let (pa, pb) = (
        part(&o, m.a.vendor_id).clone(),
        part(&o, m.b.vendor_id).clone(),
    );

    // Nothing ships before payment, and only admins (or payments) mark paid.
    vo_move(&app, &m, &m.a.token, &pa, "processing")
        .await
        .expect_problem(409, "order_transition_invalid");
    vo_move(&app, &m, &m.a.token, &pa, "paid")
        .await
        .expect_problem(409, "order_transition_invalid");
    mark_paid(&app, &m, &m.alice.token, id)
        .await
        .expect_problem(403, "forbidden");
    mark_paid(&app, &m, &m.a.token, id)
        .await
        .expect_problem(403, "forbidden");
    let paid = mark_paid(&app, &m, &m.admin, id).await.expect(200).body;
    assert_eq!(paid["status"], "paid");
    assert!(paid["paid_at"].is_string());
    // The reservation became a sale, recorded in the stock history.
    assert_eq!(stock(&app, &m.t, m.a_variant).await, (8, 0));
    let sold: i64 = app
        .owner_scalar(m.t.id, &format!("select count(*) from inventory_adjustments where variant_id = '{}' and reason = 'sold' and delta = -2", m.a_variant))
        .await;
    assert_eq!(sold, 1);
    mark_paid(&app, &m, &m.admin, id)
        .await
        .expect_problem(409, "order_transition_invalid");

    // Each vendor moves its own part; the order is as far as its slowest part.
    vo_move(&app, &m, &m.a.token, &pa, "processing")
        .await
        .expect(200);
    vo_move(&app, &m, &m.a.token, &pa, "shipped")
        .await
        .expect(200);
    assert_eq!(order(&app, &m, &m.alice.token, id).await["status"], "paid");
    vo_move(&app, &m, &m.b.token, &pb, "processing")
        .await
        .expect(200);
    assert_eq!(
        order(&app, &m, &m.alice.token, id).await["status"],
        "processing"
    );
    vo_move(&app, &m, &m.b.token, &pb, "shipped")
        .await
        .expect(200);
    assert_eq!(
        order(&app, &m, &m.alice.token, id).await["status"],
        "shipped"
    );
    // Shipped parts cannot be cancelled, not even by the customer or an admin.
    vo_move(&app, &m, &m.a.token, &pa, "cancelled")
        .await
        .expect_problem(409, "order_transition_invalid");
    app.post(&format!("/api/v1/orders/{id}/cancel"))
        .host(&m.t.host)
        .bearer(&m.admin)
        .json(&json!({}))
        .send()
        .await
        .expect_problem(409, "order_transition_invalid");
    vo_move(&app, &m, &m.a.token, &pa, "delivered")
        .await
        .expect(200);
    vo_move(&app, &m, &m.b.token, &pb, "delivered")
        .await
        .expect(200);
    let done = order(&app, &m, &m.alice.token, id).await;
    assert_eq!(done["status"], "delivered");
    // Every move is in the history with who made it.
    let history = done["history"].as_array().unwrap();
    let roles: Vec<&str> = history
        .iter()
        .map(|h| h["actor_role"].as_str().unwrap())
        .collect();
    assert!(roles.contains(&"admin") && roles.contains(&"vendor") && roles.contains(&"customer"));
    let order_level: Vec<&str> = history
        .iter()
        .filter(|h| h["vendor_order_id"].is_null())
        .map(|h| h["to_status"].as_str().unwrap())
        .collect();
    assert_eq!(
        order_level,
        [
            "pending_payment",
            "paid",
            "processing",
            "shipped",
            "delivered"
        ]
    );
    let events: i64 = app
        .owner_scalar(m.t.id, &format!("select count(*) from outbox where aggregate_id = '{id}' and topic in ('order.paid', 'order.shipped', 'order.delivered')"))
        .await;
    assert_eq!(events, 5, "paid once, shipped and delivered per vendor");
}

#[tokio::test]
async fn cancelling_a_paid_order_restocks_and_a_vendor_can_drop_its_part() {
    let app = app().await;
    let m = market(&app, "restock").await;
    let o = place(
        &app,
        &m.t,
        &m.alice.token,
        &[(m.a_variant, 2), (m.b_variant, 1)],
    )
    .await
    .expect(201)
    .body;
    let id = id_of(&o);
    mark_paid(&app, &m, &m.admin, id).await.expect(200);
    // Vendor B cannot fulfil: it cancels its part; stock comes back, the order goes on.
    let pb = part(&o, m.b.vendor_id).clone();
    vo_move(&app, &m, &m.b.token, &pb, "cancelled")
        .await
        .expect(200);
    assert_eq!(stock(&app, &m.t, m.b_variant).await, (10, 0));
    assert_eq!(order(&app, &m, &m.alice.token, id).await["status"], "paid");
    // The customer cancels the rest before work starts.
    let c = app
        .post(&format!("/api/v1/orders/{id}/cancel"))
        .host(&m.t.host)
        .bearer(&m.alice.token)
        .json(&json!({"reason": "too slow"}))
        .send()
        .await
        .expect(200)
        .body;
    assert_eq!(c["status"], "cancelled");
    assert!(c["cancelled_at"].is_string());
    assert_eq!(stock(&app, &m.t, m.a_variant).await, (10, 0));
    let returned: i64 = app
        .owner_scalar(
            m.t.id,
            "select count(*) from inventory_adjustments where reason = 'returned'",
        )
        .await;
    assert_eq!(returned, 2);
}

#[tokio::test]
async fn customers_cannot_cancel_once_a_vendor_started() {
    let app = app().await;
    let m = market(&app, "started").await;
    let o = place(&app, &m.t, &m.alice.token, &[(m.a_variant, 1)])
        .await
        .expect(201)
        .body;
    let id = id_of(&o);
    mark_paid(&app, &m, &m.admin, id).await.expect(200);
    vo_move(&app, &m, &m.a.token, part(&o, m.a.vendor_id), "processing")
        .await
        .expect(200);
    app.post(&format!("/api/v1/orders/{id}/cancel"))
        .host(&m.t.host)
        .bearer(&m.alice.token)
        .json(&json!({}))
        .send()
        .await
        .expect_problem(409, "order_transition_invalid");
    // An admin still can, before shipping.
    app.post(&format!("/api/v1/orders/{id}/cancel"))
        .host(&m.t.host)
        .bearer(&m.admin)
        .json(&json!({}))
        .send()
        .await
        .expect(200);
    assert_eq!(stock(&app, &m.t, m.a_variant).await, (10, 0));
}

#[tokio::test]
async fn unpaid_orders_expire_and_release_their_stock() {
    let app = app().await;
    let m = market(&app, "expiry").await;
    let old = id_of(
        &place(&app, &m.t, &m.alice.token, &[(m.a_variant, 4)])
            .await
            .expect(201)
            .body,
    );
    let fresh = id_of(
        &place(&app, &m.t, &m.bob.token, &[(m.a_variant, 1)])
            .await
            .expect(201)
            .body,
    );
    let _: i32 = app
        .owner_scalar(m.t.id, &format!("update orders set expires_at = now() - interval '1 minute' where id = '{old}' returning 1"))
        .await;
    // Past its deadline it cannot be paid any more.
    mark_paid(&app, &m, &m.admin, old)
        .await
        .expect_problem(409, "order_expired");
    assert_eq!(orders::api::expire_due(&app.state, 100).await.unwrap(), 1);
    assert_eq!(orders::api::expire_due(&app.state, 100).await.unwrap(), 0);
    let o = order(&app, &m, &m.alice.token, old).await;
    assert_eq!(o["status"], "cancelled");
    let last = o["history"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(
        (last["actor_role"].as_str(), last["reason"].as_str()),
        (Some("system"), Some("expired"))
    );
    assert_eq!(
        order(&app, &m, &m.bob.token, fresh).await["status"],
        "pending_payment"
    );
    assert_eq!(stock(&app, &m.t, m.a_variant).await, (10, 1));
}

#[tokio::test]
async fn vendors_add_tracking_that_customers_see() {
    let app = app().await;
    let m = market(&app, "track").await;
    let o = place(
        &app,
        &m.t,
        &m.alice.token,
        &[(m.a_variant, 1), (m.b_variant, 1)],
    )
    .await
    .expect(201)
    .body;
    let id = id_of(&o);
    let pa = part(&o, m.a.vendor_id).clone();
    let vo = pa["id"].as_str().unwrap();
    let shipment = json!({"carrier": "Olva Courier", "tracking_number": "OL-123", "tracking_url": "https://olva.example/OL-123"});
    // Not before payment.
    app.post(&format!("/api/v1/orders/vendor-orders/{vo}/tracking"))
        .host(&m.t.host)
        .bearer(&m.a.token)
        .json(&shipment)
        .send()
        .await
        .expect_problem(409, "tracking_not_allowed");
    mark_paid(&app, &m, &m.admin, id).await.expect(200);
    let t = app
        .post(&format!("/api/v1/orders/vendor-orders/{vo}/tracking"))
        .host(&m.t.host)
        .bearer(&m.a.token)
        .json(&shipment)
        .send()
        .await
        .expect(201)
        .body;
    app.post(&format!("/api/v1/orders/vendor-orders/{vo}/tracking"))
        .host(&m.t.host)
        .bearer(&m.a.token)
        .json(&shipment)
        .send()
        .await
        .expect_problem(409, "tracking_exists");
    let tid = t["id"].as_str().unwrap();
    app.post(&format!(
        "/api/v1/orders/vendor-orders/{vo}/tracking/{tid}/events"
    ))
    .host(&m.t.host)
    .bearer(&m.a.token)
    .json(
        &json!({"status": "in_transit", "location": "Lima", "occurred_at": "2026-11-20T10:00:00Z"}),
    )
    .send()
    .await
    .expect(201);
    app.post(&format!(
        "/api/v1/orders/vendor-orders/{vo}/tracking/{tid}/events"
    ))
    .host(&m.t.host)
    .bearer(&m.a.token)
    .json(&json!({"status": "teleported"}))
    .send()
    .await
    .expect_problem(422, "validation_failed");
    // Vendor B cannot add events to A's shipment, even through its own vendor order.
    let vob = part(&o, m.b.vendor_id)["id"].as_str().unwrap().to_string();
    app.post(&format!(
        "/api/v1/orders/vendor-orders/{vob}/tracking/{tid}/events"
    ))
    .host(&m.t.host)
    .bearer(&m.b.token)
    .json(&json!({"status": "delivered"}))
    .send()
    .await
    .expect(404);
    let seen = order(&app, &m, &m.alice.token, id).await;
    let tracking = &part(&seen, m.a.vendor_id)["tracking"][0];
    assert_eq!(tracking["tracking_number"], "OL-123");
    assert_eq!(tracking["events"][0]["status"], "in_transit");
    assert_eq!(tracking["events"].as_array().unwrap().len(), 1);
}
