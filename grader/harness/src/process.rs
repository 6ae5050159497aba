//! Starting and stopping programs. The only module that spawns processes.
//!
//! Every program runs as the leader of its own process group, in its own fresh
//! temporary directory, with resource limits. Stopping it signals the whole group:
//! SIGTERM, a grace period, then SIGKILL, so children it forked go too. Every running
//! group is also in a process-wide list that the Ctrl-C handler empties, so nothing is
//! left running when the grader is interrupted.
//!
//! A child that left the group (setsid) is still found and killed: each program also
//! has a jail (contain.rs), a pids cgroup or an environment tag, which also caps how
//! many processes it may start. When a program ran into one of its limits, ignored
//! SIGTERM or left processes behind, its transcript says so.

use std::io::{self, Write};
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::Instant;

use nix::sys::resource::{getrlimit, setrlimit, Resource};
use nix::sys::signal::{killpg, Signal};
use nix::unistd::Pid;

use crate::capture::Capture;
use crate::contain::Jail;
use crate::deadline::poll_until;
use crate::proctable;
use crate::reaper;
use crate::sandbox::{self, folder::Folder};
use crate::transcript::Transcript;

pub use crate::limits::Limits;

/// Where a program starts.
pub enum WorkDir {
    /// A new empty temporary directory, removed when the program is stopped.
    Fresh,
    /// An existing directory (cargo, run in the workspace).
    At(PathBuf),
}

/// What to start.
pub struct Spec {
    /// The program to run.
    pub program: String,
    /// Its arguments.
    pub args: Vec<String>,
    /// Where it starts.
    pub dir: WorkDir,
    /// Bytes written to its stdin, which is then closed; `None` gives it no stdin.
    pub stdin: Option<Vec<u8>>,
    /// The name its output lines carry in the transcript, such as `demo-server`.
    pub label: String,
    /// The limits of a program under test. A spec with limits is untrusted: it runs in
    /// the sandbox (sandbox/), with an allow-listed environment; one without (cargo,
    /// the grader's own child) runs as the grader does.
    pub limits: Option<Limits>,
    /// Most bytes of stdout and of stderr kept.
    pub output_cap: usize,
    /// Folders of the grader's the program may write into besides its own.
    pub writable: Vec<PathBuf>,
    /// Folders it may read whole besides what its command line names.
    pub readable: Vec<PathBuf>,
}

type ExitSlot = Arc<(Mutex<Option<ExitStatus>>, Condvar)>;

/// A started program. Dropping it stops its whole process group.
pub struct Process {
    pid: u32,
    dir: Option<Folder>,
    exit: ExitSlot,
    /// Its stdout, captured as it comes.
    pub stdout: Capture,
    /// Its stderr, captured as it comes.
    pub stderr: Capture,
    stopped: bool,
    jail: Jail,
    label: String,
    limits: Option<Limits>,
    transcript: Transcript,
    /// Started through bubblewrap: its own pid is bubblewrap's, not the program's.
    sandboxed: bool,
}

/// What a connection may ask of the program at its other end.
#[derive(Clone)]
pub struct Watch {
    exit: ExitSlot,
    /// Its stderr, captured as it comes.
    pub stderr: Capture,
}

