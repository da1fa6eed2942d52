//! Webhooks change state only when signed by this marketplace's secret, recently, and once.

use serde_json::json;

use crate::{stripe_fake::*, *};

/// A marketplace on Stripe (the fake) with Alice's payment waiting for her to confirm.
async fn waiting_payment(
    app: &kernel::testing::TestApp,
    slug: &str,
) -> (Market, Fake, String, uuid::Uuid) {
    let m = market(app, slug).await;
    let fake = start().await;
    use_stripe(app, &m, &fake, WEBHOOK_SECRET).await;
    let order = place(app, &m.t, &m.alice.token, &[(m.a_variant, 1)])
        .await
        .expect(201)
        .body;
    let p = pay(
        app,
        &m.t,
        &m.alice.token,
        &key(),
        json!({"order_id": id_of(&order)}),
    )
    .await
    .expect(201)
    .body;
    assert_eq!(p["status"], "requires_action");
    let intent = p["next_action"]["client_secret"]
        .as_str()
        .unwrap()
        .split("_secret_")
        .next()
        .unwrap()
        .to_string();
    (m, fake, intent, id_of(&order))
}

async fn payment_status(app: &kernel::testing::TestApp, m: &Market) -> String {
    app.owner_scalar(m.t.id, "select status from payments")
        .await
}

#[tokio::test]
async fn only_a_valid_recent_signature_of_this_marketplace_changes_anything() {
    let app = app().await;
    let (m, _fake, intent, order) = waiting_payment(&app, "wh-sig").await;
    let body = intent_succeeded("evt_1", &intent, 3500);

    // One flipped byte.
    let mut tampered = body.clone().into_bytes();
    let i = tampered.iter().position(|b| *b == b'3').unwrap();
    tampered[i] = b'9';
    app.post("/api/v1/payments/webhooks/stripe")
        .host(&m.t.host)
        .header(
            "stripe-signature",
            &::gateways::signature::sign(WEBHOOK_SECRET.as_bytes(), now(), body.as_bytes()),
        )
        .raw("application/json", tampered)
        .send()
        .await
        .expect_problem(400, "webhook_invalid");
    // Signed six minutes ago: a replay.
    stripe_webhook(&app, &m.t, WEBHOOK_SECRET, now() - 360, &body)
        .await
        .expect_problem(400, "webhook_invalid");
    // Another marketplace's secret.
    stripe_webhook(
        &app,
        &m.t,
        "whsec_of_another_marketplace_000000",
        now(),
        &body,
    )
    .await
    .expect_problem(400, "webhook_invalid");
    // No signature at all, in Spanish.
    let res = app
        .post("/api/v1/payments/webhooks/stripe")
        .host(&m.t.host)
        .lang("es")
        .raw("application/json", body.clone())
        .send()
        .await
        .expect_problem(400, "webhook_invalid");
    assert!(
        res.body["title"].as_str().unwrap().contains("rechazado"),
        "{}",
        res.text
    );
    assert_eq!(payment_status(&app, &m).await, "requires_action");
    let events: i64 = app
        .owner_scalar(m.t.id, "select count(*) from payment_webhook_events")
        .await;
    assert_eq!(events, 0, "a refused webhook is not even recorded");

    // The genuine event, delivered five times, has one effect.
    let mut receipts = Vec::new();
    for _ in 0..5 {
        receipts.push(
            stripe_webhook(&app, &m.t, WEBHOOK_SECRET, now(), &body)
                .await
                .expect(200)
                .body["status"]
                .clone(),
        );
    }
    assert_eq!(
        receipts,
        [
            json!("applied"),
            json!("duplicate"),
            json!("duplicate"),
            json!("duplicate"),
            json!("duplicate")
        ]
    );
    assert_eq!(payment_status(&app, &m).await, "captured");
    let payment: uuid::Uuid = app.owner_scalar(m.t.id, "select id from payments").await;
    assert_eq!(ledger(&app, &m.t, payment).await, "capture:3500");
    let captured_events: i64 = app
        .owner_scalar(
            m.t.id,
            "select count(*) from outbox where topic = 'payment.captured'",
        )
        .await;
    assert_eq!(captured_events, 1);
    drain(&app).await;
    assert_eq!(
        order_status(&app, &m.t, &m.alice.token, order).await,
        "paid"
    );
}

