use serde_json::Value;
use sqlx::{FromRow, PgConnection};
use time::OffsetDateTime;
use uuid::Uuid;

/// A product with its content resolved to one locale (falling back to the tenant default).
#[derive(Clone, Debug, FromRow)]
pub struct ProductRow {
    pub id: Uuid,
    pub vendor_id: Uuid,
    pub vendor_slug: String,
    pub vendor_name: String,
    pub slug: String,
    pub title: String,
    pub description: Option<String>,
    pub meta_title: Option<String>,
    pub meta_description: Option<String>,
    pub canonical_slug: Option<String>,
    pub status: String,
    pub attributes: Value,
    pub tags: Vec<String>,
    pub category_ids: Vec<Uuid>,
    pub published_at: Option<OffsetDateTime>,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
    /// Whether the caller may edit it (its vendor or an admin).
    pub editable: bool,
}

/// `$1` is the locale wanted.
const COLS: &str = "p.id, p.vendor_id, v.slug::text as vendor_slug, v.name as vendor_name, p.slug::text,
    coalesce(t.title, p.title) as title, coalesce(t.description, p.description) as description,
    coalesce(t.meta_title, p.meta_title) as meta_title,
    coalesce(t.meta_description, p.meta_description) as meta_description,
    p.canonical_slug::text, p.status, p.attributes,
    array(select g.tag::text from product_tags g where g.product_id = p.id order by g.tag) as tags,
    array(select c.category_id from product_categories c where c.product_id = p.id order by c.category_id) as category_ids,
    p.published_at, p.created_at, p.updated_at,
    coalesce(p.vendor_id = (select app_current_vendor()) or (select app_is_tenant_admin()), false) as editable";
const FROM: &str = "products p join vendors v on v.id = p.vendor_id
    left join product_translations t on t.product_id = p.id and t.locale = $1";

/// What a caller may see: public products (active, approved vendor), plus everything they may edit.
const VISIBLE: &str = "((p.status = 'active' and v.status = 'approved')
    or p.vendor_id = (select app_current_vendor()) or (select app_is_tenant_admin()))";

pub const SLUG_KEY: &str = "products_tenant_id_slug_key";

/// A visible product by id or slug.
pub async fn get(
    conn: &mut PgConnection,
    locale: &str,
    key: &str,
) -> Result<Option<ProductRow>, sqlx::Error> {
    let id = key.parse::<Uuid>().ok();
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "select {COLS} from {FROM} where (p.id = $2 or ($2 is null and p.slug = $3::citext)) and {VISIBLE}"
    )))
    .bind(locale)
    .bind(id)
    .bind(key)
    .fetch_optional(conn)
    .await
}

/// The default-locale row of a product the caller may write, locked. Another vendor's product
/// is `None` (RLS hides it from `for update`), so the caller answers 404.
#[derive(Clone, Debug, FromRow)]
pub struct ProductBase {
    pub id: Uuid,
    pub vendor_id: Uuid,
    pub slug: String,
    pub title: String,
    pub description: Option<String>,
    pub meta_title: Option<String>,
    pub meta_description: Option<String>,
    pub canonical_slug: Option<String>,
    pub status: String,
    pub attributes: Value,
    pub published_at: Option<OffsetDateTime>,
}

/// Locks the product when the caller may write it (its approved vendor or an admin).
pub async fn lock_writable(conn: &mut PgConnection, product: Uuid) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar::<_, Uuid>(
        "select id from products where id = $1 and app_can_write_product(id) for update",
    )
    .bind(product)
    .fetch_optional(conn)
    .await
    .map(|r| r.is_some())
}

/// Whether the caller may write the product, without locking it.
pub async fn writable(conn: &mut PgConnection, product: Uuid) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar("select app_can_write_product($1)")
        .bind(product)
        .fetch_one(conn)
        .await
}

pub async fn base_for_update(
    conn: &mut PgConnection,
    id: Uuid,
) -> Result<Option<ProductBase>, sqlx::Error> {
    sqlx::query_as(
        "select id, vendor_id, slug::text, title, description, meta_title, meta_description, canonical_slug::text,
                status, attributes, published_at
           from products where id = $1 and app_can_write_product(id) for update",
    )
    .bind(id)
    .fetch_optional(conn)
    .await
}

/// Inserts the product; `false` when its slug is taken. The check is the unique index itself, so
/// it also sees the drafts of other vendors that RLS hides from the caller.
pub async fn insert(
    conn: &mut PgConnection,
    tenant: Uuid,
    p: &ProductBase,
) -> Result<bool, sqlx::Error> {
    sqlx::query(
        "insert into products (id, tenant_id, vendor_id, slug, title, description, meta_title, meta_description,
                               canonical_slug, status, attributes, published_at)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
         on conflict (tenant_id, slug) do nothing",
    )
    .bind(p.id)
    .bind(tenant)
    .bind(p.vendor_id)
    .bind(&p.slug)
    .bind(&p.title)
    .bind(&p.description)
    .bind(&p.meta_title)
    .bind(&p.meta_description)
    .bind(&p.canonical_slug)
    .bind(&p.status)
    .bind(&p.attributes)
    .bind(p.published_at)
    .execute(conn)
    .await
    .map(|r| r.rows_affected() == 1)
}

