-- Two building blocks every write service stands on (kernel::outbox, kernel::idempotency).
--
-- Both tables are tenant-owned with forced RLS like every other. Neither has a foreign key to
-- `tenants`: the tenant policy's WITH CHECK already pins `tenant_id` to the resolved (existing)
-- tenant, and such a key would make every write take a KEY SHARE lock on that tenant's one
-- registry row, which concurrent writes of a busy marketplace then share as a MultiXact. Work that must see every tenant
-- (the outbox worker, housekeeping) goes through the SECURITY DEFINER functions below, which run
-- as the owner; a second permissive policy, for the owner only and only in the platform scope,
-- lets them see all tenants. So:
--   * the runtime role sees only its tenant's rows, in any scope, the platform's included;
--   * a definer function sees what its caller's scope allows, read as the owner: the platform
--     scope (`Db::begin_platform`, what the worker uses) sees every tenant, a marketplace scope
--     only that marketplace, no scope nothing.
-- The owner policy names the role that runs this migration (`current_user`), which is the role
-- that owns the functions.

-- ---------------------------------------------------------------------------------------------
-- Outbox: events written in the transaction of the change they describe; delivered later by a
-- worker (notifications, webhooks). Life of a row:
--   pending --claim--> processing --complete--> done
--                       |   `--fail (retry)--> pending (available_at = now() + backoff)
--                       `--fail (give up)--> dead --retry (admin)--> pending
-- `attempts` counts claims: a worker that dies while holding a lease has spent an attempt too, so
-- an event that crashes its worker ends dead instead of looping for ever.
create table outbox (
  id            uuid primary key,
  tenant_id     uuid not null,
  topic         text not null
                check (length(topic) <= 100 and topic ~ '^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$'),
  aggregate_id  uuid not null,
  payload       jsonb not null default '{}',
  status        text not null default 'pending'
                check (status in ('pending', 'processing', 'done', 'dead')),
  attempts      integer not null default 0 check (attempts >= 0),
  -- When the event may be claimed (next attempt).
  available_at  timestamptz not null default now(),
  -- The lease of the worker holding it; past it, the event is claimable again.
  locked_until  timestamptz,
  last_error    text,
  created_at    timestamptz not null default now(),
  -- When it was delivered or given up.
  processed_at  timestamptz,
  check ((status = 'processing') = (locked_until is not null))
);
create index outbox_due on outbox (available_at) where status = 'pending';
create index outbox_leased on outbox (locked_until) where status = 'processing';
create index outbox_dead_by_tenant on outbox (tenant_id, id) where status = 'dead';
create index outbox_done on outbox (processed_at) where status = 'done';

call app_isolate_by_tenant('outbox');
create policy worker on outbox to current_user
  using ((select app_current_tenant()) = app_platform_tenant())
  with check ((select app_current_tenant()) = app_platform_tenant());
-- The runtime role writes events and may read its tenant's; their state changes only through the
-- functions below.
revoke update, delete, truncate on outbox from gamarriando_app;

-- Wakes LISTENing workers. NOTIFY is delivered at commit (and never for a rolled-back
-- transaction), once per transaction and channel however many rows it inserted.
create function outbox_notify() returns trigger
  language plpgsql
  as $$
begin
  perform pg_notify('gamarriando_outbox', '');
  return null;
end
$$;
create trigger outbox_notify after insert on outbox
  for each statement execute function outbox_notify();

-- Claims up to `batch` due events for `lease`: marks them processing, counts the attempt and
-- returns them. Events whose lease expired (their worker died) are due again first.
-- SKIP LOCKED: concurrent workers never claim the same row and never wait for each other.
create function outbox_claim(batch integer, lease interval)
  returns table (id uuid, tenant_id uuid, topic text, aggregate_id uuid, payload jsonb, attempts integer)
  language plpgsql volatile security definer
  set search_path = public, pg_temp
  as $$
