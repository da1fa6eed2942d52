-- Product search: one denormalized row per publicly visible product (active, approved vendor, at
-- least one variant), read and written only through SECURITY DEFINER functions.
--
-- Why not plain RLS here: under a row-level security policy the planner may only push a qual into
-- an index scan when its operator is LEAKPROOF, and the full-text (`@@`), trigram (`%`) and array
-- (`@>`, `&&`) operators are not. Under RLS every search would read the tenant's whole slice and
-- filter it row by row. So this table has RLS enabled but not forced, the runtime role has no
-- privilege on it at all, and the functions below (owned by the owner role, which the unforced
-- policy does not bind) always add an explicit `tenant_id = app_current_tenant()` predicate. With
-- no tenant set, every function answers nothing. Tenant-leading indexes (btree_gin) then serve
-- every query from one tenant's part of each index. Two companion tables live under the same
-- rules: product_search_terms (the tenant's vocabulary, for autocomplete) and
-- product_search_listing (category membership, for category pages).
--
-- The source tables keep their forced RLS: the refresh functions read them as the owner under the
-- caller's tenant (and user) settings, so a refresh can only index what that tenant has.

create extension if not exists unaccent;

-- Spanish and English stemming, accents folded (`algodon` finds `algodón`).
create text search configuration gmr_es (copy = pg_catalog.spanish);
alter text search configuration gmr_es
  alter mapping for hword, hword_part, word with unaccent, spanish_stem;
create text search configuration gmr_en (copy = pg_catalog.english);
alter text search configuration gmr_en
  alter mapping for hword, hword_part, word with unaccent, english_stem;

create function app_search_config(locale text) returns regconfig
  language sql immutable parallel safe
  as $$ select case locale when 'en' then 'public.gmr_en'::regconfig else 'public.gmr_es'::regconfig end $$;

create table product_search (
  product_id          uuid primary key,
  tenant_id           uuid not null references tenants (id),
  vendor_id           uuid not null,
  slug                citext not null,
  -- Title in the tenant's default locale, and the translated titles by locale: {"en": "…"}.
  title               text not null,
  titles              jsonb not null default '{}',
  vendor_slug         citext not null,
  vendor_name         text not null,
  published_at        timestamptz,
  -- "Newest" sorts by this: coalesce(published_at, created_at).
  sort_ts             timestamptz not null,
  price_min           bigint not null,
  price_max           bigint not null,
  currency            char(3) not null,
  -- Some variant has `on_hand - reserved > 0`.
  in_stock            boolean not null,
  -- The product's categories and all their ancestors (a subtree filter is `@> array[id]`), and
  -- the direct ones alone (the category facet).
  category_ids        uuid[] not null,
  direct_category_ids uuid[] not null,
  -- `name=value`, lowercased, from the product attributes and the variant options.
  attrs               text[] not null,
  -- Titles A, tags and vendor name B, descriptions C; base content stemmed in the tenant's
  -- locale, translations in their own.
  document            tsvector not null,
  -- Lowercased titles (every locale) and tags: the words autocomplete offers (see
  -- product_search_terms).
  suggest             text not null,
  foreign key (tenant_id, product_id) references products (tenant_id, id) on delete cascade
);
-- No fast-update pending list on these GIN indexes: every search would scan the unsorted pending
-- entries (milliseconds once it holds a few thousand rows); writes here are one product at a time.
create index product_search_document on product_search
  using gin (tenant_id, document) with (fastupdate = off);
create index product_search_categories on product_search
  using gin (tenant_id, category_ids) with (fastupdate = off);
create index product_search_attrs on product_search
  using gin (tenant_id, attrs) with (fastupdate = off);
create index product_search_newest on product_search (tenant_id, sort_ts desc, product_id desc);
create index product_search_price on product_search (tenant_id, price_min, product_id);
create index product_search_vendor on product_search (tenant_id, vendor_id, sort_ts desc, product_id desc);

-- Enabled, deliberately not forced: the owner (the functions below) is not bound; anyone else who
-- was ever granted access would be. The runtime role gets nothing.
alter table product_search enable row level security;
create policy tenant_isolation on product_search
  using (tenant_id = (select app_current_tenant()))
  with check (tenant_id = (select app_current_tenant()));
revoke all on product_search from public, gamarriando_app;

-- Autocomplete's vocabulary: every word of the indexed titles and tags, per tenant, with the
-- number of indexed products using it (kept by the triggers below; a word no product uses any
-- more disappears). Matching a few thousand short words by trigram is fast and typo tolerant;
-- matching the same against every product's text is not (word_similarity over long strings costs
-- ~15 µs a row). Same access rules as product_search.
create table product_search_terms (
  tenant_id  uuid not null references tenants (id),
  -- Lowercase, as written (accents kept, it is shown); `key` is what is matched.
  term       text not null,
  key        text not null,
  products   integer not null check (products >= 0),
  primary key (tenant_id, term)
);
create index product_search_terms_trgm on product_search_terms
  using gin (tenant_id, key gin_trgm_ops) with (fastupdate = off);
