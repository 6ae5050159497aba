#!/usr/bin/env bash
# Gradescope runs this once, as root, when it builds the autograder's image: it
# installs Rust, installs the course's grader, and builds the skeletons so that the
# dependencies are compiled before any student submits.
set -euo pipefail

# The image's package lists may be stale or absent: install from fresh ones.
apt-get update
DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends ca-certificates curl build-essential python3 bubblewrap
curl --proto '=https' --tlsv1.2 -sSf https://sh.rustup.rs | sh -s -- -y --profile minimal
# shellcheck disable=SC1091
. "$HOME/.cargo/env"

cd /autograder/source/course
cargo install --locked --path grader --root /usr/local
packages=()
for lab in labs/*/; do packages+=(-p "$(basename "$lab")"); done
cargo build --locked "${packages[@]}"
