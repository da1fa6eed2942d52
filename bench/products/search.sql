-- pgbench -M prepared: what GET /api/v1/products/search?q=…&limit=20 runs on a cache miss: the
-- facet counts in one tenant transaction, the first page by relevance in another.
\set h random(1, :nhosts)
\set j random(1, :nqueries)
begin;
select set_config('app.tenant_id', tid::text, true), set_config('app.user_id', '', true) from bench_hosts where n = :h;
select * from product_search_facets((select jsonb_build_object('q', q, 'locale', locale) from bench_queries where n = :j));
commit;
begin;
select set_config('app.tenant_id', tid::text, true), set_config('app.user_id', '', true) from bench_hosts where n = :h;
select * from product_search_page((select jsonb_build_object('q', q, 'locale', locale, 'sort', 'relevance', 'limit', 21) from bench_queries where n = :j));
commit;
