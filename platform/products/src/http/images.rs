//! Product images and vendor logos in object storage.
//!
//! Files never pass through the API. The vendor asks for an upload (content type and size
//! declared up front), PUTs the file to the presigned URL it gets back, then confirms; the
//! confirmation looks at what storage really holds and refuses (and deletes) a file of another
//! type or larger than declared. Keys are generated here, always under `t/{tenant}/`, so no
//! tenant can name another's files. Who may touch a product's images is decided by row-level
//! security (`app_can_write_product`): another vendor's product is a 404, never a 403.

use std::{collections::HashSet, time::Duration};

use axum::{Json, extract::State, http::StatusCode};
use kernel::{
    ApiError, AppState, RequestCtx,
    error::{FieldError, Problem},
    extract::{AppJson, AppPath},
    rbac::Can,
    storage::{ObjectInfo, UploadTicket, is_tenant_key, media_type, tenant_key},
    validate::Validator,
};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

use super::nullable;
use crate::{
    cache, permissions as perm,
    repo::{self, images::ImageRow},
};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_image_upload))
        .routes(routes!(confirm_image_upload))
        .routes(routes!(list_product_images))
        .routes(routes!(reorder_product_images))
        .routes(routes!(update_product_image, delete_product_image))
        .routes(routes!(create_logo_upload))
        .routes(routes!(confirm_logo_upload))
        .routes(routes!(delete_logo))
}

/// The largest image accepted, in bytes.
pub const IMAGE_MAX_BYTES: i64 = 10 * 1024 * 1024;
/// Images (ready or being uploaded) one product may have.
pub const IMAGES_MAX: i64 = 30;
pub const ALT_MAX: usize = 300;
/// How long an upload URL stays valid.
pub const UPLOAD_TTL: Duration = Duration::from_secs(15 * 60);
/// Uploads never confirmed are forgotten (row and file) after this long.
const STALE_PENDING: Duration = Duration::from_secs(24 * 3600);

/// Accepted image types and the extension of their keys.
const IMAGE_TYPES: [(&str, &str); 4] = [
    ("image/jpeg", "jpg"),
    ("image/png", "png"),
    ("image/webp", "webp"),
    ("image/avif", "avif"),
];

fn extension_of(content_type: &str) -> Option<&'static str> {
    IMAGE_TYPES
        .iter()
        .find(|(ct, _)| *ct == content_type)
        .map(|(_, ext)| *ext)
}

fn type_of_extension(ext: &str) -> Option<&'static str> {
    IMAGE_TYPES
        .iter()
        .find(|(_, e)| *e == ext)
        .map(|(ct, _)| *ct)
}

/// An image of a product as its editors see it.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ProductImage {
    pub id: Uuid,
    pub url: String,
    /// Text for screen readers and when the image cannot be shown.
    pub alt: Option<String>,
    /// Display order, from 0.
    pub position: i32,
    #[schema(example = "image/webp")]
    pub content_type: String,
    /// Stored size once ready; the declared size while the upload is pending.
    pub size_bytes: Option<i64>,
    /// `pending` until the upload is confirmed, then `ready`.
    pub status: String,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
}

