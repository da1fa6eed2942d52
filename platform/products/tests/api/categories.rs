//! The category tree: nesting, breadcrumbs, subtree moves, cycles, deletion rules, locales.

use serde_json::{Value, json};

use crate::*;

async fn create(app: &kernel::testing::TestApp, m: &Market, body: Value) -> Value {
    app.post("/api/v1/products/categories")
        .host(&m.t.host)
        .bearer(&m.admin)
        .json(&body)
        .send()
        .await
        .expect(201)
        .body
}

fn id(v: &Value) -> &str {
    v["id"].as_str().unwrap()
}

#[tokio::test]
async fn tree_breadcrumbs_and_subtree_moves() {
    let app = app().await;
    let m = market(&app, "gamarra").await;
    let ropa = create(
        &app,
        &m,
        json!({"name": "Ropa", "translations": {"en": {"name": "Clothing"}}}),
    )
    .await;
    let hombre = create(&app, &m, json!({"name": "Hombre", "parent_id": id(&ropa)})).await;
    let polos = create(
        &app,
        &m,
        json!({"name": "Polos", "parent_id": id(&hombre), "position": 2}),
    )
    .await;
    let camisas = create(
        &app,
        &m,
        json!({"name": "Camisas", "parent_id": id(&hombre), "position": 1}),
    )
    .await;
    let hogar = create(&app, &m, json!({"name": "Hogar"})).await;
    assert_eq!(polos["slug"], "polos");
    let crumbs: Vec<&str> = polos["breadcrumbs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(crumbs, ["Ropa", "Hombre"]);

    let tree = app
        .get("/api/v1/products/categories")
        .host(&m.t.host)
        .send()
        .await
        .expect(200)
        .body;
    let roots: Vec<&str> = tree
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(roots, ["Hogar", "Ropa"], "siblings by position, then name");
    let hombre_node = &tree[1]["children"][0];
    assert_eq!(hombre_node["name"], "Hombre");
    let kids: Vec<&str> = hombre_node["children"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(kids, ["Camisas", "Polos"], "siblings by position");

    // English content falls back to the default locale where untranslated.
    let en = app
        .get("/api/v1/products/categories")
        .host(&m.t.host)
        .lang("en")
        .send()
        .await
        .expect(200)
        .body;
    assert_eq!(en[1]["name"], "Clothing");
    assert_eq!(en[1]["children"][0]["name"], "Hombre");

    // Move "Hombre" (with its subtree) under "Hogar": paths follow.
    let moved = app
        .post(&format!("/api/v1/products/categories/{}/move", id(&hombre)))
        .host(&m.t.host)
        .bearer(&m.admin)
        .json(&json!({"parent_id": id(&hogar)}))
        .send()
        .await
        .expect(200)
        .body;
    assert_eq!(moved["breadcrumbs"][0]["name"], "Hogar");
    assert_eq!(moved["children"].as_array().unwrap().len(), 2);
    let polos_now = app
        .get("/api/v1/products/categories/polos")
        .host(&m.t.host)
        .send()
        .await
        .expect(200)
        .body;
    let crumbs: Vec<&str> = polos_now["breadcrumbs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        crumbs,
        ["Hogar", "Hombre"],
        "the cached page was invalidated by the move"
    );
    let ropa_now = app
        .get(&format!("/api/v1/products/categories/{}", id(&ropa)))
        .host(&m.t.host)
        .send()
        .await
        .expect(200)
        .body;
    assert!(ropa_now["children"].as_array().unwrap().is_empty());

    // Cycles: under itself or a descendant.
    for target in [id(&hombre), id(&polos)] {
        app.post(&format!("/api/v1/products/categories/{}/move", id(&hombre)))
            .host(&m.t.host)
            .bearer(&m.admin)
            .json(&json!({"parent_id": target}))
            .send()
            .await
            .expect_problem(409, "category_cycle");
    }
    let raw: Vec<String> = app
        .owner_scalar(
            m.t.id,
            "select array_agg(array_to_string(path, ',')) from categories",
        )
        .await;
    let paths: Vec<Vec<uuid::Uuid>> = raw
        .iter()
        .map(|p: &String| p.split(',').map(|s| s.parse().unwrap()).collect())
        .collect();
    for p in &paths {
        let unique: std::collections::HashSet<_> = p.iter().collect();
        assert_eq!(unique.len(), p.len(), "no path repeats a category: {p:?}");
    }
    // Back to a root.
    let root = app
        .post(&format!("/api/v1/products/categories/{}/move", id(&hombre)))
        .host(&m.t.host)
        .bearer(&m.admin)
        .json(&json!({"parent_id": null}))
        .send()
        .await
        .expect(200)
        .body;
    assert!(root["breadcrumbs"].as_array().unwrap().is_empty());
    let _ = camisas;
}

#[tokio::test]
async fn deleting_needs_an_empty_leaf() {
    let app = app().await;
    let m = market(&app, "gamarra").await;
    let parent = create(&app, &m, json!({"name": "Ropa"})).await;
    let leaf = create(&app, &m, json!({"name": "Polos", "parent_id": id(&parent)})).await;
    product(
        &app,
        &m.t,
        &m.a.token,
        json!({"title": "Polo", "category_ids": [id(&leaf)]}),
    )
    .await;
    app.delete(&format!("/api/v1/products/categories/{}", id(&parent)))
        .host(&m.t.host)
        .bearer(&m.admin)
        .send()
        .await
        .expect_problem(409, "category_has_children");
    app.delete(&format!("/api/v1/products/categories/{}", id(&leaf)))
        .host(&m.t.host)
        .bearer(&m.admin)
        .lang("es")
        .send()
        .await
        .expect_problem(409, "category_not_empty");
    assert_eq!(count(&app, &m.t, "categories").await, 2);
    let empty = create(&app, &m, json!({"name": "Vacía"})).await;
    app.delete(&format!("/api/v1/products/categories/{}", id(&empty)))
        .host(&m.t.host)
        .bearer(&m.admin)
        .send()
        .await
        .expect(204);
}

#[tokio::test]
async fn only_admins_edit_the_tree() {
    let app = app().await;
    let m = market(&app, "gamarra").await;
    let c = create(&app, &m, json!({"name": "Ropa"})).await;
    for token in [&m.a.token, &m.customer] {
        app.post("/api/v1/products/categories")
            .host(&m.t.host)
            .bearer(token)
            .json(&json!({"name": "X"}))
            .send()
            .await
            .expect_problem(403, "forbidden");
        app.patch(&format!("/api/v1/products/categories/{}", id(&c)))
            .host(&m.t.host)
            .bearer(token)
            .json(&json!({"name": "X"}))
            .send()
            .await
            .expect_problem(403, "forbidden");
        app.delete(&format!("/api/v1/products/categories/{}", id(&c)))
            .host(&m.t.host)
            .bearer(token)
            .send()
            .await
            .expect_problem(403, "forbidden");
    }
    app.post("/api/v1/products/categories")
        .host(&m.t.host)
        .json(&json!({"name": "X"}))
        .send()
        .await
        .expect_problem(401, "unauthorized");
    // Even straight SQL as a vendor changes nothing (restrictive policy).
    let mut tx = app
        .state
        .db
        .begin_scoped(m.t.id, Some(m.a.user_id))
        .await
        .unwrap();
    let n = sqlx::query("update categories set name = 'pwned'")
        .execute(tx.conn())
        .await
        .unwrap();
    assert_eq!(n.rows_affected(), 0);
    let renamed = app
        .patch(&format!("/api/v1/products/categories/{}", id(&c)))
        .host(&m.t.host)
        .bearer(&m.admin)
        .json(&json!({"name": "Ropa y más", "slug": "ropa-mas", "description": "Todo"}))
        .send()
        .await
        .expect(200);
    assert_eq!(renamed.body["slug"], "ropa-mas");
    assert_eq!(renamed.body["description"], "Todo");
}
