//! The real-world corpus: programs written the way students and handouts write them
//! (tests/fixtures/corpus), in Python and Java, each graded for one role with the exact
//! verdict it must get: the checks that must fail (none for a correct program), and
//! words that the first failure must contain, so that its message names the real bug.
//!
//! Unlike the mutants (a correct fixture with one `--bug` switched on), these programs
//! are written whole, in the styles that broke the grader before: the lecture's Java
//! servers (dual-stack sockets), the seeds' textbook clients, servers that speak before
//! reading, never read, answer with the wrong content, add a newline, die in a thread,
//! speak UDP where TCP is due, exit after an empty connection, never send. Each is
//! graded at `--timeout-scale` 1 and 3: no verdict and no message may depend on it.

use std::path::PathBuf;
use std::sync::OnceLock;

use rstest::rstest;
use serde_json::Value;
use socket_labs_tests::{assert_not_passed, checks, failures, grade_json, grader, python, root};

/// The Java programs of the corpus, compiled once into a temporary directory; `None`
/// (and a printed reason) where there is no JDK.
fn java_classes() -> Option<&'static PathBuf> {
    static CLASSES: OnceLock<Option<(tempfile::TempDir, PathBuf)>> = OnceLock::new();
    CLASSES
        .get_or_init(|| {
            let dir = tempfile::tempdir().expect("temp dir");
            let sources: Vec<PathBuf> = std::fs::read_dir(root().join("tests/fixtures/corpus/java"))
                .unwrap()
                .flatten()
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|x| x == "java"))
                .collect();
            let status = std::process::Command::new("javac").arg("-d").arg(dir.path()).args(&sources).status();
            match status {
                Ok(s) if s.success() => {
                    let path = dir.path().to_path_buf();
                    Some((dir, path))
                }
                Ok(s) => panic!("javac failed ({s}) on {sources:?}"),
                Err(e) => {
                    eprintln!("SKIPPED: no javac here ({e}); the corpus's Java programs are not graded");
                    None
                }
            }
        })
        .as_ref()
        .map(|(_, path)| path)
}

/// The command for a program of the corpus: `java:Class` or `LAB/file.py`.
fn command(program: &str) -> Option<String> {
    if let Some(class) = program.strip_prefix("java:") {
        let classes = java_classes()?;
        return Some(format!("java -cp {} {class}", classes.display()));
    }
    let (program, args) = program.split_once(' ').unwrap_or((program, ""));
    let file = root().join("tests/fixtures/corpus").join(program);
    Some(format!("{} {} {args}", python(), file.display()).trim_end().to_string())
}

