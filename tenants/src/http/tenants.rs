//! Tenants: create, list, read, change, suspend and reactivate marketplaces.
//!
//! The platform tenant itself is never listed, shown or changed here: every query is restricted to
//! `kind = 'marketplace'`, so its id is simply not found.

use axum::{
    Json,
    extract::State,
    http::{StatusCode, header},
};
use kernel::{
    ApiError, AppState,
    error::{FieldError, on_constraint},
    extract::{AppJson, AppPath, AppQuery, OptionalJson},
    i18n::Locale,
    pagination::{Page, PageQuery},
    rbac::Can,
    tenant::TenantStatus,
};
use serde::{Deserialize, Serialize};
use sqlx::PgConnection;
use time::OffsetDateTime;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

use super::PlatformHost;
use crate::{
    domain::{Currency, QUERY_MAX, REASON_MAX, Slug, TenantName},
    permissions as perm, repo, resolver,
};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_tenant, list_tenants))
        .routes(routes!(get_tenant, update_tenant))
        .routes(routes!(suspend_tenant))
        .routes(routes!(reactivate_tenant))
}

/// A new marketplace. Only these fields can be set: id, kind and status are the platform's.
#[derive(Clone, Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewTenant {
    /// The marketplace's subdomain (`{slug}.{PLATFORM_DOMAIN}`): a DNS label of 1–63 lowercase
    /// letters, digits or hyphens, not starting or ending with a hyphen, and not reserved.
    /// It cannot be changed later.
    #[schema(
        example = "gamarra",
        pattern = "^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$",
        max_length = 63
    )]
    pub slug: String,
    /// Display name, 1–200 characters.
    #[schema(example = "Gamarra Online", max_length = 200)]
    pub name: String,
    /// Language of the marketplace when the caller states none (default `es`).
    #[serde(default)]
    pub default_locale: Option<Locale>,
    /// ISO 4217 code of the marketplace's prices (default `PEN`).
    #[serde(default)]
    #[schema(example = "PEN", pattern = "^[A-Z]{3}$")]
    pub currency: Option<String>,
}

/// A validated [`NewTenant`].
struct ValidNewTenant {
    slug: Slug,
    name: TenantName,
    default_locale: Locale,
    currency: Currency,
}

impl NewTenant {
    /// Every field error at once, or the parsed values.
    fn validate(&self) -> Result<ValidNewTenant, ApiError> {
        let mut errors = Vec::new();
        let slug = Slug::parse(&self.slug)
            .map_err(|code| errors.push(FieldError::new("slug", code)))
            .ok();
        let name = TenantName::parse(&self.name)
            .map_err(|e| errors.push(e))
            .ok();
        let currency = Currency::parse(self.currency.as_deref().unwrap_or(Currency::DEFAULT))
            .map_err(|code| errors.push(FieldError::new("currency", code)))
            .ok();
        match (slug, name, currency) {
            (Some(slug), Some(name), Some(currency)) if errors.is_empty() => Ok(ValidNewTenant {
                slug,
                name,
                default_locale: self.default_locale.unwrap_or_default(),
                currency,
            }),
            _ => Err(ApiError::Validation(errors)),
        }
    }
}

/// Changes to a marketplace; absent fields keep their value.
///
/// The slug is deliberately not here: it *is* the marketplace's host. Renaming it would break every
/// link, bookmark and DNS record (custom domains CNAME to it) that points at the old host, and
/// would free that host for another tenant to take over.
#[derive(Clone, Debug, Default, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TenantPatch {
    #[schema(max_length = 200)]
    pub name: Option<String>,
    pub default_locale: Option<Locale>,
    #[schema(example = "USD", pattern = "^[A-Z]{3}$")]
    pub currency: Option<String>,
    /// Tax on goods and shipping, in basis points (1800 = 18 %), 0 to 10000.
    #[schema(minimum = 0, maximum = 10000, example = 1800)]
    pub tax_rate_bps: Option<i32>,
    /// Whether catalogue prices already include the tax.
    pub tax_inclusive: Option<bool>,
}

/// Why a marketplace is being suspended (kept for staff; never shown to its visitors).
#[derive(Clone, Debug, Default, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SuspendTenant {
    #[schema(max_length = 500)]
    pub reason: Option<String>,
}

