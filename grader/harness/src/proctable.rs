//! The process table: which processes belong to a process group, their state, the
//! grader's children, the user's tasks. Read from /proc on Linux; in the portable
//! mode (macOS, or `SOCKET_LABS_PORTABLE=1`) from `ps`, whose `-A -o` columns are
//! POSIX and the same on both.
//!
//! Where the portable mode cannot know something (a process's environment, the
//! grader's orphans: there is no subreaper), it says so by returning nothing, and
//! the callers fall back on process groups.

use std::fs;

use crate::platform::portable;

/// A process and its state letter (`R`, `S`, `Z` for a zombie, ...).
pub struct Member {
    /// Its pid.
    pub pid: u32,
    /// Its state letter.
    pub state: char,
}

/// Whether this grader reads a Linux-style /proc (not in the portable mode).
pub fn available() -> bool {
    !portable() && fs::metadata("/proc/self/stat").is_ok()
}

/// The processes whose process group is `pgid`: reads every process of the machine,
/// so prefer [`members_among`] where the candidates are known.
pub fn members(pgid: u32) -> Vec<Member> {
    if portable() {
        return ps::table().into_iter().filter(|row| row.pgid == pgid).map(|row| row.member()).collect();
    }
    members_among(pgid, all_pids())
}

/// The processes of `candidates` whose process group is `pgid`.
pub fn members_among(pgid: u32, candidates: impl IntoIterator<Item = u32>) -> Vec<Member> {
    candidates
        .into_iter()
        .filter_map(|pid| {
            let (state, group) = state_and_group(pid)?;
            (group == pgid).then_some(Member { pid, state })
        })
        .collect()
}

/// The state and process group of a process.
pub fn state_and_group(pid: u32) -> Option<(char, u32)> {
    if portable() {
        return ps::table().into_iter().find(|row| row.pid == pid).map(|row| (row.state, row.pgid));
    }
    // After the command name in parentheses (which may itself hold spaces and
    // parentheses) come the state, the parent pid and the process group.
    let stat = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let mut fields = stat[stat.rfind(')')? + 1..].split_whitespace();
    let state = fields.next()?.chars().next()?;
    let group = fields.nth(1)?.parse().ok()?;
    Some((state, group))
}

/// The state and process group of each of `pids` that is still there: one look at
/// the table in the portable mode (a `ps` per process would take seconds for a
/// fork bomb's hundreds).
pub fn states(pids: &[u32]) -> Vec<(u32, char, u32)> {
    if portable() {
        let rows = ps::table();
        return rows.into_iter().filter(|row| pids.contains(&row.pid)).map(|r| (r.pid, r.state, r.pgid)).collect();
    }
    pids.iter().filter_map(|&pid| state_and_group(pid).map(|(state, group)| (pid, state, group))).collect()
}

/// Every process of the machine (Linux; empty in the portable mode, whose callers
/// have no subreaper's orphans to look for).
pub fn all_pids() -> Vec<u32> {
    if portable() {
        return Vec::new();
    }
    let Ok(procs) = fs::read_dir("/proc") else { return Vec::new() };
    procs.flatten().filter_map(|e| e.file_name().to_str()?.parse().ok()).collect()
}

/// This process's children (orphans reparented to it included): from each thread's
/// /proc/self/task/TID/children, a few small files, where the kernel has them; else
/// every process of the machine, which the caller filters by parent. The kernel's
/// lists may miss a child while they change: fine for reaping zombies, which the
/// next call (or this process's exit) reaps.
pub fn own_children() -> Vec<u32> {
    let Ok(tasks) = fs::read_dir("/proc/self/task") else { return all_pids() };
    let mut children = Vec::new();
    for task in tasks.flatten() {
        match fs::read_to_string(task.path().join("children")) {
            Ok(list) => children.extend(list.split_whitespace().filter_map(|pid| pid.parse::<u32>().ok())),
            // No CONFIG_PROC_CHILDREN: the long way.
            Err(_) => return all_pids(),
        }
    }
    children.sort_unstable();
    children.dedup();
    children
}

/// State letter and parent pid from /proc/PID/stat (Linux).
pub fn state_and_parent(pid: u32) -> Option<(char, u32)> {
    let stat = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let mut fields = stat[stat.rfind(')')? + 1..].split_whitespace();
    let state = fields.next()?.chars().next()?;
    let ppid = fields.next()?.parse().ok()?;
    Some((state, ppid))
}

/// Processes whose environment holds `var=tag`: from /proc/PID/environ on Linux, from
/// `ps`'s environment column in the portable mode (the user's own processes; all of
/// them as root).
pub fn tagged(var: &str, tag: &str) -> Vec<u32> {
    let needle = format!("{var}={tag}");
    if portable() {
        return ps::with_environment(&needle);
    }
    all_pids()
        .into_iter()
        .filter(|pid| {
            fs::read(format!("/proc/{pid}/environ"))
                .is_ok_and(|env| env.split(|&b| b == 0).any(|var| var == needle.as_bytes()))
        })
        .collect()
}

