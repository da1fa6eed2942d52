//! Listing, search, facets and autocomplete of the public catalogue: stemming, filters, sorts and
//! cursors, exact facet counts, typos, visibility, tenant isolation, cache invalidation, and bad
//! input.

use std::collections::HashSet;

use kernel::testing::TestApp;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::*;

async fn get(app: &TestApp, t: &Tenant, path: &str) -> Value {
    app.get(path).host(&t.host).send().await.expect(200).body
}

fn ids(page: &Value) -> Vec<String> {
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_str().unwrap().to_string())
        .collect()
}

fn titles(page: &Value) -> Vec<String> {
    let mut t: Vec<String> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["title"].as_str().unwrap().to_string())
        .collect();
    t.sort();
    t
}

fn id(v: &Value) -> String {
    v["id"].as_str().unwrap().to_string()
}

async fn category(app: &TestApp, m: &Market, name: &str, parent: Option<&str>) -> String {
    let res = app
        .post("/api/v1/products/categories")
        .host(&m.t.host)
        .bearer(&m.admin)
        .json(&json!({"name": name, "parent_id": parent}))
        .send()
        .await
        .expect(201);
    id(&res.body)
}

/// An active product with one variant per `(sku, price, stock, options)`.
async fn listed(
    app: &TestApp,
    t: &Tenant,
    token: &str,
    body: Value,
    variants: &[(&str, i64, i32, Value)],
) -> Value {
    let mut body = body;
    body["status"] = json!("active");
    body["variants"] = variants
        .iter()
        .map(|(sku, price, stock, options)| {
            json!({"sku": sku, "price_minor": price, "stock": stock, "options": options})
        })
        .collect();
    product(app, t, token, body).await
}

/// A marketplace whose default language is English (USD), with an admin and one vendor.
async fn english_market(app: &TestApp, slug: &str) -> (Tenant, String, Seller) {
    let id = Uuid::now_v7();
    let _: Uuid = app
        .owner_scalar(
            kernel::tenant::PLATFORM_TENANT_ID,
            &format!(
                "insert into tenants (id, slug, name, default_locale, currency)
                 values ('{id}', '{slug}', 'Shop {slug}', 'en', 'USD') returning id"
            ),
        )
        .await;
    let t = Tenant {
        id,
        host: format!("{slug}.localhost"),
    };
    let (_, admin) = user(app, &t, &format!("admin@{slug}.test"), &["admin"]).await;
    let s = seller(app, &t, &admin, &format!("{slug}-a")).await;
    (t, admin, s)
}

#[tokio::test]
async fn search_stems_in_the_marketplace_language() {
    let app = app().await;
    let m = market(&app, "gamarra").await;
    let zapatilla = active_product(&app, &m.t, &m.a.token, "Zapatilla urbana", "Z-1", 3).await;
    let polo = active_product(&app, &m.t, &m.a.token, "Polo de algodón pima", "P-1", 3).await;
    active_product(&app, &m.t, &m.a.token, "Casaca de cuero", "C-1", 3).await;

    let found = get(&app, &m.t, "/api/v1/products/search?q=zapatillas").await;
    assert_eq!(ids(&found), vec![id(&zapatilla)], "plural finds singular");
    assert_eq!(found["total"], 1);
    let found = get(&app, &m.t, "/api/v1/products/search?q=algodon").await;
    assert_eq!(ids(&found), vec![id(&polo)], "accents do not matter");
    let found = get(&app, &m.t, "/api/v1/products/search?q=Polos%20pima").await;
    assert_eq!(ids(&found), vec![id(&polo)], "every word must match");
    let none = get(&app, &m.t, "/api/v1/products/search?q=polo%20cuero").await;
    assert!(ids(&none).is_empty());

    let (en, _, s) = english_market(&app, "londres").await;
    let shoe = active_product(&app, &en, &s.token, "Trail run shoe", "R-1", 3).await;
    active_product(&app, &en, &s.token, "Wool scarf", "W-1", 3).await;
    let found = get(&app, &en, "/api/v1/products/search?q=running").await;
    assert_eq!(
        ids(&found),
        vec![id(&shoe)],
        "English stemming: running finds run"
    );
    let found = get(&app, &en, "/api/v1/products/search?q=shoes").await;
    assert_eq!(ids(&found), vec![id(&shoe)]);
    assert_eq!(found["items"][0]["currency"], "USD");
}

