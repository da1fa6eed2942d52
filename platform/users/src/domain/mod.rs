//! Validated values ("parse, don't validate"). No IO here: each `parse` returns the value or the
//! field error the caller collects into one 422.

mod country;
mod email;
mod password;
mod postal;
mod role;

pub use country::Country;
pub use email::Email;
pub use password::Password;
pub use postal::PostalAddress;
pub use role::GrantableRole;

/// Limits shared by the request types and the schema (they mirror the table checks).
pub mod limits {
    pub const DISPLAY_NAME: usize = 100;
    pub const PHONE: usize = 32;
    pub const AVATAR_URL: usize = 2048;
    pub const TOKEN: usize = 128;
}
