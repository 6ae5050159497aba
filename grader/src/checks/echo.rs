//! Lab echo: docs/labs/echo.md (the lecture's Python TCP and UDP echo examples: seed
//! "Communication" and the echo server of Lab 3).
//!
//! tcp-echo-server sends back every byte it reads, to client after client;
//! tcp-echo-client sends each word, waits for its whole echo and prints
//! `Received: <reply>`. udp-echo-server sends every datagram back to its sender;
//! udp-echo-client does what the TCP client does with datagrams, and when a reply is
//! lost it times out and sends the word again.

use std::time::{Duration, Instant};

use crate::harness::{Client, Harness};
use crate::outcome::{CheckResult, Failure, FailureKind::*, Hint};
use crate::registry::{Check, Lab, Role};
use crate::transcript::escape;
use crate::udp::{self, Datagram, ScriptedUdpServer, MAX_DATAGRAM};

pub const LAB: Lab = Lab {
    name: "echo",
    title: "Echo over TCP and UDP (the lecture's first examples)",
    roles: &[
        Role { name: "tcp-echo-server", default_port: 65432 },
        Role { name: "tcp-echo-client", default_port: 65432 },
        Role { name: "udp-echo-server", default_port: 6789 },
        Role { name: "udp-echo-client", default_port: 6789 },
    ],
    checks: &[
        check("tcp-server-echoes", "tcp-echo-server sends back what it reads", 2, tcp_server_echoes),
        check(
            "tcp-server-many-messages",
            "tcp-echo-server echoes message after message on one connection",
            2,
            tcp_server_many_messages,
        ),
        check(
            "tcp-server-keeps-running",
            "tcp-echo-server keeps running for a second and a third client",
            2,
            tcp_server_keeps_running,
        ),
        check(
            "tcp-server-any-bytes",
            "tcp-echo-server echoes any bytes unchanged: UTF-8, binary",
            1,
            tcp_server_any_bytes,
        ),
        check(
            "tcp-client-default-words",
            "tcp-echo-client sends Mon to Fri, one at a time, and prints Received: <reply>",
            2,
            tcp_client_default_words,
        ),
        check(
            "tcp-client-each-word",
            "tcp-echo-client sends each word, waits for its echo, prints each",
            2,
            tcp_client_each_word,
        ),
        check(
            "tcp-client-split-reply",
            "tcp-echo-client waits for the whole echo when it arrives in pieces",
            1,
            tcp_client_split_reply,
        ),
        check(
            "tcp-client-no-server",
            "tcp-echo-client exits 1 with one clear line when no server is there",
            1,
            tcp_client_no_server,
        ),
        check("udp-server-echoes", "udp-echo-server sends a datagram back to its sender", 2, udp_server_echoes),
        check(
            "udp-server-many-datagrams",
            "udp-echo-server echoes datagram after datagram",
            2,
            udp_server_many_datagrams,
        ),
        check(
            "udp-server-each-sender",
            "udp-echo-server replies to each sender at its own address",
            2,
            udp_server_each_sender,
        ),
        check(
            "udp-server-any-bytes",
            "udp-echo-server echoes any bytes unchanged: UTF-8, binary",
            1,
            udp_server_any_bytes,
        ),
        check(
            "udp-server-large-datagram",
            "udp-echo-server echoes a 65,507-byte datagram whole",
            1,
            udp_server_large_datagram,
        ),
        check(
            "udp-client-default-words",
            "udp-echo-client sends Mon to Fri, one datagram at a time, and prints Received: <reply>",
            2,
            udp_client_default_words,
        ),
        check(
            "udp-client-each-word",
            "udp-echo-client sends each word, waits for its echo, prints each",
            2,
            udp_client_each_word,
        ),
        check(
            "udp-client-retries",
            "udp-echo-client times out and sends a word again when its reply is lost",
            2,
            udp_client_retries,
        )
        .waits_secs(1),
        check(
            "udp-client-gives-up",
            "udp-echo-client gives up, exit 1 and one clear line, when no reply ever comes",
            1,
            udp_client_gives_up,
        )
        .waits_secs(3),
        check(
            "udp-client-no-server",
            "udp-echo-client exits 1 with one clear line when no server is there",
            1,
            udp_client_no_server,
        ),
    ],
};

