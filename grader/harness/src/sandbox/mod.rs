//! The sandbox every program under test runs in: what it can see, touch, signal and
//! use up, whoever wrote it.
//!
//! A program graded here is an adversary: it may read every file it can, forge what
//! the grader writes, and try to outlive or overrule the grader. The walls are the
//! kernel's own, put up by proven tools rather than by code of ours:
//!
//! - [bubblewrap](https://github.com/containers/bubblewrap) (Flatpak's sandbox, in
//!   every distribution as `bwrap`) makes a mount, PID, IPC, UTS and cgroup namespace
//!   per program ([`view`] says what it sees), kills everything in it when the grader
//!   goes (`--die-with-parent`: the PID namespace's init dies, the kernel kills the
//!   rest), drops every capability, and loads our seccomp filters;
//! - `seccompiler` (rust-vmm's) compiles those filters ([`seccomp`]);
//! - `setpriv` (util-linux) drops root to an unprivileged uid when the grader runs as
//!   root: inside, a program is never root;
//! - cgroups limit its processes and memory ([`cgroup`]); a size-capped tmpfs holds its
//!   folder (mounted by the grader's private mount namespace, `grader/src/inner.rs`) and
//!   its `/tmp`, so it cannot fill the disk;
//! - its environment is an allow-list ([`environment`]): no token, no CI variable.
//!
//! Where a layer cannot be had (no `bwrap`, no user namespaces, not Linux, the
//! portable mode of platform.rs), the program runs without it, and the report says so in one line: [`describe`].
//! `--require-sandbox` turns that into an error.

pub mod cgroup;
pub mod folder;
#[cfg(target_os = "linux")]
pub mod seccomp;
pub mod view;

use std::io::{self, Write};
use std::os::fd::{AsRawFd, OwnedFd};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// The uid and gid a program runs as inside the sandbox when the grader is root:
/// `nobody`, who owns nothing of the machine.
pub const UNPRIVILEGED: u32 = 65534;

/// The file descriptors bubblewrap reads the two seccomp filters from, in the child.
const FILTER_FDS: [i32; 2] = [3, 4];

/// What this machine's sandbox is made of, found once per process.
pub struct Sandbox {
    bwrap: PathBuf,
    /// `setpriv`, when the grader is root: the uid drop.
    setpriv: Option<PathBuf>,
    filters: [Vec<u8>; 2],
}

static FOUND: OnceLock<Result<Sandbox, String>> = OnceLock::new();

/// The sandbox, or why there is none here.
pub fn get() -> Result<&'static Sandbox, &'static str> {
    FOUND.get_or_init(probe).as_ref().map_err(String::as_str)
}

/// One line for the top and bottom of every report.
pub fn describe() -> String {
    match get() {
        Ok(sandbox) => sandbox.describe(),
        Err(reason) => format!("not sandboxed: {reason}; do not grade untrusted code here"),
    }
}

static ANNOUNCED: std::sync::Mutex<Option<String>> = std::sync::Mutex::new(None);

/// Records the line of the run that is under way (the child grader's, which knows),
/// for reporters that print it at the top: see [`announced`].
pub fn announce(line: &str) {
    *ANNOUNCED.lock().unwrap_or_else(|e| e.into_inner()) = Some(line.to_string());
}

/// The line [`announce`]d, if any.
pub fn announced() -> Option<String> {
    ANNOUNCED.lock().unwrap_or_else(|e| e.into_inner()).clone()
}

/// Set by `SOCKET_LABS_NO_SANDBOX=1`: run every program without the sandbox (to
/// compare, or to debug a program that behaves differently inside).
#[cfg_attr(not(target_os = "linux"), allow(dead_code))] // only Linux has a sandbox to turn off
const OFF_VAR: &str = "SOCKET_LABS_NO_SANDBOX";

#[cfg(not(target_os = "linux"))]
fn probe() -> Result<Sandbox, String> {
    Err(crate::platform::lacks("sandbox: no bubblewrap, namespaces or seccomp"))
}

#[cfg(target_os = "linux")]
fn probe() -> Result<Sandbox, String> {
    if crate::platform::portable() {
        return Err(crate::platform::lacks("sandbox: no bubblewrap, namespaces or seccomp"));
    }
    if std::env::var_os(OFF_VAR).is_some_and(|v| v != "0" && !v.is_empty()) {
        return Err(format!("{OFF_VAR} is set"));
    }
    let bwrap = which::which("bwrap").map_err(|_| {
        "bubblewrap (bwrap) is not installed (apt-get install bubblewrap, dnf install bubblewrap)".to_string()
    })?;
    let setpriv = if crate::platform::is_root() {
        Some(
            which::which("setpriv")
                .map_err(|_| "the grader runs as root and setpriv (util-linux) is missing".to_string())?,
        )
    } else {
        None
    };
    let [deny, clone3] = seccomp::programs()?;
    let filters = [seccomp::to_bytes(deny), seccomp::to_bytes(clone3)];
    let sandbox = Sandbox { bwrap, setpriv, filters };
    sandbox.try_once()?;
    Ok(sandbox)
}

