#!/usr/bin/env bash
# Type-checks what this Linux machine cannot run: the grader for macOS (Apple silicon
# and Intel) and, for Windows, the grader (which only says to use WSL there) with every
# skeleton and reference solution (std only, they build natively). `cargo clippy` with
# warnings denied, so code that only macOS compiles cannot rot unseen: an item macOS
# lacks, a cfg that leaves a function unused. It does not link (no Apple or Windows
# linker here), and it runs nothing: .github/workflows/ci.yml runs the tests on real
# macOS and Windows runners.
#
#   scripts/check-targets.sh          (installs the targets' standard libraries with rustup)
set -euo pipefail
cd "$(dirname "$0")/.."

targets=(aarch64-apple-darwin x86_64-apple-darwin x86_64-pc-windows-gnu)
rustup target add "${targets[@]}" >/dev/null
# A target dir of its own: other targets' builds never invalidate the host's.
export CARGO_TARGET_DIR=target/cross

grader=(-p grader -p socket-labs-harness -p socket-labs-labs -p socket-labs-report)
mapfile -t programs < <(cargo metadata --no-deps --format-version 1 --locked | python3 -c '
import json, sys
for p in json.load(sys.stdin)["packages"]:
    if p["manifest_path"].split("/")[-3] in ("labs", "solutions"):
        print("-p"); print(p["name"])')

for target in aarch64-apple-darwin x86_64-apple-darwin; do
  echo "== $target: the grader"
  cargo clippy --quiet --locked --target "$target" "${grader[@]}" -- -D warnings
done
echo "== x86_64-pc-windows-gnu: the grader, the skeletons and the solutions"
# On Windows the grader's own crates are not built (its main says to use WSL).
cargo clippy --quiet --locked --target x86_64-pc-windows-gnu -p grader "${programs[@]}" -- -D warnings
echo "check-targets: macOS (2 targets) and Windows type-check without a warning"
