//! Control groups: every program under test in a cgroup of its own, for the kernel's
//! own accounting of what no process can escape (every descendant is in it, whatever
//! it does with sessions and process groups) and for its limits.
//!
//! - `pids.max`: a fork bomb stops there, also for root (who is exempt from
//!   RLIMIT_NPROC); counted per program, and again for the whole run in the run's
//!   own cgroup, so that many checks at once cannot multiply it;
//! - `memory.max` (v2) or `memory.limit_in_bytes` (v1): a program that allocates
//!   without end is killed by the kernel's OOM killer at its own limit, long before
//!   the machine runs short. Files it writes to its tmpfs folder are charged to it too.
//!
//! Both cgroup versions are used as the machine has them: v1 (a `pids` and a `memory`
//! hierarchy, each mounted on its own) and v2 (one unified hierarchy, where the
//! grader's own cgroup must have the controllers delegated: as root, or where systemd
//! delegates a subtree to the user). The layout is `OWN/socket-labs-PID/pN`: OWN is
//! the cgroup the grader was started in, PID the grader's, N one program's. The run's
//! folder is removed when the grader exits; folders of graders that died are removed
//! by the next grader to start.

use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;

/// Where this grader may make cgroups, found once.
#[derive(Debug, Default)]
pub struct Hierarchies {
    /// The run's folder in the hierarchy that counts processes (v1 `pids`, or v2).
    pids: Option<PathBuf>,
    /// The run's folder in the hierarchy that limits memory (v1 `memory`, or v2; the
    /// same folder as `pids` on v2).
    memory: Option<PathBuf>,
    v2: bool,
}

/// This process's hierarchies, made on first use.
pub fn hierarchies() -> &'static Hierarchies {
    static FOUND: OnceLock<Hierarchies> = OnceLock::new();
    // The portable mode has no cgroups: processes and memory are rlimits there.
    FOUND.get_or_init(|| if crate::platform::portable() { None } else { find() }.unwrap_or_default())
}

impl Hierarchies {
    /// Whether a program's processes can be counted and capped (`pids.max`).
    pub fn counts_processes(&self) -> bool {
        self.pids.is_some()
    }

    /// Whether a program's memory can be capped (`memory.max`).
    pub fn limits_memory(&self) -> bool {
        self.memory.is_some()
    }

    /// One line on what is limited, for the sandbox's description.
    pub fn describe(&self) -> String {
        let version = if self.v2 { "cgroup v2" } else { "cgroup v1" };
        match (self.counts_processes(), self.limits_memory()) {
            (true, true) => format!("{version} limits on processes and memory"),
            (true, false) => {
                format!("a {version} process limit; memory limited by RLIMIT_DATA (no memory cgroup here)")
            }
            (false, true) => format!("a {version} memory limit; processes by RLIMIT_NPROC (no pids cgroup here)"),
            (false, false) if crate::platform::portable() => format!(
                "{}: memory is limited by RLIMIT_DATA and processes by RLIMIT_NPROC",
                crate::platform::lacks("cgroups")
            ),
            (false, false) => {
                "no cgroup is writable here: memory is limited by RLIMIT_DATA and processes by RLIMIT_NPROC".to_string()
            }
        }
    }

