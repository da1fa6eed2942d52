//! Composition: which services a process mounts, the OpenAPI document around them, and the
//! [`AppState`] built from configuration. The server, the Lambda entry, the `openapi` command and
//! the integration tests all go through [`api`] and [`kernel::http::compose`], so they serve the
//! same routes and describe them with the same document.

use std::{fmt, str::FromStr, sync::Arc, time::Duration};

use anyhow::Context as _;
use axum::Router;
use kernel::{
    AppState, auth::JwtKeys, cache::Cache, config::Config, db::Db, http::OpsDoc, rbac::Rbac,
    secrets::Sealer, storage::Storage,
};
use secrecy::{ExposeSecret, SecretString};
use utoipa::{
    Modify, OpenApi,
    openapi::{
        security::{HttpAuthScheme, HttpBuilder, SecurityScheme},
        server::{ServerBuilder, ServerVariableBuilder},
    },
};
use utoipa_axum::router::OpenApiRouter;

/// A service this binary can mount.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, clap::ValueEnum)]
pub enum Service {
    /// Accounts, sessions, profiles, roles: `/api/v1/users/*`.
    Users,
    /// Vendors, categories, products, inventory, images and search: `/api/v1/products/*`.
    Products,
    /// Carts, checkout, the order workflow, tracking and history: `/api/v1/orders/*`.
    Orders,
    /// Gateways, payments, saved methods, the ledger, refunds and provider webhooks:
    /// `/api/v1/payments/*`.
    Payments,
    /// Inbox, preferences, channels, templates, webhooks and delivery logs:
    /// `/api/v1/notifications/*`. Where it is mounted, `serve` also runs the outbox worker.
    Notifications,
    /// The platform-staff tenant admin API: `/api/v1/platform/tenants/*`.
    Tenants,
}

impl Service {
    pub const ALL: [Service; 6] = [
        Service::Users,
        Service::Products,
        Service::Orders,
        Service::Payments,
        Service::Notifications,
        Service::Tenants,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Service::Users => "users",
            Service::Products => "products",
            Service::Orders => "orders",
            Service::Payments => "payments",
            Service::Notifications => "notifications",
            Service::Tenants => "tenants",
        }
    }
}

impl fmt::Display for Service {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Service {
    type Err = anyhow::Error;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Service::ALL
            .into_iter()
            .find(|svc| svc.name() == s.trim())
            .with_context(|| {
                let known: Vec<_> = Service::ALL.iter().map(|s| s.name()).collect();
                format!("unknown service {s:?} (known: {})", known.join(", "))
            })
    }
}

/// What one process mounts, and what those services are wired to.
#[derive(Clone, Debug)]
pub struct Services {
    enabled: Vec<Service>,
}

impl Services {
    /// The given services (every service when `list` is empty), deduplicated, in a stable order.
    pub fn new(list: &[Service]) -> anyhow::Result<Self> {
        let mut enabled = if list.is_empty() {
            Service::ALL.to_vec()
        } else {
            list.to_vec()
        };
        enabled.sort();
        enabled.dedup();
        Ok(Self { enabled })
    }

    pub fn all() -> Self {
        Self::new(&[]).expect("every service")
    }

    pub fn enabled(&self) -> &[Service] {
        &self.enabled
    }

    pub fn has(&self, svc: Service) -> bool {
        self.enabled.contains(&svc)
    }
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Gamarriando API",
        description = "Multi-tenant marketplace platform. The `Host` header names the marketplace \
                       (`{slug}.{PLATFORM_DOMAIN}` or a verified custom domain); the platform-staff \
                       API lives on the platform host itself. Errors are RFC 9457 \
                       `application/problem+json`, translated to the negotiated locale.",
        license(name = "Proprietary"),
    ),
    modifiers(&Security, &Servers),
    tags(
        (name = "ops", description = "Liveness, readiness and this document"),
        (name = "users", description = "Accounts, sessions, profiles, addresses and roles of one marketplace"),
        (name = "products", description = "Vendors, categories, products, variants, inventory, images and search of one marketplace"),
        (name = "orders", description = "Carts, checkout, orders and their vendor parts, status workflow and tracking"),
        (name = "payments", description = "Paying for orders through each marketplace's gateways (sandbox, Stripe, PayPal), saved payment methods, the ledger, refunds and provider webhooks; for admins: gateways and payment settings"),
        (name = "notifications", description = "The in-app inbox, notification preferences and devices; for admins: channels, templates, webhooks, scheduled messages and delivery logs"),
        (name = "platform", description = "Platform staff (on the platform host): the marketplace registry and custom domains"),
    )
)]
struct ApiDoc;

