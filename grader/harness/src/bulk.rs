//! Big exchanges: megabytes sent and checked at the same time, without holding them.
//!
//! A program that echoes while it still receives (a server replying to a 64 MiB
//! message as it streams in, or one replying to many pipelined messages) fills the
//! grader's receive buffer while the grader is still writing; a grader that wrote
//! everything before reading would wait forever on its own full buffers. So
//! [`Conn::exchange`] writes on a thread of its own (cut into pieces as [`Fragments`]
//! says) while the calling thread reads and compares.
//!
//! The bytes are a [`Stream`]: labelled parts, literal (a token, a length prefix) or a
//! [`Pattern`] of any length generated from a seeded block, so that 64 MiB is neither
//! stored nor shown. What comes back is compared as it arrives, and a failure names
//! sizes and the first differing offset (in which part, at which byte), never
//! megabytes of bytes.

use std::io::{self, ErrorKind, Read, Write};
use std::net::{Shutdown, TcpStream};
use std::ops::Range;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::conn::Conn;
use crate::fragment::{bytes, Fragments};
use crate::outcome::{Failure, FailureKind};
use crate::transcript::{escape, escape_limited, EventKind};

/// Up to this many bytes in all, an exchange logs each write and read like [`Conn`]
/// does; past it, one line for each direction.
const LOGGED_BYTES: u64 = 16 * 1024;
/// How much is read at once.
const READ_BUFFER: usize = 256 * 1024;
/// Bytes shown on each side of the first difference.
const CONTEXT: usize = 24;
/// The writer reports progress after each call of at most this many bytes.
const WRITE_CALL: usize = 64 * 1024;
/// How often an exchange asks its watchdog about the program.
const WATCH_STEP: Duration = Duration::from_millis(200);

/// Asked every `WATCH_STEP` or so during an exchange: `Ok(true)` when the program
/// has done work of its own since the last call (it is busy, not stuck: the exchange
/// waits on), `Ok(false)` when it has not, an error to end the exchange with.
pub type Watchdog<'a> = &'a mut dyn FnMut() -> Result<bool, Failure>;

/// Bytes `i` of a long payload: `block[i % block.len()]`. The block comes from the
/// check's seeded rng; an odd block length keeps the repetition from lining up with
/// the power-of-two buffer sizes of the program under test, so a lost or repeated
/// buffer shows as a difference.
#[derive(Clone, Debug)]
pub struct Pattern {
    block: Arc<[u8]>,
    len: u64,
}

impl Pattern {
    /// `len` bytes of `block` repeated (`block` may be empty only for an empty pattern).
    pub fn new(block: Vec<u8>, len: u64) -> Pattern {
        assert!(!block.is_empty() || len == 0, "a pattern needs bytes to repeat");
        Pattern { block: block.into(), len }
    }

    /// Its length in bytes.
    pub fn len(&self) -> u64 {
        self.len
    }

    /// Whether it has no bytes at all.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Copies the bytes from `offset` on into `buf`, as many as fit.
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> usize {
        let n = buf.len().min((self.len - offset) as usize);
        let period = self.block.len();
        let mut done = 0;
        while done < n {
            let at = ((offset + done as u64) % period as u64) as usize;
            let take = (period - at).min(n - done);
            buf[done..done + take].copy_from_slice(&self.block[at..at + take]);
            done += take;
        }
        n
    }
}

/// The bytes of one direction of an exchange: labelled parts, one after another.
#[derive(Clone, Debug, Default)]
pub struct Stream {
    parts: Vec<Part>,
    len: u64,
}

#[derive(Clone, Debug)]
struct Part {
    label: String,
    start: u64,
    data: Data,
}

#[derive(Clone, Debug)]
enum Data {
    Bytes(Vec<u8>),
    Pattern(Pattern),
}

impl Data {
    fn len(&self) -> u64 {
        match self {
            Data::Bytes(b) => b.len() as u64,
            Data::Pattern(p) => p.len(),
        }
    }
}