/// A marketplace as platform staff see it.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct TenantView {
    pub id: Uuid,
    #[schema(example = "gamarra")]
    pub slug: String,
    #[schema(example = "Gamarra Online")]
    pub name: String,
    pub default_locale: Locale,
    #[schema(example = "PEN")]
    pub currency: String,
    /// Tax on goods and shipping, in basis points (1800 = 18 %).
    pub tax_rate_bps: i32,
    /// Whether catalogue prices already include the tax.
    pub tax_inclusive: bool,
    pub status: TenantStatus,
    /// Set while suspended, when a reason was given.
    pub suspended_reason: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: OffsetDateTime,
}

impl From<repo::TenantRow> for TenantView {
    fn from(r: repo::TenantRow) -> Self {
        TenantView {
            id: r.id,
            default_locale: Locale::parse(&r.default_locale).unwrap_or_default(),
            slug: r.slug,
            name: r.name,
            currency: r.currency,
            tax_rate_bps: r.tax_rate_bps,
            tax_inclusive: r.tax_inclusive,
            status: r.status,
            suspended_reason: r.suspended_reason,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TenantListQuery {
    /// Items per page, 1 to 100 (default 20).
    pub limit: Option<u32>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// Only tenants in this status.
    pub status: Option<TenantStatus>,
    /// Only tenants whose slug, or name (ignoring case), starts with this (at most 63 characters).
    pub q: Option<String>,
}

/// Validates and inserts a marketplace in a transaction that sees the registry (platform scope).
pub(crate) async fn insert_tenant(
    conn: &mut PgConnection,
    input: &NewTenant,
) -> Result<repo::TenantRow, ApiError> {
    let t = input.validate()?;
    repo::insert(
        conn,
        repo::NewTenantRow {
            id: Uuid::now_v7(),
            slug: t.slug.as_str(),
            name: t.name.as_str(),
            default_locale: t.default_locale,
            currency: t.currency.as_str(),
        },
    )
    .await
    .map_err(on_constraint(
        "tenants_slug_key",
        ApiError::conflict("slug_taken"),
    ))
}

/// Create a marketplace.
///
/// Its host `{slug}.{PLATFORM_DOMAIN}` answers as soon as this returns.
#[utoipa::path(
    post,
    path = "/api/v1/platform/tenants",
    tag = "platform",
    security(("bearer" = [])),
    request_body = NewTenant,
    responses(
        (status = 201, description = "Created", body = TenantView,
            headers(("location" = String, description = "URL of the new tenant")),
            links(("get_tenant" = (operation_id = "get_tenant", parameters(("id" = "$response.body#/id")))))),
        (status = 400, description = "Unreadable body", body = kernel::error::Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid platform token", body = kernel::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not platform staff", body = kernel::error::Problem, content_type = "application/problem+json"),
        (status = 404, description = "Not the platform host", body = kernel::error::Problem, content_type = "application/problem+json"),
        (status = 409, description = "`slug_taken`", body = kernel::error::Problem, content_type = "application/problem+json"),
        (status = 415, description = "Not JSON", body = kernel::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields", body = kernel::error::Problem, content_type = "application/problem+json"),
    )
)]
pub async fn create_tenant(
    PlatformHost(ctx): PlatformHost,
    _: Can<perm::ManageTenants>,
    State(state): State<AppState>,
    AppJson(body): AppJson<NewTenant>,
) -> Result<
    (
        StatusCode,
        [(header::HeaderName, String); 1],
        Json<TenantView>,
    ),
    ApiError,
> {
    let tenant =
        crate::api::create_tenant(&state.db, &state.cache, &state.config.platform_domain, body)
            .await?;
    tracing::info!(tenant = %tenant.id, by = ?ctx.user_id(), "tenant created by platform staff");
    let location = format!("/api/v1/platform/tenants/{}", tenant.id);
    Ok((
        StatusCode::CREATED,
        [(header::LOCATION, location)],
        Json(tenant),
    ))
}

/// List marketplaces, oldest first. The platform tenant is never listed.
#[utoipa::path(
    get,
    path = "/api/v1/platform/tenants",
    tag = "platform",
    security(("bearer" = [])),
    params(TenantListQuery),
    responses(
        (status = 200, description = "A page of tenants", body = Page<TenantView>),
        (status = 401, description = "No valid platform token", body = kernel::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not platform staff", body = kernel::error::Problem, content_type = "application/problem+json"),
        (status = 404, description = "Not the platform host", body = kernel::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid query", body = kernel::error::Problem, content_type = "application/problem+json"),
    )
)]
pub async fn list_tenants(
    PlatformHost(ctx): PlatformHost,
    _: Can<perm::ReadTenants>,
    State(state): State<AppState>,
    AppQuery(query): AppQuery<TenantListQuery>,
) -> Result<Json<Page<TenantView>>, ApiError> {
    let page = PageQuery {
        limit: query.limit,
        cursor: query.cursor.clone(),
    };
    let limit = page.limit()?;
    let after: Option<Uuid> = page.cursor()?;
    let prefix = query.q.as_deref().map(str::trim).filter(|q| !q.is_empty());
    if prefix.is_some_and(|q| q.chars().count() > QUERY_MAX) {
        return Err(ApiError::Validation(vec![
            FieldError::new("q", "too_long").with("max", QUERY_MAX),
        ]));
    }
    let mut tx = state.db.begin_for(&ctx).await?;
    let filter = repo::ListFilter {
        status: query.status,
        prefix,
        after,
        limit: i64::from(limit) + 1,
    };
    let rows = repo::list(tx.conn(), filter).await?;
    tx.commit().await?;
    Ok(Json(
        Page::from_rows(rows, limit, |r| r.id).map(TenantView::from),
    ))
}

/// Show a marketplace.
#[utoipa::path(
    get,
    path = "/api/v1/platform/tenants/{id}",
    tag = "platform",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Tenant id")),
    responses(
        (status = 200, description = "The tenant", body = TenantView),
        (status = 401, description = "No valid platform token", body = kernel::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not platform staff", body = kernel::error::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such marketplace", body = kernel::error::Problem, content_type = "application/problem+json"),
    )
)]
pub async fn get_tenant(
    PlatformHost(ctx): PlatformHost,
    _: Can<perm::ReadTenants>,
    State(state): State<AppState>,
    AppPath(id): AppPath<Uuid>,
) -> Result<Json<TenantView>, ApiError> {
    let mut tx = state.db.begin_for(&ctx).await?;
    let row = repo::marketplace_row(tx.conn(), id)
        .await?
        .ok_or(ApiError::NotFound)?;
    tx.commit().await?;
    Ok(Json(row.into()))
}

