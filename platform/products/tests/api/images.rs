//! Product images and vendor logos: the whole upload flow against a real S3-compatible server
//! (s3s-fs, `TEST_S3_ENDPOINT`; a bucket per test) and against the disk default through the
//! router; isolation between vendors and tenants; refused uploads leave nothing behind.

use kernel::{
    storage::UploadTicket,
    testing::{self, TestApp, TestResponse},
};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::*;

const PNG: &[u8] = b"\x89PNG\r\n\x1a\n-five";
const JPEG: &[u8] = b"\xff\xd8\xff\xe0-a-jpeg-file";

async fn s3_app() -> TestApp {
    app_with(|c| c.storage.s3 = Some(testing::s3_config())).await
}

fn images(id: &str) -> String {
    format!("/api/v1/products/{id}/images")
}

/// Asks for an upload as `token`; the 201 body.
async fn start(app: &TestApp, t: &Tenant, token: &str, id: &str, ct: &str, size: usize) -> Value {
    app.post(&format!("{}/uploads", images(id)))
        .host(&t.host)
        .bearer(token)
        .json(&json!({"content_type": ct, "size_bytes": size, "alt": "Polo azul"}))
        .send()
        .await
        .expect(201)
        .body
}

/// Sends `body` as the ticket says, like a browser: to S3 over HTTP, to the disk backend through
/// the router; `content_type` replaces the ticket's. Returns the status.
async fn upload(
    app: &TestApp,
    ticket: &Value,
    content_type: Option<&str>,
    body: &'static [u8],
) -> u16 {
    let ticket: UploadTicket = serde_json::from_value(ticket.clone()).unwrap();
    assert_eq!(ticket.method, "PUT");
    app.upload(&ticket, content_type, body).await.as_u16()
}

async fn confirm(app: &TestApp, t: &Tenant, token: &str, id: &str, image: &str) -> TestResponse {
    app.post(&format!("{}/{image}/confirm", images(id)))
        .host(&t.host)
        .bearer(token)
        .send()
        .await
}

/// Upload and confirm an image; its JSON.
async fn add_image(
    app: &TestApp,
    t: &Tenant,
    token: &str,
    id: &str,
    ct: &str,
    file: &'static [u8],
) -> Value {
    let up = start(app, t, token, id, ct, file.len()).await;
    assert_eq!(upload(app, &up["upload"], None, file).await, 200);
    confirm(app, t, token, id, up["image_id"].as_str().unwrap())
        .await
        .expect(200)
        .body
}

async fn key_of(app: &TestApp, t: &Tenant, image: &str) -> String {
    app.owner_scalar(
        t.id,
        &format!("select object_key from product_images where id = '{image}'"),
    )
    .await
}

async fn status_of(app: &TestApp, t: &Tenant, image: &str) -> String {
    app.owner_scalar(
        t.id,
        &format!("select status from product_images where id = '{image}'"),
    )
    .await
}