/// The `bearer` scheme: a short-lived EdDSA JWT access token, valid on one tenant only.
struct Security;

impl Modify for Security {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        let components = doc.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .description(Some("Access token from `POST /api/v1/users/login`, bound to the tenant of the host it was issued on."))
                    .build(),
            ),
        );
    }
}

/// Tenant hosts as server variables, so generated clients can target any marketplace.
struct Servers;

impl Modify for Servers {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        let tenant = || {
            ServerVariableBuilder::new()
                .default_value("gamarra")
                .description(Some("Marketplace slug"))
                .build()
        };
        doc.servers = Some(vec![
            ServerBuilder::new()
                .url("https://{tenant}.gamarriando.pe")
                .description(Some("Production"))
                .parameter("tenant", tenant())
                .build(),
            ServerBuilder::new()
                .url("http://{tenant}.localhost:8080")
                .description(Some("Local (`gamarriando serve`)"))
                .parameter("tenant", tenant())
                .build(),
        ]);
    }
}

/// The documented API of the chosen services, with the operational routes in the document.
/// `kernel::http::compose(state, api(&services))` turns it into the served `Router` and the spec.
pub fn api(services: &Services) -> OpenApiRouter<AppState> {
    let mut doc = ApiDoc::openapi();
    doc.info.version = env!("CARGO_PKG_VERSION").to_string();
    doc.merge(OpsDoc::openapi());
    let mut router = OpenApiRouter::with_openapi(doc);
    for svc in services.enabled() {
        router = router.merge(match svc {
            Service::Users => users::router(),
            Service::Products => products::router(),
            Service::Orders => orders::router(),
            Service::Payments => payments::router(),
            Service::Notifications => notifications::router(),
            Service::Tenants => tenants::router(),
        });
    }
    router
}

/// Where the JWT signing key of a local run is kept when `JWT_SIGNING_KEY` is not set.
pub fn local_jwt_key_path(config: &Config) -> std::path::PathBuf {
    config.data_dir.join("jwt-ed25519.pk8")
}

/// Builds the state from configuration. `config.database_url` must be set (the embedded cluster
/// sets it before calling). The pool is lazy: nothing connects to PostgreSQL here. Redis, when
/// configured, is connected (its manager reconnects by itself afterwards).
pub async fn build_state(config: Config) -> anyhow::Result<AppState> {
    let url = config
        .database_url
        .clone()
        .context("DATABASE_URL is not set (unset it entirely to use the embedded PostgreSQL)")?;
    let db = Db::connect_lazy(&url, config.database_max_connections)
        .context("DATABASE_URL is not a valid PostgreSQL URL")?;
    let cache = match &config.redis_url {
        Some(url) => Cache::redis(url, &config.cache_namespace)
            .await
            .context("connecting to REDIS_URL (unset it to cache in memory)")?,
        None => Cache::memory(&config.cache_namespace),
    };
    let (jwt, jwt_secret) = match &config.jwt_signing_key {
        Some(key) => (
            JwtKeys::from_base64(
                key.expose_secret(),
                &config.jwt_issuer,
                config.access_token_ttl,
            )?,
            key.expose_secret().as_bytes().to_vec(),
        ),
        None => {
            let path = local_jwt_key_path(&config);
            let jwt = JwtKeys::load_or_create(&path, &config.jwt_issuer, config.access_token_ttl)
                .with_context(|| {
                format!("loading or creating the local JWT key {}", path.display())
            })?;
            let secret = std::fs::read(&path)
                .with_context(|| format!("reading the local JWT key {}", path.display()))?;
            (jwt, secret)
        }
    };
    // The disk backend signs its upload URLs with a key derived from the JWT key unless
    // FILES_SIGNING_KEY is set.
    let storage = Storage::from_config(&config, Some(&jwt_secret))
        .await
        .context("configuring file storage (S3_* / FILES_* variables)")?;
    let secrets = match &config.secrets_key {
        Some(key) => Sealer::from_base64(key).context("SECRETS_KEY")?,
        None => Sealer::derived_from(&jwt_secret),
    };
    state_with_storage(config, db, cache, jwt, storage, secrets).await
}

