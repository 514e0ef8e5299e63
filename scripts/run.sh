#!/bin/sh
# Migrate, create the first admin (printing its password once), load demo
# data into an empty store, then run the worker in the
# background and the dashboard in the foreground; stopping one stops both.
set -eu
PORT="${PORT:-8501}"
# Only this machine can reach the dashboard unless ADDRESS says otherwise.
ADDRESS="${ADDRESS:-localhost}"
BIN=.venv/bin

"$BIN/python" -m outreach migrate
"$BIN/python" -m outreach users bootstrap
"$BIN/python" -m outreach demo --if-empty

"$BIN/python" -m outreach worker &
WORKER=$!
stop_worker() {
    kill -TERM "$WORKER" 2>/dev/null || true
    wait "$WORKER" 2>/dev/null || true
}
trap stop_worker EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

echo "Dashboard: http://localhost:$PORT  (Ctrl-C stops the dashboard and the worker)"
"$BIN/streamlit" run server.py --server.port "$PORT" --server.address "$ADDRESS" \
    --server.headless true
