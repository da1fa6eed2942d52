//! Refunds: never more than captured, whatever races; the order follows.

use serde_json::{Value, json};

use crate::*;

/// Alice's order (8000: vendor a's part 3500, vendor b's 4500), paid through the sandbox.
async fn paid(app: &kernel::testing::TestApp, slug: &str) -> (Market, uuid::Uuid, uuid::Uuid) {
    let (m, order) = market_with_order(app, slug).await;
    let p = pay(
        app,
        &m.t,
        &m.alice.token,
        &key(),
        json!({"order_id": id_of(&order), "method": "tok_success"}),
    )
    .await
    .expect(201)
    .body;
    drain(app).await;
    (m, id_of(&order), id_of(&p))
}

async fn refund(
    app: &kernel::testing::TestApp,
    m: &Market,
    token: &str,
    payment: uuid::Uuid,
    body: Value,
) -> kernel::testing::TestResponse {
    app.post(&format!("/api/v1/payments/{payment}/refunds"))
        .host(&m.t.host)
        .bearer(token)
        .header("idempotency-key", &key())
        .json(&body)
        .send()
        .await
}

#[tokio::test]
async fn racing_refunds_never_exceed_the_capture() {
    let app = app().await;
    let (m, _, payment) = paid(&app, "rf-race").await;
    for round in 0..5 {
        // Ten refunds of 3000 race for 8000 (less what earlier rounds took).
        let answers = futures::future::join_all(
            (0..10).map(|_| refund(&app, &m, &m.admin, payment, json!({"amount_minor": 3000}))),
        )
        .await;
        let ok = answers.iter().filter(|a| a.status.as_u16() == 201).count();
        for a in answers.iter().filter(|a| a.status.as_u16() != 201) {
            assert_eq!(a.status.as_u16(), 409, "{}", a.text);
            assert_eq!(a.body["code"], "refund_exceeds_captured");
        }
        let expected = if round == 0 { 2 } else { 0 };
        assert_eq!(ok, expected, "round {round}");
    }
    let refunded: i64 = app
        .owner_scalar(
            m.t.id,
            &format!("select refunded_minor from payments where id = '{payment}'"),
        )
        .await;
    assert_eq!(refunded, 6000);
    assert_eq!(
        ledger(&app, &m.t, payment).await,
        "capture:8000,refund:3000,refund:3000"
    );
    // The rest, then nothing more.
    let last = refund(&app, &m, &m.admin, payment, json!({}))
        .await
        .expect(201);
    assert_eq!(last.body["amount_minor"], 2000);
    refund(&app, &m, &m.admin, payment, json!({"amount_minor": 1}))
        .await
        .expect_problem(409, "refund_exceeds_captured");
    drain(&app).await;
    assert_eq!(
        order_status(&app, &m.t, &m.alice.token, id_of_order(&app, &m).await).await,
        "refunded"
    );
}

async fn id_of_order(app: &kernel::testing::TestApp, m: &Market) -> uuid::Uuid {
    app.owner_scalar(m.t.id, "select order_id from payments")
        .await
}

#[tokio::test]
async fn partial_and_full_refunds_move_the_order() {
    let app = app().await;
    let (m, order, payment) = paid(&app, "rf-order").await;
    let r = refund(
        &app,
        &m,
        &m.admin,
        payment,
        json!({"amount_minor": 500, "reason": "damaged box"}),
    )
    .await
    .expect(201)
    .body;
    assert_eq!(r["status"], "succeeded");
    assert_eq!(r["reason"], "damaged box");
    drain(&app).await;
    assert_eq!(
        order_status(&app, &m.t, &m.alice.token, order).await,
        "partially_refunded"
    );
    // The customer is told, in the inbox.
    let told: i64 = app
        .owner_scalar(m.t.id, &format!("select count(*) from notifications where topic = 'payment.refunded' and user_id = '{}'", m.alice.id))
        .await;
    assert!(told >= 1);
    refund(&app, &m, &m.admin, payment, json!({}))
        .await
        .expect(201);
    drain(&app).await;
    assert_eq!(
        order_status(&app, &m.t, &m.alice.token, order).await,
        "refunded"
    );
    // Bad amounts.
    for (body, status) in [
        (json!({"amount_minor": 0}), 422),
        (json!({"amount_minor": -5}), 422),
        (json!({"amount_minor": "x"}), 422),
        (json!({"amount_minor": 1, "extra": 1}), 422),
    ] {
        let res = refund(&app, &m, &m.admin, payment, body.clone()).await;
        assert_eq!(res.status.as_u16(), status, "{body}: {}", res.text);
    }
}

