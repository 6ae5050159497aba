//! Is a program listening yet, and where, and is it the program's own socket?
//! Answered from the kernel's socket tables, without touching the program.
//!
//! A probe connection would count as a client (a server that logs its clients would log it, an
//! iterative server would be busy with it), so readiness is read from the tables the
//! kernel keeps of its sockets, with the processes that hold them. Two sources, one
//! per platform ([`Method`]):
//!
//! - Linux: netlink's sock_diag, else /proc/net, with the owners from /proc/PID/fd
//!   (`listening/linux.rs`);
//! - the portable mode (macOS, or `SOCKET_LABS_PORTABLE=1` on Linux): the `listeners`
//!   crate, which lists sockets with their pids on Linux and macOS alike
//!   (`listening/portable.rs`).

#[cfg(target_os = "linux")]
mod linux;
mod portable;

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use socket2::{Domain, Protocol, Socket, Type};

use crate::sockets::{unmapped, Proto};

/// Where readiness is read from on this machine.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Method {
    /// The kernel's socket tables through sock_diag or /proc/net (Linux).
    ProcNet,
    /// The kernel's socket tables by process through the `listeners` crate (portable).
    Listeners,
}

/// Where readiness is read from here: [`Method::ProcNet`] on Linux, [`Method::Listeners`]
/// in the portable mode.
pub fn method() -> Method {
    if cfg!(target_os = "linux") && !crate::platform::portable() {
        Method::ProcNet
    } else {
        Method::Listeners
    }
}

/// The source of readiness in one line, for the report's notes.
pub fn describe() -> String {
    match method() {
        Method::ProcNet => {
            if crate::sockdiag::sockets(Proto::Tcp).is_err() {
                return "readiness was read from /proc/net (no sock_diag here) and /proc/PID/fd".to_string();
            }
            "readiness was read from the kernel's socket tables through sock_diag (netlink), their owners from /proc/PID/fd".to_string()
        }
        Method::Listeners => format!(
            "readiness was read from the kernel's socket tables by process through the listeners crate ({})",
            if cfg!(target_os = "linux") { "the portable mode" } else { "the portable source" }
        ),
    }
}

/// Listening TCP sockets (or bound UDP ones) of this network namespace, each with
/// what identifies its owner: an inode on Linux, a pid in the portable mode.
fn ready_addresses(proto: Proto) -> Vec<SocketAddr> {
    match method() {
        #[cfg(target_os = "linux")]
        Method::ProcNet => linux::ready_entries(proto).into_iter().map(|e| e.addr).collect(),
        _ => portable::sockets(proto).into_iter().map(|s| s.addr).collect(),
    }
}

/// Whether something is listening (TCP) or bound (UDP) on `port` at `host` or at the
/// wildcard address, which also receives what is sent to `host`. Addresses are compared
/// with IPv4-mapped ones [`unmapped`].
pub fn is_ready(proto: Proto, host: IpAddr, port: u16) -> bool {
    let host = unmapped(host);
    ready_addresses(proto).iter().any(|a| a.port() == port && (unmapped(a.ip()) == host || a.ip().is_unspecified()))
}

/// Where the processes of a process group listen (TCP) or are bound (UDP): used to tell
/// a student "your server listens on 65432, not on the --port it was given".
pub fn addresses_of_group(proto: Proto, pgid: u32) -> Vec<SocketAddr> {
    let mut found: Vec<SocketAddr> = match method() {
        #[cfg(target_os = "linux")]
        Method::ProcNet => {
            let inodes = linux::socket_inodes_of_group(pgid);
            if inodes.is_empty() {
                return Vec::new();
            }
            linux::ready_entries(proto).into_iter().filter(|e| inodes.contains(&e.inode)).map(|e| e.addr).collect()
        }
        _ => portable::sockets(proto).into_iter().filter(|s| portable::in_group(s.pid, pgid)).map(|s| s.addr).collect(),
    };
    found.sort();
    found.dedup();
    found
}

/// Whether anybody at all listens on `port` (any address), e.g. to tell a port taken by
/// another program from a student's server that failed to start.
pub fn port_in_use(proto: Proto, port: u16) -> bool {
    // The portable source sees only the sockets of processes it may inspect (on macOS,
    // the user's own): another user's may hold the port, which binding it tells.
    ready_addresses(proto).iter().any(|a| a.port() == port)
        || (method() == Method::Listeners && bind_probe(proto, SocketAddr::new(Ipv4Addr::UNSPECIFIED.into(), port)))
}

/// Tries to bind `addr` without SO_REUSEADDR: true when the address is in use.
pub fn bind_probe(proto: Proto, addr: SocketAddr) -> bool {
    let (kind, protocol) = match proto {
        Proto::Tcp => (Type::STREAM, Protocol::TCP),
        Proto::Udp => (Type::DGRAM, Protocol::UDP),
    };
    match Socket::new(Domain::for_address(addr), kind, Some(protocol)) {
        Ok(socket) => {
            matches!(socket.bind(&addr.into()), Err(e) if e.kind() == std::io::ErrorKind::AddrInUse)
        }
        Err(_) => false,
    }
}

