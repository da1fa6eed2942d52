#!/usr/bin/env bash
# GET /api/v1/users/me under wrk (64 connections) beside pgbench -M prepared running the same SQL
# (bench/me.sql) as the same runtime role, on the same machine. Needs the release binary, wrk,
# pgbench, PostgreSQL on 127.0.0.1:5432 (postgres, trust) and Redis on 6379.
#   cargo build --release -p gamarriando-server && bench/users_me.sh
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-${CARGO_TARGET_DIR:-$HOME/.cache/gamarriando-target}/release/gamarriando}
ADMIN=${ADMIN_URL:-postgres://postgres@127.0.0.1:5432/postgres}
DURATION=${DURATION:-20s}
CONNS=${CONNS:-64}
PORT=18080

psql -q "$ADMIN" -c 'drop database if exists gmr_bench' >/dev/null
"$BIN" db bootstrap --admin-url "$ADMIN" --database gmr_bench --migrate >/dev/null
export DATABASE_URL=postgres://gamarriando_app@127.0.0.1:5432/gmr_bench
export DATABASE_OWNER_URL=postgres://gamarriando_owner@127.0.0.1:5432/gmr_bench
export REDIS_URL=redis://127.0.0.1:6379 CACHE_NAMESPACE=bench-$$ GAMARRIANDO_DATA_DIR=$(mktemp -d)
export BIND=127.0.0.1:$PORT RUST_LOG=warn DATABASE_MAX_CONNECTIONS=${POOL:-16}
"$BIN" seed >/dev/null
"$BIN" serve >/dev/null 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true; psql -q "$ADMIN" -c "drop database if exists gmr_bench" >/dev/null 2>&1 || true' EXIT
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$PORT/health" >/dev/null && break; sleep 0.1; done

export TENANT_HOST=gamarra.localhost
TOKEN=$(curl -sf -H "Host: $TENANT_HOST" -H 'content-type: application/json' "http://127.0.0.1:$PORT/api/v1/users/login" \
  -d '{"email":"customer@gamarra.test","password":"gamarriando-demo-2026"}' | python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')
export TOKEN
curl -sf -H "Host: $TENANT_HOST" -H "authorization: Bearer $TOKEN" "http://127.0.0.1:$PORT/api/v1/users/me" >/dev/null

echo "== wrk: GET /api/v1/users/me, $CONNS connections, $DURATION (pool ${POOL:-16})"
wrk -t2 -c"$CONNS" -d5s -s bench/me.lua "http://127.0.0.1:$PORT" >/dev/null   # warm-up
wrk -t2 -c"$CONNS" -d"$DURATION" --latency -s bench/me.lua "http://127.0.0.1:$PORT"

# The superuser is not bound by RLS: it reads the ids the benchmark needs.
read -r TID UID_ < <(psql -tA -F ' ' "postgres://postgres@127.0.0.1:5432/gmr_bench" -c \
  "select u.tenant_id, u.id from users u join tenants t on t.id = u.tenant_id
    where t.slug = 'gamarra' and u.email = 'customer@gamarra.test'")
echo "== pgbench -M prepared: the same SQL as gamarriando_app, $CONNS clients, $DURATION"
pgbench -h 127.0.0.1 -U gamarriando_app -M prepared -n -c "$CONNS" -j 2 -T "${DURATION%s}" \
  -f bench/me.sql -D tid="$TID" -D uid="$UID_" gmr_bench | grep -E 'tps|latency'