/// The state around an existing pool and cache (tests). Files are stored as the configuration
/// says; on disk, upload URLs are signed with `FILES_SIGNING_KEY` or a key of this process.
pub async fn state_from_parts(
    config: Config,
    db: Db,
    cache: Cache,
    jwt: JwtKeys,
) -> anyhow::Result<AppState> {
    let storage = Storage::from_config(&config, None)
        .await
        .context("configuring file storage (S3_* / FILES_* variables)")?;
    let secrets = match &config.secrets_key {
        Some(key) => Sealer::from_base64(key).context("SECRETS_KEY")?,
        None => Sealer::ephemeral(),
    };
    state_with_storage(config, db, cache, jwt, storage, secrets).await
}

async fn state_with_storage(
    config: Config,
    db: Db,
    cache: Cache,
    jwt: JwtKeys,
    storage: Storage,
    secrets: Sealer,
) -> anyhow::Result<AppState> {
    let resolver = tenants::DbResolver::new(
        db.clone(),
        cache.clone(),
        &config.platform_domain,
        config.tenant_cache_ttl,
    );
    Ok(AppState {
        config: Arc::new(config),
        db,
        cache,
        jwt: Arc::new(jwt),
        rbac: Rbac::load_default()
            .await
            .context("loading the Casbin policy")?,
        tenants: Arc::new(resolver),
        storage,
        secrets,
    })
}

/// A state that can never reach anything: a lazy pool on a dummy URL, a memory cache and a
/// throw-away key. Enough to compose the router and produce the OpenAPI document.
pub async fn offline_state() -> anyhow::Result<AppState> {
    let config = Config::from_lookup(|_| None)?;
    let db = Db::connect_lazy(
        &SecretString::from("postgres://offline@127.0.0.1:1/offline"),
        1,
    )?;
    let cache = Cache::memory("offline");
    let jwt = JwtKeys::from_pkcs8(
        &JwtKeys::generate_pkcs8(),
        &config.jwt_issuer,
        Duration::from_secs(60),
    )?;
    state_from_parts(config, db, cache, jwt).await
}

/// The served router for `state`.
pub fn router(state: AppState, services: &Services) -> Router {
    kernel::http::compose(state, api(services)).0
}

/// The OpenAPI document of `services`: the same split `kernel::http::compose` serves, made with
/// no state and no database.
pub fn openapi(services: &Services) -> utoipa::openapi::OpenApi {
    api(services).split_for_parts().1
}

/// The committed form of the document: pretty JSON with a trailing newline.
pub fn openapi_json(services: &Services) -> anyhow::Result<String> {
    let mut json = openapi(services).to_pretty_json()?;
    json.push('\n');
    Ok(json)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn services_parse_and_default_to_all() {
        assert_eq!("users".parse::<Service>().unwrap(), Service::Users);
        assert_eq!("payments".parse::<Service>().unwrap(), Service::Payments);
        assert!(
            "billing"
                .parse::<Service>()
                .unwrap_err()
                .to_string()
                .contains("known: users, products, orders, payments, notifications, tenants")
        );
        assert_eq!(Services::new(&[]).unwrap().enabled(), &Service::ALL);
        let one = Services::new(&[Service::Tenants, Service::Tenants]).unwrap();
        assert_eq!(one.enabled(), &[Service::Tenants]);
    }
}
