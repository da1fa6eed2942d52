//! Secrets at rest: provider credentials (payment gateways, notification channels) and the
//! secret parts of events, sealed with AES-256-GCM under one deployment key (`SECRETS_KEY`).
//!
//! A sealed value is `version (1) ‖ nonce (12) ‖ ciphertext ‖ tag (16)`. Every seal names a
//! *context* (`"notification_channels/<tenant>/email"`) that is authenticated but not stored: a
//! value copied into another row or another tenant does not open there, so someone who can write
//! the database still cannot move one marketplace's credentials to another.

use std::{fmt, sync::Arc};

use aws_lc_rs::{
    aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey},
    hmac,
    rand::{SecureRandom, SystemRandom},
};
use base64::Engine as _;
use secrecy::{ExposeSecret, SecretString};

const VERSION: u8 = 1;

#[derive(Debug, thiserror::Error)]
pub enum SealError {
    #[error("SECRETS_KEY must be the base64 of exactly 32 bytes")]
    BadKey,
    #[error("a sealed secret did not open: wrong key, wrong context or altered bytes")]
    Open,
    #[error("the system random source failed")]
    Random,
}

/// Seals and opens secrets. Cheap to clone.
#[derive(Clone)]
pub struct Sealer(Arc<LessSafeKey>);

impl fmt::Debug for Sealer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Sealer(..)")
    }
}

impl Sealer {
    pub fn from_key(key: &[u8; 32]) -> Self {
        let key = UnboundKey::new(&AES_256_GCM, key).expect("32 bytes is an AES-256 key");
        Sealer(Arc::new(LessSafeKey::new(key)))
    }

    /// `SECRETS_KEY`: base64 (standard) of 32 random bytes (`openssl rand -base64 32`).
    pub fn from_base64(key: &SecretString) -> Result<Self, SealError> {
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(key.expose_secret().trim())
            .map_err(|_| SealError::BadKey)?;
        let key: [u8; 32] = bytes.try_into().map_err(|_| SealError::BadKey)?;
        Ok(Self::from_key(&key))
    }

    /// A key derived from another deployment secret (the JWT signing key of a local run), so a
    /// laptop needs no extra setting. Its own derivation label keeps it unrelated to any other
    /// use of that secret.
    pub fn derived_from(secret: &[u8]) -> Self {
        let tag = hmac::sign(
            &hmac::Key::new(hmac::HMAC_SHA256, secret),
            b"gamarriando/secrets/aes-256-gcm/v1",
        );
        let key: [u8; 32] = tag.as_ref().try_into().expect("HMAC-SHA256 is 32 bytes");
        Self::from_key(&key)
    }

    /// A random key: what is sealed dies with the process (tests, the offline spec build).
    pub fn ephemeral() -> Self {
        let mut key = [0u8; 32];
        SystemRandom::new()
            .fill(&mut key)
            .expect("the system random source works");
        Self::from_key(&key)
    }

    pub fn seal(&self, context: &str, plaintext: &[u8]) -> Result<Vec<u8>, SealError> {
        let mut nonce = [0u8; NONCE_LEN];
        SystemRandom::new()
            .fill(&mut nonce)
            .map_err(|_| SealError::Random)?;
        let mut buf = plaintext.to_vec();
        self.0
            .seal_in_place_append_tag(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(context.as_bytes()),
                &mut buf,
            )
            .map_err(|_| SealError::Random)?;
        let mut out = Vec::with_capacity(1 + NONCE_LEN + buf.len());
        out.push(VERSION);
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&buf);
        Ok(out)
    }

    pub fn open(&self, context: &str, sealed: &[u8]) -> Result<Vec<u8>, SealError> {
        let (&version, rest) = sealed.split_first().ok_or(SealError::Open)?;
        if version != VERSION || rest.len() < NONCE_LEN {
            return Err(SealError::Open);
        }
        let (nonce, ciphertext) = rest.split_at(NONCE_LEN);
        let nonce = Nonce::try_assume_unique_for_key(nonce).map_err(|_| SealError::Open)?;
        let mut buf = ciphertext.to_vec();
        let plain = self
            .0
            .open_in_place(nonce, Aad::from(context.as_bytes()), &mut buf)
            .map_err(|_| SealError::Open)?;
        Ok(plain.to_vec())
    }

    pub fn seal_str(&self, context: &str, secret: &SecretString) -> Result<Vec<u8>, SealError> {
        self.seal(context, secret.expose_secret().as_bytes())
    }

    pub fn open_str(&self, context: &str, sealed: &[u8]) -> Result<SecretString, SealError> {
        let bytes = self.open(context, sealed)?;
        String::from_utf8(bytes)
            .map(SecretString::from)
            .map_err(|_| SealError::Open)
    }
}

/// How a secret is shown back: its last four characters at most, and nothing of short ones.
pub fn mask(secret: &str) -> String {
    let n = secret.chars().count();
    if n < 12 {
        return "••••".into();
    }
    let tail: String = secret.chars().skip(n - 4).collect();
    format!("••••{tail}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_context_binding() {
        let s = Sealer::ephemeral();
        let sealed = s.seal("a/1", b"hunter2").unwrap();
        assert!(!sealed.windows(7).any(|w| w == b"hunter2"));
        assert_eq!(s.open("a/1", &sealed).unwrap(), b"hunter2");
        assert!(s.open("a/2", &sealed).is_err(), "other context");
        assert!(
            Sealer::ephemeral().open("a/1", &sealed).is_err(),
            "other key"
        );
        for i in 0..sealed.len() {
            let mut bad = sealed.clone();
            bad[i] ^= 1;
            assert!(s.open("a/1", &bad).is_err(), "flipped byte {i}");
        }
        assert!(s.open("a/1", &sealed[..10]).is_err());
    }

    #[test]
    fn two_seals_differ() {
        let s = Sealer::ephemeral();
        assert_ne!(s.seal("c", b"x").unwrap(), s.seal("c", b"x").unwrap());
    }

    #[test]
    fn keys_from_config() {
        let k = SecretString::from(base64::engine::general_purpose::STANDARD.encode([7u8; 32]));
        let a = Sealer::from_base64(&k).unwrap();
        let b = Sealer::from_base64(&k).unwrap();
        assert_eq!(b.open("c", &a.seal("c", b"v").unwrap()).unwrap(), b"v");
        assert!(Sealer::from_base64(&SecretString::from("c2hvcnQ=")).is_err());
        let d = Sealer::derived_from(b"jwt");
        assert_eq!(
            Sealer::derived_from(b"jwt")
                .open("c", &d.seal("c", b"v").unwrap())
                .unwrap(),
            b"v"
        );
        assert!(format!("{d:?}").contains(".."));
    }

    #[test]
    fn masks() {
        assert_eq!(mask("short"), "••••");
        assert_eq!(mask("sk_test_1234567890abcd"), "••••abcd");
    }
}
