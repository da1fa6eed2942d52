//! A user sees only their own messages, preferences and devices; a marketplace sees nothing of
//! another's messages, channels, templates, webhooks or logs.

use serde_json::json;
use uuid::Uuid;

use crate::*;

#[tokio::test]
async fn nobody_reads_another_users_inbox() {
    let app = app().await;
    let t = tenant(&app, "gamarra").await;
    let ana = user(&app, &t, "ana@gamarra.test", &[]).await;
    let bea = user(&app, &t, "bea@gamarra.test", &[]).await;
    order_placed(&app, &t, ana.id, &[]).await;
    drain(&app).await;
    let anas: Uuid = notification_id(&app, &t, &format!("user_id = '{}'", ana.id)).await;
    let list = app
        .get("/api/v1/notifications/inbox")
        .host(&t.host)
        .bearer(&bea.token)
        .send()
        .await
        .expect(200);
    assert_eq!(list.body["items"], json!([]));
    app.post(&format!("/api/v1/notifications/inbox/{anas}/read"))
        .host(&t.host)
        .bearer(&bea.token)
        .send()
        .await
        .expect_problem(404, "not_found");
    let marked = app
        .post("/api/v1/notifications/inbox/read-all")
        .host(&t.host)
        .bearer(&bea.token)
        .send()
        .await
        .expect(200);
    assert_eq!(marked.body["marked"], 0);
    let unread = app
        .get("/api/v1/notifications/inbox/unread-count")
        .host(&t.host)
        .bearer(&ana.token)
        .send()
        .await
        .expect(200);
    assert_eq!(
        unread.body["unread"], 1,
        "Bea's read-all left Ana's message unread"
    );
    // The database itself: as Bea, even an unfiltered query sees none of Ana's rows.
    let mut tx = app.state.db.begin_scoped(t.id, Some(bea.id)).await.unwrap();
    let seen: i64 = sqlx::query_scalar("select count(*) from notifications")
        .fetch_one(tx.conn())
        .await
        .unwrap();
    assert_eq!(seen, 0);
    let prefs: i64 =
        sqlx::query_scalar("select count(*) from notification_preferences where user_id <> $1")
            .bind(bea.id)
            .fetch_one(tx.conn())
            .await
            .unwrap();
    assert_eq!(prefs, 0);
    // And no guest sees any.
    let mut tx = app.state.db.begin_scoped(t.id, None).await.unwrap();
    let seen: i64 = sqlx::query_scalar("select count(*) from notifications")
        .fetch_one(tx.conn())
        .await
        .unwrap();
    assert_eq!(seen, 0);
    // Customers see no channels, logs or templates.
    for table in [
        "notification_channels",
        "notification_logs",
        "notification_templates",
        "webhook_endpoints",
    ] {
        let mut tx = app.state.db.begin_scoped(t.id, Some(ana.id)).await.unwrap();
        let n: i64 =
            sqlx::query_scalar(sqlx::AssertSqlSafe(format!("select count(*) from {table}")))
                .fetch_one(tx.conn())
                .await
                .unwrap();
        assert_eq!(n, 0, "{table}");
    }
}

#[tokio::test]
async fn nothing_crosses_marketplaces() {
    let app = app().await;
    let a = tenant(&app, "gamarra").await;
    let b = tenant(&app, "polvos").await;
    let admin_a = user(&app, &a, "admin@gamarra.test", &["admin"]).await;
    let admin_b = user(&app, &b, "admin@polvos.test", &["admin"]).await;
    use_smtp(&app, &a, &admin_a.token).await;
    app.put("/api/v1/notifications/templates/order_placed/in_app/es")
        .host(&a.host)
        .bearer(&admin_a.token)
        .json(&json!({"subject": "A { $number }", "body": "A"}))
        .send()
        .await
        .expect(200);
    let hook = app
        .post("/api/v1/notifications/webhooks")
        .host(&a.host)
        .bearer(&admin_a.token)
        .json(&json!({"url": "http://127.0.0.1:9/hook", "topics": ["order.placed"]}))
        .send()
        .await
        .expect(201);
    let hook_id = hook.body["id"].as_str().unwrap().to_string();
    let ana = user(&app, &a, "ana@gamarra.test", &[]).await;
    order_placed(&app, &a, ana.id, &[]).await;
    // An event naming A's customer, written in B: B's planning cannot find her.
    order_placed(&app, &b, ana.id, &[]).await;
    drain(&app).await;
    assert_eq!(count(&app, &b, "true").await, 0);
    let message: Uuid = notification_id(&app, &a, "channel = 'in_app'").await;

    for path in [
        "/api/v1/notifications/channels",
        "/api/v1/notifications/templates",
        "/api/v1/notifications/webhooks",
        "/api/v1/notifications/messages",
    ] {
        let res = app
            .get(path)
            .host(&b.host)
            .bearer(&admin_b.token)
            .send()
            .await
            .expect(200);
        assert_eq!(res.body["items"], json!([]), "{path}: {res:?}");
    }
    for (method, path) in [
        ("GET", format!("/api/v1/notifications/messages/{message}")),
        (
            "POST",
            format!("/api/v1/notifications/messages/{message}/cancel"),
        ),
        (
            "POST",
            format!("/api/v1/notifications/messages/{message}/retry"),
        ),
        (
            "DELETE",
            format!("/api/v1/notifications/webhooks/{hook_id}"),
        ),
        (
            "DELETE",
            "/api/v1/notifications/templates/order_placed/in_app/es".to_string(),
        ),
        ("DELETE", "/api/v1/notifications/channels/email".to_string()),
    ] {
        app.req(method, &path)
            .host(&b.host)
            .bearer(&admin_b.token)
            .send()
            .await
            .expect_problem(404, "not_found");
    }
    app.patch(&format!("/api/v1/notifications/webhooks/{hook_id}"))
        .host(&b.host)
        .bearer(&admin_b.token)
        .json(&json!({"enabled": false}))
        .send()
        .await
        .expect_problem(404, "not_found");
    // B's admin addressing A's customer reaches nobody.
    let sent = app
        .post("/api/v1/notifications/messages")
        .host(&b.host)
        .bearer(&admin_b.token)
        .json(&json!({"user_ids": [ana.id], "category": "transactional", "title": "x", "message": "y"}))
        .send()
        .await
        .expect(201);
    assert_eq!(sent.body["messages"], json!([]));
    // A delivery report on B's host cannot touch A's messages (B has no SMS channel to verify it).
    app.post("/api/v1/notifications/callbacks/twilio")
        .host(&b.host)
        .header("x-twilio-signature", "c2lnbmF0dXJl")
        .raw(
            "application/x-www-form-urlencoded",
            "MessageSid=SM1&MessageStatus=delivered",
        )
        .send()
        .await
        .expect_problem(403, "forbidden");
    // A's token on B's host is refused outright.
    app.get("/api/v1/notifications/inbox")
        .host(&b.host)
        .bearer(&ana.token)
        .send()
        .await
        .expect(401);
    // A's configuration is intact.
    assert_eq!(
        app.owner_scalar::<i64>(a.id, "select count(*) from webhook_endpoints")
            .await,
        1
    );
    assert_eq!(
        app.owner_scalar::<i64>(a.id, "select count(*) from notification_channels")
            .await,
        1
    );
}
