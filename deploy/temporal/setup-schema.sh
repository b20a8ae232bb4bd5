#!/bin/sh
# Creates and updates Temporal's two PostgreSQL databases with admin-tools' temporal-sql-tool, before
# the server starts (docker-compose.yml's `temporal-schema` job; the Kubernetes chart's schema job
# does the same). Safe to run on every start:
#   - create        only when the database is missing (first start on a fresh volume);
#   - setup-schema  only when the database has no schema_version table yet (it records version
#                   0.0, so it must never run on a database that has a schema);
#   - update-schema always: it applies the versioned scripts above the recorded version, so a new
#                   server image's schema lands before that server starts. Upgrade one minor at a time.
#
# Reads POSTGRES_SEEDS, DB_PORT (5432), POSTGRES_USER, SQL_PASSWORD or SQL_PASSWORD_FILE,
# DB_PLUGIN (postgres12), DBNAME (temporal), VISIBILITY_DBNAME (temporal_visibility).
set -eu

: "${POSTGRES_SEEDS:?set POSTGRES_SEEDS}"
: "${POSTGRES_USER:?set POSTGRES_USER}"
port="${DB_PORT:-5432}"
plugin="${DB_PLUGIN:-postgres12}"
schema_root="${SCHEMA_ROOT:-/etc/temporal/schema/postgresql/v12}"
if [ -n "${SQL_PASSWORD_FILE:-}" ]; then
  SQL_PASSWORD="$(cat "$SQL_PASSWORD_FILE")"
fi
: "${SQL_PASSWORD:?set SQL_PASSWORD or SQL_PASSWORD_FILE}"
export SQL_PASSWORD

attempts=0
until nc -z -w 5 "$POSTGRES_SEEDS" "$port"; do
  attempts=$((attempts + 1))
  [ "$attempts" -lt 60 ] || { echo "PostgreSQL at $POSTGRES_SEEDS:$port is unreachable" >&2; exit 1; }
  sleep 2
done

sql() { temporal-sql-tool --plugin "$plugin" --ep "$POSTGRES_SEEDS" -p "$port" -u "$POSTGRES_USER" "$@"; }

setup() {
  db="$1"
  dir="$2"
  if out=$(sql --db "$db" update-schema -d "$schema_root/$dir/versioned" 2>&1); then
    echo "$db: schema is current"
    return 0
  fi
  # Only a missing database or a missing schema_version table means "fresh": anything else (the
  # server refusing us, a network error) must not lead to setup-schema, which records version 0.0.
  case "$out" in
    *"database \"$db\" does not exist"* | *"schema_version\" does not exist"*) ;;
    *)
      printf '%s\n' "$out" >&2
      echo "$db: update-schema failed; not touching the schema" >&2
      exit 1
      ;;
  esac
  case "$out" in
    *"database \"$db\" does not exist"*) sql --db "$db" create ;;
  esac
  sql --db "$db" setup-schema -v 0.0
  sql --db "$db" update-schema -d "$schema_root/$dir/versioned"
  echo "$db: schema set up"
}

setup "${DBNAME:-temporal}" temporal
setup "${VISIBILITY_DBNAME:-temporal_visibility}" visibility