impl Watch {
    /// The exit status, if it has exited (not waiting).
    pub fn exit_status(&self) -> Option<ExitStatus> {
        *self.exit.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The exit status, waiting up to `patience` for it: a connection often sees the
    /// reset of a dying program a moment before its exit is reaped.
    pub fn exit_status_within(&self, patience: std::time::Duration) -> Option<ExitStatus> {
        wait_slot(&self.exit, Instant::now() + patience)
    }

    /// All it wrote to stderr, once it has exited: the pipe may still hold the last
    /// lines when the exit is seen, so wait (briefly) for the pipe to close.
    pub fn final_stderr(&self) -> String {
        self.stderr.wait_closed(Instant::now() + STDERR_PATIENCE);
        self.stderr.text()
    }
}

/// How long to wait for the stderr of an exited program to be fully read; a child it
/// left behind may hold the pipe open, so this is bounded.
const STDERR_PATIENCE: std::time::Duration = std::time::Duration::from_millis(500);

fn wait_slot(slot: &ExitSlot, deadline: Instant) -> Option<ExitStatus> {
    let (lock, cond) = &**slot;
    let mut status = lock.lock().unwrap_or_else(|e| e.into_inner());
    while status.is_none() {
        let now = Instant::now();
        if now >= deadline {
            return None;
        }
        status = cond.wait_timeout(status, deadline - now).unwrap_or_else(|e| e.into_inner()).0;
    }
    *status
}

/// Process groups and temporary directories alive now, for the interrupt handler.
static LIVE: Mutex<Vec<(u32, Option<PathBuf>, Jail)>> = Mutex::new(Vec::new());

/// The processes of process group `pgid`: through its jail when it is one of ours
/// (cheap), else from the whole process table.
pub fn group_members(pgid: u32) -> Vec<proctable::Member> {
    let jail =
        LIVE.lock().unwrap_or_else(|e| e.into_inner()).iter().find(|(pid, _, _)| *pid == pgid).map(|l| l.2.clone());
    match jail {
        Some(jail) => jail.group_members(pgid),
        None => proctable::members(pgid),
    }
}

impl Process {
    /// Starts `spec` as the leader of a process group of its own (in the sandbox when it
    /// has limits), its output relayed into `transcript` line by line.
    pub fn start(spec: Spec, transcript: &Transcript) -> io::Result<Process> {
        let untrusted = spec.limits.is_some();
        let box_ = if untrusted { sandbox::get().ok() } else { None };
        // Root runs the program as an unprivileged uid, which must own its folder.
        let owner = if untrusted { sandbox::owner() } else { None };
        let dir = match &spec.dir {
            WorkDir::Fresh => Some(Folder::create(spec.limits.map(|l| l.disk).unwrap_or(1 << 30), owner)?),
            WorkDir::At(_) => None,
        };
        let cwd: &Path = match (&spec.dir, &dir) {
            (WorkDir::At(path), _) => path,
            (WorkDir::Fresh, Some(folder)) => folder.path(),
            (WorkDir::Fresh, None) => unreachable!("a fresh directory was just made"),
        };
        let jail = Jail::new(spec.limits.as_ref())?;
        let (mut command, filters) = match box_ {
            Some(sandbox) => {
                // Inside, a program that cannot start would look like one that exited
                // with status 1: find out here, as a spawn would.
                preflight(&spec.program)?;
                let tmp_size = spec.limits.map(|l| l.disk).unwrap_or(1 << 30);
                let place = sandbox::Place {
                    program: &spec.program,
                    args: &spec.args,
                    dir: cwd,
                    writable: &spec.writable,
                    readable: &spec.readable,
                    tmp_size,
                };
                let (command, filters) = sandbox.wrap(&place)?;
                (command, Some(filters))
            }
            None => {
                let mut command = Command::new(&spec.program);
                command.args(&spec.args);
                (command, None)
            }
        };
        let (tag, tag_value) = jail.env();
        if untrusted {
            command.env_clear().envs(sandbox::environment(cwd, box_.is_some()));
        }
        command
            .current_dir(cwd)
            .env(tag, tag_value)
            .env_remove("RUST_BACKTRACE")
            .env_remove("RUST_LIB_BACKTRACE")
            .stdin(if spec.stdin.is_some() { Stdio::piped() } else { Stdio::null() })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .process_group(0);
        if let Some(limits) = spec.limits {
            // Without bubblewrap, the grader loads the seccomp filters itself (Linux;
            // the portable mode has none).
            #[cfg(target_os = "linux")]
            let own_filters = match (&filters, crate::platform::portable(), sandbox::seccomp::programs()) {
                (None, false, Ok(programs)) => Some(programs),
                _ => None,
            };
            // SAFETY: between fork and exec only async-signal-safe calls are allowed;
            // dup2, setrlimit, open/write, prctl and seccomp are plain system calls and
            // nothing here allocates.
            unsafe {
                if let Some(filters) = &filters {
                    command.pre_exec(filters.pre_exec());
                }
                let data = data_limit(&limits);
                command.pre_exec(move || apply_limits(&limits, data));
                command.pre_exec(jail.pre_exec());
                #[cfg(target_os = "linux")]
                if let Some(programs) = own_filters {
                    command.pre_exec(move || {
                        // The program dies with the thread of the grader that started it
                        // (bubblewrap's --die-with-parent does this inside the sandbox).
                        libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL as libc::c_ulong);
                        sandbox::seccomp::apply(programs)
                    });
                }
            }
        }
        let sandboxed = filters.is_some();

