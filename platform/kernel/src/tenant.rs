//! What the kernel knows about a tenant. The registry itself lives in the `tenants` crate, which
//! implements [`TenantResolver`]; the kernel never depends on it.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::{error::ApiError, i18n::Locale};

/// The platform is the tenant with this id; its users are platform staff.
pub const PLATFORM_TENANT_ID: Uuid = Uuid::from_u128(1);

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema, sqlx::Type)]
#[serde(rename_all = "snake_case")]
#[sqlx(type_name = "text", rename_all = "snake_case")]
pub enum TenantKind {
    Platform,
    Marketplace,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema, sqlx::Type)]
#[serde(rename_all = "snake_case")]
#[sqlx(type_name = "text", rename_all = "snake_case")]
pub enum TenantStatus {
    Active,
    Suspended,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tenant {
    pub id: Uuid,
    pub kind: TenantKind,
    pub slug: String,
    pub name: String,
    pub default_locale: Locale,
    pub currency: String,
    /// Tax on goods and shipping, in basis points (1800 = 18 %).
    pub tax_rate_bps: i32,
    /// Whether catalogue prices already include the tax.
    pub tax_inclusive: bool,
    pub status: TenantStatus,
}

impl Tenant {
    pub fn is_platform(&self) -> bool {
        self.kind == TenantKind::Platform
    }

    /// The Casbin domain: `platform` for the platform, the tenant id for a marketplace.
    pub fn rbac_domain(&self) -> String {
        if self.is_platform() {
            "platform".into()
        } else {
            self.id.to_string()
        }
    }
}

/// Host → tenant. Implementations cache; `Ok(None)` means no tenant answers to this host.
#[async_trait::async_trait]
pub trait TenantResolver: Send + Sync + 'static {
    async fn resolve(&self, host: &str) -> Result<Option<Tenant>, ApiError>;
}

/// Normalizes a `Host` header: lowercase, no port, no trailing dot.
pub fn normalize_host(raw: &str) -> Option<String> {
    let raw = raw.trim();
    let host = if let Some(rest) = raw.strip_prefix('[') {
        // IPv6 literal: never a tenant host.
        return rest.split(']').next().map(|h| h.to_ascii_lowercase());
    } else {
        raw.rsplit_once(':')
            .filter(|(_, port)| port.chars().all(|c| c.is_ascii_digit()))
            .map_or(raw, |(h, _)| h)
    };
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    (!host.is_empty() && host.len() <= 253).then_some(host)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_are_normalized() {
        assert_eq!(
            normalize_host("Gamarra.Localhost:8080").as_deref(),
            Some("gamarra.localhost")
        );
        assert_eq!(
            normalize_host("shop.example.com.").as_deref(),
            Some("shop.example.com")
        );
        assert_eq!(normalize_host("").as_deref(), None);
        assert_eq!(normalize_host("[::1]:80").as_deref(), Some("::1"));
    }
}
