//! Lab logging: docs/labs/logging.md (seed Lab 3 "Client/Server Communication",
//! exercise 3: LoggingDateServer).
//!
//! logging-date-server answers like date-server and, for every request, writes a new
//! file `log<N>.txt` into `--log-dir` holding `<RFC 3339 time> <client-ip>:<client-port>
//! <request text>`, complete before the reply goes out. N counts from 0 with no gaps,
//! continues past the highest file already there, and is never shared or reused, even
//! when requests arrive at the same moment.

use std::sync::Barrier;
use std::time::Duration;

use crate::logdir::{expect_log_line, Files, LogDir};
use crate::model::{Check, Lab, Role};
use crate::timestamp::{ask_time, reply_hints, TimeReply};
use harness::conn::Conn;
use harness::outcome::{CheckResult, Failure, FailureKind::*, Hint};
use harness::{Harness, Server};

pub const LAB: Lab = Lab {
    home: None,
    mutants: &[],
    name: "logging",
    title: "The logging date server (Lab 3, exercise 3: LoggingDateServer)",
    roles: &[Role::server("logging-date-server", 6016)],
    checks: &[
        check(
            "replies-time",
            "logging-date-server replies the current time in RFC 3339 and closes, as date-server does",
            1,
            replies_time,
        ),
        check(
            "log-line",
            "a request makes log0.txt holding <time> <client-ip>:<client-port> <request>, complete before the reply",
            3,
            log_line,
        ),
        check(
            "log-numbering",
            "each request makes the next file, log0.txt, log1.txt, log2.txt, ..., and no earlier file changes",
            2,
            log_numbering,
        ),
        check(
            "log-no-request",
            "a connection closed before any request line gets no reply and makes no file",
            1,
            log_no_request,
        ),
        check(
            "log-concurrent",
            "30 requests at once make exactly the next 30 files, one line each, in 3 rounds",
            3,
            log_concurrent,
        ),
        check(
            "log-existing-files",
            "numbering continues past the highest log<N>.txt already there; other files are ignored",
            2,
            log_existing_files,
        ),
        check("log-restart", "a restarted server continues where the previous one stopped", 2, log_restart),
        check("log-default-dir", "without --log-dir, the log files go into the working directory", 1, log_default_dir),
        check("silent-client", "a client that connects and stays silent does not delay the others", 1, silent_client),
    ],
};

const fn check(slug: &'static str, name: &'static str, points: u32, run: fn(&mut Harness) -> CheckResult) -> Check {
    Check {
        slug,
        name,
        points,
        run: crate::model::Run::Native(run),
        after: &[],
        starts: &[ROLE],
        waits: Duration::ZERO,
    }
}

const ROLE: &str = "logging-date-server";
const REQUEST: &str = "What time is it?";

/// Starts the server writing into `dir`.
fn start(h: &Harness, dir: &LogDir) -> Result<Server, Failure> {
    h.server(ROLE).args(dir.args()).writable(dir.path()).start()
}

/// Sends `text` as the request on a new connection and waits for the reply.
fn request(server: &mut Server, text: &str) -> Result<TimeReply, Failure> {
    let mut c = server.connect()?;
    reply_hints(ask_time(&mut c, text))
}

fn replies_time(h: &mut Harness) -> CheckResult {
    let dir = LogDir::new(h)?;
    let mut server = start(h, &dir)?;
    let mut c = server.connect()?;
    reply_hints(ask_time(&mut c, REQUEST))?.expect_current(ROLE)?;
    c.expect_closed().hint_on(Timeout, "close the connection after the reply, as date-server does")
}

fn log_line(h: &mut Harness) -> CheckResult {
    let dir = LogDir::new(h)?;
    let mut server = start(h, &dir)?;
    let before = dir.files()?;
    let mut c = server.connect()?;
    let client = c.local_addr()?;
    h.note(format!("[{}] the grader's end of the connection is {client}", c.label()));
    let reply = reply_hints(ask_time(&mut c, REQUEST))?;
    // Read the directory the moment the reply is in: the file must be complete by then.
    let after = dir.files()?;
    h.note(format!("when the reply arrived, the log directory held:\n{}", after.show()));
    let lines = after.expect_new_logs(&before, 0, &[REQUEST.to_string()], "when the reply arrived")?;
    expect_log_line("log0.txt", &lines[0], client, REQUEST, reply.before, reply.after)
}