impl Stream {
    /// An empty stream.
    pub fn new() -> Stream {
        Stream::default()
    }

    /// Appends literal bytes; `label` names them in failures ("message 2", "the
    /// length prefix of message 2").
    pub fn push(&mut self, label: impl Into<String>, data: impl Into<Vec<u8>>) -> &mut Self {
        self.push_data(label.into(), Data::Bytes(data.into()))
    }

    /// Appends a generated payload.
    pub fn push_pattern(&mut self, label: impl Into<String>, pattern: Pattern) -> &mut Self {
        self.push_data(label.into(), Data::Pattern(pattern))
    }

    fn push_data(&mut self, label: String, data: Data) -> &mut Self {
        let len = data.len();
        if len > 0 {
            self.parts.push(Part { label, start: self.len, data });
            self.len += len;
        }
        self
    }

    /// Its length in bytes: every part's, one after another.
    pub fn len(&self) -> u64 {
        self.len
    }

    /// Whether it has no bytes at all.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Copies bytes from `offset` on into `buf`, as many as fit; 0 at the end.
    pub fn read_at(&self, mut offset: u64, buf: &mut [u8]) -> usize {
        let mut done = 0;
        let first = self.parts.partition_point(|p| p.start + p.data.len() <= offset);
        for part in &self.parts[first..] {
            if done == buf.len() {
                break;
            }
            let inner = offset - part.start;
            let n = match &part.data {
                Data::Bytes(b) => {
                    let n = (buf.len() - done).min(b.len() - inner as usize);
                    buf[done..done + n].copy_from_slice(&b[inner as usize..inner as usize + n]);
                    n
                }
                Data::Pattern(p) => p.read_at(inner, &mut buf[done..]),
            };
            done += n;
            offset += n as u64;
        }
        done
    }

    /// The bytes of `range`, for showing (keep it short).
    fn slice(&self, range: Range<u64>) -> Vec<u8> {
        let end = range.end.min(self.len);
        let mut buf = vec![0u8; end.saturating_sub(range.start) as usize];
        let n = self.read_at(range.start, &mut buf);
        buf.truncate(n);
        buf
    }

    /// Where `offset` falls: "byte 1024 of message 2 (1025 bytes)".
    pub fn locate(&self, offset: u64) -> String {
        let index = self.parts.partition_point(|p| p.start + p.data.len() <= offset);
        match self.parts.get(index) {
            Some(part) => {
                format!("byte {} of {} ({})", offset - part.start, part.label, bytes(part.data.len()))
            }
            None => format!("byte {offset}, past the {} expected", bytes(self.len)),
        }
    }

    /// A short look at the stream: its first bytes and its size.
    pub fn preview(&self) -> String {
        let shown = self.slice(0..64);
        let mut text = escape_limited(&shown, 64);
        if self.len > shown.len() as u64 {
            text.push_str(&format!("... ({} in all)", bytes(self.len)));
        }
        text
    }

    /// The whole stream, if it is small enough to show in full.
    fn small(&self) -> Option<Vec<u8>> {
        (self.len <= LOGGED_BYTES).then(|| self.slice(0..self.len))
    }
}

/// What an exchange measured.
#[derive(Clone, Copy, Debug)]
pub struct Exchanged {
    /// From the first byte written to the last byte expected received.
    pub elapsed: Duration,
}

/// How [`Conn::exchange`]'s timeout says which expected byte never came.
pub const NEXT_DUE: &str = "the reply stopped where this was due:";

impl Conn {
    /// Sends `send`, cut into writes as `how` says, while receiving what must come back:
    /// exactly `expect`. Fails at the first byte that differs, when the program closes
    /// or goes quiet for the I/O timeout, or when the whole exchange takes longer than
    /// `within`. More bytes than `expect` in the last read are a failure too.
    pub fn exchange(
        &mut self,
        send: &Stream,
        how: &Fragments,
        expect: &Stream,
        within: Duration,
    ) -> Result<Exchanged, Failure> {
        self.exchange_watched(send, how, expect, within, &mut || Ok(false))
    }