#[tokio::test]
async fn translations_are_searched_in_their_language_and_shown_in_the_readers() {
    let app = app().await;
    let m = market(&app, "gamarra").await;
    let p = listed(
        &app,
        &m.t,
        &m.a.token,
        json!({"title": "Chompa de lana", "description": "Abriga en invierno",
               "tags": ["tejido a mano"],
               "translations": {"en": {"title": "Wool sweater", "description": "Knitted by hand"}}}),
        &[("CH-1", 9000, 2, json!({}))],
    )
    .await;
    // English words (stemmed in English), Spanish tags and the vendor's name all find it.
    for q in ["sweaters", "knitting", "tejidos", "shop%20gamarra-a"] {
        let found = app
            .get(&format!("/api/v1/products/search?q={q}"))
            .host(&m.t.host)
            .lang("en")
            .send()
            .await
            .expect(200)
            .body;
        assert_eq!(ids(&found), vec![id(&p)], "{q}");
        assert_eq!(
            found["items"][0]["title"], "Wool sweater",
            "the reader's language"
        );
    }
    let es = get(&app, &m.t, "/api/v1/products?limit=5").await;
    assert_eq!(es["items"][0]["title"], "Chompa de lana");
}

#[tokio::test]
async fn filters_narrow_the_listing() {
    let app = app().await;
    let m = market(&app, "gamarra").await;
    let ropa = category(&app, &m, "Ropa", None).await;
    let polos = category(&app, &m, "Polos", Some(&ropa)).await;
    let manga = category(&app, &m, "Manga corta", Some(&polos)).await;
    let calzado = category(&app, &m, "Calzado", None).await;

    let corta = listed(
        &app,
        &m.t,
        &m.a.token,
        json!({"title": "Polo manga corta", "category_ids": [manga], "attributes": {"material": "Algodón"}}),
        &[("PC-S", 2000, 0, json!({"talla": "S"})), ("PC-M", 2200, 4, json!({"talla": "M"}))],
    )
    .await;
    let polo = listed(
        &app,
        &m.t,
        &m.b.token,
        json!({"title": "Polo clásico", "category_ids": [polos], "attributes": {"material": "lino"}}),
        &[("PL-L", 5000, 0, json!({"talla": "L"}))],
    )
    .await;
    let zapato = listed(
        &app,
        &m.t,
        &m.a.token,
        json!({"title": "Zapato", "category_ids": [calzado]}),
        &[("ZA-40", 15000, 1, json!({"talla": "40"}))],
    )
    .await;

    let list = |q: String| {
        let app = &app;
        let t = m.t.clone();
        async move { titles(&get(app, &t, &format!("/api/v1/products?{q}")).await) }
    };
    let all = list(String::new()).await;
    assert_eq!(all, vec!["Polo clásico", "Polo manga corta", "Zapato"]);
    assert_eq!(
        list(format!("category={ropa}")).await,
        vec!["Polo clásico", "Polo manga corta"],
        "a category holds its whole subtree"
    );
    assert_eq!(
        list(format!("category={manga}")).await,
        vec!["Polo manga corta"]
    );
    assert_eq!(
        list(format!("vendor={}", m.b.vendor_id)).await,
        vec!["Polo clásico"]
    );
    assert_eq!(
        list("price_min=2000&price_max=5000".into()).await,
        vec!["Polo clásico", "Polo manga corta"],
        "bounds are inclusive, on the lowest price"
    );
    assert_eq!(
        list("price_min=2001".into()).await,
        vec!["Polo clásico", "Zapato"]
    );
    assert_eq!(
        list("attrs=talla:m".into()).await,
        vec!["Polo manga corta"],
        "variant options"
    );
    assert_eq!(
        list("attrs=MATERIAL:algodón".into()).await,
        vec!["Polo manga corta"],
        "product attributes, case-insensitive"
    );
    assert_eq!(
        list("attrs=talla:m,talla:l".into()).await,
        vec!["Polo clásico", "Polo manga corta"],
        "values of one name are alternatives"
    );
    assert!(
        list("attrs=talla:m,material:lino".into()).await.is_empty(),
        "names all apply"
    );
    assert_eq!(
        list("in_stock=true".into()).await,
        vec!["Polo manga corta", "Zapato"]
    );
    assert_eq!(list("in_stock=false".into()).await, vec!["Polo clásico"]);
    assert_eq!(
        list(format!("category={ropa}&in_stock=true&price_max=3000")).await,
        vec!["Polo manga corta"]
    );

    // The card: prices over the variants, stock, vendor, no image yet.
    let page = get(&app, &m.t, &format!("/api/v1/products?category={manga}")).await;
    let card = &page["items"][0];
    assert_eq!(card["id"], corta["id"]);
    assert_eq!(card["price_min_minor"], 2000);
    assert_eq!(card["price_max_minor"], 2200);
    assert_eq!(card["currency"], "PEN");
    assert_eq!(card["in_stock"], true);
    assert_eq!(card["vendor"]["id"], m.a.vendor_id.to_string());
    assert_eq!(card["vendor"]["name"], "Shop gamarra-a");
    assert!(card["image_url"].is_null());
    assert!(card["published_at"].is_string());
    assert!(page["next_cursor"].is_null());

    // Search takes the same filters.
    let found = get(
        &app,
        &m.t,
        &format!("/api/v1/products/search?q=polo&category={ropa}&in_stock=false"),
    )
    .await;
    assert_eq!(ids(&found), vec![id(&polo)]);
    let _ = zapato;
}

