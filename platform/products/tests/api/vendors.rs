//! Vendor applications, decisions, roles and public pages.

use serde_json::json;

use crate::*;

#[tokio::test]
async fn apply_approve_suspend_and_reapprove() {
    let app = app().await;
    let t = tenant(&app, "gamarra").await;
    let (_, admin) = user(&app, &t, "admin@gamarra.test", &["admin"]).await;
    let (uid, token) = user(&app, &t, "ana@gamarra.test", &[]).await;

    let res = app
        .post("/api/v1/products/vendors")
        .host(&t.host)
        .bearer(&token)
        .json(
            &json!({"name": "Textiles Ána", "contact_email": "ana@gamarra.test",
                      "payout_details": {"bank": "BCP", "account": "123"}}),
        )
        .send()
        .await
        .expect(201);
    assert_eq!(res.body["status"], "pending");
    assert_eq!(
        res.body["slug"], "textiles-ana",
        "slug generated from the name"
    );
    assert_eq!(res.body["user_id"], uid.to_string());
    let id = res.body["id"].as_str().unwrap().to_string();

    // Pending vendors are not public and cannot sell.
    app.get(&format!("/api/v1/products/vendors/{id}"))
        .host(&t.host)
        .send()
        .await
        .expect_problem(404, "not_found");
    app.post("/api/v1/products")
        .host(&t.host)
        .bearer(&token)
        .json(&json!({"title": "Polo"}))
        .send()
        .await
        .expect_problem(403, "forbidden");
    // A second application of the same account is refused.
    app.post("/api/v1/products/vendors")
        .host(&t.host)
        .bearer(&token)
        .json(&json!({"name": "Otra", "contact_email": "ana@gamarra.test"}))
        .send()
        .await
        .expect_problem(409, "vendor_exists");
    // Only admins decide.
    app.post(&format!("/api/v1/products/vendors/{id}/approve"))
        .host(&t.host)
        .bearer(&token)
        .send()
        .await
        .expect_problem(403, "forbidden");
    let pending = app
        .get("/api/v1/products/admin/vendors?status=pending")
        .host(&t.host)
        .bearer(&admin)
        .send()
        .await
        .expect(200);
    assert_eq!(pending.body["items"].as_array().unwrap().len(), 1);
    assert_eq!(pending.body["items"][0]["payout_details"]["bank"], "BCP");

    let approved = app
        .post(&format!("/api/v1/products/vendors/{id}/approve"))
        .host(&t.host)
        .bearer(&admin)
        .send()
        .await
        .expect(200);
    assert_eq!(approved.body["status"], "approved");
    let roles: Vec<String> = app
        .owner_scalar(
            t.id,
            &format!("select array_agg(role) from user_roles where user_id = '{uid}'"),
        )
        .await;
    assert_eq!(roles, vec!["vendor".to_string()]);

    // The public page: no payout details, no contact, a product count.
    let page = app
        .get("/api/v1/products/vendors/textiles-ana")
        .host(&t.host)
        .send()
        .await
        .expect(200);
    assert_eq!(page.body["name"], "Textiles Ána");
    assert_eq!(page.body["product_count"], 0);
    assert!(page.body.get("payout_details").is_none());
    assert!(page.body.get("contact_email").is_none());
    assert!(!page.text.contains("BCP"));

    // Approving twice is not a transition.
    app.post(&format!("/api/v1/products/vendors/{id}/approve"))
        .host(&t.host)
        .bearer(&admin)
        .send()
        .await
        .expect_problem(409, "vendor_transition_invalid");
    app.post(&format!("/api/v1/products/vendors/{id}/reject"))
        .host(&t.host)
        .bearer(&admin)
        .send()
        .await
        .expect_problem(409, "vendor_transition_invalid");

    let vendor_token = login(&app, &t, "ana@gamarra.test").await;
    active_product(&app, &t, &vendor_token, "Polo azul", "POLO-1", 3).await;
    let suspended = app
        .post(&format!("/api/v1/products/vendors/{id}/suspend"))
        .host(&t.host)
        .bearer(&admin)
        .json(&json!({"reason": "Reclamos"}))
        .send()
        .await
        .expect(200);
    assert_eq!(suspended.body["status_reason"], "Reclamos");
    let roles: Option<Vec<String>> = app
        .owner_scalar(
            t.id,
            &format!("select array_agg(role) from user_roles where user_id = '{uid}'"),
        )
        .await;
    assert_eq!(roles, None, "the vendor role is revoked");
    // Its products leave the catalogue, and its still-valid token cannot write (RLS).
    app.get("/api/v1/products/polo-azul")
        .host(&t.host)
        .send()
        .await
        .expect_problem(404, "not_found");
    app.post("/api/v1/products")
        .host(&t.host)
        .bearer(&vendor_token)
        .json(&json!({"title": "Otro"}))
        .send()
        .await
        .expect_problem(403, "forbidden");
    assert_eq!(count(&app, &t, "products").await, 1);

    app.post(&format!("/api/v1/products/vendors/{id}/approve"))
        .host(&t.host)
        .bearer(&admin)
        .send()
        .await
        .expect(200);
    app.get("/api/v1/products/polo-azul")
        .host(&t.host)
        .send()
        .await
        .expect(200);
}

