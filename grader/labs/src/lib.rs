//! The labs: what each one checks, written against the harness, and the registry that
//! knows them all. A lab is Rust (`checks/NAME.rs`, one file a lab) or data (a folder
//! with a `lab.toml`, whose checks are dialogues); either way it becomes a
//! [`model::Lab`], and [`registry`] lists every lab in the order students meet them.
//!
//! - [`model`]: a lab, its roles, checks and mutants; what every lab is made of;
//! - [`checks`]: the labs written in Rust, one module a lab, and the protocol helpers
//!   only labs use: [`board_protocol`], [`timestamp`], [`logdir`];
//! - [`labfile`] (a lab.toml as written), [`labdata`] (a lab of it) and [`dialogue`]
//!   (its checks, played through the harness);
//! - [`registry`]: every lab, found once at start;
//! - [`concepts`]: the course's chapters, and which of them a check is about.
//!
//! Arrows point one way: checks know the model, the registry knows the checks and the
//! lab files, and nothing here knows how a result is reported.

// A check's `Err(Failure)` carries what the student needs (sent, expected, got, hint):
// it is built at most once per check, so its size costs nothing worth boxing for.
#![allow(clippy::result_large_err)]

pub mod board_protocol;
pub mod checks;
pub mod concepts;
pub mod dialogue;
pub mod gate;
pub mod labdata;
pub mod labfile;
pub mod logdir;
pub mod model;
pub mod registry;
pub mod timestamp;