/// Every page of a listing in `sort`, following cursors; returns the ids in order.
async fn walk(app: &TestApp, t: &Tenant, base: &str, limit: u32) -> Vec<String> {
    let mut out = Vec::new();
    let mut cursor: Option<String> = None;
    for _ in 0..100 {
        let sep = if base.contains('?') { '&' } else { '?' };
        let mut path = format!("{base}{sep}limit={limit}");
        if let Some(c) = &cursor {
            path.push_str(&format!("&cursor={c}"));
        }
        let page = get(app, t, &path).await;
        assert!(page["items"].as_array().unwrap().len() <= limit as usize);
        out.extend(ids(&page));
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_string()),
            None => return out,
        }
    }
    panic!("no last page");
}

#[tokio::test]
async fn sorts_and_cursors_cover_every_product_once() {
    let app = app().await;
    let m = market(&app, "gamarra").await;
    // 23 products, five prices (ties), all matching "polo"; some say it twice (higher rank).
    let mut made = Vec::new();
    for i in 0..23 {
        let description = if i % 3 == 0 {
            "Un polo, el mejor polo"
        } else {
            "Algodón"
        };
        let p = listed(
            &app,
            &m.t,
            &m.a.token,
            json!({"title": format!("Polo {i}"), "description": description}),
            &[(&format!("S-{i}"), 1000 + (i % 5) * 100, 1, json!({}))],
        )
        .await;
        made.push((id(&p), 1000 + (i % 5) * 100));
    }
    let everything: HashSet<String> = made.iter().map(|(id, _)| id.clone()).collect();
    for (base, limit) in [
        ("/api/v1/products", 7),
        ("/api/v1/products?sort=newest", 5),
        ("/api/v1/products?sort=price_asc", 4),
        ("/api/v1/products?sort=price_desc", 6),
        ("/api/v1/products/search?q=polo", 5),
        ("/api/v1/products/search?q=polo&sort=price_asc", 10),
        ("/api/v1/products/search?q=polo&sort=newest", 22),
    ] {
        let seen = walk(&app, &m.t, base, limit).await;
        let unique: HashSet<String> = seen.iter().cloned().collect();
        assert_eq!(seen.len(), 23, "{base}: no duplicates");
        assert_eq!(unique, everything, "{base}: no gaps");
        let price = |id: &String| made.iter().find(|(m, _)| m == id).unwrap().1;
        if base.contains("price_asc") {
            assert!(
                seen.windows(2).all(|w| price(&w[0]) <= price(&w[1])),
                "{base}"
            );
        }
        if base.contains("price_desc") {
            assert!(
                seen.windows(2).all(|w| price(&w[0]) >= price(&w[1])),
                "{base}"
            );
        }
        if base == "/api/v1/products" || base.contains("newest") {
            let newest_first: Vec<String> = made.iter().rev().map(|(id, _)| id.clone()).collect();
            assert_eq!(seen, newest_first, "{base}: newest first");
        }
        if base == "/api/v1/products/search?q=polo" {
            // Those that say "polo" three times rank above the rest.
            let strong: HashSet<String> =
                made.iter().step_by(3).map(|(id, _)| id.clone()).collect();
            let first: HashSet<String> = seen[..strong.len()].iter().cloned().collect();
            assert_eq!(first, strong, "relevance first");
        }
    }
}

