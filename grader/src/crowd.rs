//! Many clients at once: a [`Crowd`] of TCP connections to one server, all open at the
//! same time and driven in rounds, every client in a thread of its own. A server that
//! serves one client at a time answers the first and leaves the others waiting, so
//! each round ends with the clients it left out, by their deadlines, never by a hang.
//!
//! ```ignore
//! let greet = |i, c: &mut Conn| { c.send(format!("hi {i}"))?; c.expect_exact(&format!("Server message: hi {i}")) };
//! let mut crowd = server.crowd_greeted(64, greet)?; // 64 connections, all open
//! let round = crowd.round(|i, c| {                 // all 64 at once
//!     c.send(format!("hello {i}"))?;
//!     c.expect_exact(&format!("Server message: hello {i}"))
//! });
//! if !round.failures.is_empty() { /* round.failures[0] says who and why */ }
//! ```
//!
//! A [`Ladder`] climbs crowds of growing size on one server ([`Server::climb`]): 1, 8,
//! 64, 256 clients at once, each rung a crowd of its own, and a failure says which rung
//! failed and the highest one passed. A check written as data gets it as its `crowd`
//! step (dialogue.rs).
//!
//! The transcript shows the first few clients' bytes; the others do the same, and only
//! their failures are reported (a transcript of every byte of 256 clients would bury
//! the one line that matters).

use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use nix::sys::resource::{getrlimit, setrlimit, Resource};

use crate::conn::Conn;
use crate::harness::Server;
use crate::outcome::{CheckResult, Failure, FailureKind, Hint};
use crate::transcript::Transcript;

/// How many clients of a crowd show their bytes in the transcript.
const SHOWN_CLIENTS: usize = 3;

/// File descriptors the grader keeps for itself beyond a crowd's sockets: other checks
/// running meanwhile, pipes to the programs, the report.
const SPARE_FDS: u64 = 128;

/// Connections to one server, all open at once.
pub struct Crowd {
    conns: Vec<Conn>,
}

/// How one round of a crowd went.
pub struct Round {
    /// The clients (numbered from 0 in the crowd) whose step failed, with why, in order.
    pub failures: Vec<(usize, Failure)>,
    /// From the start of the round to the last client's end.
    pub elapsed: Duration,
}

impl Server {
    /// Connects `n` clients, one after another, and keeps them all open together, none
    /// of them saying anything yet. A server whose listen() backlog is smaller than `n`
    /// may see some handshakes retried a second later; [`Server::crowd_greeted`] paces
    /// the connects to avoid that.
    pub fn crowd(&mut self, n: usize) -> Result<Crowd, Failure> {
        self.crowd_greeted(n, |_, _| Ok(()))
    }

    /// Connects `n` clients, one after another, and keeps them all open together. Each
    /// makes a first exchange, `greet` (its number in the crowd from 0, its
    /// connection), before the next one connects.
    ///
    /// The greeting paces the connects by the server: once a client has its reply, the
    /// server has accepted it. A burst of connects would overflow a small listen()
    /// backlog (the lecture's `listen(5)`, Java's default of 50), and the kernel would
    /// drop handshakes that TCP retries only a second or more later: slow, but not the
    /// server's fault. The greeting also finds a server that serves one client at a
    /// time: the second client gets no reply while the first is connected.
    pub fn crowd_greeted(
        &mut self,
        n: usize,
        greet: impl Fn(usize, &mut Conn) -> CheckResult,
    ) -> Result<Crowd, Failure> {
        ensure_open_files(n as u64)?;
        let addr = SocketAddr::new(self.host(), self.port());
        let timeouts = self.timeouts();
        let labels: Vec<String> = (0..n).map(|_| self.next_client_label()).collect();
        let transcript = self.transcript_handle();
        match n {
            1 => transcript.note(format!("{} connects to {addr}", labels[0])),
            _ => transcript.note(format!(
                "{n} clients connect to {addr}, one after another, each staying connected; then they all talk at once"
            )),
        }
        if n > SHOWN_CLIENTS {
            transcript.note(format!(
                "only {}, {} and {} are shown below; the other {} do the same",
                labels[0],
                labels[1],
                labels[2],
                n - SHOWN_CLIENTS
            ));
        }
        let mut conns = Vec::with_capacity(n);
        for (i, label) in labels.into_iter().enumerate() {
            let stream = match TcpStream::connect_timeout(&addr, timeouts.io) {
                Ok(stream) => stream,
                Err(e) => {
                    self.expect_alive(&format!("before {label} connected"))?;
                    if e.raw_os_error() == Some(nix::libc::EMFILE) {
                        return Err(Failure::grader(format!(
                            "the grader ran out of file descriptors opening {n} connections: {e}"
                        )));
                    }
                    return Err(Failure::new(
                        FailureKind::Refused,
                        format!("{label} could not connect to {} at {addr}, with {i} clients connected", self.role()),
                    )
                    .detail(format!("the error was: {e}")));
                }
            };
            let log = if i < SHOWN_CLIENTS { transcript.clone() } else { Transcript::default() };
            let mut conn = Conn::new(stream, label, self.role().to_string(), Some(self.watch()), log, timeouts.io);
            if let Err(failure) = greet(i, &mut conn) {
                let summary = match i {
                    0 => format!("{}: {}", conn.label(), failure.summary),
                    1 => format!(
                        "{} was not served while 1 other client was connected: {}",
                        conn.label(),
                        failure.summary
                    ),
                    _ => format!(
                        "{} was not served while {i} other clients were connected: {}",
                        conn.label(),
                        failure.summary
                    ),
                };
                return Err(Failure { summary, ..failure });
            }
            conns.push(conn);
        }
        Ok(Crowd { conns })
    }

