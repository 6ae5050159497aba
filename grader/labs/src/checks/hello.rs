//! Lab hello: docs/labs/hello.md (seed Lab 1 "Hello World", exercises 1 to 4).
//!
//! hello-server replies `I got "<data>" from you and I am sending it back.` to every
//! read and keeps serving client after client; hello-client sends its messages on one
//! connection and prints `Server says: <reply>` for each. sum-server adds up the numbers
//! of each request line; sum-client sends its numbers as one line and prints the sum.

use std::net::{IpAddr, Ipv4Addr};
use std::time::Duration;

use crate::model::{Check, Lab, Role};
use harness::conn::Conn;
use harness::outcome::{CheckResult, Failure, FailureKind::*, Hint};
use harness::transcript::escape;
use harness::Harness;

pub const LAB: Lab = Lab {
    home: None,
    mutants: &[],
    name: "hello",
    title: "Hello World (Lab 1, exercises 1 to 4)",
    roles: &[
        Role::server("hello-server", 65432),
        Role::client("hello-client", 65432),
        Role::server("sum-server", 65433),
        Role::client("sum-client", 65433),
    ],
    checks: &[
        check(
            "server-replies",
            "hello-server replies I got \"Hello world\" from you and I am sending it back.",
            2,
            server_replies,
        )
        .starts(&["hello-server"]),
        check("server-two-messages", "hello-server replies to two messages on one connection", 2, server_two_messages)
            .starts(&["hello-server"]),
        check(
            "server-keeps-running",
            "hello-server keeps running for a second and a third client",
            2,
            server_keeps_running,
        )
        .starts(&["hello-server"]),
        check("server-any-text", "hello-server sends back any text byte for byte: quotes, UTF-8", 1, server_any_text)
            .starts(&["hello-server"]),
        check(
            "server-host-and-port",
            "hello-server listens on another --host it is given (127.0.0.2) and replies there",
            1,
            server_host_and_port,
        )
        .starts(&["hello-server"]),
        check(
            "client-default-message",
            "hello-client sends Hello world and prints Server says: <reply>",
            2,
            client_default_message,
        ),
        check(
            "client-each-message",
            "hello-client sends each message, waits for its reply, prints each",
            2,
            client_each_message,
        ),
        check(
            "client-no-server",
            "hello-client exits 1 with one clear line when no server is there",
            1,
            client_no_server,
        ),
        check("sum-integers", "sum-server adds up integers", 2, sum_integers).starts(&["sum-server"]),
        check("sum-negatives", "sum-server adds up negative numbers", 1, sum_negatives).starts(&["sum-server"]),
        check("sum-decimals", "sum-server adds up decimals and replies a decimal", 2, sum_decimals)
            .starts(&["sum-server"]),
        check("sum-exact", "sum-server adds integers exactly, beyond a float's 53 bits", 1, sum_exact)
            .starts(&["sum-server"]),
        check("sum-empty-line", "sum-server replies 0 to an empty line", 1, sum_empty_line).starts(&["sum-server"]),
        check("sum-not-a-number", "sum-server answers ERR to a non-number and keeps serving", 2, sum_not_a_number)
            .starts(&["sum-server"]),
        check("sum-overflow", "sum-server answers ERR overflow past the 64-bit integer range", 1, sum_overflow)
            .starts(&["sum-server"]),
        check("sum-many-requests", "sum-server answers many requests on one connection", 2, sum_many_requests)
            .starts(&["sum-server"]),
        check("sum-pipelined", "sum-server answers requests that arrive in one write, in order", 1, sum_pipelined)
            .starts(&["sum-server"]),
        check(
            "sum-split-request",
            "sum-server waits for the newline of a request split across writes",
            1,
            sum_split_request,
        )
        .starts(&["sum-server"]),
        check("sum-crlf", "sum-server accepts lines ending in \\r\\n", 1, sum_crlf).starts(&["sum-server"]),
        check("sum-each-client", "sum-server serves one client after another", 1, sum_each_client)
            .starts(&["sum-server"]),
        check(
            "sum-client-sends-line",
            "sum-client sends its numbers as one line and prints the reply",
            2,
            sum_client_sends_line,
        ),
        check(
            "sum-client-no-server",
            "sum-client exits 1 with one clear line when no server is there",
            1,
            sum_client_no_server,
        ),
    ],
};

