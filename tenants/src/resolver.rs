//! Host → tenant, cached. `{slug}.{PLATFORM_DOMAIN}` names a marketplace, the platform domain
//! itself names the platform, and any other host must be a verified custom domain.

use std::time::Duration;

use kernel::{
    ApiError,
    cache::Cache,
    db::Db,
    tenant::{Tenant, TenantResolver},
};

use crate::repo;

pub struct DbResolver {
    db: Db,
    cache: Cache,
    platform_domain: String,
    ttl: Duration,
}

impl DbResolver {
    pub fn new(db: Db, cache: Cache, platform_domain: &str, ttl: Duration) -> Self {
        Self {
            db,
            cache,
            platform_domain: platform_domain.to_ascii_lowercase(),
            ttl,
        }
    }

    /// What a host names, before any lookup.
    fn classify<'h>(&self, host: &'h str) -> HostKind<'h> {
        if host == self.platform_domain {
            return HostKind::Platform;
        }
        match host
            .strip_suffix(&self.platform_domain)
            .and_then(|p| p.strip_suffix('.'))
        {
            Some(slug) if !slug.contains('.') => HostKind::Slug(slug),
            Some(_) => HostKind::Unknown,
            None => HostKind::CustomDomain(host),
        }
    }
}

enum HostKind<'h> {
    Platform,
    Slug(&'h str),
    CustomDomain(&'h str),
    Unknown,
}

/// Cache key of a host's resolution; [`invalidate`] drops it when a tenant or domain changes.
pub fn cache_key(host: &str) -> String {
    // Versioned by the shape of `Tenant`: entries cached by an older build are not read back.
    format!("tenant-host:v2:{host}")
}

/// Drops the cached resolution of one host.
pub async fn invalidate_host(cache: &Cache, host: &str) {
    cache.delete(&cache_key(host)).await;
}

/// The host a marketplace gets from its slug.
pub fn slug_host(slug: &str, platform_domain: &str) -> String {
    format!("{slug}.{}", platform_domain.to_ascii_lowercase())
}

/// Drops the cached resolution of every host of a tenant (its slug host and each custom domain,
/// verified or not), so the next request on any of them sees the registry as it is now. Call it
/// after the change has committed.
pub async fn invalidate(cache: &Cache, platform_domain: &str, slug: &str, domains: &[String]) {
    invalidate_host(cache, &slug_host(slug, platform_domain)).await;
    for domain in domains {
        invalidate_host(cache, domain).await;
    }
}

#[async_trait::async_trait]
impl TenantResolver for DbResolver {
    async fn resolve(&self, host: &str) -> Result<Option<Tenant>, ApiError> {
        let kind = self.classify(host);
        if matches!(kind, HostKind::Unknown) {
            return Ok(None);
        }
        let key = cache_key(host);
        if let Some(bytes) = self.cache.get(&key).await
            && let Ok(cached) = serde_json::from_slice::<Option<Tenant>>(&bytes)
        {
            return Ok(cached);
        }
        let mut tx = self.db.begin_platform().await?;
        let row = match kind {
            HostKind::Platform => {
                repo::row_by_id(tx.conn(), kernel::tenant::PLATFORM_TENANT_ID).await?
            }
            HostKind::Slug(slug) => repo::marketplace_row_by_slug(tx.conn(), slug).await?,
            HostKind::CustomDomain(domain) => {
                repo::marketplace_row_by_verified_domain(tx.conn(), domain).await?
            }
            HostKind::Unknown => None,
        };
        tx.commit().await?;
        let tenant = row.map(Tenant::from);
        // Misses are cached too (briefly), so a flood of unknown hosts does not reach the database.
        let bytes = serde_json::to_vec(&tenant).map_err(ApiError::internal)?;
        self.cache.set(&key, &bytes, self.ttl).await;
        Ok(tenant)
    }
}
