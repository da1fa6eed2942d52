//! Object storage for uploaded files (product images, vendor logos).
//!
//! One type, two backends: S3 (or any S3-compatible server) in production, files on disk for a
//! laptop or CI. Files never travel through the API: a client asks for an [`UploadTicket`] (a
//! presigned URL bound to one key, one content type and one size), PUTs the file there, then asks
//! the API to confirm, which [`Storage::head`]s the object and checks what really arrived.
//!
//! Keys of tenant data always start with `t/{tenant_id}/` ([`tenant_key`]); the database refuses
//! any other key, so no tenant's row can name another tenant's file.
//!
//! The disk backend is served by this process: `PUT /files/upload/{token}` takes an upload whose
//! token is an HMAC-signed, expiring claim of (key, content type, maximum size), and
//! `GET /files/{key}` serves what was stored, with its content type.

use std::{
    collections::BTreeMap,
    fmt,
    net::SocketAddr,
    path::{Path, PathBuf},
    sync::Arc,
    time::Duration,
};

use aws_lc_rs::{
    hmac::{self, HMAC_SHA256},
    rand::{SecureRandom, SystemRandom},
};
use aws_sdk_s3::{
    config::{Credentials, Region, RequestChecksumCalculation, ResponseChecksumValidation},
    error::{DisplayErrorContext, ProvideErrorMetadata, SdkError},
    presigning::PresigningConfig,
};
use axum::{
    Router,
    body::{Body, Bytes},
    extract::{Path as UrlPath, State},
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
    routing::{get, put},
};
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use futures::StreamExt;
use secrecy::ExposeSecret;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::{
    config::{Config, S3Config},
    error::ApiError,
    state::AppState,
};

/// The longest key accepted (S3 allows 1024 bytes; ours are far shorter).
pub const MAX_KEY_LEN: usize = 512;

/// How a client uploads one file: send `method` to `url` with exactly these `headers` and the
/// file as the body, before `expires_at`.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct UploadTicket {
    pub url: String,
    #[schema(example = "PUT")]
    pub method: String,
    /// Headers the upload must carry with these exact values (`content-type`, and on S3 the
    /// signed `content-length`, which HTTP clients set from the body).
    pub headers: BTreeMap<String, String>,
    #[serde(with = "time::serde::rfc3339")]
    pub expires_at: OffsetDateTime,
}

/// What storage holds under a key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ObjectInfo {
    pub size: u64,
    pub content_type: Option<String>,
}

/// `t/{tenant}/{parts…}`: the only shape of key that tenant data may use.
pub fn tenant_key(tenant: Uuid, parts: &[&str]) -> String {
    let mut key = format!("t/{tenant}");
    for p in parts {
        key.push('/');
        key.push_str(p);
    }
    key
}

/// Whether `key` belongs to `tenant` (and is a valid key at all).
pub fn is_tenant_key(tenant: Uuid, key: &str) -> bool {
    is_valid_key(key) && key.starts_with(&format!("t/{tenant}/"))
}

/// Keys are `/`-separated segments of `[A-Za-z0-9._-]`, none empty, none starting with a dot
/// (no `..`, no hidden files), none ending in `.meta` (the disk backend's metadata files).
pub fn is_valid_key(key: &str) -> bool {
    !key.is_empty()
        && key.len() <= MAX_KEY_LEN
        && key.split('/').all(|seg| {
            !seg.is_empty()
                && !seg.starts_with('.')
                && !seg.ends_with(".meta")
                && seg
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
        })
}

/// The media type without parameters, lowercased (`Image/PNG; q=1` → `image/png`).
pub fn media_type(value: &str) -> String {
    value
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase()
}

/// Object storage; cheap to clone. `Debug` never shows credentials or keys.
#[derive(Clone)]
pub struct Storage(Arc<Backend>);

enum Backend {
    Disk(Box<Disk>),
    S3(S3),
}

struct Disk {
    root: PathBuf,
    /// Base of public URLs and of upload URLs: this server (or what fronts it).
    public_base: String,
    signing_key: hmac::Key,
}

struct S3 {
    client: aws_sdk_s3::Client,
    bucket: String,
    public_base: String,
}

