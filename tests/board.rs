//! Lab board end to end: a Python implementation written to the contract passes every
//! check (in the private network and in the loopback fallback), mutants with one bug
//! each fail exactly the checks meant for them, and no datagram of a grading run
//! leaves its private network.

use std::time::Instant;

use rstest::rstest;
use serde_json::Value;
use socket_labs_tests::{assert_not_passed, failures, grade_json, not_passed, python, Run};

/// `--cmd` arguments that play every board role with the Python fixtures, with
/// `--bug BUG` added to `role` when given.
fn board_python(mutant: Option<(&str, &str)>) -> Vec<String> {
    let roles = [("board-server", "board_server.py"), ("board-pub", "board_pub.py"), ("board-sub", "board_sub.py")];
    socket_labs_tests::python_cmds("board", &roles, mutant)
}

fn grade(extra: &[String]) -> Run {
    let mut all = vec!["board"];
    all.extend(extra.iter().map(String::as_str));
    grade_json(&all)
}

fn notes(report: &Value) -> String {
    report["notes"].as_array().unwrap().iter().map(|n| n.as_str().unwrap()).collect::<Vec<_>>().join("\n")
}

/// Whether this machine gave the run a private network (`--net private` exits 2
/// where it cannot).
fn private_network_here(run: &Run) -> bool {
    if run.code() == 2 && run.stderr().contains("private network namespace cannot be made") {
        eprintln!("no private network namespace on this machine; skipped: {}", run.stderr());
        return false;
    }
    true
}

#[test]
fn a_python_implementation_of_the_contract_passes_every_check() {
    let started = Instant::now();
    let run = grade(&board_python(None));
    let report = run.json();
    assert_not_passed(&report, &[] as &[&str], &run.stderr());
    assert_eq!(report["score"], report["max_score"]);
    assert_eq!(run.code(), 0);
    run.assert_nothing_left();
    eprintln!("board suite, Python implementation: {:.1} s", started.elapsed().as_secs_f64());
}

#[test]
fn the_solution_passes_every_check_in_the_loopback_fallback() {
    let run = grade(&["--solutions".to_string(), "--net".to_string(), "loopback".to_string()]);
    let report = run.json();
    assert_not_passed(&report, &[] as &[&str], &run.stderr());
    assert!(notes(&report).contains("not in a private network namespace"), "the report says which network: {report}");
    run.assert_nothing_left();
}

#[test]
fn the_report_says_the_checks_ran_in_a_private_network() {
    let mut args = vec!["--solutions", "board", "--net", "private", "--check", "board/server-iface"];
    args.extend(["--check", "board/sub-iface"]);
    let run = grade_json(&args);
    if !private_network_here(&run) {
        return;
    }
    let report = run.json();
    assert_not_passed(&report, &[] as &[&str], &run.stderr());
    assert!(notes(&report).contains("private network namespace"), "{report}");
}

/// A subscriber that binds 0.0.0.0 instead of the group is right where every topic has
/// its own port: the grader must not fail it.
#[test]
fn a_subscriber_bound_to_any_address_passes() {
    let mut args = board_python(Some(("board-sub", "bind-any")));
    for id in board_checks().into_iter().filter(|id| id.starts_with("board/sub-") || id.starts_with("board/system-")) {
        args.extend(["--check".to_string(), id]);
    }
    let run = grade(&args);
    assert_eq!(not_passed(&run.json()), Vec::<String>::new(), "{}", run.stderr());
}

