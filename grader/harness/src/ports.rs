//! Free loopback ports for the programs under test.
//!
//! Ports come from 20000..32000: below Linux's ephemeral range (32768..60999) and
//! macOS's (49152..65535), so an outgoing connection of some other program cannot take a
//! port between the moment it is chosen and the moment the student's server binds it.
//! A port is handed out once per grader run, so a server is never blamed for a
//! TIME_WAIT left by an earlier check, and only when nothing holds it for TCP or UDP.

use std::collections::HashSet;
use std::io;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Mutex;

use crate::listening::bind_probe;
use crate::sockets::Proto;

const FIRST: u16 = 20_000;
const END: u16 = 32_000;

struct Allocator {
    next: u16,
    handed_out: HashSet<u16>,
}

static ALLOCATOR: Mutex<Option<Allocator>> = Mutex::new(None);

/// A port that nothing on this machine uses, for TCP and UDP alike.
pub fn free_port() -> io::Result<u16> {
    let mut guard = ALLOCATOR.lock().unwrap_or_else(|e| e.into_inner());
    // A random start keeps two graders running at once (a class graded in parallel)
    // apart; the rest of the search is sequential.
    let alloc = guard.get_or_insert_with(|| Allocator { next: fastrand::u16(FIRST..END), handed_out: HashSet::new() });
    for _ in FIRST..END {
        let port = alloc.next;
        alloc.next = if port + 1 >= END { FIRST } else { port + 1 };
        if alloc.handed_out.contains(&port) {
            continue;
        }
        let any = SocketAddr::new(Ipv4Addr::UNSPECIFIED.into(), port);
        if !bind_probe(Proto::Tcp, any) && !bind_probe(Proto::Udp, any) {
            alloc.handed_out.insert(port);
            return Ok(port);
        }
    }
    Err(io::Error::new(io::ErrorKind::AddrInUse, "no free port left in 20000..32000"))
}

/// How many free ports the grader tries for a socket of its own.
const OWN_TRIES: usize = 20;

/// A TCP listener of the grader's own (a scripted server) on a free loopback port.
/// Another program may take a free port in the instant before the grader binds it
/// (on the machine's own network, another grader); since the socket is the grader's,
/// trying the next free port hides nothing about the program under test.
pub fn own_listener(host: std::net::IpAddr) -> io::Result<(std::net::TcpListener, u16)> {
    own(|port| std::net::TcpListener::bind((host, port)))
}

/// A UDP socket of the grader's own (a scripted UDP server) on a free port, as
/// [`own_listener`].
pub fn own_udp_socket(host: std::net::IpAddr) -> io::Result<(std::net::UdpSocket, u16)> {
    own(|port| std::net::UdpSocket::bind((host, port)))
}

fn own<T>(bind: impl Fn(u16) -> io::Result<T>) -> io::Result<(T, u16)> {
    let mut last = None;
    for _ in 0..OWN_TRIES {
        let port = free_port()?;
        match bind(port) {
            Ok(socket) => return Ok((socket, port)),
            Err(e) if e.kind() == io::ErrorKind::AddrInUse => last = Some(e),
            Err(e) => return Err(e),
        }
    }
    Err(last.unwrap_or_else(|| io::Error::new(io::ErrorKind::AddrInUse, "no free port")))
}
