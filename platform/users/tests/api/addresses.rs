use serde_json::json;

use crate::*;

#[tokio::test]
async fn address_book_crud_with_one_default() {
    let app = app().await;
    let a = tenant(&app, "gamarra").await;
    let (_, l) = signup(&app, &a, "ana@gamarra.pe").await;
    let post = |body: serde_json::Value| {
        app.post("/api/v1/users/me/addresses")
            .host(&a.host)
            .bearer(&l.access)
            .json(&body)
            .send()
    };
    let first = post(address()).await.expect(201);
    assert_eq!(
        first.body["is_default"], true,
        "the first address is the default"
    );
    let mut second = address();
    second["country"] = json!("pe");
    second["is_default"] = json!(true);
    second["label"] = json!("Trabajo");
    let second = post(second).await.expect(201);
    assert_eq!(second.body["country"], "PE");
    let (id1, id2) = (
        first.body["id"].as_str().unwrap(),
        second.body["id"].as_str().unwrap(),
    );
    let get = |id: String| {
        app.get(&format!("/api/v1/users/me/addresses/{id}"))
            .host(&a.host)
            .bearer(&l.access)
            .send()
    };
    assert_eq!(
        get(id1.into()).await.expect(200).body["is_default"],
        false,
        "old default unset"
    );

    // Back to the first as default, and a patch that clears an optional field.
    let p = app
        .patch(&format!("/api/v1/users/me/addresses/{id1}"))
        .host(&a.host)
        .bearer(&l.access)
        .json(&json!({"is_default": true, "city": "Arequipa", "label": null}))
        .send()
        .await
        .expect(200);
    assert_eq!(p.body["city"], "Arequipa");
    assert_eq!(p.body["recipient"], "Ana Pérez");
    assert_eq!(get(id2.into()).await.expect(200).body["is_default"], false);
    let defaults: i64 = app
        .owner_scalar(a.id, "select count(*) from user_addresses where is_default")
        .await;
    assert_eq!(defaults, 1);

    let list = app
        .get("/api/v1/users/me/addresses")
        .host(&a.host)
        .bearer(&l.access)
        .send()
        .await
        .expect(200);
    assert_eq!(list.body["items"].as_array().unwrap().len(), 2);

    app.delete(&format!("/api/v1/users/me/addresses/{id2}"))
        .host(&a.host)
        .bearer(&l.access)
        .send()
        .await
        .expect(204);
    get(id2.into()).await.expect_problem(404, "not_found");
    app.delete(&format!("/api/v1/users/me/addresses/{id2}"))
        .host(&a.host)
        .bearer(&l.access)
        .send()
        .await
        .expect(404);
}

#[tokio::test]
async fn address_input_is_validated_and_nothing_is_written() {
    let app = app().await;
    let a = tenant(&app, "gamarra").await;
    let (_, l) = signup(&app, &a, "ana@gamarra.pe").await;
    let mut bad = address();
    bad["country"] = json!("XX");
    bad["city"] = json!("x".repeat(101));
    bad["recipient"] = json!("  ");
    let res = app
        .post("/api/v1/users/me/addresses")
        .host(&a.host)
        .bearer(&l.access)
        .json(&bad)
        .send()
        .await
        .expect_problem(422, "validation_failed");
    let mut fields: Vec<String> = res.field_codes().into_iter().map(|(f, _)| f).collect();
    fields.sort();
    assert_eq!(fields, ["city", "country", "recipient"]);
    assert_eq!(count(&app, &a, "user_addresses").await, 0);

    let ok = app
        .post("/api/v1/users/me/addresses")
        .host(&a.host)
        .bearer(&l.access)
        .json(&address())
        .send()
        .await
        .expect(201);
    let id = ok.body["id"].as_str().unwrap();
    app.patch(&format!("/api/v1/users/me/addresses/{id}"))
        .host(&a.host)
        .bearer(&l.access)
        .json(&json!({"line1": ""}))
        .send()
        .await
        .expect_problem(422, "validation_failed");
    app.patch(&format!("/api/v1/users/me/addresses/{id}"))
        .host(&a.host)
        .bearer(&l.access)
        .json(&json!({"user_id": Uuid::now_v7()}))
        .send()
        .await
        .expect_problem(422, "validation_failed");
    let line1: String = app
        .owner_scalar(a.id, "select line1 from user_addresses")
        .await;
    assert_eq!(line1, "Jr. Gamarra 123");
}
