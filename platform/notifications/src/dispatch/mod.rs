//! The outbox handler: `notification.send` events send one message ([`send`]); every other
//! event is planned into messages ([`plan`]).

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
};

use kernel::{
    ApiError, AppState,
    db::TenantTx,
    outbox::{Claimed, Handler, HandlerError},
};
use time::OffsetDateTime;
use uuid::Uuid;

mod plan;
mod send;

pub(crate) use plan::{Occasion, messages, open_unsubscribe_token, write};

/// The topic of "send this notification" work items (aggregate id = event id = the message).
pub const SEND_TOPIC: &str = "notification.send";

/// A built provider, and the configuration it was built from (rebuilt when that changes). Kept
/// so providers that cache something (FCM's access token) keep it between messages.
type ProviderCache = HashMap<(Uuid, String), (OffsetDateTime, Arc<dyn notify::Notifier>)>;

/// Plans and sends notifications for every tenant. One per worker process.
pub struct Dispatcher {
    state: AppState,
    registry: notify::Registry,
    max_attempts: u32,
    providers: Mutex<ProviderCache>,
}

impl Dispatcher {
    /// `max_attempts` is the worker's ([`kernel::outbox::WorkerConfig`]): the attempt that
    /// reaches it marks a failing message `dead`.
    pub fn new(state: AppState, max_attempts: u32) -> Self {
        Self {
            state,
            registry: notify::Registry::builtin(),
            max_attempts,
            providers: Mutex::new(HashMap::new()),
        }
    }

    /// A transaction of `tenant` in the worker's scope (`app.worker`, which the notification
    /// tables' policies admit).
    ///
    /// It commits without waiting for the WAL flush (`synchronous_commit = off`), which is safe
    /// here: the worker records the event delivered afterwards in a synchronous commit, and WAL
    /// is flushed in order, so that flush makes this transaction durable too. A crash before it
    /// loses both, and the event is handled again. Waiting here would cost a disk flush per
    /// event instead of one per batch.
    async fn begin(&self, tenant: Uuid) -> Result<TenantTx, ApiError> {
        self.state
            .db
            .begin_scoped_with(
                tenant,
                None,
                &[("app.worker", "on"), ("synchronous_commit", "off")],
            )
            .await
    }

    /// The provider built from `config`, reusing the one built from the same version.
    fn provider(
        &self,
        key: (Uuid, String),
        version: OffsetDateTime,
        name: &str,
        config: impl FnOnce() -> anyhow::Result<notify::ProviderConfig>,
    ) -> anyhow::Result<Arc<dyn notify::Notifier>> {
        let mut cache = self.providers.lock().expect("provider cache lock");
        if let Some((v, p)) = cache.get(&key)
            && *v == version
        {
            return Ok(p.clone());
        }
        let built = self.registry.build(name, &config()?)?;
        cache.insert(key, (version, built.clone()));
        Ok(built)
    }
}

#[async_trait::async_trait]
impl Handler for Dispatcher {
    async fn handle(&self, event: &Claimed) -> Result<(), HandlerError> {
        if event.topic == SEND_TOPIC {
            send::send(self, event).await
        } else {
            plan::plan(self, event.tenant_id, &[event]).await
        }
    }

    /// Domain events are planned together, a transaction per tenant; sends go one by one (each
    /// is a call to the outside).
    fn batchable(&self, event: &Claimed) -> bool {
        event.topic != SEND_TOPIC
    }

    async fn handle_many(&self, events: &[Claimed]) -> Result<(), HandlerError> {
        let mut by_tenant: HashMap<Uuid, Vec<&Claimed>> = HashMap::new();
        for event in events {
            by_tenant.entry(event.tenant_id).or_default().push(event);
        }
        for (tenant, events) in by_tenant {
            plan::plan(self, tenant, &events).await?;
        }
        Ok(())
    }
}

/// Database trouble inside a handler is worth retrying.
fn retryable(e: impl Into<anyhow::Error>) -> HandlerError {
    HandlerError::retryable(e)
}
