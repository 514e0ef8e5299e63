#!/bin/sh
# Lint, then run the whole suite. Starts a throwaway PostgreSQL 15 on
# 127.0.0.1 (data in a temp dir, stopped afterwards) when the binaries are
# here and OUTREACH_TEST_POSTGRES_URL is not already set.
set -eu
BIN=.venv/bin
PGBIN="${PGBIN:-/usr/lib/postgresql/15/bin}"

"$BIN/ruff" check .

PGDIR=""
cleanup() {
    if [ -n "$PGDIR" ]; then
        as_pg "$PGBIN/pg_ctl" -D "$PGDIR/data" -m immediate stop >/dev/null 2>&1 || true
        rm -rf "$PGDIR"
    fi
}
trap cleanup EXIT

# PostgreSQL refuses to run as root; run it as the postgres user then.
as_pg() {
    if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

if [ -z "${OUTREACH_TEST_POSTGRES_URL:-}" ] && [ -x "$PGBIN/initdb" ]; then
    PGDIR="$(mktemp -d)"
    PGPORT="$("$BIN/python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
    [ "$(id -u)" = 0 ] && chown postgres "$PGDIR"
    as_pg "$PGBIN/initdb" -D "$PGDIR/data" -U outreach --auth=trust -E UTF8 >/dev/null
    as_pg "$PGBIN/pg_ctl" -D "$PGDIR/data" -l "$PGDIR/log" -w \
        -o "-h 127.0.0.1 -p $PGPORT -k $PGDIR -F" start >/dev/null
    export OUTREACH_TEST_POSTGRES_URL="postgresql+psycopg://outreach@127.0.0.1:$PGPORT/postgres"
    echo "PostgreSQL for tests on 127.0.0.1:$PGPORT"
fi

"$BIN/python" -m pytest "$@"
