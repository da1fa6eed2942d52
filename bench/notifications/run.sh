#!/usr/bin/env bash
# Notification delivery benchmark (bench/notifications.md has the numbers and how to read them).
#   1. throughput: EVENTS queued `order.placed` events → stored in-app messages, drained by one
#      `gamarriando worker --once`, then by two at once;
#   2. email: EMAIL_EVENTS events → messages to the local SMTP sink (.ci/smtp_sink.py) and in-app;
#   3. latency: an idle long-running `gamarriando worker`, LATENCY_EVENTS events committed one by
#      one 50 ms apart; commit-to-delivery p50/p99 (outbox.created_at → notifications.created_at).
# Needs the release binary, PostgreSQL on 127.0.0.1:5432 (postgres, trust) and, for step 2, the
# SMTP sink on 127.0.0.1:8025.
#   bench/notifications/run.sh gmr_bench_notify
set -euo pipefail
cd "$(dirname "$0")"
DB=${1:-gmr_bench_notify}
EVENTS=${EVENTS:-10000}
EMAIL_EVENTS=${EMAIL_EVENTS:-2000}
LATENCY_EVENTS=${LATENCY_EVENTS:-200}
CUSTOMERS=${CUSTOMERS:-1000}
SMTP_PORT=${SMTP_PORT:-8025}
BIN=${BIN:-${CARGO_TARGET_DIR:-$HOME/.cache/gamarriando-target}/release/gamarriando}
ADMIN=${ADMIN_URL:-postgres://postgres@127.0.0.1:5432/postgres}
SUPER="postgres://postgres@127.0.0.1:5432/$DB"
OUT=$(mktemp -d)
export DATABASE_URL=postgres://gamarriando_app@127.0.0.1:5432/$DB GAMARRIANDO_DATA_DIR=$OUT/data \
  LOG_FORMAT=json RUST_LOG=warn
unset REDIS_URL OUTBOX_WORKER

. ../lib.sh
sql() { psql -qtA "$SUPER" -c "$1"; }
now_ms() { date +%s%3N; }

prepare() { # prepare SMTP_PORT
  fresh_database "$DB"
  psql -q "$SUPER" -v customers="$CUSTOMERS" -v smtp_port="$1" -f setup.sql
}

drain() { # drain WORKERS: runs WORKERS `worker --once` at once; prints the elapsed ms
  local start pids=()
  start=$(now_ms)
  for _ in $(seq "$1"); do
    "$BIN" worker --once >>"$OUT/worker.log" 2>&1 &
    pids+=($!)
  done
  wait "${pids[@]}"
  echo $(($(now_ms) - start))
}

throughput() { # throughput WORKERS
  prepare 0
  psql -q "$SUPER" -v events="$EVENTS" -f queue.sql
  sql "vacuum analyze" >/dev/null
  local ms n
  ms=$(drain "$1")
  n=$(sql "select count(*) from notifications where channel = 'in_app'")
  [ "$(sql "select count(*) from outbox where status <> 'done'")" = 0 ] || { echo "events left undone"; exit 1; }
  [ "$n" = "$EVENTS" ] || { echo "expected $EVENTS in-app messages, got $n"; exit 1; }
  printf '| in-app, %d worker(s) | %d events | %d ms | %d deliveries/s |\n' "$1" "$EVENTS" "$ms" $((n * 1000 / ms))
}

email() {
  prepare "$SMTP_PORT"
  psql -q "$SUPER" -v events="$EMAIL_EVENTS" -f queue.sql
  local ms sent
  ms=$(drain 1)
  sent=$(sql "select count(*) from notifications where channel = 'email' and status = 'sent'")
  [ "$sent" = "$EMAIL_EVENTS" ] || { echo "expected $EMAIL_EVENTS emails sent, got $sent"; exit 1; }
  printf '| email (SMTP) + in-app, 1 worker | %d events | %d ms | %d emails/s |\n' "$EMAIL_EVENTS" "$ms" $((sent * 1000 / ms))
}

latency() {
  prepare 0
  "$BIN" worker >>"$OUT/worker.log" 2>&1 &
  local worker=$!
  sleep 1
  for _ in $(seq "$LATENCY_EVENTS"); do
    psql -q "$SUPER" -v events=1 -f queue.sql
    sleep 0.05
  done
  sleep 1
  kill -TERM "$worker"
  wait "$worker" || true
  sql "select format('| commit → in-app, idle worker | %s events | p50 %s ms | p99 %s ms, max %s ms |',
           count(*),
           round((percentile_cont(0.5) within group (order by d))::numeric, 1),
           round((percentile_cont(0.99) within group (order by d))::numeric, 1),
           round(max(d)::numeric, 1))
         from (select extract(epoch from n.created_at - o.created_at) * 1000 as d
                 from notifications n join outbox o on o.id = n.event_id) x"
}

echo "| run | work | time | rate |"
echo "|---|---|---|---|"
throughput 1
throughput 2
email
latency
psql -q "$ADMIN" -c "drop database if exists $DB" >/dev/null
rm -rf "$OUT"
