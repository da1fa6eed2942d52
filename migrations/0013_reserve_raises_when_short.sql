-- Checkout now reserves stock and commits in one round trip (`TenantTx::commit_after`), so the
-- popular variant's row stays locked for the reservation and the commit's WAL flush only. A
-- reservation that finds a line short must therefore *raise*: an answer saying "not reserved"
-- would be followed by the COMMIT of the order already written. The short lines travel in the
-- error's DETAIL as JSON `[[variant_id, requested, available], …]` under SQLSTATE GM409.
--
-- It also runs two queries instead of five (every checkout pays for each one's executor start):
-- the argument checks are plain expressions, and locking the rows and finding the short lines
-- are one statement. Lines naming the same variant twice are added up.
drop function inventory_reserve(uuid[], integer[]);

-- Reserves every line or none. Returns each variant with what can be sold after the reservation.
create function inventory_reserve(p_variants uuid[], p_quantities integer[])
  returns table (variant_id uuid, available integer)
  language plpgsql volatile security definer
  set search_path = public, pg_temp
  as $$
#variable_conflict use_column
declare
  short jsonb;
begin
  if app_current_tenant() is null then
    raise exception 'stock moves need a tenant' using errcode = 'insufficient_privilege';
  end if;
  if cardinality(p_variants) is distinct from cardinality(p_quantities)
     or not coalesce(0 < all(p_quantities), false) then
    raise exception 'stock lines need a positive quantity each'
      using errcode = 'invalid_parameter_value';
  end if;
  -- The rows are locked in variant order (checkouts over the same variants queue instead of
  -- deadlocking); a row updated while we waited is read as committed (FOR UPDATE returns the
  -- newest version). Materialized: locked once, not again for every line.
  with locked as materialized (
    select i.variant_id, i.on_hand - i.reserved as available
      from inventory i
     where i.variant_id = any(p_variants)
     order by i.variant_id
       for update
  )
  select jsonb_agg(jsonb_build_array(l.v, l.q, coalesce(k.available, 0)) order by l.v)
           filter (where k.available is null or k.available < l.q)
    into short
    from (select u.v, sum(u.q)::integer as q
            from unnest(p_variants, p_quantities) u(v, q) group by u.v) l
    left join locked k on k.variant_id = l.v;
  if short is not null then
    raise exception 'some lines are out of stock' using errcode = 'GM409', detail = short::text;
  end if;
  return query
  update inventory i
     set reserved = i.reserved + l.q
    from (select u.v, sum(u.q)::integer as q
            from unnest(p_variants, p_quantities) u(v, q) group by u.v) l
   where i.variant_id = l.v
  returning i.variant_id, i.on_hand - i.reserved;
end
$$;

revoke execute on function inventory_reserve(uuid[], integer[]) from public;
grant execute on function inventory_reserve(uuid[], integer[]) to gamarriando_app;
