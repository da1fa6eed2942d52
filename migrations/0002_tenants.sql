-- The tenant registry. A tenant is a marketplace; the platform itself is the one tenant of kind
-- 'platform' (its users are platform staff).
create table tenants (
  id              uuid primary key,
  kind            text not null default 'marketplace' check (kind in ('platform', 'marketplace')),
  slug            text not null unique check (slug ~ '^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$'),
  name            text not null check (length(name) between 1 and 200),
  default_locale  text not null default 'es' check (default_locale in ('es', 'en')),
  currency        char(3) not null default 'PEN' check (currency ~ '^[A-Z]{3}$'),
  status          text not null default 'active' check (status in ('active', 'suspended')),
  suspended_reason text,
  created_at      timestamptz not null default now(),
  updated_at      timestamptz not null default now()
);
create trigger tenants_touch before update on tenants
  for each row execute function app_touch_updated_at();

-- A tenant sees its own registry row; the platform sees every row. Nothing without a tenant.
alter table tenants enable row level security;
alter table tenants force row level security;
create policy tenant_registry on tenants
  using (id = (select app_current_tenant()) or (select app_current_tenant()) = app_platform_tenant())
  with check ((select app_current_tenant()) = app_platform_tenant());

-- RLS is forced on the owner too: write the platform row as the platform.
select set_config('app.tenant_id', app_platform_tenant()::text, true);
insert into tenants (id, kind, slug, name, default_locale, currency)
values (app_platform_tenant(), 'platform', 'platform', 'Gamarriando', 'es', 'PEN');

-- Custom domains. Only verified domains resolve to their tenant.
create table tenant_domains (
  tenant_id    uuid not null references tenants (id) on delete cascade,
  domain       text primary key check (domain ~ '^[a-z0-9]([a-z0-9.-]{0,251}[a-z0-9])?$'),
  verified_at  timestamptz,
  verification_token text not null,
  created_at   timestamptz not null default now()
);
create index tenant_domains_tenant on tenant_domains (tenant_id);

alter table tenant_domains enable row level security;
alter table tenant_domains force row level security;
create policy tenant_isolation on tenant_domains
  using (tenant_id = (select app_current_tenant()) or (select app_current_tenant()) = app_platform_tenant())
  with check (tenant_id = (select app_current_tenant()) or (select app_current_tenant()) = app_platform_tenant());