/// The whole flow on the backend `app` uses.
async fn full_flow(app: TestApp) {
    let m = market(&app, "gamarra").await;
    let p = active_product(&app, &m.t, &m.a.token, "Polo", "P-1", 5).await;
    let id = p["id"].as_str().unwrap();

    let up = start(&app, &m.t, &m.a.token, id, "image/png", PNG.len()).await;
    let image = up["image_id"].as_str().unwrap().to_string();
    assert_eq!(up["expires_at"], up["upload"]["expires_at"]);
    assert_eq!(up["upload"]["headers"]["content-type"], "image/png");
    let key = key_of(&app, &m.t, &image).await;
    assert_eq!(key, format!("t/{}/products/{id}/{image}.png", m.t.id));
    assert_eq!(status_of(&app, &m.t, &image).await, "pending");
    // Pending images are not shown.
    let list = app
        .get(&images(id))
        .host(&m.t.host)
        .send()
        .await
        .expect(200);
    assert_eq!(list.body, json!([]));

    // Confirming before the file arrived.
    confirm(&app, &m.t, &m.a.token, id, &image)
        .await
        .expect_problem(409, "upload_missing");
    assert_eq!(upload(&app, &up["upload"], None, PNG).await, 200);
    let first = confirm(&app, &m.t, &m.a.token, id, &image)
        .await
        .expect(200)
        .body;
    assert_eq!(first["id"], image.as_str());
    assert_eq!(first["status"], "ready");
    assert_eq!(first["position"], 0);
    assert_eq!(first["size_bytes"], PNG.len());
    assert_eq!(first["content_type"], "image/png");
    assert_eq!(first["alt"], "Polo azul");
    assert_eq!(first["url"], app.state.storage.public_url(&key));
    if !app.state.storage.is_s3() {
        // The disk backend serves the file itself.
        let url = first["url"].as_str().unwrap();
        let res = app
            .get(&url[url.find("/files/").unwrap()..])
            .send()
            .await
            .expect(200);
        assert_eq!(res.headers["content-type"], "image/png");
        assert_eq!(
            res.headers["content-length"],
            PNG.len().to_string().as_str()
        );
    }
    // Twice is harmless.
    let again = confirm(&app, &m.t, &m.a.token, id, &image)
        .await
        .expect(200)
        .body;
    assert_eq!(again["position"], 0);

    let second = add_image(&app, &m.t, &m.a.token, id, "image/jpeg", JPEG).await;
    assert_eq!(second["position"], 1);
    let second_id = second["id"].as_str().unwrap();
    assert!(key_of(&app, &m.t, second_id).await.ends_with(".jpg"));

    // Everyone sees the gallery of an active product, in order; the product page too.
    let list = app
        .get(&images(id))
        .host(&m.t.host)
        .send()
        .await
        .expect(200);
    let ids: Vec<&str> = list
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, [image.as_str(), second_id]);
    let page = app
        .get(&format!("/api/v1/products/{id}"))
        .host(&m.t.host)
        .send()
        .await
        .expect(200);
    assert_eq!(page.body["images"].as_array().unwrap().len(), 2);
    assert_eq!(page.body["images"][0]["id"], image.as_str());

    // Reorder, then move one back with PATCH; alt text can change or go.
    let res = app
        .put(&format!("{}/order", images(id)))
        .host(&m.t.host)
        .bearer(&m.a.token)
        .json(&json!({"image_ids": [second_id, image]}))
        .send()
        .await
        .expect(200);
    assert_eq!(res.body[0]["id"], second_id);
    assert_eq!(res.body[0]["position"], 0);
    assert_eq!(res.body[1]["position"], 1);
    let page = app
        .get(&format!("/api/v1/products/{id}"))
        .host(&m.t.host)
        .send()
        .await
        .expect(200);
    assert_eq!(
        page.body["images"][0]["id"], second_id,
        "the cached page was refreshed"
    );

    let res = app
        .patch(&format!("{}/{image}", images(id)))
        .host(&m.t.host)
        .bearer(&m.a.token)
        .json(&json!({"position": 0, "alt": "  Polo azul, de frente "}))
        .send()
        .await
        .expect(200);
    assert_eq!(res.body["position"], 0);
    assert_eq!(res.body["alt"], "Polo azul, de frente");
    let res = app
        .patch(&format!("{}/{second_id}", images(id)))
        .host(&m.t.host)
        .bearer(&m.a.token)
        .json(&json!({"alt": null}))
        .send()
        .await
        .expect(200);
    assert_eq!(res.body["alt"], Value::Null);
    assert_eq!(res.body["position"], 1);

    // Delete: the row and the file go.
    app.delete(&format!("{}/{image}", images(id)))
        .host(&m.t.host)
        .bearer(&m.a.token)
        .send()
        .await
        .expect(204);
    assert_eq!(app.state.storage.head(&key).await.unwrap(), None);
    let list = app
        .get(&images(id))
        .host(&m.t.host)
        .send()
        .await
        .expect(200);
    assert_eq!(list.body.as_array().unwrap().len(), 1);
    app.delete(&format!("{}/{image}", images(id)))
        .host(&m.t.host)
        .bearer(&m.a.token)
        .send()
        .await
        .expect_problem(404, "not_found");

    // The marketplace admin manages any vendor's images.
    let by_admin = add_image(&app, &m.t, &m.admin, id, "image/png", PNG).await;
    assert_eq!(by_admin["position"], 2);
}

