#!/usr/bin/env bash
# Serves a database filled by generate.sh and measures, for the product list page, search with
# facets and autocomplete: wrk against the server (warm: rotating over a fixed set, so mostly
# cache hits; uncached: a cache key never seen before on every request) and pgbench -M prepared
# running the same SQL functions as the same runtime role on the same machine.
#   cargo build --release -p gamarriando-server
#   bench/products/generate.sh gmr_bench_1m && bench/products/run.sh gmr_bench_1m
# CONNS (64), DURATION (20s), PRIME (25s), POOL (server pool, 16), ENDPOINTS ("list search autocomplete").
set -euo pipefail
cd "$(dirname "$0")"
DB=${1:?usage: run.sh DATABASE}
BIN=${BIN:-${CARGO_TARGET_DIR:-$HOME/.cache/gamarriando-target}/release/gamarriando}
DURATION=${DURATION:-20s}
# How long to prime the caches before a warm run (enough for every combination once at 1M).
PRIME=${PRIME:-25s}
CONNS=${CONNS:-64}
POOL=${POOL:-16}
ENDPOINTS=${ENDPOINTS:-list search autocomplete}
PORT=${PORT:-18081}
SUPER="postgres://postgres@127.0.0.1:5432/$DB"

export BENCH_DIR=$PWD BENCH_DATA=$(mktemp -d)
psql -qtA -F $'\t' "$SUPER" -c "select host, locale from bench_hosts order by n" >"$BENCH_DATA/hosts.tsv"
psql -qtA -F $'\t' "$SUPER" -c "select host, category from bench_categories order by n" >"$BENCH_DATA/categories.tsv"
psql -qtA -F $'\t' "$SUPER" -c "select q, locale from bench_queries order by n" >"$BENCH_DATA/queries.tsv"
psql -qtA -F $'\t' "$SUPER" -c "select q, locale from bench_prefixes order by n" >"$BENCH_DATA/prefixes.tsv"
counts=$(psql -qtA "$SUPER" -c "select format('-D nhosts=%s -D ncategories=%s -D nqueries=%s -D nprefixes=%s',
  (select count(*) from bench_hosts), (select count(*) from bench_categories),
  (select count(*) from bench_queries), (select count(*) from bench_prefixes))")

export DATABASE_URL=postgres://gamarriando_app@127.0.0.1:5432/$DB
export REDIS_URL=redis://127.0.0.1:6379 CACHE_NAMESPACE=bench-products-$$ GAMARRIANDO_DATA_DIR=$BENCH_DATA
export BIND=127.0.0.1:$PORT RUST_LOG=warn DATABASE_MAX_CONNECTIONS=$POOL
"$BIN" serve >"$BENCH_DATA/server.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true; redis-cli --scan --pattern "bench-products-$$:*" | xargs -r redis-cli del >/dev/null; rm -rf "$BENCH_DATA"' EXIT
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$PORT/health" >/dev/null && break; sleep 0.1; done

echo "== $(psql -qtA "$SUPER" -c "select format('%s products, %s tenants', (select count(*) from product_search), (select count(*) from bench_hosts))"); $CONNS connections, $DURATION, server pool $POOL"
for e in $ENDPOINTS; do
  # One request of each kind must answer 200 before measuring.
  case $e in
    list) sample=$(head -1 "$BENCH_DATA/categories.tsv" | awk -F'\t' '{print $1" /api/v1/products?limit=20&category="$2}') ;;
    search) sample="$(head -1 "$BENCH_DATA/hosts.tsv" | cut -f1) /api/v1/products/search?q=vestido" ;;
    autocomplete) sample="$(head -1 "$BENCH_DATA/hosts.tsv" | cut -f1) /api/v1/products/autocomplete?q=ves" ;;
  esac
  curl -sf -o /dev/null -H "Host: ${sample%% *}" "http://127.0.0.1:$PORT${sample#* }"
  modes="warm uncached"
  [ "$e" = autocomplete ] && modes=warm
  for mode in $modes; do
    if [ "$mode" = warm ]; then
      # Fill the caches: every combination once, in order, then keep going at random.
      MODE=prime wrk -t2 -c"$CONNS" -d"$PRIME" -s "$e.lua" "http://127.0.0.1:$PORT" >/dev/null
    else
      MODE=$mode wrk -t2 -c"$CONNS" -d5s -s "$e.lua" "http://127.0.0.1:$PORT" >/dev/null
    fi
    export MODE=$mode
    printf '%-13s %-9s wrk      ' "$e" "$mode"
    wrk -t2 -c"$CONNS" -d"$DURATION" -s "$e.lua" "http://127.0.0.1:$PORT" | grep '^RESULT' | cut -c8-
  done
  printf '%-13s %-9s pgbench  ' "$e" "sql"
  # shellcheck disable=SC2086
  pgbench -h 127.0.0.1 -U gamarriando_app -M prepared -n -c "$CONNS" -j 2 -T "${DURATION%s}" \
    -f "$e.sql" $counts --log --sampling-rate=1 --log-prefix="$BENCH_DATA/pgbench" "$DB" 2>/dev/null |
    grep -E '^(tps|latency average)' | tr '\n' ' '
  # p50/p95/p99 from pgbench's per-transaction log (latency in µs, third field).
  cat "$BENCH_DATA"/pgbench.* | awk '{print $3}' | sort -n | awk '{a[NR]=$1} END {
    printf "p50=%.2fms p95=%.2fms p99=%.2fms\n", a[int(NR*0.50)]/1000, a[int(NR*0.95)]/1000, a[int(NR*0.99)]/1000}'
  rm -f "$BENCH_DATA"/pgbench.*
done
