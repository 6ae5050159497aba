//! `grader test --repeat N`: each check's pass rate over N runs, flaky checks (passed
//! some runs) told apart from failing ones (passed none); exit 0 only if every run of
//! every check passed.

use socket_labs_tests::{fixture, grade_json, grader, grader_command, python};

#[test]
fn repeat_tells_flaky_from_failing_from_passing() {
    let counter = tempfile::NamedTempFile::new().unwrap();
    let flaky =
        format!("hello-server={} -B {} {}", python(), fixture("hostile", "flaky_server.py"), counter.path().display());
    let failing = format!("sum-server={} -B {}", python(), fixture("hostile", "exits_at_once.py"));
    // The flaky server counts its runs in a file of the test's, which a sandboxed
    // program could not write: this test is about --repeat, not the sandbox.
    let tmp = tempfile::tempdir().unwrap();
    let output = grader_command(tmp.path())
        .env("SOCKET_LABS_NO_SANDBOX", "1")
        .args(["test", "--format", "json"])
        .args([
            "--solutions",
            "--repeat",
            "4",
            "--check",
            "hello/server-replies",
            "--check",
            "hello/sum-integers",
            "--check",
            "hello/client-default-message",
            "--cmd",
            &flaky,
            "--cmd",
            &failing,
        ])
        .output()
        .unwrap();
    let run = socket_labs_tests::Run { tmp, output };
    assert_eq!(run.code(), 1, "{}", run.stderr());
    let summary = run.json();
    assert_eq!(summary["runs"], 4);
    let rate = |id: &str| {
        let check = summary["checks"].as_array().unwrap().iter().find(|c| c["id"] == id).unwrap().clone();
        (check["passed"].as_u64().unwrap(), check["verdict"].as_str().unwrap().to_string(), check)
    };
    let (passed, verdict, check) = rate("hello/server-replies");
    assert_eq!((passed, verdict.as_str()), (2, "flaky"), "{check}");
    let failures = check["failures"].as_array().unwrap();
    assert_eq!(failures.len(), 2);
    assert!(failures[0]["reproduce"].as_str().unwrap().contains("--seed"), "{check}");
    // A server that exits at once fails its gate every run; the check after it never runs.
    assert_eq!(rate("hello/sum-server-starts").1, "fail");
    assert_eq!(rate("hello/sum-integers").1, "fail");
    assert_eq!(rate("hello/hello-server-starts").1, "pass");
    assert_eq!(rate("hello/client-default-message").1, "pass");
    assert_eq!(
        (summary["passed"].as_u64(), summary["flaky"].as_u64(), summary["failing"].as_u64()),
        (Some(2), Some(1), Some(2))
    );
    // The text summary goes to stderr when the JSON one is on stdout.
    assert!(run.stderr().contains("flaky (passed some runs, not all):"), "{}", run.stderr());
    run.assert_nothing_left();
}

#[test]
fn repeat_exits_0_only_when_every_run_passed() {
    let run = grade_json(&["--solutions", "--repeat", "3", "--check", "hello/server-replies"]);
    assert_eq!(run.code(), 0, "{}", run.stderr());
    assert_eq!(run.json()["checks"][0]["passed"], 3);
}

#[test]
fn repeat_takes_no_platform_format() {
    let run = grader(&["test", "--solutions", "--repeat", "2", "--format", "junit", "--check", "hello/server-replies"]);
    assert_eq!(run.code(), 2);
    assert!(run.stderr().contains("--repeat reports its pass rates as text"), "{}", run.stderr());
}
