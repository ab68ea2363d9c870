#!/usr/bin/env bash
# Serves the app on one address (scripts/serve.sh: gunicorn's WSGI workers for the pages, one uvicorn
# process for the WebSockets under /ws/, the small front routing between them) with everything that
# runs beside it in production: the job worker (exports, batch prints, report freezing), the transfer worker,
# the daily-report scheduler, the claim-expiry sweep, and the reference national-database
# receiver the demo transfers to. Ctrl-C (or SIGTERM) stops them all; if one dies, the
# others are stopped too. Called by `make run` after `make setup`.
set -euo pipefail
cd "$(dirname "$0")/.."

export DEBUG="${DEBUG:-1}"
HOST="${HOST:-127.0.0.1}"
PORT="${PORT:-8000}"
RECEIVER_PORT="${RECEIVER_PORT:-8765}"
export NATIONAL_DB_URL="${NATIONAL_DB_URL:-http://127.0.0.1:$RECEIVER_PORT}"
BIN=.venv/bin
mkdir -p var

# Each child gets its own session (setsid), so the signal we send reaches its whole group.
declare -A pids=()
start() {
    local name=$1
    shift
    setsid "$@" &
    pids[$name]=$!
}
start receiver "$BIN/python" manage.py reference_receiver --host 127.0.0.1 --port "$RECEIVER_PORT" \
    --db var/reference-receiver.sqlite3
start jobs "$BIN/python" manage.py db_worker
start transfer "$BIN/python" manage.py transfer_worker
start reports "$BIN/python" manage.py report_scheduler
start claims "$BIN/python" manage.py expire_claims --every 60
start web env HOST="$HOST" PORT="$PORT" PYTHON="$BIN/python" scripts/serve.sh all

echo "civreg: serving http://$HOST:$PORT/ with ${!pids[*]} (reference receiver on :$RECEIVER_PORT); Ctrl-C stops all"

stopping=0
stop_children() {
    [ "$stopping" = 1 ] && return
    stopping=1
    trap '' INT TERM
    for pid in "${pids[@]}"; do kill -TERM -- "-$pid" 2>/dev/null || true; done
    # Workers finish what they hold first; give them 15 s, then force.
    for _ in $(seq 150); do
        alive=0
        for pid in "${pids[@]}"; do kill -0 -- "-$pid" 2>/dev/null && alive=1; done
        [ "$alive" = 0 ] && break
        sleep 0.1
    done
    for pid in "${pids[@]}"; do kill -KILL -- "-$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
}
trap 'echo; echo "civreg: stopping"; stop_children; exit 130' INT
trap 'stop_children; exit 143' TERM

status=0
wait -n "${pids[@]}" || status=$?
echo "civreg: a process exited (status $status); stopping the others" >&2
stop_children
exit "$status"
