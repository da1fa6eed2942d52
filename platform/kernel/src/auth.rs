//! Identity: Ed25519-signed access tokens bound to one tenant, argon2id password hashes, and
//! opaque random tokens (refresh, verification, reset) of which only a SHA-256 is stored.

use std::{path::Path, time::Duration};

use aws_lc_rs::{
    rand::SystemRandom,
    signature::{Ed25519KeyPair, KeyPair},
};
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::error::ApiError;

/// Claims of an access token. `aud` names the tenant (`tenant:{id}`), so a token issued on one
/// tenant's host fails validation on every other.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct Claims {
    pub iss: String,
    pub aud: String,
    /// User id.
    pub sub: Uuid,
    /// Tenant id.
    pub tid: Uuid,
    /// Session (refresh-token family) id.
    pub sid: Uuid,
    pub iat: i64,
    pub exp: i64,
    pub jti: Uuid,
    /// Always `access`; anything else is refused.
    pub typ: String,
    /// Roles granted in this tenant, beyond the implied `customer`.
    pub roles: Vec<String>,
    /// The user's preferred locale when the token was issued.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lng: Option<String>,
}

pub fn audience_for(tenant: Uuid) -> String {
    format!("tenant:{tenant}")
}

/// Signing and verification keys. Only EdDSA is accepted: `alg: none`, HS256 signed with the
/// public key and every other algorithm fail before the signature is looked at.
pub struct JwtKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    public_key: Vec<u8>,
    issuer: String,
    pub access_ttl: Duration,
}

impl std::fmt::Debug for JwtKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JwtKeys")
            .field("issuer", &self.issuer)
            .finish_non_exhaustive()
    }
}

impl JwtKeys {
    /// From a PKCS#8 (v1 or v2) Ed25519 private key in DER form.
    pub fn from_pkcs8(der: &[u8], issuer: &str, access_ttl: Duration) -> anyhow::Result<Self> {
        let pair = Ed25519KeyPair::from_pkcs8(der)
            .map_err(|e| anyhow::anyhow!("JWT_SIGNING_KEY is not an Ed25519 PKCS#8 key: {e}"))?;
        Ok(Self {
            encoding: EncodingKey::from_ed_der(der),
            decoding: DecodingKey::from_ed_der(pair.public_key().as_ref()),
            public_key: pair.public_key().as_ref().to_vec(),
            issuer: issuer.to_string(),
            access_ttl,
        })
    }

    /// From the base64 form used in `JWT_SIGNING_KEY`.
    pub fn from_base64(b64: &str, issuer: &str, access_ttl: Duration) -> anyhow::Result<Self> {
        let der = base64::engine::general_purpose::STANDARD
            .decode(b64.trim())
            .map_err(|_| anyhow::anyhow!("JWT_SIGNING_KEY is not base64"))?;
        Self::from_pkcs8(&der, issuer, access_ttl)
    }

    /// A fresh PKCS#8 Ed25519 key.
    pub fn generate_pkcs8() -> Vec<u8> {
        Ed25519KeyPair::generate_pkcs8(&SystemRandom::new())
            .expect("the system random source works")
            .as_ref()
            .to_vec()
    }

    /// Reads the key at `path`, creating it (mode 0600) on first use; for local runs only.
    pub fn load_or_create(path: &Path, issuer: &str, access_ttl: Duration) -> anyhow::Result<Self> {
        let der = match std::fs::read(path) {
            Ok(der) => der,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let der = Self::generate_pkcs8();
                if let Some(dir) = path.parent() {
                    std::fs::create_dir_all(dir)?;
                }
                write_private(path, &der)?;
                der
            }
            Err(e) => return Err(e.into()),
        };
        Self::from_pkcs8(&der, issuer, access_ttl)
    }

    /// The public key, raw (for tests that forge tokens with it).
    pub fn public_key_bytes(&self) -> &[u8] {
        &self.public_key
    }

    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    pub fn issue(
        &self,
        user: Uuid,
        tenant: Uuid,
        session: Uuid,
        roles: Vec<String>,
        locale: Option<String>,
    ) -> Result<String, ApiError> {
        let now = OffsetDateTime::now_utc().unix_timestamp();
        let claims = Claims {
            iss: self.issuer.clone(),
            aud: audience_for(tenant),
            sub: user,
            tid: tenant,
            sid: session,
            iat: now,
            exp: now + self.access_ttl.as_secs() as i64,
            jti: Uuid::now_v7(),
            typ: "access".into(),
            roles,
            lng: locale,
        };
        jsonwebtoken::encode(&Header::new(Algorithm::EdDSA), &claims, &self.encoding)
            .map_err(ApiError::internal)
    }

    /// Verifies signature, algorithm, issuer, audience (this tenant), expiry and type.
    pub fn verify(&self, token: &str, tenant: Uuid) -> Result<Claims, &'static str> {
        let mut v = Validation::new(Algorithm::EdDSA);
        v.algorithms = vec![Algorithm::EdDSA];
        v.set_issuer(&[&self.issuer]);
        v.set_audience(&[audience_for(tenant)]);
        v.set_required_spec_claims(&["exp", "iat", "iss", "aud", "sub"]);
        v.leeway = 5;
        let data = jsonwebtoken::decode::<Claims>(token, &self.decoding, &v)
            .map_err(|_| "invalid access token")?;
        let claims = data.claims;
        if claims.typ != "access" || claims.tid != tenant {
            return Err("not an access token for this tenant");
        }
        Ok(claims)
    }
}

