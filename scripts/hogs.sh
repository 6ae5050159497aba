# Sourced by the soak scripts: `start_hogs N` starts N busy loops (one per core keeps
# every core busy) that `stop_hogs` ends, as does the script's exit.
hog_pids=()
stop_hogs() {
  for pid in "${hog_pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  hog_pids=()
}
start_hogs() {
  trap stop_hogs EXIT
  for _ in $(seq "$1"); do
    (while :; do :; done) &
    hog_pids+=("$!")
  done
}
