//! SQL, one module per table (or read model). Every function takes the caller's transaction.

pub mod channels;
pub mod devices;
pub mod endpoints;
pub mod logs;
pub mod notifications;
pub mod preferences;
pub mod recipients;
pub mod templates;
