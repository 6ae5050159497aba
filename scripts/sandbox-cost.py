#!/usr/bin/env python3
"""What a sandbox costs each program at its start: `/bin/true` started and reaped N
times, plain and under each design docs/trust.md compares, with the median wall time
per start and the CPU time per start (user + system, of the whole process tree: less
sensitive to a loaded machine than the wall time).

  A: bubblewrap, as the grader runs it (grader/harness/src/sandbox/), with setpriv to nobody
     when run as root, in a user namespace otherwise;
  B: the kernel work of a namespace set-up of our own (a mount and a PID namespace and
     a new /proc), through unshare(1): a lower bound for it, since Landlock and seccomp
     add microseconds.

Usage: scripts/sandbox-cost.py [N]   (default 200)"""

import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

N = int(sys.argv[1]) if len(sys.argv) > 1 else 200
ROOT = os.geteuid() == 0


def measure(label, argv):
    walls = []
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    for _ in range(N):
        start = time.perf_counter()
        subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
        walls.append(time.perf_counter() - start)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime) / N
    print(f"| {label} | {statistics.median(walls) * 1000:.2f} | {cpu * 1000:.2f} |")


def bwrap_args(folder):
    args = ["bwrap", "--unshare-pid", "--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try",
            "--die-with-parent", "--proc", "/proc", "--dev", "/dev"]
    for tmp in ("/tmp", "/dev/shm"):
        args += ["--perms", "1777", "--size", str(256 << 20), "--tmpfs", tmp]
    for path in ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/etc", "/opt"):
        if os.path.islink(path):
            args += ["--symlink", os.readlink(path), path]
        elif os.path.exists(path):
            args += ["--ro-bind", path, path]
    args += ["--bind", folder, folder, "--chdir", folder]
    if ROOT:
        args += ["--cap-drop", "ALL", "--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID",
                 "--cap-add", "CAP_SETPCAP", "--", "setpriv", "--reuid=65534", "--regid=65534",
                 "--clear-groups", "--inh-caps=-all", "--bounding-set=-all", "--no-new-privs", "--"]
    else:
        args = args[:1] + ["--unshare-user", "--disable-userns"] + args[1:] + ["--"]
    return args + ["/bin/true"]


def main():
    with open("/proc/loadavg") as f:
        load = " ".join(f.read().split()[:3])
    print(f"load {load}; {N} starts each; {'root' if ROOT else 'user ' + str(os.geteuid())}\n")
    print("| design | median wall ms per start | CPU ms per start |\n|---|---:|---:|")
    folder = tempfile.mkdtemp()
    os.chmod(folder, 0o755)
    if ROOT:
        os.chown(folder, 65534, 65534)
    try:
        measure("plain exec", ["/bin/true"])
        if shutil.which("bwrap"):
            measure("A: bubblewrap" + (" + setpriv" if ROOT else ", user namespace"), bwrap_args(folder))
        unshare = ["unshare"] + ([] if ROOT else ["--user", "--map-root-user"])
        measure("B: unshare, mount + PID namespaces, new /proc",
                unshare + ["--mount", "--pid", "--fork", "--mount-proc", "/bin/true"])
    finally:
        shutil.rmtree(folder, ignore_errors=True)


main()
