//! One file per lab; each holds the lab's checks and its `LAB` entry for the registry.

pub mod board;
pub mod calc;
pub mod date;
pub mod echo;
pub mod hello;
pub mod logging;
pub mod threaded;
pub mod upper;
pub mod varsize;
