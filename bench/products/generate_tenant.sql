-- One benchmark marketplace with :n products, generated in SQL. Run by bench/products/generate.sh
-- as the superuser (it bypasses RLS: this is a fixture loader, not application code) with
--   psql -v i=<tenant number> -v n=<products> -f generate_tenant.sql
-- Tenant `b<i>` (host b<i>.localhost), Spanish with PEN, every third one English with USD.
-- 20 approved vendors, 126 categories three levels deep, 1-4 variants per product with stock
-- (15% sold out), tags, attributes, one translation for half the products, an image for 80%.
-- The search index is then rebuilt with the tenant set, as the app would (SECURITY DEFINER).
\set ON_ERROR_STOP on
begin;
select format('b%s', lpad(:'i', 3, '0')) as slug,
       case when :i % 3 = 0 then 'en' else 'es' end as loc,
       case when :i % 3 = 0 then 'USD' else 'PEN' end as cur \gset
select setseed(((:i * 7919) % 1000) / 1000.0) \g /dev/null

create temp table w (k int primary key, es text, en text) on commit drop;
create temp table wl (list text, k int, es text, en text, primary key (list, k)) on commit drop;
insert into wl (list, k, es, en)
select l, ord, e, n from (values
  ('type', array['vestido','blusa','polo','camisa','pantalón','jean','casaca','chompa','falda','short',
                 'zapatilla','sandalia','bolso','mochila','gorra','polera','buzo','pijama','medias','correa',
                 'chaleco','abrigo','bermuda','leggings','top','enterizo','saco','bividí','botín','mocasín'],
           array['dress','blouse','t-shirt','shirt','trousers','jeans','jacket','sweater','skirt','shorts',
                 'sneaker','sandal','handbag','backpack','cap','sweatshirt','tracksuit','pajamas','socks','belt',
                 'vest','coat','bermudas','leggings','top','jumpsuit','blazer','tank top','ankle boot','loafer']),
  ('adj', array['floral','clásico','deportivo','elegante','casual','estampado','bordado','oversize','slim','vintage',
                'acolchado','ligero','térmico','impermeable','infantil','juvenil','premium','básico','playero','formal'],
          array['floral','classic','sports','elegant','casual','printed','embroidered','oversized','slim','vintage',
                'quilted','light','thermal','waterproof','kids','youth','premium','basic','beach','formal']),
  ('mat', array['algodón','lino','denim','seda','lana','poliéster','cuero','gamuza','franela','polar','drill','chalis'],
          array['cotton','linen','denim','silk','wool','polyester','leather','suede','flannel','fleece','twill','rayon']),
  ('color', array['rojo','azul','negro','blanco','verde','amarillo','rosado','gris','beige','marrón','morado','celeste'],
            array['red','blue','black','white','green','yellow','pink','grey','beige','brown','purple','sky blue']),
  ('size', array['xs','s','m','l','xl','xxl'], array['xs','s','m','l','xl','xxl']),
  ('tag', array['oferta','nuevo','verano','invierno','gamarra','hecho en perú','unisex','mujer','hombre','niños',
                'fiesta','oficina','running','yoga','playa'],
          array['sale','new','summer','winter','gamarra','made in peru','unisex','women','men','kids',
                'party','office','running','yoga','beach']),
  ('top', array['Mujer','Hombre','Niños','Calzado','Accesorios','Deportes'],
          array['Women','Men','Kids','Shoes','Accessories','Sports']),
  ('mid', array['Ropa','Ropa interior','Temporada','Ocasión'], array['Clothing','Underwear','Season','Occasion']),
  ('leaf', array['Básicos','Novedades','Ofertas','Tallas grandes'], array['Basics','New in','Sale','Plus size'])
) v(l, es_a, en_a)
cross join lateral unnest(es_a, en_a) with ordinality u(e, n, ord);

-- Random picks: the k-th word of a list (1-based) in the tenant's language or the other one.
create function pg_temp.word(l text, k int, lang text) returns text language sql stable as
  $$ select case lang when 'en' then en else es end from wl where list = l and wl.k = $2 $$;
create function pg_temp.len(l text) returns int language sql stable as
  $$ select count(*)::int from wl where list = l $$;

