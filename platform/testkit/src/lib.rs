//! Integration-test helpers shared by the service crates: the app as production wires it on a
//! fresh database (real PostgreSQL with RLS in force, real Redis), marketplaces with their admin,
//! customers and approved vendors selling stocked products, and checkouts. Everything goes
//! through the public API, as a client would.

use std::sync::Arc;

use kernel::{
    AppState,
    config::Config,
    testing::{TestApp, TestResponse},
};
use serde_json::{Value, json};
use utoipa_axum::router::OpenApiRouter;
use uuid::Uuid;

pub const PASSWORD: &str = "correct horse battery";

/// The app with the services of `api` mounted, on a fresh database, configured by `f`.
pub async fn app_with(api: OpenApiRouter<AppState>, f: impl FnOnce(&mut Config)) -> TestApp {
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
            api,
        )
        .await
}

#[derive(Clone, Debug)]
pub struct Tenant {
    pub id: Uuid,
    pub host: String,
}

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

/// Sets the marketplace's tax (as platform staff would).
pub async fn set_tax(app: &TestApp, t: &Tenant, rate_bps: i32, inclusive: bool) {
    let _: i32 = app
        .owner_scalar(
            kernel::tenant::PLATFORM_TENANT_ID,
            &format!("update tenants set tax_rate_bps = {rate_bps}, tax_inclusive = {inclusive} where id = '{}' returning tax_rate_bps", t.id),
        )
        .await;
    // The resolved tenant (and its tax) is cached per host, as the platform API knows.
    tenants::resolver::invalidate_host(&app.state.cache, &t.host).await;
}

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

#[derive(Clone, Debug)]
pub struct Customer {
    pub id: Uuid,
    pub token: String,
}

#[derive(Clone, Debug)]
pub struct Seller {
    pub user_id: Uuid,
    pub vendor_id: Uuid,
    pub token: String,
}

/// A marketplace with an admin, two customers and two approved vendors, each selling one
/// product with one variant: `a` sells `a_variant` (price 2500, shipping 1000), `b` sells
/// `b_variant` (price 4000, shipping 500).
pub struct Market {
    pub t: Tenant,
    pub admin: String,
    pub alice: Customer,
    pub bob: Customer,
    pub a: Seller,
    pub b: Seller,
    pub a_variant: Uuid,
    pub b_variant: Uuid,
}

pub async fn market(app: &TestApp, slug: &str) -> Market {
    market_with_stock(app, slug, 10).await
}

pub async fn market_with_stock(app: &TestApp, slug: &str, stock: i32) -> Market {
    let t = tenant(app, slug).await;
    let (_, admin) = user(app, &t, &format!("admin@{slug}.test"), &["admin"]).await;
    let (alice_id, alice) = user(app, &t, &format!("alice@{slug}.test"), &[]).await;
    let (bob_id, bob) = user(app, &t, &format!("bob@{slug}.test"), &[]).await;
    let a = seller(app, &t, &admin, &format!("{slug}-a"), 1000).await;
    let b = seller(app, &t, &admin, &format!("{slug}-b"), 500).await;
    let a_variant = variant(app, &t, &a.token, &format!("{slug}-A1"), 2500, stock).await;
    let b_variant = variant(app, &t, &b.token, &format!("{slug}-B1"), 4000, stock).await;
    Market {
        t,
        admin,
        alice: Customer {
            id: alice_id,
            token: alice,
        },
        bob: Customer {
            id: bob_id,
            token: bob,
        },
        a,
        b,
        a_variant,
        b_variant,
    }
}

/// A user who applies as vendor `shop` (flat shipping `shipping`), approved by `admin`.
pub async fn seller(app: &TestApp, t: &Tenant, admin: &str, shop: &str, shipping: i64) -> Seller {
    let email = format!("{shop}@shops.test");
    let (user_id, token) = user(app, t, &email, &[]).await;
    let res = app
        .post("/api/v1/products/vendors")
        .host(&t.host)
        .bearer(&token)
        .json(&json!({"name": format!("Shop {shop}"), "slug": shop, "contact_email": email, "shipping_rate_minor": shipping}))
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

/// An active product of the vendor signed in as `token` with one variant; returns the variant id.
pub async fn variant(
    app: &TestApp,
    t: &Tenant,
    token: &str,
    sku: &str,
    price: i64,
    stock: i32,
) -> Uuid {
    let res = app
        .post("/api/v1/products")
        .host(&t.host)
        .bearer(token)
        .json(&json!({
            "title": format!("Producto {sku}"),
            "status": "active",
            "variants": [{"sku": sku, "price_minor": price, "stock": stock}],
        }))
        .send()
        .await
        .expect(201);
    res.body["variants"][0]["id"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap()
}

pub fn address() -> Value {
    json!({"recipient": "Alicia Quispe", "line1": "Jr. Gamarra 1234", "city": "Lima", "country": "pe"})
}

pub fn key() -> String {
    Uuid::new_v4().to_string()
}

/// `POST /api/v1/orders` with explicit lines, as `token`, with a fresh key.
pub async fn place(app: &TestApp, t: &Tenant, token: &str, lines: &[(Uuid, i32)]) -> TestResponse {
    let lines: Vec<Value> = lines
        .iter()
        .map(|(v, q)| json!({"variant_id": v, "quantity": q}))
        .collect();
    app.post("/api/v1/orders")
        .host(&t.host)
        .bearer(token)
        .header("idempotency-key", &key())
        .json(&json!({"lines": lines, "shipping_address": address()}))
        .send()
        .await
}

/// (on_hand, reserved) of a variant, read as the owner.
pub async fn stock(app: &TestApp, t: &Tenant, variant: Uuid) -> (i32, i32) {
    let s: String = app
        .owner_scalar(
            t.id,
            &format!(
                "select on_hand || ',' || reserved from inventory where variant_id = '{variant}'"
            ),
        )
        .await;
    let (a, b) = s.split_once(',').unwrap();
    (a.parse().unwrap(), b.parse().unwrap())
}

/// Rows of `table` in the tenant, as the owner sees them (the order tables' party policies bind
/// the runtime role only).
pub async fn count(app: &TestApp, t: &Tenant, table: &str) -> i64 {
    app.owner_scalar(t.id, &format!("select count(*) from {table}"))
        .await
}

pub fn id_of(v: &Value) -> Uuid {
    v["id"].as_str().unwrap().parse().unwrap()
}
