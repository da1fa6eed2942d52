//! Happy paths of the tenant routes: create, list, get, update, suspend, reactivate.

use kernel::tenant::PLATFORM_TENANT_ID;
use serde_json::json;

use crate::*;

#[tokio::test]
async fn create_answers_201_with_location_and_defaults() {
    let app = app().await;
    let staff = staff(&app).await;
    let res = app
        .post(BASE)
        .host(PLATFORM)
        .bearer(&staff)
        .json(&json!({ "slug": "gamarra", "name": "  Gamarra Online  " }))
        .send()
        .await
        .expect(201);
    let t = &res.body;
    assert_eq!(t["slug"], "gamarra");
    assert_eq!(t["name"], "Gamarra Online", "names are trimmed");
    assert_eq!(t["default_locale"], "es");
    assert_eq!(t["currency"], "PEN");
    assert_eq!(t["status"], "active");
    assert!(t["suspended_reason"].is_null());
    assert!(t.get("kind").is_none());
    let id = id_of(t);
    let location = res.headers["location"].to_str().unwrap();
    assert_eq!(location, format!("{BASE}/{id}"));

    let got = app
        .get(location)
        .host(PLATFORM)
        .bearer(&staff)
        .send()
        .await
        .expect(200);
    assert_eq!(&got.body, t);
    assert_eq!(tenant_count(&app).await, 2);
}

#[tokio::test]
async fn create_with_locale_and_currency() {
    let app = app().await;
    let staff = staff(&app).await;
    let t = create(&app, &staff, json!({ "slug": "mesa-redonda", "name": "Mesa Redonda", "default_locale": "en", "currency": "USD" })).await;
    assert_eq!(t["default_locale"], "en");
    assert_eq!(t["currency"], "USD");
}

#[tokio::test]
async fn duplicate_slug_is_409_and_writes_nothing() {
    let app = app().await;
    let staff = staff(&app).await;
    create_slug(&app, &staff, "gamarra").await;
    let res = app
        .post(BASE)
        .host(PLATFORM)
        .bearer(&staff)
        .lang("en")
        .json(&json!({ "slug": "gamarra", "name": "Another" }))
        .send()
        .await
        .expect_problem(409, "slug_taken");
    assert_eq!(res.body["title"], "Slug taken");
    assert_eq!(tenant_count(&app).await, 2);
}

