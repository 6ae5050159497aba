//! Lab hello end to end: the reference solution, a Python implementation written to
//! the contract, the handout's original server, and one mutant per bug, each caught
//! by exactly the checks meant for it.

use rstest::rstest;
use socket_labs_tests::{assert_not_passed, fixture, grade_json, hello_python, not_passed, python};

fn args(extra: &[String]) -> Vec<&str> {
    let mut all = vec!["hello"];
    all.extend(extra.iter().map(String::as_str));
    all
}

#[test]
fn a_python_implementation_of_the_contract_passes_every_check() {
    let cmds = hello_python(None);
    let run = grade_json(&args(&cmds));
    let report = run.json();
    assert_not_passed(&report, &[] as &[&str], &run.stderr());
    assert_eq!(report["score"], report["max_score"]);
    assert_eq!(run.code(), 0);
    run.assert_nothing_left();
}

#[test]
fn the_handouts_own_server_fails_exactly_keeps_running() {
    let mut cmds = hello_python(None);
    cmds.extend(["--cmd".to_string(), format!("hello-server={} {}", python(), fixture("hello", "handout_server.py"))]);
    let run = grade_json(&args(&cmds));
    assert_eq!(not_passed(&run.json()), ["hello/server-keeps-running"]);
    assert_eq!(run.code(), 1);
    run.assert_nothing_left();
}

/// The mutant table: a program with one bug (tests/fixtures/hello, `--bug NAME`) and
/// the checks that must fail for it: exactly those, every run.
#[rstest]
#[case::reply_format("hello-server", "wrong-format", &["server-replies", "server-two-messages", "server-keeps-running", "server-any-text", "server-host-and-port"])]
#[case::single_read("hello-server", "single-read", &["server-two-messages"])]
#[case::not_utf8("hello-server", "ascii", &["server-any-text"])]
#[case::fixed_host("hello-server", "ignore-host", &["server-host-and-port"])]
#[case::fixed_port("hello-server", "ignore-port", &["hello-server-starts"])]
#[case::serves_once("hello-server", "serves-once", &["server-keeps-running"])]
#[case::wrong_default("hello-client", "wrong-default", &["client-default-message"])]
#[case::does_not_wait("hello-client", "no-wait", &["client-each-message"])]
#[case::client_traceback("hello-client", "traceback", &["client-no-server"])]
#[case::no_prefix("hello-client", "no-prefix", &["client-default-message", "client-each-message"])]
#[case::sum_fixed_port("sum-server", "ignore-port", &["sum-server-starts"])]
#[case::sum_no_newline("sum-server", "no-newline", &["sum-integers", "sum-negatives", "sum-decimals", "sum-exact", "sum-empty-line", "sum-not-a-number", "sum-overflow", "sum-many-requests", "sum-pipelined", "sum-split-request", "sum-crlf", "sum-each-client"])]
#[case::float_format("sum-server", "float", &["sum-integers", "sum-negatives", "sum-exact", "sum-empty-line", "sum-not-a-number", "sum-overflow", "sum-many-requests", "sum-pipelined", "sum-split-request", "sum-crlf", "sum-each-client"])]
#[case::no_negatives("sum-server", "no-negatives", &["sum-negatives", "sum-decimals"])]
#[case::integers_only("sum-server", "int-only", &["sum-decimals"])]
#[case::float_sum("sum-server", "float-sum", &["sum-exact", "sum-overflow"])]
#[case::empty_silent("sum-server", "empty-silent", &["sum-empty-line"])]
#[case::err_closes("sum-server", "err-closes", &["sum-not-a-number", "sum-overflow"])]
#[case::crash_on_nan("sum-server", "crash-on-nan", &["sum-not-a-number"])]
#[case::no_overflow_check("sum-server", "no-overflow-check", &["sum-overflow"])]
#[case::one_request("sum-server", "one-request", &["sum-integers", "sum-negatives", "sum-decimals", "sum-exact", "sum-not-a-number", "sum-overflow", "sum-many-requests", "sum-pipelined"])]
#[case::per_read("sum-server", "per-read", &["sum-pipelined", "sum-split-request"])]
#[case::one_line_per_read("sum-server", "one-line-per-read", &["sum-pipelined"])]
#[case::no_crlf("sum-server", "no-crlf", &["sum-crlf"])]
#[case::serves_once("sum-server", "serves-once", &["sum-each-client"])]
#[case::isdigit("sum-server", "isdigit", &["sum-negatives"])]
#[case::float_parse("sum-server", "float-parse", &["sum-exact"])]
#[case::splitlines_per_read("sum-server", "splitlines-per-read", &["sum-split-request"])]
#[case::fixed_buffer("sum-server", "fixed-buffer", &["sum-many-requests"])]
#[case::no_newline("sum-client", "no-newline", &["sum-client-sends-line"])]
#[case::sum_client_traceback("sum-client", "traceback", &["sum-client-no-server"])]
#[case::commas("sum-client", "commas", &["sum-client-sends-line"])]
fn each_mutant_fails_exactly_its_checks(#[case] role: &str, #[case] bug: &str, #[case] expected: &[&str]) {
    let mut cmds = hello_python(Some((role, bug)));
    // A mutant of one role can only fail the checks that start that role: run those.
    for id in checks_of(role) {
        cmds.extend(["--check".to_string(), id]);
    }
    let run = grade_json(&args(&cmds));
    let report = run.json();
    let expected: Vec<String> = expected.iter().map(|slug| format!("hello/{slug}")).collect();
    assert_not_passed(&report, &expected, &format!("{role} --bug {bug}"));
    for check in socket_labs_tests::failures(&report) {
        assert_ne!(check["status"], "error", "a student's bug is never a grader error: {check}");
        let message = check["message"].as_str().unwrap_or_default();
        assert!(!message.is_empty(), "every failure says why: {check}");
    }
    assert_eq!(run.code(), 1);
    run.assert_nothing_left();
}

/// The checks that start `role`: the hello lab names them after it.
fn checks_of(role: &str) -> Vec<String> {
    let prefix = match role {
        "hello-server" => "server-",
        "hello-client" => "client-",
        "sum-server" => "sum-",
        "sum-client" => "sum-client-",
        _ => unreachable!("hello has four roles"),
    };
    let list = socket_labs_tests::grader(&["list", "--json"]).stdout();
    let labs: serde_json::Value = serde_json::from_str(&list).unwrap();
    labs[0]["checks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap().to_string())
        .filter(|id| {
            let slug = id.trim_start_matches("hello/");
            slug.starts_with(prefix) && (role != "sum-server" || !slug.starts_with("sum-client-"))
        })
        .collect()
}
