//! Stock adjustments: atomic under concurrency, never below zero, recorded in a history.

use futures::future::join_all;
use serde_json::json;

use crate::*;

#[tokio::test]
async fn concurrent_adjustments_lose_nothing_and_never_go_below_zero() {
    let app = app().await;
    let m = market(&app, "gamarra").await;
    let p = active_product(&app, &m.t, &m.a.token, "Polo", "P-1", 20).await;
    let (id, vid) = (
        p["id"].as_str().unwrap().to_string(),
        p["variants"][0]["id"].as_str().unwrap().to_string(),
    );
    let path = format!("/api/v1/products/{id}/variants/{vid}/inventory/adjustments");
    let mut total_ok = 0i64;
    for round in 0..3 {
        // 40 removals of one unit and 10 additions of one, all at once.
        let reqs = (0..50).map(|i| {
            let delta = if i % 5 == 0 { 1 } else { -1 };
            let reason = if delta > 0 { "returned" } else { "sold" };
            app.post(&path)
                .host(&m.t.host)
                .bearer(&m.a.token)
                .json(&json!({"delta": delta, "reason": reason}))
                .send()
        });
        let results = join_all(reqs).await;
        for r in &results {
            match r.status.as_u16() {
                201 => total_ok += 1,
                409 => assert_eq!(r.body["code"], "insufficient_stock"),
                s => panic!("round {round}: unexpected {s}: {}", r.text),
            }
        }
        // Whatever the interleaving, stock equals the sum of the recorded adjustments and every
        // applied adjustment (plus the opening stock) is in the history exactly once.
        let on_hand: i32 = app
            .owner_scalar(
                m.t.id,
                &format!("select on_hand from inventory where variant_id = '{vid}'"),
            )
            .await;
        let (recorded, rows): (i64, i64) = (
            app.owner_scalar_as(
                m.t.id,
                Some(m.a.user_id),
                &format!("select sum(delta) from inventory_adjustments where variant_id = '{vid}'"),
            )
            .await,
            app.owner_scalar_as(
                m.t.id,
                Some(m.a.user_id),
                &format!("select count(*) from inventory_adjustments where variant_id = '{vid}'"),
            )
            .await,
        );
        assert_eq!(i64::from(on_hand), recorded, "round {round}");
        assert_eq!(rows, 1 + total_ok, "round {round}");
        assert!(on_hand >= 0);
    }
    // Drain to zero, then one more is refused and changes nothing.
    let on_hand: i32 = app
        .owner_scalar(
            m.t.id,
            &format!("select on_hand from inventory where variant_id = '{vid}'"),
        )
        .await;
    if on_hand > 0 {
        app.post(&path)
            .host(&m.t.host)
            .bearer(&m.a.token)
            .json(&json!({"delta": -on_hand, "reason": "correction", "note": "recuento"}))
            .send()
            .await
            .expect(201);
    }
    let history = "select count(*) from inventory_adjustments";
    let before: i64 = app
        .owner_scalar_as(m.t.id, Some(m.a.user_id), history)
        .await;
    app.post(&path)
        .host(&m.t.host)
        .bearer(&m.a.token)
        .lang("es")
        .json(&json!({"delta": -1, "reason": "sold"}))
        .send()
        .await
        .expect_problem(409, "insufficient_stock");
    let after: i64 = app
        .owner_scalar_as(m.t.id, Some(m.a.user_id), history)
        .await;
    assert_eq!(after, before);
}

#[tokio::test]
async fn a_drained_race_sells_exactly_what_there_is() {
    let app = app().await;
    let m = market(&app, "gamarra").await;
    let p = active_product(&app, &m.t, &m.a.token, "Polo", "P-1", 10).await;
    let path = format!(
        "/api/v1/products/{}/variants/{}/inventory/adjustments",
        p["id"].as_str().unwrap(),
        p["variants"][0]["id"].as_str().unwrap()
    );
    let results = join_all((0..40).map(|_| {
        app.post(&path)
            .host(&m.t.host)
            .bearer(&m.a.token)
            .json(&json!({"delta": -1, "reason": "sold"}))
            .send()
    }))
    .await;
    let ok = results.iter().filter(|r| r.status.as_u16() == 201).count();
    let refused = results.iter().filter(|r| r.status.as_u16() == 409).count();
    assert_eq!((ok, refused), (10, 30));
    let mut afters: Vec<i64> = results
        .iter()
        .filter(|r| r.status.as_u16() == 201)
        .map(|r| r.body["on_hand"].as_i64().unwrap())
        .collect();
    afters.sort();
    assert_eq!(
        afters,
        (0..10).collect::<Vec<_>>(),
        "each sale saw its own stock level"
    );
}

#[tokio::test]
async fn levels_thresholds_and_history() {
    let app = app().await;
    let m = market(&app, "gamarra").await;
    let p = active_product(&app, &m.t, &m.a.token, "Polo", "P-1", 3).await;
    let (id, vid) = (
        p["id"].as_str().unwrap(),
        p["variants"][0]["id"].as_str().unwrap(),
    );
    let level = app
        .patch(&format!("/api/v1/products/{id}/variants/{vid}/inventory"))
        .host(&m.t.host)
        .bearer(&m.a.token)
        .json(&json!({"low_stock_threshold": 5}))
        .send()
        .await
        .expect(200)
        .body;
    assert_eq!(level["low_stock"], true);
    app.post(&format!(
        "/api/v1/products/{id}/variants/{vid}/inventory/adjustments"
    ))
    .host(&m.t.host)
    .bearer(&m.a.token)
    .json(&json!({"delta": 10, "reason": "received", "note": "Lote 12"}))
    .send()
    .await
    .expect(201);
    let levels = app
        .get(&format!("/api/v1/products/{id}/inventory"))
        .host(&m.t.host)
        .bearer(&m.admin)
        .send()
        .await
        .expect(200)
        .body;
    assert_eq!(levels[0]["on_hand"], 13);
    assert_eq!(levels[0]["low_stock"], false);
    let history = app
        .get(&format!(
            "/api/v1/products/{id}/variants/{vid}/inventory/adjustments?limit=1"
        ))
        .host(&m.t.host)
        .bearer(&m.a.token)
        .send()
        .await
        .expect(200)
        .body;
    assert_eq!(history["items"][0]["delta"], 10);
    assert_eq!(history["items"][0]["note"], "Lote 12");
    assert_eq!(history["items"][0]["on_hand_after"], 13);
    let next = history["next_cursor"].as_str().unwrap();
    let older = app
        .get(&format!(
            "/api/v1/products/{id}/variants/{vid}/inventory/adjustments?cursor={next}"
        ))
        .host(&m.t.host)
        .bearer(&m.a.token)
        .send()
        .await
        .expect(200)
        .body;
    assert_eq!(
        older["items"][0]["delta"], 3,
        "opening stock was recorded as received"
    );
    assert_eq!(older["items"][0]["reason"], "received");
    assert!(older["next_cursor"].is_null());
}