/// A request text of its own for each request, so that every file can be matched to
/// the request it logs (the server logs whatever line it gets).
fn text_of(n: u64) -> String {
    format!("{REQUEST} (request {n})")
}

fn log_numbering(h: &mut Harness) -> CheckResult {
    let dir = LogDir::new(h)?;
    let mut server = start(h, &dir)?;
    let mut before = dir.files()?;
    for n in 0..4 {
        let text = text_of(n + 1);
        request(&mut server, &text)?;
        let after = dir.files()?;
        after.expect_new_logs(&before, n, &[text], &format!("when the reply to request {} arrived", n + 1))?;
        before = after;
    }
    h.note(format!("the log directory holds:\n{}", before.show()));
    Ok(())
}

const NO_REQUEST: &str = "a connection that closes before sending a request line is no request: no reply, no log file. Log only once a whole request line has been read (a read returning 0 bytes means the client is gone)";

fn log_no_request(h: &mut Harness) -> CheckResult {
    let dir = LogDir::new(h)?;
    let mut server = start(h, &dir)?;
    for _ in 0..2 {
        let mut c = server.connect()?;
        c.shutdown_write();
        // Seeing the server close the connection shows it is done with it: any file it
        // meant to write for it is written. A server that keeps it open is not wrong.
        match c.expect_closed() {
            Ok(()) => {}
            Err(f) if f.kind == Timeout => h.note("the server kept the connection open; the check goes on"),
            Err(f) => return Err(f).hint(NO_REQUEST),
        }
    }
    let files = dir.files()?;
    if let Some(first) = files.logs().first() {
        return Err(Failure::mismatch(format!("{first} appeared for a connection that closed without a request"))
            .expected("no log file".to_string())
            .got(files.show())
            .with_hint(NO_REQUEST));
    }
    let text = text_of(1);
    request(&mut server, &text)?;
    dir.files()?.expect_new_logs(&Files::default(), 0, &[text], "when the reply to the first real request arrived")?;
    Ok(())
}

/// Rounds of concurrent requests: a race that one round misses, another catches.
const ROUNDS: u64 = 3;
const AT_ONCE: usize = 30;

fn log_concurrent(h: &mut Harness) -> CheckResult {
    let dir = LogDir::new(h)?;
    let mut server = start(h, &dir)?;
    let mut before = dir.files()?;
    for round in 0..ROUNDS {
        let first = round * AT_ONCE as u64;
        let texts: Vec<String> = (first..first + AT_ONCE as u64).map(|n| text_of(n + 1)).collect();
        let mut conns: Vec<Conn> = Vec::new();
        for _ in 0..AT_ONCE {
            conns.push(server.connect()?);
        }
        h.note(format!("round {}: {AT_ONCE} clients are connected; they all send their request at once", round + 1));
        // Every client waits at the barrier, then sends: the requests reach the server
        // together, which is what makes a racy counter collide.
        let barrier = Barrier::new(AT_ONCE);
        let results: Vec<Result<TimeReply, Failure>> = std::thread::scope(|scope| {
            let handles: Vec<_> = conns
                .iter_mut()
                .zip(&texts)
                .map(|(c, text)| {
                    let barrier = &barrier;
                    scope.spawn(move || {
                        barrier.wait();
                        reply_hints(ask_time(c, text))
                    })
                })
                .collect();
            handles
                .into_iter()
                .map(|t| t.join().unwrap_or_else(|_| Err(Failure::grader("a client thread panicked"))))
                .collect()
        });
        drop(conns);
        if let Some(failure) = results.into_iter().find_map(Result::err) {
            return Err(failure.detail(format!("in round {} of {AT_ONCE} requests at once", round + 1)));
        }
        let after = dir.files()?;
        let when = format!("when the {AT_ONCE} replies of round {} had arrived", round + 1);
        after.expect_new_logs(&before, first, &texts, &when)?;
        before = after;
    }
    h.note(format!(
        "{} files, log0.txt to log{}.txt, one per request",
        ROUNDS as usize * AT_ONCE,
        ROUNDS as usize * AT_ONCE - 1
    ));
    Ok(())
}