const fn check(slug: &'static str, name: &'static str, points: u32, run: fn(&mut Harness) -> CheckResult) -> Check {
    Check { slug, name, points, run, after: &[], waits: Duration::ZERO }
}

/// What the clients send with no WORD arguments: the lecture's data.
const DEFAULT_WORDS: [&str; 5] = ["Mon", "Tue", "Wed", "Thu", "Fri"];

/// Words a check picks from with its seed, so that a program cannot pass by printing
/// fixed text. Some are UTF-8 beyond ASCII.
const WORDS: &[&str] =
    &["apple", "socket", "stream", "packet", "kernel", "router", "buffer", "Grüße", "día", "你好", "naïve", "Ωmega"];

/// `n` different words.
fn words(h: &mut Harness, n: usize) -> Vec<String> {
    let mut all: Vec<&str> = WORDS.to_vec();
    h.rng().shuffle(&mut all);
    all.into_iter().take(n).map(String::from).collect()
}

fn received(words: &[String]) -> Vec<String> {
    words.iter().map(|w| format!("Received: {w}")).collect()
}

/// Every byte value, then UTF-8 text: an echo server passes bytes through, it does not
/// decode them.
fn any_bytes() -> Vec<u8> {
    let mut data: Vec<u8> = (0..=255u8).collect();
    data.extend_from_slice("héllo wörld, 你好 \"quoted\" \\ tab\t".as_bytes());
    data
}

/// How long a window lasts in which a client that waits for its reply stays silent.
const QUIET: Duration = Duration::from_millis(100);

const MORE_WORDS: &str = "send the WORD arguments (or, with none, Mon Tue Wed Thu Fri) and nothing more, then exit";
const EXIT_0: &str = "once every echo is printed, the client's work is done: exit with status 0";
const LOOP_READS: &str =
    "read in a loop until read() returns 0 (the client closed), echoing each read: one read() serves one message, not one connection";
const KEEP_RUNNING: &str =
    "a server serves one client after another: put accept() in a loop, so that it waits for the next client when one leaves";
const EXACT: &str = "write back exactly the bytes you read: nothing added, nothing changed";
const AS_BYTES: &str =
    "echo the bytes you read as they are: decoding them as text and encoding them again changes bytes that are not UTF-8";

fn tcp_server_echoes(h: &mut Harness) -> CheckResult {
    let mut server = h.server("tcp-echo-server").start()?;
    let mut c = server.connect()?;
    c.send("Hello, world")?;
    c.expect_exact("Hello, world")
        .hint_on(Closed, "read the client's bytes and write them back before closing the connection")
        .hint(EXACT)?;
    // A correct server is silent here: this window only catches bytes added to the echo.
    c.expect_quiet(QUIET, "after the echo").hint(EXACT)
}

fn tcp_server_many_messages(h: &mut Harness) -> CheckResult {
    let mut server = h.server("tcp-echo-server").start()?;
    let mut c = server.connect()?;
    for word in DEFAULT_WORDS {
        c.send(word)?;
        // A server that closed after one message shows as closed or, when the next
        // message reached it after it closed, as reset.
        c.expect_exact(word)
            .hint_on(Closed, LOOP_READS)
            .hint_on(Refused, LOOP_READS)
            .hint_on(Timeout, LOOP_READS)
            .hint(EXACT)?;
    }
    Ok(())
}

fn tcp_server_keeps_running(h: &mut Harness) -> CheckResult {
    let mut server = h.server("tcp-echo-server").start()?;
    for (n, word) in words(h, 3).iter().enumerate() {
        let mut c = server.connect().hint(KEEP_RUNNING)?;
        c.send(word)?;
        c.expect_exact(word).hint(KEEP_RUNNING)?;
        drop(c);
        h.note(format!("client {} has closed its connection", n + 1));
    }
    server.expect_alive("after the third client left").hint(KEEP_RUNNING)
}