const fn check(slug: &'static str, name: &'static str, points: u32, run: fn(&mut Harness) -> CheckResult) -> Check {
    Check { slug, name, points, run: crate::model::Run::Native(run), after: &[], starts: &[], waits: Duration::ZERO }
}

/// The hello server's reply to `data`.
fn reply_to(data: &str) -> String {
    format!("I got \"{data}\" from you and I am sending it back.")
}

/// Words for messages; a check picks a few with its seed, so that a program cannot pass
/// by printing fixed text.
const WORDS: &[&str] =
    &["apple", "socket", "stream", "packet", "kernel", "router", "buffer", "thread", "accept", "listen"];

fn message(h: &mut Harness) -> String {
    let rng = h.rng();
    let n = rng.usize(2..=3);
    (0..n).map(|_| WORDS[rng.usize(..WORDS.len())]).collect::<Vec<_>>().join(" ")
}

const SINGLE_READ: &str =
    "call read() in a loop until it returns 0 (the client closed): one read() serves one message, not one connection";

fn server_replies(h: &mut Harness) -> CheckResult {
    let mut server = h.server("hello-server").start()?;
    let mut c = server.connect()?;
    c.send("Hello world")?;
    c.expect_exact(&reply_to("Hello world"))
        .hint_on(Closed, "read the client's message and write the reply before closing the connection")
        .hint(r#"the reply is exactly  I got "<what you read>" from you and I am sending it back.  with no newline"#)?;
    // Anything after the reply, seen for sure: the grader closes its sending side, the
    // server reads the end and closes, and every byte it wrote before is here by then.
    c.shutdown_write();
    match c.expect_closed() {
        Err(f) if f.kind == Mismatch => {
            let extra = c.take_pending();
            let newline = extra == b"\n" || extra == b"\r\n";
            let summary = if newline {
                "the reply ends with a newline the contract does not have"
            } else {
                "hello-server sent more than the reply"
            };
            Err(Failure::mismatch(summary)
                .sent("Hello world")
                .expected(escape(reply_to("Hello world").as_bytes()))
                .got(escape(&[reply_to("Hello world").as_bytes(), &extra].concat()))
                .with_hint(r#"send exactly  I got "<what you read>" from you and I am sending it back.  and nothing after it: no \n (the hello protocol has no newline; the client prints what it reads)"#))
        }
        // Closed; or kept open after the client's end, or reset: other checks' business.
        _ => Ok(()),
    }
}

fn server_two_messages(h: &mut Harness) -> CheckResult {
    let (first, second) = (message(h), message(h));
    let mut server = h.server("hello-server").start()?;
    let mut c = server.connect()?;
    for text in [&first, &second] {
        c.send(text)?;
        c.expect_exact(&reply_to(text))
            .hint_on(Closed, SINGLE_READ)
            .hint_on(Timeout, SINGLE_READ)
            .hint_on(Refused, SINGLE_READ)
            .hint_on(Mismatch, r#"each reply is exactly  I got "<what you read>" from you and I am sending it back.  with nothing before or after it: a reply that starts with \n has the newline the previous reply ended with"#)?;
    }
    Ok(())
}

fn server_keeps_running(h: &mut Harness) -> CheckResult {
    let mut server = h.server("hello-server").start()?;
    for n in 1..=3 {
        let text = message(h);
        let mut c = server.connect().hint(KEEP_RUNNING)?;
        // A server that exits after client 1 may take client 2's connection into its
        // backlog first: the send then meets the reset.
        let sent = c.send(&text);
        if n > 1 { sent.hint(KEEP_RUNNING) } else { sent }?;
        // A wrong reply is the reply's fault, not the loop's; silence or a close on a
        // later client is what a server without its accept() loop gives.
        let replied = c.expect_exact(&reply_to(&text)).hint_on(Mismatch, REPLY);
        if n > 1 { replied.hint(KEEP_RUNNING) } else { replied }?;
        drop(c);
        h.note(format!("client {n} has closed its connection"));
    }
    server.expect_alive("after the third client left").hint(KEEP_RUNNING)
}

const REPLY: &str = r#"the reply is exactly  I got "<what you read>" from you and I am sending it back.  with the same quotes and words, and no newline"#;

const KEEP_RUNNING: &str =
    "a server serves one client after another: put accept() in a loop, so that it waits for the next client when one leaves (exercise 3)";

fn server_any_text(h: &mut Harness) -> CheckResult {
    let text = "say \"hi\" \\ back: héllo wörld, 你好\tand  two spaces";
    let mut server = h.server("hello-server").start()?;
    let mut c = server.connect()?;
    c.send(text)?;
    c.expect_exact(&reply_to(text)).hint(
        "put the bytes you read into the reply as they are, decoded as UTF-8: no escaping, no trimming, no debug formatting",
    )
}

fn server_host_and_port(h: &mut Harness) -> CheckResult {
    // 127.0.0.2 is loopback too on Linux; a server that binds 127.0.0.1 whatever --host
    // says is unreachable there. Where it is not routed (macOS), only --port is tested.
    let other = IpAddr::V4(Ipv4Addr::new(127, 0, 0, 2));
    let host = if h.loopback_usable(other) {
        other
    } else {
        h.note("127.0.0.2 is not a loopback address here: only --port is tested");
        IpAddr::V4(Ipv4Addr::LOCALHOST)
    };
    let mut server = h.server("hello-server").host(host).start()?;
    let mut c = server.connect()?;
    c.send("Hello world")?;
    c.expect_exact(&reply_to("Hello world"))
}

fn client_default_message(h: &mut Harness) -> CheckResult {
    let mut scripted = h.scripted_server()?;
    let client = h.client("hello-client").port(scripted.port()).start()?;
    let mut c = scripted.accept(&client)?;
    c.expect_exact("Hello world").hint("with no MESSAGE arguments, the client sends Hello world")?;
    c.send(reply_to("Hello world"))?;
    let run = client.finish()?;
    run.expect_success()?;
    run.expect_stdout(&[format!("Server says: {}", reply_to("Hello world"))])
        .hint("print each reply as  Server says: <reply>  on a line of its own")
}

fn client_each_message(h: &mut Harness) -> CheckResult {
    let messages: Vec<String> = (0..3).map(|_| message(h)).collect();
    let mut scripted = h.scripted_server()?;
    let client = h.client("hello-client").port(scripted.port()).args(messages.clone()).start()?;
    let mut c = scripted.accept(&client)?;
    for (i, text) in messages.iter().enumerate() {
        c.expect_exact(text).hint("send each MESSAGE argument as it is, in order, on the one connection")?;
        if i + 1 < messages.len() {
            // Sending the next message before this reply arrived is the bug this
            // window catches; a correct client is silent here, so it never fails.
            c.expect_quiet(Duration::from_millis(100), "before it got the reply to the previous message")
                .hint("wait for each reply before sending the next message (exercise 2)")?;
        }
        c.send(reply_to(text))?;
    }
    let run = client.finish()?;
    run.expect_success()?;
    let expected: Vec<String> = messages.iter().map(|m| format!("Server says: {}", reply_to(m))).collect();
    run.expect_stdout(&expected).hint("print one  Server says: <reply>  line per message, in order")
}

fn client_no_server(h: &mut Harness) -> CheckResult {
    let port = h.unused_port()?;
    h.note(format!("nothing listens on 127.0.0.1:{port}"));
    h.client("hello-client").port(port).run()?.expect_clean_failure()
}

/// What a sum-server must reply to one request.
enum Sum {
    /// Exactly this integer.
    Int(&'static str),
    /// A decimal within 1e-9 (relative) of this.
    Dec(f64),
    /// An `ERR <reason>` line.
    Err,
}

const NEWLINE: &str =
    "end every reply with \\n, and answer each line as soon as it is complete: the client reads up to the newline";

/// Sends one request line and checks the reply.
fn ask(c: &mut Conn, request: &str, want: Sum) -> CheckResult {
    c.send_line(request)?;
    expect_sum(c, want)
}

fn expect_sum(c: &mut Conn, want: Sum) -> CheckResult {
    let got = c.read_line().hint_on(Timeout, NEWLINE)?;
    let reply = got.trim();
    let ok = match want {
        Sum::Int(n) => reply == n,
        Sum::Dec(x) => reply.parse::<f64>().is_ok_and(|y| (x - y).abs() <= 1e-9 * x.abs().max(1.0)),
        Sum::Err => reply.starts_with("ERR"),
    };
    if ok {
        return Ok(());
    }
    let expected = match want {
        Sum::Int(n) => n.to_string(),
        Sum::Dec(x) => format!("{x} (any decimal within 1e-9 of it)"),
        Sum::Err => "ERR <reason>".to_string(),
    };
    Err(c.wrong_line(&expected, &got))
}

fn sum_integers(h: &mut Harness) -> CheckResult {
    let count = h.rng().usize(4..=7);
    let numbers: Vec<i64> = (0..count).map(|_| h.rng().i64(0..1000)).collect();
    let request = numbers.iter().map(|n| n.to_string()).collect::<Vec<_>>().join(" ");
    let total = numbers.iter().sum::<i64>().to_string();
    let mut server = h.server("sum-server").start()?;
    let mut c = server.connect()?;
    ask(&mut c, "1 2 3", Sum::Int("6"))?;
    c.send_line(&request)?;
    let got = c.read_line().hint_on(Timeout, NEWLINE)?;
    if got.trim() != total {
        return Err(c.wrong_line(&total, &got).with_hint("integers sum to an integer: reply 6, not 6.0"));
    }
    Ok(())
}

fn sum_negatives(h: &mut Harness) -> CheckResult {
    let mut server = h.server("sum-server").start()?;
    let mut c = server.connect()?;
    let hint = "a leading '-' belongs to the number: -5 is an integer, so -5 3 -10 sums to the integer -12 (not -12.0, not ERR)";
    ask(&mut c, "-5 3 -10", Sum::Int("-12")).hint(hint)?;
    ask(&mut c, "-7", Sum::Int("-7")).hint(hint)
}

fn sum_decimals(h: &mut Harness) -> CheckResult {
    let mut server = h.server("sum-server").start()?;
    let mut c = server.connect()?;
    ask(&mut c, "1.5 2.25", Sum::Dec(3.75)).hint("a request with a decimal has a decimal sum")?;
    ask(&mut c, "1 2.5", Sum::Dec(3.5)).hint("integers and decimals may be mixed in one request")?;
    ask(&mut c, "0.1 0.2 1.5", Sum::Dec(1.8))?;
    ask(&mut c, "-2.5 1", Sum::Dec(-1.5))
}

fn sum_exact(h: &mut Harness) -> CheckResult {
    let mut server = h.server("sum-server").start()?;
    let mut c = server.connect()?;
    let hint = "add integers as 64-bit integers, not as floats: a float keeps only 53 bits and rounds 9007199254740993";
    ask(&mut c, "9007199254740993 0", Sum::Int("9007199254740993")).hint(hint)?;
    ask(&mut c, "9223372036854775806 1", Sum::Int("9223372036854775807")).hint(hint)
}

fn sum_empty_line(h: &mut Harness) -> CheckResult {
    let mut server = h.server("sum-server").start()?;
    let mut c = server.connect()?;
    ask(&mut c, "", Sum::Int("0")).hint("an empty line holds no numbers: their sum is 0")
}

fn sum_not_a_number(h: &mut Harness) -> CheckResult {
    let mut server = h.server("sum-server").start()?;
    let mut c = server.connect()?;
    ask(&mut c, "1 two 3", Sum::Err)
        .hint("reply  ERR not a number: <token>  when a token does not parse, instead of crashing or closing")?;
    ask(&mut c, "4 5", Sum::Int("9")).hint("after an ERR reply the connection goes on: keep reading requests")?;
    server.expect_alive("after a request with a non-number")
}

fn sum_overflow(h: &mut Harness) -> CheckResult {
    let mut server = h.server("sum-server").start()?;
    let mut c = server.connect()?;
    ask(&mut c, "9223372036854775807 1", Sum::Err)
        .hint("compare the sum against the 64-bit range (-2^63 to 2^63-1; Rust: checked_add, Python: its ints never wrap, so compare) and reply ERR overflow instead of a wrapped or huge number")?;
    ask(&mut c, "1 1", Sum::Int("2")).hint("after an ERR reply the connection goes on: keep reading requests")
}

fn sum_many_requests(h: &mut Harness) -> CheckResult {
    let mut server = h.server("sum-server").start()?;
    let mut c = server.connect()?;
    for _ in 0..20 {
        let (a, b) = (h.rng().i64(0..1000), h.rng().i64(0..1000));
        c.send_line(&format!("{a} {b}"))?;
        let got =
            c.read_line().hint_on(Closed, MORE_REQUESTS).hint_on(Refused, MORE_REQUESTS).hint_on(Timeout, NEWLINE)?;
        if got.trim() != (a + b).to_string() {
            return Err(c.wrong_line(&(a + b).to_string(), &got));
        }
    }
    Ok(())
}

const MORE_REQUESTS: &str = "keep reading requests on a connection until the client closes it, however many it sends: make room in your read buffer as its lines are answered (a read into a full buffer returns 0, as if the client had closed)";

fn sum_pipelined(h: &mut Harness) -> CheckResult {
    let mut server = h.server("sum-server").start()?;
    let mut c = server.connect()?;
    c.send("1 2\n3 4\n5 6\n")?;
    let hint = "TCP is a byte stream: one read() may hold several lines. Read line by line (Rust: a BufReader; Python: sock.makefile() and readline()), not one request per read()";
    for want in ["3", "7", "11"] {
        expect_sum(&mut c, Sum::Int(want)).hint(hint)?;
    }
    Ok(())
}

fn sum_split_request(h: &mut Harness) -> CheckResult {
    let mut server = h.server("sum-server").start()?;
    let mut c = server.connect()?;
    c.send("12 3")?;
    // A pause between the two halves makes the server read them separately: the
    // deliberate pacing of bytes this check is about, not a wait for the program.
    c.expect_quiet(Duration::from_millis(50), "before the request line was complete")
        .hint("a request ends at its newline: wait for the whole line before you answer")?;
    c.send("4\n")?;
    expect_sum(&mut c, Sum::Int("46"))
        .hint("a request may arrive in pieces: keep reading until the newline, then add up the whole line")
}

fn sum_crlf(h: &mut Harness) -> CheckResult {
    let mut server = h.server("sum-server").start()?;
    let mut c = server.connect()?;
    c.send("2 3\r\n")?;
    expect_sum(&mut c, Sum::Int("5")).hint("lines may end in \\r\\n (telnet, Windows): strip the \\r too")
}

fn sum_each_client(h: &mut Harness) -> CheckResult {
    let mut server = h.server("sum-server").start()?;
    for n in 1..=3i64 {
        let mut c = server.connect().hint(KEEP_RUNNING)?;
        ask(&mut c, &format!("{n} {n}"), Sum::Int(["2", "4", "6"][n as usize - 1])).hint(KEEP_RUNNING)?;
    }
    server.expect_alive("after the third client left").hint(KEEP_RUNNING)
}

fn sum_client_sends_line(h: &mut Harness) -> CheckResult {
    let a = h.rng().i64(10..100);
    let numbers = [a.to_string(), "-3".to_string(), "4.5".to_string()];
    let total = format!("{}", a as f64 - 3.0 + 4.5);
    let mut scripted = h.scripted_server()?;
    let client = h.client("sum-client").port(scripted.port()).args(numbers.clone()).start()?;
    let mut c = scripted.accept(&client)?;
    let line = c.read_line().hint_on(Timeout, "end the request with \\n: the server reads up to the newline")?;
    let tokens: Vec<&str> = line.split_whitespace().collect();
    if tokens != numbers {
        return Err(Failure::mismatch("sum-client sent a wrong request line")
            .expected(format!("{:?} (the NUMBER arguments separated by spaces)", numbers.join(" ")))
            .got(format!("{line:?}")));
    }
    c.send_line(&total)?;
    let run = client.finish()?;
    run.expect_success()?;
    run.expect_stdout(&[total]).hint("print the server's reply line as it is")
}

fn sum_client_no_server(h: &mut Harness) -> CheckResult {
    let port = h.unused_port()?;
    h.note(format!("nothing listens on 127.0.0.1:{port}"));
    h.client("sum-client").port(port).args(["1", "2"]).run()?.expect_clean_failure()
}
