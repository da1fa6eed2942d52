//! The tenant registry: host → tenant resolution and the platform-staff tenant admin API
//! (`/api/v1/platform/tenants`, on the platform host only).

pub mod api;
pub mod domain;
mod http;
pub mod permissions;
pub mod repo;
pub mod resolver;

pub use http::router;
pub use resolver::DbResolver;
