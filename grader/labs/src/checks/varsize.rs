//! Lab varsize: docs/labs/varsize.md (seed Lab 1, exercise 5: messages of any size).
//!
//! varsize-server echoes every complete message: the payload then `<EOF>`, or with
//! `--framing length` a 4-byte big-endian length then the payload. The checks send
//! messages from empty to 64 MiB, cut and joined every way TCP may cut and join them
//! (fragment.rs), and read the replies while still sending (bulk.rs). varsize-client
//! sends its stdin once as one message and prints the reply's payload byte for byte.

use std::time::{Duration, Instant};

use crate::model::{Check, Lab, Role};
use harness::bulk::{Stream, NEXT_DUE};
use harness::conn::Conn;
use harness::cputime;
use harness::fragment::{bytes, Fragments};
use harness::framing::{self, Framing, Payload, TOKEN};
use harness::outcome::{CheckResult, Failure, FailureKind::*, Hint};
use harness::transcript::{escape, escape_limited};
use harness::{ClientRun, Harness, Server};

pub const LAB: Lab = Lab {
    home: None,
    mutants: &[],
    name: "varsize",
    title: "Messages of any size (Lab 1, exercise 5)",
    roles: &[Role::server("varsize-server", 65434), Role::client("varsize-client", 65434)],
    checks: &[
        check("server-short", "varsize-server echoes a short message and its <EOF>", 2, server_short)
            .starts(&["varsize-server"]),
        check("server-empty", "varsize-server echoes the empty message: <EOF> alone", 1, server_empty)
            .starts(&["varsize-server"]),
        check("server-one-byte", "varsize-server echoes a message of one byte", 1, server_one_byte)
            .starts(&["varsize-server"]),
        check("server-1kib-plus-1", "varsize-server echoes a message of 1025 bytes", 2, server_1kib_plus_1)
            .starts(&["varsize-server"]),
        check("server-1mib", "varsize-server echoes 1 MiB of binary data sent in pieces", 2, server_1mib)
            .starts(&["varsize-server"]),
        check("server-64mib", "varsize-server echoes a 64 MiB message intact, in linear time", 3, server_64mib)
            .starts(&["varsize-server"]),
        check(
            "server-token-split",
            "varsize-server finds <EOF> split across two writes at every position",
            2,
            server_token_split,
        )
        .starts(&["varsize-server"]),
        check(
            "server-byte-per-write",
            "varsize-server reads a message sent one byte per write",
            1,
            server_byte_per_write,
        )
        .starts(&["varsize-server"]),
        check(
            "server-two-in-one-write",
            "varsize-server answers two messages that came in one write",
            2,
            server_two_in_one_write,
        )
        .starts(&["varsize-server"]),
        check(
            "server-hundred-in-one-write",
            "varsize-server answers a hundred messages that came in one write",
            1,
            server_hundred_in_one_write,
        )
        .starts(&["varsize-server"]),
        check(
            "server-partial-next",
            "varsize-server answers a message at once when the next one has begun in the same write",
            2,
            server_partial_next,
        )
        .starts(&["varsize-server"]),
        check(
            "server-many-messages",
            "varsize-server answers message after message on one connection",
            2,
            server_many_messages,
        )
        .starts(&["varsize-server"]),
        check(
            "server-pipelined",
            "varsize-server answers 300 pipelined messages of any size, cut at random",
            2,
            server_pipelined,
        )
        .starts(&["varsize-server"]),
        check(
            "server-next-client",
            "varsize-server serves the next client, also after one left mid-message",
            1,
            server_next_client,
        )
        .starts(&["varsize-server"]),
        check(
            "server-length-framing",
            "varsize-server --framing length echoes messages that contain <EOF>",
            2,
            server_length_framing,
        )
        .starts(&["varsize-server"]),
        check(
            "server-length-split",
            "varsize-server --framing length copes with split prefixes and joined messages",
            2,
            server_length_split,
        )
        .starts(&["varsize-server"]),
        check(
            "client-sends-stdin",
            "varsize-client sends stdin once with <EOF> and prints the reply that came in pieces",
            2,
            client_sends_stdin,
        ),
        check("client-empty-stdin", "varsize-client sends an empty stdin as <EOF> alone", 1, client_empty_stdin),
        check("client-big-reply", "varsize-client prints a 512 KiB reply byte for byte", 2, client_big_reply),
        check("client-binary", "varsize-client passes binary data through unchanged", 1, client_binary),
        check(
            "client-length-framing",
            "varsize-client --framing length sends a 4-byte big-endian length and reads one",
            2,
            client_length_framing,
        ),
        check(
            "client-no-server",
            "varsize-client exits 1 with one clear line when no server is there",
            1,
            client_no_server,
        ),
    ],
};

