//! Integration tests of the product service: real PostgreSQL (one database per test, runtime role,
//! RLS in force) and real Redis (a namespace per test).

mod categories;
mod explain;
mod images;
mod inventory;
mod isolation;
mod products;
mod search;
mod validation;
mod vendors;

use std::sync::Arc;

use kernel::{config::Config, testing::TestApp};
use serde_json::{Value, json};
use uuid::Uuid;

pub const PASSWORD: &str = "correct horse battery";

pub async fn app() -> TestApp {
    app_with(|_| {}).await
}

/// The product and user services together (tests sign in through the user service).
pub async fn app_with(f: impl FnOnce(&mut Config)) -> TestApp {
    // Causes of 5xx answers are logged, never returned: show them in failing tests' output.
    let _ = tracing_subscriber::fmt()
        .with_env_filter("warn")
        .with_test_writer()
        .try_init();
    TestApp::builder()
        .config(f)
        .build(
            |db, cache, cfg| {
                Arc::new(tenants::DbResolver::new(
                    db,
                    cache,
                    &cfg.platform_domain,
                    cfg.tenant_cache_ttl,
                ))
            },
            ::products::router().merge(users::router()),
        )
        .await
}

#[derive(Clone, Debug)]
pub struct Tenant {
    pub id: Uuid,
    pub host: String,
}

/// A marketplace `{slug}.localhost` (es, PEN), inserted as the owner in the platform scope.
pub async fn tenant(app: &TestApp, slug: &str) -> Tenant {
    let id = Uuid::now_v7();
    let _: Uuid = app
        .owner_scalar(
            kernel::tenant::PLATFORM_TENANT_ID,
            &format!("insert into tenants (id, slug, name) values ('{id}', '{slug}', 'Tienda {slug}') returning id"),
        )
        .await;
    Tenant {
        id,
        host: format!("{slug}.localhost"),
    }
}

/// Rows of `table` in the tenant, as a tenant admin sees them (the catalogue's policies hide
/// drafts and stock history from everyone else, the owner role included).
pub async fn count(app: &TestApp, t: &Tenant, table: &str) -> i64 {
    let admin: Option<Uuid> = app
        .owner_scalar(
            t.id,
            "select (select user_id from user_roles where role = 'admin' limit 1)",
        )
        .await;
    app.owner_scalar_as(t.id, admin, &format!("select count(*) from {table}"))
        .await
}

/// Creates an account (with `roles` granted) and signs it in; returns (user id, access token).
pub async fn user(app: &TestApp, t: &Tenant, email: &str, roles: &[&str]) -> (Uuid, String) {
    let id = users::api::create_user(&app.state.db, t.id, email, PASSWORD, "Ana", roles, true)
        .await
        .unwrap();
    (id, login(app, t, email).await)
}

pub async fn login(app: &TestApp, t: &Tenant, email: &str) -> String {
    let res = app
        .post("/api/v1/users/login")
        .host(&t.host)
        .json(&json!({"email": email, "password": PASSWORD}))
        .send()
        .await
        .expect(200);
    res.body["access_token"].as_str().unwrap().into()
}

/// A marketplace with an admin, a customer and two approved vendors (`a`, `b`).
pub struct Market {
    pub t: Tenant,
    pub admin: String,
    pub customer: String,
    pub customer_id: Uuid,
    pub a: Seller,
    pub b: Seller,
}

#[derive(Clone, Debug)]
pub struct Seller {
    pub user_id: Uuid,
    pub vendor_id: Uuid,
    pub token: String,
}

pub async fn market(app: &TestApp, slug: &str) -> Market {
    let t = tenant(app, slug).await;
    let (_, admin) = user(app, &t, &format!("admin@{slug}.test"), &["admin"]).await;
    let (customer_id, customer) = user(app, &t, &format!("customer@{slug}.test"), &[]).await;
    let a = seller(app, &t, &admin, &format!("{slug}-a")).await;
    let b = seller(app, &t, &admin, &format!("{slug}-b")).await;
    Market {
        t,
        admin,
        customer,
        customer_id,
        a,
        b,
    }
}

/// A user who applies as vendor `shop`, is approved by `admin`, and signs in again (the new
/// token carries the `vendor` role).
pub async fn seller(app: &TestApp, t: &Tenant, admin: &str, shop: &str) -> Seller {
    let email = format!("{shop}@shops.test");
    let (user_id, token) = user(app, t, &email, &[]).await;
    let res = app
        .post("/api/v1/products/vendors")
        .host(&t.host)
        .bearer(&token)
        .json(&json!({"name": format!("Shop {shop}"), "slug": shop, "contact_email": email}))
        .send()
        .await
        .expect(201);
    let vendor_id: Uuid = res.body["id"].as_str().unwrap().parse().unwrap();
    app.post(&format!("/api/v1/products/vendors/{vendor_id}/approve"))
        .host(&t.host)
        .bearer(admin)
        .json(&json!({}))
        .send()
        .await
        .expect(200);
    Seller {
        user_id,
        vendor_id,
        token: login(app, t, &email).await,
    }
}

/// Creates a product through the API as `token`; returns its JSON.
pub async fn product(app: &TestApp, t: &Tenant, token: &str, body: Value) -> Value {
    app.post("/api/v1/products")
        .host(&t.host)
        .bearer(token)
        .json(&body)
        .send()
        .await
        .expect(201)
        .body
}

/// An active product with one variant (`sku`, price 2500) and `stock` units on hand.
pub async fn active_product(
    app: &TestApp,
    t: &Tenant,
    token: &str,
    title: &str,
    sku: &str,
    stock: i32,
) -> Value {
    product(
        app,
        t,
        token,
        json!({
            "title": title,
            "status": "active",
            "variants": [{"sku": sku, "price_minor": 2500, "stock": stock}],
        }),
    )
    .await
}