    /// Fails if the server exits within `window`: after something that kills a
    /// fragile server a moment later (a write to a vanished client raising SIGPIPE),
    /// this gives the death time to show. A correct server never exits, so this only
    /// costs the window.
    pub fn expect_alive_for(&self, window: Duration, when: &str) -> Result<(), Failure> {
        self.watch().exit_status_within(window);
        self.expect_alive(when)
    }
}

/// Crowds of growing size, climbed in order on one server.
pub struct Ladder<'a> {
    /// The sizes to climb, smallest first; the last is the crowd the check is about.
    pub rungs: &'a [usize],
    /// The whole ladder as a failure names it (`rung 8 of the ladder [1, 8, 64, 256]`),
    /// rungs beyond this check's included; `None` for a single crowd.
    pub shown: Option<&'a [usize]>,
    /// Rounds each crowd plays once all its clients are connected.
    pub rounds: u32,
}

/// When a crowd's client talks: as it connects, or in a round (from 1).
#[derive(Clone, Copy)]
pub enum Phase {
    Greet,
    Round(u32),
}

/// What the clients of a [`Ladder`] say, and the hint for their failures.
pub trait Crowding {
    /// What one client says in one phase.
    type Said: Sync;
    /// What each of `n` clients says in `phase`, the first of them being the server's
    /// client `first` (as the transcript numbers them, from 1). Called on the check's
    /// thread, so it may use the check's seeded random choices.
    fn prepare(&mut self, first: usize, n: usize, phase: Phase) -> Vec<Self::Said>;
    /// Says it, on the client's own thread.
    fn talk(said: &Self::Said, conn: &mut Conn) -> CheckResult;
    /// The hint for a failure of kind `kind` on the rung of `n` clients, with the highest
    /// rung passed before it (`None`: this is the first).
    fn hint(&self, n: usize, kind: FailureKind, passed: Option<usize>) -> Option<String>;
}

