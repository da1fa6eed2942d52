-- Product service: vendors, the category tree, products with variants, inventory and images.
--
-- Isolation has two layers. Every table gets the usual forced tenant policy. On top of it,
-- RESTRICTIVE policies (AND-ed with the tenant policy) say who inside the tenant may write:
-- a product's rows are written only by its approved vendor or a tenant admin, so a handler that
-- forgot an ownership check still cannot touch another vendor's catalogue.

create extension if not exists pg_trgm;
create extension if not exists btree_gin;

create table vendors (
  id               uuid primary key,
  tenant_id        uuid not null references tenants (id),
  user_id          uuid not null,
  slug             citext not null check (length(slug) between 2 and 60),
  name             text not null check (length(name) between 1 and 120),
  description      text check (length(description) <= 4000),
  logo_key         text check (logo_key like 't/' || tenant_id::text || '/%'),
  contact_email    citext not null check (length(contact_email) <= 254),
  contact_phone    text check (length(contact_phone) <= 32),
  -- Placeholder until payouts exist: opaque details the vendor gives, never shown publicly.
  payout_details   jsonb not null default '{}' check (jsonb_typeof(payout_details) = 'object'),
  status           text not null default 'pending'
                   check (status in ('pending', 'approved', 'rejected', 'suspended')),
  status_reason    text check (length(status_reason) <= 500),
  decided_by       uuid,
  decided_at       timestamptz,
  -- Flat shipping charged once per vendor order, in the tenant currency's minor units.
  shipping_rate_minor bigint not null default 0 check (shipping_rate_minor >= 0),
  rating_avg       numeric(3, 2),
  rating_count     integer not null default 0,
  created_at       timestamptz not null default now(),
  updated_at       timestamptz not null default now(),
  unique (tenant_id, slug),
  unique (tenant_id, user_id),
  unique (tenant_id, id),
  foreign key (tenant_id, user_id) references users (tenant_id, id)
);
-- The approved vendor the current user runs in this tenant, or null. Stable and wrapped in
-- `(select ...)` by the policies, so it runs once per statement.
create function app_current_vendor() returns uuid
  language sql stable parallel safe
  as $$ select id from vendors where user_id = app_current_user() and status = 'approved' $$;

-- Whether the current user is an admin of the current tenant (the database, not the token,
-- decides: a revoked admin loses write access at once).
create function app_is_tenant_admin() returns boolean
  language sql stable parallel safe
  as $$ select exists (select from user_roles where user_id = app_current_user() and role = 'admin') $$;

create index vendors_status on vendors (tenant_id, status, created_at desc);
create trigger vendors_touch before update on vendors for each row execute function app_touch_updated_at();
call app_isolate_by_tenant('vendors');
create policy vendors_write_insert on vendors as restrictive for insert
  with check (user_id = (select app_current_user()) or (select app_is_tenant_admin()));
create policy vendors_write_update on vendors as restrictive for update
  using (user_id = (select app_current_user()) or (select app_is_tenant_admin()))
  with check (user_id = (select app_current_user()) or (select app_is_tenant_admin()));
create policy vendors_write_delete on vendors as restrictive for delete
  using ((select app_is_tenant_admin()));

-- Only an admin decides a vendor's status; the vendor edits its own shop details only.
create function vendors_guard_status() returns trigger
  language plpgsql
  as $$
begin
  if (tg_op = 'INSERT' and new.status <> 'pending') or (tg_op = 'UPDATE' and new.status <> old.status) then
    if not app_is_tenant_admin() then
      raise exception 'only a tenant admin changes a vendor status' using errcode = '42501';
    end if;
  end if;
  return new;
end
$$;
create trigger vendors_guard_status before insert or update on vendors
  for each row execute function vendors_guard_status();

create table categories (
  id               uuid primary key,
  tenant_id        uuid not null references tenants (id),
  parent_id        uuid,
  -- Ancestors then the category itself: a subtree is `path @> array[id]`.
  path             uuid[] not null check (cardinality(path) between 1 and 32),
  position         integer not null default 0,
  slug             citext not null check (length(slug) between 1 and 120),
  name             text not null check (length(name) between 1 and 120),
  description      text check (length(description) <= 4000),
  meta_title       text check (length(meta_title) <= 120),
  meta_description text check (length(meta_description) <= 320),
  created_at       timestamptz not null default now(),
  updated_at       timestamptz not null default now(),
  unique (tenant_id, slug),
  unique (tenant_id, id),
  foreign key (tenant_id, parent_id) references categories (tenant_id, id)
);
create index categories_children on categories (tenant_id, parent_id, position, id);
create index categories_path on categories using gin (tenant_id, path);
create trigger categories_touch before update on categories for each row execute function app_touch_updated_at();
call app_isolate_by_tenant('categories');
create policy categories_write_insert on categories as restrictive for insert
  with check ((select app_is_tenant_admin()));
