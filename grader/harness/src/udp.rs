//! UDP for the checks: a UDP server under test ([`UdpServer`]), the grader's own
//! sockets that talk to it ([`UdpConn`]), and a UDP server played by the grader for a
//! student's client ([`ScriptedUdpServer`]), which can lose chosen datagrams to test the
//! client's timeout and retries.
//!
//! Datagrams are not a stream. One send is one datagram, and one receive returns one
//! whole datagram: never a part of one, never two at once. So here one datagram is one
//! message, and nothing is accumulated or split as [`Conn`](crate::conn::Conn) does for
//! TCP. Every `>` and `<` line of a UDP transcript is one whole datagram and says so.
//!
//! UDP may lose, duplicate or reorder datagrams. On loopback it does none of these, so a
//! check sees exactly what the program sent, unless the grader plays the lossy network
//! on purpose ([`ScriptedUdpServer::lose`]).
//!
//! ```no_run
//! # use harness::outcome::CheckResult;
//! # fn check(h: &mut harness::Harness) -> CheckResult {
//! let mut server = h.server("demo-server").start_udp()?;        // waits until it is bound
//! let mut a = server.socket()?;                                 // "client 1", its own port
//! a.send("Mon")?;                                               // one datagram
//! a.expect_datagram("Mon")?;                                    // one datagram back, from the server's port
//!
//! let mut scripted = h.scripted_udp_server()?;                  // the grader plays the server
//! let client = h.client("demo-client").port(scripted.port()).start()?;
//! let first = scripted.recv(&client)?;
//! scripted.lose(&first);                                        // no reply: the client must retry
//! let again = scripted.recv_within(&client, h.timeouts().client_run, "a retransmission")?;
//! scripted.reply(&again, &again.data)?;
//! # Ok(())
//! # }
//! ```

use std::io::ErrorKind;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, UdpSocket};
use std::time::{Duration, Instant};

use crate::deadline::Timeouts;
use crate::diagnose;
use crate::harness::{Client, Harness, Server, ServerStart, LOOPBACK};
use crate::outcome::{Failure, FailureKind};
use crate::process::Watch;
use crate::sockets::Proto;
use crate::transcript::{escape, EventKind, Transcript};

/// The largest payload of one UDP datagram over IPv4: 65,535 bytes less the IP and UDP
/// headers. Every receive here has room for it, so nothing is ever truncated.
pub const MAX_DATAGRAM: usize = 65_507;

/// The receive buffer: one byte more than any datagram, so a full buffer would show.
const BUFFER: usize = 65_536;

/// How long one blocking receive waits before the client under test is looked at again
/// (has it exited?). Not a sleep: the receive returns as soon as a datagram arrives.
const SLICE: Duration = Duration::from_millis(20);

const DATAGRAMS_NOTE: &str =
    "UDP: each > and < line is one whole datagram (datagrams are not a stream: one datagram is one message)";

/// Shows one datagram in the transcript and in failures.
fn shown(data: &[u8]) -> String {
    format!("one datagram: {}", escape(data))
}

/// A loopback address of the same family as `peer`, port chosen by the kernel.
fn local_for(peer: IpAddr) -> SocketAddr {
    match peer {
        IpAddr::V4(_) => SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 0),
        IpAddr::V6(_) => SocketAddr::new(IpAddr::V6(Ipv6Addr::LOCALHOST), 0),
    }
}

impl<'h> ServerStart<'h> {
    /// Starts a UDP server on a free port and waits until its socket is bound (read
    /// from the kernel's table: no probe datagram reaches it), watching for an early
    /// exit as [`ServerStart::start`] does for TCP.
    pub fn start_udp(self) -> Result<UdpServer, Failure> {
        let server = self.start_as(Proto::Udp)?;
        server.transcript_handle().note(DATAGRAMS_NOTE);
        Ok(UdpServer { server })
    }
}

/// A running UDP server under test; dropping it stops it.
pub struct UdpServer {
    server: Server,
}

impl UdpServer {
    /// Where it was told to listen: `--host` and `--port`.
    pub fn addr(&self) -> SocketAddr {
        SocketAddr::new(self.server.host(), self.server.port())
    }

    /// A new grader-side socket, `client N`, bound to loopback on a port of the
    /// kernel's choosing, that sends to this server. Several sockets are several
    /// clients: each has its own address, and the server must reply to each at its own.
    pub fn socket(&mut self) -> Result<UdpConn, Failure> {
        let label = self.server.next_client_label();
        let peer_addr = self.addr();
        let socket = UdpSocket::bind(local_for(peer_addr.ip()))
            .map_err(|e| Failure::grader(format!("cannot open a UDP socket for {label}: {e}")))?;
        let local = socket.local_addr().map_err(|e| Failure::grader(format!("no address for {label}: {e}")))?;
        let transcript = self.server.transcript_handle();
        transcript.note(format!("[{label}] a UDP socket at {local}, sending to {peer_addr}"));
        Ok(UdpConn {
            socket,
            label,
            peer: self.server.role().to_string(),
            peer_addr,
            watch: Some(self.server.watch()),
            transcript,
            io_timeout: self.server.timeouts().io,
            last_sent: None,
        })
    }