#[tokio::test]
async fn category_pages_follow_edits() {
    let app = app().await;
    let m = market(&app, "gamarra").await;
    let ropa = category(&app, &m, "Ropa", None).await;
    let polos = category(&app, &m, "Polos", Some(&ropa)).await;
    let calzado = category(&app, &m, "Calzado", None).await;
    let mut polo_ids = Vec::new();
    for i in 0..9 {
        let p = listed(
            &app,
            &m.t,
            &m.a.token,
            json!({"title": format!("Polo {i}"), "category_ids": [polos]}),
            &[(&format!("CP-{i}"), 1000 + (i % 3) * 100, 1, json!({}))],
        )
        .await;
        polo_ids.push(id(&p));
    }
    let zapato = listed(
        &app,
        &m.t,
        &m.a.token,
        json!({"title": "Zapato", "category_ids": [calzado]}),
        &[("CZ-1", 1050, 1, json!({}))],
    )
    .await;

    // Pages of a category, in every order, cover it once.
    let everything: HashSet<String> = polo_ids.iter().cloned().collect();
    for sort in ["newest", "price_asc", "price_desc"] {
        let seen = walk(
            &app,
            &m.t,
            &format!("/api/v1/products?category={ropa}&sort={sort}"),
            4,
        )
        .await;
        assert_eq!(seen.len(), 9, "{sort}");
        assert_eq!(
            seen.iter().cloned().collect::<HashSet<_>>(),
            everything,
            "{sort}"
        );
    }
    let newest = walk(&app, &m.t, &format!("/api/v1/products?category={ropa}"), 4).await;
    assert_eq!(newest, polo_ids.iter().rev().cloned().collect::<Vec<_>>());

    // A moved subtree leaves its old ancestors' pages and joins its new ones.
    app.post(&format!("/api/v1/products/categories/{polos}/move"))
        .host(&m.t.host)
        .bearer(&m.admin)
        .json(&json!({"parent_id": calzado}))
        .send()
        .await
        .expect(200);
    assert!(ids(&get(&app, &m.t, &format!("/api/v1/products?category={ropa}")).await).is_empty());
    let shoes = walk(
        &app,
        &m.t,
        &format!("/api/v1/products?category={calzado}"),
        20,
    )
    .await;
    assert_eq!(shoes.len(), 10);

    // A price change moves the product in the price order of its category pages.
    let cheapest = get(
        &app,
        &m.t,
        &format!("/api/v1/products?category={calzado}&sort=price_asc&limit=1"),
    )
    .await;
    assert_eq!(cheapest["items"][0]["price_min_minor"], 1000);
    let vid = zapato["variants"][0]["id"].as_str().unwrap();
    app.patch(&format!("/api/v1/products/{}/variants/{vid}", id(&zapato)))
        .host(&m.t.host)
        .bearer(&m.a.token)
        .json(&json!({"price_minor": 10}))
        .send()
        .await
        .expect(200);
    let cheapest = get(
        &app,
        &m.t,
        &format!("/api/v1/products?category={calzado}&sort=price_asc&limit=1"),
    )
    .await;
    assert_eq!(cheapest["items"][0]["id"], zapato["id"]);
    assert_eq!(cheapest["items"][0]["price_min_minor"], 10);
}

