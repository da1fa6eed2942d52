use sqlx::PgConnection;
use uuid::Uuid;

pub async fn of_user(conn: &mut PgConnection, user: Uuid) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query_scalar("select role from user_roles where user_id = $1 order by role")
        .bind(user)
        .fetch_all(conn)
        .await
}

/// Idempotent grant.
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
