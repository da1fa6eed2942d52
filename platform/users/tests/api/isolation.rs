//! Tenant and user isolation, route by route.

use serde_json::{Value, json};

use crate::*;

/// Every authenticated route (method, path, body).
fn authenticated_routes(
    addr: Uuid,
    session: Uuid,
    user: Uuid,
) -> Vec<(&'static str, String, Option<Value>)> {
    vec![
        ("POST", "/api/v1/users/logout".into(), None),
        ("GET", "/api/v1/users/me".into(), None),
        (
            "PATCH",
            "/api/v1/users/me".into(),
            Some(json!({"display_name": "X"})),
        ),
        ("GET", "/api/v1/users/me/preferences".into(), None),
        (
            "PUT",
            "/api/v1/users/me/preferences".into(),
            Some(json!({"locale": "en"})),
        ),
        ("GET", "/api/v1/users/me/sessions".into(), None),
        (
            "DELETE",
            format!("/api/v1/users/me/sessions/{session}"),
            None,
        ),
        ("GET", "/api/v1/users/me/addresses".into(), None),
        ("POST", "/api/v1/users/me/addresses".into(), Some(address())),
        ("GET", format!("/api/v1/users/me/addresses/{addr}"), None),
        (
            "PATCH",
            format!("/api/v1/users/me/addresses/{addr}"),
            Some(json!({"city": "Cusco"})),
        ),
        ("DELETE", format!("/api/v1/users/me/addresses/{addr}"), None),
        ("GET", "/api/v1/users".into(), None),
        ("GET", format!("/api/v1/users/{user}/roles"), None),
        ("PUT", format!("/api/v1/users/{user}/roles/vendor"), None),
        ("DELETE", format!("/api/v1/users/{user}/roles/vendor"), None),
    ]
}

async fn call(
    app: &TestApp,
    host: &str,
    token: Option<&str>,
    (m, path, body): &(&str, String, Option<Value>),
) -> kernel::testing::TestResponse {
    let mut r = app.req(m, path).host(host);
    if let Some(t) = token {
        r = r.bearer(t);
    }
    if let Some(b) = body {
        r = r.json(b);
    }
    r.send().await
}

async fn snapshot(app: &TestApp, t: &Tenant) -> Vec<String> {
    let q = "select concat_ws('|', (select string_agg(concat(id, city, is_default), ',' order by id) from user_addresses),
               (select string_agg(concat(id, revoked_at is null), ',' order by id) from user_sessions),
               (select string_agg(concat(user_id, role), ',' order by user_id, role) from user_roles),
               (select string_agg(concat(user_id, display_name), ',' order by user_id) from user_profiles),
               (select string_agg(concat(user_id, locale), ',' order by user_id) from user_preferences))";
    vec![app.owner_scalar::<String>(t.id, q).await]
}

#[tokio::test]
async fn token_of_tenant_a_is_refused_on_every_route_of_b() {
    let app = app().await;
    let (a, b) = (tenant(&app, "gamarra").await, tenant(&app, "polvos").await);
    let (_, admin_a) = staff(&app, &a, "boss@gamarra.pe", &["admin"]).await;
    let (ub, lb) = signup(&app, &b, "bea@polvos.pe").await;
    let res = app
        .post("/api/v1/users/me/addresses")
        .host(&b.host)
        .bearer(&lb.access)
        .json(&address())
        .send()
        .await
        .expect(201);
    let addr: Uuid = res.body["id"].as_str().unwrap().parse().unwrap();
    let sid = app.state.jwt.verify(&lb.access, b.id).unwrap().sid;
    let before = snapshot(&app, &b).await;
    for route in authenticated_routes(addr, sid, ub) {
        let res = call(&app, &b.host, Some(&admin_a.access), &route).await;
        assert_eq!(res.status, 401, "{} {}: {}", route.0, route.1, res.text);
        assert_eq!(res.body["code"], "unauthorized");
    }
    assert_eq!(snapshot(&app, &b).await, before, "nothing of B changed");
}

#[tokio::test]
async fn guests_get_401_on_every_authenticated_route() {
    let app = app().await;
    let a = tenant(&app, "gamarra").await;
    let id = Uuid::now_v7();
    for route in authenticated_routes(id, id, id) {
        let res = call(&app, &a.host, None, &route).await;
        assert_eq!(res.status, 401, "{} {}: {}", route.0, route.1, res.text);
    }
}

