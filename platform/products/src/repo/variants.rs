use serde_json::Value;
use sqlx::{FromRow, PgConnection};
use uuid::Uuid;

#[derive(Clone, Debug, FromRow)]
pub struct VariantRow {
    pub id: Uuid,
    pub product_id: Uuid,
    pub sku: String,
    pub title: Option<String>,
    pub options: Value,
    pub price_minor: i64,
    pub currency: String,
    pub compare_at_minor: Option<i64>,
    pub weight_grams: Option<i32>,
    pub position: i32,
    /// On hand minus reserved.
    pub available: i32,
}

const COLS: &str = "v.id, v.product_id, v.sku::text, v.title, v.options, v.price_minor, v.currency::text,
    v.compare_at_minor, v.weight_grams, v.position, coalesce(i.on_hand - i.reserved, 0) as available";

pub const SKU_KEY: &str = "product_variants_tenant_id_sku_key";

pub async fn of_product(
    conn: &mut PgConnection,
    product: Uuid,
) -> Result<Vec<VariantRow>, sqlx::Error> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "select {COLS} from product_variants v left join inventory i on i.variant_id = v.id
          where v.product_id = $1 order by v.position, v.id"
    )))
    .bind(product)
    .fetch_all(conn)
    .await
}

/// One variant of a product, locked for an edit.
pub async fn get_for_update(
    conn: &mut PgConnection,
    product: Uuid,
    id: Uuid,
) -> Result<Option<VariantRow>, sqlx::Error> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "select {COLS} from product_variants v left join inventory i on i.variant_id = v.id
          where v.id = $1 and v.product_id = $2 for update of v"
    )))
    .bind(id)
    .bind(product)
    .fetch_optional(conn)
    .await
}

pub async fn count(conn: &mut PgConnection, product: Uuid) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar("select count(*) from product_variants where product_id = $1")
        .bind(product)
        .fetch_one(conn)
        .await
}

/// Inserts or overwrites every editable column; a new variant gets its inventory row.
pub async fn upsert(
    conn: &mut PgConnection,
    tenant: Uuid,
    v: &VariantRow,
    low_stock_threshold: i32,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "insert into product_variants (id, tenant_id, product_id, sku, title, options, price_minor, currency,
                                       compare_at_minor, weight_grams, position)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
         on conflict (id) do update set sku = excluded.sku, title = excluded.title, options = excluded.options,
           price_minor = excluded.price_minor, currency = excluded.currency, compare_at_minor = excluded.compare_at_minor,
           weight_grams = excluded.weight_grams, position = excluded.position",
    )
    .bind(v.id)
    .bind(tenant)
    .bind(v.product_id)
    .bind(&v.sku)
    .bind(&v.title)
    .bind(&v.options)
    .bind(v.price_minor)
    .bind(&v.currency)
    .bind(v.compare_at_minor)
    .bind(v.weight_grams)
    .bind(v.position)
    .execute(&mut *conn)
    .await?;
    sqlx::query(
        "insert into inventory (variant_id, tenant_id, product_id, low_stock_threshold) values ($1, $2, $3, $4)
         on conflict (variant_id) do nothing",
    )
    .bind(v.id)
    .bind(tenant)
    .bind(v.product_id)
    .bind(low_stock_threshold)
    .execute(conn)
    .await
    .map(|_| ())
}

pub async fn delete(conn: &mut PgConnection, product: Uuid, id: Uuid) -> Result<bool, sqlx::Error> {
    sqlx::query("delete from product_variants where id = $1 and product_id = $2")
        .bind(id)
        .bind(product)
        .execute(conn)
        .await
        .map(|r| r.rows_affected() > 0)
}
