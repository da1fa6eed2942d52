//! The search index's plans, checked as the runtime role: the list, filter and search queries
//! use their tenant-leading indexes (under row-level security they could not: the full-text,
//! trigram and array operators are not LEAKPROOF). And the price of that design, proven: the
//! runtime role cannot read the table at all, and the functions never reach another tenant.

use kernel::testing::TestApp;
use serde_json::{Value, json};
use sqlx::{Connection, PgConnection};
use uuid::Uuid;

use crate::*;

/// `n` active products of two approved vendors in a three-level category tree, written as the
/// owner under the tenant's settings (an admin's), then indexed with `product_search_rebuild()`.
/// Returns the tenant and the ids of a top category and of a leaf.
async fn catalogue(app: &TestApp, slug: &str, n: i32) -> (Tenant, Uuid, Uuid) {
    let t = tenant(app, slug).await;
    let admin = users::api::create_user(
        &app.state.db,
        t.id,
        &format!("admin@{slug}.test"),
        PASSWORD,
        "Ana",
        &["admin"],
        true,
    )
    .await
    .unwrap();
    let mut tx = app.db.owner.begin().await.unwrap();
    sqlx::query(
        "select set_config('app.tenant_id', $1, true), set_config('app.user_id', $2, true)",
    )
    .bind(t.id.to_string())
    .bind(admin.to_string())
    .execute(&mut *tx)
    .await
    .unwrap();
    let sql = format!(
        r#"
        insert into vendors (id, tenant_id, user_id, slug, name, contact_email, status)
        select gen_random_uuid(), '{t}', '{admin}', 'tienda-' || g, 'Tienda ' || g, 'v@x.test', 'approved'
          from generate_series(1, 1) g;
        create temp table cats on commit drop as
        select gen_random_uuid() as id, a, b, c from generate_series(1, 4) a,
               lateral (select generate_series(0, 3) as b) x, lateral (select generate_series(0, 3) as c) y
         where (b = 0 and c = 0) or c = 0 or b > 0;
        -- (a, 0, 0) is a top category, (a, b, 0) its child, (a, b, c) a leaf.
        insert into categories (id, tenant_id, parent_id, path, slug, name)
        select id, '{t}', null, array[id], format('c%s', a), format('Cat %s', a) from cats where b = 0;
        insert into categories (id, tenant_id, parent_id, path, slug, name)
        select k.id, '{t}', p.id, array[p.id, k.id], format('c%s-%s', k.a, k.b), format('Cat %s %s', k.a, k.b)
          from cats k join cats p on p.a = k.a and p.b = 0 where k.b > 0 and k.c = 0;
        insert into categories (id, tenant_id, parent_id, path, slug, name)
        select k.id, '{t}', p.id, array[g.id, p.id, k.id], format('c%s-%s-%s', k.a, k.b, k.c), 'Hoja'
          from cats k join cats p on p.a = k.a and p.b = k.b and p.c = 0
          join cats g on g.a = k.a and g.b = 0 where k.b > 0 and k.c > 0;
        create temp table prods on commit drop as
        select g, gen_random_uuid() as id,
               (array['vestido','polo','casaca','chompa','falda','pantalón','zapatilla','gorra'])[1 + g % 8] as kind,
               (array['rojo','azul','verde','negro','blanco','gris','beige','morado','rosado','celeste'])[1 + g % 10] as color,
               (select id from cats where b > 0 and c > 0 order by id offset g % 36 limit 1) as cat
          from generate_series(1, {n}) g;
        insert into products (id, tenant_id, vendor_id, slug, title, description, status, attributes, published_at)
        select p.id, '{t}', (select id from vendors limit 1), 'p-' || g, initcap(kind) || ' ' || color || ' ' || g,
               'Prenda de algodón hecha en Gamarra, modelo ' || g, 'active',
               jsonb_build_object('color', color, 'material', (array['algodón','lino','seda'])[1 + g % 3]),
               now() - g * interval '1 minute'
          from prods p;
        insert into product_categories (tenant_id, product_id, category_id) select '{t}', id, cat from prods;
        insert into product_variants (id, tenant_id, product_id, sku, options, price_minor, currency)
        select gen_random_uuid(), '{t}', id, 'SKU-' || g || '-' || s, jsonb_build_object('talla', (array['s','m','l','xl'])[s]),
               1000 + (g * 37) % 40000, 'PEN'
          from prods, generate_series(1, 2) s;
        insert into inventory (variant_id, tenant_id, product_id, on_hand)
        select v.id, '{t}', v.product_id, (v.price_minor % 7) from product_variants v;
        "#,
        t = t.id
    );
    sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
        .execute(&mut *tx)
        .await
        .unwrap();
    let indexed: i64 = sqlx::query_scalar("select product_search_rebuild()")
        .fetch_one(&mut *tx)
        .await
        .unwrap();
    assert_eq!(indexed, n as i64);
    let top: Uuid = sqlx::query_scalar("select id from categories where slug = 'c1'")
        .fetch_one(&mut *tx)
        .await
        .unwrap();
    let leaf: Uuid = sqlx::query_scalar("select id from categories where slug = 'c2-3-1'")
        .fetch_one(&mut *tx)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    (t, top, leaf)
}

