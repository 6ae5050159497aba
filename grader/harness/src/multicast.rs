//! Multicast on the grader's side: its own subscriber ([`Listener`]) and sender
//! ([`Sender`]), the group addresses it hands to servers, a probe that multicast is
//! delivered here at all, and a run-wide lock that keeps multicast checks apart.
//!
//! Every socket here names its interface (127.0.0.1) and sends with TTL 1: nothing
//! the grader sends can leave the machine, whatever the routing table says. Listeners
//! read on a thread of their own from the moment they join, with a large buffer, so a
//! burst is never lost on the grader's side.
//!
//! Why multicast checks are kept apart: a subscriber bound to 0.0.0.0:P receives every
//! group that any socket on the host joined on port P, and a student's server may
//! choose any topic port, the same as a port of another check. Checks that ran side by
//! side could then hear each other. In the run's private network each multicast check
//! therefore gets a network namespace of its own ([`netns::isolate_thread`]): its
//! programs, sockets and routes are its alone, and all run at once. On the machine's
//! loopback (no namespaces) they take turns instead: each check says what it runs
//! ([`Share`]), and only checks that cannot disturb each other run at once: those
//! where only the grader subscribes (its sockets bind the group's address, and hear
//! nothing else), or those where the grader chose every group and port (it plays the
//! server: ports handed out once per run); any other check, or one that changes the
//! routes, runs alone. Checks that use no multicast run on meanwhile.

use std::collections::HashSet;
use std::io;
use std::net::{Ipv4Addr, SocketAddrV4, UdpSocket};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, OnceLock};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use socket2::{Domain, Protocol, Socket, Type};

use crate::deadline::Timeouts;
use crate::harness::Harness;
use crate::netns::{self, Mode};
use crate::outcome::Failure;
use crate::transcript::{escape, EventKind, Transcript};

/// The interface every multicast socket of the grader names, and the one programs
/// are told to use (their `--iface` default).
pub const IFACE: Ipv4Addr = Ipv4Addr::LOCALHOST;

/// The receive buffer the grader asks for: a burst of 500 small datagrams is a few
/// hundred KiB in the kernel.
const RECV_BUFFER: usize = 8 << 20;

/// Datagrams of one listener shown one by one in the transcript; the rest are counted.
const SHOWN_DATAGRAMS: usize = 30;

static PROBE: OnceLock<Result<(), String>> = OnceLock::new();

/// What a multicast check runs, which decides what may run beside it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Share {
    /// Student programs subscribe to groups and ports a student's server chose, or
    /// the check changes the routes: it runs alone.
    Alone,
    /// A student's server, and only the grader subscribes.
    ServerWithGraderListeners,
    /// The grader chose every group and port: it plays the server (its ports are
    /// handed out once per run, its groups from [`Multicast::group_base`]).
    GraderChosen,
}

/// Which kind of check holds multicast now, and how many of them.
static TURNS: Mutex<(Option<Share>, usize)> = Mutex::new((None, 0));
static TURN_FREED: Condvar = Condvar::new();

/// A check's turn at multicast; the next may enter when it is dropped.
struct Turn;

impl Turn {
    /// Waits until no check runs that `share` could disturb (or be disturbed by). Each
    /// holder is a check with deadlines of its own, so the wait ends.
    fn take(share: Share) -> Turn {
        let mut turns = TURNS.lock().unwrap_or_else(|e| e.into_inner());
        loop {
            let free = match turns.0 {
                None => true,
                Some(held) => held == share && share != Share::Alone,
            };
            if free {
                turns.0 = Some(share);
                turns.1 += 1;
                return Turn;
            }
            turns = TURN_FREED.wait(turns).unwrap_or_else(|e| e.into_inner());
        }
    }
}

impl Drop for Turn {
    fn drop(&mut self) {
        let mut turns = TURNS.lock().unwrap_or_else(|e| e.into_inner());
        turns.1 -= 1;
        if turns.1 == 0 {
            turns.0 = None;
        }
        TURN_FREED.notify_all();
    }
}