impl fmt::Debug for Storage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &*self.0 {
            Backend::Disk(d) => f
                .debug_struct("Storage::Disk")
                .field("root", &d.root)
                .field("public_base", &d.public_base)
                .finish_non_exhaustive(),
            Backend::S3(s) => f
                .debug_struct("Storage::S3")
                .field("bucket", &s.bucket)
                .field("public_base", &s.public_base)
                .finish_non_exhaustive(),
        }
    }
}

fn unavailable(what: &str, err: impl fmt::Display) -> ApiError {
    ApiError::Unavailable(anyhow::anyhow!("storage: {what}: {err}"))
}

fn s3_error<E, R>(what: &str, err: SdkError<E, R>) -> ApiError
where
    E: std::error::Error + Send + Sync + 'static,
    R: fmt::Debug + Send + Sync + 'static,
{
    unavailable(what, DisplayErrorContext(err))
}

impl Storage {
    /// The backend the configuration asks for. `fallback_secret` (the JWT signing key's bytes)
    /// keys the disk backend's upload tokens when `FILES_SIGNING_KEY` is not set; with neither, a
    /// random key is used and upload URLs die with the process.
    pub async fn from_config(
        config: &Config,
        fallback_secret: Option<&[u8]>,
    ) -> anyhow::Result<Storage> {
        let cfg = &config.storage;
        if let Some(s3) = &cfg.s3 {
            return Storage::s3(s3, cfg.public_url.as_deref()).await;
        }
        let secret: Vec<u8> = match (&cfg.signing_key, fallback_secret) {
            (Some(key), _) => key.expose_secret().as_bytes().to_vec(),
            (None, Some(secret)) => secret.to_vec(),
            (None, None) => {
                tracing::debug!(
                    "no FILES_SIGNING_KEY or JWT key: upload URLs last this process only"
                );
                let mut bytes = [0u8; 32];
                SystemRandom::new()
                    .fill(&mut bytes)
                    .map_err(|_| anyhow::anyhow!("the system random source failed"))?;
                bytes.to_vec()
            }
        };
        let base = cfg
            .public_url
            .clone()
            .unwrap_or_else(|| own_address(config.bind));
        Ok(Storage::disk(cfg.files_dir.clone(), base, &secret))
    }

    /// Files under `root`, served and received by this server at `{public_base}/files/…`.
    /// Upload tokens are signed with a key derived from `secret`.
    pub fn disk(root: PathBuf, public_base: impl Into<String>, secret: &[u8]) -> Storage {
        // A key of its own: a token for files can never be mistaken for anything else signed
        // with the same secret.
        let derived = hmac::sign(
            &hmac::Key::new(HMAC_SHA256, secret),
            b"gamarriando/files/upload-token/v1",
        );
        Storage(Arc::new(Backend::Disk(Box::new(Disk {
            root,
            public_base: public_base.into().trim_end_matches('/').to_string(),
            signing_key: hmac::Key::new(HMAC_SHA256, derived.as_ref()),
        }))))
    }

    /// A bucket on S3 or an S3-compatible server. Nothing is contacted here.
    pub async fn s3(cfg: &S3Config, public_url: Option<&str>) -> anyhow::Result<Storage> {
        let mut loader = aws_config::defaults(aws_config::BehaviorVersion::latest())
            .region(Region::new(cfg.region.clone()));
        if let (Some(id), Some(secret)) = (&cfg.access_key_id, &cfg.secret_access_key) {
            loader = loader.credentials_provider(Credentials::new(
                id,
                secret.expose_secret(),
                None,
                None,
                "gamarriando-config",
            ));
        }
        let shared = loader.load().await;
        let mut builder = aws_sdk_s3::config::Builder::from(&shared)
            .force_path_style(cfg.force_path_style)
            // Checksums only where S3 requires them: presigned uploads carry no body checksum,
            // and S3-compatible servers do not all know the newer algorithms.
            .request_checksum_calculation(RequestChecksumCalculation::WhenRequired)
            .response_checksum_validation(ResponseChecksumValidation::WhenRequired);
        if let Some(endpoint) = &cfg.endpoint {
            builder = builder.endpoint_url(endpoint);
        }
        let public_base = match (public_url, &cfg.endpoint) {
            (Some(base), _) => base.to_string(),
            (None, Some(endpoint)) if cfg.force_path_style => format!("{endpoint}/{}", cfg.bucket),
            (None, Some(endpoint)) => match endpoint.split_once("://") {
                Some((scheme, host)) => format!("{scheme}://{}.{host}", cfg.bucket),
                None => format!("{endpoint}/{}", cfg.bucket),
            },
            (None, None) => format!("https://{}.s3.{}.amazonaws.com", cfg.bucket, cfg.region),
        };
        Ok(Storage(Arc::new(Backend::S3(S3 {
            client: aws_sdk_s3::Client::from_conf(builder.build()),
            bucket: cfg.bucket.clone(),
            public_base: public_base.trim_end_matches('/').to_string(),
        }))))
    }

