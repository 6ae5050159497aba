//! Lab date: docs/labs/date.md (seed Lab 3 "Client/Server Communication", exercises 1
//! and 2: DateServer and DateClient).
//!
//! date-server reads one request line per connection, replies one line, the current
//! date and time in RFC 3339, and closes the connection; a client that stays silent
//! must not delay anyone. date-client sends `What time is it?` and prints the reply.

use std::time::Duration;

use crate::model::{Check, Lab, Role};
use crate::timestamp::{self, ask_time, reply_hints, TimeReply};
use harness::conn::Conn;
use harness::outcome::{CheckResult, Failure, FailureKind::*, Hint};
use harness::transcript::escape;
use harness::Harness;

pub const LAB: Lab = Lab {
    home: None,
    mutants: &[],
    name: "date",
    title: "What time is it? (Lab 3, exercises 1 and 2: DateServer, DateClient)",
    roles: &[Role::server("date-server", 6015), Role::client("date-client", 6015)],
    checks: &[
        check("server-rfc3339", "date-server replies one line of RFC 3339 with seconds", 2, server_rfc3339)
            .starts(&["date-server"]),
        check(
            "server-current-time",
            "date-server replies the current time, within 2 s, with an offset that belongs to it",
            2,
            server_current_time,
        )
        .starts(&["date-server"]),
        check(
            "server-waits-for-request",
            "date-server says nothing until the client has sent its request line",
            1,
            server_waits_for_request,
        )
        .starts(&["date-server"]),
        check(
            "server-any-request",
            "date-server answers any request line, also one ending in \\r\\n",
            1,
            server_any_request,
        )
        .starts(&["date-server"]),
        check("server-closes", "date-server closes the connection after its reply", 2, server_closes)
            .starts(&["date-server"]),
        check(
            "server-sequential-clients",
            "date-server serves 50 clients one after another",
            2,
            server_sequential_clients,
        )
        .starts(&["date-server"]),
        check(
            "server-concurrent-clients",
            "date-server serves 20 clients connected at once",
            2,
            server_concurrent_clients,
        )
        .starts(&["date-server"]),
        check(
            "server-silent-client",
            "a client that connects and stays silent does not delay the others",
            2,
            server_silent_client,
        )
        .starts(&["date-server"]),
        check("client-sends-request", "date-client sends the line What time is it?", 2, client_sends_request),
        check("client-prints-reply", "date-client prints the server's reply line as it is", 2, client_prints_reply),
        check(
            "client-no-server",
            "date-client exits 1 with one clear line when no server is there",
            1,
            client_no_server,
        ),
    ],
};

const fn check(slug: &'static str, name: &'static str, points: u32, run: fn(&mut Harness) -> CheckResult) -> Check {
    Check { slug, name, points, run: crate::model::Run::Native(run), after: &[], starts: &[], waits: Duration::ZERO }
}

/// What the date client sends; the server answers any line alike.
const REQUEST: &str = "What time is it?";

/// Asks for the time, with the usual hints if no reply comes.
fn ask(c: &mut Conn) -> Result<TimeReply, Failure> {
    reply_hints(ask_time(c, REQUEST))
}

fn server_rfc3339(h: &mut Harness) -> CheckResult {
    let mut server = h.server("date-server").start()?;
    let mut c = server.connect()?;
    ask(&mut c)?.expect_rfc3339("date-server")?;
    Ok(())
}

fn server_current_time(h: &mut Harness) -> CheckResult {
    let mut server = h.server("date-server").start()?;
    let mut c = server.connect()?;
    ask(&mut c)?.expect_current("date-server")?;
    Ok(())
}

const CLIENT_FIRST: &str = "read the client's request line first, then reply: in this protocol the client speaks first";

fn server_waits_for_request(h: &mut Harness) -> CheckResult {
    let mut server = h.server("date-server").start()?;
    // One usual request first: a JVM or an interpreter that loads its code on the first
    // client answers the next one at its usual speed.
    let mut warm = server.connect()?;
    ask(&mut warm)?;
    expect_request_read(&mut warm)?;
    drop(warm);
    let mut c = server.connect()?;
    server.wait_accepted(h.timeouts().io);
    // A correct server is silent here whatever the timing, so this window can only
    // catch a server that speaks first; it never fails a correct one. A server that
    // speaks first and never reads is caught below, every time, by the kernel.
    c.expect_quiet(Duration::from_millis(100), "before the client had sent its request").hint(CLIENT_FIRST)?;
    ask(&mut c)?;
    expect_request_read(&mut c)
}