/// A multicast check's access to multicast: held for the whole check (see the module
/// documentation). Create it first in a check, so that it is dropped last.
pub struct Multicast {
    transcript: Transcript,
    share: Share,
    /// In the private network: the check's own namespace, so it takes no turn. The
    /// check made this first, so its programs and sockets are gone when it goes.
    _namespace: Option<netns::ThreadNamespace>,
    /// On the machine's loopback: the check's turn.
    _turn: Option<Turn>,
}

impl Harness {
    /// Waits for this check's turn at multicast (see [`Share`]), and makes sure
    /// multicast is delivered on this machine (probed once per run): where it is not,
    /// the check is reported as skipped with the reason and the fix, never as the
    /// student's failure.
    pub fn multicast(&self, share: Share) -> Result<Multicast, Failure> {
        let transcript = self.transcript_handle();
        let timeouts = self.timeouts();
        let probe = PROBE.get_or_init(|| probe(timeouts));
        if let Err(reason) = probe {
            return Err(Failure::skip(format!("multicast is not delivered on this machine: {reason}")).with_hint(
                "not your program's fault. Fix: run the grader on Linux as root, or where unprivileged user namespaces are allowed, so that it uses a private network; or route multicast to loopback: sudo ip route add 224.0.0.0/4 dev lo",
            ));
        }
        // In the private network, a namespace of the check's own: nothing to share, no
        // turn to wait for. Where one cannot be made (a limit on namespaces, say), or on
        // loopback, the check takes its turn.
        let namespace = match netns::mode() {
            Mode::Private => netns::isolate_thread()
                .map_err(|why| {
                    transcript.note(format!("{why}: this check takes its turn in the run's private network"))
                })
                .ok(),
            Mode::Loopback => {
                transcript.note("multicast runs on this machine's loopback (no private network here)");
                None
            }
        };
        let turn = namespace.is_none().then(|| Turn::take(share));
        Ok(Multicast { transcript, share, _namespace: namespace, _turn: turn })
    }
}

impl Multicast {
    /// A fresh block of 255 groups for one server (`--group-base`): `239.X.Y.1`, in the
    /// organization-local scope, never handed out twice in a run.
    pub fn group_base(&self) -> Ipv4Addr {
        allocate_base()
    }

    /// The grader's own subscriber: joins `group` on 127.0.0.1 and listens on `port`.
    pub fn listen(&self, group: Ipv4Addr, port: u16, label: &str) -> Result<Listener, Failure> {
        Listener::join(group, port, format!("grader's subscriber {label}"), self.transcript.clone())
    }

    /// The grader's own sender: interface 127.0.0.1, TTL 1, loopback delivery on.
    pub fn sender(&self) -> Result<Sender, Failure> {
        Sender::new(self.transcript.clone())
    }

    /// Removes the route that sends multicast to loopback, until the guard is
    /// dropped: then only a program that names its interface can send or join. In the
    /// loopback fallback the machine's own routing is left as it is (multicast without
    /// an interface follows the default route there, away from loopback).
    pub fn without_route(&self) -> Result<RouteGuard, Failure> {
        if self.share != Share::Alone {
            return Err(Failure::grader("a check that changes the routes must take its multicast turn alone"));
        }
        match netns::mode() {
            Mode::Private => {
                // The check's own namespace: no other check sees the route go.
                netns::set_multicast_route(false).map_err(Failure::grader)?;
                self.transcript.note("the private network has no multicast route now: only sockets that name their interface (127.0.0.1) work");
                Ok(RouteGuard { removed: true })
            }
            Mode::Loopback => {
                self.transcript.note(
                    "this machine's routing decides where multicast without an interface goes (not loopback, usually)",
                );
                Ok(RouteGuard { removed: false })
            }
        }
    }
}

/// Puts the multicast route back when dropped.
pub struct RouteGuard {
    removed: bool,
}

