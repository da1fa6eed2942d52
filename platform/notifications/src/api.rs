//! What other services and the binary call: how an account link travels through the outbox
//! sealed, and the outbox worker that plans and sends notifications.

use std::sync::Arc;

use base64::{Engine as _, engine::general_purpose::URL_SAFE_NO_PAD};
use kernel::{
    AppState,
    outbox::{Event, Fanout, Handler, Worker, WorkerConfig},
    secrets::Sealer,
};
use serde_json::json;
use uuid::Uuid;

use crate::Dispatcher;

/// The outbox worker: each event goes to `first` (other services' handlers, such as the payment
/// service moving an order to paid), then to this service, which turns every tenant's events
/// into notifications and sends them. Any number may run at once.
pub fn worker(state: &AppState, config: WorkerConfig, first: Vec<Arc<dyn Handler>>) -> Worker {
    let dispatcher: Arc<dyn Handler> =
        Arc::new(Dispatcher::new(state.clone(), config.max_attempts));
    let handler: Arc<dyn Handler> = if first.is_empty() {
        dispatcher
    } else {
        Arc::new(Fanout::new(first.into_iter().chain([dispatcher]).collect()))
    };
    Worker::new(state.db.clone(), handler).with_config(config)
}

/// Demo data: the development mailbox (`console`, which prints each email where the worker
/// runs) as the marketplace's email channel, unless it has one. `admin` is one of its admins.
pub async fn seed_console_email(
    db: &kernel::db::Db,
    tenant: Uuid,
    admin: Uuid,
) -> Result<(), kernel::ApiError> {
    let mut tx = db.begin_scoped(tenant, Some(admin)).await?;
    crate::repo::channels::insert_if_absent(tx.conn(), tenant, "email", "console").await?;
    tx.commit().await
}

fn link_context(tenant: Uuid, user: Uuid) -> String {
    format!("outbox/account-link/{tenant}/{user}")
}

/// The event that sends `user` a link (in `locale`, unless their preferences name one) to act on their account (`user.email_verification_requested`,
/// `user.password_reset_requested`). The link holds a secret token, so it travels sealed: the
/// outbox, its dead-event listing and its logs only ever hold ciphertext.
pub fn account_link_event(
    secrets: &Sealer,
    tenant: Uuid,
    topic: &str,
    user: Uuid,
    url: &str,
    expires_in_secs: u64,
    locale: &str,
) -> anyhow::Result<Event> {
    let sealed = secrets.seal(&link_context(tenant, user), url.as_bytes())?;
    Ok(Event::new(
        topic,
        user,
        json!({
            "user_id": user,
            "link": URL_SAFE_NO_PAD.encode(sealed),
            "expires_in": expires_in_secs,
            "locale": locale,
        }),
    ))
}

/// The link of an [`account_link_event`] payload.
pub fn open_account_link(
    secrets: &Sealer,
    tenant: Uuid,
    payload: &serde_json::Value,
) -> anyhow::Result<String> {
    let user: Uuid = payload
        .get("user_id")
        .and_then(|v| v.as_str())
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| anyhow::anyhow!("account link event without user_id"))?;
    let sealed = payload
        .get("link")
        .and_then(|v| v.as_str())
        .and_then(|s| URL_SAFE_NO_PAD.decode(s).ok())
        .ok_or_else(|| anyhow::anyhow!("account link event without link"))?;
    let url = secrets.open(&link_context(tenant, user), &sealed)?;
    Ok(String::from_utf8(url)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_travel_sealed() {
        let s = Sealer::ephemeral();
        let (t, u) = (Uuid::now_v7(), Uuid::now_v7());
        let e = account_link_event(
            &s,
            t,
            "user.password_reset_requested",
            u,
            "https://x/r?token=SECRET",
            60,
            "es",
        )
        .unwrap();
        assert!(!e.payload.to_string().contains("SECRET"));
        assert_eq!(
            open_account_link(&s, t, &e.payload).unwrap(),
            "https://x/r?token=SECRET"
        );
        assert!(
            open_account_link(&s, Uuid::now_v7(), &e.payload).is_err(),
            "other tenant"
        );
    }
}
