//! The harness: everything a check needs and must not do itself. It starts the
//! programs under test (free port, fresh directory, own process group, limits), waits
//! for them to be ready without touching them, connects to them, plays the other end
//! (a scripted server for a student's client), and stops everything when the check ends.
//! Checks call it and never spawn, sleep or pick ports themselves.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::path::Path;
use std::process::ExitStatus;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::conn::Conn;
use crate::deadline::{poll_until, Timeouts};
use crate::diagnose;
use crate::listening;
use crate::outcome::{Failure, FailureKind};
use crate::ports::free_port;
use crate::process::{describe_exit, Limits, Process, Spec, WorkDir};
use crate::sockets::Proto;
use crate::transcript::{EventKind, Transcript};

/// How to start the program that plays one role.
#[derive(Clone, Debug)]
pub struct Launcher {
    /// The program to run.
    pub program: String,
    /// Its arguments before the grader's own (`--host`, `--port`, the role's).
    pub args: Vec<String>,
    /// How a student would type it, for the transcript: `cargo run -q -p demo --bin
    /// demo-server --`, or the `--cmd` as given.
    pub shown: String,
    /// A folder the program may read whole in the sandbox, besides what its command
    /// line names: a submission's own folder in `grader batch`.
    pub visible: Option<std::path::PathBuf>,
}

/// What a grading run shares between its checks.
pub struct Env {
    /// Each role's launcher, or why it cannot be launched (its lab did not build).
    pub programs: HashMap<String, Result<Launcher, Failure>>,
    /// The run's time limits (`--timeout-scale` applied).
    pub timeouts: Timeouts,
    /// The resource limits of every program under test.
    pub limits: Limits,
    /// Refuse to run any program outside the sandbox (`--require-sandbox`).
    pub require_sandbox: bool,
}

/// One check's view of the world. The programs it starts belong to the [`Server`] and
/// [`Client`] values it returns, and are stopped when those are dropped: at the latest
/// when the check returns.
///
/// The grader's runner makes one per check; a check only receives it:
///
/// ```no_run
/// use std::collections::HashMap;
/// use std::sync::Arc;
///
/// use harness::deadline::Timeouts;
/// use harness::limits::Limits;
/// use harness::{Env, Harness, Launcher};
///
/// // The run: which program plays each role, its time and resource limits.
/// let server = Launcher {
///     program: "python3".into(),
///     args: vec!["server.py".into()],
///     shown: "python3 server.py".into(),
///     visible: None,
/// };
/// let env = Arc::new(Env {
///     programs: HashMap::from([("demo-server".to_string(), Ok(server))]),
///     timeouts: Timeouts::scaled(1.0),
///     limits: Limits::default(),
///     require_sandbox: false,
/// });
/// // One check: a transcript of its own, random choices seeded for a rerun.
/// let mut h = Harness::new(env, 1);
/// let mut server = h.server("demo-server").start()?;
/// let mut c = server.connect()?;
/// c.send_line("ping")?;
/// c.expect_exact("ping\n")?;
/// drop(c);
/// server.expect_alive("after its client left")?;
/// for event in h.transcript() {
///     println!("{}", event.render());
/// }
/// # Ok::<(), harness::outcome::Failure>(())
/// ```
pub struct Harness {
    env: Arc<Env>,
    transcript: Transcript,
    rng: fastrand::Rng,
    /// The server roles this check started, and how (the runner holds the check to
    /// the roles it declares: registry.rs, `Check::starts`).
    started: std::sync::Mutex<Vec<(String, Proto)>>,
    /// Clients are started without the `--timeout` the check gives them: this run
    /// grades a client that rejected the option ([`Harness::timeout_rejected`]).
    without_timeout: bool,
    /// Set when a client given `--timeout` exited with a usage error naming it.
    timeout_rejected: Arc<std::sync::Mutex<Option<String>>>,
    /// Told how the first start of one server role went ([`Harness::on_first_start`]).
    first_start: std::sync::Mutex<Option<(String, Proto, FirstStart)>>,
}

/// What [`Harness::on_first_start`] is told: whether the server listened (or how it
/// failed to), and the transcript up to then.
pub type FirstStart = Box<dyn FnOnce(Result<(), Failure>, Vec<crate::transcript::Event>) + Send>;

/// The address every program is given with `--host`.
pub const LOOPBACK: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);

