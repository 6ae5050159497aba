//! Lab board: docs/labs/board.md (seed 001, Assignment 3 item 4, and the lecture's
//! multicast examples).
//!
//! board-server keeps topics, each with its own multicast group and port, and sends
//! every post as one datagram `<seq> <topic> <message>`; board-pub creates topics and
//! posts; board-sub joins a topic's group and prints its posts. Each program is tested
//! alone against the grader's own peers (its scripted board-server, its own
//! subscriber and sender), then all together. Every check takes its multicast turn
//! first (`h.multicast(..)`, saying what it runs), so no check hears another's
//! datagrams.

use std::net::Ipv4Addr;
use std::time::{Duration, Instant};

use crate::board_protocol::{
    ask, ask_channel, ask_post, datagram, parse_channel, printed, quote, Channel, ScriptedBoard, Subscriber,
};
use crate::model::{Check, Lab, Role};
use harness::conn::Conn;
use harness::multicast::{in_block, Listener, Multicast, Share::*};
use harness::outcome::{CheckResult, Failure, FailureKind::*, Hint};
use harness::process::describe_exit;
use harness::transcript::escape;
use harness::{Harness, Server};

pub const LAB: Lab = Lab {
    home: None,
    mutants: &[],
    name: "board",
    title: "Multicast message board (Assignment 3, item 4)",
    roles: &[Role::server("board-server", 10000), Role::client("board-pub", 10000), Role::client("board-sub", 10000)],
    checks: &[
        check(
            "server-create",
            "board-server gives each new topic its own group (from --group-base) and its own port",
            2,
            server_create,
        )
        .starts(&["board-server"]),
        check(
            "server-create-exists",
            "board-server answers ERR exists to a second CREATE, and the topic keeps its group",
            1,
            server_create_exists,
        )
        .starts(&["board-server"]),
        check(
            "server-join",
            "board-server answers JOIN with the topic's group and port, or ERR no such topic",
            2,
            server_join,
        )
        .starts(&["board-server"]),
        check("server-list", "board-server lists every topic with LIST", 1, server_list).starts(&["board-server"]),
        check("server-post-seq", "board-server numbers the posts of each topic 1, 2, 3, ...", 2, server_post_seq)
            .starts(&["board-server"]),
        check(
            "server-post-datagram",
            "a POST sends one datagram <seq> <topic> <message> to its topic's group and port only, with TTL 1",
            3,
            server_post_datagram,
        )
        .starts(&["board-server"]),
        check(
            "server-utf8",
            "board-server sends messages byte for byte: UTF-8 (大家好), spaces, 1000 bytes",
            1,
            server_utf8,
        )
        .starts(&["board-server"]),
        check("server-errors", "board-server answers ERR to a bad request and serves the next one", 2, server_errors)
            .starts(&["board-server"]),
        check("server-crlf", "board-server accepts command lines ending in \\r\\n", 1, server_crlf)
            .starts(&["board-server"]),
        check(
            "server-concurrent",
            "board-server serves a second client while the first stays connected",
            1,
            server_concurrent,
        )
        .starts(&["board-server"]),
        check(
            "server-iface",
            "board-server sends on --iface, even where no route leads multicast to loopback",
            2,
            server_iface,
        )
        .starts(&["board-server"]),
        check("pub-create", "board-pub create sends CREATE <topic> and prints the reply", 2, pub_create),
        check("pub-post", "board-pub post sends POST <topic> <message> and prints OK <seq>", 2, pub_post),
        check("pub-err-exit", "board-pub prints an ERR reply and exits 1", 2, pub_err_exit),
        check("pub-no-server", "board-pub exits 1 with one clear line when no server is there", 1, pub_no_server),
        check(
            "sub-joins",
            "board-sub JOINs, prints joined <topic> <group>:<port>, then [<topic>] <message>",
            3,
            sub_joins,
        ),
        check(
            "sub-in-order",
            "board-sub prints posts in the order they came, each message as it is (大家好, spaces, tabs)",
            2,
            sub_in_order,
        ),
        check("sub-long-message", "board-sub prints a 1000-byte message whole", 1, sub_long_message),
        check(
            "sub-only-its-topic",
            "board-sub prints only its own topic's posts (another board may share the group)",
            2,
            sub_only_its_topic,
        ),
        check(
            "sub-two-on-one-host",
            "two board-subs of one topic on one machine both get every post (SO_REUSEADDR)",
            2,
            sub_two_on_one_host,
        ),
        check("sub-gap-report", "board-sub reports a gap in seq on stderr", 2, sub_gap_report),
        check(
            "sub-late-joiner",
            "board-sub started after some posts prints only the posts made after it joined",
            2,
            sub_late_joiner,
        ),
        check("sub-no-server", "board-sub exits 1 with one clear line when no server is there", 1, sub_no_server),
        check("sub-no-such-topic", "board-sub exits 1 with one clear line when JOIN answers ERR", 1, sub_no_such_topic),
        check("sub-iface", "board-sub joins on --iface, even where no route leads multicast to loopback", 2, sub_iface),
        check("system-pub", "board-pub with board-server: create, post, and exit 1 on ERR exists", 2, system_pub)
            .starts(&["board-server"]),
        check(
            "system-two-topics",
            "all together: a post to A reaches both A subscribers exactly once, never B's",
            3,
            system_two_topics,
        )
        .starts(&["board-server"]),
        check("system-order-utf8", "all together: posts arrive in order with UTF-8 intact", 2, system_order_utf8)
            .starts(&["board-server"]),
        check(
            "system-late-joiner",
            "all together: a late subscriber sees only the posts made after it joined",
            1,
            system_late_joiner,
        )
        .starts(&["board-server"]),
        check(
            "system-burst",
            "all together: a burst of 500 posts reaches every subscriber, in order, none lost",
            3,
            system_burst,
        )
        .starts(&["board-server"]),
        check(
            "bonus-history",
            "bonus: board-server answers HISTORY <topic> <from-seq> with the kept posts",
            2,
            bonus_history,
        )
        .starts(&["board-server"]),
        check(
            "bonus-history-1000",
            "bonus: board-server keeps at least the last 1000 posts of a topic",
            1,
            bonus_history_1000,
        )
        .starts(&["board-server"]),
        check(
            "bonus-sub-recovers",
            "bonus: board-sub fetches the posts it missed with HISTORY and prints them in order",
            2,
            bonus_sub_recovers,
        ),
        check(
            "bonus-system-recovers",
            "bonus: all together, a subscriber that lost posts while it was stalled prints every post in order",
            2,
            bonus_system_recovers,
        )
        .starts(&["board-server"]),
    ],
};

const fn check(slug: &'static str, name: &'static str, points: u32, run: fn(&mut Harness) -> CheckResult) -> Check {
    Check { slug, name, points, run: crate::model::Run::Native(run), after: &[], starts: &[], waits: Duration::ZERO }
}

/// How long the grader watches for something that must not happen (a duplicate, a
/// post on the wrong topic). A correct program never does it, so this window only
/// catches wrong ones; it is a deliberate wait, not a guess at a program's speed.
const QUIET: Duration = Duration::from_millis(200);

