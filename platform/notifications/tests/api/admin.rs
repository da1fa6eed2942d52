//! What tenant admins configure: channels (credentials in, never out), templates, scheduled
//! messages.

use std::time::Duration;

use mailparse::MailHeaderMap;
use serde_json::json;
use time::OffsetDateTime;

use crate::*;

#[tokio::test]
async fn channel_credentials_go_in_sealed_and_never_come_out() {
    let app = app().await;
    let t = tenant(&app, "gamarra").await;
    let admin = user(&app, &t, "admin@gamarra.test", &["admin"]).await;
    let secret = "SG.super-secret-api-key-0123456789";
    set_channel(
        &app,
        &t,
        &admin.token,
        "email",
        json!({
            "provider": "http_email",
            "settings": {"base_url": "http://127.0.0.1:9", "from_email": "no-reply@tienda.test"},
            "secret": secret,
        }),
    )
    .await;
    let list = app
        .get("/api/v1/notifications/channels")
        .host(&t.host)
        .bearer(&admin.token)
        .send()
        .await
        .expect(200);
    assert!(!list.text.contains("super-secret"), "{}", list.text);
    assert_eq!(list.body["items"][0]["secret_hint"], "••••6789");
    let stored: String = app
        .owner_scalar(
            t.id,
            "select encode(secret_sealed, 'escape') from notification_channels",
        )
        .await;
    assert!(!stored.contains("super-secret"));
    // Settings change without the secret keeps it.
    set_channel(
        &app,
        &t,
        &admin.token,
        "email",
        json!({
            "provider": "http_email",
            "settings": {"base_url": "http://127.0.0.1:9", "from_email": "ventas@tienda.test"},
        }),
    )
    .await;
    let list = app
        .get("/api/v1/notifications/channels")
        .host(&t.host)
        .bearer(&admin.token)
        .send()
        .await
        .expect(200);
    assert_eq!(list.body["items"][0]["secret_hint"], "••••6789");

    // A test send that fails says why, without the credential.
    let failed = app
        .post("/api/v1/notifications/channels/email/test")
        .host(&t.host)
        .bearer(&admin.token)
        .json(&json!({"to": "ana@gamarra.test"}))
        .send()
        .await
        .expect_problem(422, "channel_test_failed");
    assert!(!failed.text.contains("super-secret"), "{}", failed.text);

    // Wrong provider for the channel, bad settings, unknown channel, not an admin.
    for (channel, body, status) in [
        ("email", json!({"provider": "twilio", "settings": {}}), 422),
        (
            "email",
            json!({"provider": "smtp", "settings": {"port": "many"}}),
            422,
        ),
        (
            "email",
            json!({"provider": "smtp", "settings": [], "secret": "x"}),
            422,
        ),
        ("fax", json!({"provider": "smtp", "settings": {}}), 404),
    ] {
        app.put(&format!("/api/v1/notifications/channels/{channel}"))
            .host(&t.host)
            .bearer(&admin.token)
            .json(&body)
            .send()
            .await
            .expect(status);
    }
    let ana = user(&app, &t, "ana@gamarra.test", &[]).await;
    app.get("/api/v1/notifications/channels")
        .host(&t.host)
        .bearer(&ana.token)
        .send()
        .await
        .expect_problem(403, "forbidden");
}

#[tokio::test]
async fn the_test_message_reaches_the_smtp_server() {
    let app = app().await;
    let t = tenant(&app, "gamarra").await;
    let admin = user(&app, &t, "admin@gamarra.test", &["admin"]).await;
    use_smtp(&app, &t, &admin.token).await;
    let res = app
        .post("/api/v1/notifications/channels/email/test")
        .host(&t.host)
        .bearer(&admin.token)
        .lang("en")
        .json(&json!({"to": "admin@gamarra.test"}))
        .send()
        .await
        .expect(200);
    let message_id = res.body["provider_message_id"].as_str().unwrap();
    let file = smtp_dir().join(format!("{}.eml", message_id.trim_matches(['<', '>'])));
    let mail_raw = std::fs::read(&file).unwrap();
    let mail = mailparse::parse_mail(&mail_raw).unwrap();
    assert_eq!(
        mail.headers.get_first_value("Subject").unwrap(),
        "Test message"
    );
}