/// Change a marketplace's name, default language or currency. The slug cannot change.
#[utoipa::path(
    patch,
    path = "/api/v1/platform/tenants/{id}",
    tag = "platform",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Tenant id")),
    request_body = TenantPatch,
    responses(
        (status = 200, description = "The changed tenant", body = TenantView),
        (status = 400, description = "Unreadable body", body = kernel::error::Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid platform token", body = kernel::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not platform staff", body = kernel::error::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such marketplace", body = kernel::error::Problem, content_type = "application/problem+json"),
        (status = 415, description = "Not JSON", body = kernel::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields", body = kernel::error::Problem, content_type = "application/problem+json"),
    )
)]
pub async fn update_tenant(
    PlatformHost(ctx): PlatformHost,
    _: Can<perm::ManageTenants>,
    State(state): State<AppState>,
    AppPath(id): AppPath<Uuid>,
    AppJson(patch): AppJson<TenantPatch>,
) -> Result<Json<TenantView>, ApiError> {
    let mut errors = Vec::new();
    let name = patch
        .name
        .as_deref()
        .map(TenantName::parse)
        .transpose()
        .map_err(|e| errors.push(e))
        .ok()
        .flatten();
    let currency = patch
        .currency
        .as_deref()
        .map(Currency::parse)
        .transpose()
        .map_err(|code| errors.push(FieldError::new("currency", code)))
        .ok()
        .flatten();
    if patch
        .tax_rate_bps
        .is_some_and(|r| !(0..=10_000).contains(&r))
    {
        errors.push(
            FieldError::new("tax_rate_bps", "out_of_range")
                .with("min", 0)
                .with("max", 10_000),
        );
    }
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    let mut tx = state.db.begin_for(&ctx).await?;
    let changes = repo::Changes {
        name: name.as_ref().map(TenantName::as_str),
        default_locale: patch.default_locale,
        currency: currency.as_ref().map(Currency::as_str),
        tax_rate_bps: patch.tax_rate_bps,
        tax_inclusive: patch.tax_inclusive,
    };
    let row = repo::update(tx.conn(), id, &changes)
        .await?
        .ok_or(ApiError::NotFound)?;
    let domains = repo::domain_names(tx.conn(), id).await?;
    tx.commit().await?;
    // The resolved tenant (name, locale, currency) is cached per host.
    resolver::invalidate(
        &state.cache,
        &state.config.platform_domain,
        &row.slug,
        &domains,
    )
    .await;
    tracing::info!(tenant = %row.id, by = ?ctx.user_id(), "tenant updated");
    Ok(Json(row.into()))
}

