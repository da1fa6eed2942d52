//! The rules, without IO: the status machine, how an order is priced, order numbers.

mod number;
mod pricing;
mod status;

pub use number::order_number;
pub use pricing::{Quote, Tax, VendorQuote, quote};
pub use status::{Actor, Status, StockMove};