/// Words for topics and messages; a check picks a few with its seed, so that a
/// program cannot pass by printing fixed text.
const WORDS: &[&str] = &["news", "sports", "weather", "music", "books", "games", "travel", "movies", "science", "food"];

fn topic(h: &mut Harness) -> String {
    let word = WORDS[h.rng().usize(..WORDS.len())];
    format!("{word}-{}", h.rng().u32(10..100))
}

/// Two different topics.
fn two_topics(h: &mut Harness) -> (String, String) {
    let a = topic(h);
    loop {
        let b = topic(h);
        if b != a {
            return (a, b);
        }
    }
}

fn message(h: &mut Harness) -> String {
    let rng = h.rng();
    let n = rng.usize(2..=4);
    (0..n).map(|_| WORDS[rng.usize(..WORDS.len())]).collect::<Vec<_>>().join(" ")
}

/// `n` different messages: checks find a post by its printed line, and two equal
/// posts would make the second one look printed as soon as the first is.
fn messages(h: &mut Harness, n: usize) -> Vec<String> {
    let mut texts: Vec<String> = Vec::with_capacity(n);
    while texts.len() < n {
        let text = message(h);
        if !texts.contains(&text) {
            texts.push(text);
        }
    }
    texts
}

/// 1000 bytes of UTF-8: 333 three-byte characters and one more byte.
fn long_message() -> String {
    let mut text = "大".repeat(333);
    text.push('!');
    text
}

fn start_server(h: &Harness, mc: &Multicast) -> Result<(Server, Ipv4Addr), Failure> {
    let base = mc.group_base();
    let server = h.server("board-server").args(["--group-base".to_string(), base.to_string()]).start()?;
    Ok((server, base))
}

fn deadline(h: &Harness) -> Instant {
    Instant::now() + h.timeouts().io
}

// ---------------------------------------------------------------- board-server alone

fn server_create(h: &mut Harness) -> CheckResult {
    let (a, b) = two_topics(h);
    let mc = h.multicast(ServerWithGraderListeners)?;
    let (mut server, base) = start_server(h, &mc)?;
    let mut c = server.connect()?;
    let ca = ask_channel(&mut c, "CREATE", &a)?;
    if !in_block(base, ca.group) {
        return Err(Failure::mismatch(format!("board-server gave topic {a} the group {}, not one from --group-base {base}", ca.group))
            .expected(format!("a group from {base} on ({base}, the next address, ...)"))
            .got(ca.group.to_string())
            .with_hint("read --group-base and give the first topic that address, the next topics the addresses after it (u32::from(base) + n)"));
    }
    let cb = ask_channel(&mut c, "CREATE", &b)?;
    if cb.group == ca.group || cb.port == ca.port {
        let same = if cb.group == ca.group { "group" } else { "port" };
        return Err(Failure::mismatch(format!("board-server gave topics {a} and {b} the same {same}"))
            .expected("a group and a port of its own for each topic".to_string())
            .got(format!("{a}: {ca}, {b}: {cb}"))
            .with_hint("topics share nothing: with one group or one port for all, a subscriber of one topic receives the others' datagrams too (on Linux a socket bound to 0.0.0.0 gets every group joined on the machine)"));
    }
    Ok(())
}

fn server_create_exists(h: &mut Harness) -> CheckResult {
    let t = topic(h);
    let mc = h.multicast(ServerWithGraderListeners)?;
    let (mut server, _) = start_server(h, &mc)?;
    let mut c = server.connect()?;
    let first = ask_channel(&mut c, "CREATE", &t)?;
    let again = ask(&mut c, &format!("CREATE {t}"))?;
    if again.trim_end() != "ERR exists" {
        return Err(c.wrong_line("ERR exists", &again).with_hint(
            "a topic is created once: a second CREATE of it answers exactly  ERR exists  and changes nothing",
        ));
    }
    let joined = ask_channel(&mut c, "JOIN", &t)?;
    expect_same_channel(&c, &t, first, joined)
        .hint("a second CREATE must not give the topic a new group or port: its subscribers would lose it")
}

fn expect_same_channel(c: &Conn, topic: &str, created: Channel, joined: Channel) -> CheckResult {
    if joined == created {
        return Ok(());
    }
    Err(c
        .wrong_line(&format!("OK {} {}", created.group, created.port), &format!("OK {} {}", joined.group, joined.port))
        .detail(format!("CREATE {topic} had answered OK {} {}", created.group, created.port)))
}

fn server_join(h: &mut Harness) -> CheckResult {
    let (a, b) = two_topics(h);
    let mc = h.multicast(ServerWithGraderListeners)?;
    let (mut server, _) = start_server(h, &mc)?;
    let mut c = server.connect()?;
    let ca = ask_channel(&mut c, "CREATE", &a)?;
    let cb = ask_channel(&mut c, "CREATE", &b)?;
    for (t, created) in [(&a, ca), (&b, cb)] {
        let joined = ask_channel(&mut c, "JOIN", t)?;
        expect_same_channel(&c, t, created, joined)
            .hint("JOIN answers with the group and port that CREATE gave the topic")?;
    }
    let nope = format!("no-such-{a}");
    let reply = ask(&mut c, &format!("JOIN {nope}"))?;
    if reply.trim_end() != "ERR no such topic" {
        return Err(c
            .wrong_line("ERR no such topic", &reply)
            .with_hint("JOIN of a topic nobody created answers exactly  ERR no such topic"));
    }
    Ok(())
}

fn server_list(h: &mut Harness) -> CheckResult {
    let mut names: Vec<String> = Vec::new();
    while names.len() < 3 {
        let t = topic(h);
        if !names.contains(&t) {
            names.push(t);
        }
    }
    let mc = h.multicast(ServerWithGraderListeners)?;
    let (mut server, _) = start_server(h, &mc)?;
    let mut c = server.connect()?;
    let empty = ask(&mut c, "LIST")?;
    if empty.trim_end() != "OK" {
        return Err(c.wrong_line("OK", &empty).with_hint("with no topic yet, LIST answers just OK"));
    }
    for t in &names {
        ask_channel(&mut c, "CREATE", t)?;
    }
    let reply = ask(&mut c, "LIST")?;
    let mut words = reply.split_whitespace();
    let mut got: Vec<&str> = if words.next() == Some("OK") { words.collect() } else { Vec::new() };
    let mut want: Vec<&str> = names.iter().map(String::as_str).collect();
    got.sort();
    want.sort();
    if !reply.starts_with("OK") || got != want {
        return Err(c
            .wrong_line(&format!("OK {}", names.join(" ")), &reply)
            .detail("the topics may come in any order")
            .with_hint("LIST answers OK and every topic's name, separated by spaces, on one line"));
    }
    Ok(())
}

