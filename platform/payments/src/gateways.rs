//! A marketplace's gateways as providers: the registry of built-in providers, credentials sealed
//! and opened, and one provider instance per gateway configuration (cached, so a provider's own
//! state, such as PayPal's OAuth token, lives across requests).

use std::{
    collections::{BTreeMap, HashMap},
    sync::{Arc, LazyLock, Mutex},
};

use gateways::{PaymentProvider, ProviderConfig, Registry};
use kernel::{ApiError, AppState, db::TenantTx};
use secrecy::{ExposeSecret, SecretString};
use serde_json::Value;
use sqlx::PgConnection;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::repo::{self, gateways::GatewayRow};

/// Every provider this deployment offers.
pub static REGISTRY: LazyLock<Registry> = LazyLock::new(Registry::builtin);

/// A configured, enabled provider of one marketplace.
#[derive(Clone)]
pub struct Gateway {
    pub provider: String,
    pub client: Arc<dyn PaymentProvider>,
}

/// Providers by (tenant, provider), with the configuration time they were built from.
type Cache = HashMap<(Uuid, String), (OffsetDateTime, Arc<dyn PaymentProvider>)>;
static CACHE: LazyLock<Mutex<Cache>> = LazyLock::new(Default::default);

/// A transaction of `tenant` in the platform's own scope (`app.worker`: payments of no signed-in
/// user), for webhook processing and outbox work; `on_behalf_of` adds a user's own rows (the
/// order's customer, whose orders the outbox work moves).
pub async fn begin_system(
    state: &AppState,
    tenant: Uuid,
    on_behalf_of: Option<Uuid>,
) -> Result<TenantTx, ApiError> {
    state
        .db
        .begin_scoped_with(tenant, on_behalf_of, &[("app.worker", "on")])
        .await
}

/// The enabled gateway `provider` of `tenant`, or its default one, read on the caller's
/// connection (scoped to `tenant`) whoever the caller is.
pub async fn load(
    state: &AppState,
    conn: &mut PgConnection,
    tenant: Uuid,
    provider: Option<&str>,
) -> Result<Option<Gateway>, ApiError> {
    let rows = repo::gateways::enabled(conn, provider).await?;
    rows.first()
        .map(|row| build(state, tenant, row))
        .transpose()
}

/// The provider of a stored gateway, built once per configuration.
pub fn build(state: &AppState, tenant: Uuid, row: &GatewayRow) -> Result<Gateway, ApiError> {
    let key = (tenant, row.provider.clone());
    if let Some((at, client)) = CACHE.lock().expect("cache lock").get(&key)
        && *at == row.updated_at
    {
        return Ok(Gateway {
            provider: row.provider.clone(),
            client: client.clone(),
        });
    }
    let config = ProviderConfig {
        settings: row.settings.clone(),
        credentials: open(
            state,
            tenant,
            &row.provider,
            row.credentials_sealed.as_deref(),
        )?,
    };
    let client = REGISTRY
        .build(&row.provider, &config)
        .map_err(ApiError::internal)?;
    CACHE
        .lock()
        .expect("cache lock")
        .insert(key, (row.updated_at, client.clone()));
    Ok(Gateway {
        provider: row.provider.clone(),
        client,
    })
}

/// Opens stored credentials (a sealed JSON object of strings).
pub fn open(
    state: &AppState,
    tenant: Uuid,
    provider: &str,
    sealed: Option<&[u8]>,
) -> Result<BTreeMap<String, SecretString>, ApiError> {
    let Some(sealed) = sealed else {
        return Ok(BTreeMap::new());
    };
    let context = repo::gateways::credentials_context(tenant, provider);
    let plain = state
        .secrets
        .open(&context, sealed)
        .map_err(ApiError::internal)?;
    let map: BTreeMap<String, String> =
        serde_json::from_slice(&plain).map_err(ApiError::internal)?;
    Ok(map
        .into_iter()
        .map(|(k, v)| (k, SecretString::from(v)))
        .collect())
}

/// Seals credentials for storage, with the masked hint admins are shown.
pub fn seal(
    state: &AppState,
    tenant: Uuid,
    provider: &str,
    credentials: &BTreeMap<String, SecretString>,
) -> Result<(Vec<u8>, Value), ApiError> {
    let plain: BTreeMap<&str, &str> = credentials
        .iter()
        .map(|(k, v)| (k.as_str(), v.expose_secret()))
        .collect();
    let json = serde_json::to_vec(&plain).map_err(ApiError::internal)?;
    let sealed = state
        .secrets
        .seal(
            &repo::gateways::credentials_context(tenant, provider),
            &json,
        )
        .map_err(ApiError::internal)?;
    let hint = credentials
        .iter()
        .map(|(k, v)| {
            (
                k.clone(),
                Value::from(kernel::secrets::mask(v.expose_secret())),
            )
        })
        .collect::<serde_json::Map<_, _>>();
    Ok((sealed, Value::Object(hint)))
}
