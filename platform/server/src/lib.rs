//! The `gamarriando` binary as a library, so integration tests drive exactly what ships:
//! [`app`] composes the routers and the OpenAPI document, [`embedded_pg`] runs a private
//! PostgreSQL for local work, [`lambda`] adapts the router to API Gateway events, [`seed`] creates
//! the demo marketplaces and [`cli`] ties them to commands.

pub mod app;
pub mod cli;
pub mod embedded_pg;
pub mod lambda;
pub mod seed;