fn server_post_seq(h: &mut Harness) -> CheckResult {
    let (a, b) = two_topics(h);
    let mc = h.multicast(ServerWithGraderListeners)?;
    let (mut server, _) = start_server(h, &mc)?;
    let mut c = server.connect()?;
    ask_channel(&mut c, "CREATE", &a)?;
    ask_channel(&mut c, "CREATE", &b)?;
    for (t, want) in [(&a, 1), (&a, 2), (&b, 1), (&a, 3), (&b, 2)] {
        let text = message(h);
        let seq = ask_post(&mut c, t, &text)?;
        if seq != want {
            return Err(c.wrong_line(&format!("OK {want}"), &format!("OK {seq}")).with_hint(
                "each topic counts its own posts: 1 for its first, then 2, 3, ...; another topic's posts do not count",
            ));
        }
    }
    Ok(())
}

/// Waits for datagram number `index` (from 0) and compares it with `expected`. A
/// trailing newline is allowed (the contract does not forbid one).
fn expect_datagram(l: &Listener, index: usize, expected: &str, after: &str) -> CheckResult {
    if !l.wait_for(index + 1, Instant::now() + Duration::from_secs(3)) {
        return Err(Failure::new(Timeout, format!("no datagram reached the {} {after}", l.label()))
            .expected(escape(expected.as_bytes()))
            .got(format!("{} datagrams", l.count()))
            .with_hint("after replying OK <seq>, send one datagram  <seq> <topic> <message>  to the group and port of the topic, with IP_MULTICAST_IF set to --iface (127.0.0.1) and TTL 1"));
    }
    let got = l.datagrams()[index].clone();
    let text = got.text();
    let body = text.strip_suffix('\n').map(|t| t.strip_suffix('\r').unwrap_or(t)).unwrap_or(&text);
    if body != expected {
        return Err(Failure::mismatch(format!("board-server sent a wrong datagram {after}"))
            .expected(escape(expected.as_bytes()))
            .got(escape(&got.bytes))
            .with_hint("a datagram is  <seq> <topic> <message>: the seq of the OK reply, the topic, and the message as it came, separated by single spaces"));
    }
    if let Some(ttl) = got.ttl.filter(|&ttl| ttl != 1) {
        return Err(Failure::mismatch(format!("board-server sent its datagram with TTL {ttl}"))
            .expected("TTL 1".to_string())
            .got(format!("TTL {ttl}"))
            .with_hint("set IP_MULTICAST_TTL to 1: the board's datagrams must never go past the first router"));
    }
    Ok(())
}

fn server_post_datagram(h: &mut Harness) -> CheckResult {
    let (a, b) = two_topics(h);
    let text = message(h);
    let mc = h.multicast(ServerWithGraderListeners)?;
    let (mut server, _) = start_server(h, &mc)?;
    let mut c = server.connect()?;
    let ca = ask_channel(&mut c, "CREATE", &a)?;
    let cb = ask_channel(&mut c, "CREATE", &b)?;
    let la = mc.listen(ca.group, ca.port, &a)?;
    let lb = mc.listen(cb.group, cb.port, &b)?;
    let seq = ask_post(&mut c, &a, &text)?;
    expect_datagram(&la, 0, &datagram(seq, &a, &text), &format!("after POST {a}"))?;
    // Watch for a second datagram, or one on the other topic: a correct server sends
    // neither, so this window never fails it.
    la.wait_for(2, Instant::now() + QUIET);
    if la.count() > 1 {
        return Err(Failure::mismatch(format!("board-server sent {} datagrams for one POST", la.count()))
            .expected("exactly one datagram".to_string())
            .got(quote(&la.datagrams().iter().map(|d| d.text()).collect::<Vec<_>>()))
            .with_hint("send each post once: every subscriber of the group receives that one datagram"));
    }
    if lb.count() > 0 {
        return Err(Failure::mismatch(format!("a POST to {a} reached the group of {b} ({cb})"))
            .expected(format!("nothing on {cb}"))
            .got(quote(&lb.datagrams().iter().map(|d| d.text()).collect::<Vec<_>>()))
            .with_hint("send a post to its own topic's group and port only"));
    }
    Ok(())
}

fn server_utf8(h: &mut Harness) -> CheckResult {
    let t = topic(h);
    let mc = h.multicast(ServerWithGraderListeners)?;
    let (mut server, _) = start_server(h, &mc)?;
    let mut c = server.connect()?;
    let ch = ask_channel(&mut c, "CREATE", &t)?;
    let l = mc.listen(ch.group, ch.port, &t)?;
    let hint = "send the message's bytes as they came: UTF-8 text, every space kept, up to 1000 bytes (and read the command line whole first)";
    for (i, text) in ["大家好  two  spaces, one tab\there".to_string(), long_message()].iter().enumerate() {
        let seq = ask_post(&mut c, &t, text)?;
        expect_datagram(&l, i, &datagram(seq, &t, text), &format!("after POST {t} of {} bytes", text.len()))
            .hint(hint)?;
    }
    Ok(())
}

fn server_errors(h: &mut Harness) -> CheckResult {
    let t = topic(h);
    let mc = h.multicast(ServerWithGraderListeners)?;
    let (mut server, _) = start_server(h, &mc)?;
    let mut c = server.connect()?;
    ask_channel(&mut c, "CREATE", &t)?;
    let bad = [
        (format!("POST no-such-{t} hello"), "a POST to a topic nobody created"),
        ("FROBNICATE now".to_string(), "an unknown command"),
        ("CREATE bad/topic!".to_string(), "a topic name outside [A-Za-z0-9_-]{1,64}"),
        (format!("CREATE {}", "x".repeat(65)), "a topic name of 65 characters"),
        ("CREATE".to_string(), "a CREATE without a topic"),
    ];
    for (line, what) in &bad {
        let reply = ask(&mut c, line)
            .hint_on(Closed, "answer a bad request with ERR <reason> and keep the connection: the client may go on")?;
        if !reply.starts_with("ERR") {
            return Err(c
                .wrong_line("ERR <reason>", &reply)
                .detail(format!("the request was {what}"))
                .with_hint("answer every request you cannot carry out with one line  ERR <reason>"));
        }
        // The connection goes on after an ERR.
        let list =
            ask(&mut c, "LIST").hint_on(Closed, "after an ERR reply, keep reading commands on the same connection")?;
        if list.split_whitespace().collect::<Vec<_>>() != ["OK", t.as_str()] {
            return Err(c
                .wrong_line(&format!("OK {t}"), &list)
                .detail(format!("after {what}"))
                .with_hint("a bad request changes nothing: no topic is created by it"));
        }
    }
    server.expect_alive("after the bad requests")
}

fn server_crlf(h: &mut Harness) -> CheckResult {
    let t = topic(h);
    let mc = h.multicast(ServerWithGraderListeners)?;
    let (mut server, _) = start_server(h, &mc)?;
    let mut c = server.connect()?;
    let hint = "command lines may end in \\r\\n (telnet, Windows): strip the \\r too, or it becomes part of the topic or message";
    c.send(format!("CREATE {t}\r\n"))?;
    let reply = c.read_line()?;
    let created =
        parse_channel(reply.trim_end()).ok_or_else(|| c.wrong_line("OK <group> <port>", &reply).with_hint(hint))?;
    let l = mc.listen(created.group, created.port, &t)?;
    let joined = ask_channel(&mut c, "JOIN", &t).hint(hint)?;
    expect_same_channel(&c, &t, created, joined).hint(hint)?;
    c.send(format!("POST {t} crlf line\r\n"))?;
    let reply = c.read_line()?;
    if reply.trim_end() != "OK 1" {
        return Err(c.wrong_line("OK 1", &reply).with_hint(hint));
    }
    expect_datagram(&l, 0, &datagram(1, &t, "crlf line"), "after a POST ending in \\r\\n").hint(hint)
}

