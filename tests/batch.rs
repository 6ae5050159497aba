//! `grader batch`: a generated class graded into a gradebook whose every score is
//! known; a batch interrupted and resumed without regrading anyone; a submission past
//! `--timeout`; and (ignored, run by hand) the benchmark of docs/benchmarks.md.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use rstest::rstest;
use serde_json::Value;
use socket_labs_tests::class::{
    benchmark_class, edit_rust, python_hostile, python_mutant, python_submission, python_without, roles_file,
    rust_submission, Rust,
};
use socket_labs_tests::{grader_path, processes_in, root};

/// The Rust submissions' shared build, kept between runs of these tests so that only
/// the first compiles the dependencies (batches sharing it take turns).
fn build_dir() -> PathBuf {
    root().join("target/batch-tests/build")
}

/// The checks these tests run: a few of each hello role, enough to tell every
/// submission of the class apart.
const CHECKS: [&str; 6] = [
    "hello/server-replies",
    "hello/server-two-messages",
    "hello/client-default-message",
    "hello/sum-integers",
    "hello/sum-not-a-number",
    "hello/sum-client-sends-line",
];

/// `grader batch CLASS hello --roles ROLES -o OUT` with the checks of [`CHECKS`] and
/// `extra`, its programs' temporary folders in `tmp`.
fn batch(tmp: &Path, class: &Path, roles: &Path, out: &Path, extra: &[&str]) -> Command {
    let mut cmd = Command::new(grader_path());
    cmd.current_dir(root()).env("TMPDIR", tmp).env("NO_COLOR", "1");
    cmd.args(["batch", class.to_str().unwrap(), "hello", "--roles", roles.to_str().unwrap()]);
    cmd.args(["-o", out.to_str().unwrap(), "--build-dir", build_dir().to_str().unwrap()]);
    for id in CHECKS {
        cmd.args(["--check", id]);
    }
    cmd.args(extra);
    cmd
}