/// Suspend a marketplace: its hosts answer 403 `tenant_suspended` from now on. Suspending a
/// suspended marketplace only replaces the reason.
#[utoipa::path(
    post,
    path = "/api/v1/platform/tenants/{id}/suspend",
    tag = "platform",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Tenant id")),
    request_body = Option<SuspendTenant>,
    responses(
        (status = 200, description = "The suspended tenant", body = TenantView),
        (status = 400, description = "Unreadable body", body = kernel::error::Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid platform token", body = kernel::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not platform staff", body = kernel::error::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such marketplace", body = kernel::error::Problem, content_type = "application/problem+json"),
        (status = 415, description = "Not JSON", body = kernel::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields", body = kernel::error::Problem, content_type = "application/problem+json"),
    )
)]
pub async fn suspend_tenant(
    PlatformHost(ctx): PlatformHost,
    _: Can<perm::ManageTenants>,
    State(state): State<AppState>,
    AppPath(id): AppPath<Uuid>,
    OptionalJson(body): OptionalJson<SuspendTenant>,
) -> Result<Json<TenantView>, ApiError> {
    let reason = body
        .and_then(|b| b.reason)
        .map(|r| r.trim().to_string())
        .filter(|r| !r.is_empty());
    if reason
        .as_ref()
        .is_some_and(|r| r.chars().count() > REASON_MAX)
    {
        return Err(ApiError::Validation(vec![
            FieldError::new("reason", "too_long").with("max", REASON_MAX),
        ]));
    }
    set_status(&state, &ctx, id, TenantStatus::Suspended, reason.as_deref())
        .await
        .map(Json)
}

/// Reactivate a suspended marketplace: its hosts answer again from now on.
#[utoipa::path(
    post,
    path = "/api/v1/platform/tenants/{id}/reactivate",
    tag = "platform",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Tenant id")),
    responses(
        (status = 200, description = "The active tenant", body = TenantView),
        (status = 401, description = "No valid platform token", body = kernel::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not platform staff", body = kernel::error::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such marketplace", body = kernel::error::Problem, content_type = "application/problem+json"),
    )
)]
pub async fn reactivate_tenant(
    PlatformHost(ctx): PlatformHost,
    _: Can<perm::ManageTenants>,
    State(state): State<AppState>,
    AppPath(id): AppPath<Uuid>,
) -> Result<Json<TenantView>, ApiError> {
    set_status(&state, &ctx, id, TenantStatus::Active, None)
        .await
        .map(Json)
}

async fn set_status(
    state: &AppState,
    ctx: &kernel::RequestCtx,
    id: Uuid,
    status: TenantStatus,
    reason: Option<&str>,
) -> Result<TenantView, ApiError> {
    let mut tx = state.db.begin_for(ctx).await?;
    let row = repo::set_status(tx.conn(), id, status, reason)
        .await?
        .ok_or(ApiError::NotFound)?;
    let domains = repo::domain_names(tx.conn(), id).await?;
    tx.commit().await?;
    // The middleware refuses suspended tenants from the cached resolution: drop it everywhere.
    resolver::invalidate(
        &state.cache,
        &state.config.platform_domain,
        &row.slug,
        &domains,
    )
    .await;
    tracing::info!(tenant = %row.id, ?status, by = ?ctx.user_id(), "tenant status changed");
    Ok(row.into())
}