create index product_search_terms_prefix on product_search_terms (tenant_id, key text_pattern_ops);
alter table product_search_terms enable row level security;
create policy tenant_isolation on product_search_terms
  using (tenant_id = (select app_current_tenant()))
  with check (tenant_id = (select app_current_tenant()));
revoke all on product_search_terms from public, gamarriando_app;

-- The words of a `suggest` text: 3 to 40 characters, split on spaces and punctuation.
create function product_search_words(suggest text) returns setof text
  language sql immutable parallel safe
  as $$
    select distinct w from regexp_split_to_table(suggest, '[[:space:][:punct:]]+') w
     where length(w) between 3 and 40
  $$;

-- Applies the word count changes of one statement on product_search (set-based: a rebuild of ten
-- thousand rows is one pass). Writers of one tenant take turns on its vocabulary (a transaction
-- lock), so concurrent edits neither deadlock nor lose counts; statements that change no word
-- (price, stock) take no lock. Stop words of either language are not offered.
create function product_search_terms_track() returns trigger
  -- Definer: a product deleted by the runtime role cascades here, and these statement triggers
  -- then run as that role, which has no privilege on the search tables.
  language plpgsql security definer
  set search_path = public, pg_temp
  as $fn$
declare
  added text := 'select n.tenant_id, w as term, 1 as delta
                   from new_rows n cross join product_search_words(n.suggest) w';
  removed text := 'select o.tenant_id, w as term, -1 as delta
                     from old_rows o cross join product_search_words(o.suggest) w';
  -- Updates: only rows whose words changed.
  changed text := 'select n.tenant_id, w as term, 1 as delta
                     from new_rows n join old_rows o on o.product_id = n.product_id
                     cross join product_search_words(n.suggest) w
                    where n.suggest is distinct from o.suggest
                   union all
                   select o.tenant_id, w as term, -1 as delta
                     from new_rows n join old_rows o on o.product_id = n.product_id
                     cross join product_search_words(o.suggest) w
                    where n.suggest is distinct from o.suggest';
  tenants uuid[];
  terms text[];
  deltas integer[];
begin
  execute format(
    'select array_agg(tenant_id order by tenant_id, term), array_agg(term order by tenant_id, term),
            array_agg(delta order by tenant_id, term)
       from (select tenant_id, term, sum(delta)::integer as delta from (%s) x
              group by tenant_id, term having sum(delta) <> 0) d',
    case tg_op when 'INSERT' then added when 'DELETE' then removed else changed end)
  into tenants, terms, deltas;
  if terms is null then
    return null;
  end if;
  perform pg_advisory_xact_lock(7243100, hashtext(t::text))
     from (select distinct t from unnest(tenants) t order by 1) x;
  insert into product_search_terms as s (tenant_id, term, key, products)
  select d.tenant_id, d.term, unaccent(d.term), d.delta
    from unnest(tenants, terms, deltas) d(tenant_id, term, delta)
   where d.delta > 0
     and to_tsvector('public.gmr_es', d.term) <> ''::tsvector
     and to_tsvector('public.gmr_en', d.term) <> ''::tsvector
  on conflict (tenant_id, term) do update set products = s.products + excluded.products;
  update product_search_terms s set products = greatest(s.products + d.delta, 0)
    from unnest(tenants, terms, deltas) d(tenant_id, term, delta)
   where d.delta < 0 and s.tenant_id = d.tenant_id and s.term = d.term;
  delete from product_search_terms s
   using unnest(tenants, terms, deltas) d(tenant_id, term, delta)
   where d.delta < 0 and s.tenant_id = d.tenant_id and s.term = d.term and s.products = 0;
  return null;
end
$fn$;
create trigger product_search_terms_insert after insert on product_search
  referencing new table as new_rows for each statement execute function product_search_terms_track();
create trigger product_search_terms_update after update on product_search
  referencing old table as old_rows new table as new_rows
  for each statement execute function product_search_terms_track();
