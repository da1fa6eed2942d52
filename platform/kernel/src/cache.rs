//! Cache and rate-limit counters: Redis when `REDIS_URL` is set, process memory otherwise.
//! Every key is prefixed with the deployment namespace; callers include the tenant in the key,
//! so the cache can never serve one tenant's data to another.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use redis::{AsyncCommands, aio::ConnectionManager};
use secrecy::{ExposeSecret, SecretString};

#[derive(Clone)]
pub struct Cache {
    namespace: Arc<str>,
    backend: Backend,
}

/// Value and expiry per key.
type MemoryMap = Arc<Mutex<HashMap<String, (Vec<u8>, Instant)>>>;

#[derive(Clone)]
enum Backend {
    Redis(ConnectionManager),
    Memory(MemoryMap),
}

impl std::fmt::Debug for Cache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let kind = match self.backend {
            Backend::Redis(_) => "redis",
            Backend::Memory(_) => "memory",
        };
        write!(f, "Cache({kind}, {})", self.namespace)
    }
}

/// Bounds the in-memory map; expired entries are swept when it grows past this.
const MEMORY_SWEEP_AT: usize = 10_000;

impl Cache {
    pub fn memory(namespace: &str) -> Self {
        Self {
            namespace: namespace.into(),
            backend: Backend::Memory(Default::default()),
        }
    }

    /// Connects to Redis. The connection manager reconnects by itself after failures.
    pub async fn redis(url: &SecretString, namespace: &str) -> anyhow::Result<Self> {
        let client = redis::Client::open(url.expose_secret())?;
        let cfg = redis::aio::ConnectionManagerConfig::new()
            .set_connection_timeout(Some(Duration::from_secs(2)))
            .set_response_timeout(Some(Duration::from_secs(2)));
        let conn = ConnectionManager::new_with_config(client, cfg).await?;
        Ok(Self {
            namespace: namespace.into(),
            backend: Backend::Redis(conn),
        })
    }

    pub fn is_redis(&self) -> bool {
        matches!(self.backend, Backend::Redis(_))
    }

    fn key(&self, key: &str) -> String {
        format!("{}:{key}", self.namespace)
    }

    /// A cached value; errors count as misses (the cache is never required for correctness).
    pub async fn get(&self, key: &str) -> Option<Vec<u8>> {
        let key = self.key(key);
        match &self.backend {
            Backend::Redis(conn) => conn
                .clone()
                .get::<_, Option<Vec<u8>>>(key)
                .await
                .unwrap_or_else(|e| {
                    tracing::warn!(error = %e, "cache get failed");
                    None
                }),
            Backend::Memory(map) => {
                let map = map.lock().expect("cache lock");
                map.get(&key)
                    .filter(|(_, exp)| *exp > Instant::now())
                    .map(|(v, _)| v.clone())
            }
        }
    }

    pub async fn set(&self, key: &str, value: &[u8], ttl: Duration) {
        let key = self.key(key);
        match &self.backend {
            Backend::Redis(conn) => {
                let r: redis::RedisResult<()> =
                    conn.clone().set_ex(key, value, ttl.as_secs().max(1)).await;
                if let Err(e) = r {
                    tracing::warn!(error = %e, "cache set failed");
                }
            }
            Backend::Memory(map) => {
                let mut map = map.lock().expect("cache lock");
                if map.len() >= MEMORY_SWEEP_AT {
                    let now = Instant::now();
                    map.retain(|_, (_, exp)| *exp > now);
                }
                map.insert(key, (value.to_vec(), Instant::now() + ttl));
            }
        }
    }

    pub async fn delete(&self, key: &str) {
        let key = self.key(key);
        match &self.backend {
            Backend::Redis(conn) => {
                let r: redis::RedisResult<()> = conn.clone().del(key).await;
                if let Err(e) = r {
                    tracing::warn!(error = %e, "cache delete failed");
                }
            }
            Backend::Memory(map) => {
                map.lock().expect("cache lock").remove(&key);
            }
        }
    }