const fn check(slug: &'static str, name: &'static str, points: u32, run: fn(&mut Harness) -> CheckResult) -> Check {
    Check { slug, name, points, run: crate::model::Run::Native(run), after: &[], starts: &[], waits: Duration::ZERO }
}

// The usual mistakes, named for the student.
const SINGLE_RECV: &str = "one recv(1024) / read() returns what has arrived so far, at most the buffer's size: \
    keep reading and appending to a buffer until the message is complete (its <EOF> has arrived)";
const TOKEN_ANYWHERE: &str = "look for <EOF> in everything you have buffered, also where one read ended and the \
    next began, not only at the end of the latest read";
const MANY_PER_READ: &str = "one read can hold several messages: after answering one, look for the next in what is \
    left of the buffer before you read again, and keep the rest for later";
const KEEP_CONNECTION: &str = "a connection carries any number of messages: after a reply, go on reading the same \
    connection until the client closes it (read() returns 0)";
const LINEAR: &str = "search only the newly received bytes (and the 4 before them) for <EOF>, and append to a \
    growable buffer (Vec, bytearray, ByteArrayOutputStream): scanning or copying the whole buffer again after \
    every read takes time quadratic in the message size";
const BYTES: &str = "a message is bytes, not text: pass every byte value through, and do not decode, strip or \
    add anything";
const EMPTY: &str = "a message can be empty: <EOF> alone (or the length 0) is a message with no bytes, and its \
    reply is <EOF> alone (or the length 0): do not skip empty messages";
const LENGTH: &str = "with --framing length, read exactly 4 bytes, decode them as a big-endian unsigned number \
    (u32::from_be_bytes, int.from_bytes(b, \"big\")), then read exactly that many bytes; reply with the same \
    4-byte length and the payload. <EOF> means nothing in this framing";

/// The most CPU time a server may use for a 64 MiB echo: twice the I/O timeout, 6 s
/// at the default `--timeout-scale`. Measured on the 2-core machine under a load of
/// 12: the reference 0.06 s, a linear Python server 0.41 s, and one that searches its
/// whole buffer again after every 64 KiB read 34.6 s (80 s of wall-clock time).
fn linear_bound(h: &Harness) -> Duration {
    h.timeouts().io * 2
}

/// The time any exchange of at most a few megabytes may take.
fn generous(h: &Harness) -> Duration {
    h.timeouts().client_run
}

fn start(h: &Harness, framing: Framing) -> Result<Server, Failure> {
    h.server("varsize-server").args(framing.args()).start()
}

/// Sends the framed payloads cut as `how` says, and expects exactly them back.
fn echo(c: &mut Conn, framing: Framing, payloads: &[Payload], how: &Fragments, within: Duration) -> CheckResult {
    let stream = framing.messages(payloads);
    c.exchange(&stream, how, &stream, within)
        .map(|_| ())
        .map_err(replied_early)
        .map_err(|f| skipped_empty(f, payloads))
        .map_err(token_missing)
}

/// A reply that stopped where an `<EOF>` was due, after all of its message: the
/// server does not end its replies with the token.
fn token_missing(mut failure: Failure) -> Failure {
    let at_token = |d: &String| d.starts_with(&format!("{NEXT_DUE} byte 0 of the <EOF> after"));
    if failure.kind == Timeout && failure.hint.is_none() && failure.details.iter().any(at_token) {
        failure.hint = Some(
            "the reply ended with the message's bytes and no <EOF>: frame every reply like the request, the \
             message's bytes followed by <EOF>"
                .to_string(),
        );
    }
    failure
}