/// Two tenants of 1,500 products each, statistics fresh.
async fn seeded() -> (TestApp, Tenant, Uuid, Uuid) {
    let app = app().await;
    let (t, top, leaf) = catalogue(&app, "gamarra", 1500).await;
    catalogue(&app, "polvos", 1500).await;
    sqlx::raw_sql("analyze")
        .execute(&app.db.owner)
        .await
        .unwrap();
    (app, t, top, leaf)
}

/// The plan of `kind` with filters `f`, asked as the runtime role in `tenant`'s transaction.
async fn plan(app: &TestApp, tenant: Option<Uuid>, kind: &str, f: Value) -> Option<Value> {
    let mut tx = app.db.app.begin().await.unwrap();
    if let Some(t) = tenant {
        sqlx::query("select set_config('app.tenant_id', $1, true)")
            .bind(t.to_string())
            .execute(&mut *tx)
            .await
            .unwrap();
    }
    let lines: Vec<String> = sqlx::query_scalar("select product_search_plan($1, $2)")
        .bind(kind)
        .bind(f)
        .fetch_all(&mut *tx)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    if lines.is_empty() {
        return None;
    }
    let doc: Value = serde_json::from_str(&lines.concat()).unwrap();
    Some(doc[0]["Plan"].clone())
}

/// Every node of a plan: (node type, index name, relation name).
fn nodes(plan: &Value, out: &mut Vec<(String, String, String)>) {
    let s = |k: &str| plan[k].as_str().unwrap_or_default().to_string();
    out.push((s("Node Type"), s("Index Name"), s("Relation Name")));
    for child in plan["Plans"].as_array().into_iter().flatten() {
        nodes(child, out);
    }
}

/// Asserts that `product_search` is read through one of `indexes` and never scanned whole.
#[track_caller]
fn uses_index(plan: &Value, indexes: &[&str]) {
    let mut all = Vec::new();
    nodes(plan, &mut all);
    assert!(
        !all.iter()
            .any(|(node, _, rel)| node == "Seq Scan" && rel.starts_with("product_search")),
        "sequential scan of the index table: {all:?}"
    );
    assert!(
        all.iter().any(|(node, index, _)| {
            matches!(
                node.as_str(),
                "Index Scan" | "Index Only Scan" | "Bitmap Index Scan"
            ) && indexes.contains(&index.as_str())
        }),
        "none of {indexes:?} used: {all:?}"
    );
}

