//! The hostile zoo: programs that misbehave the way a broken or malicious submission
//! would (tests/fixtures/hostile). Each is graded through `--cmd` and must fail
//! clearly (a failure of the program, never a pass and never the grader's error),
//! within a bounded time, with a transcript note when it ran into a limit, and with
//! nothing left behind: no process of the run alive, no temporary directory, no cgroup.

use std::time::{Duration, Instant};

use rstest::rstest;
use serde_json::Value;
use socket_labs_tests::{fixture, grade_json, grader_path, python, root, Run};

/// Every deadline is scaled down so that the zoo stays fast: the programs here fail
/// anyway, and the limits below are small for the same reason.
const SCALE: &str = "0.3";
const LIMITS: &str = "fsize=16M,nproc=64";

/// What one run may take at most: the scaled deadlines are a few seconds; the rest is
/// margin for a loaded machine.
const BOUND: Duration = Duration::from_secs(25);

struct Graded {
    run: Run,
    check: Value,
    notes: Vec<String>,
}

/// A word, unique to one run, added to a fixture's command line: every process of
/// that run (a forked Python child keeps its parent's command line, wherever its
/// working directory went) can be found by it, and no other.
fn marker() -> String {
    static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    format!("--mark=hostile-{}-{}", std::process::id(), NEXT.fetch_add(1, std::sync::atomic::Ordering::SeqCst))
}

fn grade(role: &str, check: &str, file: &str, extra: &[&str]) -> Graded {
    grade_with(LIMITS, role, check, file, extra)
}