create policy categories_write_update on categories as restrictive for update
  using ((select app_is_tenant_admin())) with check ((select app_is_tenant_admin()));
create policy categories_write_delete on categories as restrictive for delete
  using ((select app_is_tenant_admin()));

-- Content in other locales than the tenant default (which lives on the row itself).
create table category_translations (
  tenant_id        uuid not null,
  category_id      uuid not null,
  locale           text not null check (locale in ('es', 'en')),
  name             text check (length(name) between 1 and 120),
  description      text check (length(description) <= 4000),
  meta_title       text check (length(meta_title) <= 120),
  meta_description text check (length(meta_description) <= 320),
  primary key (category_id, locale),
  foreign key (tenant_id, category_id) references categories (tenant_id, id) on delete cascade
);
call app_isolate_by_tenant('category_translations');
create policy category_translations_write_insert on category_translations as restrictive for insert
  with check ((select app_is_tenant_admin()));
create policy category_translations_write_update on category_translations as restrictive for update
  using ((select app_is_tenant_admin())) with check ((select app_is_tenant_admin()));
create policy category_translations_write_delete on category_translations as restrictive for delete
  using ((select app_is_tenant_admin()));

create table products (
  id               uuid primary key,
  tenant_id        uuid not null references tenants (id),
  vendor_id        uuid not null,
  slug             citext not null check (length(slug) between 1 and 160),
  title            text not null check (length(title) between 1 and 200),
  description      text check (length(description) <= 20000),
  meta_title       text check (length(meta_title) <= 120),
  meta_description text check (length(meta_description) <= 320),
  canonical_slug   citext check (length(canonical_slug) <= 160),
  status           text not null default 'draft' check (status in ('draft', 'active', 'archived')),
  -- Free-form facts shown on the product page and usable as search filters: {"material": "algodón"}.
  attributes       jsonb not null default '{}' check (jsonb_typeof(attributes) = 'object'),
  published_at     timestamptz,
  created_at       timestamptz not null default now(),
  updated_at       timestamptz not null default now(),
  unique (tenant_id, slug),
  unique (tenant_id, id),
  foreign key (tenant_id, vendor_id) references vendors (tenant_id, id)
);
create index products_vendor on products (tenant_id, vendor_id, created_at desc, id desc);
create index products_status on products (tenant_id, status, created_at desc, id desc);
create trigger products_touch before update on products for each row execute function app_touch_updated_at();
call app_isolate_by_tenant('products');
-- Drafts and archived products are seen by their vendor and the admins only.
create policy products_read on products as restrictive for select
  using (status = 'active' or vendor_id = (select app_current_vendor()) or (select app_is_tenant_admin()));
create policy products_write_insert on products as restrictive for insert
  with check (vendor_id = (select app_current_vendor()) or (select app_is_tenant_admin()));
create policy products_write_update on products as restrictive for update
  using (vendor_id = (select app_current_vendor()) or (select app_is_tenant_admin()))
  with check (vendor_id = (select app_current_vendor()) or (select app_is_tenant_admin()));
create policy products_write_delete on products as restrictive for delete
  using (vendor_id = (select app_current_vendor()) or (select app_is_tenant_admin()));

-- Whether the current user may write the rows hanging off `product` (its own vendor or an admin).
-- Invoker rights: it sees products through their policies like the caller does.
create function app_can_write_product(product uuid) returns boolean
  language sql stable parallel safe
  as $$
    select exists (
      select from products p
       where p.id = product
         and (p.vendor_id = (select app_current_vendor()) or (select app_is_tenant_admin())))
  $$;

-- Restrictive write policies for a table with a `product_id` column: only the product's vendor
-- or an admin inserts, updates or deletes its rows. `read_too` also hides them from everyone else.
create procedure app_restrict_to_product_owner(tbl regclass, read_too boolean)
  language plpgsql
  as $$
