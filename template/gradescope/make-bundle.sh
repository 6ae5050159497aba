#!/usr/bin/env bash
# Makes the Gradescope autograder bundle of one commit of the course repository:
#   LABS="hello" template/gradescope/make-bundle.sh REF [OUT.zip]
# LABS: the labs the assignment grades (default: those run_autograder names).
# The zip holds setup.sh and run_autograder at its root and the course's tree at
# that commit in course/, without what a submission must never see nor needs:
# solutions/, tests/ (its fixtures are mutants of the solutions), bench/. The
# workspace's members and Cargo.lock are trimmed to match (cargo is needed here, once).
# Programs under test are sandboxed anyway (docs/trust.md): they cannot read course/.
set -euo pipefail
ref=${1:?usage: make-bundle.sh REF [OUT.zip]}
out=$(realpath -m "${2:-autograder.zip}")
here=$(cd "$(dirname "$0")" && pwd)
repo=$(git -C "$here" rev-parse --show-toplevel)
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT

mkdir "$stage/course"
git -C "$repo" archive --format=tar "$ref" | tar -C "$stage/course" -xf -
rm -rf "$stage/course/solutions" "$stage/course/tests" "$stage/course/bench"
python3 - "$stage/course/Cargo.toml" <<'PY'
import re, sys
path = sys.argv[1]
text = open(path).read()
gone = ("solutions/", "tests", "bench")
def members(match):
    kept = [m for m in re.findall(r'"([^"]*)"', match.group(1)) if not m.startswith(gone)]
    return "members = [" + ", ".join(f'"{m}"' for m in kept) + "]"
text = re.sub(r"members = \[([^\]]*)\]", members, text)
# Profile overrides of the solutions' packages would warn on every build.
text = re.sub(r"\[profile\.[a-z]+\.package\.[a-z-]*-solution\]\n(?:[^\[\n][^\n]*\n)*\n?", "", text)
open(path, "w").write(text)
PY
# Drops the removed packages from Cargo.lock, fetching nothing.
(cd "$stage/course" && cargo metadata --format-version 1 --offline >/dev/null)
cp "$stage/course/template/gradescope/setup.sh" "$stage/course/template/gradescope/run_autograder" "$stage/"
if [ -n "${LABS:-}" ]; then
  sed -i "s/^LABS=\${LABS:-[^}]*}/LABS=\${LABS:-$LABS}/" "$stage/run_autograder"
fi
chmod +x "$stage/setup.sh" "$stage/run_autograder"
rm -f "$out"
(cd "$stage" && python3 -m zipfile -c "$out" setup.sh run_autograder course/)
echo "wrote $out (course at $(git -C "$repo" rev-parse "$ref"))"
