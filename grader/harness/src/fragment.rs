//! A sender that decides how bytes are cut into writes.
//!
//! TCP is a byte stream: the receiver's reads need not match the sender's writes. A
//! program that assumes one read is one message works on a quiet loopback and fails
//! on a real network. [`Fragments`] makes the grader send like that real network: a
//! message cut at chosen offsets, in fixed-size or seeded random pieces, one byte per
//! write, or several messages coalesced into one write, with optional pauses between
//! the writes so that the program under test really reads them separately.
//!
//! Every write goes out at once: [`Conn`] sets TCP_NODELAY, so a write is not held
//! back to be merged with the next. Random sizes come from the check's seeded
//! [`Harness::rng`](crate::harness::Harness::rng), so a run can be repeated exactly.
//!
//! ```no_run
//! # use std::time::Duration;
//! # use harness::fragment::Fragments;
//! # fn check(h: &mut harness::Harness) -> harness::outcome::CheckResult {
//! # let mut server = h.server("demo-server").start()?;
//! # let mut c = server.connect()?;
//! # let request = b"1 2 3 4 5 6\n";
//! // `<E` then `OF>`, 30 ms apart: the token split across two reads.
//! c.send_fragments(b"howdy<EOF>", &Fragments::at([7]).with_gap(Duration::from_millis(30)))?;
//! // Three lines in one write, then a message in random pieces of 1 to 5 bytes.
//! c.send_together(&["1 2\n", "3 4\n", "5 6\n"], &Fragments::whole())?;
//! c.send_fragments(request, &Fragments::random(h.rng(), 1..=5))?;
//! # Ok(())
//! # }
//! ```
//!
//! [`Fragments`] also drives the writer of a concurrent exchange (bulk.rs), for
//! messages too big to send before reading the reply.

use std::io::Write;
use std::ops::{Range, RangeInclusive};
use std::time::Duration;

use crate::conn::Conn;
use crate::outcome::Failure;
use crate::transcript::{escape, EventKind};

/// Up to this many writes, each write is its own line in the transcript; past it, one
/// note says how the data was cut.
const LOGGED_WRITES: usize = 64;

/// How to cut bytes into writes: a plan, made before any byte is sent.
///
/// ```
/// use harness::fragment::Fragments;
///
/// // `howdy<E` and `OF>`: the token split across two writes.
/// assert_eq!(Fragments::at([7]).pieces(10), [0..7, 7..10]);
/// assert_eq!(Fragments::every(4).pieces(10), [0..4, 4..8, 8..10]);
/// assert_eq!(Fragments::whole().pieces(10), [0..10]);
/// assert!(Fragments::whole().pieces(0).is_empty(), "no data, no write");
///
/// // Random sizes come from the check's seeded rng: the same seed, the same cut.
/// let cut = |seed| Fragments::random(&mut fastrand::Rng::with_seed(seed), 1..=5).pieces(100);
/// assert_eq!(cut(7), cut(7));
/// assert!(cut(7).iter().all(|p| (1..=5).contains(&(p.end - p.start))));
///
/// let plan = Fragments::every(1);
/// assert_eq!(plan.describe(&plan.pieces(3)), "in 3 writes of 1 byte");
/// ```
#[derive(Clone, Debug)]
pub struct Fragments {
    cut: Cut,
    gap: Option<Duration>,
}

#[derive(Clone, Debug)]
enum Cut {
    /// One write (big data goes in [`MAX_WRITE`] pieces, as the kernel would cut it).
    Whole,
    /// Cut before each of these offsets.
    At(Vec<u64>),
    /// Pieces of this many bytes; the last may be shorter.
    Every(u64),
    /// Pieces of random sizes in `min..=max`, from this seed.
    Random { seed: u64, min: u64, max: u64 },
}

/// The most bytes handed to one `write` call; a longer piece takes several calls, which
/// on the wire is the same as one `write_all`.
pub const MAX_WRITE: u64 = 1 << 20;

impl Fragments {
    /// All in one write.
    pub fn whole() -> Self {
        Fragments { cut: Cut::Whole, gap: None }
    }

    /// Cut before each offset: `at([2])` sends `ab|cdef`. Offsets outside the data, or
    /// repeated, are ignored.
    pub fn at(offsets: impl IntoIterator<Item = usize>) -> Self {
        let mut offsets: Vec<u64> = offsets.into_iter().map(|o| o as u64).collect();
        offsets.sort_unstable();
        offsets.dedup();
        Fragments { cut: Cut::At(offsets), gap: None }
    }

    /// Pieces of `size` bytes; `every(1)` is one byte per write.
    pub fn every(size: usize) -> Self {
        Fragments { cut: Cut::Every(size.max(1) as u64), gap: None }
    }

