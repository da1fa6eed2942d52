//! The transactional outbox: events written in the transaction of the change they describe, and
//! a worker that delivers them later, at least once.
//!
//! ```ignore
//! let mut tx = db.begin_for(&ctx).await?;
//! let order = repo::orders::insert(tx.conn(), &new).await?;
//! outbox::emit(tx.conn(), ctx.tenant.id, &Event::new("order.placed", order.id, json!({ … }))).await?;
//! tx.commit().await?;                  // rolled back: no order and no event
//! ```
//!
//! The [`Worker`] (run by the notification service) sleeps while nothing is due. A commit that
//! wrote events wakes the workers of its own process at once ([`crate::db::TenantTx::commit`]); workers of
//! other processes find the events within `poll_interval` (500 ms). PostgreSQL's LISTEN/NOTIFY
//! would wake them too, but a NOTIFY makes every writing transaction take one database-wide lock
//! through its commit's WAL flush, serializing checkouts (bench/orders.md: +11-27% checkouts
//! without it). It claims
//! batches with `FOR UPDATE SKIP LOCKED` under a lease, hands each event to a [`Handler`],
//! completes it or schedules a retry with exponential backoff and jitter, and after
//! `max_attempts` leaves it `dead`, visible to [`list_dead`] until an operator [`retry`]s it. A
//! worker that dies mid-batch loses its lease and the events are claimed again.
//!
//! Seeing every tenant: `outbox` has forced RLS like every tenant table. The worker works in the
//! platform scope ([`Db::begin_platform`]) through SECURITY DEFINER functions
//! (`outbox_claim`, …, migration 0007) that run as the owner, and a policy that admits the owner,
//! and only the owner, to every tenant's rows in the platform scope. The runtime role itself
//! never sees another tenant's events, whatever its scope.

use std::{
    panic::AssertUnwindSafe,
    sync::{
        Arc, LazyLock,
        atomic::{AtomicU64, Ordering},
    },
    time::Duration,
};

use futures::{FutureExt, StreamExt};
use serde::Serialize;
use serde_json::Value;
use sqlx::PgConnection;
use time::OffsetDateTime;
use tokio::{sync::Notify, time::Instant};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::{db::Db, error::ApiError};

/// Outbox rows this process has written (events, retries): a transaction that sees the count
/// move between its start and its commit wakes the local workers when it commits.
static WRITTEN: AtomicU64 = AtomicU64::new(0);
/// Wakes this process's workers. `notify_one` keeps a permit when no worker is waiting, so a
/// commit that lands while a worker is between its last claim and its sleep is not missed.
static WAKE: LazyLock<Notify> = LazyLock::new(Notify::new);

pub(crate) fn written() -> u64 {
    WRITTEN.load(Ordering::Acquire)
}

fn wrote() {
    WRITTEN.fetch_add(1, Ordering::AcqRel);
}

/// Called after a commit by a transaction that began when [`written`] was `since`.
pub(crate) fn after_commit(since: u64) {
    if written() != since {
        WAKE.notify_one();
    }
}

/// Something that happened, for others to react to. `topic` is `aggregate.event`, lowercase
/// (`order.placed`, `user.registered`); the payload is what a handler needs without reading the
/// owner's tables.
#[derive(Clone, Debug, PartialEq)]
pub struct Event {
    pub topic: String,
    pub aggregate_id: Uuid,
    pub payload: Value,
}

impl Event {
    pub fn new(topic: impl Into<String>, aggregate_id: Uuid, payload: Value) -> Self {
        Self {
            topic: topic.into(),
            aggregate_id,
            payload,
        }
    }
}

/// Writes `event` in the caller's transaction (which must be scoped to `tenant`: RLS refuses any
/// other). It is delivered only if that transaction commits. Returns the event id (UUID v7).
pub async fn emit(
    conn: &mut PgConnection,
    tenant: Uuid,
    event: &Event,
) -> Result<Uuid, sqlx::Error> {
    let id = Uuid::now_v7();
    sqlx::query(
        "insert into outbox (id, tenant_id, topic, aggregate_id, payload) values ($1, $2, $3, $4, $5)",
    )
    .bind(id)
    .bind(tenant)
    .bind(&event.topic)
    .bind(event.aggregate_id)
    .bind(&event.payload)
    .execute(conn)
    .await?;
    wrote();
    Ok(id)
}

