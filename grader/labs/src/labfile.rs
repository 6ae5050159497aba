//! A lab.toml as written (docs/authoring.md): the serde types of the file, read by
//! labdata.rs, which makes a lab of it, and by dialogue.rs, which plays its checks'
//! steps. Unknown keys are refused, so a typo is an error when the lab is loaded.

use std::collections::HashMap;

use serde::Deserialize;

/// A lab.toml as written.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LabFile {
    /// Default: the folder's name.
    pub name: Option<String>,
    pub title: String,
    #[serde(rename = "role", default)]
    pub roles: Vec<RoleFile>,
    /// Word lists for `{NAME}` in the steps: `{words}`, `{words2}` are two different
    /// words of the list `words`, picked with the check's seed.
    #[serde(default)]
    pub lists: HashMap<String, Vec<String>>,
    /// Hints that steps name as `@NAME`.
    #[serde(default)]
    pub hints: HashMap<String, String>,
    #[serde(rename = "check", default)]
    pub checks: Vec<CheckFile>,
    #[serde(rename = "mutant", default)]
    pub mutants: Vec<MutantFile>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RoleFile {
    pub name: String,
    pub port: u16,
    /// Its file on the Python track: `labs/LAB/python/FILE`.
    pub python: Option<String>,
    /// A UDP server (started and reached over UDP).
    #[serde(default)]
    pub udp: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CheckFile {
    pub slug: String,
    pub name: String,
    pub points: u32,
    #[serde(default)]
    pub after: Vec<String>,
    /// Seconds a correct program keeps this check waiting at least (see
    /// the `waits` of the lab model's `Check`).
    #[serde(default)]
    pub waits: f64,
    /// A hint for any failure of the check that no step's hint covers.
    pub hint: Option<String>,
    #[serde(default)]
    pub steps: Vec<Step>,
    /// A check kept in Rust: the id of a function in `checks::NATIVE_CHECKS`.
    pub native: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MutantFile {
    pub role: String,
    pub bug: Option<String>,
    pub cmd: Option<String>,
    pub fails: Vec<String>,
}

/// One step as written: one verb (`start`, `send`, `expect`, ...) and its modifiers.
/// Unknown keys are refused when the lab is loaded, so a typo is an error, not a step
/// silently skipped.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct Step {
    // Programs.
    /// Starts the server that plays this role (over UDP if the role says `udp`).
    pub(crate) start: Option<String>,
    /// Starts the client that plays this role, against the grader's peer (`listen`), or
    /// against a port where nothing listens (`port = "unused"`).
    pub(crate) client: Option<String>,
    /// The grader plays the client's server: `"tcp"` or `"udp"`.
    pub(crate) listen: Option<String>,
    /// Waits for the client to connect to the grader's TCP peer: a new connection.
    pub(crate) accept: Option<bool>,
    /// A new connection to the server (a new UDP socket for a UDP server); its name.
    pub(crate) connect: Option<String>,
    // Bytes.
    pub(crate) send: Option<String>,
    /// Several messages written at once (coalesced), as one write.
    pub(crate) together: Option<Vec<String>>,
    /// Exactly these bytes next (one datagram, over UDP).
    pub(crate) expect: Option<String>,
    /// One line (up to `\n`, which is not part of it) equal to this.
    pub(crate) expect_line: Option<String>,
    /// One line (one datagram, over UDP) matching this regular expression.
    pub(crate) expect_regex: Option<String>,
    /// The program closes the connection, having sent nothing more.
    pub(crate) expect_closed: Option<bool>,
    /// Nothing arrives for this many seconds.
    pub(crate) quiet: Option<f64>,
    /// Waits until the program has read everything sent so far (the kernel's count).
    pub(crate) wait_read: Option<bool>,
    /// Closes a connection (by name; "" for the current one).
    pub(crate) close: Option<String>,
    /// Resets a connection, as a client that vanished.
    pub(crate) abort: Option<String>,
    /// The server is still running (the text says when).
    pub(crate) alive: Option<String>,
    /// The server is still running after this many seconds more.
    pub(crate) alive_for: Option<f64>,
    // The grader's UDP peer.
    /// The client's next datagram is exactly this.
    pub(crate) recv: Option<String>,
    /// The client's next datagram matches this regular expression.
    pub(crate) recv_regex: Option<String>,
    /// Replies to the last datagram received.
    pub(crate) reply: Option<String>,
    /// Loses the last datagram received: no reply.
    pub(crate) lose: Option<bool>,
    // The client's end.
    /// Waits for the client to exit.
    pub(crate) finish: Option<bool>,
    /// Its exit: 0 (success), or 1 (a clean failure: status 1 and one line on stderr).
    pub(crate) exit: Option<u8>,
    /// Its stdout, line by line, exactly.
    pub(crate) stdout: Option<Vec<String>>,
    /// Its stdout, line by line, each matching its regular expression.
    pub(crate) stdout_regex: Option<Vec<String>>,
    // Structure.
    pub(crate) note: Option<String>,
    /// Runs `steps` this many times, with `{i}` counting from 1.
    pub(crate) repeat: Option<u32>,
    /// The steps of a `repeat`, or of each round of a `crowd`.
    pub(crate) steps: Option<Vec<Step>>,
    /// This many clients of the TCP server at once (crowd.rs): they connect one after
    /// another, each making its `greet` exchange and staying connected, then all of
    /// them play `steps` at the same time, `rounds` times, each client in a thread of
    /// its own; `{client}` is the client's number in the check, `{round}` the round's.
    pub(crate) crowd: Option<usize>,
    /// A crowd's first exchange, client by client, as each connects.
    pub(crate) greet: Option<Vec<Step>>,
    /// How many times a crowd plays `steps` (default 1).
    pub(crate) rounds: Option<u32>,
    /// The crowd's sizes climbed first, each a crowd of its own on the same server, up
    /// to the crowd's: `[1, 8, 64, 256]`. A failure names the rung and the highest
    /// one passed.
    pub(crate) ladder: Option<Vec<usize>>,

    // Modifiers.
    pub(crate) args: Option<Vec<String>>,
    pub(crate) stdin: Option<String>,
    /// `"unused"`: the client gets a port where nothing listens.
    pub(crate) port: Option<String>,
    /// The connection a step uses (default: the one made last).
    pub(crate) on: Option<String>,
    /// What a `quiet` or `alive` step is about, for its failure.
    pub(crate) why: Option<String>,
    /// Seconds a `recv` waits (default: the startup deadline).
    pub(crate) within: Option<f64>,
    /// `recv` passes over copies of the datagram received before it (a client whose
    /// timeout expired just before the reply came sends it again).
    pub(crate) skip_repeats: Option<bool>,
    /// `send` in pieces cut at these offsets, with `gap` seconds between them.
    pub(crate) split: Option<Vec<usize>>,
    /// `send` in pieces of this many bytes.
    pub(crate) every: Option<usize>,
    pub(crate) gap: Option<f64>,
    /// `recv`: the datagram may end in `\n` or `\r\n` too (a line).
    pub(crate) newline_ok: Option<bool>,
    /// What this step's outcome is does not matter (what a server answers to a bad
    /// request): its failure is not the check's. A grader error still is.
    pub(crate) ignore: Option<bool>,
    // Hints: `hint` for any failure of the step, `on_KIND` for one kind; `@NAME` names
    // a hint of the lab's [hints].
    pub(crate) hint: Option<String>,
    pub(crate) on_mismatch: Option<String>,
    pub(crate) on_timeout: Option<String>,
    pub(crate) on_closed: Option<String>,
    pub(crate) on_refused: Option<String>,
    pub(crate) on_exited: Option<String>,
    /// A mismatch where what came back is what the grader sent: the program sent it
    /// back unchanged (an echo where a transformation was due).
    pub(crate) on_unchanged: Option<String>,
    /// Hints for known wrong answers: `[["TEXT", "HINT"], ...]`, a mismatch where what
    /// came back is TEXT (as it is, as a line, or as one datagram) gets HINT. They
    /// apply first.
    pub(crate) on_got: Option<Vec<(String, String)>>,
    /// A crowd's failure with one client alone (the first rung of a ladder): not a
    /// matter of serving many at once.
    pub(crate) on_alone: Option<String>,
    /// A crowd's timeout after a rung of several clients passed: the program serves
    /// some clients at once, but not as many as this rung (a pool of threads).
    pub(crate) on_capped: Option<String>,
}
