use serde_json::json;

use crate::*;

#[tokio::test]
async fn profile_read_and_patch() {
    let app = app().await;
    let a = tenant(&app, "gamarra").await;
    let (id, l) = signup(&app, &a, "ana@gamarra.pe").await;
    let me = app
        .get("/api/v1/users/me")
        .host(&a.host)
        .bearer(&l.access)
        .send()
        .await
        .expect(200);
    assert_eq!(me.body["id"], id.to_string());
    assert_eq!(me.body["display_name"], "Ana");
    assert_eq!(me.body["roles"], json!([]));
    let patched = app
        .patch("/api/v1/users/me")
        .host(&a.host)
        .bearer(&l.access)
        .json(&json!({"phone": "+51 987 654 321", "avatar_url": "https://cdn.x.pe/a.png"}))
        .send()
        .await
        .expect(200);
    assert_eq!(patched.body["phone"], "+51 987 654 321");
    assert_eq!(patched.body["display_name"], "Ana", "omitted fields stay");
    let cleared = app
        .patch("/api/v1/users/me")
        .host(&a.host)
        .bearer(&l.access)
        .json(&json!({"phone": null}))
        .send()
        .await
        .expect(200);
    assert!(cleared.body["phone"].is_null());
    assert_eq!(cleared.body["avatar_url"], "https://cdn.x.pe/a.png");
    let bad = app
        .patch("/api/v1/users/me")
        .host(&a.host)
        .bearer(&l.access)
        .json(&json!({"phone": "call me", "avatar_url": "javascript:alert(1)"}))
        .send()
        .await
        .expect_problem(422, "validation_failed");
    assert_eq!(
        bad.field_codes(),
        [
            ("phone".to_string(), "invalid".to_string()),
            ("avatar_url".into(), "invalid".into())
        ]
    );
}

#[tokio::test]
async fn preferences_round_trip_and_drive_the_token_locale() {
    let app = app().await;
    let a = tenant(&app, "gamarra").await;
    let (_, l) = signup(&app, &a, "ana@gamarra.pe").await;
    let p = app
        .get("/api/v1/users/me/preferences")
        .host(&a.host)
        .bearer(&l.access)
        .send()
        .await
        .expect(200);
    assert_eq!(p.body, json!({"locale": null}));
    let new = json!({"locale": "en"});
    app.put("/api/v1/users/me/preferences")
        .host(&a.host)
        .bearer(&l.access)
        .json(&new)
        .send()
        .await
        .expect(200);
    let p = app
        .get("/api/v1/users/me/preferences")
        .host(&a.host)
        .bearer(&l.access)
        .send()
        .await
        .expect(200);
    assert_eq!(p.body, new);
    // New tokens carry the preferred language: errors come in English without Accept-Language.
    let l2 = login(&app, &a, "ana@gamarra.pe").await;
    let res = app
        .get("/api/v1/users/me/addresses/00000000-0000-0000-0000-000000000000")
        .host(&a.host)
        .bearer(&l2.access)
        .send()
        .await;
    assert_eq!(res.body["title"], "Not found");
}
