//! Correctness under concurrency: no oversell, one order per idempotency key, stock released
//! exactly once.

use futures::future::join_all;
use rand::seq::SliceRandom;
use serde_json::json;
use uuid::Uuid;

use crate::*;

/// Stock 10 of the hot variant; 200 single-line checkouts of it race 50 multi-line carts (hot
/// variant plus two others, lines in random order). Exactly 10 units are sold, every refusal is
/// a clean 409, and the orders match the stock taken. Three rounds, to give races a chance.
#[tokio::test]
async fn two_hundred_fifty_racing_checkouts_never_oversell() {
    let app = app().await;
    let m = market(&app, "race").await;
    let others = [
        variant(&app, &m.t, &m.a.token, "race-A2", 1000, 1_000).await,
        variant(&app, &m.t, &m.b.token, "race-B2", 1000, 1_000).await,
    ];
    let mut customers = Vec::new();
    for i in 0..10 {
        let (id, token) = user(&app, &m.t, &format!("c{i}@race.test"), &[]).await;
        customers.push(Customer { id, token });
    }
    let hot = m.a_variant;
    for round in 0..3 {
        let mut rng = rand::rng();
        let requests = (0..250).map(|i| {
            let mut lines = vec![(hot, 1)];
            if i >= 200 {
                lines.extend(others.iter().map(|v| (*v, 1)));
                lines.shuffle(&mut rng);
            }
            let c = customers[i % customers.len()].clone();
            let (app, t) = (&app, &m.t);
            async move { place(app, t, &c.token, &lines).await }
        });
        let responses = join_all(requests).await;
        let mut placed = 0;
        for r in &responses {
            match r.status.as_u16() {
                201 => placed += 1,
                409 => assert_eq!(r.body["code"], "out_of_stock", "{}", r.text),
                s => panic!("round {round}: unexpected {s}: {}", r.text),
            }
        }
        assert_eq!(placed, 10, "round {round}");
        let (on_hand, reserved) = stock(&app, &m.t, hot).await;
        assert_eq!((on_hand, reserved), (10, 10), "round {round}");
        let sold: i64 = app
            .owner_scalar(
                m.t.id,
                &format!("select coalesce(sum(i.quantity), 0) from order_items i join orders o on o.id = i.order_id where i.variant_id = '{hot}' and o.status = 'pending_payment'"),
            )
            .await;
        assert_eq!(sold, 10, "round {round}");
        // The other variants were taken exactly by the multi-line orders that went through.
        let multi: i64 = app
            .owner_scalar(
                m.t.id,
                "select count(*) from orders where status = 'pending_payment' and item_count = 3",
            )
            .await;
        for v in others {
            assert_eq!(stock(&app, &m.t, v).await.1 as i64, multi, "round {round}");
        }
        // Next round: pay the orders (their units leave on_hand), restock the hot variant.
        let ids: String = app
            .owner_scalar(m.t.id, "select coalesce(string_agg(id::text, ','), '') from orders where status = 'pending_payment'")
            .await;
        for id in ids.split(',').filter(|s| !s.is_empty()) {
            app.post(&format!("/api/v1/orders/{id}/mark-paid"))
                .host(&m.t.host)
                .bearer(&m.admin)
                .json(&json!({}))
                .send()
                .await
                .expect(200);
        }
        assert_eq!(stock(&app, &m.t, hot).await, (0, 0));
        adjust(&app, &m.t, &m.a.token, hot, 10).await;
    }
}

async fn adjust(
    app: &kernel::testing::TestApp,
    t: &Tenant,
    token: &str,
    variant: Uuid,
    delta: i32,
) {
    let product: Uuid = app
        .owner_scalar(
            t.id,
            &format!("select product_id from product_variants where id = '{variant}'"),
        )
        .await;
    app.post(&format!(
        "/api/v1/products/{product}/variants/{variant}/inventory/adjustments"
    ))
    .host(&t.host)
    .bearer(token)
    .json(&json!({"delta": delta, "reason": "received"}))
    .send()
    .await
    .expect(201);
}

