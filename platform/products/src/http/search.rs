//! Browsing the public catalogue: the product listing, full-text search with facet counts, and
//! autocomplete. Everything here reads the search index (`product_search`) through its SECURITY
//! DEFINER functions, so only publicly visible products (active, approved vendor) ever appear,
//! whoever asks. Answers are cached per tenant and catalogue generation: any catalogue write
//! makes every cached page, facet count and suggestion of that tenant unreachable.

use axum::{Json, extract::State};
use kernel::{
    ApiError, AppState, RequestCtx,
    error::{FieldError, Problem},
    extract::AppQuery,
    pagination::{Page, PageQuery},
    rbac::Can,
    validate::Validator,
};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

use super::products::VendorRef;
use crate::{
    cache, permissions as perm,
    repo::search::{self as repo, After, CardRow, FacetRow, Filters, PageSpec},
};

/// Longest search text, in characters.
const Q_MAX: usize = 200;
/// Autocomplete needs this many characters, and takes at most `SUGGEST_MAX`.
const SUGGEST_MIN: usize = 3;
const SUGGEST_MAX: usize = 100;
const SUGGEST_LIMIT_MAX: u32 = 20;
const SUGGEST_LIMIT_DEFAULT: u32 = 10;
/// At most this many `name:value` attribute filters, each part at most `ATTR_PART_MAX` long.
const ATTRS_MAX: usize = 20;
const ATTR_PART_MAX: usize = 100;
/// Prices are minor units; anything above this is a typo, not a filter.
const PRICE_MAX: i64 = 1_000_000_000_000;

pub fn routes() -> OpenApiRouter<AppState> {
    // `GET /api/v1/products` (list_products) shares its path with product creation and is
    // registered with it in `http::router`.
    OpenApiRouter::new()
        .routes(routes!(search_products))
        .routes(routes!(autocomplete_products))
}

/// The order of a listing.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Sort {
    /// Best match first (search only; its default).
    Relevance,
    /// Most recently published first (the listing's default).
    Newest,
    /// Cheapest first (by the lowest variant price).
    PriceAsc,
    PriceDesc,
}

impl Sort {
    fn as_str(self) -> &'static str {
        match self {
            Sort::Relevance => "relevance",
            Sort::Newest => "newest",
            Sort::PriceAsc => "price_asc",
            Sort::PriceDesc => "price_desc",
        }
    }
}

/// Filters, order and page of the product listing.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    /// Category id: products in it or in any category below it.
    pub category: Option<Uuid>,
    /// Vendor id: only this vendor's products.
    pub vendor: Option<Uuid>,
    /// Lowest price at least this, in minor units (a product's price is its cheapest variant).
    pub price_min: Option<i64>,
    /// Lowest price at most this, in minor units.
    pub price_max: Option<i64>,
    /// Attribute and option values, comma-separated `name:value` pairs (`color:rojo,talla:m`).
    /// Values of one name are alternatives; different names must all match. Case-insensitive.
    pub attrs: Option<String>,
    /// `true`: only products with stock to sell; `false`: only sold-out ones.
    pub in_stock: Option<bool>,
    /// `newest` (default), `price_asc` or `price_desc`.
    #[param(inline)]
    pub sort: Option<Sort>,
    /// Items per page, 1 to 100 (default 20).
    pub limit: Option<u32>,
    /// `next_cursor` of the previous page (with the same filters and sort).
    pub cursor: Option<String>,
}

