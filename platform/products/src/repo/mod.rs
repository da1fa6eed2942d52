//! SQL only. Every function takes the tenant transaction's connection; RLS scopes each statement.

pub mod categories;
pub mod images;
pub mod inventory;
pub mod products;
pub mod search;
pub mod translations;
pub mod variants;
pub mod vendors;
