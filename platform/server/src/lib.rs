//! The `gamarriando` binary as a library, so integration tests drive exactly what ships:
//! [`app`] composes the routers and the OpenAPI document, [`embedded_pg`] runs a private
//! PostgreSQL for local work, [`lambda`] adapts the router to API Gateway events, [`seed`] creates
//! the demo marketplaces and [`cli`] ties them to commands.

pub mod app;
pub mod cli;
pub mod embedded_pg;
pub mod lambda;
pub mod seed;

/// The outbox worker with every service's handler: the payment service first (a captured
/// payment marks its order paid), then the notification service.
pub fn outbox_worker(state: &kernel::AppState) -> kernel::outbox::Worker {
    notifications::api::worker(
        state,
        Default::default(),
        vec![payments::api::handler(state)],
    )
}
