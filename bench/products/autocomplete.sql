-- pgbench -M prepared: what GET /api/v1/products/autocomplete?q=… runs on a cache miss.
\set h random(1, :nhosts)
\set j random(1, :nprefixes)
begin;
select set_config('app.tenant_id', tid::text, true), set_config('app.user_id', '', true) from bench_hosts where n = :h;
select * from product_search_suggest((select q from bench_prefixes where n = :j), (select locale from bench_prefixes where n = :j), 10);
commit;
