//! Lab echo end to end: a Python implementation written to the contract passes every
//! check, and each mutant (tests/fixtures/echo, `--bug NAME`) fails exactly the checks
//! meant for it, with a failure that names its bug.

use rstest::rstest;
use serde_json::Value;
use socket_labs_tests::{assert_not_passed, checks, failures, grade_json, grader};

/// Each role, its fixture, and the prefix of the checks that start it.
const ROLES: [(&str, &str, &str); 4] = [
    ("tcp-echo-server", "tcp_echo_server.py", "tcp-server-"),
    ("tcp-echo-client", "tcp_echo_client.py", "tcp-client-"),
    ("udp-echo-server", "udp_echo_server.py", "udp-server-"),
    ("udp-echo-client", "udp_echo_client.py", "udp-client-"),
];

/// `--cmd` arguments playing every role with the Python fixtures, `role` with `--bug`.
fn python_cmds(mutant: Option<(&str, &str)>) -> Vec<String> {
    socket_labs_tests::python_cmds("echo", &ROLES.map(|(role, file, _)| (role, file)), mutant)
}

fn grade(extra: &[String]) -> socket_labs_tests::Run {
    let mut args = vec!["echo"];
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
#[case::adds_newline("tcp-echo-server", "newline", &["tcp-server-echoes", "tcp-server-many-messages"], "nothing added")]
#[case::one_message("tcp-echo-server", "one-message", &["tcp-server-many-messages"], "loop")]
#[case::tcp_fixed_port("tcp-echo-server", "ignore-port", &["tcp-echo-server-starts"], "fixed")]
#[case::serves_once("tcp-echo-server", "serves-once", &["tcp-server-keeps-running"], "accept() in a loop")]
#[case::decodes_text("tcp-echo-server", "utf8", &["tcp-server-any-bytes"], "as they are")]
#[case::no_wait("tcp-echo-client", "no-wait", &["tcp-client-default-words", "tcp-client-each-word", "tcp-client-split-reply"], "before it got the echo")]
#[case::single_recv("tcp-echo-client", "single-recv", &["tcp-client-split-reply"], "byte stream")]
#[case::tcp_traceback("tcp-echo-client", "traceback", &["tcp-client-no-server"], "traceback")]
#[case::tcp_wrong_default("tcp-echo-client", "wrong-default", &["tcp-client-default-words"], "Mon Tue Wed Thu Fri")]
#[case::udp_adds_newline("udp-echo-server", "newline", &["udp-server-echoes", "udp-server-many-datagrams", "udp-server-each-sender", "udp-server-any-bytes", "udp-server-large-datagram"], "wrong reply")]
#[case::small_buffer("udp-echo-server", "small-buffer", &["udp-server-large-datagram"], "65,535")]
#[case::reply_to_first("udp-echo-server", "reply-to-first", &["udp-server-each-sender"], "address recvfrom() returned")]
#[case::udp_serves_once("udp-echo-server", "serves-once", &["udp-server-many-datagrams", "udp-server-each-sender"], "in a loop")]
#[case::udp_decodes_text("udp-echo-server", "utf8", &["udp-server-any-bytes"], "as they are")]
#[case::replies_twice("udp-echo-server", "twice", &["udp-server-many-datagrams", "udp-server-each-sender"], "exactly one datagram back")]
#[case::udp_fixed_port("udp-echo-server", "ignore-port", &["udp-echo-server-starts"], "fixed")]
#[case::no_timeout("udp-echo-client", "no-timeout", &["udp-client-retries", "udp-client-gives-up"], "timeout")]
#[case::no_retry("udp-echo-client", "no-retry", &["udp-client-retries"], "send the same word again")]
#[case::udp_traceback("udp-echo-client", "traceback", &["udp-client-gives-up", "udp-client-no-server"], "traceback")]
#[case::udp_no_wait("udp-echo-client", "no-wait", &["udp-client-default-words", "udp-client-each-word", "udp-client-retries"], "before it got the echo")]
#[case::udp_wrong_default("udp-echo-client", "wrong-default", &["udp-client-default-words"], "Mon Tue Wed Thu Fri")]
#[case::udp_gives_up_exit_0("udp-echo-client", "gives-up-exit-0", &["udp-client-gives-up"], "status 0 says all went well")]
#[case::udp_only_timeout("udp-echo-client", "only-timeout", &["udp-client-no-server"], "port unreachable")]
fn each_mutant_fails_exactly_its_checks(
    #[case] role: &str,
    #[case] bug: &str,
    #[case] expected: &[&str],
    #[case] says: &str,
) {
    let mut cmds = python_cmds(Some((role, bug)));
    // A mutant of one role can only fail the checks that start that role: run those.
    let prefix = ROLES.iter().find(|(r, _, _)| *r == role).expect("a role of echo").2;
    for slug in all_slugs().into_iter().filter(|s| s.starts_with(prefix)) {
        cmds.extend(["--check".to_string(), format!("echo/{slug}")]);
    }
    let run = grade(&cmds);
    let report = run.json();
    let expected: Vec<String> = expected.iter().map(|slug| format!("echo/{slug}")).collect();
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
    let labs: Value = serde_json::from_str(&grader(&["list", "--json"]).stdout()).unwrap();
    let lab = labs.as_array().unwrap().iter().find(|l| l["name"] == "echo").expect("lab echo is listed");
    lab["checks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap().trim_start_matches("echo/").to_string())
        .collect()
}
