//! One file per lab; each holds the lab's checks and its `LAB` entry for the registry.

pub mod hello;
pub mod date;
pub mod logging;
pub mod echo;
pub mod upper;
pub mod threaded;
pub mod varsize;
pub mod board;
pub mod calc;
