#!/usr/bin/env bash
# Serves the ASGI app (daphne: HTTP and WebSockets) and runs the background job worker
# beside it. Ctrl-C (or SIGTERM) stops both; if either one dies, the other is stopped too.
# Called by `make run` after `make setup`; HOST and PORT come from the environment.
set -euo pipefail
cd "$(dirname "$0")/.."

export DEBUG="${DEBUG:-1}"
HOST="${HOST:-127.0.0.1}"
PORT="${PORT:-8000}"
BIN=.venv/bin

# Each child gets its own session (setsid), so the signal we send reaches the whole group,
# e.g. the worker's autoreloader and the worker it spawned, and nothing else.
setsid "$BIN/python" manage.py db_worker &
worker=$!
setsid "$BIN/daphne" -b "$HOST" -p "$PORT" config.asgi:application &
web=$!

echo "civreg: serving http://$HOST:$PORT/ (pid $web), job worker (pid $worker); Ctrl-C stops both"

stopping=0
stop_children() {
    [ "$stopping" = 1 ] && return
    stopping=1
    trap '' INT TERM
    kill -TERM -- "-$web" "-$worker" 2>/dev/null || true
    # The worker finishes its current job first; give both 15 s, then force.
    for _ in $(seq 150); do
        alive=0
        kill -0 -- "-$web" 2>/dev/null && alive=1
        kill -0 -- "-$worker" 2>/dev/null && alive=1
        [ "$alive" = 0 ] && break
        sleep 0.1
    done
    kill -KILL -- "-$web" "-$worker" 2>/dev/null || true
    wait 2>/dev/null || true
}
trap 'echo; echo "civreg: stopping"; stop_children; exit 130' INT
trap 'stop_children; exit 143' TERM

status=0
wait -n "$web" "$worker" || status=$?
echo "civreg: a process exited (status $status); stopping the other" >&2
stop_children
exit "$status"