#[tokio::test]
async fn full_flow_on_s3() {
    full_flow(s3_app().await).await;
}

#[tokio::test]
async fn full_flow_on_disk() {
    let app = app().await;
    assert!(!app.state.storage.is_s3());
    full_flow(app).await;
}

/// Writes vendor B aims at vendor A's product (and its image), with bodies that would succeed.
fn image_writes(id: &str, image: &str) -> Vec<(&'static str, String, Value)> {
    vec![
        (
            "POST",
            format!("{}/uploads", images(id)),
            json!({"content_type": "image/png", "size_bytes": 10}),
        ),
        (
            "POST",
            format!("{}/{image}/confirm", images(id)),
            Value::Null,
        ),
        (
            "PATCH",
            format!("{}/{image}", images(id)),
            json!({"alt": "pwned", "position": 0}),
        ),
        (
            "PUT",
            format!("{}/order", images(id)),
            json!({"image_ids": [image]}),
        ),
        ("DELETE", format!("{}/{image}", images(id)), Value::Null),
    ]
}

async fn snapshot(app: &TestApp, t: &Tenant) -> (i64, i64, i64) {
    let rows = count(app, t, "product_images").await;
    let ready: i64 = app
        .owner_scalar(
            t.id,
            "select count(*) from product_images where status = 'ready'",
        )
        .await;
    let pwned: i64 = app
        .owner_scalar(
            t.id,
            "select count(*) from product_images where alt = 'pwned' or position <> 0",
        )
        .await;
    (rows, ready, pwned)
}

#[tokio::test]
async fn another_vendor_gets_404_and_nothing_changes() {
    let app = s3_app().await;
    let m = market(&app, "gamarra").await;
    let draft = product(&app, &m.t, &m.a.token, json!({"title": "Borrador"})).await;
    let active = active_product(&app, &m.t, &m.a.token, "Activo", "A-1", 1).await;
    let mut keys = vec![];
    for p in [&draft, &active] {
        let id = p["id"].as_str().unwrap();
        let img = add_image(&app, &m.t, &m.a.token, id, "image/png", PNG).await;
        keys.push(key_of(&app, &m.t, img["id"].as_str().unwrap()).await);
        // A pending upload too.
        start(&app, &m.t, &m.a.token, id, "image/png", 10).await;
    }
    let before = snapshot(&app, &m.t).await;
    assert_eq!(before, (4, 2, 0));
    for p in [&draft, &active] {
        let id = p["id"].as_str().unwrap();
        let image: String = app
            .owner_scalar(m.t.id, &format!("select id::text from product_images where product_id = '{id}' and status = 'ready'"))
            .await;
        let pending: String = app
            .owner_scalar(m.t.id, &format!("select id::text from product_images where product_id = '{id}' and status = 'pending'"))
            .await;
        for img in [&image, &pending] {
            for (method, path, body) in image_writes(id, img) {
                let mut req = app.req(method, &path).host(&m.t.host).bearer(&m.b.token);
                if !body.is_null() {
                    req = req.json(&body);
                }
                req.send().await.expect_problem(404, "not_found");
            }
        }
    }
    // Drafts' images are listed for their vendor and admins only.
    let draft_id = draft["id"].as_str().unwrap();
    for token in [Some(&m.b.token), Some(&m.customer), None] {
        let mut req = app.get(&images(draft_id)).host(&m.t.host);
        if let Some(t) = token {
            req = req.bearer(t);
        }
        req.send().await.expect_problem(404, "not_found");
    }
    for token in [&m.a.token, &m.admin] {
        let res = app
            .get(&images(draft_id))
            .host(&m.t.host)
            .bearer(token)
            .send()
            .await
            .expect(200);
        assert_eq!(res.body.as_array().unwrap().len(), 1);
    }
    // The active product's gallery is public, for vendor B too.
    let res = app
        .get(&images(active["id"].as_str().unwrap()))
        .host(&m.t.host)
        .bearer(&m.b.token)
        .send()
        .await
        .expect(200);
    assert_eq!(res.body.as_array().unwrap().len(), 1);

    assert_eq!(snapshot(&app, &m.t).await, before);
    for key in keys {
        assert!(
            app.state.storage.head(&key).await.unwrap().is_some(),
            "{key} still stored"
        );
    }
}

