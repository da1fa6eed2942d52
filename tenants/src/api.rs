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
/// for a taken slug. Its host `{slug}.{platform_domain}` answers as soon as this returns: a miss
/// cached by a lookup made before the tenant existed is dropped.
pub async fn create_tenant(
    db: &Db,
    cache: &Cache,
    platform_domain: &str,
    input: NewTenant,
) -> Result<TenantView, ApiError> {
    let mut tx = db.begin_platform().await?;
    let row = crate::http::tenants::insert_tenant(tx.conn(), &input).await?;
    tx.commit().await?;
    resolver::invalidate_host(cache, &resolver::slug_host(&row.slug, platform_domain)).await;
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
