//! The sandbox end to end: checkout → payment → paid, every outcome the sandbox offers.

use std::time::Duration;

use serde_json::json;

use crate::*;

#[tokio::test]
async fn sandbox_checkout_to_paid() {
    let app = app().await;
    let (m, order) = market_with_order(&app, "pay-flow").await;
    let order_id = id_of(&order);
    assert_eq!(order["total_minor"], 8000);

    let res = pay(
        &app,
        &m.t,
        &m.alice.token,
        &key(),
        json!({"order_id": order_id, "method": "tok_success"}),
    )
    .await
    .expect(201);
    let p = &res.body;
    assert_eq!(p["status"], "captured");
    assert_eq!(p["provider"], "sandbox");
    // The amount is the order's, whatever the client may think.
    assert_eq!(p["amount_minor"], 8000);
    assert_eq!(p["captured_minor"], 8000);
    assert_eq!(p["currency"], order["currency"]);
    assert_eq!(p["next_action"]["type"], "none");
    let payment = id_of(p);
    assert_eq!(ledger(&app, &m.t, payment).await, "capture:8000");

    // The outbox carries the capture to the order.
    assert_eq!(
        order_status(&app, &m.t, &m.alice.token, order_id).await,
        "pending_payment"
    );
    drain(&app).await;
    assert_eq!(
        order_status(&app, &m.t, &m.alice.token, order_id).await,
        "paid"
    );
    // Paid: the reservation became a sale.
    assert_eq!(stock(&app, &m.t, m.a_variant).await, (9, 0));
    // And the customer heard of it.
    let paid_msgs: i64 = app
        .owner_scalar(
            m.t.id,
            &format!(
                "select count(*) from notifications where topic = 'order.paid' and user_id = '{}'",
                m.alice.id
            ),
        )
        .await;
    assert!(paid_msgs >= 1);

    // A second payment for a paid order is refused.
    pay(
        &app,
        &m.t,
        &m.alice.token,
        &key(),
        json!({"order_id": order_id, "method": "tok_success"}),
    )
    .await
    .expect_problem(409, "order_not_payable");

    // The customer's history and the payment's detail.
    let list = app
        .get(&format!("/api/v1/payments?order_id={order_id}"))
        .host(&m.t.host)
        .bearer(&m.alice.token)
        .send()
        .await
        .expect(200);
    assert_eq!(list.body["items"].as_array().unwrap().len(), 1);
    let detail = app
        .get(&format!("/api/v1/payments/{payment}"))
        .host(&m.t.host)
        .bearer(&m.alice.token)
        .send()
        .await
        .expect(200);
    assert_eq!(detail.body["transactions"][0]["kind"], "capture");
    assert_eq!(detail.body["refunds"], json!([]));
}

#[tokio::test]
async fn action_required_then_confirmed() {
    let app = app().await;
    let (m, order) = market_with_order(&app, "pay-3ds").await;
    let order_id = id_of(&order);
    let p = pay(
        &app,
        &m.t,
        &m.alice.token,
        &key(),
        json!({"order_id": order_id, "method": "tok_3ds"}),
    )
    .await
    .expect(201)
    .body;
    assert_eq!(p["status"], "requires_action");
    assert_eq!(p["next_action"]["type"], "confirm_with_client_secret");
    assert!(
        p["next_action"]["client_secret"]
            .as_str()
            .unwrap()
            .contains("_secret_")
    );
    let payment = id_of(&p);
    assert_eq!(ledger(&app, &m.t, payment).await, "");

    // Bob cannot confirm Alice's payment.
    app.post(&format!("/api/v1/payments/{payment}/confirm"))
        .host(&m.t.host)
        .bearer(&m.bob.token)
        .send()
        .await
        .expect(404);
    let confirmed = app
        .post(&format!("/api/v1/payments/{payment}/confirm"))
        .host(&m.t.host)
        .bearer(&m.alice.token)
        .send()
        .await
        .expect(200)
        .body;
    assert_eq!(confirmed["status"], "captured");
    assert_eq!(confirmed["next_action"]["type"], "none");
    // Confirming again answers the settled payment, changing nothing.
    app.post(&format!("/api/v1/payments/{payment}/confirm"))
        .host(&m.t.host)
        .bearer(&m.alice.token)
        .send()
        .await
        .expect(200);
    assert_eq!(ledger(&app, &m.t, payment).await, "capture:8000");
    drain(&app).await;
    assert_eq!(
        order_status(&app, &m.t, &m.alice.token, order_id).await,
        "paid"
    );
}

