//! Integration tests of the `gamarriando` binary: the committed OpenAPI document, the Lambda
//! adapter against a real database, the operational routes, and the embedded PostgreSQL.
//!
//! Needs PostgreSQL (TEST_ADMIN_DATABASE_URL, default postgres://postgres@127.0.0.1:5432/postgres)
//! and, for the embedded cluster test, PostgreSQL's server binaries on this machine.

mod cli;
mod lambda;
mod openapi;
mod ops;
mod seed;