impl Harness {
    /// The harness of one check of the run `env`, its random choices seeded by `seed`.
    pub fn new(env: Arc<Env>, seed: u64) -> Harness {
        Harness {
            env,
            transcript: Transcript::default(),
            rng: fastrand::Rng::with_seed(seed),
            started: std::sync::Mutex::new(Vec::new()),
            without_timeout: false,
            timeout_rejected: Arc::default(),
            first_start: std::sync::Mutex::new(None),
        }
    }

    /// Calls `tell` once, when this check's first start of server `role` over `proto`
    /// has listened or failed to (the runner decides a role's gate, `LAB/ROLE-starts`,
    /// with the first check that starts the role: no start of its own).
    pub fn on_first_start(self, role: &str, proto: Proto, tell: FirstStart) -> Self {
        if let Ok(mut hook) = self.first_start.lock() {
            *hook = Some((role.to_string(), proto, tell));
        }
        self
    }

    /// This harness, starting every client without the `--timeout SECONDS` a check
    /// gives it: for the run again of a check whose client rejected the option (a
    /// client written before the contract had it, such as the seeds' own), judged
    /// with its own timeout, slower.
    pub fn without_timeout_option(mut self) -> Self {
        self.without_timeout = true;
        self
    }

    /// How a client given `--timeout` rejected it, if one did: it exited with a usage
    /// error that names the option (`unrecognized arguments: --timeout 0.3`).
    pub fn timeout_rejected(&self) -> Option<String> {
        self.timeout_rejected.lock().ok().and_then(|r| r.clone())
    }

    /// The server roles this check has started, each once, with the transport.
    pub fn servers_started(&self) -> Vec<(String, Proto)> {
        self.started.lock().map(|s| s.clone()).unwrap_or_default()
    }

    /// Random choices of a check (words to send, sizes) come from here, seeded by
    /// `--seed`, so a failing run can be repeated exactly.
    pub fn rng(&mut self) -> &mut fastrand::Rng {
        &mut self.rng
    }

    /// The run's time limits.
    pub fn timeouts(&self) -> Timeouts {
        self.env.timeouts
    }

    /// The limits every program of the run has.
    pub fn limits(&self) -> Limits {
        self.env.limits
    }

    /// Adds a note to the transcript, such as what a step is about to test.
    pub fn note(&self, text: impl Into<String>) {
        self.transcript.note(text);
    }

    /// Starts the server that plays `role`; see [`ServerStart`].
    pub fn server(&self, role: &str) -> ServerStart<'_> {
        ServerStart { harness: self, role: role.to_string(), host: LOOPBACK, args: Vec::new(), writable: Vec::new() }
    }

    /// Starts a client that plays `role`; see [`ClientStart`].
    pub fn client(&self, role: &str) -> ClientStart<'_> {
        ClientStart { harness: self, role: role.to_string(), host: LOOPBACK, port: None, args: Vec::new(), stdin: None }
    }

    /// A server played by the grader, for testing a student's client.
    pub fn scripted_server(&self) -> Result<ScriptedServer, Failure> {
        let (listener, port) = crate::ports::own_listener(LOOPBACK)
            .map_err(|e| Failure::grader(format!("cannot listen on 127.0.0.1 for the scripted server: {e}")))?;
        listener.set_nonblocking(true).map_err(|e| Failure::grader(format!("cannot poll the scripted server: {e}")))?;
        self.note(format!("the grader listens on 127.0.0.1:{port}, playing the server"));
        // A UDP socket on the same port, only to tell a client that sends a datagram
        // where it should connect over TCP what it did; none where the port is taken.
        let datagrams = std::net::UdpSocket::bind((LOOPBACK, port)).ok().filter(|s| s.set_nonblocking(true).is_ok());
        Ok(ScriptedServer {
            listener,
            datagrams,
            port,
            transcript: self.transcript.clone(),
            timeouts: self.env.timeouts,
            accepted: 0,
        })
    }

    /// A port where nothing listens, to see how a client copes without a server.
    pub fn unused_port(&self) -> Result<u16, Failure> {
        self.free_port()
    }

    /// Whether this machine routes `ip` to loopback (Linux routes all of 127.0.0.0/8;
    /// macOS only 127.0.0.1 unless configured).
    pub fn loopback_usable(&self, ip: IpAddr) -> bool {
        std::net::UdpSocket::bind((ip, 0)).is_ok()
    }

    /// Why the grader failed its part of the check, if it did (see
    /// [`Transcript::grader_fault`]); call it after the check's programs are stopped.
    pub fn fault(&self) -> Option<String> {
        self.transcript.fault()
    }

    /// The transcript so far; call it after the check's programs are stopped.
    pub fn transcript(&self) -> Vec<crate::transcript::Event> {
        self.transcript.events()
    }

    fn free_port(&self) -> Result<u16, Failure> {
        free_port().map_err(|e| Failure::grader(format!("cannot find a free port: {e}")))
    }

    /// Starts `role` with `args`, or explains why it cannot be started.
    fn launch(
        &self,
        role: &str,
        args: Vec<String>,
        stdin: Option<Vec<u8>>,
        writable: Vec<std::path::PathBuf>,
    ) -> Result<Process, Failure> {
        let launcher = match self.env.programs.get(role) {
            Some(Ok(launcher)) => launcher.clone(),
            Some(Err(why)) => return Err(why.clone()),
            None => return Err(Failure::grader(format!("no program is set up for the role {role}"))),
        };
        let shown_args = shell_words::join(&args);
        self.transcript.push(EventKind::Command, format!("{} {shown_args}", launcher.shown));
        if let Some(data) = &stdin {
            // What the program read on stdin belongs to its transcript (grader explain).
            self.transcript.note(format!("stdin of {role}: {}", crate::transcript::escape(data)));
        }
        let spec = Spec {
            program: launcher.program.clone(),
            args: launcher.args.iter().cloned().chain(args).collect(),
            dir: WorkDir::Fresh,
            stdin,
            label: role.to_string(),
            limits: Some(self.env.limits),
            output_cap: crate::capture::CAPTURE_CAP,
            writable,
            readable: launcher.visible.iter().cloned().collect(),
        };
        Process::start(spec, &self.transcript)
            .map_err(|e| Failure::grader(format!("cannot start {role} with `{}`: {e}", launcher.shown)))
    }
}