/// Search words, filters, order and page.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct SearchQuery {
    /// What to look for in titles, descriptions, tags and vendor names, in the marketplace's
    /// language or the reader's (`"vestido rojo"`, `polo -manga`, `"polo pima"` for a phrase).
    #[param(max_length = 200)]
    pub q: Option<String>,
    /// Category id: products in it or in any category below it.
    pub category: Option<Uuid>,
    /// Vendor id: only this vendor's products.
    pub vendor: Option<Uuid>,
    /// Lowest price at least this, in minor units.
    pub price_min: Option<i64>,
    /// Lowest price at most this, in minor units.
    pub price_max: Option<i64>,
    /// Comma-separated `name:value` pairs, as in the listing.
    pub attrs: Option<String>,
    /// `true`: only products with stock to sell; `false`: only sold-out ones.
    pub in_stock: Option<bool>,
    /// `relevance` (default), `newest`, `price_asc` or `price_desc`.
    #[param(inline)]
    pub sort: Option<Sort>,
    /// Items per page, 1 to 100 (default 20).
    pub limit: Option<u32>,
    /// `next_cursor` of the previous page (with the same words, filters and sort).
    pub cursor: Option<String>,
}

impl From<ListQuery> for SearchQuery {
    fn from(l: ListQuery) -> Self {
        SearchQuery {
            q: None,
            category: l.category,
            vendor: l.vendor,
            price_min: l.price_min,
            price_max: l.price_max,
            attrs: l.attrs,
            in_stock: l.in_stock,
            sort: l.sort,
            limit: l.limit,
            cursor: l.cursor,
        }
    }
}

/// A product as lists show it.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ProductCard {
    pub id: Uuid,
    pub slug: String,
    /// In the negotiated language when translated, otherwise the marketplace's.
    pub title: String,
    pub vendor: VendorRef,
    /// The cheapest and dearest variant, in minor units of `currency`.
    pub price_min_minor: i64,
    pub price_max_minor: i64,
    #[schema(example = "PEN")]
    pub currency: String,
    /// Some variant has stock to sell.
    pub in_stock: bool,
    /// The first image, when there is one.
    pub image_url: Option<String>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub published_at: Option<OffsetDateTime>,
}

/// A page of search results with counts over everything that matched.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct SearchPage {
    pub items: Vec<ProductCard>,
    /// Pass as `cursor` to get the next page; absent on the last page.
    pub next_cursor: Option<String>,
    /// How many products match (every page, not this one).
    pub total: i64,
    pub facets: Facets,
}

