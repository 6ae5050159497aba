//! Lab threaded: docs/labs/threaded.md (the lecture's multithreaded TCP server on port
//! 2004, and the iterative versus concurrent servers of the "Socket Programming" one).
//!
//! threaded-server replies `Server message: <data>` to every read, to many clients at
//! once. The checks climb a ladder of clients served at once (1, 8, 64, 256: each rung's
//! check climbs the rungs below it first, and says how high it got), then test the clients that trip up a server that
//! serves one at a time: one that says nothing, one that stops half way through a
//! message, and ones that vanish mid-conversation.

use std::time::Duration;

use crate::conn::Conn;
use crate::harness::{Harness, Server};
use crate::outcome::{CheckResult, Failure, FailureKind, FailureKind::*, Hint};
use crate::registry::{Check, Lab, Role};
use crate::transcript::escape;

pub const LAB: Lab = Lab {
    home: None,
    mutants: &[],
    name: "threaded",
    title: "A multithreaded server (many clients at once)",
    roles: &[Role::server("threaded-server", 2004)],
    checks: &[
        check("server-replies", "threaded-server replies Server message: <data> to a message", 2, server_replies, &[]),
        check("server-any-text", "threaded-server sends any text back byte for byte: UTF-8", 1, server_any_text, &[]),
        check("clients-1", "threaded-server serves 1 client, several round trips", 1, clients_1, &[]),
        check("clients-8", "threaded-server serves 8 clients at once", 2, clients_8, &[]),
        check("clients-64", "threaded-server serves 64 clients at once", 2, clients_64, &[]),
        check("clients-256", "threaded-server serves 256 clients at once", 2, clients_256, &[]),
        check(
            "silent-client",
            "threaded-server serves others while a client connects and says nothing",
            2,
            silent_client,
            &[],
        ),
        check(
            "half-message",
            "threaded-server serves others while a client stalls half way through a message",
            1,
            half_message,
            &[],
        ),
        check(
            "vanishing-client",
            "threaded-server survives clients that vanish mid-conversation",
            2,
            vanishing_client,
            &[],
        ),
    ],
};

const fn check(
    slug: &'static str,
    name: &'static str,
    points: u32,
    run: fn(&mut Harness) -> CheckResult,
    after: &'static [&'static str],
) -> Check {
    Check { slug, name, points, run: crate::registry::Run::Native(run), after, starts: &[ROLE], waits: Duration::ZERO }
}

const ROLE: &str = "threaded-server";

/// The rungs of the ladder: how many clients are served at once.
const LADDER: [usize; 4] = [1, 8, 64, 256];

/// Round trips every client of a rung makes, all clients in step.
const ROUNDS: usize = 3;

fn reply_to(data: &str) -> String {
    format!("Server message: {data}")
}

const WORDS: &[&str] = &["apple", "socket", "stream", "packet", "kernel", "router", "buffer", "thread", "accept"];

fn word(h: &mut Harness) -> &'static str {
    WORDS[h.rng().usize(..WORDS.len())]
}

const FORMAT: &str = "the reply is exactly  Server message: <what you read>  with no newline";
const LOOP_READS: &str =
    "read in a loop until read() returns 0 (the client closed), replying to each read: one read() serves one message, not one connection";
const ONE_THREAD_EACH: &str = "serve each client in a thread of its own (spawn one after accept() and go straight back to accept()): a server that serves one client at a time leaves every other client waiting";

/// One round trip: `data` out, its reply back.
fn round_trip(c: &mut Conn, data: &str) -> CheckResult {
    c.send(data)?;
    c.expect_exact(&reply_to(data))
}

