#!/bin/sh
# Fetch the Kafka broker's jars from Maven Central into the cache (once).
#   infra/kafka/fetch.sh        prints the directory holding the jars
# Cache: $RECALL_CACHE/kafka-<version>/lib, default infra/kafka/.cache/kafka-<version>/lib.
# A marker file is written last, so an interrupted fetch is redone, not trusted.
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
VERSION=$(sed -n 's:.*<kafka.version>\(.*\)</kafka.version>.*:\1:p' "$HERE/pom.xml")
LIB="${RECALL_CACHE:-$HERE/.cache}/kafka-$VERSION/lib"

if [ -f "$LIB/.complete" ]; then echo "$LIB"; exit 0; fi
# Test files start brokers in parallel: one fetch at a time, the others wait for it.
mkdir -p "$(dirname "$LIB")"
exec 9>"$(dirname "$LIB").lock"
flock 9
if [ -f "$LIB/.complete" ]; then echo "$LIB"; exit 0; fi
command -v mvn >/dev/null 2>&1 || { echo "fetch.sh: Maven (mvn) is needed to fetch the Kafka broker" >&2; exit 1; }
command -v java >/dev/null 2>&1 || { echo "fetch.sh: Java 17+ is needed to run the Kafka broker" >&2; exit 1; }

echo "fetch.sh: fetching Kafka $VERSION jars from Maven Central into $LIB" >&2
rm -rf "$LIB"
mkdir -p "$LIB"
mvn -q -B -f "$HERE/pom.xml" dependency:copy-dependencies -DoutputDirectory="$LIB" >&2
ls "$LIB"/kafka_2.13-"$VERSION".jar >/dev/null
touch "$LIB/.complete"
echo "$LIB"