create trigger product_search_terms_delete after delete on product_search
  referencing old table as old_rows for each statement execute function product_search_terms_track();

-- Category pages: one row per product and category it is in, directly or below. The planner
-- takes a tenant's condition and a category's as independent, so it believes a big category is
-- tiny and reads it whole through the GIN index before sorting (13 ms for a top category of
-- 1,700 products at 1M). Here a category page, newest or by price, is a range of one btree.
-- Kept by the trigger below; same access rules as product_search.
create table product_search_listing (
  product_id  uuid not null,
  category_id uuid not null,
  tenant_id   uuid not null,
  sort_ts     timestamptz not null,
  price_min   bigint not null,
  primary key (product_id, category_id)
);
create index product_search_listing_newest on product_search_listing
  (tenant_id, category_id, sort_ts desc, product_id desc);
create index product_search_listing_price on product_search_listing
  (tenant_id, category_id, price_min, product_id);
alter table product_search_listing enable row level security;
create policy tenant_isolation on product_search_listing
  using (tenant_id = (select app_current_tenant()))
  with check (tenant_id = (select app_current_tenant()));
revoke all on product_search_listing from public, gamarriando_app;

create function product_search_listing_track() returns trigger
  -- Definer: a product deleted by the runtime role cascades here, and these statement triggers
  -- then run as that role, which has no privilege on the search tables.
  language plpgsql security definer
  set search_path = public, pg_temp
  as $$
begin
  if tg_op = 'INSERT' then
    insert into product_search_listing (product_id, category_id, tenant_id, sort_ts, price_min)
    select n.product_id, c, n.tenant_id, n.sort_ts, n.price_min
      from new_rows n cross join unnest(n.category_ids) c;
  elsif tg_op = 'DELETE' then
    delete from product_search_listing l using old_rows o where l.product_id = o.product_id;
  else
    -- Only rows whose categories or sort keys changed.
    delete from product_search_listing l
     using new_rows n join old_rows o on o.product_id = n.product_id
     where l.product_id = n.product_id
       and (n.category_ids, n.sort_ts, n.price_min) is distinct from (o.category_ids, o.sort_ts, o.price_min);
    insert into product_search_listing (product_id, category_id, tenant_id, sort_ts, price_min)
    select n.product_id, c, n.tenant_id, n.sort_ts, n.price_min
      from new_rows n join old_rows o on o.product_id = n.product_id
      cross join unnest(n.category_ids) c
     where (n.category_ids, n.sort_ts, n.price_min) is distinct from (o.category_ids, o.sort_ts, o.price_min);
  end if;
  return null;
end
$$;
create trigger product_search_listing_insert after insert on product_search
  referencing new table as new_rows for each statement execute function product_search_listing_track();
create trigger product_search_listing_update after update on product_search
  referencing old table as old_rows new table as new_rows
  for each statement execute function product_search_listing_track();
create trigger product_search_listing_delete after delete on product_search
  referencing old table as old_rows for each statement execute function product_search_listing_track();

-- The index rows of `ids` (all active products of the tenant when null) as the tenant sees them.
-- Private: runs inside the SECURITY DEFINER functions, reading the source tables under their
-- forced policies.
create function product_search_compute(t uuid, ids uuid[]) returns setof product_search
  language plpgsql stable
  set search_path = public, pg_temp
  as $fn$
declare
  base regconfig := app_search_config((select default_locale from tenants where id = t));
