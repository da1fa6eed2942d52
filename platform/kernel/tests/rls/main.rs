//! Row-level security, proven against the real schema with the runtime role.
//!
//! These tests are the contract every later migration must keep: a table with a `tenant_id`
//! column is sealed by a forced policy, the runtime role cannot bypass it, and a pooled
//! connection never carries one request's tenant into the next.

mod catalog;
mod isolation;
mod pool;

use kernel::testing::TestDb;
use sqlx::{Executor, PgPool};
use uuid::Uuid;

/// Two marketplaces, each with one user and a row in every user table, written as the owner
/// with the tenant set (RLS is forced for the owner too).
pub struct Seeded {
    pub db: TestDb,
    pub a: Uuid,
    pub b: Uuid,
    pub user_a: Uuid,
    pub user_b: Uuid,
}

pub async fn seeded() -> Seeded {
    let db = TestDb::new().await;
    let (a, b) = (Uuid::now_v7(), Uuid::now_v7());
    let mut ids = vec![];
    {
        let mut tx = db.owner.begin().await.unwrap();
        tx.execute(
            "select set_config('app.tenant_id', '00000000-0000-0000-0000-000000000001', true)",
        )
        .await
        .unwrap();
        for (id, slug) in [(a, "alpha"), (b, "beta")] {
            sqlx::query("insert into tenants (id, slug, name) values ($1, $2, $2)")
                .bind(id)
                .bind(slug)
                .execute(&mut *tx)
                .await
                .unwrap();
            sqlx::query("insert into tenant_domains (tenant_id, domain, verification_token) values ($1, $2, 'tok')")
                .bind(id)
                .bind(format!("shop.{slug}.example"))
                .execute(&mut *tx)
                .await
                .unwrap();
        }
        tx.commit().await.unwrap();
    }
    for tenant in [a, b] {
        let user = Uuid::now_v7();
        ids.push(user);
        let mut tx = db.owner.begin().await.unwrap();
        set_tenant(&mut tx, Some(tenant)).await;
        for sql in [
            "insert into users (id, tenant_id, email, password_hash) values ($1, $2, 'same@example.com', 'x')",
            "insert into user_profiles (user_id, tenant_id, display_name) values ($1, $2, 'n')",
            "insert into user_preferences (user_id, tenant_id) values ($1, $2)",
            "insert into user_addresses (id, tenant_id, user_id, recipient, line1, city, country) values (gen_random_uuid(), $2, $1, 'r', 'l', 'c', 'PE')",
            "insert into user_sessions (id, tenant_id, user_id, refresh_token_hash, expires_at) values (gen_random_uuid(), $2, $1, gen_random_uuid()::text::bytea, now() + interval '1 day')",
            "insert into user_tokens (token_hash, tenant_id, user_id, purpose, expires_at) values (gen_random_uuid()::text::bytea, $2, $1, 'verify_email', now() + interval '1 day')",
            "insert into user_roles (tenant_id, user_id, role) values ($2, $1, 'vendor')",
            "insert into notifications (id, tenant_id, user_id, template, subject, body) values (gen_random_uuid(), $2, $1, 't', 's', 'b')",
            // The catalogue's write policies admit the product's vendor or a tenant admin only.
            "insert into user_roles (tenant_id, user_id, role) values ($2, $1, 'admin')",
            "select set_config('app.user_id', $1::text, true), $2",
            "insert into vendors (id, tenant_id, user_id, slug, name, contact_email, status) values (gen_random_uuid(), $2, $1, 'shop', 'Shop', 'v@x.pe', 'approved')",
            "insert into categories (id, tenant_id, path, slug, name) select g, $2, array[g], 'cat', 'Cat' from gen_random_uuid() g where $1 is not null",
            "insert into category_translations (tenant_id, category_id, locale, name) select $2, id, 'en', 'Cat' from categories where $1 is not null",
            "insert into products (id, tenant_id, vendor_id, slug, title, status) select gen_random_uuid(), $2, id, 'p', 'P', 'active' from vendors where user_id = $1",
            "insert into product_translations (tenant_id, product_id, locale, title) select $2, id, 'en', 'P' from products where $1 is not null",
            "insert into product_tags (tenant_id, product_id, tag) select $2, id, 'tag' from products where $1 is not null",
            "insert into product_categories (tenant_id, product_id, category_id) select $2, p.id, c.id from products p, categories c where $1 is not null",
            "insert into product_variants (id, tenant_id, product_id, sku, price_minor, currency) select gen_random_uuid(), $2, id, 'SKU-1', 100, 'PEN' from products where $1 is not null",
            "insert into inventory (variant_id, tenant_id, product_id, on_hand) select id, $2, product_id, 5 from product_variants where $1 is not null",
            "insert into inventory_adjustments (id, tenant_id, product_id, variant_id, delta, reason, on_hand_after, actor_id) select gen_random_uuid(), $2, product_id, variant_id, 5, 'received', 5, $1 from inventory",
            "insert into product_images (id, tenant_id, product_id, object_key, content_type) select gen_random_uuid(), $2, id, 't/' || $2::text || '/products/x.jpg', 'image/jpeg' from products where $1 is not null",
            "insert into outbox (id, tenant_id, topic, aggregate_id, payload) values (gen_random_uuid(), $2, 'user.registered', $1, '{}')",
            "insert into idempotency_keys (tenant_id, scope, key, request_hash, response_status, response_body, expires_at) values ($2, 'user:' || $1::text, 'key-1', sha256('r'::bytea), 201, '{}'::bytea, now() + interval '1 day')",
            // An order of the user (customer, vendor and admin at once) with every part.
            "insert into carts (id, tenant_id, customer_id) values (gen_random_uuid(), $2, $1)",
            "insert into cart_items (tenant_id, cart_id, variant_id, quantity) select $2, c.id, v.id, 1 from carts c, product_variants v where c.customer_id = $1",
            "insert into orders (id, tenant_id, number, customer_id, status, currency, subtotal_minor, shipping_minor, tax_minor, total_minor, tax_rate_bps, tax_inclusive, item_count, locale, expires_at) select gen_random_uuid(), $2, 'AAAA-AAAA-AAAA', $1, 'pending_payment', 'PEN', 100, 0, 0, 100, 0, true, 1, 'es', now() + interval '1 hour'",
            "insert into vendor_orders (id, tenant_id, order_id, vendor_id, customer_id, number, status, subtotal_minor, shipping_minor, tax_minor, total_minor) select gen_random_uuid(), $2, o.id, v.id, $1, o.number, 'pending_payment', 100, 0, 0, 100 from orders o, vendors v where o.customer_id = $1",
            "insert into order_items (id, tenant_id, order_id, vendor_order_id, vendor_id, customer_id, product_id, variant_id, sku, title, unit_price_minor, quantity, total_minor) select gen_random_uuid(), $2, vo.order_id, vo.id, vo.vendor_id, $1, pv.product_id, pv.id, 'SKU-1', 'P', 100, 1, 100 from vendor_orders vo, product_variants pv where vo.customer_id = $1",
            "insert into shipping_addresses (order_id, tenant_id, customer_id, recipient, line1, city, country) select id, $2, $1, 'r', 'l', 'c', 'PE' from orders where customer_id = $1",
            "insert into order_status_history (id, tenant_id, order_id, customer_id, to_status, actor_role) select gen_random_uuid(), $2, id, $1, 'pending_payment', 'customer' from orders where customer_id = $1",
            "insert into order_tracking (id, tenant_id, order_id, vendor_order_id, vendor_id, customer_id, carrier, tracking_number) select gen_random_uuid(), $2, order_id, id, vendor_id, $1, 'c', 'n' from vendor_orders where customer_id = $1",
            "insert into order_tracking_events (id, tenant_id, tracking_id, vendor_id, customer_id, status, occurred_at) select gen_random_uuid(), $2, id, vendor_id, $1, 'in_transit', now() from order_tracking where customer_id = $1",
            // The notification service's tables: the user's own messages, preferences and devices;
            // the tenant's channels, templates, webhooks and delivery logs (admins see those).
            "insert into notification_logs (id, tenant_id, notification_id, attempt, channel, provider, status) select gen_random_uuid(), $2, id, 1, 'in_app', 'in_app', 'sent' from notifications where user_id = $1",
            "insert into notification_channels (tenant_id, channel, provider) select $2, 'email', 'console' where $1 is not null",
            "insert into webhook_endpoints (id, tenant_id, url, topics, secret_sealed) select gen_random_uuid(), $2, 'https://x.test/h', array['order.placed'], '\\x00' where $1 is not null",
            "insert into notification_templates (tenant_id, template, channel, locale, subject, body) select $2, 'order_placed', 'email', 'es', 's', 'b' where $1 is not null",
            "insert into notification_preferences (tenant_id, user_id, channel, category, enabled) values ($2, $1, 'email', 'marketing', true)",
            "insert into push_devices (id, tenant_id, user_id, token, platform) values (gen_random_uuid(), $2, $1, 'device-token-1', 'android')",
            // The payment service's: a gateway, settings, a captured payment of the order with
            // its ledger, a refund, a webhook event seen, a saved method.
            "insert into payment_gateways (tenant_id, provider, is_default) select $2, 'sandbox', true where $1 is not null",
            "insert into payment_settings (tenant_id, vendor_refunds) select $2, true where $1 is not null",
            "insert into payments (id, tenant_id, order_id, customer_id, order_number, locale, provider, provider_ref, provider_key, status, amount_minor, currency, captured_minor) select gen_random_uuid(), $2, id, $1, number, 'es', 'sandbox', 'pay_sbx_ok_1', 'gmr-1', 'captured', 100, 'PEN', 100 from orders where customer_id = $1",
            "insert into refunds (id, tenant_id, payment_id, order_id, amount_minor, currency, status) select gen_random_uuid(), $2, id, order_id, 10, 'PEN', 'succeeded' from payments where customer_id = $1",
            "insert into payment_transactions (id, tenant_id, payment_id, kind, amount_minor, currency, provider) select gen_random_uuid(), $2, id, 'capture', 100, 'PEN', 'sandbox' from payments where customer_id = $1",
            "insert into payment_webhook_events (tenant_id, provider, event_id, kind) select $2, 'sandbox', 'evt_1', 'payment' where $1 is not null",
            "insert into payment_methods (id, tenant_id, user_id, provider, token) values (gen_random_uuid(), $2, $1, 'sandbox', 'tok_visa')",
        ] {
            sqlx::query(sql)
                .bind(user)
                .bind(tenant)
                .execute(&mut *tx)
                .await
                .unwrap_or_else(|e| panic!("{sql}: {e}"));
        }
        tx.commit().await.unwrap();
    }
    Seeded {
        db,
        a,
        b,
        user_a: ids[0],
        user_b: ids[1],
    }
}

