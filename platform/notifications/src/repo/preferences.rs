//! `notification_preferences`: what a user agreed to receive.

use sqlx::PgConnection;
use uuid::Uuid;

pub async fn of(
    conn: &mut PgConnection,
    user: Uuid,
) -> Result<Vec<(String, String, bool)>, sqlx::Error> {
    sqlx::query_as(
        "select channel, category, enabled from notification_preferences where user_id = $1",
    )
    .bind(user)
    .fetch_all(conn)
    .await
}

/// Sets several at once.
pub async fn set(
    conn: &mut PgConnection,
    tenant: Uuid,
    user: Uuid,
    items: &[(&str, &str, bool)],
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "insert into notification_preferences (tenant_id, user_id, channel, category, enabled)
         select $1, $2, c, k, e from unnest($3::text[], $4::text[], $5::bool[]) as p (c, k, e)
         on conflict (tenant_id, user_id, channel, category) do update set enabled = excluded.enabled",
    )
    .bind(tenant)
    .bind(user)
    .bind(items.iter().map(|i| i.0).collect::<Vec<_>>())
    .bind(items.iter().map(|i| i.1).collect::<Vec<_>>())
    .bind(items.iter().map(|i| i.2).collect::<Vec<_>>())
    .execute(conn)
    .await?;
    Ok(())
}