/// A reply that goes wrong right at an empty message (its `<EOF>`, or its length
/// prefix): the server skipped it, whatever the check. Wherever the empty message is:
/// as the last one, skipping it leaves the reply waiting for its `<EOF>` (a timeout),
/// elsewhere the next message's bytes come where its `<EOF>` was due (a mismatch).
fn skipped_empty(mut failure: Failure, payloads: &[Payload]) -> Failure {
    let names = |i: usize| {
        let whole = format!("message {} (", i + 1);
        let token = format!("<EOF> after message {} (", i + 1);
        failure.summary.contains(&whole) || failure.details.iter().any(|d| d.contains(&token))
    };
    let at_empty = |(i, p): (usize, &Payload)| p.is_empty() && names(i);
    let wrong = matches!(failure.kind, Mismatch | Timeout);
    if wrong && failure.hint.is_none() && payloads.iter().enumerate().any(at_empty) {
        failure.hint = Some(EMPTY.to_string());
    }
    failure
}

/// A reply with an `<EOF>` where the message went on: the server answered part of a
/// message as if it were all of it, the single-read mistake, whatever the check.
fn replied_early(mut failure: Failure) -> Failure {
    let tokens = |text: &Option<String>| text.as_deref().map_or(0, |t| t.matches("<EOF>").count());
    if failure.kind == Mismatch && failure.hint.is_none() && tokens(&failure.got) > tokens(&failure.expected) {
        failure.hint = Some(format!("the reply ended before the message did. {SINGLE_RECV}"));
    }
    failure
}

/// A short text message picked by the check's seed.
fn short(h: &mut Harness) -> Payload {
    let len = h.rng().usize(8..=40);
    framing::text(h.rng(), len).into()
}

fn server_short(h: &mut Harness) -> CheckResult {
    let message = short(h);
    let within = generous(h);
    let mut server = start(h, Framing::Eof)?;
    let mut c = server.connect()?;
    echo(&mut c, Framing::Eof, &[message], &Fragments::whole(), within)
        .hint_on(Closed, "read the whole message, write the reply, and only close when the client has closed")
        .hint("the reply is the message's bytes followed by <EOF>: no newline, no prefix")
}

fn server_empty(h: &mut Harness) -> CheckResult {
    let within = generous(h);
    let mut server = start(h, Framing::Eof)?;
    let mut c = server.connect()?;
    echo(&mut c, Framing::Eof, &["".into()], &Fragments::whole(), within).hint(EMPTY)
}

fn server_one_byte(h: &mut Harness) -> CheckResult {
    let within = generous(h);
    let mut server = start(h, Framing::Eof)?;
    let mut c = server.connect()?;
    // `<` followed by the token: a server that stops at the first `<` gets it wrong.
    h.note("the message is the one byte <, so the server receives <<EOF>");
    echo(&mut c, Framing::Eof, &["<".into()], &Fragments::whole(), within)
        .hint("the token is the 5 bytes <EOF> together: a lone < is part of the message")
}

fn server_1kib_plus_1(h: &mut Harness) -> CheckResult {
    let message = framing::text(h.rng(), 1025);
    let within = generous(h);
    let mut server = start(h, Framing::Eof)?;
    let mut c = server.connect()?;
    echo(&mut c, Framing::Eof, &[message.into()], &Fragments::whole(), within).hint(SINGLE_RECV)
}

fn server_1mib(h: &mut Harness) -> CheckResult {
    let message = framing::binary(h.rng(), 1 << 20);
    let how = Fragments::random(h.rng(), 1..=64 * 1024);
    let within = generous(h);
    let mut server = start(h, Framing::Eof)?;
    let mut c = server.connect()?;
    echo(&mut c, Framing::Eof, &[message.into()], &how, within).hint_on(Mismatch, BYTES).hint(SINGLE_RECV)
}

