//! Credentials never show: a whole payment life (configuration, a payment, a webhook, a refund,
//! refused webhooks, a refused key) with every log line captured, then grepped for the secrets
//! it configured, together with every response body.

use std::{
    io::Write,
    sync::{Arc, Mutex},
};

use serde_json::json;
use tracing_subscriber::{fmt::MakeWriter, layer::SubscriberExt};

use crate::{stripe_fake::*, *};

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for Captured {
    type Writer = Captured;
    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

#[tokio::test]
async fn secrets_never_reach_logs_errors_or_responses() {
    let logs = Captured::default();
    let subscriber = tracing_subscriber::registry()
        .with(tracing_subscriber::EnvFilter::new("trace"))
        .with(
            tracing_subscriber::fmt::layer()
                .with_ansi(false)
                .with_writer(logs.clone()),
        );
    // The test's own thread (and its current-thread runtime) logs here, whatever another test set.
    let _guard = tracing::subscriber::set_default(subscriber);

    let app = app().await;
    let m = market(&app, "secrets").await;
    let fake = start().await;
    let mut answers = Vec::new();
    let mut keep = |r: kernel::testing::TestResponse| {
        let text = r.text.clone();
        answers.push(text);
        r
    };
    use_stripe(&app, &m, &fake, WEBHOOK_SECRET).await;
    use_sandbox(&app, &m).await;
    keep(
        app.get("/api/v1/payments/gateways")
            .host(&m.t.host)
            .bearer(&m.admin)
            .send()
            .await
            .expect(200),
    );
    keep(
        app.post("/api/v1/payments/gateways/stripe/test")
            .host(&m.t.host)
            .bearer(&m.admin)
            .send()
            .await
            .expect(200),
    );

    // A payment on Stripe, confirmed by its signed webhook, then refunded.
    let order = place(&app, &m.t, &m.alice.token, &[(m.a_variant, 1)])
        .await
        .expect(201)
        .body;
    let p = keep(
        pay(
            &app,
            &m.t,
            &m.alice.token,
            &key(),
            json!({"order_id": id_of(&order), "provider": "stripe"}),
        )
        .await
        .expect(201),
    )
    .body;
    let intent = p["next_action"]["client_secret"]
        .as_str()
        .unwrap()
        .split("_secret_")
        .next()
        .unwrap()
        .to_string();
    let event = intent_succeeded("evt_secrets_1", &intent, 3500);
    keep(
        stripe_webhook(&app, &m.t, WEBHOOK_SECRET, now(), &event)
            .await
            .expect(200),
    );
    keep(
        stripe_webhook(
            &app,
            &m.t,
            "whsec_someone_else_entirely_0000",
            now(),
            &event,
        )
        .await
        .expect(400),
    );
    keep(
        stripe_webhook(&app, &m.t, WEBHOOK_SECRET, now() - 3600, &event)
            .await
            .expect(400),
    );
    drain(&app).await;
    keep(
        app.post(&format!("/api/v1/payments/{}/refunds", id_of(&p)))
            .host(&m.t.host)
            .bearer(&m.admin)
            .header("idempotency-key", &key())
            .json(&json!({"amount_minor": 500}))
            .send()
            .await
            .expect(201),
    );
    keep(
        app.get(&format!("/api/v1/payments/{}", id_of(&p)))
            .host(&m.t.host)
            .bearer(&m.admin)
            .send()
            .await
            .expect(200),
    );
    // A sandbox payment.
    let order2 = place(&app, &m.t, &m.bob.token, &[(m.a_variant, 1)])
        .await
        .expect(201)
        .body;
    keep(
        pay(
            &app,
            &m.t,
            &m.bob.token,
            &key(),
            json!({"order_id": id_of(&order2), "provider": "sandbox", "method": "tok_success"}),
        )
        .await
        .expect(201),
    );
    drain(&app).await;

    // The key is revoked at Stripe: the marketplace's next payment fails on its credentials.
    const WRONG: &str = "sk_test_revokedKeyThatMustNotLeak0099";
    app.put("/api/v1/payments/gateways/stripe")
        .host(&m.t.host)
        .bearer(&m.admin)
        .json(&json!({"settings": {"api_base": fake.url}, "credentials": {"secret_key": WRONG}}))
        .send()
        .await
        .expect(200);
    keep(
        app.post("/api/v1/payments/gateways/stripe/test")
            .host(&m.t.host)
            .bearer(&m.admin)
            .send()
            .await
            .expect(422),
    );
    let order3 = place(&app, &m.t, &m.alice.token, &[(m.a_variant, 1)])
        .await
        .expect(201)
        .body;
    keep(
        pay(
            &app,
            &m.t,
            &m.alice.token,
            &key(),
            json!({"order_id": id_of(&order3), "provider": "stripe"}),
        )
        .await
        .expect(502),
    );

    let logs = String::from_utf8(logs.0.lock().unwrap().clone()).unwrap();
    // The capture worked: the flow's own lines are there.
    assert!(
        logs.contains("payment webhook refused"),
        "no webhook refusal logged"
    );
    assert!(
        logs.contains("refused the marketplace's credentials"),
        "no credential refusal logged"
    );
    assert!(logs.contains("evt_secrets_1"));
    for secret in [SECRET_KEY, WEBHOOK_SECRET, SANDBOX_SECRET, WRONG] {
        assert!(!logs.contains(secret), "{secret} in the logs");
        for a in &answers {
            assert!(!a.contains(secret), "{secret} in a response: {a}");
        }
    }
}