impl Server {
    /// Climbs `ladder`: at each rung, its clients connect one after another, each
    /// making its greeting and staying connected ([`Server::crowd_greeted`]), then they
    /// all play [`Ladder::rounds`] rounds at once, the next round starting only when
    /// every client has its reply. A server that serves one client at a time answers
    /// one and no more. A failure says how many clients were at it, which rung failed
    /// and the highest one passed; each rung passed is a note with its slowest round.
    pub fn climb<C: Crowding>(&mut self, ladder: &Ladder, clients: &mut C) -> CheckResult {
        let mut passed: Option<usize> = None;
        for &n in ladder.rungs {
            let failed_rung = ladder.shown.map(|all| {
                let below = passed.map_or("none".to_string(), |k| format!("{} at once", count(k)));
                format!("rung {n} of the ladder {all:?} failed; the highest rung passed: {below}")
            });
            let first = self.clients_so_far() + 1;
            let greetings = clients.prepare(first, n, Phase::Greet);
            let mut crowd = match self.crowd_greeted(n, |i, c| C::talk(&greetings[i], c)) {
                Ok(crowd) => crowd,
                Err(f) if matches!(f.kind, FailureKind::Skipped | FailureKind::GraderError) => return Err(f),
                Err(f) => {
                    let hint = f.hint.clone().or_else(|| clients.hint(n, f.kind, passed));
                    let summary = format!("{} at once: {}", count(n), f.summary);
                    let failure = with_detail(Failure { summary, ..f }, failed_rung);
                    return Err(match hint {
                        Some(hint) => failure.with_hint(hint),
                        None => failure,
                    });
                }
            };
            let mut slowest = Duration::ZERO;
            for round in 1..=ladder.rounds {
                let said = clients.prepare(first, n, Phase::Round(round));
                let result = crowd.round(|i, c| C::talk(&said[i], c));
                slowest = slowest.max(result.elapsed);
                let failed = result.failures.len();
                let Some((which, failure)) = result.failures.into_iter().next() else { continue };
                let rounds = ladder.rounds;
                let summary = if n == 1 {
                    format!("1 client, round {round} of {rounds}: {}", failure.summary)
                } else {
                    format!(
                        "{} at once, round {round} of {rounds}: {} of them served, {failed} not; client {}: {}",
                        count(n),
                        n - failed,
                        first + which,
                        failure.summary
                    )
                };
                let hint = clients.hint(n, failure.kind, passed);
                let result = Err(with_detail(Failure { summary, ..failure }, failed_rung));
                return match hint {
                    Some(hint) => result.hint(&hint),
                    None => result,
                };
            }
            let served = match ladder.rounds {
                0 => format!("{} connected at once", count(n)),
                rounds => format!(
                    "{} at once, {rounds} round trips each; the slowest round took {:.2} s",
                    count(n),
                    slowest.as_secs_f32()
                ),
            };
            let note = if ladder.shown.is_some() { format!("rung {n} passed: {served}") } else { served };
            self.transcript_handle().note(note);
            passed = Some(n);
        }
        Ok(())
    }
}

fn with_detail(failure: Failure, detail: Option<String>) -> Failure {
    match detail {
        Some(detail) => failure.detail(detail),
        None => failure,
    }
}

/// `1 client`, `8 clients`.
fn count(n: usize) -> String {
    if n == 1 {
        "1 client".to_string()
    } else {
        format!("{n} clients")
    }
}

impl Crowd {
    /// Runs `step` for every client at the same time, each in a thread of its own, and
    /// returns when every step has ended (each ends by its own deadlines). `step` gets
    /// the client's number in the crowd (from 0) and its connection.
    pub fn round(&mut self, step: impl Fn(usize, &mut Conn) -> CheckResult + Sync) -> Round {
        let started = Instant::now();
        let step = &step;
        let results: Vec<CheckResult> = std::thread::scope(|scope| {
            let handles: Vec<_> =
                self.conns.iter_mut().enumerate().map(|(i, conn)| scope.spawn(move || step(i, conn))).collect();
            handles
                .into_iter()
                .map(|h| h.join().unwrap_or_else(|_| Err(Failure::grader("a crowd client's step panicked"))))
                .collect()
        });
        let failures = results.into_iter().enumerate().filter_map(|(i, r)| r.err().map(|f| (i, f))).collect();
        Round { failures, elapsed: started.elapsed() }
    }
}

/// Makes sure the grader itself may open `sockets` more files: raises its own soft
/// open-files limit towards the hard one when needed (a common default is 1024). A
/// machine whose hard limit is too low cannot run the check: skipped, with the fix.
fn ensure_open_files(sockets: u64) -> Result<(), Failure> {
    let needed = sockets + SPARE_FDS;
    let Ok((soft, hard)) = getrlimit(Resource::RLIMIT_NOFILE) else {
        return Ok(());
    };
    if soft >= needed {
        return Ok(());
    }
    if hard < needed {
        return Err(Failure::skip(format!(
            "the grader may open only {hard} files at once here, and {sockets} connections at once need about {needed}: raise the limit (ulimit -n {needed}) and grade again"
        )));
    }
    // Room for the other checks running meanwhile, too.
    let target = hard.min(needed.max(4096) * 2);
    setrlimit(Resource::RLIMIT_NOFILE, target, hard)
        .map_err(|e| Failure::grader(format!("cannot raise the grader's open-files limit to {target}: {e}")))
}
