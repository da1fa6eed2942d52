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
    pub tax_rate_bps: i32,
    pub tax_inclusive: bool,
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
            tax_rate_bps: r.tax_rate_bps,
            tax_inclusive: r.tax_inclusive,
            status: r.status,
        }
    }
}

const COLUMNS: &str = "id, kind, slug, name, default_locale, currency, tax_rate_bps, tax_inclusive, status, suspended_reason, created_at, updated_at";

/// Any registry row, the platform's included (the resolver's lookup of the platform host).
pub async fn row_by_id(conn: &mut PgConnection, id: Uuid) -> sqlx::Result<Option<TenantRow>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "select {COLUMNS} from tenants where id = $1"
    )))
    .bind(id)
    .fetch_optional(conn)
    .await
}

/// The marketplace a verified custom domain points at.
pub async fn marketplace_row_by_verified_domain(
    conn: &mut PgConnection,
    domain: &str,
) -> sqlx::Result<Option<TenantRow>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "select {COLUMNS} from tenants
          where kind = 'marketplace'
            and id = (select tenant_id from tenant_domains where domain = $1 and verified_at is not null)"
    )))
    .bind(domain)
    .fetch_optional(conn)
    .await
}

/// A marketplace's registry row (never the platform's).
pub async fn marketplace_row(conn: &mut PgConnection, id: Uuid) -> sqlx::Result<Option<TenantRow>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "select {COLUMNS} from tenants where id = $1 and kind = 'marketplace'"
    )))
    .bind(id)
    .fetch_optional(conn)
    .await
}

pub async fn marketplace_row_by_slug(
    conn: &mut PgConnection,
    slug: &str,
) -> sqlx::Result<Option<TenantRow>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "select {COLUMNS} from tenants where slug = $1 and kind = 'marketplace'"
    )))
    .bind(slug)
    .fetch_optional(conn)
    .await
}

pub struct NewTenantRow<'a> {
    pub id: Uuid,
    pub slug: &'a str,
    pub name: &'a str,
    pub default_locale: Locale,
    pub currency: &'a str,
}

/// Inserts a marketplace. A taken slug fails on `tenants_slug_key`.
pub async fn insert(conn: &mut PgConnection, t: NewTenantRow<'_>) -> sqlx::Result<TenantRow> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "insert into tenants (id, kind, slug, name, default_locale, currency)
         values ($1, 'marketplace', $2, $3, $4, $5)
         returning {COLUMNS}"
    )))
    .bind(t.id)
    .bind(t.slug)
    .bind(t.name)
    .bind(t.default_locale.as_str())
    .bind(t.currency)
    .fetch_one(conn)
    .await
}

/// Filters of the tenant list; marketplaces only, in id (creation) order.
pub struct ListFilter<'a> {
    pub status: Option<TenantStatus>,
    /// Prefix of the slug or (case-insensitively) of the name.
    pub prefix: Option<&'a str>,
    /// The id of the last tenant of the previous page.
    pub after: Option<Uuid>,
    /// Rows to fetch (the caller asks for one more than it serves).
    pub limit: i64,
}

pub async fn list(conn: &mut PgConnection, f: ListFilter<'_>) -> sqlx::Result<Vec<TenantRow>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "select {COLUMNS} from tenants
         where kind = 'marketplace'
           and ($1::text is null or status = $1)
           and ($2::text is null or starts_with(slug, lower($2)) or starts_with(lower(name), lower($2)))
           and ($3::uuid is null or id > $3)
         order by id
         limit $4"
    )))
    .bind(f.status)
    .bind(f.prefix)
    .bind(f.after)
    .bind(f.limit)
    .fetch_all(conn)
    .await
}

/// Fields of a marketplace to change; `None` keeps a field. The slug is not updatable.
#[derive(Debug, Default)]
pub struct Changes<'a> {
    pub name: Option<&'a str>,
    pub default_locale: Option<Locale>,
    pub currency: Option<&'a str>,
    pub tax_rate_bps: Option<i32>,
    pub tax_inclusive: Option<bool>,
}

