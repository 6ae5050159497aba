//! One file per lab; each holds the lab's checks and its `LAB` entry for the registry.

pub mod board;
pub mod calc;
pub mod date;
pub mod hello;
pub mod logging;
pub mod varsize;

use crate::harness::Harness;
use crate::outcome::CheckResult;

/// Checks of labs written as data that stay in Rust, by the id a lab.toml names in
/// `native = "..."`.
pub static NATIVE_CHECKS: &[(&str, NativeCheck)] = &[];

pub type NativeCheck = fn(&mut Harness) -> CheckResult;
