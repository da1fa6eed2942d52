//! Hot catalogue reads cached in Redis (or memory), never a way around isolation.
//!
//! Every key starts with the tenant id and the tenant's catalogue *generation*, a counter that
//! every committed catalogue write bumps. Bumping makes every cached product page, category tree
//! and facet count of that tenant unreachable at once, so no write has to know which keys it
//! affected. Only public views are cached (what a guest may see); vendors and admins editing
//! their own drafts always read the database.

use std::time::Duration;

use kernel::AppState;
use serde::{Serialize, de::DeserializeOwned};
use uuid::Uuid;

/// Even without writes, entries expire: stock shown on a product page is at most this old.
pub const TTL: Duration = Duration::from_secs(60);

fn generation_key(tenant: Uuid) -> String {
    format!("catalog-gen:{tenant}")
}

/// The key prefix of the tenant's current generation, or `None` when the cache is unavailable
/// (then nothing is read from or written to it).
pub async fn scope(state: &AppState, tenant: Uuid) -> Option<String> {
    let key = generation_key(tenant);
    let generation = match state.cache.get(&key).await {
        Some(bytes) => String::from_utf8(bytes).ok()?,
        None => state.cache.incr(&key).await?.to_string(),
    };
    Some(format!("catalog:{tenant}:{generation}"))
}

/// Call after a catalogue write has committed.
pub async fn invalidate(state: &AppState, tenant: Uuid) {
    state.cache.incr(&generation_key(tenant)).await;
}

/// The cached value of `key` in the tenant's scope, or what `load` returns (then cached).
pub async fn cached<T, F>(
    state: &AppState,
    tenant: Uuid,
    key: &str,
    load: F,
) -> Result<T, kernel::ApiError>
where
    T: Serialize + DeserializeOwned,
    F: AsyncFnOnce() -> Result<T, kernel::ApiError>,
{
    let Some(scope) = scope(state, tenant).await else {
        return load().await;
    };
    let full = format!("{scope}:{key}");
    if let Some(hit) = state.cache.get_json::<T>(&full).await {
        return Ok(hit);
    }
    let value = load().await?;
    state.cache.set_json(&full, &value, TTL).await;
    Ok(value)
}