pub async fn update(
    conn: &mut PgConnection,
    id: Uuid,
    c: &Changes<'_>,
) -> sqlx::Result<Option<TenantRow>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "update tenants
            set name = coalesce($2, name),
                default_locale = coalesce($3, default_locale),
                currency = coalesce($4::char(3), currency),
                tax_rate_bps = coalesce($5, tax_rate_bps),
                tax_inclusive = coalesce($6, tax_inclusive)
          where id = $1 and kind = 'marketplace'
          returning {COLUMNS}"
    )))
    .bind(id)
    .bind(c.name)
    .bind(c.default_locale.map(Locale::as_str))
    .bind(c.currency)
    .bind(c.tax_rate_bps)
    .bind(c.tax_inclusive)
    .fetch_optional(conn)
    .await
}

/// Suspends (with an optional reason) or reactivates (clearing the reason) a marketplace.
pub async fn set_status(
    conn: &mut PgConnection,
    id: Uuid,
    status: TenantStatus,
    reason: Option<&str>,
) -> sqlx::Result<Option<TenantRow>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "update tenants set status = $2, suspended_reason = $3
          where id = $1 and kind = 'marketplace'
          returning {COLUMNS}"
    )))
    .bind(id)
    .bind(status)
    .bind(reason)
    .fetch_optional(conn)
    .await
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct DomainRow {
    pub tenant_id: Uuid,
    pub domain: String,
    pub verified_at: Option<OffsetDateTime>,
    pub verification_token: String,
    pub created_at: OffsetDateTime,
}

const DOMAIN_COLUMNS: &str = "tenant_id, domain, verified_at, verification_token, created_at";

/// Adds an unverified domain. A domain held by any tenant fails on `tenant_domains_pkey`.
pub async fn insert_domain(
    conn: &mut PgConnection,
    tenant: Uuid,
    domain: &str,
    verification_token: &str,
) -> sqlx::Result<DomainRow> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "insert into tenant_domains (tenant_id, domain, verification_token) values ($1, $2, $3)
         returning {DOMAIN_COLUMNS}"
    )))
    .bind(tenant)
    .bind(domain)
    .bind(verification_token)
    .fetch_one(conn)
    .await
}

/// The names of a tenant's domains, verified or not (for cache invalidation).
pub async fn domain_names(conn: &mut PgConnection, tenant: Uuid) -> sqlx::Result<Vec<String>> {
    sqlx::query_scalar("select domain from tenant_domains where tenant_id = $1")
        .bind(tenant)
        .fetch_all(conn)
        .await
}
pub async fn list_domains(conn: &mut PgConnection, tenant: Uuid) -> sqlx::Result<Vec<DomainRow>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "select {DOMAIN_COLUMNS} from tenant_domains where tenant_id = $1 order by domain"
    )))
    .bind(tenant)
    .fetch_all(conn)
    .await
}

/// Marks a domain of `tenant` verified; a domain verified earlier keeps its first verification time.
pub async fn verify_domain(
    conn: &mut PgConnection,
    tenant: Uuid,
    domain: &str,
) -> sqlx::Result<Option<DomainRow>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "update tenant_domains set verified_at = coalesce(verified_at, now())
          where tenant_id = $1 and domain = $2
          returning {DOMAIN_COLUMNS}"
    )))
    .bind(tenant)
    .bind(domain)
    .fetch_optional(conn)
    .await
}

/// Removes a domain of `tenant`; `false` when it has no such domain.
pub async fn delete_domain(
    conn: &mut PgConnection,
    tenant: Uuid,
    domain: &str,
) -> sqlx::Result<bool> {
    let done = sqlx::query("delete from tenant_domains where tenant_id = $1 and domain = $2")
        .bind(tenant)
        .bind(domain)
        .execute(conn)
        .await?;
    Ok(done.rows_affected() > 0)
}
