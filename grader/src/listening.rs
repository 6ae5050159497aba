//! Is a program listening yet, and where? Answered without touching the program.
//!
//! A probe connection would count as a client (a logging server would log it, an
//! iterative server would be busy with it), so on Linux readiness is read from the
//! kernel's socket tables in /proc/net. Elsewhere the fallback tries to bind the port
//! itself: "address in use" means someone bound it, which is also free of side effects;
//! the report says when the fallback was used.

use std::collections::HashSet;
use std::fs;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::atomic::{AtomicBool, Ordering};

use socket2::{Domain, Protocol, Socket, Type};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Proto {
    Tcp,
    Udp,
}

/// How readiness is being detected on this machine.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Method {
    /// The kernel's socket tables (Linux).
    ProcNet,
    /// Trying to bind the port and seeing it in use (portable).
    BindProbe,
}

pub fn method() -> Method {
    if fs::metadata("/proc/net/tcp").is_ok() {
        Method::ProcNet
    } else {
        Method::BindProbe
    }
}

/// One socket from the kernel's table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Entry {
    addr: SocketAddr,
    inode: u64,
}

/// An IPv4-mapped IPv6 address (`::ffff:127.0.0.1`) as the IPv4 address it stands for.
/// The JVM opens dual-stack IPv6 sockets: a Java server bound to 127.0.0.1 shows in the
/// kernel's tables as `::ffff:127.0.0.1`, and receives what is sent to 127.0.0.1.
pub fn unmapped(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        IpAddr::V4(_) => ip,
    }
}

/// Whether something is listening (TCP) or bound (UDP) on `port` at `host` or at the
/// wildcard address, which also receives what is sent to `host`. Addresses are compared
/// with IPv4-mapped ones [`unmapped`].
pub fn is_ready(proto: Proto, host: IpAddr, port: u16) -> bool {
    let host = unmapped(host);
    match method() {
        Method::ProcNet => ready_entries(proto)
            .iter()
            .any(|e| e.addr.port() == port && (unmapped(e.addr.ip()) == host || e.addr.ip().is_unspecified())),
        Method::BindProbe => bind_probe(proto, SocketAddr::new(host, port)),
    }
}

/// Where the processes of a process group listen (TCP) or are bound (UDP): used to tell
/// a student "your server listens on 65432, not on the --port it was given".
/// Empty where /proc is not available.
pub fn addresses_of_group(proto: Proto, pgid: u32) -> Vec<SocketAddr> {
    let inodes = socket_inodes_of_group(pgid);
    if inodes.is_empty() {
        return Vec::new();
    }
    let mut found: Vec<SocketAddr> =
        ready_entries(proto).into_iter().filter(|e| inodes.contains(&e.inode)).map(|e| e.addr).collect();
    found.sort();
    found.dedup();
    found
}