    /// A new cgroup for one program, with its limits.
    pub fn create(&self, processes: u64, memory: Option<u64>) -> io::Result<Cgroup> {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let name = format!("p{}", NEXT.fetch_add(1, Ordering::SeqCst));
        let mut group = Cgroup { dirs: Vec::new(), v2: self.v2 };
        let mut make = |run: &Path| -> io::Result<PathBuf> {
            let dir = run.join(&name);
            if !group.dirs.contains(&dir) {
                std::fs::create_dir(&dir)?;
                group.dirs.push(dir.clone());
            }
            Ok(dir)
        };
        let made = (|| {
            if let Some(run) = &self.pids {
                std::fs::write(make(run)?.join("pids.max"), processes.to_string())?;
            }
            if let (Some(run), Some(bytes)) = (&self.memory, memory) {
                let dir = make(run)?;
                if self.v2 {
                    std::fs::write(dir.join("memory.max"), bytes.to_string())?;
                    // No swap: the limit is on memory, not on memory the disk holds.
                    let _ = std::fs::write(dir.join("memory.swap.max"), "0");
                } else {
                    std::fs::write(dir.join("memory.limit_in_bytes"), bytes.to_string())?;
                    let _ = std::fs::write(dir.join("memory.memsw.limit_in_bytes"), bytes.to_string());
                }
            }
            Ok(())
        })();
        match made {
            Ok(()) => Ok(group),
            Err(e) => {
                group.remove();
                Err(e)
            }
        }
    }
}

/// One program's cgroup (a folder in each hierarchy used).
#[derive(Clone, Debug)]
pub struct Cgroup {
    dirs: Vec<PathBuf>,
    v2: bool,
}

impl Cgroup {
    /// The `cgroup.procs` files a new process writes itself into, before it execs.
    pub fn procs_files(&self) -> Vec<PathBuf> {
        self.dirs.iter().map(|d| d.join("cgroup.procs")).collect()
    }

    /// The processes in it now.
    pub fn procs(&self) -> Vec<u32> {
        let Some(dir) = self.dirs.first() else { return Vec::new() };
        std::fs::read_to_string(dir.join("cgroup.procs"))
            .unwrap_or_default()
            .lines()
            .filter_map(|l| l.trim().parse().ok())
            .collect()
    }

    /// How often a fork was refused at its process limit.
    pub fn refused_forks(&self) -> u64 {
        self.dirs.iter().map(|d| count(&d.join("pids.events"), "max")).sum()
    }

    /// How often the kernel killed a process of it for using up its memory limit.
    pub fn oom_kills(&self) -> u64 {
        let key = "oom_kill";
        let file = if self.v2 { "memory.events" } else { "memory.oom_control" };
        self.dirs.iter().map(|d| count(&d.join(file), key)).sum()
    }

    /// Removes it: a folder already gone is removed; one that still has a process
    /// (which takes a moment to leave after SIGKILL) is tried again until `deadline`.
    pub fn remove_until(&self, deadline: std::time::Instant) {
        for dir in &self.dirs {
            crate::deadline::poll_until(deadline, || match std::fs::remove_dir(dir) {
                Ok(()) => Some(()),
                Err(e) if e.kind() == io::ErrorKind::NotFound => Some(()),
                Err(_) => None,
            });
        }
    }

    fn remove(&self) {
        for dir in &self.dirs {
            let _ = std::fs::remove_dir(dir);
        }
    }
}

/// The number after `key ` in a flat-keyed cgroup file.
fn count(file: &Path, key: &str) -> u64 {
    std::fs::read_to_string(file)
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix(key)?.strip_prefix(' ')?.trim().parse().ok())
        .unwrap_or(0)
}

/// The total of processes and threads of one run: every program's own limit is also
/// capped by this, whatever the number of checks at once.
pub fn set_run_processes(max: u64) {
    if let Some(run) = &hierarchies().pids {
        let _ = std::fs::write(run.join("pids.max"), max.to_string());
    }
}

/// Removes the run's folders (at the grader's exit; their programs' folders are gone).
pub fn remove_run() {
    let found = hierarchies();
    for run in [&found.pids, &found.memory].into_iter().flatten() {
        let _ = std::fs::remove_dir(run);
    }
}