fn server_64mib(h: &mut Harness) -> CheckResult {
    let message = framing::long_binary(h.rng(), 64 << 20);
    let bound = linear_bound(h);
    let mut server = start(h, Framing::Eof)?;
    let mut c = server.connect()?;
    let mut budget = server.cpu_budget(bound);
    // The bound is on the server's CPU time, which the load of the machine does not
    // change; wall-clock time then only ends a server that makes no progress. Where
    // CPU time cannot be read, the bound is on wall-clock time.
    let within = if budget.available() { h.timeouts().client_run * 6 } else { bound };
    let clock = if budget.available() { " of CPU time" } else { "" };
    h.note(format!(
        "the echo of 64 MiB may take the server {:.0} s{clock} at most: a linear server needs well under one",
        bound.as_secs_f64()
    ));
    let stream = Framing::Eof.messages(&[message]);
    let started = Instant::now();
    let done = c.exchange_watched(&stream, &Fragments::whole(), &stream, within, &mut || budget.check());
    let done = done.map_err(replied_early).map_err(|f| {
        // Too slow, or stuck: only the first is about linear time.
        if budget.exceeded() || (f.kind == Timeout && started.elapsed() >= within) {
            f.with_hint(LINEAR)
        } else {
            f
        }
    });
    let done = done
        .hint_on(Closed, "a message may be 64 MiB: let the buffer grow (do not cap it at a few kilobytes)")
        .hint_on(Timeout, "the server stopped reading and replying: is it waiting for more than the message?")
        .hint(BYTES)?;
    let _ = budget.check();
    h.note(format!("the 64 MiB echo took {}", cputime::describe(budget.used(), done.elapsed, 64 << 20)));
    Ok(())
}

fn server_token_split(h: &mut Harness) -> CheckResult {
    let within = generous(h);
    let mut server = start(h, Framing::Eof)?;
    let mut c = server.connect()?;
    for cut in 1..TOKEN.len() {
        let message = short(h);
        let at = message.len() as usize + cut;
        h.note(format!(
            "{}|{}: the token is cut after {cut} of its bytes, 30 ms between the writes",
            escape(&TOKEN[..cut]),
            escape(&TOKEN[cut..])
        ));
        // The pause makes the server read the two halves separately.
        let how = Fragments::at([at]).with_gap(Duration::from_millis(30));
        echo(&mut c, Framing::Eof, &[message], &how, within).hint(TOKEN_ANYWHERE)?;
    }
    Ok(())
}

fn server_byte_per_write(h: &mut Harness) -> CheckResult {
    let message = short(h);
    let within = generous(h);
    let mut server = start(h, Framing::Eof)?;
    let mut c = server.connect()?;
    // Short pauses, so that most bytes arrive in reads of their own.
    let how = Fragments::every(1).with_gap(Duration::from_millis(3));
    echo(&mut c, Framing::Eof, &[message], &how, within)
        .hint("every read may return a single byte: append each to the buffer and look for <EOF> in all of it")
}

fn server_two_in_one_write(h: &mut Harness) -> CheckResult {
    let messages = [short(h), short(h)];
    let within = generous(h);
    let mut server = start(h, Framing::Eof)?;
    let mut c = server.connect()?;
    echo(&mut c, Framing::Eof, &messages, &Fragments::whole(), within).hint(MANY_PER_READ)
}

fn server_hundred_in_one_write(h: &mut Harness) -> CheckResult {
    // One of them, at a random place, is empty: always one, so that whether a server
    // that skips empty messages fails here does not depend on the seed.
    let empty = h.rng().usize(..100);
    let messages: Vec<Payload> = (0..100)
        .map(|i| {
            let len = if i == empty { 0 } else { h.rng().usize(1..=200) };
            framing::text(h.rng(), len).into()
        })
        .collect();
    h.note(format!("message {} of the 100 is empty", empty + 1));
    let within = generous(h);
    let mut server = start(h, Framing::Eof)?;
    let mut c = server.connect()?;
    echo(&mut c, Framing::Eof, &messages, &Fragments::whole(), within).hint(MANY_PER_READ)
}