    /// Pieces of random sizes within `sizes`, drawn from the check's seeded rng.
    pub fn random(rng: &mut fastrand::Rng, sizes: RangeInclusive<usize>) -> Self {
        let (min, max) = (*sizes.start().max(&1) as u64, *sizes.end().max(&1) as u64);
        Fragments { cut: Cut::Random { seed: rng.u64(..), min, max: max.max(min) }, gap: None }
    }

    /// A pause between writes, so that the program reads each piece on its own instead
    /// of finding them merged in its socket buffer.
    pub fn with_gap(mut self, gap: Duration) -> Self {
        self.gap = Some(gap);
        self
    }

    /// The byte ranges of the writes for `len` bytes, in order; never an empty one
    /// (no data, no write).
    pub fn pieces(&self, len: u64) -> Vec<Range<u64>> {
        let mut pieces = Vec::new();
        let mut push = |start: u64, end: u64| {
            let mut at = start;
            while at < end {
                let next = end.min(at + MAX_WRITE);
                pieces.push(at..next);
                at = next;
            }
        };
        match &self.cut {
            Cut::Whole => push(0, len),
            Cut::At(offsets) => {
                let mut start = 0;
                for &cut in offsets.iter().filter(|&&o| o > 0 && o < len) {
                    push(start, cut);
                    start = cut;
                }
                push(start, len);
            }
            Cut::Every(size) => {
                let mut start = 0;
                while start < len {
                    let end = len.min(start + size);
                    push(start, end);
                    start = end;
                }
            }
            Cut::Random { seed, min, max } => {
                let mut rng = fastrand::Rng::with_seed(*seed);
                let mut start = 0;
                while start < len {
                    let end = len.min(start + rng.u64(*min..=*max));
                    push(start, end);
                    start = end;
                }
            }
        }
        pieces
    }

    /// How the data was cut, for the transcript: "in 27 writes of 1 to 7 bytes".
    pub fn describe(&self, pieces: &[Range<u64>]) -> String {
        if let Cut::Whole = self.cut {
            return match pieces.len() {
                0 | 1 => "in one write".to_string(),
                _ => format!("as one write (in calls of at most {})", bytes(MAX_WRITE)),
            };
        }
        let sizes = pieces.iter().map(|p| p.end - p.start);
        let (min, max) = (sizes.clone().min().unwrap_or(0), sizes.max().unwrap_or(0));
        let writes = match pieces.len() {
            1 => "in one write".to_string(),
            n if min == max => format!("in {n} writes of {}", bytes(min)),
            n => format!("in {n} writes of {} to {}", bytes(min), bytes(max)),
        };
        match self.gap {
            Some(gap) if pieces.len() > 1 => format!("{writes}, {} ms apart", gap.as_millis()),
            _ => writes,
        }
    }

    /// The deliberate pause between two writes.
    pub fn pause(&self) {
        if let Some(gap) = self.gap {
            // Pacing bytes on the wire is what this sender is for: the pause makes the
            // program under test read the pieces separately. It waits for nothing.
            std::thread::sleep(gap);
        }
    }
}

/// A size for people: `1 byte`, `1025 bytes`, `64 KiB`, `64 MiB`, and past a MiB
/// `34144256 bytes (32.6 MiB)`.
pub fn bytes(n: u64) -> String {
    const KIB: u64 = 1 << 10;
    const MIB: u64 = 1 << 20;
    match n {
        1 => "1 byte".to_string(),
        n if n >= MIB && n % MIB == 0 => format!("{} MiB", n / MIB),
        n if n >= MIB => format!("{n} bytes ({:.1} MiB)", n as f64 / MIB as f64),
        n if n >= KIB && n % KIB == 0 => format!("{} KiB", n / KIB),
        n => format!("{n} bytes"),
    }
}

impl Conn {
    /// Sends `data` cut into writes as `how` says, pausing between writes if it has a
    /// gap. Each write is a line of the transcript (or, for many writes, one note).
    pub fn send_fragments(&mut self, data: impl AsRef<[u8]>, how: &Fragments) -> Result<(), Failure> {
        let data = data.as_ref();
        let pieces = how.pieces(data.len() as u64);
        let logged = pieces.len() <= LOGGED_WRITES;
        if !logged {
            self.transcript()
                .push(EventKind::Sent, format!("[{}] {} {}", self.label(), escape(data), how.describe(&pieces)));
        }
        let mut stream = self.try_clone_stream().map_err(|e| self.failure_for(e, "sending"))?;
        let _ = stream.set_write_timeout(Some(self.io_timeout()));
        for (i, piece) in pieces.iter().enumerate() {
            if i > 0 {
                how.pause();
            }
            let bytes = &data[piece.start as usize..piece.end as usize];
            if logged {
                self.transcript().push(EventKind::Sent, format!("[{}] {}", self.label(), escape(bytes)));
            }
            stream.write_all(bytes).map_err(|e| self.failure_for(e, "sending"))?;
        }
        let shown = escape(data);
        self.set_last_sent(if pieces.len() > 1 { format!("{shown} {}", how.describe(&pieces)) } else { shown });
        Ok(())
    }