/// After the reply: the server read the request, as the kernel sees it (its end of the
/// connection holds no unread byte, or it closed in order). A server that wrote its
/// reply and closed without reading leaves the request unread, and its kernel resets
/// the connection: no timing decides that.
fn expect_request_read(c: &mut Conn) -> CheckResult {
    if c.wait_peer_read("the request").hint(CLIENT_FIRST)? {
        return Ok(());
    }
    match c.closed_after_reading() {
        Ok(false) => Err(Failure::mismatch("date-server replied without reading the request")
            .expected("the request line read, then the reply, then an orderly close")
            .got("the connection was reset: date-server closed it with the request still unread (or before it came)")
            .with_hint(CLIENT_FIRST)),
        // Closed in order, or kept open (server-closes is about that): it read.
        _ => Ok(()),
    }
}

fn server_any_request(h: &mut Harness) -> CheckResult {
    let mut server = h.server("date-server").start()?;
    let mut c = server.connect()?;
    let other = "hey, got the time?";
    c.send(format!("{other}\r\n"))?;
    let reply = c
        .read_line()
        .hint_on(Timeout, "any line is a request: answer it whatever it says, and accept \\r\\n as a line ending")?;
    // The content, not the shape: the time (in any format; server-rfc3339 checks that).
    if timestamp::is_a_time(&reply) {
        return Ok(());
    }
    Err(Failure::mismatch("date-server did not answer the time to a request other than What time is it?")
        .sent(escape(format!("{other}\r\n").as_bytes()))
        .expected("the current date and time, as for What time is it?")
        .got(escape(format!("{reply}\n").as_bytes()))
        .with_hint("every request line gets the time, whatever it says and however it ends (\\n or \\r\\n): do not compare it with What time is it?"))
}

fn server_closes(h: &mut Harness) -> CheckResult {
    let mut server = h.server("date-server").start()?;
    let mut c = server.connect()?;
    ask(&mut c)?;
    let closed = c.expect_closed();
    if closed.is_err() && c.was_reset() && c.take_pending().is_empty() {
        // Closed, with a reset: the request was left unread, which is
        // server-waits-for-request's business; this check's is the close.
        h.note("date-server closed the connection with a reset (see server-waits-for-request)");
        return Ok(());
    }
    closed
        .hint_on(Timeout, "close the connection after the reply: one request, one reply, one connection (the client reads until the server closes)")
        .hint("send the one reply line and close: nothing more")
}

const KEEP_SERVING: &str =
    "put accept() in a loop and handle each client in turn (or on a thread of its own): the server runs until it is stopped";

fn server_sequential_clients(h: &mut Harness) -> CheckResult {
    let mut server = h.server("date-server").start()?;
    for n in 1..=50 {
        let mut c = server.connect().hint(KEEP_SERVING)?;
        if n == 1 {
            ask(&mut c)?;
        } else {
            ask_time(&mut c, REQUEST).hint(KEEP_SERVING)?;
        }
        // The grader closes its side too, as a client program exits after the reply.
        drop(c);
        if n % 10 == 0 {
            h.note(format!("{n} clients served"));
        }
    }
    server.expect_alive("after 50 clients").hint(KEEP_SERVING)
}

