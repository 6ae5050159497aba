//! Lab calc: docs/labs/calc.md (seed 001, Assignment 3 item 3: "simple TCP/UDP
//! calculate servers that accept simple arithmetic computing requests such as + 4 5").
//!
//! calc-server answers `<op> <a> <b>` with the result or `ERR <reason>`: over TCP one
//! request per line, many per connection, many connections at once; with `--udp` one
//! request per datagram, one reply datagram to its sender. calc-client sends each
//! request (arguments, or stdin's lines) and prints each reply; over UDP it waits 1 s
//! and sends again, up to 3 times. calc-gui is assessed by hand (the handout says how):
//! these checks cover the server and the command-line client.

use std::time::{Duration, Instant};

use crate::model::{Check, Lab, Role};
use harness::conn::Conn;
use harness::fragment::Fragments;
use harness::outcome::{CheckResult, Failure, FailureKind::*, Hint};
use harness::transcript::escape;
use harness::udp::{self, Datagram, ScriptedUdpServer, UdpConn};
use harness::{Client, Harness, ScriptedServer};

pub const LAB: Lab = Lab {
    home: None,
    mutants: &[],
    name: "calc",
    title: "Calculate servers over TCP and UDP, and their clients (Assignment 3)",
    roles: &[Role::server("calc-server", 50007), Role::client("calc-client", 50007)],
    checks: &[
        check("tcp-operators", "calc-server computes + - * / % ^ on integers, replying integers", 2, tcp_operators)
            .starts(&["calc-server"]),
        check("tcp-decimals", "calc-server computes with decimals and replies decimals: / 7 2 is 3.5", 2, tcp_decimals)
            .starts(&["calc-server"]),
        check("tcp-negatives", "calc-server takes and gives negative numbers: + -4 -5 is -9", 1, tcp_negatives)
            .starts(&["calc-server"]),
        check(
            "tcp-whole-numbers",
            "calc-server replies a whole result below 2^53 as an integer: + 0.5 0.5 is 1, not 1.0",
            2,
            tcp_whole_numbers,
        )
        .starts(&["calc-server"]),
        check(
            "tcp-divide-by-zero",
            "calc-server answers ERR to a division by zero and keeps serving",
            2,
            tcp_divide_by_zero,
        )
        .starts(&["calc-server"]),
        check(
            "tcp-remainder-by-zero",
            "calc-server answers ERR to a remainder by zero and keeps serving",
            1,
            tcp_remainder_by_zero,
        )
        .starts(&["calc-server"]),
        check(
            "tcp-unknown-operator",
            "calc-server answers ERR to an operator that is not + - * / % ^",
            1,
            tcp_unknown_operator,
        )
        .starts(&["calc-server"]),
        check("tcp-not-a-number", "calc-server answers ERR to an operand that is not a number", 1, tcp_not_a_number)
            .starts(&["calc-server"]),
        check("tcp-operand-count", "calc-server answers ERR to too few or too many operands", 1, tcp_operand_count)
            .starts(&["calc-server"]),
        check("tcp-many-requests", "calc-server answers 50 requests on one connection", 2, tcp_many_requests)
            .starts(&["calc-server"]),
        check("tcp-pipelined", "calc-server answers requests that arrive in one write, in order", 2, tcp_pipelined)
            .starts(&["calc-server"]),
        check(
            "tcp-split-request",
            "calc-server waits for the newline of a request split across writes",
            2,
            tcp_split_request,
        )
        .starts(&["calc-server"]),
        check("tcp-crlf", "calc-server accepts lines ending in \\r\\n", 1, tcp_crlf).starts(&["calc-server"]),
        check("tcp-concurrent", "calc-server serves 20 connections at once", 2, tcp_concurrent)
            .starts(&["calc-server"]),
        check(
            "tcp-garbage",
            "calc-server answers garbage bytes with ERR (or a closed connection) and lives on",
            1,
            tcp_garbage,
        )
        .starts(&["calc-server"]),
        check(
            "tcp-long-line",
            "calc-server answers a 1 MiB line with ERR (or a closed connection) and lives on",
            1,
            tcp_long_line,
        )
        .starts(&["calc-server"]),
        check("udp-answers", "calc-server --udp answers each request datagram with one datagram", 2, udp_answers),
        check("udp-errors", "calc-server --udp answers ERR to bad requests and keeps serving", 2, udp_errors),
        check("udp-newline", "calc-server --udp takes requests with or without a trailing \\n", 1, udp_newline),
        check("udp-empty", "calc-server --udp answers an empty datagram with ERR", 1, udp_empty),
        check(
            "udp-oversized",
            "calc-server --udp answers an oversized datagram with ERR, never a result from a piece of it",
            1,
            udp_oversized,
        ),
        check(
            "udp-each-sender",
            "calc-server --udp replies to each of 5 client sockets at its own address, 300 requests",
            2,
            udp_each_sender,
        ),
        check("client-requests", "calc-client sends each REQUEST and prints each reply", 2, client_requests),
        check("client-stdin", "calc-client with no REQUEST sends each line of stdin", 2, client_stdin),
        check("client-err-reply", "calc-client prints an ERR reply as it is", 1, client_err_reply),
        check(
            "client-no-server",
            "calc-client exits 1 with one clear line when no server is there",
            1,
            client_no_server,
        ),
        check(
            "client-udp-requests",
            "calc-client --udp sends each request as one datagram and prints each reply",
            2,
            client_udp_requests,
        ),
        check(
            "client-udp-retry",
            "calc-client --udp sends a request again when its datagram is lost",
            2,
            client_udp_retry,
        )
        .waits_secs(1),
        check(
            "client-udp-gives-up",
            "calc-client --udp tries at most 4 times, about 1 s apart, then exits 1 with one line",
            2,
            client_udp_gives_up,
        )
        .waits_secs(4),
        check(
            "client-udp-no-server",
            "calc-client --udp exits 1 with one clear line when no server is there",
            1,
            client_udp_no_server,
        ),
    ],
};

