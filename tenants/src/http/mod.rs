//! The platform-staff tenant admin API (`/api/v1/platform/tenants`). It exists only on the
//! platform host: on a marketplace host every route answers 404, whatever the token.

use axum::{extract::FromRequestParts, http::request::Parts};
use kernel::{ApiError, AppState, RequestCtx};
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