#[tokio::test]
async fn facets_count_everything_that_matches() {
    let app = app().await;
    let m = market(&app, "gamarra").await;
    let ropa = category(&app, &m, "Ropa", None).await;
    let polos = category(&app, &m, "Polos", Some(&ropa)).await;
    let casacas = category(&app, &m, "Casacas", Some(&ropa)).await;
    let a = &m.a.token;
    let b = &m.b.token;
    listed(&app, &m.t, a,
        json!({"title": "Polo clásico", "tags": ["verano"], "category_ids": [polos], "attributes": {"material": "algodón"}}),
        &[("F-1S", 1500, 5, json!({"talla": "S"})), ("F-1M", 1800, 5, json!({"talla": "M"}))]).await;
    listed(&app, &m.t, a,
        json!({"title": "Casaca ligera", "tags": ["verano"], "category_ids": [casacas], "attributes": {"material": "cuero"}}),
        &[("F-2M", 8000, 0, json!({"talla": "M"}))]).await;
    listed(&app, &m.t, b,
        json!({"title": "Polo pima", "tags": ["verano"], "category_ids": [polos], "attributes": {"material": "algodón"}}),
        &[("F-3L", 2500, 2, json!({"talla": "L"}))]).await;
    listed(&app, &m.t, b,
        json!({"title": "Polo invierno", "category_ids": [polos], "attributes": {"material": "lana"}}),
        &[("F-4L", 30000, 2, json!({"talla": "L"}))]).await;
    // Another marketplace's products never count.
    let other = market(&app, "polvos").await;
    for i in 0..3 {
        active_product(
            &app,
            &other.t,
            &other.a.token,
            &format!("Polo verano {i}"),
            &format!("O-{i}"),
            1,
        )
        .await;
    }

    let res = get(&app, &m.t, "/api/v1/products/search?q=verano&limit=1").await;
    assert_eq!(
        res["items"].as_array().unwrap().len(),
        1,
        "facets count beyond the page"
    );
    assert_eq!(res["total"], 3);
    let f = &res["facets"];
    let pairs = |list: &Value, key: &str| -> Vec<(String, i64)> {
        list.as_array()
            .unwrap()
            .iter()
            .map(|c| {
                (
                    c[key].as_str().unwrap().to_string(),
                    c["count"].as_i64().unwrap(),
                )
            })
            .collect()
    };
    assert_eq!(
        pairs(&f["categories"], "name"),
        vec![("Polos".into(), 2), ("Casacas".into(), 1)],
        "direct categories, most products first"
    );
    assert_eq!(f["categories"][0]["id"], polos);
    assert_eq!(f["categories"][0]["slug"], "polos");
    assert_eq!(
        pairs(&f["vendors"], "name"),
        vec![("Shop gamarra-a".into(), 2), ("Shop gamarra-b".into(), 1)]
    );
    assert_eq!(f["vendors"][1]["id"], m.b.vendor_id.to_string());
    assert_eq!(
        f["prices"],
        json!([
            {"min_minor": 0, "max_minor": 2000, "count": 1},
            {"min_minor": 2000, "max_minor": 5000, "count": 1},
            {"min_minor": 5000, "max_minor": 10000, "count": 1},
        ])
    );
    assert_eq!(
        f["attributes"],
        json!([
            {"name": "material", "values": [{"value": "algodón", "count": 2}, {"value": "cuero", "count": 1}]},
            {"name": "talla", "values": [{"value": "m", "count": 2}, {"value": "l", "count": 1}, {"value": "s", "count": 1}]},
        ])
    );

    // Facets follow the filters.
    let res = get(
        &app,
        &m.t,
        &format!("/api/v1/products/search?q=polo&vendor={}", m.b.vendor_id),
    )
    .await;
    assert_eq!(res["total"], 2);
    assert_eq!(
        res["facets"]["prices"],
        json!([
            {"min_minor": 2000, "max_minor": 5000, "count": 1},
            {"min_minor": 20000, "max_minor": 50000, "count": 1},
        ])
    );
    let res = get(
        &app,
        &m.t,
        "/api/v1/products/search?q=polo&price_min=100000",
    )
    .await;
    assert_eq!(res["total"], 0);
    assert_eq!(
        res["facets"],
        json!({"categories": [], "vendors": [], "prices": [], "attributes": []})
    );
}

