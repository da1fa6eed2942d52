//! Payment service: each marketplace's gateways, payments for orders, saved payment methods, a
//! ledger of every money movement, and refunds, under `/api/v1/payments`.
//!
//! The money path:
//! 1. `POST /payments` (with an `Idempotency-Key`) charges an order that waits for payment,
//!    for the amount and currency of the order, through the marketplace's gateway
//!    ([`gateways::Gateway`], a `gateways::PaymentProvider` built from sealed credentials). The
//!    provider gets an idempotency key derived from the client's, so a retry, or a crash
//!    between the provider's answer and our commit, never charges twice.
//! 2. Whatever the provider says next (the customer confirming, a webhook) moves the payment
//!    forward only ([`flow::advance`]); every step is a row of the append-only ledger.
//! 3. A capture writes `payment.captured` to the outbox; the outbox worker marks the order paid
//!    ([`api::OrderPayments`]), or gives the money back when the order was cancelled meanwhile.
//! 4. Refunds reserve their amount on the locked payment row before calling the provider, so
//!    racing refunds can never return more than was captured; `payment.refunded` then moves the
//!    order to `refunded` or `partially_refunded`.

use kernel::AppState;
use utoipa_axum::router::OpenApiRouter;

pub mod api;
mod flow;
pub mod gateways;
mod http;
mod permissions;
mod repo;

/// Every payment route.
pub fn router() -> OpenApiRouter<AppState> {
    http::router()
}