fn text(output: &Output) -> String {
    format!("stdout: {}\nstderr: {}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr))
}

/// Every check's points, from `grader list --json`.
fn points() -> HashMap<String, u32> {
    let list: Value = serde_json::from_str(&socket_labs_tests::grader(&["list", "--json"]).stdout()).unwrap();
    let mut points = HashMap::new();
    for lab in list.as_array().unwrap() {
        for check in lab["checks"].as_array().unwrap() {
            points.insert(check["id"].as_str().unwrap().to_string(), check["points"].as_u64().unwrap() as u32);
        }
    }
    points
}

/// Asserts that `out`'s gradebook has exactly `expected`: each student with the checks
/// (of [`CHECKS`]) that must not pass; every other check passed, and the score is the
/// points of those.
fn assert_gradebook(out: &Path, expected: &[(&str, &[&str])]) {
    let points = points();
    let gradebook: Value = serde_json::from_slice(&std::fs::read(out.join("gradebook.json")).unwrap()).unwrap();
    let students = gradebook["students"].as_array().unwrap();
    let names: Vec<&str> = students.iter().map(|s| s["student"].as_str().unwrap()).collect();
    let mut wanted: Vec<&str> = expected.iter().map(|(s, _)| *s).collect();
    wanted.sort_unstable();
    assert_eq!(names, wanted);
    let max: u32 = CHECKS.iter().map(|id| points[*id]).sum();
    let csv = std::fs::read_to_string(out.join("gradebook.csv")).unwrap();
    for (student, failing) in expected {
        let row = students.iter().find(|s| s["student"] == *student).unwrap();
        let failing: Vec<String> = failing.iter().map(|slug| format!("hello/{slug}")).collect();
        let score: u32 = CHECKS.iter().filter(|id| !failing.contains(&id.to_string())).map(|id| points[*id]).sum();
        assert_eq!(row["outcome"], "graded", "{row}");
        assert_eq!(
            (row["score"].as_u64().unwrap() as u32, row["max_score"].as_u64().unwrap() as u32),
            (score, max),
            "{row}"
        );
        for check in row["checks"].as_array().unwrap() {
            let id = check["id"].as_str().unwrap();
            let passed = check["status"] == "pass";
            assert_eq!(passed, !failing.contains(&id.to_string()), "{student}: {id} is {}", check["status"]);
        }
        let line = csv.lines().find(|l| l.starts_with(&format!("{student},"))).unwrap();
        assert!(line.starts_with(&format!("{student},graded,{score},{max},")), "{line}");
        // Each student's own reports, whole.
        let dir = out.join("students").join(student);
        let report: Value = serde_json::from_slice(&std::fs::read(dir.join("report.json")).unwrap()).unwrap();
        assert_eq!(report["score"].as_u64().unwrap() as u32, score);
        assert!(std::fs::read_to_string(dir.join("report.txt")).unwrap().contains("hello/server-replies"));
    }
}

/// Nothing running in or under `dirs`, and no temporary folder left in `tmp`.
fn assert_nothing_left(tmp: &Path, dirs: &[&Path]) {
    for dir in dirs.iter().chain([&tmp]) {
        assert!(processes_in(dir).is_empty(), "still running in {}: {:?}", dir.display(), processes_in(dir));
    }
    let left: Vec<_> = std::fs::read_dir(tmp).unwrap().flatten().map(|e| e.path()).collect();
    assert!(left.is_empty(), "temporary folders left: {left:?}");
}

#[test]
fn a_class_is_graded_into_a_gradebook_of_known_scores() {
    let tmp = tempfile::tempdir().unwrap();
    let work = tempfile::tempdir().unwrap();
    let (class, out) = (work.path().join("class"), work.path().join("out"));
    let roles = roles_file(&work.path().join("roles.toml"), &["hello"]);
    python_submission(&class.join("py-correct"), &["hello"]);
    python_submission(&class.join("py-single-read"), &["hello"]);
    python_mutant(&class.join("py-single-read"), "hello", "hello-server", "single-read");
    python_submission(&class.join("py-crash-on-nan"), &["hello"]);
    python_mutant(&class.join("py-crash-on-nan"), "hello", "sum-server", "crash-on-nan");
    python_submission(&class.join("py-server-only"), &["hello"]);
    python_without(&class.join("py-server-only"), "hello", &["hello-client", "sum-server", "sum-client"]);
    python_submission(&class.join("py-exits-at-once"), &["hello"]);
    python_hostile(&class.join("py-exits-at-once"), "hello", "hello-server", "exits_at_once.py");
    rust_submission(&class.join("rust-solution"), &["hello"], Rust::Solution);
    // Built after rust-solution with the same crates: graded with its own binaries.
    rust_submission(&class.join("rust-wrong-reply"), &["hello"], Rust::Solution);
    edit_rust(&class.join("rust-wrong-reply"), "hello", "bin/hello-server.rs", "sending it back.", "sending it back!");
    rust_submission(&class.join("rust-broken"), &["hello"], Rust::Solution);
    edit_rust(&class.join("rust-broken"), "hello", "bin/hello-server.rs", "let reply = ", "let reply: u32 = ");

    // Every failure here is quick (a wrong reply, an exit): more time for a loaded
    // machine costs nothing.
    let output = batch(tmp.path(), &class, &roles, &out, &["--jobs", "3", "--timeout-scale", "2"]).output().unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    let server = ["server-replies", "server-two-messages"];
    // A server that cannot start fails its gate; the checks after it do not pass either.
    let dead = ["hello-server-starts", "server-replies", "server-two-messages"];
    assert_gradebook(
        &out,
        &[
            ("py-correct", &[]),
            ("py-single-read", &["server-two-messages"]),
            ("py-crash-on-nan", &["sum-not-a-number"]),
            (
                "py-server-only",
                &[
                    "client-default-message",
                    "sum-server-starts",
                    "sum-integers",
                    "sum-not-a-number",
                    "sum-client-sends-line",
                ],
            ),
            ("py-exits-at-once", &dead),
            ("rust-solution", &[]),
            ("rust-wrong-reply", &server),
            ("rust-broken", &dead),
        ],
    );
    // The compiler's message is the student's result; what was missing is named.
    let broken = std::fs::read_to_string(out.join("students/rust-broken/report.txt")).unwrap();
    assert!(broken.contains("labs/hello does not compile") && broken.contains("mismatched types"), "{broken}");
    let gradebook: Value = serde_json::from_slice(&std::fs::read(out.join("gradebook.json")).unwrap()).unwrap();
    let problems = |student: &str| {
        let row = gradebook["students"].as_array().unwrap().iter().find(|s| s["student"] == student).unwrap();
        row["problems"].as_array().unwrap().iter().map(|p| p.as_str().unwrap().to_string()).collect::<Vec<_>>()
    };
    assert_eq!(problems("rust-broken"), ["labs/hello does not compile"]);
    assert!(problems("py-server-only").contains(&"sum-server was not submitted".to_string()));
    // The instructor's summary: the most failed checks first.
    let summary = String::from_utf8_lossy(&output.stdout);
    assert!(summary.contains("8 students: 8 graded"), "{summary}");
    // Two servers did not start: their gate counts them, the checks skipped after it do not.
    let most = |i: usize| {
        let f = &gradebook["summary"]["most_failed"][i];
        (f["id"].as_str().unwrap().to_string(), f["failed"].as_u64().unwrap())
    };
    assert_eq!(most(0), ("hello/hello-server-starts".to_string(), 2));
    assert_eq!(most(1), ("hello/server-two-messages".to_string(), 2));
    assert_nothing_left(tmp.path(), &[&out]);
    assert!(!out.join(".work").exists(), "the batch's working folder is removed");

    // The same gradebook from the students' JSON reports, as CI jobs would upload them.
    let mut merge = vec!["gradebook".to_string(), "merge".to_string()];
    for student in std::fs::read_dir(out.join("students")).unwrap().flatten() {
        merge.push(student.path().join("report.json").to_string_lossy().into_owned());
    }
    let merged = work.path().join("merged");
    merge.extend(["-o".to_string(), merged.to_string_lossy().into_owned()]);
    let run = socket_labs_tests::grader(&merge.iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(run.code(), 0, "{}", run.stderr());
    let scores = |file: &Path| -> Vec<(String, u64)> {
        let book: Value = serde_json::from_slice(&std::fs::read(file).unwrap()).unwrap();
        let rows = book["students"].as_array().unwrap().iter();
        rows.map(|s| (s["student"].as_str().unwrap().to_string(), s["score"].as_u64().unwrap())).collect()
    };
    assert_eq!(scores(&merged.join("gradebook.json")), scores(&out.join("gradebook.json")));
}

#[rstest]
#[case::ctrl_c("INT")]
#[case::terminate("TERM")]
fn an_interrupted_batch_resumes_without_regrading_anyone(#[case] signal: &str) {
    let tmp = tempfile::tempdir().unwrap();
    let work = tempfile::tempdir().unwrap();
    let (class, out) = (work.path().join("class"), work.path().join("out"));
    let roles = roles_file(&work.path().join("roles.toml"), &["hello"]);
    for student in ["a-correct", "b-never-listens", "c-correct", "d-single-read"] {
        python_submission(&class.join(student), &["hello"]);
    }
    // Its server never listens: its checks wait for it, long enough to interrupt.
    python_hostile(&class.join("b-never-listens"), "hello", "hello-server", "sleep_forever.py");
    python_mutant(&class.join("d-single-read"), "hello", "hello-server", "single-read");
    let args = ["--jobs", "1", "--seed", "7"];

    let mut child =
        batch(tmp.path(), &class, &roles, &out, &args).stdout(Stdio::null()).stderr(Stdio::piped()).spawn().unwrap();
    let first = out.join("students/a-correct/result.json");
    let deadline = Instant::now() + Duration::from_secs(60);
    while !(first.exists() && processes_in(tmp.path()).iter().any(|(_, cmd)| cmd.contains("b-never-listens"))) {
        assert!(Instant::now() < deadline, "the batch never reached b-never-listens");
        assert!(child.try_wait().unwrap().is_none(), "the batch ended before it was interrupted");
        std::thread::sleep(Duration::from_millis(10));
    }
    let graded_first = std::fs::read(&first).unwrap();
    Command::new("kill").args([&format!("-{signal}"), &child.id().to_string()]).status().unwrap();
    let status = socket_labs_tests::wait_exit(
        &mut child,
        Duration::from_secs(30),
        &format!("the batch did not stop after SIG{signal}"),
    );
    assert_eq!(status.code(), Some(130));
    assert_nothing_left(tmp.path(), &[&out]);
    assert!(!out.join("students/b-never-listens/result.json").exists(), "an interrupted student has no result");
    assert!(!out.join("gradebook.csv").exists());

    let output = batch(tmp.path(), &class, &roles, &out, &args).output().unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    assert!(String::from_utf8_lossy(&output.stderr).contains("resuming: 1 of 4 students"), "{}", text(&output));
    assert_eq!(std::fs::read(&first).unwrap(), graded_first, "a-correct was not graded again");
    let dead = ["hello-server-starts", "server-replies", "server-two-messages"];
    assert_gradebook(
        &out,
        &[
            ("a-correct", &[]),
            ("b-never-listens", &dead),
            ("c-correct", &[]),
            ("d-single-read", &["server-two-messages"]),
        ],
    );
    assert_nothing_left(tmp.path(), &[&out]);
}

#[test]
fn a_submission_past_its_timeout_is_stopped_and_recorded() {
    let tmp = tempfile::tempdir().unwrap();
    let work = tempfile::tempdir().unwrap();
    let (class, out) = (work.path().join("class"), work.path().join("out"));
    let roles = roles_file(&work.path().join("roles.toml"), &["hello"]);
    python_submission(&class.join("slow"), &["hello"]);
    python_hostile(&class.join("slow"), "hello", "hello-server", "sleep_forever.py");
    let started = Instant::now();
    // The check waits up to 10 s for the server to listen; the submission has 2 s.
    let output = batch(tmp.path(), &class, &roles, &out, &["--timeout", "2"]).output().unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    assert!(started.elapsed() < Duration::from_secs(30), "stopped at its timeout: {:?}", started.elapsed());
    let result: Value = serde_json::from_slice(&std::fs::read(out.join("students/slow/result.json")).unwrap()).unwrap();
    assert_eq!(result["outcome"], "timeout", "{result}");
    assert_eq!(result["score"], 0);
    assert!(result["message"].as_str().unwrap().contains("longer than --timeout 2 s"), "{result}");
    let report = std::fs::read_to_string(out.join("students/slow/report.txt")).unwrap();
    assert!(report.contains("not graded"), "{report}");
    let csv = std::fs::read_to_string(out.join("gradebook.csv")).unwrap();
    assert!(csv.lines().nth(1).unwrap().starts_with("slow,timeout,0,"), "{csv}");
    assert_nothing_left(tmp.path(), &[&out]);
}

/// The benchmark of docs/benchmarks.md: a class of 40 over every lab, graded with the
/// shared build (from an empty build folder); then its Rust submissions alone, with the
/// shared build (empty again) and with `--no-shared-build`. Prints wall times, time per
/// submission and peak memory.
///
///     cargo test -p socket-labs-tests --test batch -- --ignored --nocapture benchmark
#[test]
#[ignore]
fn benchmark() {
    let bench = root().join("target/batch-bench");
    let _ = std::fs::remove_dir_all(&bench);
    let class = bench.join("class");
    let made = benchmark_class(&class);
    let labs = socket_labs_tests::class::all_labs();
    let labs: Vec<&str> = labs.iter().map(String::as_str).collect();
    let roles = roles_file(&bench.join("roles.toml"), &labs);
    println!("class of {} in {}", made.len(), class.display());

    let run = |name: &str, class: &Path, extra: &[&str]| {
        let out = bench.join(name);
        let mut cmd = Command::new(grader_path());
        cmd.current_dir(root()).env("NO_COLOR", "1");
        cmd.args(["batch", class.to_str().unwrap(), "--roles", roles.to_str().unwrap(), "-o", out.to_str().unwrap()]);
        cmd.args(extra);
        let started = Instant::now();
        let mut child = cmd.stdout(Stdio::piped()).stderr(Stdio::inherit()).spawn().unwrap();
        let (peak, own) = peak_memory(child.id(), || child.try_wait().unwrap().is_some());
        let output = child.wait_with_output().unwrap();
        let wall = started.elapsed();
        println!(
            "\n== {name}: {:.0} s wall; peak memory {} MiB (PSS of the batch and all it ran), {} MiB (the batch itself)",
            wall.as_secs_f64(),
            peak >> 20,
            own >> 20
        );
        println!("{}", String::from_utf8_lossy(&output.stdout));
        let book: Value = serde_json::from_slice(&std::fs::read(out.join("gradebook.json")).unwrap()).unwrap();
        for row in book["students"].as_array().unwrap() {
            println!(
                "{:<40} {:>8} {:>4}/{:<4} total {:>6.1} s, build {:>6.1} s (waited {:>6.1} s)",
                row["student"].as_str().unwrap(),
                row["outcome"].as_str().unwrap(),
                row["score"],
                row["max_score"],
                row["duration_ms"].as_u64().unwrap_or(0) as f64 / 1000.0,
                row["build_ms"].as_u64().unwrap_or(0) as f64 / 1000.0,
                row["build_wait_ms"].as_u64().unwrap_or(0) as f64 / 1000.0
            );
        }
    };
    run("class-graded", &class, &[]);
    // The Rust submissions alone, built with the shared build (from an empty one) and
    // then each alone.
    let rust_only = bench.join("rust-class");
    std::fs::create_dir_all(&rust_only).unwrap();
    for (name, _) in made.iter().filter(|(n, _)| n.starts_with("rust-")) {
        std::fs::rename(class.join(name), rust_only.join(name)).unwrap();
    }
    run("rust-shared", &rust_only, &[]);
    run("rust-isolated", &rust_only, &["--no-shared-build"]);
}

/// The most memory that process `pid` and its descendants used at once, sampled every
/// 200 ms until `done`, and the most that `pid` itself used. The memory of a group of
/// processes is the sum of their proportional set sizes (PSS: a page shared by n
/// processes counts 1/n in each), since resident sizes would count the pages a forking
/// program shares with its children once per child.
fn peak_memory(pid: u32, mut done: impl FnMut() -> bool) -> (u64, u64) {
    let (mut peak, mut own) = (0, 0);
    let field = |text: &str, name: &str| -> Option<u64> {
        text.lines().find_map(|l| l.strip_prefix(name)).and_then(|v| v.split_whitespace().next()?.parse().ok())
    };
    while !done() {
        let mut parent: HashMap<u32, u32> = HashMap::new();
        let mut pss: HashMap<u32, u64> = HashMap::new();
        for entry in std::fs::read_dir("/proc").unwrap().flatten() {
            let Some(p) = entry.file_name().to_str().and_then(|s| s.parse::<u32>().ok()) else { continue };
            let Ok(status) = std::fs::read_to_string(format!("/proc/{p}/status")) else { continue };
            parent.insert(p, field(&status, "PPid:").unwrap_or(0) as u32);
            let rollup = std::fs::read_to_string(format!("/proc/{p}/smaps_rollup")).unwrap_or_default();
            pss.insert(p, field(&rollup, "Pss:").or_else(|| field(&status, "VmRSS:")).unwrap_or(0) << 10);
            if p == pid {
                own = own.max(field(&status, "VmHWM:").unwrap_or(0) << 10);
            }
        }
        let within = |mut p: u32| {
            for _ in 0..64 {
                if p == pid {
                    return true;
                }
                match parent.get(&p) {
                    Some(&up) if up != 0 => p = up,
                    _ => return false,
                }
            }
            false
        };
        let total: u64 = pss.iter().filter(|(p, _)| within(**p)).map(|(_, m)| m).sum();
        peak = peak.max(total);
        std::thread::sleep(Duration::from_millis(200));
    }
    (peak, own)
}