fn tcp_server_any_bytes(h: &mut Harness) -> CheckResult {
    let mut server = h.server("tcp-echo-server").start()?;
    let mut c = server.connect()?;
    let data = any_bytes();
    c.send(&data)?;
    c.expect_bytes(&data).hint(AS_BYTES)
}

fn tcp_client_default_words(h: &mut Harness) -> CheckResult {
    let words: Vec<String> = DEFAULT_WORDS.iter().map(|w| w.to_string()).collect();
    tcp_client_talks(h, &[], &words).hint_on(Mismatch, "with no WORD arguments, the client sends Mon Tue Wed Thu Fri")
}

fn tcp_client_each_word(h: &mut Harness) -> CheckResult {
    let words = words(h, 3);
    tcp_client_talks(h, &words, &words)
}

/// Plays an echo server for `words`: each must arrive as it is, and nothing more may
/// come until its echo is sent.
fn tcp_client_talks(h: &mut Harness, args: &[String], words: &[String]) -> CheckResult {
    let mut scripted = h.scripted_server()?;
    let client = h.client("tcp-echo-client").port(scripted.port()).args(args.to_vec()).start()?;
    let mut c = scripted.accept(&client)?;
    for (i, word) in words.iter().enumerate() {
        c.expect_exact(word).hint("send each word as it is, in order, on the one connection: no newline, no spaces")?;
        if i + 1 < words.len() {
            // Sending the next word before this echo arrived is the bug this window
            // catches; a correct client is silent here, so it never fails.
            c.expect_quiet(QUIET, "before it got the echo of the previous word").hint(
                "send each word as it is (nothing after it), then wait for its whole echo before sending the next",
            )?;
        }
        c.send(word)?;
    }
    // A correct client closes the connection here, which ends the window at once.
    c.expect_quiet(QUIET, "after the echo of its last word").hint(MORE_WORDS)?;
    let run = client.finish()?;
    run.expect_success().hint(EXIT_0)?;
    run.expect_stdout(&received(words)).hint("print each echo as  Received: <reply>  on a line of its own, in order")
}

fn tcp_client_split_reply(h: &mut Harness) -> CheckResult {
    let words = vec!["Grüße".to_string(), "Mon".to_string()];
    let mut scripted = h.scripted_server()?;
    let client = h.client("tcp-echo-client").port(scripted.port()).args(words.clone()).start()?;
    let mut c = scripted.accept(&client)?;
    let hint = "TCP is a byte stream: one recv() may return part of the echo. The echo is as long as the word you sent: keep reading until you have that many bytes, then decode them";
    c.expect_exact(&words[0])?;
    // The echo goes out in two pieces, cut inside the ü: the pause between them is
    // the deliberate pacing this check is about, and a correct client stays silent in
    // it, waiting for the rest.
    let bytes = words[0].as_bytes();
    c.send(&bytes[..3])?;
    c.expect_quiet(Duration::from_millis(150), "before the whole echo had arrived").hint(hint)?;
    c.send(&bytes[3..])?;
    c.expect_exact(&words[1]).hint(hint)?;
    c.send(&words[1])?;
    let run = client.finish()?;
    run.expect_success()?;
    run.expect_stdout(&received(&words)).hint(hint)
}

fn tcp_client_no_server(h: &mut Harness) -> CheckResult {
    let port = h.unused_port()?;
    h.note(format!("nothing listens on 127.0.0.1:{port}"));
    h.client("tcp-echo-client").port(port).run()?.expect_clean_failure()
}

fn udp_server_echoes(h: &mut Harness) -> CheckResult {
    let mut server = h.server("udp-echo-server").start_udp()?;
    let mut s = server.socket()?;
    s.send("Mon")?;
    s.expect_datagram("Mon")
        .hint_on(Timeout, "receive with recvfrom(), then sendto() the same bytes back to the address it came from")
        .hint(EXACT)
}

