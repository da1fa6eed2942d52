# Shared by the benchmark scripts (sourced; they run from their own folder, bench/<name>/).

# fresh_database DB: drops DB and creates it with the roles and every migration, through the
# release binary's `db bootstrap --migrate` when it is built ($BIN), else with psql as the owner
# role (the roles exist once the test suite or `db bootstrap` ran on this server). Needs $ADMIN.
fresh_database() {
  local db=$1
  psql -q "$ADMIN" -c "drop database if exists $db" >/dev/null
  if [ -x "$BIN" ]; then
    "$BIN" db bootstrap --admin-url "$ADMIN" --database "$db" --migrate >/dev/null
  else
    psql -q "$ADMIN" -c "create database $db owner gamarriando_owner" >/dev/null
    for f in ../../migrations/*.sql; do
      psql -q -v ON_ERROR_STOP=1 --single-transaction \
        "postgres://gamarriando_owner@127.0.0.1:5432/$db" -f "$f" >/dev/null
    done
  fi
}
