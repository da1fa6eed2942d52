//! SQL only. Every function takes the tenant transaction's connection; RLS scopes each statement
//! to the tenant and to the parties of each order.

pub mod carts;
pub mod orders;
pub mod tracking;
