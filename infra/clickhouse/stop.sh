#!/bin/sh
# Stop the server started by start.sh on DATADIR (default infra/clickhouse/data) and wait
# for it to exit: SIGTERM (clean shutdown), SIGKILL after $CLICKHOUSE_STOP_TIMEOUT s (30).
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
DATA=${1:-$HERE/data}
PIDFILE="$DATA/clickhouse.pid"
TIMEOUT=${CLICKHOUSE_STOP_TIMEOUT:-30}
[ -f "$PIDFILE" ] || { echo "stop.sh: no server pid file in $DATA" >&2; exit 0; }
PID=$(cat "$PIDFILE")
if kill -0 "$PID" 2>/dev/null; then
  kill -TERM "$PID"
  waited=0
  while kill -0 "$PID" 2>/dev/null; do
    if [ "$waited" -ge "$((TIMEOUT * 10))" ]; then
      echo "stop.sh: server $PID still running after ${TIMEOUT}s; killing it" >&2
      kill -KILL "$PID" 2>/dev/null || true
    fi
    sleep 0.1
    waited=$((waited + 1))
  done
fi
rm -f "$PIDFILE"
