//! The category tree of a marketplace: any depth, ordered siblings, subtree moves, breadcrumbs,
//! content per locale. Shoppers read it (cached); tenant admins edit it.

use std::collections::{BTreeMap, HashMap};

use axum::{Json, extract::State, http::StatusCode};
use kernel::{
    ApiError, AppState, RequestCtx,
    error::{Problem, on_constraint},
    extract::{AppJson, AppPath},
    rbac::Can,
    validate::Validator,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

use super::nullable;
use crate::{
    cache,
    domain::{self, Content, Slug, Translations, slugify},
    permissions as perm,
    repo::{
        self,
        categories::{CategoryBase, CategoryRow},
    },
};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_categories, create_category))
        .routes(routes!(get_category, update_category, delete_category))
        .routes(routes!(move_category))
}

/// The deepest a tree may go (the `categories.path` check constraint).
const MAX_DEPTH: usize = 32;
const SLUG_MAX: usize = 120;

/// A category in the negotiated locale, with its children.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct CategoryNode {
    pub id: Uuid,
    pub parent_id: Option<Uuid>,
    pub slug: String,
    pub name: String,
    pub description: Option<String>,
    pub position: i32,
    #[schema(no_recursion)]
    pub children: Vec<CategoryNode>,
}

/// One category in the negotiated locale, with the way to it and what is under it.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Category {
    pub id: Uuid,
    pub parent_id: Option<Uuid>,
    pub slug: String,
    pub name: String,
    pub description: Option<String>,
    pub meta_title: Option<String>,
    pub meta_description: Option<String>,
    pub position: i32,
    /// From the root down to this category's parent.
    pub breadcrumbs: Vec<Crumb>,
    /// The subtree under this category.
    pub children: Vec<CategoryNode>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Crumb {
    pub id: Uuid,
    pub slug: String,
    pub name: String,
}

/// Nests rows (parents first) into trees whose roots are the rows without a parent among them.
fn nest(rows: Vec<CategoryRow>) -> Vec<CategoryNode> {
    let ids: std::collections::HashSet<Uuid> = rows.iter().map(|r| r.id).collect();
    let mut children: HashMap<Option<Uuid>, Vec<CategoryRow>> = HashMap::new();
    for r in rows {
        let parent = r.parent_id.filter(|p| ids.contains(p));
        children.entry(parent).or_default().push(r);
    }
    fn build(
        parent: Option<Uuid>,
        children: &mut HashMap<Option<Uuid>, Vec<CategoryRow>>,
    ) -> Vec<CategoryNode> {
        let rows = children.remove(&parent).unwrap_or_default();
        rows.into_iter()
            .map(|r| CategoryNode {
                children: build(Some(r.id), children),
                id: r.id,
                parent_id: r.parent_id,
                slug: r.slug,
                name: r.name,
                description: r.description,
                position: r.position,
            })
            .collect()
    }
    build(None, &mut children)
}

