-- User service tables. The same email may exist in two tenants as two unrelated accounts.
create table users (
  id             uuid primary key,
  tenant_id      uuid not null references tenants (id),
  email          citext not null check (length(email) <= 254),
  password_hash  text not null,
  email_verified_at timestamptz,
  status         text not null default 'active' check (status in ('active', 'disabled')),
  created_at     timestamptz not null default now(),
  updated_at     timestamptz not null default now(),
  unique (tenant_id, email),
  unique (tenant_id, id)
);
create trigger users_touch before update on users for each row execute function app_touch_updated_at();
call app_isolate_by_tenant('users');

create table user_profiles (
  user_id       uuid primary key,
  tenant_id     uuid not null,
  display_name  text not null default '' check (length(display_name) <= 100),
  phone         text check (length(phone) <= 32),
  avatar_url    text check (length(avatar_url) <= 2048),
  updated_at    timestamptz not null default now(),
  foreign key (tenant_id, user_id) references users (tenant_id, id) on delete cascade
);
create trigger user_profiles_touch before update on user_profiles for each row execute function app_touch_updated_at();
call app_isolate_by_tenant('user_profiles');

create table user_preferences (
  user_id       uuid primary key,
  tenant_id     uuid not null,
  locale        text check (locale in ('es', 'en')),
  notify_email  boolean not null default true,
  notify_sms    boolean not null default false,
  notify_push   boolean not null default true,
  notify_in_app boolean not null default true,
  marketing     boolean not null default false,
  updated_at    timestamptz not null default now(),
  foreign key (tenant_id, user_id) references users (tenant_id, id) on delete cascade
);
create trigger user_preferences_touch before update on user_preferences for each row execute function app_touch_updated_at();
call app_isolate_by_tenant('user_preferences');

create table user_addresses (
  id            uuid primary key,
  tenant_id     uuid not null,
  user_id       uuid not null,
  label         text check (length(label) <= 50),
  recipient     text not null check (length(recipient) between 1 and 100),
  phone         text check (length(phone) <= 32),
  line1         text not null check (length(line1) between 1 and 200),
  line2         text check (length(line2) <= 200),
  city          text not null check (length(city) between 1 and 100),
  region        text check (length(region) <= 100),
  postal_code   text check (length(postal_code) <= 20),
  country       char(2) not null check (country ~ '^[A-Z]{2}$'),
  is_default    boolean not null default false,
  created_at    timestamptz not null default now(),
  updated_at    timestamptz not null default now(),
  foreign key (tenant_id, user_id) references users (tenant_id, id) on delete cascade
);
create index user_addresses_owner on user_addresses (tenant_id, user_id, id);
create unique index user_addresses_one_default on user_addresses (user_id) where is_default;
create trigger user_addresses_touch before update on user_addresses for each row execute function app_touch_updated_at();
call app_isolate_by_tenant('user_addresses');

-- One row per login session. The refresh token is opaque; only its SHA-256 is stored. Rotation
-- replaces the hash and bumps `generation`; presenting a superseded token (the previous hash) is
-- reuse and revokes the session, which is the token family.
create table user_sessions (
  id                   uuid primary key,
  tenant_id            uuid not null,
  user_id              uuid not null,
  refresh_token_hash   bytea not null unique,
  previous_token_hash  bytea,
  generation           integer not null default 1,
  user_agent           text,
  ip                   text,
  created_at           timestamptz not null default now(),
  last_used_at         timestamptz not null default now(),
  expires_at           timestamptz not null,
  revoked_at           timestamptz,
  revoked_reason       text,
  foreign key (tenant_id, user_id) references users (tenant_id, id) on delete cascade
);
create index user_sessions_owner on user_sessions (tenant_id, user_id, id);
create index user_sessions_previous on user_sessions (previous_token_hash) where previous_token_hash is not null;
call app_isolate_by_tenant('user_sessions');

-- Single-use expiring tokens for email verification and password reset (hash only).
create table user_tokens (
  token_hash   bytea primary key,
  tenant_id    uuid not null,
  user_id      uuid not null,
  purpose      text not null check (purpose in ('verify_email', 'reset_password')),
  expires_at   timestamptz not null,
  used_at      timestamptz,
  created_at   timestamptz not null default now(),
  foreign key (tenant_id, user_id) references users (tenant_id, id) on delete cascade
);
create index user_tokens_user on user_tokens (tenant_id, user_id, purpose);
call app_isolate_by_tenant('user_tokens');

-- Role grants per tenant. `customer` is implied for every account and never stored; tenant admins
-- grant `vendor` and `admin`; `platform_admin` exists only in the platform tenant.
create table user_roles (
  tenant_id   uuid not null,
  user_id     uuid not null,
  role        text not null check (role in ('vendor', 'admin', 'platform_admin')),
  granted_by  uuid,
  granted_at  timestamptz not null default now(),
  primary key (tenant_id, user_id, role),
  foreign key (tenant_id, user_id) references users (tenant_id, id) on delete cascade
);
call app_isolate_by_tenant('user_roles');
