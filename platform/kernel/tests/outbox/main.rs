//! The transactional outbox against a real PostgreSQL, with the worker running as the runtime role:
//! delivery only of committed events, exactly one delivery per event with two workers, retries
//! with backoff, dead events and their revival, crashed workers, wake-ups by commits and by polling, and isolation.

use std::{
    collections::HashMap,
    sync::{
        Arc, Mutex,
        atomic::{AtomicBool, Ordering},
    },
    time::Duration,
};

use kernel::{
    db::Db,
    outbox::{self, Claimed, Event, Handler, HandlerError, Worker, WorkerConfig},
    tenant::PLATFORM_TENANT_ID,
    testing::TestDb,
};
use serde_json::json;
use tokio::{sync::oneshot, task::JoinHandle, time::Instant};
use uuid::Uuid;

/// A database with two marketplaces.
struct Env {
    db: TestDb,
    a: Uuid,
    b: Uuid,
}

impl Env {
    async fn new() -> Env {
        let db = TestDb::new().await;
        let (a, b) = (Uuid::now_v7(), Uuid::now_v7());
        let mut tx = db.owner.begin().await.unwrap();
        sqlx::query("select set_config('app.tenant_id', $1, true)")
            .bind(PLATFORM_TENANT_ID.to_string())
            .execute(&mut *tx)
            .await
            .unwrap();
        for (id, slug) in [(a, "alpha"), (b, "beta")] {
            sqlx::query("insert into tenants (id, slug, name) values ($1, $2, $2)")
                .bind(id)
                .bind(slug)
                .execute(&mut *tx)
                .await
                .unwrap();
        }
        tx.commit().await.unwrap();
        Env { db, a, b }
    }

    /// The app's door to the database: the runtime role, RLS in force.
    fn app(&self) -> Db {
        Db::from_pool(self.db.app.clone())
    }

    async fn emit(&self, tenant: Uuid, n: usize, commit: bool) -> Vec<Uuid> {
        let mut tx = self.app().begin_scoped(tenant, None).await.unwrap();
        let mut ids = Vec::with_capacity(n);
        for i in 0..n {
            let event = Event::new("order.placed", Uuid::now_v7(), json!({ "n": i }));
            ids.push(outbox::emit(tx.conn(), tenant, &event).await.unwrap());
        }
        if commit {
            tx.commit().await.unwrap();
        }
        ids
    }

    /// `(status, attempts, last_error)` of an event, read as the owner in the platform scope.
    async fn state(&self, id: Uuid) -> Option<(String, i32, Option<String>)> {
        let mut tx = self.db.owner.begin().await.unwrap();
        sqlx::query("select set_config('app.tenant_id', $1, true)")
            .bind(PLATFORM_TENANT_ID.to_string())
            .execute(&mut *tx)
            .await
            .unwrap();
        sqlx::query_as("select status, attempts, last_error from outbox where id = $1")
            .bind(id)
            .fetch_optional(&mut *tx)
            .await
            .unwrap()
    }

    async fn status(&self, id: Uuid) -> String {
        self.state(id).await.expect("event exists").0
    }
}

/// Every call a handler received.
#[derive(Default)]
struct Log {
    calls: Mutex<Vec<(Uuid, Uuid, i32, Instant)>>,
}

impl Log {
    fn push(&self, e: &Claimed) {
        self.calls
            .lock()
            .unwrap()
            .push((e.id, e.tenant_id, e.attempt, Instant::now()));
    }

    fn calls_of(&self, id: Uuid) -> Vec<(i32, Instant)> {
        self.calls
            .lock()
            .unwrap()
            .iter()
            .filter(|c| c.0 == id)
            .map(|c| (c.2, c.3))
            .collect()
    }

    fn len(&self) -> usize {
        self.calls.lock().unwrap().len()
    }

    fn per_event(&self) -> HashMap<Uuid, usize> {
        let mut m = HashMap::new();
        for c in self.calls.lock().unwrap().iter() {
            *m.entry(c.0).or_default() += 1;
        }
        m
    }
}

/// A handler that logs the call, then answers what `script` says.
struct Scripted<F> {
    log: Arc<Log>,
    script: F,
}

