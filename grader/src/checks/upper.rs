//! Lab upper: docs/labs/upper.md (Kurose and Ross's UDP and TCP uppercase examples on
//! port 12000, from the "Socket Programming" lecture).
//!
//! tcp-upper-server reads one request line, replies it uppercased as one line and closes
//! the connection; udp-upper-server replies each datagram uppercased to its sender. The
//! clients read one line from stdin, send it, and print `From Server: <reply>`.
//! Uppercasing is Unicode-aware: `ñandú` becomes `ÑANDÚ`, not `ñANDú`.

use std::time::Duration;

use crate::conn::Conn;
use crate::harness::Harness;
use crate::outcome::{CheckResult, Failure, FailureKind::*, Hint};
use crate::registry::{Check, Lab, Role};
use crate::transcript::escape;
use crate::udp;

pub const LAB: Lab = Lab {
    home: None,
    mutants: &[],
    name: "upper",
    title: "Uppercase over TCP and UDP (Kurose and Ross, port 12000)",
    roles: &[
        Role::server("tcp-upper-server", 12000),
        Role::udp_server("udp-upper-server", 12000),
        Role::client("tcp-upper-client", 12000),
        Role::client("udp-upper-client", 12000),
    ],
    checks: &[
        check(
            "tcp-server-replies",
            "tcp-upper-server replies the line uppercased, then closes the connection",
            2,
            tcp_server_replies,
        )
        .starts(&["tcp-upper-server"]),
        check(
            "tcp-server-unicode",
            "tcp-upper-server uppercases any UTF-8 text, not only a to z",
            2,
            tcp_server_unicode,
        )
        .starts(&["tcp-upper-server"]),
        check(
            "tcp-server-split-line",
            "tcp-upper-server waits for the whole line, even one split inside a character",
            1,
            tcp_server_split_line,
        )
        .starts(&["tcp-upper-server"]),
        check(
            "tcp-server-keeps-running",
            "tcp-upper-server keeps running for a second and a third client",
            2,
            tcp_server_keeps_running,
        )
        .starts(&["tcp-upper-server"]),
        check(
            "tcp-server-bad-bytes",
            "tcp-upper-server keeps serving after a request that is not UTF-8",
            1,
            tcp_server_bad_bytes,
        )
        .starts(&["tcp-upper-server"]),
        check(
            "udp-server-replies",
            "udp-upper-server replies a datagram uppercased to its sender",
            2,
            udp_server_replies,
        )
        .starts(&["udp-upper-server"]),
        check(
            "udp-server-unicode",
            "udp-upper-server uppercases any UTF-8 text, not only a to z",
            2,
            udp_server_unicode,
        )
        .starts(&["udp-upper-server"]),
        check(
            "udp-server-each-sender",
            "udp-upper-server serves datagram after datagram, each sender at its own address",
            2,
            udp_server_each_sender,
        )
        .starts(&["udp-upper-server"]),
        check(
            "udp-server-bad-bytes",
            "udp-upper-server keeps serving after a datagram that is not UTF-8",
            1,
            udp_server_bad_bytes,
        )
        .starts(&["udp-upper-server"]),
        check(
            "tcp-client-sends-line",
            "tcp-upper-client sends its stdin line and prints From Server: <reply>",
            2,
            tcp_client_sends_line,
        ),
        check(
            "tcp-client-split-reply",
            "tcp-upper-client waits for the whole reply line when it arrives in pieces",
            1,
            tcp_client_split_reply,
        ),
        check(
            "tcp-client-no-reply",
            "tcp-upper-client exits 1 when the server closes without a reply",
            1,
            tcp_client_no_reply,
        ),
        check(
            "tcp-client-no-server",
            "tcp-upper-client exits 1 with one clear line when no server is there",
            1,
            tcp_client_no_server,
        ),
        check(
            "udp-client-sends-line",
            "udp-upper-client sends its stdin line as one datagram and prints From Server: <reply>",
            2,
            udp_client_sends_line,
        ),
        check(
            "udp-client-gives-up",
            "udp-upper-client gives up, exit 1 and one clear line, when no reply comes",
            1,
            udp_client_gives_up,
        )
        .waits_secs(3),
        check(
            "udp-client-no-server",
            "udp-upper-client exits 1 with one clear line when no server is there",
            1,
            udp_client_no_server,
        ),
    ],
};

const fn check(slug: &'static str, name: &'static str, points: u32, run: fn(&mut Harness) -> CheckResult) -> Check {
    Check { slug, name, points, run: crate::registry::Run::Native(run), after: &[], starts: &[], waits: Duration::ZERO }
}

/// Lowercase words for sentences a check picks with its seed.
const WORDS: &[&str] =
    &["input", "lowercase", "sentence", "socket", "stream", "datagram", "server", "client", "port", "hello", "world"];