#variable_conflict use_column
begin
  update outbox o
     set status = 'pending', locked_until = null, available_at = now(),
         last_error = 'lease expired (the worker stopped before finishing)'
   where o.id in (select x.id from outbox x
                   where x.status = 'processing' and x.locked_until <= now()
                   for update skip locked);
  return query
  with due as (
    select x.id from outbox x
     where x.status = 'pending' and x.available_at <= now()
     order by x.available_at
     limit greatest(batch, 0)
     for update skip locked
  )
  update outbox o
     set status = 'processing', locked_until = now() + lease, attempts = o.attempts + 1
    from due
   where o.id = due.id
  returning o.id, o.tenant_id, o.topic, o.aggregate_id, o.payload, o.attempts;
end
$$;

-- Marks a claimed event delivered. `attempt` is the `attempts` value the claim returned: a worker
-- whose lease expired and whose event was claimed again cannot change it any more (fencing).
create function outbox_complete(event uuid, attempt integer) returns boolean
  language sql volatile security definer
  set search_path = public, pg_temp
  as $$
  with done as (
    update outbox
       set status = 'done', locked_until = null, processed_at = now()
     where id = event and status = 'processing' and attempts = attempt
    returning 1
  )
  select exists (select from done)
$$;

-- Records a failed attempt: back to pending, due again after `backoff`, or dead when `backoff` is
-- null (the worker gave up: a permanent error or the last attempt). Returns false when the claim
-- was no longer this worker's.
create function outbox_fail(event uuid, attempt integer, error text, backoff interval)
  returns boolean
  language sql volatile security definer
  set search_path = public, pg_temp
  as $$
  with failed as (
    update outbox
       set status = case when backoff is null then 'dead' else 'pending' end,
           available_at = case when backoff is null then available_at else now() + backoff end,
           processed_at = case when backoff is null then now() end,
           locked_until = null,
           last_error = left(error, 2000)
     where id = event and status = 'processing' and attempts = attempt
    returning 1
  )
  select exists (select from failed)
$$;

-- An operator's retry of a dead event: pending again with a fresh set of attempts.
create function outbox_retry(event uuid) returns boolean
  language plpgsql volatile security definer
  set search_path = public, pg_temp
  as $$
begin
  update outbox
     set status = 'pending', attempts = 0, available_at = now(), processed_at = null
   where id = event and status = 'dead';
  if not found then
    return false;
  end if;
  perform pg_notify('gamarriando_outbox', '');
  return true;
end
$$;

-- Seconds until the next event is due (pending, or a lease expiring); null when none is. The
-- worker sleeps that long (or until NOTIFY), so backoffs and expired leases need no polling.
create function outbox_next_due() returns double precision
  language sql stable security definer
  set search_path = public, pg_temp
  as $$
  select extract(epoch from least(
           (select min(available_at) from outbox where status = 'pending'),
           (select min(locked_until) from outbox where status = 'processing')) - now())::float8
$$;

-- Dead events, oldest first, after the cursor `after_id`; `only_tenant` narrows (the platform
-- scope sees every tenant).
create function outbox_dead(only_tenant uuid, after_id uuid, lim integer)
  returns table (id uuid, tenant_id uuid, topic text, aggregate_id uuid, payload jsonb,
                 attempts integer, last_error text, created_at timestamptz, processed_at timestamptz)
  language sql stable security definer
  set search_path = public, pg_temp
  as $$
  select o.id, o.tenant_id, o.topic, o.aggregate_id, o.payload, o.attempts, o.last_error,
         o.created_at, o.processed_at
    from outbox o
   where o.status = 'dead'
     and (only_tenant is null or o.tenant_id = only_tenant)
     and (after_id is null or o.id > after_id)
   order by o.id
   limit least(greatest(lim, 0), 1000)
$$;

-- Deletes up to `lim` events delivered more than `older_than` ago; returns how many.
create function outbox_purge(older_than interval, lim integer) returns integer
  language sql volatile security definer
  set search_path = public, pg_temp
  as $$
  with gone as (
    delete from outbox
     where id in (select id from outbox
                   where status = 'done' and processed_at < now() - older_than
                   limit greatest(lim, 0))
    returning 1
  )
  select count(*)::integer from gone
$$;