#[tokio::test]
async fn late_and_out_of_order_events_never_move_a_payment_back() {
    let app = app().await;
    let (m, _fake, intent, _) = waiting_payment(&app, "wh-order").await;
    stripe_webhook(
        &app,
        &m.t,
        WEBHOOK_SECRET,
        now(),
        &intent_succeeded("evt_ok", &intent, 3500),
    )
    .await
    .expect(200);
    // A failure and a "processing" reported after the success (other event ids).
    let failed = json!({"id": "evt_late_fail", "object": "event", "type": "payment_intent.payment_failed",
        "created": 1_699_999_000, "livemode": false,
        "data": {"object": {"id": intent, "object": "payment_intent", "amount": 3500, "amount_received": 0,
                            "currency": "pen", "status": "requires_payment_method",
                            "last_payment_error": {"type": "card_error", "code": "card_declined", "message": "declined"}}}})
    .to_string();
    let processing = json!({"id": "evt_late_proc", "object": "event", "type": "payment_intent.processing",
        "created": 1_699_998_000, "livemode": false,
        "data": {"object": {"id": intent, "object": "payment_intent", "amount": 3500, "amount_received": 0,
                            "currency": "pen", "status": "processing"}}})
    .to_string();
    for body in [failed, processing] {
        let r = stripe_webhook(&app, &m.t, WEBHOOK_SECRET, now(), &body)
            .await
            .expect(200);
        assert_eq!(r.body["status"], "ignored", "{}", r.text);
    }
    assert_eq!(payment_status(&app, &m).await, "captured");
    let payment: uuid::Uuid = app.owner_scalar(m.t.id, "select id from payments").await;
    assert_eq!(ledger(&app, &m.t, payment).await, "capture:3500");
}

/// Two marketplaces on Stripe with different accounts: each webhook is checked with its own
/// marketplace's secret, and one marketplace's event cannot touch the other's payment.
#[tokio::test]
async fn webhooks_are_routed_to_their_marketplace() {
    let app = app().await;
    let (a, _fa, intent_a, _) = waiting_payment(&app, "wh-a").await;
    let b = market(&app, "wh-b").await;
    let fb = start().await;
    use_stripe(&app, &b, &fb, "whsec_marketplace_b_secret_0000000001").await;

    // A's event posted to B's host: B's secret does not verify it.
    let body = intent_succeeded("evt_a", &intent_a, 3500);
    stripe_webhook(&app, &b.t, WEBHOOK_SECRET, now(), &body)
        .await
        .expect_problem(400, "webhook_invalid");
    // Signed with B's secret and sent to B: verified, but B has no such payment.
    let r = stripe_webhook(
        &app,
        &b.t,
        "whsec_marketplace_b_secret_0000000001",
        now(),
        &body,
    )
    .await
    .expect(200);
    assert_eq!(r.body["status"], "ignored");
    assert_eq!(payment_status(&app, &a).await, "requires_action");
    // A marketplace without the gateway has no webhook endpoint for it.
    let c = market(&app, "wh-c").await;
    stripe_webhook(&app, &c.t, WEBHOOK_SECRET, now(), &body)
        .await
        .expect(404);
    // A's own, to A: applied.
    stripe_webhook(&app, &a.t, WEBHOOK_SECRET, now(), &body)
        .await
        .expect(200);
    assert_eq!(payment_status(&app, &a).await, "captured");
}

#[tokio::test]
async fn sandbox_webhooks_follow_the_same_rules() {
    let app = app().await;
    let (m, order) = market_with_order(&app, "wh-sbx").await;
    let p = pay(
        &app,
        &m.t,
        &m.alice.token,
        &key(),
        json!({"order_id": id_of(&order), "method": "tok_3ds"}),
    )
    .await
    .expect(201)
    .body;
    let reference = crate::flow::p_reference(&app, &m, id_of(&p)).await;
    let body = json!({"id": "evt_sbx_1", "type": "payment.succeeded",
        "data": {"reference": reference, "amount_minor": 8000}})
    .to_string();
    sandbox_webhook(&app, &m.t, "whsec_wrong", now(), &body)
        .await
        .expect_problem(400, "webhook_invalid");
    sandbox_webhook(&app, &m.t, SANDBOX_SECRET, now() - 301, &body)
        .await
        .expect_problem(400, "webhook_invalid");
    for _ in 0..5 {
        sandbox_webhook(&app, &m.t, SANDBOX_SECRET, now(), &body)
            .await
            .expect(200);
    }
    assert_eq!(ledger(&app, &m.t, id_of(&p)).await, "capture:8000");
}
