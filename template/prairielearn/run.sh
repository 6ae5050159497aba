#!/usr/bin/env bash
# PrairieLearn's entrypoint for an externally graded socket-labs question: the
# student's files are in /grade/student, and the results go to
# /grade/results/results.json. A submission that does not compile is reported as not
# gradable, which costs the student no attempt.
#
# LABS: the labs this question grades (set it in info.json's "environment").
# GRADE and COURSE: /grade and /course (others try it on your own machine).
set -uo pipefail
LABS=${LABS:-hello}
GRADE=${GRADE:-/grade}
COURSE=${COURSE:-/course}
results="$GRADE/results/results.json"
mkdir -p "$GRADE/results"
rm -f "$results"
work=$(mktemp -d)
# Networking is off while grading: everything cargo needs was fetched into the image.
export CARGO_NET_OFFLINE=true
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$COURSE/target}"

# shellcheck disable=SC2086 # LABS is a list of names
"$COURSE/template/bin/grade-submission" "$COURSE" "$GRADE/student" "$work" -- \
  $LABS --require-sandbox --format prairielearn="$results"
status=$?
if [ ! -f "$results" ]; then
  printf '{"gradable": false, "format_errors": ["the grader could not run (exit status %s)"]}\n' "$status" >"$results"
fi
exit 0