/// Whether anybody at all listens on `port` (any address), e.g. to tell a port taken by
/// another program from a student's server that failed to start.
pub fn port_in_use(proto: Proto, port: u16) -> bool {
    match method() {
        Method::ProcNet => ready_entries(proto).iter().any(|e| e.addr.port() == port),
        Method::BindProbe => bind_probe(proto, SocketAddr::new(Ipv4Addr::UNSPECIFIED.into(), port)),
    }
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

/// TCP sockets in LISTEN state, or every bound UDP socket: from netlink's sock_diag
/// where it answers (cheap), else from /proc/net (which walks every connection).
fn ready_entries(proto: Proto) -> Vec<Entry> {
    static NO_NETLINK: [AtomicBool; 2] = [AtomicBool::new(false), AtomicBool::new(false)];
    let no_netlink = &NO_NETLINK[proto as usize];
    if !no_netlink.load(Ordering::Relaxed) {
        match crate::sockdiag::sockets(proto) {
            Ok(found) => return found.into_iter().map(|(addr, inode)| Entry { addr, inode }).collect(),
            Err(_) => no_netlink.store(true, Ordering::Relaxed),
        }
    }
    proc_entries(proto)
}

/// [`ready_entries`] from the text tables of /proc.
fn proc_entries(proto: Proto) -> Vec<Entry> {
    let (files, listen_only) = match proto {
        Proto::Tcp => (["tcp", "tcp6"], true),
        Proto::Udp => (["udp", "udp6"], false),
    };
    // This thread's namespace (a multicast check has one of its own), where the kernel
    // says; /proc/net is the main thread's.
    let dir = if fs::metadata("/proc/thread-self/net").is_ok() { "/proc/thread-self/net" } else { "/proc/net" };
    let mut entries = Vec::new();
    for file in files {
        if let Ok(text) = fs::read_to_string(format!("{dir}/{file}")) {
            entries.extend(parse_table(&text, listen_only));
        }
    }
    entries
}

/// Parses /proc/net/{tcp,udp}{,6}: `sl local_address rem_address st ... inode`.
fn parse_table(text: &str, listen_only: bool) -> Vec<Entry> {
    const TCP_LISTEN: &str = "0A";
    text.lines()
        .skip(1)
        .filter_map(|line| {
            let fields: Vec<&str> = line.split_whitespace().collect();
            if fields.len() < 10 || (listen_only && fields[3] != TCP_LISTEN) {
                return None;
            }
            let addr = parse_socket_addr(fields[1])?;
            let inode = fields[9].parse().ok()?;
            Some(Entry { addr, inode })
        })
        .collect()
}

/// `0100007F:1F90` is 127.0.0.1:8080: the address is the kernel's in-memory bytes
/// printed as native-endian 32-bit words, the port plain big-endian hex.
fn parse_socket_addr(field: &str) -> Option<SocketAddr> {
    let (ip_hex, port_hex) = field.split_once(':')?;
    let port = u16::from_str_radix(port_hex, 16).ok()?;
    let word = |i: usize| u32::from_str_radix(ip_hex.get(i * 8..i * 8 + 8)?, 16).ok().map(u32::to_ne_bytes);
    let ip: IpAddr = match ip_hex.len() {
        8 => Ipv4Addr::from(word(0)?).into(),
        32 => {
            let mut bytes = [0u8; 16];
            for i in 0..4 {
                bytes[i * 4..i * 4 + 4].copy_from_slice(&word(i)?);
            }
            unmapped(Ipv6Addr::from(bytes).into())
        }
        _ => return None,
    };
    Some(SocketAddr::new(ip, port))
}

/// Whether one of `pids` holds the socket that listens (TCP) or is bound (UDP) on
/// `port`; `None` where that cannot be known (no /proc). Readiness asks it, so that a
/// port taken by another program is never mistaken for the student's server.
pub fn held_by(proto: Proto, port: u16, pids: &[u32]) -> Option<bool> {
    if method() != Method::ProcNet {
        return None;
    }
    let inodes = socket_inodes_of(pids.iter().copied());
    Some(ready_entries(proto).iter().any(|e| e.addr.port() == port && inodes.contains(&e.inode)))
}

/// The inodes of the sockets held open by any process of a process group.
fn socket_inodes_of_group(pgid: u32) -> HashSet<u64> {
    socket_inodes_of(crate::process::group_members(pgid).into_iter().map(|m| m.pid))
}

/// The inodes of the sockets held open by any of `pids`.
fn socket_inodes_of(pids: impl Iterator<Item = u32>) -> HashSet<u64> {
    let mut inodes = HashSet::new();
    for pid in pids {
        let Ok(fds) = fs::read_dir(format!("/proc/{pid}/fd")) else { continue };
        for fd in fds.flatten() {
            if let Ok(target) = fs::read_link(fd.path()) {
                let target = target.to_string_lossy();
                if let Some(inode) = target.strip_prefix("socket:[").and_then(|t| t.strip_suffix(']')) {
                    inodes.extend(inode.parse::<u64>().ok());
                }
            }
        }
    }
    inodes
}

#[cfg(test)]
mod tests {
    use super::*;

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
