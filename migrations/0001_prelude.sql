-- Prelude: helpers every later migration uses.
-- Runs as the owner role (gamarriando_owner). The runtime role (gamarriando_app) owns nothing,
-- has neither SUPERUSER nor BYPASSRLS, and only gets DML on tables through the grants below.

create extension if not exists citext;

grant usage on schema public to gamarriando_app;
alter default privileges in schema public grant select, insert, update, delete on tables to gamarriando_app;
alter default privileges in schema public grant usage, select on sequences to gamarriando_app;
alter default privileges in schema public grant execute on functions to gamarriando_app;
-- Functions are executable by PUBLIC by default; nothing here should be callable by other roles.
alter default privileges revoke execute on functions from public;

-- The tenant of the current transaction, or null when none was set.
-- `set_config(..., true)` is transaction-local; on a reused pooled connection the setting reads back
-- as '' rather than null, hence the nullif.
create function app_current_tenant() returns uuid
  language sql stable parallel safe
  as $$ select nullif(current_setting('app.tenant_id', true), '')::uuid $$;

create function app_current_user() returns uuid
  language sql stable parallel safe
  as $$ select nullif(current_setting('app.user_id', true), '')::uuid $$;

-- The platform itself is a tenant with this well-known id: platform staff are its users.
create function app_platform_tenant() returns uuid
  language sql immutable parallel safe
  as $$ select '00000000-0000-0000-0000-000000000001'::uuid $$;

-- Enable and force row-level security on a tenant-owned table, with one policy that both filters
-- reads (USING) and checks writes (WITH CHECK). `(select ...)` makes the setting an InitPlan that is
-- evaluated once per statement instead of once per row. No setting means no rows.
create procedure app_isolate_by_tenant(tbl regclass)
  language plpgsql
  as $$
begin
  execute format('alter table %s enable row level security', tbl);
  execute format('alter table %s force row level security', tbl);
  execute format(
    'create policy tenant_isolation on %s
       using (tenant_id = (select app_current_tenant()))
       with check (tenant_id = (select app_current_tenant()))', tbl);
end
$$;

create function app_touch_updated_at() returns trigger
  language plpgsql
  as $$
begin
  new.updated_at := now();
  return new;
end
$$;