#[cfg(unix)]
fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::{io::Write, os::unix::fs::OpenOptionsExt};
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?;
    f.write_all(bytes)
}

#[cfg(not(unix))]
fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    std::fs::write(path, bytes)
}

/// Argon2id with the crate's defaults (19 MiB, 2 passes), off the async threads.
pub async fn hash_password(password: String) -> Result<String, ApiError> {
    tokio::task::spawn_blocking(move || {
        use argon2::{Argon2, PasswordHasher};
        Argon2::default()
            .hash_password(password.as_bytes())
            .map(|h| h.to_string())
            .map_err(|e| ApiError::internal(anyhow::anyhow!("hashing failed: {e}")))
    })
    .await
    .map_err(ApiError::internal)?
}

/// Checks `password` against a stored PHC hash. With `None` it still does the work, so an unknown
/// account takes as long as a wrong password (no account enumeration by timing).
pub async fn verify_password(password: String, hash: Option<String>) -> Result<bool, ApiError> {
    tokio::task::spawn_blocking(move || {
        use argon2::{Argon2, PasswordHash, PasswordVerifier};
        let stored = hash.unwrap_or_else(|| dummy_hash().to_string());
        let parsed = PasswordHash::new(&stored)
            .map_err(|e| ApiError::internal(anyhow::anyhow!("bad stored hash: {e}")))?;
        let ok = Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok();
        Ok(ok && !stored.is_empty())
    })
    .await
    .map_err(ApiError::internal)?
}

fn dummy_hash() -> &'static str {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DUMMY.get_or_init(|| {
        use argon2::{Argon2, PasswordHasher};
        Argon2::default()
            .hash_password(b"not-a-real-password")
            .expect("hashing a constant works")
            .to_string()
    })
}

/// A random opaque token (256 bits, URL-safe) and the SHA-256 that is stored instead of it.
pub fn new_opaque_token() -> (String, Vec<u8>) {
    let mut bytes = [0u8; 32];
    aws_lc_rs::rand::fill(&mut bytes).expect("the system random source works");
    let token = URL_SAFE_NO_PAD.encode(bytes);
    let hash = hash_token(&token);
    (token, hash)
}

pub fn hash_token(token: &str) -> Vec<u8> {
    Sha256::digest(token.as_bytes()).to_vec()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys() -> JwtKeys {
        JwtKeys::from_pkcs8(
            &JwtKeys::generate_pkcs8(),
            "gamarriando",
            Duration::from_secs(60),
        )
        .unwrap()
    }

    #[test]
    fn token_round_trip_is_bound_to_tenant() {
        let k = keys();
        let (t1, t2) = (Uuid::now_v7(), Uuid::now_v7());
        let tok = k
            .issue(
                Uuid::now_v7(),
                t1,
                Uuid::now_v7(),
                vec!["admin".into()],
                None,
            )
            .unwrap();
        assert_eq!(k.verify(&tok, t1).unwrap().roles, vec!["admin".to_string()]);
        assert!(k.verify(&tok, t2).is_err());
    }

    #[test]
    fn another_key_is_refused() {
        let (a, b) = (keys(), keys());
        let t = Uuid::now_v7();
        let tok = a
            .issue(Uuid::now_v7(), t, Uuid::now_v7(), vec![], None)
            .unwrap();
        assert!(b.verify(&tok, t).is_err());
    }

    #[tokio::test]
    async fn passwords_hash_and_verify() {
        let h = hash_password("correct horse".into()).await.unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(
            verify_password("correct horse".into(), Some(h.clone()))
                .await
                .unwrap()
        );
        assert!(!verify_password("wrong".into(), Some(h)).await.unwrap());
        assert!(!verify_password("x".into(), None).await.unwrap());
    }

    #[test]
    fn opaque_tokens_hash_consistently() {
        let (tok, hash) = new_opaque_token();
        assert_eq!(hash_token(&tok), hash);
        assert_eq!(tok.len(), 43);
    }
}