    /// Fails if the server is no longer running; `when` says at which point of the
    /// check, e.g. "after a datagram that is not UTF-8".
    pub fn expect_alive(&self, when: &str) -> Result<(), Failure> {
        self.server.expect_alive(when)
    }

    /// [`Server::expect_alive_for`] for a UDP server.
    pub fn expect_alive_for(&self, window: Duration, when: &str) -> Result<(), Failure> {
        self.server.expect_alive_for(window, when)
    }
}

/// A UDP socket of the grader's, talking to one program: every send is one datagram,
/// every receive one whole datagram with a deadline, all of it in the transcript.
pub struct UdpConn {
    socket: UdpSocket,
    /// Names this socket in the transcript: `client 2`.
    label: String,
    /// The program at the other end, as the student knows it: `demo-server`.
    peer: String,
    /// Where datagrams go, and where replies must come from.
    peer_addr: SocketAddr,
    watch: Option<Watch>,
    transcript: Transcript,
    io_timeout: Duration,
    /// What was last sent, quoted in failures.
    last_sent: Option<String>,
}

impl UdpConn {
    /// Sends `data` as one datagram (at most [`MAX_DATAGRAM`] bytes).
    pub fn send(&mut self, data: impl AsRef<[u8]>) -> Result<(), Failure> {
        let data = data.as_ref();
        let text = shown(data);
        self.transcript.push(EventKind::Sent, format!("[{}] {text}", self.label));
        self.last_sent = Some(text);
        match self.socket.send_to(data, self.peer_addr) {
            Ok(n) if n == data.len() => Ok(()),
            Ok(n) => Err(Failure::grader(format!("the kernel sent {n} of the {} bytes of a datagram", data.len()))),
            Err(e) if e.raw_os_error() == Some(nix::libc::EMSGSIZE) => Err(Failure::skip(format!(
                "this machine does not send UDP datagrams of {} bytes over loopback: {e}",
                data.len()
            ))),
            Err(e) => Err(Failure::grader(format!("cannot send a datagram to {}: {e}", self.peer_addr))),
        }
    }

    /// Waits (the I/O deadline) for the next datagram from the program, and returns it.
    /// A datagram from any other address is a failure: a server replies from the socket
    /// the request came to, or a client that filters on it (connect()) never sees it.
    pub fn recv(&mut self) -> Result<Vec<u8>, Failure> {
        let deadline = Instant::now() + self.io_timeout;
        match self.recv_until(deadline)? {
            Some(data) => Ok(data),
            None => Err(self.timeout()),
        }
    }

    /// Waits for one datagram and compares it, byte for byte, with `expected`.
    pub fn expect_datagram(&mut self, expected: impl AsRef<[u8]>) -> Result<(), Failure> {
        let expected = expected.as_ref();
        let got = self.recv().map_err(|f| if f.expected.is_none() { f.expected(shown(expected)) } else { f })?;
        if got == expected {
            Ok(())
        } else {
            Err(self.wrong_datagram(expected, &got))
        }
    }

    /// A failure for a datagram that is not the expected one, quoting both.
    pub fn wrong_datagram(&self, expected: &[u8], got: &[u8]) -> Failure {
        let mut failure =
            Failure::mismatch(format!("{} sent a wrong reply", self.peer)).expected(shown(expected)).got(shown(got));
        failure.sent = self.last_sent.clone();
        if !got.is_empty() && got.len() < expected.len() && expected.starts_with(got) {
            failure = failure.detail(format!(
                "the reply is the first {} of {} bytes: a datagram is cut to the size of the buffer it is received into",
                got.len(),
                expected.len()
            ));
        } else if let Some(offset) = got.iter().zip(expected).position(|(a, b)| a != b) {
            failure = failure.detail(format!("the first difference is at byte {offset}"));
        }
        failure
    }

    /// Asserts that no datagram arrives for `window`: used where sending is the bug. A
    /// correct program never sends here, so this can only catch a wrong one.
    pub fn expect_quiet(&mut self, window: Duration, why: &str) -> Result<(), Failure> {
        match self.recv_until(Instant::now() + window)? {
            None => Ok(()),
            Some(data) => Err(Failure::mismatch(format!("{} sent a datagram {why}", self.peer)).got(shown(&data))),
        }
    }

