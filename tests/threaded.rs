//! Lab threaded end to end: a Python implementation written to the contract (with the
//! lecture's `listen(5)` backlog) passes every check, and each mutant
//! (tests/fixtures/threaded, `--bug NAME`) fails exactly the checks meant for it, with a
//! failure that names its bug.

use rstest::rstest;
use serde_json::Value;
use socket_labs_tests::{assert_not_passed, checks, failures, grade_json};

/// Each role, its fixture, and the prefix of the checks that start it.
const ROLES: [(&str, &str, &str); 1] = [("threaded-server", "threaded_server.py", "")];

/// `--cmd` arguments playing every role with the Python fixtures, `role` with `--bug`.
fn python_cmds(mutant: Option<(&str, &str)>) -> Vec<String> {
    socket_labs_tests::python_cmds("threaded", &ROLES.map(|(role, file, _)| (role, file)), mutant)
}

fn grade(extra: &[String]) -> socket_labs_tests::Run {
    let mut args = vec!["threaded"];
    args.extend(extra.iter().map(String::as_str));
    grade_json(&args)
}

#[test]
fn a_python_implementation_of_the_contract_passes_every_check() {
    let run = grade(&python_cmds(None));
    let report = run.json();
    assert_not_passed(&report, &[] as &[&str], &run.stderr());
    assert_eq!(report["score"], report["max_score"]);
    assert_eq!(run.code(), 0);
    run.assert_nothing_left();
}

/// The mutant table: one bug, the checks that must fail for it (exactly those, every
/// run), and words that the failure of the first of them must contain (in its summary,
/// details or hint), so that the student is told what the bug is.
#[rstest]
#[case::iterative("iterative", &["clients-8", "clients-64", "clients-256", "silent-client", "half-message"], "highest rung passed: 1 client at once")]
#[case::small_pool("pool", &["clients-64", "clients-256"], "highest rung passed: 8 clients at once")]
#[case::pool_of_64("pool-64", &["clients-256"], "highest rung passed: 64 clients at once")]
#[case::reads_in_accept_loop("first-read-in-main", &["silent-client", "vanishing-client"], "says nothing")]
#[case::crashes_on_reset("crash-on-reset", &["vanishing-client"], "vanish")]
#[case::wrong_format("wrong-format", &["server-replies", "server-any-text", "clients-1", "clients-8", "clients-64", "clients-256", "silent-client", "half-message", "vanishing-client"], "Server message: <what you read>")]
#[case::ascii_only("ascii", &["server-any-text"], "as they are")]
#[case::newline("newline", &["clients-1", "clients-8", "clients-64", "clients-256", "silent-client", "half-message", "vanishing-client"], "with no newline")]
#[case::fixed_port("ignore-port", &["threaded-server-starts"], "fixed")]
fn each_mutant_fails_exactly_its_checks(#[case] bug: &str, #[case] expected: &[&str], #[case] says: &str) {
    let role = "threaded-server";
    let run = grade(&python_cmds(Some((role, bug))));
    let report = run.json();
    let expected: Vec<String> = expected.iter().map(|slug| format!("threaded/{slug}")).collect();
    assert_not_passed(&report, &expected, &format!("{role} --bug {bug}"));
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
    text.push(failure["got"].as_str().unwrap_or_default().to_string());
    text.join("\n")
}