pub async fn set_tenant(conn: &mut sqlx::PgConnection, tenant: Option<Uuid>) {
    sqlx::query("select set_config('app.tenant_id', $1, true)")
        .bind(tenant.map(|t| t.to_string()).unwrap_or_default())
        .execute(conn)
        .await
        .unwrap();
}

/// Tables with a `tenant_id` that the runtime role cannot reach at all: only SECURITY DEFINER
/// functions that add an explicit tenant predicate read and write them (see `catalog.rs`).
pub const DEFINER_ONLY: &[&str] = &[
    "product_search",
    "product_search_terms",
    "product_search_listing",
];

/// Every table of the public schema that has a `tenant_id` column and that the runtime role
/// reaches directly (through forced RLS).
pub async fn tenant_tables(pool: &PgPool) -> Vec<String> {
    sqlx::query_scalar(
        "select c.relname::text from pg_class c
           join pg_namespace n on n.oid = c.relnamespace
           join pg_attribute a on a.attrelid = c.oid and a.attname = 'tenant_id' and not a.attisdropped
          where n.nspname = 'public' and c.relkind in ('r', 'p') and c.relname <> all($1)
          order by 1",
    )
    .bind(DEFINER_ONLY)
    .fetch_all(pool)
    .await
    .unwrap()
}