#[tokio::test]
async fn list_filter_and_search_use_their_indexes_as_the_runtime_role() {
    let (app, t, top, leaf) = seeded().await;
    let tenant = Some(t.id);

    // The listing: a category subtree, newest first or by price, is a range of the listing
    // table's btree whatever the category's size (a top category or a leaf).
    for cat in [top, leaf] {
        let p = plan(
            &app,
            tenant,
            "page",
            json!({"category": cat, "sort": "newest", "limit": 21}),
        )
        .await
        .unwrap();
        uses_index(&p, &["product_search_listing_newest"]);
        let p = plan(
            &app,
            tenant,
            "page",
            json!({"category": cat, "sort": "price_desc", "limit": 21,
                   "after": {"price": 5000, "id": Uuid::nil()}}),
        )
        .await
        .unwrap();
        uses_index(&p, &["product_search_listing_price"]);
    }
    // Its next page: the cursor is an index condition too.
    let p = plan(
        &app,
        tenant,
        "page",
        json!({"sort": "newest", "limit": 21, "after": {"ts": "2026-01-01T00:00:00Z", "id": Uuid::nil()}}),
    )
    .await
    .unwrap();
    uses_index(&p, &["product_search_newest"]);

    // Filters: attributes (GIN) with a price range, and a price range alone (btree).
    let p = plan(
        &app,
        tenant,
        "page",
        json!({"price_min": 2000, "price_max": 9000, "attrs": ["color=rojo", "talla=m"], "sort": "newest", "limit": 21}),
    )
    .await
    .unwrap();
    uses_index(&p, &["product_search_attrs"]);
    let p = plan(
        &app,
        tenant,
        "page",
        json!({"price_min": 2000, "price_max": 2100, "sort": "price_asc", "limit": 21}),
    )
    .await
    .unwrap();
    uses_index(&p, &["product_search_price"]);

    // Search: the full-text GIN index, for the page and for the facet counts.
    for kind in ["page", "facets"] {
        let p = plan(
            &app,
            tenant,
            kind,
            json!({"q": "vestido rojo", "limit": 21}),
        )
        .await
        .unwrap();
        uses_index(&p, &["product_search_document"]);
    }
    // Autocomplete: the completed words are inlined, so the planner picks by how common they
    // are (the newest-first index for a common word, the full-text index for a rare one).
    let p = plan(
        &app,
        tenant,
        "suggest",
        json!({"q": "vestido roj", "limit": 10}),
    )
    .await
    .unwrap();
    uses_index(&p, &["product_search_document", "product_search_newest"]);

    // No tenant in the transaction: no statement at all.
    assert!(
        plan(&app, None, "page", json!({"q": "vestido"}))
            .await
            .is_none()
    );
}

