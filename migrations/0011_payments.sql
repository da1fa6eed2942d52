-- Payment service: per-marketplace gateways with sealed credentials, payments for orders, saved
-- payment methods (provider tokens only), an append-only ledger, refunds, and the provider
-- webhook events already applied (deduplication).
--
-- Isolation as elsewhere: the forced tenant policy on every table, and restrictive policies for
-- the runtime role naming the parties: the paying customer, vendors with a part in the order,
-- the tenant's admins, and the platform acting inside one tenant (`app.worker = 'on'`: webhook
-- processing and the outbox worker, which have no user).

create procedure app_restrict_payments(tbl regclass, predicate text)
  language plpgsql
  as $$
begin
  execute format('create policy parties on %s as restrictive to gamarriando_app
                    using (%s) with check (%s)', tbl, predicate, predicate);
end
$$;

-- What a refund made to an order, so its status can say `partially_refunded` even when no
-- vendor's part is refunded whole. Written by the order service's payment functions only.
alter table orders add column refunded_minor bigint not null default 0 check (refunded_minor >= 0);

-- ---------------------------------------------------------------------------------------------
-- One row per provider a marketplace configured. Credentials are a JSON object sealed with
-- AES-256-GCM bound to the tenant and provider (kernel::secrets); `credentials_hint` holds the
-- masked form shown to admins.
create table payment_gateways (
  tenant_id           uuid not null,
  provider            text not null check (provider ~ '^[a-z][a-z0-9_]{0,39}$'),
  enabled             boolean not null default true,
  is_default          boolean not null default false,
  settings            jsonb not null default '{}' check (jsonb_typeof(settings) = 'object'),
  credentials_sealed  bytea,
  credentials_hint    jsonb not null default '{}' check (jsonb_typeof(credentials_hint) = 'object'),
  created_at          timestamptz not null default now(),
  updated_at          timestamptz not null default now(),
  primary key (tenant_id, provider),
  check (enabled or not is_default)
);
create unique index payment_gateways_one_default on payment_gateways (tenant_id) where is_default;
create trigger payment_gateways_touch before update on payment_gateways
  for each row execute function app_touch_updated_at();
call app_isolate_by_tenant('payment_gateways');
call app_restrict_payments('payment_gateways',
  $p$(select current_setting('app.worker', true)) = 'on' or (select app_is_tenant_admin())$p$);

-- The gateways of the current tenant, for whoever pays, confirms or refunds there (customers and
-- vendors may not read the table itself). Runs as the owner, bound by the tenant policy alone:
-- the caller's own connection serves it, so a request never needs a second pooled connection
-- while it holds one (concurrent requests would otherwise wait on each other for the pool).
create function payment_gateways_of_tenant()
  returns table (provider text, enabled boolean, is_default boolean, settings jsonb,
                 credentials_sealed bytea, credentials_hint jsonb, updated_at timestamptz)
  language sql stable security definer
  set search_path = public, pg_temp
  as $$
    select provider, enabled, is_default, settings, credentials_sealed, credentials_hint, updated_at
      from payment_gateways order by is_default desc, provider
  $$;
revoke execute on function payment_gateways_of_tenant() from public;
grant execute on function payment_gateways_of_tenant() to gamarriando_app;

-- Marketplace payment settings.
create table payment_settings (
  tenant_id       uuid primary key,
  -- Whether vendors may refund their own part of an order.
  vendor_refunds  boolean not null default false,
  updated_at      timestamptz not null default now()
);
create trigger payment_settings_touch before update on payment_settings
  for each row execute function app_touch_updated_at();
call app_isolate_by_tenant('payment_settings');
-- Everyone in the tenant may read it (a vendor learns whether it may refund); admins write it.
create policy parties_read on payment_settings as restrictive for select to gamarriando_app using (true);
create policy parties_write on payment_settings as restrictive for insert to gamarriando_app
  with check ((select app_is_tenant_admin()));
create policy parties_update on payment_settings as restrictive for update to gamarriando_app
  using ((select app_is_tenant_admin())) with check ((select app_is_tenant_admin()));
create policy parties_delete on payment_settings as restrictive for delete to gamarriando_app
  using ((select app_is_tenant_admin()));

-- ---------------------------------------------------------------------------------------------
create table payments (
  id                uuid primary key,
  tenant_id         uuid not null,
  order_id          uuid not null,
  customer_id       uuid not null,
  -- Copied from the order (they never change), so events about the payment need no order read.
  order_number      text not null,
  locale            text not null check (locale in ('es', 'en')),
  provider          text not null,
  -- The provider's id; unique per provider within the marketplace (webhooks find payments by it).
  provider_ref      text not null check (length(provider_ref) between 1 and 255),
  -- Sent to the provider with every money-moving call for this payment.
  provider_key      text not null check (length(provider_key) <= 108),
  status            text not null check (status in ('requires_action', 'processing', 'failed',
                      'cancelled', 'authorized', 'captured')),
  amount_minor      bigint not null check (amount_minor > 0),
  currency          char(3) not null check (currency ~ '^[A-Z]{3}$'),
  captured_minor    bigint not null default 0 check (captured_minor >= 0),
  -- Refunds reserved or made; never more than captured, whatever races.
  refunded_minor    bigint not null default 0 check (refunded_minor >= 0),
  method            text check (length(method) <= 255),
  next_action       jsonb,
  failure_code      text check (length(failure_code) <= 100),
  failure_message   text check (length(failure_message) <= 500),
  created_at        timestamptz not null default now(),
  updated_at        timestamptz not null default now(),
  captured_at       timestamptz,
  unique (tenant_id, id),
  unique (tenant_id, provider, provider_ref),
  check (refunded_minor <= captured_minor),
  foreign key (tenant_id, order_id) references orders (tenant_id, id)
);
-- At most one payment per order may be under way or done; a failed or cancelled one may be
-- followed by another.
create unique index payments_one_live on payments (tenant_id, order_id)
  where status not in ('failed', 'cancelled');
create index payments_customer on payments (tenant_id, customer_id, id desc);
create index payments_tenant on payments (tenant_id, id desc);
create trigger payments_touch before update on payments for each row execute function app_touch_updated_at();
call app_isolate_by_tenant('payments');
call app_restrict_payments('payments',
  $p$(select current_setting('app.worker', true)) = 'on'
     or customer_id = (select app_current_user()) or (select app_is_tenant_admin())
     or exists (select from vendor_orders vo
                 where vo.order_id = payments.order_id and vo.vendor_id = (select app_current_vendor()))$p$);

-- ---------------------------------------------------------------------------------------------
create table refunds (
  id                uuid primary key,
  tenant_id         uuid not null,
  payment_id        uuid not null,
  order_id          uuid not null,
  -- The vendor's part it refunds, when it is one vendor's.
  vendor_order_id   uuid,
  amount_minor      bigint not null check (amount_minor > 0),
  currency          char(3) not null,
  status            text not null check (status in ('pending', 'succeeded', 'failed')),
  reason            text check (length(reason) <= 500),
  provider_ref      text check (length(provider_ref) <= 255),
  requested_by      uuid,
  created_at        timestamptz not null default now(),
  updated_at        timestamptz not null default now(),
  unique (tenant_id, id),
  foreign key (tenant_id, payment_id) references payments (tenant_id, id),
  foreign key (tenant_id, vendor_order_id) references vendor_orders (tenant_id, id)
);
create index refunds_payment on refunds (tenant_id, payment_id, id);
create unique index refunds_provider_ref on refunds (tenant_id, provider_ref) where provider_ref is not null;
create trigger refunds_touch before update on refunds for each row execute function app_touch_updated_at();
call app_isolate_by_tenant('refunds');
-- Whoever sees the payment sees its refunds; a vendor only those of its own part.
call app_restrict_payments('refunds',
  $p$(select current_setting('app.worker', true)) = 'on' or (select app_is_tenant_admin())
     or exists (select from payments p where p.id = refunds.payment_id
                  and p.customer_id = (select app_current_user()))
     or exists (select from vendor_orders vo where vo.id = refunds.vendor_order_id
                  and vo.vendor_id = (select app_current_vendor()))$p$);

-- ---------------------------------------------------------------------------------------------
-- The ledger: every authorization, capture, refund and failure, as it happened. Rows are never
-- changed or removed, by anyone (the trigger binds the owner too).
create table payment_transactions (
  id                 uuid primary key,
  tenant_id          uuid not null,
  payment_id         uuid not null,
  refund_id          uuid,
  kind               text not null check (kind in ('authorization', 'capture', 'refund', 'failure',
                       'cancellation')),
  amount_minor       bigint not null check (amount_minor >= 0),
  currency           char(3) not null,
  provider           text not null,
  provider_ref       text check (length(provider_ref) <= 255),
  provider_event_id  text check (length(provider_event_id) <= 255),
  detail             text check (length(detail) <= 500),
  created_at         timestamptz not null default now(),
  foreign key (tenant_id, payment_id) references payments (tenant_id, id),
  foreign key (tenant_id, refund_id) references refunds (tenant_id, id)
);
create index payment_transactions_payment on payment_transactions (tenant_id, payment_id, id);
create function payment_transactions_append_only() returns trigger
  language plpgsql
  as $$
begin
  raise exception 'payment_transactions is append-only' using errcode = 'insufficient_privilege';
end
$$;
create trigger payment_transactions_immutable before update or delete on payment_transactions
  for each row execute function payment_transactions_append_only();
revoke update, delete, truncate on payment_transactions from gamarriando_app;
call app_isolate_by_tenant('payment_transactions');
call app_restrict_payments('payment_transactions',
  $p$(select current_setting('app.worker', true)) = 'on'
     or exists (select from payments p where p.id = payment_transactions.payment_id)$p$);

-- ---------------------------------------------------------------------------------------------
-- Provider events applied, by the provider's event id: a redelivered webhook changes nothing.
create table payment_webhook_events (
  tenant_id    uuid not null,
  provider     text not null,
  event_id     text not null check (length(event_id) between 1 and 255),
  kind         text not null,
  received_at  timestamptz not null default now(),
  primary key (tenant_id, provider, event_id)
);
call app_isolate_by_tenant('payment_webhook_events');
call app_restrict_payments('payment_webhook_events',
  $p$(select current_setting('app.worker', true)) = 'on' or (select app_is_tenant_admin())$p$);

-- ---------------------------------------------------------------------------------------------
-- Saved payment methods: the provider's token and what may be shown (brand, last four digits,
-- expiry). Never a card number or a CVC.
create table payment_methods (
  id           uuid primary key,
  tenant_id    uuid not null,
  user_id      uuid not null,
  provider     text not null,
  token        text not null check (length(token) between 3 and 255),
  brand        text check (length(brand) <= 40),
  last4        text check (last4 ~ '^[0-9]{4}$'),
  exp_month    smallint check (exp_month between 1 and 12),
  exp_year     smallint check (exp_year between 2000 and 2200),
  is_default   boolean not null default false,
  created_at   timestamptz not null default now(),
  unique (tenant_id, user_id, provider, token),
  foreign key (tenant_id, user_id) references users (tenant_id, id) on delete cascade
);
create unique index payment_methods_one_default on payment_methods (tenant_id, user_id) where is_default;
create index payment_methods_of on payment_methods (tenant_id, user_id, id desc);
call app_isolate_by_tenant('payment_methods');
call app_restrict_payments('payment_methods', $p$user_id = (select app_current_user())$p$);
