#!/bin/sh
# Stop the process whose pid is in PIDFILE and wait for it to exit: SIGTERM (clean
# shutdown), SIGKILL after TIMEOUT seconds (default 30). The infra/*/stop.sh use it.
#   infra/stop-pid.sh PIDFILE NAME [TIMEOUT]
set -eu
PIDFILE=$1
NAME=$2
TIMEOUT=${3:-30}
[ -f "$PIDFILE" ] || { echo "stop: no $NAME pid file $PIDFILE" >&2; exit 0; }
PID=$(cat "$PIDFILE")
if kill -0 "$PID" 2>/dev/null; then
  kill -TERM "$PID"
  waited=0
  while kill -0 "$PID" 2>/dev/null; do
    if [ "$waited" -ge "$((TIMEOUT * 10))" ]; then
      echo "stop: $NAME $PID still running after ${TIMEOUT}s; killing it" >&2
      kill -KILL "$PID" 2>/dev/null || true
    fi
    sleep 0.1
    waited=$((waited + 1))
  done
fi
rm -f "$PIDFILE"
