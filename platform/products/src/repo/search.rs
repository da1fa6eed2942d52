//! The search index (`product_search`) is written only by SECURITY DEFINER functions that take
//! the tenant from the transaction (see migrations/0006_product_search.sql). Writers call these
//! in the same transaction as the change, so the index never shows an uncommitted state.
//!
//! Reads go through the same kind of functions: the runtime role has no privilege on the table,
//! and each function adds `tenant_id = app_current_tenant()` itself, which lets the planner use
//! the tenant-leading GIN and btree indexes that row-level security would rule out.

use serde::Serialize;
use sqlx::{FromRow, PgConnection, types::Json};
use time::OffsetDateTime;
use uuid::Uuid;

/// Recomputes one product's entry (removed when it is no longer publicly visible).
pub async fn refresh(conn: &mut PgConnection, product: Uuid) -> Result<(), sqlx::Error> {
    sqlx::query("select product_search_refresh($1)")
        .bind(product)
        .execute(conn)
        .await
        .map(|_| ())
}

/// Recomputes the entries of every product of a vendor (after its status or name changed).
pub async fn refresh_vendor(conn: &mut PgConnection, vendor: Uuid) -> Result<(), sqlx::Error> {
    sqlx::query("select product_search_refresh_vendor($1)")
        .bind(vendor)
        .execute(conn)
        .await
        .map(|_| ())
}

/// Recomputes the entries of every product in a category's subtree (after it moved).
pub async fn refresh_category(conn: &mut PgConnection, category: Uuid) -> Result<(), sqlx::Error> {
    sqlx::query("select product_search_refresh_category($1)")
        .bind(category)
        .execute(conn)
        .await
        .map(|_| ())
}

/// The filters of a listing or search, exactly as the SQL builder (`product_search_sql`) reads
/// them. Serialized, it is also the cache key: equal filters, equal answers.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Filters {
    /// Words to search (full text, stemmed in the tenant's and the reader's language).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub q: Option<String>,
    /// The reader's locale: titles and facet labels in it, the tenant default otherwise.
    pub locale: &'static str,
    /// Products in this category or any category below it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub category: Option<Uuid>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vendor: Option<Uuid>,
    /// Bounds on the product's lowest variant price, minor units, inclusive.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub price_min: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub price_max: Option<i64>,
    /// `name=value`, lowercase: values of one name are alternatives, names must all match.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub attrs: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub in_stock: Option<bool>,
}

/// One page of a listing: the filters, the order, where the previous page ended, and how many
/// rows to fetch (the page size plus one, to know whether another page exists).
#[derive(Clone, Debug, Serialize)]
pub struct PageSpec<'a> {
    #[serde(flatten)]
    pub filters: &'a Filters,
    /// `relevance` (needs `q`), `newest`, `price_asc` or `price_desc`.
    pub sort: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub after: Option<After>,
    pub limit: u32,
}

/// The sort key of the last row of the previous page (only the part the sort uses).
#[derive(Clone, Debug, Serialize)]
pub struct After {
    #[serde(
        skip_serializing_if = "Option::is_none",
        with = "time::serde::rfc3339::option"
    )]
    pub ts: Option<OffsetDateTime>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub price: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rank: Option<f32>,
    pub id: Uuid,
}

/// A product card as the index holds it (title already in the reader's locale).
#[derive(Clone, Debug, FromRow)]
pub struct CardRow {
    pub product_id: Uuid,
    pub slug: String,
    pub title: String,
    pub vendor_id: Uuid,
    pub vendor_slug: String,
    pub vendor_name: String,
    pub price_min: i64,
    pub price_max: i64,
    pub currency: String,
    pub in_stock: bool,
    pub published_at: Option<OffsetDateTime>,
    pub sort_ts: OffsetDateTime,
    /// Set when sorting by relevance.
    pub rank: Option<f32>,
    /// The first ready image.
    pub image_key: Option<String>,
}

/// One count of the facets: `facet` is `total`, `category`, `vendor`, `price` or `attr`.
/// Categories and vendors: `key` is the id, `label` the name, `extra` the slug. Prices: `key` is
/// the bucket's lower bound and `extra` its upper bound (none for the last). Attributes: `key` is
/// `name=value`.
#[derive(Clone, Debug, FromRow)]
pub struct FacetRow {
    pub facet: String,
    pub key: Option<String>,
    pub label: Option<String>,
    pub extra: Option<String>,
    pub count: i64,
}

/// An autocomplete row: `kind` is `term` (a completion of the last word typed, in `title`) or
/// `product`.
#[derive(Clone, Debug, FromRow)]
pub struct SuggestRow {
    pub kind: String,
    pub product_id: Option<Uuid>,
    pub slug: Option<String>,
    pub title: String,
}

/// A page of cards in the requested order.
pub async fn page(
    conn: &mut PgConnection,
    spec: &PageSpec<'_>,
) -> Result<Vec<CardRow>, sqlx::Error> {
    sqlx::query_as("select * from product_search_page($1)")
        .bind(Json(spec))
        .fetch_all(conn)
        .await
}

/// Facet counts over everything the filters match.
pub async fn facets(
    conn: &mut PgConnection,
    filters: &Filters,
) -> Result<Vec<FacetRow>, sqlx::Error> {
    sqlx::query_as("select * from product_search_facets($1)")
        .bind(Json(filters))
        .fetch_all(conn)
        .await
}

/// Completions of the last word of `q` and up to `limit` products matching it.
pub async fn suggest(
    conn: &mut PgConnection,
    q: &str,
    locale: &str,
    limit: u32,
) -> Result<Vec<SuggestRow>, sqlx::Error> {
    sqlx::query_as("select * from product_search_suggest($1, $2, $3)")
        .bind(q)
        .bind(locale)
        .bind(limit as i32)
        .fetch_all(conn)
        .await
}