/// The mutant table: a program with one bug (tests/fixtures/board, `--bug NAME`) and
/// the checks of its own role that must fail for it: exactly those, every run.
#[rstest]
#[case::one_group_for_all("board-server", "one-group", &["server-create", "server-post-datagram"])]
#[case::fixed_port("board-server", "ignore-port", &["board-server-starts"])]
#[case::drops_the_seq("board-server", "no-seq", &["server-post-datagram", "server-utf8", "server-crlf", "server-iface"])]
#[case::ignores_the_group_base("board-server", "ignore-base", &["server-create"])]
#[case::creates_twice("board-server", "no-exists", &["server-create-exists"])]
#[case::one_counter("board-server", "shared-seq", &["server-post-seq"])]
#[case::closes_on_err("board-server", "err-closes", &["server-create-exists", "server-errors"])]
#[case::keeps_the_cr("board-server", "no-crlf", &["server-crlf"])]
#[case::one_client_at_a_time("board-server", "iterative", &["server-concurrent"])]
#[case::no_multicast_interface("board-server", "no-iface", &["server-iface"])]
#[case::ttl_past_routers("board-server", "ttl", &["server-post-datagram", "server-utf8", "server-crlf", "server-iface"])]
#[case::sends_twice("board-server", "double-send", &["server-post-datagram", "server-utf8"])]
#[case::keeps_100("board-server", "short-keep", &["bonus-history-1000"])]
#[case::no_history("board-server", "no-history", &["bonus-history", "bonus-history-1000"])]
#[case::join_creates_the_topic("board-server", "join-creates", &["server-join"])]
#[case::list_with_commas("board-server", "list-commas", &["server-list"])]
#[case::exit_0_on_err("board-pub", "exit0-on-err", &["pub-err-exit"])]
#[case::first_word_only("board-pub", "first-word", &["pub-post"])]
#[case::pub_traceback("board-pub", "traceback", &["pub-no-server"])]
#[case::rewords_the_create_reply("board-pub", "pretty-create", &["pub-create"])]
#[case::no_reuseaddr("board-sub", "no-reuseaddr", &["sub-two-on-one-host"])]
#[case::prints_every_topic("board-sub", "all-topics", &["sub-only-its-topic"])]
#[case::joins_on_any_interface("board-sub", "no-iface", &["sub-iface"])]
#[case::no_gap_report("board-sub", "no-gap-report", &["sub-gap-report"])]
#[case::small_buffer("board-sub", "recv-1024", &["sub-long-message"])]
#[case::replays_old_posts("board-sub", "replay-from-1", &["sub-late-joiner"])]
#[case::no_recovery("board-sub", "no-history", &["bonus-sub-recovers"])]
#[case::sub_traceback("board-sub", "traceback", &["sub-no-server", "sub-no-such-topic"])]
#[case::joined_line_with_a_space("board-sub", "joined-space", &["sub-joins", "sub-in-order", "sub-long-message", "sub-only-its-topic", "sub-two-on-one-host", "sub-gap-report", "sub-late-joiner", "sub-iface", "bonus-sub-recovers"])]
#[case::collapses_whitespace("board-sub", "split-words", &["sub-in-order"])]
#[case::joined_line_never_flushed("board-sub", "no-flush", &["sub-joins", "sub-in-order", "sub-long-message", "sub-only-its-topic", "sub-two-on-one-host", "sub-gap-report", "sub-late-joiner", "sub-iface", "bonus-sub-recovers"])]
fn each_mutant_fails_exactly_its_checks(#[case] role: &str, #[case] bug: &str, #[case] expected: &[&str]) {
    let own: &[&str] = match role {
        "board-server" => &["server-", "bonus-history"],
        "board-pub" => &["pub-"],
        "board-sub" => &["sub-", "bonus-sub-"],
        _ => unreachable!("board has three roles"),
    };
    assert_fails_exactly(role, bug, own, expected);
}

/// The checks that run all three programs together, against mutants of each role.
#[rstest]
#[case::drops_the_seq("board-server", "no-seq", &["system-two-topics", "system-order-utf8", "system-late-joiner", "system-burst", "bonus-system-recovers"])]
#[case::one_client_at_a_time("board-server", "iterative", &["system-burst", "bonus-system-recovers"])]
#[case::exit_0_on_err("board-pub", "exit0-on-err", &["system-pub"])]
#[case::first_word_only("board-pub", "first-word", &["system-two-topics", "system-order-utf8", "system-late-joiner"])]
#[case::rewords_the_create_reply("board-pub", "pretty-create", &["system-pub", "system-two-topics", "system-order-utf8", "system-late-joiner"])]
#[case::no_reuseaddr("board-sub", "no-reuseaddr", &["system-two-topics", "system-burst"])]
#[case::replays_old_posts("board-sub", "replay-from-1", &["system-late-joiner"])]
#[case::no_recovery("board-sub", "no-history", &["bonus-system-recovers"])]
#[case::joined_line_with_a_space("board-sub", "joined-space", &["system-two-topics", "system-order-utf8", "system-late-joiner", "system-burst", "bonus-system-recovers"])]
fn each_mutant_fails_exactly_its_system_checks(#[case] role: &str, #[case] bug: &str, #[case] expected: &[&str]) {
    assert_fails_exactly(role, bug, &["system-", "bonus-system-"], expected);
}

/// Grades the mutant `role --bug bug` on the checks whose slugs start with one of
/// `prefixes`, and asserts that exactly `expected` fail, each with a hint.
fn assert_fails_exactly(role: &str, bug: &str, prefixes: &[&str], expected: &[&str]) {
    let mut args = board_python(Some((role, bug)));
    // Mutants may leave multicast to the routing table: run them only where nothing
    // can leave, in the private network.
    args.extend(["--net".to_string(), "private".to_string()]);
    for id in board_checks().into_iter().filter(|id| prefixes.iter().any(|p| id["board/".len()..].starts_with(p))) {
        args.extend(["--check".to_string(), id]);
    }
    let run = grade(&args);
    if !private_network_here(&run) {
        return;
    }
    let report = run.json();
    let expected: Vec<String> = expected.iter().map(|slug| format!("board/{slug}")).collect();
    assert_not_passed(&report, &expected, &format!("{role} --bug {bug}"));
    for check in failures(&report) {
        assert_ne!(check["status"], "error", "a student's bug is never a grader error: {check}");
        assert!(check["failure"]["hint"].as_str().is_some_and(|h| !h.is_empty()), "every failure has a hint: {check}");
    }
    assert_eq!(run.code(), 1);
    run.assert_nothing_left();
}

