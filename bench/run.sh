#!/usr/bin/env bash
# bench/run.sh -- every benchmark, called by `make bench`.  Benchmarks are not
# tests: they print numbers and never gate a build.  See bench/README.md.
set -uo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
rc=0
bash "$HERE/pgbench_select1.sh" || rc=$?
bash "$HERE/pgbench_tpcb.sh" || rc=$?
bash "$HERE/tables.sh" || rc=$?
exit $rc
