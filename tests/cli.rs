//! The grader's command line: usage errors are one clear line and exit 2, reports go
//! where they are asked to, a lab that does not compile is the student's result, and
//! an interrupted grader leaves nothing running.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use predicates::prelude::*;
use rstest::rstest;
use socket_labs_tests::{grade_json, grader, grader_command, grader_path, processes_in, root};

#[rstest]
#[case::unknown_lab(&["test", "helo"], "there is no lab \"helo\"")]
#[case::unknown_check(&["test", "--check", "hello/nope"], "there is no check \"hello/nope\"")]
#[case::check_outside_the_labs_named(&["test", "hello", "--check", "nolab/x"], "there is no check")]
#[case::cmd_without_equals(&["test", "--cmd", "python3 x.py"], "--cmd takes ROLE=COMMAND")]
#[case::cmd_unknown_role(&["test", "--cmd", "helo-server=python3"], "there is no role \"helo-server\"")]
#[case::cmd_not_on_path(&["test", "--cmd", "hello-server=no-such-program-here x"], "not on PATH")]
#[case::cmd_missing_file(&["test", "--cmd", "hello-server=./missing.py"], "does not exist")]
#[case::cmd_empty(&["test", "--cmd", "hello-server="], "the command is empty")]
#[case::cmd_not_executable(&["test", "--cmd", "hello-server=./README.md"], "is not executable")]
#[case::unknown_limit(&["test", "--limit", "ram=1G"], "there is no limit \"ram\"")]
#[case::bad_limit(&["test", "--limit", "fsize=lots"], "not a size")]
#[case::output_unwritable(&["test", "--output", "/nonexistent-dir/report.json"], "cannot write --output")]
#[case::zero_jobs(&["test", "--jobs", "0"], "--jobs")]
#[case::bad_scale(&["test", "--timeout-scale", "0"], "--timeout-scale")]
#[case::unknown_flag(&["test", "--frobnicate"], "--frobnicate")]
fn a_bad_invocation_is_a_clear_error_and_exit_2(#[case] args: &[&str], #[case] says: &str) {
    let tmp = tempfile::tempdir().unwrap();
    grader_command(tmp.path())
        .args(args)
        .assert()
        .code(2)
        .stdout(predicate::str::is_empty())
        .stderr(predicate::str::contains(says))
        .stderr(predicate::str::contains("panicked").not());
}

#[test]
fn list_shows_every_check_with_its_points() {
    let run = grader(&["list"]);
    assert_eq!(run.code(), 0);
    let out = run.stdout();
    assert!(out.contains("hello/server-keeps-running"), "{out}");
    assert!(out.contains("hello-server (port 65432)"), "{out}");
}

#[test]
fn a_json_report_can_go_to_a_file_while_the_summary_goes_to_the_terminal() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("report.json");
    let run =
        grade_json(&["--solutions", "hello", "--check", "hello/server-replies", "--output", file.to_str().unwrap()]);
    assert_eq!(run.code(), 0);
    assert!(run.stdout().contains("score: 2/2"), "{}", run.stdout());
    let report: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    // The check, after the one it needs: hello-server's gate.
    assert_eq!(report["checks"][0]["id"], "hello/hello-server-starts");
    assert_eq!(report["checks"][1]["id"], "hello/server-replies");
}