pub async fn update(conn: &mut PgConnection, p: &ProductBase) -> Result<(), sqlx::Error> {
    sqlx::query(
        "update products set slug = $2, title = $3, description = $4, meta_title = $5, meta_description = $6,
                canonical_slug = $7, status = $8, attributes = $9, published_at = $10
          where id = $1",
    )
    .bind(p.id)
    .bind(&p.slug)
    .bind(&p.title)
    .bind(&p.description)
    .bind(&p.meta_title)
    .bind(&p.meta_description)
    .bind(&p.canonical_slug)
    .bind(&p.status)
    .bind(&p.attributes)
    .bind(p.published_at)
    .execute(conn)
    .await
    .map(|_| ())
}

pub async fn delete(conn: &mut PgConnection, id: Uuid) -> Result<bool, sqlx::Error> {
    sqlx::query("delete from products where id = $1")
        .bind(id)
        .execute(conn)
        .await
        .map(|r| r.rows_affected() > 0)
}

pub async fn set_tags(
    conn: &mut PgConnection,
    tenant: Uuid,
    id: Uuid,
    tags: &[String],
) -> Result<(), sqlx::Error> {
    sqlx::query("delete from product_tags where product_id = $1")
        .bind(id)
        .execute(&mut *conn)
        .await?;
    sqlx::query(
        "insert into product_tags (tenant_id, product_id, tag)
         select $1, $2, t from unnest($3::text[]) t on conflict do nothing",
    )
    .bind(tenant)
    .bind(id)
    .bind(tags)
    .execute(conn)
    .await
    .map(|_| ())
}

/// Replaces the product's categories; `false` when one of them does not exist in this tenant.
pub async fn set_categories(
    conn: &mut PgConnection,
    tenant: Uuid,
    id: Uuid,
    categories: &[Uuid],
) -> Result<bool, sqlx::Error> {
    let known: i64 = sqlx::query_scalar("select count(*) from categories where id = any($1)")
        .bind(categories)
        .fetch_one(&mut *conn)
        .await?;
    if known as usize != categories.len() {
        return Ok(false);
    }
    sqlx::query("delete from product_categories where product_id = $1")
        .bind(id)
        .execute(&mut *conn)
        .await?;
    sqlx::query(
        "insert into product_categories (tenant_id, product_id, category_id)
         select $1, $2, c from unnest($3::uuid[]) c",
    )
    .bind(tenant)
    .bind(id)
    .bind(categories)
    .execute(conn)
    .await
    .map(|_| true)
}

#[derive(Clone, Debug, FromRow)]
pub struct TranslationRow {
    pub locale: String,
    pub title: Option<String>,
    pub description: Option<String>,
    pub meta_title: Option<String>,
    pub meta_description: Option<String>,
}

pub async fn translations(
    conn: &mut PgConnection,
    id: Uuid,
) -> Result<Vec<TranslationRow>, sqlx::Error> {
    sqlx::query_as(
        "select locale, title, description, meta_title, meta_description from product_translations
          where product_id = $1 order by locale",
    )
    .bind(id)
    .fetch_all(conn)
    .await
}

/// A line of the vendor/admin product list.
#[derive(Clone, Debug, FromRow)]
pub struct SummaryRow {
    pub id: Uuid,
    pub vendor_id: Uuid,
    pub slug: String,
    pub title: String,
    pub status: String,
    pub variant_count: i64,
    pub on_hand: i64,
    pub low_stock: bool,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
}

/// Products the caller may edit (its own as a vendor, all as an admin), newest first.
pub async fn editable(
    conn: &mut PgConnection,
    status: Option<&str>,
    vendor: Option<Uuid>,
    after: Option<(OffsetDateTime, Uuid)>,
    limit: u32,
) -> Result<Vec<SummaryRow>, sqlx::Error> {
    let (at, id) = after.unzip();
    sqlx::query_as(
        "select p.id, p.vendor_id, p.slug::text, p.title, p.status,
                (select count(*) from product_variants pv where pv.product_id = p.id) as variant_count,
                coalesce((select sum(i.on_hand) from inventory i where i.product_id = p.id), 0)::int8 as on_hand,
                exists (select from inventory i where i.product_id = p.id and i.on_hand - i.reserved <= i.low_stock_threshold) as low_stock,
                p.created_at, p.updated_at
           from products p
          where (p.vendor_id = (select app_current_vendor()) or (select app_is_tenant_admin()))
            and ($1::text is null or p.status = $1)
            and ($2::uuid is null or p.vendor_id = $2)
            and ($3::timestamptz is null or (p.created_at, p.id) < ($3, $4))
          order by p.created_at desc, p.id desc limit $5",
    )
    .bind(status)
    .bind(vendor)
    .bind(at)
    .bind(id)
    .bind(i64::from(limit) + 1)
    .fetch_all(conn)
    .await
}

/// Every stored object of the product (pending uploads too), to delete after the rows.
pub async fn image_keys(conn: &mut PgConnection, id: Uuid) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query_scalar("select object_key from product_images where product_id = $1")
        .bind(id)
        .fetch_all(conn)
        .await
}
