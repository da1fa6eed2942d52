//! `payment_methods`: a customer's saved provider tokens.

use serde::Serialize;
use sqlx::{AssertSqlSafe, PgConnection};
use time::OffsetDateTime;
use utoipa::ToSchema;
use uuid::Uuid;

/// A saved payment method: the provider's token and what may be shown of the card.
#[derive(Debug, Clone, Serialize, ToSchema, sqlx::FromRow)]
pub struct PaymentMethod {
    pub id: Uuid,
    pub provider: String,
    /// The provider's token (`pm_…`, a sandbox `tok_…`): never a card number.
    pub token: String,
    pub brand: Option<String>,
    pub last4: Option<String>,
    pub exp_month: Option<i16>,
    pub exp_year: Option<i16>,
    pub is_default: bool,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

const COLUMNS: &str =
    "id, provider, token, brand, last4, exp_month, exp_year, is_default, created_at";

pub async fn list(conn: &mut PgConnection) -> Result<Vec<PaymentMethod>, sqlx::Error> {
    sqlx::query_as(AssertSqlSafe(format!(
        "select {COLUMNS} from payment_methods order by is_default desc, id desc"
    )))
    .fetch_all(conn)
    .await
}

pub async fn get(conn: &mut PgConnection, id: Uuid) -> Result<Option<PaymentMethod>, sqlx::Error> {
    sqlx::query_as(AssertSqlSafe(format!(
        "select {COLUMNS} from payment_methods where id = $1"
    )))
    .bind(id)
    .fetch_optional(conn)
    .await
}

pub struct Insert<'a> {
    pub provider: &'a str,
    pub token: &'a str,
    pub brand: Option<&'a str>,
    pub last4: Option<&'a str>,
    pub exp_month: Option<i16>,
    pub exp_year: Option<i16>,
    pub is_default: bool,
}

/// Saves a method (the same token again returns the saved one); the first becomes the default.
pub async fn insert(
    conn: &mut PgConnection,
    tenant: Uuid,
    user: Uuid,
    m: &Insert<'_>,
) -> Result<PaymentMethod, sqlx::Error> {
    let first: bool = sqlx::query_scalar("select not exists (select from payment_methods)")
        .fetch_one(&mut *conn)
        .await?;
    let make_default = m.is_default || first;
    if make_default {
        clear_default(conn).await?;
    }
    sqlx::query_as(AssertSqlSafe(format!(
        "insert into payment_methods (id, tenant_id, user_id, provider, token, brand, last4,
                                      exp_month, exp_year, is_default)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
         on conflict (tenant_id, user_id, provider, token) do update
            set is_default = payment_methods.is_default or excluded.is_default
         returning {COLUMNS}"
    )))
    .bind(Uuid::now_v7())
    .bind(tenant)
    .bind(user)
    .bind(m.provider)
    .bind(m.token)
    .bind(m.brand)
    .bind(m.last4)
    .bind(m.exp_month)
    .bind(m.exp_year)
    .bind(make_default)
    .fetch_one(conn)
    .await
}

async fn clear_default(conn: &mut PgConnection) -> Result<(), sqlx::Error> {
    sqlx::query("update payment_methods set is_default = false where is_default")
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn make_default(conn: &mut PgConnection, id: Uuid) -> Result<bool, sqlx::Error> {
    if get(conn, id).await?.is_none() {
        return Ok(false);
    }
    clear_default(conn).await?;
    sqlx::query("update payment_methods set is_default = true where id = $1")
        .bind(id)
        .execute(conn)
        .await?;
    Ok(true)
}

pub async fn delete(conn: &mut PgConnection, id: Uuid) -> Result<bool, sqlx::Error> {
    Ok(sqlx::query("delete from payment_methods where id = $1")
        .bind(id)
        .execute(conn)
        .await?
        .rows_affected()
        == 1)
}
