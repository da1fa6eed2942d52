//! The platform-staff tenant admin API (`/api/v1/platform/tenants`). It exists only on the
//! platform host: on a marketplace host every route answers 404, whatever the token.

use axum::{
    body::Bytes,
    extract::{FromRequest, FromRequestParts, Request},
    http::{StatusCode, header, request::Parts},
};
use kernel::{ApiError, AppState, RequestCtx, extract::parse_json};
use serde::de::DeserializeOwned;
use utoipa_axum::router::OpenApiRouter;

pub mod domains;
pub mod tenants;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .merge(tenants::router())
        .merge(domains::router())
}

/// The request context, only when the request came to the platform host. First in every handler's
/// signature, so a marketplace host learns nothing (not even that the route exists) before the
/// permission check.
pub struct PlatformHost(pub RequestCtx);

impl<S: Send + Sync> FromRequestParts<S> for PlatformHost {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let ctx = RequestCtx::from_request_parts(parts, state).await?;
        if ctx.tenant.is_platform() {
            Ok(PlatformHost(ctx))
        } else {
            Err(ApiError::NotFound)
        }
    }
}

/// A JSON body that may be left out entirely (`POST …/suspend` with no body). A body that is
/// present gets exactly the treatment of `AppJson`: JSON content type, unknown fields refused.
pub struct OptionalJson<T>(pub Option<T>);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for OptionalJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let is_json = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .is_some_and(|mime| {
                let mime = mime.trim();
                mime == "application/json" || mime.ends_with("+json")
            });
        let bytes = Bytes::from_request(req, state).await.map_err(|e| {
            if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::PayloadTooLarge
            } else {
                ApiError::Malformed(e.body_text())
            }
        })?;
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Ok(OptionalJson(None));
        }
        if !is_json {
            return Err(ApiError::Rejected {
                status: StatusCode::UNSUPPORTED_MEDIA_TYPE,
                code: "unsupported_media_type",
            });
        }
        parse_json(&bytes).map(|v| OptionalJson(Some(v)))
    }
}
