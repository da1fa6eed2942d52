//! `push_devices`: where a user's push messages go.

use sqlx::PgConnection;
use time::OffsetDateTime;
use uuid::Uuid;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Device {
    pub id: Uuid,
    pub token: String,
    pub platform: String,
    pub created_at: OffsetDateTime,
    pub last_seen_at: OffsetDateTime,
}

pub async fn list(conn: &mut PgConnection, user: Uuid) -> Result<Vec<Device>, sqlx::Error> {
    sqlx::query_as(
        "select id, token, platform, created_at, last_seen_at from push_devices
          where user_id = $1 order by id",
    )
    .bind(user)
    .fetch_all(conn)
    .await
}

/// Registers (or refreshes) a device of `user`.
pub async fn upsert(
    conn: &mut PgConnection,
    tenant: Uuid,
    user: Uuid,
    token: &str,
    platform: &str,
) -> Result<Device, sqlx::Error> {
    sqlx::query_as(
        "insert into push_devices (id, tenant_id, user_id, token, platform) values ($1, $2, $3, $4, $5)
         on conflict (tenant_id, user_id, token) do update
            set platform = excluded.platform, last_seen_at = now()
         returning id, token, platform, created_at, last_seen_at",
    )
    .bind(Uuid::now_v7())
    .bind(tenant)
    .bind(user)
    .bind(token)
    .bind(platform)
    .fetch_one(conn)
    .await
}

pub async fn delete(conn: &mut PgConnection, user: Uuid, id: Uuid) -> Result<bool, sqlx::Error> {
    Ok(
        sqlx::query("delete from push_devices where id = $1 and user_id = $2")
            .bind(id)
            .bind(user)
            .execute(conn)
            .await?
            .rows_affected()
            == 1,
    )
}

/// Forgets a token the push service called unregistered.
pub async fn forget_token(conn: &mut PgConnection, token: &str) -> Result<(), sqlx::Error> {
    sqlx::query("delete from push_devices where token = $1")
        .bind(token)
        .execute(conn)
        .await?;
    Ok(())
}
