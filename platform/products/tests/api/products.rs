//! Products: creation with variants and stock, content per locale, visibility, edits, caching.

use serde_json::json;

use crate::*;

#[tokio::test]
async fn create_read_and_edit_in_two_locales() {
    let app = app().await;
    let m = market(&app, "gamarra").await;
    let cat = app
        .post("/api/v1/products/categories")
        .host(&m.t.host)
        .bearer(&m.admin)
        .json(&json!({"name": "Polos"}))
        .send()
        .await
        .expect(201)
        .body["id"]
        .clone();
    let p = product(
        &app,
        &m.t,
        &m.a.token,
        json!({
            "title": "Polo Algodón Niño",
            "description": "Algodón pima",
            "status": "active",
            "meta_title": "Polo pima",
            "attributes": {"material": "algodón"},
            "tags": ["Verano", "verano", "niños"],
            "category_ids": [cat],
            "translations": {"en": {"title": "Kids cotton polo"}},
            "variants": [
                {"sku": "POLO-N-S", "options": {"talla": "S"}, "price_minor": 2990, "compare_at_minor": 3990, "stock": 5},
                {"sku": "POLO-N-M", "options": {"talla": "M"}, "price_minor": 3190, "position": 1}
            ]
        }),
    )
    .await;
    assert_eq!(p["slug"], "polo-algodon-nino");
    assert_eq!(p["vendor"]["id"], m.a.vendor_id.to_string());
    assert_eq!(
        p["tags"],
        json!(["niños", "verano"]),
        "trimmed, lowercased, deduplicated"
    );
    assert_eq!(
        p["variants"][0]["currency"], "PEN",
        "the marketplace currency by default"
    );
    assert_eq!(p["variants"][0]["available"], 5);
    assert_eq!(p["variants"][1]["available"], 0);
    assert_eq!(
        p["translations"]["en"]["title"], "Kids cotton polo",
        "the editor sees translations"
    );
    assert!(p["published_at"].is_string());

    // A shopper, in each language, by slug and by id; English falls back where untranslated.
    let es = app
        .get("/api/v1/products/polo-algodon-nino")
        .host(&m.t.host)
        .send()
        .await
        .expect(200)
        .body;
    assert_eq!(es["title"], "Polo Algodón Niño");
    assert!(
        es.get("translations").is_none(),
        "shoppers do not get the editing view"
    );
    let en = app
        .get(&format!("/api/v1/products/{}", p["id"].as_str().unwrap()))
        .host(&m.t.host)
        .lang("en")
        .send()
        .await
        .expect(200)
        .body;
    assert_eq!(en["title"], "Kids cotton polo");
    assert_eq!(
        en["description"], "Algodón pima",
        "fallback to the default locale"
    );

    // An edit shows at once, even to a shopper whose page was cached.
    let id = p["id"].as_str().unwrap();
    app.patch(&format!("/api/v1/products/{id}"))
        .host(&m.t.host)
        .bearer(&m.a.token)
        .json(
            &json!({"title": "Polo Pima Niño", "description": null, "tags": ["pima"],
                      "translations": {"en": null}}),
        )
        .send()
        .await
        .expect(200);
    let es = app
        .get("/api/v1/products/polo-algodon-nino")
        .host(&m.t.host)
        .send()
        .await
        .expect(200)
        .body;
    assert_eq!(es["title"], "Polo Pima Niño", "slug stays, title changes");
    assert!(es["description"].is_null());
    assert_eq!(es["tags"], json!(["pima"]));
    let en = app
        .get("/api/v1/products/polo-algodon-nino")
        .host(&m.t.host)
        .lang("en")
        .send()
        .await
        .expect(200)
        .body;
    assert_eq!(en["title"], "Polo Pima Niño", "translation removed");
}

#[tokio::test]
async fn drafts_are_seen_by_their_vendor_and_admins_only() {
    let app = app().await;
    let m = market(&app, "gamarra").await;
    let draft = product(&app, &m.t, &m.a.token, json!({"title": "Secreto"})).await;
    assert_eq!(draft["status"], "draft");
    let path = format!("/api/v1/products/{}", draft["id"].as_str().unwrap());
    for token in [Some(&m.customer), Some(&m.b.token), None] {
        let mut req = app.get(&path).host(&m.t.host);
        if let Some(t) = token {
            req = req.bearer(t);
        }
        req.send().await.expect_problem(404, "not_found");
    }
    for token in [&m.a.token, &m.admin] {
        app.get(&path)
            .host(&m.t.host)
            .bearer(token)
            .send()
            .await
            .expect(200);
    }
    // Manage lists: a vendor sees its own, an admin everyone's.
    let mine = app
        .get("/api/v1/products/manage")
        .host(&m.t.host)
        .bearer(&m.b.token)
        .send()
        .await
        .expect(200);
    assert!(mine.body["items"].as_array().unwrap().is_empty());
    active_product(&app, &m.t, &m.b.token, "Polo B", "B-1", 2).await;
    let all = app
        .get("/api/v1/products/manage?status=draft")
        .host(&m.t.host)
        .bearer(&m.admin)
        .send()
        .await
        .expect(200);
    assert_eq!(all.body["items"].as_array().unwrap().len(), 1);
    let all = app
        .get(&format!(
            "/api/v1/products/manage?vendor_id={}",
            m.b.vendor_id
        ))
        .host(&m.t.host)
        .bearer(&m.admin)
        .send()
        .await
        .expect(200);
    assert_eq!(all.body["items"][0]["title"], "Polo B");
    assert_eq!(all.body["items"][0]["on_hand"], 2);
    app.get("/api/v1/products/manage")
        .host(&m.t.host)
        .bearer(&m.customer)
        .send()
        .await
        .expect_problem(403, "forbidden");
}

