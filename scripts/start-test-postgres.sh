#!/usr/bin/env bash
# Start a throw-away PostgreSQL server on 127.0.0.1 for the test suite and print its URL.
# Usage: eval "$(bash scripts/start-test-postgres.sh)"   (exports GPUSTACK_TEST_POSTGRES_URL)
set -euo pipefail
port="${GPUSTACK_TEST_POSTGRES_PORT:-55432}"
if ! ls -d /usr/lib/postgresql/*/bin >/dev/null 2>&1; then
  apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >&2
fi
pgbin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
pgdata=$(mktemp -d /tmp/gpustack-test-pg.XXXXXX)
chown postgres "$pgdata"
su postgres -s /bin/sh -c "$pgbin/initdb -D $pgdata -A trust -U postgres" >/dev/null
su postgres -s /bin/sh -c "$pgbin/pg_ctl -D $pgdata -l $pgdata/server.log -w \
  -o '-p $port -k /tmp -c listen_addresses=127.0.0.1 -c max_connections=300 -c fsync=off' start" >&2
echo "export GPUSTACK_TEST_POSTGRES_URL=postgresql://postgres@127.0.0.1:$port/postgres"