#[tokio::test]
async fn another_tenant_gets_404_for_every_endpoint() {
    let app = app().await;
    let a = market(&app, "gamarra").await;
    let b = market(&app, "mercado").await;
    let p = active_product(&app, &a.t, &a.a.token, "Polo", "P-1", 1).await;
    let id = p["id"].as_str().unwrap();
    let img = add_image(&app, &a.t, &a.a.token, id, "image/png", PNG).await;
    let image = img["id"].as_str().unwrap();
    let before = snapshot(&app, &a.t).await;
    for token in [&b.admin, &b.a.token] {
        for (method, path, body) in image_writes(id, image) {
            let mut req = app.req(method, &path).host(&b.t.host).bearer(token);
            if !body.is_null() {
                req = req.json(&body);
            }
            req.send().await.expect_problem(404, "not_found");
        }
        app.get(&images(id))
            .host(&b.t.host)
            .bearer(token)
            .send()
            .await
            .expect_problem(404, "not_found");
    }
    app.get(&images(id))
        .host(&b.t.host)
        .send()
        .await
        .expect_problem(404, "not_found");
    // Tenant A's logo key is not one tenant B's vendor can adopt.
    let logo = app
        .post("/api/v1/products/vendors/me/logo/uploads")
        .host(&a.t.host)
        .bearer(&a.a.token)
        .json(&json!({"content_type": "image/png", "size_bytes": PNG.len()}))
        .send()
        .await
        .expect(201)
        .body;
    assert_eq!(upload(&app, &logo["upload"], None, PNG).await, 200);
    let res = app
        .post("/api/v1/products/vendors/me/logo/confirm")
        .host(&b.t.host)
        .bearer(&b.a.token)
        .json(&json!({"key": logo["key"]}))
        .send()
        .await
        .expect_problem(422, "validation_failed");
    assert_eq!(
        res.field_codes(),
        [("key".to_string(), "invalid".to_string())]
    );
    assert_eq!(snapshot(&app, &a.t).await, before);
    assert_eq!(count(&app, &b.t, "product_images").await, 0);
    let logos: i64 = app
        .owner_scalar(
            b.t.id,
            "select count(*) from vendors where logo_key is not null",
        )
        .await;
    assert_eq!(logos, 0);
}

