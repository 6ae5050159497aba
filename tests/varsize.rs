//! Lab varsize end to end: a Python implementation written to the contract passes
//! every check, and each mutant (tests/fixtures/varsize, `--bug NAME`), one per usual
//! mistake, fails exactly the checks meant for it, with a failure that names the
//! mistake. The quadratic mutant is the linear-time check's proof: its bytes are right,
//! it is only slow, and it fails server-64mib on time alone (the hint about quadratic
//! time is given only when the time bound ran out).

use rstest::rstest;
use serde_json::Value;
use socket_labs_tests::{assert_not_passed, checks, failures, grade_json};

/// `--cmd` arguments playing both roles with the Python fixtures, `role` with `--bug`.
fn python_cmds(mutant: Option<(&str, &str)>) -> Vec<String> {
    socket_labs_tests::python_cmds(
        "varsize",
        &[("varsize-server", "varsize_server.py"), ("varsize-client", "varsize_client.py")],
        mutant,
    )
}

fn grade(extra: &[String]) -> socket_labs_tests::Run {
    let mut args = vec!["varsize"];
    args.extend(extra.iter().map(String::as_str));
    grade_json(&args)
}

/// The note server-64mib leaves in its transcript: the CPU time (or, without /proc,
/// the time) the echo took.
fn echo_seconds(report: &Value) -> Option<f64> {
    let check = checks(report).find(|c| c["id"] == "varsize/server-64mib")?;
    check["transcript"].as_array()?.iter().find_map(|e| {
        let text = e["text"].as_str()?;
        text.strip_prefix("the 64 MiB echo took ")?.split(' ').next()?.parse().ok()
    })
}

#[test]
fn a_python_implementation_of_the_contract_passes_every_check() {
    let run = grade(&python_cmds(None));
    let report = run.json();
    assert_not_passed(&report, &[] as &[&str], &run.stderr());
    assert_eq!(report["score"], report["max_score"]);
    let seconds = echo_seconds(&report).expect("server-64mib says how long the echo took");
    eprintln!("the Python server echoed 64 MiB in {seconds} s (of CPU time, where /proc has it)");
    assert_eq!(run.code(), 0);
    run.assert_nothing_left();
}

