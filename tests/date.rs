//! Lab date end to end: a Python implementation written to the contract passes, and
//! each mutant (tests/fixtures/date, `--bug NAME`) fails exactly the checks meant for
//! it, with a failure that names its bug.

use rstest::rstest;
use serde_json::Value;
use socket_labs_tests::{assert_not_passed, checks, failures, grade_json};

/// `--cmd` arguments playing both roles with the Python fixtures, `role` with `--bug`.
fn python_cmds(mutant: Option<(&str, &str)>) -> Vec<String> {
    socket_labs_tests::python_cmds(
        "date",
        &[("date-server", "date_server.py"), ("date-client", "date_client.py")],
        mutant,
    )
}

fn grade(extra: &[String]) -> socket_labs_tests::Run {
    let mut args = vec!["date"];
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
#[case::iterative("date-server", "iterative", &["server-silent-client"], "thread")]
#[case::fixed_port("date-server", "ignore-port", &["date-server-starts"], "fixed")]
#[case::ctime("date-server", "ctime", &["server-rfc3339", "server-current-time"], "ctime")]
#[case::wrong_offset("date-server", "wrong-offset", &["server-current-time"], "exactly 5 h earlier")]
#[case::never_closes("date-server", "never-closes", &["server-closes"], "close the connection")]
#[case::speaks_first("date-server", "speaks-first", &["server-waits-for-request"], "client speaks first")]
#[case::exact_request("date-server", "exact-request", &["server-any-request"], "whatever it says")]
#[case::waits_for_hangup("date-server", "waits-for-hangup", &["server-concurrent-clients", "server-silent-client"], "thread")]
#[case::shared_conn("date-server", "shared-conn", &["server-concurrent-clients"], "its own connection")]
#[case::turns_clients_away("date-server", "turns-away-after-40", &["server-sequential-clients"], "accept() in a loop")]
#[case::wrong_request("date-client", "wrong-request", &["client-sends-request"], "What time is it?")]
#[case::no_newline("date-client", "no-newline", &["client-sends-request", "client-prints-reply"], "\\n")]
#[case::reformats("date-client", "reformats", &["client-prints-reply"], "as it is")]
#[case::traceback("date-client", "traceback", &["client-no-server"], "traceback")]
fn each_mutant_fails_exactly_its_checks(
    #[case] role: &str,
    #[case] bug: &str,
    #[case] expected: &[&str],
    #[case] says: &str,
) {
    let mut cmds = python_cmds(Some((role, bug)));
    // A mutant of one role can only fail the checks that start that role: run those.
    let prefix = if role == "date-server" { "server-" } else { "client-" };
    for slug in all_slugs().into_iter().filter(|s| s.starts_with(prefix)) {
        cmds.extend(["--check".to_string(), format!("date/{slug}")]);
    }
    let run = grade(&cmds);
    let report = run.json();
    let expected: Vec<String> = expected.iter().map(|slug| format!("date/{slug}")).collect();
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

fn all_slugs() -> Vec<String> {
    let list = socket_labs_tests::grader(&["list", "--json"]).stdout();
    let labs: Value = serde_json::from_str(&list).unwrap();
    let lab = labs.as_array().unwrap().iter().find(|l| l["name"] == "date").expect("lab date is listed");
    lab["checks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap().trim_start_matches("date/").to_string())
        .collect()
}