#[tokio::test]
async fn customers_get_403() {
    let app = app().await;
    let m = market(&app, "gamarra").await;
    let p = active_product(&app, &m.t, &m.a.token, "Polo", "P-1", 1).await;
    let id = p["id"].as_str().unwrap();
    let img = add_image(&app, &m.t, &m.a.token, id, "image/png", PNG).await;
    let image = img["id"].as_str().unwrap();
    let before = snapshot(&app, &m.t).await;
    let mut writes = image_writes(id, image);
    writes.extend([
        (
            "POST",
            "/api/v1/products/vendors/me/logo/uploads".into(),
            json!({"content_type": "image/png", "size_bytes": 10}),
        ),
        (
            "POST",
            "/api/v1/products/vendors/me/logo/confirm".into(),
            json!({"key": "t/x/y.png"}),
        ),
        (
            "DELETE",
            "/api/v1/products/vendors/me/logo".into(),
            Value::Null,
        ),
    ]);
    for (method, path, body) in writes {
        let mut req = app.req(method, &path).host(&m.t.host).bearer(&m.customer);
        if !body.is_null() {
            req = req.json(&body);
        }
        req.send().await.expect_problem(403, "forbidden");
    }
    // Guests must sign in first.
    app.post(&format!("{}/uploads", images(id)))
        .host(&m.t.host)
        .json(&json!({"content_type": "image/png", "size_bytes": 10}))
        .send()
        .await
        .expect_problem(401, "unauthorized");
    // Reading the gallery is for everyone.
    app.get(&images(id))
        .host(&m.t.host)
        .bearer(&m.customer)
        .send()
        .await
        .expect(200);
    assert_eq!(snapshot(&app, &m.t).await, before);
}

/// Refused declarations, and uploads that do not match what was declared, on one backend.
async fn bad_uploads(app: TestApp) {
    let m = market(&app, "gamarra").await;
    let p = active_product(&app, &m.t, &m.a.token, "Polo", "P-1", 1).await;
    let id = p["id"].as_str().unwrap();
    let path = format!("{}/uploads", images(id));
    let cases = [
        (
            json!({"content_type": "image/png", "size_bytes": 0}),
            "size_bytes",
            "out_of_range",
        ),
        (
            json!({"content_type": "image/png", "size_bytes": -1}),
            "size_bytes",
            "out_of_range",
        ),
        (
            json!({"content_type": "image/png", "size_bytes": 10 * 1024 * 1024 + 1}),
            "size_bytes",
            "out_of_range",
        ),
        (
            json!({"content_type": "image/svg+xml", "size_bytes": 10}),
            "content_type",
            "invalid_choice",
        ),
        (
            json!({"content_type": "text/html", "size_bytes": 10}),
            "content_type",
            "invalid_choice",
        ),
        (
            json!({"content_type": "image/png", "size_bytes": 10, "alt": "x".repeat(301)}),
            "alt",
            "too_long",
        ),
        (json!({"size_bytes": 10}), "content_type", "required"),
        (
            json!({"content_type": "image/png", "size_bytes": 10, "object_key": "t/x"}),
            "object_key",
            "unknown_field",
        ),
    ];
    for (body, field, code) in cases {
        let res = app
            .post(&path)
            .host(&m.t.host)
            .bearer(&m.a.token)
            .json(&body)
            .send()
            .await
            .expect_problem(422, "validation_failed");
        assert_eq!(
            res.field_codes(),
            [(field.to_string(), code.to_string())],
            "{body}"
        );
    }
    // The largest size is accepted.
    let max = start(&app, &m.t, &m.a.token, id, "image/webp", 10 * 1024 * 1024).await;
    assert!(max["image_id"].is_string());
    assert_eq!(count(&app, &m.t, "product_images").await, 1);

    // A larger body or another type than declared never lands through the ticket.
    let up = start(&app, &m.t, &m.a.token, id, "image/png", 5).await;
    let image = up["image_id"].as_str().unwrap();
    let key = key_of(&app, &m.t, image).await;
    let too_big = upload(&app, &up["upload"], None, b"123456").await;
    let other_type = upload(&app, &up["upload"], Some("text/html"), b"12345").await;
    if app.state.storage.is_s3() {
        assert_eq!((too_big, other_type), (403, 403));
    } else {
        assert_eq!((too_big, other_type), (413, 415));
    }
    assert_eq!(app.state.storage.head(&key).await.unwrap(), None);
    confirm(&app, &m.t, &m.a.token, id, image)
        .await
        .expect_problem(409, "upload_missing");

    // Whatever reaches storage some other way is checked on confirmation, and deleted.
    // (Declared: image/png, 5 bytes.)
    for (ct, file) in [
        ("image/png", &b"0123456789"[..]),
        ("text/html", &b"<svg>"[..]),
    ] {
        let ticket = app
            .state
            .storage
            .presign_upload(
                &key,
                ct,
                file.len() as u64,
                std::time::Duration::from_secs(60),
            )
            .await
            .unwrap();
        let ticket = serde_json::to_value(&ticket).unwrap();
        assert_eq!(upload(&app, &ticket, None, file).await, 200);
        let res = app
            .post(&format!("{}/{image}/confirm", images(id)))
            .host(&m.t.host)
            .bearer(&m.a.token)
            .lang("en")
            .send()
            .await
            .expect_problem(422, "upload_mismatch");
        assert_eq!(res.body["title"], "The uploaded file does not match");
        assert_eq!(app.state.storage.head(&key).await.unwrap(), None);
        assert_eq!(status_of(&app, &m.t, image).await, "pending");
    }
    let ready: i64 = app
        .owner_scalar(
            m.t.id,
            "select count(*) from product_images where status = 'ready'",
        )
        .await;
    assert_eq!(ready, 0);
    let list = app
        .get(&images(id))
        .host(&m.t.host)
        .send()
        .await
        .expect(200);
    assert_eq!(list.body, json!([]));
    // The upload can still be done right.
    assert_eq!(upload(&app, &up["upload"], None, b"12345").await, 200);
    confirm(&app, &m.t, &m.a.token, id, image).await.expect(200);
}