/// Text beyond ASCII. Every letter here has a one-letter uppercase that every language's
/// Unicode uppercasing agrees on (no `ß`, which some make `SS` and others keep), so one
/// expected reply is right for all of them; the digits, CJK and punctuation stay as
/// they are.
const UNICODE: &[&str] =
    &["schöne grüne äpfel, 你好 42", "καλημέρα κόσμε", "привет, мир! ёлка", "ñandú, café crème & déjà vu"];

fn sentence(h: &mut Harness) -> String {
    let rng = h.rng();
    let n = rng.usize(3..=5);
    (0..n).map(|_| WORDS[rng.usize(..WORDS.len())]).collect::<Vec<_>>().join(" ")
}

fn unicode_sentence(h: &mut Harness) -> String {
    UNICODE[h.rng().usize(..UNICODE.len())].to_string()
}

/// A request that is not UTF-8: Latin-1 bytes, as an old Windows program would send.
const NOT_UTF8: &[u8] = b"caf\xe9 cr\xe8me \xff\xfe\n";

const REPLY_LINE: &str =
    "reply with one line: the request uppercased, ending in \\n, then close the connection (the client reads up to the newline)";
const UNICODE_HINT: &str =
    "uppercase the whole text, not only a to z: decode the bytes as UTF-8 and use a Unicode-aware uppercase (str::to_uppercase in Rust, str.upper() in Python)";
const KEEP_RUNNING: &str =
    "a server serves one client after another: put accept() in a loop, and close only the client's connection after its reply";
const BAD_BYTES: &str = "a request that is not UTF-8 is one client's mistake: reply an error line (or replace the bad bytes) and go on serving; one bad request must never stop the server";

/// Sends one request line and checks that the reply line is its uppercase.
fn tcp_ask(c: &mut Conn, line: &str) -> CheckResult {
    c.send_line(line)?;
    let expected = line.to_uppercase();
    let got = c.read_line().hint_on(Timeout, REPLY_LINE).hint_on(Closed, REPLY_LINE)?;
    if got != expected {
        // Unchanged a to z: not uppercased at all. Anything else: not all of it.
        let untouched = got == line && line.chars().any(|c| c.is_ascii_lowercase());
        let hint = if untouched { "the reply is the request uppercased" } else { UNICODE_HINT };
        return Err(c.wrong_line(&expected, &got).with_hint(hint));
    }
    Ok(())
}

/// A later client's failure: when its connection closed or was reset, the server most
/// likely stopped after an earlier client, and `hint` says why; otherwise the failure
/// keeps its own hint (a wrong reply), or gets `hint` if it has none.
fn gone(failure: Failure, hint: &str) -> Failure {
    match failure.kind {
        Closed | Refused | Exited => failure.with_hint(hint),
        _ if failure.hint.is_none() => failure.with_hint(hint),
        _ => failure,
    }
}

fn tcp_server_replies(h: &mut Harness) -> CheckResult {
    let line = sentence(h);
    let mut server = h.server("tcp-upper-server").start()?;
    let mut c = server.connect()?;
    tcp_ask(&mut c, &line)?;
    c.expect_closed().hint("after the reply line, close the client's connection: one request, one reply, then close")
}

fn tcp_server_unicode(h: &mut Harness) -> CheckResult {
    let line = unicode_sentence(h);
    let mut server = h.server("tcp-upper-server").start()?;
    let mut c = server.connect()?;
    tcp_ask(&mut c, &line).hint(UNICODE_HINT)
}

fn tcp_server_split_line(h: &mut Harness) -> CheckResult {
    let line = format!("{}\n", UNICODE[0]);
    // Cut after the first byte of ü: the first write ends inside a character.
    let cut = line.find('ü').expect("the sentence has a ü") + 1;
    let mut server = h.server("tcp-upper-server").start()?;
    let mut c = server.connect()?;
    let hint = "TCP is a byte stream: a line may arrive in pieces, even cut inside a character. Read up to the newline (Rust: BufReader::read_line; Python: buffer the bytes until b'\\n'), then decode the whole line";
    c.send(&line.as_bytes()[..cut])?;
    // The server reads the first piece on its own, as the kernel sees it (its receive
    // queue is empty), before the rest is sent: a condition, not a pause, so a server
    // that takes one read for the line fails every run, however busy the machine. The
    // piece ends inside a character: by no rule of the contract is it a whole request.
    c.wait_peer_read("the first piece").hint(hint)?;
    c.send(&line.as_bytes()[cut..])?;
    let expected = UNICODE[0].to_uppercase();
    let got = c.read_line().hint(hint)?;
    if got != expected {
        return Err(c.wrong_line(&expected, &got).with_hint(hint));
    }
    Ok(())
}

