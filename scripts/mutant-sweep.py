#!/usr/bin/env python3
"""Grades every mutant of docs/mutants.md under many seeds and reports every verdict that
depends on the seed.

The mutant tests (tests/LAB.rs) grade each mutant once, with a random seed; a check whose
verdict on a mutant depends on the seed (random text that happens to hit or miss the bug)
fails them now and then, in CI. This sweep finds those before CI does:

    cargo build -p grader
    scripts/mutant-sweep.py --runs 8            # every lab
    scripts/mutant-sweep.py --runs 20 varsize   # one lab, more seeds

Each mutant runs its role's checks `--runs` times (`grader test --repeat`, seeds base,
base+1, ...); the output names each check that passed some runs and failed others, with the
seeds that fail it (`--seed N` repeats one). A verdict that is the same every run but not
the table's is noted too: the lab's test may grade that mutant on fewer checks.
Exit status 0 when no verdict depends on the seed.
"""
import argparse
import json
import os
import re
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
GRADER = os.path.join(ROOT, "target", "debug", "grader")


def mutant_table():
    """(lab, role, bug, [slugs that must fail]) from docs/mutants.md."""
    lab = None
    rows = []
    for line in open(os.path.join(ROOT, "docs", "mutants.md"), encoding="utf-8"):
        heading = re.match(r"## (\w+)$", line.strip())
        if heading:
            lab = heading.group(1)
            continue
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if lab and len(cells) == 4 and cells[2].startswith("`") and cells[1] != "program":
            slugs = re.findall(r"`([^`]+)`", cells[3])
            rows.append((lab, cells[1], cells[2].strip("`"), slugs))
    return rows


def labs():
    out = subprocess.run([GRADER, "list", "--json"], capture_output=True, check=True, text=True).stdout
    return {lab["name"]: lab for lab in json.loads(out)}


def commands(lab, roles, bugged, bug):
    """--cmd for every role of the lab: the Python fixture, the bugged one with --bug."""
    args = []
    for role in roles:
        command = f"{sys.executable} {os.path.join(ROOT, 'tests', 'fixtures', lab, role.replace('-', '_') + '.py')}"
        if role == bugged:
            command += f" --bug {bug}"
        args += ["--cmd", f"{role}={command}"]
    return args


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("labs", nargs="*", help="labs to sweep (default: all)")
    parser.add_argument("--runs", type=int, default=8, help="seeds per mutant")
    parser.add_argument("--seed", type=int, default=1, help="the first seed")
    args = parser.parse_args()
    registry = labs()
    problems = 0
    # A mutant may have rows in several tables of its lab (one per group of checks).
    mutants = {}
    for lab, role, bug, slugs in mutant_table():
        mutants.setdefault((lab, role, bug), set()).update(f"{lab}/{s}" for s in slugs)
    for (lab, role, bug), must_fail in mutants.items():
        if args.labs and lab not in args.labs:
            continue
        roles = [r["name"] for r in registry[lab]["roles"]]
        # The checks this role takes part in: those that name it, and those the table names.
        ids = [c["id"] for c in registry[lab]["checks"] if role in c["name"] or c["id"] in must_fail]
        cmd = [GRADER, "test", lab, "--format", "json", "--repeat", str(args.runs), "--seed", str(args.seed)]
        cmd += commands(lab, roles, role, bug)
        for i in ids:
            cmd += ["--check", i]
        run = subprocess.run(cmd, capture_output=True, text=True)
        try:
            report = json.loads(run.stdout)
        except json.JSONDecodeError:
            print(f"{lab} {role} --bug {bug}: no report (exit {run.returncode})\n{run.stderr}")
            problems += 1
            continue
        varies, differs = [], []
        # A check after a gate the mutant fails (LAB/ROLE-starts) is skipped every run:
        # it passes none, as the gate's failure, which the table lists alone.
        after = {c["id"]: c["after"] for c in registry[lab]["checks"]}
        for check in report["checks"]:
            skipped = any(a in must_fail for a in after.get(check["id"], []))
            expected = "fail" if check["id"] in must_fail or skipped else "pass"
            seeds = [f.get("seed") for f in check.get("failures", [])]
            line = f"  {check['id']}: {check['passed']}/{check['runs']} passed, table says {expected} (failing seeds {seeds})"
            if check["verdict"] == "flaky":
                varies.append(line)
            elif (check["verdict"] == "pass") != (expected == "pass"):
                differs.append(line)
        status = "VARIES" if varies else "ok"
        print(f"{status:6} {lab} {role} --bug {bug} ({len(ids)} checks x {args.runs})", flush=True)
        for line in varies:
            print(line, flush=True)
        # The same on every seed, but not what the table says: the lab's test may grade
        # this mutant on fewer checks (tests/calc.rs: TCP and UDP apart), so only a note.
        for line in differs:
            print(f"{line} [the same every run]", flush=True)
        problems += len(varies)
    print(f"{problems} verdicts depend on the seed")
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
