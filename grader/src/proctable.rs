//! The process table, read from /proc on Linux: which processes belong to a process
//! group. Used to find a group's sockets and to be sure a stopped group is gone.

use std::fs;

/// A process and its state letter (`R`, `S`, `Z` for a zombie, ...).
pub struct Member {
    pub pid: u32,
    pub state: char,
}

/// Whether this machine has a Linux-style /proc.
pub fn available() -> bool {
    fs::metadata("/proc/self/stat").is_ok()
}

/// The processes whose process group is `pgid` (empty where /proc is missing): reads
/// the stat of every process of the machine, so prefer [`members_among`] where the
/// candidates are known.
pub fn members(pgid: u32) -> Vec<Member> {
    let Ok(procs) = fs::read_dir("/proc") else { return Vec::new() };
    members_among(pgid, procs.flatten().filter_map(|entry| entry.file_name().to_str()?.parse().ok()))
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

/// The state and process group of a process, from /proc/PID/stat: after the command
/// name in parentheses (which may itself hold spaces and parentheses) come the state,
/// the parent pid and the process group.
pub fn state_and_group(pid: u32) -> Option<(char, u32)> {
    let stat = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let mut fields = stat[stat.rfind(')')? + 1..].split_whitespace();
    let state = fields.next()?.chars().next()?;
    let group = fields.nth(1)?.parse().ok()?;
    Some((state, group))
}
