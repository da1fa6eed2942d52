//! The in-app inbox: listing with cursors, unread counts, marking read.

use serde_json::json;

use crate::*;

#[tokio::test]
async fn the_inbox_pages_counts_unread_and_marks_read() {
    let app = app().await;
    let t = tenant(&app, "gamarra").await;
    let ana = user(&app, &t, "ana@gamarra.test", &[]).await;
    for _ in 0..5 {
        order_placed(&app, &t, ana.id, &[]).await;
    }
    drain(&app).await;
    let get = |path: &str| app.get(path).host(&t.host).bearer(&ana.token).send();
    let unread = get("/api/v1/notifications/inbox/unread-count")
        .await
        .expect(200);
    assert_eq!(unread.body, json!({"unread": 5}));
    let first = get("/api/v1/notifications/inbox?limit=3").await.expect(200);
    assert_eq!(first.body["items"].as_array().unwrap().len(), 3);
    let cursor = first.body["next_cursor"].as_str().unwrap();
    let second = get(&format!(
        "/api/v1/notifications/inbox?limit=3&cursor={cursor}"
    ))
    .await
    .expect(200);
    assert_eq!(second.body["items"].as_array().unwrap().len(), 2);
    assert!(second.body["next_cursor"].is_null());
    let ids: Vec<String> = first.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .chain(second.body["items"].as_array().unwrap())
        .map(|i| i["id"].as_str().unwrap().to_string())
        .collect();
    let mut sorted = ids.clone();
    sorted.sort();
    sorted.reverse();
    assert_eq!(ids, sorted, "newest first, no repeats");

    for _ in 0..2 {
        app.post(&format!("/api/v1/notifications/inbox/{}/read", ids[0]))
            .host(&t.host)
            .bearer(&ana.token)
            .send()
            .await
            .expect(204);
    }
    assert_eq!(
        get("/api/v1/notifications/inbox/unread-count").await.body["unread"],
        4
    );
    let unread_only = get("/api/v1/notifications/inbox?unread=true")
        .await
        .expect(200);
    assert_eq!(unread_only.body["items"].as_array().unwrap().len(), 4);
    let marked = app
        .post("/api/v1/notifications/inbox/read-all")
        .host(&t.host)
        .bearer(&ana.token)
        .send()
        .await
        .expect(200);
    assert_eq!(marked.body["marked"], 4);
    assert_eq!(
        get("/api/v1/notifications/inbox/unread-count").await.body["unread"],
        0
    );

    // Bad input is a problem in the caller's language.
    app.get("/api/v1/notifications/inbox?limit=1000")
        .host(&t.host)
        .bearer(&ana.token)
        .lang("es")
        .send()
        .await
        .expect_problem(422, "validation_failed");
    app.get("/api/v1/notifications/inbox")
        .host(&t.host)
        .send()
        .await
        .expect_problem(401, "unauthorized");
}