const fn check(slug: &'static str, name: &'static str, points: u32, run: fn(&mut Harness) -> CheckResult) -> Check {
    Check { slug, name, points, run: crate::model::Run::Native(run), after: &[], starts: &[], waits: Duration::ZERO }
}

// ---- What a reply must be ----------------------------------------------------------

/// What calc-server must reply to one request.
#[derive(Clone, Copy, Debug)]
enum Want {
    /// Exactly this integer: a whole result below 2^53.
    Int(i64),
    /// A decimal within 1e-9 (relative) of this.
    Dec(f64),
    /// `ERR <reason>`.
    Err,
}

impl Want {
    /// Whether a reply line (or datagram), without its newline, is this.
    fn matches(self, reply: &str) -> bool {
        match self {
            Want::Int(n) => reply == n.to_string(),
            Want::Dec(x) => reply.parse::<f64>().is_ok_and(|y| (x - y).abs() <= 1e-9 * x.abs().max(1.0)),
            Want::Err => reply.strip_prefix("ERR").is_some_and(|reason| {
                reason.starts_with([' ', ':']) && !reason.trim_start_matches([' ', ':']).is_empty()
            }),
        }
    }

    fn describe(self) -> String {
        match self {
            Want::Int(n) => n.to_string(),
            Want::Dec(x) => format!("{x} (any decimal within 1e-9 of it)"),
            Want::Err => "ERR <reason>".to_string(),
        }
    }

    /// A hint that fits this reply better than any the check has: the right number,
    /// written as a float; or the right decimal, rounded to a few places.
    fn hint(self, reply: &str) -> Option<&'static str> {
        match self {
            Want::Int(n) if reply.parse::<f64>().is_ok_and(|x| x == n as f64) => Some(WHOLE),
            Want::Dec(x) if reply.parse::<f64>().is_ok_and(|y| (x - y).abs() <= 0.05 * x.abs()) => Some(ROUNDED),
            _ => None,
        }
    }
}

const WHOLE: &str =
    "a whole result below 2^53 is written as an integer: 9, not 9.0 or 9e0 (if x.fract() == 0.0, print it as an i64)";

const ROUNDED: &str = "write a decimal result with all its digits (Python's repr(), Rust's {}), not rounded to a few places (%.2f): it is checked to 1e-9";

const DECIMALS: &str = "operands may be decimals (1.5) or negative (-4): parse them as 64-bit floats, not as integers";

const ARITHMETIC: &str =
    "compute <a> <op> <b> in 64-bit floats: / is true division (7 / 2 is 3.5), % the remainder, ^ a power (2 ^ 10 is 1024)";

const KEEP_SERVING: &str =
    "after an ERR reply the connection goes on: answer the error, then read the next request (never exit, never close)";

const OPEN: &str = "keep the connection open and answer every request line, an ERR too: read requests in a loop until the client closes, and never exit or close because of one request";

const NEWLINE: &str =
    "end every reply with \\n, and answer each request line as soon as it is complete: the client reads up to the newline";

/// Sends one request line and checks the reply line.
fn ask(c: &mut Conn, request: &str, want: Want) -> CheckResult {
    c.send_line(request).hint_on(Refused, OPEN)?;
    expect_reply(c, want)
}

fn expect_reply(c: &mut Conn, want: Want) -> CheckResult {
    // Silence or a closed connection after a bad request is that request's fault: the
    // check's own hint says why. After a good one, the usual suspects.
    let got = match want {
        Want::Err => c.read_line()?,
        _ => c.read_line().hint_on(Timeout, NEWLINE).hint_on(Closed, OPEN).hint_on(Refused, OPEN)?,
    };
    check_reply(c, want, &got)
}

/// Compares a reply line with what it must be; the check adds its hint.
fn check_reply(c: &Conn, want: Want, got: &str) -> CheckResult {
    let reply = got.trim();
    if want.matches(reply) {
        return Ok(());
    }
    let failure = c.wrong_line(&want.describe(), got);
    Err(match want.hint(reply) {
        Some(hint) => failure.with_hint(hint),
        None => failure,
    })
}

/// One request on a new connection to a running server, after a check's main part:
/// proves the server still serves.
fn still_serves(server: &mut harness::Server, when: &str) -> CheckResult {
    server.expect_alive(when).hint("a server never exits because of one client: catch the error, reply ERR")?;
    let mut c = server.connect()?;
    ask(&mut c, "+ 2 3", Want::Int(5)).hint("a server never stops serving because of one client")
}

// ---- TCP ---------------------------------------------------------------------------