#[tokio::test]
async fn slugs_are_generated_unique_and_editable() {
    let app = app().await;
    let m = market(&app, "gamarra").await;
    let one = product(&app, &m.t, &m.a.token, json!({"title": "Polo"})).await;
    let two = product(&app, &m.t, &m.b.token, json!({"title": "Polo"})).await;
    assert_eq!(one["slug"], "polo");
    assert!(
        two["slug"].as_str().unwrap().starts_with("polo-"),
        "{}",
        two["slug"]
    );
    app.post("/api/v1/products")
        .host(&m.t.host)
        .bearer(&m.a.token)
        .json(&json!({"title": "Otro", "slug": "polo"}))
        .send()
        .await
        .expect_problem(409, "product_slug_taken");
    app.patch(&format!("/api/v1/products/{}", one["id"].as_str().unwrap()))
        .host(&m.t.host)
        .bearer(&m.a.token)
        .json(&json!({"slug": "polo-clasico"}))
        .send()
        .await
        .expect(200);
}

#[tokio::test]
async fn admins_create_for_a_vendor_and_published_products_are_archived_not_deleted() {
    let app = app().await;
    let m = market(&app, "gamarra").await;
    app.post("/api/v1/products")
        .host(&m.t.host)
        .bearer(&m.admin)
        .json(&json!({"title": "Sin dueño"}))
        .send()
        .await
        .expect_problem(422, "validation_failed");
    let p = product(
        &app,
        &m.t,
        &m.admin,
        json!({"title": "De B", "vendor_id": m.b.vendor_id, "status": "active",
               "variants": [{"sku": "B-9", "price_minor": 100}]}),
    )
    .await;
    assert_eq!(p["vendor"]["id"], m.b.vendor_id.to_string());
    let id = p["id"].as_str().unwrap();
    app.delete(&format!("/api/v1/products/{id}"))
        .host(&m.t.host)
        .bearer(&m.b.token)
        .send()
        .await
        .expect_problem(409, "product_published");
    app.patch(&format!("/api/v1/products/{id}"))
        .host(&m.t.host)
        .bearer(&m.b.token)
        .json(&json!({"status": "archived"}))
        .send()
        .await
        .expect(200);
    app.get(&format!("/api/v1/products/{id}"))
        .host(&m.t.host)
        .send()
        .await
        .expect_problem(404, "not_found");
    let draft = product(&app, &m.t, &m.a.token, json!({"title": "Borrador"})).await;
    app.delete(&format!(
        "/api/v1/products/{}",
        draft["id"].as_str().unwrap()
    ))
    .host(&m.t.host)
    .bearer(&m.a.token)
    .send()
    .await
    .expect(204);
    // Activation needs a variant; the last variant of an active product stays.
    let bare = product(&app, &m.t, &m.a.token, json!({"title": "Vacío"})).await;
    app.patch(&format!(
        "/api/v1/products/{}",
        bare["id"].as_str().unwrap()
    ))
    .host(&m.t.host)
    .bearer(&m.a.token)
    .json(&json!({"status": "active"}))
    .send()
    .await
    .expect_problem(409, "product_needs_variant");
    let one = active_product(&app, &m.t, &m.a.token, "Uno", "U-1", 0).await;
    app.delete(&format!(
        "/api/v1/products/{}/variants/{}",
        one["id"].as_str().unwrap(),
        one["variants"][0]["id"].as_str().unwrap()
    ))
    .host(&m.t.host)
    .bearer(&m.a.token)
    .send()
    .await
    .expect_problem(409, "product_needs_variant");
}

#[tokio::test]
async fn variants_are_added_edited_and_removed() {
    let app = app().await;
    let m = market(&app, "gamarra").await;
    let p = active_product(&app, &m.t, &m.a.token, "Polo", "P-1", 1).await;
    let id = p["id"].as_str().unwrap();
    let v = app
        .post(&format!("/api/v1/products/{id}/variants"))
        .host(&m.t.host)
        .bearer(&m.a.token)
        .json(&json!({"sku": "P-2", "price_minor": 4000, "options": {"color": "rojo"}, "stock": 7}))
        .send()
        .await
        .expect(201)
        .body;
    assert_eq!(v["available"], 7);
    let vid = v["id"].as_str().unwrap();
    let edited = app
        .patch(&format!("/api/v1/products/{id}/variants/{vid}"))
        .host(&m.t.host)
        .bearer(&m.a.token)
        .json(&json!({"price_minor": 3500, "compare_at_minor": 4000, "title": "Rojo"}))
        .send()
        .await
        .expect(200)
        .body;
    assert_eq!(edited["price_minor"], 3500);
    assert_eq!(edited["compare_at_minor"], 4000);
    app.patch(&format!("/api/v1/products/{id}/variants/{vid}"))
        .host(&m.t.host)
        .bearer(&m.a.token)
        .json(&json!({"sku": "p-1"}))
        .send()
        .await
        .expect_problem(409, "sku_taken");
    app.delete(&format!("/api/v1/products/{id}/variants/{vid}"))
        .host(&m.t.host)
        .bearer(&m.a.token)
        .send()
        .await
        .expect(204);
    let now = app
        .get(&format!("/api/v1/products/{id}"))
        .host(&m.t.host)
        .send()
        .await
        .expect(200)
        .body;
    assert_eq!(now["variants"].as_array().unwrap().len(), 1);
}
