//! Keeping every process a program starts within reach: the ones that left its
//! process group (setsid) and the ones that fork without end.
//!
//! A process group is not a container: a child may call setsid() and be in a group of
//! its own, still holding the port. So each program also gets a *jail*, which is
//!
//! - a cgroup of its own (sandbox/cgroup.rs), where the machine has a writable one:
//!   every descendant is in it whatever it does with sessions, `pids.max` stops a fork
//!   bomb at the `nproc` limit (RLIMIT_NPROC would not: it is per user, and root is
//!   exempt from it), and its memory limit holds;
//! - otherwise a tag in its environment (`SOCKET_LABS_RUN`), inherited by every
//!   descendant that does not clear its environment, plus RLIMIT_NPROC for users other
//!   than root (set to the user's current number of tasks plus `nproc`, since that
//!   limit counts all of the user's tasks). Root without the cgroup has no process limit;
//!   the report's notes say so.
//!
//! In the portable mode (macOS, or `SOCKET_LABS_PORTABLE=1`) there is no cgroup and no
//! subreaper: the tag is read through `ps` (proctable.rs), RLIMIT_NPROC limits a user
//! other than root, and an orphan goes to init.
//!
//! What becomes of a process whose parent died (the grader reaps it) is reaper.rs's.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use crate::deadline::poll_until;
use crate::limits::Limits;
use crate::platform::is_root;
use crate::proctable;
use crate::reaper::reap_orphans;
use crate::sandbox::cgroup::{self, Cgroup};

/// The environment variable that tags every process of one program.
pub const TAG_VAR: &str = "SOCKET_LABS_RUN";

/// How the process limit is enforced on this machine.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProcessLimit {
    /// The program's cgroup: `pids.max`.
    Cgroup,
    /// RLIMIT_NPROC, set in the child (a user other than root, without the cgroup).
    Rlimit,
    /// Neither: root without a cgroup (the report's notes say so).
    None,
}

/// How this machine limits processes, found once.
pub fn process_limit() -> ProcessLimit {
    if cgroup::hierarchies().counts_processes() {
        ProcessLimit::Cgroup
    } else if is_root() {
        ProcessLimit::None
    } else {
        ProcessLimit::Rlimit
    }
}

/// Where one program's processes are tracked; cheap to clone.
#[derive(Clone, Debug)]
pub struct Jail {
    tag: String,
    cgroup: Option<Cgroup>,
    /// RLIMIT_NPROC to set in the child, where there is no cgroup and it helps.
    nproc_rlimit: Option<u64>,
}

impl Jail {
    /// A new jail; with `limits`, a cgroup (where possible) capped at their `processes`.
    pub fn new(limits: Option<&Limits>) -> std::io::Result<Jail> {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let tag = format!("{}-{}", std::process::id(), NEXT.fetch_add(1, Ordering::SeqCst));
        let mut jail = Jail { tag, cgroup: None, nproc_rlimit: None };
        if let Some(limits) = limits {
            let found = cgroup::hierarchies();
            // The whole run's processes are capped too, whatever the number of checks at
            // once: twice one program's limit, so that one program at its limit leaves
            // room for the rest.
            static RUN_LIMIT: std::sync::Once = std::sync::Once::new();
            RUN_LIMIT.call_once(|| cgroup::set_run_processes(limits.processes.saturating_mul(2)));
            if found.counts_processes() || found.limits_memory() {
                jail.cgroup = Some(found.create(limits.processes, limits.memory)?);
            }
            if process_limit() == ProcessLimit::Rlimit {
                jail.nproc_rlimit = Some(proctable::user_tasks().saturating_add(limits.processes));
            }
        }
        Ok(jail)
    }

    /// The tag's environment variable and value.
    pub fn env(&self) -> (&'static str, &str) {
        (TAG_VAR, &self.tag)
    }