/// Options for starting a server: `h.server("demo-server").start()?`.
///
/// ```no_run
/// # fn check(h: &mut harness::Harness) -> harness::outcome::CheckResult {
/// // `--host 127.0.0.1 --port P --verbose`, P a free port; ready once it listens.
/// let mut server = h.server("demo-server").args(["--verbose"]).start()?;
/// let mut c = server.connect()?;
/// # Ok(())
/// # }
/// ```
pub struct ServerStart<'h> {
    harness: &'h Harness,
    role: String,
    host: IpAddr,
    args: Vec<String>,
    writable: Vec<std::path::PathBuf>,
}

impl<'h> ServerStart<'h> {
    /// The address given with `--host` (127.0.0.1 unless a check tests `--host`).
    pub fn host(mut self, host: IpAddr) -> Self {
        self.host = host;
        self
    }

    /// Arguments after `--host` and `--port`.
    pub fn args<S: Into<String>>(mut self, args: impl IntoIterator<Item = S>) -> Self {
        self.args.extend(args.into_iter().map(Into::into));
        self
    }

    /// A folder of the grader's that the server may write into besides its own (a
    /// folder the check made for the program's files, which outlives one server to be
    /// read by the next).
    pub fn writable(mut self, dir: &Path) -> Self {
        self.writable.push(dir.to_path_buf());
        self
    }

    /// Starts the server on a free port and waits until the port is listening, while
    /// watching for an early exit. The kernel's socket table is read, so the server
    /// sees no probe connection.
    pub fn start(self) -> Result<Server, Failure> {
        self.start_as(Proto::Tcp)
    }

    /// [`ServerStart::start`] for either transport: TCP waits for a listening socket,
    /// UDP for a bound one (a UDP server is started with `start_udp`, in udp.rs).
    pub(crate) fn start_as(self, proto: Proto) -> Result<Server, Failure> {
        let harness = self.harness;
        let role = self.role.clone();
        if let Ok(mut started) = harness.started.lock() {
            if !started.iter().any(|(r, p)| *r == role && *p == proto) {
                started.push((role.clone(), proto));
            }
        }
        let outcome = self.listen(proto);
        let hook = harness.first_start.lock().ok().and_then(|mut h| h.take_if(|(r, p, _)| *r == role && *p == proto));
        if let Some((_, _, tell)) = hook {
            tell(outcome.as_ref().map(drop).map_err(Clone::clone), harness.transcript.events());
        }
        outcome
    }

