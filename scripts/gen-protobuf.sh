#!/usr/bin/env bash
# Regenerates the protobuf-c code for Pare's ONNX schema:
#   schemas/onnx.proto  ->  Sources/COnnxProto/onnx.pb-c.c
#                           Sources/COnnxProto/include/onnx.pb-c.h
#
# Usage:
#   scripts/gen-protobuf.sh           regenerate the committed files in place
#   scripts/gen-protobuf.sh --check   regenerate into a temp dir and compare; exit 1 if the committed
#                                     files are missing or differ from what the schema produces
#
# Needs protoc-c (Debian: apt-get install protobuf-c-compiler). The committed files were made with
# protobuf-c 1.4.1; another version may produce textually different (but equivalent) output, which
# --check reports as stale.
set -euo pipefail
cd "$(dirname "$0")/.."

PROTO_DIR=schemas
PROTO=onnx.proto
OUT_C=Sources/COnnxProto/onnx.pb-c.c
OUT_H=Sources/COnnxProto/include/onnx.pb-c.h
EXPECTED_VERSION="protobuf-c 1.4.1"

mode=write
case "${1:-}" in
  "") ;;
  --check) mode=check ;;
  -h|--help) sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
  *) echo "gen-protobuf: unknown argument: $1 (use --check or nothing)" >&2; exit 2 ;;
esac

PROTOC_C="${PROTOC_C:-protoc-c}"
if ! command -v "$PROTOC_C" >/dev/null 2>&1; then
  echo "gen-protobuf: protoc-c not found; install it with: apt-get install -y protobuf-c-compiler" >&2
  exit 2
fi
version="$("$PROTOC_C" --version 2>&1 | sed -n 1p)"  # not head: under pipefail its early exit can SIGPIPE protoc-c
if [ "$version" != "$EXPECTED_VERSION" ]; then
  echo "gen-protobuf: warning: using '$version', committed code was generated with '$EXPECTED_VERSION'" >&2
fi

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

# -I is the schema directory itself, so the generated .c includes the header as "onnx.pb-c.h"
# (found through the C target's include/ directory) and the header records "onnx.proto" as its source.
"$PROTOC_C" -I "$PROTO_DIR" --c_out="$tmp" "$PROTO_DIR/$PROTO"

gen_c="$tmp/${PROTO%.proto}.pb-c.c"
gen_h="$tmp/${PROTO%.proto}.pb-c.h"
for f in "$gen_c" "$gen_h"; do
  [ -s "$f" ] || { echo "gen-protobuf: protoc-c did not produce $(basename "$f")" >&2; exit 2; }
done
# Guard the include line the SwiftPM target relies on.
if ! grep -q '^#include "onnx.pb-c.h"$' "$gen_c"; then
  echo "gen-protobuf: generated .c does not include \"onnx.pb-c.h\" as expected" >&2
  exit 2
fi

if [ "$mode" = check ]; then
  stale=()
  for pair in "$gen_c:$OUT_C" "$gen_h:$OUT_H"; do
    gen="${pair%%:*}"; committed="${pair#*:}"
    if [ ! -f "$committed" ]; then
      stale+=("$committed (missing)")
    elif ! cmp -s "$gen" "$committed"; then
      stale+=("$committed (differs)")
    fi
  done
  if [ "${#stale[@]}" -gt 0 ]; then
    echo "gen-protobuf: STALE: generated protobuf code does not match $PROTO_DIR/$PROTO:" >&2
    for f in "${stale[@]}"; do echo "  $f" >&2; done
    echo "Run scripts/gen-protobuf.sh to regenerate (protoc-c: $version)." >&2
    exit 1
  fi
  echo "gen-protobuf: up to date ($OUT_C, $OUT_H)"
  exit 0
fi

mkdir -p "$(dirname "$OUT_C")" "$(dirname "$OUT_H")"
cp "$gen_c" "$OUT_C"
cp "$gen_h" "$OUT_H"
echo "gen-protobuf: wrote $OUT_C and $OUT_H from $PROTO_DIR/$PROTO"
