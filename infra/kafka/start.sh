#!/bin/sh
# Start a single-node Kafka (KRaft: broker and controller in one JVM) on 127.0.0.1.
#   infra/kafka/start.sh [PORT] [DATADIR]     defaults: 9092, infra/kafka/data
# The controller listens on $CONTROLLER_PORT (default PORT+1). Storage is formatted on
# first use only, so a restart on the same DATADIR keeps its topics. Prints the
# bootstrap address (127.0.0.1:PORT) once the broker answers a metadata request.
# Logs: DATADIR/server.log (broker), DATADIR/kafka.out (JVM). Stop with stop.sh DATADIR.
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
PORT=${1:-9092}
DATA=${2:-$HERE/data}
CONTROLLER_PORT=${CONTROLLER_PORT:-$((PORT + 1))}
HEAP=${KAFKA_HEAP:-512m}
TIMEOUT=${KAFKA_START_TIMEOUT:-60}

LIB=$("$HERE/fetch.sh")
mkdir -p "$DATA"
DATA=$(cd "$DATA" && pwd)
PIDFILE="$DATA/kafka.pid"
if [ -f "$PIDFILE" ] && kill -0 "$(cat "$PIDFILE")" 2>/dev/null; then
  echo "start.sh: a broker (pid $(cat "$PIDFILE")) already runs on $DATA; stop it with stop.sh $DATA" >&2
  exit 1
fi

if node "$HERE/ready.mjs" "127.0.0.1:$PORT" 2>/dev/null; then
  echo "start.sh: a Kafka broker already answers on 127.0.0.1:$PORT" >&2
  exit 1
fi

cat > "$DATA/server.properties" <<PROPS
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$CONTROLLER_PORT
listeners=PLAINTEXT://127.0.0.1:$PORT,CONTROLLER://127.0.0.1:$CONTROLLER_PORT
advertised.listeners=PLAINTEXT://127.0.0.1:$PORT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
inter.broker.listener.name=PLAINTEXT
controller.listener.names=CONTROLLER
log.dirs=$DATA/logs
auto.create.topics.enable=false
num.partitions=1
default.replication.factor=1
min.insync.replicas=1
offsets.topic.replication.factor=1
offsets.topic.num.partitions=4
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=4
group.initial.rebalance.delay.ms=0
PROPS

cat > "$DATA/log4j.properties" <<PROPS
log4j.rootLogger=INFO, file
log4j.appender.file=org.apache.log4j.FileAppender
log4j.appender.file.File=$DATA/server.log
log4j.appender.file.layout=org.apache.log4j.PatternLayout
log4j.appender.file.layout.ConversionPattern=[%d] %p %m (%c)%n
log4j.logger.kafka=INFO
log4j.logger.org.apache.kafka=INFO
PROPS

storage_tool() {
  java -Xmx256m "-Dlog4j.configuration=file:$DATA/log4j.properties" -cp "$LIB/*" kafka.tools.StorageTool "$@"
}

if [ ! -f "$DATA/logs/meta.properties" ]; then
  CLUSTER=$(storage_tool random-uuid)
  storage_tool format -t "$CLUSTER" -c "$DATA/server.properties" >"$DATA/format.out" 2>&1 \
    || { cat "$DATA/format.out" >&2; echo "start.sh: formatting storage in $DATA/logs failed" >&2; exit 1; }
fi

# exec: the pid written below is the JVM's own, not a subshell's.
(exec java "-Xmx$HEAP" -Xms128m -XX:+UseG1GC -Djava.awt.headless=true "-Dlog4j.configuration=file:$DATA/log4j.properties" \
  -cp "$LIB/*" kafka.Kafka "$DATA/server.properties") </dev/null >"$DATA/kafka.out" 2>&1 &
PID=$!
echo "$PID" > "$PIDFILE"

# Ready = the broker answers a metadata request from kafkajs, the client Recall uses.
waited=0
until node "$HERE/ready.mjs" "127.0.0.1:$PORT" 2>/dev/null; do
  if ! kill -0 "$PID" 2>/dev/null; then
    tail -n 20 "$DATA/kafka.out" "$DATA/server.log" >&2 2>/dev/null || true
    echo "start.sh: the broker exited during start-up (logs above, in $DATA)" >&2
    rm -f "$PIDFILE"
    exit 1
  fi
  if [ "$waited" -ge "$((TIMEOUT * 2))" ]; then
    echo "start.sh: the broker did not become ready on 127.0.0.1:$PORT within ${TIMEOUT}s; stopping it (logs in $DATA)" >&2
    "$HERE/stop.sh" "$DATA" >&2 || true
    exit 1
  fi
  sleep 0.5
  waited=$((waited + 1))
done
echo "127.0.0.1:$PORT"
