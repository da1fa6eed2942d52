#!/usr/bin/env bash
# Creates and fills a benchmark database: TENANTS marketplaces (default 100) of PER products each
# (default 10000, so 1,000,000 in all), then the rotation tables of targets.sql. Needs the release
# binary (for `db bootstrap --migrate`) and PostgreSQL on 127.0.0.1:5432 (postgres, trust).
#   bench/products/generate.sh gmr_bench_1m            # PER=100 → 10k, PER=1000 → 100k
set -euo pipefail
cd "$(dirname "$0")"
DB=${1:?usage: generate.sh DATABASE}
TENANTS=${TENANTS:-100}
PER=${PER:-10000}
JOBS=${JOBS:-2}
BIN=${BIN:-${CARGO_TARGET_DIR:-$HOME/.cache/gamarriando-target}/release/gamarriando}
ADMIN=${ADMIN_URL:-postgres://postgres@127.0.0.1:5432/postgres}
SUPER="postgres://postgres@127.0.0.1:5432/$DB"

. ../lib.sh
fresh_database "$DB"
start=$(date +%s)
# Tenants are independent: JOBS sessions fill them side by side.
seq 1 "$TENANTS" | xargs -P "$JOBS" -I{} psql -q "$SUPER" -v i={} -v n="$PER" -f generate_tenant.sql >/dev/null
loaded=$(date +%s)
psql -q "$SUPER" -c "vacuum analyze" -c "checkpoint" >/dev/null
psql -q "$SUPER" -f targets.sql
end=$(date +%s)
psql -tA "$SUPER" -c "select format('%s products in %s tenants; product_search %s rows, %s; terms %s; database %s',
    (select count(*) from products), (select count(*) from tenants where kind = 'marketplace'),
    (select count(*) from product_search), pg_size_pretty(pg_total_relation_size('product_search')),
    (select count(*) from product_search_terms), pg_size_pretty(pg_database_size(current_database())))"
echo "generated in $((loaded - start)) s, vacuum analyze and targets $((end - loaded)) s"
