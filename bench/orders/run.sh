#!/usr/bin/env bash
# Checkout under load: wrk POSTing /api/v1/orders against the release server on a database filled
# by generate.sh (distinct products: a random one of 10k variants per order; hot: every order buys
# the same variant), then pgbench's builtin TPC-B-like script on its own database, same client
# count, same duration, same machine, one after the other; then a short variant that runs out
# (clean 409 out_of_stock answers), and verify.sql (units sold = reserved, nothing oversold).
#   cargo build --release -p gamarriando-server
#   bench/orders/generate.sh gmr_bench_orders && bench/orders/run.sh gmr_bench_orders
# CONNS ("16 64"), DURATION (20s), WARMUP (5s), POOL (server pool, 16), SCENARIOS ("distinct hot"),
# SHORT_CONNS (64), SHORT_DURATION (10s), SHORT_QMAX (3), PGBENCH_DB (gmr_bench_pgbench),
# PGBENCH_MODE (prepared), BENCH_REDIS_URL (unset: the server caches in memory), OUT (results
# and the server log; a new /tmp directory by default, kept).
set -euo pipefail
cd "$(dirname "$0")"
DB=${1:?usage: run.sh DATABASE}
BIN=${BIN:-${CARGO_TARGET_DIR:-$HOME/.cache/gamarriando-target}/release/gamarriando}
CONNS=${CONNS:-16 64}
DURATION=${DURATION:-20s}
WARMUP=${WARMUP:-5s}
POOL=${POOL:-16}
SCENARIOS=${SCENARIOS:-distinct hot}
SHORT_CONNS=${SHORT_CONNS:-64}
SHORT_DURATION=${SHORT_DURATION:-10s}
SHORT_QMAX=${SHORT_QMAX:-3}
PGBENCH_DB=${PGBENCH_DB:-gmr_bench_pgbench}
PGBENCH_MODE=${PGBENCH_MODE:-prepared}
PORT=${PORT:-18082}
OUT=${OUT:-$(mktemp -d /tmp/gmr-bench-orders.XXXXXX)}
SUPER="postgres://postgres@127.0.0.1:5432/$DB"
HOST=checkout.localhost
URL=http://127.0.0.1:$PORT
PASSWORD=bench-orders-2026
command -v wrk >/dev/null || apt-get install -y wrk >/dev/null
mkdir -p "$OUT/data"

export BENCH_DATA=$OUT TENANT_HOST=$HOST
for part in distinct hot short; do
  psql -qtA "$SUPER" -c "select variant_id from bench_variants where part = '$part' order by n" >"$OUT/$part.tsv"
done

# The server: the runtime role, no Redis (in-memory cache) unless BENCH_REDIS_URL, tokens that
# outlive the run, sign-in limits out of the way (every customer signs in once, from one
# address), and no unpaid order expiring (and releasing its stock) before verify.sql.
unset REDIS_URL DATABASE_OWNER_URL
if [ -n "${BENCH_REDIS_URL:-}" ]; then export REDIS_URL=$BENCH_REDIS_URL CACHE_NAMESPACE=bench-orders-$$; fi
export DATABASE_URL=postgres://gamarriando_app@127.0.0.1:5432/$DB GAMARRIANDO_DATA_DIR=$OUT/data
export BIND=127.0.0.1:$PORT RUST_LOG=warn DATABASE_MAX_CONNECTIONS=$POOL PLATFORM_DOMAIN=localhost
export ACCESS_TOKEN_TTL_SECS=86400 LOGIN_LIMIT_PER_IP=1000000 LOGIN_LIMIT_PER_ACCOUNT=1000000
export ORDER_PAYMENT_TIMEOUT_SECS=604800
# Checkout alone: the outbox worker (which would turn every order.placed into notifications on
# the same 2 cores) runs in another process in production, and is measured by bench/notifications.
export OUTBOX_WORKER=false
"$BIN" serve >"$OUT/server.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true' EXIT
for _ in $(seq 100); do curl -sf "$URL/health" >/dev/null && break; sleep 0.1; done

# Customers: one account registered through the API gives a real password hash, which the
# generated customers take (SQL, as the superuser); then each signs in through the API.
curl -s -o /dev/null -H "Host: $HOST" -H 'content-type: application/json' "$URL/api/v1/users/register" \
  -d "{\"email\":\"hash-source@checkout.test\",\"password\":\"$PASSWORD\"}"
