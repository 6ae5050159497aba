//! A private network for a grading run: a Linux network namespace of its own, where
//! loopback is the only interface, multicast is routed to it, and nothing a program
//! under test sends can reach any other network.
//!
//! Entering a namespace must happen before the process has a second thread (a user
//! namespace demands it), so the grader enters it at the very top of `main`, in a child
//! grader started for that purpose (see `grader/src/inner.rs`). Everything Linux-specific
//! is in this file; elsewhere [`enter`] says why it is unavailable, and the run falls back
//! to plain loopback with every multicast socket naming 127.0.0.1.

/// The multicast range, routed to loopback inside the namespace.
pub const MULTICAST_NET: (std::net::Ipv4Addr, u8) = (std::net::Ipv4Addr::new(224, 0, 0, 0), 4);

/// The network the checks of this process run in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// A network namespace of this run alone: loopback only, multicast routed to it.
    Private,
    /// The machine's own network, used through loopback only.
    Loopback,
}

static MODE: std::sync::OnceLock<Mode> = std::sync::OnceLock::new();

/// The network this process's checks run in: [`Mode::Private`] once [`enter`] has
/// succeeded, [`Mode::Loopback`] until then (and for good where it fails).
pub fn mode() -> Mode {
    MODE.get().copied().unwrap_or(Mode::Loopback)
}

/// Moves this (still with one thread) process into a new network namespace: `lo` up
/// and 224.0.0.0/4 routed to it. As root only a network namespace is made; otherwise a
/// user namespace too, mapping the user to itself, which unprivileged users may do
/// where the system allows it. A mount namespace comes with it, private to this
/// process, where the sandbox mounts the programs' size-capped folders (they vanish
/// with it, however the process ends). On error the process may be left in a
/// namespace that is not usable: the caller must then not run any check in it.
pub fn enter() -> Result<(), String> {
    if crate::platform::portable() {
        return Err(crate::platform::lacks("network namespaces"));
    }
    imp::enter()?;
    let _ = MODE.set(Mode::Private);
    Ok(())
}

/// Adds (`true`) or removes the multicast route of the namespace. Only inside the
/// namespace: a check uses it to see that a program names its interface instead of
/// relying on the routing table.
pub fn set_multicast_route(present: bool) -> Result<(), String> {
    imp::set_multicast_route(present)
}

/// Moves the calling thread (only it: a network namespace is per thread) into a fresh
/// network namespace of its own, set up like the run's (`lo` up, multicast routed to
/// it), until the guard is dropped. Programs it starts, and threads and sockets it
/// makes, are in that namespace: a multicast check run so cannot hear, or disturb,
/// any other check, so such checks need not take turns. Only inside the run's private
/// namespace, where the grader holds the privileges this needs.
pub fn isolate_thread() -> Result<ThreadNamespace, String> {
    if crate::platform::portable() {
        return Err(crate::platform::lacks("network namespaces"));
    }
    imp::isolate_thread()
}

/// A thread's own namespace; dropping it moves the thread back to the one it was in.
pub struct ThreadNamespace {
    #[cfg_attr(not(target_os = "linux"), allow(dead_code))]
    previous: std::fs::File,
}

impl Drop for ThreadNamespace {
    fn drop(&mut self) {
        imp::return_to(&self.previous);
    }
}

/// Asks the kernel to send SIGTERM to this process when its parent exits, so a child
/// grader never outlives the grader that started it.
pub fn die_with_parent() {
    imp::die_with_parent();
}

/// Whether the checks may run in a private network here at all: not in the portable
/// mode, which then runs them on loopback without starting a child grader to try.
pub fn possible() -> Result<(), String> {
    if crate::platform::portable() {
        return Err(crate::platform::lacks("network namespaces"));
    }
    Ok(())
}

#[cfg(target_os = "linux")]
mod imp {
    use std::ffi::CStr;
    use std::io;
    use std::net::Ipv4Addr;

    use super::MULTICAST_NET;