/// Tasks of this user now, as RLIMIT_NPROC counts them (threads included on Linux,
/// processes on macOS).
pub fn user_tasks() -> u64 {
    // SAFETY: no arguments, cannot fail.
    let uid = unsafe { libc::getuid() };
    if portable() {
        return ps::user_tasks(uid);
    }
    use std::os::unix::fs::MetadataExt;
    all_pids()
        .into_iter()
        .filter(|pid| fs::metadata(format!("/proc/{pid}")).is_ok_and(|m| m.uid() == uid))
        .map(|pid| {
            let stat = fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
            // num_threads is the 18th field after the command name.
            stat.rfind(')').and_then(|at| stat[at + 1..].split_whitespace().nth(17)?.parse().ok()).unwrap_or(1)
        })
        .sum()
}

/// The portable process table: `ps -A -o pid=,pgid=,stat=`.
mod ps {
    use std::process::{Command, Stdio};

    pub struct Row {
        pub pid: u32,
        pub pgid: u32,
        pub state: char,
    }

    impl Row {
        pub fn member(&self) -> super::Member {
            super::Member { pid: self.pid, state: self.state }
        }
    }

    /// Every process of the machine; empty if `ps` cannot run.
    pub fn table() -> Vec<Row> {
        parse(&run(&["-A", "-o", "pid=,pgid=,stat="]))
    }

    fn run(args: &[&str]) -> String {
        let output = Command::new("ps").args(args).stdin(Stdio::null()).stderr(Stdio::null()).output();
        output.map(|o| String::from_utf8_lossy(&o.stdout).into_owned()).unwrap_or_default()
    }

    pub fn parse(text: &str) -> Vec<Row> {
        text.lines()
            .filter_map(|line| {
                let mut fields = line.split_whitespace();
                let pid = fields.next()?.parse().ok()?;
                let pgid = fields.next()?.parse().ok()?;
                let state = fields.next()?.chars().next()?;
                Some(Row { pid, pgid, state })
            })
            .collect()
    }

    /// Processes whose command line and environment, as `ps` shows them, hold the word
    /// `needle` (`e` on Linux's procps, `-E` on macOS, print the environment after
    /// the command).
    pub fn with_environment(needle: &str) -> Vec<u32> {
        let flag = if cfg!(target_os = "linux") { "e" } else { "-E" };
        run(&["-A", flag, "-o", "pid=,command="])
            .lines()
            .filter(|line| line.split_whitespace().any(|word| word == needle))
            .filter_map(|line| line.split_whitespace().next()?.parse().ok())
            .collect()
    }

    /// The user's tasks as RLIMIT_NPROC counts them: one line per thread on Linux
    /// (`-L`), per process on macOS, where the limit counts processes.
    pub fn user_tasks(uid: u32) -> u64 {
        let args: &[&str] = if cfg!(target_os = "linux") { &["-A", "-L", "-o", "uid="] } else { &["-A", "-o", "uid="] };
        run(args).lines().filter(|line| line.trim().parse::<u32>() == Ok(uid)).count() as u64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ps_rows_parse() {
        let rows = ps::parse("    1     1 Ss\n  812   800 Z+\nbad line\n");
        assert_eq!(rows.len(), 2);
        assert_eq!((rows[1].pid, rows[1].pgid, rows[1].state), (812, 800, 'Z'));
    }

    /// The portable table agrees with /proc about this process and its group.
    #[test]
    fn ps_sees_this_process_and_its_group() {
        if !available() {
            return;
        }
        let me = std::process::id();
        let rows = ps::table();
        let Some(row) = rows.iter().find(|r| r.pid == me) else {
            eprintln!("no ps here");
            return;
        };
        assert_eq!(Some((row.state, row.pgid)).map(|(_, g)| g), state_and_group(me).map(|(_, g)| g));
        // SAFETY: no arguments.
        let uid = unsafe { libc::getuid() };
        assert!(ps::user_tasks(uid) >= 1);
        // Its environment: the test's own tag.
        let mut child = std::process::Command::new("sleep").arg("5").env("SOCKET_LABS_PS_TEST", "t-1").spawn().unwrap();
        let found = poll(|| ps::with_environment("SOCKET_LABS_PS_TEST=t-1"));
        let _ = child.kill();
        let _ = child.wait();
        assert_eq!(found, vec![child.id()]);
    }

    fn poll(f: impl Fn() -> Vec<u32>) -> Vec<u32> {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(1);
        crate::deadline::poll_until(deadline, || Some(f()).filter(|found| !found.is_empty())).unwrap_or_default()
    }
}