impl Drop for RouteGuard {
    fn drop(&mut self) {
        if self.removed {
            let _ = netns::set_multicast_route(true);
        }
    }
}

struct Bases {
    next: u32,
    handed_out: HashSet<u32>,
}

static BASES: Mutex<Option<Bases>> = Mutex::new(None);

/// 239.192.0.0/14 holds 1024 blocks of 256 addresses; a random start keeps two runs
/// on one machine (the loopback fallback) apart.
fn allocate_base() -> Ipv4Addr {
    const BLOCKS: u32 = 1024;
    let mut guard = BASES.lock().unwrap_or_else(|e| e.into_inner());
    let bases = guard.get_or_insert_with(|| Bases { next: fastrand::u32(..BLOCKS), handed_out: HashSet::new() });
    if bases.handed_out.len() as u32 >= BLOCKS {
        bases.handed_out.clear();
    }
    while bases.handed_out.contains(&bases.next) {
        bases.next = (bases.next + 1) % BLOCKS;
    }
    let block = bases.next;
    bases.handed_out.insert(block);
    bases.next = (block + 1) % BLOCKS;
    Ipv4Addr::new(239, 192 + (block / 256) as u8, (block % 256) as u8, 1)
}

/// Whether `group` lies in the block of 256 addresses that starts at `base`.
pub fn in_block(base: Ipv4Addr, group: Ipv4Addr) -> bool {
    let (b, g) = (u32::from(base), u32::from(group));
    g >= b && g - b < 256
}

/// Sends one datagram to a group of the grader's own and waits for it.
fn probe(timeouts: Timeouts) -> Result<(), String> {
    let transcript = Transcript::default();
    let group = allocate_base();
    let port = crate::ports::free_port().map_err(|e| format!("no free port for the probe: {e}"))?;
    let listener = Listener::join(group, port, "probe".into(), transcript.clone()).map_err(|f| f.summary)?;
    let sender = Sender::new(transcript).map_err(|f| f.summary)?;
    let deadline = Instant::now() + timeouts.io;
    // Resent every few hundred milliseconds: the probe asks whether delivery works,
    // not whether the first datagram made it.
    while Instant::now() < deadline {
        sender.send(group, port, b"probe").map_err(|f| f.summary)?;
        if listener.wait_for(1, Instant::now() + Duration::from_millis(300)) {
            return Ok(());
        }
    }
    Err(format!("a datagram the grader sent to {group}:{port} on 127.0.0.1 never came back"))
}

/// One datagram a [`Listener`] received.
#[derive(Clone, Debug)]
pub struct Datagram {
    /// Its payload.
    pub bytes: Vec<u8>,
    /// The IP time-to-live it arrived with (Linux only).
    pub ttl: Option<u8>,
}

impl Datagram {
    /// Its payload as text (invalid UTF-8 replaced).
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.bytes).into_owned()
    }
}

type Inbox = Arc<(Mutex<Vec<Datagram>>, Condvar)>;

