//! Readiness in the portable mode: the kernel's socket tables by process, through the
//! `listeners` crate (proc_pidinfo on macOS, /proc on Linux), so that the code macOS
//! runs is the code that `SOCKET_LABS_PORTABLE=1` runs on Linux.
//!
//! Chosen over `netstat2`, which lists the same (and was twice as fast on Linux: 7 ms
//! against 17 ms for a table of 50 sockets and 140 processes), because `listeners` is
//! plain Rust on both systems, while `netstat2` generates its macOS bindings with
//! bindgen at build time (libclang, and a fixed path into the Command Line Tools' SDK)
//! and builds bindgen on Linux too.

use std::net::SocketAddr;

use crate::sockets::{unmapped, Proto};

/// A listening TCP socket or a bound UDP socket, and the process that holds it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Held {
    pub addr: SocketAddr,
    pub pid: u32,
}

/// Listening TCP sockets, or every bound UDP socket, of the processes this user may
/// inspect (every process as root); empty when the tables cannot be read.
pub fn sockets(proto: Proto) -> Vec<Held> {
    let Ok(all) = listeners::get_all() else { return Vec::new() };
    all.into_iter()
        .filter(|l| match proto {
            Proto::Tcp => l.protocol == listeners::Protocol::TCP && l.state == listeners::SocketState::Listen,
            Proto::Udp => l.protocol == listeners::Protocol::UDP,
        })
        .map(|l| Held { addr: SocketAddr::new(unmapped(l.socket.ip()), l.socket.port()), pid: l.process.pid })
        .collect()
}

/// Whether process `pid` is in process group `pgid`.
pub fn in_group(pid: u32, pgid: u32) -> bool {
    nix::unistd::getpgid(Some(nix::unistd::Pid::from_raw(pid as i32))).is_ok_and(|g| g.as_raw() as u32 == pgid)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A listener of this process is listed with this pid, and is gone once closed;
    /// a bound UDP socket too.
    #[test]
    fn lists_this_process_listeners() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let me = std::process::id();
        let found = sockets(Proto::Tcp);
        assert!(found.contains(&Held { addr, pid: me }), "{addr} of {me} in {found:?}");
        let group = nix::unistd::getpgrp().as_raw() as u32;
        assert!(in_group(me, group));
        drop(listener);
        assert!(!sockets(Proto::Tcp).iter().any(|h| h.addr == addr));
        let udp = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        let addr = udp.local_addr().unwrap();
        assert!(sockets(Proto::Udp).contains(&Held { addr, pid: me }));
        assert!(!sockets(Proto::Tcp).iter().any(|h| h.addr == addr));
    }
}
