-- The outbox no longer NOTIFYs. A NOTIFY takes one database-wide lock at commit and holds it
-- through the commit's WAL flush, so every transaction that wrote an event (every checkout)
-- committed one after the other (bench/orders.md: 11-27% more checkouts without it). A commit
-- wakes the workers of its own process directly; other processes' workers poll every 500 ms.
drop trigger outbox_notify on outbox;
drop function outbox_notify();

create or replace function outbox_retry(event uuid) returns boolean
  language plpgsql volatile security definer
  set search_path = public, pg_temp
  as $$
begin
  update outbox
     set status = 'pending', attempts = 0, available_at = now(), processed_at = null
   where id = event and status = 'dead';
  return found;
end
$$;
