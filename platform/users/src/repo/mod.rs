//! SQL only. Every function takes the caller's connection, which is always a tenant transaction
//! (`Db::begin_for` / `begin_scoped`): row-level security, not these queries, confines them to
//! one tenant. The `user_id` filters here confine a caller to their own rows within it.

pub mod addresses;
pub mod profiles;
pub mod roles;
pub mod sessions;
pub mod tokens;
pub mod users;
