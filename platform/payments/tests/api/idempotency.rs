//! One charge per key, however often and however concurrently the client asks.

use axum::http::StatusCode;
use serde_json::json;

use crate::{stripe_fake::*, *};

#[tokio::test]
async fn fifty_concurrent_requests_with_one_key_make_one_charge() {
    let app = app().await;
    let m = market(&app, "idem-stripe").await;
    let fake = start().await;
    use_stripe(&app, &m, &fake, WEBHOOK_SECRET).await;
    let order = place(&app, &m.t, &m.alice.token, &[(m.a_variant, 1)])
        .await
        .expect(201)
        .body;
    let body = json!({"order_id": id_of(&order), "method": "pm_card_visa"});
    let k = key();
    let answers = futures::future::join_all(
        (0..50).map(|_| pay(&app, &m.t, &m.alice.token, &k, body.clone())),
    )
    .await;
    let first = &answers[0];
    for a in &answers {
        assert_eq!(a.status.as_u16(), 201, "{}", a.text);
        assert_eq!(
            a.text, first.text,
            "every answer is the first one, byte for byte"
        );
    }
    assert_eq!(first.body["status"], "captured");
    assert_eq!(
        fake.seen.lock().unwrap().creates.len(),
        1,
        "one call to Stripe"
    );
    assert_eq!(count(&app, &m.t, "payments").await, 1);
    assert_eq!(ledger(&app, &m.t, id_of(&first.body)).await, "capture:3500");
    // The same key with another body is refused; another customer's identical key is theirs.
    pay(
        &app,
        &m.t,
        &m.alice.token,
        &k,
        json!({"order_id": id_of(&order), "method": "pm_other"}),
    )
    .await
    .expect_problem(422, "idempotency_key_reused");
    pay(&app, &m.t, &m.bob.token, &k, body.clone())
        .await
        .expect(404);
}

/// A retry after Stripe failed reaches Stripe with the same idempotency key (so had Stripe
/// charged, it would answer that charge); another client key gets another provider key.
#[tokio::test]
async fn retries_reach_the_provider_with_the_same_key() {
    let app = app().await;
    let m = market(&app, "idem-retry").await;
    let fake = start().await;
    use_stripe(&app, &m, &fake, WEBHOOK_SECRET).await;
    let order = place(&app, &m.t, &m.alice.token, &[(m.a_variant, 1)])
        .await
        .expect(201)
        .body;
    let body = json!({"order_id": id_of(&order), "method": "pm_card_visa"});
    fake.seen.lock().unwrap().fail_next = vec![
        StatusCode::INTERNAL_SERVER_ERROR,
        StatusCode::TOO_MANY_REQUESTS,
    ];
    let k = key();
    pay(&app, &m.t, &m.alice.token, &k, body.clone())
        .await
        .expect_problem(503, "unavailable");
    pay(&app, &m.t, &m.alice.token, &k, body.clone())
        .await
        .expect_problem(503, "unavailable");
    assert_eq!(
        count(&app, &m.t, "payments").await,
        0,
        "a failed attempt leaves nothing"
    );
    let ok = pay(&app, &m.t, &m.alice.token, &k, body.clone())
        .await
        .expect(201);
    assert_eq!(ok.body["status"], "captured");
    let seen = fake.seen.lock().unwrap();
    assert_eq!(seen.creates.len(), 3);
    assert!(
        seen.creates.iter().all(|c| c == &seen.creates[0]),
        "{:?}",
        seen.creates
    );
    assert!(seen.creates[0].starts_with("gmr-"));
    assert!(
        !seen.creates[0].contains(&k),
        "the provider key is derived, not the client's"
    );
}

#[tokio::test]
async fn a_stripe_decline_is_a_failed_payment() {
    let app = app().await;
    let m = market(&app, "idem-decline").await;
    let fake = start().await;
    use_stripe(&app, &m, &fake, WEBHOOK_SECRET).await;
    let order = place(&app, &m.t, &m.alice.token, &[(m.a_variant, 1)])
        .await
        .expect(201)
        .body;
    let p = pay(
        &app,
        &m.t,
        &m.alice.token,
        &key(),
        json!({"order_id": id_of(&order), "method": "pm_card_chargeDeclined"}),
    )
    .await
    .expect(201)
    .body;
    assert_eq!(p["status"], "failed");
    assert_eq!(p["failure"]["code"], "generic_decline");
    // Without a method the client confirms with Stripe.js.
    let p = pay(
        &app,
        &m.t,
        &m.alice.token,
        &key(),
        json!({"order_id": id_of(&order)}),
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
            .starts_with("pi_fake_")
    );
}