#[tokio::test]
async fn a_tenants_wording_replaces_the_shipped_one_for_that_tenant_only() {
    let app = app().await;
    let t = tenant(&app, "gamarra").await;
    let u = tenant(&app, "polvos").await;
    let admin = user(&app, &t, "admin@gamarra.test", &["admin"]).await;
    let path = "/api/v1/notifications/templates/order_placed/in_app/es";
    let bad = app
        .put(path)
        .host(&t.host)
        .bearer(&admin.token)
        .json(&json!({"subject": "Pedido { $numero }", "body": "Hola { $name"}))
        .send()
        .await
        .expect_problem(422, "validation_failed");
    let fields: Vec<&str> = bad.body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["subject", "body"]);
    app.put(path)
        .host(&t.host)
        .bearer(&admin.token)
        .json(&json!({"subject": "¡Gracias { $name }! Pedido { $number }", "body": "Total: { $total }\nTe avisamos pronto."}))
        .send()
        .await
        .expect(200);
    app.put("/api/v1/notifications/templates/no_such_template/in_app/es")
        .host(&t.host)
        .bearer(&admin.token)
        .json(&json!({"subject": "x", "body": "y"}))
        .send()
        .await
        .expect_problem(404, "not_found");
    let ana = user(&app, &t, "ana@gamarra.test", &[]).await;
    let bea = user(&app, &u, "bea@polvos.test", &[]).await;
    order_placed(&app, &t, ana.id, &[]).await;
    order_placed(&app, &u, bea.id, &[]).await;
    drain(&app).await;
    let mine: String = app
        .owner_scalar(t.id, "select subject || '|' || body from notifications")
        .await;
    assert_eq!(
        mine,
        "¡Gracias Ana! Pedido GM-4821-XK|Total: S/ 1.234,50\nTe avisamos pronto."
    );
    let theirs: String = app
        .owner_scalar(u.id, "select subject from notifications")
        .await;
    assert_eq!(theirs, "Recibimos tu pedido GM-4821-XK");
    let list = app
        .get("/api/v1/notifications/templates")
        .host(&t.host)
        .bearer(&admin.token)
        .send()
        .await
        .expect(200);
    assert_eq!(list.body["items"].as_array().unwrap().len(), 1);
    app.delete(path)
        .host(&t.host)
        .bearer(&admin.token)
        .send()
        .await
        .expect(204);
}

#[tokio::test]
async fn scheduled_messages_wait_for_their_time_and_can_be_cancelled() {
    let app = app().await;
    let t = tenant(&app, "gamarra").await;
    let admin = user(&app, &t, "admin@gamarra.test", &["admin"]).await;
    let ana = user(&app, &t, "ana@gamarra.test", &[]).await;
    let bea = user(&app, &t, "bea@gamarra.test", &[]).await;
    let at = OffsetDateTime::now_utc() + Duration::from_secs(2);
    let sent = app
        .post("/api/v1/notifications/messages")
        .host(&t.host)
        .bearer(&admin.token)
        .json(
            &json!({"user_ids": [ana.id, bea.id], "category": "transactional",
            "title": "Mantenimiento", "message": "El sábado no habrá despachos.",
            "send_at": at.format(&time::format_description::well_known::Rfc3339).unwrap()}),
        )
        .send()
        .await
        .expect(201);
    let messages = sent.body["messages"].as_array().unwrap();
    assert_eq!(messages.len(), 2, "in-app for each: {sent:?}");
    assert!(messages.iter().all(|m| m["status"] == "scheduled"));
    let beas = messages
        .iter()
        .find(|m| m["user_id"] == bea.id.to_string())
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    app.post(&format!("/api/v1/notifications/messages/{beas}/cancel"))
        .host(&t.host)
        .bearer(&admin.token)
        .send()
        .await
        .expect(200);
    app.post(&format!("/api/v1/notifications/messages/{beas}/cancel"))
        .host(&t.host)
        .bearer(&admin.token)
        .send()
        .await
        .expect_problem(409, "notification_not_scheduled");
    drain(&app).await;
    let inbox = |u: &User| {
        app.get("/api/v1/notifications/inbox")
            .host(&t.host)
            .bearer(&u.token)
            .send()
    };
    assert_eq!(
        inbox(&ana).await.body["items"],
        json!([]),
        "not before its time"
    );
    tokio::time::sleep(Duration::from_millis(2100)).await;
    drain(&app).await;
    let ana_inbox = inbox(&ana).await;
    assert_eq!(ana_inbox.body["items"][0]["subject"], "Mantenimiento");
    assert_eq!(inbox(&bea).await.body["items"], json!([]), "cancelled");

    for body in [
        json!({"user_ids": [], "category": "marketing", "title": "x", "message": "y"}),
        json!({"user_ids": [ana.id], "category": "spam", "title": "x", "message": "y"}),
        json!({"user_ids": [ana.id], "category": "marketing", "title": " ", "message": "y"}),
        json!({"user_ids": [ana.id], "category": "marketing", "title": "x", "message": "y", "send_at": "tomorrow"}),
    ] {
        app.post("/api/v1/notifications/messages")
            .host(&t.host)
            .bearer(&admin.token)
            .json(&body)
            .send()
            .await
            .expect(422);
    }
    app.post("/api/v1/notifications/messages")
        .host(&t.host)
        .bearer(&ana.token)
        .json(&json!({"user_ids": [bea.id], "category": "transactional", "title": "x", "message": "y"}))
        .send()
        .await
        .expect_problem(403, "forbidden");
}

#[tokio::test]
async fn bad_webhook_input_is_refused_and_writes_nothing() {
    let app = app().await;
    let t = tenant(&app, "gamarra").await;
    let admin = user(&app, &t, "admin@gamarra.test", &["admin"]).await;
    for body in [
        json!({"url": "ftp://x.test/h", "topics": ["order.placed"]}),
        json!({"url": "https://x.test/h", "topics": []}),
        json!({"url": "https://x.test/h", "topics": ["user.password_reset_requested"]}),
        json!({"url": "https://x.test/h", "topics": ["order.placed"], "secret": "mine"}),
    ] {
        let res = app
            .post("/api/v1/notifications/webhooks")
            .host(&t.host)
            .bearer(&admin.token)
            .lang("es")
            .json(&body)
            .send()
            .await
            .expect(422);
        assert_eq!(
            res.headers["content-type"], "application/problem+json",
            "{body}"
        );
    }
    let n: i64 = app
        .owner_scalar(t.id, "select count(*) from webhook_endpoints")
        .await;
    assert_eq!(n, 0);
}
