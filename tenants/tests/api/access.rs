//! Who may call the tenant admin API: platform admins on the platform host, nobody else, on
//! every route. Refusals never carry data and never write.

use kernel::{tenant::PLATFORM_TENANT_ID, testing::TestApp};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::*;

/// Every route of the API, aimed at an existing tenant and domain (so only access decides).
fn routes(id: Uuid, domain: &str) -> Vec<(&'static str, String, Option<Value>)> {
    vec![
        (
            "POST",
            BASE.to_string(),
            Some(json!({ "slug": "intruso", "name": "Intruso" })),
        ),
        ("GET", BASE.to_string(), None),
        ("GET", format!("{BASE}/{id}"), None),
        (
            "PATCH",
            format!("{BASE}/{id}"),
            Some(json!({ "name": "Hacked" })),
        ),
        (
            "POST",
            format!("{BASE}/{id}/suspend"),
            Some(json!({ "reason": "x" })),
        ),
        ("POST", format!("{BASE}/{id}/reactivate"), None),
        (
            "POST",
            format!("{BASE}/{id}/domains"),
            Some(json!({ "domain": "evil.example.com" })),
        ),
        ("GET", format!("{BASE}/{id}/domains"), None),
        ("POST", format!("{BASE}/{id}/domains/{domain}/verify"), None),
        ("DELETE", format!("{BASE}/{id}/domains/{domain}"), None),
    ]
}

struct World {
    app: TestApp,
    tenant: Uuid,
    slug_host: String,
    domain: &'static str,
}

/// A marketplace with an unverified domain, as platform staff left it.
async fn world() -> World {
    let app = app().await;
    let staff = staff(&app).await;
    let tenant = id_of(&create_slug(&app, &staff, "gamarra").await);
    let domain = "tienda.example.pe";
    app.post(&format!("{BASE}/{tenant}/domains"))
        .host(PLATFORM)
        .bearer(&staff)
        .json(&json!({ "domain": domain }))
        .send()
        .await
        .expect(201);
    World {
        app,
        tenant,
        slug_host: host("gamarra"),
        domain,
    }
}

/// The registry is as `world()` left it.
async fn assert_untouched(w: &World) {
    assert_eq!(tenant_count(&w.app).await, 2);
    assert_eq!(domain_count(&w.app).await, 1);
    let (name, status): (String, String) = (
        w.app
            .owner_scalar(
                PLATFORM_TENANT_ID,
                "select name from tenants where slug = 'gamarra'",
            )
            .await,
        w.app
            .owner_scalar(
                PLATFORM_TENANT_ID,
                "select status from tenants where slug = 'gamarra'",
            )
            .await,
    );
    assert_eq!(
        (name.as_str(), status.as_str()),
        ("Tienda gamarra", "active")
    );
    let verified: i64 = w
        .app
        .owner_scalar(
            PLATFORM_TENANT_ID,
            "select count(*) from tenant_domains where verified_at is not null",
        )
        .await;
    assert_eq!(verified, 0);
}

/// Sends every route with `bearer` to `host` and expects `status`/`code` from each.
async fn expect_all(w: &World, host: &str, bearer: Option<&str>, status: u16, code: &str) {
    for (method, path, body) in routes(w.tenant, w.domain) {
        let mut req = w.app.req(method, &path).host(host);
        if let Some(t) = bearer {
            req = req.bearer(t);
        }
        if let Some(b) = &body {
            req = req.json(b);
        }
        let res = req.send().await;
        assert_eq!(
            res.status.as_u16(),
            status,
            "{method} {path} on {host}: {}",
            res.text
        );
        assert_eq!(
            res.body["code"], code,
            "{method} {path} on {host}: {}",
            res.text
        );
        assert!(
            !res.text.contains("gamarra"),
            "{method} {path} on {host} leaked data: {}",
            res.text
        );
    }
    assert_untouched(w).await;
}

#[tokio::test]
async fn no_token_is_401_on_every_route() {
    let w = world().await;
    expect_all(&w, PLATFORM, None, 401, "unauthorized").await;
    let res = w.app.get(BASE).host(PLATFORM).send().await;
    assert_eq!(res.headers["www-authenticate"], "Bearer");
}