select gen_random_uuid() as tid, gen_random_uuid() as admin \gset
select set_config('app.tenant_id', :'tid', true), set_config('app.user_id', :'admin', true) \g /dev/null
insert into tenants (id, slug, name, default_locale, currency)
values (:'tid', :'slug', 'Bench ' || :'slug', :'loc', :'cur');
insert into users (id, tenant_id, email, password_hash, email_verified_at)
values (:'admin', :'tid', 'admin@' || :'slug' || '.test', 'x', now());
insert into user_roles (tenant_id, user_id, role) values (:'tid', :'admin', 'admin');

create temp table vend on commit drop as
select g as k, gen_random_uuid() as id, gen_random_uuid() as user_id from generate_series(1, 20) g;
insert into users (id, tenant_id, email, password_hash, email_verified_at)
select user_id, :'tid', format('vendor%s@%s.test', k, :'slug'), 'x', now() from vend;
insert into vendors (id, tenant_id, user_id, slug, name, contact_email, status)
select id, :'tid', user_id, format('tienda-%s', k),
       (array['Confecciones','Textiles','Moda','Boutique','Creaciones','Importaciones','Calzados','Diseños'])[1 + k % 8]
         || ' ' || (array['Rosita','Andina','Lucero','Gamarra','del Sol','Inca','Mi Perú','Santa Rosa','La Victoria','Sisa'])[1 + k % 10]
         || ' ' || k,
       format('vendor%s@%s.test', k, :'slug'), 'approved'
  from vend;

-- The category tree: 6 top, 4 children each, 4 grandchildren each (126 categories).
create temp table cat (id uuid, parent uuid, path uuid[], lvl int, name text, other text, slug text) on commit drop;
insert into cat
select gen_random_uuid(), null, null, 1, pg_temp.word('top', a, :'loc'), pg_temp.word('top', a, case :'loc' when 'en' then 'es' else 'en' end), 'c' || a
  from generate_series(1, 6) a;
update cat set path = array[id];
insert into cat
select gen_random_uuid(), c.id, null, 2, pg_temp.word('mid', b, :'loc') || ' ' || c.name,
       pg_temp.word('mid', b, case :'loc' when 'en' then 'es' else 'en' end) || ' ' || c.other, c.slug || '-' || b
  from cat c, generate_series(1, 4) b where c.lvl = 1;
update cat c set path = array[p.id, c.id] from cat p where p.id = c.parent and c.lvl = 2;
insert into cat
select gen_random_uuid(), c.id, null, 3, pg_temp.word('leaf', x, :'loc') || ' ' || c.name,
       pg_temp.word('leaf', x, case :'loc' when 'en' then 'es' else 'en' end) || ' ' || c.other, c.slug || '-' || x
  from cat c, generate_series(1, 4) x where c.lvl = 2;
update cat c set path = p.path || c.id from cat p where p.id = c.parent and c.lvl = 3;
insert into categories (id, tenant_id, parent_id, path, slug, name)
select id, :'tid', parent, path, slug, name from cat order by lvl;
insert into category_translations (tenant_id, category_id, locale, name)
select :'tid', id, case :'loc' when 'en' then 'es' else 'en' end, other from cat;

-- Products: word indexes drawn once, texts built from them in both languages.
create temp table prod on commit drop as
select g, gen_random_uuid() as id,
       1 + (random() * 29)::int as ty, 1 + (random() * 19)::int as ad, 1 + (random() * 11)::int as ma,
       1 + (random() * 11)::int as co, 1 + (random() * 19)::int as ve,
       1 + (random() * 3)::int as nvar, (1500 + (random() * 48500)::int / 100 * 100) as price,
       now() - random() * interval '365 days' as published,
       1 + (random() * 14)::int as t1, 1 + (random() * 14)::int as t2, 1 + (random() * 14)::int as t3,
       random() < 0.5 as translated, random() < 0.8 as has_image, random() < 0.15 as sold_out,
       random() as r
  from generate_series(1, :n) g;
alter table prod add column cat uuid;
update prod set cat = (select id from cat where lvl = 3 order by id offset floor(prod.r * 96)::int limit 1);