fn tcp_operators(h: &mut Harness) -> CheckResult {
    let (a, b) = (h.rng().i64(10..100), h.rng().i64(2..10));
    let k = h.rng().i64(2..20);
    let mut server = h.server("calc-server").start()?;
    let mut c = server.connect()?;
    ask(&mut c, "+ 4 5", Want::Int(9))
        .hint_on(Closed, "read the request line, write the result and \\n, and keep the connection open")?;
    ask(&mut c, &format!("+ {a} {b}"), Want::Int(a + b)).hint(ARITHMETIC)?;
    ask(&mut c, &format!("- {a} {b}"), Want::Int(a - b)).hint(ARITHMETIC)?;
    ask(&mut c, &format!("* {a} {b}"), Want::Int(a * b)).hint(ARITHMETIC)?;
    ask(&mut c, &format!("/ {} {b}", b * k), Want::Int(k)).hint(ARITHMETIC)?;
    ask(&mut c, &format!("% {a} {b}"), Want::Int(a % b)).hint(ARITHMETIC)?;
    ask(&mut c, &format!("^ {b} 3"), Want::Int(b * b * b)).hint("^ is a power: ^ 2 3 is 8")
}

fn tcp_decimals(h: &mut Harness) -> CheckResult {
    let mut server = h.server("calc-server").start()?;
    let mut c = server.connect()?;
    let hint = "/ is true division, not integer division: / 7 2 is 3.5 (Python's // and Rust's integer / floor it)";
    ask(&mut c, "/ 7 2", Want::Dec(3.5)).hint(hint)?;
    ask(&mut c, "/ 1 3", Want::Dec(1.0 / 3.0)).hint(hint)?;
    ask(&mut c, "* 1.5 1.5", Want::Dec(2.25)).hint(DECIMALS)?;
    ask(&mut c, "+ 0.1 0.2", Want::Dec(0.3)).hint(ARITHMETIC)?;
    ask(&mut c, "% 7.5 2", Want::Dec(1.5)).hint(ARITHMETIC)?;
    ask(&mut c, "^ 2 0.5", Want::Dec(std::f64::consts::SQRT_2))
        .hint("^ takes any exponent: ^ 2 0.5 is the square root of 2")
}

fn tcp_negatives(h: &mut Harness) -> CheckResult {
    let mut server = h.server("calc-server").start()?;
    let mut c = server.connect()?;
    let hint = "a number may be negative: -4 is one token, a number, not the operator -";
    ask(&mut c, "- 3 10", Want::Int(-7)).hint(ARITHMETIC)?;
    ask(&mut c, "+ -4 -5", Want::Int(-9)).hint(hint)?;
    ask(&mut c, "* -3 4", Want::Int(-12)).hint(hint)?;
    ask(&mut c, "/ -9 2", Want::Dec(-4.5)).hint(hint)?;
    ask(&mut c, "^ 2 -1", Want::Dec(0.5)).hint("a negative exponent is fine: ^ 2 -1 is 0.5")?;
    ask(&mut c, "^ -2 3", Want::Int(-8)).hint(hint)
}

fn tcp_whole_numbers(h: &mut Harness) -> CheckResult {
    let mut server = h.server("calc-server").start()?;
    let mut c = server.connect()?;
    ask(&mut c, "+ 0.5 0.5", Want::Int(1)).hint(DECIMALS)?;
    ask(&mut c, "/ 9 3", Want::Int(3)).hint(ARITHMETIC)?;
    ask(&mut c, "* 2.5 4", Want::Int(10)).hint(DECIMALS)?;
    ask(&mut c, "^ 4 0.5", Want::Int(2)).hint(DECIMALS)?;
    // Below 2^53 every integer is exact in a float, so it must come back exact.
    ask(&mut c, "+ 4503599627370496 1", Want::Int(4_503_599_627_370_497))
        .hint("an integer below 2^53 is exact in a 64-bit float: print all its digits, as an integer, not 4.5e15")?;
    // At 2^53 and above a float skips integers: any decimal within 1e-9 will do.
    ask(&mut c, "^ 2 60", Want::Dec(2f64.powi(60)))
        .hint("2^60 is past 2^53: any decimal within 1e-9 of it will do, as an integer or not")
}

/// A request that must get `ERR`, then a good one on the same connection: the server
/// answers the error and goes on. `hint` is for the bad request, whatever went wrong
/// with it (a wrong reply, a closed connection, a crash).
fn bad_request(c: &mut Conn, request: &str, hint: &str) -> CheckResult {
    ask(c, request, Want::Err).hint(hint)?;
    let (a, b) = (request.len() as i64, 1);
    ask(c, &format!("+ {a} {b}"), Want::Int(a + b)).hint(KEEP_SERVING)
}

fn tcp_divide_by_zero(h: &mut Harness) -> CheckResult {
    let a = h.rng().i64(1..100);
    let mut server = h.server("calc-server").start()?;
    let mut c = server.connect()?;
    let hint = "check the divisor before dividing: reply  ERR division by zero  instead of crashing or printing inf";
    bad_request(&mut c, &format!("/ {a} 0"), hint)?;
    bad_request(&mut c, "/ 0 0", "0 / 0 is no number either: ERR division by zero")?;
    drop(c); // concurrency is tcp-concurrent's business: one client at a time here
    still_serves(&mut server, "after a division by zero")
}

fn tcp_remainder_by_zero(h: &mut Harness) -> CheckResult {
    let a = h.rng().i64(1..100);
    let mut server = h.server("calc-server").start()?;
    let mut c = server.connect()?;
    let hint =
        "% by zero is an error too (Python raises ZeroDivisionError, Rust gives NaN): reply  ERR remainder by zero";
    bad_request(&mut c, &format!("% {a} 0"), hint)?;
    drop(c); // concurrency is tcp-concurrent's business: one client at a time here
    still_serves(&mut server, "after a remainder by zero")
}