/// Files that look like log files to a careless eye, and are not.
const DECOYS: [&str; 6] = ["notes.txt", "log7.txt.bak", "log15.txt.bak", "logx.txt", "log.txt", "old-log20.txt"];

fn log_existing_files(h: &mut Harness) -> CheckResult {
    let dir = LogDir::new(h)?;
    // A gap (3 to 8) and a two-digit number: the next file is log11.txt, whether the
    // server compares numbers (right) or names ("log9" > "log10") or counts files.
    for (n, day) in [(0, 1), (1, 2), (2, 3), (9, 4), (10, 5)] {
        dir.seed(&format!("log{n}.txt"), &format!("2026-01-0{day}T10:00:00Z 127.0.0.1:4000{day} earlier request\n"))?;
    }
    // Not log files: each would move the count if the server took it for one.
    for name in DECOYS {
        dir.seed(name, "not a log file\n")?;
    }
    let seeded = dir.files()?;
    let mut before = seeded.clone();
    h.note(format!("the log directory holds, before the server starts: {}", seeded.names().join(", ")));
    let mut server = start(h, &dir)?;
    for (i, n) in [11, 12].into_iter().enumerate() {
        let text = text_of(i as u64 + 1);
        request(&mut server, &text)?;
        let after = dir.files()?;
        let when = format!("when the reply to request {} arrived", i + 1);
        after.expect_untouched(&seeded, &when)?;
        after.expect_new_logs(&before, n, &[text], &when)?;
        before = after;
    }
    Ok(())
}

fn log_restart(h: &mut Harness) -> CheckResult {
    let dir = LogDir::new(h)?;
    let mut before = dir.files()?;
    let mut server = start(h, &dir)?;
    for n in 0..2 {
        let text = text_of(n + 1);
        request(&mut server, &text)?;
        let after = dir.files()?;
        after.expect_new_logs(&before, n, &[text], &format!("when the reply to request {} arrived", n + 1))?;
        before = after;
    }
    drop(server);
    h.note("the first server is stopped; a second one starts on the same directory (on a new port)");
    let mut server = start(h, &dir)?;
    let text = text_of(3);
    request(&mut server, &text)?;
    dir.files()?.expect_new_logs(&before, 2, &[text], "when the restarted server's first reply arrived")?;
    Ok(())
}

fn log_default_dir(h: &mut Harness) -> CheckResult {
    let mut server = h.server(ROLE).start()?;
    let cwd = server.dir().to_path_buf();
    let before = Files::read(&cwd)?;
    request(&mut server, REQUEST)?;
    let after = Files::read(&cwd)?;
    if after.logs().is_empty() {
        return Err(Failure::mismatch("no log file appeared in the server's working directory")
            .expected(format!("log0.txt in {} (started without --log-dir)", cwd.display()))
            .got(after.show())
            .with_hint(
                "without --log-dir, write the log files into the current working directory: use \".\" as the default",
            ));
    }
    after.expect_new_logs(&before, 0, &[REQUEST.to_string()], "when the reply arrived")?;
    Ok(())
}

const SILENT: &str = "the server is stuck waiting for the silent client's request and serves nobody else meanwhile: serve each client on a thread of its own, or give each connection a read timeout of a second or two";

fn silent_client(h: &mut Harness) -> CheckResult {
    let dir = LogDir::new(h)?;
    let mut server = start(h, &dir)?;
    let silent = server.connect()?;
    h.note(format!("[{}] stays connected and silent until the end of the check", silent.label()));
    for n in 1..=3 {
        let mut c = server.connect().hint(SILENT)?;
        reply_hints(ask_time(&mut c, &text_of(n)).hint_on(Timeout, SILENT))?;
    }
    drop(silent);
    Ok(())
}
