use sqlx::{FromRow, PgConnection};
use time::OffsetDateTime;
use uuid::Uuid;

pub struct NewSession<'a> {
    pub id: Uuid,
    pub tenant: Uuid,
    pub user: Uuid,
    pub refresh_hash: &'a [u8],
    pub user_agent: Option<&'a str>,
    pub ip: Option<&'a str>,
    pub expires_at: OffsetDateTime,
}

pub async fn insert(conn: &mut PgConnection, s: &NewSession<'_>) -> Result<(), sqlx::Error> {
    sqlx::query(
        "insert into user_sessions (id, tenant_id, user_id, refresh_token_hash, user_agent, ip, expires_at)
         values ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(s.id)
    .bind(s.tenant)
    .bind(s.user)
    .bind(s.refresh_hash)
    .bind(s.user_agent)
    .bind(s.ip)
    .bind(s.expires_at)
    .execute(conn)
    .await?;
    Ok(())
}

#[derive(Debug, FromRow)]
pub struct Rotated {
    pub id: Uuid,
    pub user_id: Uuid,
}

/// Swaps the current refresh hash for a new one. The `where refresh_token_hash = $old` makes it
/// race-safe: of two concurrent rotations with one token, the second re-checks the row after the
/// first commits, no longer matches, and gets `None`.
pub async fn rotate(
    conn: &mut PgConnection,
    old: &[u8],
    new: &[u8],
    expires_at: OffsetDateTime,
) -> Result<Option<Rotated>, sqlx::Error> {
    sqlx::query_as(
        "update user_sessions
            set previous_token_hash = refresh_token_hash, refresh_token_hash = $2,
                generation = generation + 1, last_used_at = now(), expires_at = $3
          where refresh_token_hash = $1 and revoked_at is null and expires_at > now()
          returning id, user_id",
    )
    .bind(old)
    .bind(new)
    .bind(expires_at)
    .fetch_optional(conn)
    .await
}

/// A superseded token was presented: revoke its session (the whole token family).
pub async fn revoke_on_reuse(
    conn: &mut PgConnection,
    previous: &[u8],
) -> Result<bool, sqlx::Error> {
    let res = sqlx::query(
        "update user_sessions set revoked_at = now(), revoked_reason = 'reuse_detected'
          where previous_token_hash = $1 and revoked_at is null",
    )
    .bind(previous)
    .execute(conn)
    .await?;
    Ok(res.rows_affected() > 0)
}

pub async fn revoke(
    conn: &mut PgConnection,
    user: Uuid,
    id: Uuid,
    reason: &str,
) -> Result<bool, sqlx::Error> {
    let res = sqlx::query(
        "update user_sessions set revoked_at = now(), revoked_reason = $3
          where id = $1 and user_id = $2 and revoked_at is null",
    )
    .bind(id)
    .bind(user)
    .bind(reason)
    .execute(conn)
    .await?;
    Ok(res.rows_affected() > 0)
}

pub async fn revoke_all(
    conn: &mut PgConnection,
    user: Uuid,
    reason: &str,
) -> Result<u64, sqlx::Error> {
    let res = sqlx::query(
        "update user_sessions set revoked_at = now(), revoked_reason = $2 where user_id = $1 and revoked_at is null",
    )
    .bind(user)
    .bind(reason)
    .execute(conn)
    .await?;
    Ok(res.rows_affected())
}

#[derive(Debug, FromRow)]
pub struct SessionRow {
    pub id: Uuid,
    pub user_agent: Option<String>,
    pub ip: Option<String>,
    pub created_at: OffsetDateTime,
    pub last_used_at: OffsetDateTime,
    pub expires_at: OffsetDateTime,
}

/// The user's live sessions, newest first (`limit + 1` rows).
pub async fn list_live(
    conn: &mut PgConnection,
    user: Uuid,
    before: Option<Uuid>,
    limit: u32,
) -> Result<Vec<SessionRow>, sqlx::Error> {
    sqlx::query_as(
        "select id, user_agent, ip, created_at, last_used_at, expires_at from user_sessions
          where user_id = $1 and revoked_at is null and expires_at > now() and ($2::uuid is null or id < $2)
          order by id desc limit $3",
    )
    .bind(user)
    .bind(before)
    .bind(i64::from(limit) + 1)
    .fetch_all(conn)
    .await
}
