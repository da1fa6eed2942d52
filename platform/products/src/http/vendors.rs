//! Vendors: a signed-in user applies to sell in this marketplace; tenant admins approve, reject
//! or suspend; an approved vendor holds the `vendor` role in this tenant only. Shoppers see the
//! public page of approved vendors.

use axum::{Json, extract::State, http::StatusCode};
use kernel::{
    ApiError, AppState, RequestCtx,
    error::{Problem, on_constraint},
    extract::{AppJson, AppPath, AppQuery},
    pagination::{Page, PageQuery},
    rbac::Can,
    validate::{Validator, is_email},
};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use time::OffsetDateTime;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

use super::nullable;
use crate::{
    cache,
    domain::{Slug, slugify},
    permissions as perm,
    repo::{
        self,
        vendors::{VendorFields, VendorRow},
    },
};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_vendors, apply_vendor))
        .routes(routes!(get_my_vendor, update_my_vendor))
        .routes(routes!(get_vendor))
        .routes(routes!(list_vendor_applications))
        .routes(routes!(review_vendor))
        .routes(routes!(approve_vendor))
        .routes(routes!(reject_vendor))
        .routes(routes!(suspend_vendor))
}

const SLUG_MAX: usize = 60;

/// What a shopper sees of an approved vendor.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct VendorPage {
    pub id: Uuid,
    pub slug: String,
    pub name: String,
    pub description: Option<String>,
    pub logo_url: Option<String>,
    pub rating: Rating,
    /// Active products on sale.
    pub product_count: i64,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

/// Reviews do not exist yet: the average stays empty until they do.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Rating {
    pub average: Option<f64>,
    pub count: i32,
}

/// The whole vendor record: for the vendor itself and the tenant admins.
#[derive(Debug, Serialize, ToSchema)]
pub struct Vendor {
    pub id: Uuid,
    pub user_id: Uuid,
    pub slug: String,
    pub name: String,
    pub description: Option<String>,
    pub logo_url: Option<String>,
    pub contact_email: String,
    pub contact_phone: Option<String>,
    /// Opaque payout details (a placeholder until payouts exist). Never shown publicly.
    #[schema(value_type = Object)]
    pub payout_details: Value,
    /// `pending`, `approved`, `rejected` or `suspended`.
    pub status: String,
    /// Why the vendor was rejected or suspended.
    pub status_reason: Option<String>,
    /// Flat shipping per order, in minor units of the marketplace currency.
    pub shipping_rate_minor: i64,
    pub product_count: i64,
    #[serde(with = "time::serde::rfc3339::option")]
    pub decided_at: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
}

fn logo_url(state: &AppState, key: Option<&str>) -> Option<String> {
    key.map(|k| state.storage.public_url(k))
}

