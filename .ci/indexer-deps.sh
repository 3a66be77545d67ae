#!/usr/bin/env bash
# CI: a PostgreSQL server for the indexer's tests (go test ./indexer).
# Installs Debian's postgresql if it is missing, starts a throwaway server
# on a temporary directory and a free loopback port (as the postgres user:
# initdb refuses root) and exports SOV_TEST_PG for the tests. Source it:
#   . .ci/indexer-deps.sh && go test ./indexer
# Without SOV_TEST_PG the tests start such a server themselves
# (indexer/internal/pgtest); this script lets CI reuse one server and see
# its log.
set -euo pipefail
if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql
fi
PGBIN=$(dirname "$(ls -d /usr/lib/postgresql/*/bin/initdb | sort -V | tail -1)")
PGROOT=$(mktemp -d /tmp/sov-ci-pg-XXXXXX)
AS=()
if [ "$(id -u)" = 0 ]; then
  chown postgres: "$PGROOT"
  AS=(runuser -u postgres --)
fi
"${AS[@]}" "$PGBIN/initdb" -D "$PGROOT/data" -U postgres --auth=trust -E UTF8 --no-instructions >/dev/null
for try in 1 2 3 4 5; do # a random loopback port; another if it is taken
  PGPORT=$(shuf -i 20000-60000 -n 1)
  if "${AS[@]}" "$PGBIN/pg_ctl" -D "$PGROOT/data" -l "$PGROOT/log" -w start \
       -o "-c listen_addresses=127.0.0.1 -c port=$PGPORT -c unix_socket_directories=$PGROOT"; then
    break
  fi
  [ "$try" = 5 ] && { cat "$PGROOT/log" >&2; exit 1; }
done
export SOV_TEST_PG="postgres://postgres@127.0.0.1:$PGPORT/postgres?sslmode=disable"
echo "PostgreSQL for tests: $SOV_TEST_PG (data $PGROOT/data, log $PGROOT/log; stop: ${AS[*]} $PGBIN/pg_ctl -D $PGROOT/data stop)"