#[tokio::test]
async fn vendor_edits_its_shop_but_not_its_status() {
    let app = app().await;
    let m = market(&app, "gamarra").await;
    let res = app
        .patch("/api/v1/products/vendors/me")
        .host(&m.t.host)
        .bearer(&m.a.token)
        .json(&json!({"name": "Nuevo nombre", "description": "Ropa", "shipping_rate_minor": 1500}))
        .send()
        .await
        .expect(200);
    assert_eq!(res.body["name"], "Nuevo nombre");
    assert_eq!(res.body["shipping_rate_minor"], 1500);
    app.patch("/api/v1/products/vendors/me")
        .host(&m.t.host)
        .bearer(&m.a.token)
        .json(&json!({"status": "approved"}))
        .send()
        .await
        .expect_problem(422, "validation_failed");
    // Another vendor's slug.
    app.patch("/api/v1/products/vendors/me")
        .host(&m.t.host)
        .bearer(&m.a.token)
        .json(&json!({"slug": "gamarra-b"}))
        .send()
        .await
        .expect_problem(409, "vendor_slug_taken");
    // Even straight SQL as the vendor cannot approve itself: the status guard trigger refuses.
    let mut tx = app
        .state
        .db
        .begin_scoped(m.t.id, Some(m.a.user_id))
        .await
        .unwrap();
    let err = sqlx::query("update vendors set status = 'suspended' where id = $1")
        .bind(m.b.vendor_id)
        .execute(tx.conn())
        .await;
    assert_eq!(
        err.unwrap().rows_affected(),
        0,
        "another vendor's row is invisible to writes"
    );
    let err = sqlx::query("update vendors set status = 'pending' where id = $1")
        .bind(m.a.vendor_id)
        .execute(tx.conn())
        .await
        .unwrap_err();
    assert!(err.to_string().contains("tenant admin"), "{err}");
}

#[tokio::test]
async fn public_vendor_list_shows_approved_only_with_counts() {
    let app = app().await;
    let m = market(&app, "gamarra").await;
    active_product(&app, &m.t, &m.a.token, "Polo", "A-1", 1).await;
    product(&app, &m.t, &m.a.token, json!({"title": "Borrador"})).await;
    let (_, pending) = user(&app, &m.t, "p@x.pe", &[]).await;
    app.post("/api/v1/products/vendors")
        .host(&m.t.host)
        .bearer(&pending)
        .json(&json!({"name": "Pendiente", "contact_email": "p@x.pe"}))
        .send()
        .await
        .expect(201);
    let res = app
        .get("/api/v1/products/vendors?limit=1")
        .host(&m.t.host)
        .send()
        .await
        .expect(200);
    assert_eq!(res.body["items"].as_array().unwrap().len(), 1);
    let next = res.body["next_cursor"].as_str().unwrap();
    let res2 = app
        .get(&format!("/api/v1/products/vendors?limit=1&cursor={next}"))
        .host(&m.t.host)
        .send()
        .await
        .expect(200);
    assert!(res2.body["next_cursor"].is_null());
    let names: Vec<&str> = [&res.body, &res2.body]
        .iter()
        .map(|b| b["items"][0]["name"].as_str().unwrap())
        .collect();
    assert!(!names.contains(&"Pendiente"));
    let a = [&res.body, &res2.body]
        .iter()
        .map(|b| &b["items"][0])
        .find(|v| v["id"] == m.a.vendor_id.to_string())
        .unwrap()
        .clone();
    assert_eq!(a["product_count"], 1, "drafts are not counted");
}
