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

use crate::listening::{bind_probe, Proto};

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
