//! The state every handler can reach.

use std::sync::Arc;

use crate::{
    auth::JwtKeys, cache::Cache, config::Config, db::Db, rbac::Rbac, secrets::Sealer,
    storage::Storage, tenant::TenantResolver,
};

#[derive(Clone)]
pub struct AppState {
    pub config: Arc<Config>,
    pub db: Db,
    pub cache: Cache,
    pub jwt: Arc<JwtKeys>,
    pub rbac: Rbac,
    pub tenants: Arc<dyn TenantResolver>,
    /// Uploaded files: S3 or, with no bucket configured, the disk.
    pub storage: Storage,
    /// Seals provider credentials and event secrets at rest (`SECRETS_KEY`).
    pub secrets: Sealer,
}