/// The whole tree in the negotiated locale.
#[utoipa::path(get, path = "/api/v1/products/categories", tag = "products",
    responses(
        (status = 200, body = Vec<CategoryNode>),
        (status = "4XX", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn list_categories(
    _: Can<perm::ReadCatalog>,
    ctx: RequestCtx,
    State(state): State<AppState>,
) -> Result<Json<Vec<CategoryNode>>, ApiError> {
    let locale = ctx.locale.as_str();
    let tree = cache::cached(
        &state,
        ctx.tenant.id,
        &format!("categories:{locale}"),
        async || {
            let mut tx = state.db.begin_for(&ctx).await?;
            let rows = repo::categories::all(tx.conn(), locale).await?;
            tx.commit().await?;
            Ok(nest(rows))
        },
    )
    .await?;
    Ok(Json(tree))
}

/// One category by id or slug, with breadcrumbs and its subtree.
#[utoipa::path(get, path = "/api/v1/products/categories/{id}", tag = "products",
    params(("id" = String, Path, description = "Category id or slug")),
    responses(
        (status = 200, body = Category),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = "4XX", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn get_category(
    _: Can<perm::ReadCatalog>,
    ctx: RequestCtx,
    State(state): State<AppState>,
    AppPath(key): AppPath<String>,
) -> Result<Json<Category>, ApiError> {
    if key.len() > SLUG_MAX {
        return Err(ApiError::NotFound);
    }
    let cache_key = format!("category:{}:{key}", ctx.locale.as_str());
    let category = cache::cached(&state, ctx.tenant.id, &cache_key, async || {
        load(&state, &ctx, &key).await
    })
    .await?;
    Ok(Json(category))
}

/// Category content in a locale other than the marketplace default.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CategoryContent {
    #[schema(max_length = 120)]
    pub name: Option<String>,
    #[schema(max_length = 4000)]
    pub description: Option<String>,
    #[schema(max_length = 120)]
    pub meta_title: Option<String>,
    #[schema(max_length = 320)]
    pub meta_description: Option<String>,
}

impl From<CategoryContent> for Content {
    fn from(c: CategoryContent) -> Self {
        Content {
            title: c.name,
            description: c.description,
            meta_title: c.meta_title,
            meta_description: c.meta_description,
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewCategory {
    /// In the marketplace's default locale.
    #[schema(max_length = 120, example = "Polos")]
    pub name: String,
    /// Generated from the name when omitted; unique in the marketplace.
    pub slug: Option<String>,
    pub parent_id: Option<Uuid>,
    #[serde(default)]
    pub position: i32,
    pub description: Option<String>,
    pub meta_title: Option<String>,
    pub meta_description: Option<String>,
    /// Content in other locales, by locale (`en`, `es`); `null` removes one.
    #[serde(default)]
    #[schema(value_type = Object)]
    pub translations: BTreeMap<String, Option<CategoryContent>>,
}

/// Omitted fields stay; `null` clears an optional field. Use `move` to change the parent.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CategoryPatch {
    pub name: Option<String>,
    pub slug: Option<String>,
    pub position: Option<i32>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    pub description: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    pub meta_title: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    pub meta_description: Option<Option<String>>,
    #[serde(default)]
    #[schema(value_type = Object)]
    pub translations: BTreeMap<String, Option<CategoryContent>>,
}

/// Validates the default-locale content and the translations together, so one answer lists
/// every problem.
fn validate(
    ctx: &RequestCtx,
    c: &mut CategoryBase,
    translations: BTreeMap<String, Option<CategoryContent>>,
) -> Result<Translations, ApiError> {
    let mut v = Validator::new();
    let base = Content {
        title: Some(std::mem::take(&mut c.name)),
        description: c.description.take(),
        meta_title: c.meta_title.take(),
        meta_description: c.meta_description.take(),
    }
    .clean(&mut v, "", "name", 120, 4000);
    v.check(base.title.is_some(), "name", "required");
    let slug = v.parse(Slug::parse("slug", &c.slug, SLUG_MAX));
    let out = domain::translations(
        &mut v,
        ctx.tenant.default_locale,
        translations,
        "name",
        120,
        4000,
    );
    v.finish()?;
    c.slug = slug.expect("validated").into_string();
    c.name = base.title.expect("validated");
    c.description = base.description;
    c.meta_title = base.meta_title;
    c.meta_description = base.meta_description;
    Ok(out)
}

/// A category with breadcrumbs and subtree, read from the database.
async fn load(state: &AppState, ctx: &RequestCtx, key: &str) -> Result<Category, ApiError> {
    let locale = ctx.locale.as_str();
    let mut tx = state.db.begin_for(ctx).await?;
    let c = repo::categories::get(tx.conn(), locale, key)
        .await?
        .ok_or(ApiError::NotFound)?;
    let ancestors = &c.path[..c.path.len() - 1];
    let breadcrumbs = repo::categories::on_path(tx.conn(), locale, ancestors).await?;
    let mut subtree = repo::categories::subtree(tx.conn(), locale, c.id).await?;
    tx.commit().await?;
    subtree.retain(|r| r.id != c.id);
    Ok(Category {
        children: nest(subtree),
        breadcrumbs: breadcrumbs
            .into_iter()
            .map(|b| Crumb {
                id: b.id,
                slug: b.slug,
                name: b.name,
            })
            .collect(),
        id: c.id,
        parent_id: c.parent_id,
        slug: c.slug,
        name: c.name,
        description: c.description,
        meta_title: c.meta_title,
        meta_description: c.meta_description,
        position: c.position,
    })
}

/// The answer to a write: the category as it now is (never from the cache).
async fn answer(state: &AppState, ctx: &RequestCtx, id: Uuid) -> Result<Json<Category>, ApiError> {
    load(state, ctx, &id.to_string()).await.map(Json)
}

/// Adds a category (under `parent_id`, or as a root).
#[utoipa::path(post, path = "/api/v1/products/categories", tag = "products", security(("bearer" = [])),
    request_body = NewCategory,
    responses(
        (status = 201, body = Category),
        (status = 404, description = "No such parent", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`category_slug_taken`, `category_too_deep`", body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
        (status = "4XX", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn create_category(
    _: Can<perm::WriteCategories>,
    ctx: RequestCtx,
    State(state): State<AppState>,
    AppJson(body): AppJson<NewCategory>,
) -> Result<(StatusCode, Json<Category>), ApiError> {
    let id = Uuid::now_v7();
    let mut c = CategoryBase {
        id,
        parent_id: body.parent_id,
        path: vec![],
        position: body.position,
        slug: body.slug.unwrap_or_else(|| slugify(&body.name, SLUG_MAX)),
        name: body.name,
        description: body.description,
        meta_title: body.meta_title,
        meta_description: body.meta_description,
    };
    let translations = validate(&ctx, &mut c, body.translations)?;
    let mut tx = state.db.begin_for(&ctx).await?;
    let mut path = match c.parent_id {
        None => vec![],
        Some(parent) => repo::categories::path_for_update(tx.conn(), parent)
            .await?
            .ok_or(ApiError::NotFound)?,
    };
    if path.len() >= MAX_DEPTH {
        return Err(ApiError::conflict("category_too_deep"));
    }
    path.push(id);
    c.path = path;
    repo::categories::insert(tx.conn(), ctx.tenant.id, &c)
        .await
        .map_err(on_constraint(
            repo::categories::SLUG_KEY,
            ApiError::conflict("category_slug_taken"),
        ))?;
    for (locale, content) in &translations {
        repo::translations::set(
            tx.conn(),
            repo::translations::CATEGORY,
            ctx.tenant.id,
            id,
            locale,
            content.as_ref(),
        )
        .await?;
    }
    tx.commit().await?;
    cache::invalidate(&state, ctx.tenant.id).await;
    let (status, body) = (StatusCode::CREATED, answer(&state, &ctx, id).await?);
    Ok((status, body))
}

/// Edits a category's content, slug or position among its siblings.
#[utoipa::path(patch, path = "/api/v1/products/categories/{id}", tag = "products", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Category id")),
    request_body = CategoryPatch,
    responses(
        (status = 200, body = Category),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`category_slug_taken`", body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
        (status = "4XX", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn update_category(
    _: Can<perm::WriteCategories>,
    ctx: RequestCtx,
    State(state): State<AppState>,
    AppPath(id): AppPath<Uuid>,
    AppJson(p): AppJson<CategoryPatch>,
) -> Result<Json<Category>, ApiError> {
    let mut tx = state.db.begin_for(&ctx).await?;
    let mut c = repo::categories::base_for_update(tx.conn(), id)
        .await?
        .ok_or(ApiError::NotFound)?;
    if let Some(name) = p.name {
        c.name = name;
    }
    if let Some(slug) = p.slug {
        c.slug = slug;
    }
    if let Some(position) = p.position {
        c.position = position;
    }
    if let Some(d) = p.description {
        c.description = d;
    }
    if let Some(t) = p.meta_title {
        c.meta_title = t;
    }
    if let Some(d) = p.meta_description {
        c.meta_description = d;
    }
    let translations = validate(&ctx, &mut c, p.translations)?;
    repo::categories::update(tx.conn(), &c)
        .await
        .map_err(on_constraint(
            repo::categories::SLUG_KEY,
            ApiError::conflict("category_slug_taken"),
        ))?;
    for (locale, content) in &translations {
        repo::translations::set(
            tx.conn(),
            repo::translations::CATEGORY,
            ctx.tenant.id,
            id,
            locale,
            content.as_ref(),
        )
        .await?;
    }
    tx.commit().await?;
    cache::invalidate(&state, ctx.tenant.id).await;
    answer(&state, &ctx, id).await
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CategoryMove {
    /// The new parent; `null` makes the category a root.
    pub parent_id: Option<Uuid>,
    /// Position among the new siblings (0 when omitted).
    #[serde(default)]
    pub position: i32,
}

/// Moves a category with its whole subtree under another parent. A category cannot move under
/// itself or one of its descendants.
#[utoipa::path(post, path = "/api/v1/products/categories/{id}/move", tag = "products", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Category id")),
    request_body = CategoryMove,
    responses(
        (status = 200, body = Category),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`category_cycle`, `category_too_deep`", body = Problem, content_type = "application/problem+json"),
        (status = "4XX", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn move_category(
    _: Can<perm::WriteCategories>,
    ctx: RequestCtx,
    State(state): State<AppState>,
    AppPath(id): AppPath<Uuid>,
    AppJson(body): AppJson<CategoryMove>,
) -> Result<Json<Category>, ApiError> {
    let mut tx = state.db.begin_for(&ctx).await?;
    // Serialize tree moves of a tenant: two concurrent moves could otherwise each pass the cycle
    // check and together make a cycle.
    sqlx::query("select pg_advisory_xact_lock(hashtextextended('categories-move:' || app_current_tenant()::text, 0))")
        .execute(tx.conn())
        .await?;
    let old_path = repo::categories::path_for_update(tx.conn(), id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let new_parent_path = match body.parent_id {
        None => vec![],
        Some(parent) => repo::categories::path_for_update(tx.conn(), parent)
            .await?
            .ok_or(ApiError::NotFound)?,
    };
    if new_parent_path.contains(&id) {
        return Err(ApiError::conflict("category_cycle"));
    }
    let depth = repo::categories::move_subtree(
        tx.conn(),
        id,
        &old_path,
        body.parent_id,
        &new_parent_path,
        body.position,
    )
    .await?;
    if depth as usize > MAX_DEPTH {
        return Err(ApiError::conflict("category_too_deep"));
    }
    repo::search::refresh_category(tx.conn(), id).await?;
    tx.commit().await?;
    cache::invalidate(&state, ctx.tenant.id).await;
    answer(&state, &ctx, id).await
}

/// Deletes an empty category. One that still holds products or subcategories is refused.
#[utoipa::path(delete, path = "/api/v1/products/categories/{id}", tag = "products", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Category id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`category_not_empty`, `category_has_children`", body = Problem, content_type = "application/problem+json"),
        (status = "4XX", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn delete_category(
    _: Can<perm::WriteCategories>,
    ctx: RequestCtx,
    State(state): State<AppState>,
    AppPath(id): AppPath<Uuid>,
) -> Result<StatusCode, ApiError> {
    let mut tx = state.db.begin_for(&ctx).await?;
    repo::categories::path_for_update(tx.conn(), id)
        .await?
        .ok_or(ApiError::NotFound)?;
    // Friendly answers first; the foreign keys are the backstop against a concurrent insert.
    if repo::categories::has_children(tx.conn(), id).await? {
        return Err(ApiError::conflict("category_has_children"));
    }
    if repo::categories::has_products(tx.conn(), id).await? {
        return Err(ApiError::conflict("category_not_empty"));
    }
    repo::categories::delete(tx.conn(), id)
        .await
        .map_err(|e| match &e {
            sqlx::Error::Database(db) if db.constraint() == Some(repo::categories::PRODUCTS_FK) => {
                ApiError::conflict("category_not_empty")
            }
            sqlx::Error::Database(db) if db.constraint() == Some(repo::categories::PARENT_FK) => {
                ApiError::conflict("category_has_children")
            }
            _ => ApiError::from(e),
        })?;
    tx.commit().await?;
    cache::invalidate(&state, ctx.tenant.id).await;
    Ok(StatusCode::NO_CONTENT)
}
