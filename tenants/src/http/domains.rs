//! Custom domains of a marketplace. A domain resolves to its marketplace only once verified.

use axum::{Json, extract::State, http::StatusCode};
use kernel::{
    ApiError, AppState,
    auth::new_opaque_token,
    error::{FieldError, on_constraint},
    extract::{AppJson, AppPath},
    rbac::Can,
};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

use super::PlatformHost;
use crate::{
    domain::{DomainName, normalize_domain, txt_record},
    permissions as perm, repo, resolver,
};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(add_tenant_domain, list_tenant_domains))
        .routes(routes!(remove_tenant_domain))
        .routes(routes!(verify_tenant_domain))
}

#[derive(Clone, Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewDomain {
    /// A fully-qualified domain the marketplace's owner controls, not under the platform domain.
    #[schema(example = "tienda.example.pe", max_length = 253)]
    pub domain: String,
}

/// A custom domain of a marketplace.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct DomainView {
    #[schema(example = "tienda.example.pe")]
    pub domain: String,
    /// Only a verified domain resolves to its marketplace.
    pub verified: bool,
    #[serde(with = "time::serde::rfc3339::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub verified_at: Option<OffsetDateTime>,
    /// The value the domain owner publishes in the TXT record `txt_record`.
    pub verification_token: String,
    /// Name of the DNS TXT record that proves control: `_gamarriando-verify.<domain>`.
    #[schema(example = "_gamarriando-verify.tienda.example.pe")]
    pub txt_record: String,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: OffsetDateTime,
}

impl From<repo::DomainRow> for DomainView {
    fn from(r: repo::DomainRow) -> Self {
        DomainView {
            txt_record: txt_record(&r.domain),
            verified: r.verified_at.is_some(),
            verified_at: r.verified_at,
            verification_token: r.verification_token,
            created_at: r.created_at,
            domain: r.domain,
        }
    }
}

/// Add a custom domain to a marketplace, unverified.
///
/// The answer carries the token the domain's owner must publish as a TXT record at `txt_record`;
/// the domain resolves to the marketplace only after `verify_tenant_domain`.
#[utoipa::path(
    post,
    path = "/api/v1/platform/tenants/{id}/domains",
    tag = "platform",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Tenant id")),
    request_body = NewDomain,
    responses(
        (status = 201, description = "Added, unverified", body = DomainView,
            links(
                ("verify_tenant_domain" = (operation_id = "verify_tenant_domain",
                    parameters(("id" = "$request.path.id"), ("domain" = "$response.body#/domain")))),
                ("remove_tenant_domain" = (operation_id = "remove_tenant_domain",
                    parameters(("id" = "$request.path.id"), ("domain" = "$response.body#/domain"))))
            )),
        (status = 400, description = "Unreadable body", body = kernel::error::Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid platform token", body = kernel::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not platform staff", body = kernel::error::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such marketplace", body = kernel::error::Problem, content_type = "application/problem+json"),
        (status = 409, description = "`domain_taken`", body = kernel::error::Problem, content_type = "application/problem+json"),
        (status = 415, description = "Not JSON", body = kernel::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid domain", body = kernel::error::Problem, content_type = "application/problem+json"),
    )
)]
pub async fn add_tenant_domain(
    PlatformHost(ctx): PlatformHost,
    _: Can<perm::ManageTenants>,
    State(state): State<AppState>,
    AppPath(id): AppPath<Uuid>,
    AppJson(body): AppJson<NewDomain>,
) -> Result<(StatusCode, Json<DomainView>), ApiError> {
    let domain = DomainName::parse(&body.domain, &state.config.platform_domain)
        .map_err(|code| ApiError::Validation(vec![FieldError::new("domain", code)]))?;
    let (token, _) = new_opaque_token();
    let mut tx = state.db.begin_for(&ctx).await?;
    repo::marketplace_row(tx.conn(), id)
        .await?
        .ok_or(ApiError::NotFound)?;
    // The platform scope sees every tenant's domains, so the primary key catches any holder.
    let row = repo::insert_domain(tx.conn(), id, domain.as_str(), &token)
        .await
        .map_err(on_constraint(
            "tenant_domains_pkey",
            ApiError::conflict("domain_taken"),
        ))?;
    tx.commit().await?;
    tracing::info!(tenant = %id, domain = %domain, by = ?ctx.user_id(), "tenant domain added");
    Ok((StatusCode::CREATED, Json(row.into())))
}

