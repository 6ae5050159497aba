#!/usr/bin/env bash
# The end-to-end tests under a CPU soak: runs the named test targets of tests/ RUNS
# times while a busy loop keeps every core busy, and prints each test that failed in
# any run. The corpus (tests/corpus.rs: real-world programs, each with its exact
# verdict and message) and the seeds' own programs (tests/seeds.rs) must get the same
# verdicts on a loaded machine as on a quiet one: a test that fails here only is a bug
# of the grader (a deadline or a window that depends on the machine's speed).
#
#   scripts/soak-tests.sh [RUNS] [TEST...]     default: 3 corpus seeds
#
# SOAK_HOGS sets the number of busy loops (default: one per core). Writes
# target/soak-tests/run-N.txt (each run's output). Exit status 0 when every run passed.
set -euo pipefail
cd "$(dirname "$0")/.."

runs=${1:-3}
shift || true
tests=("$@")
[ ${#tests[@]} -gt 0 ] || tests=(corpus seeds)
hogs=${SOAK_HOGS:-$(nproc 2>/dev/null || echo 2)}
out=target/soak-tests
mkdir -p "$out"

args=()
for t in "${tests[@]}"; do args+=(--test "$t"); done
# Built before the hogs start: the soak measures the grader, not the compiler.
cargo test --quiet --locked -p socket-labs-tests "${args[@]}" --no-run

# shellcheck source=scripts/hogs.sh
. scripts/hogs.sh
start_hogs "$hogs"
echo "soak-tests: $runs runs of ${tests[*]}, $hogs CPU hog(s) running" >&2

failed=0
for run in $(seq "$runs"); do
  log="$out/run-$run.txt"
  if cargo test --quiet --locked -p socket-labs-tests "${args[@]}" >"$log" 2>&1; then
    echo "run $run: passed ($(grep -ho '[0-9]* passed' "$log" | awk '{s+=$1} END {print s}') tests)" >&2
  else
    failed=$((failed + 1))
    echo "run $run: FAILED: $(grep -E '^    [a-z_:0-9]+$' "$log" | tr -d ' ' | sort -u | tr '\n' ' ')" >&2
  fi
done
stop_hogs
echo "soak-tests: $runs runs, $failed failed (load at the end: $(cut -d' ' -f1-3 /proc/loadavg))" >&2
[ "$failed" -eq 0 ]
