//! Gateway configuration: credentials sealed, never shown, checked when saved.

use serde_json::json;

use crate::{stripe_fake::*, *};

#[tokio::test]
async fn credentials_are_masked_checked_and_kept() {
    let app = app().await;
    let m = market(&app, "gw-admin").await;
    let fake = start().await;
    let put = app
        .put("/api/v1/payments/gateways/stripe")
        .host(&m.t.host)
        .bearer(&m.admin)
        .json(
            &json!({"is_default": true, "settings": {"api_base": fake.url},
                      "credentials": {"secret_key": SECRET_KEY, "webhook_secret": WEBHOOK_SECRET}}),
        )
        .send()
        .await
        .expect(200);
    assert!(
        !put.text.contains(SECRET_KEY) && !put.text.contains(WEBHOOK_SECRET),
        "{}",
        put.text
    );
    assert_eq!(put.body["credentials"]["secret_key"], "••••0001");
    let list = app
        .get("/api/v1/payments/gateways")
        .host(&m.t.host)
        .bearer(&m.admin)
        .send()
        .await
        .expect(200);
    assert!(!list.text.contains(SECRET_KEY) && !list.text.contains(WEBHOOK_SECRET));
    assert_eq!(list.body["items"][0]["provider"], "stripe");
    assert!(
        list.body["providers"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["name"] == "paypal")
    );
    // Stored sealed.
    let sealed: Vec<u8> = app
        .owner_scalar(m.t.id, "select credentials_sealed from payment_gateways")
        .await;
    assert!(!String::from_utf8_lossy(&sealed).contains("sk_test"));
    // The connection test uses them.
    app.post("/api/v1/payments/gateways/stripe/test")
        .host(&m.t.host)
        .bearer(&m.admin)
        .send()
        .await
        .expect(200);
    // Settings changed without credentials keep them; a wrong key is refused by the test,
    // whose answer never shows it.
    app.put("/api/v1/payments/gateways/stripe")
        .host(&m.t.host)
        .bearer(&m.admin)
        .json(&json!({"is_default": true, "settings": {"api_base": fake.url, "timeout_secs": 5}}))
        .send()
        .await
        .expect(200);
    app.post("/api/v1/payments/gateways/stripe/test")
        .host(&m.t.host)
        .bearer(&m.admin)
        .send()
        .await
        .expect(200);
    app.put("/api/v1/payments/gateways/stripe").host(&m.t.host).bearer(&m.admin)
        .json(&json!({"settings": {"api_base": fake.url}, "credentials": {"secret_key": "sk_test_wrong_key_000000000000"}}))
        .send().await.expect(200);
    let refused = app
        .post("/api/v1/payments/gateways/stripe/test")
        .host(&m.t.host)
        .bearer(&m.admin)
        .send()
        .await
        .expect_problem(422, "gateway_test_failed");
    assert!(
        !refused.text.contains("sk_test_wrong_key_000000000000"),
        "{}",
        refused.text
    );

    // Bad configurations are refused with what is wrong.
    for body in [
        json!({"settings": {"api_base": "ftp://x"}}),
        json!({"settings": {"colour": "red"}}),
        json!({"credentials": {"pin": "1234"}}),
        json!({"settings": []}),
        json!({"enabled": false, "is_default": true}),
    ] {
        let res = app
            .put("/api/v1/payments/gateways/stripe")
            .host(&m.t.host)
            .bearer(&m.admin)
            .json(&body)
            .send()
            .await;
        assert_eq!(res.status.as_u16(), 422, "{body}: {}", res.text);
    }
    app.put("/api/v1/payments/gateways/bitcoin")
        .host(&m.t.host)
        .bearer(&m.admin)
        .json(&json!({}))
        .send()
        .await
        .expect(404);

    // Shoppers learn which gateways they may use, nothing more.
    let available = app
        .get("/api/v1/payments/gateways/available")
        .host(&m.t.host)
        .send()
        .await
        .expect(200);
    assert_eq!(
        available.body,
        json!([{"provider": "stripe", "is_default": false}])
    );
    app.delete("/api/v1/payments/gateways/stripe")
        .host(&m.t.host)
        .bearer(&m.admin)
        .send()
        .await
        .expect(204);
    let available = app
        .get("/api/v1/payments/gateways/available")
        .host(&m.t.host)
        .send()
        .await
        .expect(200);
    assert_eq!(available.body, json!([]));
}
