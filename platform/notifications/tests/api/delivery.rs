//! Events become messages, delivered over each channel: in-app, email to a real SMTP server,
//! SMS in Twilio's format, signed webhooks. From real checkouts and password resets.

use aws_lc_rs::hmac;
use mailparse::MailHeaderMap;
use serde_json::json;
use uuid::Uuid;

use crate::{receiver::*, *};

/// A vendor (approved by `admin`) selling one product; returns (vendor user, vendor id, variant).
async fn shop(app: &TestApp, t: &Tenant, admin: &str) -> (User, Uuid, Uuid) {
    let owner = user(app, t, "shop@shops.test", &[]).await;
    let res = app
        .post("/api/v1/products/vendors")
        .host(&t.host)
        .bearer(&owner.token)
        .json(&json!({"name": "Shop", "slug": "shop", "contact_email": "shop@shops.test", "shipping_rate_minor": 1000}))
        .send()
        .await
        .expect(201);
    let vendor: Uuid = res.body["id"].as_str().unwrap().parse().unwrap();
    app.post(&format!("/api/v1/products/vendors/{vendor}/approve"))
        .host(&t.host)
        .bearer(admin)
        .json(&json!({}))
        .send()
        .await
        .expect(200);
    let token = login(app, t, "shop@shops.test").await;
    let res = app
        .post("/api/v1/products")
        .host(&t.host)
        .bearer(&token)
        .json(&json!({"title": "Polo", "status": "active",
            "variants": [{"sku": "POLO-1", "price_minor": 2500, "stock": 5}]}))
        .send()
        .await
        .expect(201);
    let variant = res.body["variants"][0]["id"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    (
        User {
            id: owner.id,
            token,
        },
        vendor,
        variant,
    )
}

#[tokio::test]
async fn a_checkout_reaches_the_customer_by_email_and_inbox_and_the_vendor_in_app() {
    let app = app().await;
    let t = tenant(&app, "gamarra").await;
    let admin = user(&app, &t, "admin@gamarra.test", &["admin"]).await;
    use_smtp(&app, &t, &admin.token).await;
    let (vendor, _, variant) = shop(&app, &t, &admin.token).await;
    let ana = user(&app, &t, "ana@gamarra.test", &[]).await;
    // Ana reads English; the vendor keeps the marketplace's Spanish.
    app.put("/api/v1/users/me/preferences")
        .host(&t.host)
        .bearer(&ana.token)
        .json(&json!({"locale": "en"}))
        .send()
        .await
        .expect(200);
    let order = app
        .post("/api/v1/orders")
        .host(&t.host)
        .bearer(&ana.token)
        .header("idempotency-key", &Uuid::new_v4().to_string())
        .json(&json!({"lines": [{"variant_id": variant, "quantity": 2}],
            "shipping_address": {"recipient": "Ana", "line1": "Jr. Gamarra 1", "city": "Lima", "country": "PE"}}))
        .send()
        .await
        .expect(201);
    let number = order.body["number"].as_str().unwrap().to_string();
    assert_eq!(
        count(&app, &t, "true").await,
        0,
        "nothing before the worker runs"
    );

    drain(&app).await;
    // Ana: in-app and email, in English; the vendor: in-app (and email), in Spanish.
    let inbox = app
        .get("/api/v1/notifications/inbox")
        .host(&t.host)
        .bearer(&ana.token)
        .send()
        .await
        .expect(200);
    let items = inbox.body["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{inbox:?}");
    assert_eq!(
        items[0]["subject"],
        format!("We received your order {number}")
    );
    assert!(
        items[0]["body"].as_str().unwrap().contains("S/ 60.00"),
        "{inbox:?}"
    );
    assert_eq!(items[0]["data"]["number"], number.as_str());
    let vendor_inbox = app
        .get("/api/v1/notifications/inbox")
        .host(&t.host)
        .bearer(&vendor.token)
        .send()
        .await
        .expect(200);
    assert_eq!(
        vendor_inbox.body["items"][0]["subject"],
        format!("Nuevo pedido {number}")
    );

    let email = notification_id(
        &app,
        &t,
        &format!("user_id = '{}' and channel = 'email'", ana.id),
    )
    .await;
    let raw = received_email(email);
    let mail = mailparse::parse_mail(&raw).unwrap();
    assert_eq!(
        mail.headers.get_first_value("Subject").unwrap(),
        format!("We received your order {number}")
    );
    assert_eq!(
        mail.headers.get_first_value("To").unwrap(),
        "ana@gamarra.test"
    );
    assert!(
        mail.headers
            .get_first_value("List-Unsubscribe")
            .unwrap()
            .contains("/api/v1/notifications/unsubscribe?token=")
    );
    let text = mail.subparts[0].get_body().unwrap();
    let html = mail.subparts[1].get_body().unwrap();
    assert!(
        text.contains("S/ 60.00") && text.contains("Unsubscribe"),
        "{text}"
    );
    assert!(
        html.contains(&format!("<strong>{number}</strong>")),
        "{html}"
    );
    let status: String = app
        .owner_scalar(
            t.id,
            &format!("select status from notifications where id = '{email}'"),
        )
        .await;
    assert_eq!(status, "sent");
    let logged: i64 = app
        .owner_scalar(t.id, &format!("select count(*) from notification_logs where notification_id = '{email}' and status = 'sent' and provider = 'smtp'"))
        .await;
    assert_eq!(logged, 1);
}

#[tokio::test]
async fn a_rolled_back_order_notifies_nobody() {
    let app = app().await;
    let t = tenant(&app, "gamarra").await;
    let ana = user(&app, &t, "ana@gamarra.test", &[]).await;
    let mut tx = app.state.db.begin_scoped(t.id, None).await.unwrap();
    let event = kernel::outbox::Event::new(
        "order.placed",
        Uuid::now_v7(),
        json!({"customer_id": ana.id, "number": "X"}),
    );
    kernel::outbox::emit(tx.conn(), t.id, &event).await.unwrap();
    drop(tx); // rolled back
    assert_eq!(drain(&app).await, 0);
    assert_eq!(count(&app, &t, "true").await, 0);
}

#[tokio::test]
async fn password_reset_is_emailed_in_the_users_language_and_its_link_works() {
    let app = app().await;
    let t = tenant(&app, "gamarra").await;
    let admin = user(&app, &t, "admin@gamarra.test", &["admin"]).await;
    use_smtp(&app, &t, &admin.token).await;
    let ana = user(&app, &t, "ana@gamarra.test", &[]).await;
    // Even with transactional email switched off: she asked for this one.
    set_preference(&app, &t, &ana.token, "email", "transactional", false).await;
    app.post("/api/v1/users/password-reset")
        .host(&t.host)
        .json(&json!({"email": "ana@gamarra.test"}))
        .send()
        .await
        .expect(202);
    // The outbox holds the link sealed, never the token.
    let payload: String = app
        .owner_scalar(
            t.id,
            "select payload::text from outbox where topic = 'user.password_reset_requested'",
        )
        .await;
    assert!(!payload.contains("token="), "{payload}");
    drain(&app).await;
    let id = notification_id(
        &app,
        &t,
        &format!("user_id = '{}' and channel = 'email'", ana.id),
    )
    .await;
    let raw = received_email(id);
    let mail = mailparse::parse_mail(&raw).unwrap();
    assert_eq!(
        mail.headers.get_first_value("Subject").unwrap(),
        "Restablece tu contraseña de Tienda gamarra"
    );
    assert!(
        mail.headers.get_first_value("List-Unsubscribe").is_none(),
        "mandatory: no unsubscribe"
    );
    let text = mail.subparts[0].get_body().unwrap();
    let token = text
        .split("token=")
        .nth(1)
        .unwrap()
        .split(|c: char| c == '.' || c.is_whitespace())
        .next()
        .unwrap();
    app.post("/api/v1/users/password-reset/confirm")
        .host(&t.host)
        .json(&json!({"token": token, "new_password": "a brand new password"}))
        .send()
        .await
        .expect(204);
}

#[tokio::test]
async fn sms_go_out_in_twilios_format_and_delivery_reports_are_verified() {
    let app = app().await;
    let t = tenant(&app, "gamarra").await;
    let admin = user(&app, &t, "admin@gamarra.test", &["admin"]).await;
    let twilio = Receiver::start(Behaviour::Answer(
        201,
        r#"{"sid":"SM0123456789abcdef0123456789abcdef","status":"queued"}"#,
    ))
    .await;
    let callback = "https://gamarra.example/api/v1/notifications/callbacks/twilio";
    set_channel(&app, &t, &admin.token, "sms", json!({
        "provider": "twilio",
        "settings": {"base_url": twilio.url, "account_sid": "AC0123456789abcdef0123456789abcdef", "from": "+15005550006", "status_callback_url": callback},
        "secret": "twilio-auth-token-0123456789",
    })).await;
    let ana = user(&app, &t, "ana@gamarra.test", &[]).await;
    set_phone(&app, &t, ana.id).await;
    // SMS is opt-in.
    order_placed(&app, &t, ana.id, &[]).await;
    drain(&app).await;
    assert!(twilio.hits().is_empty());
    set_preference(&app, &t, &ana.token, "sms", "transactional", true).await;
    order_placed(&app, &t, ana.id, &[]).await;
    drain(&app).await;
    let hits = twilio.hits();
    assert_eq!(hits.len(), 1);
    let hit = &hits[0];
    assert_eq!(
        hit.uri.path(),
        "/2010-04-01/Accounts/AC0123456789abcdef0123456789abcdef/Messages.json"
    );
    use base64::Engine;
    let basic = base64::engine::general_purpose::STANDARD
        .encode("AC0123456789abcdef0123456789abcdef:twilio-auth-token-0123456789");
    assert_eq!(hit.header("authorization"), format!("Basic {basic}"));
    let form = hit.form();
    let field = |k: &str| {
        form.iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.clone())
            .unwrap()
    };
    assert_eq!(field("To"), "+51987654321");
    assert_eq!(
        field("Body"),
        "Tienda gamarra: pedido GM-4821-XK recibido, total S/ 1.234,50."
    );
    let sms = notification_id(&app, &t, "channel = 'sms'").await;

    // Twilio reports delivery, signed with the tenant's auth token.
    let params = vec![
        (
            "MessageSid".to_string(),
            "SM0123456789abcdef0123456789abcdef".to_string(),
        ),
        ("MessageStatus".to_string(), "delivered".to_string()),
    ];
    let body = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(&params)
        .finish();
    let forged = notify::twilio::signature("someone-elses-token", callback, &params);
    app.post("/api/v1/notifications/callbacks/twilio")
        .host(&t.host)
        .header("x-twilio-signature", &forged)
        .raw("application/x-www-form-urlencoded", body.clone())
        .send()
        .await
        .expect(403);
    let status: String = app
        .owner_scalar(
            t.id,
            &format!("select status from notifications where id = '{sms}'"),
        )
        .await;
    assert_eq!(status, "sent", "a forged report changes nothing");
    let signature = notify::twilio::signature("twilio-auth-token-0123456789", callback, &params);
    app.post("/api/v1/notifications/callbacks/twilio")
        .host(&t.host)
        .header("x-twilio-signature", &signature)
        .raw("application/x-www-form-urlencoded", body)
        .send()
        .await
        .expect(204);
    let detail = app
        .get(&format!("/api/v1/notifications/messages/{sms}"))
        .host(&t.host)
        .bearer(&admin.token)
        .send()
        .await
        .expect(200);
    assert_eq!(detail.body["status"], "delivered");
    let log: Vec<&str> = detail.body["attempts_log"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["status"].as_str().unwrap())
        .collect();
    assert_eq!(log, ["sent", "delivered"]);
}