/// The reservation, not the catalogue read before it, decides: stock taken by another
/// transaction while a checkout runs is refused with the same 409 naming the line, and nothing
/// of the order commits (the reservation and the commit share one round trip, so a short line
/// must abort the transaction before its COMMIT runs).
#[tokio::test]
async fn stock_taken_during_checkout_is_refused_at_the_reservation_and_nothing_commits() {
    let app = app().await;
    let m = market_with_stock(&app, "late", 3).await;
    // Another transaction takes 2 of B's 3 units and keeps the row locked.
    let mut other = app.db.owner_tx(m.t.id, None).await;
    sqlx::query("update inventory set reserved = reserved + 2 where variant_id = $1")
        .bind(m.b_variant)
        .execute(&mut *other)
        .await
        .unwrap();
    let holder: i32 = sqlx::query_scalar("select pg_backend_pid()")
        .fetch_one(&mut *other)
        .await
        .unwrap();
    // The checkout still sees 3 of B, passes the catalogue check, and queues for B's row; the
    // other transaction commits once it does.
    let release = async {
        for _ in 0..200 {
            let waiting: i64 = sqlx::query_scalar(
                "select count(*) from pg_stat_activity where $1 = any(pg_blocking_pids(pid))",
            )
            .bind(holder)
            .fetch_one(&app.db.owner)
            .await
            .unwrap();
            if waiting > 0 {
                return other.commit().await.unwrap();
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        panic!("the checkout never waited for the stock row");
    };
    let lines = [(m.a_variant, 1), (m.b_variant, 2)];
    let (res, ()) = tokio::join!(place(&app, &m.t, &m.alice.token, &lines), release);
    let res = res.expect_problem(409, "out_of_stock");
    assert_eq!(
        res.field_codes(),
        vec![("lines[1]".to_string(), "out_of_stock".to_string())]
    );
    // What is left (1) and what was asked (2), as the reservation found them.
    let msg: String = res.body["errors"][0]["message"]
        .as_str()
        .unwrap()
        .chars()
        .filter(|c| !matches!(c, '\u{2068}' | '\u{2069}'))
        .collect();
    assert!(
        ["1 de late-B1", "1 of late-B1"]
            .iter()
            .any(|s| msg.contains(s))
            && ["pidieron 2", "2 were"].iter().any(|s| msg.contains(s)),
        "{msg}"
    );
    assert_eq!(stock(&app, &m.t, m.a_variant).await, (3, 0));
    assert_eq!(stock(&app, &m.t, m.b_variant).await, (3, 2));
    for table in ["orders", "order_items", "idempotency_keys", "outbox"] {
        assert_eq!(count(&app, &m.t, table).await, 0, "{table}");
    }
}

#[tokio::test]
async fn fifty_concurrent_retries_with_one_key_make_one_order() {
    let app = app().await;
    let m = market(&app, "idem").await;
    let k = key();
    let body = json!({"lines": [{"variant_id": m.a_variant, "quantity": 1}], "shipping_address": address()});
    let responses = join_all((0..50).map(|_| {
        app.post("/api/v1/orders")
            .host(&m.t.host)
            .bearer(&m.alice.token)
            .header("idempotency-key", &k)
            .json(&body)
            .send()
    }))
    .await;
    for r in &responses {
        assert_eq!(r.status.as_u16(), 201, "{}", r.text);
        assert_eq!(r.text, responses[0].text);
    }
    let replayed = responses
        .iter()
        .filter(|r| r.headers.get("idempotent-replayed").is_some())
        .count();
    assert_eq!(replayed, 49);
    assert_eq!(count(&app, &m.t, "orders").await, 1);
    assert_eq!(stock(&app, &m.t, m.a_variant).await, (10, 1));

    // The same key with another body is refused; nothing is written.
    let other = json!({"lines": [{"variant_id": m.a_variant, "quantity": 2}], "shipping_address": address()});
    app.post("/api/v1/orders")
        .host(&m.t.host)
        .bearer(&m.alice.token)
        .header("idempotency-key", &k)
        .json(&other)
        .send()
        .await
        .expect_problem(422, "idempotency_key_reused");
    // Another customer's request with the same key is theirs: a new order, not Alice's answer.
    let bobs = app
        .post("/api/v1/orders")
        .host(&m.t.host)
        .bearer(&m.bob.token)
        .header("idempotency-key", &k)
        .json(&body)
        .send()
        .await
        .expect(201);
    assert_ne!(bobs.body["id"], responses[0].body["id"]);
    assert_eq!(bobs.body["customer_id"], m.bob.id.to_string());
    // Another marketplace's customer with the same key gets an order of their own too.
    let n = market(&app, "idem2").await;
    let theirs = app
        .post("/api/v1/orders")
        .host(&n.t.host)
        .bearer(&n.alice.token)
        .header("idempotency-key", &k)
        .json(&json!({"lines": [{"variant_id": n.a_variant, "quantity": 1}], "shipping_address": address()}))
        .send()
        .await
        .expect(201);
    assert_ne!(theirs.body["id"], responses[0].body["id"]);
    assert_eq!(count(&app, &m.t, "orders").await, 2);
}

/// Ten cancels and the expiry sweep race for one unpaid order: one wins, the stock comes back
/// once, the history says cancelled once per part.
#[tokio::test]
async fn racing_cancels_and_expiry_release_stock_exactly_once() {
    let app = app().await;
    let m = market(&app, "cancelrace").await;
    for round in 0..3 {
        let o = place(
            &app,
            &m.t,
            &m.alice.token,
            &[(m.a_variant, 3), (m.b_variant, 2)],
        )
        .await
        .expect(201)
        .body;
        let id = id_of(&o);
        assert_eq!(stock(&app, &m.t, m.a_variant).await, (10, 3));
        let _: i32 = app
            .owner_scalar(m.t.id, &format!("update orders set expires_at = now() - interval '1 second' where id = '{id}' returning 1"))
            .await;
        let cancels = (0..10).map(|_| {
            app.post(&format!("/api/v1/orders/{id}/cancel"))
                .host(&m.t.host)
                .bearer(&m.alice.token)
                .json(&json!({"reason": "changed my mind"}))
                .send()
        });
        let (responses, expired) =
            tokio::join!(join_all(cancels), orders::api::expire_due(&app.state, 100));
        let expired = expired.unwrap();
        let ok = responses.iter().filter(|r| r.status == 200).count();
        for r in &responses {
            if r.status != 200 {
                assert_eq!(r.body["code"], "order_transition_invalid", "{}", r.text);
            }
        }
        assert_eq!(
            ok + expired,
            1,
            "round {round}: {ok} cancels and {expired} expiries won"
        );
        assert_eq!(stock(&app, &m.t, m.a_variant).await, (10, 0));
        assert_eq!(stock(&app, &m.t, m.b_variant).await, (10, 0));
        let cancelled: i64 = app
            .owner_scalar(m.t.id, &format!("select count(*) from order_status_history where order_id = '{id}' and to_status = 'cancelled'"))
            .await;
        assert_eq!(cancelled, 3, "order + two vendor orders");
        let events: i64 = app
            .owner_scalar(m.t.id, &format!("select count(*) from outbox where topic = 'order.cancelled' and aggregate_id = '{id}'"))
            .await;
        assert_eq!(events, 1);
    }
}