insert into products (id, tenant_id, vendor_id, slug, title, description, status, attributes, published_at, created_at)
select p.id, :'tid', v.id,
       format('p-%s-%s', p.g, translate(lower(pg_temp.word('type', ty, :'loc')), ' áéíóú', '-aeiou')),
       initcap(pg_temp.word('type', ty, :'loc')) || ' ' || pg_temp.word('adj', ad, :'loc')
         || case :'loc' when 'en' then ' in ' else ' de ' end || pg_temp.word('mat', ma, :'loc')
         || ' ' || pg_temp.word('color', co, :'loc'),
       case :'loc' when 'en' then
         format('%s %s made of %s, %s colour. Comfortable fit for every day, easy care and durable finish. Sold by %s, sizes %s to %s.',
                initcap(pg_temp.word('adj', ad, 'en')), pg_temp.word('type', ty, 'en'), pg_temp.word('mat', ma, 'en'),
                pg_temp.word('color', co, 'en'), 'vendor ' || p.ve, 'S', 'XL')
       else
         format('%s %s confeccionado en %s, color %s. Corte cómodo para el día a día, fácil de lavar y con acabados duraderos. Tallas de la %s a la %s.',
                initcap(pg_temp.word('type', ty, 'es')), pg_temp.word('adj', ad, 'es'), pg_temp.word('mat', ma, 'es'),
                pg_temp.word('color', co, 'es'), 'S', 'XL')
       end,
       'active',
       jsonb_build_object(case :'loc' when 'en' then 'material' else 'material' end, pg_temp.word('mat', ma, :'loc'),
                          case :'loc' when 'en' then 'style' else 'estilo' end, pg_temp.word('adj', ad, :'loc')),
       p.published, p.published - interval '1 day'
  from prod p join vend v on v.k = p.ve;

insert into product_translations (tenant_id, product_id, locale, title, description)
select :'tid', p.id, case :'loc' when 'en' then 'es' else 'en' end,
       initcap(pg_temp.word('type', ty, case :'loc' when 'en' then 'es' else 'en' end)) || ' '
         || pg_temp.word('adj', ad, case :'loc' when 'en' then 'es' else 'en' end)
         || case :'loc' when 'en' then ' de ' else ' in ' end
         || pg_temp.word('mat', ma, case :'loc' when 'en' then 'es' else 'en' end) || ' '
         || pg_temp.word('color', co, case :'loc' when 'en' then 'es' else 'en' end),
       null
  from prod p where translated;

insert into product_tags (tenant_id, product_id, tag)
select distinct :'tid'::uuid, p.id, pg_temp.word('tag', t, :'loc')::citext
  from prod p cross join lateral (values (t1), (t2), (t3)) x(t);

insert into product_categories (tenant_id, product_id, category_id)
select :'tid', id, cat from prod;

create temp table var on commit drop as
select gen_random_uuid() as id, p.id as product_id, p.g, s as pos,
       pg_temp.word('size', 1 + (s + p.g) % 6, 'es') as size, pg_temp.word('color', p.co, :'loc') as color,
       p.price + (s - 1) * 500 as price, case when p.sold_out then 0 else (random() * 40)::int end as stock
  from prod p cross join lateral generate_series(1, p.nvar) s;
insert into product_variants (id, tenant_id, product_id, sku, options, price_minor, currency, position)
select id, :'tid', product_id, format('SKU-%s-%s', g, pos),
       jsonb_build_object(case :'loc' when 'en' then 'size' else 'talla' end, size, 'color', color),
       price, :'cur', pos
  from var;
insert into inventory (variant_id, tenant_id, product_id, on_hand, reserved)
select id, :'tid', product_id, stock, 0 from var;

insert into product_images (id, tenant_id, product_id, object_key, content_type, size_bytes, position, status)
select gen_random_uuid(), :'tid', id, format('t/%s/products/%s/1.jpg', :'tid', id), 'image/jpeg', 48000, 0, 'ready'
  from prod where has_image;

commit;
-- Fresh statistics first: the rebuild's per-product lookups are planned with them.
analyze tenants, users, vendors, categories, products, product_variants, inventory, product_tags,
  product_categories, product_translations, product_images;
begin;
select set_config('app.tenant_id', :'tid', true) \g /dev/null
select product_search_rebuild() as indexed \gset
commit;
analyze product_search, product_search_terms;
\echo tenant :slug (:loc) indexed :indexed products