#[tokio::test]
async fn bad_uploads_on_s3() {
    bad_uploads(s3_app().await).await;
}

#[tokio::test]
async fn bad_uploads_on_disk() {
    bad_uploads(app().await).await;
}

#[tokio::test]
async fn order_and_position_rules() {
    let app = app().await;
    let m = market(&app, "gamarra").await;
    let p = active_product(&app, &m.t, &m.a.token, "Polo", "P-1", 1).await;
    let other = active_product(&app, &m.t, &m.a.token, "Otro", "P-2", 1).await;
    let id = p["id"].as_str().unwrap();
    let a = add_image(&app, &m.t, &m.a.token, id, "image/png", PNG).await["id"].clone();
    let b = add_image(&app, &m.t, &m.a.token, id, "image/png", PNG).await["id"].clone();
    let pending = start(&app, &m.t, &m.a.token, id, "image/png", 5).await["image_id"].clone();
    let foreign = add_image(
        &app,
        &m.t,
        &m.a.token,
        other["id"].as_str().unwrap(),
        "image/png",
        PNG,
    )
    .await["id"]
        .clone();
    for ids in [
        json!([a]),
        json!([a, b, a]),
        json!([a, b, pending]),
        json!([a, foreign]),
        json!([a, b, Uuid::new_v4()]),
        json!([]),
    ] {
        app.put(&format!("{}/order", images(id)))
            .host(&m.t.host)
            .bearer(&m.a.token)
            .json(&json!({"image_ids": ids}))
            .send()
            .await
            .expect_problem(422, "image_order_mismatch");
    }
    for position in [-1, 2, 100] {
        let res = app
            .patch(&format!("{}/{}", images(id), a.as_str().unwrap()))
            .host(&m.t.host)
            .bearer(&m.a.token)
            .json(&json!({"position": position}))
            .send()
            .await
            .expect_problem(422, "validation_failed");
        assert_eq!(res.field_codes()[0].1, "out_of_range");
    }
    app.patch(&format!("{}/{}", images(id), pending.as_str().unwrap()))
        .host(&m.t.host)
        .bearer(&m.a.token)
        .json(&json!({"position": 0}))
        .send()
        .await
        .expect_problem(409, "image_not_ready");
    // Alt text of a pending upload can change.
    app.patch(&format!("{}/{}", images(id), pending.as_str().unwrap()))
        .host(&m.t.host)
        .bearer(&m.a.token)
        .json(&json!({"alt": "Detalle"}))
        .send()
        .await
        .expect(200);
    // Another product's image is not this product's.
    app.patch(&format!("{}/{}", images(id), foreign.as_str().unwrap()))
        .host(&m.t.host)
        .bearer(&m.a.token)
        .json(&json!({"alt": "x"}))
        .send()
        .await
        .expect_problem(404, "not_found");
    let res = app
        .patch(&format!("{}/{}", images(id), b.as_str().unwrap()))
        .host(&m.t.host)
        .bearer(&m.a.token)
        .json(&json!({"position": 0}))
        .send()
        .await
        .expect(200);
    assert_eq!(res.body["position"], 0);
    let list = app
        .get(&images(id))
        .host(&m.t.host)
        .send()
        .await
        .expect(200);
    assert_eq!(list.body[0]["id"], b);
    assert_eq!(list.body[1]["id"], a);
    assert_eq!(list.body[1]["position"], 1);
}

