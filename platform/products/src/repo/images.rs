//! Product images and vendor logos: rows only (the files live in object storage).
//! `product_images` rows are written only by the product's vendor or an admin (RLS); reads of a
//! product's images must first check the product itself is visible to the caller.

use sqlx::{FromRow, PgConnection};
use time::OffsetDateTime;
use uuid::Uuid;

#[derive(Clone, Debug, FromRow)]
pub struct ImageRow {
    pub id: Uuid,
    pub object_key: String,
    pub content_type: String,
    /// Declared size while `pending`, stored size once `ready`.
    pub size_bytes: Option<i64>,
    pub alt: Option<String>,
    pub position: i32,
    /// `pending` or `ready`.
    pub status: String,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
}

const COLS: &str =
    "id, object_key, content_type, size_bytes, alt, position, status, created_at, updated_at";

/// Whether the caller sees the product at all (drafts only their vendor and admins).
pub async fn product_visible(conn: &mut PgConnection, product: Uuid) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar("select exists (select from products where id = $1)")
        .bind(product)
        .fetch_one(conn)
        .await
}

/// Forgets uploads of the product started long ago and never confirmed; their keys, for the
/// caller to delete from storage after commit.
pub async fn purge_stale_pending(
    conn: &mut PgConnection,
    product: Uuid,
    older_than: OffsetDateTime,
) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query_scalar(
        "delete from product_images
          where product_id = $1 and status = 'pending' and created_at < $2
          returning object_key",
    )
    .bind(product)
    .bind(older_than)
    .fetch_all(conn)
    .await
}

/// Images of the product, ready or being uploaded.
pub async fn count(conn: &mut PgConnection, product: Uuid) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar("select count(*) from product_images where product_id = $1")
        .bind(product)
        .fetch_one(conn)
        .await
}

pub struct NewPending<'a> {
    pub id: Uuid,
    pub product_id: Uuid,
    pub object_key: &'a str,
    pub content_type: &'a str,
    pub declared_size: i64,
    pub alt: Option<&'a str>,
}

pub async fn insert_pending(
    conn: &mut PgConnection,
    tenant: Uuid,
    n: &NewPending<'_>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "insert into product_images (id, tenant_id, product_id, object_key, content_type, size_bytes, alt, status)
         values ($1, $2, $3, $4, $5, $6, $7, 'pending')",
    )
    .bind(n.id)
    .bind(tenant)
    .bind(n.product_id)
    .bind(n.object_key)
    .bind(n.content_type)
    .bind(n.declared_size)
    .bind(n.alt)
    .execute(conn)
    .await
    .map(|_| ())
}

/// One image of the product, locked for an edit.
pub async fn get_for_update(
    conn: &mut PgConnection,
    product: Uuid,
    id: Uuid,
) -> Result<Option<ImageRow>, sqlx::Error> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "select {COLS} from product_images where id = $1 and product_id = $2 for update"
    )))
    .bind(id)
    .bind(product)
    .fetch_optional(conn)
    .await
}

/// Marks a pending image ready with its stored size, after the product's last ready image.
/// `None` when it is no longer pending (confirmed meanwhile, or deleted).
pub async fn mark_ready(
    conn: &mut PgConnection,
    product: Uuid,
    id: Uuid,
    size: i64,
) -> Result<Option<ImageRow>, sqlx::Error> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "update product_images
            set status = 'ready', size_bytes = $3,
                position = coalesce((select max(position) + 1 from product_images
                                      where product_id = $2 and status = 'ready'), 0)
          where id = $1 and product_id = $2 and status = 'pending'
          returning {COLS}"
    )))
    .bind(id)
    .bind(product)
    .bind(size)
    .fetch_optional(conn)
    .await
}

/// The product's ready images in display order.
pub async fn ready(conn: &mut PgConnection, product: Uuid) -> Result<Vec<ImageRow>, sqlx::Error> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "select {COLS} from product_images
          where product_id = $1 and status = 'ready' order by position, id"
    )))
    .bind(product)
    .fetch_all(conn)
    .await
}

pub async fn set_alt(
    conn: &mut PgConnection,
    id: Uuid,
    alt: Option<&str>,
) -> Result<(), sqlx::Error> {
    sqlx::query("update product_images set alt = $2 where id = $1")
        .bind(id)
        .bind(alt)
        .execute(conn)
        .await
        .map(|_| ())
}

/// Numbers the product's images 0, 1, 2… in the order of `ids`.
pub async fn set_order(
    conn: &mut PgConnection,
    product: Uuid,
    ids: &[Uuid],
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "update product_images i set position = o.ord - 1
           from unnest($2::uuid[]) with ordinality as o (id, ord)
          where i.id = o.id and i.product_id = $1 and i.position is distinct from (o.ord - 1)::int",
    )
    .bind(product)
    .bind(ids)
    .execute(conn)
    .await
    .map(|_| ())
}

/// Deletes the image row; its key, for the caller to delete from storage after commit.
pub async fn delete(
    conn: &mut PgConnection,
    product: Uuid,
    id: Uuid,
) -> Result<Option<String>, sqlx::Error> {
    sqlx::query_scalar(
        "delete from product_images where id = $1 and product_id = $2 returning object_key",
    )
    .bind(id)
    .bind(product)
    .fetch_optional(conn)
    .await
}

/// The caller's own vendor (whatever its status) and its current logo, locked for an edit.
pub async fn my_vendor_for_update(
    conn: &mut PgConnection,
) -> Result<Option<(Uuid, Option<String>)>, sqlx::Error> {
    sqlx::query_as("select id, logo_key from vendors where user_id = app_current_user() for update")
        .fetch_optional(conn)
        .await
}

pub async fn set_logo(
    conn: &mut PgConnection,
    vendor: Uuid,
    key: Option<&str>,
) -> Result<(), sqlx::Error> {
    sqlx::query("update vendors set logo_key = $2 where id = $1")
        .bind(vendor)
        .bind(key)
        .execute(conn)
        .await
        .map(|_| ())
}