/// The grader's subscriber to one group and port; it stops listening when dropped.
pub struct Listener {
    label: String,
    inbox: Inbox,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Listener {
    fn join(group: Ipv4Addr, port: u16, label: String, transcript: Transcript) -> Result<Listener, Failure> {
        let label = format!("{label} {group}:{port}");
        let socket = open_listener(group, port).map_err(|e| {
            if e.kind() == io::ErrorKind::AddrInUse {
                // Only a socket without SO_REUSEADDR can keep the grader out.
                Failure::mismatch(format!("the grader cannot listen on {group}:{port}: a program holds that port alone"))
                    .detail(format!("the error was: {e}"))
                    .with_hint("every socket that binds a topic's port must set SO_REUSEADDR before bind(), so that all the subscribers on one machine can share it; a server needs no socket on that port at all")
            } else {
                Failure::grader(format!("the grader cannot join {group}:{port} on 127.0.0.1: {e}"))
            }
        })?;
        transcript.note(format!("[{label}] joined on 127.0.0.1"));
        let inbox: Inbox = Arc::default();
        let stop = Arc::new(AtomicBool::new(false));
        let thread = {
            let (inbox, stop, label) = (inbox.clone(), stop.clone(), label.clone());
            std::thread::spawn(move || read_loop(socket, inbox, stop, label, transcript))
        };
        Ok(Listener { label, inbox, stop, thread: Some(thread) })
    }

    /// Its name in the transcript: `grader's subscriber NAME GROUP:PORT`.
    pub fn label(&self) -> &str {
        &self.label
    }

    /// Every datagram received so far.
    pub fn datagrams(&self) -> Vec<Datagram> {
        self.inbox.0.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// How many datagrams it has received so far.
    pub fn count(&self) -> usize {
        self.inbox.0.lock().unwrap_or_else(|e| e.into_inner()).len()
    }

    /// Waits until at least `n` datagrams have arrived; returns whether they did.
    pub fn wait_for(&self, n: usize, deadline: Instant) -> bool {
        let (lock, cond) = &*self.inbox;
        let mut got = lock.lock().unwrap_or_else(|e| e.into_inner());
        while got.len() < n {
            let now = Instant::now();
            if now >= deadline {
                return false;
            }
            got = cond.wait_timeout(got, deadline - now).unwrap_or_else(|e| e.into_inner()).0;
        }
        true
    }
}

impl Drop for Listener {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn open_listener(group: Ipv4Addr, port: u16) -> io::Result<Socket> {
    let socket = Socket::new(Domain::IPV4, Type::DGRAM, Some(Protocol::UDP))?;
    socket.set_reuse_address(true)?;
    set_large_buffer(&socket);
    // Bound to the group's address, the socket gets only that group's datagrams, even
    // where another socket of the machine joined other groups on the same port.
    socket.bind(&SocketAddrV4::new(group, port).into())?;
    socket.join_multicast_v4(&group, &IFACE)?;
    #[cfg(target_os = "linux")]
    {
        let _ = socket.set_multicast_all_v4(false);
        let on: libc::c_int = 1;
        // SAFETY: setsockopt with a pointer to a c_int we own, and its size.
        unsafe {
            libc::setsockopt(
                std::os::fd::AsRawFd::as_raw_fd(&socket),
                libc::IPPROTO_IP,
                libc::IP_RECVTTL,
                &on as *const libc::c_int as *const libc::c_void,
                std::mem::size_of::<libc::c_int>() as libc::socklen_t,
            );
        }
    }
    // A short read timeout lets the reading thread notice that it should stop.
    socket.set_read_timeout(Some(Duration::from_millis(20)))?;
    Ok(socket)
}

/// A receive buffer big enough for any burst a check sends: forced past the system's
/// maximum where the grader may (inside its namespace), else as big as allowed.
fn set_large_buffer(socket: &Socket) {
    #[cfg(target_os = "linux")]
    {
        let size = RECV_BUFFER as libc::c_int;
        // SAFETY: setsockopt with a pointer to a c_int we own, and its size.
        let forced = unsafe {
            libc::setsockopt(
                std::os::fd::AsRawFd::as_raw_fd(socket),
                libc::SOL_SOCKET,
                libc::SO_RCVBUFFORCE,
                &size as *const libc::c_int as *const libc::c_void,
                std::mem::size_of::<libc::c_int>() as libc::socklen_t,
            )
        };
        if forced == 0 {
            return;
        }
    }
    let _ = socket.set_recv_buffer_size(RECV_BUFFER);
}

fn read_loop(socket: Socket, inbox: Inbox, stop: Arc<AtomicBool>, label: String, transcript: Transcript) {
    let mut buf = vec![0u8; 65_536];
    let mut shown = 0;
    while !stop.load(Ordering::SeqCst) {
        match receive(&socket, &mut buf) {
            Ok((n, ttl)) => {
                let datagram = Datagram { bytes: buf[..n].to_vec(), ttl };
                if shown < SHOWN_DATAGRAMS {
                    transcript.push(EventKind::Received, format!("[{label}] {}", escape(&datagram.bytes)));
                } else if shown == SHOWN_DATAGRAMS {
                    transcript.note(format!("[{label}] further datagrams are counted, not shown"));
                }
                shown += 1;
                let (lock, cond) = &*inbox;
                lock.lock().unwrap_or_else(|e| e.into_inner()).push(datagram);
                cond.notify_all();
            }
            Err(e) if matches!(e.kind(), io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut) => {}
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => {
                transcript.note(format!("[{label}] stopped listening: {e}"));
                return;
            }
        }
    }
}

/// One datagram and (on Linux) the TTL it arrived with.
#[cfg(target_os = "linux")]
fn receive(socket: &Socket, buf: &mut [u8]) -> io::Result<(usize, Option<u8>)> {
    use std::os::fd::AsRawFd;
    // SAFETY: recvmsg writes into the buffers described by msghdr, all of which we own
    // and which outlive the call; the control messages are read with the CMSG macros
    // within the length the kernel reported.
    unsafe {
        let mut iov = libc::iovec { iov_base: buf.as_mut_ptr() as *mut libc::c_void, iov_len: buf.len() };
        let mut control = [0u64; 16];
        let mut msg: libc::msghdr = std::mem::zeroed();
        msg.msg_iov = &mut iov;
        msg.msg_iovlen = 1;
        msg.msg_control = control.as_mut_ptr() as *mut libc::c_void;
        msg.msg_controllen = std::mem::size_of_val(&control) as _;
        let n = libc::recvmsg(socket.as_raw_fd(), &mut msg, 0);
        if n < 0 {
            return Err(io::Error::last_os_error());
        }
        let mut ttl = None;
        let mut cmsg = libc::CMSG_FIRSTHDR(&msg);
        while !cmsg.is_null() {
            if (*cmsg).cmsg_level == libc::IPPROTO_IP && (*cmsg).cmsg_type == libc::IP_TTL {
                let value = std::ptr::read_unaligned(libc::CMSG_DATA(cmsg) as *const libc::c_int);
                ttl = u8::try_from(value).ok();
            }
            cmsg = libc::CMSG_NXTHDR(&msg, cmsg);
        }
        Ok((n as usize, ttl))
    }
}

#[cfg(not(target_os = "linux"))]
fn receive(socket: &Socket, buf: &mut [u8]) -> io::Result<(usize, Option<u8>)> {
    // SAFETY: u8 and MaybeUninit<u8> have the same layout; recv only writes.
    let uninit = unsafe { &mut *(buf as *mut [u8] as *mut [std::mem::MaybeUninit<u8>]) };
    Ok((socket.recv(uninit)?, None))
}

/// The grader's multicast sender.
pub struct Sender {
    socket: UdpSocket,
    transcript: Transcript,
}

impl Sender {
    fn new(transcript: Transcript) -> Result<Sender, Failure> {
        let open = || -> io::Result<UdpSocket> {
            let socket = Socket::new(Domain::IPV4, Type::DGRAM, Some(Protocol::UDP))?;
            socket.set_multicast_if_v4(&IFACE)?;
            socket.set_multicast_ttl_v4(1)?;
            socket.set_multicast_loop_v4(true)?;
            socket.bind(&SocketAddrV4::new(IFACE, 0).into())?;
            Ok(socket.into())
        };
        let socket =
            open().map_err(|e| Failure::grader(format!("the grader cannot open its multicast sender: {e}")))?;
        Ok(Sender { socket, transcript })
    }

    /// Sends one datagram to `group:port`.
    pub fn send(&self, group: Ipv4Addr, port: u16, data: &[u8]) -> Result<(), Failure> {
        self.transcript.push(EventKind::Sent, format!("[grader to {group}:{port}] {}", escape(data)));
        self.socket
            .send_to(data, SocketAddrV4::new(group, port))
            .map(|_| ())
            .map_err(|e| Failure::grader(format!("the grader cannot send to {group}:{port}: {e}")))
    }
}