fn tcp_unknown_operator(h: &mut Harness) -> CheckResult {
    let mut server = h.server("calc-server").start()?;
    let mut c = server.connect()?;
    let hint = "the operator is one of + - * / % ^; anything else gets  ERR unknown operator";
    bad_request(&mut c, "& 4 5", hint)?;
    bad_request(&mut c, "4 + 5", "the operator comes first (+ 4 5): in 4 + 5 the operator would be 4, unknown")?;
    drop(c); // concurrency is tcp-concurrent's business: one client at a time here
    still_serves(&mut server, "after an unknown operator")
}

fn tcp_not_a_number(h: &mut Harness) -> CheckResult {
    let mut server = h.server("calc-server").start()?;
    let mut c = server.connect()?;
    let hint = "an operand that does not parse as a number gets  ERR not a number: <token>  (no crash, no 0)";
    bad_request(&mut c, "+ four 5", hint)?;
    bad_request(&mut c, "* 3 x", hint)?;
    bad_request(
        &mut c,
        "- 5abc 1",
        "5abc starts with a number but is not one: the whole token must parse (C's strtod() and JavaScript's parseFloat() stop at the first letter: check that nothing is left)",
    )?;
    drop(c); // concurrency is tcp-concurrent's business: one client at a time here
    still_serves(&mut server, "after a request with a non-number")
}

fn tcp_operand_count(h: &mut Harness) -> CheckResult {
    let mut server = h.server("calc-server").start()?;
    let mut c = server.connect()?;
    bad_request(&mut c, "+ 4", "+ 4 has one operand: ERR too few operands")?;
    bad_request(&mut c, "*", "an operator alone is no request: ERR too few operands")?;
    let hint = "a request has exactly two operands: + 4 5 6 gets ERR too many operands, not 9 or 15";
    bad_request(&mut c, "+ 4 5 6", hint)?;
    drop(c); // concurrency is tcp-concurrent's business: one client at a time here
    still_serves(&mut server, "after requests with the wrong number of operands")
}

fn tcp_many_requests(h: &mut Harness) -> CheckResult {
    let mut server = h.server("calc-server").start()?;
    let mut c = server.connect()?;
    for _ in 0..50 {
        let (a, b) = (h.rng().i64(0..1000), h.rng().i64(1..1000));
        let (op, want) = match h.rng().usize(0..3) {
            0 => ("+", a + b),
            1 => ("-", a - b),
            _ => ("*", a * b),
        };
        c.send_line(&format!("{op} {a} {b}")).hint_on(Refused, MANY)?;
        let got = c.read_line().hint_on(Closed, MANY).hint_on(Refused, MANY).hint_on(Timeout, NEWLINE)?;
        check_reply(&c, Want::Int(want), &got).hint(ARITHMETIC)?;
    }
    Ok(())
}

const MANY: &str = "keep reading requests on a connection until the client closes it, and make room in your buffer: drop each answered line (a fixed buffer that is never emptied fills up, and a read into no room returns 0, as if the client had closed)";

fn tcp_pipelined(h: &mut Harness) -> CheckResult {
    let mut server = h.server("calc-server").start()?;
    let mut c = server.connect()?;
    c.send_together(&["+ 1 2\n", "* 3 4\n", "^ 2 5\n", "- 1 9\n"], &Fragments::whole())?;
    let hint = "TCP is a byte stream: one read() may hold several lines. Read line by line (Rust: a BufReader; Python: sock.makefile() and readline()), not one request per read()";
    for want in [Want::Int(3), Want::Int(12), Want::Int(32), Want::Int(-8)] {
        // A server that answers one line per read leaves the rest unanswered: silence.
        let got = c.read_line().hint_on(Closed, OPEN).hint_on(Refused, OPEN).hint(hint)?;
        check_reply(&c, want, &got).hint(hint)?;
    }
    Ok(())
}

fn tcp_split_request(h: &mut Harness) -> CheckResult {
    let mut server = h.server("calc-server").start()?;
    let mut c = server.connect()?;
    let hint = "a request may arrive in pieces: keep reading until the newline, then compute the whole line";
    // The pauses make the server read the pieces separately: the pacing of bytes this
    // check is about, not a wait for the program.
    c.send_fragments("+ 123 4\n", &Fragments::at([4]).with_gap(Duration::from_millis(50))).hint(OPEN)?;
    expect_reply(&mut c, Want::Int(127)).hint(hint)?;
    c.send_fragments("* 6 7\n", &Fragments::every(1).with_gap(Duration::from_millis(10))).hint(OPEN)?;
    expect_reply(&mut c, Want::Int(42)).hint(hint)
}

fn tcp_crlf(h: &mut Harness) -> CheckResult {
    let mut server = h.server("calc-server").start()?;
    let mut c = server.connect()?;
    c.send("* 6 7\r\n")?;
    let crlf = "lines may end in \\r\\n (telnet, Windows): strip the \\r too";
    expect_reply(&mut c, Want::Int(42)).map_err(|f| {
        if f.kind == Mismatch && f.hint.as_deref() != Some(WHOLE) {
            f.with_hint(crlf)
        } else {
            f
        }
    })
}

fn tcp_concurrent(h: &mut Harness) -> CheckResult {
    let mut server = h.server("calc-server").start()?;
    let mut crowd = server.crowd(20)?;
    h.note("each client sends + <its number> 1000, and all wait for their replies at the same time");
    let round = crowd.round(|i, c| {
        c.send_line(&format!("+ {i} 1000"))?;
        let got = c.read_line()?;
        check_reply(c, Want::Int(i as i64 + 1000), &got)
    });
    if let Some((i, failure)) = round.failures.into_iter().next() {
        let hint = "serve every connection in a thread of its own (or with non-blocking I/O): an iterative server answers one client and leaves the other 19 waiting";
        return Err(failure.detail(format!("client {} of 20 was not answered", i + 1))).hint(hint);
    }
    Ok(())
}

