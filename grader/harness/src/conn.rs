//! A TCP connection between the grader and a program under test, where every read and
//! write has a deadline and every byte goes into the transcript.
//!
//! Reads never assume that one `read()` is one message: they accumulate bytes until
//! what the check waits for (a number of bytes, a newline, the end of the stream) is
//! there, so a correct program passes however the kernel splits its writes.

use std::io::{self, ErrorKind, Read, Write};
use std::net::{Shutdown, TcpStream};
use std::time::{Duration, Instant};

use crate::diagnose;
use crate::outcome::{Failure, FailureKind};
use crate::process::Watch;
use crate::transcript::{escape, EventKind, Transcript};

/// The longest line a check waits for; a program that sends more without a newline
/// has a bug, and the grader must not buffer without end.
const MAX_LINE: usize = 1 << 20;

/// A TCP connection of the grader's to a program under test (or from one, to a peer the
/// grader plays): reads and writes with deadlines, recorded in the check's transcript.
/// Made by [`Server::connect`](crate::Server::connect) and
/// [`ScriptedServer::accept`](crate::ScriptedServer::accept).
///
/// ```no_run
/// # fn check(h: &mut harness::Harness) -> harness::outcome::CheckResult {
/// # let mut server = h.server("demo-server").start()?;
/// let mut c = server.connect()?;
/// c.send("ping\n")?; // one write, shown in the transcript as `> [client 1] "ping\n"`
/// c.expect_exact("ping\n")?; // however the reply is cut into segments
/// let line = c.read_line()?; // up to `\n`, within the I/O deadline
/// if line != "done" {
///     return Err(c.wrong_line("done", &line));
/// }
/// c.expect_closed()?; // the server closes, having sent nothing more
/// # Ok(())
/// # }
/// ```
pub struct Conn {
    stream: TcpStream,
    /// Names this connection in the transcript: `client 2`, `demo-client`.
    label: String,
    /// The program at the other end, as the student knows it: `demo-server`.
    peer: String,
    watch: Option<Watch>,
    transcript: Transcript,
    io_timeout: Duration,
    /// Bytes received and not yet consumed by an expectation.
    pending: Vec<u8>,
    /// What was last sent, quoted in failures.
    last_sent: Option<String>,
    /// The program reset the connection (a read failed with ECONNRESET).
    reset_seen: bool,
    /// The program opened this connection (a client of the grader's scripted server),
    /// so it is the one to speak first.
    program_connected: bool,
    /// Whether anything at all came from the program on this connection.
    received_any: bool,
}

impl Conn {
    /// A connection over `stream`: `label` names it in the transcript (`client 1`),
    /// `peer` is the program at the other end as the student knows it, `watch` tells
    /// whether that program still runs, and every read or write waits at most
    /// `io_timeout`.
    pub fn new(
        stream: TcpStream,
        label: String,
        peer: String,
        watch: Option<Watch>,
        transcript: Transcript,
        io_timeout: Duration,
    ) -> Conn {
        // Each write of the grader leaves at once, as one segment where it fits: checks
        // that split or pace data rely on it.
        let _ = stream.set_nodelay(true);
        Conn {
            stream,
            label,
            peer,
            watch,
            transcript,
            io_timeout,
            pending: Vec::new(),
            last_sent: None,
            reset_seen: false,
            program_connected: false,
            received_any: false,
        }
    }

    /// Marks a connection the program opened to the grader: silence on it means the
    /// program never sent its request.
    pub(crate) fn opened_by_program(mut self) -> Conn {
        self.program_connected = true;
        self
    }

    /// Its name in the transcript: `client 2`, `demo-client`.
    pub fn label(&self) -> &str {
        &self.label
    }

    /// Whether the program opened this connection (it is the client here: what it
    /// sends are requests).
    pub fn is_program_opened(&self) -> bool {
        self.program_connected
    }

