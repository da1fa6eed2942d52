-- The notification service: every message to a person or an integrator is a row of
-- `notifications`, made from an outbox event by the worker (or scheduled by an admin), and
-- delivered through a channel the tenant configured. See platform/notifications.
--
-- Isolation: the forced tenant policy on every table, plus RESTRICTIVE policies for the runtime
-- role naming who else may see a row: its user, the tenant's admins, and the worker. The worker
-- is a transaction that set `app.worker = 'on'` (only server code sets settings; no request
-- path does). A guest request, which has no user, sees nothing. The worker's test comes first: it
-- is the cheapest, and the worker writes most rows.

create procedure app_restrict_notifications(tbl regclass, predicate text)
  language plpgsql
  as $$
begin
  execute format('create policy parties on %s as restrictive to gamarriando_app
                    using (%s) with check (%s)', tbl, predicate, predicate);
end
$$;

-- ---------------------------------------------------------------------------------------------
-- Messages. The in-app inbox of 0004 becomes one channel among several: a row is one message to
-- one recipient over one channel. `event_id` is the outbox event it was made from; the unique
-- index makes a re-delivered event make nothing new.
alter table notifications
  alter column user_id drop not null,
  add column endpoint_id uuid,
  add column event_id uuid,
  add column topic text,
  add column category text not null default 'transactional'
             check (category in ('transactional', 'marketing')),
  add column locale text check (locale in ('es', 'en')),
  -- Where it went, as of sending: an email address, a phone, a device token, a webhook URL.
  add column recipient text check (length(recipient) <= 2048),
  add column html text,
  -- scheduled → pending → sent (→ delivered when the provider confirms); failed while retrying;
  -- dead after the last attempt (an admin may retry it); cancelled before it was sent.
  add column status text not null default 'sent'
             check (status in ('scheduled', 'pending', 'sent', 'delivered', 'failed', 'dead', 'cancelled')),
  add column send_at timestamptz not null default now(),
  add column attempts integer not null default 0,
  add column provider text,
  add column provider_message_id text check (length(provider_message_id) <= 500),
  add column last_error text,
  add column sent_at timestamptz,
  add column delivered_at timestamptz,
  add column updated_at timestamptz not null default now(),
  add constraint notifications_channel check (channel in ('in_app', 'email', 'sms', 'push', 'webhook')),
  add constraint notifications_addressee check ((user_id is null) <> (endpoint_id is null));

create unique index notifications_once on notifications
  (tenant_id, event_id, channel, coalesce(user_id, endpoint_id)) where event_id is not null;
create index notifications_unread on notifications (tenant_id, user_id)
  where channel = 'in_app' and read_at is null;
create index notifications_by_status on notifications (tenant_id, status, id desc);
create index notifications_by_provider_id on notifications (tenant_id, provider, provider_message_id)
  where provider_message_id is not null;
create trigger notifications_touch before update on notifications
  for each row execute function app_touch_updated_at();
call app_restrict_notifications('notifications',
  $p$(select current_setting('app.worker', true)) = 'on' or user_id = (select app_current_user())
     or (select app_is_tenant_admin())$p$);

-- Every delivery attempt, for admins: what the provider said.
create table notification_logs (
  id                   uuid primary key,
  tenant_id            uuid not null,
  notification_id      uuid not null references notifications (id) on delete cascade,
  attempt              integer not null,
  channel              text not null,
  provider             text not null,
  status               text not null check (status in ('sent', 'failed', 'delivered', 'undelivered')),
  provider_message_id  text check (length(provider_message_id) <= 500),
  error                text check (length(error) <= 2000),
  created_at           timestamptz not null default now()
);
create index notification_logs_of on notification_logs (tenant_id, notification_id, id);
call app_isolate_by_tenant('notification_logs');
call app_restrict_notifications('notification_logs',
  $p$(select current_setting('app.worker', true)) = 'on' or (select app_is_tenant_admin())$p$);

-- ---------------------------------------------------------------------------------------------
-- A tenant's provider per channel. The credential is sealed (kernel::secrets, context
-- `notification_channels/<tenant>/<channel>`) and never leaves the server; `secret_hint` is what
-- an admin is shown.
create table notification_channels (
  tenant_id      uuid not null,
  channel        text not null check (channel in ('email', 'sms', 'push')),
  provider       text not null check (length(provider) between 1 and 40),
  settings       jsonb not null default '{}' check (jsonb_typeof(settings) = 'object'),
  secret_sealed  bytea,
  secret_hint    text,
  enabled        boolean not null default true,
  updated_at     timestamptz not null default now(),
  primary key (tenant_id, channel)
);
create trigger notification_channels_touch before update on notification_channels
  for each row execute function app_touch_updated_at();
