use sqlx::PgConnection;
use time::OffsetDateTime;
use uuid::Uuid;

pub const VERIFY_EMAIL: &str = "verify_email";
pub const RESET_PASSWORD: &str = "reset_password";

pub async fn insert(
    conn: &mut PgConnection,
    hash: &[u8],
    tenant: Uuid,
    user: Uuid,
    purpose: &str,
    expires_at: OffsetDateTime,
) -> Result<(), sqlx::Error> {
    sqlx::query("insert into user_tokens (token_hash, tenant_id, user_id, purpose, expires_at) values ($1, $2, $3, $4, $5)")
        .bind(hash)
        .bind(tenant)
        .bind(user)
        .bind(purpose)
        .bind(expires_at)
        .execute(conn)
        .await?;
    Ok(())
}

/// Marks a live token used and returns its user. One UPDATE, so two concurrent uses of one token
/// cannot both succeed.
pub async fn consume(
    conn: &mut PgConnection,
    hash: &[u8],
    purpose: &str,
) -> Result<Option<Uuid>, sqlx::Error> {
    sqlx::query_scalar(
        "update user_tokens set used_at = now()
         where token_hash = $1 and purpose = $2 and used_at is null and expires_at > now()
         returning user_id",
    )
    .bind(hash)
    .bind(purpose)
    .fetch_optional(conn)
    .await
}

/// Spends every other outstanding token of this purpose (an older reset link dies with the reset).
pub async fn spend_all(
    conn: &mut PgConnection,
    user: Uuid,
    purpose: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query("update user_tokens set used_at = now() where user_id = $1 and purpose = $2 and used_at is null")
        .bind(user)
        .bind(purpose)
        .execute(conn)
        .await?;
    Ok(())
}