fn grade_with(limits: &str, role: &str, check: &str, file: &str, extra: &[&str]) -> Graded {
    let mark = marker();
    let command = format!("{role}={} -B {} {} {mark}", python(), fixture("hostile", file), extra.join(" "));
    let started = Instant::now();
    let run = grade_json(&["--check", check, "--timeout-scale", SCALE, "--limit", limits, "--cmd", &command]);
    let took = started.elapsed();
    assert!(took < BOUND, "{file}: the grader took {took:?}");
    assert!(run.output.stdout.len() < 256 << 10, "{file}: a report of {} bytes", run.output.stdout.len());
    let report = run.json();
    let mut check = report["checks"].as_array().unwrap().iter().find(|c| c["id"] == check).expect("the check ran");
    // A server that does not start fails its gate (hello/hello-server-starts), and the
    // check is skipped for it: the gate's failure is the one to read.
    if let Some(gate) = socket_labs_tests::skipped_after(&report, check) {
        check = report["checks"].as_array().unwrap().iter().find(|c| c["id"] == gate).unwrap();
    }
    let check = check.clone();
    let notes = check["transcript"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "note")
        .map(|e| e["text"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(run.code(), 1, "{file}: {}", run.stderr());
    assert!(["fail", "timeout"].contains(&check["status"].as_str().unwrap()), "{file}: {check}");
    run.assert_nothing_left();
    assert_no_process_runs(&mark);
    Graded { run, check, notes }
}

/// No process whose command line holds `mark` (see [`marker`]).
fn assert_no_process_runs(mark: &str) {
    let alive = socket_labs_tests::processes_with(mark);
    assert!(alive.is_empty(), "processes of the run are still alive: {alive:?}");
}

impl Graded {
    /// Whether its programs ran in the sandbox (the report's first note says).
    fn sandboxed(&self) -> bool {
        self.run.json()["notes"][0].as_str().is_some_and(|n| n.starts_with("sandboxed:"))
    }

    fn says(&self, text: &str) -> &Self {
        let failure = self.check["failure"].to_string();
        assert!(failure.contains(text), "expected {text:?} in the failure: {failure}");
        self
    }

    fn notes(&self, text: &str) -> &Self {
        assert!(self.notes.iter().any(|n| n.contains(text)), "expected a note with {text:?}: {:?}", self.notes);
        self
    }
}

const SERVER: (&str, &str) = ("hello-server", "hello/server-replies");
const CLIENT: (&str, &str) = ("hello-client", "hello/client-default-message");

#[rstest]
#[case::sleeps_forever(SERVER, "sleep_forever.py", &[], "did not listen", None)]
#[case::ignores_sigterm(CLIENT, "ignore_sigterm.py", &[], "did not connect", Some("after SIGTERM, so it was killed"))]
#[case::grandchild_keeps_the_port(SERVER, "grandchild_keeps_port.py", &[], "exited with status 0", None)]
#[case::grandchild_leaves_the_group(SERVER, "grandchild_keeps_port.py", &["--setsid"], "exited with status 0", Some("running outside its process group"))]
#[case::writes_gigabytes_to_stdout(CLIENT, "stdout_flood.py", &[], "hello-client", Some("bytes to stdout; only the first 1048576 were kept"))]
#[case::fills_the_disk_with_a_log(SERVER, "disk_filler.py", &[], "File too large", Some("server.log up to the file size limit (16M"))]
#[case::binds_the_wrong_port(SERVER, "wrong_port.py", &[], "did not listen on 127.0.0.1", None)]
#[case::exits_at_once(SERVER, "exits_at_once.py", &[], "exited with status 0 before it listened", None)]
#[case::crashes_mid_reply(SERVER, "crash_mid_reply.py", &[], "SIGSEGV (a crash", None)]
fn a_hostile_program_fails_clearly_and_leaves_nothing_behind(
    #[case] (role, check): (&str, &str),
    #[case] file: &str,
    #[case] extra: &[&str],
    #[case] says: &str,
    #[case] note: Option<&str>,
) {
    let graded = grade(role, check, file, extra);
    graded.says(says);
    // In the sandbox, what left the group dies with the program's PID namespace as
    // soon as the program exits: there is nothing outside the group to find by then.
    let escapes = note.is_some_and(|n| n.contains("outside its process group"));
    if let Some(note) = note.filter(|_| !(escapes && graded.sandboxed())) {
        graded.notes(note);
    }
}

/// A busy loop is stopped by the CPU time limit, and the transcript says so.
#[test]
fn a_busy_loop_is_stopped_at_the_cpu_limit() {
    // Startup is given 10 s here (scale 1), far more than the 1 s of CPU allowed.
    let mark = marker();
    let command = format!("hello-server={} -B {} {mark}", python(), fixture("hostile", "busy_loop.py"));
    let started = Instant::now();
    let run = grade_json(&["--check", SERVER.1, "--limit", "cpu=1", "--cmd", &command]);
    assert!(started.elapsed() < BOUND, "the grader took {:?}", started.elapsed());
    assert_eq!(run.code(), 1, "{}", run.stderr());
    let check = &run.json()["checks"][0];
    assert!(check["failure"].to_string().contains("SIGXCPU (it used up its CPU time limit)"), "{check}");
    assert!(check["transcript"].to_string().contains("used up its CPU time limit (1 s of CPU"), "{check}");
    run.assert_nothing_left();
    assert_no_process_runs(&mark);
}

/// A fork bomb whose children leave the process group: the process limit stops it
/// (a pids cgroup as root; RLIMIT_NPROC for other users), and every child is killed.
#[test]
fn a_fork_bomb_is_stopped_at_the_process_limit() {
    let graded = grade(SERVER.0, SERVER.1, "fork_bomb.py", &[]);
    let report = graded.run.json();
    let notes = report["notes"].to_string();
    if notes.contains("no process limit") {
        // Root without a pids cgroup: nothing stops the (capped) bomb, but it is still
        // failed and nothing of it is left, which grade() checked.
        return;
    }
    graded.says("exited with status 1 before it listened");
    if !notes.contains("RLIMIT_NPROC") {
        graded.notes("reached its limit of 64 processes");
        if !graded.sandboxed() {
            graded.notes("running outside its process group");
        }
    }
}

/// The pids cgroups of a run are removed when it ends, even after a fork bomb. On the
/// machine's own network the programs are the grader's own children, so its pid
/// names their cgroups.
#[test]
fn no_cgroup_is_left_after_a_run() {
    let command = format!("hello-server={} -B {}", python(), fixture("hostile", "fork_bomb.py"));
    let tmp = tempfile::tempdir().unwrap();
    let child = std::process::Command::new(grader_path())
        .args(["test", "--format", "json", "--net", "loopback", "--check", "hello/server-replies"])
        .args(["--timeout-scale", SCALE, "--limit", LIMITS, "--cmd", &command])
        .current_dir(root())
        .env("TMPDIR", tmp.path())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let prefix = format!("socket-labs-{}-", child.id());
    let output = child.wait_with_output().unwrap();
    assert_eq!(output.status.code(), Some(1));
    let Ok(entries) = std::fs::read_dir("/sys/fs/cgroup/pids") else { return };
    let left: Vec<String> = entries
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|name| name.starts_with(&prefix))
        .collect();
    assert!(left.is_empty(), "cgroups left behind: {left:?}");
}

/// Ctrl-C while a program's children that left its process group are running: the
/// grader stops them all before it exits.
#[test]
fn an_interrupted_grader_stops_children_that_left_the_group() {
    let tmp = tempfile::tempdir().unwrap();
    let mark = marker();
    let command = format!("hello-server={} -B {} --survive {mark}", python(), fixture("hostile", "fork_bomb.py"));
    let mut child = std::process::Command::new(grader_path())
        .args(["test", "--check", "hello/server-replies", "--limit", "nproc=32", "--cmd", &command])
        .current_dir(root())
        .env("TMPDIR", tmp.path())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    while socket_labs_tests::processes_in(tmp.path()).len() < 10 {
        assert!(Instant::now() < deadline, "the fork bomb never started");
        assert!(child.try_wait().unwrap().is_none(), "the grader ended before it was interrupted");
        std::thread::sleep(Duration::from_millis(10));
    }
    std::process::Command::new("kill").args(["-INT", &child.id().to_string()]).status().unwrap();
    let status =
        socket_labs_tests::wait_exit(&mut child, Duration::from_secs(15), "the grader did not stop after SIGINT");
    assert_eq!(status.code(), Some(130));
    socket_labs_tests::assert_no_process_in(tmp.path());
    assert_no_process_runs(&mark);
    let left: Vec<_> = std::fs::read_dir(tmp.path()).unwrap().flatten().map(|e| e.path()).collect();
    assert!(left.is_empty(), "temporary directories left: {left:?}");
}