    /// What the child must do between fork and exec: join the cgroup, or set
    /// RLIMIT_NPROC. Everything that allocates is done here, before the fork.
    pub fn pre_exec(&self) -> impl Fn() -> std::io::Result<()> + Send + Sync + 'static {
        let procs: Vec<std::ffi::CString> = self
            .cgroup
            .iter()
            .flat_map(Cgroup::procs_files)
            .map(|file| std::ffi::CString::new(file.into_os_string().into_encoded_bytes()).expect("no NUL"))
            .collect();
        let nproc = self.nproc_rlimit;
        move || {
            for path in &procs {
                // SAFETY: open/write/close are async-signal-safe; `path` is a valid C
                // string made before the fork. Writing 0 moves the writing process.
                unsafe {
                    let fd = libc::open(path.as_ptr(), libc::O_WRONLY | libc::O_CLOEXEC);
                    if fd < 0 {
                        return Err(std::io::Error::last_os_error());
                    }
                    let written = libc::write(fd, b"0".as_ptr().cast(), 1);
                    let error = std::io::Error::last_os_error();
                    libc::close(fd);
                    if written != 1 {
                        return Err(error);
                    }
                }
            }
            if let Some(n) = nproc {
                let limit = libc::rlimit { rlim_cur: n as libc::rlim_t, rlim_max: n as libc::rlim_t };
                // SAFETY: a plain system call on a stack value. Failure (a hard limit
                // below n) leaves the limit as it was, which is lower: fine.
                unsafe { libc::setrlimit(libc::RLIMIT_NPROC, &limit) };
            }
            Ok(())
        }
    }

    /// The processes in the jail now, zombies included where the tracking shows them.
    pub fn members(&self) -> Vec<u32> {
        match &self.cgroup {
            Some(group) => group.procs(),
            None => proctable::tagged(TAG_VAR, &self.tag),
        }
    }

    /// The processes of process group `pgid` in this jail. With a cgroup, only the
    /// cgroup's few members are read, not every process of the machine: every process
    /// the program starts is in its cgroup, so that is where its group is.
    pub fn group_members(&self, pgid: u32) -> Vec<crate::proctable::Member> {
        match &self.cgroup {
            Some(group) => crate::proctable::members_among(pgid, group.procs()),
            None => crate::proctable::members(pgid),
        }
    }

    /// How many forks (or thread starts) the process limit refused, if known.
    pub fn refused_forks(&self) -> u64 {
        self.cgroup.as_ref().map(Cgroup::refused_forks).unwrap_or(0)
    }

    /// How many of its processes the kernel killed at its memory limit.
    pub fn oom_kills(&self) -> u64 {
        self.cgroup.as_ref().map(Cgroup::oom_kills).unwrap_or(0)
    }

    /// Kills every process in the jail but `leader` (whose process group, numbered
    /// like it, the caller killed, and whose status a thread of process.rs reaps), and
    /// reaps those that came to this subreaper, until none is left or `deadline`.
    /// Returns the pids of those that had left the leader's process group.
    pub fn kill_all(&self, leader: u32, deadline: Instant) -> Vec<u32> {
        let mut escaped = Vec::new();
        poll_until(deadline, || {
            let mut alive = false;
            for (pid, state, group) in proctable::states(&self.members()) {
                if pid == leader || state == 'Z' || state == 'X' {
                    continue;
                }
                alive = true;
                // SAFETY: kill with a pid and a signal number.
                unsafe { libc::kill(pid as libc::pid_t, libc::SIGKILL) };
                if group != leader && !escaped.contains(&pid) {
                    escaped.push(pid);
                }
            }
            (!alive).then_some(())
        });
        reap_orphans();
        escaped
    }

    /// Removes the cgroup once it is empty (bounded wait: a killed process takes a
    /// moment to leave it; one already removed is done at once).
    pub fn remove(&self) {
        if let Some(group) = &self.cgroup {
            group.remove_until(Instant::now() + Duration::from_secs(2));
        }
    }
}