#[tokio::test]
async fn a_decline_is_recorded_and_another_method_may_follow() {
    let app = app().await;
    let (m, order) = market_with_order(&app, "pay-decline").await;
    let order_id = id_of(&order);
    let failed = pay(
        &app,
        &m.t,
        &m.alice.token,
        &key(),
        json!({"order_id": order_id, "method": "tok_insufficient_funds"}),
    )
    .await
    .expect(201)
    .body;
    assert_eq!(failed["status"], "failed");
    assert_eq!(failed["failure"]["code"], "insufficient_funds");
    assert_eq!(ledger(&app, &m.t, id_of(&failed)).await, "failure:8000");
    drain(&app).await;
    assert_eq!(
        order_status(&app, &m.t, &m.alice.token, order_id).await,
        "pending_payment"
    );

    // An action-required payment blocks a second one until cancelled.
    let pending = pay(
        &app,
        &m.t,
        &m.alice.token,
        &key(),
        json!({"order_id": order_id, "method": "tok_3ds"}),
    )
    .await
    .expect(201)
    .body;
    pay(
        &app,
        &m.t,
        &m.alice.token,
        &key(),
        json!({"order_id": order_id, "method": "tok_success"}),
    )
    .await
    .expect_problem(409, "payment_in_progress");
    let cancelled = app
        .post(&format!("/api/v1/payments/{}/cancel", id_of(&pending)))
        .host(&m.t.host)
        .bearer(&m.alice.token)
        .send()
        .await
        .expect(200)
        .body;
    assert_eq!(cancelled["status"], "cancelled");
    pay(
        &app,
        &m.t,
        &m.alice.token,
        &key(),
        json!({"order_id": order_id, "method": "tok_success"}),
    )
    .await
    .expect(201);
    drain(&app).await;
    assert_eq!(
        order_status(&app, &m.t, &m.alice.token, order_id).await,
        "paid"
    );
}

#[tokio::test]
async fn saved_methods_pay_and_belong_to_their_owner() {
    let app = app().await;
    let (m, order) = market_with_order(&app, "pay-methods").await;
    let saved = app
        .post("/api/v1/payments/methods")
        .host(&m.t.host)
        .bearer(&m.alice.token)
        .json(
            &json!({"provider": "sandbox", "token": "tok_visa", "brand": "visa", "last4": "4242",
                      "exp_month": 12, "exp_year": 2030}),
        )
        .send()
        .await
        .expect(201)
        .body;
    assert_eq!(saved["is_default"], true, "the first method is the default");
    let method = id_of(&saved);
    // Card numbers and CVCs never get in.
    let bad = app
        .post("/api/v1/payments/methods")
        .host(&m.t.host)
        .bearer(&m.alice.token)
        .lang("es")
        .json(&json!({"provider": "sandbox", "token": "4111111111111111"}))
        .send()
        .await
        .expect(422);
    assert_eq!(
        bad.field_codes(),
        [("token".to_string(), "card_number_not_allowed".to_string())]
    );
    assert!(
        bad.body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("tarjeta"),
        "{}",
        bad.text
    );
    app.post("/api/v1/payments/methods")
        .host(&m.t.host)
        .bearer(&m.alice.token)
        .json(&json!({"provider": "sandbox", "token": "tok_visa", "cvc": "123"}))
        .send()
        .await
        .expect(422);
    app.post("/api/v1/payments/methods")
        .host(&m.t.host)
        .bearer(&m.alice.token)
        .json(&json!({"provider": "stripe", "token": "pm_123"}))
        .send()
        .await
        .expect_problem(422, "validation_failed");

    // Bob sees none of Alice's methods and cannot use, default or delete them.
    let bobs = app
        .get("/api/v1/payments/methods")
        .host(&m.t.host)
        .bearer(&m.bob.token)
        .send()
        .await
        .expect(200);
    assert_eq!(bobs.body, json!([]));
    for (method_, path) in [
        ("POST", format!("/api/v1/payments/methods/{method}/default")),
        ("DELETE", format!("/api/v1/payments/methods/{method}")),
    ] {
        app.req(method_, &path)
            .host(&m.t.host)
            .bearer(&m.bob.token)
            .send()
            .await
            .expect(404);
    }
    let bob_order = place(&app, &m.t, &m.bob.token, &[(m.a_variant, 1)])
        .await
        .expect(201)
        .body;
    pay(
        &app,
        &m.t,
        &m.bob.token,
        &key(),
        json!({"order_id": id_of(&bob_order), "payment_method_id": method}),
    )
    .await
    .expect(422);

    // Alice pays with it.
    let p = pay(
        &app,
        &m.t,
        &m.alice.token,
        &key(),
        json!({"order_id": id_of(&order), "payment_method_id": method}),
    )
    .await
    .expect(201)
    .body;
    assert_eq!(p["status"], "captured");
    app.delete(&format!("/api/v1/payments/methods/{method}"))
        .host(&m.t.host)
        .bearer(&m.alice.token)
        .send()
        .await
        .expect(204);
}