impl Vendor {
    fn from_row(state: &AppState, r: VendorRow) -> Self {
        Self {
            logo_url: logo_url(state, r.logo_key.as_deref()),
            id: r.id,
            user_id: r.user_id,
            slug: r.slug,
            name: r.name,
            description: r.description,
            contact_email: r.contact_email,
            contact_phone: r.contact_phone,
            payout_details: r.payout_details,
            status: r.status,
            status_reason: r.status_reason,
            shipping_rate_minor: r.shipping_rate_minor,
            product_count: r.product_count,
            decided_at: r.decided_at,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

impl VendorPage {
    fn from_row(state: &AppState, r: VendorRow) -> Self {
        Self {
            logo_url: logo_url(state, r.logo_key.as_deref()),
            id: r.id,
            slug: r.slug,
            name: r.name,
            description: r.description,
            rating: Rating {
                average: r.rating_avg,
                count: r.rating_count,
            },
            product_count: r.product_count,
            created_at: r.created_at,
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewVendor {
    #[schema(max_length = 120, example = "Textiles Ana")]
    pub name: String,
    /// Generated from the name when omitted.
    #[schema(max_length = 60, example = "textiles-ana")]
    pub slug: Option<String>,
    #[schema(max_length = 4000)]
    pub description: Option<String>,
    pub contact_email: String,
    #[schema(max_length = 32)]
    pub contact_phone: Option<String>,
    #[schema(value_type = Option<Object>)]
    pub payout_details: Option<Map<String, Value>>,
    /// Minor units; 0 when omitted.
    pub shipping_rate_minor: Option<i64>,
}

/// Omitted fields stay; `null` clears an optional field.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VendorPatch {
    pub name: Option<String>,
    pub slug: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    pub description: Option<Option<String>>,
    pub contact_email: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    pub contact_phone: Option<Option<String>>,
    #[schema(value_type = Option<Object>)]
    pub payout_details: Option<Map<String, Value>>,
    pub shipping_rate_minor: Option<i64>,
}

fn clean(v: Option<String>) -> Option<String> {
    v.map(|s| s.trim().to_string()).filter(|s| !s.is_empty())
}

/// Checks and normalizes a complete set of fields.
fn validate(f: &mut VendorFields) -> Result<(), ApiError> {
    let mut v = Validator::new();
    v.text("name", &f.name, 1, 120)
        .opt_text("description", f.description.as_deref(), 4000)
        .opt_text("contact_phone", f.contact_phone.as_deref(), 32)
        .check(is_email(f.contact_email.trim()), "contact_email", "invalid")
        .check(
            f.shipping_rate_minor >= 0,
            "shipping_rate_minor",
            "out_of_range",
        )
        .check(
            f.payout_details.to_string().len() <= 4000,
            "payout_details",
            "too_long",
        );
    let slug = v.parse(Slug::parse("slug", &f.slug, SLUG_MAX));
    v.finish()?;
    f.slug = slug.expect("validated").into_string();
    f.name = f.name.trim().to_string();
    f.contact_email = f.contact_email.trim().to_string();
    Ok(())
}

/// Applies to become a vendor of this marketplace. One application per account; it starts
/// `pending` until a tenant admin decides.
#[utoipa::path(post, path = "/api/v1/products/vendors", tag = "products", security(("bearer" = [])),
    request_body = NewVendor,
    responses(
        (status = 201, body = Vendor),
        (status = 409, description = "`vendor_exists` or `vendor_slug_taken`", body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
        (status = "4XX", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn apply_vendor(
    _: Can<perm::ApplyVendor>,
    ctx: RequestCtx,
    State(state): State<AppState>,
    AppJson(body): AppJson<NewVendor>,
) -> Result<(StatusCode, Json<Vendor>), ApiError> {
    let me = ctx.require_user()?.user_id;
    let mut f = VendorFields {
        slug: body.slug.unwrap_or_else(|| slugify(&body.name, SLUG_MAX)),
        name: body.name,
        description: clean(body.description),
        contact_email: body.contact_email,
        contact_phone: clean(body.contact_phone),
        payout_details: Value::Object(body.payout_details.unwrap_or_default()),
        shipping_rate_minor: body.shipping_rate_minor.unwrap_or(0),
    };
    validate(&mut f)?;
    let mut tx = state.db.begin_for(&ctx).await?;
    if repo::vendors::of_user(tx.conn(), me, false)
        .await?
        .is_some()
    {
        return Err(ApiError::conflict("vendor_exists"));
    }
    let row = repo::vendors::insert(tx.conn(), ctx.tenant.id, me, &f)
        .await
        .map_err(|e| match &e {
            sqlx::Error::Database(db) if db.constraint() == Some(repo::vendors::USER_KEY) => {
                ApiError::conflict("vendor_exists")
            }
            _ => on_constraint(
                repo::vendors::SLUG_KEY,
                ApiError::conflict("vendor_slug_taken"),
            )(e),
        })?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, Json(Vendor::from_row(&state, row))))
}

/// The caller's own vendor record, in any status.
#[utoipa::path(get, path = "/api/v1/products/vendors/me", tag = "products", security(("bearer" = [])),
    responses(
        (status = 200, body = Vendor),
        (status = 404, description = "The caller has not applied", body = Problem, content_type = "application/problem+json"),
        (status = "4XX", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn get_my_vendor(
    _: Can<perm::ApplyVendor>,
    ctx: RequestCtx,
    State(state): State<AppState>,
) -> Result<Json<Vendor>, ApiError> {
    let me = ctx.require_user()?.user_id;
    let mut tx = state.db.begin_for(&ctx).await?;
    let row = repo::vendors::of_user(tx.conn(), me, false)
        .await?
        .ok_or(ApiError::NotFound)?;
    tx.commit().await?;
    Ok(Json(Vendor::from_row(&state, row)))
}

/// Edits the caller's shop details (the status is the admins' decision).
#[utoipa::path(patch, path = "/api/v1/products/vendors/me", tag = "products", security(("bearer" = [])),
    request_body = VendorPatch,
    responses(
        (status = 200, body = Vendor),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`vendor_slug_taken`", body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
        (status = "4XX", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn update_my_vendor(
    _: Can<perm::ApplyVendor>,
    ctx: RequestCtx,
    State(state): State<AppState>,
    AppJson(p): AppJson<VendorPatch>,
) -> Result<Json<Vendor>, ApiError> {
    let me = ctx.require_user()?.user_id;
    let mut tx = state.db.begin_for(&ctx).await?;
    let cur = repo::vendors::of_user(tx.conn(), me, true)
        .await?
        .ok_or(ApiError::NotFound)?;
    let mut f = VendorFields {
        slug: p.slug.unwrap_or(cur.slug),
        name: p.name.unwrap_or(cur.name),
        description: p.description.map_or(cur.description, clean),
        contact_email: p.contact_email.unwrap_or(cur.contact_email),
        contact_phone: p.contact_phone.map_or(cur.contact_phone, clean),
        payout_details: p.payout_details.map_or(cur.payout_details, Value::Object),
        shipping_rate_minor: p.shipping_rate_minor.unwrap_or(cur.shipping_rate_minor),
    };
    validate(&mut f)?;
    let row = repo::vendors::update(tx.conn(), cur.id, &f)
        .await
        .map_err(on_constraint(
            repo::vendors::SLUG_KEY,
            ApiError::conflict("vendor_slug_taken"),
        ))?;
    // The vendor's name is part of its products' search documents.
    repo::search::refresh_vendor(tx.conn(), row.id).await?;
    tx.commit().await?;
    cache::invalidate(&state, ctx.tenant.id).await;
    Ok(Json(Vendor::from_row(&state, row)))
}

type VendorCursor = (OffsetDateTime, Uuid);

/// Approved vendors, newest first.
#[utoipa::path(get, path = "/api/v1/products/vendors", tag = "products",
    params(PageQuery),
    responses(
        (status = 200, body = Page<VendorPage>),
        (status = "4XX", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn list_vendors(
    _: Can<perm::ReadCatalog>,
    ctx: RequestCtx,
    State(state): State<AppState>,
    AppQuery(q): AppQuery<PageQuery>,
) -> Result<Json<Page<VendorPage>>, ApiError> {
    let (limit, cursor) = (q.limit()?, q.cursor::<VendorCursor>()?);
    let mut tx = state.db.begin_for(&ctx).await?;
    let rows = repo::vendors::list(tx.conn(), Some("approved"), cursor, limit).await?;
    tx.commit().await?;
    Ok(Json(
        Page::from_rows(rows, limit, |r| (r.created_at, r.id))
            .map(|r| VendorPage::from_row(&state, r)),
    ))
}

/// The public page of an approved vendor, by id or slug.
#[utoipa::path(get, path = "/api/v1/products/vendors/{id}", tag = "products",
    params(("id" = String, Path, description = "Vendor id or slug")),
    responses(
        (status = 200, body = VendorPage),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = "4XX", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn get_vendor(
    _: Can<perm::ReadCatalog>,
    ctx: RequestCtx,
    State(state): State<AppState>,
    AppPath(key): AppPath<String>,
) -> Result<Json<VendorPage>, ApiError> {
    if key.len() > SLUG_MAX.max(36) {
        return Err(ApiError::NotFound);
    }
    let tenant = ctx.tenant.id;
    let page = cache::cached(&state, tenant, &format!("vendor:{key}"), async || {
        let mut tx = state.db.begin_for(&ctx).await?;
        let row = repo::vendors::public(tx.conn(), &key)
            .await?
            .ok_or(ApiError::NotFound)?;
        tx.commit().await?;
        Ok(VendorPage::from_row(&state, row))
    })
    .await?;
    Ok(Json(page))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ApplicationQuery {
    /// Only vendors in this status (`pending`, `approved`, `rejected`, `suspended`).
    pub status: Option<String>,
    pub limit: Option<u32>,
    pub cursor: Option<String>,
}

const STATUSES: [&str; 4] = ["pending", "approved", "rejected", "suspended"];

/// Every vendor of the marketplace with its full record (tenant admins).
#[utoipa::path(get, path = "/api/v1/products/admin/vendors", tag = "products", security(("bearer" = [])),
    params(ApplicationQuery),
    responses(
        (status = 200, body = Page<Vendor>),
        (status = "4XX", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn list_vendor_applications(
    _: Can<perm::ManageVendors>,
    ctx: RequestCtx,
    State(state): State<AppState>,
    AppQuery(q): AppQuery<ApplicationQuery>,
) -> Result<Json<Page<Vendor>>, ApiError> {
    if let Some(s) = &q.status
        && !STATUSES.contains(&s.as_str())
    {
        return Err(ApiError::field("status", "invalid_choice"));
    }
    let page = PageQuery {
        limit: q.limit,
        cursor: q.cursor,
    };
    let (limit, cursor) = (page.limit()?, page.cursor::<VendorCursor>()?);
    let mut tx = state.db.begin_for(&ctx).await?;
    let rows = repo::vendors::list(tx.conn(), q.status.as_deref(), cursor, limit).await?;
    tx.commit().await?;
    Ok(Json(
        Page::from_rows(rows, limit, |r| (r.created_at, r.id)).map(|r| Vendor::from_row(&state, r)),
    ))
}

/// One vendor's full record (tenant admins).
#[utoipa::path(get, path = "/api/v1/products/admin/vendors/{id}", tag = "products", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Vendor id")),
    responses(
        (status = 200, body = Vendor),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = "4XX", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn review_vendor(
    _: Can<perm::ManageVendors>,
    ctx: RequestCtx,
    State(state): State<AppState>,
    AppPath(id): AppPath<Uuid>,
) -> Result<Json<Vendor>, ApiError> {
    let mut tx = state.db.begin_for(&ctx).await?;
    let row = repo::vendors::get(tx.conn(), id, false)
        .await?
        .ok_or(ApiError::NotFound)?;
    tx.commit().await?;
    Ok(Json(Vendor::from_row(&state, row)))
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Decision {
    /// Shown to the vendor; recommended when rejecting or suspending.
    #[schema(max_length = 500)]
    pub reason: Option<String>,
}

/// Moves a vendor to `to` if allowed from its current status, and keeps its `vendor` role and
/// its products' visibility in step, in one transaction.
async fn decide(
    ctx: &RequestCtx,
    state: &AppState,
    id: Uuid,
    to: &'static str,
    from: &[&str],
    reason: Option<String>,
) -> Result<Json<Vendor>, ApiError> {
    let admin = ctx.require_user()?.user_id;
    let reason = clean(reason);
    Validator::new()
        .opt_text("reason", reason.as_deref(), 500)
        .finish()?;
    let mut tx = state.db.begin_for(ctx).await?;
    let cur = repo::vendors::get(tx.conn(), id, true)
        .await?
        .ok_or(ApiError::NotFound)?;
    if !from.contains(&cur.status.as_str()) {
        return Err(ApiError::conflict("vendor_transition_invalid"));
    }
    repo::vendors::set_status(tx.conn(), id, to, reason.as_deref(), admin).await?;
    if to == "approved" {
        users::api::grant_role_in(tx.conn(), ctx.tenant.id, cur.user_id, "vendor", Some(admin))
            .await?;
    } else {
        users::api::revoke_role_in(tx.conn(), cur.user_id, "vendor").await?;
    }
    repo::search::refresh_vendor(tx.conn(), id).await?;
    let row = repo::vendors::get(tx.conn(), id, false)
        .await?
        .ok_or(ApiError::NotFound)?;
    tx.commit().await?;
    cache::invalidate(state, ctx.tenant.id).await;
    Ok(Json(Vendor::from_row(state, row)))
}

/// Approves a pending, rejected or suspended vendor: it gets the `vendor` role and its active
/// products go on sale.
#[utoipa::path(post, path = "/api/v1/products/vendors/{id}/approve", tag = "products", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Vendor id")),
    request_body(content = Option<Decision>),
    responses(
        (status = 200, body = Vendor),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`vendor_transition_invalid`", body = Problem, content_type = "application/problem+json"),
        (status = "4XX", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn approve_vendor(
    _: Can<perm::ManageVendors>,
    ctx: RequestCtx,
    State(state): State<AppState>,
    AppPath(id): AppPath<Uuid>,
    kernel::extract::OptionalJson(body): kernel::extract::OptionalJson<Decision>,
) -> Result<Json<Vendor>, ApiError> {
    let reason = body.unwrap_or_default().reason;
    decide(
        &ctx,
        &state,
        id,
        "approved",
        &["pending", "rejected", "suspended"],
        reason,
    )
    .await
}

/// Rejects a pending application.
#[utoipa::path(post, path = "/api/v1/products/vendors/{id}/reject", tag = "products", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Vendor id")),
    request_body(content = Option<Decision>),
    responses(
        (status = 200, body = Vendor),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`vendor_transition_invalid`", body = Problem, content_type = "application/problem+json"),
        (status = "4XX", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn reject_vendor(
    _: Can<perm::ManageVendors>,
    ctx: RequestCtx,
    State(state): State<AppState>,
    AppPath(id): AppPath<Uuid>,
    kernel::extract::OptionalJson(body): kernel::extract::OptionalJson<Decision>,
) -> Result<Json<Vendor>, ApiError> {
    let reason = body.unwrap_or_default().reason;
    decide(&ctx, &state, id, "rejected", &["pending"], reason).await
}

/// Suspends an approved vendor: its `vendor` role is revoked (its sessions end) and its
/// products leave the public catalogue until it is approved again.
#[utoipa::path(post, path = "/api/v1/products/vendors/{id}/suspend", tag = "products", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Vendor id")),
    request_body(content = Option<Decision>),
    responses(
        (status = 200, body = Vendor),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`vendor_transition_invalid`", body = Problem, content_type = "application/problem+json"),
        (status = "4XX", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn suspend_vendor(
    _: Can<perm::ManageVendors>,
    ctx: RequestCtx,
    State(state): State<AppState>,
    AppPath(id): AppPath<Uuid>,
    kernel::extract::OptionalJson(body): kernel::extract::OptionalJson<Decision>,
) -> Result<Json<Vendor>, ApiError> {
    let reason = body.unwrap_or_default().reason;
    decide(&ctx, &state, id, "suspended", &["approved"], reason).await
}