    pub fn enter() -> Result<(), String> {
        // SAFETY: plain system calls with no pointers.
        let (uid, gid) = unsafe { (libc::geteuid(), libc::getegid()) };
        let flags = libc::CLONE_NEWNET | libc::CLONE_NEWNS;
        let flags = if uid == 0 { flags } else { flags | libc::CLONE_NEWUSER };
        // SAFETY: unshare takes flags only; the caller guarantees a single thread.
        if unsafe { libc::unshare(flags) } != 0 {
            let e = io::Error::last_os_error();
            return Err(if uid == 0 {
                format!("cannot create a network namespace: {e}")
            } else {
                format!("cannot create a user and network namespace as an unprivileged user: {e}")
            });
        }
        if uid != 0 {
            // Inside the new user namespace we are unmapped until these are written;
            // setgroups must be denied before an unprivileged process may map its gid.
            let write = |file: &str, text: String| {
                std::fs::write(file, text).map_err(|e| format!("cannot write {file} in the new user namespace: {e}"))
            };
            write("/proc/self/setgroups", "deny".to_string())?;
            write("/proc/self/uid_map", format!("{uid} {uid} 1"))?;
            write("/proc/self/gid_map", format!("{gid} {gid} 1"))?;
        }
        // Mounts made here must stay here: no propagation back to the machine's.
        nix::mount::mount(
            None::<&str>,
            "/",
            None::<&str>,
            nix::mount::MsFlags::MS_REC | nix::mount::MsFlags::MS_PRIVATE,
            None::<&str>,
        )
        .map_err(|e| format!("cannot make the new mount namespace private: {e}"))?;
        // A namespace we did not make (or a kernel that ignored the request) would show
        // the machine's interfaces: never run checks there as if it were private.
        let others = interfaces_but_lo();
        if !others.is_empty() {
            return Err(format!("the new network namespace has other interfaces than lo: {}", others.join(", ")));
        }
        set_up("the new namespace")
    }

    /// `lo` up and multicast routed to it, in the namespace this thread is in (`place`
    /// names it in an error).
    fn set_up(place: &str) -> Result<(), String> {
        loopback_up().map_err(|e| format!("cannot bring up lo in {place}: {e}"))?;
        route(libc::SIOCADDRT).map_err(|e| format!("cannot route multicast to lo in {place}: {e}"))
    }

    /// The network interfaces this process sees, but lo (from /proc/self/net/dev).
    fn interfaces_but_lo() -> Vec<String> {
        let dev = std::fs::read_to_string("/proc/self/net/dev").unwrap_or_default();
        dev.lines()
            .skip(2)
            .filter_map(|line| line.split(':').next())
            .map(|name| name.trim().to_string())
            .filter(|name| !name.is_empty() && name != "lo")
            .collect()
    }

    pub fn set_multicast_route(present: bool) -> Result<(), String> {
        let (request, what) = if present { (libc::SIOCADDRT, "add") } else { (libc::SIOCDELRT, "remove") };
        match route(request) {
            Ok(()) => Ok(()),
            // Adding a route that is there, or removing one that is not, is done.
            Err(e) if present && e.raw_os_error() == Some(libc::EEXIST) => Ok(()),
            Err(e) if !present && e.raw_os_error() == Some(libc::ESRCH) => Ok(()),
            Err(e) => Err(format!("cannot {what} the route 224.0.0.0/4 dev lo: {e}")),
        }
    }

    pub fn isolate_thread() -> Result<super::ThreadNamespace, String> {
        let previous = std::fs::File::open("/proc/thread-self/ns/net")
            .map_err(|e| format!("cannot open this thread's network namespace: {e}"))?;
        // SAFETY: unshare takes flags only; a network namespace may be unshared by one
        // thread of many (only a user namespace needs a single thread).
        if unsafe { libc::unshare(libc::CLONE_NEWNET) } != 0 {
            return Err(format!("cannot create a network namespace for a check: {}", io::Error::last_os_error()));
        }
        // Dropped on an error below: the thread goes back to where it was.
        let guard = super::ThreadNamespace { previous };
        set_up("the check's namespace")?;
        Ok(guard)
    }

    pub fn return_to(previous: &std::fs::File) {
        use std::os::fd::AsRawFd;
        // SAFETY: setns with a namespace descriptor we own. It cannot fail for a
        // namespace this thread was just in; if it did, the thread would stay in an
        // empty namespace of its own, where later checks still work.
        unsafe { libc::setns(previous.as_raw_fd(), libc::CLONE_NEWNET) };
    }