#[tokio::test]
async fn ids_of_tenant_b_are_404_with_a_token_of_a() {
    let app = app().await;
    let (a, b) = (tenant(&app, "gamarra").await, tenant(&app, "polvos").await);
    let (_, admin_a) = staff(&app, &a, "boss@gamarra.pe", &["admin"]).await;
    let (ub, lb) = signup(&app, &b, "bea@polvos.pe").await;
    let res = app
        .post("/api/v1/users/me/addresses")
        .host(&b.host)
        .bearer(&lb.access)
        .json(&address())
        .send()
        .await
        .expect(201);
    let addr: Uuid = res.body["id"].as_str().unwrap().parse().unwrap();
    let sid = app.state.jwt.verify(&lb.access, b.id).unwrap().sid;
    let before = snapshot(&app, &b).await;
    let routes = [
        ("DELETE", format!("/api/v1/users/me/sessions/{sid}"), None),
        ("GET", format!("/api/v1/users/me/addresses/{addr}"), None),
        (
            "PATCH",
            format!("/api/v1/users/me/addresses/{addr}"),
            Some(json!({"city": "Cusco"})),
        ),
        ("DELETE", format!("/api/v1/users/me/addresses/{addr}"), None),
        ("GET", format!("/api/v1/users/{ub}/roles"), None),
        ("PUT", format!("/api/v1/users/{ub}/roles/vendor"), None),
        ("DELETE", format!("/api/v1/users/{ub}/roles/vendor"), None),
    ];
    for route in routes {
        let res = call(&app, &a.host, Some(&admin_a.access), &route).await;
        assert_eq!(res.status, 404, "{} {}: {}", route.0, route.1, res.text);
    }
    // The admin list shows only A's accounts.
    let list = app
        .get("/api/v1/users")
        .host(&a.host)
        .bearer(&admin_a.access)
        .send()
        .await
        .expect(200);
    let emails: Vec<&str> = list.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["email"].as_str().unwrap())
        .collect();
    assert_eq!(emails, ["boss@gamarra.pe"]);
    assert_eq!(snapshot(&app, &b).await, before);
    let _ = lb;
}

#[tokio::test]
async fn users_cannot_touch_each_others_rows() {
    let app = app().await;
    let a = tenant(&app, "gamarra").await;
    let (_, x) = signup(&app, &a, "x@gamarra.pe").await;
    let (_, y) = signup(&app, &a, "y@gamarra.pe").await;
    let res = app
        .post("/api/v1/users/me/addresses")
        .host(&a.host)
        .bearer(&y.access)
        .json(&address())
        .send()
        .await
        .expect(201);
    let addr = res.body["id"].as_str().unwrap().to_string();
    let ysid = app.state.jwt.verify(&y.access, a.id).unwrap().sid;
    let before = snapshot(&app, &a).await;
    for (m, path, body) in [
        ("GET", format!("/api/v1/users/me/addresses/{addr}"), None),
        (
            "PATCH",
            format!("/api/v1/users/me/addresses/{addr}"),
            Some(json!({"is_default": false})),
        ),
        ("DELETE", format!("/api/v1/users/me/addresses/{addr}"), None),
        ("DELETE", format!("/api/v1/users/me/sessions/{ysid}"), None),
    ] {
        call(&app, &a.host, Some(&x.access), &(m, path, body))
            .await
            .expect_problem(404, "not_found");
    }
    // X's lists do not show Y's rows.
    let list = app
        .get("/api/v1/users/me/addresses")
        .host(&a.host)
        .bearer(&x.access)
        .send()
        .await
        .expect(200);
    assert_eq!(list.body["items"], json!([]));
    let list = app
        .get("/api/v1/users/me/sessions")
        .host(&a.host)
        .bearer(&x.access)
        .send()
        .await
        .expect(200);
    assert_eq!(list.body["items"].as_array().unwrap().len(), 1);
    assert_eq!(snapshot(&app, &a).await, before);
    refresh(&app, &a, &y.refresh).await.expect(200);
}

#[tokio::test]
async fn the_runtime_role_sees_nothing_without_a_tenant() {
    let app = app().await;
    let (a, b) = (tenant(&app, "gamarra").await, tenant(&app, "polvos").await);
    signup(&app, &a, "ana@gamarra.pe").await;
    signup(&app, &b, "bea@polvos.pe").await;
    for table in [
        "users",
        "user_profiles",
        "user_preferences",
        "user_sessions",
        "user_tokens",
        "outbox",
    ] {
        let n: i64 =
            sqlx::query_scalar(sqlx::AssertSqlSafe(format!("select count(*) from {table}")))
                .fetch_one(&app.db.app)
                .await
                .unwrap();
        assert_eq!(n, 0, "{table} without tenant");
        let mut tx = app.state.db.begin_scoped(a.id, None).await.unwrap();
        let emails: Vec<String> = sqlx::query_scalar("select email::text from users")
            .fetch_all(tx.conn())
            .await
            .unwrap();
        assert_eq!(emails, ["ana@gamarra.pe"]);
    }
}