    fn listen(self, proto: Proto) -> Result<Server, Failure> {
        let ServerStart { harness, role, host, args, writable } = self;
        let port = harness.free_port()?;
        let mut full = vec!["--host".to_string(), host.to_string(), "--port".to_string(), port.to_string()];
        full.extend(args);
        let process = harness.launch(&role, full, None, writable)?;
        let timeouts = harness.env.timeouts;
        let started = Instant::now();
        let deadline = started + timeouts.startup;
        let mut elsewhere = Elsewhere::default();
        let ready = poll_until(deadline, || {
            // The port must be held by the program itself: another program that took
            // it meanwhile is not the student's server (held_by is None without /proc).
            if listening::is_ready(proto, host, port)
                && listening::held_by(proto, port, &process.pids()).unwrap_or(true)
            {
                Some(Ready::Listening)
            } else if let Some(status) = process.exit_status() {
                Some(Ready::Exited(status))
            } else if elsewhere.settled(&process, proto) {
                Some(Ready::Elsewhere)
            } else {
                None
            }
        });
        match ready {
            Some(Ready::Listening) => {
                let listening = if proto == Proto::Udp { "is bound to" } else { "is listening on" };
                harness.transcript.note(format!("{role} {listening} {host}:{port}"));
                Ok(Server { process, transcript: harness.transcript.clone(), timeouts, role, host, port, clients: 0 })
            }
            Some(Ready::Exited(status)) => {
                Err(start_failed(&role, proto, host, port, status, &process.final_stderr(), &process.pids()))
            }
            Some(Ready::Elsewhere) | None
                if listening::is_ready(proto, host, port)
                    && listening::held_by(proto, port, &process.pids()) == Some(false) =>
            {
                Err(port_stolen(&role, port))
            }
            Some(Ready::Elsewhere) | None => Err(not_listening(&role, proto, host, port, &process, started.elapsed())),
        }
    }
}

/// A running server under test; dropping it stops it.
pub struct Server {
    process: Process,
    transcript: Transcript,
    timeouts: Timeouts,
    role: String,
    host: IpAddr,
    port: u16,
    clients: u32,
}

impl Drop for Server {
    fn drop(&mut self) {
        self.process.stop(self.timeouts.grace);
    }
}

impl Server {
    /// The port it listens on (the `--port` it was given).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Its working directory: a fresh temporary directory of its own.
    pub fn dir(&self) -> &Path {
        self.process().dir().expect("servers start in a fresh directory")
    }

    fn process(&self) -> &Process {
        &self.process
    }

    /// Connects as a new client, within the I/O deadline.
    pub fn connect(&mut self) -> Result<Conn, Failure> {
        self.clients += 1;
        let label = format!("client {}", self.clients);
        let addr = SocketAddr::new(self.host, self.port);
        let timeouts = self.timeouts;
        self.transcript.note(format!("[{label}] connects to {addr}"));
        match TcpStream::connect_timeout(&addr, timeouts.io) {
            Ok(stream) => Ok(Conn::new(
                stream,
                label,
                self.role.clone(),
                Some(self.process().watch()),
                self.transcript.clone(),
                timeouts.io,
            )),
            Err(e) => {
                // A refused connection often comes a moment before the exit of the
                // server that closed its socket is seen: wait for it (briefly), so that
                // the failure names the exit rather than the refusal.
                let when = format!("before {label} connected");
                if let Some(status) = self.process().watch().exit_status_within(EXIT_PATIENCE) {
                    return Err(self.exited(&when, status));
                }
                Err(Failure::new(FailureKind::Refused, format!("{label} could not connect to {} at {addr}", self.role))
                    .detail(format!("the error was: {e}"))
                    .with_fallback_hint(format!(
                        "{} still runs, but no longer accepts connections on {addr}: keep the listening socket open, and call accept() again for every client",
                        self.role
                    )))
            }
        }
    }

    /// Fails if the server is no longer running; `when` says at which point of the
    /// check, e.g. "after client 1 left".
    pub fn expect_alive(&self, when: &str) -> Result<(), Failure> {
        match self.process().exit_status() {
            None => Ok(()),
            Some(status) => Err(self.exited(when, status)),
        }
    }

    /// The failure of a server that exited, with a hint by how it ended (a check's own
    /// hint replaces it): a server never ends on its own, whatever a client did.
    fn exited(&self, when: &str, status: ExitStatus) -> Failure {
        let failure = diagnose::exited(&self.role, when, status, &self.process().final_stderr());
        if failure.hint.is_some() {
            return failure;
        }
        failure.with_fallback_hint(if status.success() {
            "a server serves until it is stopped (SIGINT or SIGTERM): it must not return or exit after a client, \
             even one that closed without sending anything (a read that returns no data ends that connection, not \
             the server). Close that connection and go back to accept()"
        } else {
            "a server never exits because of one client: catch the error of that client's connection, close it, \
             and go back to accept()"
        })
    }
}

/// How long a refused connection waits to see whether the server has exited.
const EXIT_PATIENCE: Duration = Duration::from_millis(500);

