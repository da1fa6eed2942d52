use sqlx::{FromRow, PgConnection};
use uuid::Uuid;

pub async fn insert(
    conn: &mut PgConnection,
    user: Uuid,
    tenant: Uuid,
    display_name: &str,
    locale: Option<&str>,
) -> Result<(), sqlx::Error> {
    // Two statements in one round trip would need a CTE; profiles and preferences are created
    // together, so one CTE it is.
    sqlx::query(
        "with p as (insert into user_profiles (user_id, tenant_id, display_name) values ($1, $2, $3))
         insert into user_preferences (user_id, tenant_id, locale) values ($1, $2, $4)",
    )
    .bind(user)
    .bind(tenant)
    .bind(display_name)
    .bind(locale)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn update_profile(
    conn: &mut PgConnection,
    user: Uuid,
    display_name: &str,
    phone: Option<&str>,
    avatar_url: Option<&str>,
) -> Result<(), sqlx::Error> {
    sqlx::query("update user_profiles set display_name = $2, phone = $3, avatar_url = $4 where user_id = $1")
        .bind(user)
        .bind(display_name)
        .bind(phone)
        .bind(avatar_url)
        .execute(conn)
        .await?;
    Ok(())
}

#[derive(Debug, FromRow)]
pub struct PreferencesRow {
    pub locale: Option<String>,
}

pub async fn preferences(
    conn: &mut PgConnection,
    user: Uuid,
) -> Result<Option<PreferencesRow>, sqlx::Error> {
    sqlx::query_as("select locale from user_preferences where user_id = $1")
        .bind(user)
        .fetch_optional(conn)
        .await
}

pub async fn locale(conn: &mut PgConnection, user: Uuid) -> Result<Option<String>, sqlx::Error> {
    Ok(sqlx::query_scalar::<_, Option<String>>(
        "select locale from user_preferences where user_id = $1",
    )
    .bind(user)
    .fetch_optional(conn)
    .await?
    .flatten())
}

pub async fn update_preferences(
    conn: &mut PgConnection,
    user: Uuid,
    p: &PreferencesRow,
) -> Result<bool, sqlx::Error> {
    let res = sqlx::query("update user_preferences set locale = $2 where user_id = $1")
        .bind(user)
        .bind(&p.locale)
        .execute(conn)
        .await?;
    Ok(res.rows_affected() == 1)
}