fn server_partial_next(h: &mut Harness) -> CheckResult {
    let (first, second) = (short(h), framing::text(h.rng(), 30));
    let within = generous(h);
    let mut server = start(h, Framing::Eof)?;
    let mut c = server.connect()?;
    let (head, tail) = second.split_at(12);
    // One write: the whole first message, and the first 12 bytes of the second.
    let mut send = Framing::Eof.messages(std::slice::from_ref(&first));
    send.push("the start of message 2", head.to_vec());
    let expect = Framing::Eof.messages(&[first]);
    h.note("one write holds message 1 and the start of message 2: the reply to message 1 is due at once");
    c.exchange(&send, &Fragments::whole(), &expect, within).hint(
        "a read can end in the middle of the next message: answer every complete message in the buffer at once, \
         not only when the buffer ends with <EOF>",
    )?;
    let mut rest = Stream::new();
    rest.push("the rest of message 2", tail.to_vec()).push("the <EOF> after message 2", TOKEN.to_vec());
    let mut expect = Stream::new();
    expect.push("message 2", second.clone()).push("the <EOF> after message 2", TOKEN.to_vec());
    c.exchange(&rest, &Fragments::whole(), &expect, within)
        .map(|_| ())
        .hint("keep the start of the next message in the buffer: its rest comes with the next read")
}

fn server_many_messages(h: &mut Harness) -> CheckResult {
    let within = generous(h);
    let mut server = start(h, Framing::Eof)?;
    let mut c = server.connect()?;
    for n in 1..=20 {
        let len = h.rng().usize(1..=3000);
        let message = framing::text(h.rng(), len);
        let mut stream = Stream::new();
        Framing::Eof.push(&mut stream, &format!("message {n}"), &message.into());
        c.exchange(&stream, &Fragments::whole(), &stream, within).hint(KEEP_CONNECTION)?;
    }
    Ok(())
}

fn server_pipelined(h: &mut Harness) -> CheckResult {
    let empty = h.rng().usize(..300);
    let messages: Vec<Payload> = (0..300)
        .map(|i| {
            let len = if i == empty { 0 } else { h.rng().usize(1..=4000) };
            if i % 3 == 0 {
                framing::binary(h.rng(), len).into()
            } else {
                framing::text(h.rng(), len).into()
            }
        })
        .collect();
    let how = Fragments::random(h.rng(), 1..=3000);
    let within = generous(h);
    let mut server = start(h, Framing::Eof)?;
    let mut c = server.connect()?;
    h.note(format!(
        "300 messages go out without waiting for replies, cut at random places (message {} is empty); replies are \
         read meanwhile",
        empty + 1
    ));
    echo(&mut c, Framing::Eof, &messages, &how, within).hint(MANY_PER_READ)
}

fn server_next_client(h: &mut Harness) -> CheckResult {
    let within = generous(h);
    let mut server = start(h, Framing::Eof)?;
    let hint = "serve clients one after another: when a client leaves (read() returns 0 or an error), forget its \
        unfinished message and go back to accept()";
    let mut first = server.connect()?;
    let message = short(h);
    echo(&mut first, Framing::Eof, &[message], &Fragments::whole(), within)?;
    drop(first);
    h.note("client 1 has closed its connection");
    let mut second = server.connect().hint(hint)?;
    let half = framing::text(h.rng(), 40);
    second.send(&half[..20])?;
    drop(second);
    h.note("client 2 sent half a message, without <EOF>, and left");
    let mut third = server.connect().hint(hint)?;
    let message = short(h);
    echo(&mut third, Framing::Eof, &[message], &Fragments::whole(), within).hint(hint)?;
    server.expect_alive("after client 2 left in the middle of a message").hint(hint)
}

fn server_length_framing(h: &mut Harness) -> CheckResult {
    let within = generous(h);
    let mut server = start(h, Framing::Length)?;
    let mut c = server.connect()?;
    let mut with_tokens = framing::binary(h.rng(), 1025);
    with_tokens[100..105].copy_from_slice(TOKEN);
    with_tokens[1020..].copy_from_slice(TOKEN);
    let messages: [(&str, Payload); 3] = [
        ("a message with <EOF> in it", "the token <EOF> is only text here<EOF>".into()),
        ("the empty message (length 0)", "".into()),
        ("1025 binary bytes with <EOF> inside and at the end", with_tokens.into()),
    ];
    for (what, message) in messages {
        h.note(what);
        // The messages before it passed, so a failure at the empty one is about emptiness.
        let hint = if message.is_empty() { EMPTY } else { LENGTH };
        echo(&mut c, Framing::Length, &[message], &Fragments::whole(), within).hint(hint)?;
    }
    Ok(())
}