/// Writes several events of one tenant in one statement, each *with its aggregate's id as its
/// own id* (so at most one per aggregate, and the aggregate finds its event without a lookup),
/// due at `at` (`None`: now). A future `at` schedules them: no worker claims them before then.
/// For work items such as "send notification N".
pub async fn emit_per_aggregate(
    conn: &mut PgConnection,
    tenant: Uuid,
    events: &[Event],
    at: Option<OffsetDateTime>,
) -> Result<(), sqlx::Error> {
    if events.is_empty() {
        return Ok(());
    }
    let topics: Vec<&str> = events.iter().map(|e| e.topic.as_str()).collect();
    let aggregates: Vec<Uuid> = events.iter().map(|e| e.aggregate_id).collect();
    let payloads: Vec<&Value> = events.iter().map(|e| &e.payload).collect();
    sqlx::query(
        "insert into outbox (id, tenant_id, topic, aggregate_id, payload, available_at)
         select aggregate_id, $1, topic, aggregate_id, payload, coalesce($5, now())
           from unnest($2::text[], $3::uuid[], $4::jsonb[]) as e (topic, aggregate_id, payload)",
    )
    .bind(tenant)
    .bind(&topics)
    .bind(&aggregates)
    .bind(&payloads)
    .bind(at)
    .execute(conn)
    .await?;
    wrote();
    Ok(())
}

/// An event claimed by a worker, as its handler sees it.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct Claimed {
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub topic: String,
    pub aggregate_id: Uuid,
    pub payload: Value,
    /// Which attempt this delivery is, from 1. Attempts whose worker died count too.
    #[sqlx(rename = "attempts")]
    pub attempt: i32,
}

/// Why a handler could not deliver an event.
#[derive(Debug, thiserror::Error)]
pub enum HandlerError {
    /// Worth trying again later (a provider timed out, answered 5xx or 429).
    #[error("{0:#}")]
    Retryable(anyhow::Error),
    /// Trying again cannot help (the recipient no longer exists, the payload is invalid): the
    /// event goes straight to `dead`.
    #[error("{0:#}")]
    Permanent(anyhow::Error),
}

impl HandlerError {
    pub fn retryable(err: impl Into<anyhow::Error>) -> Self {
        HandlerError::Retryable(err.into())
    }

    pub fn permanent(err: impl Into<anyhow::Error>) -> Self {
        HandlerError::Permanent(err.into())
    }
}

/// Delivers one event. Called outside any transaction (a handler opens its own, in the event's
/// tenant, with [`Db::begin_scoped`]). Delivery is at least once: a handler must tolerate seeing
/// an event again (after a crash, or a lease that expired while it was still working), for
/// example by keying what it writes on the event id.
#[async_trait::async_trait]
pub trait Handler: Send + Sync + 'static {
    async fn handle(&self, event: &Claimed) -> Result<(), HandlerError>;

    /// Whether `event` may be handled together with others of its batch by
    /// [`handle_many`](Self::handle_many). Only first attempts are offered.
    fn batchable(&self, _event: &Claimed) -> bool {
        false
    }

    /// Handles several batchable events at once, all or nothing (in one transaction, say).
    /// When it fails the worker hands each event to [`handle`](Self::handle) alone, so a bad
    /// event fails on its own and the others still go through.
    async fn handle_many(&self, events: &[Claimed]) -> Result<(), HandlerError> {
        for event in events {
            self.handle(event).await?;
        }
        Ok(())
    }
}

/// Several services' handlers as one: each event goes to every handler, in order (the payment
/// service moves an order before the notification service tells anyone about it). A failing
/// handler fails the event, and the retry offers it to every handler again, which at-least-once
/// delivery already requires them to tolerate.
pub struct Fanout(Vec<Arc<dyn Handler>>);

impl Fanout {
    pub fn new(handlers: Vec<Arc<dyn Handler>>) -> Self {
        Fanout(handlers)
    }
}

#[async_trait::async_trait]
impl Handler for Fanout {
    async fn handle(&self, event: &Claimed) -> Result<(), HandlerError> {
        for h in &self.0 {
            h.handle(event).await?;
        }
        Ok(())
    }

