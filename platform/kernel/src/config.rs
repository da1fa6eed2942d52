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
    /// Base64 of 32 bytes sealing provider credentials at rest. `None` → derived from the JWT key.
    pub secrets_key: Option<SecretString>,
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
    /// Object storage (product images, vendor logos): S3 when `s3` is set, else files on disk.
    pub storage: StorageConfig,
    /// How long an order waits for payment before it is cancelled and its stock released.
    pub order_payment_timeout: Duration,
    /// How often `serve` looks for unpaid orders past their deadline.
    pub order_expiry_interval: Duration,
    /// Whether `serve` runs the outbox worker (notifications, webhooks) in its own process.
    /// Off when a separate `gamarriando worker` (or a scheduled Lambda) does it.
    pub outbox_worker: bool,
}

/// Where uploaded files live and how they are reached.
#[derive(Clone, Debug)]
pub struct StorageConfig {
    /// Root of the disk backend (`FILES_DIR`, default `{data_dir}/files`).
    pub files_dir: PathBuf,
    /// Base of public file URLs (a CDN in front of the bucket), and of the disk backend's upload
    /// URLs. Unset: the disk backend uses this server's own address (`BIND`), S3 the bucket URL.
    pub public_url: Option<String>,
    /// Key of the disk backend's upload tokens. Unset: derived from the JWT signing key.
    pub signing_key: Option<SecretString>,
    /// `S3_BUCKET` set → S3 (or any S3-compatible server).
    pub s3: Option<S3Config>,
}

#[derive(Clone, Debug)]
pub struct S3Config {
    pub bucket: String,
    /// An S3-compatible server (`http://127.0.0.1:8014`); unset → AWS.
    pub endpoint: Option<String>,
    pub region: String,
    /// Static credentials; unset → the AWS credential chain (environment, profile, container or
    /// instance role).
    pub access_key_id: Option<String>,
    pub secret_access_key: Option<SecretString>,
    /// `http://endpoint/bucket/key` instead of `http://bucket.endpoint/key`.
    pub force_path_style: bool,
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
        let storage = StorageConfig {
            files_dir: var("FILES_DIR")
                .map(PathBuf::from)
                .unwrap_or_else(|| data_dir.join("files")),
            public_url: var("FILES_PUBLIC_URL")
                .map(|u| base_url("FILES_PUBLIC_URL", &u))
                .transpose()?,
            signing_key: secret("FILES_SIGNING_KEY"),
            s3: match var("S3_BUCKET") {
                None => None,
                Some(bucket) => Some(S3Config {
                    bucket: bucket.trim().to_string(),
                    endpoint: var("S3_ENDPOINT")
                        .map(|u| base_url("S3_ENDPOINT", &u))
                        .transpose()?,
                    region: var("S3_REGION").unwrap_or_else(|| "us-east-1".into()),
                    access_key_id: var("S3_ACCESS_KEY_ID"),
                    secret_access_key: secret("S3_SECRET_ACCESS_KEY"),
                    force_path_style: parse(
                        "S3_FORCE_PATH_STYLE",
                        var("S3_FORCE_PATH_STYLE"),
                        false,
                    )?,
                }),
            },
        };
        if let Some(s3) = &storage.s3
            && s3.access_key_id.is_some() != s3.secret_access_key.is_some()
        {
            return Err(ConfigError {
                name: "S3_ACCESS_KEY_ID",
                reason: "set both S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY, or neither".into(),
            });
        }
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
            secrets_key: secret("SECRETS_KEY"),
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
            storage,
            order_payment_timeout: secs("ORDER_PAYMENT_TIMEOUT_SECS", 30 * 60)?,
            order_expiry_interval: secs("ORDER_EXPIRY_INTERVAL_SECS", 30)?,
            outbox_worker: parse("OUTBOX_WORKER", var("OUTBOX_WORKER"), true)?,
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

/// An `http(s)://` base URL without its trailing slash.
fn base_url(name: &'static str, url: &str) -> Result<String, ConfigError> {
    let url = url.trim().trim_end_matches('/');
    if url.starts_with("http://") || url.starts_with("https://") {
        Ok(url.to_string())
    } else {
        Err(ConfigError {
            name,
            reason: "expected an http:// or https:// URL".into(),
        })
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
        assert!(c.storage.s3.is_none());
        assert_eq!(c.storage.files_dir, PathBuf::from(".gamarriando/files"));
    }

    #[test]
    fn s3_settings() {
        let env: HashMap<&str, &str> = [
            ("S3_BUCKET", "media"),
            ("S3_ENDPOINT", "http://127.0.0.1:8014/"),
            ("S3_FORCE_PATH_STYLE", "true"),
            ("FILES_PUBLIC_URL", "https://cdn.example.com/"),
        ]
        .into();
        let c = Config::from_lookup(|k| env.get(k).map(|v| v.to_string())).unwrap();
        let s3 = c.storage.s3.unwrap();
        assert_eq!(s3.bucket, "media");
        assert_eq!(s3.endpoint.as_deref(), Some("http://127.0.0.1:8014"));
        assert_eq!(s3.region, "us-east-1");
        assert!(s3.force_path_style);
        assert_eq!(
            c.storage.public_url.as_deref(),
            Some("https://cdn.example.com")
        );

        let half: HashMap<&str, &str> = [("S3_BUCKET", "media"), ("S3_ACCESS_KEY_ID", "AK")].into();
        let err = Config::from_lookup(|k| half.get(k).map(|v| v.to_string())).unwrap_err();
        assert_eq!(err.name, "S3_ACCESS_KEY_ID");
        let err =
            Config::from_lookup(|k| (k == "S3_BUCKET" || k == "S3_ENDPOINT").then(|| "ftp".into()))
                .unwrap_err();
        assert_eq!(err.name, "S3_ENDPOINT");
    }

    #[test]
    fn bad_number_names_the_variable() {
        let err = Config::from_lookup(|k| (k == "LOGIN_LIMIT_PER_IP").then(|| "many".into()))
            .unwrap_err();
        assert_eq!(err.name, "LOGIN_LIMIT_PER_IP");
    }
}