/// Every check id of the lab.
fn board_checks() -> Vec<String> {
    let list = socket_labs_tests::grader(&["list", "--json"]).stdout();
    let labs: Value = serde_json::from_str(&list).unwrap();
    let board = labs.as_array().unwrap().iter().find(|lab| lab["name"] == "board").expect("lab board");
    board["checks"].as_array().unwrap().iter().map(|c| c["id"].as_str().unwrap().to_string()).collect()
}

/// Packets sent by this machine on every interface but loopback, from /proc/net/dev.
fn packets_sent_off_loopback() -> u64 {
    let dev = std::fs::read_to_string("/proc/net/dev").expect("/proc/net/dev");
    dev.lines()
        .skip(2)
        .filter_map(|line| {
            let (name, counters) = line.split_once(':')?;
            let fields: Vec<u64> = counters.split_whitespace().filter_map(|f| f.parse().ok()).collect();
            (name.trim() != "lo").then(|| fields.get(9).copied().unwrap_or(0))
        })
        .sum()
}

/// The server that leaves multicast to the routing table would send every post out
/// of this machine's default interface. In the private network there is none: its
/// thousands of datagrams reach the grader through lo (the burst and history checks
/// pass) and not one leaves (the machine's own interfaces send no more than their
/// usual trickle meanwhile).
#[test]
fn no_datagram_of_a_grading_run_leaves_its_private_network() {
    if !std::path::Path::new("/proc/net/dev").exists() {
        eprintln!("no /proc/net/dev here; skipped");
        return;
    }
    let mut args = board_python(Some(("board-server", "no-iface")));
    args.extend(
        ["--net", "private", "--check", "board/system-burst", "--check", "board/bonus-history-1000"].map(String::from),
    );
    let before = packets_sent_off_loopback();
    let run = grade(&args);
    let sent = packets_sent_off_loopback() - before;
    if !private_network_here(&run) {
        return;
    }
    let report = run.json();
    assert_not_passed(&report, &[] as &[&str], &run.stderr());
    eprintln!("packets sent on this machine's own interfaces during the run: {sent}");
    // 500 + 1005 posts, each a datagram that the routing table would have sent out.
    assert!(sent < 300, "{sent} packets left this machine's interfaces during a run that multicast 1505 posts");
}

/// A grading run interrupted while its programs run inside the private network: the
/// child grader that runs them stops them all, whether the grader gets Ctrl-C
/// (forwarded) or is killed outright (the kernel tells the child).
#[rstest]
#[case::ctrl_c("INT")]
#[case::killed("KILL")]
fn an_interrupted_board_run_leaves_nothing_behind(#[case] signal: &str) {
    use std::process::{Command, Stdio};
    use std::time::Duration;

    if signal == "KILL" && std::env::var_os("SOCKET_LABS_PORTABLE").is_some_and(|v| v == "1") {
        // The portable mode (macOS) has no PR_SET_PDEATHSIG and no namespace whose end
        // kills them: programs of a grader killed outright live on (docs/quickstart.md).
        eprintln!("SKIPPED in the portable mode: nothing kills the programs of a grader killed with SIGKILL");
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    // A subscriber that never prints its joined line: with deadlines ten times the
    // usual, the check would wait for it for 100 s.
    let mut args: Vec<String> =
        ["test", "board", "--check", "board/sub-joins", "--timeout-scale", "10"].map(String::from).to_vec();
    args.extend(["--cmd".to_string(), format!("board-sub={} -c 'import time; time.sleep(120)'", python())]);
    let mut grader = Command::new(socket_labs_tests::grader_path())
        .args(&args)
        .current_dir(socket_labs_tests::root())
        .env("TMPDIR", tmp.path())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    while socket_labs_tests::processes_in(tmp.path()).is_empty() {
        assert!(Instant::now() < deadline, "the subscriber never started");
        std::thread::sleep(Duration::from_millis(10));
    }
    Command::new("kill").args([&format!("-{signal}"), &grader.id().to_string()]).status().unwrap();
    let status = grader.wait().unwrap();
    if signal == "INT" {
        assert_eq!(status.code(), Some(130));
    }
    let deadline = Instant::now() + Duration::from_secs(10);
    while !socket_labs_tests::processes_in(tmp.path()).is_empty() || std::fs::read_dir(tmp.path()).unwrap().count() > 0
    {
        assert!(
            Instant::now() < deadline,
            "left behind after SIG{signal}: {:?}",
            socket_labs_tests::processes_in(tmp.path())
        );
        std::thread::sleep(Duration::from_millis(10));
    }
}