    pub fn is_s3(&self) -> bool {
        matches!(&*self.0, Backend::S3(_))
    }

    /// Creates the bucket when it does not exist (S3); nothing to do on disk.
    pub async fn ensure_bucket(&self) -> Result<(), ApiError> {
        let Backend::S3(s3) = &*self.0 else {
            return Ok(());
        };
        if s3
            .client
            .head_bucket()
            .bucket(&s3.bucket)
            .send()
            .await
            .is_ok()
        {
            return Ok(());
        }
        match s3.client.create_bucket().bucket(&s3.bucket).send().await {
            Ok(_) => Ok(()),
            Err(SdkError::ServiceError(e))
                if matches!(
                    e.err().code(),
                    Some("BucketAlreadyOwnedByYou" | "BucketAlreadyExists")
                ) =>
            {
                Ok(())
            }
            Err(e) => Err(s3_error("create bucket", e)),
        }
    }

    /// A URL that lets a client PUT exactly one object: this key, this content type, at most
    /// `content_length` bytes (on S3 exactly: the length is signed), until `ttl` has passed.
    pub async fn presign_upload(
        &self,
        key: &str,
        content_type: &str,
        content_length: u64,
        ttl: Duration,
    ) -> Result<UploadTicket, ApiError> {
        if !is_valid_key(key) {
            return Err(ApiError::internal(anyhow::anyhow!(
                "invalid storage key {key:?}"
            )));
        }
        let content_type = media_type(content_type);
        let expires_at = OffsetDateTime::now_utc() + ttl;
        match &*self.0 {
            Backend::Disk(d) => {
                let claim = UploadClaim {
                    k: key.to_string(),
                    ct: content_type.clone(),
                    n: content_length,
                    exp: expires_at.unix_timestamp(),
                };
                Ok(UploadTicket {
                    url: format!("{}/files/upload/{}", d.public_base, d.sign(&claim)?),
                    method: "PUT".into(),
                    headers: BTreeMap::from([("content-type".to_string(), content_type)]),
                    expires_at,
                })
            }
            Backend::S3(s3) => {
                let presigning = PresigningConfig::expires_in(ttl).map_err(ApiError::internal)?;
                let length = i64::try_from(content_length).map_err(ApiError::internal)?;
                let req = s3
                    .client
                    .put_object()
                    .bucket(&s3.bucket)
                    .key(key)
                    .content_type(&content_type)
                    .content_length(length)
                    .presigned(presigning)
                    .await
                    .map_err(|e| s3_error("presign", e))?;
                Ok(UploadTicket {
                    url: req.uri().to_string(),
                    method: req.method().to_string(),
                    headers: req
                        .headers()
                        .map(|(k, v)| (k.to_ascii_lowercase(), v.to_string()))
                        .collect(),
                    expires_at,
                })
            }
        }
    }

    /// Size and content type of the object at `key`; `None` when there is none.
    pub async fn head(&self, key: &str) -> Result<Option<ObjectInfo>, ApiError> {
        if !is_valid_key(key) {
            return Ok(None);
        }
        match &*self.0 {
            Backend::Disk(d) => d.head(key).await,
            Backend::S3(s3) => {
                match s3
                    .client
                    .head_object()
                    .bucket(&s3.bucket)
                    .key(key)
                    .send()
                    .await
                {
                    Ok(out) => Ok(Some(ObjectInfo {
                        size: out.content_length().unwrap_or(0).max(0) as u64,
                        content_type: out.content_type().map(str::to_string),
                    })),
                    Err(SdkError::ServiceError(e))
                        if e.err().is_not_found() || e.raw().status().as_u16() == 404 =>
                    {
                        Ok(None)
                    }
                    Err(e) => Err(s3_error("head", e)),
                }
            }
        }
    }

