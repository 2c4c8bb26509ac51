#!/usr/bin/env bash
# Runs a command with a throwaway PostgreSQL cluster: initdb in a fresh
# temporary directory (as the `postgres` user when run as root), started on
# a free local port, its URL in DUTYCLOCK_TEST_PG; stopped and removed
# afterwards, whatever the command's outcome. With DUTYCLOCK_TEST_PG already
# set, the command just runs against that server.
#   bash deploy/with-postgres.sh cargo bench --bench central
set -euo pipefail
cd "$(dirname "$0")/.."
. deploy/packages.sh
if [ -n "${DUTYCLOCK_TEST_PG:-}" ]; then
  exec "$@"
fi
need postgresql
pgbin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
pgdir=$(mktemp -d /tmp/dutyclock-pg.XXXXXX)
if [ "$(id -u)" = 0 ]; then
  chown postgres "$pgdir"
  # From the cluster's own directory: the clone may be under /root, which
  # the postgres user cannot enter ("could not change directory").
  as_pg() { (cd "$pgdir" && runuser -u postgres -- "$@"); }
else
  as_pg() { "$@"; }
fi
port=""
for p in $(seq 55432 55632); do
  if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then port=$p; break; fi
done
[ -n "$port" ] || { echo "with-postgres: no free port in 55432-55632" >&2; exit 1; }
as_pg "$pgbin/initdb" -D "$pgdir/data" -A trust -U postgres -E UTF8 >/dev/null
as_pg "$pgbin/pg_ctl" -D "$pgdir/data" -l "$pgdir/log" -w \
  -o "-p $port -k $pgdir -c listen_addresses=127.0.0.1 -c max_connections=300" start >/dev/null
stop() {
  as_pg "$pgbin/pg_ctl" -D "$pgdir/data" -m fast -w stop >/dev/null 2>&1 || true
  rm -rf "$pgdir"
}
trap stop EXIT
export DUTYCLOCK_TEST_PG="postgres://postgres@127.0.0.1:$port/postgres"
echo "with-postgres: a throwaway cluster at $DUTYCLOCK_TEST_PG" >&2
"$@"
