//! Host → tenant resolution, end to end, and the cache invalidation that keeps it current: every
//! check first primes the resolver cache, then changes the registry, then looks again at once.

use serde_json::json;

use crate::*;

#[tokio::test]
async fn slug_hosts_and_unknown_hosts() {
    let app = app().await;
    let staff = staff(&app).await;
    // A miss is cached first…
    assert_eq!(
        resolve(&app, &host("gamarra")).await,
        Err((404, "tenant_not_found".into()))
    );
    create_slug(&app, &staff, "gamarra").await;
    // …and creating the tenant drops it.
    assert_eq!(resolve(&app, &host("gamarra")).await, Ok("gamarra".into()));
    assert_eq!(
        resolve(&app, "GAMARRA.localhost:8080").await,
        Ok("gamarra".into())
    );
    assert_eq!(resolve(&app, PLATFORM).await, Ok("platform".into()));
    for unknown in [
        "nadie.localhost",
        "a.gamarra.localhost",
        "example.com",
        "platform.localhost",
    ] {
        let res = app
            .get(WHOAMI)
            .host(unknown)
            .lang("en")
            .send()
            .await
            .expect_problem(404, "tenant_not_found");
        assert_eq!(res.body["title"], "Marketplace not found", "{unknown}");
    }
}

#[tokio::test]
async fn only_verified_domains_resolve_and_removal_is_immediate() {
    let app = app().await;
    let staff = staff(&app).await;
    let id = id_of(&create_slug(&app, &staff, "gamarra").await);
    let domain = "tienda.example.pe";
    assert_eq!(
        resolve(&app, domain).await,
        Err((404, "tenant_not_found".into()))
    );
    app.post(&format!("{BASE}/{id}/domains"))
        .host(PLATFORM)
        .bearer(&staff)
        .json(&json!({ "domain": domain }))
        .send()
        .await
        .expect(201);
    assert_eq!(
        resolve(&app, domain).await,
        Err((404, "tenant_not_found".into())),
        "unverified"
    );

    app.post(&format!("{BASE}/{id}/domains/{domain}/verify"))
        .host(PLATFORM)
        .bearer(&staff)
        .send()
        .await
        .expect(200);
    assert_eq!(resolve(&app, domain).await, Ok("gamarra".into()));
    assert_eq!(
        resolve(&app, "Tienda.Example.PE.").await,
        Ok("gamarra".into())
    );
    // A token of the marketplace works on its custom domain, as on its slug host.
    let customer = token(&app, id, &[]).await;
    let res = app
        .get(WHOAMI)
        .host(domain)
        .bearer(&customer)
        .send()
        .await
        .expect(200);
    assert_eq!(res.body["id"], id.to_string());

    app.delete(&format!("{BASE}/{id}/domains/{domain}"))
        .host(PLATFORM)
        .bearer(&staff)
        .send()
        .await
        .expect(204);
    assert_eq!(
        resolve(&app, domain).await,
        Err((404, "tenant_not_found".into())),
        "removed"
    );
    assert_eq!(resolve(&app, &host("gamarra")).await, Ok("gamarra".into()));
}

#[tokio::test]
async fn suspension_is_visible_at_once_on_every_host() {
    let app = app().await;
    let staff = staff(&app).await;
    let id = id_of(&create_slug(&app, &staff, "gamarra").await);
    let other = create_slug(&app, &staff, "mesa-redonda").await;
    let domain = "tienda.example.pe";
    app.post(&format!("{BASE}/{id}/domains"))
        .host(PLATFORM)
        .bearer(&staff)
        .json(&json!({ "domain": domain }))
        .send()
        .await
        .expect(201);
    app.post(&format!("{BASE}/{id}/domains/{domain}/verify"))
        .host(PLATFORM)
        .bearer(&staff)
        .send()
        .await
        .expect(200);
    let gamarra = host("gamarra");
    assert_eq!(resolve(&app, &gamarra).await, Ok("gamarra".into()));
    assert_eq!(resolve(&app, domain).await, Ok("gamarra".into()));

    app.post(&format!("{BASE}/{id}/suspend"))
        .host(PLATFORM)
        .bearer(&staff)
        .json(&json!({ "reason": "fraud review" }))
        .send()
        .await
        .expect(200);
    for h in [gamarra.as_str(), domain] {
        let en = app
            .get(WHOAMI)
            .host(h)
            .lang("en")
            .send()
            .await
            .expect_problem(403, "tenant_suspended");
        let es = app
            .get(WHOAMI)
            .host(h)
            .lang("es")
            .send()
            .await
            .expect_problem(403, "tenant_suspended");
        assert_ne!(en.body["title"], es.body["title"]);
        assert!(
            !en.text.contains("fraud review"),
            "the reason is for staff only"
        );
    }
    // Other marketplaces and the platform are untouched.
    assert_eq!(
        resolve(&app, &host(other["slug"].as_str().unwrap())).await,
        Ok("mesa-redonda".into())
    );
    assert_eq!(resolve(&app, PLATFORM).await, Ok("platform".into()));

    app.post(&format!("{BASE}/{id}/reactivate"))
        .host(PLATFORM)
        .bearer(&staff)
        .send()
        .await
        .expect(200);
    assert_eq!(resolve(&app, &gamarra).await, Ok("gamarra".into()));
    assert_eq!(resolve(&app, domain).await, Ok("gamarra".into()));
}

#[tokio::test]
async fn updates_are_visible_at_once() {
    let app = app().await;
    let staff = staff(&app).await;
    let id = id_of(&create_slug(&app, &staff, "gamarra").await);
    let gamarra = host("gamarra");
    let before = app.get(WHOAMI).host(&gamarra).send().await.expect(200);
    assert_eq!(before.body["name"], "Tienda gamarra");
    // The tenant's default language decides when the caller states none.
    let res = app.get(BASE).host(&gamarra).send().await;
    assert_eq!(res.headers["content-language"], "es");

    app.patch(&format!("{BASE}/{id}"))
        .host(PLATFORM)
        .bearer(&staff)
        .json(&json!({ "name": "Gamarra Perú", "default_locale": "en" }))
        .send()
        .await
        .expect(200);
    let after = app.get(WHOAMI).host(&gamarra).send().await.expect(200);
    assert_eq!(after.body["name"], "Gamarra Perú");
    let res = app.get(BASE).host(&gamarra).send().await;
    assert_eq!(res.headers["content-language"], "en");
}