    /// Removes the object at `key`; a missing object is not an error.
    pub async fn delete(&self, key: &str) -> Result<(), ApiError> {
        if !is_valid_key(key) {
            return Ok(());
        }
        match &*self.0 {
            Backend::Disk(d) => {
                let path = d.path(key);
                for p in [meta_path(&path), path] {
                    match tokio::fs::remove_file(&p).await {
                        Ok(()) => {}
                        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                        Err(e) => return Err(unavailable("delete", e)),
                    }
                }
                Ok(())
            }
            Backend::S3(s3) => s3
                .client
                .delete_object()
                .bucket(&s3.bucket)
                .key(key)
                .send()
                .await
                .map(|_| ())
                .map_err(|e| s3_error("delete", e)),
        }
    }

    /// Deletes every key, logging failures instead of answering with them: for cleanup after a
    /// committed change, when the rows are already gone and an orphaned file is the worst case.
    pub async fn delete_quietly(&self, keys: impl IntoIterator<Item = impl AsRef<str>>) {
        for key in keys {
            if let Err(e) = self.delete(key.as_ref()).await {
                tracing::warn!(key = key.as_ref(), error = %e, "stored object left behind");
            }
        }
    }

    /// Where the public reads the object at `key`.
    pub fn public_url(&self, key: &str) -> String {
        match &*self.0 {
            Backend::Disk(d) => format!("{}/files/{key}", d.public_base),
            Backend::S3(s3) => format!("{}/{key}", s3.public_base),
        }
    }
}

/// `http://{bind}`, with `localhost` for an unspecified address.
fn own_address(bind: SocketAddr) -> String {
    if bind.ip().is_unspecified() {
        format!("http://localhost:{}", bind.port())
    } else {
        format!("http://{bind}")
    }
}

/// What an upload token allows: key, content type, maximum size, expiry (unix seconds).
#[derive(Debug, Serialize, Deserialize, PartialEq, Eq)]
struct UploadClaim {
    k: String,
    ct: String,
    n: u64,
    exp: i64,
}

#[derive(Debug, Serialize, Deserialize)]
struct Meta {
    content_type: String,
}

fn meta_path(path: &Path) -> PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(".meta");
    PathBuf::from(s)
}

impl Disk {
    fn path(&self, key: &str) -> PathBuf {
        debug_assert!(is_valid_key(key));
        key.split('/').fold(self.root.clone(), |p, seg| p.join(seg))
    }

    fn sign(&self, claim: &UploadClaim) -> Result<String, ApiError> {
        let payload =
            URL_SAFE_NO_PAD.encode(serde_json::to_vec(claim).map_err(ApiError::internal)?);
        let tag = hmac::sign(&self.signing_key, payload.as_bytes());
        Ok(format!(
            "{payload}.{}",
            URL_SAFE_NO_PAD.encode(tag.as_ref())
        ))
    }