/// Stripe-style verification written here from the documented format, independent of the
/// crate's own `verify`.
fn reference_verify(header: &str, body: &[u8], secret: &str) -> bool {
    let mut t = None;
    let mut sigs = Vec::new();
    for part in header.split(',') {
        match part.split_once('=') {
            Some(("t", v)) => t = Some(v.to_string()),
            Some(("v1", v)) => sigs.push(v.to_string()),
            _ => {}
        }
    }
    let Some(t) = t else { return false };
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    if (now - t.parse::<i64>().unwrap()).abs() > 300 {
        return false;
    }
    let key = hmac::Key::new(hmac::HMAC_SHA256, secret.as_bytes());
    let mut signed = format!("{t}.").into_bytes();
    signed.extend_from_slice(body);
    let expected = hex::encode(hmac::sign(&key, &signed).as_ref());
    sigs.contains(&expected)
}

#[tokio::test]
async fn webhooks_are_signed_and_verify_with_a_reference_implementation() {
    let app = app().await;
    let t = tenant(&app, "gamarra").await;
    let admin = user(&app, &t, "admin@gamarra.test", &["admin"]).await;
    let hook = Receiver::start(Behaviour::Answer(200, "{}")).await;
    let created = app
        .post("/api/v1/notifications/webhooks")
        .host(&t.host)
        .bearer(&admin.token)
        .json(&json!({"url": format!("{}/hooks", hook.url), "topics": ["order.placed", "order.paid"]}))
        .send()
        .await
        .expect(201);
    let secret = created.body["secret"].as_str().unwrap().to_string();
    assert!(secret.starts_with("whsec_"));
    // Shown once: never again.
    let list = app
        .get("/api/v1/notifications/webhooks")
        .host(&t.host)
        .bearer(&admin.token)
        .send()
        .await
        .expect(200);
    assert!(!list.text.contains(&secret[6..]), "{}", list.text);
    let sealed: String = app
        .owner_scalar(
            t.id,
            "select encode(secret_sealed, 'escape') from webhook_endpoints",
        )
        .await;
    assert!(!sealed.contains(&secret[6..]), "stored sealed");

    let ana = user(&app, &t, "ana@gamarra.test", &[]).await;
    let order = order_placed(&app, &t, ana.id, &[]).await;
    emit(&app, &t, "order.shipped", order, json!({"order_id": order})).await; // not subscribed
    drain(&app).await;
    let hits = hook.hits();
    assert_eq!(hits.len(), 1);
    let hit = &hits[0];
    assert_eq!(hit.method, axum::http::Method::POST);
    assert_eq!(hit.uri.path(), "/hooks");
    assert_eq!(hit.header("gamarriando-event"), "order.placed");
    assert!(
        reference_verify(hit.header("gamarriando-signature"), &hit.body, &secret),
        "{:?}",
        hit.headers
    );
    let mut tampered = hit.body.to_vec();
    tampered[10] ^= 1;
    assert!(!reference_verify(
        hit.header("gamarriando-signature"),
        &tampered,
        &secret
    ));
    assert!(!reference_verify(
        hit.header("gamarriando-signature"),
        &hit.body,
        "whsec_other"
    ));
    let event = hit.json();
    assert_eq!(event["type"], "order.placed");
    assert_eq!(event["data"]["order_id"], order.to_string());
    assert_eq!(
        event["id"].as_str().unwrap(),
        hit.header("gamarriando-delivery")
    );
}