fn udp_server_many_datagrams(h: &mut Harness) -> CheckResult {
    let mut server = h.server("udp-echo-server").start_udp()?;
    let mut s = server.socket()?;
    let hint =
        "put recvfrom() and sendto() in a loop: a UDP server serves datagram after datagram, until it is stopped";
    let mut previous: Option<&str> = None;
    for word in DEFAULT_WORDS {
        s.send(word)?;
        let got = s.recv().hint(hint)?;
        if got != word.as_bytes() {
            let again = previous.is_some_and(|p| got == p.as_bytes());
            return Err(s.wrong_datagram(word.as_bytes(), &got).with_hint(if again { ONE_REPLY } else { EXACT }));
        }
        previous = Some(word);
    }
    // A correct server is silent here: this window only catches a second datagram.
    s.expect_quiet(QUIET, "that nobody asked for: a second reply to one request?").hint(ONE_REPLY)?;
    server.expect_alive("after five datagrams").hint(hint)
}

fn udp_server_each_sender(h: &mut Harness) -> CheckResult {
    let mut server = h.server("udp-echo-server").start_udp()?;
    let mut sockets = [server.socket()?, server.socket()?, server.socket()?];
    let hint =
        "send each reply to the address recvfrom() returned with that datagram: every datagram carries its own sender";
    for round in 0..2 {
        let words = words(h, 3);
        h.note(format!("round {}: three clients send, then each waits for its own echo", round + 1));
        for (s, word) in sockets.iter_mut().zip(&words) {
            s.send(word)?;
        }
        for (s, word) in sockets.iter_mut().zip(&words) {
            s.expect_datagram(word).hint(hint)?;
        }
        sockets.reverse();
    }
    Ok(())
}

fn udp_server_any_bytes(h: &mut Harness) -> CheckResult {
    let mut server = h.server("udp-echo-server").start_udp()?;
    let mut s = server.socket()?;
    let data = any_bytes();
    s.send(&data)?;
    s.expect_datagram(&data).hint(AS_BYTES)
}

fn udp_server_large_datagram(h: &mut Harness) -> CheckResult {
    let mut server = h.server("udp-echo-server").start_udp()?;
    let mut s = server.socket()?;
    // Counting digits, so that a cut shows where it happened.
    let data: Vec<u8> = (0..MAX_DATAGRAM).map(|i| b"0123456789"[i % 10]).collect();
    s.send(&data)?;
    s.expect_datagram(&data).hint(
        "recvfrom(n) cuts a datagram to n bytes, and the rest is lost: receive into a buffer of 65,535 bytes, the most one datagram can hold",
    )
}

/// Plays a UDP echo server for `words`, replying to each datagram, losing the first
/// one if `lose_first`: a lost datagram must be sent again.
fn udp_client_talks(h: &mut Harness, args: &[String], words: &[String], lose_first: bool) -> CheckResult {
    let patience = h.timeouts().client_run;
    let mut scripted = h.scripted_udp_server()?;
    let client = h.client("udp-echo-client").port(scripted.port()).args(args.to_vec()).start()?;
    let mut previous: Option<&str> = None;
    for (i, word) in words.iter().enumerate() {
        let mut d = next_word(&mut scripted, &client, previous)?;
        expect_word(&d, word).hint("send each word as one datagram holding just the word, in order")?;
        if i == 0 && lose_first {
            scripted.lose(&d);
            let lost_at = Instant::now();
            let waiting_for = format!("{} again, after a timeout", escape(word.as_bytes()));
            d = scripted.recv_within(&client, patience, &waiting_for).hint(RETRY)?;
            expect_word(&d, word).hint(RETRY)?;
            h.note(format!("it sent the word again after {:.1} s", lost_at.elapsed().as_secs_f32()));
        }
        if i + 1 < words.len() {
            // Sending the next word before this reply came is the bug this window
            // catches; a correct client is silent here, or sends the same word again
            // if its timeout is shorter than the window.
            let early = scripted.collect(QUIET, client.role())?;
            if let Some(other) = early.iter().find(|e| e.data != word.as_bytes()) {
                return Err(Failure::mismatch("udp-echo-client sent the next datagram before it got the echo")
                    .expected(format!("nothing, or {} again, until the echo is sent", escape(word.as_bytes())))
                    .got(escape(&other.data))
                    .with_hint("wait for each echo (with a timeout) before sending the next word"));
            }
            d = early.last().cloned().unwrap_or(d);
        }
        scripted.reply(&d, word)?;
        previous = Some(word);
    }
    // After the last echo a correct client exits: all it may still send is the last
    // word again, had its timeout expired just before the echo came.
    let last = words.last().map(|w| w.as_bytes());
    if let Some(more) = scripted.collect(QUIET, client.role())?.iter().find(|d| Some(d.data.as_slice()) != last) {
        return Err(Failure::mismatch("udp-echo-client sent another datagram after the echo of its last word")
            .expected("nothing more".to_string())
            .got(format!("one datagram: {}", escape(&more.data)))
            .with_hint(MORE_WORDS));
    }
    let run = client.finish()?;
    run.expect_success().hint(EXIT_0)?;
    run.expect_stdout(&received(words))
        .hint("print each echo once, as  Received: <reply>  on a line of its own, in order")
}