fn tcp_garbage(h: &mut Harness) -> CheckResult {
    let mut server = h.server("calc-server").start()?;
    let mut c = server.connect()?;
    h.note("a line of bytes that are not UTF-8 text: an ERR reply or a closed connection are both fine");
    c.send(b"\x00\xff\xfe garbage \x07\x1b[2J \xc3\x28\n")?;
    match c.read_line() {
        Ok(line) if Want::Err.matches(line.trim()) => {}
        Ok(line) => {
            return Err(c.wrong_line("ERR <reason> (or the connection closed)", &line).with_hint(
                "bytes that are not a request (not even UTF-8) get an ERR reply: decode with error handling",
            ))
        }
        Err(f) if matches!(f.kind, Closed | Refused) => h.note("the server closed that connection: fine"),
        Err(f) => return Err(f).hint("answer every line, even garbage: ERR, or close the connection"),
    }
    drop(c);
    still_serves(&mut server, "after a line of garbage bytes")
        .hint("decoding bytes that are not UTF-8 fails: catch it (or use a lossy decode) and reply ERR")
}

fn tcp_long_line(h: &mut Harness) -> CheckResult {
    let mut server = h.server("calc-server").start()?;
    let mut c = server.connect()?;
    h.note("a request line of 1 MiB, + 1 2 and then 3 3 3 ...: an ERR reply or a closed connection are both fine");
    // Many short tokens, not one long one: a server without a line limit answers
    // "too many operands", not an error that quotes a 1 MiB token back.
    let mut line = b"+ 1 2".to_vec();
    line.extend(b" 3".repeat(1 << 19));
    line.push(b'\n');
    // A server that stops reading and closes while the grader still writes makes the
    // write fail: that is the closed connection the contract allows.
    let sent = c.send(&line);
    let answered = match sent {
        Err(f) if matches!(f.kind, Closed | Refused) => Err(f),
        Err(f) => return Err(f).hint("read the line (or give up on it and close): never stop reading and wait"),
        Ok(()) => c.read_line(),
    };
    match answered {
        Ok(reply) if Want::Err.matches(reply.trim()) => {}
        Ok(reply) => {
            return Err(c
                .wrong_line("ERR <reason> (or the connection closed)", &reply)
                .with_hint("a 1 MiB line is no request: reply ERR (ERR request too long, or not a number)"))
        }
        Err(f) if matches!(f.kind, Closed | Refused) => h.note("the server closed that connection: fine"),
        Err(f) => {
            return Err(f).hint(
                "bound the line you read (Rust: Read::take; Python: readline(limit)): answer ERR request too long, then skip to the newline or close",
            )
        }
    }
    drop(c);
    still_serves(&mut server, "after a 1 MiB line")
        .hint("a huge line must not kill the server: bound what you buffer, reply ERR, and go on")
}

// ---- UDP ---------------------------------------------------------------------------

/// Sends one request datagram and checks the reply datagram (a trailing `\n` on the
/// reply is allowed: a datagram needs no terminator, but may have one).
fn ask_udp(s: &mut UdpConn, request: &[u8], want: Want) -> CheckResult {
    s.send(request)?;
    let got = s.recv()?;
    let text = String::from_utf8_lossy(&got);
    let reply = text.trim_end_matches(['\r', '\n']);
    if want.matches(reply.trim()) {
        return Ok(());
    }
    let failure = Failure::mismatch("calc-server sent a wrong reply")
        .sent(format!("one datagram: {}", escape(request)))
        .expected(format!("one datagram: {}", want.describe()))
        .got(format!("one datagram: {}", escape(&got)));
    Err(match want.hint(reply) {
        Some(hint) => failure.with_hint(hint),
        None => failure,
    })
}

fn udp_answers(h: &mut Harness) -> CheckResult {
    let (a, b) = (h.rng().i64(10..1000), h.rng().i64(10..1000));
    let mut server = h.server("calc-server").args(["--udp"]).start_udp()?;
    let mut s = server.socket()?;
    let first = format!("+ {a} {b}");
    ask_udp(&mut s, first.as_bytes(), Want::Int(a + b)).hint(UDP_REPLY)?;
    for (request, want, hint) in [
        ("/ 7 2", Want::Dec(3.5), ARITHMETIC),
        ("^ 2 10", Want::Int(1024), ARITHMETIC),
        ("% 17 5", Want::Int(2), ARITHMETIC),
        ("* 1.5 1.5", Want::Dec(2.25), DECIMALS),
        ("+ 0.5 0.5", Want::Int(1), DECIMALS),
        ("- 3 10", Want::Int(-7), ARITHMETIC),
    ] {
        ask_udp(&mut s, request.as_bytes(), want).hint(hint)?;
    }
    // A correct server is silent here: this window only catches a second reply.
    s.expect_quiet(Duration::from_millis(100), "more than once for one request")
        .hint("send exactly one datagram for each request datagram")
}

const UDP_REPLY: &str =
    "answer every datagram with one datagram: recvfrom(), compute, sendto() the address it came from";

