//! Nothing crosses customers or marketplaces: every route, from the other side.

use serde_json::json;

use crate::*;

#[tokio::test]
async fn customers_see_and_touch_only_their_own_payments() {
    let app = app().await;
    let (m, order) = market_with_order(&app, "iso-user").await;
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
    let payment = id_of(&p);
    // Bob: an empty history, 404 for Alice's payment, its confirmation and cancellation.
    let list = app
        .get("/api/v1/payments")
        .host(&m.t.host)
        .bearer(&m.bob.token)
        .send()
        .await
        .expect(200);
    assert_eq!(list.body["items"], json!([]));
    let filtered = app
        .get(&format!("/api/v1/payments?order_id={}", id_of(&order)))
        .host(&m.t.host)
        .bearer(&m.bob.token)
        .send()
        .await
        .expect(200);
    assert_eq!(filtered.body["items"], json!([]));
    for (method, path) in [
        ("GET", format!("/api/v1/payments/{payment}")),
        ("POST", format!("/api/v1/payments/{payment}/confirm")),
        ("POST", format!("/api/v1/payments/{payment}/cancel")),
    ] {
        app.req(method, &path)
            .host(&m.t.host)
            .bearer(&m.bob.token)
            .send()
            .await
            .expect(404);
    }
    // Refunds need the permission.
    app.post(&format!("/api/v1/payments/{payment}/refunds"))
        .host(&m.t.host)
        .bearer(&m.bob.token)
        .header("idempotency-key", &key())
        .json(&json!({}))
        .send()
        .await
        .expect(403);
    // Gateways and settings are the admins'.
    for (method, path) in [
        ("GET", "/api/v1/payments/gateways"),
        ("GET", "/api/v1/payments/settings"),
        ("POST", "/api/v1/payments/gateways/sandbox/test"),
    ] {
        app.req(method, path)
            .host(&m.t.host)
            .bearer(&m.alice.token)
            .send()
            .await
            .expect(403);
    }
    app.put("/api/v1/payments/gateways/sandbox")
        .host(&m.t.host)
        .bearer(&m.alice.token)
        .json(&json!({"credentials": {"webhook_secret": "mine"}}))
        .send()
        .await
        .expect(403);
    // Alice still has hers, unchanged.
    let mine = app
        .get(&format!("/api/v1/payments/{payment}"))
        .host(&m.t.host)
        .bearer(&m.alice.token)
        .send()
        .await
        .expect(200);
    assert_eq!(mine.body["status"], "requires_action");
    // A vendor with no part in the order sees nothing of it.
    let outsider = seller(&app, &m.t, &m.admin, "iso-user-c", 0).await;
    let list = app
        .get("/api/v1/payments")
        .host(&m.t.host)
        .bearer(&outsider.token)
        .send()
        .await
        .expect(200);
    assert_eq!(list.body["items"], json!([]));
    app.get(&format!("/api/v1/payments/{payment}"))
        .host(&m.t.host)
        .bearer(&outsider.token)
        .send()
        .await
        .expect(404);
    // The vendors of the order see it; the admin sees everything; only Alice gets the client
    // secret that confirms it.
    for token in [&m.a.token, &m.admin] {
        let list = app
            .get("/api/v1/payments")
            .host(&m.t.host)
            .bearer(token)
            .send()
            .await
            .expect(200);
        assert_eq!(list.body["items"].as_array().unwrap().len(), 1);
        assert_eq!(
            list.body["items"][0]["next_action"],
            json!({"type": "confirm_with_client_secret"})
        );
        let one = app
            .get(&format!("/api/v1/payments/{payment}"))
            .host(&m.t.host)
            .bearer(token)
            .send()
            .await
            .expect(200);
        assert!(one.body["next_action"].get("client_secret").is_none());
    }
    let hers = app
        .get("/api/v1/payments")
        .host(&m.t.host)
        .bearer(&m.alice.token)
        .send()
        .await
        .expect(200);
    assert!(hers.body["items"][0]["next_action"]["client_secret"].is_string());
}

