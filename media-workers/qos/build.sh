#!/bin/sh
# Builds the QoS helper (qos.c) into dist/media-workers/qos.node with the C compiler and
# Node's own headers. Without them Recall still runs; tos_audio/cos_audio are then not
# applied and the media workers say so once.
cd "$(dirname "$0")/../.."
out=dist/media-workers/qos.node
src=media-workers/qos/qos.c
[ -f "$out" ] && [ "$out" -nt "$src" ] && exit 0
headers="$(dirname "$(dirname "$(command -v node)")")/include/node"
if ! command -v cc >/dev/null 2>&1 || [ ! -f "$headers/node_api.h" ]; then
  echo "qos helper not built (needs cc and $headers/node_api.h): tos_audio/cos_audio will not be applied" >&2
  exit 0
fi
mkdir -p "$(dirname "$out")"
cc -O2 -Wall -Werror -shared -fPIC -I"$headers" -o "$out" "$src"