fn server_concurrent(h: &mut Harness) -> CheckResult {
    let t = topic(h);
    let mc = h.multicast(ServerWithGraderListeners)?;
    let (mut server, _) = start_server(h, &mc)?;
    let mut first = server.connect()?;
    let created = ask_channel(&mut first, "CREATE", &t)?;
    h.note("client 1 stays connected, silent, while client 2 asks");
    let hint = "serve each client on a thread of its own (or with select/poll): a subscriber or publisher that stays connected must not block everyone else";
    let mut second = server.connect()?;
    let joined = ask_channel(&mut second, "JOIN", &t).hint(hint)?;
    expect_same_channel(&second, &t, created, joined)?;
    let seq = ask_post(&mut first, &t, "still here").hint(hint)?;
    if seq != 1 {
        return Err(first.wrong_line("OK 1", &format!("OK {seq}")));
    }
    Ok(())
}

fn server_iface(h: &mut Harness) -> CheckResult {
    let t = topic(h);
    let text = message(h);
    let mc = h.multicast(Alone)?;
    let _no_route = mc.without_route()?;
    let (mut server, _) = start_server(h, &mc)?;
    let mut c = server.connect()?;
    let ch = ask_channel(&mut c, "CREATE", &t)?;
    let l = mc.listen(ch.group, ch.port, &t)?;
    let seq = ask_post(&mut c, &t, &text).hint(IFACE_HINT)?;
    expect_datagram(&l, 0, &datagram(seq, &t, &text), "when only the interface (not a route) leads to loopback")
        .hint("set IP_MULTICAST_IF to the --iface address (127.0.0.1) on the sending socket: without it the kernel follows the routing table, which sends multicast out of the default interface, off this machine")
}

const IFACE_HINT: &str = "name the interface on every multicast socket (IP_MULTICAST_IF to send, the interface of IP_ADD_MEMBERSHIP to join): the routing table must not decide";

// ------------------------------------------------------------------ board-pub alone

fn pub_create(h: &mut Harness) -> CheckResult {
    let t = topic(h);
    let mc = h.multicast(GraderChosen)?;
    let board = ScriptedBoard::start(&mc, h)?;
    let run = h.client("board-pub").port(board.port()).args(["create", t.as_str()]).run()?;
    expect_requests(&board, &[format!("CREATE {t}")], "board-pub", &run.stderr)?;
    run.expect_success()?;
    let ch = board.channel(&t).ok_or_else(|| Failure::mismatch(format!("board-pub create {t} did not create {t}")))?;
    run.expect_stdout(&[format!("OK {} {}", ch.group, ch.port)])
        .hint("print the server's reply line as it came: OK <group> <port>")
}

/// Compares the command lines the scripted board received with `expected`; `stderr`
/// is the program's, to explain a crash (or an unwritten skeleton).
fn expect_requests(board: &ScriptedBoard, expected: &[String], role: &str, stderr: &str) -> CheckResult {
    let got = board.requests();
    if got == expected {
        return Ok(());
    }
    let failure = Failure::mismatch(format!("{role} sent the wrong command lines"))
        .expected(quote(expected))
        .got(if got.is_empty() { "no complete line (a command ends with \\n)".to_string() } else { quote(&got) })
        .with_hint("send one command per line, ending in \\n: CREATE <topic>, or POST <topic> <message> with the message words joined by single spaces, or JOIN <topic>");
    Err(harness::diagnose::explain_stderr(failure, role, stderr))
}

/// A subscriber sent `JOIN <topic>` and changed nothing on the board. The contract
/// asks for the JOIN; what it reads besides (a LIST, a HISTORY, the JOIN again) is its
/// own business, but a CREATE or a POST would change the board it only listens to.
fn expect_join(board: &ScriptedBoard, topic: &str, stderr: &str) -> CheckResult {
    let got = board.requests();
    let join = format!("JOIN {topic}");
    let writes: Vec<String> =
        got.iter().filter(|r| r.starts_with("CREATE") || r.starts_with("POST")).cloned().collect();
    if got.contains(&join) && writes.is_empty() {
        return Ok(());
    }
    let failure = Failure::mismatch(if got.contains(&join) {
        format!("board-sub sent {} as well: a subscriber only reads the board", quote(&writes))
    } else {
        format!("board-sub did not send the line {join}")
    })
    .expected(format!("{} (LIST or HISTORY besides would do no harm)", quote(&[join])))
    .got(if got.is_empty() { "no complete line (a command ends with \\n)".to_string() } else { quote(&got) })
    .with_hint("send  JOIN <topic>  (one line, ending in \\n) to learn the topic's group and port; a subscriber never CREATEs or POSTs");
    Err(harness::diagnose::explain_stderr(failure, "board-sub", stderr))
}

fn pub_post(h: &mut Harness) -> CheckResult {
    let t = topic(h);
    let words = ["hello", "大家好", "world"];
    let mc = h.multicast(GraderChosen)?;
    let board = ScriptedBoard::start(&mc, h)?;
    board.add_topic(&t)?;
    // Two earlier posts: the reply to board-pub's is OK 3, which it must print as it came.
    board.post(&t, "first")?;
    board.post(&t, "second")?;
    let mut args = vec!["post".to_string(), t.clone()];
    args.extend(words.iter().map(|w| w.to_string()));
    let run = h.client("board-pub").port(board.port()).args(args).run()?;
    expect_requests(&board, &[format!("POST {t} {}", words.join(" "))], "board-pub", &run.stderr)?;
    run.expect_success()?;
    run.expect_stdout(&["OK 3".to_string()]).hint("print the server's reply line as it came")
}

fn pub_err_exit(h: &mut Harness) -> CheckResult {
    let t = topic(h);
    let mc = h.multicast(GraderChosen)?;
    let board = ScriptedBoard::start(&mc, h)?;
    board.add_topic(&t)?;
    for (args, reply) in [
        (vec!["create".to_string(), t.clone()], "ERR exists"),
        (vec!["post".to_string(), format!("no-such-{t}"), "hello".to_string()], "ERR no such topic"),
    ] {
        let run = h.client("board-pub").port(board.port()).args(args.clone()).run()?;
        let shown = format!("board-pub {}", args.join(" "));
        if run.status.code() != Some(1) {
            let failure =
                Failure::mismatch(format!("{shown} {} when the server answered {reply}", describe_exit(run.status)))
                    .expected("exit status 1".to_string())
                    .got(describe_exit(run.status))
                    .with_hint("exit with status 1 when the reply starts with ERR: scripts rely on the exit status");
            return Err(harness::diagnose::explain_stderr(failure, "board-pub", &run.stderr));
        }
        if !run.stdout.contains(reply) && !run.stderr.contains(reply) {
            return Err(Failure::mismatch(format!("{shown} did not print the server's reply {reply}"))
                .expected(format!("{reply:?} on stdout (or stderr)"))
                .got(format!("stdout {}, stderr {}", escape(run.stdout.as_bytes()), escape(run.stderr.as_bytes())))
                .with_hint("print the server's reply line, ERR too: it says what went wrong"));
        }
    }
    Ok(())
}

