//! Configuration from the environment (and an optional `.env` file for local work).
//! Lambda zips carry no config files, so the environment is the only source.

use std::{net::SocketAddr, path::PathBuf, time::Duration};

use secrecy::SecretString;

#[derive(Clone, Debug)]
pub struct Config {
    /// Runtime role connection (no superuser, no BYPASSRLS). `None` → embedded PostgreSQL.
    pub database_url: Option<SecretString>,
    /// Owner role connection used only by `migrate`. Defaults to `database_url` when unset.
    pub database_owner_url: Option<SecretString>,
    pub database_max_connections: u32,
    /// `None` → in-memory cache and rate limiter.
    pub redis_url: Option<SecretString>,
    /// Prefix for every cache key, so several deployments (or tests) can share one Redis.
    pub cache_namespace: String,
    /// Tenant hosts are `{slug}.{platform_domain}`; the platform host is `platform_domain` itself.
    pub platform_domain: String,
    pub bind: SocketAddr,
    /// Base64 of a PKCS#8 Ed25519 key. `None` → a key kept in `data_dir` (local) or generated.
    pub jwt_signing_key: Option<SecretString>,
    pub jwt_issuer: String,
    pub access_token_ttl: Duration,
    pub refresh_token_ttl: Duration,
    pub verify_token_ttl: Duration,
    pub reset_token_ttl: Duration,
    pub login_limit_per_account: u32,
    pub login_limit_per_ip: u32,
    pub login_window: Duration,
    pub tenant_cache_ttl: Duration,
    pub body_limit_bytes: usize,
    /// Exact origins allowed by CORS; empty → no cross-origin access.
    pub cors_origins: Vec<String>,
    /// Take the client address from `X-Forwarded-For` (behind API Gateway or a load balancer).
    /// Off by default: a client could otherwise pick its own address and dodge per-IP limits.
    pub trust_forwarded_for: bool,
    /// Where the embedded PostgreSQL cluster and local keys live.
    pub data_dir: PathBuf,
    /// Public base URL used in links sent to users (verification, reset); `{host}` is replaced by
    /// the tenant host.
    pub public_url_template: String,
}

#[derive(Debug, thiserror::Error)]
#[error("invalid configuration: {name}: {reason}")]
pub struct ConfigError {
    pub name: &'static str,
    pub reason: String,
}

impl Config {
    /// Reads the process environment, after loading `.env` when one exists.
    pub fn from_env() -> Result<Self, ConfigError> {
        let _ = dotenvy::dotenv();
        Self::from_lookup(|k| std::env::var(k).ok())
    }

    /// Builds the configuration from any key lookup (tests pass a map).
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let var = |k: &str| get(k).filter(|v| !v.trim().is_empty());
        let secret = |k: &str| var(k).map(SecretString::from);
        fn parse<T: std::str::FromStr>(
            name: &'static str,
            v: Option<String>,
            default: T,
        ) -> Result<T, ConfigError>
        where
            T::Err: std::fmt::Display,
        {
            match v {
                None => Ok(default),
                Some(s) => s.trim().parse().map_err(|e: T::Err| ConfigError {
                    name,
                    reason: e.to_string(),
                }),
            }
        }
        let secs = |name: &'static str, default: u64| -> Result<Duration, ConfigError> {
            parse(name, var(name), default).map(Duration::from_secs)
        };
        let data_dir = var("GAMARRIANDO_DATA_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from(".gamarriando"));
        Ok(Self {
            database_url: secret("DATABASE_URL"),
            database_owner_url: secret("DATABASE_OWNER_URL"),
            database_max_connections: parse(
                "DATABASE_MAX_CONNECTIONS",
                var("DATABASE_MAX_CONNECTIONS"),
                16,
            )?,
            redis_url: secret("REDIS_URL"),
            cache_namespace: var("CACHE_NAMESPACE").unwrap_or_else(|| "gmr".into()),
            platform_domain: var("PLATFORM_DOMAIN")
                .unwrap_or_else(|| "localhost".into())
                .to_ascii_lowercase(),
            bind: parse(
                "BIND",
                var("BIND"),
                SocketAddr::from(([127, 0, 0, 1], 8080)),
            )?,
            jwt_signing_key: secret("JWT_SIGNING_KEY"),
            jwt_issuer: var("JWT_ISSUER").unwrap_or_else(|| "gamarriando".into()),
            access_token_ttl: secs("ACCESS_TOKEN_TTL_SECS", 900)?,
            refresh_token_ttl: secs("REFRESH_TOKEN_TTL_SECS", 30 * 24 * 3600)?,
            verify_token_ttl: secs("VERIFY_TOKEN_TTL_SECS", 48 * 3600)?,
            reset_token_ttl: secs("RESET_TOKEN_TTL_SECS", 3600)?,
            login_limit_per_account: parse(
                "LOGIN_LIMIT_PER_ACCOUNT",
                var("LOGIN_LIMIT_PER_ACCOUNT"),
                5,
            )?,
            login_limit_per_ip: parse("LOGIN_LIMIT_PER_IP", var("LOGIN_LIMIT_PER_IP"), 30)?,
            login_window: secs("LOGIN_WINDOW_SECS", 300)?,
            tenant_cache_ttl: secs("TENANT_CACHE_TTL_SECS", 30)?,
            body_limit_bytes: parse("BODY_LIMIT_BYTES", var("BODY_LIMIT_BYTES"), 1024 * 1024)?,
            cors_origins: var("CORS_ORIGINS")
                .map(|v| {
                    v.split(',')
                        .map(|s| s.trim().to_string())
                        .filter(|s| !s.is_empty())
                        .collect()
                })
                .unwrap_or_default(),
            trust_forwarded_for: parse("TRUST_FORWARDED_FOR", var("TRUST_FORWARDED_FOR"), false)?,
            data_dir,
            public_url_template: var("PUBLIC_URL_TEMPLATE")
                .unwrap_or_else(|| "http://{host}:8080".into()),
        })
    }

    /// The URL a person should open for `path` on a tenant host.
    pub fn public_url(&self, host: &str, path: &str) -> String {
        format!(
            "{}{}",
            self.public_url_template.replace("{host}", host),
            path
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    #[test]
    fn defaults_and_overrides() {
        let env: HashMap<&str, &str> = [
            ("PLATFORM_DOMAIN", "Gamarriando.PE"),
            ("ACCESS_TOKEN_TTL_SECS", "60"),
        ]
        .into();
        let c = Config::from_lookup(|k| env.get(k).map(|v| v.to_string())).unwrap();
        assert_eq!(c.platform_domain, "gamarriando.pe");
        assert_eq!(c.access_token_ttl, Duration::from_secs(60));
        assert!(c.database_url.is_none());
        assert_eq!(c.bind.port(), 8080);
    }

    #[test]
    fn bad_number_names_the_variable() {
        let err = Config::from_lookup(|k| (k == "LOGIN_LIMIT_PER_IP").then(|| "many".into()))
            .unwrap_err();
        assert_eq!(err.name, "LOGIN_LIMIT_PER_IP");
    }
}