/// Whether one of `pids` holds the socket that listens (TCP) or is bound (UDP) on
/// `port`; `None` where that cannot be known. Readiness asks it, so that a port taken
/// by another program is never mistaken for the student's server.
pub fn held_by(proto: Proto, port: u16, pids: &[u32]) -> Option<bool> {
    match method() {
        #[cfg(target_os = "linux")]
        Method::ProcNet => {
            let inodes = linux::socket_inodes_of(pids.iter().copied());
            Some(linux::ready_entries(proto).iter().any(|e| e.addr.port() == port && inodes.contains(&e.inode)))
        }
        _ => Some(portable::sockets(proto).iter().any(|s| s.addr.port() == port && pids.contains(&s.pid))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_os = "linux")]
    use linux::{parse_socket_addr, parse_table, proc_entries};

    #[cfg(target_os = "linux")]
    #[test]
    fn parses_ipv4_and_ipv6_rows() {
        let table = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 4242 1\n   1: 0100007F:1F91 0100007F:D431 01 00000000:00000000 00:00000000 00000000     0        0 4243 1\n";
        let entries = parse_table(table, true);
        assert_eq!(entries.len(), 1);
        if cfg!(target_endian = "little") {
            assert_eq!(entries[0].addr, "127.0.0.1:8080".parse().unwrap());
        }
        assert_eq!(entries[0].inode, 4242);
        assert_eq!(parse_table(table, false).len(), 2);
        let v6 = parse_socket_addr("00000000000000000000000001000000:0050").unwrap();
        if cfg!(target_endian = "little") {
            assert_eq!(v6, "[::1]:80".parse().unwrap());
        }
    }

    /// The /proc fallback agrees with netlink about a listener, also in a thread's own
    /// network namespace (where /proc/net would show the main thread's).
    #[cfg(target_os = "linux")]
    #[test]
    fn the_proc_fallback_sees_what_netlink_sees() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let by_proc = proc_entries(Proto::Tcp);
        assert!(by_proc.iter().any(|e| e.addr == addr), "{addr} in {by_proc:?}");
        if let Ok(by_netlink) = crate::sockdiag::sockets(Proto::Tcp) {
            let inode = by_proc.iter().find(|e| e.addr == addr).unwrap().inode;
            assert!(by_netlink.contains(&(addr, inode)));
        }
        // In a namespace of the thread's own (where this test may make one), neither
        // sees the listener of the namespace the test started in.
        std::thread::spawn(move || {
            let Ok(_own) = crate::netns::isolate_thread() else { return };
            assert!(!proc_entries(Proto::Tcp).iter().any(|e| e.addr == addr), "/proc shows this thread's namespace");
            let own_listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            let mine = own_listener.local_addr().unwrap();
            assert!(proc_entries(Proto::Tcp).iter().any(|e| e.addr == mine));
            if let Ok(by_netlink) = crate::sockdiag::sockets(Proto::Tcp) {
                assert!(by_netlink.iter().any(|(a, _)| *a == mine) && !by_netlink.iter().any(|(a, _)| *a == addr));
            }
        })
        .join()
        .unwrap();
    }

    /// The JVM's dual-stack sockets: bound to 127.0.0.1, listed as ::ffff:127.0.0.1.
    #[test]
    fn an_ipv4_mapped_listener_is_ready_at_its_ipv4_address() {
        assert_eq!(unmapped("::ffff:127.0.0.1".parse().unwrap()), "127.0.0.1".parse::<IpAddr>().unwrap());
        assert_eq!(unmapped("::1".parse().unwrap()), "::1".parse::<IpAddr>().unwrap());
        let Ok(socket) = Socket::new(Domain::IPV6, Type::STREAM, Some(Protocol::TCP)) else { return };
        let mapped: SocketAddr = "[::ffff:127.0.0.1]:0".parse().unwrap();
        if socket.set_only_v6(false).is_err() || socket.bind(&mapped.into()).is_err() {
            eprintln!("no dual-stack IPv6 sockets here");
            return;
        }
        socket.listen(8).unwrap();
        let port = socket.local_addr().unwrap().as_socket().unwrap().port();
        assert!(is_ready(Proto::Tcp, "127.0.0.1".parse().unwrap(), port));
        if method() == Method::ProcNet {
            let own_group = crate::proctable::state_and_group(std::process::id()).unwrap().1;
            let addrs = addresses_of_group(Proto::Tcp, own_group);
            assert!(addrs.contains(&SocketAddr::new("127.0.0.1".parse().unwrap(), port)), "{addrs:?}");
        }
    }

    #[test]
    fn sees_a_listener_and_its_process_group() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        assert!(is_ready(Proto::Tcp, "127.0.0.1".parse().unwrap(), port));
        if method() == Method::ProcNet {
            let own_group = crate::proctable::state_and_group(std::process::id()).unwrap().1;
            let addrs = addresses_of_group(Proto::Tcp, own_group);
            assert!(addrs.iter().any(|a| a.port() == port), "{addrs:?}");
        }
        drop(listener);
        assert!(!is_ready(Proto::Tcp, "127.0.0.1".parse().unwrap(), port));
    }
}
