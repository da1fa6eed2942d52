//! The per-request context: request id, tenant (from the `Host`), the verified caller, and the
//! negotiated locale. One middleware builds it; handlers read it through [`RequestCtx`].

use axum::{
    extract::{FromRequestParts, Request, State},
    http::{HeaderMap, header, request::Parts},
    middleware::Next,
    response::{IntoResponse, Response},
};
use uuid::Uuid;

use crate::{
    auth::Claims,
    error::ApiError,
    i18n::Locale,
    rbac::Rbac,
    state::AppState,
    tenant::{Tenant, TenantStatus, normalize_host},
};

pub const REQUEST_ID_HEADER: &str = "x-request-id";

/// What an error needs to render itself: the locale and request id of the request being served.
/// Set as a task-local by the middlewares, so `ApiError::into_response` can read it anywhere.
#[derive(Clone, Debug, Default)]
pub struct RequestScope {
    pub locale: Locale,
    pub request_id: Option<String>,
}

tokio::task_local! {
    static SCOPE: RequestScope;
}

impl RequestScope {
    pub fn current() -> RequestScope {
        SCOPE.try_with(Clone::clone).unwrap_or_default()
    }

    pub async fn run<F: Future>(self, fut: F) -> F::Output {
        SCOPE.scope(self, fut).await
    }
}

/// The signed-in caller, from a verified access token.
#[derive(Clone, Debug)]
pub struct Principal {
    pub user_id: Uuid,
    pub session_id: Uuid,
    pub roles: Vec<String>,
    pub locale: Option<String>,
}

impl From<Claims> for Principal {
    fn from(c: Claims) -> Self {
        Self {
            user_id: c.sub,
            session_id: c.sid,
            roles: c.roles,
            locale: c.lng,
        }
    }
}

/// Everything a handler knows about its request.
#[derive(Clone, Debug)]
pub struct RequestCtx {
    pub tenant: Tenant,
    pub principal: Option<Principal>,
    /// Set when a bearer token was presented but did not verify.
    pub auth_error: Option<&'static str>,
    pub locale: Locale,
    pub request_id: Option<String>,
    pub host: String,
    /// The client address as seen by the server (or the first `X-Forwarded-For` hop).
    pub client_ip: Option<String>,
    pub user_agent: Option<String>,
    pub rbac: Rbac,
}

impl RequestCtx {
    pub fn user_id(&self) -> Option<Uuid> {
        self.principal.as_ref().map(|p| p.user_id)
    }

    /// The signed-in caller, or 401.
    pub fn require_user(&self) -> Result<&Principal, ApiError> {
        if let Some(reason) = self.auth_error {
            return Err(ApiError::Unauthorized(reason));
        }
        self.principal
            .as_ref()
            .ok_or(ApiError::Unauthorized("sign-in required"))
    }

    /// The caller's effective roles: `guest` always, `customer` once signed in, plus grants.
    pub fn roles(&self) -> impl Iterator<Item = &str> {
        let signed_in = self.principal.is_some();
        std::iter::once("guest")
            .chain(signed_in.then_some("customer"))
            .chain(
                self.principal
                    .iter()
                    .flat_map(|p| p.roles.iter().map(String::as_str)),
            )
    }
}

impl<S: Send + Sync> FromRequestParts<S> for RequestCtx {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<RequestCtx>()
            .cloned()
            .ok_or_else(|| {
                ApiError::internal(anyhow::anyhow!(
                    "tenant middleware not installed on this route"
                ))
            })
    }
}

fn header_str(headers: &HeaderMap, name: impl header::AsHeaderName) -> Option<&str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

fn request_id(headers: &HeaderMap) -> Option<String> {
    header_str(headers, REQUEST_ID_HEADER).map(str::to_string)
}

/// For routes outside any tenant (`/health`, `/docs`): errors still render in the caller's language.
pub async fn scope_only(req: Request, next: Next) -> Response {
    let scope = RequestScope {
        locale: Locale::negotiate(
            header_str(req.headers(), header::ACCEPT_LANGUAGE),
            None,
            None,
        ),
        request_id: request_id(req.headers()),
    };
    scope.run(next.run(req)).await
}

/// Resolves the tenant from the `Host`, verifies a bearer token against it, negotiates the locale
/// and stores a [`RequestCtx`] for the handler.
pub async fn tenant_context(
    State(state): State<AppState>,
    mut req: Request,
    next: Next,
) -> Response {
    let headers = req.headers();
    let accept = header_str(headers, header::ACCEPT_LANGUAGE).map(str::to_string);
    let rid = request_id(headers);
    let mut scope = RequestScope {
        locale: Locale::negotiate(accept.as_deref(), None, None),
        request_id: rid.clone(),
    };

    let host = header_str(headers, header::HOST)
        .or_else(|| req.uri().host())
        .and_then(normalize_host);
    let tenant = match host.as_deref() {
        None => Err(ApiError::TenantNotFound),
        Some(h) => state
            .tenants
            .resolve(h)
            .await
            .and_then(|t| t.ok_or(ApiError::TenantNotFound)),
    };
    let tenant = match tenant {
        Ok(t) if t.status == TenantStatus::Suspended => Err(ApiError::TenantSuspended),
        other => other,
    };
    let tenant = match tenant {
        Ok(t) => t,
        Err(e) => return scope.run(async { e.into_response() }).await,
    };

    let (principal, auth_error) = match header_str(headers, header::AUTHORIZATION) {
        None => (None, None),
        Some(value) => match value.strip_prefix("Bearer ").map(str::trim) {
            Some(token) => match state.jwt.verify(token, tenant.id) {
                Ok(claims) => (Some(Principal::from(claims)), None),
                Err(reason) => (None, Some(reason)),
            },
            None => (None, Some("unsupported authorization scheme")),
        },
    };

    scope.locale = Locale::negotiate(
        accept.as_deref(),
        principal.as_ref().and_then(|p| p.locale.as_deref()),
        Some(tenant.default_locale.as_str()),
    );
    let ctx = RequestCtx {
        client_ip: client_ip(&req, state.config.trust_forwarded_for),
        user_agent: header_str(headers, header::USER_AGENT).map(|s| s.chars().take(255).collect()),
        host: host.unwrap_or_default(),
        tenant,
        principal,
        auth_error,
        locale: scope.locale,
        request_id: rid,
        rbac: state.rbac.clone(),
    };
    req.extensions_mut().insert(ctx);
    let locale = scope.locale;
    let mut res = scope.run(next.run(req)).await;
    res.headers_mut().insert(
        header::CONTENT_LANGUAGE,
        header::HeaderValue::from_static(locale.as_str()),
    );
    res
}

fn client_ip(req: &Request, trust_forwarded_for: bool) -> Option<String> {
    // Behind API Gateway / a load balancer the first X-Forwarded-For hop is the client.
    if trust_forwarded_for && let Some(xff) = header_str(req.headers(), "x-forwarded-for") {
        return xff
            .split(',')
            .next()
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty());
    }
    req.extensions()
        .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
        .map(|ci| ci.0.ip().to_string())
}
