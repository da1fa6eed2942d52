use serde_json::json;

use crate::*;

#[tokio::test]
async fn refresh_rotates_and_reuse_revokes_the_family() {
    let app = app().await;
    let a = tenant(&app, "gamarra").await;
    let (_, l) = signup(&app, &a, "ana@gamarra.pe").await;
    let r1 = refresh(&app, &a, &l.refresh).await.expect(200);
    let new_refresh = r1.body["refresh_token"].as_str().unwrap().to_string();
    assert_ne!(new_refresh, l.refresh);
    let generation: i32 = app
        .owner_scalar(a.id, "select generation from user_sessions")
        .await;
    assert_eq!(generation, 2);
    app.get("/api/v1/users/me")
        .host(&a.host)
        .bearer(r1.body["access_token"].as_str().unwrap())
        .send()
        .await
        .expect(200);

    // Replaying the rotated token: 401, and the newer token dies with its family.
    refresh(&app, &a, &l.refresh)
        .await
        .expect_problem(401, "invalid_refresh_token");
    let reason: String = app
        .owner_scalar(a.id, "select revoked_reason from user_sessions")
        .await;
    assert_eq!(reason, "reuse_detected");
    refresh(&app, &a, &new_refresh)
        .await
        .expect_problem(401, "invalid_refresh_token");
}

#[tokio::test]
async fn concurrent_refreshes_with_one_token_have_one_winner() {
    let app = app().await;
    let a = tenant(&app, "gamarra").await;
    let (_, l) = signup(&app, &a, "ana@gamarra.pe").await;
    let results = futures::future::join_all((0..4).map(|_| refresh(&app, &a, &l.refresh))).await;
    let ok = results.iter().filter(|r| r.status == 200).count();
    assert_eq!(ok, 1, "{results:?}");
    assert!(results.iter().all(|r| r.status == 200 || r.status == 401));
}

#[tokio::test]
async fn refresh_token_of_tenant_a_is_refused_on_b() {
    let app = app().await;
    let (a, b) = (tenant(&app, "gamarra").await, tenant(&app, "polvos").await);
    let (_, l) = signup(&app, &a, "ana@gamarra.pe").await;
    register(&app, &b, "ana@gamarra.pe").await;
    refresh(&app, &b, &l.refresh)
        .await
        .expect_problem(401, "invalid_refresh_token");
    // B could not even see the session, so A's family is intact.
    refresh(&app, &a, &l.refresh).await.expect(200);
}

#[tokio::test]
async fn logout_revokes_the_session() {
    let app = app().await;
    let a = tenant(&app, "gamarra").await;
    let (_, l) = signup(&app, &a, "ana@gamarra.pe").await;
    let other = login(&app, &a, "ana@gamarra.pe").await;
    app.post("/api/v1/users/logout")
        .host(&a.host)
        .bearer(&l.access)
        .send()
        .await
        .expect(204);
    refresh(&app, &a, &l.refresh)
        .await
        .expect_problem(401, "invalid_refresh_token");
    // Only the current session.
    refresh(&app, &a, &other.refresh).await.expect(200);
    app.post("/api/v1/users/logout")
        .host(&a.host)
        .send()
        .await
        .expect_problem(401, "unauthorized");
}

#[tokio::test]
async fn expired_or_unknown_refresh_tokens_are_refused() {
    let app = app_with(|c| c.refresh_token_ttl = std::time::Duration::ZERO).await;
    let a = tenant(&app, "gamarra").await;
    let (_, l) = signup(&app, &a, "ana@gamarra.pe").await;
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    refresh(&app, &a, &l.refresh)
        .await
        .expect_problem(401, "invalid_refresh_token");
    refresh(&app, &a, "made-up")
        .await
        .expect_problem(401, "invalid_refresh_token");
    app.post("/api/v1/users/token/refresh")
        .host(&a.host)
        .json(&json!({}))
        .send()
        .await
        .expect_problem(422, "validation_failed");
}

#[tokio::test]
async fn disabled_accounts_cannot_refresh() {
    let app = app().await;
    let a = tenant(&app, "gamarra").await;
    let (_, l) = signup(&app, &a, "ana@gamarra.pe").await;
    let _: i64 = app
        .owner_scalar(
            a.id,
            "with u as (update users set status = 'disabled' returning 1) select count(*) from u",
        )
        .await;
    refresh(&app, &a, &l.refresh)
        .await
        .expect_problem(401, "invalid_refresh_token");
}