/// The seccomp filters handed to bubblewrap: the read ends of their pipes, to be
/// placed at `FILTER_FDS` in the child. Keep them until the program has started.
pub struct Filters(Vec<OwnedFd>);

impl Filters {
    /// What the child must do between fork and exec: put the filters' pipes where
    /// bubblewrap's arguments say. Allocates nothing.
    ///
    /// In two steps: each pipe is first copied above every target, and only then onto
    /// its target. Copied straight onto the targets, a pipe that happens to sit at the
    /// other target (fd 3 or 4 are often free in the parent) would be overwritten
    /// first, and bubblewrap would read one filter twice: the second time empty.
    pub fn pre_exec(&self) -> impl Fn() -> io::Result<()> + Send + Sync + 'static {
        let mut fds = [-1; 2];
        for (slot, fd) in fds.iter_mut().zip(&self.0) {
            *slot = fd.as_raw_fd();
        }
        move || {
            let mut high = [-1; 2];
            for (slot, &fd) in high.iter_mut().zip(&fds) {
                // SAFETY: fcntl is async-signal-safe; `fd` is open.
                *slot = unsafe { libc::fcntl(fd, libc::F_DUPFD_CLOEXEC, 16) };
                if *slot < 0 {
                    return Err(io::Error::last_os_error());
                }
            }
            for (&from, to) in high.iter().zip(FILTER_FDS) {
                // SAFETY: dup2 is async-signal-safe; `from` is open and above every
                // target, so no dup2 here overwrites another pipe. The copy at `to` is
                // not close-on-exec; `from` is, and goes at exec.
                if unsafe { libc::dup2(from, to) } < 0 {
                    return Err(io::Error::last_os_error());
                }
            }
            Ok(())
        }
    }
}

/// Where a program runs and what it is given.
pub struct Place<'a> {
    /// The program to run.
    pub program: &'a str,
    /// Its arguments.
    pub args: &'a [String],
    /// Its own folder: its working directory and `HOME`, the one place it may write
    /// besides its private `/tmp`.
    pub dir: &'a Path,
    /// Folders of the grader's it may write into besides its own.
    pub writable: &'a [PathBuf],
    /// Folders it may read whole besides what its command line names.
    pub readable: &'a [PathBuf],
    /// The size of its private `/tmp`.
    pub tmp_size: u64,
}

/// The owner of a program's folders: the uid programs run as when the grader is root
/// and sandboxes them; else the grader's own user (`None`: no change).
pub fn owner() -> Option<u32> {
    (crate::platform::is_root() && get().is_ok()).then_some(UNPRIVILEGED)
}

impl Sandbox {
    fn describe(&self) -> String {
        let who = if self.setpriv.is_some() {
            format!("as uid {UNPRIVILEGED} (the grader is root)")
        } else {
            "as this user, in a user namespace".to_string()
        };
        format!(
            "sandboxed: every program ran in bubblewrap {who}: its own PID and mount namespaces, the system read-only, only its own folder writable, no capabilities, a seccomp filter, an allow-listed environment; {}",
            cgroup::hierarchies().describe()
        )
    }

    /// The command that runs `place.program` in the sandbox.
    pub fn wrap(&self, place: &Place) -> io::Result<(Command, Filters)> {
        let mut command = Command::new(&self.bwrap);
        let mut filters = Vec::new();
        for (bytes, fd) in self.filters.iter().zip(FILTER_FDS) {
            let (reader, mut writer) = io::pipe()?;
            // A filter is a few hundred bytes: far below a pipe's buffer.
            writer.write_all(bytes)?;
            drop(writer);
            filters.push(OwnedFd::from(reader));
            command.arg("--add-seccomp-fd").arg(fd.to_string());
        }
        command.args(["--unshare-pid", "--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try", "--die-with-parent"]);
        match &self.setpriv {
            // Root: no user namespace (it would map the sandbox's user to root
            // outside); setpriv drops to an unprivileged uid, and bubblewrap keeps for
            // it only the capabilities it needs for that.
            Some(_) => {
                command.args(["--cap-drop", "ALL", "--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID"]);
                command.args(["--cap-add", "CAP_SETPCAP"]);
            }
            None => {
                command.args(["--unshare-user", "--disable-userns"]);
            }
        }
        // /tmp first: the folders below may be inside it.
        command.args(["--proc", "/proc", "--dev", "/dev"]);
        command.args(["--perms", "1777", "--size", &place.tmp_size.to_string(), "--tmpfs", "/tmp"]);
        // POSIX shared memory and semaphores (Python's multiprocessing, a JVM's
        // perfdata) live in /dev/shm, which bubblewrap's /dev has closed to all but root.
        command.args(["--perms", "1777", "--size", &place.tmp_size.to_string(), "--tmpfs", "/dev/shm"]);
        for bind in view::binds(place) {
            command.args(bind.args());
        }
        for dir in place.writable.iter().map(PathBuf::as_path).chain([place.dir]) {
            command.args(view::folders_to(dir));
            let dir = dir.to_string_lossy();
            command.args(["--bind", &dir, &dir]);
        }
        command.arg("--chdir").arg(place.dir);
        command.arg("--");
        if let Some(setpriv) = &self.setpriv {
            let id = UNPRIVILEGED.to_string();
            command.arg(setpriv).arg(format!("--reuid={id}")).arg(format!("--regid={id}")).args([
                "--clear-groups",
                "--inh-caps=-all",
                "--bounding-set=-all",
                "--no-new-privs",
                "--",
            ]);
        }
        command.arg(place.program).args(place.args);
        Ok((command, Filters(filters)))
    }

