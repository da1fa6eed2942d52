//! HTTP idempotency: a write sent again with the same `Idempotency-Key` gets the first response
//! instead of being done twice.
//!
//! Explicit in the handler, like the tenant transaction it replaces:
//!
//! ```ignore
//! pub async fn create_order(ctx: RequestCtx, State(state): State<AppState>, key: IdempotencyKey,
//!     AppJson(body): AppJson<NewOrder>) -> Result<StoredResponse, ApiError> {
//!     let mut guard = match idempotency::begin(&state.db, &ctx, &key, &body).await? {
//!         Begun::Replay(first) => return Ok(first),      // the stored status, headers and body
//!         Begun::Fresh(guard) => guard,                  // a tenant transaction, key locked
//!     };
//!     let order = repo::orders::insert(guard.conn(), &body).await?;
//!     outbox::emit(guard.conn(), ctx.tenant.id, &Event::new("order.placed", order.id, json!({}))).await?;
//!     guard.complete(StatusCode::CREATED, &order).await  // record + COMMIT, one transaction
//! }
//! ```
//!
//! The record is bound to the tenant, the caller (the user, or "guest"), the key and a SHA-256 of
//! the operation (method, path and query) and the parsed request, so formatting and key order of
//! the JSON do not matter. Outcomes, following the IETF `Idempotency-Key` header draft:
//! * no record: the handler does the work; [`Guard::complete`] writes the record in the same
//!   transaction as the work, so a committed write always has its record and a rolled-back one
//!   (an error, a crash) never has — the retry does the work;
//! * a record of the same request: its response, byte for byte, with `Idempotent-Replayed: true`;
//! * a record of another request: 422 `idempotency_key_reused`;
//! * the same key in flight: the duplicate waits (an advisory lock the first request holds until
//!   it commits) and then replays; after [`Options::wait`] it gets 409
//!   `idempotency_key_in_progress`;
//! * header missing where required: 400 `idempotency_key_required`; malformed (not 1–255
//!   printable ASCII characters): 400 `idempotency_key_invalid`.
//!
//! Records expire after [`Options::ttl`] (24 h): then the key is free again. [`purge_expired`]
//! deletes old records; expired ones are ignored until then.
//!
//! A guest's key is shared by every guest of the tenant (there is no one else to bind it to);
//! an identical request with it replays the first response. Keys must be unguessable (UUIDs).

use std::time::Duration;

use axum::{
    body::{Body, Bytes},
    extract::{FromRequestParts, OriginalUri},
    http::{HeaderName, HeaderValue, StatusCode, header, request::Parts},
    response::{IntoResponse, Response},
};
use serde::Serialize;
use serde_json::Value;
use sha2::{Digest, Sha256};
use sqlx::PgConnection;
use utoipa::{
    IntoParams,
    openapi::{
        Required,
        path::{Parameter, ParameterBuilder, ParameterIn},
        schema::{ObjectBuilder, Type},
    },
};
use uuid::Uuid;

use crate::{
    db::{Db, Settings, TenantTx},
    error::ApiError,
    request::RequestCtx,
};

/// The request header.
pub const HEADER: &str = "idempotency-key";
/// Set on a replayed response.
pub const REPLAYED_HEADER: &str = "idempotent-replayed";
pub const MAX_KEY_LEN: usize = 255;

/// How long a record lives, how long a duplicate waits for the request in flight, and settings
/// the work's transaction starts with ([`Db::begin_scoped_with`]).
#[derive(Clone, Copy, Debug)]
pub struct Options {
    pub ttl: Duration,
    pub wait: Duration,
    pub settings: Settings,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            ttl: Duration::from_secs(24 * 60 * 60),
            wait: Duration::from_secs(10),
            settings: &[],
        }
    }
}

/// A valid `Idempotency-Key` and the operation it was sent to (`POST /api/v1/orders`).
/// As an extractor it is required (400 `idempotency_key_required` without it); use
/// [`MaybeIdempotencyKey`] where it is optional. Both document the header in OpenAPI
/// (`params(IdempotencyKey)`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IdempotencyKey {
    key: String,
    operation: String,
}

impl IdempotencyKey {
    /// Validates `key` (1–255 printable ASCII characters) sent to `operation`, which names what
    /// the request does: the extractor uses the method, path and query.
    pub fn new(key: &str, operation: impl Into<String>) -> Result<Self, ApiError> {
        if key.is_empty()
            || key.len() > MAX_KEY_LEN
            || !key.bytes().all(|b| (0x20..=0x7e).contains(&b))
        {
            return Err(ApiError::bad_request("idempotency_key_invalid"));
        }
        Ok(Self {
            key: key.to_string(),
            operation: operation.into(),
        })
    }

    pub fn as_str(&self) -> &str {
        &self.key
    }

