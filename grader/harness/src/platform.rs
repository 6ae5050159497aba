//! Which implementation of each OS-specific concern this grader uses: Linux's, or the
//! portable one that macOS runs.
//!
//! Three concerns differ between systems, each behind one module with a Linux and a
//! portable implementation:
//!
//! - readiness, "who listens where, by process" (`listening.rs`): sock_diag and
//!   /proc/net on Linux; the `listeners` crate (the kernel's tables by pid, on Linux
//!   and macOS) in the portable mode;
//! - containment, "which processes are a program's, and what may they use"
//!   (`proctable.rs`, `contain.rs`, `sandbox/`): /proc, cgroups, a subreaper and
//!   bubblewrap on Linux; process groups, `ps` and rlimits in the portable mode;
//! - network isolation (`netns.rs`): a private network namespace on Linux; the
//!   machine's loopback in the portable mode.
//!
//! The portable mode is what a non-Linux grader always runs; on Linux it is chosen
//! with `SOCKET_LABS_PORTABLE=1`, so that the code macOS runs is exercised on every
//! change, by the same tests.

use std::sync::OnceLock;

/// The environment variable that selects the portable mode on Linux.
pub const PORTABLE_VAR: &str = "SOCKET_LABS_PORTABLE";

/// Whether this grader uses the portable implementations.
pub fn portable() -> bool {
    static PORTABLE: OnceLock<bool> = OnceLock::new();
    *PORTABLE.get_or_init(|| {
        !cfg!(target_os = "linux") || std::env::var_os(PORTABLE_VAR).is_some_and(|v| !v.is_empty() && v != "0")
    })
}

/// Why the portable mode lacks `what` (a Linux mechanism), for the report's notes:
/// "macOS has no network namespaces", or "the portable mode (SOCKET_LABS_PORTABLE=1)
/// has no network namespaces" on Linux.
pub fn lacks(what: &str) -> String {
    match std::env::consts::OS {
        "linux" => format!("the portable mode ({PORTABLE_VAR}=1) has no {what}"),
        "macos" => format!("macOS has no {what}"),
        os => format!("{os} has no {what}"),
    }
}

/// Whether the grader runs as root (which the sandbox and the limits treat apart).
pub fn is_root() -> bool {
    // SAFETY: no arguments, cannot fail.
    unsafe { libc::geteuid() == 0 }
}
