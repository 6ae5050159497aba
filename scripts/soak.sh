#!/usr/bin/env bash
# Soak test of the grader: grades the reference solutions RUNS times (default 200)
# while a CPU hog keeps every core busy, and reports each check that did not pass
# every run. A correct program must pass every time, so any check reported here is a
# bug of the grader (a deadline too tight, a race in readiness): fix its cause, never
# add a retry. docs/trust.md explains it.
#
#   scripts/soak.sh [RUNS] [GRADER TEST ARGS...]    e.g. scripts/soak.sh 20 hello date
#
# SOAK_HOGS sets the number of busy loops (default: one per core), SOAK_JOBS the
# grader's --jobs (default: its own), SOAK_DIR the output folder (target/soak).
# Writes target/soak/summary.json (each check's pass rate and failures, with the
# command that repeats each one) and target/soak/log.txt (one line per run). Exit
# status: 0 when every check passed every run.
set -euo pipefail
cd "$(dirname "$0")/.."

runs=${1:-200}
shift || true
out=${SOAK_DIR:-target/soak}
hogs=${SOAK_HOGS:-$(nproc 2>/dev/null || echo 2)}
mkdir -p "$out"

cargo build --quiet --package grader
# A private copy: a rebuild of target/debug/grader while the soak runs (a developer at
# work) must not swap the grader under test.
cp target/debug/grader "$out/grader"

# shellcheck source=scripts/hogs.sh
. scripts/hogs.sh
start_hogs "$hogs"
echo "soak: $runs runs of the reference solutions, $hogs CPU hog(s) running" >&2

status=0
"$out/grader" test --solutions --repeat "$runs" --color never ${SOAK_JOBS:+--jobs "$SOAK_JOBS"} \
  --format json --output "$out/summary.json" "$@" 2> >(tee "$out/log.txt" >&2) || status=$?
stop_hogs

python3 - "$out/summary.json" <<'PY' || true
import json, sys
summary = json.load(open(sys.argv[1]))
verdicts = sum(c["runs"] - c["passed"] for c in summary["checks"])
print(f"soak: {summary['runs']} runs x {len(summary['checks'])} checks; "
      f"{summary['flaky']} flaky, {summary['failing']} failing; "
      f"{verdicts} check verdicts were not a pass", file=sys.stderr)
PY
exit "$status"