fn server_concurrent_clients(h: &mut Harness) -> CheckResult {
    let mut server = h.server("date-server").start()?;
    let mut conns = Vec::new();
    for _ in 0..20 {
        conns.push(server.connect().hint(AT_ONCE)?);
    }
    // Accepted, all of them, before any request: then every client's thread is there
    // at once, every run (a server's threads that share one connection variable are
    // caught every time, not only when the machine is busy).
    server.wait_accepted(h.timeouts().io);
    h.note("20 clients are connected; each sends its request now, all at once");
    // One thread per client, each with its own deadlines: the replies may come in any
    // order, and one slow reply does not hold up the reading of the others.
    let results: Vec<Result<(), Failure>> = std::thread::scope(|scope| {
        let handles: Vec<_> = conns.iter_mut().map(|c| scope.spawn(move || ask_time(c, REQUEST).map(|_| ()))).collect();
        handles
            .into_iter()
            .map(|t| t.join().unwrap_or_else(|_| Err(Failure::grader("a client thread panicked"))))
            .collect()
    });
    let answered = results.iter().filter(|r| r.is_ok()).count();
    match results.into_iter().find_map(Result::err) {
        None => server.expect_alive("after 20 clients at once").hint(AT_ONCE),
        Some(failure) => Err(failure.detail(format!("{answered} of the 20 clients got a reply")))
            .hint_on(Closed, LOST_REPLIES)
            .hint(AT_ONCE),
    }
}

const LOST_REPLIES: &str = "some connections were closed without a reply: each client's thread must write to its own connection (pass it to the thread; a variable that the accept loop overwrites sends the reply to whichever client came last), and no client may be turned away";

const AT_ONCE: &str = "serve clients that arrive together: keep accepting while others are served (a thread per client), listen with a backlog of at least 20, and share nothing between clients without a lock";

const SILENT: &str = "the server is stuck waiting for the silent client's request and serves nobody else meanwhile: serve each client on a thread of its own, or give each connection a read timeout of a second or two (the lesson of iterative vs concurrent servers)";

fn server_silent_client(h: &mut Harness) -> CheckResult {
    let mut server = h.server("date-server").start()?;
    let silent = server.connect()?;
    h.note(format!("[{}] stays connected and silent until the end of the check", silent.label()));
    for _ in 0..3 {
        let mut c = server.connect().hint(SILENT)?;
        reply_hints(ask_time(&mut c, REQUEST).hint_on(Timeout, SILENT))?;
    }
    drop(silent);
    Ok(())
}

fn client_sends_request(h: &mut Harness) -> CheckResult {
    let mut scripted = h.scripted_server()?;
    let client = h.client("date-client").port(scripted.port()).start()?;
    let mut c = scripted.accept(&client)?;
    let line = c
        .read_line()
        .hint_on(Timeout, "end the request with \\n: the server reads one line, and waits for its end")
        .hint_on(Closed, "send the request line, ending in \\n, and wait for the reply before closing")?;
    if line != REQUEST {
        return Err(Failure::mismatch("date-client sent a wrong request")
            .expected(escape(format!("{REQUEST}\n").as_bytes()))
            .got(escape(format!("{line}\n").as_bytes()))
            .with_hint("send exactly What time is it? followed by \\n"));
    }
    // Let it finish as it would with a real server; this check is about the request.
    c.send_line(&timestamp::format(timestamp::unix_now(), 0))?;
    drop(c);
    let _ = client.finish();
    Ok(())
}

fn client_prints_reply(h: &mut Harness) -> CheckResult {
    // A time the client cannot make up itself: another year, an odd offset.
    let offsets = [-570, -300, -180, 0, 60, 330, 345, 660, 840];
    let instant = h.rng().i64(0..4_000_000_000) as f64;
    let offset = offsets[h.rng().usize(..offsets.len())];
    let reply = timestamp::format(instant, offset);
    let mut scripted = h.scripted_server()?;
    let client = h.client("date-client").port(scripted.port()).start()?;
    let mut c = scripted.accept(&client)?;
    c.read_line().hint_on(Timeout, "end the request with \\n: the server reads one line, and waits for its end")?;
    c.send_line(&reply)?;
    h.note("the grader closes the connection, as a date server does after its reply");
    drop(c);
    let run = client.finish()?;
    run.expect_success()?;
    run.expect_stdout(&[reply])
        .hint("print the server's reply line as it is: no prefix, no reformatting, no time of your own")
}

fn client_no_server(h: &mut Harness) -> CheckResult {
    let port = h.unused_port()?;
    h.note(format!("nothing listens on 127.0.0.1:{port}"));
    h.client("date-client").port(port).run()?.expect_clean_failure()
}