fn server_length_split(h: &mut Harness) -> CheckResult {
    let within = generous(h);
    let mut server = start(h, Framing::Length)?;
    let mut c = server.connect()?;
    for cut in 1..4 {
        let message = short(h);
        h.note(format!("the 4-byte length is cut after {cut} bytes, 30 ms between the writes"));
        // The pause makes the server read the two parts of the prefix separately.
        let how = Fragments::at([cut]).with_gap(Duration::from_millis(30));
        echo(&mut c, Framing::Length, &[message], &how, within)
            .hint("the 4 bytes of the length can arrive in pieces too: wait until you have all 4")?;
    }
    h.note("three messages in one write");
    let messages = [short(h), "".into(), short(h)];
    echo(&mut c, Framing::Length, &messages, &Fragments::whole(), within).hint(MANY_PER_READ)?;
    h.note("1 MiB in pieces of random sizes");
    let big = framing::binary(h.rng(), 1 << 20);
    let how = Fragments::random(h.rng(), 1..=64 * 1024);
    echo(&mut c, Framing::Length, &[big.into()], &how, within)
        .hint("read until you have as many bytes as the length says, however many reads it takes")
}

/// Plays the server for one varsize-client run: expects `stdin` framed, exactly once,
/// replies `reply` framed and cut as `how` says, and returns the finished run.
fn client_round(
    h: &mut Harness,
    framing: Framing,
    stdin: Vec<u8>,
    reply: &[u8],
    how: &Fragments,
    hint: &str,
) -> Result<ClientRun, Failure> {
    let mut scripted = h.scripted_server()?;
    let client = h.client("varsize-client").port(scripted.port()).args(framing.args()).stdin(stdin.clone()).start()?;
    let mut c = scripted.accept(&client).hint(hint)?;
    let expect = framing.messages(&[stdin.into()]);
    let send_once = match framing {
        Framing::Eof => "send all of stdin, then <EOF>, without waiting for anything",
        Framing::Length => "send the 4-byte big-endian length of stdin, then all of it",
    };
    c.exchange(&Stream::new(), &Fragments::whole(), &expect, generous(h)).hint_on(Timeout, send_once).hint(hint)?;
    // A second copy, or anything else, after a complete message is the bug this window
    // catches; a correct client is waiting for the reply here, so it never fails.
    c.expect_quiet(Duration::from_millis(200), "after its message was complete")
        .hint("send the message once, then wait for the reply")?;
    c.send_fragments(framing.frame(reply), how).hint(
        "the client closed the connection while the reply was still coming: keep reading until the whole reply \
         has come (its <EOF>, or as many bytes as its length says)",
    )?;
    client.finish()
}

/// The client printed exactly `reply`, byte for byte.
fn expect_payload(run: &ClientRun, reply: &[u8]) -> CheckResult {
    run.expect_success()?;
    let got = &run.stdout_bytes;
    if got == reply {
        return Ok(());
    }
    let mut failure = Failure::mismatch(format!("{} did not print the reply's payload byte for byte", run.role))
        .expected(show(reply))
        .got(show(got));
    match got.iter().zip(reply).position(|(a, b)| a != b) {
        Some(at) => failure = failure.detail(format!("the first difference is at byte {at}")),
        None if got.len() > reply.len() => {
            failure = failure.detail(format!("the reply is all there, then {} more", escape(&got[reply.len()..])));
        }
        None => {
            failure = failure.detail(format!("only the first {} of the reply were printed", bytes(got.len() as u64)))
        }
    }
    let hint = if got.len() == reply.len() + 1 && got.ends_with(b"\n") {
        "write the payload as it is: println!/print() add a newline".to_string()
    } else if got.ends_with(TOKEN) || got.starts_with(&(reply.len() as u32).to_be_bytes()) {
        "print only the payload, without the framing".to_string()
    } else if reply.starts_with(got) {
        format!("only part of the reply was printed. {SINGLE_RECV}")
    } else {
        BYTES.to_string()
    };
    Err(failure.with_hint(hint))
}