#[tokio::test]
async fn nothing_crosses_marketplaces() {
    let app = app().await;
    let (a, order) = market_with_order(&app, "iso-a").await;
    let (b, _) = market_with_order(&app, "iso-b").await;
    let p = pay(
        &app,
        &a.t,
        &a.alice.token,
        &key(),
        json!({"order_id": id_of(&order), "method": "tok_success"}),
    )
    .await
    .expect(201)
    .body;
    let payment = id_of(&p);
    // B's people, on B's host, with A's ids.
    pay(
        &app,
        &b.t,
        &b.alice.token,
        &key(),
        json!({"order_id": id_of(&order), "method": "tok_success"}),
    )
    .await
    .expect(404);
    for token in [&b.alice.token, &b.admin] {
        app.get(&format!("/api/v1/payments/{payment}"))
            .host(&b.t.host)
            .bearer(token)
            .send()
            .await
            .expect(404);
        let list = app
            .get("/api/v1/payments")
            .host(&b.t.host)
            .bearer(token)
            .send()
            .await
            .expect(200);
        assert_eq!(list.body["items"], json!([]));
    }
    app.post(&format!("/api/v1/payments/{payment}/refunds"))
        .host(&b.t.host)
        .bearer(&b.admin)
        .header("idempotency-key", &key())
        .json(&json!({}))
        .send()
        .await
        .expect(404);
    // A's token on B's host is refused.
    app.get("/api/v1/payments")
        .host(&b.t.host)
        .bearer(&a.alice.token)
        .send()
        .await
        .expect(401);
    // B's admin configures B's gateway only: A's is untouched.
    app.put("/api/v1/payments/gateways/sandbox")
        .host(&b.t.host)
        .bearer(&b.admin)
        .json(&json!({"credentials": {"webhook_secret": "whsec_b_replaced"}}))
        .send()
        .await
        .expect(200);
    let a_hint = app
        .get("/api/v1/payments/gateways")
        .host(&a.t.host)
        .bearer(&a.admin)
        .send()
        .await
        .expect(200);
    assert_eq!(
        a_hint.body["items"][0]["credentials"]["webhook_secret"],
        "••••6789"
    );
    // Row-level: B's admin sees none of A's payment rows, whatever the SQL.
    let b_admin = app
        .owner_scalar::<uuid::Uuid>(
            b.t.id,
            "select user_id from user_roles where role = 'admin'",
        )
        .await;
    assert_eq!(
        runtime_count(&app, b.t.id, Some(b_admin), "payments").await,
        0,
        "none of A's in B"
    );
    assert_eq!(
        runtime_count(&app, a.t.id, Some(b_admin), "payments").await,
        0,
        "B's admin is nobody in A"
    );
    // Refunds of A are possible in A only.
    app.post(&format!("/api/v1/payments/{payment}/refunds"))
        .host(&a.t.host)
        .bearer(&a.admin)
        .header("idempotency-key", &key())
        .json(&json!({"amount_minor": 100}))
        .send()
        .await
        .expect(201);
}

/// The runtime role, scoped as each party, reaches only its rows of every payment table.
#[tokio::test]
async fn row_level_security_binds_every_payment_table() {
    let app = app().await;
    let (m, order) = market_with_order(&app, "iso-rls").await;
    app.post("/api/v1/payments/methods")
        .host(&m.t.host)
        .bearer(&m.alice.token)
        .json(&json!({"provider": "sandbox", "token": "tok_visa"}))
        .send()
        .await
        .expect(201);
    let p = pay(
        &app,
        &m.t,
        &m.alice.token,
        &key(),
        json!({"order_id": id_of(&order), "method": "tok_success"}),
    )
    .await
    .expect(201)
    .body;
    app.post(&format!("/api/v1/payments/{}/refunds", id_of(&p)))
        .host(&m.t.host)
        .bearer(&m.admin)
        .header("idempotency-key", &key())
        .json(&json!({"amount_minor": 100}))
        .send()
        .await
        .expect(201);
    let tables = [
        "payments",
        "payment_transactions",
        "refunds",
        "payment_methods",
        "payment_gateways",
        "payment_webhook_events",
    ];
    let as_user =
        |user: Option<uuid::Uuid>, table: &'static str| runtime_count(&app, m.t.id, user, table);
    // Bob and a guest: nothing of any of them.
    for table in tables {
        assert_eq!(as_user(Some(m.bob.id), table).await, 0, "bob sees {table}");
        assert_eq!(as_user(None, table).await, 0, "a guest sees {table}");
    }
    // Alice: her payment, its ledger and refund, her method; not the gateway configuration.
    assert_eq!(as_user(Some(m.alice.id), "payments").await, 1);
    assert_eq!(as_user(Some(m.alice.id), "payment_transactions").await, 2);
    assert_eq!(as_user(Some(m.alice.id), "refunds").await, 1);
    assert_eq!(as_user(Some(m.alice.id), "payment_methods").await, 1);
    assert_eq!(as_user(Some(m.alice.id), "payment_gateways").await, 0);
    // The ledger cannot be rewritten, not even by the owner.
    let mut tx = app.db.owner.begin().await.unwrap();
    sqlx::query("select set_config('app.tenant_id', $1, true)")
        .bind(m.t.id.to_string())
        .execute(&mut *tx)
        .await
        .unwrap();
    let err = sqlx::query("update payment_transactions set amount_minor = 0")
        .execute(&mut *tx)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("append-only"), "{err}");
}

/// Rows of `table` the runtime role reaches in `tenant` as `user` (RLS in force).
async fn runtime_count(
    app: &kernel::testing::TestApp,
    tenant: uuid::Uuid,
    user: Option<uuid::Uuid>,
    table: &str,
) -> i64 {
    let mut tx = app.state.db.begin_scoped(tenant, user).await.unwrap();
    let n: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(format!("select count(*) from {table}")))
        .fetch_one(tx.conn())
        .await
        .unwrap();
    tx.commit().await.unwrap();
    n
}