fn udp_errors(h: &mut Harness) -> CheckResult {
    let mut server = h.server("calc-server").args(["--udp"]).start_udp()?;
    let mut s = server.socket()?;
    for (request, hint) in [
        ("/ 5 0", "check the divisor: ERR division by zero, and the server goes on"),
        ("% 5 0", "% by zero is an error too: ERR remainder by zero"),
        ("& 4 5", "the operator is one of + - * / % ^: ERR unknown operator"),
        ("+ four 5", "ERR not a number: four"),
        ("+ 4", "two operands: ERR too few operands"),
        ("+ 4 5 6", "two operands: ERR too many operands"),
    ] {
        let silent = format!(
            "{hint}. Reply ERR to every bad request: silence leaves the client waiting for a datagram that never comes"
        );
        ask_udp(&mut s, request.as_bytes(), Want::Err).hint_on(Timeout, &silent).hint(hint)?;
    }
    ask_udp(&mut s, b"+ 1 1", Want::Int(2)).hint("after an ERR reply, go back to recvfrom() for the next request")?;
    server.expect_alive("after six bad requests")
}

fn udp_newline(h: &mut Harness) -> CheckResult {
    let mut server = h.server("calc-server").args(["--udp"]).start_udp()?;
    let mut s = server.socket()?;
    let hint = "a datagram is a whole request with or without a trailing \\n: strip whitespace around it";
    ask_udp(&mut s, b"+ 4 5\n", Want::Int(9)).hint(hint)?;
    ask_udp(&mut s, b"* 6 7", Want::Int(42)).hint(hint)?;
    ask_udp(&mut s, b"- 10 4\n", Want::Int(6)).hint(hint)
}

fn udp_empty(h: &mut Harness) -> CheckResult {
    let mut server = h.server("calc-server").args(["--udp"]).start_udp()?;
    let mut s = server.socket()?;
    ask_udp(&mut s, b"", Want::Err).hint(
        "an empty datagram is a datagram: recvfrom() returns 0 bytes (not the end of anything), and it gets ERR empty request",
    )?;
    ask_udp(&mut s, b"+ 1 2", Want::Int(3)).hint("after an empty datagram, go on serving")
}

fn udp_oversized(h: &mut Harness) -> CheckResult {
    let mut server = h.server("calc-server").args(["--udp"]).start_udp()?;
    let mut s = server.socket()?;
    // `+ 1 2`, 60,000 spaces, `3`: as a whole it has three operands (ERR); cut to the
    // first 1024 or 8192 bytes by a small receive buffer it reads as + 1 2 (3). So an
    // ERR reply is right whatever size limit the server has, and 3 means it computed on
    // a piece of the datagram.
    let mut request = b"+ 1 2".to_vec();
    request.extend(std::iter::repeat_n(b' ', 60_000));
    request.push(b'3');
    h.note(format!("one datagram of {} bytes: + 1 2, 60000 spaces, 3", request.len()));
    ask_udp(&mut s, &request, Want::Err).hint(
        "recvfrom(n) cuts a longer datagram to n bytes without telling: receive into a buffer one byte longer than the longest request you accept, and reply ERR when it fills up",
    )?;
    ask_udp(&mut s, b"+ 1 2", Want::Int(3)).hint("after an oversized datagram, go on serving")
}

fn udp_each_sender(h: &mut Harness) -> CheckResult {
    let mut server = h.server("calc-server").args(["--udp"]).start_udp()?;
    let mut sockets: Vec<UdpConn> = (0..5).map(|_| server.socket()).collect::<Result<_, _>>()?;
    h.note(
        "60 rounds: in each, the 5 clients send a request each, in a shuffled order, then each waits for its own reply",
    );
    let hint = "send each reply to the address recvfrom() returned with that request: every datagram carries its own sender, and many clients share one server socket";
    for round in 0..60i64 {
        let mut order: Vec<usize> = (0..sockets.len()).collect();
        h.rng().shuffle(&mut order);
        for &i in &order {
            sockets[i].send(format!("+ {round} {}", 1000 * (i as i64 + 1)))?;
        }
        for &i in &order {
            let want = Want::Int(round + 1000 * (i as i64 + 1));
            let got = match sockets[i].recv() {
                Ok(got) => got,
                Err(f) if f.kind == Timeout => return Err(lost_reply(&mut sockets, i, round, f)).hint(hint),
                Err(f) => return Err(f).hint(hint),
            };
            let text = String::from_utf8_lossy(&got);
            let reply = text.trim_end_matches(['\r', '\n']).trim();
            if want.matches(reply) {
                continue;
            }
            let owner = (0..sockets.len()).find(|&j| Want::Int(round + 1000 * (j as i64 + 1)).matches(reply));
            let failure = match owner {
                Some(j) => Failure::mismatch(format!("client {} got client {}'s reply", i + 1, j + 1)).with_hint(hint),
                None => Failure::mismatch(format!("client {} got a wrong reply", i + 1))
                    .with_hint(want.hint(reply).unwrap_or(ARITHMETIC)),
            };
            return Err(failure
                .sent(format!("+ {round} {}", 1000 * (i as i64 + 1)))
                .expected(want.describe())
                .got(format!("one datagram: {}", escape(&got)))
                .detail(format!("in round {} of 60", round + 1)));
        }
    }
    Ok(())
}