    pub fn die_with_parent() {
        // SAFETY: prctl with integer arguments only.
        unsafe {
            libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGTERM as libc::c_ulong);
        }
    }

    /// A socket to hand to the interface and routing ioctls.
    struct ControlSocket(libc::c_int);

    impl ControlSocket {
        fn new() -> io::Result<ControlSocket> {
            // SAFETY: socket() with constant arguments; the fd is closed on drop.
            let fd = unsafe { libc::socket(libc::AF_INET, libc::SOCK_DGRAM | libc::SOCK_CLOEXEC, 0) };
            if fd < 0 {
                return Err(io::Error::last_os_error());
            }
            Ok(ControlSocket(fd))
        }
    }

    impl Drop for ControlSocket {
        fn drop(&mut self) {
            // SAFETY: our own fd, closed once.
            unsafe { libc::close(self.0) };
        }
    }

    const LO: &CStr = c"lo";

    /// `ip link set lo up`, without needing the `ip` program.
    fn loopback_up() -> io::Result<()> {
        let socket = ControlSocket::new()?;
        // SAFETY: ifreq is plain data; zeroed is a valid value. The name fits (3 bytes).
        let mut request: libc::ifreq = unsafe { std::mem::zeroed() };
        for (slot, &byte) in request.ifr_name.iter_mut().zip(LO.to_bytes_with_nul()) {
            *slot = byte as libc::c_char;
        }
        // SAFETY: SIOCGIFFLAGS/SIOCSIFFLAGS read and write the ifreq we own.
        unsafe {
            if libc::ioctl(socket.0, libc::SIOCGIFFLAGS as _, &mut request) != 0 {
                return Err(io::Error::last_os_error());
            }
            request.ifr_ifru.ifru_flags |= (libc::IFF_UP | libc::IFF_RUNNING) as libc::c_short;
            if libc::ioctl(socket.0, libc::SIOCSIFFLAGS as _, &request) != 0 {
                return Err(io::Error::last_os_error());
            }
        }
        Ok(())
    }

    fn sockaddr_v4(ip: Ipv4Addr) -> libc::sockaddr {
        let sin = libc::sockaddr_in {
            sin_family: libc::AF_INET as libc::sa_family_t,
            sin_port: 0,
            sin_addr: libc::in_addr { s_addr: u32::from(ip).to_be() },
            sin_zero: [0; 8],
        };
        // SAFETY: sockaddr_in and sockaddr have the same size on Linux; this is the
        // conversion the routing ioctl expects.
        unsafe { std::mem::transmute::<libc::sockaddr_in, libc::sockaddr>(sin) }
    }

    /// `ip route add|del 224.0.0.0/4 dev lo` through the routing ioctl.
    fn route(request: libc::c_ulong) -> io::Result<()> {
        let socket = ControlSocket::new()?;
        let (net, prefix) = MULTICAST_NET;
        let mask = Ipv4Addr::from(u32::MAX << (32 - prefix));
        let mut device = LO.to_bytes_with_nul().to_vec();
        // SAFETY: rtentry is plain data (with a pointer to the device name, which
        // outlives the call); zeroed is a valid value.
        let mut entry: libc::rtentry = unsafe { std::mem::zeroed() };
        entry.rt_dst = sockaddr_v4(net);
        entry.rt_genmask = sockaddr_v4(mask);
        entry.rt_flags = libc::RTF_UP;
        entry.rt_dev = device.as_mut_ptr() as *mut libc::c_char;
        // SAFETY: the ioctl reads the rtentry we own.
        if unsafe { libc::ioctl(socket.0, request as _, &entry) } != 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(())
    }
}

#[cfg(not(target_os = "linux"))]
mod imp {
    pub fn enter() -> Result<(), String> {
        Err(crate::platform::lacks("network namespaces"))
    }

    pub fn set_multicast_route(_present: bool) -> Result<(), String> {
        Err(crate::platform::lacks("network namespaces"))
    }

    pub fn isolate_thread() -> Result<super::ThreadNamespace, String> {
        Err(crate::platform::lacks("network namespaces"))
    }

    pub fn return_to(_previous: &std::fs::File) {}

    pub fn die_with_parent() {}
}