    fn batchable(&self, event: &Claimed) -> bool {
        self.0.iter().all(|h| h.batchable(event))
    }

    async fn handle_many(&self, events: &[Claimed]) -> Result<(), HandlerError> {
        for h in &self.0 {
            h.handle_many(events).await?;
        }
        Ok(())
    }
}

/// How a [`Worker`] claims, retries and waits.
#[derive(Clone, Debug)]
pub struct WorkerConfig {
    /// Events claimed per round trip.
    pub batch: u32,
    /// Events of a batch handled at once.
    pub concurrency: usize,
    /// How long a claim is exclusive. Past it, the event is claimed again: keep it well above
    /// `handler_timeout × batch / concurrency`.
    pub lease: Duration,
    /// A handler still running after this counts as a retryable failure.
    pub handler_timeout: Duration,
    /// With nothing scheduled and no local commit waking it, look again this often: how long an
    /// event written by another process may wait.
    pub poll_interval: Duration,
    /// Delay before the second attempt; doubled for each further one, up to `backoff_cap`.
    pub backoff_base: Duration,
    pub backoff_cap: Duration,
    /// Attempts before an event is left `dead`.
    pub max_attempts: u32,
    /// Delivered events are deleted this long after delivery, and expired idempotency records
    /// with them (`None`: both kept; no housekeeping).
    pub retain_done: Option<Duration>,
}

impl Default for WorkerConfig {
    fn default() -> Self {
        Self {
            batch: 32,
            concurrency: 8,
            lease: Duration::from_secs(5 * 60),
            handler_timeout: Duration::from_secs(30),
            poll_interval: Duration::from_millis(500),
            backoff_base: Duration::from_secs(1),
            backoff_cap: Duration::from_secs(60 * 60),
            max_attempts: 10,
            retain_done: Some(Duration::from_secs(7 * 24 * 60 * 60)),
        }
    }
}

impl WorkerConfig {
    /// The wait after failed attempt number `attempt` (from 1): `base × 2^(attempt-1)`, capped,
    /// with equal jitter (a random point in its upper half), so retries of many events spread out
    /// and a retry never comes sooner than half the step.
    pub fn backoff(&self, attempt: u32) -> Duration {
        let step = self
            .backoff_base
            .saturating_mul(1 << attempt.saturating_sub(1).min(30))
            .min(self.backoff_cap);
        let half = step / 2;
        micros(half + half.mul_f64(rand::random::<f64>()))
    }
}

/// `d` to whole microseconds: PostgreSQL's `interval` refuses finer ones.
fn micros(d: Duration) -> Duration {
    Duration::from_micros(u64::try_from(d.as_micros()).unwrap_or(u64::MAX))
}

/// Pause after a database error before trying again.
const ERROR_PAUSE: Duration = Duration::from_secs(1);
/// The shortest sleep when an event is due (or about to be): no spinning on a row another worker
/// is claiming at this very moment.
const MIN_PAUSE: Duration = Duration::from_millis(20);
/// How often the worker deletes old delivered events and expired idempotency records.
const PURGE_EVERY: Duration = Duration::from_secs(60 * 60);
const PURGE_BATCH: i32 = 10_000;
const PURGE_MAX_BATCHES: usize = 100;

/// Claims and delivers events of every tenant. Any number of workers may run at once, in one
/// process or many; they never claim the same event.
#[derive(Clone)]
pub struct Worker {
    db: Db,
    handler: Arc<dyn Handler>,
    config: WorkerConfig,
}

impl Worker {
    pub fn new(db: Db, handler: Arc<dyn Handler>) -> Self {
        Self {
            db,
            handler,
            config: WorkerConfig::default(),
        }
    }

    pub fn with_config(mut self, config: WorkerConfig) -> Self {
        self.config = config;
        self
    }

    pub fn config(&self) -> &WorkerConfig {
        &self.config
    }

