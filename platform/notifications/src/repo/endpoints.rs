//! `webhook_endpoints`: integrators' URLs and the events they chose; signing secrets sealed.

use sqlx::{AssertSqlSafe, PgConnection};
use time::OffsetDateTime;
use uuid::Uuid;

/// The sealing context of an endpoint's signing secret (`secret_sealed`).
pub fn secret_context(tenant: Uuid, endpoint: Uuid) -> String {
    format!("webhook_endpoints/{tenant}/{endpoint}")
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Endpoint {
    pub id: Uuid,
    pub url: String,
    pub topics: Vec<String>,
    pub description: Option<String>,
    pub secret_sealed: Vec<u8>,
    pub enabled: bool,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
}

const COLUMNS: &str =
    "id, url, topics, description, secret_sealed, enabled, created_at, updated_at";

pub async fn list(conn: &mut PgConnection) -> Result<Vec<Endpoint>, sqlx::Error> {
    sqlx::query_as(AssertSqlSafe(format!(
        "select {COLUMNS} from webhook_endpoints order by id"
    )))
    .fetch_all(conn)
    .await
}

pub async fn get(conn: &mut PgConnection, id: Uuid) -> Result<Option<Endpoint>, sqlx::Error> {
    sqlx::query_as(AssertSqlSafe(format!(
        "select {COLUMNS} from webhook_endpoints where id = $1"
    )))
    .bind(id)
    .fetch_optional(conn)
    .await
}

pub struct NewEndpoint<'a> {
    pub id: Uuid,
    pub url: &'a str,
    pub topics: &'a [String],
    pub description: Option<&'a str>,
    pub secret_sealed: &'a [u8],
}

pub async fn insert(
    conn: &mut PgConnection,
    tenant: Uuid,
    e: &NewEndpoint<'_>,
) -> Result<Endpoint, sqlx::Error> {
    sqlx::query_as(AssertSqlSafe(format!(
        "insert into webhook_endpoints (id, tenant_id, url, topics, description, secret_sealed)
         values ($1, $2, $3, $4, $5, $6) returning {COLUMNS}"
    )))
    .bind(e.id)
    .bind(tenant)
    .bind(e.url)
    .bind(e.topics)
    .bind(e.description)
    .bind(e.secret_sealed)
    .fetch_one(conn)
    .await
}

pub struct Changes<'a> {
    pub url: Option<&'a str>,
    pub topics: Option<&'a [String]>,
    pub description: Option<&'a str>,
    pub enabled: Option<bool>,
}

pub async fn update(
    conn: &mut PgConnection,
    id: Uuid,
    c: &Changes<'_>,
) -> Result<Option<Endpoint>, sqlx::Error> {
    sqlx::query_as(AssertSqlSafe(format!(
        "update webhook_endpoints
            set url = coalesce($2, url), topics = coalesce($3, topics),
                description = coalesce($4, description), enabled = coalesce($5, enabled)
          where id = $1 returning {COLUMNS}"
    )))
    .bind(id)
    .bind(c.url)
    .bind(c.topics)
    .bind(c.description)
    .bind(c.enabled)
    .fetch_optional(conn)
    .await
}

pub async fn delete(conn: &mut PgConnection, id: Uuid) -> Result<bool, sqlx::Error> {
    Ok(sqlx::query("delete from webhook_endpoints where id = $1")
        .bind(id)
        .execute(conn)
        .await?
        .rows_affected()
        == 1)
}