/// The mutant table: one bug, the checks that must fail for it (exactly those, every
/// run), the check it is meant for, and words that check's failure must contain (in
/// its summary, details or hint), so that the student is told what the mistake is.
#[rstest]
#[case::single_recv("varsize-server", "single-recv", &["server-1kib-plus-1", "server-1mib", "server-64mib", "server-token-split", "server-byte-per-write", "server-two-in-one-write", "server-hundred-in-one-write", "server-partial-next", "server-many-messages", "server-pipelined", "server-length-framing", "server-length-split"], "server-1kib-plus-1", "recv(1024)")]
#[case::fixed_port("varsize-server", "ignore-port", &["varsize-server-starts"], "varsize-server-starts", "fixed")]
#[case::token_at_end("varsize-server", "token-at-end", &["server-partial-next"], "server-partial-next", "not only when the buffer ends with <EOF>")]
#[case::one_per_read("varsize-server", "one-per-read", &["server-two-in-one-write", "server-hundred-in-one-write", "server-partial-next", "server-pipelined"], "server-two-in-one-write", "several messages")]
#[case::close_after_first("varsize-server", "close-after-first", &["server-token-split", "server-partial-next", "server-many-messages", "server-pipelined", "server-length-framing", "server-length-split"], "server-many-messages", "any number of messages")]
#[case::quadratic("varsize-server", "quadratic", &["server-64mib"], "server-64mib", "quadratic")]
#[case::little_endian("varsize-server", "little-endian", &["server-length-framing", "server-length-split"], "server-length-framing", "big-endian")]
#[case::crash_on_partial("varsize-server", "crash-on-partial", &["server-next-client"], "server-next-client", "unfinished message")]
#[case::skip_empty("varsize-server", "skip-empty", &["server-empty", "server-hundred-in-one-write", "server-pipelined", "server-length-framing", "server-length-split"], "server-hundred-in-one-write", "do not skip empty messages")]
#[case::no_reply_token("varsize-server", "no-reply-token", &["server-short", "server-empty", "server-one-byte", "server-1kib-plus-1", "server-1mib", "server-64mib", "server-token-split", "server-byte-per-write", "server-two-in-one-write", "server-hundred-in-one-write", "server-partial-next", "server-many-messages", "server-pipelined", "server-next-client"], "server-short", "followed by <EOF>")]
#[case::naive_match("varsize-server", "naive-match", &["server-one-byte"], "server-one-byte", "a lone < is part of the message")]
#[case::client_single_recv("varsize-client", "single-recv", &["client-sends-stdin", "client-big-reply", "client-binary", "client-length-framing"], "client-big-reply", "keep reading")]
#[case::newline("varsize-client", "newline", &["client-sends-stdin", "client-empty-stdin", "client-big-reply", "client-binary", "client-length-framing"], "client-sends-stdin", "newline")]
#[case::no_token("varsize-client", "no-token", &["client-sends-stdin", "client-empty-stdin", "client-big-reply", "client-binary"], "client-sends-stdin", "then <EOF>")]
#[case::twice("varsize-client", "twice", &["client-sends-stdin", "client-empty-stdin", "client-big-reply", "client-binary", "client-length-framing"], "client-sends-stdin", "once")]
#[case::text_mode("varsize-client", "text-mode", &["client-binary"], "client-binary", "bytes, not text")]
#[case::client_little_endian("varsize-client", "little-endian", &["client-length-framing"], "client-length-framing", "big-endian")]
#[case::traceback("varsize-client", "traceback", &["client-no-server"], "client-no-server", "traceback")]
fn each_mutant_fails_exactly_its_checks(
    #[case] role: &str,
    #[case] bug: &str,
    #[case] expected: &[&str],
    #[case] meant_for: &str,
    #[case] says: &str,
) {
    let mut cmds = python_cmds(Some((role, bug)));
    // A mutant of one role can only fail the checks that start that role: run those.
    let prefix = if role == "varsize-server" { "server-" } else { "client-" };
    for id in lab_checks().into_iter().filter(|id| id.trim_start_matches("varsize/").starts_with(prefix)) {
        cmds.extend(["--check".to_string(), id]);
    }
    let run = grade(&cmds);
    let report = run.json();
    let expected: Vec<String> = expected.iter().map(|slug| format!("varsize/{slug}")).collect();
    assert_not_passed(&report, &expected, &format!("{role} --bug {bug}"));
    for check in failures(&report) {
        assert_ne!(check["status"], "error", "a student's bug is never a grader error: {check}");
        assert!(check["failure"]["hint"].as_str().is_some_and(|h| !h.is_empty()), "every failure has a hint: {check}");
    }
    let meant = checks(&report).find(|c| c["id"] == format!("varsize/{meant_for}")).expect("its check ran");
    let failure = &meant["failure"];
    let words = format!("{} {} {}", failure["summary"], failure["details"], failure["hint"]);
    assert!(words.contains(says), "{meant_for} names the mistake of --bug {bug} ({says:?}): {failure:#}");
    assert_eq!(run.code(), 1);
    run.assert_nothing_left();
}

/// Every check id of the lab.
fn lab_checks() -> Vec<String> {
    let list = socket_labs_tests::grader(&["list", "--json"]).stdout();
    let labs: Vec<Value> = serde_json::from_str(&list).unwrap();
    let lab = labs.iter().find(|l| l["name"] == "varsize").expect("varsize is registered");
    lab["checks"].as_array().unwrap().iter().map(|c| c["id"].as_str().unwrap().to_string()).collect()
}
