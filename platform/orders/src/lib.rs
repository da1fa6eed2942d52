//! Order service: carts, multi-vendor checkout, the status workflow, tracking and order history,
//! under `/api/v1/orders`.
//!
//! Money and stock meet here. Checkout prices every line from the catalogue (never from the
//! client), splits the order into one vendor order per vendor, and reserves stock through the
//! product service ([`products::api::stock`]) in the same transaction as the order, so an order
//! exists exactly when its units are held. Every status change locks the order row first, so
//! racing changes (two cancels, a cancel and the expiry sweep) apply one after the other and
//! stock moves exactly once.

use kernel::AppState;
use utoipa_axum::router::OpenApiRouter;

pub mod api;
mod domain;
mod http;
mod permissions;
mod repo;
mod workflow;

/// Every order route.
pub fn router() -> OpenApiRouter<AppState> {
    http::router()
}