#[tokio::test]
async fn the_runtime_role_reaches_the_index_only_through_its_functions() {
    let (app, a, _, _) = seeded().await;
    let b = tenant(&app, "chacra").await;
    let mut conn = PgConnection::connect(&app.db.app_url).await.unwrap();
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
        "select set_config('app.tenant_id', '{}', false)",
        a.id
    )))
    .execute(&mut conn)
    .await
    .unwrap();
    for sql in [
        "select count(*) from product_search",
        "select count(*) from product_search_terms",
        "delete from product_search",
        "select product_search_sql('page', '{}')",
        "select * from product_search_compute(app_current_tenant(), null)",
    ] {
        let err = sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
            .execute(&mut conn)
            .await
            .unwrap_err();
        let code = err
            .as_database_error()
            .and_then(|e| e.code())
            .unwrap_or_default();
        assert_eq!(code, "42501", "{sql}: {err}");
    }

    // The functions answer for the transaction's tenant only.
    let count = |tenant: Uuid| {
        let app = &app;
        async move {
            let mut tx = app.db.app.begin().await.unwrap();
            sqlx::query("select set_config('app.tenant_id', $1, true)")
                .bind(tenant.to_string())
                .execute(&mut *tx)
                .await
                .unwrap();
            let n: i64 = sqlx::query_scalar(
                "select count(*) from product_search_facets('{\"locale\": \"es\"}') where facet = 'total'",
            )
            .fetch_one(&mut *tx)
            .await
            .unwrap();
            let total: i64 = sqlx::query_scalar(
                "select coalesce(sum(count), 0)::int8 from product_search_facets('{\"locale\": \"es\"}') where facet = 'total'",
            )
            .fetch_one(&mut *tx)
            .await
            .unwrap();
            tx.commit().await.unwrap();
            (n, total)
        }
    };
    assert_eq!(count(a.id).await, (1, 1500));
    assert_eq!(count(b.id).await, (1, 0));

    // Refreshing (or rebuilding) from another tenant changes nothing of tenant A.
    let owner_view =
        "select md5(string_agg(s::text, ',' order by product_id)) from product_search s";
    let before: String = sqlx::query_scalar(owner_view)
        .fetch_one(&app.db.owner)
        .await
        .unwrap();
    let (victim, vendor, category): (Uuid, Uuid, Uuid) = sqlx::query_as(
        "select product_id, vendor_id, direct_category_ids[1] from product_search where tenant_id = $1 limit 1",
    )
    .bind(a.id)
    .fetch_one(&app.db.owner)
    .await
    .unwrap();
    let mut tx = app.db.app.begin().await.unwrap();
    sqlx::query("select set_config('app.tenant_id', $1, true)")
        .bind(b.id.to_string())
        .execute(&mut *tx)
        .await
        .unwrap();
    for (sql, id) in [
        ("select product_search_refresh($1)", victim),
        ("select product_search_refresh_vendor($1)", vendor),
        ("select product_search_refresh_category($1)", category),
    ] {
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(id)
            .execute(&mut *tx)
            .await
            .unwrap();
    }
    let rebuilt: i64 = sqlx::query_scalar("select product_search_rebuild()")
        .fetch_one(&mut *tx)
        .await
        .unwrap();
    assert_eq!(rebuilt, 0);
    let page: Vec<Uuid> =
        sqlx::query_scalar("select product_id from product_search_page('{\"limit\": 5}')")
            .fetch_all(&mut *tx)
            .await
            .unwrap();
    assert!(page.is_empty());
    tx.commit().await.unwrap();
    let after: String = sqlx::query_scalar(owner_view)
        .fetch_one(&app.db.owner)
        .await
        .unwrap();
    assert_eq!(before, after, "tenant A's rows are untouched");

    // Without a tenant, nothing at all.
    let rows: Vec<Uuid> = sqlx::query_scalar("select product_id from product_search_page('{}')")
        .fetch_all(&app.db.app)
        .await
        .unwrap();
    assert!(rows.is_empty());
    let n: i64 =
        sqlx::query_scalar("select count(*) from product_search_suggest('vestido', 'es', 10)")
            .fetch_one(&app.db.app)
            .await
            .unwrap();
    assert_eq!(n, 0);
}

#[tokio::test]
async fn the_owner_role_is_not_exempt_elsewhere() {
    // The design's other half: RLS stays forced on the source tables, so the refresh functions
    // (running as the owner) index only what the calling tenant has. Here the owner itself,
    // without a tenant, sees no product.
    let (app, _, _, _) = seeded().await;
    let n: i64 = sqlx::query_scalar("select count(*) from products")
        .fetch_one(&app.db.owner)
        .await
        .unwrap();
    assert_eq!(n, 0);
    let (forced, enabled): (bool, bool) = sqlx::query_as(
        "select relforcerowsecurity, relrowsecurity from pg_class where relname = 'product_search'",
    )
    .fetch_one(&app.db.owner)
    .await
    .unwrap();
    assert!(enabled && !forced, "enabled, deliberately not forced");
    let grants: i64 = sqlx::query_scalar(
        "select count(*) from information_schema.role_table_grants
          where grantee in ('gamarriando_app', 'PUBLIC') and table_name in ('product_search', 'product_search_terms')",
    )
    .fetch_one(&app.db.owner)
    .await
    .unwrap();
    assert_eq!(grants, 0);
}
