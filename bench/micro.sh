#!/usr/bin/env bash
# micro.sh -- the hot-path micro-benchmarks of docs/performance.md:
#   micro_handoff  reader -> executor wake-up: condvar (signal under the
#                  lock / after it), futex, eventfd, spin-then-sleep; two
#                  threads free and pinned to one CPU (PGKV_PIN's placement)
#   micro_parse    libpg_query parse vs pg_query_scan vs pg_query_normalize
#                  vs pgkv's shape scan (the plan-cache key)
# Options (environment): ROUNDS=100000, SPIN_US=20, ITERS=20000.
set -euo pipefail
SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
OUT=$(mktemp -d /tmp/pgkv-micro-XXXXXX)
trap 'rm -rf "$OUT"' EXIT
cc -O2 -Wall -Wextra -Werror -o "$OUT/micro_handoff" "$SRC/bench/micro_handoff.c" -lpthread
"$OUT/micro_handoff" "${ROUNDS:-100000}" "${SPIN_US:-20}"
cc -O2 -Wall -Wextra -Werror -o "$OUT/micro_parse" "$SRC/bench/micro_parse.c" -lpg_query -lprotobuf-c
echo "# ns per call, ${ITERS:-20000} iterations"
"$OUT/micro_parse" "${ITERS:-20000}"