#[tokio::test]
async fn autocomplete_completes_and_tolerates_typos() {
    let app = app().await;
    let m = market(&app, "gamarra").await;
    let vestido =
        active_product(&app, &m.t, &m.a.token, "Vestido floral de verano", "V-1", 2).await;
    let vestido2 = active_product(&app, &m.t, &m.b.token, "Vestido de fiesta", "V-2", 2).await;
    active_product(&app, &m.t, &m.a.token, "Polo verde", "P-1", 2).await;

    let ac = |q: &'static str| {
        let app = &app;
        let t = m.t.clone();
        async move { get(app, &t, &format!("/api/v1/products/autocomplete?q={q}")).await }
    };
    let res = ac("vestdo").await;
    assert_eq!(res["terms"][0], "vestido", "a typo");
    let found: HashSet<String> = ids(&res).into_iter().collect();
    assert_eq!(found, HashSet::from([id(&vestido), id(&vestido2)]));
    let res = ac("VES").await;
    assert_eq!(res["terms"], json!(["vestido"]), "a prefix");
    assert_eq!(ids(&res).len(), 2);
    let res = ac("vestido%20flo").await;
    assert_eq!(res["terms"], json!(["floral"]));
    assert_eq!(
        ids(&res),
        vec![id(&vestido)],
        "earlier words narrow the products"
    );
    assert_eq!(res["items"][0]["title"], "Vestido floral de verano");
    assert_eq!(res["items"][0]["slug"], vestido["slug"]);
    let res = ac("ver").await;
    let terms: Vec<&str> = res["terms"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t.as_str().unwrap())
        .collect();
    assert!(
        terms.contains(&"verano") && terms.contains(&"verde"),
        "{terms:?}"
    );
    let res = ac("zzzzz").await;
    assert_eq!(res, json!({"terms": [], "items": []}));
    let res = ac("%21%C2%BF%3F").await;
    assert_eq!(
        res,
        json!({"terms": [], "items": []}),
        "only punctuation: nothing to complete"
    );
    let res = get(
        &app,
        &m.t,
        "/api/v1/products/autocomplete?q=vestido&limit=1",
    )
    .await;
    assert_eq!(res["items"].as_array().unwrap().len(), 1);

    for q in ["", "ve", "%20%20ve%20"] {
        let res = app
            .get(&format!("/api/v1/products/autocomplete?q={q}"))
            .host(&m.t.host)
            .send()
            .await
            .expect_problem(422, "validation_failed");
        assert_eq!(res.field_codes()[0].0, "q", "{q}");
    }
    let res = app
        .get("/api/v1/products/autocomplete?q=vestido&limit=21")
        .host(&m.t.host)
        .send()
        .await;
    assert_eq!(
        res.expect_problem(422, "validation_failed").field_codes(),
        vec![("limit".into(), "out_of_range".into())]
    );

    // Words of products that leave the catalogue stop being offered.
    app.patch(&format!("/api/v1/products/{}", id(&vestido2)))
        .host(&m.t.host)
        .bearer(&m.b.token)
        .json(&json!({"title": "Falda de fiesta"}))
        .send()
        .await
        .expect(200);
    let res = ac("fies").await;
    assert_eq!(res["terms"], json!(["fiesta"]));
    app.patch(&format!("/api/v1/products/{}", id(&vestido2)))
        .host(&m.t.host)
        .bearer(&m.b.token)
        .json(&json!({"status": "archived"}))
        .send()
        .await
        .expect(200);
    let res = ac("fies").await;
    assert_eq!(res, json!({"terms": [], "items": []}));
}

#[tokio::test]
async fn only_public_products_are_listed() {
    let app = app().await;
    let m = market(&app, "gamarra").await;
    let draft = product(
        &app,
        &m.t,
        &m.a.token,
        json!({"title": "Chompa borrador", "variants": [{"sku": "D-1", "price_minor": 100, "stock": 1}]}),
    )
    .await;
    let archived = active_product(&app, &m.t, &m.a.token, "Chompa archivada", "A-1", 1).await;
    app.patch(&format!("/api/v1/products/{}", id(&archived)))
        .host(&m.t.host)
        .bearer(&m.a.token)
        .json(&json!({"status": "archived"}))
        .send()
        .await
        .expect(200);
    let of_b = active_product(&app, &m.t, &m.b.token, "Chompa de la tienda B", "B-1", 1).await;
    let visible = active_product(&app, &m.t, &m.a.token, "Chompa visible", "V-1", 1).await;
    assert_eq!(
        titles(&get(&app, &m.t, "/api/v1/products/search?q=chompa").await).len(),
        2
    );

    app.post(&format!(
        "/api/v1/products/vendors/{}/suspend",
        m.b.vendor_id
    ))
    .host(&m.t.host)
    .bearer(&m.admin)
    .json(&json!({"reason": "Reclamos"}))
    .send()
    .await
    .expect(200);

    // Whoever asks (a guest, the vendor of the draft, an admin): the public catalogue only.
    for token in [None, Some(&m.a.token), Some(&m.admin), Some(&m.customer)] {
        for path in [
            "/api/v1/products",
            "/api/v1/products/search?q=chompa",
            "/api/v1/products/autocomplete?q=chompa",
        ] {
            let mut req = app.get(path).host(&m.t.host);
            if let Some(t) = token {
                req = req.bearer(t);
            }
            let res = req.send().await.expect(200).body;
            assert_eq!(ids(&res), vec![id(&visible)], "{path}");
        }
    }
    let res = get(&app, &m.t, "/api/v1/products/search?q=chompa").await;
    assert_eq!(res["total"], 1);
    assert_eq!(res["facets"]["vendors"].as_array().unwrap().len(), 1);
    let _ = (draft, of_b);

    // Approved again, the vendor's products come back.
    app.post(&format!(
        "/api/v1/products/vendors/{}/approve",
        m.b.vendor_id
    ))
    .host(&m.t.host)
    .bearer(&m.admin)
    .json(&json!({}))
    .send()
    .await
    .expect(200);
    assert_eq!(
        get(&app, &m.t, "/api/v1/products/search?q=chompa").await["total"],
        2
    );
}

