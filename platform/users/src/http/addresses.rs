//! The caller's address book. Another user's address is a 404, never a 403.

use axum::{Json, extract::State, http::StatusCode};
use kernel::{
    ApiError, AppState, RequestCtx,
    error::{FieldError, Problem},
    extract::{AppJson, AppPath, AppQuery},
    pagination::{Page, PageQuery},
    rbac::Can,
    validate::Validator,
};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::ToSchema;
use uuid::Uuid;

use super::nullable;
use crate::{
    domain::PostalAddress,
    permissions as perm,
    repo::addresses::{self as repo, AddressRow},
};

#[derive(Debug, Serialize, ToSchema)]
pub struct Address {
    pub id: Uuid,
    pub label: Option<String>,
    pub recipient: String,
    pub phone: Option<String>,
    pub line1: String,
    pub line2: Option<String>,
    pub city: String,
    pub region: Option<String>,
    pub postal_code: Option<String>,
    /// ISO 3166-1 alpha-2.
    #[schema(example = "PE")]
    pub country: String,
    pub is_default: bool,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
}

impl From<AddressRow> for Address {
    fn from(r: AddressRow) -> Self {
        Self {
            id: r.id,
            label: r.label,
            recipient: r.recipient,
            phone: r.phone,
            line1: r.line1,
            line2: r.line2,
            city: r.city,
            region: r.region,
            postal_code: r.postal_code,
            country: r.country,
            is_default: r.is_default,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewAddress {
    #[schema(max_length = 50, example = "Casa")]
    pub label: Option<String>,
    #[schema(max_length = 100)]
    pub recipient: String,
    #[schema(max_length = 32)]
    pub phone: Option<String>,
    #[schema(max_length = 200)]
    pub line1: String,
    #[schema(max_length = 200)]
    pub line2: Option<String>,
    #[schema(max_length = 100)]
    pub city: String,
    #[schema(max_length = 100)]
    pub region: Option<String>,
    #[schema(max_length = 20)]
    pub postal_code: Option<String>,
    #[schema(example = "PE")]
    pub country: String,
    /// Makes this the default address (the previous default is unset). The first address is
    /// always the default.
    #[serde(default)]
    pub is_default: bool,
}

/// Omitted fields stay; `null` clears an optional field.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AddressPatch {
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, max_length = 50)]
    pub label: Option<Option<String>>,
    #[schema(max_length = 100)]
    pub recipient: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, max_length = 32)]
    pub phone: Option<Option<String>>,
    #[schema(max_length = 200)]
    pub line1: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, max_length = 200)]
    pub line2: Option<Option<String>>,
    #[schema(max_length = 100)]
    pub city: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, max_length = 100)]
    pub region: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, max_length = 20)]
    pub postal_code: Option<Option<String>>,
    pub country: Option<String>,
    pub is_default: Option<bool>,
}

fn clean(v: Option<String>) -> Option<String> {
    v.map(|s| s.trim().to_string()).filter(|s| !s.is_empty())
}

/// Checks a complete address (after a patch is applied) against the table's limits.
fn validate(a: &mut AddressRow) -> Result<(), ApiError> {
    let mut v = Validator::new();
    v.opt_text("label", a.label.as_deref(), 50);
    let mut postal = PostalAddress::from(&*a);
    postal.check(&mut v, "");
    v.finish()?;
    (a.recipient, a.line1, a.city, a.country) =
        (postal.recipient, postal.line1, postal.city, postal.country);
    Ok(())
}

