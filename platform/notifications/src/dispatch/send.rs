//! One message through its provider. The row is read (and a cancelled or already sent one left
//! alone), the provider resolved from the tenant's configuration, the transaction closed, the
//! provider called, and the outcome recorded in a second transaction. A crash between the call
//! and the record sends again after the lease, with the same message id for the receiver to
//! deduplicate.

use std::sync::Arc;

use kernel::outbox::{Claimed, HandlerError};
use notify::{Outgoing, ProviderConfig, SendError};
use serde_json::Value;

use super::{Dispatcher, retryable};
use crate::repo::{self, logs::NewLog, notifications::Notification};

pub(super) async fn send(d: &Dispatcher, ev: &Claimed) -> Result<(), HandlerError> {
    let mut tx = d.begin(ev.tenant_id).await.map_err(retryable)?;
    let Some(n) = repo::notifications::get(tx.conn(), ev.aggregate_id)
        .await
        .map_err(retryable)?
    else {
        return Ok(()); // deleted with its user or endpoint
    };
    if matches!(n.status.as_str(), "sent" | "delivered" | "cancelled") {
        return Ok(());
    }
    if n.channel == "in_app" {
        // A scheduled in-app message: its delivery is becoming visible in the inbox.
        repo::notifications::set_status(tx.conn(), n.id, "sent")
            .await
            .map_err(retryable)?;
        return tx.commit().await.map_err(retryable);
    }
    let route = match resolve(d, &mut tx, &n).await {
        Ok(route) => route,
        Err(err) => {
            drop(tx);
            return record(d, ev, &n, "config", Err(SendError::Permanent(err))).await;
        }
    };
    tx.commit().await.map_err(retryable)?;

    let mut outcome = Ok(notify::Receipt::default());
    let mut ids = Vec::new();
    for to in &route.to {
        let msg = Outgoing {
            id: n.id,
            tenant_id: n.tenant_id,
            topic: n.topic.clone().unwrap_or_default(),
            to: to.clone(),
            subject: n.subject.clone(),
            text: n.body.clone(),
            html: n.html.clone(),
            data: n.data.clone(),
            unsubscribe_url: n
                .data
                .get("unsubscribe_url")
                .and_then(Value::as_str)
                .map(str::to_string),
            created_at: n.created_at,
        };
        match route.provider.send(&msg).await {
            Ok(receipt) => ids.extend(receipt.provider_message_id),
            Err(SendError::Permanent(e)) if n.channel == "push" => {
                // An unregistered device: forget it, keep sending to the others.
                tracing::info!(notification = %n.id, error = %e, "push: dropping a device the provider refused");
                if let Ok(mut tx) = d.begin(n.tenant_id).await
                    && repo::devices::forget_token(tx.conn(), to).await.is_ok()
                {
                    let _ = tx.commit().await;
                }
            }
            Err(e) => {
                outcome = Err(e);
                break;
            }
        }
    }
    let outcome = match outcome {
        Ok(_) if n.channel == "push" && ids.is_empty() => {
            Err(SendError::permanent("no device accepted the message"))
        }
        Ok(_) => Ok(notify::Receipt {
            provider_message_id: (!ids.is_empty()).then(|| ids.join(",")),
        }),
        Err(e) => Err(e),
    };
    record(d, ev, &n, route.provider.name(), outcome).await
}

struct Route {
    provider: Arc<dyn notify::Notifier>,
    to: Vec<String>,
}

/// The provider and addresses of a message, from the tenant's configuration as it is now.
async fn resolve(
    d: &Dispatcher,
    tx: &mut kernel::db::TenantTx,
    n: &Notification,
) -> anyhow::Result<Route> {
    let secrets = &d.state.secrets;
    if n.channel == "webhook" {
        let id = n
            .endpoint_id
            .ok_or_else(|| anyhow::anyhow!("webhook message without endpoint"))?;
        let endpoint = repo::endpoints::get(tx.conn(), id)
            .await?
            .filter(|e| e.enabled)
            .ok_or_else(|| anyhow::anyhow!("the webhook endpoint was removed or disabled"))?;
        let provider = d.provider(
            (n.tenant_id, format!("webhook/{id}")),
            endpoint.updated_at,
            "webhook",
            || {
                let secret = secrets.open_str(
                    &repo::endpoints::secret_context(n.tenant_id, id),
                    &endpoint.secret_sealed,
                )?;
                Ok(ProviderConfig {
                    settings: serde_json::json!({}),
                    secret: Some(secret),
                })
            },
        )?;
        return Ok(Route {
            provider,
            to: vec![endpoint.url],
        });
    }
    let row = repo::channels::get(tx.conn(), &n.channel)
        .await?
        .filter(|c| c.enabled)
        .ok_or_else(|| anyhow::anyhow!("the {} channel is not configured any more", n.channel))?;
    let provider = d.provider(
        (n.tenant_id, n.channel.clone()),
        row.updated_at,
        &row.provider,
        || {
            let secret = row
                .secret_sealed
                .as_deref()
                .map(|s| {
                    secrets.open_str(&repo::channels::secret_context(n.tenant_id, &n.channel), s)
                })
                .transpose()?;
            Ok(ProviderConfig {
                settings: row.settings.clone(),
                secret,
            })
        },
    )?;
    let to: Vec<String> = match n.channel.as_str() {
        "push" => {
            let user = n
                .user_id
                .ok_or_else(|| anyhow::anyhow!("push message without user"))?;
            repo::devices::list(tx.conn(), user)
                .await?
                .into_iter()
                .map(|d| d.token)
                .collect()
        }
        _ => n.recipient.clone().into_iter().collect(),
    };
    if to.is_empty() {
        anyhow::bail!("nowhere to send it (no address or device)");
    }
    Ok(Route { provider, to })
}

/// Records the attempt (a log row, the message's status) and tells the worker what to do next.
async fn record(
    d: &Dispatcher,
    ev: &Claimed,
    n: &Notification,
    provider: &str,
    outcome: Result<notify::Receipt, SendError>,
) -> Result<(), HandlerError> {
    let last = u32::try_from(ev.attempt).unwrap_or(u32::MAX) >= d.max_attempts;
    let (status, message_id, error) = match &outcome {
        Ok(receipt) => ("sent", receipt.provider_message_id.clone(), None),
        Err(e) if e.is_retryable() && !last => ("failed", None, Some(e.to_string())),
        Err(e) => ("dead", None, Some(e.to_string())),
    };
    let mut tx = d.begin(n.tenant_id).await.map_err(retryable)?;
    repo::logs::insert(
        tx.conn(),
        n.tenant_id,
        &NewLog {
            notification_id: n.id,
            attempt: ev.attempt,
            channel: &n.channel,
            provider,
            status: if status == "sent" { "sent" } else { "failed" },
            provider_message_id: message_id.as_deref(),
            error: error.as_deref(),
        },
    )
    .await
    .map_err(retryable)?;
    repo::notifications::record_attempt(
        tx.conn(),
        n.id,
        status,
        provider,
        message_id.as_deref(),
        error.as_deref(),
    )
    .await
    .map_err(retryable)?;
    tx.commit().await.map_err(retryable)?;
    match outcome {
        Ok(_) => Ok(()),
        Err(SendError::Retryable(e)) => Err(HandlerError::Retryable(e)),
        Err(SendError::Permanent(e)) => Err(HandlerError::Permanent(e)),
    }
}
