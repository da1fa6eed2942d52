//! Preferences decide who hears what; unsubscribe links switch email off without signing in.

use mailparse::MailHeaderMap;
use serde_json::json;
use uuid::Uuid;

use crate::*;

#[tokio::test]
async fn preferences_are_listed_with_defaults_and_honoured() {
    let app = app().await;
    let t = tenant(&app, "gamarra").await;
    let admin = user(&app, &t, "admin@gamarra.test", &["admin"]).await;
    use_smtp(&app, &t, &admin.token).await;
    let ana = user(&app, &t, "ana@gamarra.test", &[]).await;
    let prefs = app
        .get("/api/v1/notifications/preferences")
        .host(&t.host)
        .bearer(&ana.token)
        .send()
        .await
        .expect(200);
    let on = |body: &Value, channel: &str, category: &str| {
        body["preferences"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["channel"] == channel && p["category"] == category)
            .unwrap()["enabled"]
            .as_bool()
            .unwrap()
    };
    assert!(on(&prefs.body, "email", "transactional"));
    assert!(!on(&prefs.body, "sms", "transactional"));
    assert!(!on(&prefs.body, "email", "marketing"));

    // Transactional email off: the order reaches her inbox only.
    let set = app
        .put("/api/v1/notifications/preferences")
        .host(&t.host)
        .bearer(&ana.token)
        .json(&json!({"preferences": [{"channel": "email", "category": "transactional", "enabled": false}]}))
        .send()
        .await
        .expect(200);
    assert!(!on(&set.body, "email", "transactional"));
    assert!(
        on(&set.body, "in_app", "transactional"),
        "others keep their value"
    );
    order_placed(&app, &t, ana.id, &[]).await;
    drain(&app).await;
    assert_eq!(
        count(
            &app,
            &t,
            &format!("user_id = '{}' and channel = 'in_app'", ana.id)
        )
        .await,
        1
    );
    assert_eq!(
        count(
            &app,
            &t,
            &format!("user_id = '{}' and channel = 'email'", ana.id)
        )
        .await,
        0
    );

    // Marketing reaches only those who opted in.
    let bea = user(&app, &t, "bea@gamarra.test", &[]).await;
    app.put("/api/v1/notifications/preferences")
        .host(&t.host)
        .bearer(&bea.token)
        .json(&json!({"preferences": [
            {"channel": "email", "category": "marketing", "enabled": true},
            {"channel": "in_app", "category": "marketing", "enabled": true}]}))
        .send()
        .await
        .expect(200);
    let sent = app
        .post("/api/v1/notifications/messages")
        .host(&t.host)
        .bearer(&admin.token)
        .json(&json!({"user_ids": [ana.id, bea.id], "category": "marketing", "title": "Ofertas", "message": "Todo a mitad de precio"}))
        .send()
        .await
        .expect(201);
    let to: Vec<&str> = sent.body["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["user_id"].as_str().unwrap())
        .collect();
    assert!(to.iter().all(|u| *u == bea.id.to_string()), "{sent:?}");
    assert_eq!(to.len(), 2, "bea by email and in-app: {sent:?}");

    // Bad input.
    for body in [
        json!({"preferences": []}),
        json!({"preferences": [{"channel": "webhook", "category": "marketing", "enabled": true}]}),
        json!({"preferences": [{"channel": "fax", "category": "marketing", "enabled": true}]}),
        json!({"preferences": [{"channel": "email", "category": "marketing"}]}),
    ] {
        app.put("/api/v1/notifications/preferences")
            .host(&t.host)
            .bearer(&ana.token)
            .json(&body)
            .send()
            .await
            .expect(422);
    }
}

#[tokio::test]
async fn the_unsubscribe_link_switches_that_email_off_in_its_marketplace_only() {
    let app = app().await;
    let t = tenant(&app, "gamarra").await;
    let other = tenant(&app, "polvos").await;
    let admin = user(&app, &t, "admin@gamarra.test", &["admin"]).await;
    use_smtp(&app, &t, &admin.token).await;
    let ana = user(&app, &t, "ana@gamarra.test", &[]).await;
    order_placed(&app, &t, ana.id, &[]).await;
    drain(&app).await;
    let id: Uuid = notification_id(&app, &t, "channel = 'email'").await;
    let raw = received_email(id);
    let mail = mailparse::parse_mail(&raw).unwrap();
    let header = mail.headers.get_first_value("List-Unsubscribe").unwrap();
    let url = header.trim_matches(['<', '>']);
    let path = &url[url.find("/api/").unwrap()..];
    // Another marketplace's host cannot use it; a made-up token neither.
    app.post(path)
        .host(&other.host)
        .send()
        .await
        .expect_problem(400, "unsubscribe_invalid");
    app.post("/api/v1/notifications/unsubscribe?token=AAAA")
        .host(&t.host)
        .send()
        .await
        .expect_problem(400, "unsubscribe_invalid");
    let res = app.post(path).host(&t.host).send().await.expect(200);
    assert_eq!(
        res.body,
        json!({"channel": "email", "category": "transactional", "enabled": false})
    );
    order_placed(&app, &t, ana.id, &[]).await;
    drain(&app).await;
    assert_eq!(
        count(&app, &t, "channel = 'email'").await,
        1,
        "no second email"
    );
    assert_eq!(count(&app, &t, "channel = 'in_app'").await, 2);
}

#[tokio::test]
async fn devices_are_the_users_own() {
    let app = app().await;
    let t = tenant(&app, "gamarra").await;
    let ana = user(&app, &t, "ana@gamarra.test", &[]).await;
    let bea = user(&app, &t, "bea@gamarra.test", &[]).await;
    let token = "fcm-registration-token-of-anas-phone-0123456789";
    let dev = app
        .post("/api/v1/notifications/devices")
        .host(&t.host)
        .bearer(&ana.token)
        .json(&json!({"token": token, "platform": "android"}))
        .send()
        .await
        .expect(201);
    assert!(!dev.text.contains(token), "the token is not shown back");
    let id = dev.body["id"].as_str().unwrap();
    let list = app
        .get("/api/v1/notifications/devices")
        .host(&t.host)
        .bearer(&bea.token)
        .send()
        .await
        .expect(200);
    assert_eq!(list.body["items"], json!([]));
    app.delete(&format!("/api/v1/notifications/devices/{id}"))
        .host(&t.host)
        .bearer(&bea.token)
        .send()
        .await
        .expect_problem(404, "not_found");
    app.post("/api/v1/notifications/devices")
        .host(&t.host)
        .bearer(&ana.token)
        .json(&json!({"token": "short", "platform": "symbian"}))
        .send()
        .await
        .expect_problem(422, "validation_failed");
    app.delete(&format!("/api/v1/notifications/devices/{id}"))
        .host(&t.host)
        .bearer(&ana.token)
        .send()
        .await
        .expect(204);
}
