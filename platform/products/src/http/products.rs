//! Products: owned by one vendor; content in the marketplace's default locale plus translations;
//! tags, categories, attributes, SEO fields; variants and their stock. Vendors edit their own,
//! admins all of their marketplace; shoppers see active products of approved vendors.

use std::collections::{BTreeMap, HashSet};

use axum::{Json, extract::State, http::StatusCode};
use kernel::{
    ApiError, AppState, RequestCtx,
    error::{FieldError, Problem, on_constraint},
    extract::{AppJson, AppPath, AppQuery},
    pagination::{Page, PageQuery},
    rbac::Can,
    validate::Validator,
};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use time::OffsetDateTime;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::{
    images::ProductImage,
    nullable,
    variants::{self, NewVariant, Variant},
};
use crate::{
    cache,
    domain::{self, Content, Slug, Translations, slugify, string_map},
    permissions as perm,
    repo::{
        self,
        products::{ProductBase, ProductRow, SummaryRow},
    },
};

const SLUG_MAX: usize = 160;
const TAGS_MAX: usize = 20;
const CATEGORIES_MAX: usize = 10;
const STATUSES: [&str; 3] = ["draft", "active", "archived"];

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct VendorRef {
    pub id: Uuid,
    pub slug: String,
    pub name: String,
}

/// Content of a product in one locale.
#[derive(Debug, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProductContent {
    #[schema(max_length = 200)]
    pub title: Option<String>,
    #[schema(max_length = 20000)]
    pub description: Option<String>,
    #[schema(max_length = 120)]
    pub meta_title: Option<String>,
    #[schema(max_length = 320)]
    pub meta_description: Option<String>,
}

impl From<ProductContent> for Content {
    fn from(c: ProductContent) -> Self {
        Content {
            title: c.title,
            description: c.description,
            meta_title: c.meta_title,
            meta_description: c.meta_description,
        }
    }
}

/// A product in the negotiated locale (content falls back to the marketplace default).
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Product {
    pub id: Uuid,
    pub vendor: VendorRef,
    pub slug: String,
    pub title: String,
    pub description: Option<String>,
    pub meta_title: Option<String>,
    pub meta_description: Option<String>,
    pub canonical_slug: Option<String>,
    /// `draft`, `active` or `archived`.
    pub status: String,
    #[schema(value_type = Object)]
    pub attributes: Value,
    pub tags: Vec<String>,
    pub category_ids: Vec<Uuid>,
    pub variants: Vec<Variant>,
    /// Ready images in display order.
    pub images: Vec<ProductImage>,
    /// Content per other locale, shown only to whoever may edit the product.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub translations: Option<BTreeMap<String, ProductContent>>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub published_at: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
}

/// Reads the product as the caller may see it: `None` when invisible to them.
async fn load(state: &AppState, ctx: &RequestCtx, key: &str) -> Result<Option<Product>, ApiError> {
    let mut tx = state.db.begin_for(ctx).await?;
    let Some(row) = repo::products::get(tx.conn(), ctx.locale.as_str(), key).await? else {
        return Ok(None);
    };
    let variants = repo::variants::of_product(tx.conn(), row.id).await?;
    let images = repo::images::ready(tx.conn(), row.id).await?;
    let translations = if row.editable {
        let rows = repo::products::translations(tx.conn(), row.id).await?;
        Some(
            rows.into_iter()
                .map(|t| {
                    let content = ProductContent {
                        title: t.title,
                        description: t.description,
                        meta_title: t.meta_title,
                        meta_description: t.meta_description,
                    };
                    (t.locale, content)
                })
                .collect(),
        )
    } else {
        None
    };
    tx.commit().await?;
    Ok(Some(assemble(state, row, variants, images, translations)))
}

fn assemble(
    state: &AppState,
    r: ProductRow,
    variants: Vec<repo::variants::VariantRow>,
    images: Vec<repo::images::ImageRow>,
    translations: Option<BTreeMap<String, ProductContent>>,
) -> Product {
    Product {
        id: r.id,
        vendor: VendorRef {
            id: r.vendor_id,
            slug: r.vendor_slug,
            name: r.vendor_name,
        },
        slug: r.slug,
        title: r.title,
        description: r.description,
        meta_title: r.meta_title,
        meta_description: r.meta_description,
        canonical_slug: r.canonical_slug,
        status: r.status,
        attributes: r.attributes,
        tags: r.tags,
        category_ids: r.category_ids,
        variants: variants.into_iter().map(Variant::from).collect(),
        images: images
            .into_iter()
            .map(|i| ProductImage::from_row(state, i))
            .collect(),
        translations,
        published_at: r.published_at,
        created_at: r.created_at,
        updated_at: r.updated_at,
    }
}

