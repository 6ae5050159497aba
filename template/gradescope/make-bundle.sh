#!/usr/bin/env bash
# Makes the Gradescope autograder bundle of one commit of the course repository:
#   LABS="hello" template/gradescope/make-bundle.sh REF [OUT.zip]
# LABS: the labs the assignment grades (default: those run_autograder names).
# The zip holds setup.sh and run_autograder at its root and the course's tree at
# that commit in course/ (no solutions are needed, but the tree is kept whole so that
# its Cargo.lock builds as it is).
set -euo pipefail
ref=${1:?usage: make-bundle.sh REF [OUT.zip]}
out=$(realpath -m "${2:-autograder.zip}")
here=$(cd "$(dirname "$0")" && pwd)
repo=$(git -C "$here" rev-parse --show-toplevel)
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT

mkdir "$stage/course"
git -C "$repo" archive --format=tar "$ref" | tar -C "$stage/course" -xf -
cp "$stage/course/template/gradescope/setup.sh" "$stage/course/template/gradescope/run_autograder" "$stage/"
if [ -n "${LABS:-}" ]; then
  sed -i "s/^LABS=\${LABS:-[^}]*}/LABS=\${LABS:-$LABS}/" "$stage/run_autograder"
fi
chmod +x "$stage/setup.sh" "$stage/run_autograder"
rm -f "$out"
(cd "$stage" && python3 -m zipfile -c "$out" setup.sh run_autograder course/)
echo "wrote $out (course at $(git -C "$repo" rev-parse "$ref"))"