    /// The grader's own end of the connection: the address the program sees as its
    /// client's (a server that logs its clients writes it down).
    pub fn local_addr(&self) -> Result<std::net::SocketAddr, Failure> {
        self.stream.local_addr().map_err(|e| Failure::grader(format!("cannot read the grader's own address: {e}")))
    }

    /// Sends bytes as one write.
    pub fn send(&mut self, data: impl AsRef<[u8]>) -> Result<(), Failure> {
        let data = data.as_ref();
        let shown = escape(data);
        self.transcript.push(EventKind::Sent, format!("[{}] {shown}", self.label));
        self.last_sent = Some(shown);
        let _ = self.stream.set_write_timeout(Some(self.io_timeout));
        self.stream.write_all(data).map_err(|e| self.io_failure(e, "sending"))
    }

    /// Sends a line: the text and `\n`.
    pub fn send_line(&mut self, line: &str) -> Result<(), Failure> {
        self.send(format!("{line}\n"))
    }

    /// Vanishes, as a client that crashed or lost its network would: the connection is
    /// closed with a reset (RST) instead of an orderly close, so that the program's
    /// next read or write on it fails.
    pub fn abort(self) {
        self.transcript.note(format!("[{}] the grader resets the connection: this client vanishes", self.label));
        let _ = socket2::SockRef::from(&self.stream).set_linger(Some(Duration::ZERO));
    }

    /// Closes the grader's sending side: the program reads end-of-stream.
    pub fn shutdown_write(&mut self) {
        self.transcript.note(format!("[{}] the grader closes its sending side", self.label));
        let _ = self.stream.shutdown(Shutdown::Write);
    }

    /// Waits for exactly these bytes (nothing is framed: a protocol may have no
    /// newline), failing as soon as what arrived differs from them.
    pub fn expect_exact(&mut self, expected: &str) -> Result<(), Failure> {
        self.expect_bytes(expected.as_bytes())
    }

    /// [`Conn::expect_exact`] for bytes that need not be text, such as every byte
    /// value sent back.
    pub fn expect_bytes(&mut self, want: &[u8]) -> Result<(), Failure> {
        let deadline = Instant::now() + self.io_timeout;
        loop {
            let have = self.pending.len().min(want.len());
            if self.pending[..have] != want[..have] {
                self.settle();
                return Err(self.mismatch(want));
            }
            if self.pending.len() >= want.len() {
                self.pending.drain(..want.len());
                return Ok(());
            }
            self.fill(deadline).map_err(|f| f.expected(escape(want)))?;
        }
    }

    /// Waits for one line ending in `\n` and returns it without `\n` or `\r\n`.
    pub fn read_line(&mut self) -> Result<String, Failure> {
        let deadline = Instant::now() + self.io_timeout;
        loop {
            if let Some(end) = self.pending.iter().position(|&b| b == b'\n') {
                let line: Vec<u8> = self.pending.drain(..=end).collect();
                let line = String::from_utf8_lossy(&line[..end]);
                return Ok(line.trim_end_matches('\r').to_string());
            }
            if self.pending.len() > MAX_LINE {
                return Err(Failure::mismatch(format!("{} sent over 1 MiB without a newline", self.peer))
                    .got(escape(&self.pending)));
            }
            self.fill(deadline).map_err(|f| f.expected("a line ending in \\n"))?;
        }
    }

    /// A failure for a line that is not the expected one, quoting both.
    pub fn wrong_line(&self, expected: &str, got: &str) -> Failure {
        let mut failure = Failure::mismatch(format!("{} sent a wrong reply", self.peer))
            .expected(escape(format!("{expected}\n").as_bytes()))
            .got(escape(format!("{got}\n").as_bytes()));
        failure.sent = self.last_sent.clone();
        failure
    }

