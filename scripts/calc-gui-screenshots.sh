#!/usr/bin/env bash
# The screenshots of calc-gui in docs/labs/calc.md, taken from the running window (the
# reference, eframe with OpenGL) under a virtual X server, typed into as a person would:
#   calc-gui.png        4 + 5 = answered by ref-calc-server over TCP
#   calc-gui-error.png  4 + 5 = with no server listening: the error in the status line
# Needs Xvfb, xdotool and ImageMagick's import (Debian: apt-get install xvfb xdotool
# imagemagick) and Mesa's software OpenGL (libgl1-mesa-dri).
set -euo pipefail
cd "$(dirname "$0")/.."
out=docs/labs
port=50007
cargo build -q -p calc-solution --bin ref-calc-server
cargo build -q -p calc-gui-solution --features window --bin ref-calc-gui
target=$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')

pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; }
trap cleanup EXIT

display=:$((90 + RANDOM % 100))
Xvfb "$display" -screen 0 800x600x24 -nolisten tcp & pids+=($!)
export DISPLAY=$display
for _ in $(seq 50); do xdpyinfo >/dev/null 2>&1 && break; sleep 0.1; done

"$target/debug/ref-calc-server" --host 127.0.0.1 --port $port 2>/dev/null & server=$!; pids+=($server)
"$target/debug/ref-calc-gui" --port $port & pids+=($!)
window=$(xdotool search --sync --name '^calc-gui$' | head -n 1)
sleep 1  # the first frames: fonts and the GL context
xdotool windowfocus --sync "$window"

# What a person types: the keypad's keys, then Enter for `=`.
ask() { xdotool key --window "$window" Escape; xdotool type --delay 80 "4+5"; xdotool key Return; sleep "$1"; }

ask 1
import -window "$window" "$out/calc-gui.png"
kill "$server"; wait "$server" 2>/dev/null || true
ask 1
import -window "$window" "$out/calc-gui-error.png"
echo "wrote $out/calc-gui.png and $out/calc-gui-error.png"