/// Vendors and admins may see drafts; they always read the database. Everyone else reads the
/// public product page, which is cached per tenant, locale and product.
fn sees_drafts(ctx: &RequestCtx) -> bool {
    ctx.roles().any(|r| r == "vendor" || r == "admin")
}

/// A product by id or slug. Drafts and archived products are visible only to their vendor and
/// the marketplace admins (404 to everyone else).
#[utoipa::path(get, path = "/api/v1/products/{id}", tag = "products",
    params(("id" = String, Path, description = "Product id or slug")),
    responses(
        (status = 200, body = Product),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = "4XX", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn get_product(
    _: Can<perm::ReadCatalog>,
    ctx: RequestCtx,
    State(state): State<AppState>,
    AppPath(key): AppPath<String>,
) -> Result<Json<Product>, ApiError> {
    if key.len() > SLUG_MAX {
        return Err(ApiError::NotFound);
    }
    let product = if sees_drafts(&ctx) {
        load(&state, &ctx, &key).await?
    } else {
        let cache_key = format!("product:{}:{key}", ctx.locale.as_str());
        cache::cached(&state, ctx.tenant.id, &cache_key, async || {
            load(&state, &ctx, &key).await
        })
        .await?
    };
    product.map(Json).ok_or(ApiError::NotFound)
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewProduct {
    /// In the marketplace's default locale.
    #[schema(max_length = 200, example = "Polo de algodón pima")]
    pub title: String,
    /// Generated from the title when omitted; unique in the marketplace.
    pub slug: Option<String>,
    pub description: Option<String>,
    /// `draft` (default), `active` (needs a variant) or `archived`.
    pub status: Option<String>,
    pub meta_title: Option<String>,
    pub meta_description: Option<String>,
    pub canonical_slug: Option<String>,
    #[schema(value_type = Option<Object>)]
    pub attributes: Option<Map<String, Value>>,
    #[serde(default)]
    pub tags: Vec<String>,
    #[serde(default)]
    pub category_ids: Vec<Uuid>,
    /// Content in other locales, by locale.
    #[serde(default)]
    #[schema(value_type = Object)]
    pub translations: BTreeMap<String, Option<ProductContent>>,
    #[serde(default)]
    pub variants: Vec<NewVariant>,
    /// Admins create products for a vendor; a vendor's products are always its own.
    pub vendor_id: Option<Uuid>,
}

/// Omitted fields stay; `null` clears an optional field; lists and translations given replace
/// what was there (a translation set to `null` is removed).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProductPatch {
    pub title: Option<String>,
    pub slug: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    pub description: Option<Option<String>>,
    pub status: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    pub meta_title: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    pub meta_description: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    pub canonical_slug: Option<Option<String>>,
    #[schema(value_type = Option<Object>)]
    pub attributes: Option<Map<String, Value>>,
    pub tags: Option<Vec<String>>,
    pub category_ids: Option<Vec<Uuid>>,
    #[serde(default)]
    #[schema(value_type = Object)]
    pub translations: BTreeMap<String, Option<ProductContent>>,
}

/// What a write changes besides the product row.
struct Related {
    tags: Option<Vec<String>>,
    categories: Option<Vec<Uuid>>,
    translations: Translations,
}

/// Validates and normalizes the default-locale row and everything around it, answering with
/// every problem at once.
fn validate(
    ctx: &RequestCtx,
    v: &mut Validator,
    p: &mut ProductBase,
    tags: Option<Vec<String>>,
    categories: Option<Vec<Uuid>>,
    translations: BTreeMap<String, Option<ProductContent>>,
) -> Related {
    let base = Content {
        title: Some(std::mem::take(&mut p.title)),
        description: p.description.take(),
        meta_title: p.meta_title.take(),
        meta_description: p.meta_description.take(),
    }
    .clean(v, "", "title", 200, 20000);
    v.check(base.title.is_some(), "title", "required");
    p.title = base.title.unwrap_or_default();
    p.description = base.description;
    p.meta_title = base.meta_title;
    p.meta_description = base.meta_description;
    if let Some(slug) = v.parse(Slug::parse("slug", &p.slug, SLUG_MAX)) {
        p.slug = slug.into_string();
    }
    if let Some(c) = p.canonical_slug.take().filter(|c| !c.is_empty()) {
        p.canonical_slug = v
            .parse(Slug::parse("canonical_slug", &c, SLUG_MAX))
            .map(Slug::into_string);
    }
    v.check(
        STATUSES.contains(&p.status.as_str()),
        "status",
        "invalid_choice",
    );
    match p.attributes.as_object() {
        Some(map) => {
            if let Err(e) = string_map("attributes", map) {
                v.push(e);
            }
        }
        None => {
            v.push(FieldError::new("attributes", "invalid_type"));
        }
    }
    let tags = tags.map(|tags| {
        if tags.len() > TAGS_MAX {
            v.push(FieldError::new("tags", "too_long").with("max", TAGS_MAX));
        }
        let mut seen = HashSet::new();
        let mut out = Vec::new();
        for (i, t) in tags.into_iter().enumerate() {
            let t = t.trim().to_lowercase();
            v.text(&format!("tags[{i}]"), &t, 1, 50);
            if seen.insert(t.clone()) {
                out.push(t);
            }
        }
        out
    });
    let categories = categories.map(|mut c| {
        c.sort();
        c.dedup();
        if c.len() > CATEGORIES_MAX {
            v.push(FieldError::new("category_ids", "too_long").with("max", CATEGORIES_MAX));
        }
        c
    });
    let out = domain::translations(
        v,
        ctx.tenant.default_locale,
        translations,
        "title",
        200,
        20000,
    );
    Related {
        tags,
        categories,
        translations: out,
    }
}

/// Writes tags, categories and translations of product `id`.
async fn save_related(
    conn: &mut sqlx::PgConnection,
    tenant: Uuid,
    id: Uuid,
    r: &Related,
) -> Result<(), ApiError> {
    if let Some(tags) = &r.tags {
        repo::products::set_tags(conn, tenant, id, tags).await?;
    }
    if let Some(categories) = &r.categories
        && !repo::products::set_categories(conn, tenant, id, categories).await?
    {
        return Err(ApiError::field("category_ids", "not_found"));
    }
    for (locale, content) in &r.translations {
        repo::translations::set(
            conn,
            repo::translations::PRODUCT,
            tenant,
            id,
            locale,
            content.as_ref(),
        )
        .await?;
    }
    Ok(())
}

/// Whose product a new one is: the caller's approved vendor, or (admins) the vendor named.
async fn owner_of_new(
    conn: &mut sqlx::PgConnection,
    asked: Option<Uuid>,
) -> Result<Uuid, ApiError> {
    let (vendor, admin): (Option<Uuid>, bool) =
        sqlx::query_as("select app_current_vendor(), app_is_tenant_admin()")
            .fetch_one(&mut *conn)
            .await?;
    match (asked, vendor, admin) {
        (Some(asked), _, true) => {
            let approved: bool = sqlx::query_scalar(
                "select exists (select from vendors where id = $1 and status = 'approved')",
            )
            .bind(asked)
            .fetch_one(conn)
            .await?;
            if approved {
                Ok(asked)
            } else {
                Err(ApiError::field("vendor_id", "not_found"))
            }
        }
        (None, Some(own), _) => Ok(own),
        (Some(asked), Some(own), false) if asked == own => Ok(own),
        (Some(_), Some(_), false) => Err(ApiError::field("vendor_id", "not_found")),
        (None, None, true) => Err(ApiError::field("vendor_id", "required")),
        // A vendor whose shop is no longer approved (its token may still say `vendor`).
        (_, None, false) => Err(ApiError::Forbidden),
    }
}

/// Creates a product with its variants and opening stock. A vendor creates its own products; an
/// admin names the vendor. A generated slug that is taken gets a short suffix.
#[utoipa::path(post, path = "/api/v1/products", tag = "products", security(("bearer" = [])),
    request_body = NewProduct,
    responses(
        (status = 201, body = Product),
        (status = 409, description = "`product_slug_taken`, `sku_taken`, `product_needs_variant`", body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
        (status = "4XX", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn create_product(
    _: Can<perm::WriteProducts>,
    ctx: RequestCtx,
    State(state): State<AppState>,
    AppJson(body): AppJson<NewProduct>,
) -> Result<(StatusCode, Json<Product>), ApiError> {
    let me = ctx.require_user()?.user_id;
    let id = Uuid::now_v7();
    let generated_slug = body.slug.is_none();
    let status = body.status.unwrap_or_else(|| "draft".into());
    let mut p = ProductBase {
        id,
        vendor_id: Uuid::nil(),
        slug: body
            .slug
            .unwrap_or_else(|| slugify(&body.title, SLUG_MAX - 8)),
        title: body.title,
        description: body.description,
        meta_title: body.meta_title,
        meta_description: body.meta_description,
        canonical_slug: body.canonical_slug,
        published_at: (status == "active").then(OffsetDateTime::now_utc),
        status,
        attributes: Value::Object(body.attributes.unwrap_or_default()),
    };
    let mut v = Validator::new();
    let related = validate(
        &ctx,
        &mut v,
        &mut p,
        Some(body.tags),
        Some(body.category_ids),
        body.translations,
    );
    if body.variants.len() > variants::VARIANTS_MAX {
        v.push(FieldError::new("variants", "too_long").with("max", variants::VARIANTS_MAX));
    }
    let new_variants: Vec<_> = body
        .variants
        .into_iter()
        .enumerate()
        .map(|(i, n)| {
            variants::new_row(
                &mut v,
                &format!("variants[{i}]."),
                id,
                n,
                &ctx.tenant.currency,
            )
        })
        .collect();
    variants::check_unique_skus(&mut v, new_variants.iter().map(|(r, _, _)| r.sku.as_str()));
    v.finish()?;
    if p.status == "active" && new_variants.is_empty() {
        return Err(ApiError::conflict("product_needs_variant"));
    }
    let mut tx = state.db.begin_for(&ctx).await?;
    p.vendor_id = owner_of_new(tx.conn(), body.vendor_id).await?;
    let mut inserted = repo::products::insert(tx.conn(), ctx.tenant.id, &p).await?;
    if !inserted && generated_slug {
        // A generated slug that is taken gets the end of the (random) id.
        let simple = id.simple().to_string();
        p.slug = format!("{}-{}", p.slug, &simple[simple.len() - 6..]);
        inserted = repo::products::insert(tx.conn(), ctx.tenant.id, &p).await?;
    }
    if !inserted {
        return Err(ApiError::conflict("product_slug_taken"));
    }
    save_related(tx.conn(), ctx.tenant.id, id, &related).await?;
    variants::insert_all(tx.conn(), ctx.tenant.id, me, &new_variants).await?;
    repo::search::refresh(tx.conn(), id).await?;
    tx.commit().await?;
    cache::invalidate(&state, ctx.tenant.id).await;
    let product = load(&state, &ctx, &id.to_string())
        .await?
        .ok_or(ApiError::NotFound)?;
    Ok((StatusCode::CREATED, Json(product)))
}

/// Edits a product the caller may edit (another vendor's product is a 404).
#[utoipa::path(patch, path = "/api/v1/products/{id}", tag = "products", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Product id")),
    request_body = ProductPatch,
    responses(
        (status = 200, body = Product),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`product_slug_taken`, `product_needs_variant`", body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
        (status = "4XX", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn update_product(
    _: Can<perm::WriteProducts>,
    ctx: RequestCtx,
    State(state): State<AppState>,
    AppPath(id): AppPath<Uuid>,
    AppJson(patch): AppJson<ProductPatch>,
) -> Result<Json<Product>, ApiError> {
    let mut tx = state.db.begin_for(&ctx).await?;
    let mut p = repo::products::base_for_update(tx.conn(), id)
        .await?
        .ok_or(ApiError::NotFound)?;
    if let Some(t) = patch.title {
        p.title = t;
    }
    if let Some(s) = patch.slug {
        p.slug = s;
    }
    if let Some(d) = patch.description {
        p.description = d;
    }
    if let Some(s) = patch.status {
        p.status = s;
    }
    if let Some(t) = patch.meta_title {
        p.meta_title = t;
    }
    if let Some(d) = patch.meta_description {
        p.meta_description = d;
    }
    if let Some(c) = patch.canonical_slug {
        p.canonical_slug = c;
    }
    if let Some(a) = patch.attributes {
        p.attributes = Value::Object(a);
    }
    let mut v = Validator::new();
    let related = validate(
        &ctx,
        &mut v,
        &mut p,
        patch.tags,
        patch.category_ids,
        patch.translations,
    );
    v.finish()?;
    if p.status == "active" {
        if repo::variants::count(tx.conn(), id).await? == 0 {
            return Err(ApiError::conflict("product_needs_variant"));
        }
        p.published_at.get_or_insert_with(OffsetDateTime::now_utc);
    }
    repo::products::update(tx.conn(), &p)
        .await
        .map_err(on_constraint(
            repo::products::SLUG_KEY,
            ApiError::conflict("product_slug_taken"),
        ))?;
    save_related(tx.conn(), ctx.tenant.id, id, &related).await?;
    repo::search::refresh(tx.conn(), id).await?;
    tx.commit().await?;
    cache::invalidate(&state, ctx.tenant.id).await;
    let product = load(&state, &ctx, &id.to_string())
        .await?
        .ok_or(ApiError::NotFound)?;
    Ok(Json(product))
}

/// Deletes a product that was never published. A published product may be in orders: archive
/// it instead (`status: archived`).
#[utoipa::path(delete, path = "/api/v1/products/{id}", tag = "products", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Product id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`product_published`", body = Problem, content_type = "application/problem+json"),
        (status = "4XX", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn delete_product(
    _: Can<perm::WriteProducts>,
    ctx: RequestCtx,
    State(state): State<AppState>,
    AppPath(id): AppPath<Uuid>,
) -> Result<StatusCode, ApiError> {
    let mut tx = state.db.begin_for(&ctx).await?;
    let p = repo::products::base_for_update(tx.conn(), id)
        .await?
        .ok_or(ApiError::NotFound)?;
    if p.published_at.is_some() {
        return Err(ApiError::conflict("product_published"));
    }
    let keys = repo::products::image_keys(tx.conn(), id).await?;
    repo::products::delete(tx.conn(), id).await?;
    repo::search::refresh(tx.conn(), id).await?;
    tx.commit().await?;
    cache::invalidate(&state, ctx.tenant.id).await;
    // Files go after the rows: a failure leaves an orphan file, never a row without its file.
    state.storage.delete_quietly(keys).await;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ProductSummary {
    pub id: Uuid,
    pub vendor_id: Uuid,
    pub slug: String,
    /// In the marketplace's default locale.
    pub title: String,
    pub status: String,
    pub variant_count: i64,
    /// Units on hand over every variant.
    pub on_hand: i64,
    /// Some variant is at or under its low-stock threshold.
    pub low_stock: bool,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
}

impl From<SummaryRow> for ProductSummary {
    fn from(r: SummaryRow) -> Self {
        Self {
            id: r.id,
            vendor_id: r.vendor_id,
            slug: r.slug,
            title: r.title,
            status: r.status,
            variant_count: r.variant_count,
            on_hand: r.on_hand,
            low_stock: r.low_stock,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ManageQuery {
    /// `draft`, `active` or `archived`.
    pub status: Option<String>,
    /// Admins: only this vendor's products.
    pub vendor_id: Option<Uuid>,
    pub limit: Option<u32>,
    pub cursor: Option<String>,
}

/// The products the caller manages, drafts included: a vendor's own, or (admins) every product
/// of the marketplace. Newest first.
#[utoipa::path(get, path = "/api/v1/products/manage", tag = "products", security(("bearer" = [])),
    params(ManageQuery),
    responses(
        (status = 200, body = Page<ProductSummary>),
        (status = "4XX", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn list_managed_products(
    _: Can<perm::WriteProducts>,
    ctx: RequestCtx,
    State(state): State<AppState>,
    AppQuery(q): AppQuery<ManageQuery>,
) -> Result<Json<Page<ProductSummary>>, ApiError> {
    if let Some(s) = &q.status
        && !STATUSES.contains(&s.as_str())
    {
        return Err(ApiError::field("status", "invalid_choice"));
    }
    let page = PageQuery {
        limit: q.limit,
        cursor: q.cursor,
    };
    let (limit, cursor) = (page.limit()?, page.cursor::<(OffsetDateTime, Uuid)>()?);
    let mut tx = state.db.begin_for(&ctx).await?;
    let rows = repo::products::editable(tx.conn(), q.status.as_deref(), q.vendor_id, cursor, limit)
        .await?;
    tx.commit().await?;
    Ok(Json(
        Page::from_rows(rows, limit, |r| (r.created_at, r.id)).map(ProductSummary::from),
    ))
}