#[tokio::test]
async fn tenants_never_see_each_others_catalogue() {
    let app = app().await;
    let a = market(&app, "gamarra").await;
    let b = market(&app, "polvos").await;
    let ours = active_product(&app, &a.t, &a.a.token, "Poncho quechua de alpaca", "Q-1", 2).await;
    active_product(&app, &b.t, &b.a.token, "Polo básico", "Q-1", 2).await;

    let found = get(&app, &a.t, "/api/v1/products/search?q=quechua").await;
    assert_eq!(ids(&found), vec![id(&ours)]);
    for path in [
        "/api/v1/products/search?q=quechua",
        "/api/v1/products/search?q=alpaca&sort=newest",
        "/api/v1/products/autocomplete?q=quechua",
        "/api/v1/products/autocomplete?q=alpaka",
    ] {
        let res = get(&app, &b.t, path).await;
        assert!(ids(&res).is_empty(), "{path}: {res}");
        if let Some(terms) = res.get("terms") {
            assert_eq!(terms, &json!([]), "{path}");
        }
        if let Some(total) = res.get("total") {
            assert_eq!(total, 0, "{path}");
        }
    }
    let listing = get(&app, &b.t, "/api/v1/products").await;
    assert_eq!(titles(&listing), vec!["Polo básico"]);
    // Another tenant's ids as filters match nothing.
    let res = get(
        &app,
        &b.t,
        &format!("/api/v1/products?vendor={}", a.a.vendor_id),
    )
    .await;
    assert!(ids(&res).is_empty());
    let res = get(&app, &b.t, "/api/v1/products/search?q=polo").await;
    assert_eq!(res["total"], 1);
    assert_eq!(res["facets"]["vendors"][0]["id"], b.a.vendor_id.to_string());
    // A cursor made on one tenant is only a position on another: no row of A comes through it.
    active_product(&app, &a.t, &a.a.token, "Gorro de alpaca", "Q-2", 2).await;
    let page = get(&app, &a.t, "/api/v1/products?limit=1").await;
    let cursor = page["next_cursor"].as_str().unwrap();
    let res = get(
        &app,
        &b.t,
        &format!("/api/v1/products?limit=1&cursor={cursor}"),
    )
    .await;
    assert!(titles(&res).iter().all(|t| t == "Polo básico"), "{res}");
}

#[tokio::test]
async fn writes_show_in_the_next_search() {
    let app = app().await;
    let m = market(&app, "gamarra").await;
    let p = active_product(&app, &m.t, &m.a.token, "Chalina de alpaca", "CH-1", 0).await;
    let search = "/api/v1/products/search?q=alpaca";
    let first = get(&app, &m.t, search).await;
    assert_eq!(ids(&first), vec![id(&p)]);
    assert_eq!(first["items"][0]["in_stock"], false);
    // Served from the cache now; a stock change and an archive must both show at once.
    let vid = p["variants"][0]["id"].as_str().unwrap();
    app.post(&format!(
        "/api/v1/products/{}/variants/{vid}/inventory/adjustments",
        id(&p)
    ))
    .host(&m.t.host)
    .bearer(&m.a.token)
    .json(&json!({"delta": 3, "reason": "received"}))
    .send()
    .await
    .expect(201);
    let res = get(&app, &m.t, search).await;
    assert_eq!(res["items"][0]["in_stock"], true);
    assert_eq!(
        get(&app, &m.t, "/api/v1/products?in_stock=true").await["items"][0]["id"],
        p["id"]
    );
    app.patch(&format!("/api/v1/products/{}", id(&p)))
        .host(&m.t.host)
        .bearer(&m.a.token)
        .json(&json!({"status": "archived"}))
        .send()
        .await
        .expect(200);
    let res = get(&app, &m.t, search).await;
    assert!(ids(&res).is_empty(), "archived: gone from the next search");
    assert_eq!(res["total"], 0);
    assert!(ids(&get(&app, &m.t, "/api/v1/products").await).is_empty());
}