fn pub_no_server(h: &mut Harness) -> CheckResult {
    let port = h.unused_port()?;
    h.note(format!("nothing listens on 127.0.0.1:{port}"));
    let t = topic(h);
    h.client("board-pub").port(port).args(["post", t.as_str(), "hello"]).run()?.expect_clean_failure()
}

// ------------------------------------------------------------------ board-sub alone

/// Waits until `sub` has printed `expected.len()` lines after its joined line, watches
/// for one more during the quiet window when `quiet`, and compares them all.
fn expect_messages(sub: &Subscriber, expected: &[String], quiet: bool, hint: &str) -> CheckResult {
    let deadline = Instant::now() + sub.timeouts().io;
    sub.wait_messages(expected.len(), deadline);
    if quiet {
        sub.wait_messages(expected.len() + 1, Instant::now() + QUIET);
    }
    let got = sub.messages();
    if got == expected {
        return Ok(());
    }
    let kind = if got.len() < expected.len() && expected.starts_with(&got) { Timeout } else { Mismatch };
    let mut failure = Failure::new(kind, format!("board-sub ({}) printed the wrong lines", sub.label()))
        .expected(quote(expected))
        .got(quote(&got))
        .with_hint(hint);
    if let Some(line) = got.iter().zip(expected).position(|(g, e)| g != e) {
        failure = failure.detail(format!("the first wrong line is line {} after the joined line", line + 1));
    }
    sub.expect_alive("while the grader was posting").map_err(|dead| {
        let mut dead = dead.expected(failure.expected.clone().unwrap_or_default());
        dead.hint = Some(hint.to_string());
        dead
    })?;
    Err(harness::diagnose::explain_stderr(failure, "board-sub", &sub.stderr()))
}

const PRINT_HINT: &str =
    "print  [<topic>] <message>  for each post of the topic, in seq order, and flush stdout after each line";

fn sub_joins(h: &mut Harness) -> CheckResult {
    let t = topic(h);
    let text = message(h);
    let mc = h.multicast(GraderChosen)?;
    let board = ScriptedBoard::start(&mc, h)?;
    let ch = board.add_topic(&t)?;
    let sub = Subscriber::start(h, board.port(), &t, ch, "subscriber")?;
    expect_join(&board, &t, &sub.stderr())?;
    board.post(&t, &text)?;
    expect_messages(&sub, &[printed(&t, &text)], false, "join the group from the JOIN reply (with SO_REUSEADDR, on --iface) and print  [<topic>] <message>  for each datagram  <seq> <topic> <message>")
}

fn sub_in_order(h: &mut Harness) -> CheckResult {
    let t = topic(h);
    let mut texts = vec![
        message(h),
        "大家好".to_string(),
        "two  spaces and a tab\there".to_string(),
        message(h),
        "Grüße, 世界".to_string(),
    ];
    texts.push(message(h));
    let mc = h.multicast(GraderChosen)?;
    let board = ScriptedBoard::start(&mc, h)?;
    let ch = board.add_topic(&t)?;
    let sub = Subscriber::start(h, board.port(), &t, ch, "subscriber")?;
    for text in &texts {
        board.post(&t, text)?;
    }
    let expected: Vec<String> = texts.iter().map(|m| printed(&t, m)).collect();
    expect_messages(&sub, &expected, false, "decode the datagram as UTF-8 and print the message after  <seq> <topic>  as it is (split on the first two spaces only); print each post as it arrives")
}

fn sub_long_message(h: &mut Harness) -> CheckResult {
    // A topic of 60 characters and a message of 1000 bytes: a datagram of 1065 bytes.
    let t = format!("{}-{}", topic(h), "x".repeat(64))[..60].to_string();
    let mc = h.multicast(GraderChosen)?;
    let board = ScriptedBoard::start(&mc, h)?;
    let ch = board.add_topic(&t)?;
    let sub = Subscriber::start(h, board.port(), &t, ch, "subscriber")?;
    let text = long_message();
    board.post(&t, &text)?;
    board.post(&t, "after the long one")?;
    expect_messages(&sub, &[printed(&t, &text), printed(&t, "after the long one")], false, "receive into a buffer that holds the largest datagram (over 1000 bytes: the lecture's recvfrom(16) and Java's 1000-byte buffer cut it short)")
}

fn sub_only_its_topic(h: &mut Harness) -> CheckResult {
    let (t, other) = two_topics(h);
    let text = message(h);
    let mc = h.multicast(GraderChosen)?;
    let board = ScriptedBoard::start(&mc, h)?;
    let ch = board.add_topic(&t)?;
    let sub = Subscriber::start(h, board.port(), &t, ch, "subscriber")?;
    h.note(format!("another board shares {ch}: the grader sends a post of topic {other} there"));
    board.send_raw(ch, &datagram(1, &other, "not yours"))?;
    board.post(&t, &text)?;
    expect_messages(
        &sub,
        &[printed(&t, &text)],
        true,
        "a datagram names its topic: print only those of the topic you follow, and drop the others",
    )
}

fn sub_two_on_one_host(h: &mut Harness) -> CheckResult {
    let t = topic(h);
    let text = message(h);
    let mc = h.multicast(GraderChosen)?;
    let board = ScriptedBoard::start(&mc, h)?;
    let ch = board.add_topic(&t)?;
    let hint = "set SO_REUSEADDR on the socket before bind(): without it the second subscriber of a topic on one machine cannot bind the topic's port";
    let first = Subscriber::start(h, board.port(), &t, ch, "subscriber 1")?;
    let second = Subscriber::start(h, board.port(), &t, ch, "subscriber 2").hint(hint)?;
    board.post(&t, &text)?;
    expect_messages(&first, &[printed(&t, &text)], false, hint)?;
    expect_messages(&second, &[printed(&t, &text)], false, hint)
}

/// Whether stderr text reports a gap: it names a missing seq (or the next one) or
/// says what happened.
fn mentions_gap(text: &str, seqs: &[u64]) -> bool {
    let lower = text.to_lowercase();
    let words = ["gap", "miss", "lost", "skip", "drop"];
    words.iter().any(|w| lower.contains(w))
        || lower.split(|c: char| !c.is_ascii_digit()).any(|n| seqs.iter().any(|s| n == s.to_string()))
}

