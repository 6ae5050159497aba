//! Lab upper end to end: a Python implementation written to the contract passes every
//! check, and each mutant (tests/fixtures/upper, `--bug NAME`) fails exactly the checks
//! meant for it, with a failure that names its bug.

use rstest::rstest;
use serde_json::Value;
use socket_labs_tests::{assert_not_passed, checks, failures, grade_json, grader, root};

/// Each role, its fixture, and the prefix of the checks that start it.
const ROLES: [(&str, &str, &str); 4] = [
    ("tcp-upper-server", "tcp_upper_server.py", "tcp-server-"),
    ("udp-upper-server", "udp_upper_server.py", "udp-server-"),
    ("tcp-upper-client", "tcp_upper_client.py", "tcp-client-"),
    ("udp-upper-client", "udp_upper_client.py", "udp-client-"),
];

/// `--cmd` arguments playing every role with the Python fixtures, `role` with `--bug`.
fn python_cmds(mutant: Option<(&str, &str)>) -> Vec<String> {
    socket_labs_tests::python_cmds("upper", &ROLES.map(|(role, file, _)| (role, file)), mutant)
}

fn grade(extra: &[String]) -> socket_labs_tests::Run {
    let mut args = vec!["upper"];
    args.extend(extra.iter().map(String::as_str));
    grade_json(&args)
}

/// The sentences beyond ASCII of labs/upper/lab.toml: every letter has a one-letter
/// uppercase (no ß, which some languages make SS and others keep), so simple and full
/// case mapping agree, and so do all languages: one expected reply is right for all.
#[test]
fn every_letter_of_the_unicode_sentences_has_one_uppercase_letter() {
    let text = std::fs::read_to_string(root().join("labs/upper/lab.toml")).unwrap();
    let lab: toml::Value = toml::from_str(&text).unwrap();
    let sentences = lab["lists"]["unicode"].as_array().expect("the list unicode");
    assert!(!sentences.is_empty());
    for sentence in sentences {
        let sentence = sentence.as_str().unwrap();
        for c in sentence.chars() {
            assert_eq!(c.to_uppercase().count(), 1, "{c:?} in {sentence:?}");
        }
        assert_ne!(sentence.to_uppercase(), sentence);
    }
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
#[case::ascii_only("tcp-upper-server", "ascii", &["tcp-server-unicode", "tcp-server-split-line"], "Unicode-aware")]
#[case::single_recv("tcp-upper-server", "single-recv", &["tcp-server-split-line"], "byte stream")]
#[case::tcp_fixed_port("tcp-upper-server", "ignore-port", &["tcp-upper-server-starts"], "fixed")]
#[case::no_newline("tcp-upper-server", "no-newline", &["tcp-server-replies", "tcp-server-unicode", "tcp-server-split-line", "tcp-server-keeps-running", "tcp-server-bad-bytes"], "ending in \\n")]
#[case::never_closes("tcp-upper-server", "no-close", &["tcp-server-replies", "tcp-server-keeps-running"], "close")]
#[case::serves_once("tcp-upper-server", "serves-once", &["tcp-server-keeps-running", "tcp-server-bad-bytes"], "accept() in a loop")]
#[case::decodes_pieces("tcp-upper-server", "decode-chunks", &["tcp-server-split-line"], "decode the whole line")]
#[case::strict_decode("tcp-upper-server", "strict", &["tcp-server-bad-bytes"], "UnicodeDecodeError")]
#[case::udp_fixed_port("udp-upper-server", "ignore-port", &["udp-upper-server-starts"], "fixed")]
#[case::udp_ascii_only("udp-upper-server", "ascii", &["udp-server-unicode"], "Unicode-aware")]
#[case::reply_to_first("udp-upper-server", "reply-to-first", &["udp-server-each-sender", "udp-server-bad-bytes"], "address recvfrom() returned")]
#[case::udp_strict_decode("udp-upper-server", "strict", &["udp-server-bad-bytes"], "UnicodeDecodeError")]
#[case::udp_serves_once("udp-upper-server", "serves-once", &["udp-server-each-sender", "udp-server-bad-bytes"], "loop around recvfrom()")]
#[case::adds_newline("udp-upper-server", "newline", &["udp-server-replies", "udp-server-unicode", "udp-server-each-sender", "udp-server-bad-bytes"], "nothing added")]
#[case::remembers_first_client("udp-upper-server", "first-client", &["udp-server-each-sender"], "address recvfrom() returned")]
#[case::request_without_newline("tcp-upper-client", "no-newline", &["tcp-client-sends-line", "tcp-client-split-reply", "tcp-client-no-reply"], "\\n at the end")]
#[case::client_single_recv("tcp-upper-client", "single-recv", &["tcp-client-split-reply"], "byte stream")]
#[case::prompt_on_stdout("tcp-upper-client", "prompt", &["tcp-client-sends-line", "tcp-client-split-reply"], "prompt")]
#[case::empty_reply_ok("tcp-upper-client", "empty-ok", &["tcp-client-no-reply"], "nothing to print")]
#[case::tcp_traceback("tcp-upper-client", "traceback", &["tcp-client-no-reply", "tcp-client-no-server"], "traceback")]
#[case::sentence_from_argv("tcp-upper-client", "argv", &["tcp-client-sends-line"], "from stdin")]
#[case::refused_exit_0("tcp-upper-client", "refused-exit-0", &["tcp-client-no-server"], "status 0 says all went well")]
#[case::no_timeout("udp-upper-client", "no-timeout", &["udp-client-gives-up"], "timeout")]
#[case::udp_traceback("udp-upper-client", "traceback", &["udp-client-gives-up", "udp-client-no-server"], "traceback")]
#[case::wrong_prefix("udp-upper-client", "prefix", &["udp-client-sends-line"], "From Server: <reply>")]
#[case::only_timeout("udp-upper-client", "only-timeout", &["udp-client-no-server"], "port unreachable")]
fn each_mutant_fails_exactly_its_checks(
    #[case] role: &str,
    #[case] bug: &str,
    #[case] expected: &[&str],
    #[case] says: &str,
) {
    let mut cmds = python_cmds(Some((role, bug)));
    // A mutant of one role can only fail the checks that start that role: run those.
    let prefix = ROLES.iter().find(|(r, _, _)| *r == role).expect("a role of upper").2;
    for slug in all_slugs().into_iter().filter(|s| s.starts_with(prefix)) {
        cmds.extend(["--check".to_string(), format!("upper/{slug}")]);
    }
    let run = grade(&cmds);
    let report = run.json();
    let expected: Vec<String> = expected.iter().map(|slug| format!("upper/{slug}")).collect();
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
    let lab = labs.as_array().unwrap().iter().find(|l| l["name"] == "upper").expect("lab upper is listed");
    lab["checks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap().trim_start_matches("upper/").to_string())
        .collect()
}
