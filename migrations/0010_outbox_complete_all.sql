-- A worker records the deliveries of a whole batch in one statement instead of one transaction
-- per event (kernel::outbox::Worker::run_once). Fencing as before: an event is marked done only
-- if it is still processing under the attempt its claim returned.
create function outbox_complete_all(p_events uuid[], p_attempts integer[]) returns integer
  language sql volatile security definer
  set search_path = public, pg_temp
  as $$
  with done as (
    update outbox o
       set status = 'done', locked_until = null, processed_at = now()
      from unnest(p_events, p_attempts) as e (id, attempt)
     where o.id = e.id and o.status = 'processing' and o.attempts = e.attempt
    returning 1
  )
  select count(*)::integer from done
$$;
revoke execute on function outbox_complete_all(uuid[], integer[]) from public;
grant execute on function outbox_complete_all(uuid[], integer[]) to gamarriando_app;

drop function outbox_complete(uuid, integer);
