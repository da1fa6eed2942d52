#!/usr/bin/env bash
# Creates the checkout benchmark's databases: DATABASE (the application's schema, one marketplace
# with VARIANTS variants of STOCK units, a hot variant of HOT_STOCK units, a short one of
# SHORT_STOCK, CUSTOMERS customers; see generate.sql) and PGBENCH_DB (pgbench's own tables at
# scale PGBENCH_SCALE, for its builtin TPC-B-like script). Needs the release binary (for
# `db bootstrap --migrate`), pgbench and PostgreSQL on 127.0.0.1:5432 (postgres, trust).
#   bench/orders/generate.sh gmr_bench_orders
set -euo pipefail
cd "$(dirname "$0")"
DB=${1:?usage: generate.sh DATABASE}
VARIANTS=${VARIANTS:-10000}
STOCK=${STOCK:-1000000}
HOT_STOCK=${HOT_STOCK:-1000000}
SHORT_STOCK=${SHORT_STOCK:-1000}
CUSTOMERS=${CUSTOMERS:-100}
PGBENCH_DB=${PGBENCH_DB:-gmr_bench_pgbench}
PGBENCH_SCALE=${PGBENCH_SCALE:-10}
BIN=${BIN:-${CARGO_TARGET_DIR:-$HOME/.cache/gamarriando-target}/release/gamarriando}
ADMIN=${ADMIN_URL:-postgres://postgres@127.0.0.1:5432/postgres}
SUPER="postgres://postgres@127.0.0.1:5432/$DB"

. ../lib.sh
fresh_database "$DB"
start=$(date +%s)
psql -q "$SUPER" -v variants="$VARIANTS" -v customers="$CUSTOMERS" -v stock="$STOCK" \
  -v hot_stock="$HOT_STOCK" -v short_stock="$SHORT_STOCK" -f generate.sql
psql -q "$SUPER" -c "vacuum analyze" -c "checkpoint" >/dev/null
end=$(date +%s)
echo "$DB generated in $((end - start)) s"

# pgbench's own database, its tables at scale PGBENCH_SCALE (100,000 accounts per unit).
psql -q "$ADMIN" -c "drop database if exists $PGBENCH_DB" -c "create database $PGBENCH_DB" >/dev/null
start=$(date +%s)
pgbench -h 127.0.0.1 -U postgres -i -q -s "$PGBENCH_SCALE" "$PGBENCH_DB" 2>&1 | tail -1
psql -q "postgres://postgres@127.0.0.1:5432/$PGBENCH_DB" -c "checkpoint" >/dev/null
echo "$PGBENCH_DB (scale $PGBENCH_SCALE) initialized in $(($(date +%s) - start)) s"
