//! Integration tests of the providers against local servers that check the wire format and the
//! authentication like the real services do, and answer in their formats. One binary (see
//! STYLE.md); the SMTP tests need the sink of `.ci/smtp_sink.py`.

mod fcm;
mod http_email;
mod smtp;
mod twilio;
mod webhook;

use std::sync::Arc;

use notify::{Notifier, Outgoing, ProviderConfig, Registry, SendError};
use uuid::Uuid;

/// Serves `router` on 127.0.0.1 and returns its base URL.
pub async fn serve(router: axum::Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    format!("http://{addr}")
}

pub fn outgoing(to: &str) -> Outgoing {
    Outgoing {
        id: Uuid::now_v7(),
        tenant_id: Uuid::now_v7(),
        topic: "order.placed".into(),
        to: to.into(),
        subject: "Pedido confirmado ñ".into(),
        text: "Tu pedido #1001 está confirmado.".into(),
        html: Some("<p>Tu pedido <b>#1001</b> está confirmado.</p>".into()),
        data: serde_json::json!({"order_id": "1001", "total": 59.9, "paid": true}),
        unsubscribe_url: Some("https://tienda.x.test/unsubscribe?t=abc".into()),
        created_at: time::OffsetDateTime::now_utc()
            .replace_nanosecond(0)
            .unwrap(),
    }
}

/// Builds `name` through the registry, as the service does.
pub fn build(name: &str, settings: serde_json::Value, secret: &str) -> Arc<dyn Notifier> {
    Registry::builtin()
        .build(name, &ProviderConfig::new(settings, Some(secret)))
        .unwrap()
}

#[track_caller]
pub fn assert_permanent(err: &SendError, contains: &str) {
    assert!(
        matches!(err, SendError::Permanent(_)),
        "expected permanent: {err}"
    );
    assert!(
        err.to_string().contains(contains),
        "{err:?} lacks {contains:?}"
    );
}

#[track_caller]
pub fn assert_retryable(err: &SendError) {
    assert!(
        matches!(err, SendError::Retryable(_)),
        "expected retryable: {err}"
    );
}

#[track_caller]
pub fn assert_no_secret(err: &SendError, secret: &str) {
    assert!(!err.to_string().contains(secret), "secret leaked: {err}");
    assert!(
        !format!("{err:?}").contains(secret),
        "secret leaked: {err:?}"
    );
}
