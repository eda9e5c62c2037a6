#!/bin/sh
# Start a private ClickHouse server (Debian's clickhouse-server) on 127.0.0.1, with its
# own configuration and data under DATADIR, never the system service.
#   infra/clickhouse/start.sh [HTTP_PORT] [DATADIR]    defaults: 8123, infra/clickhouse/data
# The native protocol takes $CLICKHOUSE_TCP_PORT (default HTTP_PORT+1). Prints the
# HTTP URL (http://127.0.0.1:PORT) once the server answers /ping.
# Logs: DATADIR/server.log, DATADIR/server.err.log, DATADIR/stdout.log. Stop with stop.sh DATADIR.
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
PORT=${1:-8123}
DATA=${2:-$HERE/data}
TCP_PORT=${CLICKHOUSE_TCP_PORT:-$((PORT + 1))}
TIMEOUT=${CLICKHOUSE_START_TIMEOUT:-60}

BIN=$(command -v clickhouse-server || true)
[ -n "$BIN" ] || [ ! -x /usr/sbin/clickhouse-server ] || BIN=/usr/sbin/clickhouse-server
[ -n "$BIN" ] || { echo "start.sh: clickhouse-server is not installed (apt-get install -y clickhouse-server)" >&2; exit 1; }

mkdir -p "$DATA"
DATA=$(cd "$DATA" && pwd)
PIDFILE="$DATA/clickhouse.pid"
if [ -f "$PIDFILE" ] && kill -0 "$(cat "$PIDFILE")" 2>/dev/null; then
  echo "start.sh: a server (pid $(cat "$PIDFILE")) already runs on $DATA; stop it with stop.sh $DATA" >&2
  exit 1
fi
ping() { node -e "fetch('http://127.0.0.1:$PORT/ping').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"; }
if ping 2>/dev/null; then
  echo "start.sh: something already answers on 127.0.0.1:$PORT" >&2
  exit 1
fi

mkdir -p "$DATA/db/tmp" "$DATA/db/user_files" "$DATA/db/format_schemas"
cat > "$DATA/config.xml" <<XML
<?xml version="1.0"?>
<yandex>
  <logger>
    <level>warning</level>
    <log>$DATA/server.log</log>
    <errorlog>$DATA/server.err.log</errorlog>
    <size>100M</size>
    <count>2</count>
  </logger>
  <listen_host>127.0.0.1</listen_host>
  <http_port>$PORT</http_port>
  <tcp_port>$TCP_PORT</tcp_port>
  <max_connections>256</max_connections>
  <keep_alive_timeout>10</keep_alive_timeout>
  <max_concurrent_queries>50</max_concurrent_queries>
  <uncompressed_cache_size>268435456</uncompressed_cache_size>
  <mark_cache_size>268435456</mark_cache_size>
  <path>$DATA/db/</path>
  <tmp_path>$DATA/db/tmp/</tmp_path>
  <user_files_path>$DATA/db/user_files/</user_files_path>
  <format_schema_path>$DATA/db/format_schemas/</format_schema_path>
  <users_config>$DATA/users.xml</users_config>
  <default_profile>default</default_profile>
  <default_database>default</default_database>
  <timezone>UTC</timezone>
  <mlock_executable>false</mlock_executable>
  <builtin_dictionaries_reload_interval>3600</builtin_dictionaries_reload_interval>
  <max_session_timeout>3600</max_session_timeout>
  <default_session_timeout>60</default_session_timeout>
</yandex>
XML
cat > "$DATA/users.xml" <<XML
<?xml version="1.0"?>
<yandex>
  <profiles><default><max_memory_usage>4000000000</max_memory_usage><max_threads>2</max_threads></default></profiles>
  <users>
    <default>
      <password></password>
      <networks><ip>127.0.0.1</ip><ip>::1</ip></networks>
      <profile>default</profile>
      <quota>default</quota>
    </default>
  </users>
  <quotas><default><interval><duration>3600</duration><queries>0</queries><errors>0</errors><result_rows>0</result_rows><read_rows>0</read_rows><execution_time>0</execution_time></interval></default></quotas>
</yandex>
XML

# Detached from this shell so the caller's pipes close; the pid file is ours, not the server's.
nohup "$BIN" --config-file="$DATA/config.xml" >"$DATA/stdout.log" 2>&1 &
PID=$!
echo "$PID" > "$PIDFILE"

waited=0
until ping 2>/dev/null; do
  if ! kill -0 "$PID" 2>/dev/null; then
    tail -n 20 "$DATA/stdout.log" "$DATA/server.err.log" >&2 2>/dev/null || true
    echo "start.sh: the server exited during start-up (logs above, in $DATA)" >&2
    rm -f "$PIDFILE"
    exit 1
  fi
  if [ "$waited" -ge "$((TIMEOUT * 5))" ]; then
    echo "start.sh: the server did not answer on 127.0.0.1:$PORT within ${TIMEOUT}s; stopping it (logs in $DATA)" >&2
    "$HERE/stop.sh" "$DATA" >&2 || true
    exit 1
  fi
  sleep 0.2
  waited=$((waited + 1))
done
echo "http://127.0.0.1:$PORT"
