//! What every Gamarriando service stands on: configuration, state, the problem+json error,
//! the tenant context and its RLS transaction, identity, RBAC, i18n, cache and pagination.

pub mod auth;
pub mod cache;
pub mod config;
pub mod db;
pub mod error;
pub mod extract;
pub mod http;
pub mod i18n;
pub mod idempotency;
pub mod outbox;
pub mod pagination;
pub mod rbac;
pub mod request;
pub mod secrets;
pub mod state;
pub mod storage;
pub mod telemetry;
pub mod tenant;
pub mod validate;

#[cfg(feature = "testing")]
pub mod testing;

pub use error::ApiError;
pub use request::RequestCtx;
pub use state::AppState;