#[tokio::test]
async fn bad_payment_requests_are_refused_and_write_nothing() {
    let app = app().await;
    let (m, order) = market_with_order(&app, "pay-bad").await;
    let order_id = id_of(&order);
    let cases = [
        json!({"order_id": order_id, "method": "tok_success", "amount_minor": 1}),
        json!({"order_id": order_id, "method": "4242424242424242"}),
        json!({"order_id": order_id, "method": "tok_success", "provider": "bitcoin"}),
        json!({"order_id": order_id, "method": "tok_unknown"}),
        json!({"order_id": order_id, "method": "tok_success", "return_url": "javascript:alert(1)"}),
        json!({"order_id": "not-a-uuid"}),
    ];
    for body in cases {
        let res = pay(&app, &m.t, &m.alice.token, &key(), body.clone()).await;
        assert_eq!(res.status.as_u16(), 422, "{body}: {}", res.text);
        assert_eq!(res.headers["content-type"], "application/problem+json");
    }
    // Missing key, unknown order, someone else's order.
    app.post("/api/v1/payments")
        .host(&m.t.host)
        .bearer(&m.alice.token)
        .json(&json!({"order_id": order_id, "method": "tok_success"}))
        .send()
        .await
        .expect_problem(400, "idempotency_key_required");
    pay(
        &app,
        &m.t,
        &m.alice.token,
        &key(),
        json!({"order_id": uuid::Uuid::now_v7(), "method": "tok_success"}),
    )
    .await
    .expect(404);
    pay(
        &app,
        &m.t,
        &m.bob.token,
        &key(),
        json!({"order_id": order_id, "method": "tok_success"}),
    )
    .await
    .expect(404);
    // A guest may not pay at all.
    app.post("/api/v1/payments")
        .host(&m.t.host)
        .header("idempotency-key", &key())
        .json(&json!({"order_id": order_id, "method": "tok_success"}))
        .send()
        .await
        .expect(401);
    assert_eq!(count(&app, &m.t, "payments").await, 0);
    assert_eq!(count(&app, &m.t, "payment_transactions").await, 0);
}

/// `tok_async`: the sandbox answers `processing` and later POSTs a signed webhook to the
/// marketplace's own URL, here a real server on a local port.
#[tokio::test]
async fn async_success_arrives_by_signed_webhook() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let app = app_with(|c| c.public_url_template = format!("http://{{host}}:{port}")).await;
    let router = app.router.clone();
    tokio::spawn(async move { axum::serve(listener, router).await });
    let m = market(&app, "pay-async").await;
    use_sandbox_with(&app, &m, SANDBOX_SECRET, json!({"async_delay_ms": 100})).await;
    let order = place(&app, &m.t, &m.alice.token, &[(m.a_variant, 2)])
        .await
        .expect(201)
        .body;
    let p = pay(
        &app,
        &m.t,
        &m.alice.token,
        &key(),
        json!({"order_id": id_of(&order), "method": "tok_async"}),
    )
    .await
    .expect(201)
    .body;
    assert_eq!(p["status"], "processing");
    let payment = id_of(&p);
    let mut status = String::new();
    for _ in 0..100 {
        tokio::time::sleep(Duration::from_millis(50)).await;
        status = app
            .owner_scalar(
                m.t.id,
                &format!("select status from payments where id = '{payment}'"),
            )
            .await;
        if status == "captured" {
            break;
        }
    }
    assert_eq!(status, "captured", "the sandbox's webhook did not arrive");
    let events: i64 = app
        .owner_scalar(
            m.t.id,
            "select count(*) from payment_webhook_events where provider = 'sandbox'",
        )
        .await;
    assert_eq!(events, 1);
    drain(&app).await;
    assert_eq!(
        order_status(&app, &m.t, &m.alice.token, id_of(&order)).await,
        "paid"
    );
}

/// Money that arrives for an order cancelled meanwhile goes back.
#[tokio::test]
async fn a_capture_for_a_cancelled_order_is_refunded() {
    let app = app().await;
    let (m, order) = market_with_order(&app, "pay-late").await;
    let order_id = id_of(&order);
    let p = pay(
        &app,
        &m.t,
        &m.alice.token,
        &key(),
        json!({"order_id": order_id, "method": "tok_3ds"}),
    )
    .await
    .expect(201)
    .body;
    // The customer gives up the order while the payment waits for her action.
    app.post(&format!("/api/v1/orders/{order_id}/cancel"))
        .host(&m.t.host)
        .bearer(&m.alice.token)
        .json(&json!({}))
        .send()
        .await
        .expect(200);
    // The provider reports the capture anyway.
    let body = json!({"id": "evt_late_1", "type": "payment.succeeded",
        "data": {"reference": p_reference(&app, &m, id_of(&p)).await, "amount_minor": 8000}})
    .to_string();
    sandbox_webhook(&app, &m.t, SANDBOX_SECRET, now(), &body)
        .await
        .expect(200);
    drain(&app).await;
    assert_eq!(
        order_status(&app, &m.t, &m.alice.token, order_id).await,
        "cancelled"
    );
    assert_eq!(
        ledger(&app, &m.t, id_of(&p)).await,
        "capture:8000,refund:8000"
    );
}

pub async fn p_reference(
    app: &kernel::testing::TestApp,
    m: &Market,
    payment: uuid::Uuid,
) -> String {
    app.owner_scalar(
        m.t.id,
        &format!("select provider_ref from payments where id = '{payment}'"),
    )
    .await
}