#[test]
fn one_check_runs_alone_and_the_seed_repeats_its_choices() {
    let a = grade_json(&["--solutions", "--check", "hello/server-two-messages", "--seed", "7", "-v"]).json();
    let b = grade_json(&["--solutions", "--check", "hello/server-two-messages", "--seed", "7", "-v"]).json();
    // The check and the one it needs first, hello-server's gate (which sends nothing).
    let ids: Vec<&str> = a["checks"].as_array().unwrap().iter().map(|c| c["id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["hello/hello-server-starts", "hello/server-two-messages"]);
    let sent = |r: &serde_json::Value| -> Vec<String> {
        r["checks"][1]["transcript"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["kind"] == "sent")
            .map(|e| e["text"].as_str().unwrap().to_string())
            .collect()
    };
    assert!(!sent(&a).is_empty());
    assert_eq!(sent(&a), sent(&b), "the same seed sends the same messages");
}

#[test]
fn the_human_report_names_what_failed_and_how_to_rerun_it() {
    let run = grader(&["test", "hello", "--check", "hello/server-replies", "--color", "never"]);
    assert_eq!(run.code(), 1);
    let out = run.stdout();
    // The skeleton stops at start: its gate says why, once, and the check is skipped.
    assert!(out.contains(":( hello/hello-server-starts"), "{out}");
    assert!(out.contains("not written yet"), "{out}");
    assert!(out.contains("cargo grade --check hello/hello-server-starts --seed"), "{out}");
    assert!(
        out.contains(":| hello/server-replies") && out.contains("skipped: hello/hello-server-starts did not pass"),
        "{out}"
    );
    assert!(!out.contains('\u{1b}'), "no colour when asked for none");
}

/// A lab that does not compile: each of its checks fails with the compiler's error.
#[test]
fn a_lab_that_does_not_compile_fails_its_checks_with_the_compiler_error() {
    let ws = tempfile::tempdir().unwrap();
    let lab = ws.path().join("labs/hello");
    std::fs::create_dir_all(lab.join("src/bin")).unwrap();
    std::fs::write(ws.path().join("Cargo.toml"), "[workspace]\nresolver = \"2\"\nmembers = [\"labs/hello\"]\n")
        .unwrap();
    std::fs::write(lab.join("Cargo.toml"), "[package]\nname = \"hello\"\nversion = \"0.1.0\"\nedition = \"2021\"\n")
        .unwrap();
    for role in ["hello-client", "sum-server", "sum-client"] {
        std::fs::write(lab.join(format!("src/bin/{role}.rs")), "fn main() {}\n").unwrap();
    }
    std::fs::write(lab.join("src/bin/hello-server.rs"), "fn main() { let x: u32 = \"nope\"; }\n").unwrap();
    let run = grader(&[
        "--root",
        ws.path().to_str().unwrap(),
        "test",
        "hello",
        "--check",
        "hello/server-replies",
        "--check",
        "hello/sum-empty-line",
        "--format",
        "json",
    ]);
    assert_eq!(run.code(), 1, "a build failure is the student's result: {}", run.stderr());
    let report = run.json();
    let server = &report["checks"][0];
    assert_eq!(server["status"], "fail");
    assert!(server["message"].as_str().unwrap().contains("labs/hello does not compile"), "{server}");
    assert!(server["failure"]["details"][0].as_str().unwrap().contains("mismatched types"), "{server}");
    // sum-server compiled: its check ran, and failed for its own reason.
    assert_ne!(report["checks"][1]["message"].as_str().unwrap_or(""), server["message"].as_str().unwrap());
}

#[rstest]
#[case::ctrl_c("INT")]
#[case::terminate("TERM")]
fn an_interrupted_grader_leaves_nothing_behind(#[case] signal: &str) {
    let tmp = tempfile::tempdir().unwrap();
    // A client that never exits: the grader would wait for it for seconds.
    let mut child = Command::new(grader_path())
        .args([
            "test",
            "--check",
            "hello/client-no-server",
            "--cmd",
            "hello-client=python3 -c 'import time; time.sleep(60)'",
        ])
        .current_dir(root())
        .env("TMPDIR", tmp.path())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    while processes_in(tmp.path()).is_empty() {
        assert!(Instant::now() < deadline, "the client never started");
        std::thread::sleep(Duration::from_millis(10));
    }
    Command::new("kill").args([&format!("-{signal}"), &child.id().to_string()]).status().unwrap();
    let status = socket_labs_tests::wait_exit(
        &mut child,
        Duration::from_secs(10),
        &format!("the grader did not stop after SIG{signal}"),
    );
    assert_eq!(status.code(), Some(130));
    assert!(processes_in(tmp.path()).is_empty(), "survivors: {:?}", processes_in(tmp.path()));
    let left: Vec<_> = std::fs::read_dir(tmp.path()).unwrap().flatten().map(|e| e.path()).collect();
    assert!(left.is_empty(), "temporary directories left: {left:?}");
}

/// A workspace of its own with one lab package (`labs/hello` or `solutions/hello`) whose
/// binaries are `bins` (name, source).
fn workspace(dir: &str, package: &str, bins: &[(&str, &str)]) -> tempfile::TempDir {
    let ws = tempfile::tempdir().unwrap();
    let lab = ws.path().join(dir);
    std::fs::create_dir_all(lab.join("src/bin")).unwrap();
    std::fs::create_dir_all(ws.path().join("labs")).unwrap();
    std::fs::write(ws.path().join("Cargo.toml"), format!("[workspace]\nresolver = \"2\"\nmembers = [\"{dir}\"]\n"))
        .unwrap();
    std::fs::write(
        lab.join("Cargo.toml"),
        format!("[package]\nname = \"{package}\"\nversion = \"0.1.0\"\nedition = \"2021\"\n"),
    )
    .unwrap();
    for (name, source) in bins {
        std::fs::write(lab.join(format!("src/bin/{name}.rs")), source).unwrap();
    }
    ws
}

/// One line on stderr, `grader: error: ...` saying `says`, and exit status 2.
fn assert_one_line_error(run: &socket_labs_tests::Run, says: &str) {
    assert_eq!(run.code(), 2, "stdout: {}\nstderr: {}", run.stdout(), run.stderr());
    let errors: Vec<&str> = run
        .output
        .stderr
        .split(|&b| b == b'\n')
        .filter_map(|l| std::str::from_utf8(l).ok())
        .filter(|l| l.starts_with("grader: error"))
        .collect();
    assert_eq!(errors.len(), 1, "{}", run.stderr());
    assert!(errors[0].contains(says), "{}", run.stderr());
    assert!(!run.stderr().contains("panicked"), "{}", run.stderr());
}

/// A lab that builds but lacks a role's binary: the student's result, saying which.
#[test]
fn a_missing_binary_is_named() {
    let ws = workspace("labs/hello", "hello", &[("hello-client", "fn main() {}\n")]);
    let run = grader(&[
        "--root",
        ws.path().to_str().unwrap(),
        "test",
        "hello",
        "--check",
        "hello/server-replies",
        "--format",
        "json",
    ]);
    assert_eq!(run.code(), 1, "{}", run.stderr());
    let message = run.json()["checks"][0]["message"].as_str().unwrap().to_string();
    assert!(message.contains("labs/hello built, but has no program named hello-server"), "{message}");
}

/// The reference solutions not compiling is the grader's problem: exit 2, not a grade.
#[test]
fn a_solution_that_does_not_build_is_the_graders_error() {
    let broken = "fn main() { let x: u32 = \"nope\"; }\n";
    let ws = workspace("solutions/hello", "hello-solution", &[("ref-hello-server", broken)]);
    let run = grader(&[
        "--root",
        ws.path().to_str().unwrap(),
        "test",
        "--solutions",
        "hello",
        "--check",
        "hello/server-replies",
    ]);
    assert_one_line_error(&run, "solutions/hello does not compile");
}

/// A `--cmd` whose program exists but cannot be executed (its interpreter is missing).
#[test]
fn a_cmd_that_cannot_start_is_the_graders_error() {
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("server.sh");
    std::fs::write(&script, "#!/no/such/interpreter\n").unwrap();
    std::fs::set_permissions(&script, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let cmd = format!("hello-server={}", script.display());
    let run = grader(&["test", "--check", "hello/server-replies", "--cmd", &cmd]);
    assert_one_line_error(&run, "cannot start hello-server");
    assert!(run.stderr().contains("the interpreter of its first line \"#!/no/such/interpreter\" was not found"));
}

/// Another program takes the port the grader chose for the server, just before the
/// server binds it: the grader says so and never blames the server. The test (another
/// program, as far as the grader knows) reads the fixture's port from its command line
/// and binds it; then the fixture binds too, fails and exits as a correct server would.
#[test]
fn a_port_taken_by_another_program_is_never_the_students_fault() {
    let rendezvous = tempfile::tempdir().unwrap();
    let dir = rendezvous.path().to_path_buf();
    let thief = std::thread::spawn(move || {
        let deadline = Instant::now() + Duration::from_secs(30);
        let port: u16 = loop {
            let fixture = socket_labs_tests::processes_with(&dir.to_string_lossy());
            let port = fixture.iter().find_map(|(_, cmdline)| {
                let words: Vec<&str> = cmdline.split_whitespace().collect();
                let at = words.iter().position(|w| *w == "--port")?;
                words.get(at + 1)?.parse().ok()
            });
            if let Some(port) = port {
                break port;
            }
            assert!(Instant::now() < deadline, "the fixture never started");
            std::thread::sleep(Duration::from_millis(5));
        };
        let listener = std::net::TcpListener::bind(("127.0.0.1", port)).unwrap();
        std::fs::write(dir.join("taken"), "").unwrap();
        listener
    });
    let cmd = format!(
        "hello-server={} -B {} {}",
        socket_labs_tests::python(),
        socket_labs_tests::fixture("hostile", "stolen_port.py"),
        rendezvous.path().display()
    );
    // On the machine's own network: the test's socket must be where the server binds.
    let run = grade_json(&["--net", "loopback", "--check", "hello/server-replies", "--cmd", &cmd]);
    let _listener = thief.join().unwrap();
    assert_one_line_error(&run, "was taken by another program just before hello-server could bind it");
    assert_eq!(run.json()["checks"][0]["status"], "error");
    run.assert_nothing_left();
}