fn sub_gap_report(h: &mut Harness) -> CheckResult {
    let t = topic(h);
    let texts: Vec<String> = messages(h, 5);
    let mc = h.multicast(GraderChosen)?;
    let board = ScriptedBoard::start(&mc, h)?;
    let ch = board.add_topic(&t)?;
    let sub = Subscriber::start(h, board.port(), &t, ch, "subscriber")?;
    board.post(&t, &texts[0])?;
    board.post(&t, &texts[1])?;
    expect_messages(&sub, &[printed(&t, &texts[0]), printed(&t, &texts[1])], false, PRINT_HINT)?;
    let before = sub.stderr().len();
    board.post_lost(&t, &texts[2])?;
    board.post_lost(&t, &texts[3])?;
    board.post(&t, &texts[4])?;
    // Without HISTORY the posts 3 and 4 are gone; with it (the bonus) they are printed
    // in their place. Either is right here.
    let last = printed(&t, &texts[4]);
    sub.wait_line(&last, deadline(h));
    let got = sub.messages();
    let plain: Vec<String> = [0, 1, 4].iter().map(|&i| printed(&t, &texts[i])).collect();
    let repaired: Vec<String> = texts.iter().map(|m| printed(&t, m)).collect();
    if got != plain && got != repaired {
        return Err(Failure::mismatch("board-sub printed the wrong lines around a gap")
            .expected(format!("{}\n(or, with the bonus, posts 3 and 4 in their place)", quote(&plain)))
            .got(quote(&got))
            .with_hint("a gap in seq is no reason to stop: print the post that arrived (and, for the bonus, the missed ones before it)"));
    }
    let reported = sub.wait_stderr(deadline(h), |text| mentions_gap(text.get(before..).unwrap_or(""), &[3, 4, 5]));
    if !reported {
        return Err(Failure::mismatch("board-sub did not report the gap in seq on stderr")
            .sent("datagrams with seq 1, 2, then 5 (3 and 4 were lost on purpose)".to_string())
            .expected("a line on stderr about the gap, such as  gap: missed 3..4".to_string())
            .got(if sub.stderr().len() > before { escape(sub.stderr().get(before..).unwrap_or("").as_bytes()) } else { "nothing new on stderr".to_string() })
            .with_hint("remember the seq you expect next; when a bigger one arrives, datagrams were lost (UDP does not retransmit): say so on stderr"));
    }
    Ok(())
}

fn sub_late_joiner(h: &mut Harness) -> CheckResult {
    let t = topic(h);
    let texts: Vec<String> = messages(h, 5);
    let mc = h.multicast(GraderChosen)?;
    let board = ScriptedBoard::start(&mc, h)?;
    let ch = board.add_topic(&t)?;
    for text in &texts[..3] {
        board.post(&t, text)?;
    }
    h.note("posts 1 to 3 were made before the subscriber started");
    let sub = Subscriber::start(h, board.port(), &t, ch, "late subscriber")?;
    board.post(&t, &texts[3])?;
    board.post(&t, &texts[4])?;
    expect_messages(&sub, &[printed(&t, &texts[3]), printed(&t, &texts[4])], true, LATE_HINT)
}

const LATE_HINT: &str = "the first post a subscriber receives is where it starts: posts made before it joined were never its to miss, so they are neither reported as a gap to fetch nor printed";

fn sub_no_server(h: &mut Harness) -> CheckResult {
    let port = h.unused_port()?;
    h.note(format!("nothing listens on 127.0.0.1:{port}"));
    let t = topic(h);
    h.client("board-sub").port(port).args([t.as_str()]).run()?.expect_clean_failure()
}

fn sub_no_such_topic(h: &mut Harness) -> CheckResult {
    let t = topic(h);
    let mc = h.multicast(GraderChosen)?;
    let board = ScriptedBoard::start(&mc, h)?;
    h.note(format!("the grader's board has no topic {t}: JOIN answers ERR no such topic"));
    let run = h.client("board-sub").port(board.port()).args([t.as_str()]).run()?;
    run.expect_clean_failure()
        .hint("when JOIN answers ERR, there is nothing to subscribe to: print the reply on stderr and exit 1")
}

fn sub_iface(h: &mut Harness) -> CheckResult {
    let t = topic(h);
    let text = message(h);
    let mc = h.multicast(Alone)?;
    let _no_route = mc.without_route()?;
    let board = ScriptedBoard::start(&mc, h)?;
    let ch = board.add_topic(&t)?;
    let hint = "join the group on the --iface address (127.0.0.1), not INADDR_ANY: with INADDR_ANY the kernel picks the interface from the routing table, and without a multicast route the join fails";
    let sub = Subscriber::start(h, board.port(), &t, ch, "subscriber").hint(hint)?;
    board.post(&t, &text)?;
    expect_messages(&sub, &[printed(&t, &text)], false, hint)
}

// ------------------------------------------------------------------ all together

/// `board-pub create <topic>` against the student's server; returns the channel.
fn pub_create_topic(h: &Harness, port: u16, t: &str) -> Result<Channel, Failure> {
    let run = h.client("board-pub").port(port).args(["create", t]).run()?;
    run.expect_success()?;
    let line = run.lines().into_iter().next().unwrap_or_default();
    parse_channel(&line).ok_or_else(|| {
        Failure::mismatch(format!("board-pub create {t} printed a wrong line"))
            .expected("OK <group> <port>".to_string())
            .got(escape(run.stdout.as_bytes()))
            .with_hint("print the server's reply line as it came")
    })
}

fn pub_post_message(h: &Harness, port: u16, t: &str, text: &str) -> Result<(), Failure> {
    let mut args = vec!["post".to_string(), t.to_string()];
    args.extend(text.split(' ').map(str::to_string));
    let run = h.client("board-pub").port(port).args(args).run()?;
    run.expect_success()?;
    Ok(())
}

fn system_pub(h: &mut Harness) -> CheckResult {
    let t = topic(h);
    let mc = h.multicast(ServerWithGraderListeners)?;
    let (server, _) = start_server(h, &mc)?;
    pub_create_topic(h, server.port(), &t)?;
    let again = h.client("board-pub").port(server.port()).args(["create", t.as_str()]).run()?;
    if again.status.code() != Some(1) {
        return Err(Failure::mismatch(format!("a second board-pub create {t} {}", describe_exit(again.status)))
            .expected("exit status 1 (the server answers ERR exists)".to_string())
            .got(format!("{}; stdout {}", describe_exit(again.status), escape(again.stdout.as_bytes())))
            .with_hint("the server answers ERR exists to a second CREATE, and board-pub exits 1 on ERR"));
    }
    let run = h.client("board-pub").port(server.port()).args(["post", t.as_str(), "hello", "board"]).run()?;
    run.expect_success()?;
    run.expect_stdout(&["OK 1".to_string()]).hint("the first post of a topic is seq 1: OK 1")
}

