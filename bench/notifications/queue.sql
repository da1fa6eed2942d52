-- Queues :events `order.placed` events (as checkout writes them) for the benchmark's customers,
-- in one transaction, as the superuser.
\set ON_ERROR_STOP on
begin;
select set_config('app.tenant_id', '01a20000-0000-7000-8000-000000000001', true) \g /dev/null
with c as (select id, row_number() over () as n, count(*) over () as total from bench_customers)
insert into outbox (id, tenant_id, topic, aggregate_id, payload)
select o, '01a20000-0000-7000-8000-000000000001', 'order.placed', o,
       jsonb_build_object('order_id', o, 'number', 'BN-' || g, 'customer_id', c.id,
                          'vendor_ids', '[]'::jsonb, 'total_minor', 1000 + g, 'currency', 'PEN',
                          'item_count', 1, 'locale', 'es')
  from (select g, gen_random_uuid() as o from generate_series(1, :events) g) e
  join c on c.n = 1 + e.g % c.total;
commit;
