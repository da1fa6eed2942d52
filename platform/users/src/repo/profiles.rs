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
    pub notify_email: bool,
    pub notify_sms: bool,
    pub notify_push: bool,
    pub notify_in_app: bool,
    pub marketing: bool,
}

pub async fn preferences(
    conn: &mut PgConnection,
    user: Uuid,
) -> Result<Option<PreferencesRow>, sqlx::Error> {
    sqlx::query_as(
        "select locale, notify_email, notify_sms, notify_push, notify_in_app, marketing
         from user_preferences where user_id = $1",
    )
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
    let res = sqlx::query(
        "update user_preferences set locale = $2, notify_email = $3, notify_sms = $4, notify_push = $5,
           notify_in_app = $6, marketing = $7 where user_id = $1",
    )
    .bind(user)
    .bind(&p.locale)
    .bind(p.notify_email)
    .bind(p.notify_sms)
    .bind(p.notify_push)
    .bind(p.notify_in_app)
    .bind(p.marketing)
    .execute(conn)
    .await?;
    Ok(res.rows_affected() == 1)
}
