//! Lab calc end to end: a Python implementation written to the contract passes every
//! check; each mutant (tests/fixtures/calc, `--bug NAME`) fails exactly the checks meant
//! for it, with a failure that names its bug; and the variations the contract allows
//! (`--bug allowed-*`) pass.

use rstest::rstest;
use serde_json::Value;
use socket_labs_tests::{assert_not_passed, checks, failures, grade_json};

/// `--cmd` arguments playing both roles with the Python fixtures, `role` with `--bug`.
fn python_cmds(mutant: Option<(&str, &str)>) -> Vec<String> {
    socket_labs_tests::python_cmds(
        "calc",
        &[("calc-server", "calc_server.py"), ("calc-client", "calc_client.py")],
        mutant,
    )
}

fn grade(extra: &[String]) -> socket_labs_tests::Run {
    let mut args = vec!["calc"];
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

/// Which checks a mutant runs: only those that can see its bug (a TCP bug cannot show
/// over UDP, an arithmetic bug not in how lines are read, a server's bug not in the
/// client's checks), to keep the table fast.
const TCP: &[&str] = &["tcp-"];
const UDP: &[&str] = &["udp-"];
/// The checks that compute: where an arithmetic bug shows, over TCP and over UDP.
const ARITH: &[&str] = &[
    "tcp-operators",
    "tcp-decimals",
    "tcp-negatives",
    "tcp-whole-numbers",
    "tcp-divide-by-zero",
    "tcp-remainder-by-zero",
    "tcp-unknown-operator",
    "tcp-not-a-number",
    "tcp-operand-count",
    "udp-answers",
    "udp-errors",
];
const CLIENT_TCP: &[&str] = &["client-requests", "client-stdin", "client-err-reply", "client-no-server"];
const CLIENT_UDP: &[&str] = &["client-udp-"];

/// The mutant table: one bug, the checks it runs, the checks that must fail for it
/// (exactly those, every run), and words that the failure of the first of them must
/// contain (in its summary, details, hint or what came back), so that the student is
/// told what the bug is. An empty list is a variation the contract allows: it passes.
#[rstest]
#[case::floor_division("calc-server", "floor-division", ARITH, &["tcp-decimals", "tcp-negatives", "udp-answers"], "true division")]
#[case::float_format("calc-server", "float-format", TCP, &["tcp-operators", "tcp-negatives", "tcp-whole-numbers", "tcp-divide-by-zero", "tcp-remainder-by-zero", "tcp-unknown-operator", "tcp-not-a-number", "tcp-operand-count", "tcp-many-requests", "tcp-pipelined", "tcp-split-request", "tcp-crlf", "tcp-concurrent", "tcp-garbage", "tcp-long-line"], "not 9.0")]
#[case::int_only("calc-server", "int-only", ARITH, &["tcp-decimals", "tcp-whole-numbers", "udp-answers"], "decimals")]
#[case::fixed_port("calc-server", "ignore-port", TCP, &["calc-server-starts"], "fixed")]
#[case::no_negatives("calc-server", "no-negatives", ARITH, &["tcp-negatives"], "negative")]
#[case::nan_is_zero("calc-server", "nan-is-zero", ARITH, &["tcp-not-a-number", "udp-errors"], "not a number")]
#[case::unknown_op_adds("calc-server", "unknown-op-adds", ARITH, &["tcp-unknown-operator", "udp-errors"], "unknown operator")]
#[case::extra_operands_ok("calc-server", "extra-operands-ok", ARITH, &["tcp-operand-count", "udp-errors"], "too many operands")]
#[case::remainder_crash("calc-server", "remainder-crash", ARITH, &["tcp-remainder-by-zero", "udp-errors"], "remainder by zero")]
#[case::dies_on_zero("calc-server", "dies-on-zero", ARITH, &["tcp-divide-by-zero", "tcp-remainder-by-zero", "udp-errors"], "ZeroDivisionError")]
#[case::two_decimals("calc-server", "two-decimals", ARITH, &["tcp-decimals"], "not rounded")]
#[case::int32_whole("calc-server", "int32-whole", ARITH, &["tcp-whole-numbers"], "below 2^53")]
#[case::zero_by_zero_nan("calc-server", "zero-by-zero-nan", ARITH, &["tcp-divide-by-zero"], "0 / 0")]
#[case::infix_ok("calc-server", "infix-ok", ARITH, &["tcp-unknown-operator"], "the operator comes first")]
#[case::number_prefix("calc-server", "number-prefix", ARITH, &["tcp-not-a-number"], "the whole token")]
#[case::bare_operator_crash("calc-server", "bare-operator-crash", ARITH, &["tcp-operand-count"], "operator alone")]
#[case::one_request("calc-server", "one-request", TCP, &["tcp-operators", "tcp-decimals", "tcp-negatives", "tcp-whole-numbers", "tcp-divide-by-zero", "tcp-remainder-by-zero", "tcp-unknown-operator", "tcp-not-a-number", "tcp-operand-count", "tcp-many-requests", "tcp-pipelined", "tcp-split-request"], "keep the connection open")]
#[case::iterative("calc-server", "iterative", TCP, &["tcp-concurrent"], "thread of its own")]
#[case::per_read("calc-server", "per-read", TCP, &["tcp-pipelined", "tcp-split-request"], "byte stream")]
#[case::no_crlf("calc-server", "no-crlf", TCP, &["tcp-crlf"], "\\r\\n")]
#[case::err_closes("calc-server", "err-closes", TCP, &["tcp-divide-by-zero", "tcp-remainder-by-zero", "tcp-unknown-operator", "tcp-not-a-number", "tcp-operand-count"], "never exit")]
#[case::dies_on_garbage("calc-server", "dies-on-garbage", TCP, &["tcp-garbage"], "UnicodeDecodeError")]
#[case::long_line_dies("calc-server", "long-line-dies", TCP, &["tcp-long-line"], "MemoryError")]
#[case::fixed_buffer("calc-server", "fixed-buffer", TCP, &["tcp-many-requests"], "buffer")]
#[case::one_line_per_read("calc-server", "one-line-per-read", TCP, &["tcp-pipelined"], "byte stream")]
#[case::splitlines_per_read("calc-server", "splitlines-per-read", TCP, &["tcp-split-request"], "in pieces")]
#[case::wrong_peer("calc-server", "wrong-peer", UDP, &["udp-each-sender"], "went to client")]
#[case::truncates("calc-server", "truncates", UDP, &["udp-oversized"], "cuts a longer datagram")]
#[case::empty_silent("calc-server", "empty-silent", UDP, &["udp-empty"], "empty datagram")]
#[case::udp_int_only("calc-server", "udp-int-only", UDP, &["udp-answers"], "decimals")]
#[case::udp_silent_errors("calc-server", "udp-silent-errors", UDP, &["udp-errors"], "silence")]
#[case::udp_keeps_newline("calc-server", "udp-keeps-newline", UDP, &["udp-newline"], "trailing \\n")]
#[case::needs_newline("calc-server", "needs-newline", UDP, &["udp-answers", "udp-errors", "udp-newline", "udp-empty", "udp-oversized", "udp-each-sender"], "a request ends with a newline")]
#[case::allowed_reply_newline("calc-server", "allowed-reply-newline", UDP, &[], "")]
#[case::allowed_exact_ints("calc-server", "allowed-exact-ints", ARITH, &[], "")]
#[case::allowed_close_on_garbage("calc-server", "allowed-close-on-garbage", TCP, &[], "")]
#[case::client_no_newline("calc-client", "no-newline", CLIENT_TCP, &["client-requests", "client-stdin", "client-err-reply"], "\\n")]
#[case::client_prefix("calc-client", "prefix", CLIENT_TCP, &["client-requests", "client-stdin", "client-err-reply"], "as it is")]
#[case::client_args_only("calc-client", "args-only", CLIENT_TCP, &["client-stdin"], "stdin")]
#[case::client_traceback("calc-client", "traceback", CLIENT_TCP, &["client-no-server"], "traceback")]
#[case::client_err_to_stderr("calc-client", "err-to-stderr", CLIENT_TCP, &["client-err-reply"], "as it is")]
#[case::client_no_retry("calc-client", "no-retry", CLIENT_UDP, &["client-udp-retry"], "send the same request again")]
#[case::client_retry_forever("calc-client", "retry-forever", CLIENT_UDP, &["client-udp-gives-up", "client-udp-no-server"], "more than 4 times")]
#[case::client_short_wait("calc-client", "short-wait", CLIENT_UDP, &["client-udp-gives-up"], "wait --timeout seconds")]
#[case::client_only_timeout("calc-client", "only-timeout", CLIENT_UDP, &["client-udp-no-server"], "traceback")]
#[case::client_udp_prefix("calc-client", "prefix", CLIENT_UDP, &["client-udp-requests", "client-udp-retry"], "as it is")]
#[case::allowed_conn_per_request("calc-client", "allowed-conn-per-request", CLIENT_TCP, &[], "")]
#[case::allowed_pipeline("calc-client", "allowed-pipeline", CLIENT_TCP, &[], "")]
#[case::allowed_newline_datagrams("calc-client", "allowed-newline-datagrams", CLIENT_UDP, &[], "")]
fn each_mutant_fails_exactly_its_checks(
    #[case] role: &str,
    #[case] bug: &str,
    #[case] scope: &[&str],
    #[case] expected: &[&str],
    #[case] says: &str,
) {
    let mut cmds = python_cmds(Some((role, bug)));
    for slug in all_slugs().into_iter().filter(|s| scope.iter().any(|p| s.starts_with(p))) {
        cmds.extend(["--check".to_string(), format!("calc/{slug}")]);
    }
    let run = grade(&cmds);
    let report = run.json();
    let expected: Vec<String> = expected.iter().map(|slug| format!("calc/{slug}")).collect();
    assert_not_passed(&report, &expected, &format!("{role} --bug {bug}"));
    run.assert_nothing_left();
    if expected.is_empty() {
        assert_eq!(run.code(), 0, "{role} --bug {bug} is allowed by the contract");
        return;
    }
    for check in failures(&report) {
        assert_ne!(check["status"], "error", "a student's bug is never a grader error: {check}");
        assert!(check["failure"]["hint"].as_str().is_some_and(|h| !h.is_empty()), "every failure has a hint: {check}");
    }
    let first = checks(&report).find(|c| c["id"] == expected[0].as_str()).unwrap();
    assert!(words(first).contains(says), "the failure of {} names the bug ({says:?}): {first:#}", expected[0]);
    assert_eq!(run.code(), 1);
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
    let lab = labs.as_array().unwrap().iter().find(|l| l["name"] == "calc").expect("lab calc is listed");
    lab["checks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap().trim_start_matches("calc/").to_string())
        .collect()
}
