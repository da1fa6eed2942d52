//! What other crates may call (the server's `platform-admin create` and `seed` commands).

use kernel::{ApiError, db::Db};
use sqlx::PgConnection;
use uuid::Uuid;

pub use crate::domain::PostalAddress;
use crate::{
    accounts::{self, NewAccount},
    repo,
};

/// Creates an account in `tenant_id` with `roles` granted (`customer` is implied and never
/// stored), and returns its id. Validates like registration; a duplicate email in the tenant is a
/// 409 `email_taken`. `verified` marks the email as already confirmed (staff created by an
/// operator, seed data).
pub async fn create_user(
    db: &Db,
    tenant_id: Uuid,
    email: &str,
    password: &str,
    display_name: &str,
    roles: &[&str],
    verified: bool,
) -> Result<Uuid, ApiError> {
    let account = NewAccount::parse(email, password, Some(display_name))?;
    let hash = account.hash().await?;
    let mut tx = db.begin_scoped(tenant_id, None).await?;
    let id = accounts::insert(tx.conn(), tenant_id, &account, &hash, verified, None).await?;
    for role in roles {
        // The table's check constraint refuses unknown roles; `customer` is implicit.
        if *role != "customer" {
            repo::roles::grant(tx.conn(), tenant_id, id, role, None).await?;
        }
    }
    tx.commit().await?;
    Ok(id)
}

/// The id of the account with this email in `tenant_id`, whatever its status.
pub async fn find_user_by_email(
    db: &Db,
    tenant_id: Uuid,
    email: &str,
) -> Result<Option<Uuid>, ApiError> {
    let mut tx = db.begin_scoped(tenant_id, None).await?;
    let found = repo::users::credentials_by_email(tx.conn(), email.trim()).await?;
    tx.commit().await?;
    Ok(found.map(|c| c.id))
}

/// Grants `role` (idempotent) inside the caller's tenant transaction: the product service makes an
/// approved vendor a `vendor` in the same transaction as the approval.
pub async fn grant_role_in(
    conn: &mut PgConnection,
    tenant_id: Uuid,
    user_id: Uuid,
    role: &str,
    granted_by: Option<Uuid>,
) -> Result<(), ApiError> {
    repo::roles::grant(conn, tenant_id, user_id, role, granted_by).await?;
    Ok(())
}

/// Revokes `role` inside the caller's transaction; when it was held, every session of the user
/// ends (their tokens carry the old roles), as a revoke through the admin API does.
pub async fn revoke_role_in(
    conn: &mut PgConnection,
    user_id: Uuid,
    role: &str,
) -> Result<(), ApiError> {
    if repo::roles::revoke(conn, user_id, role).await? {
        repo::sessions::revoke_all(conn, user_id, "roles_changed").await?;
    }
    Ok(())
}

/// A saved address of `user`, as a postal address to copy (the order service snapshots it as
/// the shipping address), inside the caller's transaction. `None` when it is not theirs.
pub async fn saved_address(
    conn: &mut PgConnection,
    user: Uuid,
    id: Uuid,
) -> Result<Option<PostalAddress>, ApiError> {
    Ok(repo::addresses::get(conn, user, id, false)
        .await?
        .as_ref()
        .map(PostalAddress::from))
}
