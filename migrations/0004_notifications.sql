-- Minimal in-app notifications: where verification and reset messages are delivered until the
-- notification service lands. A user reads only their own rows (tenant policy + user policy).
create table notifications (
  id          uuid primary key,
  tenant_id   uuid not null,
  user_id     uuid not null,
  channel     text not null default 'in_app',
  template    text not null,
  subject     text not null,
  body        text not null,
  data        jsonb not null default '{}',
  read_at     timestamptz,
  created_at  timestamptz not null default now(),
  foreign key (tenant_id, user_id) references users (tenant_id, id) on delete cascade
);
create index notifications_owner on notifications (tenant_id, user_id, id desc);
call app_isolate_by_tenant('notifications');