    /// Waits for the program to close the connection, with nothing more sent.
    pub fn expect_closed(&mut self) -> Result<(), Failure> {
        let deadline = Instant::now() + self.io_timeout;
        loop {
            if !self.pending.is_empty() {
                return Err(Failure::mismatch(format!("{} sent more than expected", self.peer))
                    .expected("the connection closed".to_string())
                    .got(escape(&self.pending)));
            }
            // The close is what this waits for: no failure (and no look at whether the
            // program exited, which costs a moment) is made for it.
            match self.fill_or_eof(deadline) {
                Ok(false) => return Ok(()),
                Err(f) if f.kind == FailureKind::Timeout => {
                    return Err(Failure::new(
                        FailureKind::Timeout,
                        format!("{} kept the connection open for {} s", self.peer, self.io_timeout.as_secs_f32()),
                    )
                    .expected("the connection closed after the reply".to_string()))
                }
                Err(f) => return Err(f),
                Ok(true) => {}
            }
        }
    }

    /// Waits, within the I/O deadline, until the program has read everything this
    /// connection sent it: its end's receive queue is empty, as the kernel counts it
    /// (sock_diag). A condition, not a pause: a check that splits its data calls it
    /// between the pieces, so the program reads them separately however busy the
    /// machine is. `Ok(false)` where the kernel cannot tell (no sock_diag), or when the
    /// program's end is gone (it closed the connection); a failure when the bytes are
    /// still unread at the deadline.
    pub fn wait_peer_read(&mut self, what: &str) -> Result<bool, Failure> {
        let (Ok(peer), Ok(local)) = (self.stream.peer_addr(), self.stream.local_addr()) else { return Ok(false) };
        let deadline = Instant::now() + self.io_timeout;
        let mut unread = 0;
        let state = crate::deadline::poll_until(deadline, || match crate::sockdiag::unread(peer, local) {
            Err(_) | Ok(None) => Some(false),
            Ok(Some(0)) => Some(true),
            Ok(Some(n)) => {
                unread = n;
                None
            }
        });
        match state {
            Some(read) => {
                if read {
                    self.transcript.note(format!("[{}] {} has read {what}", self.label, self.peer));
                }
                Ok(read)
            }
            None => Err(self.with_peer_state(
                Failure::new(
                    FailureKind::Timeout,
                    format!("{} did not read {what} within {} s", self.peer, self.io_timeout.as_secs_f32()),
                )
                .got(format!("{unread} bytes still unread in its socket")),
            )),
        }
    }

    /// Whether the program reset the connection (a read failed with ECONNRESET).
    pub fn was_reset(&self) -> bool {
        self.reset_seen
    }

    /// Whether the program had read the request when it closed the connection: reads to
    /// the end of the stream (what comes is kept for the caller) and tells an orderly
    /// close from a reset. A program that closes a socket with unread data makes its
    /// kernel send a reset instead of an orderly close, and one that had closed before
    /// the request came answers it with a reset: either way the request was never read.
    /// `Ok(true)` for an orderly close, `Ok(false)` for a reset; a failure on timeout.
    pub fn closed_after_reading(&mut self) -> Result<bool, Failure> {
        let deadline = Instant::now() + self.io_timeout;
        loop {
            match self.fill_or_eof(deadline) {
                Ok(true) => {}
                // A reset that came after the close (the request reached a program
                // that had already closed) is left on the socket as its error.
                Ok(false) => {
                    // Whether the request got its acknowledgement or its reset is
                    // settled at once on loopback; waited for, not assumed.
                    crate::deadline::poll_until(deadline, || sent_data_settled(&self.stream).then_some(()));
                    return Ok(matches!(self.stream.take_error(), Ok(None)));
                }
                Err(_) if self.reset_seen => return Ok(false),
                Err(f) => return Err(f),
            }
        }
    }