#[tokio::test]
async fn push_goes_to_every_device_through_fcm_with_a_service_account_token() {
    use aws_lc_rs::{
        encoding::AsDer,
        rsa::{KeyPair, KeySize},
    };
    use base64::Engine;
    let app = app().await;
    let t = tenant(&app, "gamarra").await;
    let admin = user(&app, &t, "admin@gamarra.test", &["admin"]).await;
    // One local server plays Google's token endpoint and FCM: its answer carries both shapes.
    let google = Receiver::start(Behaviour::Answer(
        200,
        r#"{"access_token":"ya29.test-token","expires_in":3600,"token_type":"Bearer","name":"projects/tienda-test/messages/0:1"}"#,
    ))
    .await;
    let key = KeyPair::generate(KeySize::Rsa2048).unwrap();
    let der = base64::engine::general_purpose::STANDARD.encode(key.as_der().unwrap().as_ref());
    let pem = format!("-----BEGIN PRIVATE KEY-----\n{der}\n-----END PRIVATE KEY-----\n");
    let account = json!({
        "type": "service_account", "project_id": "tienda-test", "private_key_id": "k1",
        "private_key": pem, "client_email": "notify@tienda-test.iam.gserviceaccount.com",
        "token_uri": "https://oauth2.googleapis.com/token",
    });
    set_channel(
        &app,
        &t,
        &admin.token,
        "push",
        json!({
            "provider": "fcm",
            "settings": {"base_url": google.url, "token_uri": format!("{}/token", google.url)},
            "secret": account.to_string(),
        }),
    )
    .await;
    let ana = user(&app, &t, "ana@gamarra.test", &[]).await;
    for device in ["fcm-token-phone-0123456789", "fcm-token-tablet-0123456789"] {
        app.post("/api/v1/notifications/devices")
            .host(&t.host)
            .bearer(&ana.token)
            .json(&json!({"token": device, "platform": "android"}))
            .send()
            .await
            .expect(201);
    }
    order_placed(&app, &t, ana.id, &[]).await;
    drain(&app).await;
    let hits = google.hits();
    let (token_calls, sends): (Vec<_>, Vec<_>) =
        hits.iter().partition(|h| h.uri.path() == "/token");
    assert_eq!(token_calls.len(), 1, "one access token for both sends");
    let grant = token_calls[0].form();
    assert!(grant.contains(&(
        "grant_type".into(),
        "urn:ietf:params:oauth:grant-type:jwt-bearer".into()
    )));
    assert_eq!(sends.len(), 2);
    let mut devices = Vec::new();
    for send in &sends {
        assert_eq!(send.uri.path(), "/v1/projects/tienda-test/messages:send");
        assert_eq!(send.header("authorization"), "Bearer ya29.test-token");
        let body = send.json();
        assert_eq!(
            body["message"]["notification"]["title"],
            "Recibimos tu pedido GM-4821-XK"
        );
        devices.push(body["message"]["token"].as_str().unwrap().to_string());
    }
    devices.sort();
    assert_eq!(
        devices,
        ["fcm-token-phone-0123456789", "fcm-token-tablet-0123456789"]
    );
    let status: String = app
        .owner_scalar(
            t.id,
            "select status from notifications where channel = 'push'",
        )
        .await;
    assert_eq!(status, "sent");
}