    /// Runs until `shutdown` completes: delivers what is due, then sleeps until a local commit
    /// wrote events, the next scheduled retry or lease expiry, or `poll_interval`, whichever
    /// comes first. On shutdown it finishes the batch in hand (each handler bounded by
    /// `handler_timeout`) and returns. Database errors are logged and retried.
    pub async fn run(self, shutdown: impl Future<Output = ()> + Send) {
        tokio::pin!(shutdown);
        let mut last_purge: Option<Instant> = None;
        loop {
            let mut pause = self.config.poll_interval;
            loop {
                match self.run_once().await {
                    Ok(n) if n >= self.config.batch as usize && n > 0 => {
                        // A full batch: more may be due. Stop between batches on shutdown.
                        if shutdown.as_mut().now_or_never().is_some() {
                            return;
                        }
                    }
                    Ok(_) => {
                        match self.next_due().await {
                            Ok(Some(due)) => pause = pause.min(due.max(MIN_PAUSE)),
                            Ok(None) => {}
                            Err(e) => {
                                tracing::warn!(error = %e, "outbox: reading the next due time failed");
                                pause = pause.min(ERROR_PAUSE);
                            }
                        }
                        break;
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, "outbox: claiming failed");
                        pause = pause.min(ERROR_PAUSE);
                        break;
                    }
                }
            }
            if let Some(retain) = self.config.retain_done
                && last_purge.is_none_or(|t| t.elapsed() >= PURGE_EVERY)
            {
                last_purge = Some(Instant::now());
                if let Err(e) = self.purge(retain).await {
                    tracing::warn!(error = %e, "outbox: purging failed");
                }
            }
            tokio::select! {
                _ = shutdown.as_mut() => return,
                _ = WAKE.notified() => {}
                _ = tokio::time::sleep(pause) => {}
            }
        }
    }

    /// Claims one batch and delivers it. Returns how many events were claimed. Failures are
    /// recorded as they happen; deliveries all at once at the end of the batch (one statement
    /// instead of a transaction per event). A worker that dies before then delivers them again
    /// after their lease: delivery is at least once either way.
    pub async fn run_once(&self) -> Result<usize, ApiError> {
        let claimed = self.claim().await?;
        let n = claimed.len();
        let (together, mut alone): (Vec<Claimed>, Vec<Claimed>) = claimed
            .into_iter()
            .partition(|e| e.attempt == 1 && self.handler.batchable(e));
        let mut delivered: Vec<(Uuid, i32)> = Vec::with_capacity(n);
        if together.len() > 1 {
            match self.guarded(self.handler.handle_many(&together)).await {
                Ok(()) => delivered.extend(together.iter().map(|e| (e.id, e.attempt))),
                Err(e) => {
                    tracing::warn!(events = together.len(), error = %e,
                        "outbox: handling the batch together failed; handling each alone");
                    alone.extend(together);
                }
            }
        } else {
            alone.extend(together);
        }
        let one_by_one: Vec<(Uuid, i32)> = futures::stream::iter(alone)
            .map(|event| self.deliver(event))
            .buffer_unordered(self.config.concurrency.max(1))
            .filter_map(|done| async move { done })
            .collect()
            .await;
        delivered.extend(one_by_one);
        if !delivered.is_empty() {
            match self.complete(&delivered).await {
                Ok(k) if k < delivered.len() => tracing::warn!(
                    lost = delivered.len() - k,
                    "outbox: some leases expired before the deliveries were recorded; other workers own those events"
                ),
                Ok(_) => {}
                Err(e) => tracing::error!(error = %e,
                    "outbox: recording deliveries failed; they will be delivered again after their lease"),
            }
        }
        Ok(n)
    }

    /// Delivers until nothing is due now (retries scheduled later are left for later); for a
    /// scheduled job with no long-running worker. Returns how many events were claimed.
    pub async fn drain(&self) -> Result<usize, ApiError> {
        let mut total = 0;
        loop {
            let n = self.run_once().await?;
            total += n;
            if n == 0 {
                return Ok(total);
            }
        }
    }

    async fn claim(&self) -> Result<Vec<Claimed>, ApiError> {
        let mut tx = self.db.begin_platform().await?;
        let rows = sqlx::query_as::<_, Claimed>(
            "select id, tenant_id, topic, aggregate_id, payload, attempts from outbox_claim($1, $2)",
        )
        .bind(i32::try_from(self.config.batch).unwrap_or(i32::MAX))
        .bind(micros(self.config.lease))
        .fetch_all(tx.conn())
        .await?;
        tx.commit().await?;
        Ok(rows)
    }

    /// How long until the next event is due (a scheduled retry or an expired lease).
    async fn next_due(&self) -> Result<Option<Duration>, ApiError> {
        let mut tx = self.db.begin_platform().await?;
        let secs: Option<f64> = sqlx::query_scalar("select outbox_next_due()")
            .fetch_one(tx.conn())
            .await?;
        tx.commit().await?;
        Ok(secs.map(|s| Duration::try_from_secs_f64(s).unwrap_or(Duration::ZERO)))
    }

    /// Housekeeping: delivered events older than `retain`, and expired idempotency records
    /// (their keys are free again; the rows only take space, one per write under a key). Batch
    /// by batch, each its own short transaction, until both come back short or
    /// `PURGE_MAX_BATCHES` ran (the rest waits for the next turn; deliveries wait meanwhile).
    async fn purge(&self, retain: Duration) -> Result<(), ApiError> {
        let full = u64::try_from(PURGE_BATCH).unwrap_or(u64::MAX);
        let (mut events, mut keys) = (0, 0);
        for _ in 0..PURGE_MAX_BATCHES {
            let mut tx = self.db.begin_platform().await?;
            let e = purge(tx.conn(), retain, PURGE_BATCH).await?;
            let k = crate::idempotency::purge_expired(tx.conn(), PURGE_BATCH).await?;
            tx.commit().await?;
            (events, keys) = (events + e, keys + k);
            if e < full && k < full {
                break;
            }
        }
        if events + keys > 0 {
            tracing::info!(events, idempotency_keys = keys, "outbox: purged");
        }
        Ok(())
    }

    /// Runs a handler call bounded by the handler timeout, and kept from unwinding into the
    /// worker: a panic or a timeout is a retryable failure.
    async fn guarded(
        &self,
        handling: impl Future<Output = Result<(), HandlerError>>,
    ) -> Result<(), HandlerError> {
        let handling = AssertUnwindSafe(handling).catch_unwind();
        match tokio::time::timeout(self.config.handler_timeout, handling).await {
            Ok(Ok(result)) => result,
            Ok(Err(panic)) => Err(HandlerError::Retryable(anyhow::anyhow!(
                "handler panicked: {}",
                panic_message(panic.as_ref())
            ))),
            Err(_) => Err(HandlerError::Retryable(anyhow::anyhow!(
                "handler timed out after {:?}",
                self.config.handler_timeout
            ))),
        }
    }

    /// Hands `event` to the handler. A delivery is returned (id, attempt) for the batch to
    /// record; a failure is recorded here.
    async fn deliver(&self, event: Claimed) -> Option<(Uuid, i32)> {
        let cfg = &self.config;
        let attempt = u32::try_from(event.attempt).unwrap_or(0);
        let outcome = if attempt > cfg.max_attempts {
            // Only reachable when leases expired: earlier workers died or hung on this event.
            Err(HandlerError::Permanent(anyhow::anyhow!(
                "gave up after {} attempts; the last ones never finished (lease expired)",
                cfg.max_attempts
            )))
        } else {
            self.guarded(self.handler.handle(&event)).await
        };
        let err = match outcome {
            Ok(()) => return Some((event.id, event.attempt)),
            Err(err) => err,
        };
        let retry_in = match err {
            HandlerError::Retryable(_) if attempt < cfg.max_attempts => Some(cfg.backoff(attempt)),
            _ => None,
        };
        match retry_in {
            Some(wait) => tracing::warn!(event = %event.id, topic = %event.topic,
                tenant = %event.tenant_id, attempt, retry_in = ?wait, error = %err,
                "outbox: delivery failed, will retry"),
            None => tracing::error!(event = %event.id, topic = %event.topic,
                tenant = %event.tenant_id, attempt, error = %err,
                "outbox: delivery failed for good, event is dead"),
        }
        match self.fail(&event, err.to_string(), retry_in).await {
            Ok(true) => {}
            Ok(false) => tracing::warn!(event = %event.id,
                "outbox: the lease expired before the outcome was recorded; another worker owns the event"),
            Err(e) => tracing::error!(event = %event.id, error = %e,
                "outbox: recording the outcome failed; the event will be delivered again after its lease"),
        }
        None
    }

    /// Marks delivered events done; returns how many were still this worker's claims.
    async fn complete(&self, delivered: &[(Uuid, i32)]) -> Result<usize, ApiError> {
        let (ids, attempts): (Vec<Uuid>, Vec<i32>) = delivered.iter().copied().unzip();
        let mut tx = self.db.begin_platform().await?;
        let done: i32 = sqlx::query_scalar("select outbox_complete_all($1, $2)")
            .bind(&ids)
            .bind(&attempts)
            .fetch_one(tx.conn())
            .await?;
        tx.commit().await?;
        Ok(usize::try_from(done).unwrap_or(0))
    }

    /// Records a failed attempt: a retry after `retry_in`, or dead. False when the claim is no
    /// longer ours.
    async fn fail(
        &self,
        event: &Claimed,
        error: String,
        retry_in: Option<Duration>,
    ) -> Result<bool, ApiError> {
        let mut tx = self.db.begin_platform().await?;
        let ours: bool = sqlx::query_scalar("select outbox_fail($1, $2, $3, $4)")
            .bind(event.id)
            .bind(event.attempt)
            .bind(error)
            .bind(retry_in.map(micros))
            .fetch_one(tx.conn())
            .await?;
        tx.commit().await?;
        Ok(ours)
    }
}

