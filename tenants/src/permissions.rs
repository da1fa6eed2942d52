//! The Casbin objects and actions this crate checks (see `policies/policy.csv`). Both are granted
//! only to `platform_admin`, and only in the `platform` domain.

kernel::permission!(
    /// See the tenant registry: tenants and their custom domains.
    ReadTenants,
    "tenants",
    "read"
);
kernel::permission!(
    /// Create, change, suspend and reactivate tenants; add, verify and remove their domains.
    ManageTenants,
    "tenants",
    "manage"
);