#[tokio::test]
async fn too_many_images() {
    let app = app().await;
    let m = market(&app, "gamarra").await;
    let p = product(&app, &m.t, &m.a.token, json!({"title": "Galería"})).await;
    let id = p["id"].as_str().unwrap();
    for _ in 0..30 {
        start(&app, &m.t, &m.a.token, id, "image/png", 5).await;
    }
    app.post(&format!("{}/uploads", images(id)))
        .host(&m.t.host)
        .bearer(&m.a.token)
        .lang("es")
        .json(&json!({"content_type": "image/png", "size_bytes": 5}))
        .send()
        .await
        .expect_problem(409, "too_many_images");
    // Uploads abandoned for a day are forgotten (aged here as the vendor: RLS binds the owner
    // role too).
    let mut tx = app
        .state
        .db
        .begin_scoped(m.t.id, Some(m.a.user_id))
        .await
        .unwrap();
    let aged = sqlx::query("update product_images set created_at = now() - interval '2 days'")
        .execute(tx.conn())
        .await
        .unwrap();
    assert_eq!(aged.rows_affected(), 30);
    tx.commit().await.unwrap();
    start(&app, &m.t, &m.a.token, id, "image/png", 5).await;
    assert_eq!(count(&app, &m.t, "product_images").await, 1);
}

