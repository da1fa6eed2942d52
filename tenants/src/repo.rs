//! SQL over `tenants` and `tenant_domains`. Functions take a connection inside a platform-scoped
//! transaction (RLS lets only the platform see the whole registry).

use kernel::{
    i18n::Locale,
    tenant::{Tenant, TenantKind, TenantStatus},
};
use sqlx::PgConnection;
use time::OffsetDateTime;
use uuid::Uuid;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct TenantRow {
    pub id: Uuid,
    pub kind: TenantKind,
    pub slug: String,
    pub name: String,
    pub default_locale: String,
    pub currency: String,
    pub status: TenantStatus,
    pub suspended_reason: Option<String>,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
}

impl From<TenantRow> for Tenant {
    fn from(r: TenantRow) -> Self {
        Tenant {
            id: r.id,
            kind: r.kind,
            slug: r.slug,
            name: r.name,
            default_locale: Locale::parse(&r.default_locale).unwrap_or_default(),
            currency: r.currency,
            status: r.status,
        }
    }
}

const COLUMNS: &str = "id, kind, slug, name, default_locale, currency, status, suspended_reason, created_at, updated_at";

pub async fn by_id(conn: &mut PgConnection, id: Uuid) -> sqlx::Result<Option<Tenant>> {
    Ok(row_by_id(conn, id).await?.map(Tenant::from))
}

pub async fn row_by_id(conn: &mut PgConnection, id: Uuid) -> sqlx::Result<Option<TenantRow>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!("select {COLUMNS} from tenants where id = $1")))
        .bind(id)
        .fetch_optional(conn)
        .await
}

pub async fn marketplace_by_slug(conn: &mut PgConnection, slug: &str) -> sqlx::Result<Option<Tenant>> {
    let row: Option<TenantRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "select {COLUMNS} from tenants where slug = $1 and kind = 'marketplace'"
    )))
    .bind(slug)
    .fetch_optional(conn)
    .await?;
    Ok(row.map(Tenant::from))
}

pub async fn by_verified_domain(conn: &mut PgConnection, domain: &str) -> sqlx::Result<Option<Tenant>> {
    let row: Option<TenantRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "select {} from tenants t join tenant_domains d on d.tenant_id = t.id
         where d.domain = $1 and d.verified_at is not null and t.kind = 'marketplace'",
        COLUMNS.split(", ").map(|c| format!("t.{c}")).collect::<Vec<_>>().join(", ")
    )))
    .bind(domain)
    .fetch_optional(conn)
    .await?;
    Ok(row.map(Tenant::from))
}