    /// Runs `true` in the sandbox exactly as a program would run, so that a machine
    /// where it cannot work (user namespaces disabled, a container without the
    /// privileges) is found before any check, with bubblewrap's own words.
    #[cfg_attr(not(target_os = "linux"), allow(dead_code))] // probed on Linux only
    fn try_once(&self) -> Result<(), String> {
        // In the run's folder: an interrupt during the probe leaves nothing behind.
        let dir = tempfile::Builder::new()
            .prefix("socket-labs-probe-")
            .tempdir_in(folder::root())
            .map_err(|e| format!("cannot make a folder to try the sandbox in: {e}"))?;
        if self.setpriv.is_some() {
            let _ = std::os::unix::fs::chown(dir.path(), Some(UNPRIVILEGED), Some(UNPRIVILEGED));
        }
        let truth =
            which::which("true").map_err(|_| "there is no `true` program to try the sandbox with".to_string())?;
        let truth = truth.to_string_lossy();
        let place =
            Place { program: &truth, args: &[], dir: dir.path(), writable: &[], readable: &[], tmp_size: 1 << 20 };
        let (mut command, filters) = self.wrap(&place).map_err(|e| format!("cannot prepare bwrap: {e}"))?;
        let pre_exec = filters.pre_exec();
        command.stdin(Stdio::null()).stdout(Stdio::null()).stderr(Stdio::piped()).env_clear();
        command.envs(environment(dir.path(), true));
        // SAFETY: the closure only calls dup2 and fcntl (see Filters::pre_exec).
        unsafe {
            std::os::unix::process::CommandExt::pre_exec(&mut command, pre_exec);
        }
        let mut child = crate::reaper::spawn_direct(|| {
            command.spawn().map(|child| {
                let pid = child.id();
                (child, pid)
            })
        })
        .map_err(|e| format!("cannot start bwrap: {e}"))?;
        let deadline = Instant::now() + Duration::from_secs(10);
        let status = crate::deadline::poll_until(deadline, || child.try_wait().ok().flatten());
        crate::reaper::direct_child_reaped(child.id());
        let Some(status) = status else {
            let _ = child.kill();
            let _ = child.wait();
            return Err("bwrap did not start a program within 10 s".to_string());
        };
        if status.success() {
            return Ok(());
        }
        let mut stderr = String::new();
        if let Some(mut pipe) = child.stderr.take() {
            let _ = io::Read::read_to_string(&mut pipe, &mut stderr);
        }
        let said = stderr.lines().find(|l| !l.trim().is_empty()).unwrap_or("no message").trim().to_string();
        Err(format!("bwrap cannot make a sandbox here ({said})"))
    }
}

/// The environment of a program under test: only what a program in any language
/// needs to start (the grader's own variables, a CI runner's tokens and file paths
/// among them, are never passed on). `HOME` is its own folder, and so is `TMPDIR`
/// outside the sandbox (inside, it has a `/tmp` of its own).
pub fn environment(dir: &Path, sandboxed: bool) -> impl Iterator<Item = (String, String)> {
    const PASSED: [&str; 8] = ["PATH", "LANG", "LC_ALL", "LC_CTYPE", "TERM", "TZ", "JAVA_HOME", "PYENV_VERSION"];
    let passed = PASSED.into_iter().filter_map(|name| Some((name.to_string(), std::env::var(name).ok()?)));
    let own = [
        ("HOME".to_string(), dir.to_string_lossy().into_owned()),
        ("TMPDIR".to_string(), if sandboxed { "/tmp".to_string() } else { dir.to_string_lossy().into_owned() }),
        ("PATH".to_string(), std::env::var("PATH").unwrap_or_else(|_| "/usr/local/bin:/usr/bin:/bin".to_string())),
    ];
    passed.filter(|(name, _)| name != "PATH").chain(own)
}