fn panic_message(panic: &(dyn std::any::Any + Send)) -> &str {
    panic
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| panic.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("(no message)")
}

/// A dead event, for operators.
#[derive(Clone, Debug, Serialize, ToSchema, sqlx::FromRow)]
pub struct DeadEvent {
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub topic: String,
    pub aggregate_id: Uuid,
    pub payload: Value,
    pub attempts: i32,
    pub last_error: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339::option")]
    pub processed_at: Option<OffsetDateTime>,
}

/// Dead events visible in the transaction's scope (a marketplace: its own; the platform scope:
/// every tenant's, or `tenant`'s), oldest first, after the cursor `after`. At most 1000.
pub async fn list_dead(
    conn: &mut PgConnection,
    tenant: Option<Uuid>,
    after: Option<Uuid>,
    limit: i64,
) -> Result<Vec<DeadEvent>, sqlx::Error> {
    sqlx::query_as(
        "select id, tenant_id, topic, aggregate_id, payload, attempts, last_error, created_at, processed_at
           from outbox_dead($1, $2, $3)",
    )
    .bind(tenant)
    .bind(after)
    .bind(i32::try_from(limit.clamp(0, 1000)).unwrap_or(1000))
    .fetch_all(conn)
    .await
}

/// Sends a dead event back to pending with a fresh set of attempts and wakes the workers (at
/// commit). False when no dead event with this id is visible in the transaction's scope.
pub async fn retry(conn: &mut PgConnection, id: Uuid) -> Result<bool, sqlx::Error> {
    let revived = sqlx::query_scalar("select outbox_retry($1)")
        .bind(id)
        .fetch_one(conn)
        .await?;
    wrote();
    Ok(revived)
}

