#!/usr/bin/env bash
# bench/kv/run.sh -- build and run the KV benchmark (bench_kv.c).
#   ROWS=1000000 SECONDS=3 BUILD=build bash bench/kv/run.sh [--no-sync]
# Builds the bench_kv target in a Release build directory (BUILD, default
# build-bench-kv); if the top-level CMakeLists.txt does not (yet) include
# bench/kv, compiles bench_kv.c directly against that build's libraries.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
BUILD=${BUILD:-$ROOT/build-bench-kv}
ROWS=${ROWS:-1000000}
SECS=${SECONDS_PER_BENCH:-3}
[ -f "$BUILD/CMakeCache.txt" ] || cmake -S "$ROOT" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release >/dev/null
BIN=$BUILD/bench/kv/bench_kv
if ! cmake --build "$BUILD" --target bench_kv -j "$(nproc)" >/dev/null 2>&1 || [ ! -x "$BIN" ]; then
  cmake --build "$BUILD" --target pgkv_kv pgkv_sem pgkv_common pgkv_proto -j "$(nproc)" >/dev/null
  BIN=$BUILD/bench_kv_direct
  gcc -std=gnu11 -O2 -g -D_GNU_SOURCE -I"$ROOT" -I"$BUILD" -I"$BUILD/proto" "$HERE/bench_kv.c" -o "$BIN" \
    "$BUILD/kv/libpgkv_kv.a" "$BUILD/sql/sem/libpgkv_sem.a" "$BUILD/common/libpgkv_common.a" \
    "$BUILD/proto/libpgkv_proto.a" \
    $(pkg-config --libs rocksdb libprotobuf-c icu-i18n icu-uc) -lgmp -lpthread -lm
fi
exec "$BIN" --rows "$ROWS" --seconds "$SECS" "$@"