    /// Adds one to a counter that never expires and returns the new value; `None` when the cache
    /// failed (callers then skip caching rather than risk serving stale data).
    pub async fn incr(&self, key: &str) -> Option<u64> {
        let key = self.key(key);
        match &self.backend {
            Backend::Redis(conn) => conn
                .clone()
                .incr::<_, _, u64>(key, 1u64)
                .await
                .map_err(|e| tracing::warn!(error = %e, "cache incr failed"))
                .ok(),
            Backend::Memory(map) => {
                let mut map = map.lock().expect("cache lock");
                let far = Instant::now() + Duration::from_secs(10 * 365 * 24 * 3600);
                let entry = map.entry(key).or_insert_with(|| (b"0".to_vec(), far));
                let n = std::str::from_utf8(&entry.0)
                    .ok()
                    .and_then(|s| s.parse::<u64>().ok())
                    .unwrap_or(0)
                    + 1;
                entry.0 = n.to_string().into_bytes();
                Some(n)
            }
        }
    }

    /// A cached JSON value; a miss or an undecodable value is `None`.
    pub async fn get_json<T: serde::de::DeserializeOwned>(&self, key: &str) -> Option<T> {
        self.get(key)
            .await
            .and_then(|bytes| serde_json::from_slice(&bytes).ok())
    }

    pub async fn set_json<T: serde::Serialize>(&self, key: &str, value: &T, ttl: Duration) {
        if let Ok(bytes) = serde_json::to_vec(value) {
            self.set(key, &bytes, ttl).await;
        }
    }

    /// Counts one hit in a fixed window and returns (hits so far, seconds until the window ends).
    /// On Redis this is one round trip (INCR, EXPIRE NX, TTL in a pipeline).
    pub async fn hit(&self, key: &str, window: Duration) -> anyhow::Result<(u64, u64)> {
        let key = self.key(key);
        let secs = window.as_secs().max(1);
        match &self.backend {
            Backend::Redis(conn) => {
                let (count, ttl): (u64, i64) = redis::pipe()
                    .incr(&key, 1u64)
                    .cmd("EXPIRE")
                    .arg(&key)
                    .arg(secs)
                    .arg("NX")
                    .ignore()
                    .ttl(&key)
                    .query_async(&mut conn.clone())
                    .await?;
                Ok((count, ttl.max(1) as u64))
            }
            Backend::Memory(map) => {
                let mut map = map.lock().expect("cache lock");
                let now = Instant::now();
                let entry = map
                    .entry(key)
                    .and_modify(|(v, exp)| {
                        if *exp <= now {
                            *v = 0u64.to_le_bytes().to_vec();
                            *exp = now + window;
                        }
                    })
                    .or_insert_with(|| (0u64.to_le_bytes().to_vec(), now + window));
                let count = u64::from_le_bytes(entry.0.as_slice().try_into().unwrap_or([0; 8])) + 1;
                entry.0 = count.to_le_bytes().to_vec();
                Ok((
                    count,
                    entry.1.saturating_duration_since(now).as_secs().max(1),
                ))
            }
        }
    }

    pub async fn ping(&self) -> anyhow::Result<()> {
        match &self.backend {
            Backend::Redis(conn) => {
                let _: String = redis::cmd("PING").query_async(&mut conn.clone()).await?;
                Ok(())
            }
            Backend::Memory(_) => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn memory_round_trip_and_counter() {
        let c = Cache::memory("t");
        assert!(c.get("a").await.is_none());
        c.set("a", b"1", Duration::from_secs(60)).await;
        assert_eq!(c.get("a").await.as_deref(), Some(&b"1"[..]));
        c.delete("a").await;
        assert_eq!(c.incr("v").await, Some(1));
        assert_eq!(c.incr("v").await, Some(2));
        assert_eq!(c.get("v").await.as_deref(), Some(&b"2"[..]));
        assert!(c.get("a").await.is_none());
        assert_eq!(c.hit("n", Duration::from_secs(60)).await.unwrap().0, 1);
        assert_eq!(c.hit("n", Duration::from_secs(60)).await.unwrap().0, 2);
    }
}