-- ---------------------------------------------------------------------------------------------
-- Idempotency records: the first response to a write sent with an `Idempotency-Key`, bound to the
-- tenant, the caller (`user:<uuid>`, or `guest`), the key and a SHA-256 of the request. Inserted
-- in the transaction of the write itself, so a committed write always has its record and a
-- rolled-back one never has.
create table idempotency_keys (
  tenant_id         uuid not null,
  scope             text not null check (scope = 'guest' or scope ~ '^user:[0-9a-f-]{36}$'),
  key               text not null check (length(key) between 1 and 255 and key !~ '[^ -~]'),
  request_hash      bytea not null check (length(request_hash) = 32),
  response_status   integer not null check (response_status between 100 and 599),
  response_headers  jsonb not null default '{}',
  response_body     bytea not null,
  created_at        timestamptz not null default now(),
  expires_at        timestamptz not null,
  primary key (tenant_id, scope, key)
);
create index idempotency_keys_expiry on idempotency_keys (expires_at);

call app_isolate_by_tenant('idempotency_keys');
create policy housekeeping on idempotency_keys to current_user
  using ((select app_current_tenant()) = app_platform_tenant())
  with check ((select app_current_tenant()) = app_platform_tenant());
revoke update, truncate on idempotency_keys from gamarriando_app;

-- Returns the live record of a key, if any, for the caller to compare and replay; when there is
-- none, first serializes requests with the same key. The transaction-scoped advisory lock is held
-- until the caller's transaction ends: the first request does its work and inserts the record
-- under it, and a concurrent duplicate waits here (at most `p_wait`; then SQLSTATE 55P03,
-- lock_not_available) and then reads the committed record. A completed key is answered without
-- taking the lock. An expired record is deleted and reads as absent.
-- Invoker's rights: it sees only the caller's tenant. The SET clause confines the lock_timeout
-- set inside to this call.
create function idempotency_lookup(p_scope text, p_key text, p_wait interval)
  returns table (request_hash bytea, response_status integer, response_headers jsonb,
                 response_body bytea)
  language plpgsql volatile
  set lock_timeout = 0
  as $$
#variable_conflict use_column
declare
  t uuid := app_current_tenant();
begin
  if t is null then
    raise exception 'idempotency_lookup needs a tenant' using errcode = 'insufficient_privilege';
  end if;
  return query
  select k.request_hash, k.response_status, k.response_headers, k.response_body
    from idempotency_keys k
   where k.tenant_id = t and k.scope = p_scope and k.key = p_key and k.expires_at > now();
  if found then
    return;
  end if;
  perform set_config('lock_timeout',
    greatest(ceil(extract(epoch from p_wait) * 1000), 1)::bigint::text, true);
  perform pg_advisory_xact_lock(hashtextextended(t::text || ' ' || p_scope || ' ' || p_key, 7243007));
  -- A new snapshot: what the request we waited for committed is visible now.
  delete from idempotency_keys k
   where k.tenant_id = t and k.scope = p_scope and k.key = p_key and k.expires_at <= now();
  return query
  select k.request_hash, k.response_status, k.response_headers, k.response_body
    from idempotency_keys k
   where k.tenant_id = t and k.scope = p_scope and k.key = p_key;
end
$$;

-- Deletes up to `lim` expired records (every tenant's in the platform scope); returns how many.
create function idempotency_purge(lim integer) returns integer
  language sql volatile security definer
  set search_path = public, pg_temp
  as $$
  with gone as (
    delete from idempotency_keys
     where (tenant_id, scope, key) in (select tenant_id, scope, key from idempotency_keys
                                        where expires_at <= now()
                                        limit greatest(lim, 0))
    returning 1
  )
  select count(*)::integer from gone
$$;

revoke execute on function outbox_notify(), outbox_claim(integer, interval),
  outbox_complete(uuid, integer), outbox_fail(uuid, integer, text, interval), outbox_retry(uuid),
  outbox_next_due(), outbox_dead(uuid, uuid, integer), outbox_purge(interval, integer),
  idempotency_lookup(text, text, interval), idempotency_purge(integer)
  from public;
grant execute on function outbox_claim(integer, interval),
  outbox_complete(uuid, integer), outbox_fail(uuid, integer, text, interval), outbox_retry(uuid),
  outbox_next_due(), outbox_dead(uuid, uuid, integer), outbox_purge(interval, integer),
  idempotency_lookup(text, text, interval), idempotency_purge(integer)
  to gamarriando_app;
