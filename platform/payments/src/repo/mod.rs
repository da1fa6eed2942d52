//! The payment tables, one module each. Every function runs in the caller's transaction; RLS
//! decides which rows it reaches.

pub mod gateways;
pub mod ledger;
pub mod methods;
pub mod payments;
pub mod refunds;
