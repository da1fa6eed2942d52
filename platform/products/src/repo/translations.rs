//! Content in the marketplace's other locale, for products and categories alike: one table per
//! owner with the same shape (owner id, locale, a title-like name and the same text fields).

use sqlx::PgConnection;
use uuid::Uuid;

use crate::domain::Content;

/// Where one owner's translations live. Constants only: they are formatted into SQL.
pub struct Table {
    table: &'static str,
    owner: &'static str,
    title: &'static str,
}

pub const PRODUCT: Table = Table {
    table: "product_translations",
    owner: "product_id",
    title: "title",
};

pub const CATEGORY: Table = Table {
    table: "category_translations",
    owner: "category_id",
    title: "name",
};

/// Upserts `t` for `id` in `locale`, or removes that locale's row with `None`.
pub async fn set(
    conn: &mut PgConnection,
    Table {
        table,
        owner,
        title,
    }: Table,
    tenant: Uuid,
    id: Uuid,
    locale: &str,
    t: Option<&Content>,
) -> Result<(), sqlx::Error> {
    let Some(t) = t else {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "delete from {table} where {owner} = $1 and locale = $2"
        )))
        .bind(id)
        .bind(locale)
        .execute(conn)
        .await?;
        return Ok(());
    };
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "insert into {table} (tenant_id, {owner}, locale, {title}, description, meta_title, meta_description)
         values ($1, $2, $3, $4, $5, $6, $7)
         on conflict ({owner}, locale) do update set {title} = excluded.{title},
           description = excluded.description, meta_title = excluded.meta_title,
           meta_description = excluded.meta_description"
    )))
    .bind(tenant)
    .bind(id)
    .bind(locale)
    .bind(&t.title)
    .bind(&t.description)
    .bind(&t.meta_title)
    .bind(&t.meta_description)
    .execute(conn)
    .await?;
    Ok(())
}
