//! Capture of a program's stdout or stderr: kept up to a cap, relayed line by line into
//! the transcript, and waitable ("wait until it printed a line").

use std::io::Read;
use std::sync::{Arc, Condvar, Mutex};
use std::time::Instant;

use crate::transcript::{EventKind, Transcript};

/// Most bytes of one stream of a program under test kept; past it, bytes are still
/// read (so the program never blocks on a full pipe) but only counted.
pub const CAPTURE_CAP: usize = 1 << 20;

/// Most bytes of one output line shown in the transcript; a longer line is cut there
/// and its length said, so that a program printing megabytes on one line (a binary
/// reply) keeps the report small. The captured bytes themselves are not cut.
const LINE_SHOWN: usize = 1000;

#[derive(Default)]
struct State {
    bytes: Vec<u8>,
    dropped: u64,
    closed: bool,
}

/// One captured stream; clones share it.
#[derive(Clone)]
pub struct Capture {
    shared: Arc<(Mutex<State>, Condvar)>,
}

impl Capture {
    /// Starts a thread that drains `reader` until EOF. Each complete line also goes to
    /// the transcript as `[label] line`.
    pub fn spawn(mut reader: impl Read + Send + 'static, cap: usize, label: String, transcript: Transcript) -> Capture {
        let capture = Capture { shared: Arc::default() };
        let shared = capture.shared.clone();
        std::thread::spawn(move || {
            let mut chunk = [0u8; 8192];
            let mut line = Vec::new();
            let mut line_len = 0usize;
            let mut relayed = 0usize;
            loop {
                let n = match reader.read(&mut chunk) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => n,
                };
                {
                    let (lock, cond) = &*shared;
                    let mut state = lock.lock().unwrap_or_else(|e| e.into_inner());
                    let room = cap.saturating_sub(state.bytes.len());
                    let kept = n.min(room);
                    state.bytes.extend_from_slice(&chunk[..kept]);
                    state.dropped += (n - kept) as u64;
                    cond.notify_all();
                }
                // Relay only what was kept: the transcript has its own cap as well.
                for &b in &chunk[..n] {
                    if relayed >= cap {
                        break;
                    }
                    relayed += 1;
                    if b == b'\n' {
                        relay(&transcript, &label, &line, line_len);
                        line.clear();
                        line_len = 0;
                    } else {
                        line_len += 1;
                        if line.len() < LINE_SHOWN {
                            line.push(b);
                        }
                    }
                }
            }
            if !line.is_empty() {
                relay(&transcript, &label, &line, line_len);
            }
            let (lock, cond) = &*shared;
            lock.lock().unwrap_or_else(|e| e.into_inner()).closed = true;
            cond.notify_all();
        });
        capture
    }

    /// Everything kept so far.
    pub fn bytes(&self) -> Vec<u8> {
        self.shared.0.lock().unwrap_or_else(|e| e.into_inner()).bytes.clone()
    }

    /// Everything kept so far as text (invalid UTF-8 replaced).
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.bytes()).into_owned()
    }

    /// How many bytes were read past the cap and not kept.
    pub fn dropped(&self) -> u64 {
        self.shared.0.lock().unwrap_or_else(|e| e.into_inner()).dropped
    }

    /// Waits until `done(bytes so far)` holds, the stream ends, or the deadline passes;
    /// returns whether `done` held.
    pub fn wait_for(&self, deadline: Instant, done: impl Fn(&[u8]) -> bool) -> bool {
        let (lock, cond) = &*self.shared;
        let mut state = lock.lock().unwrap_or_else(|e| e.into_inner());
        loop {
            if done(&state.bytes) {
                return true;
            }
            let now = Instant::now();
            if state.closed || now >= deadline {
                return false;
            }
            state = cond.wait_timeout(state, deadline - now).unwrap_or_else(|e| e.into_inner()).0;
        }
    }

    /// Waits until the stream ends (the program and every child holding it exited).
    pub fn wait_closed(&self, deadline: Instant) -> bool {
        let (lock, cond) = &*self.shared;
        let mut state = lock.lock().unwrap_or_else(|e| e.into_inner());
        while !state.closed {
            let now = Instant::now();
            if now >= deadline {
                return false;
            }
            state = cond.wait_timeout(state, deadline - now).unwrap_or_else(|e| e.into_inner()).0;
        }
        true
    }
}

fn relay(transcript: &Transcript, label: &str, line: &[u8], len: usize) {
    let text = String::from_utf8_lossy(line);
    let cut = if len > line.len() { format!("... ({len} bytes in all)") } else { String::new() };
    transcript.push(EventKind::Output, format!("[{label}] {}{cut}", text.trim_end_matches('\r')));
}