#[tokio::test]
async fn list_paginates_filters_and_never_shows_the_platform() {
    let app = app().await;
    let staff = staff(&app).await;
    for slug in ["alpaca", "algodon", "boutique", "camisas"] {
        create_slug(&app, &staff, slug).await;
    }
    let boutique = app
        .get(&format!("{BASE}?q=boutique"))
        .host(PLATFORM)
        .bearer(&staff)
        .send()
        .await
        .expect(200);
    let boutique_id = id_of(&boutique.body["items"][0]);
    app.post(&format!("{BASE}/{boutique_id}/suspend"))
        .host(PLATFORM)
        .bearer(&staff)
        .send()
        .await
        .expect(200);

    // Pages of two, in creation order, following next_cursor to the end.
    let mut slugs = Vec::new();
    let mut url = format!("{BASE}?limit=2");
    let mut pages = 0;
    loop {
        let page = app
            .get(&url)
            .host(PLATFORM)
            .bearer(&staff)
            .send()
            .await
            .expect(200);
        pages += 1;
        let items = page.body["items"].as_array().unwrap();
        assert!(items.len() <= 2);
        slugs.extend(
            items
                .iter()
                .map(|t| t["slug"].as_str().unwrap().to_string()),
        );
        match page.body["next_cursor"].as_str() {
            Some(c) => url = format!("{BASE}?limit=2&cursor={c}"),
            None => break,
        }
    }
    assert_eq!(slugs, ["alpaca", "algodon", "boutique", "camisas"]);
    assert_eq!(pages, 2);
    assert!(!slugs.iter().any(|s| s == "platform"));

    let slugs_of = |v: &serde_json::Value| -> Vec<String> {
        v["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["slug"].as_str().unwrap().to_string())
            .collect()
    };
    let suspended = app
        .get(&format!("{BASE}?status=suspended"))
        .host(PLATFORM)
        .bearer(&staff)
        .send()
        .await
        .expect(200);
    assert_eq!(slugs_of(&suspended.body), ["boutique"]);
    let active = app
        .get(&format!("{BASE}?status=active"))
        .host(PLATFORM)
        .bearer(&staff)
        .send()
        .await
        .expect(200);
    assert_eq!(slugs_of(&active.body), ["alpaca", "algodon", "camisas"]);
    // Prefix of the slug, or of the name ignoring case ("Tienda …").
    let al = app
        .get(&format!("{BASE}?q=al"))
        .host(PLATFORM)
        .bearer(&staff)
        .send()
        .await
        .expect(200);
    assert_eq!(slugs_of(&al.body), ["alpaca", "algodon"]);
    let by_name = app
        .get(&format!("{BASE}?q=TIENDA%20CAM"))
        .host(PLATFORM)
        .bearer(&staff)
        .send()
        .await
        .expect(200);
    assert_eq!(slugs_of(&by_name.body), ["camisas"]);
    // LIKE wildcards are plain characters.
    let wild = app
        .get(&format!("{BASE}?q=%25"))
        .host(PLATFORM)
        .bearer(&staff)
        .send()
        .await
        .expect(200);
    assert!(slugs_of(&wild.body).is_empty());
    let plat = app
        .get(&format!("{BASE}?q=plat"))
        .host(PLATFORM)
        .bearer(&staff)
        .send()
        .await
        .expect(200);
    assert!(
        slugs_of(&plat.body).is_empty(),
        "the platform tenant is never listed"
    );
}

#[tokio::test]
async fn get_unknown_malformed_or_platform_id_is_404() {
    let app = app().await;
    let staff = staff(&app).await;
    for id in [
        uuid::Uuid::now_v7().to_string(),
        "not-a-uuid".into(),
        PLATFORM_TENANT_ID.to_string(),
    ] {
        app.get(&format!("{BASE}/{id}"))
            .host(PLATFORM)
            .bearer(&staff)
            .send()
            .await
            .expect_problem(404, "not_found");
    }
}

#[tokio::test]
async fn update_changes_name_locale_and_currency_but_never_the_slug() {
    let app = app().await;
    let staff = staff(&app).await;
    let t = create_slug(&app, &staff, "gamarra").await;
    let id = id_of(&t);
    let res = app
        .patch(&format!("{BASE}/{id}"))
        .host(PLATFORM)
        .bearer(&staff)
        .json(&json!({ "name": "Gamarra Perú", "default_locale": "en", "currency": "USD" }))
        .send()
        .await
        .expect(200);
    assert_eq!(res.body["name"], "Gamarra Perú");
    assert_eq!(res.body["default_locale"], "en");
    assert_eq!(res.body["currency"], "USD");
    assert_eq!(res.body["slug"], "gamarra");

    // Absent fields keep their value.
    let res = app
        .patch(&format!("{BASE}/{id}"))
        .host(PLATFORM)
        .bearer(&staff)
        .json(&json!({ "currency": "PEN", "tax_rate_bps": 1800, "tax_inclusive": false }))
        .send()
        .await
        .expect(200);
    assert_eq!(res.body["name"], "Gamarra Perú");
    assert_eq!(res.body["currency"], "PEN");
    assert_eq!(res.body["tax_rate_bps"], 1800);
    assert_eq!(res.body["tax_inclusive"], false);

    let res = app
        .patch(&format!("{BASE}/{id}"))
        .host(PLATFORM)
        .bearer(&staff)
        .json(&json!({ "slug": "otro" }))
        .send()
        .await
        .expect_problem(422, "validation_failed");
    assert_eq!(
        res.field_codes(),
        [("slug".to_string(), "unknown_field".to_string())]
    );
    let got = app
        .get(&format!("{BASE}/{id}"))
        .host(PLATFORM)
        .bearer(&staff)
        .send()
        .await
        .expect(200);
    assert_eq!(got.body["slug"], "gamarra");
    assert_eq!(resolve(&app, &host("gamarra")).await, Ok("gamarra".into()));
    assert_eq!(
        resolve(&app, &host("otro")).await,
        Err((404, "tenant_not_found".into()))
    );
}

#[tokio::test]
async fn suspend_and_reactivate() {
    let app = app().await;
    let staff = staff(&app).await;
    let id = id_of(&create_slug(&app, &staff, "gamarra").await);
    let res = app
        .post(&format!("{BASE}/{id}/suspend"))
        .host(PLATFORM)
        .bearer(&staff)
        .json(&json!({ "reason": "  unpaid invoices " }))
        .send()
        .await
        .expect(200);
    assert_eq!(res.body["status"], "suspended");
    assert_eq!(res.body["suspended_reason"], "unpaid invoices");
    // Again, with no body at all: still suspended, no reason.
    let res = app
        .post(&format!("{BASE}/{id}/suspend"))
        .host(PLATFORM)
        .bearer(&staff)
        .send()
        .await
        .expect(200);
    assert_eq!(res.body["status"], "suspended");
    assert!(res.body["suspended_reason"].is_null());

    let res = app
        .post(&format!("{BASE}/{id}/reactivate"))
        .host(PLATFORM)
        .bearer(&staff)
        .send()
        .await
        .expect(200);
    assert_eq!(res.body["status"], "active");
    assert!(res.body["suspended_reason"].is_null());
    let got = app
        .get(&format!("{BASE}/{id}"))
        .host(PLATFORM)
        .bearer(&staff)
        .send()
        .await
        .expect(200);
    assert_eq!(got.body["status"], "active");
}

#[tokio::test]
async fn the_platform_tenant_can_never_be_changed() {
    let app = app().await;
    let staff = staff(&app).await;
    let p = PLATFORM_TENANT_ID;
    app.post(&format!("{BASE}/{p}/suspend"))
        .host(PLATFORM)
        .bearer(&staff)
        .send()
        .await
        .expect_problem(404, "not_found");
    app.post(&format!("{BASE}/{p}/reactivate"))
        .host(PLATFORM)
        .bearer(&staff)
        .send()
        .await
        .expect_problem(404, "not_found");
    app.patch(&format!("{BASE}/{p}"))
        .host(PLATFORM)
        .bearer(&staff)
        .json(&json!({ "name": "Mine" }))
        .send()
        .await
        .expect_problem(404, "not_found");
    app.post(&format!("{BASE}/{p}/domains"))
        .host(PLATFORM)
        .bearer(&staff)
        .json(&json!({ "domain": "evil.example.com" }))
        .send()
        .await
        .expect_problem(404, "not_found");
    app.get(&format!("{BASE}/{p}/domains"))
        .host(PLATFORM)
        .bearer(&staff)
        .send()
        .await
        .expect_problem(404, "not_found");
    let (status, name): (String, String) = {
        let s = app
            .owner_scalar(p, "select status from tenants where kind = 'platform'")
            .await;
        let n = app
            .owner_scalar(p, "select name from tenants where kind = 'platform'")
            .await;
        (s, n)
    };
    assert_eq!((status.as_str(), name.as_str()), ("active", "Gamarriando"));
    assert_eq!(domain_count(&app).await, 0);
    // The platform host still answers.
    assert_eq!(resolve(&app, PLATFORM).await, Ok("platform".into()));
}
