-- After the runs (as the superuser, which RLS does not bind): what checkout sold is exactly what
-- it reserved. Per part of the benchmark (distinct, hot, short): units in order items, the rise of
-- `reserved` since generate.sql (opening reserved 0), on hand unchanged (a reservation does not
-- move it), variants whose reserved differs from their units sold, and variants with reserved
-- above on hand (oversold; the table's check forbids it, so this must be 0 whatever happens).
-- No order expires during the runs (run.sh sets a long payment timeout), so nothing was released.
\pset footer off
with sold as (
  select variant_id, sum(quantity) as units, count(distinct order_id) as orders
    from order_items group by variant_id
)
select b.part,
       count(*) filter (where s.units > 0) as variants_sold,
       coalesce(sum(s.orders), 0) as orders,
       coalesce(sum(s.units), 0) as units_sold,
       sum(i.reserved) as reserved_rise,
       sum(i.on_hand - b.opening_stock) as on_hand_change,
       count(*) filter (where i.reserved <> coalesce(s.units, 0)) as mismatched,
       count(*) filter (where i.reserved > i.on_hand) as oversold,
       min(i.on_hand - i.reserved) as min_available
  from bench_variants b
  join inventory i on i.variant_id = b.variant_id
  left join sold s on s.variant_id = b.variant_id
 group by b.part order by b.part;
select (select count(*) from orders) as orders, (select count(*) from vendor_orders) as vendor_orders,
       (select count(*) from order_items) as items, (select count(*) from shipping_addresses) as addresses,
       (select count(*) from order_status_history) as history,
       (select count(*) from outbox where topic = 'order.placed') as placed_events,
       (select count(*) from idempotency_keys) as idempotency_records;
