//! Response bodies shared by several handlers.

use serde::Serialize;
use time::OffsetDateTime;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::repo::users::UserRow;

/// An account as its owner (or a tenant admin) sees it. Unverified accounts may sign in;
/// clients read `email_verified` to nudge the user (and services that need a verified email,
/// such as checkout, check it themselves).
#[derive(Debug, Serialize, ToSchema)]
pub struct User {
    pub id: Uuid,
    pub email: String,
    pub email_verified: bool,
    /// `active` or `disabled`.
    pub status: String,
    pub display_name: String,
    pub phone: Option<String>,
    pub avatar_url: Option<String>,
    /// Granted roles beyond the implied `customer`.
    pub roles: Vec<String>,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

impl From<UserRow> for User {
    fn from(r: UserRow) -> Self {
        Self {
            id: r.id,
            email: r.email,
            email_verified: r.email_verified_at.is_some(),
            status: r.status,
            display_name: r.display_name,
            phone: r.phone,
            avatar_url: r.avatar_url,
            roles: r.roles,
            created_at: r.created_at,
        }
    }
}