async fn logo_flow(app: TestApp) {
    let m = market(&app, "gamarra").await;
    let begin = |token: String, ct: &'static str, size: usize| {
        let app = &app;
        let host = m.t.host.clone();
        async move {
            app.post("/api/v1/products/vendors/me/logo/uploads")
                .host(&host)
                .bearer(&token)
                .json(&json!({"content_type": ct, "size_bytes": size}))
                .send()
                .await
        }
    };
    let confirm_logo = |token: String, key: Value| {
        let app = &app;
        let host = m.t.host.clone();
        async move {
            app.post("/api/v1/products/vendors/me/logo/confirm")
                .host(&host)
                .bearer(&token)
                .json(&json!({"key": key}))
                .send()
                .await
        }
    };
    let first = begin(m.a.token.clone(), "image/png", PNG.len())
        .await
        .expect(201)
        .body;
    let key = first["key"].as_str().unwrap().to_string();
    assert!(
        key.starts_with(&format!("t/{}/vendors/{}/logo-", m.t.id, m.a.vendor_id)),
        "{key}"
    );
    confirm_logo(m.a.token.clone(), first["key"].clone())
        .await
        .expect_problem(409, "upload_missing");
    assert_eq!(upload(&app, &first["upload"], None, PNG).await, 200);
    // Vendor B cannot take A's upload.
    confirm_logo(m.b.token.clone(), first["key"].clone())
        .await
        .expect_problem(422, "validation_failed");
    for bad in [
        json!("t/x/../y.png"),
        json!(format!("{key}.meta")),
        json!(""),
    ] {
        confirm_logo(m.a.token.clone(), bad)
            .await
            .expect_problem(422, "validation_failed");
    }
    let res = confirm_logo(m.a.token.clone(), first["key"].clone())
        .await
        .expect(200);
    assert_eq!(res.body["logo_url"], app.state.storage.public_url(&key));
    let me = app
        .get("/api/v1/products/vendors/me")
        .host(&m.t.host)
        .bearer(&m.a.token)
        .send()
        .await
        .expect(200);
    assert_eq!(me.body["logo_url"], res.body["logo_url"]);
    let b_logo: Option<String> = app
        .owner_scalar(
            m.t.id,
            &format!(
                "select logo_key from vendors where id = '{}'",
                m.b.vendor_id
            ),
        )
        .await;
    assert_eq!(b_logo, None);

    // A file of another type under a logo key is refused and deleted.
    let second = begin(m.a.token.clone(), "image/webp", 5)
        .await
        .expect(201)
        .body;
    let second_key = second["key"].as_str().unwrap().to_string();
    assert!(second_key.ends_with(".webp"));
    let html = app
        .state
        .storage
        .presign_upload(
            &second_key,
            "text/html",
            5,
            std::time::Duration::from_secs(60),
        )
        .await
        .unwrap();
    assert_eq!(
        upload(&app, &serde_json::to_value(&html).unwrap(), None, b"<svg>").await,
        200
    );
    confirm_logo(m.a.token.clone(), second["key"].clone())
        .await
        .expect_problem(422, "upload_mismatch");
    assert_eq!(app.state.storage.head(&second_key).await.unwrap(), None);

    // A new logo replaces the old one, whose file goes.
    let third = begin(m.a.token.clone(), "image/jpeg", JPEG.len())
        .await
        .expect(201)
        .body;
    assert_eq!(upload(&app, &third["upload"], None, JPEG).await, 200);
    confirm_logo(m.a.token.clone(), third["key"].clone())
        .await
        .expect(200);
    assert_eq!(app.state.storage.head(&key).await.unwrap(), None);
    let third_key = third["key"].as_str().unwrap().to_string();
    assert!(app.state.storage.head(&third_key).await.unwrap().is_some());

    // Bad declarations.
    let res = begin(m.a.token.clone(), "image/gif", 5)
        .await
        .expect_problem(422, "validation_failed");
    assert_eq!(
        res.field_codes(),
        [("content_type".to_string(), "invalid_choice".to_string())]
    );
    begin(m.a.token.clone(), "image/png", 10 * 1024 * 1024 + 1)
        .await
        .expect_problem(422, "validation_failed");

    app.delete("/api/v1/products/vendors/me/logo")
        .host(&m.t.host)
        .bearer(&m.a.token)
        .send()
        .await
        .expect(204);
    assert_eq!(app.state.storage.head(&third_key).await.unwrap(), None);
    let me = app
        .get("/api/v1/products/vendors/me")
        .host(&m.t.host)
        .bearer(&m.a.token)
        .send()
        .await
        .expect(200);
    assert_eq!(me.body["logo_url"], Value::Null);
}

#[tokio::test]
async fn vendor_logo_on_s3() {
    logo_flow(s3_app().await).await;
}

#[tokio::test]
async fn vendor_logo_on_disk() {
    logo_flow(app().await).await;
}

#[tokio::test]
async fn problems_are_translated() {
    for code in [
        "upload_missing",
        "upload_mismatch",
        "too_many_images",
        "image_not_ready",
        "image_order_mismatch",
        "upload_url_invalid",
        "upload_content_type_mismatch",
    ] {
        for l in kernel::i18n::Locale::ALL {
            for part in ["title", "detail"] {
                let id = format!("problem-{code}-{part}");
                assert!(l.has(&id), "{l}: {id}");
            }
        }
        assert_ne!(
            kernel::i18n::Locale::Es.text(&format!("problem-{code}-title")),
            kernel::i18n::Locale::En.text(&format!("problem-{code}-title"))
        );
    }
}