    /// The next datagram from the program before `deadline`, or `None`.
    fn recv_until(&mut self, deadline: Instant) -> Result<Option<Vec<u8>>, Failure> {
        let mut buf = vec![0u8; BUFFER];
        loop {
            let now = Instant::now();
            if now >= deadline {
                return Ok(None);
            }
            let _ = self.socket.set_read_timeout(Some(deadline - now));
            match self.socket.recv_from(&mut buf) {
                Ok((n, from)) if from == self.peer_addr => {
                    self.transcript.push(EventKind::Received, format!("[{}] {}", self.label, shown(&buf[..n])));
                    return Ok(Some(buf[..n].to_vec()));
                }
                Ok((n, from)) => {
                    self.transcript.push(
                        EventKind::Received,
                        format!("[{}] from {from}, not from {}: {}", self.label, self.peer_addr, shown(&buf[..n])),
                    );
                    let mut failure = Failure::mismatch(format!(
                        "a datagram came from {from}, not from {} where {} was sent its request",
                        self.peer_addr, self.peer
                    ))
                    .expected(format!("a reply from {}", self.peer_addr))
                    .got(format!("{} from {from}", shown(&buf[..n])))
                    .with_hint("reply with sendto() on the socket the request came in on: its address is the one the client wrote to");
                    failure.sent = self.last_sent.clone();
                    return Err(failure);
                }
                Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut | ErrorKind::Interrupted) => {}
                // An ICMP "port unreachable" for an earlier datagram: nobody is bound
                // there any more. Whether the program exited says why.
                Err(e) if e.kind() == ErrorKind::ConnectionRefused => {
                    let failure = Failure::new(
                        FailureKind::Refused,
                        format!("nothing receives datagrams at {} ({} is not bound there)", self.peer_addr, self.peer),
                    )
                    .detail(format!("the error was: {e}"));
                    return Err(self.with_peer_state(failure));
                }
                Err(e) => return Err(Failure::grader(format!("cannot receive on {}'s socket: {e}", self.label))),
            }
        }
    }

    fn timeout(&self) -> Failure {
        let waited = self.io_timeout.as_secs_f32();
        let mut failure =
            Failure::new(FailureKind::Timeout, format!("no datagram came back from {} within {waited} s", self.peer))
                .got("nothing".to_string());
        failure.sent = self.last_sent.clone();
        self.with_peer_state(failure)
    }

    /// Says whether the program at the other end is still running, and why not.
    fn with_peer_state(&self, failure: Failure) -> Failure {
        diagnose::with_peer_state(failure, self.watch.as_ref(), &self.peer)
    }
}

/// One datagram a student's client sent to the scripted server.
#[derive(Clone, Debug)]
pub struct Datagram {
    /// Where it came from: where a reply goes.
    pub from: SocketAddr,
    /// Its payload.
    pub data: Vec<u8>,
}

impl Datagram {
    /// Its payload as text (invalid UTF-8 replaced).
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.data).into_owned()
    }
}

impl Harness {
    /// A UDP server played by the grader on a free loopback port, for testing a
    /// student's UDP client.
    pub fn scripted_udp_server(&self) -> Result<ScriptedUdpServer, Failure> {
        let (socket, port) = crate::ports::own_udp_socket(LOOPBACK)
            .map_err(|e| Failure::grader(format!("cannot bind UDP 127.0.0.1 for the scripted server: {e}")))?;
        let transcript = self.transcript_handle();
        transcript.note(format!("the grader is bound to UDP 127.0.0.1:{port}, playing the server"));
        transcript.note(DATAGRAMS_NOTE);
        Ok(ScriptedUdpServer { socket, port, transcript, timeouts: self.timeouts() })
    }
}

/// A UDP server played by the grader: it receives the client's datagrams one by one,
/// and the check decides for each whether to reply, and what, or to lose it.
pub struct ScriptedUdpServer {
    socket: UdpSocket,
    port: u16,
    transcript: Transcript,
    timeouts: Timeouts,
}

impl ScriptedUdpServer {
    /// The port it is bound to, for the client's `--port`.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Waits for the next datagram from `client`, within the startup deadline (it may
    /// be just starting), failing early if the client exits without sending one.
    pub fn recv(&mut self, client: &Client) -> Result<Datagram, Failure> {
        self.recv_within(client, self.timeouts.startup, "a datagram")
    }