    /// Asserts that nothing arrives for `window`: used where sending early is the bug
    /// (a client that does not wait for a reply). A correct program never sends here,
    /// so this can only catch a wrong one; it never makes a correct one fail.
    pub fn expect_quiet(&mut self, window: Duration, why: &str) -> Result<(), Failure> {
        let deadline = Instant::now() + window;
        if self.pending.is_empty() {
            match self.fill(deadline) {
                Ok(()) => {}
                Err(f) if f.kind == FailureKind::Timeout || f.kind == FailureKind::Closed => return Ok(()),
                Err(f) => return Err(f),
            }
        }
        Err(Failure::mismatch(format!("{} sent data {why}", self.peer)).got(escape(&self.pending)))
    }

    /// Reads whatever arrives next into `pending`, or fails: timeout, closed, reset.
    fn fill(&mut self, deadline: Instant) -> Result<(), Failure> {
        if self.fill_or_eof(deadline)? {
            Ok(())
        } else {
            Err(self.closed())
        }
    }

    /// [`Conn::fill`], but the peer closing is `Ok(false)` rather than a failure.
    fn fill_or_eof(&mut self, deadline: Instant) -> Result<bool, Failure> {
        let now = Instant::now();
        if now >= deadline {
            return Err(self.timeout());
        }
        let _ = self.stream.set_read_timeout(Some(deadline - now));
        let mut buf = [0u8; 64 * 1024];
        match self.stream.read(&mut buf) {
            Ok(0) => {
                self.transcript.note(format!("[{}] {} closed the connection", self.label, self.peer));
                Ok(false)
            }
            Ok(n) => {
                self.received_any = true;
                self.transcript.push(EventKind::Received, format!("[{}] {}", self.label, escape(&buf[..n])));
                self.pending.extend_from_slice(&buf[..n]);
                Ok(true)
            }
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => Err(self.timeout()),
            Err(e) if e.kind() == ErrorKind::Interrupted => Ok(true),
            Err(e) => {
                if e.kind() == ErrorKind::ConnectionReset {
                    self.reset_seen = true;
                    self.transcript.note(format!("[{}] {} reset the connection", self.label, self.peer));
                }
                Err(self.io_failure(e, "receiving"))
            }
        }
    }

    /// After a mismatch, collects what else is on its way (briefly), so the failure
    /// shows the whole reply rather than the first fragment. It only affects the
    /// message; the verdict is already made.
    fn settle(&mut self) {
        let until = Instant::now() + Duration::from_millis(100);
        while self.pending.len() < 4096 && self.fill(until).is_ok() {}
    }

    fn mismatch(&self, expected: &[u8]) -> Failure {
        let mut failure = Failure::mismatch(format!("{} sent a wrong reply", self.peer))
            .expected(escape(expected))
            .got(escape(&self.pending));
        failure.sent = self.last_sent.clone();
        if let Some(offset) = self.pending.iter().zip(expected).position(|(a, b)| a != b) {
            failure.details.push(format!("the first difference is at byte {offset}"));
        }
        failure
    }

    fn timeout(&self) -> Failure {
        let waited = self.io_timeout.as_secs_f32();
        if self.program_connected && !self.received_any {
            // Not a request without its end: no request at all.
            let failure = Failure::new(
                FailureKind::Timeout,
                format!("{} connected but sent nothing within {waited} s", self.peer),
            )
            .got("nothing".to_string())
            .with_hint(format!(
                "{} connected and then sent nothing: send the request right after connecting (write all of it, \
                         and flush a buffered writer), then wait for the reply",
                self.peer
            ));
            return self.with_peer_state(failure);
        }
        // A client under test owes a request, not a reply.
        let summary = if self.program_connected {
            format!("no complete request from {} within {waited} s", self.peer)
        } else {
            format!("no reply from {} within {waited} s", self.peer)
        };
        let mut failure = Failure::new(FailureKind::Timeout, summary).got(if self.pending.is_empty() {
            "nothing".to_string()
        } else {
            escape(&self.pending)
        });
        failure.sent = self.last_sent.clone();
        self.with_peer_state(failure)
    }

