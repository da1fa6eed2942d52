//! What other crates may call: the `gamarriando tenant …` CLI commands and `seed`.
//!
//! These run outside any request, so they open a platform-scoped transaction themselves
//! (`Db::begin_platform`), the scope in which RLS shows the whole registry.

use kernel::{ApiError, cache::Cache, db::Db};

use crate::{repo, resolver};

pub use crate::http::{
    domains::DomainView,
    tenants::{NewTenant, TenantView},
};

/// Creates a marketplace with the same validation as `POST /api/v1/platform/tenants`:
/// `ApiError::Validation` for bad fields, `ApiError::Rejected { code: "slug_taken", .. }` (409)
/// for a taken slug.
///
/// The platform domain is not known here, so a miss cached for the new host by a lookup made
/// before it existed (at most `TENANT_CACHE_TTL_SECS` old) is not dropped; callers that know the
/// platform domain follow with [`forget_tenant_hosts`]. The HTTP route does this itself.
pub async fn create_tenant(
    db: &Db,
    cache: &Cache,
    input: NewTenant,
) -> Result<TenantView, ApiError> {
    let _ = cache;
    let mut tx = db.begin_platform().await?;
    let row = crate::http::tenants::insert_tenant(tx.conn(), &input).await?;
    tx.commit().await?;
    tracing::info!(tenant = %row.id, slug = %row.slug, "tenant created");
    Ok(row.into())
}

/// A marketplace by slug (`None` for an unknown slug, and for the platform tenant).
pub async fn find_tenant_by_slug(db: &Db, slug: &str) -> Result<Option<TenantView>, ApiError> {
    let mut tx = db.begin_platform().await?;
    let row = repo::marketplace_row_by_slug(tx.conn(), slug).await?;
    tx.commit().await?;
    Ok(row.map(TenantView::from))
}

/// Drops every cached host resolution of a marketplace (`{slug}.{platform_domain}` and each of its
/// custom domains), so a change made outside the HTTP API is visible at once.
pub async fn forget_tenant_hosts(
    db: &Db,
    cache: &Cache,
    platform_domain: &str,
    tenant: &TenantView,
) -> Result<(), ApiError> {
    let mut tx = db.begin_platform().await?;
    let domains = repo::list_domains(tx.conn(), tenant.id).await?;
    tx.commit().await?;
    let domains: Vec<String> = domains.into_iter().map(|d| d.domain).collect();
    resolver::invalidate(cache, platform_domain, &tenant.slug, &domains).await;
    Ok(())
}