/// Client `i` got no reply: says which other client got it, if one did.
fn lost_reply(sockets: &mut [UdpConn], i: usize, round: i64, failure: Failure) -> Failure {
    let failure = failure.detail(format!("in round {} of 60", round + 1));
    for (j, other) in sockets.iter_mut().enumerate().filter(|(j, _)| *j != i) {
        // Whatever is already queued for another client; a correct server sent nothing.
        if let Err(stray) = other.expect_quiet(Duration::from_millis(1), "to the wrong client") {
            return Failure::mismatch(format!("the reply to client {}'s request went to client {}", i + 1, j + 1))
                .expected(format!("a reply datagram to client {}", i + 1))
                .got(format!("{} at client {}", stray.got.unwrap_or_default(), j + 1))
                .detail(format!("in round {} of 60", round + 1));
        }
    }
    failure
}

// ---- The client over TCP -----------------------------------------------------------

/// Two requests are the same if they have the same tokens: the client sends what it
/// was given, spaces as it likes.
fn same_request(got: &str, expected: &str) -> bool {
    got.split_whitespace().eq(expected.split_whitespace())
}

fn wrong_request(got: &str, expected: &str, how: &str) -> Failure {
    Failure::mismatch("calc-client sent a wrong request")
        .expected(format!("{} ({how})", escape(expected.as_bytes())))
        .got(escape(got.as_bytes()))
}

/// Plays calc-server over TCP: reads each request in turn and answers it. The client
/// may send them all on one connection, or each on a new one.
fn play_tcp(scripted: &mut ScriptedServer, client: &Client, exchange: &[(&str, &str)]) -> CheckResult {
    let mut c = scripted.accept(client)?;
    for &(request, reply) in exchange {
        let line = match c.read_line() {
            Ok(line) => line,
            // A client that opens a connection per request closed the last one.
            Err(f) if f.kind == Closed => {
                c = scripted.accept(client)?;
                c.read_line()?
            }
            Err(f) => return Err(f).hint_on(Timeout, "end each request with \\n: the server reads up to the newline"),
        };
        if !same_request(&line, request) {
            return Err(wrong_request(&line, request, "each request as one line, in order"));
        }
        c.send_line(reply)?;
    }
    Ok(())
}

fn client_requests(h: &mut Harness) -> CheckResult {
    let (a, b) = (h.rng().i64(10..1000), h.rng().i64(10..1000));
    let first = format!("+ {a} {b}");
    let sum = (a + b).to_string();
    let exchange = [(first.as_str(), sum.as_str()), ("/ 7 2", "3.5"), ("^ 2 10", "1024")];
    let requests: Vec<&str> = exchange.iter().map(|(r, _)| *r).collect();
    let mut scripted = h.scripted_server()?;
    let client = h.client("calc-client").port(scripted.port()).args(requests).start()?;
    play_tcp(&mut scripted, &client, &exchange).hint("send each REQUEST argument as one line, in order")?;
    let run = client.finish()?;
    run.expect_success()?;
    run.expect_stdout(&[sum.clone(), "3.5".into(), "1024".into()])
        .hint("print each reply line as it is, one per line, in order: nothing before or after it")
}

fn client_stdin(h: &mut Harness) -> CheckResult {
    let exchange = [("- 3 10", "-7"), ("* 6 7", "42"), ("% 17 5", "2")];
    let stdin: String = exchange.iter().map(|(r, _)| format!("{r}\n")).collect();
    let mut scripted = h.scripted_server()?;
    h.note(format!("stdin: {}", escape(stdin.as_bytes())));
    let client = h.client("calc-client").port(scripted.port()).stdin(stdin).start()?;
    play_tcp(&mut scripted, &client, &exchange)
        .hint("with no REQUEST arguments, send each line of stdin as a request")?;
    let run = client.finish()?;
    run.expect_success()?;
    run.expect_stdout(&["-7".into(), "42".into(), "2".into()]).hint("print each reply line as it is, in order")
}

fn client_err_reply(h: &mut Harness) -> CheckResult {
    let mut scripted = h.scripted_server()?;
    let client = h.client("calc-client").port(scripted.port()).args(["/ 1 0"]).start()?;
    play_tcp(&mut scripted, &client, &[("/ 1 0", "ERR division by zero")])?;
    h.note("an ERR reply is a reply: the exit status is not judged here, the output is");
    let run = client.finish()?;
    run.expect_stdout(&["ERR division by zero".into()])
        .hint("print the server's ERR reply on stdout as it is: it is the answer to the request")
}

fn client_no_server(h: &mut Harness) -> CheckResult {
    let port = h.unused_port()?;
    h.note(format!("nothing listens on 127.0.0.1:{port}"));
    h.client("calc-client").port(port).args(["+ 4 5"]).run()?.expect_clean_failure()
}

// ---- The client over UDP -----------------------------------------------------------

const RETRY: &str = "UDP loses datagrams without telling anyone: wait for the reply with a timeout of --timeout seconds (1 s by default) and, when it expires, send the same request again (up to 3 times)";

fn expect_request(d: &Datagram, request: &str) -> CheckResult {
    let text = d.text();
    let got = text.strip_suffix('\n').unwrap_or(&text);
    if got == request || same_request(got, request) && !got.contains('\n') {
        return Ok(());
    }
    Err(Failure::mismatch("calc-client sent a wrong datagram")
        .expected(format!("one datagram: {} (a trailing \\n is allowed)", escape(request.as_bytes())))
        .got(format!("one datagram: {}", escape(&d.data)))
        .with_hint("send each request as one datagram holding just that request"))
}