    /// [`Conn::exchange`] with a [`Watchdog`]: a program it reports busy is given
    /// more time than the I/O timeout to answer, and its error ends the exchange.
    pub fn exchange_watched(
        &mut self,
        send: &Stream,
        how: &Fragments,
        expect: &Stream,
        within: Duration,
        watchdog: Watchdog<'_>,
    ) -> Result<Exchanged, Failure> {
        let started = Instant::now();
        let deadline = started + within;
        let pieces = how.pieces(send.len());
        let logged = send.len() + expect.len() <= LOGGED_BYTES;
        if !logged && !send.is_empty() {
            self.transcript().push(
                EventKind::Sent,
                format!("[{}] {} {} while reading the reply", self.label(), send.preview(), how.describe(&pieces)),
            );
        }
        if !send.is_empty() {
            let sent = match send.small() {
                Some(all) => escape(&all),
                None => send.preview(),
            };
            self.set_last_sent(if pieces.len() > 1 { format!("{sent} {}", how.describe(&pieces)) } else { sent });
        }
        let reader = self.try_clone_stream().map_err(|e| self.failure_for(e, "receiving"))?;
        let writer = self.try_clone_stream().map_err(|e| self.failure_for(e, "sending"))?;
        let already = self.take_pending();

        let progress = Progress::new(started, deadline);
        let io_timeout = self.io_timeout();
        let (received, write_result) = std::thread::scope(|scope| {
            let log = logged.then(|| (self.transcript().clone(), self.label().to_string()));
            let progress = &progress;
            let handle = scope.spawn(move || write_pieces(writer, send, how, &pieces, io_timeout, progress, log));
            let received = self.receive(&reader, expect, already, logged, progress, watchdog);
            if received.is_err() {
                // Unblocks the writer: the check has failed, the connection is done.
                let _ = reader.shutdown(Shutdown::Both);
            }
            (received, handle.join().unwrap_or(Err((0, io::Error::other("the grader's writer panicked")))))
        });
        let elapsed = match received {
            Ok(elapsed) => elapsed,
            Err(failure) => return Err(self.with_write_error(failure, write_result, send)),
        };
        if let Err((at, e)) = write_result {
            // Everything expected came back, yet a write failed: the program closed
            // early, after answering what it had.
            let failure = self.failure_for(e, "sending");
            return Err(failure.detail(format!("{} of {} had been sent", bytes(at), bytes(send.len()))));
        }
        if !logged {
            self.transcript().push(
                EventKind::Received,
                format!("[{}] {} as expected, in {:.2} s", self.label(), expect.preview(), elapsed.as_secs_f64()),
            );
        }
        Ok(Exchanged { elapsed })
    }