/// List a marketplace's custom domains, verified or not.
#[utoipa::path(
    get,
    path = "/api/v1/platform/tenants/{id}/domains",
    tag = "platform",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Tenant id")),
    responses(
        (status = 200, description = "The domains, by name", body = Vec<DomainView>),
        (status = 401, description = "No valid platform token", body = kernel::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not platform staff", body = kernel::error::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such marketplace", body = kernel::error::Problem, content_type = "application/problem+json"),
    )
)]
pub async fn list_tenant_domains(
    PlatformHost(ctx): PlatformHost,
    _: Can<perm::ReadTenants>,
    State(state): State<AppState>,
    AppPath(id): AppPath<Uuid>,
) -> Result<Json<Vec<DomainView>>, ApiError> {
    let mut tx = state.db.begin_for(&ctx).await?;
    repo::marketplace_row(tx.conn(), id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let rows = repo::list_domains(tx.conn(), id).await?;
    tx.commit().await?;
    Ok(Json(rows.into_iter().map(DomainView::from).collect()))
}

/// Mark a custom domain verified: from now on it resolves to the marketplace.
///
/// There is no live DNS check yet. Before calling this, platform staff confirm by hand that the
/// domain publishes a TXT record named `txt_record` (`_gamarriando-verify.<domain>`) whose value is
/// `verification_token` (e.g. `dig +short TXT _gamarriando-verify.tienda.example.pe`), and that the
/// domain points at the platform. Verifying a verified domain changes nothing.
#[utoipa::path(
    post,
    path = "/api/v1/platform/tenants/{id}/domains/{domain}/verify",
    tag = "platform",
    security(("bearer" = [])),
    params(
        ("id" = Uuid, Path, description = "Tenant id"),
        ("domain" = String, Path, description = "The custom domain"),
    ),
    responses(
        (status = 200, description = "Verified", body = DomainView),
        (status = 401, description = "No valid platform token", body = kernel::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not platform staff", body = kernel::error::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such marketplace or domain", body = kernel::error::Problem, content_type = "application/problem+json"),
    )
)]
pub async fn verify_tenant_domain(
    PlatformHost(ctx): PlatformHost,
    _: Can<perm::ManageTenants>,
    State(state): State<AppState>,
    AppPath((id, domain)): AppPath<(Uuid, String)>,
) -> Result<Json<DomainView>, ApiError> {
    let domain = normalize_domain(&domain);
    let mut tx = state.db.begin_for(&ctx).await?;
    let row = repo::verify_domain(tx.conn(), id, &domain)
        .await?
        .ok_or(ApiError::NotFound)?;
    tx.commit().await?;
    // A lookup before verification cached a miss for this host.
    resolver::invalidate_host(&state.cache, &domain).await;
    tracing::info!(tenant = %id, domain = %domain, by = ?ctx.user_id(), "tenant domain verified");
    Ok(Json(row.into()))
}

/// Remove a custom domain: it stops resolving at once.
#[utoipa::path(
    delete,
    path = "/api/v1/platform/tenants/{id}/domains/{domain}",
    tag = "platform",
    security(("bearer" = [])),
    params(
        ("id" = Uuid, Path, description = "Tenant id"),
        ("domain" = String, Path, description = "The custom domain"),
    ),
    responses(
        (status = 204, description = "Removed"),
        (status = 401, description = "No valid platform token", body = kernel::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not platform staff", body = kernel::error::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such marketplace or domain", body = kernel::error::Problem, content_type = "application/problem+json"),
    )
)]
pub async fn remove_tenant_domain(
    PlatformHost(ctx): PlatformHost,
    _: Can<perm::ManageTenants>,
    State(state): State<AppState>,
    AppPath((id, domain)): AppPath<(Uuid, String)>,
) -> Result<StatusCode, ApiError> {
    let domain = normalize_domain(&domain);
    let mut tx = state.db.begin_for(&ctx).await?;
    if !repo::delete_domain(tx.conn(), id, &domain).await? {
        return Err(ApiError::NotFound);
    }
    tx.commit().await?;
    resolver::invalidate_host(&state.cache, &domain).await;
    tracing::info!(tenant = %id, domain = %domain, by = ?ctx.user_id(), "tenant domain removed");
    Ok(StatusCode::NO_CONTENT)
}