/// Lists the caller's addresses.
#[utoipa::path(get, path = "/api/v1/users/me/addresses", tag = "users", security(("bearer" = [])),
    params(PageQuery),
    responses(
        (status = 200, body = Page<Address>),
        (status = "4XX", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn list_addresses(
    _: Can<perm::ReadAddresses>,
    ctx: RequestCtx,
    State(state): State<AppState>,
    AppQuery(q): AppQuery<PageQuery>,
) -> Result<Json<Page<Address>>, ApiError> {
    let me = ctx.require_user()?;
    let (limit, cursor) = (q.limit()?, q.cursor::<Uuid>()?);
    let mut tx = state.db.begin_for(&ctx).await?;
    let rows = repo::list(tx.conn(), me.user_id, cursor, limit).await?;
    tx.commit().await?;
    Ok(Json(
        Page::from_rows(rows, limit, |r| r.id).map(Address::from),
    ))
}

/// Adds an address.
#[utoipa::path(post, path = "/api/v1/users/me/addresses", tag = "users", security(("bearer" = [])),
    request_body = NewAddress,
    responses(
        (status = 201, body = Address),
        (status = 422, body = Problem, content_type = "application/problem+json"),
        (status = "4XX", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn create_address(
    _: Can<perm::WriteAddresses>,
    ctx: RequestCtx,
    State(state): State<AppState>,
    AppJson(body): AppJson<NewAddress>,
) -> Result<(StatusCode, Json<Address>), ApiError> {
    let me = ctx.require_user()?;
    let now = OffsetDateTime::now_utc();
    let mut a = AddressRow {
        id: Uuid::now_v7(),
        label: clean(body.label),
        recipient: body.recipient,
        phone: clean(body.phone),
        line1: body.line1,
        line2: clean(body.line2),
        city: body.city,
        region: clean(body.region),
        postal_code: clean(body.postal_code),
        country: body.country,
        is_default: body.is_default,
        created_at: now,
        updated_at: now,
    };
    validate(&mut a)?;
    let mut tx = state.db.begin_for(&ctx).await?;
    if repo::count(tx.conn(), me.user_id).await? == 0 {
        a.is_default = true;
    }
    if a.is_default {
        repo::clear_default(tx.conn(), me.user_id).await?;
    }
    let row = repo::upsert(tx.conn(), ctx.tenant.id, me.user_id, &a).await?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, Json(row.into())))
}

/// One of the caller's addresses.
#[utoipa::path(get, path = "/api/v1/users/me/addresses/{id}", tag = "users", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Address id")),
    responses(
        (status = 200, body = Address),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = "4XX", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn get_address(
    _: Can<perm::ReadAddresses>,
    ctx: RequestCtx,
    State(state): State<AppState>,
    AppPath(id): AppPath<Uuid>,
) -> Result<Json<Address>, ApiError> {
    let me = ctx.require_user()?;
    let mut tx = state.db.begin_for(&ctx).await?;
    let row = repo::get(tx.conn(), me.user_id, id, false)
        .await?
        .ok_or(ApiError::NotFound)?;
    tx.commit().await?;
    Ok(Json(row.into()))
}

/// Changes one of the caller's addresses.
#[utoipa::path(patch, path = "/api/v1/users/me/addresses/{id}", tag = "users", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Address id")),
    request_body = AddressPatch,
    responses(
        (status = 200, body = Address),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
        (status = "4XX", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn update_address(
    _: Can<perm::WriteAddresses>,
    ctx: RequestCtx,
    State(state): State<AppState>,
    AppPath(id): AppPath<Uuid>,
    AppJson(p): AppJson<AddressPatch>,
) -> Result<Json<Address>, ApiError> {
    let me = ctx.require_user()?;
    // A required field cannot be emptied by a patch.
    let mut empty = Vec::new();
    for (field, v) in [
        ("recipient", &p.recipient),
        ("line1", &p.line1),
        ("city", &p.city),
        ("country", &p.country),
    ] {
        if v.as_deref().is_some_and(|s| s.trim().is_empty()) {
            empty.push(FieldError::new(field, "required"));
        }
    }
    if !empty.is_empty() {
        return Err(ApiError::Validation(empty));
    }
    let mut tx = state.db.begin_for(&ctx).await?;
    let mut a = repo::get(tx.conn(), me.user_id, id, true)
        .await?
        .ok_or(ApiError::NotFound)?;
    let set = |cur: &mut Option<String>, new: Option<Option<String>>| {
        if let Some(v) = new {
            *cur = clean(v);
        }
    };
    set(&mut a.label, p.label);
    set(&mut a.phone, p.phone);
    set(&mut a.line2, p.line2);
    set(&mut a.region, p.region);
    set(&mut a.postal_code, p.postal_code);
    a.recipient = p.recipient.unwrap_or(a.recipient);
    a.line1 = p.line1.unwrap_or(a.line1);
    a.city = p.city.unwrap_or(a.city);
    a.country = p.country.unwrap_or(a.country);
    let make_default = p.is_default == Some(true) && !a.is_default;
    if let Some(d) = p.is_default {
        a.is_default = d;
    }
    validate(&mut a)?;
    if make_default {
        repo::clear_default(tx.conn(), me.user_id).await?;
    }
    let row = repo::upsert(tx.conn(), ctx.tenant.id, me.user_id, &a).await?;
    tx.commit().await?;
    Ok(Json(row.into()))
}

/// Deletes one of the caller's addresses.
#[utoipa::path(delete, path = "/api/v1/users/me/addresses/{id}", tag = "users", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Address id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = "4XX", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn delete_address(
    _: Can<perm::WriteAddresses>,
    ctx: RequestCtx,
    State(state): State<AppState>,
    AppPath(id): AppPath<Uuid>,
) -> Result<StatusCode, ApiError> {
    let me = ctx.require_user()?;
    let mut tx = state.db.begin_for(&ctx).await?;
    if !repo::delete(tx.conn(), me.user_id, id).await? {
        return Err(ApiError::NotFound);
    }
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}
