//! Product service: vendors, the category tree, products with variants, inventory, images and
//! search, under `/api/v1/products`.

use kernel::AppState;
use utoipa_axum::router::OpenApiRouter;

pub mod api;
mod cache;
mod domain;
mod http;
mod permissions;
mod repo;

/// Every product route.
pub fn router() -> OpenApiRouter<AppState> {
    http::router()
}