#[async_trait::async_trait]
impl<F> Handler for Scripted<F>
where
    F: Fn(&Claimed) -> Result<(), HandlerError> + Send + Sync + 'static,
{
    async fn handle(&self, event: &Claimed) -> Result<(), HandlerError> {
        self.log.push(event);
        (self.script)(event)
    }
}

fn handler(
    log: &Arc<Log>,
    script: impl Fn(&Claimed) -> Result<(), HandlerError> + Send + Sync + 'static,
) -> Arc<dyn Handler> {
    Arc::new(Scripted {
        log: log.clone(),
        script,
    })
}

fn ok(_: &Claimed) -> Result<(), HandlerError> {
    Ok(())
}

/// A worker running in the background, stopped by `stop`.
struct Running {
    stop: oneshot::Sender<()>,
    task: JoinHandle<()>,
}

impl Running {
    async fn start(worker: Worker) -> Running {
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(worker.run(async move {
            let _ = stopped.await;
        }));
        Running { stop, task }
    }

    async fn stop(self) {
        self.stop.send(()).unwrap();
        tokio::time::timeout(Duration::from_secs(30), self.task)
            .await
            .expect("the worker stops on shutdown")
            .unwrap();
    }
}

/// Waits (up to `$limit`) until `$cond` holds, checking every 10 ms.
macro_rules! until {
    ($what:expr, $limit:expr, $cond:expr) => {{
        let deadline = Instant::now() + $limit;
        while !($cond) {
            assert!(
                Instant::now() < deadline,
                "timed out waiting until {}",
                $what
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }};
}

/// A config whose safety-net poll never fires during a test: wake-ups come from local commits and from
/// the scheduled retries and lease expiries.
fn quiet() -> WorkerConfig {
    WorkerConfig {
        poll_interval: Duration::from_secs(30),
        backoff_base: Duration::from_millis(20),
        backoff_cap: Duration::from_millis(500),
        ..WorkerConfig::default()
    }
}

#[tokio::test]
async fn committed_events_are_delivered_rolled_back_ones_never() {
    let env = Env::new().await;
    let committed = env.emit(env.a, 1, true).await[0];
    let rolled_back = env.emit(env.a, 1, false).await[0];
    let log = Arc::new(Log::default());
    let seen = Arc::new(Mutex::new(None));
    let seen_in = seen.clone();
    let worker = Worker::new(
        env.app(),
        handler(&log, move |e| {
            *seen_in.lock().unwrap() = Some(e.clone());
            Ok(())
        }),
    );
    assert_eq!(worker.drain().await.unwrap(), 1);
    assert_eq!(log.len(), 1);
    let e = seen.lock().unwrap().clone().unwrap();
    assert_eq!(
        (e.id, e.tenant_id, e.topic.as_str(), e.attempt),
        (committed, env.a, "order.placed", 1)
    );
    assert_eq!(e.payload, json!({ "n": 0 }));
    assert_eq!(env.status(committed).await, "done");
    assert!(env.state(rolled_back).await.is_none());
    assert_eq!(
        worker.drain().await.unwrap(),
        0,
        "nothing is delivered twice"
    );
}

#[tokio::test]
async fn a_commit_wakes_the_worker_and_shutdown_stops_it() {
    let env = Env::new().await;
    let log = Arc::new(Log::default());
    let running =
        Running::start(Worker::new(env.app(), handler(&log, ok)).with_config(quiet())).await;
    // The poll interval is 30 s: each delivery below comes from the commit waking the worker.
    for round in 0..3 {
        let id = env.emit(env.b, 1, true).await[0];
        until!(
            &format!("event {round} is delivered"),
            Duration::from_secs(10),
            !log.calls_of(id).is_empty()
        );
        until!(
            "it is recorded done",
            Duration::from_secs(10),
            env.status(id).await == "done"
        );
    }
    running.stop().await;
    // A stopped worker delivers nothing.
    let id = env.emit(env.b, 1, true).await[0];
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(log.calls_of(id).is_empty());
    assert_eq!(env.status(id).await, "pending");
}

/// Another process's commit does not wake this one's workers: they find its events by polling.
#[tokio::test]
async fn events_written_by_another_process_are_found_by_polling() {
    let env = Env::new().await;
    let log = Arc::new(Log::default());
    let running = Running::start(Worker::new(env.app(), handler(&log, ok)).with_config(
        WorkerConfig {
            poll_interval: Duration::from_millis(200),
            ..quiet()
        },
    ))
    .await;
    // Written on a plain connection, as another process would: nothing here wakes the worker.
    let id = uuid::Uuid::now_v7();
    let mut tx = env.db.app.begin().await.unwrap();
    sqlx::query("select set_config('app.tenant_id', $1, true)")
        .bind(env.b.to_string())
        .execute(&mut *tx)
        .await
        .unwrap();
    sqlx::query("insert into outbox (id, tenant_id, topic, aggregate_id, payload) values ($1, $2, 'x.y', $1, '{}')")
        .bind(id)
        .bind(env.b)
        .execute(&mut *tx)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    until!(
        "the poll finds it",
        Duration::from_secs(5),
        !log.calls_of(id).is_empty()
    );
    running.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_workers_deliver_each_of_1000_events_exactly_once() {
    let env = Env::new().await;
    let log = Arc::new(Log::default());
    let config = WorkerConfig {
        batch: 25,
        concurrency: 4,
        ..quiet()
    };
    let one =
        Running::start(Worker::new(env.app(), handler(&log, ok)).with_config(config.clone())).await;
    let two = Running::start(Worker::new(env.app(), handler(&log, ok)).with_config(config)).await;
    let mut ids = Vec::new();
    for i in 0..10 {
        let tenant = if i % 2 == 0 { env.a } else { env.b };
        ids.extend(env.emit(tenant, 100, true).await);
    }
    until!(
        "1000 events are delivered",
        Duration::from_secs(120),
        log.per_event().len() == 1000
    );
    one.stop().await;
    two.stop().await;
    let per_event = log.per_event();
    assert_eq!(log.len(), 1000, "some event was delivered twice");
    for id in &ids {
        assert_eq!(per_event.get(id), Some(&1), "event {id}");
    }
    let mut tx = env.app().begin_platform().await.unwrap();
    let dead = outbox::list_dead(tx.conn(), None, None, 100).await.unwrap();
    assert!(dead.is_empty());
    drop(tx);
    for tenant in [env.a, env.b] {
        let mut tx = env.app().begin_scoped(tenant, None).await.unwrap();
        let (done, total): (i64, i64) = sqlx::query_as(
            "select count(*) filter (where status = 'done' and attempts = 1), count(*) from outbox",
        )
        .fetch_one(tx.conn())
        .await
        .unwrap();
        assert_eq!((done, total), (500, 500));
    }
}

#[tokio::test]
async fn retries_back_off_then_succeed() {
    let env = Env::new().await;
    let log = Arc::new(Log::default());
    let config = quiet();
    let running = Running::start(
        Worker::new(
            env.app(),
            handler(&log, |e| match e.attempt {
                1..=3 => Err(HandlerError::retryable(anyhow::anyhow!(
                    "provider down (attempt {})",
                    e.attempt
                ))),
                _ => Ok(()),
            }),
        )
        .with_config(config.clone()),
    )
    .await;
    let id = env.emit(env.a, 1, true).await[0];
    until!(
        "the fourth attempt succeeds",
        Duration::from_secs(20),
        env.status(id).await == "done"
    );
    running.stop().await;
    let (_, attempts, last_error) = env.state(id).await.unwrap();
    assert_eq!(attempts, 4);
    assert_eq!(last_error.as_deref(), Some("provider down (attempt 3)"));
    let calls = log.calls_of(id);
    assert_eq!(
        calls.iter().map(|c| c.0).collect::<Vec<_>>(),
        vec![1, 2, 3, 4]
    );
    // Each retry waited at least half its backoff step (20, 40, 80 ms; equal jitter).
    for (k, pair) in calls.windows(2).enumerate() {
        let min = config.backoff_base * (1 << k) / 2;
        let gap = pair[1].1 - pair[0].1;
        assert!(
            gap >= min,
            "retry {} came after {gap:?}, before {min:?}",
            k + 1
        );
    }
}

#[tokio::test]
async fn failing_events_go_dead_and_an_operator_revives_them() {
    let env = Env::new().await;
    let log = Arc::new(Log::default());
    let healed = Arc::new(AtomicBool::new(false));
    let heal = healed.clone();
    let running = Running::start(
        Worker::new(
            env.app(),
            handler(&log, move |e| {
                if e.topic == "user.registered" {
                    Err(HandlerError::permanent(anyhow::anyhow!(
                        "no such recipient"
                    )))
                } else if heal.load(Ordering::SeqCst) {
                    Ok(())
                } else {
                    Err(HandlerError::retryable(anyhow::anyhow!("provider down")))
                }
            }),
        )
        .with_config(WorkerConfig {
            max_attempts: 3,
            ..quiet()
        }),
    )
    .await;
    let retried = env.emit(env.a, 1, true).await[0];
    let permanent = {
        let mut tx = env.app().begin_scoped(env.a, None).await.unwrap();
        let id = outbox::emit(
            tx.conn(),
            env.a,
            &Event::new("user.registered", Uuid::now_v7(), json!({})),
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();
        id
    };
    until!(
        "both are dead",
        Duration::from_secs(20),
        env.status(retried).await == "dead" && env.status(permanent).await == "dead"
    );
    assert_eq!(log.calls_of(retried).len(), 3, "max_attempts");
    assert_eq!(
        log.calls_of(permanent).len(),
        1,
        "a permanent error is not retried"
    );
    assert_eq!(
        env.state(permanent).await.unwrap().2.as_deref(),
        Some("no such recipient")
    );

    // The platform sees every tenant's dead events; a marketplace its own only.
    let db = env.app();
    let mut tx = db.begin_platform().await.unwrap();
    let dead = outbox::list_dead(tx.conn(), None, None, 10).await.unwrap();
    assert_eq!(dead.len(), 2);
    assert!(dead.iter().all(|d| d.tenant_id == env.a));
    let by_b = outbox::list_dead(tx.conn(), Some(env.b), None, 10)
        .await
        .unwrap();
    assert!(by_b.is_empty());
    let page = outbox::list_dead(tx.conn(), None, Some(dead[0].id), 10)
        .await
        .unwrap();
    assert_eq!(page.len(), 1, "the cursor skips what was seen");
    drop(tx);
    let mut tx = db.begin_scoped(env.b, None).await.unwrap();
    assert!(
        outbox::list_dead(tx.conn(), None, None, 10)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        !outbox::retry(tx.conn(), retried).await.unwrap(),
        "B revived A's event"
    );
    tx.commit().await.unwrap();
    let mut tx = db.begin_scoped(env.a, None).await.unwrap();
    let mine = outbox::list_dead(tx.conn(), None, None, 10).await.unwrap();
    assert_eq!(mine.len(), 2);
    let d = mine.iter().find(|d| d.id == retried).unwrap();
    assert_eq!(
        (d.attempts, d.last_error.as_deref()),
        (3, Some("provider down"))
    );

    // Revived, it is delivered: the retry's commit wakes the worker.
    healed.store(true, Ordering::SeqCst);
    assert!(outbox::retry(tx.conn(), retried).await.unwrap());
    assert!(
        !outbox::retry(tx.conn(), retried).await.unwrap(),
        "only dead events are revived"
    );
    tx.commit().await.unwrap();
    until!(
        "the revived event is delivered",
        Duration::from_secs(10),
        env.status(retried).await == "done"
    );
    running.stop().await;
    assert_eq!(log.calls_of(retried).len(), 4);
    assert_eq!(
        env.state(retried).await.unwrap().1,
        1,
        "a fresh set of attempts"
    );
    assert_eq!(env.status(permanent).await, "dead");
}

#[tokio::test]
async fn a_crashed_workers_events_are_delivered_after_its_lease() {
    let env = Env::new().await;
    let id = env.emit(env.a, 1, true).await[0];

    // The first worker claims the event and hangs in its handler; then the process "dies".
    struct Hang(Arc<Log>);
    #[async_trait::async_trait]
    impl Handler for Hang {
        async fn handle(&self, event: &Claimed) -> Result<(), HandlerError> {
            self.0.push(event);
            std::future::pending().await
        }
    }
    let first_log = Arc::new(Log::default());
    let first = Running::start(
        Worker::new(env.app(), Arc::new(Hang(first_log.clone()))).with_config(WorkerConfig {
            lease: Duration::from_secs(1),
            ..quiet()
        }),
    )
    .await;
    until!(
        "the first worker holds the event",
        Duration::from_secs(10),
        first_log.len() == 1
    );
    first.task.abort();
    assert!(first.task.await.unwrap_err().is_cancelled());
    assert_eq!(env.status(id).await, "processing");

    // A new worker picks it up when the lease expires (it sleeps until then, no polling).
    let log = Arc::new(Log::default());
    let second =
        Running::start(Worker::new(env.app(), handler(&log, ok)).with_config(quiet())).await;
    until!(
        "the event is delivered after restart",
        Duration::from_secs(15),
        env.status(id).await == "done"
    );
    second.stop().await;
    assert_eq!(
        log.calls_of(id).iter().map(|c| c.0).collect::<Vec<_>>(),
        vec![2]
    );
    let (_, attempts, last_error) = env.state(id).await.unwrap();
    assert_eq!(attempts, 2, "the lost attempt counts");
    assert!(last_error.unwrap().contains("lease expired"));
}

/// A worker whose lease expired and whose event was claimed again cannot change the event any
/// more: the claim's attempt number fences it.
#[tokio::test]
async fn a_stale_claim_cannot_complete_or_fail_the_event() {
    let env = Env::new().await;
    let id = env.emit(env.a, 1, true).await[0];
    let db = &env.app();
    let claim = || async move {
        let mut tx = db.begin_platform().await.unwrap();
        let attempts: Vec<i32> =
            sqlx::query_scalar("select attempts from outbox_claim(10, interval '1 minute')")
                .fetch_all(tx.conn())
                .await
                .unwrap();
        tx.commit().await.unwrap();
        attempts
    };
    assert_eq!(claim().await, vec![1]);
    assert!(
        claim().await.is_empty(),
        "a leased event is not claimed twice"
    );
    // The lease runs out (as the owner: the runtime role cannot rewrite events).
    let mut tx = env.db.owner.begin().await.unwrap();
    sqlx::query("select set_config('app.tenant_id', $1, true)")
        .bind(PLATFORM_TENANT_ID.to_string())
        .execute(&mut *tx)
        .await
        .unwrap();
    sqlx::query("update outbox set locked_until = now() - interval '1 second' where id = $1")
        .bind(id)
        .execute(&mut *tx)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(claim().await, vec![2]);
    let mut tx = db.begin_platform().await.unwrap();
    for (sql, attempt, expected) in [
        (
            "select outbox_fail($1, $2, 'late', interval '1 second')",
            1,
            false,
        ),
        (
            "select outbox_complete_all(array[$1], array[$2]) = 1",
            1,
            false,
        ),
        (
            "select outbox_complete_all(array[$1], array[$2]) = 1",
            2,
            true,
        ),
    ] {
        let changed: bool = sqlx::query_scalar(sql)
            .bind(id)
            .bind(attempt)
            .fetch_one(tx.conn())
            .await
            .unwrap();
        assert_eq!(changed, expected, "{sql} with attempt {attempt}");
    }
    tx.commit().await.unwrap();
    assert_eq!(env.status(id).await, "done");
}

#[tokio::test]
async fn a_marketplace_sees_and_claims_only_its_own_events() {
    let env = Env::new().await;
    let a_ids = env.emit(env.a, 2, true).await;
    let b_ids = env.emit(env.b, 3, true).await;
    let db = env.app();

    let mut tx = db.begin_scoped(env.a, None).await.unwrap();
    let mut seen: Vec<Uuid> = sqlx::query_scalar("select id from outbox")
        .fetch_all(tx.conn())
        .await
        .unwrap();
    seen.sort();
    let mut a_ids = a_ids;
    a_ids.sort();
    assert_eq!(seen, a_ids);
    // Events cannot be rewritten or deleted directly, even one's own.
    let err = sqlx::query("update outbox set status = 'done'")
        .execute(tx.conn())
        .await
        .unwrap_err();
    assert!(err.to_string().contains("permission denied"), "{err}");
    drop(tx);

    // Writing another tenant's event is refused.
    let mut tx = db.begin_scoped(env.a, None).await.unwrap();
    let err = outbox::emit(
        tx.conn(),
        env.b,
        &Event::new("order.placed", Uuid::now_v7(), json!({})),
    )
    .await
    .unwrap_err();
    assert!(err.to_string().contains("row-level security"), "{err}");
    drop(tx);

    // The runtime role in the platform scope does not see marketplaces' rows either: only the
    // definer functions do.
    let mut tx = db.begin_platform().await.unwrap();
    let n: i64 = sqlx::query_scalar("select count(*) from outbox")
        .fetch_one(tx.conn())
        .await
        .unwrap();
    assert_eq!(n, 0);
    drop(tx);

    // Without a tenant, nothing at all, not even through the functions.
    let mut tx = env.db.app.begin().await.unwrap();
    let claimed: Vec<Uuid> =
        sqlx::query_scalar("select id from outbox_claim(100, interval '1 minute')")
            .fetch_all(&mut *tx)
            .await
            .unwrap();
    assert!(claimed.is_empty());
    drop(tx);

    // A claim in B's scope claims B's events only.
    let mut tx = db.begin_scoped(env.b, None).await.unwrap();
    let mut claimed: Vec<Uuid> =
        sqlx::query_scalar("select id from outbox_claim(100, interval '1 minute')")
            .fetch_all(tx.conn())
            .await
            .unwrap();
    claimed.sort();
    let mut b_ids = b_ids;
    b_ids.sort();
    assert_eq!(claimed, b_ids);
}

#[tokio::test]
async fn the_running_worker_purges_old_delivered_events_and_expired_idempotency_records() {
    let env = Env::new().await;
    let ids = env.emit(env.a, 3, true).await;
    let log = Arc::new(Log::default());
    assert_eq!(
        Worker::new(env.app(), handler(&log, ok))
            .drain()
            .await
            .unwrap(),
        3
    );
    // Two of them were delivered two hours ago; two records of keys, one expired.
    let mut tx = env.db.owner_tx(env.a, None).await;
    sqlx::query("update outbox set processed_at = now() - interval '2 hours' where id = any($1)")
        .bind(&ids[..2])
        .execute(&mut *tx)
        .await
        .unwrap();
    sqlx::query(
        "insert into idempotency_keys (tenant_id, scope, key, request_hash, response_status, response_body, expires_at)
         select $1, 'guest', k, sha256(k::bytea), 201, '{}'::bytea, now() + e
           from (values ('old', interval '-1 second'), ('live', interval '1 day')) v(k, e)",
    )
    .bind(env.a)
    .execute(&mut *tx)
    .await
    .unwrap();
    tx.commit().await.unwrap();

    let running = Running::start(Worker::new(env.app(), handler(&log, ok)).with_config(
        WorkerConfig {
            retain_done: Some(Duration::from_secs(60 * 60)),
            ..quiet()
        },
    ))
    .await;
    until!("the worker purged", Duration::from_secs(10), {
        count(&env, "outbox", "true").await == 1
            && count(&env, "idempotency_keys", "true").await == 1
    });
    running.stop().await;
    assert_eq!(
        count(&env, "outbox", &format!("id = '{}'", ids[2])).await,
        1,
        "delivered within the hour: kept"
    );
    assert_eq!(count(&env, "idempotency_keys", "key = 'live'").await, 1);
}

/// Rows of `table` in marketplace A matching `filter`.
async fn count(env: &Env, table: &str, filter: &str) -> i64 {
    env.db
        .owner_scalar_as(
            env.a,
            None,
            &format!("select count(*) from {table} where {filter}"),
        )
        .await
}
