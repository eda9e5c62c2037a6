#!/bin/sh
# Stop the broker started by start.sh on DATADIR (default infra/kafka/data) and wait
# for it to exit: SIGTERM (clean shutdown), SIGKILL after $KAFKA_STOP_TIMEOUT s (30).
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
DATA=${1:-$HERE/data}
exec "$HERE/../stop-pid.sh" "$DATA/kafka.pid" broker "${KAFKA_STOP_TIMEOUT:-30}"
