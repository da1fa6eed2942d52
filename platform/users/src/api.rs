//! What other crates may call (the server's `platform-admin create` and `seed` commands).

use kernel::{ApiError, db::Db, error::on_constraint};
use uuid::Uuid;

use crate::{
    domain::{Email, Password},
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
    let mut v = kernel::validate::Validator::new();
    let email = Email::parse("email", email).map_err(|e| ApiError::Validation(vec![e]))?;
    let password =
        Password::parse("password", password).map_err(|e| ApiError::Validation(vec![e]))?;
    v.text(
        "display_name",
        display_name,
        0,
        crate::domain::limits::DISPLAY_NAME,
    )
    .finish()?;
    let hash = kernel::auth::hash_password(password.into_inner()).await?;
    let id = Uuid::now_v7();
    let mut tx = db.begin_scoped(tenant_id, None).await?;
    repo::users::insert(tx.conn(), id, tenant_id, email.as_str(), &hash, verified)
        .await
        .map_err(on_constraint(
            repo::users::EMAIL_UNIQUE,
            ApiError::conflict("email_taken"),
        ))?;
    repo::profiles::insert(tx.conn(), id, tenant_id, display_name.trim(), None).await?;
    for role in roles {
        // The table's check constraint refuses unknown roles; `customer` is implicit.
        if *role != "customer" {
            repo::roles::grant(tx.conn(), tenant_id, id, role, None).await?;
        }
    }
    tx.commit().await?;
    Ok(id)
}