enum Ready {
    Listening,
    Exited(ExitStatus),
    /// It listens, steadily, on other ports than the one it was given.
    Elsewhere,
}

/// Tells early that a server listens somewhere else than it was told, instead of
/// waiting out the whole startup deadline: once it has listened only elsewhere for a
/// while, it is not going to change its mind. Scanning /proc is costly, so it is done
/// only every few polls.
#[derive(Default)]
struct Elsewhere {
    polls: u32,
    since: Option<Instant>,
}

impl Elsewhere {
    const EVERY: u32 = 16;
    const SETTLED: Duration = Duration::from_secs(1);

    /// Called only while the server is not yet listening where it should.
    fn settled(&mut self, process: &Process, proto: Proto) -> bool {
        self.polls += 1;
        if !self.polls.is_multiple_of(Self::EVERY) {
            return false;
        }
        let addrs = listening::addresses_of_group(proto, process.pid());
        if addrs.is_empty() {
            self.since = None;
            return false;
        }
        let since = *self.since.get_or_insert_with(Instant::now);
        since.elapsed() >= Self::SETTLED
    }
}

/// A port taken by someone else in the instant between the grader choosing it and the
/// server binding it is the grader's problem, never the student's.
fn port_stolen(role: &str, port: u16) -> Failure {
    Failure::grader(format!(
        "port {port} was taken by another program just before {role} could bind it; run the grader again"
    ))
}

fn start_failed(
    role: &str,
    proto: Proto,
    host: IpAddr,
    port: u16,
    status: ExitStatus,
    stderr: &str,
    pids: &[u32],
) -> Failure {
    // Taken by another program, not by a child of the server itself.
    let held_by_itself = listening::held_by(proto, port, pids) == Some(true);
    if stderr.to_lowercase().contains("in use") && listening::port_in_use(proto, port) && !held_by_itself {
        return port_stolen(role, port);
    }
    let listened = if proto == Proto::Udp { "was bound to" } else { "listened on" };
    let failure = diagnose::exited(role, &format!("before it {listened} {host}:{port}"), status, stderr)
        .expected(format!("{role} keeps running, listening on {host}:{port}"));
    if stderr.to_lowercase().contains("in use") && failure.hint.is_none() {
        // Port {port} itself was free: it must have tried another one.
        return failure.with_hint(format!(
            "it could not bind because that address was in use, yet {port} was free: bind the --port it is given, not a fixed port"
        ));
    }
    failure
}

fn not_listening(role: &str, proto: Proto, host: IpAddr, port: u16, process: &Process, waited: Duration) -> Failure {
    let elsewhere = listening::addresses_of_group(proto, process.pid());
    let listen = if proto == Proto::Udp { "bind a UDP socket to" } else { "listen on" };
    let summary = format!("{role} did not {listen} {host}:{port} (waited {:.1} s)", waited.as_secs_f32());
    let socket = match proto {
        Proto::Tcp => "a TCP socket listening on",
        Proto::Udp => "a UDP socket bound to",
    };
    let mut failure = Failure::new(FailureKind::Timeout, summary)
        .expected(format!("{socket} {host}:{port} (from --host {host} --port {port})"));
    if elsewhere.is_empty() {
        failure = failure.got("no listening socket").with_hint(
            "a server must bind() (and for TCP listen()) on the --host and --port it is given, before anything else",
        );
    } else {
        let list: Vec<String> = elsewhere.iter().map(|a| a.to_string()).collect();
        failure.kind = FailureKind::Mismatch;
        failure = failure.got(format!("listening on {}", list.join(", "))).with_hint(
            "your server listens, but not where it was told to: read --host and --port from the command line instead of using fixed values",
        );
    }
    diagnose::explain_stderr(failure, role, &process.stderr.text())
}

/// Options for starting a client: `h.client("demo-client").port(p).args([..]).run()?`.
///
/// ```no_run
/// # fn check(h: &mut harness::Harness) -> harness::outcome::CheckResult {
/// // The grader plays the server the student's client talks to.
/// let mut peer = h.scripted_server()?;
/// let client = h.client("demo-client").port(peer.port()).args(["ping"]).start()?;
/// let mut c = peer.accept(&client)?;
/// c.expect_exact("ping\n")?;
/// c.send("pong\n")?;
/// let run = client.finish()?;
/// run.expect_success()?;
/// run.expect_stdout(&["pong".to_string()])?;
/// # Ok(())
/// # }
/// ```
pub struct ClientStart<'h> {
    harness: &'h Harness,
    role: String,
    host: IpAddr,
    port: Option<u16>,
    args: Vec<String>,
    stdin: Option<Vec<u8>>,
}

