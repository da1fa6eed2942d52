use sqlx::PgConnection;
use uuid::Uuid;

/// The roles of an account, `None` when no such account is visible (one query for both).
pub async fn of_existing_user(
    conn: &mut PgConnection,
    user: Uuid,
) -> Result<Option<Vec<String>>, sqlx::Error> {
    sqlx::query_scalar(
        "select array(select r.role from user_roles r where r.user_id = u.id order by r.role)
           from users u where u.id = $1",
    )
    .bind(user)
    .fetch_optional(conn)
    .await
}

/// What an access token carries about its user: roles granted here and the preferred locale,
/// in one query.
pub async fn token_claims(
    conn: &mut PgConnection,
    user: Uuid,
) -> Result<(Vec<String>, Option<String>), sqlx::Error> {
    sqlx::query_as(
        "select array(select role from user_roles where user_id = $1 order by role),
                (select locale from user_preferences where user_id = $1)",
    )
    .bind(user)
    .fetch_one(conn)
    .await
}

/// Idempotent grant.
/// The grant's account must exist in this tenant.
pub const USER_FK: &str = "user_roles_tenant_id_user_id_fkey";

pub async fn grant(
    conn: &mut PgConnection,
    tenant: Uuid,
    user: Uuid,
    role: &str,
    by: Option<Uuid>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "insert into user_roles (tenant_id, user_id, role, granted_by) values ($1, $2, $3, $4)
         on conflict do nothing",
    )
    .bind(tenant)
    .bind(user)
    .bind(role)
    .bind(by)
    .execute(conn)
    .await?;
    Ok(())
}

/// Whether the role was held.
pub async fn revoke(conn: &mut PgConnection, user: Uuid, role: &str) -> Result<bool, sqlx::Error> {
    let res = sqlx::query("delete from user_roles where user_id = $1 and role = $2")
        .bind(user)
        .bind(role)
        .execute(conn)
        .await?;
    Ok(res.rows_affected() > 0)
}