/// The ids of the checks that start `role`: those whose names begin with the role's
/// name, and every check whose id has the same prefix (`server-`, `udp-server-`).
fn checks_of(lab: &str, role: &str) -> Vec<String> {
    let list: Value = serde_json::from_str(&grader(&["list", "--json"]).stdout()).unwrap();
    let lab = list.as_array().unwrap().iter().find(|l| l["name"] == lab).expect("the lab is listed");
    let all: Vec<(&str, &str)> = lab["checks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["id"].as_str().unwrap(), c["name"].as_str().unwrap()))
        .collect();
    let prefix_of = |id: &str| -> Option<String> {
        ["server-", "client-"].iter().find_map(|part| id.find(part).map(|at| id[..at + part.len()].to_string()))
    };
    let prefixes: Vec<String> = all
        .iter()
        .filter(|(_, name)| name.starts_with(&format!("{role} ")))
        .filter_map(|(id, _)| prefix_of(id))
        .collect();
    let of_role: Vec<String> = all
        .iter()
        .filter(|(id, name)| {
            name.starts_with(&format!("{role} ")) || prefix_of(id).is_some_and(|p| prefixes.contains(&p))
        })
        .map(|(id, _)| id.to_string())
        .collect();
    // In a lab of one role (logging) every check is that role's, whatever its name.
    if lab["roles"].as_array().is_none_or(|roles| roles.len() <= 1) {
        return all.iter().map(|(id, _)| id.to_string()).collect();
    }
    of_role
}

/// Everything a failure tells the student, as one text.
fn words(check: &Value) -> String {
    let failure = &check["failure"];
    let mut text = vec![failure["summary"].as_str().unwrap_or_default().to_string()];
    text.push(failure["hint"].as_str().unwrap_or_default().to_string());
    text.extend(failure["details"].as_array().into_iter().flatten().filter_map(|d| d.as_str()).map(String::from));
    text.push(failure["got"].as_str().unwrap_or_default().to_string());
    text.push(failure["expected"].as_str().unwrap_or_default().to_string());
    text.join("\n")
}

/// The corpus: a program for one role, the checks of that role that must fail (exactly
/// those, every run), and words the first failure must contain.
#[rstest]
#[case::java_udp_echo_server("echo", "udp-echo-server", "java:UDPServer", &[], "")]
#[case::java_tcp_echo_server("echo", "tcp-echo-server", "java:TCPServer", &[], "")]
#[case::chat_server_as_date_server("date", "date-server", "date/chat_server.py", &["server-rfc3339", "server-current-time", "server-waits-for-request", "server-any-request", "server-closes", "server-sequential-clients", "server-concurrent-clients", "server-silent-client"], "not a date and time")]
#[case::speaks_first_never_reads("date", "date-server", "date/speaks_first.py", &["server-waits-for-request"], "without reading the request")]
#[case::hello_reply_with_newline("hello", "hello-server", "hello/newline_server.py", &["server-replies", "server-two-messages"], "the reply ends with a newline the contract does not have")]
#[case::java_date_server_never_reads("date", "date-server", "java:DateServer", &["server-waits-for-request"], "without reading the request")]
#[case::dies_in_a_thread("hello", "hello-server", "hello/thread_dies_server.py", &["server-replies", "server-two-messages", "server-keeps-running", "server-any-text", "server-host-and-port"], "hello-server printed a Python traceback on stderr: TypeError")]
#[case::udp_instead_of_tcp("calc", "calc-client", "calc/udp_only_client.py", &["client-requests", "client-stdin", "client-err-reply"], "calc-client sent a UDP datagram to 127.0.0.1:")]
#[case::exits_after_an_empty_connection("logging", "logging-date-server", "logging/exits_on_empty.py", &["log-no-request", "silent-client"], "logging-date-server exited with status 0")]
#[case::never_sends("date", "date-client", "date/never_sends_client.py", &["client-sends-request", "client-prints-reply"], "date-client connected but sent nothing")]
#[case::udp_client_without_the_timeout_option("echo", "udp-echo-client", "echo/udp_client_without_timeout.py", &[], "")]
#[case::udp_client_without_the_timeout_option_nor_retries("echo", "udp-echo-client", "echo/udp_client_without_timeout.py --tries 1", &["udp-client-retries"], "udp-echo-client rejected --timeout: it exited with status 2")]
fn each_program_of_the_corpus_gets_its_verdict(
    #[case] lab: &str,
    #[case] role: &str,
    #[case] program: &str,
    #[case] expected: &[&str],
    #[case] says: &str,
    #[values("1", "3")] scale: &str,
) {
    let Some(command) = command(program) else { return };
    let mut args = vec![lab.to_string(), "--cmd".to_string(), format!("{role}={command}")];
    args.extend(["--timeout-scale".to_string(), scale.to_string()]);
    for id in checks_of(lab, role) {
        args.extend(["--check".to_string(), id]);
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let run = grade_json(&args);
    let report = run.json();
    let expected: Vec<String> = expected.iter().map(|slug| format!("{lab}/{slug}")).collect();
    assert_not_passed(&report, &expected, &format!("{role} played by {program}"));
    for check in failures(&report) {
        assert_ne!(check["status"], "error", "a student's bug is never a grader error: {check}");
        assert!(check["failure"]["hint"].as_str().is_some_and(|h| !h.is_empty()), "every failure has a hint: {check}");
    }
    if let Some(first) = expected.first() {
        let check = checks(&report).find(|c| c["id"] == first.as_str()).unwrap();
        assert!(words(check).contains(says), "the failure of {first} names the bug ({says:?}): {check:#}");
        assert_eq!(run.code(), 1);
    } else {
        assert_eq!(run.code(), 0, "{}", run.stderr());
    }
    run.assert_nothing_left();
}

/// A UDP client written before the contract had `--timeout` (argparse without it exits
/// 2, "unrecognized arguments") is graded again without the option, once, and judged
/// with its own 1 s timeout: every check passes, and the transcript says why it ran twice.
#[test]
fn a_client_that_rejects_the_timeout_option_is_graded_without_it() {
    let command = command("echo/udp_client_without_timeout.py").unwrap();
    let cmd = format!("udp-echo-client={command}");
    let run = grade_json(&[
        "echo",
        "--cmd",
        &cmd,
        "--check",
        "echo/udp-client-gives-up",
        "--check",
        "echo/udp-client-no-server",
    ]);
    let report = run.json();
    assert_not_passed(&report, &[] as &[&str], &run.stderr());
    for check in checks(&report) {
        let notes: Vec<&str> =
            check["transcript"].as_array().unwrap().iter().filter_map(|e| e["text"].as_str()).collect();
        assert!(
            notes.iter().any(|n| n.contains("udp-echo-client rejected --timeout: it exited with status 2")
                && n.contains("unrecognized arguments")),
            "{}: {notes:#?}",
            check["id"]
        );
        let started = notes
            .iter()
            .filter(|n| n.contains("udp_client_without_timeout.py"))
            .filter(|n| n.contains("--host"))
            .count();
        assert_eq!(started, 1, "the transcript is the second run's, started without --timeout: {notes:#?}");
        assert!(!notes.iter().any(|n| n.contains("--timeout 0.3")), "{notes:#?}");
    }
    run.assert_nothing_left();
}
