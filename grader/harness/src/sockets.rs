//! What every reader of the kernel's socket tables shares (listening.rs, which asks
//! whether a program listens yet, and sockdiag.rs, which reads the tables through
//! netlink): the protocol asked about, and addresses as the tables show them.

use std::net::IpAddr;

/// The protocol of a socket the grader looks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Proto {
    /// A listening TCP socket.
    Tcp,
    /// A bound UDP socket.
    Udp,
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
