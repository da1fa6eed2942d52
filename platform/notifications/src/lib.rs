//! Notification service: turns outbox events into messages for the right people, and delivers
//! them over the channels each marketplace configured, under `/api/v1/notifications`.
//!
//! Two steps, both run by the outbox worker ([`worker`]), each in a transaction of the event's
//! tenant:
//! 1. **Plan** (any domain event, `order.placed`, `user.password_reset_requested`, …): who should
//!    hear of it ([`domain::topics`]), over which channels their preferences allow, in their
//!    locale. Each message becomes a `notifications` row, unique per event, channel and recipient,
//!    so an event delivered twice plans nothing new. In-app messages are delivered by that very
//!    insert; every other one gets a `notification.send` event in the same transaction.
//! 2. **Send** (`notification.send`): one message through the tenant's provider
//!    ([`notify::Registry`]), every attempt recorded in `notification_logs`. The provider is given
//!    the message id, which a receiver can deduplicate on: a worker that dies after sending and
//!    before recording sends again after its lease, with the same id.
//!
//! Retries, backoff, the dead state and several workers at once are the outbox's
//! ([`kernel::outbox::Worker`]).

use kernel::AppState;
use utoipa_axum::router::OpenApiRouter;

pub mod api;
mod dispatch;
mod domain;
mod http;
mod permissions;
mod repo;

pub use dispatch::Dispatcher;

/// Every notification route.
pub fn router() -> OpenApiRouter<AppState> {
    http::router()
}
