-- Order service: carts, orders split into one vendor order per vendor, items, shipping address
-- snapshots, status history and tracking; plus the product service's stock functions that
-- checkout, payment and cancellation call inside their own transaction.
--
-- Isolation, as in the catalogue, has two layers: the forced tenant policy on every table, and
-- RESTRICTIVE policies for the runtime role saying which parties of an order see and write its
-- rows (the customer, the vendors with a part in it, the tenant's admins). The restrictive
-- policies name `gamarriando_app` only: the SECURITY DEFINER functions below run as the owner and
-- stay bound by the tenant policy alone, so they can do exactly what they were written for (move
-- stock for a customer's checkout) in the caller's tenant and nowhere else.

-- ---------------------------------------------------------------------------------------------
-- Tenant settings the order totals need. Prices are shown as entered; `tax_inclusive` says
-- whether they already include the tax (IGV in Peru is usually included).
alter table tenants
  add column tax_rate_bps integer not null default 0 check (tax_rate_bps between 0 and 10000),
  add column tax_inclusive boolean not null default true;

-- ---------------------------------------------------------------------------------------------
-- Stock moves for orders (product service). A customer may not write inventory (only the
-- product's vendor and the admins may: migration 0005), so checkout reserves through these
-- definer functions. Every one locks the stock rows it touches in variant-id order, so two
-- transactions moving overlapping sets of variants queue instead of deadlocking, and checks its
-- input: one row per variant, positive quantities.
-- A UUIDv7 (millisecond time first, like `Uuid::now_v7()`), for rows written by SQL into tables
-- listed by id (the stock history): a v4 would sort at random among the v7 ids.
create function app_uuid_v7() returns uuid
  language sql volatile
  as $$
    select encode(set_bit(set_bit(overlay(uuid_send(gen_random_uuid())
             placing substring(int8send(floor(extract(epoch from clock_timestamp()) * 1000)::bigint) from 3)
             from 1 for 6), 52, 1), 53, 1), 'hex')::uuid
  $$;

alter policy product_owner_insert on inventory to gamarriando_app;
alter policy product_owner_update on inventory to gamarriando_app;
alter policy product_owner_delete on inventory to gamarriando_app;
alter policy product_owner_insert on inventory_adjustments to gamarriando_app;
alter policy product_owner_update on inventory_adjustments to gamarriando_app;
alter policy product_owner_delete on inventory_adjustments to gamarriando_app;
alter policy product_owner_select on inventory_adjustments to gamarriando_app;

create function inventory_lock(p_variants uuid[], p_quantities integer[]) returns void
  language plpgsql volatile
  set search_path = public, pg_temp
  as $$
begin
  if app_current_tenant() is null then
    raise exception 'stock moves need a tenant' using errcode = 'insufficient_privilege';
  end if;
  if cardinality(p_variants) is distinct from cardinality(p_quantities)
     or exists (select from unnest(p_quantities) q where q is null or q <= 0)
     or (select count(distinct v) from unnest(p_variants) v) <> cardinality(p_variants) then
    raise exception 'stock lines must be distinct variants with positive quantities'
      using errcode = 'invalid_parameter_value';
  end if;
  perform 1 from inventory i
   where i.variant_id = any(p_variants)
   order by i.variant_id
   for update;
end
$$;

-- Reserves every line or none. Returns each line with what can be sold: after the reservation
-- when all were reserved (`reserved`), or as it stands when some line is short (then nothing
-- was reserved, and the lines with `available < requested` are the short ones).
create function inventory_reserve(p_variants uuid[], p_quantities integer[])
  returns table (variant_id uuid, requested integer, available integer, reserved boolean)
  language plpgsql volatile security definer
  set search_path = public, pg_temp
  as $$
#variable_conflict use_column
begin
  perform inventory_lock(p_variants, p_quantities);
  if exists (select from unnest(p_variants, p_quantities) l(v, q)
               left join inventory i on i.variant_id = l.v
              where i.variant_id is null or i.on_hand - i.reserved < l.q) then
    return query
    select l.v, l.q, coalesce(i.on_hand - i.reserved, 0), false
      from unnest(p_variants, p_quantities) l(v, q)
      left join inventory i on i.variant_id = l.v;
    return;
  end if;
  return query
  update inventory i
     set reserved = i.reserved + l.q
    from unnest(p_variants, p_quantities) l(v, q)
   where i.variant_id = l.v
  returning i.variant_id, l.q, i.on_hand - i.reserved, true;
end
$$;

-- Gives back what an unpaid order held. A variant deleted since then has nothing to give back.
create function inventory_release(p_variants uuid[], p_quantities integer[])
  returns table (variant_id uuid, available integer)
  language plpgsql volatile security definer
  set search_path = public, pg_temp
  as $$
#variable_conflict use_column
begin
  perform inventory_lock(p_variants, p_quantities);
  return query
  update inventory i
     set reserved = i.reserved - l.q
    from unnest(p_variants, p_quantities) l(v, q)
   where i.variant_id = l.v
  returning i.variant_id, i.on_hand - i.reserved;
end
$$;

-- A paid order's reservation becomes a sale: the units leave `on_hand` and the history says so.
create function inventory_commit(p_variants uuid[], p_quantities integer[], p_note text)
  returns void
  language plpgsql volatile security definer
  set search_path = public, pg_temp
  as $$
begin
  perform inventory_lock(p_variants, p_quantities);
  with sold as (
    update inventory i
       set on_hand = i.on_hand - l.q, reserved = i.reserved - l.q
      from unnest(p_variants, p_quantities) l(v, q)
     where i.variant_id = l.v
    returning i.tenant_id, i.product_id, i.variant_id, l.q, i.on_hand
  )
  insert into inventory_adjustments (id, tenant_id, product_id, variant_id, delta, reason, note, on_hand_after, actor_id)
  select app_uuid_v7(), tenant_id, product_id, variant_id, -q, 'sold', left(p_note, 500), on_hand, app_current_user()
    from sold;
end
$$;

-- A paid order cancelled before shipping puts its units back on hand.
create function inventory_restock(p_variants uuid[], p_quantities integer[], p_note text)
  returns table (variant_id uuid, available integer)
  language plpgsql volatile security definer
  set search_path = public, pg_temp
  as $$
#variable_conflict use_column
begin
  perform inventory_lock(p_variants, p_quantities);
  return query
  with back as (
    update inventory i
       set on_hand = i.on_hand + l.q
      from unnest(p_variants, p_quantities) l(v, q)
     where i.variant_id = l.v
    returning i.tenant_id, i.product_id, i.variant_id, l.q, i.on_hand, i.reserved
  ), logged as (
    insert into inventory_adjustments (id, tenant_id, product_id, variant_id, delta, reason, note, on_hand_after, actor_id)
    select app_uuid_v7(), tenant_id, product_id, variant_id, q, 'returned', left(p_note, 500), on_hand, app_current_user()
      from back
  )
  select b.variant_id, b.on_hand - b.reserved from back b;
end
$$;

-- ---------------------------------------------------------------------------------------------
-- Party policies for the runtime role, AND-ed with the tenant policy. The predicates are written
-- out rather than wrapped in a helper function: a SQL function whose body holds a sub-select is
-- never inlined, so it would run (and be planned) once per row; written out, each
-- `(select app_current_…())` is an InitPlan evaluated at most once per statement.
create procedure app_restrict_to_order_parties(tbl regclass, predicate text)
  language plpgsql
  as $$
begin
  execute format('create policy order_party on %s as restrictive to gamarriando_app
                    using (%s) with check (%s)', tbl, predicate, predicate);
end
$$;

-- ---------------------------------------------------------------------------------------------
-- Carts: one per customer, or per guest behind an opaque token (only its SHA-256 is stored).
create table carts (
  id               uuid primary key,
  tenant_id        uuid not null references tenants (id),
  customer_id      uuid,
  token_hash       bytea check (length(token_hash) = 32),
  created_at       timestamptz not null default now(),
  updated_at       timestamptz not null default now(),
  check ((customer_id is null) <> (token_hash is null)),
  unique (tenant_id, customer_id),
  unique (tenant_id, token_hash),
  unique (tenant_id, id),
  foreign key (tenant_id, customer_id) references users (tenant_id, id) on delete cascade
);
create index carts_guest_age on carts (updated_at) where customer_id is null;
create trigger carts_touch before update on carts for each row execute function app_touch_updated_at();
call app_isolate_by_tenant('carts');
-- A customer's cart is theirs alone; a guest cart is reached only by whoever holds its token.
call app_restrict_to_order_parties('carts',
  'customer_id is null or customer_id = (select app_current_user())');

create table cart_items (
  tenant_id        uuid not null,
  cart_id          uuid not null,
  variant_id       uuid not null,
  quantity         integer not null check (quantity between 1 and 999),
  added_at         timestamptz not null default now(),
  primary key (cart_id, variant_id),
  foreign key (tenant_id, cart_id) references carts (tenant_id, id) on delete cascade,
  foreign key (tenant_id, variant_id) references product_variants (tenant_id, id) on delete cascade
);
call app_isolate_by_tenant('cart_items');
call app_restrict_to_order_parties('cart_items', 'exists (select from carts c where c.id = cart_id)');

-- ---------------------------------------------------------------------------------------------
-- Orders. Amounts are minor units of `currency`; the order's are the sums of its vendor orders'.
-- Items and addresses are snapshots: later catalogue or address-book edits never change an order.
create table orders (
  id               uuid primary key,
  -- No key to `tenants` (see outbox): the one to `users` below already pins the tenant.
  tenant_id        uuid not null,
  number           text not null check (number ~ '^[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}$'),
  customer_id      uuid not null,
  status           text not null check (status in ('pending_payment', 'paid', 'processing', 'shipped',
                     'delivered', 'cancelled', 'refunded', 'partially_refunded')),
  currency         char(3) not null check (currency ~ '^[A-Z]{3}$'),
  subtotal_minor   bigint not null check (subtotal_minor >= 0),
  shipping_minor   bigint not null check (shipping_minor >= 0),
  tax_minor        bigint not null check (tax_minor >= 0),
  total_minor      bigint not null check (total_minor >= 0),
  tax_rate_bps     integer not null check (tax_rate_bps between 0 and 10000),
  tax_inclusive    boolean not null,
  item_count       integer not null check (item_count > 0),
  locale           text not null check (locale in ('es', 'en')),
  note             text check (length(note) <= 500),
  -- Unpaid orders are cancelled (and their stock released) after this.
  expires_at       timestamptz not null,
  placed_at        timestamptz not null default now(),
  paid_at          timestamptz,
  cancelled_at     timestamptz,
  updated_at       timestamptz not null default now(),
  unique (tenant_id, number),
  unique (tenant_id, id),
  foreign key (tenant_id, customer_id) references users (tenant_id, id)
);
create index orders_customer on orders (tenant_id, customer_id, placed_at desc, id desc);
create index orders_tenant on orders (tenant_id, placed_at desc, id desc);
create index orders_unpaid on orders (expires_at) where status = 'pending_payment';
create trigger orders_touch before update on orders for each row execute function app_touch_updated_at();
call app_isolate_by_tenant('orders');
-- The expiry sweep finds unpaid orders of every tenant (in the platform scope, through
-- `orders_expired`, as the owner only).
create policy expiry on orders to current_user
  using ((select app_current_tenant()) = app_platform_tenant())
  with check ((select app_current_tenant()) = app_platform_tenant());

-- One per vendor in an order: what that vendor must ship, and its own status.
create table vendor_orders (
  id               uuid primary key,
  tenant_id        uuid not null,
  order_id         uuid not null,
  vendor_id        uuid not null,
  customer_id      uuid not null,
  number           text not null,
  status           text not null check (status in ('pending_payment', 'paid', 'processing', 'shipped',
                     'delivered', 'cancelled', 'refunded')),
  subtotal_minor   bigint not null check (subtotal_minor >= 0),
  shipping_minor   bigint not null check (shipping_minor >= 0),
  tax_minor        bigint not null check (tax_minor >= 0),
  total_minor      bigint not null check (total_minor >= 0),
  created_at       timestamptz not null default now(),
  updated_at       timestamptz not null default now(),
  unique (order_id, vendor_id),
  unique (tenant_id, id),
  foreign key (tenant_id, order_id) references orders (tenant_id, id) on delete cascade,
  foreign key (tenant_id, vendor_id) references vendors (tenant_id, id)
);
create index vendor_orders_vendor on vendor_orders (tenant_id, vendor_id, created_at desc, id desc);
create trigger vendor_orders_touch before update on vendor_orders for each row execute function app_touch_updated_at();
call app_isolate_by_tenant('vendor_orders');
-- Its customer, its vendor, the admins.
call app_restrict_to_order_parties('vendor_orders',
  'customer_id = (select app_current_user()) or vendor_id = (select app_current_vendor()) or (select app_is_tenant_admin())');

-- An order is seen by its customer, the admins and the vendors with a part in it.
call app_restrict_to_order_parties('orders',
  'customer_id = (select app_current_user()) or (select app_is_tenant_admin())
   or exists (select from vendor_orders vo
               where vo.order_id = orders.id and vo.vendor_id = (select app_current_vendor()))');

create table order_items (
  id               uuid primary key,
  tenant_id        uuid not null,
  order_id         uuid not null,
  vendor_order_id  uuid not null,
  vendor_id        uuid not null,
  customer_id      uuid not null,
  product_id       uuid not null,
  variant_id       uuid not null,
  sku              text not null,
  title            text not null,
  variant_title    text,
  options          jsonb not null default '{}',
  unit_price_minor bigint not null check (unit_price_minor >= 0),
  quantity         integer not null check (quantity between 1 and 999),
  total_minor      bigint not null check (total_minor = unit_price_minor * quantity),
  foreign key (tenant_id, vendor_order_id) references vendor_orders (tenant_id, id) on delete cascade
);
create index order_items_vendor_order on order_items (vendor_order_id, id);
call app_isolate_by_tenant('order_items');
call app_restrict_to_order_parties('order_items',
  'customer_id = (select app_current_user()) or vendor_id = (select app_current_vendor()) or (select app_is_tenant_admin())');

create table shipping_addresses (
  order_id         uuid primary key,
  tenant_id        uuid not null,
  customer_id      uuid not null,
  recipient        text not null check (length(recipient) between 1 and 100),
  phone            text check (length(phone) <= 32),
  line1            text not null check (length(line1) between 1 and 200),
  line2            text check (length(line2) <= 200),
  city             text not null check (length(city) between 1 and 100),
  region           text check (length(region) <= 100),
  postal_code      text check (length(postal_code) <= 20),
  country          char(2) not null check (country ~ '^[A-Z]{2}$'),
  foreign key (tenant_id, order_id) references orders (tenant_id, id) on delete cascade
);
call app_isolate_by_tenant('shipping_addresses');
call app_restrict_to_order_parties('shipping_addresses',
  'customer_id = (select app_current_user()) or (select app_is_tenant_admin())
   or exists (select from vendor_orders vo
               where vo.order_id = shipping_addresses.order_id and vo.vendor_id = (select app_current_vendor()))');

-- Every status change, of the order (`vendor_order_id` null) or of one vendor's part, with who
-- made it (`actor_id` null with role `system`: the expiry sweep).
create table order_status_history (
  id               uuid primary key,
  tenant_id        uuid not null,
  order_id         uuid not null,
  vendor_order_id  uuid,
  vendor_id        uuid,
  customer_id      uuid not null,
  from_status      text,
  to_status        text not null,
  actor_id         uuid,
  actor_role       text not null check (actor_role in ('customer', 'vendor', 'admin', 'system')),
  reason           text check (length(reason) <= 500),
  created_at       timestamptz not null default now(),
  foreign key (tenant_id, order_id) references orders (tenant_id, id) on delete cascade
);
create index order_status_history_order on order_status_history (order_id, created_at, id);
call app_isolate_by_tenant('order_status_history');
-- The order's own rows (`vendor_id` null) are written by whoever moves a part of it, so every
-- vendor with a part in the order reaches those too.
call app_restrict_to_order_parties('order_status_history',
  'customer_id = (select app_current_user()) or vendor_id = (select app_current_vendor()) or (select app_is_tenant_admin())
   or (vendor_id is null
       and exists (select from vendor_orders vo
                    where vo.order_id = order_status_history.order_id
                      and vo.vendor_id = (select app_current_vendor())))');

-- Shipments of a vendor order, and what the carrier reported about them.
create table order_tracking (
  id               uuid primary key,
  tenant_id        uuid not null,
  order_id         uuid not null,
  vendor_order_id  uuid not null,
  vendor_id        uuid not null,
  customer_id      uuid not null,
  carrier          text not null check (length(carrier) between 1 and 100),
  tracking_number  text not null check (length(tracking_number) between 1 and 100),
  tracking_url     text check (length(tracking_url) <= 500),
  created_by       uuid,
  created_at       timestamptz not null default now(),
  unique (vendor_order_id, carrier, tracking_number),
  unique (tenant_id, id),
  foreign key (tenant_id, vendor_order_id) references vendor_orders (tenant_id, id) on delete cascade
);
call app_isolate_by_tenant('order_tracking');
call app_restrict_to_order_parties('order_tracking',
  'customer_id = (select app_current_user()) or vendor_id = (select app_current_vendor()) or (select app_is_tenant_admin())');

create table order_tracking_events (
  id               uuid primary key,
  tenant_id        uuid not null,
  tracking_id      uuid not null,
  vendor_id        uuid not null,
  customer_id      uuid not null,
  status           text not null check (status in ('label_created', 'picked_up', 'in_transit',
                     'out_for_delivery', 'delivered', 'exception')),
  description      text check (length(description) <= 500),
  location         text check (length(location) <= 200),
  occurred_at      timestamptz not null,
  created_at       timestamptz not null default now(),
  foreign key (tenant_id, tracking_id) references order_tracking (tenant_id, id) on delete cascade
);
create index order_tracking_events_tracking on order_tracking_events (tracking_id, occurred_at, id);
call app_isolate_by_tenant('order_tracking_events');
call app_restrict_to_order_parties('order_tracking_events',
  'customer_id = (select app_current_user()) or vendor_id = (select app_current_vendor()) or (select app_is_tenant_admin())');

-- Unpaid orders past their deadline, every tenant's in the platform scope, oldest first.
create function orders_expired(lim integer)
  returns table (tenant_id uuid, order_id uuid, customer_id uuid)
  language sql stable security definer
  set search_path = public, pg_temp
  as $$
  select o.tenant_id, o.id, o.customer_id
    from orders o
   where o.status = 'pending_payment' and o.expires_at <= now()
   order by o.expires_at
   limit least(greatest(lim, 0), 1000)
$$;

-- Every part's status of an order the caller is a party to. The order's own status is derived
-- from all its parts, and a vendor moving its part cannot see the others' rows.
create function order_part_statuses(p_order uuid)
  returns table (vendor_order_id uuid, status text)
  language sql stable security definer
  set search_path = public, pg_temp
  as $$
  select vo.id, vo.status
    from vendor_orders vo
    join orders o on o.id = vo.order_id
   where vo.order_id = p_order
     and (o.customer_id = app_current_user() or app_is_tenant_admin()
          or exists (select from vendor_orders x
                      where x.order_id = p_order and x.vendor_id = app_current_vendor()))
$$;

revoke execute on function inventory_lock(uuid[], integer[]),
  inventory_reserve(uuid[], integer[]), inventory_release(uuid[], integer[]),
  inventory_commit(uuid[], integer[], text), inventory_restock(uuid[], integer[], text),
  orders_expired(integer), order_part_statuses(uuid)
  from public;
grant execute on function inventory_reserve(uuid[], integer[]), inventory_release(uuid[], integer[]),
  inventory_commit(uuid[], integer[], text), inventory_restock(uuid[], integer[], text),
  orders_expired(integer), order_part_statuses(uuid)
  to gamarriando_app;