#[tokio::test]
async fn vendors_refund_their_own_part_when_allowed() {
    let app = app().await;
    let (m, order, payment) = paid(&app, "rf-vendor").await;
    let parts = app
        .get(&format!("/api/v1/orders/{order}"))
        .host(&m.t.host)
        .bearer(&m.alice.token)
        .send()
        .await
        .expect(200)
        .body;
    let vo = |vendor: uuid::Uuid| -> uuid::Uuid {
        parts["vendor_orders"]
            .as_array()
            .unwrap()
            .iter()
            .find(|v| v["vendor_id"] == json!(vendor))
            .map(id_of)
            .unwrap()
    };
    let (vo_a, vo_b) = (vo(m.a.vendor_id), vo(m.b.vendor_id));

    // Off by default.
    refund(
        &app,
        &m,
        &m.a.token,
        payment,
        json!({"vendor_order_id": vo_a}),
    )
    .await
    .expect_problem(403, "vendor_refunds_disabled");
    app.put("/api/v1/payments/settings")
        .host(&m.t.host)
        .bearer(&m.admin)
        .json(&json!({"vendor_refunds": true}))
        .send()
        .await
        .expect(200);
    // Customers may not refund; vendors must name their part, and only their own.
    refund(
        &app,
        &m,
        &m.alice.token,
        payment,
        json!({"amount_minor": 1}),
    )
    .await
    .expect(403);
    refund(&app, &m, &m.a.token, payment, json!({"amount_minor": 100}))
        .await
        .expect(422);
    let other = refund(
        &app,
        &m,
        &m.a.token,
        payment,
        json!({"vendor_order_id": vo_b}),
    )
    .await
    .expect(422);
    assert_eq!(other.field_codes()[0].0, "vendor_order_id");
    // More than the part: refused.
    refund(
        &app,
        &m,
        &m.a.token,
        payment,
        json!({"vendor_order_id": vo_a, "amount_minor": 3501}),
    )
    .await
    .expect_problem(409, "refund_exceeds_captured");
    let r = refund(
        &app,
        &m,
        &m.a.token,
        payment,
        json!({"vendor_order_id": vo_a}),
    )
    .await
    .expect(201)
    .body;
    assert_eq!(r["amount_minor"], 3500);
    drain(&app).await;
    assert_eq!(
        order_status(&app, &m.t, &m.alice.token, order).await,
        "partially_refunded"
    );
    let vo_status: String = app
        .owner_scalar(
            m.t.id,
            &format!("select status from vendor_orders where id = '{vo_a}'"),
        )
        .await;
    assert_eq!(vo_status, "refunded");
    // Vendor b sees its part's payment but not vendor a's refund.
    let seen = app
        .get(&format!("/api/v1/payments/{payment}"))
        .host(&m.t.host)
        .bearer(&m.b.token)
        .send()
        .await
        .expect(200)
        .body;
    assert_eq!(seen["refunds"], json!([]));
    let seen_a = app
        .get(&format!("/api/v1/payments/{payment}"))
        .host(&m.t.host)
        .bearer(&m.a.token)
        .send()
        .await
        .expect(200)
        .body;
    assert_eq!(seen_a["refunds"].as_array().unwrap().len(), 1);
}