begin
  execute format('create policy product_owner_insert on %s as restrictive for insert
                    with check (app_can_write_product(product_id))', tbl);
  execute format('create policy product_owner_update on %s as restrictive for update
                    using (app_can_write_product(product_id)) with check (app_can_write_product(product_id))', tbl);
  execute format('create policy product_owner_delete on %s as restrictive for delete
                    using (app_can_write_product(product_id))', tbl);
  if read_too then
    execute format('create policy product_owner_select on %s as restrictive for select
                      using (app_can_write_product(product_id))', tbl);
  end if;
end
$$;

create table product_translations (
  tenant_id        uuid not null,
  product_id       uuid not null,
  locale           text not null check (locale in ('es', 'en')),
  title            text check (length(title) between 1 and 200),
  description      text check (length(description) <= 20000),
  meta_title       text check (length(meta_title) <= 120),
  meta_description text check (length(meta_description) <= 320),
  primary key (product_id, locale),
  foreign key (tenant_id, product_id) references products (tenant_id, id) on delete cascade
);
call app_isolate_by_tenant('product_translations');
call app_restrict_to_product_owner('product_translations', false);

create table product_tags (
  tenant_id        uuid not null,
  product_id       uuid not null,
  tag              citext not null check (length(tag) between 1 and 50),
  primary key (product_id, tag),
  foreign key (tenant_id, product_id) references products (tenant_id, id) on delete cascade
);
create index product_tags_tag on product_tags (tenant_id, tag);
call app_isolate_by_tenant('product_tags');
call app_restrict_to_product_owner('product_tags', false);

-- A category holding products cannot be deleted (restrict): the API answers 409 category_not_empty.
create table product_categories (
  tenant_id        uuid not null,
  product_id       uuid not null,
  category_id      uuid not null,
  primary key (product_id, category_id),
  foreign key (tenant_id, product_id) references products (tenant_id, id) on delete cascade,
  foreign key (tenant_id, category_id) references categories (tenant_id, id)
);
create index product_categories_category on product_categories (tenant_id, category_id);
call app_isolate_by_tenant('product_categories');
call app_restrict_to_product_owner('product_categories', false);

create table product_variants (
  id               uuid primary key,
  tenant_id        uuid not null,
  product_id       uuid not null,
  sku              citext not null check (length(sku) between 1 and 64),
  title            text check (length(title) <= 200),
  -- Option name -> value: {"talla": "M", "color": "azul"}.
  options          jsonb not null default '{}' check (jsonb_typeof(options) = 'object'),
  price_minor      bigint not null check (price_minor >= 0),
  currency         char(3) not null check (currency ~ '^[A-Z]{3}$'),
  compare_at_minor bigint check (compare_at_minor >= 0),
  weight_grams     integer check (weight_grams >= 0),
  position         integer not null default 0,
  created_at       timestamptz not null default now(),
  updated_at       timestamptz not null default now(),
  unique (tenant_id, sku),
  unique (tenant_id, id),
  foreign key (tenant_id, product_id) references products (tenant_id, id) on delete cascade
);
create index product_variants_product on product_variants (product_id, position, id);
create trigger product_variants_touch before update on product_variants for each row execute function app_touch_updated_at();
call app_isolate_by_tenant('product_variants');
call app_restrict_to_product_owner('product_variants', false);

-- Stock per variant. `on_hand - reserved` is what can be sold; the checks are the backstop that
-- no race can ever push stock below zero.
create table inventory (
  variant_id       uuid primary key,
  tenant_id        uuid not null,
  product_id       uuid not null,
  on_hand          integer not null default 0 check (on_hand >= 0),
  reserved         integer not null default 0 check (reserved >= 0 and reserved <= on_hand),
  low_stock_threshold integer not null default 0 check (low_stock_threshold >= 0),
  updated_at       timestamptz not null default now(),
  foreign key (tenant_id, variant_id) references product_variants (tenant_id, id) on delete cascade,
  foreign key (tenant_id, product_id) references products (tenant_id, id) on delete cascade
);
create index inventory_product on inventory (product_id);
create trigger inventory_touch before update on inventory for each row execute function app_touch_updated_at();
call app_isolate_by_tenant('inventory');
call app_restrict_to_product_owner('inventory', false);

create table inventory_adjustments (
  id               uuid primary key,
  tenant_id        uuid not null,
  product_id       uuid not null,
  variant_id       uuid not null,
  delta            integer not null check (delta <> 0),
  reason           text not null check (reason in ('received', 'sold', 'returned', 'damaged', 'lost', 'correction')),
  note             text check (length(note) <= 500),
  on_hand_after    integer not null,
  actor_id         uuid,
  created_at       timestamptz not null default now(),
  foreign key (tenant_id, variant_id) references product_variants (tenant_id, id) on delete cascade
);
create index inventory_adjustments_variant on inventory_adjustments (variant_id, id desc);
call app_isolate_by_tenant('inventory_adjustments');
call app_restrict_to_product_owner('inventory_adjustments', true);

create table product_images (
  id               uuid primary key,
  tenant_id        uuid not null,
  product_id       uuid not null,
  -- Always `t/{tenant_id}/...`: one tenant's keys never name another tenant's files.
  object_key       text not null unique,
  content_type     text not null,
  size_bytes       bigint check (size_bytes > 0),
  alt              text check (length(alt) <= 300),
  position         integer not null default 0,
  -- `pending` from the presigned upload until the object is confirmed in storage.
  status           text not null default 'pending' check (status in ('pending', 'ready')),
  created_at       timestamptz not null default now(),
  updated_at       timestamptz not null default now(),
  check (object_key like 't/' || tenant_id::text || '/%'),
  foreign key (tenant_id, product_id) references products (tenant_id, id) on delete cascade
);
create index product_images_product on product_images (product_id, status, position, id);
create trigger product_images_touch before update on product_images for each row execute function app_touch_updated_at();
call app_isolate_by_tenant('product_images');
call app_restrict_to_product_owner('product_images', false);