psql -q "$SUPER" -c "update users u set password_hash = h.password_hash
    from users h join tenants t on t.id = h.tenant_id and t.slug = 'checkout'
   where h.email = 'hash-source@checkout.test' and u.tenant_id = t.id and u.password_hash = 'x'
     and u.email in (select email from bench_customers)"
psql -qtA "$SUPER" -c "select email from bench_customers order by n" |
  xargs -P 2 -I{} curl -sf -H "Host: $HOST" -H 'content-type: application/json' "$URL/api/v1/users/login" \
    -d "{\"email\":\"{}\",\"password\":\"$PASSWORD\"}" -o "$OUT/login-{}.json"
cat "$OUT"/login-*.json | jq -r .access_token >"$OUT/tokens.tsv"
rm -f "$OUT"/login-*.json
echo "== $(wc -l <"$OUT/tokens.tsv") customers signed in; $(wc -l <"$OUT/distinct.tsv") distinct variants; server pool $POOL; $(nproc) cores; $(psql -qtA "$SUPER" -c "select format('PostgreSQL %s, shared_buffers %s, synchronous_commit %s, autovacuum %s', current_setting('server_version'), current_setting('shared_buffers'), current_setting('synchronous_commit'), current_setting('autovacuum'))"); results in $OUT"

# One checkout must answer 201 before measuring.
curl -sf -o "$OUT/sample.json" -w '%{http_code}' -H "Host: $HOST" -H 'content-type: application/json' \
  -H "authorization: Bearer $(head -1 "$OUT/tokens.tsv")" -H "Idempotency-Key: bench-sample-$$-$RANDOM" \
  "$URL/api/v1/orders" -d "{\"lines\":[{\"variant_id\":\"$(head -1 "$OUT/distinct.tsv")\",\"quantity\":1}],
    \"shipping_address\":{\"recipient\":\"Ana Quispe\",\"line1\":\"Jr. Gamarra 1\",\"city\":\"Lima\",\"country\":\"PE\"}}"
echo " sample order $(jq -r '"\(.number): \(.item_count) item, total \(.total_minor) \(.currency) (tax \(.tax_minor), shipping \(.shipping_minor))"' "$OUT/sample.json")"

orders() { psql -qtA "$SUPER" -c "select count(*) from orders"; }
# What the database sessions of DATABASE ($1) are doing, once a second: state and wait event
# (none: on CPU). Lock/transactionid is a session queueing for a row another transaction holds.
sample_waits() {
  while :; do
    psql -qtA -F' ' "postgres://postgres@127.0.0.1:5432/$1" -c "select replace(state, ' ', '-'),
      coalesce(wait_event_type || '/' || wait_event, 'CPU') from pg_stat_activity
      where datname = current_database() and state <> 'idle' and pid <> pg_backend_pid()"
    sleep 1
  done
}
top_waits() { # file: the five most sampled states, share of samples
  sort "$1" | uniq -c | sort -rn | awk '{n[NR]=$1; w[NR]=$2" "$3; t+=$1} END {
    printf "waits:"; for (i = 1; i <= 5 && i <= NR; i++) printf " %s %.0f%%;", w[i], 100*n[i]/t; print ""}'
}
checkout() { # name conns duration variants-file qmax
  local before after sampler
  # Fresh statistics for the tables the runs fill, as autovacuum would keep them (it may be off
  # on a test server: then the planner believes the order tables are empty). pgbench vacuums its
  # own tables before each run likewise. Then a checkpoint, as before pgbench: a phase that a
  # checkpoint interrupts pays for full-page images of every page it touches afterwards, and
  # runs then moved by ±20% depending on where the last one fell.
  psql -q "$SUPER" -c "vacuum analyze" -c "checkpoint" >/dev/null
  before=$(orders)
  printf '%-8s c=%-3s load %s  ' "$1" "$2" "$(cut -d' ' -f1-3 /proc/loadavg)"
  sample_waits "$DB" >"$OUT/waits-$1-$2.txt" 2>/dev/null &
  sampler=$!
  VARIANTS=$4 QMAX=$5 wrk -t2 -c"$2" -d"$3" -s checkout.lua "$URL" >"$OUT/wrk-$1-$2.txt"
  kill "$sampler"; wait "$sampler" 2>/dev/null || true
  after=$(orders)
  grep '^RESULT' "$OUT/wrk-$1-$2.txt" | cut -c8-
  printf '%-8s c=%-3s %s; orders written %s\n' "$1" "$2" "$(grep '^STATUS' "$OUT/wrk-$1-$2.txt" | cut -c8-)" "$((after - before))"
  printf '%-8s c=%-3s %s\n' "$1" "$2" "$(top_waits "$OUT/waits-$1-$2.txt")"
  grep '^OTHER' "$OUT/wrk-$1-$2.txt" || true
}