fn system_two_topics(h: &mut Harness) -> CheckResult {
    let (a, b) = two_topics(h);
    let (text_a, text_b) = (message(h), message(h));
    let mc = h.multicast(Alone)?;
    let (server, _) = start_server(h, &mc)?;
    let port = server.port();
    let ca = pub_create_topic(h, port, &a)?;
    let cb = pub_create_topic(h, port, &b)?;
    let a1 = Subscriber::start(h, port, &a, ca, &format!("{a} subscriber 1"))?;
    let a2 = Subscriber::start(h, port, &a, ca, &format!("{a} subscriber 2"))?;
    let b1 = Subscriber::start(h, port, &b, cb, &format!("{b} subscriber"))?;
    pub_post_message(h, port, &a, &text_a)?;
    pub_post_message(h, port, &b, &text_b)?;
    let hint = "each topic has its own group and port, each subscriber joins only its topic's group and prints only its topic's posts, each post is sent once";
    expect_messages(&a1, &[printed(&a, &text_a)], false, hint)?;
    expect_messages(&a2, &[printed(&a, &text_a)], true, hint)?;
    expect_messages(&b1, &[printed(&b, &text_b)], true, hint)?;
    expect_messages(&a1, &[printed(&a, &text_a)], false, hint)
}

fn system_order_utf8(h: &mut Harness) -> CheckResult {
    let t = topic(h);
    let texts = vec![message(h), "大家好".to_string(), message(h), "Grüße aus 台北".to_string()];
    let mc = h.multicast(Alone)?;
    let (server, _) = start_server(h, &mc)?;
    let port = server.port();
    let ch = pub_create_topic(h, port, &t)?;
    let sub = Subscriber::start(h, port, &t, ch, "subscriber")?;
    for text in &texts {
        pub_post_message(h, port, &t, text)?;
    }
    let expected: Vec<String> = texts.iter().map(|m| printed(&t, m)).collect();
    expect_messages(
        &sub,
        &expected,
        true,
        "UTF-8 end to end: send the message's bytes, decode the datagram as UTF-8, print it as it is, in seq order",
    )
}

fn system_late_joiner(h: &mut Harness) -> CheckResult {
    let t = topic(h);
    let texts: Vec<String> = messages(h, 4);
    let mc = h.multicast(Alone)?;
    let (server, _) = start_server(h, &mc)?;
    let port = server.port();
    let ch = pub_create_topic(h, port, &t)?;
    pub_post_message(h, port, &t, &texts[0])?;
    pub_post_message(h, port, &t, &texts[1])?;
    h.note("two posts were made before the subscriber started");
    let sub = Subscriber::start(h, port, &t, ch, "late subscriber")?;
    pub_post_message(h, port, &t, &texts[2])?;
    pub_post_message(h, port, &t, &texts[3])?;
    expect_messages(&sub, &[printed(&t, &texts[2]), printed(&t, &texts[3])], true, LATE_HINT)
}

/// Posts `texts` on one connection in batches: each batch is one write of many
/// command lines, then its replies are read. Returns the seqs.
fn post_batch(c: &mut Conn, t: &str, texts: &[String]) -> Result<Vec<u64>, Failure> {
    let lines: String = texts.iter().map(|m| format!("POST {t} {m}\n")).collect();
    c.send(lines)?;
    let mut seqs = Vec::with_capacity(texts.len());
    for _ in texts {
        let reply =
            c.read_line().hint("read the command lines one by one (Rust: a BufReader; Python: sock.makefile() and readline()): one read() may hold several")?;
        match reply.strip_prefix("OK ").and_then(|s| s.trim_end().parse::<u64>().ok()) {
            Some(seq) => seqs.push(seq),
            None => return Err(c.wrong_line("OK <seq>", &reply)),
        }
    }
    Ok(seqs)
}

/// Which posts (by number, from 1) a subscriber's lines lack.
fn missing(expected: &[String], got: &[String]) -> Vec<usize> {
    let have: std::collections::HashSet<&String> = got.iter().collect();
    expected.iter().enumerate().filter(|(_, e)| !have.contains(e)).map(|(i, _)| i + 1).collect()
}

fn numbers(list: &[usize]) -> String {
    let shown: Vec<String> = list.iter().take(12).map(|n| n.to_string()).collect();
    let more = if list.len() > 12 { format!(", ... ({} in all)", list.len()) } else { String::new() };
    format!("{}{more}", shown.join(", "))
}

fn system_burst(h: &mut Harness) -> CheckResult {
    const POSTS: usize = 500;
    const BATCH: usize = 50;
    let t = topic(h);
    let word = message(h);
    let mc = h.multicast(Alone)?;
    let (mut server, _) = start_server(h, &mc)?;
    let mut c = server.connect()?;
    let ch = ask_channel(&mut c, "CREATE", &t)?;
    let grader = mc.listen(ch.group, ch.port, &t)?;
    let subs = [
        Subscriber::start(h, server.port(), &t, ch, "subscriber 1")?,
        Subscriber::start(h, server.port(), &t, ch, "subscriber 2")?,
    ];
    let texts: Vec<String> = (1..=POSTS).map(|i| format!("burst {i} {word}")).collect();
    let expected: Vec<String> = texts.iter().map(|m| printed(&t, m)).collect();
    h.note(format!(
        "the grader posts {POSTS} messages in batches of {BATCH} command lines, and waits for each batch to be printed"
    ));
    let started = Instant::now();
    for (n, batch) in texts.chunks(BATCH).enumerate() {
        post_batch(&mut c, &t, batch)?;
        // Waiting for the batch's last line keeps at most one batch in flight: a real
        // burst, yet never more than a subscriber's socket buffer holds.
        let last = &expected[(n + 1) * BATCH - 1];
        let until = deadline(h);
        for sub in &subs {
            sub.wait_line(last, until);
        }
        grader.wait_for((n + 1) * BATCH, until);
    }
    h.note(format!("{POSTS} posts took {} ms", started.elapsed().as_millis()));
    let server_sent = grader.count();
    for sub in &subs {
        let got = sub.messages();
        if got == expected {
            continue;
        }
        let lost = missing(&expected, &got);
        let summary = if lost.is_empty() {
            format!("board-sub ({}) printed the burst's posts out of order or twice", sub.label())
        } else {
            format!("board-sub ({}) printed {} of {POSTS} posts: {} lost", sub.label(), POSTS - lost.len(), lost.len())
        };
        let mut failure = Failure::mismatch(summary)
            .expected(format!("{POSTS} lines, [{t}] burst 1 ... to [{t}] burst {POSTS} ..., in order"))
            .got(format!(
                "{} lines; missing posts: {}",
                got.len(),
                if lost.is_empty() { "none".into() } else { numbers(&lost) }
            ))
            .detail(format!("the grader's own subscriber received {server_sent} of {POSTS} datagrams"));
        failure = if server_sent < POSTS {
            failure.with_hint("board-server did not send every post: send one datagram per POST, as it is answered")
        } else {
            failure.with_hint("read datagrams as they come and print each at once (no sleeps, no work between reads): a socket buffer holds only so many")
        };
        return Err(failure);
    }
    if server_sent != POSTS {
        return Err(Failure::mismatch(format!(
            "the grader's own subscriber received {server_sent} datagrams for {POSTS} posts"
        ))
        .expected(format!("{POSTS} datagrams"))
        .got(format!("{server_sent}"))
        .with_hint("send exactly one datagram per POST"));
    }
    Ok(())
}

// ------------------------------------------------------------------ bonus

const HISTORY_HINT: &str = "HISTORY <topic> <from-seq> answers OK <n>, then n lines <seq> <message>: every kept post from that seq on, oldest first";

