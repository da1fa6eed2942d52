//! Nothing is lost and nothing is sent twice: workers that die at the worst moments, several
//! workers at once, providers that fail.

use std::{collections::HashMap, time::Duration};

use kernel::outbox::{Claimed, WorkerConfig};
use serde_json::json;

use crate::{receiver::*, *};

async fn webhook(app: &TestApp, t: &Tenant, admin: &str, url: &str) {
    app.post("/api/v1/notifications/webhooks")
        .host(&t.host)
        .bearer(admin)
        .json(&json!({"url": url, "topics": ["order.placed"]}))
        .send()
        .await
        .expect(201);
}

/// Deliveries per `Gamarriando-Delivery` id, as a deduplicating receiver would count them.
fn per_delivery(hits: &[Hit]) -> HashMap<String, usize> {
    let mut seen = HashMap::new();
    for h in hits {
        *seen
            .entry(h.header("gamarriando-delivery").to_string())
            .or_insert(0) += 1;
    }
    seen
}

#[tokio::test]
async fn a_worker_killed_after_claiming_leaves_the_work_for_the_next() {
    let app = app().await;
    let t = tenant(&app, "gamarra").await;
    let admin = user(&app, &t, "admin@gamarra.test", &["admin"]).await;
    let hook = Receiver::start(Behaviour::Answer(200, "{}")).await;
    webhook(&app, &t, &admin.token, &hook.url).await;
    let ana = user(&app, &t, "ana@gamarra.test", &[]).await;
    order_placed(&app, &t, ana.id, &[]).await;
    // A worker claims the event, then dies before handling it (its lease: 1 s).
    let mut tx = app.state.db.begin_platform().await.unwrap();
    let claimed: Vec<Claimed> = sqlx::query_as(
        "select id, tenant_id, topic, aggregate_id, payload, attempts from outbox_claim(10, interval '1 second')",
    )
    .fetch_all(tx.conn())
    .await
    .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(claimed.len(), 1);
    assert_eq!(drain(&app).await, 0, "leased: not claimable");
    tokio::time::sleep(Duration::from_millis(1100)).await;
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
    assert_eq!(hook.hits().len(), 1);
}

#[tokio::test]
async fn a_worker_killed_after_sending_and_before_recording_sends_again_with_the_same_id() {
    let app = app().await;
    let t = tenant(&app, "gamarra").await;
    let admin = user(&app, &t, "admin@gamarra.test", &["admin"]).await;
    let hook = Receiver::start(Behaviour::Hold).await;
    webhook(&app, &t, &admin.token, &hook.url).await;
    let ana = user(&app, &t, "ana@gamarra.test", &[]).await;
    order_placed(&app, &t, ana.id, &[]).await;
    // A worker plans the event and sends the message; the receiver takes the request (the side effect happened) and the worker
    // dies before it can record anything.
    let arrived = hook.arrived.notified();
    let state = app.state.clone();
    let dying = tokio::spawn(async move {
        notifications::api::worker(&state, worker_config(), vec![])
            .drain()
            .await
    });
    arrived.await;
    dying.abort();
    let _ = dying.await;
    let status: String = app
        .owner_scalar(
            t.id,
            "select status from notifications where channel = 'webhook'",
        )
        .await;
    assert_eq!(status, "pending", "nothing recorded");

    // After the lease, the next worker sends it again, with the same delivery id.
    hook.set(Behaviour::Answer(200, "{}"));
    tokio::time::sleep(Duration::from_millis(2100)).await;
    drain(&app).await;
    let hits = hook.hits();
    assert_eq!(hits.len(), 2, "sent again after the crash");
    let per = per_delivery(&hits);
    assert_eq!(
        per.len(),
        1,
        "one delivery id: a deduplicating receiver applies it once"
    );
    let status: String = app
        .owner_scalar(
            t.id,
            "select status from notifications where channel = 'webhook'",
        )
        .await;
    assert_eq!(status, "sent");
}

