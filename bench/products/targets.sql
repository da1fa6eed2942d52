-- What the load generators rotate over, in plain tables of the benchmark database (run as the
-- superuser after generate_tenant.sql; readable by the runtime role so pgbench can pick from them
-- in the same statement that uses them, no extra round trip).
\set ON_ERROR_STOP on
set client_min_messages = warning;
drop table if exists bench_hosts, bench_categories, bench_queries, bench_prefixes;

create table bench_hosts (n serial primary key, tid uuid not null, host text not null, locale text not null);
insert into bench_hosts (tid, host, locale)
select id, slug || '.localhost', default_locale from tenants
 where kind = 'marketplace' and slug ~ '^b[0-9]{3}$' order by slug;

-- Every category of every tenant (all three levels: subtrees of every size).
create table bench_categories (n serial primary key, tid uuid not null, host text not null,
                               locale text not null, category uuid not null);
insert into bench_categories (tid, host, locale, category)
select h.tid, h.host, h.locale, c.id from bench_hosts h join categories c on c.tenant_id = h.tid
 order by h.n, c.slug;

-- 48 searches of one to three words, half Spanish, half English; the reader's language goes with
-- them (Accept-Language), so an English query on a Spanish marketplace searches its translations.
create table bench_queries (n serial primary key, q text not null, locale text not null);
insert into bench_queries (q, locale) values
  ('vestido', 'es'), ('polo', 'es'), ('zapatillas', 'es'), ('casaca de cuero', 'es'),
  ('vestido floral', 'es'), ('jean slim', 'es'), ('blusa de seda', 'es'), ('chompa de lana', 'es'),
  ('polera oversize', 'es'), ('mochila', 'es'), ('falda plisada', 'es'), ('camisa de lino blanca', 'es'),
  ('pantalón', 'es'), ('buzo deportivo', 'es'), ('sandalias de playa', 'es'), ('gorra', 'es'),
  ('abrigo térmico', 'es'), ('algodon', 'es'), ('vestido rojo', 'es'), ('polo negro algodón', 'es'),
  ('bolso de cuero marrón', 'es'), ('pijama infantil', 'es'), ('medias', 'es'), ('casaca impermeable azul', 'es'),
  ('dress', 'en'), ('t-shirt', 'en'), ('sneakers', 'en'), ('leather jacket', 'en'),
  ('floral dress', 'en'), ('slim jeans', 'en'), ('silk blouse', 'en'), ('wool sweater', 'en'),
  ('oversized sweatshirt', 'en'), ('backpack', 'en'), ('skirt', 'en'), ('white linen shirt', 'en'),
  ('trousers', 'en'), ('sports tracksuit', 'en'), ('beach sandals', 'en'), ('cap', 'en'),
  ('thermal coat', 'en'), ('cotton', 'en'), ('red dress', 'en'), ('black cotton t-shirt', 'en'),
  ('brown leather handbag', 'en'), ('kids pajamas', 'en'), ('socks', 'en'), ('blue waterproof jacket', 'en');

-- What people type into a search box: prefixes of three letters and more, a few typos.
create table bench_prefixes (n serial primary key, q text not null, locale text not null);
insert into bench_prefixes (q, locale) values
  ('ves', 'es'), ('vest', 'es'), ('vestid', 'es'), ('vestdo', 'es'), ('pol', 'es'), ('pole', 'es'),
  ('zapa', 'es'), ('zapatila', 'es'), ('casa', 'es'), ('cas', 'es'), ('chom', 'es'), ('blus', 'es'),
  ('pant', 'es'), ('pantalon', 'es'), ('fald', 'es'), ('moch', 'es'), ('gorr', 'es'), ('abri', 'es'),
  ('algod', 'es'), ('vestido flo', 'es'), ('polo neg', 'es'), ('bolso cue', 'es'), ('sanda', 'es'), ('buz', 'es'),
  ('dre', 'en'), ('dres', 'en'), ('sne', 'en'), ('sneeker', 'en'), ('jack', 'en'), ('jaket', 'en'),
  ('swea', 'en'), ('blou', 'en'), ('trou', 'en'), ('skir', 'en'), ('back', 'en'), ('coa', 'en'),
  ('cott', 'en'), ('leath', 'en'), ('floral dr', 'en'), ('red dre', 'en'), ('pajam', 'en'), ('soc', 'en');

grant select on bench_hosts, bench_categories, bench_queries, bench_prefixes to gamarriando_app;
select (select count(*) from bench_hosts) as hosts, (select count(*) from bench_categories) as categories,
       (select count(*) from bench_queries) as queries, (select count(*) from bench_prefixes) as prefixes;
