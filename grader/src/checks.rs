//! One file per lab; each holds the lab's checks and its `LAB` entry for the registry.

pub mod hello;
