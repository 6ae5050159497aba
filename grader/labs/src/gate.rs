//! The gate of a server role, `LAB/ROLE-starts` (registry.rs writes one for every
//! server role): the role starts and listens on the `--host` and `--port` it is given,
//! read from the kernel's socket tables like every server start. It passes as soon as
//! the role listens; its failure says what happened instead (the program exited, with
//! its status and the end of its stderr; it listens elsewhere; it never listened within
//! the deadline). Every check that starts the role depends on it, so a server that
//! cannot start fails this one check and the others are skipped, not failed.
//!
//! In a run, the first check that needs the gate decides it with its own first start
//! of the role (runner.rs, `carry`); this is the gate run alone (`--check
//! LAB/ROLE-starts`, or when that check did not start the role): `--host` and `--port`
//! only.

use harness::outcome::CheckResult;
use harness::sockets::Proto;
use harness::Harness;

pub fn run(role: &str, proto: Proto, h: &mut Harness) -> CheckResult {
    match proto {
        Proto::Tcp => h.server(role).start().map(drop),
        Proto::Udp => h.server(role).start_udp().map(drop),
    }
}
