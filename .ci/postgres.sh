# Sourced by .ci/run: a throw-away PostgreSQL cluster on a free local port for the case-log tests.
# Installs Debian's postgresql when missing; exports SOLEWEAR_TEST_POSTGRES_URL and stops the
# cluster (and removes it) when the calling script exits. Without PostgreSQL those tests skip.

pg_bin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1; }

if [ -z "$(pg_bin)" ] && command -v apt-get >/dev/null 2>&1; then
  echo "Installing PostgreSQL from Debian's packages for the case-log tests..."
  apt-get install -y -q postgresql >/dev/null 2>&1 ||
    { apt-get update -q >/dev/null 2>&1 && apt-get install -y -q postgresql >/dev/null 2>&1; } ||
    echo "Could not install PostgreSQL: the case-log tests on PostgreSQL will be skipped."
fi

PG_BIN=$(pg_bin)
if [ -n "$PG_BIN" ]; then
  PG_DIR=$(mktemp -d /tmp/solewear-pg.XXXXXX)
  PG_PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  as_pg() {  # PostgreSQL refuses to run as root: use its own account there
    if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
  }
  [ "$(id -u)" = 0 ] && chown postgres "$PG_DIR"
  as_pg "$PG_BIN/initdb" -D "$PG_DIR/data" -A trust -U postgres --no-sync >"$PG_DIR/initdb.log" 2>&1
  as_pg "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/server.log" -w start \
    -o "-p $PG_PORT -k $PG_DIR -c listen_addresses=127.0.0.1 -c fsync=off" >/dev/null
  stop_postgres() {
    as_pg "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m fast -w stop >/dev/null 2>&1 || true
    rm -rf "$PG_DIR"
  }
  trap stop_postgres EXIT
  export SOLEWEAR_TEST_POSTGRES_URL="postgresql+psycopg://postgres@127.0.0.1:$PG_PORT/postgres"
  echo "PostgreSQL $("$PG_BIN/postgres" --version | awk '{print $3}') for the case-log tests on port $PG_PORT"
fi
