//! Custom domains: add, list, verify, remove; a domain belongs to one tenant at most.

use serde_json::json;

use crate::*;

#[tokio::test]
async fn add_list_verify_remove() {
    let app = app().await;
    let staff = staff(&app).await;
    let id = id_of(&create_slug(&app, &staff, "gamarra").await);
    let d = app
        .post(&format!("{BASE}/{id}/domains"))
        .host(PLATFORM)
        .bearer(&staff)
        .json(&json!({ "domain": "Tienda.Example.PE." }))
        .send()
        .await
        .expect(201)
        .body;
    assert_eq!(
        d["domain"], "tienda.example.pe",
        "normalized to lowercase, no trailing dot"
    );
    assert_eq!(d["verified"], false);
    assert!(d["verified_at"].is_null());
    assert_eq!(d["txt_record"], "_gamarriando-verify.tienda.example.pe");
    let token = d["verification_token"].as_str().unwrap();
    assert!(token.len() >= 32, "an unguessable token: {token}");

    let second = app
        .post(&format!("{BASE}/{id}/domains"))
        .host(PLATFORM)
        .bearer(&staff)
        .json(&json!({ "domain": "gamarra.pe" }))
        .send()
        .await
        .expect(201)
        .body;
    assert_ne!(second["verification_token"], d["verification_token"]);

    let list = app
        .get(&format!("{BASE}/{id}/domains"))
        .host(PLATFORM)
        .bearer(&staff)
        .send()
        .await
        .expect(200)
        .body;
    let names: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["domain"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["gamarra.pe", "tienda.example.pe"]);

    let v = app
        .post(&format!("{BASE}/{id}/domains/tienda.example.pe/verify"))
        .host(PLATFORM)
        .bearer(&staff)
        .send()
        .await
        .expect(200)
        .body;
    assert_eq!(v["verified"], true);
    let verified_at = v["verified_at"].as_str().unwrap().to_string();
    // Verifying again (any case) changes nothing.
    let again = app
        .post(&format!("{BASE}/{id}/domains/TIENDA.example.pe/verify"))
        .host(PLATFORM)
        .bearer(&staff)
        .send()
        .await
        .expect(200)
        .body;
    assert_eq!(again["verified_at"], verified_at.as_str());

    app.delete(&format!("{BASE}/{id}/domains/tienda.example.pe"))
        .host(PLATFORM)
        .bearer(&staff)
        .send()
        .await
        .expect(204);
    app.delete(&format!("{BASE}/{id}/domains/tienda.example.pe"))
        .host(PLATFORM)
        .bearer(&staff)
        .send()
        .await
        .expect_problem(404, "not_found");
    app.post(&format!("{BASE}/{id}/domains/tienda.example.pe/verify"))
        .host(PLATFORM)
        .bearer(&staff)
        .send()
        .await
        .expect_problem(404, "not_found");
    let list = app
        .get(&format!("{BASE}/{id}/domains"))
        .host(PLATFORM)
        .bearer(&staff)
        .send()
        .await
        .expect(200)
        .body;
    assert_eq!(list.as_array().unwrap().len(), 1);
    assert_eq!(domain_count(&app).await, 1);
}

#[tokio::test]
async fn a_domain_belongs_to_one_tenant() {
    let app = app().await;
    let staff = staff(&app).await;
    let a = id_of(&create_slug(&app, &staff, "gamarra").await);
    let b = id_of(&create_slug(&app, &staff, "mesa-redonda").await);
    app.post(&format!("{BASE}/{a}/domains"))
        .host(PLATFORM)
        .bearer(&staff)
        .json(&json!({ "domain": "tienda.example.pe" }))
        .send()
        .await
        .expect(201);
    for tenant in [a, b] {
        app.post(&format!("{BASE}/{tenant}/domains"))
            .host(PLATFORM)
            .bearer(&staff)
            .json(&json!({ "domain": "TIENDA.example.pe" }))
            .send()
            .await
            .expect_problem(409, "domain_taken");
    }
    // Another tenant cannot verify or remove it through its own id.
    app.post(&format!("{BASE}/{b}/domains/tienda.example.pe/verify"))
        .host(PLATFORM)
        .bearer(&staff)
        .send()
        .await
        .expect_problem(404, "not_found");
    app.delete(&format!("{BASE}/{b}/domains/tienda.example.pe"))
        .host(PLATFORM)
        .bearer(&staff)
        .send()
        .await
        .expect_problem(404, "not_found");
    let list = app
        .get(&format!("{BASE}/{b}/domains"))
        .host(PLATFORM)
        .bearer(&staff)
        .send()
        .await
        .expect(200)
        .body;
    assert_eq!(list, json!([]));
    assert_eq!(domain_count(&app).await, 1);
    let owner: uuid::Uuid = app
        .owner_scalar(
            kernel::tenant::PLATFORM_TENANT_ID,
            "select tenant_id from tenant_domains",
        )
        .await;
    assert_eq!(owner, a);
    let verified: i64 = app
        .owner_scalar(
            kernel::tenant::PLATFORM_TENANT_ID,
            "select count(*) from tenant_domains where verified_at is not null",
        )
        .await;
    assert_eq!(verified, 0);
}

#[tokio::test]
async fn domains_of_unknown_tenants_are_404() {
    let app = app().await;
    let staff = staff(&app).await;
    let ghost = uuid::Uuid::now_v7();
    app.post(&format!("{BASE}/{ghost}/domains"))
        .host(PLATFORM)
        .bearer(&staff)
        .json(&json!({ "domain": "tienda.example.pe" }))
        .send()
        .await
        .expect_problem(404, "not_found");
    app.get(&format!("{BASE}/{ghost}/domains"))
        .host(PLATFORM)
        .bearer(&staff)
        .send()
        .await
        .expect_problem(404, "not_found");
    app.post(&format!("{BASE}/{ghost}/domains/tienda.example.pe/verify"))
        .host(PLATFORM)
        .bearer(&staff)
        .send()
        .await
        .expect_problem(404, "not_found");
    app.delete(&format!("{BASE}/{ghost}/domains/tienda.example.pe"))
        .host(PLATFORM)
        .bearer(&staff)
        .send()
        .await
        .expect_problem(404, "not_found");
    assert_eq!(domain_count(&app).await, 0);
}
