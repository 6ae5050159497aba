//! Readiness on Linux: the kernel's socket tables through netlink's sock_diag (cheap:
//! it walks the listening table only), else the text tables of /proc/net; the
//! sockets' owners from /proc/PID/fd.

use std::collections::HashSet;
use std::fs;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::atomic::{AtomicBool, Ordering};

use crate::sockets::{unmapped, Proto};

/// One socket from the kernel's table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Entry {
    pub addr: SocketAddr,
    pub inode: u64,
}

static NO_NETLINK: [AtomicBool; 2] = [AtomicBool::new(false), AtomicBool::new(false)];

/// TCP sockets in LISTEN state, or every bound UDP socket: from netlink's sock_diag
/// where it answers (cheap), else from /proc/net (which walks every connection).
pub fn ready_entries(proto: Proto) -> Vec<Entry> {
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
pub fn proc_entries(proto: Proto) -> Vec<Entry> {
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
pub(super) fn parse_table(text: &str, listen_only: bool) -> Vec<Entry> {
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
pub(super) fn parse_socket_addr(field: &str) -> Option<SocketAddr> {
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

/// The inodes of the sockets held open by any process of a process group.
pub fn socket_inodes_of_group(pgid: u32) -> HashSet<u64> {
    socket_inodes_of(crate::process::group_members(pgid).into_iter().map(|m| m.pid))
}

/// The inodes of the sockets held open by any of `pids`.
pub fn socket_inodes_of(pids: impl Iterator<Item = u32>) -> HashSet<u64> {
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