impl<'h> ClientStart<'h> {
    /// The server port given with `--port`.
    pub fn port(mut self, port: u16) -> Self {
        self.port = Some(port);
        self
    }

    /// Arguments after `--host` and `--port`.
    pub fn args<S: Into<String>>(mut self, args: impl IntoIterator<Item = S>) -> Self {
        self.args.extend(args.into_iter().map(Into::into));
        self
    }

    /// Bytes for its stdin, which is closed after them.
    pub fn stdin(mut self, data: impl Into<Vec<u8>>) -> Self {
        self.stdin = Some(data.into());
        self
    }

    /// Starts the client and returns at once, to play its server meanwhile.
    pub fn start(self) -> Result<Client, Failure> {
        let ClientStart { harness, role, host, port, mut args, stdin } = self;
        let mut full = vec!["--host".to_string(), host.to_string()];
        if let Some(port) = port {
            full.extend(["--port".to_string(), port.to_string()]);
        }
        let timeout = args.iter().position(|a| a == TIMEOUT_OPTION);
        let mut rejected = None;
        match timeout {
            Some(at) if harness.without_timeout => {
                args.drain(at..(at + 2).min(args.len()));
                harness
                    .note(format!("{role} is started without --timeout, which it rejected: its own timeout applies"));
            }
            Some(_) => rejected = Some(harness.timeout_rejected.clone()),
            None => {}
        }
        full.extend(args);
        let process = harness.launch(&role, full, stdin, Vec::new())?;
        Ok(Client { process, timeouts: harness.env.timeouts, role, rejected })
    }

    /// Starts the client and waits for it to exit.
    pub fn run(self) -> Result<ClientRun, Failure> {
        self.start()?.finish()
    }
}

/// The contract's option of a UDP client: how long each try waits for its reply.
const TIMEOUT_OPTION: &str = "--timeout";

/// A running client under test; dropping it stops it.
pub struct Client {
    process: Process,
    timeouts: Timeouts,
    role: String,
    /// Given `--timeout`: where to say that it rejected the option, if it does.
    rejected: Option<Arc<std::sync::Mutex<Option<String>>>>,
}

impl Drop for Client {
    fn drop(&mut self) {
        self.note_rejected_timeout();
        self.process.stop(self.timeouts.grace);
    }
}

impl Client {
    fn process(&self) -> &Process {
        &self.process
    }

    /// A client given `--timeout` that exited on its own with a usage error naming the
    /// option rejected it: the harness records how, for the runner to grade the check
    /// again without it.
    fn note_rejected_timeout(&self) {
        let Some(slot) = &self.rejected else { return };
        let Some(status) = self.process.exit_status().filter(|s| !s.success()) else { return };
        let stderr = self.process.final_stderr();
        if diagnose::rejects_option(&stderr, TIMEOUT_OPTION) {
            let said = stderr.lines().rev().find(|l| l.contains(TIMEOUT_OPTION)).unwrap_or_default().trim();
            if let Ok(mut slot) = slot.lock() {
                slot.get_or_insert(format!("{} rejected --timeout: it {}: {said}", self.role, describe_exit(status)));
            }
        }
    }

    /// Waits for the client to exit, within the client deadline, and collects its
    /// output. A client still running then is a failure (it hangs).
    pub fn finish(self) -> Result<ClientRun, Failure> {
        let timeouts = self.timeouts;
        let process = self.process();
        let Some(status) = process.wait_exit(Instant::now() + timeouts.client_run) else {
            let failure = Failure::new(
                FailureKind::Timeout,
                format!("{} was still running after {} s", self.role, timeouts.client_run.as_secs_f32()),
            )
            .expected("the client exits once it has printed its replies".to_string())
            .with_hint("a client must not wait forever: use a read timeout, and exit when its work is done");
            return Err(diagnose::explain_stderr(failure, &self.role, &process.stderr.text()));
        };
        // Output may still be in the pipes when the exit is seen; the pipes close when
        // the program (and any child of it) is gone.
        let drained = Instant::now() + timeouts.io;
        process.stdout.wait_closed(drained);
        process.stderr.wait_closed(drained);
        self.note_rejected_timeout();
        Ok(ClientRun {
            role: self.role.clone(),
            status,
            stdout: process.stdout.text(),
            stderr: process.stderr.text(),
            stdout_bytes: process.stdout.bytes(),
        })
    }
}