    /// Sends several messages back to back, cut as `how` says: with
    /// [`Fragments::whole`], all of them coalesced into one write.
    pub fn send_together<M: AsRef<[u8]>>(&mut self, messages: &[M], how: &Fragments) -> Result<(), Failure> {
        let joined: Vec<u8> = messages.iter().flat_map(|m| m.as_ref().iter().copied()).collect();
        self.send_fragments(joined, how)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sizes(how: &Fragments, len: u64) -> Vec<u64> {
        how.pieces(len).iter().map(|p| p.end - p.start).collect()
    }

    #[test]
    fn cuts_where_it_is_told() {
        assert_eq!(sizes(&Fragments::whole(), 10), [10]);
        assert_eq!(sizes(&Fragments::at([2]), 10), [2, 8]);
        assert_eq!(sizes(&Fragments::at([0, 3, 3, 12, 7]), 10), [3, 4, 3]);
        assert_eq!(sizes(&Fragments::every(1), 3), [1, 1, 1]);
        assert_eq!(sizes(&Fragments::every(4), 10), [4, 4, 2]);
        assert!(Fragments::whole().pieces(0).is_empty(), "no data, no write");
    }

    #[test]
    fn random_pieces_cover_the_data_within_their_sizes_and_repeat_with_the_seed() {
        let how = Fragments::random(&mut fastrand::Rng::with_seed(7), 3..=9);
        let pieces = how.pieces(1000);
        assert_eq!(pieces.first().unwrap().start, 0);
        assert_eq!(pieces.last().unwrap().end, 1000);
        assert!(pieces.windows(2).all(|w| w[0].end == w[1].start));
        assert!(pieces[..pieces.len() - 1].iter().all(|p| (3..=9).contains(&(p.end - p.start))));
        assert_eq!(pieces, how.pieces(1000), "the same seed cuts the same way");
        let other = Fragments::random(&mut fastrand::Rng::with_seed(8), 3..=9);
        assert_ne!(pieces, other.pieces(1000));
    }

    #[test]
    fn big_pieces_are_written_in_bounded_calls() {
        assert_eq!(sizes(&Fragments::whole(), 2 * MAX_WRITE + 1), [MAX_WRITE, MAX_WRITE, 1]);
    }

    #[test]
    fn sends_each_piece_as_a_write_of_its_own_and_says_so() {
        use std::io::Read;
        use std::net::{TcpListener, TcpStream};
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let stream = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let (mut theirs, _) = listener.accept().unwrap();
        let transcript = crate::transcript::Transcript::default();
        let mut c =
            Conn::new(stream, "client 1".into(), "peer".into(), None, transcript.clone(), Duration::from_secs(5));
        c.send_fragments(b"howdy<EOF>", &Fragments::at([7]).with_gap(Duration::from_millis(5))).unwrap();
        c.send_together(&["a\n", "b\n"], &Fragments::whole()).unwrap();
        drop(c);
        let mut got = Vec::new();
        theirs.read_to_end(&mut got).unwrap();
        assert_eq!(got, b"howdy<EOF>a\nb\n");
        let sent: Vec<String> =
            transcript.events().into_iter().filter(|e| e.kind == EventKind::Sent).map(|e| e.text).collect();
        assert_eq!(sent, [r#"[client 1] "howdy<E""#, r#"[client 1] "OF>""#, r#"[client 1] "a\nb\n""#]);
    }

    #[test]
    fn describes_sizes_for_people() {
        let how = Fragments::every(1).with_gap(Duration::from_millis(5));
        assert_eq!(how.describe(&how.pieces(3)), "in 3 writes of 1 byte, 5 ms apart");
        assert_eq!(bytes(64 << 20), "64 MiB");
        assert_eq!(bytes(1025), "1025 bytes");
        assert_eq!(bytes((64 << 20) + 5), "67108869 bytes (64.0 MiB)");
        let whole = Fragments::whole();
        assert_eq!(whole.describe(&whole.pieces(3 * MAX_WRITE)), "as one write (in calls of at most 1 MiB)");
    }
}