/// Deletes up to `limit` events delivered more than `older_than` ago (in the transaction's
/// scope). Returns how many.
pub async fn purge(
    conn: &mut PgConnection,
    older_than: Duration,
    limit: i32,
) -> Result<u64, sqlx::Error> {
    let n: i32 = sqlx::query_scalar("select outbox_purge($1, $2)")
        .bind(micros(older_than))
        .bind(limit)
        .fetch_one(conn)
        .await?;
    Ok(u64::try_from(n).unwrap_or(0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_with_jitter_and_caps() {
        let cfg = WorkerConfig {
            backoff_base: Duration::from_millis(100),
            backoff_cap: Duration::from_secs(1),
            ..WorkerConfig::default()
        };
        for _ in 0..100 {
            for (attempt, step_ms) in [
                (1, 100),
                (2, 200),
                (3, 400),
                (4, 800),
                (5, 1000),
                (40, 1000),
            ] {
                let d = cfg.backoff(attempt);
                let step = Duration::from_millis(step_ms);
                assert!(d >= step / 2 && d <= step, "attempt {attempt}: {d:?}");
            }
        }
    }

    #[test]
    fn panic_messages_are_read() {
        let p = std::panic::catch_unwind(|| panic!("boom {}", 1)).unwrap_err();
        assert_eq!(panic_message(p.as_ref()), "boom 1");
        let p = std::panic::catch_unwind(|| panic!("static")).unwrap_err();
        assert_eq!(panic_message(p.as_ref()), "static");
    }
}