/// Bytes for a failure message: all of them if few, else the first and the size.
fn show(data: &[u8]) -> String {
    if data.len() <= 120 {
        format!("{} ({})", escape(data), bytes(data.len() as u64))
    } else {
        escape_limited(data, 48)
    }
}

fn client_sends_stdin(h: &mut Harness) -> CheckResult {
    let stdin = framing::text(h.rng(), 300);
    let reply = framing::text(h.rng(), 120);
    h.note("the reply comes in pieces of 1 to 7 bytes, 5 ms apart: the token too is cut");
    let how = Fragments::random(h.rng(), 1..=7).with_gap(Duration::from_millis(5));
    let run = client_round(h, Framing::Eof, stdin, &reply, &how, "send stdin as it is, then <EOF>, once")?;
    expect_payload(&run, &reply)
        .hint("read the reply until <EOF> has come, however many reads it takes, then print what came before it")
}

fn client_empty_stdin(h: &mut Harness) -> CheckResult {
    let reply = framing::text(h.rng(), 20);
    let how = Fragments::whole();
    let run =
        client_round(h, Framing::Eof, Vec::new(), &reply, &how, "an empty stdin is the empty message: <EOF> alone")?;
    expect_payload(&run, &reply)
}

fn client_big_reply(h: &mut Harness) -> CheckResult {
    let stdin = framing::text(h.rng(), 100 * 1024);
    // Text on one line: the transcript shows stdout line by line, and thousands of
    // lines would crowd it out (client-binary has the newlines and other bytes).
    let reply: Vec<u8> =
        framing::text(h.rng(), 512 * 1024).iter().map(|&b| if b == b'\n' { b' ' } else { b }).collect();
    let how = Fragments::random(h.rng(), 1..=64 * 1024);
    let run = client_round(h, Framing::Eof, stdin, &reply, &how, "send all of stdin, then <EOF>")?;
    expect_payload(&run, &reply).hint(SINGLE_RECV)
}

fn client_binary(h: &mut Harness) -> CheckResult {
    let mut stdin = framing::binary(h.rng(), 4096);
    stdin[..4].copy_from_slice(b"\xff\0\r\n");
    let mut reply = framing::binary(h.rng(), 4096);
    reply[..4].copy_from_slice(b"\0\xfe\n\r");
    let how = Fragments::random(h.rng(), 1..=1000);
    let run = client_round(h, Framing::Eof, stdin, &reply, &how, BYTES)?;
    expect_payload(&run, &reply)
}

fn client_length_framing(h: &mut Harness) -> CheckResult {
    // Built from whole pieces, not by overwriting: a token written over the middle of
    // an "é" would make the text invalid UTF-8 for some seeds, and a client that reads
    // stdin as text would then fail this check on the seed alone (client-binary is the
    // check for that mistake).
    let mut stdin = framing::text(h.rng(), 500);
    stdin.extend_from_slice(TOKEN);
    stdin.extend(framing::text(h.rng(), 1495));
    let mut reply = framing::text(h.rng(), 3000);
    reply.extend_from_slice(TOKEN);
    h.note("the reply's 4-byte length comes in two writes, 20 ms apart, and the payload ends in <EOF>");
    // The pause splits the prefix on the client's side too.
    let how = Fragments::at([2]).with_gap(Duration::from_millis(20));
    let run = client_round(h, Framing::Length, stdin, &reply, &how, LENGTH)?;
    expect_payload(&run, &reply).hint(LENGTH)
}

fn client_no_server(h: &mut Harness) -> CheckResult {
    let port = h.unused_port()?;
    h.note(format!("nothing listens on 127.0.0.1:{port}"));
    h.client("varsize-client").port(port).stdin(b"hello".to_vec()).run()?.expect_clean_failure()
}