declare -A rate
for c in $CONNS; do
  VARIANTS=distinct.tsv QMAX=1 wrk -t2 -c"$c" -d"$WARMUP" -s checkout.lua "$URL" >/dev/null   # warm-up
  for s in $SCENARIOS; do
    checkout "$s" "$c" "$DURATION" "$s.tsv" 1
    rate[$s-$c]=$(sed -n 's/.*created_per_s=\([0-9]*\).*/\1/p' "$OUT/wrk-$s-$c.txt")
  done
  psql -q "$SUPER" -c "checkpoint" >/dev/null
  printf '%-8s c=%-3s load %s  ' pgbench "$c" "$(cut -d' ' -f1-3 /proc/loadavg)"
  sample_waits "$PGBENCH_DB" >"$OUT/waits-pgbench-$c.txt" 2>/dev/null &
  sampler=$!
  pgbench -h 127.0.0.1 -U postgres -b tpcb-like -M "$PGBENCH_MODE" -c "$c" -j 2 -T "${DURATION%s}" \
    --log --sampling-rate=1 --log-prefix="$OUT/pgbench-$c" "$PGBENCH_DB" >"$OUT/pgbench-$c.txt" 2>&1
  kill "$sampler"; wait "$sampler" 2>/dev/null || true
  tps=$(sed -n 's/^tps = \([0-9.]*\).*/\1/p' "$OUT/pgbench-$c.txt")
  printf 'tps=%.0f failed=%s ' "$tps" "$(sed -n 's/^number of failed transactions: \([0-9]*\).*/\1/p' "$OUT/pgbench-$c.txt")"
  # p50/p95/p99 from pgbench's per-transaction log (latency in µs, third field).
  cat "$OUT"/pgbench-"$c".[0-9]* | awk '{print $3}' | sort -n | awk '{a[NR]=$1} END {
    printf "p50=%.2fms p95=%.2fms p99=%.2fms\n", a[int(NR*0.50)]/1000, a[int(NR*0.95)]/1000, a[int(NR*0.99)]/1000}'
  rm -f "$OUT"/pgbench-"$c".[0-9]*
  printf '%-8s c=%-3s %s\n' pgbench "$c" "$(top_waits "$OUT/waits-pgbench-$c.txt")"
  for s in $SCENARIOS; do
    awk -v s="$s" -v c="$c" -v r="${rate[$s-$c]}" -v t="$tps" \
      'BEGIN { printf "ratio    c=%-3s %-8s checkouts/s %s / pgbench tps %.0f = %.0f%%\n", c, s, r, t, 100 * r / t }'
  done
done

# A variant of SHORT_STOCK units, 1 to SHORT_QMAX per order: it sells out, then every answer
# must be a clean 409 out_of_stock.
checkout short "$SHORT_CONNS" "$SHORT_DURATION" short.tsv "$SHORT_QMAX"
jq -c '{code, errors}' <<<"$(curl -s -H "Host: $HOST" -H 'content-type: application/json' \
  -H "authorization: Bearer $(head -1 "$OUT/tokens.tsv")" -H "Idempotency-Key: bench-short-$$-$RANDOM" \
  "$URL/api/v1/orders" -d "{\"lines\":[{\"variant_id\":\"$(head -1 "$OUT/short.tsv")\",\"quantity\":1}],
    \"shipping_address\":{\"recipient\":\"Ana Quispe\",\"line1\":\"Jr. Gamarra 1\",\"city\":\"Lima\",\"country\":\"PE\"}}")"

echo "== verify (units sold = reserved, nothing oversold)"
psql -q "$SUPER" -f verify.sql
# JSON logs (stdout is not a terminal): errors are 5xx answers, with their cause.
echo "== server log: $(grep -c . "$OUT/server.log" || true) lines, $(grep -c '"level":"ERROR"' "$OUT/server.log" || true) errors, $(grep -c '"level":"WARN"' "$OUT/server.log" || true) warnings ($OUT/server.log)"
grep -E '"level":"(ERROR|WARN)"' "$OUT/server.log" | head -20 || true
