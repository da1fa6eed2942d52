-- The notification benchmark's marketplace, loaded by run.sh as the superuser (a fixture loader,
-- not application code): tenant `avisos` with :customers verified customers (half read English)
-- and, when :smtp_port is not 0, the email channel on the local SMTP sink.
--   psql -v customers=<n> -v smtp_port=<port> -f setup.sql
\set ON_ERROR_STOP on
set client_min_messages = warning;
begin;
select '01a20000-0000-7000-8000-000000000001' as tid \gset
select set_config('app.tenant_id', :'tid', true) \g /dev/null
insert into tenants (id, slug, name, default_locale, currency)
values (:'tid', 'avisos', 'Bench avisos', 'es', 'PEN');
insert into users (id, tenant_id, email, password_hash, email_verified_at)
select gen_random_uuid(), :'tid', format('cliente%s@avisos.test', g), 'x', now()
  from generate_series(1, :customers) g;
insert into user_preferences (user_id, tenant_id, locale)
select id, tenant_id, case when random() < 0.5 then 'en' else 'es' end from users;
insert into notification_channels (tenant_id, channel, provider, settings)
select :'tid', 'email', 'smtp',
       jsonb_build_object('host', '127.0.0.1', 'port', :smtp_port, 'tls', 'none',
                          'from', 'Avisos <no-reply@avisos.test>')
 where :smtp_port <> 0;
create table bench_customers as select id from users;
commit;
