//! Integration tests of the order service: real PostgreSQL (one database per test, runtime role,
//! RLS in force) and real Redis, with the user and product services mounted beside it (tests sign
//! in and build catalogues through them).

mod cart;
mod checkout;
mod concurrency;
mod isolation;
mod validation;
mod workflow;

use kernel::{config::Config, testing::TestApp};
pub use testkit::*;

pub async fn app() -> TestApp {
    app_with(|_| {}).await
}

pub async fn app_with(f: impl FnOnce(&mut Config)) -> TestApp {
    testkit::app_with(
        ::orders::router()
            .merge(products::router())
            .merge(users::router()),
        f,
    )
    .await
}