fn tcp_server_keeps_running(h: &mut Harness) -> CheckResult {
    let mut server = h.server("tcp-upper-server").start()?;
    for n in 1..=3 {
        let line = sentence(h);
        let mut c = server.connect().hint(KEEP_RUNNING)?;
        tcp_ask(&mut c, &line).map_err(|f| gone(f, KEEP_RUNNING))?;
        c.expect_closed().hint("after the reply line, close the client's connection")?;
        h.note(format!("client {n} is done"));
    }
    server.expect_alive("after the third client").hint(KEEP_RUNNING)
}

fn tcp_server_bad_bytes(h: &mut Harness) -> CheckResult {
    let mut server = h.server("tcp-upper-server").start()?;
    let mut bad = server.connect()?;
    bad.send(NOT_UTF8)?;
    // Any answer to the bad request will do (an ERR line, replacement characters, a
    // closed connection); what matters is the next client.
    let _ = bad.read_line();
    drop(bad);
    h.note("what the server answered to that does not matter; the next client must be served");
    let line = sentence(h);
    let mut c = server.connect().hint(BAD_BYTES)?;
    tcp_ask(&mut c, &line).map_err(|f| gone(f, BAD_BYTES))?;
    server.expect_alive("after a request that is not UTF-8").hint(BAD_BYTES)
}

fn udp_server_replies(h: &mut Harness) -> CheckResult {
    let text = sentence(h);
    let mut server = h.server("udp-upper-server").start_udp()?;
    let mut s = server.socket()?;
    s.send(&text)?;
    s.expect_datagram(text.to_uppercase())
        .hint_on(Timeout, "receive with recvfrom(), then sendto() the uppercased text back to the address it came from")
        .hint("the reply datagram is the request uppercased, nothing added")
}

fn udp_server_unicode(h: &mut Harness) -> CheckResult {
    let text = unicode_sentence(h);
    let mut server = h.server("udp-upper-server").start_udp()?;
    let mut s = server.socket()?;
    s.send(&text)?;
    s.expect_datagram(text.to_uppercase()).hint(UNICODE_HINT)
}

fn udp_server_each_sender(h: &mut Harness) -> CheckResult {
    let mut server = h.server("udp-upper-server").start_udp()?;
    let mut sockets = [server.socket()?, server.socket()?, server.socket()?];
    let hint = "loop around recvfrom(), and send each reply to the address recvfrom() returned with that datagram";
    for round in 0..2 {
        let texts: Vec<String> = (0..3).map(|_| sentence(h)).collect();
        h.note(format!("round {}: three clients send, then each waits for its own reply", round + 1));
        for (s, text) in sockets.iter_mut().zip(&texts) {
            s.send(text)?;
        }
        for (s, text) in sockets.iter_mut().zip(&texts) {
            s.expect_datagram(text.to_uppercase()).hint(hint)?;
        }
        sockets.reverse();
    }
    server.expect_alive("after six datagrams").hint(hint)
}

fn udp_server_bad_bytes(h: &mut Harness) -> CheckResult {
    let mut server = h.server("udp-upper-server").start_udp()?;
    let mut bad = server.socket()?;
    bad.send(&NOT_UTF8[..NOT_UTF8.len() - 1])?;
    h.note("whatever the server answers to that does not matter; the next client must be served");
    let text = sentence(h);
    let mut s = server.socket()?;
    s.send(&text)?;
    s.expect_datagram(text.to_uppercase()).hint(BAD_BYTES)?;
    server.expect_alive("after a datagram that is not UTF-8").hint(BAD_BYTES)
}

const NEWLINE_AT_END: &str = "send the line with its \\n at the end: the server reads up to it";
const STDOUT_ONLY: &str =
    "print  From Server: <reply>  and nothing else on stdout: a prompt such as  Input lowercase sentence:  goes to stderr, if anywhere";

fn tcp_client_sends_line(h: &mut Harness) -> CheckResult {
    let line = sentence(h);
    let mut scripted = h.scripted_server()?;
    let client = h.client("tcp-upper-client").port(scripted.port()).stdin(format!("{line}\n")).start()?;
    let mut c = scripted.accept(&client)?;
    let got = c.read_line().hint_on(Timeout, NEWLINE_AT_END)?;
    if got != line {
        return Err(Failure::mismatch("tcp-upper-client sent a wrong request line")
            .expected(format!("{} (the line it read from stdin)", escape(format!("{line}\n").as_bytes())))
            .got(escape(format!("{got}\n").as_bytes()))
            .with_hint("read the sentence from stdin (one line), and send that line as it is, ending in \\n"));
    }
    c.send_line(&line.to_uppercase())?;
    drop(c);
    let run = client.finish()?;
    run.expect_success()?;
    run.expect_stdout(&[format!("From Server: {}", line.to_uppercase())]).hint(STDOUT_ONLY)
}