fn find() -> Option<Hierarchies> {
    let mountinfo = std::fs::read_to_string("/proc/self/mountinfo").ok()?;
    let own = std::fs::read_to_string("/proc/self/cgroup").ok()?;
    let mut found = Hierarchies::default();
    let v1 = |controller: &str| -> Option<PathBuf> {
        let mount = mountinfo.lines().find_map(|line| {
            let (left, right) = line.split_once(" - ")?;
            let mut right = right.split_whitespace();
            let fstype = right.next()?;
            let options = right.nth(1)?;
            let point = left.split_whitespace().nth(4)?;
            (fstype == "cgroup" && options.split(',').any(|o| o == controller)).then(|| PathBuf::from(point))
        })?;
        let path = own.lines().find_map(|line| {
            let mut parts = line.splitn(3, ':');
            let _ = parts.next()?;
            let controllers = parts.next()?;
            let path = parts.next()?;
            controllers.split(',').any(|c| c == controller).then(|| path.trim_start_matches('/').to_string())
        })?;
        run_folder(&mount.join(path), false)
    };
    found.pids = v1("pids");
    found.memory = v1("memory");
    if found.pids.is_none() && found.memory.is_none() {
        if let Some(run) = v2(&mountinfo, &own) {
            found.v2 = true;
            let controllers = std::fs::read_to_string(run.join("cgroup.subtree_control")).unwrap_or_default();
            let has = |c: &str| controllers.split_whitespace().any(|x| x == c);
            found.pids = has("pids").then(|| run.clone());
            found.memory = has("memory").then(|| run.clone());
            if found.pids.is_none() && found.memory.is_none() {
                let _ = std::fs::remove_dir(&run);
            }
        }
    }
    Some(found)
}

/// The run's folder in a v2 hierarchy, with the pids and memory controllers enabled
/// for its children where the grader's own cgroup lets it.
fn v2(mountinfo: &str, own: &str) -> Option<PathBuf> {
    let mount = mountinfo.lines().find_map(|line| {
        let (left, right) = line.split_once(" - ")?;
        let point = left.split_whitespace().nth(4)?;
        (right.split_whitespace().next()? == "cgroup2").then(|| PathBuf::from(point))
    })?;
    let path = own.lines().find_map(|line| line.strip_prefix("0::"))?.trim_start_matches('/');
    let dir = mount.join(path);
    // The controllers must be enabled in our own cgroup for its children. That fails
    // (EBUSY) where our own cgroup holds processes and is not the root: then nothing
    // here can be limited.
    let available = std::fs::read_to_string(dir.join("cgroup.controllers")).unwrap_or_default();
    let wanted: Vec<&str> =
        ["pids", "memory"].into_iter().filter(|c| available.split_whitespace().any(|a| a == *c)).collect();
    let enabled = std::fs::read_to_string(dir.join("cgroup.subtree_control")).unwrap_or_default();
    for controller in &wanted {
        if !enabled.split_whitespace().any(|e| e == *controller) {
            let _ = std::fs::write(dir.join("cgroup.subtree_control"), format!("+{controller}"));
        }
    }
    let run = run_folder(&dir, true)?;
    let _ = std::fs::write(
        run.join("cgroup.subtree_control"),
        wanted.iter().map(|c| format!("+{c}")).collect::<Vec<_>>().join(" "),
    );
    Some(run)
}

/// Makes `own/socket-labs-PID` (clearing those of graders that are gone), if `own` is
/// writable.
fn run_folder(own: &Path, _v2: bool) -> Option<PathBuf> {
    clear_stale(own);
    let run = own.join(format!("socket-labs-{}", std::process::id()));
    match std::fs::create_dir(&run) {
        Ok(()) => Some(run),
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => Some(run),
        Err(_) => None,
    }
}

/// Removes the folders of graders that are no longer running, with their programs'.
fn clear_stale(own: &Path) {
    let Ok(entries) = std::fs::read_dir(own) else { return };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some(pid) = name.strip_prefix("socket-labs-").and_then(|rest| rest.split('-').next()) else { continue };
        if Path::new("/proc").join(pid).exists() {
            continue;
        }
        if let Ok(children) = std::fs::read_dir(entry.path()) {
            for child in children.flatten().filter(|c| c.path().is_dir()) {
                let _ = std::fs::remove_dir(child.path());
            }
        }
        let _ = std::fs::remove_dir(entry.path());
    }
}