fn server_replies(h: &mut Harness) -> CheckResult {
    let mut server = h.server(ROLE).start()?;
    let mut c = server.connect()?;
    round_trip(&mut c, "Hello")
        .hint_on(Closed, "read the client's message and write the reply before closing the connection")
        .hint(FORMAT)?;
    // Anything after the reply, seen for sure: the grader closes its sending side, the
    // server reads the end and closes, and every byte it wrote before is here by then
    // (a newline after the reply would otherwise show only as the next reply's first
    // byte, in another check).
    c.shutdown_write();
    match c.expect_closed() {
        Err(f) if f.kind == Mismatch => {
            let extra = c.take_pending();
            let summary = if extra == b"\n" || extra == b"\r\n" {
                "the reply ends with a newline the contract does not have".to_string()
            } else {
                format!("{ROLE} sent more than the reply")
            };
            let reply = reply_to("Hello");
            Err(Failure::mismatch(summary)
                .sent("Hello")
                .expected(escape(reply.as_bytes()))
                .got(escape(&[reply.as_bytes(), &extra].concat()))
                .with_hint("send exactly  Server message: <what you read>  and nothing after it: no \\n (a client reads the reply as it comes, and a newline would begin the next one)"))
        }
        // Closed; or kept open after the client's end, or reset: other checks' business.
        _ => Ok(()),
    }
}

fn server_any_text(h: &mut Harness) -> CheckResult {
    let mut server = h.server(ROLE).start()?;
    let mut c = server.connect()?;
    round_trip(&mut c, "say \"hi\" \\ back: héllo wörld, 你好\tand  two spaces")
        .hint("put the bytes you read into the reply as they are: no escaping, no trimming, no debug formatting")
}

fn clients_1(h: &mut Harness) -> CheckResult {
    rung(h, 0)
}

fn clients_8(h: &mut Harness) -> CheckResult {
    rung(h, 1)
}

fn clients_64(h: &mut Harness) -> CheckResult {
    rung(h, 2)
}

fn clients_256(h: &mut Harness) -> CheckResult {
    rung(h, 3)
}

/// Climbs the ladder up to rung `top`, on one server. At each rung its clients connect
/// one after another, each saying hello and staying connected, then make [`ROUNDS`]
/// round trips in step: every client sends, and the next round starts only when every
/// client has its reply. A server that serves one client at a time answers one and no
/// more. A failure says which rung failed and the highest one passed.
fn rung(h: &mut Harness, top: usize) -> CheckResult {
    let word = word(h);
    let mut server = h.server(ROLE).start()?;
    let mut passed: Option<usize> = None;
    for &n in &LADDER[..=top] {
        let below = match passed {
            None => "none".to_string(),
            Some(k) => format!("{} at once", clients(k)),
        };
        let ladder = format!("rung {n} of the ladder {LADDER:?} failed; the highest rung passed: {below}");
        let base = crowd_base(&passed);
        let hello = |i: usize, c: &mut Conn| round_trip(c, &format!("hello from client {}", base + i + 1));
        let mut crowd = server.crowd_greeted(n, hello).map_err(|f| {
            if matches!(f.kind, Skipped | GraderError) {
                return f;
            }
            let hint = f.hint.clone().unwrap_or_else(|| ladder_hint(n, f.kind, passed));
            let summary = format!("{} at once: {}", clients(n), f.summary);
            Failure { summary, ..f }.detail(ladder.clone()).with_hint(hint)
        })?;
        let mut slowest = Duration::ZERO;
        for round in 1..=ROUNDS {
            let result =
                crowd.round(|i, c| round_trip(c, &format!("{word} from client {}, round {round}", base + i + 1)));
            slowest = slowest.max(result.elapsed);
            let failed = result.failures.len();
            let Some((first, failure)) = result.failures.into_iter().next() else { continue };
            let label = base + first + 1;
            let summary = if n == 1 {
                format!("1 client, round {round} of {ROUNDS}: {}", failure.summary)
            } else {
                format!(
                    "{} at once, round {round} of {ROUNDS}: {} of them served, {failed} not; client {label}: {}",
                    clients(n),
                    n - failed,
                    failure.summary
                )
            };
            let hint = ladder_hint(n, failure.kind, passed);
            return Err(Failure { summary, ..failure }.detail(ladder)).hint(&hint);
        }
        h.note(format!(
            "rung {n} passed: {} at once, {ROUNDS} round trips each; the slowest round took {:.2} s",
            clients(n),
            slowest.as_secs_f32()
        ));
        passed = Some(n);
    }
    server.expect_alive(&format!("after serving {} at once", clients(LADDER[top])))
}

