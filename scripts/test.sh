#!/bin/sh
# Lint, then run the whole suite. Starts a throwaway PostgreSQL 15 on
# 127.0.0.1 (data in a temp dir, stopped afterwards) when the binaries are
# here and OUTREACH_TEST_POSTGRES_URL is not already set.
set -eu
BIN=.venv/bin
PGBIN="${PGBIN:-/usr/lib/postgresql/15/bin}"

"$BIN/ruff" check --no-cache .

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

# The Bluesky PDS that tests/test_bluesky.py runs: install tests/bluesky again only
# when its lock file changed since the last install (the stamp lives in node_modules,
# which `npm ci` replaces). better-sqlite3 builds from source against the headers
# that ship with Node, since npm cannot download a prebuilt binary here. Runs of
# this script side by side take turns (flock), as `npm ci` first deletes
# node_modules. A failed install does not stop the suite: those tests then skip,
# or fail under CI=true.
NPMDIR=tests/bluesky
install_test_pds() {
    if [ -f "$NPMDIR/node_modules/.installed" ] &&
            [ ! "$NPMDIR/package-lock.json" -nt "$NPMDIR/node_modules/.installed" ]; then
        return 0
    fi
    NODE_PREFIX="$(dirname "$(dirname "$(command -v node)")")"
    echo "Installing the test Bluesky PDS in $NPMDIR (npm ci, about a minute)"
    if (cd "$NPMDIR" && npm_config_nodedir="$NODE_PREFIX" npm_config_build_from_source=true \
            npm ci --no-audit --no-fund --loglevel=error); then
        touch "$NPMDIR/node_modules/.installed"
    else
        echo "npm ci in $NPMDIR failed: the Bluesky tests will not run" >&2
    fi
}
if command -v npm >/dev/null 2>&1; then
    if command -v flock >/dev/null 2>&1; then
        exec 9>"$BIN/../.bluesky-npm.lock"
        flock 9
        install_test_pds
        exec 9>&-
    else
        install_test_pds
    fi
fi

"$BIN/python" -m pytest "$@"
