-- pgbench -M prepared: what GET /api/v1/products?category=…&limit=20 runs, as the runtime role:
-- the tenant transaction (BEGIN + settings), the page function, COMMIT. The tenant and category
-- come from the rotation table in the same statements (a primary-key lookup each).
\set k random(1, :ncategories)
begin;
select set_config('app.tenant_id', tid::text, true), set_config('app.user_id', '', true) from bench_categories where n = :k;
select * from product_search_page((select jsonb_build_object('locale', locale, 'category', category, 'sort', 'newest', 'limit', 21) from bench_categories where n = :k));
commit;