#[tokio::test]
async fn a_garbage_or_foreign_token_is_401_on_every_route() {
    let w = world().await;
    expect_all(&w, PLATFORM, Some("not.a.jwt"), 401, "unauthorized").await;
    // Signed by another deployment's key, otherwise perfect.
    let other = kernel::auth::JwtKeys::from_pkcs8(
        &kernel::auth::JwtKeys::generate_pkcs8(),
        "gamarriando",
        std::time::Duration::from_secs(60),
    )
    .unwrap();
    let forged = other
        .issue(
            Uuid::now_v7(),
            PLATFORM_TENANT_ID,
            Uuid::now_v7(),
            vec!["platform_admin".into()],
            None,
        )
        .unwrap();
    expect_all(&w, PLATFORM, Some(&forged), 401, "unauthorized").await;
}

#[tokio::test]
async fn platform_staff_without_platform_admin_is_403_on_every_route() {
    let w = world().await;
    let plain = token(&w.app, PLATFORM_TENANT_ID, &[]).await;
    expect_all(&w, PLATFORM, Some(&plain), 403, "forbidden").await;
    // Marketplace roles mean nothing on the platform.
    let admin_role = token(&w.app, PLATFORM_TENANT_ID, &["admin", "vendor"]).await;
    expect_all(&w, PLATFORM, Some(&admin_role), 403, "forbidden").await;
}

#[tokio::test]
async fn marketplace_tokens_are_401_on_the_platform_host() {
    let w = world().await;
    // Bound to their marketplace: even a token claiming platform_admin is refused.
    for roles in [&["admin"][..], &[], &["platform_admin"]] {
        let t = token(&w.app, w.tenant, roles).await;
        expect_all(&w, PLATFORM, Some(&t), 401, "unauthorized").await;
    }
}

#[tokio::test]
async fn marketplace_hosts_never_serve_the_platform_api() {
    let w = world().await;
    let staff = staff(&w.app).await;
    let admin = token(&w.app, w.tenant, &["admin"]).await;
    let customer = token(&w.app, w.tenant, &[]).await;
    let forged_role = token(&w.app, w.tenant, &["platform_admin"]).await;
    for bearer in [
        Some(staff.as_str()),
        Some(admin.as_str()),
        Some(customer.as_str()),
        Some(forged_role.as_str()),
        None,
    ] {
        expect_all(&w, &w.slug_host, bearer, 404, "not_found").await;
    }
    // The same on a verified custom domain of the marketplace.
    w.app
        .post(&format!("{BASE}/{}/domains/{}/verify", w.tenant, w.domain))
        .host(PLATFORM)
        .bearer(&staff)
        .send()
        .await
        .expect(200);
    w.app
        .delete(&format!("{BASE}/{}/domains/{}", w.tenant, w.domain))
        .host(PLATFORM)
        .bearer(&staff)
        .send()
        .await
        .expect(204);
    w.app
        .post(&format!("{BASE}/{}/domains", w.tenant))
        .host(PLATFORM)
        .bearer(&staff)
        .json(&json!({ "domain": "otra.example.pe" }))
        .send()
        .await
        .expect(201);
    w.app
        .post(&format!(
            "{BASE}/{}/domains/otra.example.pe/verify",
            w.tenant
        ))
        .host(PLATFORM)
        .bearer(&staff)
        .send()
        .await
        .expect(200);
    for bearer in [Some(staff.as_str()), Some(admin.as_str()), None] {
        for (method, path, body) in routes(w.tenant, "otra.example.pe") {
            let mut req = w.app.req(method, &path).host("otra.example.pe");
            if let Some(t) = bearer {
                req = req.bearer(t);
            }
            if let Some(b) = &body {
                req = req.json(b);
            }
            let res = req.send().await.expect_problem(404, "not_found");
            assert!(
                !res.text.contains("gamarra"),
                "{method} {path}: {}",
                res.text
            );
        }
    }
}

#[tokio::test]
async fn unknown_hosts_are_404_before_anything_else() {
    let w = world().await;
    let staff = staff(&w.app).await;
    expect_all(&w, "nadie.localhost", Some(&staff), 404, "tenant_not_found").await;
    expect_all(&w, w.domain, Some(&staff), 404, "tenant_not_found").await;
}

#[tokio::test]
async fn platform_admin_reaches_every_route() {
    let w = world().await;
    let staff = staff(&w.app).await;
    let mut statuses = Vec::new();
    for (method, path, body) in routes(w.tenant, w.domain) {
        let mut req = w.app.req(method, &path).host(PLATFORM).bearer(&staff);
        if let Some(b) = &body {
            req = req.json(b);
        }
        statuses.push(req.send().await.status.as_u16());
    }
    assert_eq!(statuses, [201, 200, 200, 200, 200, 200, 201, 200, 200, 204]);
}
