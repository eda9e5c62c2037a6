#!/bin/sh
# Stop the server started by start.sh on DATADIR (default infra/clickhouse/data) and wait
# for it to exit: SIGTERM (clean shutdown), SIGKILL after $CLICKHOUSE_STOP_TIMEOUT s (30).
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
DATA=${1:-$HERE/data}
exec "$HERE/../stop-pid.sh" "$DATA/clickhouse.pid" server "${CLICKHOUSE_STOP_TIMEOUT:-30}"