    pub fn operation(&self) -> &str {
        &self.operation
    }

    /// SHA-256 of the operation and `request` as JSON: what a retry must repeat exactly.
    pub fn fingerprint(&self, request: &impl Serialize) -> Result<[u8; 32], ApiError> {
        let json = serde_json::to_vec(request).map_err(ApiError::internal)?;
        let mut h = Sha256::new();
        h.update((self.operation.len() as u64).to_be_bytes());
        h.update(self.operation.as_bytes());
        h.update(&json);
        Ok(h.finalize().into())
    }

    fn from_parts(parts: &Parts) -> Result<Option<Self>, ApiError> {
        let Some(value) = parts.headers.get(HEADER) else {
            return Ok(None);
        };
        let key = value
            .to_str()
            .map_err(|_| ApiError::bad_request("idempotency_key_invalid"))?;
        let uri = parts
            .extensions
            .get::<OriginalUri>()
            .map_or(&parts.uri, |o| &o.0);
        let target = uri.path_and_query().map_or(uri.path(), |pq| pq.as_str());
        Self::new(key, format!("{} {target}", parts.method)).map(Some)
    }

    fn param(required: bool) -> Parameter {
        ParameterBuilder::new()
            .name("Idempotency-Key")
            .parameter_in(ParameterIn::Header)
            .required(if required {
                Required::True
            } else {
                Required::False
            })
            .description(Some(
                "A unique value (a UUID) per operation. A retry with the same key and the same \
                 request gets the first response again (`Idempotent-Replayed: true`) instead of \
                 repeating the operation; the same key with another request is refused (422), \
                 and while the first is in progress a retry waits for it or gets 409. Keys are \
                 scoped to the caller and kept 24 hours.",
            ))
            .schema(Some(
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .min_length(Some(1))
                    .max_length(Some(MAX_KEY_LEN))
                    .pattern(Some("^[\\x20-\\x7E]+$")),
            ))
            .build()
    }
}

impl<S: Send + Sync> FromRequestParts<S> for IdempotencyKey {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Self::from_parts(parts)?.ok_or(ApiError::bad_request("idempotency_key_required"))
    }
}

impl IntoParams for IdempotencyKey {
    fn into_params(_: impl Fn() -> Option<ParameterIn>) -> Vec<Parameter> {
        vec![Self::param(true)]
    }
}

/// An optional `Idempotency-Key` (a malformed one is still refused).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MaybeIdempotencyKey(pub Option<IdempotencyKey>);

impl<S: Send + Sync> FromRequestParts<S> for MaybeIdempotencyKey {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        IdempotencyKey::from_parts(parts).map(MaybeIdempotencyKey)
    }
}

impl IntoParams for MaybeIdempotencyKey {
    fn into_params(_: impl Fn() -> Option<ParameterIn>) -> Vec<Parameter> {
        vec![IdempotencyKey::param(false)]
    }
}

/// A response as recorded: status, headers and the exact body bytes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredResponse {
    pub status: StatusCode,
    pub headers: Vec<(HeaderName, HeaderValue)>,
    pub body: Bytes,
    /// True when this is the replay of an earlier response.
    pub replayed: bool,
}

impl StoredResponse {
    /// `body` as JSON.
    pub fn json(status: StatusCode, body: &impl Serialize) -> Result<Self, ApiError> {
        Ok(Self {
            status,
            headers: vec![(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            )],
            body: serde_json::to_vec(body).map_err(ApiError::internal)?.into(),
            replayed: false,
        })
    }

    /// Adds a header to record and replay (`Location`, …).
    pub fn with_header(mut self, name: HeaderName, value: HeaderValue) -> Self {
        self.headers.push((name, value));
        self
    }

    fn headers_json(&self) -> Value {
        Value::Array(
            self.headers
                .iter()
                .filter_map(|(n, v)| {
                    let v = v.to_str().ok()?;
                    Some(Value::Array(vec![n.as_str().into(), v.into()]))
                })
                .collect(),
        )
    }

    fn from_record(status: i32, headers: &Value, body: Vec<u8>) -> Result<Self, ApiError> {
        let status = u16::try_from(status)
            .ok()
            .and_then(|s| StatusCode::from_u16(s).ok())
            .ok_or_else(|| ApiError::internal(anyhow::anyhow!("stored status {status}")))?;
        let headers = headers
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|pair| {
                let name = HeaderName::from_bytes(pair.get(0)?.as_str()?.as_bytes()).ok()?;
                let value = HeaderValue::from_str(pair.get(1)?.as_str()?).ok()?;
                Some((name, value))
            })
            .collect();
        Ok(Self {
            status,
            headers,
            body: body.into(),
            replayed: true,
        })
    }
}