        // Register before the group can exist, so an interrupt during spawn is covered;
        // the lock is held across the spawn for that reason.
        let mut live = LIVE.lock().unwrap_or_else(|e| e.into_inner());
        if interrupted() {
            jail.remove();
            return Err(io::Error::new(io::ErrorKind::Interrupted, "the grader is stopping"));
        }
        let spawned = reaper::spawn_direct(|| {
            command.spawn().map(|child| {
                let pid = child.id();
                (child, pid)
            })
        });
        let mut child = match spawned {
            Ok(child) => child,
            Err(e) => {
                jail.remove();
                return Err(explain_spawn_error(&spec.program, e));
            }
        };
        let pid = child.id();
        live.push((pid, dir.as_ref().map(|d| d.path().to_path_buf()), jail.clone()));
        drop(live);

        let label = spec.label;
        let cap = spec.output_cap;
        let stdout = Capture::spawn(child.stdout.take().expect("piped"), cap, label.clone(), transcript.clone());
        let stderr =
            Capture::spawn(child.stderr.take().expect("piped"), cap, format!("{label} stderr"), transcript.clone());
        if let (Some(data), Some(mut stdin)) = (spec.stdin, child.stdin.take()) {
            // A thread of its own: a program that does not read its stdin must not
            // block the grader.
            std::thread::spawn(move || {
                let _ = stdin.write_all(&data);
            });
        }
        drop(filters);
        let exit: ExitSlot = Arc::default();
        let slot = exit.clone();
        std::thread::spawn(move || {
            let status = child.wait().map(|s| if sandboxed { unwrap_sandbox_status(s) } else { s });
            let (lock, cond) = &*slot;
            // If wait itself failed, the child is gone all the same: say killed.
            *lock.lock().unwrap_or_else(|e| e.into_inner()) = Some(status.unwrap_or_else(|_| ExitStatus::from_raw(9)));
            cond.notify_all();
            // Only then: the exit is known to everyone waiting for it at once.
            reaper::direct_child_reaped(pid);
        });
        Ok(Process {
            pid,
            dir,
            exit,
            stdout,
            stderr,
            stopped: false,
            jail,
            label,
            limits: spec.limits,
            transcript: transcript.clone(),
            sandboxed,
        })
    }

    /// Its pid, which is also its process group's id.
    pub fn pid(&self) -> u32 {
        self.pid
    }

    /// A handle that sees whether the program has exited and what it printed to
    /// stderr, for connections to explain a failure ("the server exited").
    pub fn watch(&self) -> Watch {
        Watch { exit: self.exit.clone(), stderr: self.stderr.clone() }
    }

    /// Every process it is made of now: its process group and its jail (children that
    /// left the group included).
    pub fn pids(&self) -> Vec<u32> {
        let mut pids: Vec<u32> = self.jail.group_members(self.pid).into_iter().map(|m| m.pid).collect();
        pids.extend(self.jail.members());
        pids.sort_unstable();
        pids.dedup();
        pids
    }

    /// Its working directory (the fresh temporary one), if it has one.
    pub fn dir(&self) -> Option<&Path> {
        self.dir.as_ref().map(|d| d.path())
    }

