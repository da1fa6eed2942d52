-- Checkout now reserves stock and commits in one round trip (`TenantTx::commit_after`), so the
-- popular variant's row stays locked for the reservation and the commit's WAL flush only. A
-- reservation that finds a line short must therefore *raise*: an answer saying "not reserved"
-- would be followed by the COMMIT of the order already written. The short lines travel in the
-- error's DETAIL as JSON `[[variant_id, requested, available], …]` under SQLSTATE GM409.
drop function inventory_reserve(uuid[], integer[]);

-- Reserves every line or none. Returns each line with what can be sold after the reservation.
create function inventory_reserve(p_variants uuid[], p_quantities integer[])
  returns table (variant_id uuid, available integer)
  language plpgsql volatile security definer
  set search_path = public, pg_temp
  as $$
#variable_conflict use_column
declare
  short jsonb;
begin
  perform inventory_lock(p_variants, p_quantities);
  select jsonb_agg(jsonb_build_array(l.v, l.q, coalesce(i.on_hand - i.reserved, 0)) order by l.v)
    into short
    from unnest(p_variants, p_quantities) l(v, q)
    left join inventory i on i.variant_id = l.v
   where i.variant_id is null or i.on_hand - i.reserved < l.q;
  if short is not null then
    raise exception 'some lines are out of stock' using errcode = 'GM409', detail = short::text;
  end if;
  return query
  update inventory i
     set reserved = i.reserved + l.q
    from unnest(p_variants, p_quantities) l(v, q)
   where i.variant_id = l.v
  returning i.variant_id, i.on_hand - i.reserved;
end
$$;

revoke execute on function inventory_reserve(uuid[], integer[]) from public;
grant execute on function inventory_reserve(uuid[], integer[]) to gamarriando_app;