    /// The claim of a token signed by us and not expired.
    fn verify(&self, token: &str) -> Option<UploadClaim> {
        let (payload, tag) = token.split_once('.')?;
        let tag = URL_SAFE_NO_PAD.decode(tag).ok()?;
        hmac::verify(&self.signing_key, payload.as_bytes(), &tag).ok()?;
        let claim: UploadClaim =
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).ok()?).ok()?;
        (claim.exp > OffsetDateTime::now_utc().unix_timestamp() && is_valid_key(&claim.k))
            .then_some(claim)
    }

    async fn head(&self, key: &str) -> Result<Option<ObjectInfo>, ApiError> {
        let path = self.path(key);
        let size = match tokio::fs::metadata(&path).await {
            Ok(m) if m.is_file() => m.len(),
            Ok(_) => return Ok(None),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(unavailable("head", e)),
        };
        let content_type = tokio::fs::read(meta_path(&path))
            .await
            .ok()
            .and_then(|b| serde_json::from_slice::<Meta>(&b).ok())
            .map(|m| m.content_type);
        Ok(Some(ObjectInfo { size, content_type }))
    }

    /// Streams `body` to `key`, refusing it once it passes `max` bytes. Readers see the old file
    /// or the new one, never half of one: both land in a temporary file first, then are renamed.
    async fn write(
        &self,
        key: &str,
        content_type: &str,
        max: u64,
        body: Body,
    ) -> Result<u64, ApiError> {
        let tmp_dir = self.root.join(".tmp");
        tokio::fs::create_dir_all(&tmp_dir)
            .await
            .map_err(|e| unavailable("create dir", e))?;
        let tmp = tmp_dir.join(Uuid::new_v4().simple().to_string());
        let result = self.write_tmp(&tmp, max, body).await;
        let finish = async {
            let size = result?;
            let path = self.path(key);
            if let Some(parent) = path.parent() {
                tokio::fs::create_dir_all(parent)
                    .await
                    .map_err(|e| unavailable("create dir", e))?;
            }
            let meta_tmp = tmp.with_extension("meta");
            let meta = serde_json::to_vec(&Meta {
                content_type: content_type.to_string(),
            })
            .map_err(ApiError::internal)?;
            tokio::fs::write(&meta_tmp, meta)
                .await
                .map_err(|e| unavailable("write", e))?;
            tokio::fs::rename(&meta_tmp, meta_path(&path))
                .await
                .map_err(|e| unavailable("rename", e))?;
            tokio::fs::rename(&tmp, &path)
                .await
                .map_err(|e| unavailable("rename", e))?;
            Ok(size)
        };
        let out = finish.await;
        if out.is_err() {
            let _ = tokio::fs::remove_file(&tmp).await;
            let _ = tokio::fs::remove_file(tmp.with_extension("meta")).await;
        }
        out
    }

    async fn write_tmp(&self, tmp: &Path, max: u64, body: Body) -> Result<u64, ApiError> {
        let mut file = tokio::fs::File::create(tmp)
            .await
            .map_err(|e| unavailable("create", e))?;
        let mut stream = body.into_data_stream();
        let mut size = 0u64;
        while let Some(chunk) = stream.next().await {
            let chunk = chunk.map_err(|e| ApiError::Malformed(e.to_string()))?;
            size += chunk.len() as u64;
            if size > max {
                return Err(ApiError::PayloadTooLarge);
            }
            file.write_all(&chunk)
                .await
                .map_err(|e| unavailable("write", e))?;
        }
        file.flush().await.map_err(|e| unavailable("write", e))?;
        Ok(size)
    }
}

/// The disk backend's routes, outside any tenant (like `/health`): the token or the key itself
/// is the authorization, as with presigned S3 URLs.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/files/upload/{token}", put(upload_file))
        .route("/files/{*key}", get(get_file))
}

fn disk(state: &AppState) -> Result<&Disk, ApiError> {
    match &*state.storage.0 {
        Backend::Disk(d) => Ok(d),
        Backend::S3(_) => Err(ApiError::NotFound),
    }
}

/// Receives one upload allowed by a token from [`Storage::presign_upload`].
async fn upload_file(
    State(state): State<AppState>,
    UrlPath(token): UrlPath<String>,
    headers: HeaderMap,
    body: Body,
) -> Result<StatusCode, ApiError> {
    let d = disk(&state)?;
    let claim = d.verify(&token).ok_or(ApiError::Rejected {
        status: StatusCode::FORBIDDEN,
        code: "upload_url_invalid",
    })?;
    let sent_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(media_type);
    if sent_type.as_deref() != Some(claim.ct.as_str()) {
        return Err(ApiError::Rejected {
            status: StatusCode::UNSUPPORTED_MEDIA_TYPE,
            code: "upload_content_type_mismatch",
        });
    }
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > claim.n) {
        return Err(ApiError::PayloadTooLarge);
    }
    d.write(&claim.k, &claim.ct, claim.n, body).await?;
    Ok(StatusCode::OK)
}

