//! The harness a check is written against: it starts the programs under test in a
//! sandbox, waits until they are ready without touching them, talks to them over TCP,
//! UDP and multicast with a deadline on every wait, plays the other end for a client,
//! and records everything in a transcript. A check returns an outcome; nothing here
//! prints a verdict, and nothing here knows a lab: the labs are written against it.
//!
//! ```no_run
//! use harness::outcome::CheckResult;
//! use harness::Harness;
//!
//! /// The server answers a line with that line, and keeps serving the next client.
//! fn answers_each_client(h: &mut Harness) -> CheckResult {
//!     let mut server = h.server("line-server").start()?; // free port, own folder, own group
//!     for n in 1..=2 {
//!         let mut c = server.connect()?; // every read has a deadline
//!         c.send_line("ping")?;
//!         c.expect_exact("ping\n")?;
//!         drop(c);
//!         server.expect_alive(&format!("after client {n}"))?;
//!     }
//!     Ok(())
//! }
//! ```
//!
//! Where things are, by concern:
//!
//! - the check's world: [`Harness`] (one check), [`Env`] (the run), [`Server`],
//!   [`Client`], [`ScriptedServer`]; the grader's peers over UDP ([`udp`]) and
//!   multicast ([`multicast`]), many clients at once ([`crowd`]);
//! - bytes on the wire: [`conn`] (a TCP connection with deadlines), [`fragment`] (how
//!   bytes are cut into writes), [`bulk`] (megabytes each way at once), [`framing`]
//!   (messages in a byte stream);
//! - what a check returns and what it shows: [`outcome`], [`transcript`],
//!   [`diagnose`] (a program's exit and stderr in words);
//! - time: [`deadline`] (bounded waits, the one place that sleeps), [`cputime`];
//! - programs: [`process`] (the only module that spawns), [`capture`], [`limits`],
//!   [`contain`], [`reaper`], [`proctable`], [`sandbox`];
//! - the network: [`ports`], [`listening`] (readiness from the kernel's socket
//!   tables) with [`sockdiag`] and [`sockets`], [`backlog`], [`netns`];
//! - [`platform`]: Linux, or the portable mode that macOS runs.

// A check's `Err(Failure)` carries what the student needs (sent, expected, got, hint):
// it is built at most once per check, so its size costs nothing worth boxing for.
#![allow(clippy::result_large_err)]
#![warn(missing_docs)]

pub mod backlog;
pub mod bulk;
pub mod capture;
pub mod conn;
pub mod contain;
pub mod cputime;
pub mod crowd;
pub mod deadline;
pub mod diagnose;
pub mod fragment;
pub mod framing;
mod harness;
pub mod limits;
pub mod listening;
pub mod multicast;
pub mod netns;
pub mod outcome;
pub mod platform;
pub mod ports;
pub mod process;
pub mod proctable;
pub mod reaper;
pub mod sandbox;
pub mod sockdiag;
pub mod sockets;
pub mod transcript;
pub mod udp;

pub use crate::harness::{
    Client, ClientRun, ClientStart, Env, FirstStart, Harness, Launcher, ScriptedServer, Server, ServerStart, LOOPBACK,
};