    fn closed(&self) -> Failure {
        let mut failure =
            Failure::new(FailureKind::Closed, format!("{} closed the connection before the expected reply", self.peer))
                .got(if self.pending.is_empty() {
                    "the connection closed, nothing more came".to_string()
                } else {
                    format!("{} and then the connection closed", escape(&self.pending))
                });
        failure.sent = self.last_sent.clone();
        self.with_peer_state(failure)
    }

    fn io_failure(&self, e: io::Error, doing: &str) -> Failure {
        let what = match e.kind() {
            ErrorKind::ConnectionReset => "reset the connection",
            ErrorKind::BrokenPipe => "had closed the connection",
            ErrorKind::WouldBlock | ErrorKind::TimedOut => return self.timeout(),
            _ => "made the connection fail",
        };
        let mut failure =
            Failure::new(FailureKind::Refused, format!("{} {what} while the grader was {doing}", self.peer))
                .detail(format!("the error was: {e}"));
        failure.sent = self.last_sent.clone();
        self.with_peer_state(failure)
    }

    /// Says whether the program at the other end is still running, and why not.
    fn with_peer_state(&self, failure: Failure) -> Failure {
        diagnose::with_peer_state(failure, self.watch.as_ref(), &self.peer)
    }
}

/// Whether everything sent on `stream` has been acknowledged by the other end, or the
/// connection was reset (Linux: TCP_INFO); true where that cannot be known.
fn sent_data_settled(stream: &TcpStream) -> bool {
    #[cfg(target_os = "linux")]
    {
        use std::os::fd::AsRawFd;
        const TCP_CLOSE: u8 = 7;
        // SAFETY: tcp_info is plain data, filled by the kernel up to `len` bytes.
        let mut info: libc::tcp_info = unsafe { std::mem::zeroed() };
        let mut len = std::mem::size_of::<libc::tcp_info>() as libc::socklen_t;
        // SAFETY: getsockopt writes at most `len` bytes into `info`.
        let got = unsafe {
            libc::getsockopt(
                stream.as_raw_fd(),
                libc::IPPROTO_TCP,
                libc::TCP_INFO,
                (&mut info as *mut libc::tcp_info).cast(),
                &mut len,
            )
        };
        got != 0 || info.tcpi_unacked == 0 || info.tcpi_state == TCP_CLOSE
    }
    #[cfg(not(target_os = "linux"))]
    {
        let _ = stream;
        true
    }
}

/// For harness modules that shape or stream traffic themselves (fragment.rs, bulk.rs):
/// they write and read the socket directly, keep the transcript short, and build the
/// same failures as the methods above.
impl Conn {
    /// The program at the other end, as the student knows it (its role).
    pub fn peer(&self) -> &str {
        &self.peer
    }

    pub(crate) fn transcript(&self) -> &Transcript {
        &self.transcript
    }

    pub(crate) fn io_timeout(&self) -> Duration {
        self.io_timeout
    }

    /// A second handle on the same socket: one thread writes on it while another reads.
    pub(crate) fn try_clone_stream(&self) -> io::Result<TcpStream> {
        self.stream.try_clone()
    }

    /// Records what failures quote as sent, for data that was not sent with `send`.
    pub(crate) fn set_last_sent(&mut self, shown: String) {
        self.last_sent = Some(shown);
    }

    /// Takes the bytes received but not yet consumed by an expectation.
    pub fn take_pending(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.pending)
    }

    /// The failure for an I/O error on this connection, as `send` would give it.
    pub(crate) fn failure_for(&self, e: io::Error, doing: &str) -> Failure {
        self.io_failure(e, doing)
    }

    /// Adds whether the program at the other end still runs, and why not.
    pub(crate) fn explain_peer(&self, failure: Failure) -> Failure {
        self.with_peer_state(failure)
    }
}
