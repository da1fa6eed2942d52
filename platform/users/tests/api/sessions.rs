use serde_json::json;

use crate::*;

#[tokio::test]
async fn sessions_are_listed_paginated_and_revocable() {
    let app = app().await;
    let a = tenant(&app, "gamarra").await;
    let (_, s1) = signup(&app, &a, "ana@gamarra.pe").await;
    let s2 = login(&app, &a, "ana@gamarra.pe").await;
    let s3 = login(&app, &a, "ana@gamarra.pe").await;
    let page = app
        .get("/api/v1/users/me/sessions")
        .host(&a.host)
        .bearer(&s3.access)
        .send()
        .await
        .expect(200);
    let items = page.body["items"].as_array().unwrap();
    assert_eq!(items.len(), 3);
    let current: Vec<bool> = items
        .iter()
        .map(|s| s["current"].as_bool().unwrap())
        .collect();
    assert_eq!(
        current,
        [true, false, false],
        "newest first, current marked"
    );

    let p1 = app
        .get("/api/v1/users/me/sessions?limit=2")
        .host(&a.host)
        .bearer(&s3.access)
        .send()
        .await
        .expect(200);
    let cursor = p1.body["next_cursor"].as_str().unwrap();
    let p2 = app
        .get(&format!(
            "/api/v1/users/me/sessions?limit=2&cursor={cursor}"
        ))
        .host(&a.host)
        .bearer(&s3.access)
        .send()
        .await
        .expect(200);
    assert_eq!(p2.body["items"].as_array().unwrap().len(), 1);
    assert!(p2.body["next_cursor"].is_null());
    app.get("/api/v1/users/me/sessions?limit=1000")
        .host(&a.host)
        .bearer(&s3.access)
        .send()
        .await
        .expect_problem(422, "validation_failed");

    let sid1 = app.state.jwt.verify(&s1.access, a.id).unwrap().sid;
    app.delete(&format!("/api/v1/users/me/sessions/{sid1}"))
        .host(&a.host)
        .bearer(&s3.access)
        .send()
        .await
        .expect(204);
    refresh(&app, &a, &s1.refresh)
        .await
        .expect_problem(401, "invalid_refresh_token");
    refresh(&app, &a, &s2.refresh).await.expect(200);
    // Twice: already gone.
    app.delete(&format!("/api/v1/users/me/sessions/{sid1}"))
        .host(&a.host)
        .bearer(&s3.access)
        .send()
        .await
        .expect(404);
    app.delete("/api/v1/users/me/sessions/not-a-uuid")
        .host(&a.host)
        .bearer(&s3.access)
        .send()
        .await
        .expect(404);
    let _ = json!({});
}
