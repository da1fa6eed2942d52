//! The SMTP provider against a real SMTP server: the sink of `.ci/smtp_sink.py`, which stores
//! each message as `<dir>/<message-id>.eml`.
//!
//! Start it with:
//!   python3 -m venv ~/.cache/gamarriando-venv && ~/.cache/gamarriando-venv/bin/pip install aiosmtpd
//!   setsid nohup ~/.cache/gamarriando-venv/bin/python .ci/smtp_sink.py --port 8025 \
//!     --dir ~/.cache/gamarriando-smtp >/tmp/smtp_sink.log 2>&1 &
//! or point TEST_SMTP_ADDR / TEST_SMTP_DIR at another one (same AUTH user `notify`,
//! password `sink-password`).

use std::{
    path::PathBuf,
    time::{Duration, Instant},
};

use mailparse::MailHeaderMap;
use serde_json::json;
use uuid::Uuid;

use crate::*;

const PASSWORD: &str = "sink-password";

fn addr() -> String {
    std::env::var("TEST_SMTP_ADDR").unwrap_or_else(|_| "127.0.0.1:8025".into())
}

fn dir() -> PathBuf {
    match std::env::var("TEST_SMTP_DIR") {
        Ok(d) => d.into(),
        Err(_) => PathBuf::from(std::env::var("HOME").unwrap()).join(".cache/gamarriando-smtp"),
    }
}

/// Fails (never skips) when the sink is down, saying how to start it.
async fn sink() -> (String, u16) {
    let addr = addr();
    if let Err(e) = tokio::net::TcpStream::connect(&addr).await {
        panic!(
            "no SMTP server at {addr} ({e}). Start the test sink:\n  \
             python3 -m venv ~/.cache/gamarriando-venv && ~/.cache/gamarriando-venv/bin/pip install aiosmtpd\n  \
             setsid nohup ~/.cache/gamarriando-venv/bin/python .ci/smtp_sink.py --port 8025 --dir {} >/tmp/smtp_sink.log 2>&1 &\n\
             (or set TEST_SMTP_ADDR and TEST_SMTP_DIR)",
            dir().display()
        );
    }
    let (host, port) = addr.rsplit_once(':').unwrap();
    (host.to_owned(), port.parse().unwrap())
}

fn notifier(host: &str, port: u16, password: &str) -> std::sync::Arc<dyn Notifier> {
    let settings = json!({
        "host": host,
        "port": port,
        "tls": "none",
        "username": "notify",
        "from": "Tienda Gamarra <no-reply@tienda.x.test>",
    });
    build("smtp", settings, password)
}

async fn stored(id: Uuid) -> Vec<u8> {
    let path = dir().join(format!("{id}@gamarriando.notify.eml"));
    let start = Instant::now();
    loop {
        if let Ok(bytes) = std::fs::read(&path) {
            return bytes;
        }
        assert!(
            start.elapsed() < Duration::from_secs(5),
            "{} never appeared",
            path.display()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn delivers_a_multipart_message() {
    let (host, port) = sink().await;
    let n = notifier(&host, port, PASSWORD);
    let mut msg = outgoing(&format!("Ana Pérez <ana-{}@x.test>", Uuid::new_v4()));
    msg.subject = format!("Pedido confirmado ñ {}", Uuid::new_v4());
    msg.html = Some(format!("<p>Hola <b>Ana</b>, {}</p>", msg.subject));
    let receipt = n.send(&msg).await.unwrap();
    let message_id = format!("<{}@gamarriando.notify>", msg.id);
    assert_eq!(
        receipt.provider_message_id.as_deref(),
        Some(message_id.as_str())
    );

    let raw = stored(msg.id).await;
    let mail = mailparse::parse_mail(&raw).unwrap();
    let h = |k: &str| mail.headers.get_first_value(k).unwrap_or_default();
    assert_eq!(h("X-Sink-Auth"), "notify", "the provider authenticated");
    assert_eq!(h("Subject"), msg.subject);
    let to = mailparse::addrparse_header(mail.headers.get_first_header("To").unwrap()).unwrap();
    let to = to.extract_single_info().unwrap();
    assert_eq!(to.display_name.as_deref(), Some("Ana Pérez"));
    assert_eq!(format!("Ana Pérez <{}>", to.addr), msg.to);
    assert_eq!(h("Message-ID"), message_id);
    assert_eq!(h("X-Gamarriando-Notification"), msg.id.to_string());
    assert_eq!(
        h("List-Unsubscribe"),
        "<https://tienda.x.test/unsubscribe?t=abc>"
    );
    assert_eq!(h("List-Unsubscribe-Post"), "List-Unsubscribe=One-Click");
    assert!(h("From").contains("no-reply@tienda.x.test"));

    assert_eq!(mail.ctype.mimetype, "multipart/alternative");
    let part = |t: &str| {
        mail.subparts
            .iter()
            .find(|p| p.ctype.mimetype == t)
            .unwrap_or_else(|| panic!("no {t} part"))
            .get_body()
            .unwrap()
    };
    assert_eq!(part("text/plain").trim_end(), msg.text);
    assert_eq!(part("text/html").trim_end(), msg.html.unwrap());
}

#[tokio::test]
async fn text_only_message() {
    let (host, port) = sink().await;
    let mut msg = outgoing(&format!("luis-{}@x.test", Uuid::new_v4()));
    msg.html = None;
    msg.unsubscribe_url = None;
    notifier(&host, port, PASSWORD).send(&msg).await.unwrap();
    let raw = stored(msg.id).await;
    let mail = mailparse::parse_mail(&raw).unwrap();
    assert_eq!(mail.ctype.mimetype, "text/plain");
    assert_eq!(mail.get_body().unwrap().trim_end(), msg.text);
    assert!(mail.headers.get_first_value("List-Unsubscribe").is_none());
}

#[tokio::test]
async fn rejected_recipient_is_permanent() {
    let (host, port) = sink().await;
    let n = notifier(&host, port, PASSWORD);
    let err = n
        .send(&outgoing(&format!("reject-{}@x.test", Uuid::new_v4())))
        .await
        .unwrap_err();
    assert_permanent(&err, "550");
    assert_permanent(&err, "no such user");
}

#[tokio::test]
async fn temporary_failure_is_retryable() {
    let (host, port) = sink().await;
    let n = notifier(&host, port, PASSWORD);
    let err = n
        .send(&outgoing(&format!("tempfail-{}@x.test", Uuid::new_v4())))
        .await
        .unwrap_err();
    assert_retryable(&err);
    assert!(err.to_string().contains("451"), "{err}");
}

#[tokio::test]
async fn wrong_password_is_permanent_and_not_echoed() {
    let (host, port) = sink().await;
    let n = notifier(&host, port, "wrong-smtp-password");
    let err = n
        .send(&outgoing(&format!("ana-{}@x.test", Uuid::new_v4())))
        .await
        .unwrap_err();
    assert_permanent(&err, "535");
    assert_no_secret(&err, "wrong-smtp-password");
}
