use crate::*;

#[tokio::test]
async fn customers_get_403_and_guests_401_on_admin_routes() {
    let app = app().await;
    let a = tenant(&app, "gamarra").await;
    let (id, l) = signup(&app, &a, "ana@gamarra.pe").await;
    app.get("/api/v1/users")
        .host(&a.host)
        .bearer(&l.access)
        .send()
        .await
        .expect_problem(403, "forbidden");
    app.get(&format!("/api/v1/users/{id}/roles"))
        .host(&a.host)
        .bearer(&l.access)
        .send()
        .await
        .expect_problem(403, "forbidden");
    app.put(&format!("/api/v1/users/{id}/roles/admin"))
        .host(&a.host)
        .bearer(&l.access)
        .send()
        .await
        .expect_problem(403, "forbidden");
    app.get("/api/v1/users")
        .host(&a.host)
        .send()
        .await
        .expect_problem(401, "unauthorized");
    assert_eq!(count(&app, &a, "user_roles").await, 0);
}

#[tokio::test]
async fn admins_grant_and_revoke_marketplace_roles() {
    let app = app().await;
    let a = tenant(&app, "gamarra").await;
    let (boss_id, boss) = staff(&app, &a, "boss@gamarra.pe", &["admin"]).await;
    let (id, l) = signup(&app, &a, "ana@gamarra.pe").await;
    let put = |role: &str| {
        app.put(&format!("/api/v1/users/{id}/roles/{role}"))
            .host(&a.host)
            .bearer(&boss.access)
            .send()
    };
    let res = put("vendor").await.expect(200);
    assert_eq!(res.body["roles"], serde_json::json!(["vendor"]));
    put("vendor").await.expect(200);
    put("platform_admin")
        .await
        .expect_problem(422, "validation_failed");
    put("customer")
        .await
        .expect_problem(422, "validation_failed");
    put("root").await.expect_problem(422, "validation_failed");
    let roles: Vec<String> = app
        .owner_scalar::<Vec<String>>(a.id, "select array_agg(role order by role) from user_roles")
        .await;
    assert_eq!(roles, ["admin", "vendor"]);

    // The grant reaches the next token (refresh reads roles fresh).
    let r = refresh(&app, &a, &l.refresh).await.expect(200);
    let claims = app
        .state
        .jwt
        .verify(r.body["access_token"].as_str().unwrap(), a.id)
        .unwrap();
    assert_eq!(claims.roles, ["vendor"]);
    let newer = r.body["refresh_token"].as_str().unwrap().to_string();

    // Revoking signs the user out, so no refresh can keep the role.
    let res = app
        .delete(&format!("/api/v1/users/{id}/roles/vendor"))
        .host(&a.host)
        .bearer(&boss.access)
        .send()
        .await
        .expect(200);
    assert_eq!(res.body["roles"], serde_json::json!([]));
    refresh(&app, &a, &newer)
        .await
        .expect_problem(401, "invalid_refresh_token");

    // No lock-out: an admin cannot drop their own admin role.
    app.delete(&format!("/api/v1/users/{boss_id}/roles/admin"))
        .host(&a.host)
        .bearer(&boss.access)
        .send()
        .await
        .expect_problem(409, "cannot_revoke_own_admin");
    app.get(&format!("/api/v1/users/{}/roles", Uuid::now_v7()))
        .host(&a.host)
        .bearer(&boss.access)
        .send()
        .await
        .expect(404);
}

#[tokio::test]
async fn platform_admins_manage_platform_admin_only_on_the_platform_host() {
    let app = app().await;
    let p = platform();
    let a = tenant(&app, "gamarra").await;
    let (_, root) = staff(&app, &p, "root@gamarriando.pe", &["platform_admin"]).await;
    let (other, _) = staff(&app, &p, "ops@gamarriando.pe", &[]).await;
    let list = app
        .get("/api/v1/users")
        .host(&p.host)
        .bearer(&root.access)
        .send()
        .await
        .expect(200);
    assert_eq!(list.body["items"].as_array().unwrap().len(), 2);
    app.put(&format!("/api/v1/users/{other}/roles/platform_admin"))
        .host(&p.host)
        .bearer(&root.access)
        .send()
        .await
        .expect(200);
    app.put(&format!("/api/v1/users/{other}/roles/admin"))
        .host(&p.host)
        .bearer(&root.access)
        .send()
        .await
        .expect_problem(422, "validation_failed");
    // A platform token means nothing on a marketplace, and the reverse.
    app.get("/api/v1/users")
        .host(&a.host)
        .bearer(&root.access)
        .send()
        .await
        .expect_problem(401, "unauthorized");
    let (_, boss) = staff(&app, &a, "boss@gamarra.pe", &["admin"]).await;
    app.get("/api/v1/users")
        .host(&p.host)
        .bearer(&boss.access)
        .send()
        .await
        .expect_problem(401, "unauthorized");
    // Platform staff have no account on marketplaces.
    app.post("/api/v1/users/login")
        .host(&a.host)
        .json(&serde_json::json!({"email": "root@gamarriando.pe", "password": PASSWORD}))
        .send()
        .await
        .expect_problem(401, "invalid_credentials");
    // A marketplace admin cannot mint a platform admin anywhere.
    let (id, _) = signup(&app, &a, "ana@gamarra.pe").await;
    app.put(&format!("/api/v1/users/{id}/roles/platform_admin"))
        .host(&a.host)
        .bearer(&boss.access)
        .send()
        .await
        .expect(422);
}