/// A client that has exited: its status and output.
pub struct ClientRun {
    /// The role it played.
    pub role: String,
    /// How it exited.
    pub status: ExitStatus,
    /// Everything it printed on stdout (up to the output cap).
    pub stdout: String,
    /// Everything it printed on stderr (up to the output cap).
    pub stderr: String,
    /// Its stdout as bytes, for output that must match byte for byte.
    pub stdout_bytes: Vec<u8>,
}

impl ClientRun {
    /// Its stdout lines, without `\r`.
    pub fn lines(&self) -> Vec<String> {
        self.stdout.lines().map(|l| l.trim_end_matches('\r').to_string()).collect()
    }

    /// It exited with status 0.
    pub fn expect_success(&self) -> Result<(), Failure> {
        if self.status.success() {
            return Ok(());
        }
        Err(diagnose::exited(&self.role, "instead of exiting with status 0", self.status, &self.stderr)
            .expected("exit status 0".to_string()))
    }

    /// It printed exactly these lines on stdout (a trailing empty line is allowed).
    pub fn expect_stdout(&self, expected: &[String]) -> Result<(), Failure> {
        let mut got = self.lines();
        while got.last().is_some_and(|l| l.is_empty()) {
            got.pop();
        }
        if got == expected {
            return Ok(());
        }
        let mut failure = Failure::mismatch(format!("{} printed the wrong output", self.role))
            .expected(quote_lines(expected))
            .got(if got.is_empty() { "nothing on stdout".to_string() } else { quote_lines(&got) });
        if let Some(line) = got.iter().zip(expected).position(|(g, e)| g != e) {
            failure = failure.detail(format!("the first wrong line is line {}", line + 1));
        }
        Err(diagnose::explain_stderr(failure, &self.role, &self.stderr))
    }

    /// It failed the way the contract asks: exit status 1 and one clear line on
    /// stderr, not a crash report.
    pub fn expect_clean_failure(&self) -> Result<(), Failure> {
        let expected = "exit status 1 and one line on stderr saying what went wrong";
        if self.status.code() != Some(1) {
            let failure = Failure::mismatch(format!(
                "{} {} (the contract asks for 1 when it cannot do its job)",
                self.role,
                describe_exit(self.status)
            ))
            .expected(expected.to_string())
            .got(describe_exit(self.status))
            .with_fallback_hint(if self.status.code() == Some(0) {
                "status 0 says all went well: when the program cannot do its job, it prints one line on stderr and \
                 exits with status 1 (sys.exit(1), System.exit(1), std::process::exit(1)), so that a script can tell"
            } else {
                "catch the error, print one line to stderr saying what went wrong, then exit with status 1"
            });
            return Err(diagnose::explain_stderr(failure, &self.role, &self.stderr));
        }
        if let Some(crash) = diagnose::crash_report(&self.stderr) {
            return Err(Failure::mismatch(format!("{} printed {crash} instead of one clear line", self.role))
                .expected(expected.to_string())
                .got(self.stderr.trim_end().to_string())
                .with_hint("catch the error and print one line to stderr, then exit with status 1"));
        }
        if self.stderr.trim().is_empty() {
            return Err(Failure::mismatch(format!("{} exited 1 without saying why on stderr", self.role))
                .expected(expected.to_string())
                .got("nothing on stderr".to_string())
                .with_fallback_hint(
                    "before exiting, print one line to stderr that says what went wrong (which host and port, and why)",
                ));
        }
        Ok(())
    }
}

fn quote_lines(lines: &[String]) -> String {
    lines.iter().map(|l| crate::transcript::escape(l.as_bytes())).collect::<Vec<_>>().join("\n")
}

/// A TCP server played by the grader, for a student's client to connect to.
pub struct ScriptedServer {
    listener: TcpListener,
    /// Bound to the same port for UDP: a datagram there is a client using the wrong
    /// transport.
    datagrams: Option<std::net::UdpSocket>,
    port: u16,
    transcript: Transcript,
    timeouts: Timeouts,
    accepted: u32,
}