impl IntoResponse for StoredResponse {
    fn into_response(self) -> Response {
        let mut res = Response::new(Body::from(self.body));
        *res.status_mut() = self.status;
        for (name, value) in self.headers {
            res.headers_mut().append(name, value);
        }
        if self.replayed {
            res.headers_mut()
                .insert(REPLAYED_HEADER, HeaderValue::from_static("true"));
        }
        res
    }
}

/// What [`begin`] found.
#[must_use]
pub enum Begun {
    /// The request was done before: answer with this.
    Replay(StoredResponse),
    /// Do the work through the guard, then [`Guard::complete`] it.
    Fresh(Guard),
}

/// A tenant transaction for the work, holding the key until it ends. Dropped without
/// [`complete`](Guard::complete) it rolls back, records nothing and frees the key.
#[must_use = "complete the guard to commit the work and record the response"]
pub struct Guard {
    tx: TenantTx,
    record: Option<Record>,
}

struct Record {
    tenant: Uuid,
    scope: String,
    key: String,
    hash: [u8; 32],
    ttl: Duration,
}

impl Guard {
    pub fn conn(&mut self) -> &mut PgConnection {
        self.tx.conn()
    }

    pub fn tx(&mut self) -> &mut TenantTx {
        &mut self.tx
    }

    /// Records `body` as JSON with `status` and commits the work with it.
    pub async fn complete(
        self,
        status: StatusCode,
        body: &impl Serialize,
    ) -> Result<StoredResponse, ApiError> {
        self.complete_with(StoredResponse::json(status, body)?)
            .await
    }

    /// Records `response` and commits the work with it, in one transaction.
    pub async fn complete_with(
        mut self,
        response: StoredResponse,
    ) -> Result<StoredResponse, ApiError> {
        self.record(&response).await?;
        self.commit().await?;
        Ok(response)
    }

    /// Writes the record of `response` now, in the work's transaction, and leaves the rest of
    /// the work to do before [`commit`](Self::commit): for a last step that holds contended
    /// locks until the commit (checkout's stock reservation), which should not wait for this
    /// write too. Whatever fails after it rolls the record back with the work.
    pub async fn record(&mut self, response: &StoredResponse) -> Result<(), ApiError> {
        if let Some(r) = self.record.take() {
            sqlx::query(
                "insert into idempotency_keys
                   (tenant_id, scope, key, request_hash, response_status, response_headers, response_body, expires_at)
                 values ($1, $2, $3, $4, $5, $6, $7, now() + $8)",
            )
            .bind(r.tenant)
            .bind(&r.scope)
            .bind(&r.key)
            .bind(&r.hash[..])
            .bind(i32::from(response.status.as_u16()))
            .bind(response.headers_json())
            .bind(&response.body[..])
            .bind(micros(r.ttl))
            .execute(self.tx.conn())
            .await?;
        }
        Ok(())
    }

    /// Commits the work and its record ([`record`](Self::record)).
    pub async fn commit(self) -> Result<(), ApiError> {
        self.tx.commit().await
    }

    /// The work's transaction, to end another way ([`TenantTx::commit_after`]) once the
    /// response is [recorded](Self::record).
    pub fn into_tx(self) -> TenantTx {
        self.tx
    }
}

/// Begins a request that requires a key, with the default [`Options`]. `request` is the parsed
/// body (or whatever defines the request besides its method, path and query).
pub async fn begin(
    db: &Db,
    ctx: &RequestCtx,
    key: &IdempotencyKey,
    request: &impl Serialize,
) -> Result<Begun, ApiError> {
    begin_with(db, ctx, Some(key), request, Options::default()).await
}

/// Like [`begin`] where the key is optional: without one the guard is a plain tenant
/// transaction and records nothing.
pub async fn begin_optional(
    db: &Db,
    ctx: &RequestCtx,
    key: Option<&IdempotencyKey>,
    request: &impl Serialize,
) -> Result<Begun, ApiError> {
    begin_with(db, ctx, key, request, Options::default()).await
}

pub async fn begin_with(
    db: &Db,
    ctx: &RequestCtx,
    key: Option<&IdempotencyKey>,
    request: &impl Serialize,
    options: Options,
) -> Result<Begun, ApiError> {
    let fingerprint = match key {
        Some(k) => k.fingerprint(request)?,
        None => [0; 32],
    };
    begin_scoped(db, ctx.tenant.id, ctx.user_id(), key, fingerprint, options).await
}