/// Counts over every matching product, to narrow a search down.
#[derive(Debug, Default, Serialize, Deserialize, ToSchema)]
pub struct Facets {
    /// The categories products are directly in, most products first.
    pub categories: Vec<CategoryCount>,
    pub vendors: Vec<VendorCount>,
    /// Lowest-price ranges that hold products, cheapest first.
    pub prices: Vec<PriceBucket>,
    /// Attribute and option values by name (the 20 most common values of each name).
    pub attributes: Vec<AttributeCounts>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct CategoryCount {
    pub id: Uuid,
    pub slug: String,
    /// In the negotiated language when translated.
    pub name: String,
    pub count: i64,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct VendorCount {
    pub id: Uuid,
    pub slug: String,
    pub name: String,
    pub count: i64,
}

/// Products whose lowest price is in `[min_minor, max_minor)`; use the bounds as `price_min`
/// and `price_max - 1` filters.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct PriceBucket {
    pub min_minor: i64,
    /// Exclusive; absent for the last, open-ended bucket.
    pub max_minor: Option<i64>,
    pub count: i64,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct AttributeCounts {
    /// Lowercase attribute or option name (`color`, `talla`).
    pub name: String,
    pub values: Vec<ValueCount>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ValueCount {
    /// Lowercase; filter with `attrs=name:value`.
    pub value: String,
    pub count: i64,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct AutocompleteQuery {
    /// What was typed so far: at least 3 characters. Its last word is completed, tolerating
    /// typos (`vestdo` finds `vestido`).
    #[param(min_length = 3, max_length = 100)]
    pub q: Option<String>,
    /// Products to return, 1 to 20 (default 10).
    pub limit: Option<u32>,
}

/// Completions and matching products for a search box.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Suggestions {
    /// Words of the catalogue completing the last word typed, best first (at most 5).
    pub terms: Vec<String>,
    pub items: Vec<Suggestion>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Suggestion {
    pub id: Uuid,
    pub slug: String,
    /// In the negotiated language when translated.
    pub title: String,
}

/// Where a page ended: the sort it belongs to and that sort's key of the last item.
#[derive(Debug, Serialize, Deserialize)]
struct Cursor {
    s: Sort,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "time::serde::rfc3339::option"
    )]
    ts: Option<OffsetDateTime>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    p: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    r: Option<f32>,
    id: Uuid,
}

impl Cursor {
    fn of(sort: Sort, row: &CardRow) -> Cursor {
        let mut c = Cursor {
            s: sort,
            ts: None,
            p: None,
            r: None,
            id: row.product_id,
        };
        match sort {
            Sort::Newest => c.ts = Some(row.sort_ts),
            Sort::PriceAsc | Sort::PriceDesc => c.p = Some(row.price_min),
            Sort::Relevance => c.r = Some(row.rank.unwrap_or_default()),
        }
        c
    }

    /// The SQL's `after` for `sort`, or `None` when this cursor belongs to another sort.
    fn after(self, sort: Sort) -> Option<After> {
        if self.s != sort {
            return None;
        }
        let complete = match sort {
            Sort::Newest => self.ts.is_some(),
            Sort::PriceAsc | Sort::PriceDesc => self.p.is_some(),
            Sort::Relevance => self.r.is_some_and(f32::is_finite),
        };
        complete.then_some(After {
            ts: self.ts,
            price: self.p,
            rank: self.r,
            id: self.id,
        })
    }
}

/// A validated request: what to match, in which order, from where, how many.
struct Criteria {
    filters: Filters,
    sort: Sort,
    after: Option<After>,
    limit: u32,
}

impl Criteria {
    fn spec(&self) -> PageSpec<'_> {
        PageSpec {
            filters: &self.filters,
            sort: self.sort.as_str(),
            after: self.after.clone(),
            // One more than asked: it only tells whether another page exists.
            limit: self.limit + 1,
        }
    }
}

/// Checks every parameter and answers with all problems at once. `search` says whether this is
/// the search endpoint (words required, relevance allowed and the default).
fn criteria(ctx: &RequestCtx, q: SearchQuery, search: bool) -> Result<Criteria, ApiError> {
    let mut v = Validator::new();
    let words = q.q.as_deref().map(normalize).filter(|s| !s.is_empty());
    if search {
        match &words {
            None => {
                v.push(FieldError::new("q", "required"));
            }
            Some(w) if w.chars().count() > Q_MAX => {
                v.push(FieldError::new("q", "too_long").with("max", Q_MAX));
            }
            Some(_) => {}
        }
    }
    for (field, value) in [("price_min", q.price_min), ("price_max", q.price_max)] {
        if value.is_some_and(|p| !(0..=PRICE_MAX).contains(&p)) {
            v.push(
                FieldError::new(field, "out_of_range")
                    .with("min", 0)
                    .with("max", PRICE_MAX),
            );
        }
    }
    if let (Some(lo), Some(hi)) = (q.price_min, q.price_max)
        && lo > hi
    {
        v.push(FieldError::new("price_min", "greater_than_other").with("other", "price_max"));
    }
    let attrs = match q.attrs.as_deref().map(parse_attrs).transpose() {
        Ok(a) => a.unwrap_or_default(),
        Err(e) => {
            v.push(e);
            Vec::new()
        }
    };
    let sort = q.sort.unwrap_or(if search {
        Sort::Relevance
    } else {
        Sort::Newest
    });
    if sort == Sort::Relevance && !search {
        v.push(FieldError::new("sort", "invalid_choice"));
    }
    let page = PageQuery {
        limit: q.limit,
        cursor: q.cursor,
    };
    let limit = v.parse(unwrap_fields(page.limit()));
    let after = match unwrap_fields(page.cursor::<Cursor>()) {
        Ok(None) => None,
        Ok(Some(c)) => {
            let after = c.after(sort);
            if after.is_none() {
                v.push(FieldError::new("cursor", "invalid"));
            }
            after
        }
        Err(e) => {
            v.push(e);
            None
        }
    };
    v.finish()?;
    Ok(Criteria {
        filters: Filters {
            q: words,
            locale: ctx.locale.as_str(),
            category: q.category,
            vendor: q.vendor,
            price_min: q.price_min,
            price_max: q.price_max,
            attrs,
            in_stock: q.in_stock,
        },
        sort,
        after,
        limit: limit.unwrap_or_default(),
    })
}

/// The first field error of a kernel validation result, so it joins the others.
fn unwrap_fields<T>(r: Result<T, ApiError>) -> Result<T, FieldError> {
    r.map_err(|e| match e {
        ApiError::Validation(mut fields) if !fields.is_empty() => fields.swap_remove(0),
        _ => FieldError::new("", "invalid"),
    })
}

/// Trimmed, lowercase, single spaces: equal searches share one cache entry.
fn normalize(s: &str) -> String {
    s.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

/// `color:rojo,talla:m` → `["color=rojo", "talla=m"]` (sorted, deduplicated, lowercase).
fn parse_attrs(raw: &str) -> Result<Vec<String>, FieldError> {
    let bad = || {
        FieldError::new("attrs", "attribute_filter")
            .with("max", ATTRS_MAX)
            .with("length", ATTR_PART_MAX)
    };
    let mut out = Vec::new();
    for pair in raw.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let (name, value) = pair.split_once(':').ok_or_else(bad)?;
        let (name, value) = (normalize(name), normalize(value));
        if name.is_empty()
            || value.is_empty()
            || name.contains('=')
            || name.chars().count() > ATTR_PART_MAX
            || value.chars().count() > ATTR_PART_MAX
        {
            return Err(bad());
        }
        out.push(format!("{name}={value}"));
    }
    out.sort();
    out.dedup();
    if out.is_empty() || out.len() > ATTRS_MAX {
        return Err(bad());
    }
    Ok(out)
}

fn card(state: &AppState, r: CardRow) -> ProductCard {
    ProductCard {
        id: r.product_id,
        slug: r.slug,
        title: r.title,
        vendor: VendorRef {
            id: r.vendor_id,
            slug: r.vendor_slug,
            name: r.vendor_name,
        },
        price_min_minor: r.price_min,
        price_max_minor: r.price_max,
        currency: r.currency,
        in_stock: r.in_stock,
        image_url: r.image_key.map(|k| state.storage.public_url(&k)),
        published_at: r.published_at,
    }
}

/// One page of cards, read in its own tenant transaction.
async fn load_page(
    state: &AppState,
    ctx: &RequestCtx,
    c: &Criteria,
) -> Result<Page<ProductCard>, ApiError> {
    let mut tx = state.db.begin_for(ctx).await?;
    let rows = repo::page(tx.conn(), &c.spec()).await?;
    tx.commit().await?;
    let sort = c.sort;
    Ok(Page::from_rows(rows, c.limit, |r| Cursor::of(sort, r)).map(|r| card(state, r)))
}

/// The cache key of a page: every filter, the locale, the order, the cursor and the size.
fn page_key(kind: &str, c: &Criteria) -> String {
    format!(
        "{kind}:{}",
        serde_json::to_string(&c.spec()).unwrap_or_default()
    )
}

/// Active products of approved vendors, newest first unless asked otherwise, filtered by
/// category subtree, vendor, price, attributes and stock. Cursor-paginated.
#[utoipa::path(get, path = "/api/v1/products", tag = "products",
    params(ListQuery),
    responses(
        (status = 200, body = Page<ProductCard>),
        (status = 422, body = Problem, content_type = "application/problem+json"),
        (status = "4XX", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn list_products(
    _: Can<perm::ReadCatalog>,
    ctx: RequestCtx,
    State(state): State<AppState>,
    AppQuery(q): AppQuery<ListQuery>,
) -> Result<Json<Page<ProductCard>>, ApiError> {
    let c = criteria(&ctx, q.into(), false)?;
    let key = page_key("list", &c);
    let page = cache::cached(&state, ctx.tenant.id, &key, async || {
        load_page(&state, &ctx, &c).await
    })
    .await?;
    Ok(Json(page))
}

/// Full-text search over titles, descriptions, tags and vendor names (Spanish and English
/// stemming), with the listing's filters, sorted by relevance unless asked otherwise. The
/// answer carries facet counts (categories, vendors, price ranges, attribute values) over every
/// matching product, and the total.
#[utoipa::path(get, path = "/api/v1/products/search", tag = "products",
    params(SearchQuery),
    responses(
        (status = 200, body = SearchPage),
        (status = 422, body = Problem, content_type = "application/problem+json"),
        (status = "4XX", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn search_products(
    _: Can<perm::ReadCatalog>,
    ctx: RequestCtx,
    State(state): State<AppState>,
    AppQuery(q): AppQuery<SearchQuery>,
) -> Result<Json<SearchPage>, ApiError> {
    let c = criteria(&ctx, q, true)?;
    let tenant = ctx.tenant.id;
    // Facets do not depend on the order or the page: every page of a search shares them.
    let facets_key = format!(
        "facets:{}",
        serde_json::to_string(&c.filters).unwrap_or_default()
    );
    let (total, facets) = cache::cached(&state, tenant, &facets_key, async || {
        let mut tx = state.db.begin_for(&ctx).await?;
        let rows = repo::facets(tx.conn(), &c.filters).await?;
        tx.commit().await?;
        Ok(assemble_facets(rows))
    })
    .await?;
    let page = cache::cached(&state, tenant, &page_key("search", &c), async || {
        load_page(&state, &ctx, &c).await
    })
    .await?;
    Ok(Json(SearchPage {
        items: page.items,
        next_cursor: page.next_cursor,
        total,
        facets,
    }))
}

/// The facet rows of the SQL, grouped and ordered for the answer.
fn assemble_facets(rows: Vec<FacetRow>) -> (i64, Facets) {
    let mut total = 0;
    let mut f = Facets::default();
    for r in rows {
        let id = || r.key.as_deref().and_then(|k| k.parse::<Uuid>().ok());
        match r.facet.as_str() {
            "total" => total = r.count,
            "category" => {
                if let Some(id) = id() {
                    f.categories.push(CategoryCount {
                        id,
                        slug: r.extra.unwrap_or_default(),
                        name: r.label.unwrap_or_default(),
                        count: r.count,
                    });
                }
            }
            "vendor" => {
                if let Some(id) = id() {
                    f.vendors.push(VendorCount {
                        id,
                        slug: r.extra.unwrap_or_default(),
                        name: r.label.unwrap_or_default(),
                        count: r.count,
                    });
                }
            }
            "price" => {
                if let Some(min) = r.key.as_deref().and_then(|k| k.parse().ok()) {
                    f.prices.push(PriceBucket {
                        min_minor: min,
                        max_minor: r.extra.as_deref().and_then(|k| k.parse().ok()),
                        count: r.count,
                    });
                }
            }
            "attr" => {
                if let Some((name, value)) = r.key.as_deref().and_then(|k| k.split_once('=')) {
                    let value = ValueCount {
                        value: value.to_string(),
                        count: r.count,
                    };
                    match f.attributes.iter_mut().find(|a| a.name == name) {
                        Some(a) => a.values.push(value),
                        None => f.attributes.push(AttributeCounts {
                            name: name.to_string(),
                            values: vec![value],
                        }),
                    }
                }
            }
            _ => {}
        }
    }
    f.categories
        .sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.name.cmp(&b.name)));
    f.vendors
        .sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.name.cmp(&b.name)));
    f.prices.sort_by_key(|p| p.min_minor);
    f.attributes.sort_by(|a, b| a.name.cmp(&b.name));
    for a in &mut f.attributes {
        a.values
            .sort_by(|x, y| y.count.cmp(&x.count).then_with(|| x.value.cmp(&y.value)));
    }
    (total, f)
}

/// Search-box suggestions: completions of the last word typed (typos tolerated) and the
/// products matching them.
#[utoipa::path(get, path = "/api/v1/products/autocomplete", tag = "products",
    params(AutocompleteQuery),
    responses(
        (status = 200, body = Suggestions),
        (status = 422, body = Problem, content_type = "application/problem+json"),
        (status = "4XX", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn autocomplete_products(
    _: Can<perm::ReadCatalog>,
    ctx: RequestCtx,
    State(state): State<AppState>,
    AppQuery(q): AppQuery<AutocompleteQuery>,
) -> Result<Json<Suggestions>, ApiError> {
    let mut v = Validator::new();
    let text = normalize(q.q.as_deref().unwrap_or_default());
    let n = text.chars().count();
    if n == 0 {
        v.push(FieldError::new("q", "required"));
    } else if n < SUGGEST_MIN {
        v.push(FieldError::new("q", "too_short").with("min", SUGGEST_MIN));
    } else if n > SUGGEST_MAX {
        v.push(FieldError::new("q", "too_long").with("max", SUGGEST_MAX));
    }
    let limit = q.limit.unwrap_or(SUGGEST_LIMIT_DEFAULT);
    if !(1..=SUGGEST_LIMIT_MAX).contains(&limit) {
        v.push(
            FieldError::new("limit", "out_of_range")
                .with("min", 1)
                .with("max", SUGGEST_LIMIT_MAX),
        );
    }
    v.finish()?;
    let locale = ctx.locale.as_str();
    let key = format!("suggest:{locale}:{limit}:{text}");
    let answer = cache::cached(&state, ctx.tenant.id, &key, async || {
        let mut tx = state.db.begin_for(&ctx).await?;
        let rows = repo::suggest(tx.conn(), &text, locale, limit).await?;
        tx.commit().await?;
        let mut out = Suggestions {
            terms: Vec::new(),
            items: Vec::new(),
        };
        for r in rows {
            match (r.kind.as_str(), r.product_id, r.slug) {
                ("term", _, _) => out.terms.push(r.title),
                ("product", Some(id), Some(slug)) => out.items.push(Suggestion {
                    id,
                    slug,
                    title: r.title,
                }),
                _ => {}
            }
        }
        Ok(out)
    })
    .await?;
    Ok(Json(answer))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attribute_filters_parse() {
        assert_eq!(
            parse_attrs(" Color:Rojo , talla:M,color:rojo").unwrap(),
            vec!["color=rojo", "talla=m"]
        );
        assert_eq!(
            parse_attrs("material:algodón pima").unwrap(),
            vec!["material=algodón pima"]
        );
        for bad in ["", ",", "color", "color:", ":rojo", "a=b:c"] {
            assert_eq!(
                parse_attrs(bad).unwrap_err().code,
                "attribute_filter",
                "{bad}"
            );
        }
        let many = (0..=ATTRS_MAX)
            .map(|i| format!("a{i}:x"))
            .collect::<Vec<_>>()
            .join(",");
        assert!(parse_attrs(&many).is_err());
    }

    #[test]
    fn cursors_belong_to_their_sort() {
        let c = Cursor {
            s: Sort::Newest,
            ts: Some(OffsetDateTime::UNIX_EPOCH),
            p: None,
            r: None,
            id: Uuid::nil(),
        };
        assert!(c.after(Sort::PriceAsc).is_none());
        let c = Cursor {
            s: Sort::PriceAsc,
            ts: None,
            p: None,
            r: None,
            id: Uuid::nil(),
        };
        assert!(
            c.after(Sort::PriceAsc).is_none(),
            "a price cursor needs its price"
        );
    }

    #[test]
    fn searches_are_normalized() {
        assert_eq!(normalize("  Vestido   ROJO "), "vestido rojo");
    }
}
