//! The transcript of a check: what was started, sent, received and printed, in order.
//!
//! It is the student's best teacher (CodeCrafters' testers showed how): `$` for a
//! command as they would type it, `>` for bytes the grader sent, `<` for bytes it
//! received, `[role]` for a line the program printed, `#` for the grader's notes.

use std::sync::{Arc, Mutex};
use std::time::Instant;

use serde::{Deserialize, Serialize};

/// The most bytes of one send or receive shown in a transcript; the rest is counted.
const SHOWN_BYTES: usize = 300;
/// The most events one transcript keeps; a program printing without end cannot grow
/// the report without end.
const MAX_EVENTS: usize = 2_000;

/// What one line of a transcript records.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    /// A command as the student would type it (`$`).
    Command,
    /// Bytes the grader sent (`>`).
    Sent,
    /// Bytes the grader received (`<`).
    Received,
    /// A line a program printed (`[role] ...`).
    Output,
    /// The grader's own note (`#`).
    Note,
}

/// One line of a transcript.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Event {
    /// When, in milliseconds since the check started.
    pub at_ms: u64,
    /// What it records.
    pub kind: EventKind,
    /// The line, without its mark.
    pub text: String,
}

impl Event {
    /// One line as a student reads it in a terminal.
    pub fn render(&self) -> String {
        match self.kind {
            EventKind::Command => format!("$ {}", self.text),
            EventKind::Sent => format!("> {}", self.text),
            EventKind::Received => format!("< {}", self.text),
            EventKind::Output => self.text.clone(),
            EventKind::Note => format!("# {}", self.text),
        }
    }
}

/// A shared, append-only log; cloned into every connection and output relay of a check.
///
/// ```
/// use harness::transcript::{escape, EventKind, Transcript};
///
/// let transcript = Transcript::default();
/// transcript.push(EventKind::Command, "python3 server.py --host 127.0.0.1 --port 20001");
/// transcript.push(EventKind::Sent, format!("[client 1] {}", escape(b"ping\n")));
/// transcript.push(EventKind::Output, "[demo-server] got a client");
/// transcript.note("the server closed the connection");
/// let lines: Vec<String> = transcript.events().iter().map(|e| e.render()).collect();
/// assert_eq!(
///     lines,
///     [
///         "$ python3 server.py --host 127.0.0.1 --port 20001",
///         r#"> [client 1] "ping\n""#,
///         "[demo-server] got a client",
///         "# the server closed the connection",
///     ]
/// );
/// ```
#[derive(Clone)]
pub struct Transcript {
    start: Instant,
    events: Arc<Mutex<Vec<Event>>>,
    /// Set when the grader failed its part in a way only the program saw (the sandbox
    /// could not be set up around it): the check then has no verdict.
    grader_fault: Arc<Mutex<Option<String>>>,
}

impl Default for Transcript {
    fn default() -> Self {
        Transcript { start: Instant::now(), events: Arc::default(), grader_fault: Arc::default() }
    }
}

impl Transcript {
    /// Records that the grader, not the program, failed (the first such reason wins).
    pub fn grader_fault(&self, why: String) {
        self.grader_fault.lock().unwrap_or_else(|e| e.into_inner()).get_or_insert(why);
    }

    /// The grader's own failure during the check, if any.
    pub fn fault(&self) -> Option<String> {
        self.grader_fault.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }
}

impl Transcript {
    /// Adds a line (past the cap of a few thousand, one last note says it was cut).
    pub fn push(&self, kind: EventKind, text: impl Into<String>) {
        let mut events = self.events.lock().unwrap_or_else(|e| e.into_inner());
        if events.len() < MAX_EVENTS {
            let at_ms = self.start.elapsed().as_millis() as u64;
            events.push(Event { at_ms, kind, text: text.into() });
        } else if events.len() == MAX_EVENTS {
            let at_ms = self.start.elapsed().as_millis() as u64;
            events.push(Event { at_ms, kind: EventKind::Note, text: "transcript cut here".into() });
        }
    }

    /// Adds a note of the grader's (`#`).
    pub fn note(&self, text: impl Into<String>) {
        self.push(EventKind::Note, text);
    }

    /// Every line so far, in order.
    pub fn events(&self) -> Vec<Event> {
        self.events.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }
}

/// Shows bytes as text a student can read: printable UTF-8 as is, `\n`, `\r`, `\t`,
/// `\"` and `\\` escaped, other bytes as `\xNN`, in quotes, cut after `limit` bytes
/// with the total length said.
///
/// ```
/// use harness::transcript::{escape, escape_limited};
///
/// assert_eq!(escape("héllo\r\n".as_bytes()), r#""héllo\r\n""#);
/// assert_eq!(escape(b"\xff\"q\""), r#""\xff\"q\"""#);
/// assert_eq!(escape_limited(b"abcdef", 3), r#""abc"... (6 bytes in all)"#);
/// ```
pub fn escape_limited(bytes: &[u8], limit: usize) -> String {
    let shown = &bytes[..bytes.len().min(limit)];
    let mut out = String::with_capacity(shown.len() + 2);
    out.push('"');
    for chunk in shown.utf8_chunks() {
        for c in chunk.valid().chars() {
            match c {
                '\n' => out.push_str("\\n"),
                '\r' => out.push_str("\\r"),
                '\t' => out.push_str("\\t"),
                '"' => out.push_str("\\\""),
                '\\' => out.push_str("\\\\"),
                c if c.is_control() => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
                c => out.push(c),
            }
        }
        for b in chunk.invalid() {
            out.push_str(&format!("\\x{b:02x}"));
        }
    }
    out.push('"');
    if bytes.len() > shown.len() {
        out.push_str(&format!("... ({} bytes in all)", bytes.len()));
    }
    out
}

/// [`escape_limited`] with the transcript's limit.
pub fn escape(bytes: &[u8]) -> String {
    escape_limited(bytes, SHOWN_BYTES)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_control_bytes_and_keeps_utf8() {
        assert_eq!(escape(b"a\"b\n"), r#""a\"b\n""#);
        assert_eq!(escape("héllo".as_bytes()), "\"héllo\"");
        assert_eq!(escape(b"\xff\x00"), r#""\xff\u{0}""#);
    }

    #[test]
    fn cuts_long_data_and_says_its_length() {
        let long = vec![b'a'; 1000];
        let shown = escape(&long);
        assert!(shown.ends_with("... (1000 bytes in all)"), "{shown}");
        assert!(shown.len() < 400);
    }
}