/// What to look at when rung `n` fails, after `passed`.
fn ladder_hint(n: usize, kind: FailureKind, passed: Option<usize>) -> String {
    match (n, kind) {
        (_, Mismatch) => FORMAT.to_string(),
        (1, _) => LOOP_READS.to_string(),
        (_, Timeout) if passed.is_some_and(|k| k > 1) => {
            format!("{ONE_THREAD_EACH}; a pool of a few threads is not enough either: each client holds its thread as long as it stays connected")
        }
        _ => ONE_THREAD_EACH.to_string(),
    }
}

/// How many clients the rungs below have numbered: the transcript counts every client
/// of the check.
fn crowd_base(passed: &Option<usize>) -> usize {
    LADDER.iter().take_while(|&&k| Some(k) <= *passed).sum()
}

fn clients(n: usize) -> String {
    if n == 1 {
        "1 client".to_string()
    } else {
        format!("{n} clients")
    }
}

/// Another client, after a troublesome one: it must be served at once.
fn served_meanwhile(h: &mut Harness, server: &mut Server, hint: &str) -> CheckResult {
    let mut other = server.connect().hint(hint)?;
    for round in 1..=ROUNDS {
        round_trip(&mut other, &format!("{} {round}", word(h))).hint_on(Mismatch, FORMAT).hint(hint)?;
    }
    Ok(())
}

fn silent_client(h: &mut Harness) -> CheckResult {
    let mut server = h.server(ROLE).start()?;
    let mut silent = server.connect()?;
    h.note("client 1 has connected and says nothing; client 2 must be served meanwhile");
    let hint = format!("a client that connects and says nothing must not hold up the others (while your server waits in read() for it, nobody else is served): {ONE_THREAD_EACH}");
    served_meanwhile(h, &mut server, &hint)?;
    h.note("client 1 speaks at last, and must be served too");
    round_trip(&mut silent, "late, but here").hint("the silent client's connection must still work when it speaks")
}

fn half_message(h: &mut Harness) -> CheckResult {
    let mut server = h.server(ROLE).start()?;
    let mut staller = server.connect()?;
    staller.send("Hello, wor")?;
    h.note("client 1 has sent half of \"Hello, world!\" and stalls; client 2 must be served meanwhile");
    let hint = format!("a client that stops half way through a message must not hold up the others: {ONE_THREAD_EACH}");
    served_meanwhile(h, &mut server, &hint)?;
    h.note("client 1 reads the reply to what it sent, then sends the rest");
    let hint = "reply to every read as it comes, and keep the connection open for the next one";
    staller.expect_exact(&reply_to("Hello, wor")).hint(hint)?;
    round_trip(&mut staller, "ld!").hint(hint)
}

fn vanishing_client(h: &mut Harness) -> CheckResult {
    let hint = "a client that vanishes makes read() or write() fail on its connection (ECONNRESET, EPIPE; a C program must ignore SIGPIPE): end that client's thread, and only that, and never let one client's error stop the server";
    let mut server = h.server(ROLE).start()?;
    let mut gone = server.connect().hint(hint)?;
    gone.send("are you there?").hint(hint)?;
    gone.abort();
    let mut gone = server.connect().hint(hint)?;
    round_trip(&mut gone, "first message").hint_on(Mismatch, FORMAT).hint(hint)?;
    gone.send("second message").hint(hint)?;
    gone.abort();
    server.connect().hint(hint)?.abort();
    let mut gone = server.connect().hint(hint)?;
    gone.send("bye, without reading the reply").hint(hint)?;
    drop(gone);
    h.note("four clients have vanished: the server's next read or write on their connections fails");
    served_meanwhile(h, &mut server, hint)?;
    // A write to a reset connection kills a program that did not ignore SIGPIPE a
    // moment after it happens: this window lets such a death show.
    server.expect_alive_for(Duration::from_millis(300), "after four clients vanished").hint(hint)
}