impl ProductImage {
    pub(crate) fn from_row(state: &AppState, r: ImageRow) -> Self {
        Self {
            url: state.storage.public_url(&r.object_key),
            id: r.id,
            alt: r.alt,
            position: r.position,
            content_type: r.content_type,
            size_bytes: r.size_bytes,
            status: r.status,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewImageUpload {
    /// `image/jpeg`, `image/png`, `image/webp` or `image/avif`.
    #[schema(example = "image/webp")]
    pub content_type: String,
    /// Exact size of the file that will be uploaded, at most 10 MiB.
    #[schema(minimum = 1, maximum = 10485760, example = 204800)]
    pub size_bytes: i64,
    #[schema(max_length = 300)]
    pub alt: Option<String>,
}

/// An upload to perform: send the file as `upload` says, then confirm the image.
#[derive(Debug, Serialize, ToSchema)]
pub struct ImageUpload {
    pub image_id: Uuid,
    pub upload: UploadTicket,
    #[serde(with = "time::serde::rfc3339")]
    pub expires_at: OffsetDateTime,
}

/// Omitted fields stay; `alt: null` clears the text.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ImagePatch {
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, max_length = 300)]
    pub alt: Option<Option<String>>,
    /// New place among the product's ready images, from 0; the others move to make room.
    pub position: Option<i64>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ImageOrder {
    /// Every ready image of the product, each once, in the new order.
    pub image_ids: Vec<Uuid>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewLogoUpload {
    /// `image/jpeg`, `image/png`, `image/webp` or `image/avif`.
    #[schema(example = "image/png")]
    pub content_type: String,
    /// Exact size of the file that will be uploaded, at most 10 MiB.
    #[schema(minimum = 1, maximum = 10485760)]
    pub size_bytes: i64,
}

/// An upload of a new logo: send the file as `upload` says, then confirm with `key`.
#[derive(Debug, Serialize, ToSchema)]
pub struct LogoUpload {
    pub key: String,
    pub upload: UploadTicket,
    #[serde(with = "time::serde::rfc3339")]
    pub expires_at: OffsetDateTime,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LogoConfirm {
    /// The `key` of the logo upload.
    pub key: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct VendorLogo {
    pub logo_url: String,
}

fn clean_alt(alt: Option<String>) -> Option<String> {
    alt.map(|a| a.trim().to_string()).filter(|a| !a.is_empty())
}

/// The declared type and size of an upload, checked; the key extension of the type.
fn check_upload(
    v: &mut Validator,
    content_type: &str,
    size: i64,
) -> Option<(String, &'static str)> {
    if !(1..=IMAGE_MAX_BYTES).contains(&size) {
        v.push(
            FieldError::new("size_bytes", "out_of_range")
                .with("min", 1)
                .with("max", IMAGE_MAX_BYTES),
        );
    }
    let ct = media_type(content_type);
    match extension_of(&ct) {
        Some(ext) => Some((ct, ext)),
        None => {
            v.push(FieldError::new("content_type", "invalid_choice"));
            None
        }
    }
}

/// Whether what storage holds is what was declared: the same type, not larger, not empty.
fn arrived_as_declared(info: &ObjectInfo, content_type: &str, max: i64) -> bool {
    let size_ok = info.size >= 1 && i64::try_from(info.size).is_ok_and(|s| s <= max);
    let type_ok = info
        .content_type
        .as_deref()
        .is_some_and(|ct| media_type(ct) == content_type);
    size_ok && type_ok
}

const UPLOAD_MISMATCH: ApiError = ApiError::Rejected {
    status: StatusCode::UNPROCESSABLE_ENTITY,
    code: "upload_mismatch",
};

/// Starts an image upload for a product the caller may edit: a pending image and a presigned
/// URL that accepts exactly this content type and size for 15 minutes.
#[utoipa::path(post, path = "/api/v1/products/{id}/images/uploads", tag = "products", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Product id")),
    request_body = NewImageUpload,
    responses(
        (status = 201, body = ImageUpload),
        (status = 404, description = "No such product, or not one the caller may edit", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`too_many_images`", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Type not accepted, size out of range, alt too long", body = Problem, content_type = "application/problem+json"),
        (status = "4XX", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn create_image_upload(
    _: Can<perm::WriteProducts>,
    ctx: RequestCtx,
    State(state): State<AppState>,
    AppPath(id): AppPath<Uuid>,
    AppJson(body): AppJson<NewImageUpload>,
) -> Result<(StatusCode, Json<ImageUpload>), ApiError> {
    ctx.require_user()?;
    let mut v = Validator::new();
    let checked = check_upload(&mut v, &body.content_type, body.size_bytes);
    let alt = clean_alt(body.alt);
    v.opt_text("alt", alt.as_deref(), ALT_MAX);
    v.finish()?;
    let (content_type, ext) =
        checked.ok_or_else(|| ApiError::field("content_type", "invalid_choice"))?;

    let mut tx = state.db.begin_for(&ctx).await?;
    if !repo::products::lock_writable(tx.conn(), id).await? {
        return Err(ApiError::NotFound);
    }
    let stale =
        repo::images::purge_stale_pending(tx.conn(), id, OffsetDateTime::now_utc() - STALE_PENDING)
            .await?;
    if repo::images::count(tx.conn(), id).await? >= IMAGES_MAX {
        return Err(ApiError::conflict("too_many_images"));
    }
    // Random, not time-ordered: the URL of a draft's image cannot be guessed.
    let image_id = Uuid::new_v4();
    let key = tenant_key(
        ctx.tenant.id,
        &["products", &id.to_string(), &format!("{image_id}.{ext}")],
    );
    let upload = state
        .storage
        .presign_upload(&key, &content_type, body.size_bytes as u64, UPLOAD_TTL)
        .await?;
    repo::images::insert_pending(
        tx.conn(),
        ctx.tenant.id,
        &repo::images::NewPending {
            id: image_id,
            product_id: id,
            object_key: &key,
            content_type: &content_type,
            declared_size: body.size_bytes,
            alt: alt.as_deref(),
        },
    )
    .await?;
    tx.commit().await?;
    state.storage.delete_quietly(stale).await;
    Ok((
        StatusCode::CREATED,
        Json(ImageUpload {
            image_id,
            expires_at: upload.expires_at,
            upload,
        }),
    ))
}

/// Confirms an uploaded image: storage must hold a file of the declared type, no larger than
/// declared. The image then goes last in the product's gallery. Confirming twice is harmless.
#[utoipa::path(post, path = "/api/v1/products/{id}/images/{image_id}/confirm", tag = "products", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Product id"), ("image_id" = Uuid, Path, description = "Image id")),
    responses(
        (status = 200, body = ProductImage),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`upload_missing`: nothing was uploaded yet", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`upload_mismatch`: the file is of another type or larger than declared; it was deleted", body = Problem, content_type = "application/problem+json"),
        (status = "4XX", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn confirm_image_upload(
    _: Can<perm::WriteProducts>,
    ctx: RequestCtx,
    State(state): State<AppState>,
    AppPath((id, image_id)): AppPath<(Uuid, Uuid)>,
) -> Result<Json<ProductImage>, ApiError> {
    ctx.require_user()?;
    // Storage is asked outside any transaction: no row stays locked during a network call.
    let row = {
        let mut tx = state.db.begin_for(&ctx).await?;
        if !repo::products::writable(tx.conn(), id).await? {
            return Err(ApiError::NotFound);
        }
        let row = repo::images::get_for_update(tx.conn(), id, image_id)
            .await?
            .ok_or(ApiError::NotFound)?;
        tx.commit().await?;
        row
    };
    if row.status == "ready" {
        return Ok(Json(ProductImage::from_row(&state, row)));
    }
    let info = state
        .storage
        .head(&row.object_key)
        .await?
        .ok_or(ApiError::conflict("upload_missing"))?;
    let declared = row
        .size_bytes
        .unwrap_or(IMAGE_MAX_BYTES)
        .min(IMAGE_MAX_BYTES);
    if !arrived_as_declared(&info, &row.content_type, declared) {
        state.storage.delete(&row.object_key).await?;
        return Err(UPLOAD_MISMATCH);
    }
    let mut tx = state.db.begin_for(&ctx).await?;
    if !repo::products::lock_writable(tx.conn(), id).await? {
        return Err(ApiError::NotFound);
    }
    let saved = match repo::images::mark_ready(tx.conn(), id, image_id, info.size as i64).await? {
        Some(saved) => saved,
        // Confirmed meanwhile by another request, or deleted.
        None => repo::images::get_for_update(tx.conn(), id, image_id)
            .await?
            .ok_or(ApiError::NotFound)?,
    };
    repo::search::refresh(tx.conn(), id).await?;
    tx.commit().await?;
    cache::invalidate(&state, ctx.tenant.id).await;
    Ok(Json(ProductImage::from_row(&state, saved)))
}

/// The product's images in display order. Images of a draft or archived product are listed
/// only for its vendor and the marketplace admins (404 to everyone else).
#[utoipa::path(get, path = "/api/v1/products/{id}/images", tag = "products",
    params(("id" = Uuid, Path, description = "Product id")),
    responses(
        (status = 200, body = Vec<ProductImage>),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = "4XX", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn list_product_images(
    _: Can<perm::ReadCatalog>,
    ctx: RequestCtx,
    State(state): State<AppState>,
    AppPath(id): AppPath<Uuid>,
) -> Result<Json<Vec<ProductImage>>, ApiError> {
    let mut tx = state.db.begin_for(&ctx).await?;
    // product_images rows are readable tenant-wide: the product decides who sees them.
    if !repo::images::product_visible(tx.conn(), id).await? {
        return Err(ApiError::NotFound);
    }
    let rows = repo::images::ready(tx.conn(), id).await?;
    tx.commit().await?;
    Ok(Json(
        rows.into_iter()
            .map(|r| ProductImage::from_row(&state, r))
            .collect(),
    ))
}

/// Changes an image's alt text or moves it to another place in the gallery.
#[utoipa::path(patch, path = "/api/v1/products/{id}/images/{image_id}", tag = "products", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Product id"), ("image_id" = Uuid, Path, description = "Image id")),
    request_body = ImagePatch,
    responses(
        (status = 200, body = ProductImage),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`image_not_ready`: a pending upload has no place yet", body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
        (status = "4XX", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn update_product_image(
    _: Can<perm::WriteProducts>,
    ctx: RequestCtx,
    State(state): State<AppState>,
    AppPath((id, image_id)): AppPath<(Uuid, Uuid)>,
    AppJson(p): AppJson<ImagePatch>,
) -> Result<Json<ProductImage>, ApiError> {
    ctx.require_user()?;
    let alt = p.alt.map(clean_alt);
    let mut v = Validator::new();
    if let Some(Some(a)) = &alt {
        v.opt_text("alt", Some(a), ALT_MAX);
    }
    v.finish()?;
    let mut tx = state.db.begin_for(&ctx).await?;
    if !repo::products::lock_writable(tx.conn(), id).await? {
        return Err(ApiError::NotFound);
    }
    let row = repo::images::get_for_update(tx.conn(), id, image_id)
        .await?
        .ok_or(ApiError::NotFound)?;
    if let Some(alt) = &alt {
        repo::images::set_alt(tx.conn(), image_id, alt.as_deref()).await?;
    }
    if let Some(position) = p.position {
        if row.status != "ready" {
            return Err(ApiError::conflict("image_not_ready"));
        }
        let mut ids: Vec<Uuid> = repo::images::ready(tx.conn(), id)
            .await?
            .into_iter()
            .map(|r| r.id)
            .filter(|i| *i != image_id)
            .collect();
        let last = ids.len() as i64;
        if !(0..=last).contains(&position) {
            return Err(ApiError::Validation(vec![
                FieldError::new("position", "out_of_range")
                    .with("min", 0)
                    .with("max", last),
            ]));
        }
        ids.insert(position as usize, image_id);
        repo::images::set_order(tx.conn(), id, &ids).await?;
    }
    let saved = repo::images::get_for_update(tx.conn(), id, image_id)
        .await?
        .ok_or(ApiError::NotFound)?;
    repo::search::refresh(tx.conn(), id).await?;
    tx.commit().await?;
    cache::invalidate(&state, ctx.tenant.id).await;
    Ok(Json(ProductImage::from_row(&state, saved)))
}

/// Puts the gallery in a new order: the list names every ready image of the product once.
#[utoipa::path(put, path = "/api/v1/products/{id}/images/order", tag = "products", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Product id")),
    request_body = ImageOrder,
    responses(
        (status = 200, body = Vec<ProductImage>),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`image_order_mismatch`: not exactly the product's ready images", body = Problem, content_type = "application/problem+json"),
        (status = "4XX", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn reorder_product_images(
    _: Can<perm::WriteProducts>,
    ctx: RequestCtx,
    State(state): State<AppState>,
    AppPath(id): AppPath<Uuid>,
    AppJson(body): AppJson<ImageOrder>,
) -> Result<Json<Vec<ProductImage>>, ApiError> {
    ctx.require_user()?;
    let mut tx = state.db.begin_for(&ctx).await?;
    if !repo::products::lock_writable(tx.conn(), id).await? {
        return Err(ApiError::NotFound);
    }
    let current: HashSet<Uuid> = repo::images::ready(tx.conn(), id)
        .await?
        .into_iter()
        .map(|r| r.id)
        .collect();
    let asked: HashSet<Uuid> = body.image_ids.iter().copied().collect();
    if asked.len() != body.image_ids.len() || asked != current {
        return Err(ApiError::Rejected {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            code: "image_order_mismatch",
        });
    }
    repo::images::set_order(tx.conn(), id, &body.image_ids).await?;
    let rows = repo::images::ready(tx.conn(), id).await?;
    repo::search::refresh(tx.conn(), id).await?;
    tx.commit().await?;
    cache::invalidate(&state, ctx.tenant.id).await;
    Ok(Json(
        rows.into_iter()
            .map(|r| ProductImage::from_row(&state, r))
            .collect(),
    ))
}

/// Removes an image (ready or pending) and then its file.
#[utoipa::path(delete, path = "/api/v1/products/{id}/images/{image_id}", tag = "products", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Product id"), ("image_id" = Uuid, Path, description = "Image id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = "4XX", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn delete_product_image(
    _: Can<perm::WriteProducts>,
    ctx: RequestCtx,
    State(state): State<AppState>,
    AppPath((id, image_id)): AppPath<(Uuid, Uuid)>,
) -> Result<StatusCode, ApiError> {
    ctx.require_user()?;
    let mut tx = state.db.begin_for(&ctx).await?;
    if !repo::products::lock_writable(tx.conn(), id).await? {
        return Err(ApiError::NotFound);
    }
    let key = repo::images::delete(tx.conn(), id, image_id)
        .await?
        .ok_or(ApiError::NotFound)?;
    repo::search::refresh(tx.conn(), id).await?;
    tx.commit().await?;
    cache::invalidate(&state, ctx.tenant.id).await;
    // The row is gone for good; a file left behind by a storage hiccup is only logged.
    state.storage.delete_quietly([key]).await;
    Ok(StatusCode::NO_CONTENT)
}

/// The logo keys of one vendor: `t/{tenant}/vendors/{vendor}/logo-{random}.{ext}`.
fn logo_prefix(tenant: Uuid, vendor: Uuid) -> String {
    tenant_key(tenant, &["vendors", &vendor.to_string(), "logo-"])
}

/// Starts an upload of the caller's shop logo.
#[utoipa::path(post, path = "/api/v1/products/vendors/me/logo/uploads", tag = "products", security(("bearer" = [])),
    request_body = NewLogoUpload,
    responses(
        (status = 201, body = LogoUpload),
        (status = 404, description = "The caller has no shop in this marketplace", body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
        (status = "4XX", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn create_logo_upload(
    _: Can<perm::WriteShop>,
    ctx: RequestCtx,
    State(state): State<AppState>,
    AppJson(body): AppJson<NewLogoUpload>,
) -> Result<(StatusCode, Json<LogoUpload>), ApiError> {
    ctx.require_user()?;
    let mut v = Validator::new();
    let checked = check_upload(&mut v, &body.content_type, body.size_bytes);
    v.finish()?;
    let (content_type, ext) =
        checked.ok_or_else(|| ApiError::field("content_type", "invalid_choice"))?;
    let mut tx = state.db.begin_for(&ctx).await?;
    let (vendor, _) = repo::images::my_vendor_for_update(tx.conn())
        .await?
        .ok_or(ApiError::NotFound)?;
    tx.commit().await?;
    let key = format!(
        "{}{}.{ext}",
        logo_prefix(ctx.tenant.id, vendor),
        Uuid::new_v4().simple()
    );
    let upload = state
        .storage
        .presign_upload(&key, &content_type, body.size_bytes as u64, UPLOAD_TTL)
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(LogoUpload {
            key,
            expires_at: upload.expires_at,
            upload,
        }),
    ))
}

/// Makes an uploaded file the caller's shop logo; the previous logo's file is deleted.
#[utoipa::path(post, path = "/api/v1/products/vendors/me/logo/confirm", tag = "products", security(("bearer" = [])),
    request_body = LogoConfirm,
    responses(
        (status = 200, body = VendorLogo),
        (status = 404, description = "The caller has no shop in this marketplace", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`upload_missing`: nothing was uploaded yet", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`upload_mismatch` (the file was deleted), or a key that is not one of the caller's logo uploads", body = Problem, content_type = "application/problem+json"),
        (status = "4XX", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn confirm_logo_upload(
    _: Can<perm::WriteShop>,
    ctx: RequestCtx,
    State(state): State<AppState>,
    AppJson(body): AppJson<LogoConfirm>,
) -> Result<Json<VendorLogo>, ApiError> {
    ctx.require_user()?;
    let vendor = {
        let mut tx = state.db.begin_for(&ctx).await?;
        let (vendor, _) = repo::images::my_vendor_for_update(tx.conn())
            .await?
            .ok_or(ApiError::NotFound)?;
        tx.commit().await?;
        vendor
    };
    // Only a key this vendor was handed: its own prefix, an accepted extension.
    let key = body.key;
    let content_type = key
        .strip_prefix(&logo_prefix(ctx.tenant.id, vendor))
        .filter(|_| is_tenant_key(ctx.tenant.id, &key))
        .and_then(|rest| rest.rsplit_once('.'))
        .and_then(|(_, ext)| type_of_extension(ext))
        .ok_or_else(|| ApiError::field("key", "invalid"))?;
    let info = state
        .storage
        .head(&key)
        .await?
        .ok_or(ApiError::conflict("upload_missing"))?;
    if !arrived_as_declared(&info, content_type, IMAGE_MAX_BYTES) {
        state.storage.delete(&key).await?;
        return Err(UPLOAD_MISMATCH);
    }
    let mut tx = state.db.begin_for(&ctx).await?;
    let (vendor_now, old) = repo::images::my_vendor_for_update(tx.conn())
        .await?
        .ok_or(ApiError::NotFound)?;
    if vendor_now != vendor {
        return Err(ApiError::NotFound);
    }
    repo::images::set_logo(tx.conn(), vendor, Some(&key)).await?;
    tx.commit().await?;
    cache::invalidate(&state, ctx.tenant.id).await;
    if let Some(old) = old.filter(|o| *o != key) {
        state.storage.delete_quietly([old]).await;
    }
    Ok(Json(VendorLogo {
        logo_url: state.storage.public_url(&key),
    }))
}

/// Removes the caller's shop logo and its file.
#[utoipa::path(delete, path = "/api/v1/products/vendors/me/logo", tag = "products", security(("bearer" = [])),
    responses(
        (status = 204, description = "Deleted (or there was no logo)"),
        (status = 404, description = "The caller has no shop in this marketplace", body = Problem, content_type = "application/problem+json"),
        (status = "4XX", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn delete_logo(
    _: Can<perm::WriteShop>,
    ctx: RequestCtx,
    State(state): State<AppState>,
) -> Result<StatusCode, ApiError> {
    ctx.require_user()?;
    let mut tx = state.db.begin_for(&ctx).await?;
    let (vendor, old) = repo::images::my_vendor_for_update(tx.conn())
        .await?
        .ok_or(ApiError::NotFound)?;
    if old.is_some() {
        repo::images::set_logo(tx.conn(), vendor, None).await?;
    }
    tx.commit().await?;
    if let Some(old) = old {
        cache::invalidate(&state, ctx.tenant.id).await;
        state.storage.delete_quietly([old]).await;
    }
    Ok(StatusCode::NO_CONTENT)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn types_and_extensions() {
        assert_eq!(extension_of("image/webp"), Some("webp"));
        assert_eq!(extension_of("image/svg+xml"), None);
        assert_eq!(type_of_extension("jpg"), Some("image/jpeg"));
        assert_eq!(type_of_extension("html"), None);
    }

    #[test]
    fn arrival_checks() {
        let info = |size, ct: &str| ObjectInfo {
            size,
            content_type: Some(ct.into()),
        };
        assert!(arrived_as_declared(&info(10, "image/png"), "image/png", 10));
        assert!(arrived_as_declared(&info(5, "Image/PNG"), "image/png", 10));
        assert!(!arrived_as_declared(
            &info(11, "image/png"),
            "image/png",
            10
        ));
        assert!(!arrived_as_declared(&info(0, "image/png"), "image/png", 10));
        assert!(!arrived_as_declared(
            &info(10, "text/html"),
            "image/png",
            10
        ));
        let untyped = ObjectInfo {
            size: 10,
            content_type: None,
        };
        assert!(!arrived_as_declared(&untyped, "image/png", 10));
    }
}
