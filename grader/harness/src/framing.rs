//! Message framing: where one message ends in a byte stream. Either a token after the
//! payload (`<EOF>`), or a 4-byte big-endian length before it. These helpers build
//! framed messages as a [`Stream`] of labelled parts, so that a failure says "byte 1024
//! of message 2" or "the length prefix of message 3", and make payloads that can be
//! told apart and never contain the token by accident.

use crate::bulk::{Pattern, Stream};

/// The end of a message in the eof framing.
pub const TOKEN: &[u8] = b"<EOF>";

/// How one message ends in the byte stream.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Framing {
    /// The payload, then `<EOF>`.
    Eof,
    /// A 4-byte big-endian length, then the payload.
    Length,
}

/// One message's payload: bytes, or a long generated run of them.
#[derive(Clone, Debug)]
pub enum Payload {
    /// These bytes.
    Bytes(Vec<u8>),
    /// A long generated run of bytes, never held whole.
    Long(Pattern),
}

impl Payload {
    /// Its length in bytes.
    pub fn len(&self) -> u64 {
        match self {
            Payload::Bytes(b) => b.len() as u64,
            Payload::Long(p) => p.len(),
        }
    }

    /// Whether it has no bytes at all (the empty message).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl From<&[u8]> for Payload {
    fn from(b: &[u8]) -> Payload {
        Payload::Bytes(b.to_vec())
    }
}

impl From<Vec<u8>> for Payload {
    fn from(b: Vec<u8>) -> Payload {
        Payload::Bytes(b)
    }
}

impl From<&str> for Payload {
    fn from(s: &str) -> Payload {
        Payload::Bytes(s.as_bytes().to_vec())
    }
}

impl Framing {
    /// The program's arguments for this framing (the default needs none).
    pub fn args(self) -> Vec<String> {
        match self {
            Framing::Eof => Vec::new(),
            Framing::Length => vec!["--framing".to_string(), "length".to_string()],
        }
    }

    /// Appends one framed message to `stream`, named `label` ("message 2").
    pub fn push(self, stream: &mut Stream, label: &str, payload: &Payload) {
        if self == Framing::Length {
            let len = u32::try_from(payload.len()).expect("a message of a check fits a 4-byte length");
            stream.push(format!("the length prefix of {label}"), len.to_be_bytes().to_vec());
        }
        match payload {
            Payload::Bytes(b) => stream.push(label, b.clone()),
            Payload::Long(p) => stream.push_pattern(label, p.clone()),
        };
        if self == Framing::Eof {
            stream.push(format!("the <EOF> after {label}"), TOKEN.to_vec());
        }
    }

    /// The messages, framed, one after another: what the grader sends, and what a
    /// server that sends each message back returns.
    pub fn messages(self, payloads: &[Payload]) -> Stream {
        let mut stream = Stream::new();
        for (i, payload) in payloads.iter().enumerate() {
            let label = if payloads.len() == 1 { "the message".to_string() } else { format!("message {}", i + 1) };
            self.push(&mut stream, &label, payload);
        }
        stream
    }

    /// One framed message as bytes.
    pub fn frame(self, payload: &[u8]) -> Vec<u8> {
        match self {
            Framing::Eof => [payload, TOKEN].concat(),
            Framing::Length => [&(payload.len() as u32).to_be_bytes()[..], payload].concat(),
        }
    }
}

/// `len` random bytes of every value, `<` and `>` included, that never contain the
/// token: decoys such as `<EOF`, `EOF>` and `>` are sprinkled in for a program that
/// stops at the first `<` or `>`, and a `<EOF>` formed by chance is broken up.
pub fn binary(rng: &mut fastrand::Rng, len: usize) -> Vec<u8> {
    let mut data = vec![0u8; len];
    rng.fill(&mut data);
    const DECOYS: [&[u8]; 7] = [b"<EOF", b"<EO", b"<E", b"EOF>", b"OF>", b"F>", b">"];
    for _ in 0..len / 4096 {
        let at = rng.usize(..len.saturating_sub(4).max(1));
        let decoy = DECOYS[rng.usize(..DECOYS.len())];
        let end = (at + decoy.len()).min(len);
        data[at..end].copy_from_slice(&decoy[..end - at]);
    }
    break_tokens(&mut data);
    end_clear_of_token(&mut data);
    data
}

/// Makes sure `data` does not end with the start of a token (`<`, `<E`, `<EO`,
/// `<EOF`), by replacing its last byte with `.`. A payload that ends so tests
/// something else: a matcher that, on a mismatch, starts over without looking at the
/// mismatching byte again misses the `<EOF>` that follows it. server-one-byte tests
/// that on purpose; random payloads never do it by chance, so that whether a program
/// fails a check does not depend on the seed.
fn end_clear_of_token(data: &mut [u8]) {
    if (1..TOKEN.len()).any(|k| data.ends_with(&TOKEN[..k])) {
        *data.last_mut().expect("a prefix of the token was found: data is not empty") = b'.';
    }
}

/// Replaces the `>` of every `<EOF>` in `data` until none is left.
fn break_tokens(data: &mut [u8]) {
    let mut from = 0;
    while let Some(at) = data[from..].windows(TOKEN.len()).position(|w| w == TOKEN) {
        data[from + at + TOKEN.len() - 1] = b'?';
        from += at;
    }
}

