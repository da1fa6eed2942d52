-- The checkout benchmark's marketplace, generated in SQL. Run by bench/orders/generate.sh as the
-- superuser (it bypasses RLS: this is a fixture loader, not application code) with
--   psql -v variants=<n> -v customers=<n> -v stock=<n> -v hot_stock=<n> -v short_stock=<n> -f generate.sql
-- Tenant `checkout` (host checkout.localhost), Spanish, PEN, IGV 18% included in prices.
-- 20 approved vendors with a flat shipping rate; :variants variants (two per active product) with
-- :stock units each for the distinct-products run; one hot variant with :hot_stock units; one
-- short variant with :short_stock units, which runs out during its run (clean 409s);
-- :customers verified customers whose password hash run.sh sets (they sign in through the API).
-- `bench_variants` (which variant plays which part, and its opening stock) and `bench_customers`
-- are what run.sh exports to wrk and what verify.sql checks against.
\set ON_ERROR_STOP on
set client_min_messages = warning;
begin;
select setseed(0.4242) \g /dev/null
select gen_random_uuid() as tid, gen_random_uuid() as admin \gset
-- As the tenant's admin: only an admin may insert approved vendors (vendors_guard_status).
select set_config('app.tenant_id', :'tid', true), set_config('app.user_id', :'admin', true) \g /dev/null
insert into tenants (id, slug, name, default_locale, currency, tax_rate_bps, tax_inclusive)
values (:'tid', 'checkout', 'Bench checkout', 'es', 'PEN', 1800, true);
insert into users (id, tenant_id, email, password_hash, email_verified_at)
values (:'admin', :'tid', 'admin@checkout.test', 'x', now());
insert into user_roles (tenant_id, user_id, role) values (:'tid', :'admin', 'admin');

create temp table vend on commit drop as
select g as k, gen_random_uuid() as id, gen_random_uuid() as user_id from generate_series(1, 20) g;
insert into users (id, tenant_id, email, password_hash, email_verified_at)
select user_id, :'tid', format('vendor%s@checkout.test', k), 'x', now() from vend;
insert into user_roles (tenant_id, user_id, role) select :'tid', user_id, 'vendor' from vend;
insert into vendors (id, tenant_id, user_id, slug, name, contact_email, status, shipping_rate_minor)
select id, :'tid', user_id, format('tienda-%s', k), format('Confecciones Gamarra %s', k),
       format('vendor%s@checkout.test', k), 'approved', 500 + (k % 4) * 250
  from vend;

-- Products: two variants (talla S and M) each, spread over the vendors; then the hot and the short
-- product, one variant each, of vendor 1.
create temp table prod on commit drop as
select g, gen_random_uuid() as id, 1 + g % 20 as ve, 1500 + (random() * 48500)::int / 100 * 100 as price
  from generate_series(1, (:variants + 1) / 2) g;
insert into prod values (0, gen_random_uuid(), 1, 3990), (-1, gen_random_uuid(), 1, 5990);
insert into products (id, tenant_id, vendor_id, slug, title, description, status, published_at)
select p.id, :'tid', v.id,
       case p.g when 0 then 'polo-hot' when -1 then 'casaca-short' else format('polo-%s', p.g) end,
       case p.g when 0 then 'Polo de algodón pima (hot)' when -1 then 'Casaca de cuero (pocas unidades)'
                else format('Polo de algodón %s', p.g) end,
       'Polo de algodón, corte clásico.', 'active', now()
  from prod p join vend v on v.k = p.ve;

create temp table var on commit drop as
select gen_random_uuid() as id, p.id as product_id, p.g, s as pos,
       (array['S', 'M'])[s] as size, p.price as price,
       case p.g when 0 then 'hot' when -1 then 'short' else 'distinct' end as part,
       case p.g when 0 then :hot_stock when -1 then :short_stock else :stock end as stock
  from prod p cross join lateral generate_series(1, case when p.g > 0 then 2 else 1 end) s;
-- An odd :variants: drop one so the distinct set has exactly :variants.
delete from var where id = (select id from var where part = 'distinct' order by g desc, pos desc
                             offset :variants limit 1);
insert into product_variants (id, tenant_id, product_id, sku, options, price_minor, currency, position)
select id, :'tid', product_id, format('SKU-%s-%s', g, size), jsonb_build_object('talla', size),
       price, 'PEN', pos
  from var;
insert into inventory (variant_id, tenant_id, product_id, on_hand, reserved)
select id, :'tid', product_id, stock, 0 from var;

create temp table cust on commit drop as
select g, gen_random_uuid() as id from generate_series(1, :customers) g;
insert into users (id, tenant_id, email, password_hash, email_verified_at)
select id, :'tid', format('c%s@checkout.test', lpad(g::text, 4, '0')), 'x', now() from cust;
insert into user_profiles (user_id, tenant_id, display_name)
select id, :'tid', format('Cliente %s', g) from cust;

drop table if exists bench_variants, bench_customers;
create table bench_variants (n serial primary key, part text not null, variant_id uuid not null,
                             opening_stock integer not null);
insert into bench_variants (part, variant_id, opening_stock)
select part, id, stock from var order by part, g, pos;
create table bench_customers (n serial primary key, email text not null);
insert into bench_customers (email)
select format('c%s@checkout.test', lpad(g::text, 4, '0')) from cust order by g;
commit;

analyze;
select (select count(*) from bench_variants where part = 'distinct') as distinct_variants,
       (select opening_stock from bench_variants where part = 'hot') as hot_stock,
       (select opening_stock from bench_variants where part = 'short') as short_stock,
       (select count(*) from bench_customers) as customers;
