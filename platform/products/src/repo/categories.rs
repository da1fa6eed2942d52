use sqlx::{FromRow, PgConnection};
use uuid::Uuid;

/// A category with its content resolved to one locale (falling back to the tenant default).
#[derive(Clone, Debug, FromRow)]
pub struct CategoryRow {
    pub id: Uuid,
    pub parent_id: Option<Uuid>,
    pub path: Vec<Uuid>,
    pub position: i32,
    pub slug: String,
    pub name: String,
    pub description: Option<String>,
    pub meta_title: Option<String>,
    pub meta_description: Option<String>,
}

/// `$1` is the locale wanted.
const COLS: &str = "c.id, c.parent_id, c.path, c.position, c.slug::text,
    coalesce(t.name, c.name) as name, coalesce(t.description, c.description) as description,
    coalesce(t.meta_title, c.meta_title) as meta_title,
    coalesce(t.meta_description, c.meta_description) as meta_description";
const FROM: &str =
    "categories c left join category_translations t on t.category_id = c.id and t.locale = $1";

pub const SLUG_KEY: &str = "categories_tenant_id_slug_key";
/// A product still sits in the category.
pub const PRODUCTS_FK: &str = "product_categories_tenant_id_category_id_fkey";
/// A child still hangs off the category.
pub const PARENT_FK: &str = "categories_tenant_id_parent_id_fkey";

/// Every category of the tenant, parents before children, siblings by position.
pub async fn all(conn: &mut PgConnection, locale: &str) -> Result<Vec<CategoryRow>, sqlx::Error> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "select {COLS} from {FROM} order by cardinality(c.path), c.position, c.name, c.id"
    )))
    .bind(locale)
    .fetch_all(conn)
    .await
}

/// The category and everything under it, parents before children.
pub async fn subtree(
    conn: &mut PgConnection,
    locale: &str,
    root: Uuid,
) -> Result<Vec<CategoryRow>, sqlx::Error> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "select {COLS} from {FROM} where c.path @> array[$2::uuid]
          order by cardinality(c.path), c.position, c.name, c.id"
    )))
    .bind(locale)
    .bind(root)
    .fetch_all(conn)
    .await
}

/// By id or slug.
pub async fn get(
    conn: &mut PgConnection,
    locale: &str,
    key: &str,
) -> Result<Option<CategoryRow>, sqlx::Error> {
    let id = key.parse::<Uuid>().ok();
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "select {COLS} from {FROM} where c.id = $2 or ($2 is null and c.slug = $3::citext)"
    )))
    .bind(locale)
    .bind(id)
    .bind(key)
    .fetch_optional(conn)
    .await
}

/// The categories on `path` (ancestors of the last one, and itself), root first.
pub async fn on_path(
    conn: &mut PgConnection,
    locale: &str,
    path: &[Uuid],
) -> Result<Vec<CategoryRow>, sqlx::Error> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "select {COLS} from {FROM} where c.id = any($2) order by cardinality(c.path)"
    )))
    .bind(locale)
    .bind(path)
    .fetch_all(conn)
    .await
}

/// The raw (default-locale) row, locked, for edits.
#[derive(Clone, Debug, FromRow)]
pub struct CategoryBase {
    pub id: Uuid,
    pub parent_id: Option<Uuid>,
    pub path: Vec<Uuid>,
    pub position: i32,
    pub slug: String,
    pub name: String,
    pub description: Option<String>,
    pub meta_title: Option<String>,
    pub meta_description: Option<String>,
}

pub async fn base_for_update(
    conn: &mut PgConnection,
    id: Uuid,
) -> Result<Option<CategoryBase>, sqlx::Error> {
    sqlx::query_as(
        "select id, parent_id, path, position, slug::text, name, description, meta_title, meta_description
           from categories where id = $1 for update",
    )
    .bind(id)
    .fetch_optional(conn)
    .await
}

/// The path of a category, locked so a concurrent move of it cannot race this one.
pub async fn path_for_update(
    conn: &mut PgConnection,
    id: Uuid,
) -> Result<Option<Vec<Uuid>>, sqlx::Error> {
    sqlx::query_scalar("select path from categories where id = $1 for update")
        .bind(id)
        .fetch_optional(conn)
        .await
}

pub async fn insert(
    conn: &mut PgConnection,
    tenant: Uuid,
    c: &CategoryBase,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "insert into categories (id, tenant_id, parent_id, path, position, slug, name, description, meta_title, meta_description)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(c.id)
    .bind(tenant)
    .bind(c.parent_id)
    .bind(&c.path)
    .bind(c.position)
    .bind(&c.slug)
    .bind(&c.name)
    .bind(&c.description)
    .bind(&c.meta_title)
    .bind(&c.meta_description)
    .execute(conn)
    .await
    .map(|_| ())
}

/// Content and position (not the place in the tree: see [`move_subtree`]).
pub async fn update(conn: &mut PgConnection, c: &CategoryBase) -> Result<(), sqlx::Error> {
    sqlx::query(
        "update categories set position = $2, slug = $3, name = $4, description = $5, meta_title = $6,
                meta_description = $7 where id = $1",
    )
    .bind(c.id)
    .bind(c.position)
    .bind(&c.slug)
    .bind(&c.name)
    .bind(&c.description)
    .bind(&c.meta_title)
    .bind(&c.meta_description)
    .execute(conn)
    .await
    .map(|_| ())
}

/// Moves `id` and its whole subtree under `parent` (root when `None`): every path in the subtree
/// swaps the old ancestors for the new ones in one statement. Returns the deepest new path length.
pub async fn move_subtree(
    conn: &mut PgConnection,
    id: Uuid,
    old_path: &[Uuid],
    parent: Option<Uuid>,
    new_parent_path: &[Uuid],
    position: i32,
) -> Result<i32, sqlx::Error> {
    let depth: Option<i32> = sqlx::query_scalar(
        "update categories set path = $3 || path[$2 + 1:] where path @> array[$1::uuid]
         returning cardinality(path)",
    )
    .bind(id)
    .bind(old_path.len() as i32 - 1)
    .bind(new_parent_path)
    .fetch_all(&mut *conn)
    .await?
    .into_iter()
    .max();
    sqlx::query("update categories set parent_id = $2, position = $3 where id = $1")
        .bind(id)
        .bind(parent)
        .bind(position)
        .execute(conn)
        .await?;
    Ok(depth.unwrap_or(0))
}

pub async fn delete(conn: &mut PgConnection, id: Uuid) -> Result<bool, sqlx::Error> {
    sqlx::query("delete from categories where id = $1")
        .bind(id)
        .execute(conn)
        .await
        .map(|r| r.rows_affected() > 0)
}

pub async fn has_children(conn: &mut PgConnection, id: Uuid) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar("select exists (select from categories where parent_id = $1)")
        .bind(id)
        .fetch_one(conn)
        .await
}

pub async fn has_products(conn: &mut PgConnection, id: Uuid) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar("select exists (select from product_categories where category_id = $1)")
        .bind(id)
        .fetch_one(conn)
        .await
}
