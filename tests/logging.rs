//! Lab logging end to end: a Python implementation written to the contract passes, and
//! each mutant (tests/fixtures/logging, `--bug NAME`) fails exactly the checks meant
//! for it, with a failure that names its bug.

use rstest::rstest;
use serde_json::Value;
use socket_labs_tests::{assert_not_passed, checks, failures, fixture, grade_json, python};

fn python_cmd(bug: Option<&str>) -> Vec<String> {
    let mut command = format!("{} {}", python(), fixture("logging", "logging_date_server.py"));
    if let Some(bug) = bug {
        command.push_str(&format!(" --bug {bug}"));
    }
    vec!["--cmd".to_string(), format!("logging-date-server={command}")]
}

fn grade(extra: &[String]) -> socket_labs_tests::Run {
    let mut args = vec!["logging"];
    args.extend(extra.iter().map(String::as_str));
    grade_json(&args)
}

#[test]
fn a_python_implementation_of_the_contract_passes_every_check() {
    let run = grade(&python_cmd(None));
    let report = run.json();
    assert_not_passed(&report, &[] as &[&str], &run.stderr());
    assert_eq!(report["score"], report["max_score"]);
    assert_eq!(run.code(), 0);
    run.assert_nothing_left();
}

/// The mutant table: one bug, the checks that must fail for it (exactly those, every
/// run), and words that the failure of the first of them must contain.
#[rstest]
#[case::overwrites("overwrites", &["log-numbering", "log-concurrent", "log-existing-files", "log-restart"], "log0.txt was overwritten")]
#[case::restarts_at_0("restarts-at-0", &["log-existing-files", "log-restart"], "log0.txt was overwritten")]
#[case::racy("racy", &["log-concurrent"], "fetch_add")]
#[case::logs_after_reply(
    "logs-after-reply",
    &["log-line", "log-numbering", "log-no-request", "log-concurrent", "log-existing-files", "log-restart", "log-default-dir"],
    "before you send the reply"
)]
#[case::logs_empty("logs-empty", &["log-no-request"], "closed without a request")]
#[case::fixed_port("ignore-port", &["logging-date-server-starts"], "fixed")]
#[case::lexicographic("lexicographic", &["log-existing-files"], "log10.txt was overwritten")]
#[case::count_files("count-files", &["log-existing-files"], "continue past the highest")]
#[case::iterative("iterative", &["silent-client"], "thread")]
#[case::wrong_port("wrong-port", &["log-line"], "peer")]
#[case::never_closes("never-closes", &["replies-time"], "close the connection")]
#[case::logs_in_a_subfolder("logs-subdir", &["log-default-dir"], "current working directory")]
fn each_mutant_fails_exactly_its_checks(#[case] bug: &str, #[case] expected: &[&str], #[case] says: &str) {
    let run = grade(&python_cmd(Some(bug)));
    let report = run.json();
    let expected: Vec<String> = expected.iter().map(|slug| format!("logging/{slug}")).collect();
    assert_not_passed(&report, &expected, &format!("--bug {bug}"));
    for check in failures(&report) {
        assert_ne!(check["status"], "error", "a student's bug is never a grader error: {check}");
        assert!(check["failure"]["hint"].as_str().is_some_and(|h| !h.is_empty()), "every failure has a hint: {check}");
    }
    let first = checks(&report).find(|c| c["id"] == expected[0].as_str()).unwrap();
    assert!(words(first).contains(says), "the failure of {} names the bug ({says:?}): {first:#}", expected[0]);
    assert_eq!(run.code(), 1);
    run.assert_nothing_left();
}

/// Everything a failure tells the student, as one text.
fn words(check: &Value) -> String {
    let failure = &check["failure"];
    let mut text = vec![failure["summary"].as_str().unwrap_or_default().to_string()];
    text.push(failure["hint"].as_str().unwrap_or_default().to_string());
    text.extend(failure["details"].as_array().into_iter().flatten().filter_map(|d| d.as_str()).map(String::from));
    text.join("\n")
}