fn bonus_history(h: &mut Harness) -> CheckResult {
    let t = topic(h);
    let texts: Vec<String> = messages(h, 5);
    let mc = h.multicast(ServerWithGraderListeners)?;
    let (mut server, _) = start_server(h, &mc)?;
    let mut c = server.connect()?;
    ask_channel(&mut c, "CREATE", &t)?;
    for text in &texts {
        ask_post(&mut c, &t, text)?;
    }
    c.send_line(&format!("HISTORY {t} 3"))?;
    let mut expected = vec!["OK 3".to_string()];
    expected.extend((3..=5).map(|seq| format!("{seq} {}", texts[seq - 1])));
    for want in &expected {
        let got = c.read_line().hint(HISTORY_HINT)?;
        if got.trim_end() != want {
            return Err(c
                .wrong_line(want, &got)
                .detail(format!("the whole reply is:\n{}", quote(&expected)))
                .with_hint(HISTORY_HINT));
        }
    }
    let after = ask(&mut c, &format!("HISTORY {t} 6"))?;
    if after.trim_end() != "OK 0" {
        return Err(c
            .wrong_line("OK 0", &after)
            .with_hint("from a seq past the last post, HISTORY answers OK 0 and no lines"));
    }
    let nope = ask(&mut c, &format!("HISTORY no-such-{t} 1"))?;
    if !nope.starts_with("ERR") {
        return Err(c.wrong_line("ERR no such topic", &nope));
    }
    Ok(())
}

fn bonus_history_1000(h: &mut Harness) -> CheckResult {
    const POSTS: u64 = 1005;
    let t = topic(h);
    let mc = h.multicast(ServerWithGraderListeners)?;
    let (mut server, _) = start_server(h, &mc)?;
    let mut c = server.connect()?;
    ask_channel(&mut c, "CREATE", &t)?;
    h.note(format!("the grader posts {POSTS} messages in batches of 100 command lines"));
    let texts: Vec<String> = (1..=POSTS).map(|i| format!("kept {i}")).collect();
    for batch in texts.chunks(100) {
        post_batch(&mut c, &t, batch)?;
    }
    c.send_line(&format!("HISTORY {t} 1"))?;
    let head = c.read_line()?;
    let n: u64 = match head.strip_prefix("OK ").and_then(|n| n.trim_end().parse().ok()) {
        Some(n) => n,
        None => return Err(c.wrong_line("OK <n>", &head).with_hint(HISTORY_HINT)),
    };
    if !(1000..=POSTS).contains(&n) {
        return Err(Failure::mismatch(format!("HISTORY {t} 1 answered OK {n} after {POSTS} posts"))
            .expected(format!("OK n with 1000 <= n <= {POSTS}"))
            .got(head)
            .with_hint("keep at least the last 1000 posts of every topic (a VecDeque: push at the back, pop at the front past the limit)"));
    }
    let first = POSTS - n + 1;
    for seq in first..=POSTS {
        let want = format!("{seq} kept {seq}");
        let got = c.read_line()?;
        if got.trim_end() != want {
            return Err(c
                .wrong_line(&want, &got)
                .detail(format!("HISTORY {t} 1 answered OK {n}: the last {n} posts, oldest first"))
                .with_hint(HISTORY_HINT));
        }
    }
    Ok(())
}

fn bonus_sub_recovers(h: &mut Harness) -> CheckResult {
    let t = topic(h);
    let texts: Vec<String> = messages(h, 6);
    let mc = h.multicast(GraderChosen)?;
    let board = ScriptedBoard::start(&mc, h)?;
    let ch = board.add_topic(&t)?;
    let sub = Subscriber::start(h, board.port(), &t, ch, "subscriber")?;
    board.post(&t, &texts[0])?;
    board.post(&t, &texts[1])?;
    board.post_lost(&t, &texts[2])?;
    board.post_lost(&t, &texts[3])?;
    board.post(&t, &texts[4])?;
    board.post(&t, &texts[5])?;
    let expected: Vec<String> = texts.iter().map(|m| printed(&t, m)).collect();
    let hint = "on a gap, ask the server  HISTORY <topic> <first missed seq>  (a new connection will do), print the missed posts, then the one that arrived: in seq order, each once";
    expect_messages(&sub, &expected, true, hint)?;
    let asked = board.requests().iter().any(|r| r.starts_with(&format!("HISTORY {t} ")));
    if !asked {
        return Err(Failure::mismatch("board-sub printed the missed posts without asking HISTORY").with_hint(hint));
    }
    Ok(())
}

fn bonus_system_recovers(h: &mut Harness) -> CheckResult {
    const POSTS: usize = 1000;
    const MORE: usize = 20;
    let t = topic(h);
    let mc = h.multicast(Alone)?;
    let (mut server, _) = start_server(h, &mc)?;
    let mut c = server.connect()?;
    let ch = ask_channel(&mut c, "CREATE", &t)?;
    let mut sub = Subscriber::start(h, server.port(), &t, ch, "subscriber")?;
    // Long messages fill the stalled subscriber's socket buffer after a few hundred:
    // the rest are dropped by its kernel, a real loss.
    let pad = "x".repeat(300);
    let texts: Vec<String> = (1..=POSTS + MORE).map(|i| format!("post {i} {pad}")).collect();
    let expected: Vec<String> = texts.iter().map(|m| printed(&t, m)).collect();
    post_batch(&mut c, &t, &texts[..1])?;
    sub.wait_line(&expected[0], deadline(h));
    h.note("the grader stops the subscriber (SIGSTOP): its socket buffer fills and drops datagrams");
    sub.pause();
    for batch in texts[1..POSTS].chunks(100) {
        post_batch(&mut c, &t, batch)?;
    }
    h.note("the grader lets the subscriber run again (SIGCONT) and goes on posting, one at a time, until the subscriber prints the latest post");
    sub.resume();
    // A gap shows only when a later post arrives, and the first ones may still meet a
    // full buffer: post one more at a time, as a live board would, until one gets
    // through (at most MORE; the server keeps 1000, enough for all of them).
    let mut posted = POSTS;
    while posted < POSTS + MORE {
        post_batch(&mut c, &t, &texts[posted..posted + 1])?;
        posted += 1;
        if sub.wait_line(&expected[posted - 1], Instant::now() + Duration::from_millis(500)) {
            break;
        }
    }
    sub.wait_messages(posted, deadline(h));
    sub.wait_messages(posted + 1, Instant::now() + QUIET);
    let got = sub.messages();
    let expected = &expected[..posted];
    if got == expected {
        return Ok(());
    }
    let lost = missing(expected, &got);
    Err(Failure::mismatch(format!("board-sub printed {} lines for {posted} posts; missing: {}", got.len(), if lost.is_empty() { "none (out of order or twice)".into() } else { numbers(&lost) }))
        .expected(format!("every post, [{t}] post 1 ... to [{t}] post {posted} ..., in order"))
        .got(format!("{} lines", got.len()))
        .with_hint("when a datagram arrives with a seq past the one you expect, fetch the missed posts with HISTORY and print them first; ignore datagrams you already printed"))
}