begin
  if t is null or base is null then
    return;
  end if;
  return query execute format($sql$
    select p.id, p.tenant_id, p.vendor_id, p.slug, p.title,
           tr.titles, v.slug, v.name, p.published_at,
           coalesce(p.published_at, p.created_at),
           pr.price_min, pr.price_max, pr.currency, pr.in_stock,
           coalesce(cat.all_ids, '{}'), coalesce(cat.direct_ids, '{}'), coalesce(av.attrs, '{}'),
           setweight(to_tsvector($2, p.title), 'A')
           || setweight(to_tsvector($2, coalesce(tg.tags, '')), 'B')
           || setweight(to_tsvector($2, v.name), 'B')
           || setweight(to_tsvector($2, coalesce(p.description, '')), 'C')
           || tr.document,
           lower(concat_ws(' ', p.title, tr.title_text, tg.tags))
      from products p
      join vendors v on v.tenant_id = p.tenant_id and v.id = p.vendor_id and v.status = 'approved'
      cross join lateral (
        select min(pv.price_minor) as price_min, max(pv.price_minor) as price_max,
               min(pv.currency)::char(3) as currency,
               coalesce(bool_or(i.on_hand - i.reserved > 0), false) as in_stock
          from product_variants pv
          left join inventory i on i.variant_id = pv.id
         where pv.product_id = p.id
      ) pr
      left join lateral (
        select string_agg(t.tag::text, ' ' order by t.tag) as tags
          from product_tags t where t.product_id = p.id
      ) tg on true
      -- Translations: at most one row per locale.
      left join product_translations tes on tes.product_id = p.id and tes.locale = 'es'
      left join product_translations ten on ten.product_id = p.id and ten.locale = 'en'
      cross join lateral (
        select jsonb_strip_nulls(jsonb_build_object('es', tes.title, 'en', ten.title)) as titles,
               concat_ws(' ', tes.title, ten.title) as title_text,
               setweight(to_tsvector('public.gmr_es', coalesce(tes.title, '')), 'A')
               || setweight(to_tsvector('public.gmr_es', coalesce(tes.description, '')), 'C')
               || setweight(to_tsvector('public.gmr_en', coalesce(ten.title, '')), 'A')
               || setweight(to_tsvector('public.gmr_en', coalesce(ten.description, '')), 'C')
                 as document
      ) tr
      left join lateral (
        select array_agg(distinct x) as all_ids, array_agg(distinct pc.category_id) as direct_ids
          from product_categories pc
          join categories c on c.tenant_id = pc.tenant_id and c.id = pc.category_id
          cross join unnest(c.path) x
         where pc.product_id = p.id
      ) cat on true
      left join lateral (
        select array_agg(distinct a order by a) as attrs
          from (
            select lower(btrim(k)) || '=' || lower(btrim(coalesce(e.v, j.value #>> '{}'))) as a
              from (select key as k, value from jsonb_each(p.attributes)
                    union all
                    select o.key, o.value from product_variants pv, jsonb_each(pv.options) o
                     where pv.product_id = p.id) j
              left join lateral jsonb_array_elements_text(
                case jsonb_typeof(j.value) when 'array' then j.value end) e(v) on true
             where jsonb_typeof(j.value) in ('string', 'number', 'boolean', 'array')
          ) x
         where length(a) <= 200 and a !~ '^=|=$'
      ) av on true
     where p.tenant_id = $1 and p.status = 'active' and pr.price_min is not null %s
  $sql$, case when ids is null then '' else format('and p.id = any(%L::uuid[])', ids) end)
  using t, base;
end
$fn$;

-- Brings the rows of `ids` in line with the source tables: upserts what is visible, deletes the
-- rest. Unchanged rows are not rewritten. Private, like `product_search_compute`.
create function product_search_sync(ids uuid[]) returns bigint
  language plpgsql volatile
  set search_path = public, pg_temp
  as $$
declare
  t uuid := app_current_tenant();
  n bigint;
begin
  if t is null or ids is null or cardinality(ids) = 0 then
    return 0;
  end if;
  with fresh as (
    select * from product_search_compute(t, ids)
  ), up as (
    insert into product_search as s select * from fresh
    on conflict (product_id) do update set
      (tenant_id, vendor_id, slug, title, titles, vendor_slug, vendor_name, published_at, sort_ts,
       price_min, price_max, currency, in_stock, category_ids, direct_category_ids, attrs,
       document, suggest)
      = (excluded.tenant_id, excluded.vendor_id, excluded.slug, excluded.title, excluded.titles,
         excluded.vendor_slug, excluded.vendor_name, excluded.published_at, excluded.sort_ts,
         excluded.price_min, excluded.price_max, excluded.currency, excluded.in_stock,
         excluded.category_ids, excluded.direct_category_ids, excluded.attrs, excluded.document,
         excluded.suggest)
      -- product_id is a product's primary key, so a conflict is always the same tenant's row.
      where s.tenant_id = t and s is distinct from excluded
    returning s.product_id
  ), gone as (
    delete from product_search s
     where s.tenant_id = t and s.product_id = any(ids)
       and s.product_id not in (select product_id from fresh)
    returning 1
  )
  select (select count(*) from up) + (select count(*) from gone) into n;
  return n;
end
$$;

-- Recomputes (or removes) one product's row. Called by the product service in the transaction of
-- every write that can change it; another tenant's product id changes nothing.
create function product_search_refresh(product uuid) returns void
  language plpgsql volatile security definer
  set search_path = public, pg_temp
  as $$
begin
  perform product_search_sync(array[product]);
end
$$;

-- Every product of a vendor (after its status or name changed).
create function product_search_refresh_vendor(vendor uuid) returns void
  language plpgsql volatile security definer
  set search_path = public, pg_temp
  as $$
declare
  t uuid := app_current_tenant();
begin
  perform product_search_sync(array(
    select p.id from products p where p.tenant_id = t and p.vendor_id = vendor
    union
    select s.product_id from product_search s where s.tenant_id = t and s.vendor_id = vendor));
end
$$;

-- Every product in a category's subtree (after it moved or changed).
create function product_search_refresh_category(category uuid) returns void
  language plpgsql volatile security definer
  set search_path = public, pg_temp
  as $$
declare
  t uuid := app_current_tenant();
begin
  perform product_search_sync(array(
    select pc.product_id
      from categories c
      join product_categories pc on pc.tenant_id = c.tenant_id and pc.category_id = c.id
     where c.tenant_id = t and c.path @> array[category]
    union
    select s.product_id from product_search s
     where s.tenant_id = t and s.category_ids @> array[category]));
end
$$;

-- Rebuilds the current tenant's rows from scratch, set-based (seeding, benchmarks, repairs).
-- Returns the number of products indexed.
create function product_search_rebuild() returns bigint
  language plpgsql volatile security definer
  set search_path = public, pg_temp
  as $$
declare
  t uuid := app_current_tenant();
  n bigint;
begin
  if t is null then
    return 0;
  end if;
  delete from product_search where tenant_id = t;
  insert into product_search select * from product_search_compute(t, null);
  get diagnostics n = row_count;
  return n;
end
$$;

-- The one SQL builder behind every read: `kind` is 'page' (a page of product cards), 'facets'
-- (counts over the whole matched set) or 'suggest' (autocomplete). Only the filters given appear
-- in the statement, and values are inlined as quoted literals, so every call is planned for its
-- own values (a custom plan) and `product_search_plan` explains exactly what runs.
--
-- `f` keys: q, locale ('es'|'en', for titles and labels), category, vendor (uuids), price_min,
-- price_max (minor units, on the product's lowest price), attrs (["name=value", …]: values of one
-- name are OR-ed, names AND-ed), in_stock (bool), sort ('relevance'|'newest'|'price_asc'|
-- 'price_desc'), after ({"ts"|"price"|"rank": …, "id": …}: the sort key of the last row served),
-- limit (1..101).
--
-- Null when there is no tenant: callers then answer nothing. Bad values raise 22023 / 22P02.
create function product_search_sql(kind text, f jsonb) returns text
  language plpgsql stable
  set search_path = public, pg_temp
  as $fn$
declare
  t uuid := app_current_tenant();
  tenant_locale text;
  locale text := coalesce(f ->> 'locale', 'es');
  q text := nullif(btrim(f ->> 'q'), '');
  tsq tsquery;
  sort text;
  lim int := coalesce((f ->> 'limit')::int, 20);
  after jsonb := f -> 'after';
  conds text[];
  groups record;
  title_sql text;
  rank_sql text := 'null::real';
  cursor_sql text := '';
  order_sql text;
  from_sql text := 'product_search s';
  -- The alias whose columns sort the page: `s`, or `l` when browsing a category.
  k text := 's';
  words text[];
  last_key text;
  prefix text;
  terms text[];
  scores real[];
  alternatives text;
  prior tsquery;
begin
  if t is null then
    return null;
  end if;
  if locale not in ('es', 'en') then
    raise exception 'unknown locale %', locale using errcode = '22023';
  end if;
  if lim not between 1 and 101 then
    raise exception 'limit % out of range', lim using errcode = '22023';
  end if;
  select default_locale into tenant_locale from tenants where id = t;
  title_sql := format('coalesce(s.titles ->> %L, s.title)', locale);
  conds := array[format('s.tenant_id = %L::uuid', t)];

  if kind = 'suggest' then
    -- The last word typed is completed from the tenant's vocabulary (read here, while building:
    -- a few short rows): prefix matches first, most used first, then words that look alike
    -- (`vestdo` -> `vestido`). The statement then lists those completions and the newest
    -- products whose titles, tags or vendor name hold one of them (whole words, stemmed) and every
    -- earlier word. With the words inlined the planner knows how common they are: it walks the
    -- newest-first index for a common word and asks the full-text index for a rare one.
    if q is null or length(q) < 3 then
      raise exception 'autocomplete needs 3 characters' using errcode = '22023';
    end if;
    words := array_remove(regexp_split_to_array(lower(q), '[[:space:][:punct:]]+'), '');
    last_key := unaccent(coalesce(words[cardinality(words)], ''));
    if last_key = '' then
      -- Only punctuation: nothing to complete, an empty answer.
      terms := '{}';
      scores := '{}';
    else
      prefix := replace(replace(replace(last_key, '\', '\\'), '%', '\%'), '_', '\_') || '%';
      select coalesce(array_agg(x.term order by x.score desc, x.products desc, x.term), '{}'),
             coalesce(array_agg(x.score order by x.score desc, x.products desc, x.term), '{}')
        into terms, scores
        from (select st.term, st.products,
                     case when st.key like prefix then 1 else similarity(st.key, last_key) end::real as score
                from product_search_terms st
               where st.tenant_id = t
                 and (st.key like prefix or (length(last_key) >= 3 and st.key % last_key))
               order by 3 desc, st.products desc, st.term
               limit 5) x;
    end if;
    if cardinality(terms) > 0 then
      select string_agg(quote_literal(w) || ':AB', ' | ') into alternatives from unnest(terms) w;
      tsq := to_tsquery(app_search_config(tenant_locale), alternatives);
      if locale <> tenant_locale then
        tsq := tsq || to_tsquery(app_search_config(locale), alternatives);
      end if;
      if cardinality(words) > 1 then
        prior := plainto_tsquery(app_search_config(tenant_locale), array_to_string(words[1:cardinality(words) - 1], ' '));
        if locale <> tenant_locale then
          prior := prior || plainto_tsquery(app_search_config(locale), array_to_string(words[1:cardinality(words) - 1], ' '));
        end if;
        if numnode(prior) > 0 then
          tsq := prior && tsq;
        end if;
      end if;
    end if;
    return format($sql$
      select kind, product_id, slug, title, score from (
        select 'term'::text as kind, null::uuid as product_id, null::text as slug, w.term as title,
               w.score, w.n as pos
          from unnest(%1$L::text[], %2$L::real[]) with ordinality w(term, score, n)
        union all
        select 'product', p.product_id, p.slug, p.title, null,
               row_number() over (order by p.sort_ts desc, p.product_id desc) from (
          select s.product_id, s.slug::text as slug, %3$s as title, s.sort_ts
            from product_search s
           where s.tenant_id = %4$L::uuid and %5$s
           order by s.sort_ts desc, s.product_id desc
           limit %6$s) p
      ) x
      order by kind = 'product', pos
    $sql$, terms, scores, title_sql, t,
      case when numnode(tsq) > 0 then format('s.document @@ %L::tsquery', tsq::text) else 'false' end,
      lim);
  end if;

  if q is not null then
    -- The tenant's language, plus the reader's when it differs (translations are stemmed in
    -- their own language).
    tsq := websearch_to_tsquery(app_search_config(tenant_locale), q);
    if locale <> tenant_locale then
      tsq := tsq || websearch_to_tsquery(app_search_config(locale), q);
    end if;
    if numnode(tsq) = 0 then
      conds := conds || 'false'::text;   -- only stop words: nothing matches
    else
      conds := conds || format('s.document @@ %L::tsquery', tsq::text);
    end if;
  end if;
  if f ->> 'category' is not null then
    conds := conds || format('s.category_ids @> array[%L::uuid]', (f ->> 'category')::uuid);
  end if;
  if f ->> 'vendor' is not null then
    conds := conds || format('s.vendor_id = %L::uuid', (f ->> 'vendor')::uuid);
  end if;
  if f ->> 'price_min' is not null then
    conds := conds || format('s.price_min >= %s', (f ->> 'price_min')::bigint);
  end if;
  if f ->> 'price_max' is not null then
    conds := conds || format('s.price_min <= %s', (f ->> 'price_max')::bigint);
  end if;
  if f ->> 'in_stock' is not null then
    conds := conds || case when (f ->> 'in_stock')::boolean then 's.in_stock' else 'not s.in_stock' end;
  end if;
  if jsonb_typeof(f -> 'attrs') = 'array' then
    -- One name: all its values must be there (a single `@>`); several values of one name: any.
    for groups in
      select split_part(a, '=', 1) as name, array_agg(distinct a order by a) as vals
        from (select lower(btrim(x)) as a from jsonb_array_elements_text(f -> 'attrs') x) v
       where a ~ '^[^=]+=.+$'
       group by 1 order by 1
    loop
      if cardinality(groups.vals) = 1 then
        conds := conds || format('s.attrs @> %L::text[]', groups.vals);
      else
        conds := conds || format('s.attrs && %L::text[]', groups.vals);
      end if;
    end loop;
  end if;

  if kind = 'facets' then
    -- Counts over every matched row, one statement: the matched set is read once.
    return format($sql$
      with m as materialized (
        select s.vendor_id, s.vendor_slug, s.vendor_name, s.price_min, s.direct_category_ids, s.attrs
          from product_search s where %1$s
      ), cats as (
        select c, count(*) as n from m cross join unnest(m.direct_category_ids) c group by c
      ), vends as (
        select vendor_id, min(vendor_slug::text) as slug, min(vendor_name) as name, count(*) as n
          from m group by vendor_id
      ), prices as (
        select b.lo, b.hi, count(*) as n
          from m
          join (values (0::bigint, 2000::bigint), (2000, 5000), (5000, 10000), (10000, 20000),
                       (20000, 50000), (50000, 100000), (100000, null)) b(lo, hi)
            on m.price_min >= b.lo and (b.hi is null or m.price_min < b.hi)
         group by b.lo, b.hi
      ), attrs as (
        select a, n from (
          select a, count(*) as n,
                 row_number() over (partition by split_part(a, '=', 1) order by count(*) desc, a) as r
            from m cross join unnest(m.attrs) a group by a) x
         where r <= 20
      )
      select 'total'::text as facet, null::text as key, null::text as label, null::text as extra, count(*) as count from m
      union all
      select 'category', cats.c::text, coalesce(tr.name, c.name), c.slug::text, cats.n
        from cats
        join categories c on c.tenant_id = %2$L::uuid and c.id = cats.c
        left join category_translations tr on tr.category_id = c.id and tr.locale = %3$L
      union all
      select 'vendor', vendor_id::text, name, slug, n from vends
      union all
      select 'price', lo::text, null, hi::text, n from prices
      union all
      select 'attr', a, null, null, n from attrs
    $sql$, array_to_string(conds, ' and '), t, locale);
  end if;

  if kind <> 'page' then
    raise exception 'unknown kind %', kind using errcode = '22023';
  end if;

  sort := coalesce(f ->> 'sort', case when q is null then 'newest' else 'relevance' end);
  if sort not in ('newest', 'price_asc', 'price_desc', 'relevance') then
    raise exception 'unknown sort %', sort using errcode = '22023';
  end if;
  if sort = 'relevance' and tsq is null then
    raise exception 'relevance needs a query' using errcode = '22023';
  end if;
  -- Browsing a category (no words): its page is a range of the listing table's btree, in the
  -- order asked, whatever the category's size.
  if q is null and f ->> 'category' is not null then
    from_sql := format('product_search_listing l join product_search s on s.product_id = l.product_id
                         and l.tenant_id = %L::uuid and l.category_id = %L::uuid',
                       t, (f ->> 'category')::uuid);
    conds := array_remove(conds, format('s.category_ids @> array[%L::uuid]', (f ->> 'category')::uuid));
    k := 'l';
  end if;
  case sort
    when 'newest' then
      order_sql := '%1$s.sort_ts desc, %1$s.product_id desc';
      if after is not null then
        cursor_sql := format('and (%s.sort_ts, %s.product_id) < (%L::timestamptz, %L::uuid)', k, k,
                             (after ->> 'ts')::timestamptz, (after ->> 'id')::uuid);
      end if;
    when 'price_asc' then
      order_sql := '%1$s.price_min, %1$s.product_id';
      if after is not null then
        cursor_sql := format('and (%s.price_min, %s.product_id) > (%s, %L::uuid)', k, k,
                             (after ->> 'price')::bigint, (after ->> 'id')::uuid);
      end if;
    when 'price_desc' then
      order_sql := '%1$s.price_min desc, %1$s.product_id desc';
      if after is not null then
        cursor_sql := format('and (%s.price_min, %s.product_id) < (%s, %L::uuid)', k, k,
                             (after ->> 'price')::bigint, (after ->> 'id')::uuid);
      end if;
    else
      rank_sql := format('ts_rank_cd(s.document, %L::tsquery)', tsq::text);
      order_sql := 'rank desc, %1$s.product_id desc';
      if after is not null then
        cursor_sql := format('and (%s, s.product_id) < (%L::real, %L::uuid)',
                             rank_sql, (after ->> 'rank')::real, (after ->> 'id')::uuid);
      end if;
  end case;

  -- The inner query picks the page off the indexes; the outer one adds the first ready image of
  -- those rows only.
  return format($sql$
    select p.product_id, p.slug, p.title, p.vendor_id, p.vendor_slug, p.vendor_name,
           p.price_min, p.price_max, p.currency, p.in_stock, p.published_at, p.sort_ts, p.rank,
           (select i.object_key from product_images i
             where i.product_id = p.product_id and i.status = 'ready'
             order by i.position, i.id limit 1) as image_key
      from (
        select s.product_id, s.slug::text as slug, %1$s as title, s.vendor_id,
               s.vendor_slug::text as vendor_slug, s.vendor_name, s.price_min, s.price_max,
               s.currency::text as currency, s.in_stock, s.published_at, s.sort_ts, %2$s as rank
          from %3$s
         where %4$s %5$s
         order by %6$s
         limit %7$s
      ) p
     order by %8$s
  $sql$, title_sql, rank_sql, from_sql, array_to_string(conds, ' and '), cursor_sql,
    format(order_sql, k), lim, format(order_sql, 'p'));
end
$fn$;

-- A page of product cards.
create function product_search_page(f jsonb)
  returns table (product_id uuid, slug text, title text, vendor_id uuid, vendor_slug text,
                 vendor_name text, price_min bigint, price_max bigint, currency text,
                 in_stock boolean, published_at timestamptz, sort_ts timestamptz, rank real,
                 image_key text)
  language plpgsql stable security definer
  set search_path = public, pg_temp
  as $$
declare
  stmt text := product_search_sql('page', f);
begin
  if stmt is not null then
    return query execute stmt;
  end if;
end
$$;

-- Facet counts over the whole matched set: rows ('total', null, null, null, n),
-- ('category', id, name, slug, n), ('vendor', id, name, slug, n), ('price', lo, null, hi, n)
-- and ('attr', 'name=value', null, null, n) (the 20 most frequent values of each name).
create function product_search_facets(f jsonb)
  returns table (facet text, key text, label text, extra text, count bigint)
  language plpgsql stable security definer
  set search_path = public, pg_temp
  as $$
declare
  stmt text := product_search_sql('facets', f);
begin
  if stmt is not null then
    return query execute stmt;
  end if;
end
$$;

-- Autocomplete for `q` (3+ characters): rows ('term', null, null, word, score) completing the
-- last word typed (up to 5), then ('product', id, slug, title, rank) for up to `lim` products.
create function product_search_suggest(q text, locale text, lim integer)
  returns table (kind text, product_id uuid, slug text, title text, score real)
  language plpgsql stable security definer
  set search_path = public, pg_temp
  as $$
declare
  stmt text := product_search_sql('suggest', jsonb_build_object('q', q, 'locale', locale, 'limit', lim));
begin
  if stmt is not null then
    return query execute stmt;
  end if;
end
$$;

-- `explain (format json)` of exactly the statement `kind` would run (tests check index use as
-- the runtime role). Runs nothing.
create function product_search_plan(kind text, f jsonb) returns setof text
  language plpgsql volatile security definer
  set search_path = public, pg_temp
  as $$
declare
  stmt text := product_search_sql(kind, f);
  line text;
begin
  if stmt is null then
    return;
  end if;
  for line in execute 'explain (format json) ' || stmt loop
    return next line;
  end loop;
end
$$;

-- Private helpers: only the functions above call them.
revoke execute on function app_search_config(text), product_search_words(text),
  product_search_terms_track(), product_search_listing_track(), product_search_compute(uuid, uuid[]),
  product_search_sync(uuid[]),
  product_search_sql(text, jsonb)
  from public, gamarriando_app;
revoke execute on function product_search_refresh(uuid), product_search_refresh_vendor(uuid),
  product_search_refresh_category(uuid), product_search_rebuild(), product_search_page(jsonb),
  product_search_facets(jsonb), product_search_suggest(text, text, integer),
  product_search_plan(text, jsonb)
  from public;
grant execute on function product_search_refresh(uuid), product_search_refresh_vendor(uuid),
  product_search_refresh_category(uuid), product_search_rebuild(), product_search_page(jsonb),
  product_search_facets(jsonb), product_search_suggest(text, text, integer),
  product_search_plan(text, jsonb)
  to gamarriando_app;