const ONE_REPLY: &str = "send exactly one datagram back for each datagram received: the echo, nothing else";
const RETRY: &str = "UDP loses datagrams without telling anyone: wait for the reply with a timeout (--timeout seconds, 1 s by default) and, when it expires, send the same word again (a few times) before giving up";

/// The next datagram, skipping copies of the word answered last: a client whose
/// timeout expired just before the echo came may have sent it once more.
fn next_word(scripted: &mut ScriptedUdpServer, client: &Client, previous: Option<&str>) -> Result<Datagram, Failure> {
    loop {
        let d = scripted.recv(client)?;
        if previous.is_none_or(|p| d.data != p.as_bytes()) {
            return Ok(d);
        }
    }
}

fn expect_word(d: &Datagram, word: &str) -> CheckResult {
    if d.data == word.as_bytes() {
        return Ok(());
    }
    Err(Failure::mismatch("udp-echo-client sent a wrong datagram")
        .expected(format!("one datagram: {}", escape(word.as_bytes())))
        .got(format!("one datagram: {}", escape(&d.data))))
}

fn udp_client_default_words(h: &mut Harness) -> CheckResult {
    let words: Vec<String> = DEFAULT_WORDS.iter().map(|w| w.to_string()).collect();
    udp_client_talks(h, &[], &words, false)
        .hint_on(Mismatch, "with no WORD arguments, the client sends Mon Tue Wed Thu Fri")
}

fn udp_client_each_word(h: &mut Harness) -> CheckResult {
    let words = words(h, 3);
    udp_client_talks(h, &words, &words, false)
}

fn udp_client_retries(h: &mut Harness) -> CheckResult {
    let words = words(h, 3);
    // The retry comes after the client's timeout: the contract's --timeout shortens it.
    let mut args = vec!["--timeout".to_string(), udp::CLIENT_TIMEOUT.to_string()];
    args.extend(words.iter().cloned());
    udp_client_talks(h, &args, &words, true)
}

fn udp_client_gives_up(h: &mut Harness) -> CheckResult {
    let mut scripted = h.scripted_udp_server()?;
    h.note("the grader receives every datagram and never replies: the network loses them all");
    let client =
        h.client("udp-echo-client").port(scripted.port()).args(["--timeout", udp::CLIENT_TIMEOUT, "Mon"]).start()?;
    let first = scripted.recv(&client)?;
    scripted.lose(&first);
    let started = Instant::now();
    let run = client.finish().hint(RETRY)?;
    // What it sent meanwhile is queued in the grader's socket: counted, not waited for.
    let tries = 1 + scripted.collect(Duration::from_millis(10), "udp-echo-client")?.len();
    h.note(format!("it sent {tries} datagram(s) and gave up after {:.1} s", started.elapsed().as_secs_f32()));
    run.expect_clean_failure()
}

fn udp_client_no_server(h: &mut Harness) -> CheckResult {
    let port = h.unused_port()?;
    h.note(format!("nothing is bound to UDP 127.0.0.1:{port}"));
    h.client("udp-echo-client")
        .port(port)
        .args(["--timeout", udp::CLIENT_TIMEOUT, "Mon"])
        .run()
        .hint(RETRY)?
        .expect_clean_failure()
        .map_err(udp::explain_refused)
}