    /// [`ScriptedUdpServer::recv`] with a patience of its own, such as a client run's
    /// deadline while the client is expected to time out and send again. `waiting_for`
    /// names the datagram in a failure: "a retransmission of \"Mon\"".
    pub fn recv_within(&mut self, client: &Client, patience: Duration, waiting_for: &str) -> Result<Datagram, Failure> {
        let deadline = Instant::now() + patience;
        let watch = client.watch();
        loop {
            // A datagram queued before the client exited was sent: take it first.
            let slice = deadline.saturating_duration_since(Instant::now()).min(SLICE);
            if let Some(datagram) = self.recv_for(slice, client.role())? {
                return Ok(datagram);
            }
            if let Some(status) = watch.exit_status() {
                let when = format!("without sending {waiting_for} to 127.0.0.1:{}", self.port);
                return Err(diagnose::exited(client.role(), &when, status, &watch.final_stderr())
                    .expected(waiting_for.to_string()));
            }
            if Instant::now() >= deadline {
                return Err(Failure::new(
                    FailureKind::Timeout,
                    format!(
                        "{} sent no datagram to 127.0.0.1:{} within {} s",
                        client.role(),
                        self.port,
                        patience.as_secs_f32()
                    ),
                )
                .expected(waiting_for.to_string())
                .got("nothing".to_string()));
            }
        }
    }

    /// Every datagram that arrives within `window`, whoever sends it: for a window in
    /// which a correct client is silent (waiting for a reply) or only sends again what
    /// it sent before (a retransmission).
    pub fn collect(&mut self, window: Duration, sender: &str) -> Result<Vec<Datagram>, Failure> {
        let deadline = Instant::now() + window;
        let mut got = Vec::new();
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Ok(got);
            }
            got.extend(self.recv_for(left, sender)?);
        }
    }

    /// Sends `data` as one datagram to where `to` came from.
    pub fn reply(&mut self, to: &Datagram, data: impl AsRef<[u8]>) -> Result<(), Failure> {
        let data = data.as_ref();
        self.transcript.push(EventKind::Sent, format!("[to {}] {}", to.from, shown(data)));
        self.socket
            .send_to(data, to.from)
            .map(|_| ())
            .map_err(|e| Failure::grader(format!("cannot send a datagram to {}: {e}", to.from)))
    }

    /// Plays a lossy network: `datagram` gets no reply, as if it had been lost on the
    /// way. The client must time out and send it again.
    pub fn lose(&mut self, datagram: &Datagram) {
        self.transcript.note(format!(
            "the grader loses that datagram from {} on purpose: no reply, as if the network had dropped it",
            datagram.from
        ));
    }

    /// One datagram within `wait`, or `None`; `sender` names the client in the transcript.
    fn recv_for(&mut self, wait: Duration, sender: &str) -> Result<Option<Datagram>, Failure> {
        if wait.is_zero() {
            return Ok(None);
        }
        let _ = self.socket.set_read_timeout(Some(wait));
        let mut buf = vec![0u8; BUFFER];
        match self.socket.recv_from(&mut buf) {
            Ok((n, from)) => {
                self.transcript.push(EventKind::Received, format!("[{sender} at {from}] {}", shown(&buf[..n])));
                Ok(Some(Datagram { from, data: buf[..n].to_vec() }))
            }
            // An ICMP error for a reply the grader sent to a client that has gone:
            // nothing for this receive; the client's exit is looked at by the caller.
            Err(e)
                if matches!(
                    e.kind(),
                    ErrorKind::WouldBlock | ErrorKind::TimedOut | ErrorKind::Interrupted | ErrorKind::ConnectionRefused
                ) =>
            {
                Ok(None)
            }
            Err(e) => Err(Failure::grader(format!("the scripted UDP server cannot receive: {e}"))),
        }
    }
}

/// What checks that wait out a UDP client's timeouts give it with `--timeout SECONDS`
/// (the contract's option; 1 s by default): a client that honours it is judged in a
/// fraction of the time. One that ignores it waits 1 s a try, and is judged the same:
/// these checks wait for either.
pub const CLIENT_TIMEOUT: &str = "0.3";

/// The shortest mean gap between the tries of a client given [`CLIENT_TIMEOUT`]: half of
/// it. A client waiting less than that for a reply does not wait for it at all.
pub const SHORTEST_GAP: std::time::Duration = std::time::Duration::from_millis(150);

/// A UDP client that failed on "connection refused" gets told where that comes from:
/// nothing is bound there, and a connect()ed socket reports the ICMP answer. For the
/// failures of every lab's UDP client checks (`.map_err(udp::explain_refused)`).
pub fn explain_refused(failure: Failure) -> Failure {
    let said = failure.got.as_deref().unwrap_or_default().to_lowercase();
    if !said.contains("refused") {
        return failure;
    }
    failure.detail(
        "UDP has no connection, but when nothing is bound at the port the kernel answers \"port unreachable\", and a connect()ed UDP socket reports that as \"connection refused\" on its next send or receive: handle that error as well as the timeout",
    )
}