    /// Reads and compares until all of `expect` has come; returns when it had.
    fn receive(
        &self,
        mut stream: &TcpStream,
        expect: &Stream,
        already: Vec<u8>,
        logged: bool,
        progress: &Progress,
        watchdog: Watchdog<'_>,
    ) -> Result<Duration, Failure> {
        let (started, deadline) = (progress.started, progress.deadline);
        let mut watched = started;
        let mut busy = started;
        let mut buf = vec![0u8; READ_BUFFER];
        let mut want = vec![0u8; READ_BUFFER];
        let mut offset = 0u64;
        let mut pending = Some(already).filter(|a| !a.is_empty());
        let mut last_read = Instant::now();
        while offset < expect.len() || pending.is_some() {
            if watched.elapsed() >= WATCH_STEP {
                watched = Instant::now();
                match watchdog() {
                    Ok(true) => busy = watched,
                    Ok(false) => {}
                    Err(failure) => {
                        return Err(self.explain_peer(failure.expected(format!("all {}", bytes(expect.len()))).got(
                            format!(
                                "{} after {:.1} s",
                                received_so_far(expect, offset),
                                started.elapsed().as_secs_f64()
                            ),
                        )))
                    }
                }
            }
            let n = match pending.take() {
                Some(data) => {
                    let n = data.len().min(buf.len());
                    buf[..n].copy_from_slice(&data[..n]);
                    if n < data.len() {
                        pending = Some(data[n..].to_vec());
                    }
                    n
                }
                None => {
                    let now = Instant::now();
                    if now >= deadline {
                        return Err(self.too_slow(expect, offset, now - started));
                    }
                    let busy_until = progress.last_write().max(last_read).max(busy) + self.io_timeout();
                    let wait = (deadline - now)
                        .min(busy_until.saturating_duration_since(now))
                        .min(WATCH_STEP)
                        .max(Duration::from_millis(10));
                    let _ = stream.set_read_timeout(Some(wait));
                    match stream.read(&mut buf) {
                        Ok(0) => return Err(self.closed_after(expect, offset)),
                        Ok(n) => n,
                        Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                            let now = Instant::now();
                            if now >= deadline {
                                return Err(self.too_slow(expect, offset, now - started));
                            }
                            // Nothing came back, but while the program still takes in
                            // what the grader sends, or works, it is busy, not stuck.
                            let busy_until = progress.last_write().max(last_read).max(busy) + self.io_timeout();
                            if now < busy_until {
                                continue;
                            }
                            return Err(self.went_quiet(expect, offset, now - last_read, progress.written()));
                        }
                        Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                        Err(e) => {
                            let failure = self.failure_for(e, "receiving");
                            return Err(failure.got(format!(
                                "{} of the {} expected",
                                bytes(offset),
                                bytes(expect.len())
                            )));
                        }
                    }
                }
            };
            last_read = Instant::now();
            let got = &buf[..n];
            if logged {
                self.transcript().push(EventKind::Received, format!("[{}] {}", self.label(), escape(got)));
            }
            let expected_n = expect.read_at(offset, &mut want[..n]);
            if got[..expected_n] != want[..expected_n] {
                let at = got.iter().zip(&want[..expected_n]).position(|(a, b)| a != b).unwrap_or(0);
                return Err(self.differs(expect, offset + at as u64, &got[at..]));
            }
            if expected_n < n {
                return Err(self.sent_more(expect, &got[expected_n..]));
            }
            offset += n as u64;
        }
        Ok(started.elapsed())
    }

    fn differs(&self, expect: &Stream, offset: u64, got_from_there: &[u8]) -> Failure {
        let before = offset.saturating_sub(CONTEXT as u64);
        let want = expect.slice(before..offset + CONTEXT as u64);
        let got_shown = &got_from_there[..got_from_there.len().min(CONTEXT)];
        let lead = expect.slice(before..offset);
        let mut got = lead.clone();
        got.extend_from_slice(got_shown);
        Failure::mismatch(format!(
            "{} sent wrong bytes: the first difference is at {}",
            self.peer(),
            expect.locate(offset)
        ))
        .expected(format!("{} (bytes {before} to {} of the reply)", escape(&want), before + want.len() as u64))
        .got(format!("{} (from byte {before}: the same up to byte {offset}, then different)", escape(&got)))
        .detail(format!(
            "{} were expected in all; the first {} were right",
            bytes(expect.len()),
            bytes(offset)
        ))
    }

    fn sent_more(&self, expect: &Stream, extra: &[u8]) -> Failure {
        Failure::mismatch(format!("{} sent more than expected", self.peer()))
            .expected(format!("{}, then nothing more", expect.preview()))
            .got(format!("{}, then {}", expect.preview(), escape(extra)))
            .detail(format!(
                "all {} expected came, then {} more in the same read: was something sent twice?",
                bytes(expect.len()),
                bytes(extra.len() as u64)
            ))
    }

    fn closed_after(&self, expect: &Stream, offset: u64) -> Failure {
        self.transcript().note(format!("[{}] {} closed the connection", self.label(), self.peer()));
        let failure = Failure::new(
            FailureKind::Closed,
            format!(
                "{} closed the connection after {} of the {} expected",
                self.peer(),
                bytes(offset),
                bytes(expect.len())
            ),
        )
        .expected(expect.preview())
        .got(format!("{} and then the connection closed", received_so_far(expect, offset)));
        self.explain_peer(failure)
    }

    fn went_quiet(&self, expect: &Stream, offset: u64, quiet: Duration, written: u64) -> Failure {
        let mut failure = Failure::new(
            FailureKind::Timeout,
            format!(
                "{} sent nothing for {:.1} s: {} of the {} expected had come",
                self.peer(),
                quiet.as_secs_f64(),
                bytes(offset),
                bytes(expect.len())
            ),
        )
        .expected(expect.preview())
        .got(received_so_far(expect, offset));
        if offset < expect.len() {
            // Where the reply stopped says what the program did not send: "byte 0 of
            // the <EOF> after message 2" is a missing terminator, not a slow server.
            failure = failure.detail(format!("{} {}", NEXT_DUE, expect.locate(offset)));
        }
        if written > 0 {
            failure = failure.detail(format!("the grader had sent {} by then", bytes(written)));
        }
        self.explain_peer(failure)
    }

    fn too_slow(&self, expect: &Stream, offset: u64, took: Duration) -> Failure {
        let failure = Failure::new(
            FailureKind::Timeout,
            format!(
                "{} was too slow: after {:.1} s only {} of the {} expected had come back",
                self.peer(),
                took.as_secs_f64(),
                bytes(offset),
                bytes(expect.len())
            ),
        )
        .expected(format!("all {} within {:.1} s", bytes(expect.len()), took.as_secs_f64()))
        .got(received_so_far(expect, offset));
        self.explain_peer(failure)
    }

    /// A write that failed says more than the read that noticed it: the program reset
    /// the connection while the grader was still sending.
    fn with_write_error(&self, mut failure: Failure, write: Result<u64, (u64, io::Error)>, send: &Stream) -> Failure {
        if let Err((at, e)) = write {
            if failure.kind != FailureKind::Mismatch && e.kind() != ErrorKind::NotConnected {
                failure = failure.detail(format!("sending failed after {} of {}: {e}", bytes(at), bytes(send.len())));
            }
        }
        failure
    }
}