fn tcp_client_split_reply(h: &mut Harness) -> CheckResult {
    let line = UNICODE[0];
    let reply = format!("{}\n", line.to_uppercase());
    let cut = reply.find('Ü').expect("the reply has a Ü") + 1;
    let mut scripted = h.scripted_server()?;
    let client = h.client("tcp-upper-client").port(scripted.port()).stdin(format!("{line}\n")).start()?;
    let mut c = scripted.accept(&client)?;
    c.read_line().hint_on(Timeout, NEWLINE_AT_END)?;
    let hint = "TCP is a byte stream: the reply may arrive in pieces, even cut inside a character. Read up to the newline (or until the server closes), then decode the whole line";
    c.send(&reply.as_bytes()[..cut])?;
    // The reply goes out in two pieces: the pause between them is the deliberate
    // pacing this check is about.
    c.expect_quiet(Duration::from_millis(150), "before the reply line was complete").hint(hint)?;
    // A client that printed the first piece and left makes this send fail: its
    // output, below, says more than that error would.
    let _ = c.send(&reply.as_bytes()[cut..]);
    drop(c);
    let run = client.finish()?;
    run.expect_success().hint(hint)?;
    run.expect_stdout(&[format!("From Server: {}", line.to_uppercase())]).hint(hint)
}

fn tcp_client_no_reply(h: &mut Harness) -> CheckResult {
    let line = sentence(h);
    let mut scripted = h.scripted_server()?;
    let client = h.client("tcp-upper-client").port(scripted.port()).stdin(format!("{line}\n")).start()?;
    let mut c = scripted.accept(&client)?;
    c.read_line().hint_on(Timeout, NEWLINE_AT_END)?;
    h.note("the grader closes the connection without replying");
    drop(c);
    client.finish()?.expect_clean_failure().hint(
        "when the connection closes before any reply came, there is nothing to print: say so in one line on stderr and exit 1 (status 0 says all went well)",
    )
}

fn tcp_client_no_server(h: &mut Harness) -> CheckResult {
    let port = h.unused_port()?;
    h.note(format!("nothing listens on 127.0.0.1:{port}"));
    h.client("tcp-upper-client").port(port).stdin("hello\n").run()?.expect_clean_failure()
}

const TIMEOUT_HINT: &str = "UDP loses datagrams without telling anyone: set a timeout on the socket before waiting for the reply, and give up (exit 1, one line on stderr) when it expires";

fn udp_client_sends_line(h: &mut Harness) -> CheckResult {
    let line = unicode_sentence(h);
    let mut scripted = h.scripted_udp_server()?;
    let client = h.client("udp-upper-client").port(scripted.port()).stdin(format!("{line}\n")).start()?;
    let d = scripted.recv(&client)?;
    // The line as it is; a trailing newline is allowed, and then comes back uppercased.
    let text = d.text();
    let request = text.strip_suffix('\n').map(|t| t.strip_suffix('\r').unwrap_or(t)).unwrap_or(&text);
    if request != line {
        return Err(Failure::mismatch("udp-upper-client sent a wrong datagram")
            .expected(format!("one datagram: {} (the line it read from stdin)", escape(line.as_bytes())))
            .got(format!("one datagram: {}", escape(&d.data)))
            .with_hint("send the line from stdin as one datagram, UTF-8 encoded"));
    }
    scripted.reply(&d, text.to_uppercase())?;
    let run = client.finish()?;
    run.expect_success()?;
    run.expect_stdout(&[format!("From Server: {}", line.to_uppercase())]).hint(STDOUT_ONLY)
}

fn udp_client_gives_up(h: &mut Harness) -> CheckResult {
    let mut scripted = h.scripted_udp_server()?;
    h.note("the grader receives the datagram and never replies: the network loses it");
    let client = h
        .client("udp-upper-client")
        .port(scripted.port())
        .args(["--timeout", udp::CLIENT_TIMEOUT])
        .stdin("hello\n")
        .start()?;
    let first = scripted.recv(&client)?;
    scripted.lose(&first);
    client.finish().hint(TIMEOUT_HINT)?.expect_clean_failure()
}

fn udp_client_no_server(h: &mut Harness) -> CheckResult {
    let port = h.unused_port()?;
    h.note(format!("nothing is bound to UDP 127.0.0.1:{port}"));
    h.client("udp-upper-client")
        .port(port)
        .args(["--timeout", udp::CLIENT_TIMEOUT])
        .stdin("hello\n")
        .run()
        .hint(TIMEOUT_HINT)?
        .expect_clean_failure()
        .map_err(udp::explain_refused)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_letter_has_one_uppercase_letter() {
        // Then simple and full case mapping agree, and so do all languages.
        for text in UNICODE {
            for c in text.chars() {
                assert_eq!(c.to_uppercase().count(), 1, "{c:?} in {text:?}");
            }
            assert_ne!(text.to_uppercase(), *text);
        }
    }
}
