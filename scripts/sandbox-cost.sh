#!/usr/bin/env bash
# What a sandbox costs each program at start: the wall time to start /bin/true and
# reap it, N times, plain and under each design compared in docs/trust.md.
#   A: bubblewrap, as the grader runs it (grader/src/sandbox/mod.rs), as root with
#      setpriv to nobody;
#   B: the kernel work of a namespace set-up of our own (a mount and a PID
#      namespace, a new /proc), through unshare(1), as a lower bound for it: Landlock
#      and seccomp add microseconds.
# Usage: scripts/sandbox-cost.sh [N]   (default 200)
set -euo pipefail
n=${1:-200}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
chmod 755 "$dir"
[ "$(id -u)" = 0 ] && chown 65534:65534 "$dir"

time_it() {
  local label=$1; shift
  local start end
  start=$(date +%s%N)
  for _ in $(seq "$n"); do "$@" >/dev/null 2>&1; done
  end=$(date +%s%N)
  awk -v l="$label" -v t="$((end - start))" -v n="$n" 'BEGIN { printf "%-34s %7.2f ms per start\n", l, t / n / 1e6 }'
}

echo "load: $(cut -d' ' -f1-3 /proc/loadavg); $n starts each"
time_it "plain exec" /bin/true
if command -v bwrap >/dev/null; then
  args=(--unshare-pid --unshare-ipc --unshare-uts --unshare-cgroup-try --die-with-parent
    --proc /proc --dev /dev --perms 1777 --size 268435456 --tmpfs /tmp)
  for d in /usr /bin /sbin /lib /lib32 /lib64 /libx32 /etc /opt; do args+=(--ro-bind-try "$d" "$d"); done
  args+=(--bind "$dir" "$dir" --chdir "$dir")
  if [ "$(id -u)" = 0 ]; then
    time_it "A: bwrap + setpriv (root)" bwrap "${args[@]}" --cap-drop ALL --cap-add CAP_SETUID \
      --cap-add CAP_SETGID --cap-add CAP_SETPCAP -- setpriv --reuid=65534 --regid=65534 \
      --clear-groups --inh-caps=-all --bounding-set=-all --no-new-privs -- /bin/true
  else
    time_it "A: bwrap, user namespace" bwrap --unshare-user --disable-userns "${args[@]}" -- /bin/true
  fi
fi
if [ "$(id -u)" = 0 ]; then
  time_it "B: unshare mount+pid, new /proc" unshare --mount --pid --fork --mount-proc /bin/true
else
  time_it "B: unshare user+mount+pid" unshare --user --map-root-user --mount --pid --fork --mount-proc /bin/true
fi