/// The next datagram, skipping copies of the request answered last: a client whose
/// timeout expired just before the reply came may have sent it once more.
fn next_request(
    scripted: &mut ScriptedUdpServer,
    client: &Client,
    previous: Option<&str>,
) -> Result<Datagram, Failure> {
    loop {
        let d = scripted.recv(client)?;
        if previous.is_none_or(|p| expect_request(&d, p).is_err()) {
            return Ok(d);
        }
    }
}

/// Plays calc-server over UDP for `exchange`, losing the first datagram if `lose_first`.
fn play_udp(h: &mut Harness, exchange: &[(&str, &str)], lose_first: bool) -> CheckResult {
    let patience = h.timeouts().client_run;
    let mut scripted = h.scripted_udp_server()?;
    let mut args = vec!["--udp".to_string()];
    if lose_first {
        // The retry comes after the client's timeout: the contract's --timeout shortens it.
        args.extend(["--timeout".to_string(), udp::CLIENT_TIMEOUT.to_string()]);
    }
    args.extend(exchange.iter().map(|(r, _)| r.to_string()));
    let client = h.client("calc-client").port(scripted.port()).args(args).start()?;
    let mut previous = None;
    for (i, &(request, reply)) in exchange.iter().enumerate() {
        let mut d = next_request(&mut scripted, &client, previous)?;
        expect_request(&d, request)?;
        if i == 0 && lose_first {
            scripted.lose(&d);
            let lost_at = Instant::now();
            d = scripted
                .recv_within(&client, patience, &format!("{} again, after a timeout", escape(request.as_bytes())))
                .hint(RETRY)?;
            expect_request(&d, request).hint(RETRY)?;
            h.note(format!("it sent the request again after {:.1} s", lost_at.elapsed().as_secs_f32()));
        }
        scripted.reply(&d, reply)?;
        previous = Some(request);
    }
    let run = client.finish()?;
    run.expect_success()?;
    let expected: Vec<String> = exchange.iter().map(|(_, reply)| reply.to_string()).collect();
    run.expect_stdout(&expected).hint("print each reply once, as it is, one per line, in order")
}

fn client_udp_requests(h: &mut Harness) -> CheckResult {
    let (a, b) = (h.rng().i64(10..1000), h.rng().i64(10..1000));
    let (first, sum) = (format!("* {a} {b}"), (a * b).to_string());
    play_udp(h, &[(&first, &sum), ("/ 7 2", "3.5"), ("^ 2 -1", "0.5")], false)
}

fn client_udp_retry(h: &mut Harness) -> CheckResult {
    let (a, b) = (h.rng().i64(10..1000), h.rng().i64(10..1000));
    let (first, sum) = (format!("+ {a} {b}"), (a + b).to_string());
    play_udp(h, &[(&first, &sum), ("- 3 10", "-7")], true)
}

fn client_udp_gives_up(h: &mut Harness) -> CheckResult {
    let patience = h.timeouts().client_run;
    let mut scripted = h.scripted_udp_server()?;
    h.note("the grader receives every datagram and never replies: the network loses them all");
    let client = h
        .client("calc-client")
        .port(scripted.port())
        .args(["--udp", "--timeout", udp::CLIENT_TIMEOUT, "+ 4 5"])
        .start()?;
    let first = scripted.recv(&client)?;
    expect_request(&first, "+ 4 5")?;
    scripted.lose(&first);
    let mut times = vec![Instant::now()];
    loop {
        let left = patience.saturating_sub(times[0].elapsed());
        match scripted.recv_within(&client, left, "another try, or an exit") {
            Ok(d) => {
                scripted.lose(&d);
                times.push(Instant::now());
                if times.len() > 4 {
                    return Err(Failure::mismatch("calc-client tried more than 4 times")
                        .expected("the request sent at most 4 times: once, and again up to 3 times".to_string())
                        .got(format!("{} datagrams", times.len()))
                        .with_hint(
                            "count the tries: after the 4th timeout give up, print one line to stderr, exit 1",
                        ));
                }
            }
            // It exited: it gave up. How is judged below.
            Err(f) if f.kind == Exited => break,
            Err(f) => return Err(f).hint("give up after the last try: print one line to stderr and exit 1"),
        }
    }
    let run = client.finish()?;
    h.note(format!("it sent {} datagram(s) and gave up after {:.1} s", times.len(), times[0].elapsed().as_secs_f32()));
    // The mean gap, not the shortest: a grader slowed down by a busy machine may read
    // one datagram late, which shortens one gap but not the span of all of them.
    if times.len() > 1 {
        let span = times[times.len() - 1] - times[0];
        let gap = span / (times.len() as u32 - 1);
        if gap < udp::SHORTEST_GAP {
            return Err(Failure::mismatch(format!("calc-client sent the request again after {} ms", gap.as_millis()))
                .expected(format!(
                    "about {} s between tries (--timeout {0}; 1 s where --timeout is ignored): the time a reply gets to come",
                    udp::CLIENT_TIMEOUT
                ))
                .got(format!("{} tries within {:.2} s", times.len(), span.as_secs_f32()))
                .with_hint("wait --timeout seconds (1 s by default) for the reply, with a read timeout, before you send the request again"));
        }
    }
    run.expect_clean_failure()
}

fn client_udp_no_server(h: &mut Harness) -> CheckResult {
    let port = h.unused_port()?;
    h.note(format!("nothing is bound to UDP 127.0.0.1:{port}"));
    h.client("calc-client")
        .port(port)
        .args(["--udp", "--timeout", udp::CLIENT_TIMEOUT, "+ 4 5"])
        .run()
        .hint(RETRY)?
        .expect_clean_failure()
        .map_err(udp::explain_refused)
}
