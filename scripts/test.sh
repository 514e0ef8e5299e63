#!/bin/sh
# Lint, then run the whole suite. Starts a throwaway PostgreSQL 15 on
# 127.0.0.1 (data in a temp dir, stopped afterwards) when the binaries are
# here and OUTREACH_TEST_POSTGRES_URL is not already set, and a throwaway
# Redis on 127.0.0.1 (for the Bluesky app view) when redis-server is here and
# OUTREACH_TEST_REDIS_HOST is not already set.
set -eu
BIN=.venv/bin
PGBIN="${PGBIN:-/usr/lib/postgresql/15/bin}"

"$BIN/ruff" check --no-cache .

PGDIR=""
REDISDIR=""
REDISPID=""
cleanup() {
    if [ -n "$PGDIR" ]; then
        as_pg "$PGBIN/pg_ctl" -D "$PGDIR/data" -m immediate stop >/dev/null 2>&1 || true
        rm -rf "$PGDIR"
    fi
    if [ -n "$REDISPID" ]; then
        kill "$REDISPID" 2>/dev/null || true
        wait "$REDISPID" 2>/dev/null || true
    fi
    if [ -n "$REDISDIR" ]; then
        rm -rf "$REDISDIR"
    fi
}
trap cleanup EXIT

free_port() {
    "$BIN/python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# PostgreSQL refuses to run as root; run it as the postgres user then.
as_pg() {
    if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

if [ -z "${OUTREACH_TEST_POSTGRES_URL:-}" ] && [ -x "$PGBIN/initdb" ]; then
    PGDIR="$(mktemp -d)"
    PGPORT="$(free_port)"
    [ "$(id -u)" = 0 ] && chown postgres "$PGDIR"
    as_pg "$PGBIN/initdb" -D "$PGDIR/data" -U outreach --auth=trust -E UTF8 >/dev/null
    as_pg "$PGBIN/pg_ctl" -D "$PGDIR/data" -l "$PGDIR/log" -w \
        -o "-h 127.0.0.1 -p $PGPORT -k $PGDIR -F" start >/dev/null
    export OUTREACH_TEST_POSTGRES_URL="postgresql+psycopg://outreach@127.0.0.1:$PGPORT/postgres"
    echo "PostgreSQL for tests on 127.0.0.1:$PGPORT"
fi

# Redis keeps nothing on disk here: no snapshots, no append-only file.
if [ -z "${OUTREACH_TEST_REDIS_HOST:-}" ] && command -v redis-server >/dev/null 2>&1; then
    REDISDIR="$(mktemp -d)"
    REDISPORT="$(free_port)"
    redis-server --bind 127.0.0.1 --port "$REDISPORT" --save "" --appendonly no \
        --dir "$REDISDIR" --logfile "$REDISDIR/log" &
    REDISPID=$!
    ready=""
    for _ in $(seq 100); do
        if redis-cli -h 127.0.0.1 -p "$REDISPORT" ping >/dev/null 2>&1; then
            ready=yes
            break
        fi
        kill -0 "$REDISPID" 2>/dev/null || break
        sleep 0.1
    done
    if [ -n "$ready" ]; then
        export OUTREACH_TEST_REDIS_HOST="127.0.0.1:$REDISPORT"
        echo "Redis for tests on 127.0.0.1:$REDISPORT"
    else
        echo "Redis did not start: the Bluesky network tests will not run" >&2
        cat "$REDISDIR/log" >&2 || true
    fi
fi

# The Node projects the Bluesky tests run: tests/bluesky (a lone PDS, for
# tests/test_bluesky.py) and tests/bluesky-network (PLC + PDS + the bsky app
# view, for tests/test_bluesky_metrics.py). Each is installed again only when
# its lock file changed since the last install (the stamp lives in
# node_modules, which `npm ci` replaces). better-sqlite3 builds from source
# against the headers that ship with Node, since npm cannot download a
# prebuilt binary here. Runs of this script side by side take turns (flock),
# as `npm ci` first deletes node_modules. A failed install does not stop the
# suite: those tests then skip, or fail under CI=true.
install_node_project() {
    npmdir="$1"
    if [ -f "$npmdir/node_modules/.installed" ] &&
            [ ! "$npmdir/package-lock.json" -nt "$npmdir/node_modules/.installed" ]; then
        return 0
    fi
    NODE_PREFIX="$(dirname "$(dirname "$(command -v node)")")"
    echo "Installing $2 in $npmdir (npm ci, a minute or two)"
    if (cd "$npmdir" && npm_config_nodedir="$NODE_PREFIX" npm_config_build_from_source=true \
            npm ci --no-audit --no-fund --loglevel=error); then
        touch "$npmdir/node_modules/.installed"
    else
        echo "npm ci in $npmdir failed: the tests that need $2 will not run" >&2
    fi
}
install_node_projects() {
    install_node_project tests/bluesky "the test Bluesky PDS"
    install_node_project tests/bluesky-network "the test Bluesky network"
}
if command -v npm >/dev/null 2>&1; then
    if command -v flock >/dev/null 2>&1; then
        exec 9>"$BIN/../.bluesky-npm.lock"
        flock 9
        install_node_projects
        exec 9>&-
    else
        install_node_projects
    fi
fi

"$BIN/python" -m pytest "$@"