/// The core, for callers outside a request: the key of `user` (or a guest) in `tenant`, for a
/// request whose fingerprint is `fingerprint`.
pub async fn begin_scoped(
    db: &Db,
    tenant: Uuid,
    user: Option<Uuid>,
    key: Option<&IdempotencyKey>,
    fingerprint: [u8; 32],
    options: Options,
) -> Result<Begun, ApiError> {
    let mut tx = db.begin_scoped_with(tenant, user, options.settings).await?;
    let Some(key) = key else {
        return Ok(Begun::Fresh(Guard { tx, record: None }));
    };
    let scope = match user {
        Some(u) => format!("user:{u}"),
        None => "guest".to_string(),
    };
    let found: Option<(Vec<u8>, i32, Value, Vec<u8>)> = sqlx::query_as(
        "select request_hash, response_status, response_headers, response_body
           from idempotency_lookup($1, $2, $3)",
    )
    .bind(&scope)
    .bind(key.as_str())
    .bind(micros(options.wait))
    .fetch_optional(tx.conn())
    .await
    .map_err(|e| match &e {
        sqlx::Error::Database(d) if d.code().as_deref() == Some("55P03") => {
            ApiError::conflict("idempotency_key_in_progress")
        }
        _ => ApiError::from(e),
    })?;
    match found {
        None => Ok(Begun::Fresh(Guard {
            tx,
            record: Some(Record {
                tenant,
                scope,
                key: key.as_str().to_string(),
                hash: fingerprint,
                ttl: options.ttl,
            }),
        })),
        Some((hash, status, headers, body)) => {
            // Ends the transaction now: a waiting duplicate must not wait on this one too.
            tx.commit().await?;
            if hash != fingerprint {
                return Err(ApiError::Rejected {
                    status: StatusCode::UNPROCESSABLE_ENTITY,
                    code: "idempotency_key_reused",
                });
            }
            StoredResponse::from_record(status, &headers, body).map(Begun::Replay)
        }
    }
}

/// `d` to whole microseconds: PostgreSQL's `interval` refuses finer ones.
fn micros(d: Duration) -> Duration {
    Duration::from_micros(u64::try_from(d.as_micros()).unwrap_or(u64::MAX))
}

/// Deletes up to `limit` expired records visible in the transaction's scope (the platform scope:
/// every tenant's). Returns how many.
pub async fn purge_expired(conn: &mut PgConnection, limit: i32) -> Result<u64, sqlx::Error> {
    let n: i32 = sqlx::query_scalar("select idempotency_purge($1)")
        .bind(limit)
        .fetch_one(conn)
        .await?;
    Ok(u64::try_from(n).unwrap_or(0))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::Locale;

    #[test]
    fn keys_are_one_to_255_printable_ascii() {
        for ok in [
            "a",
            "0b6c7a1e-2f3d-4c5b-9a8e-7d6c5b4a3f2e",
            "with space~!",
            "x".repeat(255).as_str(),
        ] {
            assert!(IdempotencyKey::new(ok, "POST /x").is_ok(), "{ok}");
        }
        for bad in ["", "x".repeat(256).as_str(), "tab\there", "ñandú", "nl\n"] {
            let err = IdempotencyKey::new(bad, "POST /x").unwrap_err();
            assert_eq!(err.code().1, "idempotency_key_invalid", "{bad:?}");
        }
    }

    #[test]
    fn fingerprint_covers_operation_and_request() {
        let a = IdempotencyKey::new("k", "POST /api/v1/orders").unwrap();
        let b = IdempotencyKey::new("k", "POST /api/v1/payments").unwrap();
        let body = serde_json::json!({"qty": 1});
        assert_eq!(a.fingerprint(&body).unwrap(), a.fingerprint(&body).unwrap());
        assert_ne!(a.fingerprint(&body).unwrap(), b.fingerprint(&body).unwrap());
        assert_ne!(
            a.fingerprint(&body).unwrap(),
            a.fingerprint(&serde_json::json!({"qty": 2})).unwrap()
        );
    }

    #[test]
    fn stored_headers_round_trip() {
        let r = StoredResponse::json(StatusCode::CREATED, &serde_json::json!({"id": 1}))
            .unwrap()
            .with_header(
                header::LOCATION,
                HeaderValue::from_static("/api/v1/orders/1"),
            );
        let back = StoredResponse::from_record(201, &r.headers_json(), r.body.to_vec()).unwrap();
        assert_eq!(back.headers, r.headers);
        assert_eq!(back.body, r.body);
        assert!(back.replayed);
        let res = back.into_response();
        assert_eq!(res.headers()[REPLAYED_HEADER], "true");
        assert_eq!(res.headers()[header::CONTENT_TYPE], "application/json");
    }

    #[test]
    fn every_code_has_messages_in_every_locale() {
        for code in [
            "idempotency_key_required",
            "idempotency_key_invalid",
            "idempotency_key_reused",
            "idempotency_key_in_progress",
        ] {
            for l in Locale::ALL {
                assert!(l.has(&format!("problem-{code}-title")), "{l}: {code} title");
                assert!(
                    l.has(&format!("problem-{code}-detail")),
                    "{l}: {code} detail"
                );
            }
        }
    }
}