call app_isolate_by_tenant('notification_channels');
call app_restrict_notifications('notification_channels',
  $p$(select current_setting('app.worker', true)) = 'on' or (select app_is_tenant_admin())$p$);

-- Integrators' endpoints: signed POSTs of the events they chose.
create table webhook_endpoints (
  id             uuid primary key,
  tenant_id      uuid not null,
  url            text not null check (length(url) <= 2048 and url ~ '^https?://'),
  topics         text[] not null check (cardinality(topics) between 1 and 50),
  description    text check (length(description) <= 200),
  secret_sealed  bytea not null,
  enabled        boolean not null default true,
  created_at     timestamptz not null default now(),
  updated_at     timestamptz not null default now()
);
create index webhook_endpoints_of on webhook_endpoints (tenant_id, id);
create trigger webhook_endpoints_touch before update on webhook_endpoints
  for each row execute function app_touch_updated_at();
call app_isolate_by_tenant('webhook_endpoints');
call app_restrict_notifications('webhook_endpoints',
  $p$(select current_setting('app.worker', true)) = 'on' or (select app_is_tenant_admin())$p$);
alter table notifications add foreign key (endpoint_id) references webhook_endpoints (id) on delete cascade;

-- A tenant's wording of a message, replacing the shipped Fluent text for one template, channel
-- and locale. The fields are Fluent patterns (`Pedido { $number }`).
create table notification_templates (
  tenant_id   uuid not null,
  template    text not null check (template ~ '^[a-z][a-z0-9_]{0,60}$'),
  channel     text not null check (channel in ('in_app', 'email', 'sms', 'push')),
  locale      text not null check (locale in ('es', 'en')),
  subject     text not null check (length(subject) <= 300),
  body        text not null check (length(body) <= 20000),
  html        text check (length(html) <= 100000),
  updated_at  timestamptz not null default now(),
  primary key (tenant_id, template, channel, locale)
);
create trigger notification_templates_touch before update on notification_templates
  for each row execute function app_touch_updated_at();
call app_isolate_by_tenant('notification_templates');
call app_restrict_notifications('notification_templates',
  $p$(select current_setting('app.worker', true)) = 'on' or (select app_is_tenant_admin())$p$);

-- ---------------------------------------------------------------------------------------------
-- What a user agreed to receive, per channel and category. No row means the default
-- (domain::preferences): transactional on for in-app, email and push, off for SMS; marketing off.
create table notification_preferences (
  tenant_id   uuid not null,
  user_id     uuid not null,
  channel     text not null check (channel in ('in_app', 'email', 'sms', 'push')),
  category    text not null check (category in ('transactional', 'marketing')),
  enabled     boolean not null,
  updated_at  timestamptz not null default now(),
  primary key (tenant_id, user_id, channel, category),
  foreign key (tenant_id, user_id) references users (tenant_id, id) on delete cascade
);
create trigger notification_preferences_touch before update on notification_preferences
  for each row execute function app_touch_updated_at();
call app_isolate_by_tenant('notification_preferences');
call app_restrict_notifications('notification_preferences',
  $p$(select current_setting('app.worker', true)) = 'on' or user_id = (select app_current_user())$p$);

-- The per-channel switches of 0003 move here, so there is one place that says what a user
-- receives.
insert into notification_preferences (tenant_id, user_id, channel, category, enabled)
select p.tenant_id, p.user_id, c.channel, c.category, c.enabled
  from user_preferences p
 cross join lateral (values
   ('email', 'transactional', p.notify_email), ('sms', 'transactional', p.notify_sms),
   ('push', 'transactional', p.notify_push), ('in_app', 'transactional', p.notify_in_app),
   ('email', 'marketing', p.marketing), ('in_app', 'marketing', p.marketing)
 ) as c (channel, category, enabled);
alter table user_preferences
  drop column notify_email, drop column notify_sms, drop column notify_push,
  drop column notify_in_app, drop column marketing;

-- Devices that receive push messages (FCM registration tokens).
create table push_devices (
  id            uuid primary key,
  tenant_id     uuid not null,
  user_id       uuid not null,
  token         text not null check (length(token) between 10 and 4096),
  platform      text not null check (platform in ('android', 'ios', 'web')),
  created_at    timestamptz not null default now(),
  last_seen_at  timestamptz not null default now(),
  unique (tenant_id, user_id, token),
  foreign key (tenant_id, user_id) references users (tenant_id, id) on delete cascade
);
create index push_devices_of on push_devices (tenant_id, user_id);
call app_isolate_by_tenant('push_devices');
call app_restrict_notifications('push_devices',
  $p$(select current_setting('app.worker', true)) = 'on' or user_id = (select app_current_user())$p$);