/// What came, described without the bytes: they were right so far.
fn received_so_far(expect: &Stream, offset: u64) -> String {
    if offset == 0 {
        "nothing".to_string()
    } else if offset <= 64 {
        format!("{} (all as expected)", escape(&expect.slice(0..offset)))
    } else {
        format!("the first {} of the reply (all as expected)", bytes(offset))
    }
}

/// How far the writer has got, for the reader to tell a busy program from a stuck one.
struct Progress {
    started: Instant,
    /// When the whole exchange must be over.
    deadline: Instant,
    written: AtomicU64,
    /// Milliseconds from `started` to the last write call that returned.
    last_write_ms: AtomicU64,
}

impl Progress {
    fn new(started: Instant, deadline: Instant) -> Progress {
        Progress { started, deadline, written: AtomicU64::new(0), last_write_ms: AtomicU64::new(0) }
    }

    fn wrote(&self, n: usize) {
        self.written.fetch_add(n as u64, Ordering::Relaxed);
        self.last_write_ms.store(self.started.elapsed().as_millis() as u64, Ordering::Relaxed);
    }

    fn written(&self) -> u64 {
        self.written.load(Ordering::Relaxed)
    }

    fn last_write(&self) -> Instant {
        self.started + Duration::from_millis(self.last_write_ms.load(Ordering::Relaxed))
    }
}