/// A long binary payload ([`binary`]) of `len` bytes, generated as it is sent.
pub fn long_binary(rng: &mut fastrand::Rng, len: u64) -> Payload {
    // An odd period (2^20 - 3): a lost or repeated power-of-two buffer shows. The block
    // starts with a byte that is not in the token: no token forms where it repeats.
    let mut block = binary(rng, (1 << 20) - 3);
    block[0] = b'x';
    // The payload ends inside a block: that end, too, must not be the start of a token.
    let end = ((len.max(1) - 1) % block.len() as u64) as usize;
    end_clear_of_token(&mut block[..=end]);
    Payload::Long(Pattern::new(block, len))
}

/// Text that reads like a message: words, spaces and a newline now and then; about
/// `len` bytes (exactly `len`), printable UTF-8 that never contains the token.
pub fn text(rng: &mut fastrand::Rng, len: usize) -> Vec<u8> {
    const WORDS: &[&str] = &[
        "stream", "socket", "byte", "frame", "token", "buffer", "read", "héllo", "wörld", "<EOF", "EOF>", "a->b", "42",
    ];
    let mut out = Vec::with_capacity(len + 16);
    while out.len() < len {
        out.extend_from_slice(WORDS[rng.usize(..WORDS.len())].as_bytes());
        out.push(if rng.u8(..10) == 0 { b'\n' } else { b' ' });
    }
    // Cut at a character boundary, then pad with ASCII to the exact length.
    let mut cut = len;
    while std::str::from_utf8(&out[..cut]).is_err() {
        cut -= 1;
    }
    out.truncate(cut);
    out.resize(len, b'.');
    end_clear_of_token(&mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_both_ways() {
        assert_eq!(Framing::Eof.frame(b"hi"), b"hi<EOF>");
        assert_eq!(Framing::Length.frame(b"hi"), b"\0\0\0\x02hi");
        assert_eq!(Framing::Length.frame(b""), b"\0\0\0\0");
    }

    #[test]
    fn payloads_never_hold_the_token() {
        let mut rng = fastrand::Rng::with_seed(1);
        let data = binary(&mut rng, 1 << 20);
        assert!(!data.windows(5).any(|w| w == TOKEN));
        assert!(data.windows(4).any(|w| w == b"<EOF"), "decoys are there");
        assert!(data.contains(&b'>') && data.windows(4).any(|w| w == b"EOF>"));
        let words = text(&mut rng, 5000);
        assert_eq!(words.len(), 5000);
        assert!(std::str::from_utf8(&words).is_ok() && !words.windows(5).any(|w| w == TOKEN));
        assert!(words.contains(&b'>'));
        let mut forced = b"a<EOF>b<EOF>".to_vec();
        break_tokens(&mut forced);
        assert_eq!(forced, b"a<EOF?b<EOF?");
    }

    /// A payload never ends with the start of the token, whatever the seed: the bytes
    /// before a real `<EOF>` are never a near-token by chance.
    #[test]
    fn payloads_never_end_with_the_start_of_a_token() {
        let starts_token = |d: &[u8]| (1..TOKEN.len()).any(|k| d.ends_with(&TOKEN[..k]));
        let mut ends_with_lt = 0;
        for seed in 0..3000 {
            let mut rng = fastrand::Rng::with_seed(seed);
            let len = rng.usize(1..300);
            let (t, b) = (text(&mut rng, len), binary(&mut rng, len));
            assert!(!starts_token(&t) && !starts_token(&b), "seed {seed}: {t:?} {b:?}");
            assert!(std::str::from_utf8(&t).is_ok());
            // What the generators would make without the fix: a `<` at the end, now and then.
            let mut raw = vec![0u8; len];
            fastrand::Rng::with_seed(seed).fill(&mut raw);
            ends_with_lt += usize::from(raw.ends_with(b"<"));
        }
        assert!(ends_with_lt > 0, "the unfixed case occurs, so the test means something");
        let mut fixed = b"ab<EO".to_vec();
        end_clear_of_token(&mut fixed);
        assert_eq!(fixed, b"ab<E.");
        let mut rng = fastrand::Rng::with_seed(7);
        for len in [1u64, 2, 1 << 20, 3 << 20, 64 << 20] {
            let mut stream = Stream::new();
            Framing::Length.push(&mut stream, "long", &long_binary(&mut rng, len));
            let mut tail = vec![0; len.min(8) as usize];
            stream.read_at(stream.len() - tail.len() as u64, &mut tail);
            assert!(!starts_token(&tail), "a long payload of {len} bytes ends with {tail:?}");
        }
    }

    #[test]
    fn messages_are_labelled_parts() {
        let stream = Framing::Eof.messages(&["ab".into(), "".into()]);
        assert_eq!(stream.len(), 12);
        assert_eq!(stream.locate(2), "byte 0 of the <EOF> after message 1 (5 bytes)");
        assert_eq!(stream.locate(7), "byte 0 of the <EOF> after message 2 (5 bytes)");
        let stream = Framing::Length.messages(&["abc".into()]);
        assert_eq!(stream.locate(1), "byte 1 of the length prefix of the message (4 bytes)");
        assert_eq!(stream.locate(5), "byte 1 of the message (3 bytes)");
    }
}
