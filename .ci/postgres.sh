#!/usr/bin/env bash
# Install (if needed) and start a local PostgreSQL for the catalog tests, then
# print the URL to use as the LAST line of stdout:
#   export STUDIOLO_TEST_POSTGRES_URL=$(.ci/postgres.sh | tail -n 1)
# Idempotent: when PostgreSQL is installed and running it only checks the role
# and database (a second or two). Needs root or passwordless sudo.
set -euo pipefail

ROLE=${STUDIOLO_PG_ROLE:-studiolo}
PASSWORD=${STUDIOLO_PG_PASSWORD:-studiolo}
DB=${STUDIOLO_PG_DB:-studiolo_test}

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo -n"; fi

if ! command -v pg_ctlcluster >/dev/null 2>&1; then
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq >&2
  $SUDO apt-get install -y -qq postgresql >&2
fi

# The newest installed major version, and its cluster (created if missing).
VERSION=$(ls /usr/lib/postgresql | sort -n | tail -n 1)
if ! pg_lsclusters -h | awk '{print $1" "$2}' | grep -qx "$VERSION main"; then
  $SUDO pg_createcluster "$VERSION" main >&2
fi
if ! pg_lsclusters -h | awk -v v="$VERSION" '$1==v && $2=="main" {print $4}' | grep -q online; then
  $SUDO pg_ctlcluster "$VERSION" main start >&2
fi
PORT=$(pg_lsclusters -h | awk -v v="$VERSION" '$1==v && $2=="main" {print $3}')

as_postgres() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else sudo -n -u postgres "$@"; fi
}
psql_admin() { as_postgres psql -p "$PORT" -v ON_ERROR_STOP=1 -qtA "$@"; }

# Wait for the server to accept connections (a fresh start takes a moment).
for _ in $(seq 1 30); do
  if psql_admin -c "select 1" >/dev/null 2>&1; then break; fi
  sleep 0.5
done

if [ "$(psql_admin -c "select 1 from pg_roles where rolname = '$ROLE'")" != "1" ]; then
  psql_admin -c "create role $ROLE login password '$PASSWORD'" >&2
fi
if [ "$(psql_admin -c "select 1 from pg_database where datname = '$DB'")" != "1" ]; then
  psql_admin -c "create database $DB owner $ROLE" >&2
fi

echo "postgresql+psycopg://$ROLE:$PASSWORD@127.0.0.1:$PORT/$DB"
