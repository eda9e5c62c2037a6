#!/bin/sh
# Builds Recall's native helpers with the C compiler and Node's own headers (Node-API
# only, so one build serves every Node release):
#   media-workers/qos/qos.c      -> dist/media-workers/qos.node  (tos_audio, cos_audio)
#   core/affinity/affinity.c     -> dist/core/affinity.node      (pin_event_loop)
#   core/working-set/working-set.c -> dist/core/working-set.node (chDB's start-up code let go)
# Without them Recall still runs; what needs one is then not done, and says so once.
set -e
cd "$(dirname "$0")/.."
headers="$(dirname "$(dirname "$(command -v node)")")/include/node"
if ! command -v cc >/dev/null 2>&1 || [ ! -f "$headers/node_api.h" ]; then
  echo "native helpers not built (they need cc and $headers/node_api.h): tos_audio/cos_audio and pin_event_loop will not be applied, chDB's start-up code stays resident" >&2
  exit 0
fi
build() {
  src=$1 out=$2
  [ -f "$out" ] && [ "$out" -nt "$src" ] && return 0
  mkdir -p "$(dirname "$out")"
  cc -O2 -Wall -Werror -shared -fPIC -I"$headers" -o "$out" "$src"
}
build media-workers/qos/qos.c dist/media-workers/qos.node
build core/affinity/affinity.c dist/core/affinity.node
build core/working-set/working-set.c dist/core/working-set.node
