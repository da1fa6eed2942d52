use sqlx::{FromRow, PgConnection};
use time::OffsetDateTime;
use uuid::Uuid;

/// The name of `unique (tenant_id, email)`: a duplicate email in the same tenant.
pub const EMAIL_UNIQUE: &str = "users_tenant_id_email_key";

#[derive(Debug, FromRow)]
pub struct Credentials {
    pub id: Uuid,
    pub password_hash: String,
    pub status: String,
}

#[derive(Debug, FromRow)]
pub struct UserRow {
    pub id: Uuid,
    pub email: String,
    pub email_verified_at: Option<OffsetDateTime>,
    pub status: String,
    pub display_name: String,
    pub phone: Option<String>,
    pub avatar_url: Option<String>,
    pub created_at: OffsetDateTime,
    pub roles: Vec<String>,
}

const SELECT_USER: &str = "select u.id, u.email::text as email, u.email_verified_at, u.status, \
    coalesce(p.display_name, '') as display_name, p.phone, p.avatar_url, u.created_at, \
    array(select r.role from user_roles r where r.user_id = u.id order by r.role) as roles \
    from users u left join user_profiles p on p.user_id = u.id";

pub async fn insert(
    conn: &mut PgConnection,
    id: Uuid,
    tenant: Uuid,
    email: &str,
    password_hash: &str,
    verified: bool,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "insert into users (id, tenant_id, email, password_hash, email_verified_at)
         values ($1, $2, $3, $4, case when $5 then now() end)",
    )
    .bind(id)
    .bind(tenant)
    .bind(email)
    .bind(password_hash)
    .bind(verified)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn credentials_by_email(
    conn: &mut PgConnection,
    email: &str,
) -> Result<Option<Credentials>, sqlx::Error> {
    sqlx::query_as("select id, password_hash, status from users where email = $1::citext")
        .bind(email)
        .fetch_optional(conn)
        .await
}

/// The active account with this email, for password resets.
pub async fn active_id_by_email(
    conn: &mut PgConnection,
    email: &str,
) -> Result<Option<Uuid>, sqlx::Error> {
    sqlx::query_scalar("select id from users where email = $1::citext and status = 'active'")
        .bind(email)
        .fetch_optional(conn)
        .await
}

pub async fn is_active(conn: &mut PgConnection, id: Uuid) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar("select exists (select from users where id = $1 and status = 'active')")
        .bind(id)
        .fetch_one(conn)
        .await
}

pub async fn get(conn: &mut PgConnection, id: Uuid) -> Result<Option<UserRow>, sqlx::Error> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{SELECT_USER} where u.id = $1"
    )))
    .bind(id)
    .fetch_optional(conn)
    .await
}

/// A page of the tenant's users by id (`limit + 1` rows, see `Page::from_rows`).
pub async fn list(
    conn: &mut PgConnection,
    after: Option<Uuid>,
    limit: u32,
) -> Result<Vec<UserRow>, sqlx::Error> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{SELECT_USER} where ($1::uuid is null or u.id > $1) order by u.id limit $2"
    )))
    .bind(after)
    .bind(i64::from(limit) + 1)
    .fetch_all(conn)
    .await
}

pub async fn mark_verified(conn: &mut PgConnection, id: Uuid) -> Result<(), sqlx::Error> {
    sqlx::query(
        "update users set email_verified_at = coalesce(email_verified_at, now()) where id = $1",
    )
    .bind(id)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn set_password(
    conn: &mut PgConnection,
    id: Uuid,
    hash: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query("update users set password_hash = $2 where id = $1")
        .bind(id)
        .bind(hash)
        .execute(conn)
        .await?;
    Ok(())
}