    /// Its exit status if it has exited.
    pub fn exit_status(&self) -> Option<ExitStatus> {
        *self.exit.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Waits for it to exit, until `deadline`.
    pub fn wait_exit(&self, deadline: Instant) -> Option<ExitStatus> {
        wait_slot(&self.exit, deadline)
    }

    /// All it wrote to stderr, once it has exited (see [`Watch::final_stderr`]).
    pub fn final_stderr(&self) -> String {
        self.stderr.wait_closed(Instant::now() + STDERR_PATIENCE);
        self.stderr.text()
    }

    /// Stops the whole process group: SIGTERM, up to `grace` to exit, then SIGKILL.
    pub fn stop(&mut self, grace: std::time::Duration) {
        if self.stopped {
            return;
        }
        self.stopped = true;
        let group = Pid::from_raw(self.pid as i32);
        // Those that left its process group (setsid), named before anything is
        // stopped: in the sandbox they die with it at once, and would go unnoticed.
        let outside = self.outside_group();
        if self.exit_status().is_none() {
            self.terminate();
            if self.wait_exit(Instant::now() + grace).is_none() {
                self.note(format!(
                    "{} was still running {:.1} s after SIGTERM, so it was killed (SIGKILL)",
                    self.label,
                    grace.as_secs_f32()
                ));
            }
        }
        // Always: the leader may be gone while a child it forked still runs. The group's
        // number stays its own while any member lives (Linux does not reuse it); with
        // none left it may name a new group, so then the jail kills whatever is left.
        if self.exit_status().is_none() || !self.jail.group_members(self.pid).is_empty() {
            let _ = killpg(group, Signal::SIGKILL);
        }
        // Then whatever left the group (setsid) or was left behind by a dead parent.
        let mut escaped = self.jail.kill_all(self.pid, Instant::now() + std::time::Duration::from_secs(5));
        for pid in outside {
            if !escaped.contains(&pid) {
                escaped.push(pid);
            }
        }
        if !escaped.is_empty() {
            let mut pids: Vec<String> = escaped.iter().take(8).map(u32::to_string).collect();
            if escaped.len() > pids.len() {
                pids.push("...".to_string());
            }
            self.note(format!(
                "{} left {} process(es) running outside its process group (pid {}); they were killed",
                self.label,
                escaped.len(),
                pids.join(", ")
            ));
        }
        self.wait_exit(Instant::now() + std::time::Duration::from_secs(5));
        self.note_sandbox_failure();
        self.note_limits();
        self.jail.remove();
        LIVE.lock().unwrap_or_else(|e| e.into_inner()).retain(|(pid, _, _)| *pid != self.pid);
    }

    /// The live processes of its jail outside its process group.
    fn outside_group(&self) -> Vec<u32> {
        let group: Vec<u32> = self.jail.group_members(self.pid).into_iter().map(|m| m.pid).collect();
        let others: Vec<u32> = self.jail.members().into_iter().filter(|pid| !group.contains(pid)).collect();
        proctable::states(&others)
            .into_iter()
            .filter(|&(_, state, _)| state != 'Z' && state != 'X')
            .map(|(pid, _, _)| pid)
            .collect()
    }

    /// SIGTERM to the program. In the sandbox, not to bubblewrap itself (the group's
    /// leader, and this process's pid), which would die of it and take the program
    /// with it at once: the program must get its chance to exit by itself, and one that
    /// ignores SIGTERM must be seen to.
    fn terminate(&self) {
        if !self.sandboxed {
            let _ = killpg(Pid::from_raw(self.pid as i32), Signal::SIGTERM);
            return;
        }
        for member in self.jail.group_members(self.pid) {
            if member.pid != self.pid {
                let _ = nix::sys::signal::kill(Pid::from_raw(member.pid as i32), Signal::SIGTERM);
            }
        }
    }

    fn note(&self, text: String) {
        if self.limits.is_some() {
            self.transcript.note(text);
        }
    }

    /// bubblewrap that could not set up the sandbox exits with status 1 and says why on
    /// stderr, `bwrap: ...`, before the program ever ran: that is the grader's failure,
    /// never the program's.
    fn note_sandbox_failure(&self) {
        if !self.sandboxed || self.exit_status().and_then(|s| s.code()) != Some(1) {
            return;
        }
        let stderr = self.final_stderr();
        if let Some(line) = stderr.lines().next().filter(|l| l.starts_with("bwrap: ")) {
            self.transcript.grader_fault(format!("the sandbox could not be set up for {}: {line}", self.label));
        }
    }

    /// Says in the transcript which of its limits the program ran into: a failure it
    /// caused is then explained, not a mystery.
    fn note_limits(&self) {
        let Some(limits) = self.limits else { return };
        let label = &self.label;
        match self.exit_status().and_then(|s| s.signal()) {
            Some(24) => self.note(format!(
                "{label} used up its CPU time limit ({} s of CPU; --limit cpu=N changes it)",
                limits.cpu_seconds
            )),
            Some(25) => self.note(format!(
                "{label} wrote a file past the file size limit ({} bytes; --limit fsize=N changes it)",
                crate::limits::size(limits.file_size)
            )),
            _ => {
                if let Some(file) = self.dir().and_then(|d| file_at_least(d, limits.file_size)) {
                    self.note(format!(
                        "{label} wrote {} up to the file size limit ({} bytes; --limit fsize=N changes it)",
                        file.display(),
                        crate::limits::size(limits.file_size)
                    ));
                }
            }
        }
        if self.jail.oom_kills() > 0 {
            let memory = limits.memory.map(crate::limits::size).unwrap_or_else(|| "none".to_string());
            self.note(format!(
                "{label} used up its memory limit ({memory} bytes), and the kernel killed it (--limit mem=N changes it)"
            ));
        }
        if let Some(dir) = self.dir().filter(|_| crate::sandbox::folder::capped()) {
            if nix::sys::statvfs::statvfs(dir).is_ok_and(|s| s.blocks_available() == 0 || s.files_available() == 0) {
                self.note(format!(
                    "{label} filled its folder: {} bytes or 4096 files at most (--limit disk=N changes the size)",
                    crate::limits::size(limits.disk)
                ));
            }
        }
        let refused = self.jail.refused_forks();
        if refused > 0 {
            self.note(format!(
                "{label} reached its limit of {} processes and threads: {refused} fork()s or thread starts were refused (--limit nproc=N changes it)",
                limits.processes
            ));
        }
        for (name, capture) in [("stdout", &self.stdout), ("stderr", &self.stderr)] {
            let dropped = capture.dropped();
            if dropped > 0 {
                self.note(format!(
                    "{label} wrote {} bytes to {name}; only the first {} were kept",
                    capture.bytes().len() as u64 + dropped,
                    capture.bytes().len()
                ));
            }
        }
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        self.stop(std::time::Duration::from_millis(200));
    }
}

/// Kills every live process group, waits (boundedly) until they are gone, and removes
/// their directories. Called from the interrupt handler, after which the grader exits.
pub fn kill_all_live() {
    let live = LIVE.lock().unwrap_or_else(|e| e.into_inner());
    // Under the lock: from now on no program can start, so none escapes the sweep.
    INTERRUPTED.store(true, Ordering::SeqCst);
    for (pid, _, _) in live.iter() {
        let _ = killpg(Pid::from_raw(*pid as i32), Signal::SIGKILL);
    }
    let deadline = Instant::now() + std::time::Duration::from_secs(2);
    for (pid, dir, jail) in live.iter() {
        jail.kill_all(*pid, deadline);
        wait_group_gone(*pid, jail, deadline);
        jail.remove();
        if let Some(dir) = dir {
            crate::sandbox::folder::remove(dir);
        }
    }
}

/// Marks the grader as interrupted, first thing in the interrupt handler: the run
/// then has no verdict, and no program starts any more.
pub fn begin_interrupt() {
    INTERRUPTED.store(true, Ordering::SeqCst);
}

/// Whether the grader was interrupted; its exit status must then say so (130).
pub fn interrupted() -> bool {
    INTERRUPTED.load(Ordering::SeqCst)
}

static INTERRUPTED: AtomicBool = AtomicBool::new(false);

/// Waits until no process of group `pgid` is left, but for zombies (dead, waiting to be
/// reaped by their parent), until `deadline`. SIGKILL is delivered at once but a
/// process takes a moment to die. Without /proc, whether the group can still be
/// signalled is the test.
fn wait_group_gone(pgid: u32, jail: &Jail, deadline: Instant) -> bool {
    let gone = || {
        if proctable::available() {
            jail.group_members(pgid).iter().all(|m| m.state == 'Z' || m.state == 'X')
        } else {
            killpg(Pid::from_raw(pgid as i32), None).is_err()
        }
    };
    poll_until(deadline, || gone().then_some(())).is_some()
}

/// Describes an exit status as a sentence fragment: "exited with status 1", "was
/// killed by SIGSEGV (a crash)".
pub fn describe_exit(status: ExitStatus) -> String {
    if let Some(code) = status.code() {
        return format!("exited with status {code}");
    }
    match status.signal() {
        Some(sig) => {
            let name = Signal::try_from(sig).map(|s| s.as_str()).unwrap_or("an unknown signal");
            let why = match sig {
                11 => " (a crash: invalid memory access)",
                6 => " (an abort)",
                9 => " (killed)",
                24 => " (it used up its CPU time limit)",
                25 => " (it wrote past its file size limit)",
                _ => "",
            };
            format!("was killed by {name}{why}")
        }
        None => "ended".to_string(),
    }
}

/// bubblewrap exits with 128 + N when its program was killed by signal N (as a shell
/// does): turn that back into the signal, so that "killed by SIGSEGV (a crash)" and
/// the limits' signals are told as they happened. A program that itself exits with a
/// status above 128 is taken for one killed by a signal: rare, and said the same way
/// a shell would.
fn unwrap_sandbox_status(status: ExitStatus) -> ExitStatus {
    match status.code() {
        Some(code @ 129..=192) => ExitStatus::from_raw(code - 128),
        _ => status,
    }
}

/// Where no memory cgroup can be had, memory is limited with RLIMIT_DATA instead (the
/// private writable memory of each process, which is what a runaway allocation grows):
/// twice the cgroup's limit, since it counts what a runtime has reserved as well as
/// what it uses (a JVM commits its initial heap at start). In the portable mode eight
/// times: there the limit stands in for a cgroup on every machine, and a server with a
/// thread per client reserves a stack of 8 MiB per thread (256 clients: 2 GiB), which
/// Linux counts in RLIMIT_DATA; a runaway allocation is still stopped.
pub fn data_limit(limits: &Limits) -> Option<u64> {
    let memory = limits.memory?;
    let times = if crate::platform::portable() { 8 } else { 2 };
    (!crate::sandbox::cgroup::hierarchies().limits_memory()).then(|| memory.saturating_mul(times))
}

fn apply_limits(limits: &Limits, data: Option<u64>) -> io::Result<()> {
    // Never above the hard limit the grader itself has: raising it needs privileges.
    let set_both = |resource, soft: u64, hard: u64| {
        let (_, ceiling) = getrlimit(resource)?;
        setrlimit(resource, soft.min(ceiling), hard.min(ceiling)).map_err(io::Error::from)
    };
    let set = |resource, value: u64| set_both(resource, value, value);
    // The CPU limit is soft: the kernel sends SIGXCPU there (which says why), and
    // SIGKILL only a second later. At an equal hard limit it would send SIGKILL alone.
    set_both(Resource::RLIMIT_CPU, limits.cpu_seconds, limits.cpu_seconds.saturating_add(1))?;
    set(Resource::RLIMIT_FSIZE, limits.file_size)?;
    set(Resource::RLIMIT_NOFILE, limits.open_files)?;
    set(Resource::RLIMIT_CORE, 0)?;
    if let Some(bytes) = limits.address_space {
        set(Resource::RLIMIT_AS, bytes)?;
    }
    if let Some(bytes) = data {
        set(Resource::RLIMIT_DATA, bytes)?;
    }
    Ok(())
}

/// A file under `dir` (looking at most a few hundred entries deep) at least `size`
/// bytes long: one that a program wrote up to its file size limit.
fn file_at_least(dir: &Path, size: u64) -> Option<PathBuf> {
    let mut pending = vec![dir.to_path_buf()];
    let mut seen = 0;
    while let Some(next) = pending.pop() {
        for entry in std::fs::read_dir(&next).ok()?.flatten() {
            seen += 1;
            if seen > 500 {
                return None;
            }
            let Ok(meta) = entry.metadata() else { continue };
            if meta.is_dir() {
                pending.push(entry.path());
            } else if meta.len() >= size {
                return entry.path().strip_prefix(dir).ok().map(Path::to_path_buf);
            }
        }
    }
    None
}

/// What a spawn would say of `program` (a path, as launchers give them): missing, not
/// executable, or a script whose interpreter is missing.
fn preflight(program: &str) -> io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let path = Path::new(program);
    let meta = std::fs::metadata(path)?;
    if !meta.is_file() || meta.permissions().mode() & 0o111 == 0 {
        return Err(io::Error::from(io::ErrorKind::PermissionDenied));
    }
    match crate::sandbox::view::interpreter(path) {
        Some(interpreter) if !interpreter.exists() => {
            Err(explain_spawn_error(program, io::Error::from(io::ErrorKind::NotFound)))
        }
        _ => Ok(()),
    }
}

/// ENOENT for a program file that exists means that the interpreter its `#!` line
/// names is missing: say that, not "No such file or directory".
fn explain_spawn_error(program: &str, e: io::Error) -> io::Error {
    if e.kind() != io::ErrorKind::NotFound || !Path::new(program).is_file() {
        return e;
    }
    let mut head = Vec::new();
    if let Ok(file) = std::fs::File::open(program) {
        let _ = io::Read::read_to_end(&mut io::Read::take(file, 256), &mut head);
    }
    let first = head.split(|&b| b == b'\n').next().unwrap_or_default();
    if !first.starts_with(b"#!") {
        return e;
    }
    let shebang = String::from_utf8_lossy(first).into_owned();
    io::Error::new(e.kind(), format!("the interpreter of its first line {shebang:?} was not found"))
}