#[tokio::test]
async fn bad_input_is_a_problem() {
    let app = app().await;
    let m = market(&app, "gamarra").await;
    active_product(&app, &m.t, &m.a.token, "Polo", "P-1", 1).await;
    active_product(&app, &m.t, &m.a.token, "Polo 2", "P-2", 1).await;
    let page = get(&app, &m.t, "/api/v1/products?limit=1").await;
    let newest_cursor = page["next_cursor"].as_str().unwrap().to_string();

    for (path, field, code) in [
        ("/api/v1/products?limit=100000", "limit", "out_of_range"),
        ("/api/v1/products?limit=0", "limit", "out_of_range"),
        ("/api/v1/products?limit=-1", "limit", "invalid"),
        ("/api/v1/products?cursor=bm9wZQ", "cursor", "invalid"),
        ("/api/v1/products?cursor=%21%21", "cursor", "invalid"),
        (
            "/api/v1/products?price_min=500&price_max=100",
            "price_min",
            "greater_than_other",
        ),
        ("/api/v1/products?price_min=-1", "price_min", "out_of_range"),
        ("/api/v1/products?price_max=abc", "price_max", "invalid"),
        ("/api/v1/products?sort=cheapest", "sort", "invalid_choice"),
        ("/api/v1/products?sort=relevance", "sort", "invalid_choice"),
        (
            "/api/v1/products?category=not-a-uuid",
            "category",
            "invalid",
        ),
        ("/api/v1/products?attrs=talla", "attrs", "attribute_filter"),
        ("/api/v1/products?in_stock=maybe", "in_stock", "invalid"),
        ("/api/v1/products?q=polo", "q", "unknown_field"),
        ("/api/v1/products/search", "q", "required"),
        ("/api/v1/products/search?q=%20%20", "q", "required"),
        (
            "/api/v1/products/search?q=polo&limit=101",
            "limit",
            "out_of_range",
        ),
        (
            "/api/v1/products/search?q=polo&sort=newest&cursor=bm9wZQ",
            "cursor",
            "invalid",
        ),
    ] {
        let res = app
            .get(path)
            .host(&m.t.host)
            .send()
            .await
            .expect_problem(422, "validation_failed");
        let codes = res.field_codes();
        assert!(
            codes.contains(&(field.to_string(), code.to_string())),
            "{path}: {codes:?}"
        );
    }
    // A cursor of another sort is not a position in this one.
    let res = app
        .get(&format!(
            "/api/v1/products?sort=price_asc&cursor={newest_cursor}"
        ))
        .host(&m.t.host)
        .send()
        .await
        .expect_problem(422, "validation_failed");
    assert_eq!(res.field_codes(), vec![("cursor".into(), "invalid".into())]);
    let long = "a".repeat(201);
    let res = app
        .get(&format!("/api/v1/products/search?q={long}"))
        .host(&m.t.host)
        .send()
        .await
        .expect_problem(422, "validation_failed");
    assert_eq!(res.field_codes(), vec![("q".into(), "too_long".into())]);
    // Every problem at once, in the reader's language.
    let res = app
        .get("/api/v1/products?limit=500&price_min=9&price_max=1&attrs=x")
        .host(&m.t.host)
        .lang("es")
        .send()
        .await
        .expect_problem(422, "validation_failed");
    assert_eq!(res.field_codes().len(), 3, "{}", res.text);
    let msg = res.body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["code"] == "greater_than_other")
        .unwrap()["message"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(msg.contains("no puede ser mayor"), "{msg}");
    // Words that are all stop words match nothing rather than fail.
    let res = get(&app, &m.t, "/api/v1/products/search?q=de%20la").await;
    assert_eq!(res["total"], 0);
}