/// Writes the pieces of `send`; on an error, says how much had been written.
fn write_pieces(
    mut stream: TcpStream,
    send: &Stream,
    how: &Fragments,
    pieces: &[Range<u64>],
    io_timeout: Duration,
    progress: &Progress,
    log: Option<(crate::transcript::Transcript, String)>,
) -> Result<u64, (u64, io::Error)> {
    let biggest = pieces.iter().map(|p| p.end - p.start).max().unwrap_or(0);
    let mut buf = vec![0u8; biggest as usize];
    // Each call may block for the I/O timeout at most: a program that stops reading
    // makes the write fail instead of blocking the grader. The reader also shuts the
    // socket down when it fails, which ends a blocked write at once.
    let _ = stream.set_write_timeout(Some(io_timeout));
    for (i, piece) in pieces.iter().enumerate() {
        if i > 0 {
            how.pause();
        }
        let n = (piece.end - piece.start) as usize;
        send.read_at(piece.start, &mut buf[..n]);
        if let Some((transcript, label)) = &log {
            transcript.push(EventKind::Sent, format!("[{label}] {}", escape(&buf[..n])));
        }
        // One piece in several calls is one piece on the wire (no pause between them);
        // the calls only let the reader see that the program is taking the data in.
        for call in buf[..n].chunks(WRITE_CALL) {
            stream.write_all(call).map_err(|e| (progress.written(), e))?;
            progress.wrote(call.len());
        }
    }
    Ok(send.len())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::TcpListener;

    use crate::transcript::Transcript;

    /// A connection to a thread that plays the program with `serve`.
    fn conn_to(serve: impl FnOnce(TcpStream) + Send + 'static) -> (Conn, std::thread::JoinHandle<()>) {
        conn_with_timeout(Duration::from_secs(5), serve)
    }

    fn conn_with_timeout(
        io_timeout: Duration,
        serve: impl FnOnce(TcpStream) + Send + 'static,
    ) -> (Conn, std::thread::JoinHandle<()>) {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let stream = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let (theirs, _) = listener.accept().unwrap();
        let program = std::thread::spawn(move || serve(theirs));
        let conn = Conn::new(stream, "client 1".into(), "server".into(), None, Transcript::default(), io_timeout);
        (conn, program)
    }

    fn payload(len: u64) -> Stream {
        let mut rng = fastrand::Rng::with_seed(3);
        let mut block = vec![0u8; 4093];
        rng.fill(&mut block);
        let mut s = Stream::new();
        s.push_pattern("message 1", Pattern::new(block, len)).push("the token", b"<EOF>".to_vec());
        s
    }

    #[test]
    fn echoes_megabytes_while_still_sending() {
        // 8 MiB is far more than the socket buffers hold: a grader that wrote it all
        // before reading would wait forever on a peer that writes back as it reads.
        let (mut c, program) = conn_to(|s| {
            let _ = io::copy(&mut &s, &mut &s);
        });
        let data = payload(8 << 20);
        let how = Fragments::random(&mut fastrand::Rng::with_seed(1), 1..=100_000);
        c.exchange(&data, &how, &data, Duration::from_secs(60)).unwrap();
        drop(c);
        program.join().unwrap();
    }

    #[test]
    fn names_the_first_differing_byte_and_where_it_is() {
        let (mut c, program) = conn_to(|s| {
            let mut data = Vec::new();
            let _ = (&s).take(100_005).read_to_end(&mut data);
            data[70_000] ^= 1;
            let _ = (&s).write_all(&data);
        });
        let data = payload(100_000);
        let failure = c.exchange(&data, &Fragments::whole(), &data, Duration::from_secs(60)).unwrap_err();
        assert_eq!(failure.kind, FailureKind::Mismatch);
        assert!(failure.summary.contains("byte 70000 of message 1"), "{}", failure.summary);
        assert!(failure.expected.unwrap().len() < 400, "a few bytes are shown, not the message");
        drop(c);
        program.join().unwrap();
    }

    #[test]
    fn says_how_much_came_before_the_program_closed() {
        let (mut c, program) = conn_to(|s| {
            let mut data = vec![0u8; 1005];
            let _ = (&s).read_exact(&mut data);
            let _ = (&s).write_all(&data[..10]);
        });
        let data = payload(1000);
        let failure = c.exchange(&data, &Fragments::whole(), &data, Duration::from_secs(60)).unwrap_err();
        assert_eq!(failure.kind, FailureKind::Closed);
        assert!(failure.summary.contains("after 10 bytes of the 1005 bytes expected"), "{}", failure.summary);
        program.join().unwrap();
    }

    #[test]
    fn a_busy_program_is_waited_for_and_a_watchdog_can_end_an_exchange() {
        // Each answer takes 1.5 s, three times this connection's I/O timeout: only a
        // watchdog saying "busy" keeps the grader waiting for it.
        let (mut c, program) = conn_with_timeout(Duration::from_millis(500), |s| {
            let mut data = vec![0u8; 5];
            while (&s).read_exact(&mut data).is_ok() {
                std::thread::sleep(Duration::from_millis(1500));
                let _ = (&s).write_all(&data);
            }
        });
        let mut data = Stream::new();
        data.push("the message", b"howdy".to_vec());
        let mut calls = 0;
        let mut busy = || {
            calls += 1;
            Ok(true)
        };
        c.exchange_watched(&data, &Fragments::whole(), &data, Duration::from_secs(60), &mut busy).unwrap();
        assert!(calls > 0);
        let quiet = c.exchange(&data, &Fragments::whole(), &data, Duration::from_secs(60)).unwrap_err();
        assert_eq!(quiet.kind, FailureKind::Timeout, "without a watchdog, 0.5 s of silence ends it");
        drop(c);
        program.join().unwrap();
    }

    #[test]
    fn a_watchdog_can_end_an_exchange() {
        let (mut c, program) = conn_to(|s| {
            let _ = (&s).read_to_end(&mut Vec::new());
        });
        let mut data = Stream::new();
        data.push("the message", b"howdy".to_vec());
        let failure = c
            .exchange_watched(&data, &Fragments::whole(), &data, Duration::from_secs(60), &mut || {
                Err(Failure::new(FailureKind::Timeout, "over budget"))
            })
            .unwrap_err();
        assert_eq!(failure.summary, "over budget");
        assert!(failure.got.unwrap().starts_with("nothing after"));
        drop(c);
        program.join().unwrap();
    }

    fn stream() -> Stream {
        let mut s = Stream::new();
        s.push("the prefix", b"AB".to_vec());
        s.push_pattern("message 1", Pattern::new(b"xyz".to_vec(), 7));
        s.push("the token", b"<EOF>".to_vec());
        s
    }

    #[test]
    fn reads_parts_in_order_from_any_offset() {
        let s = stream();
        assert_eq!(s.len(), 14);
        assert_eq!(s.slice(0..14), b"ABxyzxyzx<EOF>");
        for start in 0..14 {
            let mut buf = [0u8; 3];
            let n = s.read_at(start, &mut buf);
            assert_eq!(&buf[..n], &b"ABxyzxyzx<EOF>"[start as usize..(start as usize + 3).min(14)]);
        }
        assert_eq!(s.read_at(14, &mut [0u8; 4]), 0);
    }

    #[test]
    fn locates_an_offset_in_its_part() {
        let s = stream();
        assert_eq!(s.locate(0), "byte 0 of the prefix (2 bytes)");
        assert_eq!(s.locate(8), "byte 6 of message 1 (7 bytes)");
        assert_eq!(s.locate(9), "byte 0 of the token (5 bytes)");
        assert!(s.locate(14).contains("past the 14 bytes expected"));
    }

    #[test]
    fn empty_parts_are_left_out() {
        let mut s = Stream::new();
        s.push("an empty message", Vec::new()).push("the token", b"<EOF>".to_vec());
        assert_eq!(s.locate(0), "byte 0 of the token (5 bytes)");
    }

    #[test]
    fn a_preview_is_short_whatever_the_size() {
        let mut s = Stream::new();
        s.push_pattern("message 1", Pattern::new(vec![b'a'; 1000], 64 << 20));
        let shown = s.preview();
        assert!(shown.len() < 120 && shown.ends_with("(64 MiB in all)"), "{shown}");
    }
}