impl ScriptedServer {
    /// The port it listens on, for the client's `--port`.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Waits for `client` to connect, failing early if it exits first.
    pub fn accept(&mut self, client: &Client) -> Result<Conn, Failure> {
        let process = client.process();
        let deadline = Instant::now() + self.timeouts.startup;
        // A queued connection is taken even if the client has exited since: it did
        // connect. Any accept error (a connection aborted while queued) means: wait on.
        let mut datagram = [0u8; 2048];
        let accepted = poll_until(deadline, || match self.listener.accept() {
            Ok((stream, _)) => Some(Accepted::Stream(stream)),
            Err(_) => match self.datagrams.as_ref().and_then(|s| s.recv_from(&mut datagram).ok()) {
                Some((n, _)) => Some(Accepted::Datagram(n)),
                None => process.exit_status().map(Accepted::Exited),
            },
        });
        match accepted {
            Some(Accepted::Datagram(n)) => {
                let data = &datagram[..n];
                self.transcript.note(format!(
                    "[{}] sent a UDP datagram to 127.0.0.1:{}: {}",
                    client.role,
                    self.port,
                    crate::transcript::escape(data)
                ));
                Err(Failure::mismatch(format!(
                    "{} sent a UDP datagram to 127.0.0.1:{} instead of connecting over TCP",
                    client.role, self.port
                ))
                .expected(format!("a TCP connection to 127.0.0.1:{}", self.port))
                .got(format!("one UDP datagram: {}", crate::transcript::escape(data)))
                .with_hint(
                    "this exchange is over TCP: connect a stream socket (SOCK_STREAM: socket.create_connection, \
                     TcpStream::connect) to --host and --port and send the request on it, not a datagram (SOCK_DGRAM)",
                ))
            }
            Some(Accepted::Stream(stream)) => {
                let _ = stream.set_nonblocking(false);
                self.accepted += 1;
                let label = format!("{} conn {}", client.role, self.accepted);
                self.transcript.note(format!("[{label}] {} connected", client.role));
                Ok(Conn::new(
                    stream,
                    label,
                    client.role.clone(),
                    Some(process.watch()),
                    self.transcript.clone(),
                    self.timeouts.io,
                )
                .opened_by_program())
            }
            Some(Accepted::Exited(status)) => Err(diagnose::exited(
                &client.role,
                &format!("before connecting to the server at 127.0.0.1:{}", self.port),
                status,
                &process.final_stderr(),
            )),
            None => Err(Failure::new(
                FailureKind::Timeout,
                format!(
                    "{} did not connect to 127.0.0.1:{} within {} s",
                    client.role,
                    self.port,
                    self.timeouts.startup.as_secs_f32()
                ),
            )
            .with_hint("connect to the --host and --port given on the command line")),
        }
    }
}

/// What a scripted server's wait for its client ends with.
enum Accepted {
    Stream(TcpStream),
    /// A datagram of this many bytes came to the port instead.
    Datagram(usize),
    Exited(ExitStatus),
}

/// What helpers built on the harness need (udp.rs, crowd.rs here; a lab's protocol
/// helpers elsewhere); checks use the methods above instead.
impl Harness {
    /// The check's transcript, to write to from another thread or a helper's type
    /// (the same transcript: a handle, cheap to clone).
    pub fn transcript_handle(&self) -> Transcript {
        self.transcript.clone()
    }
}

impl Server {
    pub(crate) fn host(&self) -> IpAddr {
        self.host
    }

    pub(crate) fn role(&self) -> &str {
        &self.role
    }

    pub(crate) fn watch(&self) -> crate::process::Watch {
        self.process.watch()
    }

    /// Its process group (cputime.rs adds up the group's CPU time).
    pub(crate) fn pid(&self) -> u32 {
        self.process.pid()
    }

    pub(crate) fn transcript_handle(&self) -> Transcript {
        self.transcript.clone()
    }

    pub(crate) fn timeouts(&self) -> Timeouts {
        self.timeouts
    }

    /// How many clients have connected so far (or been named to): the next is
    /// `client N + 1`.
    pub(crate) fn clients_so_far(&self) -> usize {
        self.clients as usize
    }

    /// Names the next client of this server, `client N`, as [`Server::connect`] does.
    pub(crate) fn next_client_label(&mut self) -> String {
        self.clients += 1;
        format!("client {}", self.clients)
    }
}

impl Client {
    pub(crate) fn role(&self) -> &str {
        &self.role
    }

    /// Its exit and its stderr, watched from any thread.
    pub fn watch(&self) -> crate::process::Watch {
        self.process.watch()
    }
}

/// What a helper needs of a client that keeps running (a subscriber that prints what
/// it receives): its stdout as it comes, to wait for a line, and its process group,
/// to pause it.
impl Client {
    /// Its stdout so far, waitable (see [`Capture::wait_for`](crate::capture::Capture::wait_for)).
    pub fn stdout(&self) -> &crate::capture::Capture {
        &self.process.stdout
    }

    /// Its pid, which is also its process group's id.
    pub fn pid(&self) -> u32 {
        self.process.pid()
    }
}