/// Serves a stored file with the content type it was uploaded with.
async fn get_file(
    State(state): State<AppState>,
    UrlPath(key): UrlPath<String>,
) -> Result<Response, ApiError> {
    let d = disk(&state)?;
    if !is_valid_key(&key) {
        return Err(ApiError::NotFound);
    }
    let Some(info) = d.head(&key).await? else {
        return Err(ApiError::NotFound);
    };
    let file = match tokio::fs::File::open(d.path(&key)).await {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Err(ApiError::NotFound),
        Err(e) => return Err(unavailable("open", e)),
    };
    // Chunks of the file until its end; a read error ends the body early.
    let stream = futures::stream::unfold(Some(file), |file| async move {
        let mut file = file?;
        let mut buf = vec![0u8; 64 * 1024];
        match file.read(&mut buf).await {
            Ok(0) => None,
            Ok(n) => {
                buf.truncate(n);
                Some((Ok(Bytes::from(buf)), Some(file)))
            }
            Err(e) => Some((Err::<Bytes, _>(e), None)),
        }
    });
    let content_type = info
        .content_type
        .and_then(|ct| HeaderValue::from_str(&ct).ok())
        .unwrap_or(HeaderValue::from_static("application/octet-stream"));
    Ok((
        [
            (header::CONTENT_TYPE, content_type),
            (header::CONTENT_LENGTH, HeaderValue::from(info.size)),
            // Keys are never reused: a file never changes under its URL.
            (
                header::CACHE_CONTROL,
                HeaderValue::from_static("public, max-age=31536000, immutable"),
            ),
            // Opened directly, a file is inert: no scripts, no styles, no frames.
            (
                header::CONTENT_SECURITY_POLICY,
                HeaderValue::from_static("default-src 'none'; sandbox"),
            ),
        ],
        Body::from_stream(stream),
    )
        .into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys() {
        let t = Uuid::nil();
        let key = tenant_key(t, &["products", "p1", "i1.png"]);
        assert_eq!(key, format!("t/{t}/products/p1/i1.png"));
        assert!(is_tenant_key(t, &key));
        assert!(!is_tenant_key(Uuid::max(), &key));
        for bad in [
            "",
            "t/../x",
            "t/./x",
            "/t/x",
            "t//x",
            "t/x/",
            "t/.hidden",
            "t/x.png.meta",
            "t/a b",
            "t/a\\b",
            "t/%2e%2e",
        ] {
            assert!(!is_valid_key(bad), "{bad:?}");
        }
        assert!(is_valid_key("t/abc-1_2/x.jpeg"));
        assert_eq!(media_type("Image/PNG; charset=x"), "image/png");
    }

    #[test]
    fn tokens_are_signed_and_expire() {
        let s = Storage::disk(PathBuf::from("/nonexistent"), "http://x", b"secret");
        let Backend::Disk(d) = &*s.0 else {
            unreachable!()
        };
        let claim = UploadClaim {
            k: "t/a/b.png".into(),
            ct: "image/png".into(),
            n: 10,
            exp: OffsetDateTime::now_utc().unix_timestamp() + 60,
        };
        let token = d.sign(&claim).unwrap();
        assert_eq!(d.verify(&token), Some(claim));

        // Another secret does not accept it; a changed payload fails the signature.
        let other = Storage::disk(PathBuf::from("/nonexistent"), "http://x", b"other");
        let Backend::Disk(o) = &*other.0 else {
            unreachable!()
        };
        assert_eq!(o.verify(&token), None);
        let (payload, tag) = token.split_once('.').unwrap();
        let forged = URL_SAFE_NO_PAD.encode(
            serde_json::to_vec(&UploadClaim {
                k: "t/a/b.png".into(),
                ct: "image/png".into(),
                n: 10_000_000,
                exp: i64::MAX,
            })
            .unwrap(),
        );
        assert_eq!(d.verify(&format!("{forged}.{tag}")), None);
        assert_eq!(d.verify(payload), None);

        let expired = d
            .sign(&UploadClaim {
                k: "t/a/b.png".into(),
                ct: "image/png".into(),
                n: 10,
                exp: OffsetDateTime::now_utc().unix_timestamp() - 1,
            })
            .unwrap();
        assert_eq!(d.verify(&expired), None);
    }

    #[test]
    fn debug_shows_no_secret() {
        let s = Storage::disk(PathBuf::from("/srv/files"), "http://x/", b"hunter2");
        let dbg = format!("{s:?}");
        assert!(
            dbg.contains("/srv/files") && !dbg.contains("hunter2"),
            "{dbg}"
        );
        assert_eq!(s.public_url("t/a/b.png"), "http://x/files/t/a/b.png");
    }
}
