//! Composition of the HTTP surface shared by every deployment: tenant context on the API,
//! operational routes, OpenAPI and docs, and the outer layers (request ids, tracing, CORS,
//! security headers, body limit, panics as problems).

use std::time::Duration;

use axum::{
    Json, Router,
    extract::{DefaultBodyLimit, State},
    http::{HeaderName, HeaderValue, Method, StatusCode, header},
    middleware::{from_fn, from_fn_with_state},
    response::IntoResponse,
    routing::get,
};
use serde::Serialize;
use tower_http::{
    catch_panic::CatchPanicLayer,
    cors::{AllowOrigin, CorsLayer},
    request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer},
    set_header::SetResponseHeaderLayer,
    trace::TraceLayer,
};
use utoipa::{OpenApi, ToSchema};
use utoipa_axum::router::OpenApiRouter;

use crate::{
    error::ApiError,
    request::{REQUEST_ID_HEADER, scope_only, tenant_context},
    state::AppState,
};

/// Splits the documented API router, puts the tenant context on it, adds ops, docs and layers.
/// The server, the Lambda entry, the `openapi` command and every integration test use this one
/// function, so they all serve the same thing.
pub fn compose(
    state: AppState,
    api: OpenApiRouter<AppState>,
) -> (Router, utoipa::openapi::OpenApi) {
    let (api, spec) = api.split_for_parts();
    let api = api.layer(from_fn_with_state(state.clone(), tenant_context));
    // Swagger UI is vendored into the binary: the docs page works with no internet.
    let ops = Router::new()
        .route("/health", get(health))
        .route("/ready", get(ready))
        .merge(utoipa_swagger_ui::SwaggerUi::new("/docs").url("/openapi.json", spec.clone()));
    let router = Router::new()
        .merge(api)
        .merge(ops)
        // The disk storage backend's uploads and downloads; like /health, outside any tenant.
        .merge(crate::storage::routes())
        .fallback(|| async { ApiError::NotFound })
        // Outside any tenant (ops routes, unknown paths) errors still speak the caller's language;
        // the tenant middleware refines the scope for API routes.
        .layer(from_fn(scope_only))
        .layer(DefaultBodyLimit::max(state.config.body_limit_bytes))
        .with_state(state.clone());
    (outer_layers(router, &state.config.cors_origins), spec)
}

fn outer_layers(router: Router, cors_origins: &[String]) -> Router {
    let request_id = HeaderName::from_static(REQUEST_ID_HEADER);
    let origins: Vec<HeaderValue> = cors_origins.iter().filter_map(|o| o.parse().ok()).collect();
    let cors = CorsLayer::new()
        .allow_origin(AllowOrigin::list(origins))
        .allow_methods([
            Method::GET,
            Method::POST,
            Method::PUT,
            Method::PATCH,
            Method::DELETE,
        ])
        .allow_headers([
            header::AUTHORIZATION,
            header::CONTENT_TYPE,
            header::ACCEPT_LANGUAGE,
            HeaderName::from_static("idempotency-key"),
        ])
        .expose_headers([request_id.clone()])
        .max_age(Duration::from_secs(600));
    let header = |name: HeaderName, value: &'static str| {
        SetResponseHeaderLayer::if_not_present(name, HeaderValue::from_static(value))
    };
    router
        .layer(CatchPanicLayer::custom(|_| {
            ApiError::internal(anyhow::anyhow!("handler panicked")).into_response()
        }))
        .layer(header(header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .layer(header(header::X_FRAME_OPTIONS, "DENY"))
        .layer(header(header::REFERRER_POLICY, "no-referrer"))
        .layer(header(header::STRICT_TRANSPORT_SECURITY, "max-age=63072000; includeSubDomains"))
        .layer(header(header::CACHE_CONTROL, "no-store"))
        .layer(cors)
        .layer(PropagateRequestIdLayer::new(request_id.clone()))
        .layer(TraceLayer::new_for_http().make_span_with(|req: &axum::http::Request<_>| {
            // The path only: query strings may carry tokens.
            let rid = req.headers().get(REQUEST_ID_HEADER).and_then(|v| v.to_str().ok()).unwrap_or("");
            tracing::info_span!("request", method = %req.method(), path = req.uri().path(), request_id = rid)
        }))
        .layer(SetRequestIdLayer::new(request_id, MakeRequestUuid))
}

#[derive(Serialize, ToSchema)]
pub struct Health {
    pub status: &'static str,
}

#[derive(Serialize, ToSchema)]
pub struct Readiness {
    pub status: &'static str,
    pub database: &'static str,
    pub cache: &'static str,
}

/// Alive: answers without touching any dependency.
#[utoipa::path(get, path = "/health", tag = "ops", responses((status = 200, body = Health)))]
pub async fn health() -> Json<Health> {
    Json(Health { status: "ok" })
}

/// Ready: the database and the cache answer.
#[utoipa::path(get, path = "/ready", tag = "ops", responses((status = 200, body = Readiness), (status = 503, body = Readiness)))]
pub async fn ready(State(state): State<AppState>) -> impl IntoResponse {
    let db_ok = state.db.ping().await.is_ok();
    let cache_ok = state.cache.ping().await.is_ok();
    let word = |ok| if ok { "ok" } else { "unavailable" };
    let status = if db_ok && cache_ok {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (
        status,
        Json(Readiness {
            status: word(db_ok && cache_ok),
            database: word(db_ok),
            cache: word(cache_ok),
        }),
    )
}

/// The operational routes, for the spec.
#[derive(OpenApi)]
#[openapi(paths(health, ready))]
pub struct OpsDoc;