#[tokio::test]
async fn two_workers_never_deliver_the_same_message_twice() {
    let app = app().await;
    let t = tenant(&app, "gamarra").await;
    let admin = user(&app, &t, "admin@gamarra.test", &["admin"]).await;
    let hook = Receiver::start(Behaviour::Answer(200, "{}")).await;
    webhook(&app, &t, &admin.token, &hook.url).await;
    let ana = user(&app, &t, "ana@gamarra.test", &[]).await;
    const EVENTS: usize = 150;
    for _ in 0..EVENTS {
        order_placed(&app, &t, ana.id, &[]).await;
    }
    // Two long-running workers until everything is done.
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let mut workers = Vec::new();
    for _ in 0..2 {
        let worker = notifications::api::worker(&app.state, worker_config(), vec![]);
        let mut stopped = stopped.clone();
        workers.push(tokio::spawn(worker.run(async move {
            let _ = stopped.wait_for(|s| *s).await;
        })));
    }
    for _ in 0..300 {
        let left: i64 = app
            .owner_scalar(t.id, "select count(*) from outbox where status <> 'done'")
            .await;
        if left == 0 && hook.hits().len() >= EVENTS {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    stop.send(true).unwrap();
    for w in workers {
        w.await.unwrap();
    }
    let hits = hook.hits();
    let per = per_delivery(&hits);
    assert_eq!(per.len(), EVENTS, "every message delivered");
    assert!(
        per.values().all(|n| *n == 1),
        "none twice: {:?}",
        per.values().filter(|n| **n > 1).count()
    );
    assert_eq!(count(&app, &t, "channel = 'in_app'").await, EVENTS as i64);
}

#[tokio::test]
async fn a_failing_provider_is_retried_then_dead_and_an_admin_can_retry_it() {
    let app = app().await;
    let t = tenant(&app, "gamarra").await;
    let admin = user(&app, &t, "admin@gamarra.test", &["admin"]).await;
    let hook = Receiver::start(Behaviour::Answer(500, r#"{"error":"down"}"#)).await;
    webhook(&app, &t, &admin.token, &hook.url).await;
    let ana = user(&app, &t, "ana@gamarra.test", &[]).await;
    order_placed(&app, &t, ana.id, &[]).await;
    drain_until(&app, || async {
        count(&app, &t, "channel = 'webhook' and status = 'dead'").await == 1
    })
    .await;
    assert_eq!(hook.hits().len(), 3, "max_attempts tries, no more");
    let dead = app
        .get("/api/v1/notifications/messages?status=dead")
        .host(&t.host)
        .bearer(&admin.token)
        .send()
        .await
        .expect(200);
    let items = dead.body["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{dead:?}");
    assert_eq!(items[0]["attempts"], 3);
    assert!(
        items[0]["last_error"].as_str().unwrap().contains("500"),
        "{dead:?}"
    );
    let id = items[0]["id"].as_str().unwrap().to_string();
    let detail = app
        .get(&format!("/api/v1/notifications/messages/{id}"))
        .host(&t.host)
        .bearer(&admin.token)
        .send()
        .await
        .expect(200);
    assert_eq!(detail.body["attempts_log"].as_array().unwrap().len(), 3);

    // The receiver recovers; the admin retries; it goes out once more and succeeds.
    hook.set(Behaviour::Answer(200, "{}"));
    app.post(&format!("/api/v1/notifications/messages/{id}/retry"))
        .host(&t.host)
        .bearer(&admin.token)
        .send()
        .await
        .expect(200);
    drain(&app).await;
    assert_eq!(hook.hits().len(), 4);
    let status: String = app
        .owner_scalar(
            t.id,
            &format!("select status from notifications where id = '{id}'"),
        )
        .await;
    assert_eq!(status, "sent");
    // Only dead messages can be retried.
    app.post(&format!("/api/v1/notifications/messages/{id}/retry"))
        .host(&t.host)
        .bearer(&admin.token)
        .send()
        .await
        .expect_problem(409, "notification_not_dead");
}

#[tokio::test]
async fn a_provider_that_times_out_is_retried() {
    let app = app().await;
    let t = tenant(&app, "gamarra").await;
    let admin = user(&app, &t, "admin@gamarra.test", &["admin"]).await;
    let slow = Receiver::start(Behaviour::Hold).await;
    let twilio_like = json!({
        "provider": "twilio",
        "settings": {"base_url": slow.url, "account_sid": "AC0123456789abcdef0123456789abcdef", "from": "+15005550006", "timeout_secs": 1},
        "secret": "twilio-auth-token-0123456789",
    });
    set_channel(&app, &t, &admin.token, "sms", twilio_like).await;
    let ana = user(&app, &t, "ana@gamarra.test", &[]).await;
    set_phone(&app, &t, ana.id).await;
    set_preference(&app, &t, &ana.token, "sms", "transactional", true).await;
    order_placed(&app, &t, ana.id, &[]).await;
    // The retry is due a minute later, so this drain cannot reach it however slowly it runs
    // (with the tests' 20 ms backoff, a busy machine sometimes did).
    let patient = WorkerConfig {
        backoff_base: Duration::from_secs(60),
        backoff_cap: Duration::from_secs(60),
        ..worker_config()
    };
    notifications::api::worker(&app.state, patient, vec![])
        .drain()
        .await
        .unwrap();
    assert_eq!(slow.hits().len(), 1);
    let (status, error): (String, String) = {
        let s: String = app
            .owner_scalar(t.id, "select status || '|' || coalesce(last_error, '') from notifications where channel = 'sms'")
            .await;
        let (a, b) = s.split_once('|').unwrap();
        (a.into(), b.into())
    };
    assert_eq!(status, "failed", "retrying: {error}");
}

#[tokio::test]
async fn an_event_that_cannot_be_planned_is_dead_and_listed_for_admins() {
    let app = app().await;
    let t = tenant(&app, "gamarra").await;
    let other = tenant(&app, "polvos").await;
    let admin = user(&app, &t, "admin@gamarra.test", &["admin"]).await;
    let other_admin = user(&app, &other, "admin@polvos.test", &["admin"]).await;
    let ana = user(&app, &t, "ana@gamarra.test", &[]).await;
    // A reset link sealed for another marketplace does not open here: permanent, no retries.
    let forged = notifications::api::account_link_event(
        &app.state.secrets,
        other.id,
        "user.password_reset_requested",
        ana.id,
        "http://x/reset?token=t",
        60,
        "es",
    )
    .unwrap();
    let id = emit(&app, &t, &forged.topic, forged.aggregate_id, forged.payload).await;
    // Claimed in the same batch, planned together: the bad one must not sink the others.
    order_placed(&app, &t, ana.id, &[]).await;
    order_placed(&app, &t, ana.id, &[]).await;
    drain(&app).await;
    assert_eq!(count(&app, &t, "template = 'order_placed'").await, 2);
    let dead = app
        .get("/api/v1/notifications/events/dead")
        .host(&t.host)
        .bearer(&admin.token)
        .send()
        .await
        .expect(200);
    assert_eq!(dead.body["items"][0]["id"], id.to_string(), "{dead:?}");
    assert_eq!(dead.body["items"][0]["attempts"], 1);
    assert!(!dead.text.contains("token=t"), "the link stays sealed");
    let theirs = app
        .get("/api/v1/notifications/events/dead")
        .host(&other.host)
        .bearer(&other_admin.token)
        .send()
        .await
        .expect(200);
    assert_eq!(theirs.body["items"], json!([]));
    app.post(&format!("/api/v1/notifications/events/{id}/retry"))
        .host(&other.host)
        .bearer(&other_admin.token)
        .send()
        .await
        .expect_problem(404, "not_found");
    app.post(&format!("/api/v1/notifications/events/{id}/retry"))
        .host(&t.host)
        .bearer(&admin.token)
        .send()
        .await
        .expect(204);
    let status: String = app
        .owner_scalar(
            t.id,
            &format!("select status from outbox where id = '{id}'"),
        )
        .await;
    assert_eq!(status, "pending");
    assert_eq!(
        count(&app, &t, "template = 'reset_password'").await,
        0,
        "nothing was sent"
    );
}
