//! The grader as a child subreaper (Linux): a process whose parent died is reparented
//! to the grader rather than to init, so it is reaped here, and a program's orphans
//! can be found and stopped. Only processes that are not the grader's own direct
//! children are reaped that way (by pid, with waitid): the threads waiting on the
//! direct children must get their statuses, so every direct child is started through
//! [`spawn_direct`] and forgotten with [`direct_child_reaped`].
//!
//! In the portable mode there is no subreaper: an orphan goes to init (launchd).

use std::collections::HashMap;
use std::sync::Mutex;

use crate::proctable::{all_pids, own_children, state_and_parent};

/// Makes this process a child subreaper (Linux; elsewhere nothing): orphans of the
/// programs it starts are reparented to it, and it reaps them.
pub fn become_subreaper() {
    #[cfg(target_os = "linux")]
    if !crate::platform::portable() {
        // SAFETY: prctl with integer arguments only.
        unsafe {
            libc::prctl(libc::PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
        }
    }
}

/// This process's direct children that a thread of process.rs waits for (by pid, with
/// a count in case a pid is reused before its old entry is gone), and how many spawns
/// are under way. Any other child is an orphan that came to the subreaper, and is
/// reaped here. The lock is only ever held for a moment.
#[derive(Default)]
struct Direct {
    pids: HashMap<u32, u32>,
    spawning: usize,
}

static DIRECT: Mutex<Option<Direct>> = Mutex::new(None);

fn direct() -> std::sync::MutexGuard<'static, Option<Direct>> {
    DIRECT.lock().unwrap_or_else(|e| e.into_inner())
}

/// Spawns a direct child with `spawn`, which returns it and its pid, and records it.
/// While a spawn is under way no orphan is reaped: a child that exits at once must
/// never be taken for an orphan before it is recorded.
pub fn spawn_direct<T>(spawn: impl FnOnce() -> std::io::Result<(T, u32)>) -> std::io::Result<T> {
    direct().get_or_insert_with(Direct::default).spawning += 1;
    let spawned = spawn();
    let mut guard = direct();
    let state = guard.get_or_insert_with(Direct::default);
    state.spawning -= 1;
    let (child, pid) = spawned?;
    *state.pids.entry(pid).or_default() += 1;
    Ok(child)
}

/// Forgets a direct child once its waiter has reaped it.
pub fn direct_child_reaped(pid: u32) {
    if let Some(state) = direct().as_mut() {
        if let Some(count) = state.pids.get_mut(&pid) {
            *count -= 1;
            if *count == 0 {
                state.pids.remove(&pid);
            }
        }
    }
}

/// Reaps every zombie that is this process's child but not a direct child waited on
/// elsewhere: orphans reparented to the subreaper. The process table is read without
/// the lock; only the few zombies found are checked again under it.
pub fn reap_orphans() {
    if crate::platform::portable() {
        return; // no subreaper: orphans go to init (launchd), which reaps them
    }
    let me = std::process::id();
    let is_our_zombie =
        |pid: u32| state_and_parent(pid).is_some_and(|(state, ppid)| ppid == me && (state == 'Z' || state == 'X'));
    let zombies: Vec<u32> = own_children().into_iter().filter(|&pid| is_our_zombie(pid)).collect();
    if zombies.is_empty() {
        return;
    }
    let guard = direct();
    if guard.as_ref().is_some_and(|d| d.spawning > 0) {
        return; // the next call reaps them
    }
    for pid in zombies {
        if guard.as_ref().is_some_and(|d| d.pids.contains_key(&pid)) || !is_our_zombie(pid) {
            continue;
        }
        // SAFETY: waitid on one pid that is our child and that no other thread waits
        // for (it is no direct child, and none is being spawned); WNOHANG never blocks.
        unsafe {
            let mut info: libc::siginfo_t = std::mem::zeroed();
            libc::waitid(libc::P_PID, pid as libc::id_t, &mut info, libc::WEXITED | libc::WNOHANG);
        }
    }
}

/// Live processes that came to this subreaper when their parent died: its children
/// that it did not start itself (`grader batch` uses it after a grader it started was
/// killed: whatever that grader had started is then here).
pub fn orphans() -> Vec<u32> {
    if crate::platform::portable() {
        return Vec::new(); // no subreaper: none comes here
    }
    let me = std::process::id();
    // The whole table, not own_children(): the kernel's children lists may miss a child
    // while they change, and here a miss would leave a program running.
    let children: Vec<u32> = all_pids()
        .into_iter()
        .filter(|&pid| state_and_parent(pid).is_some_and(|(state, ppid)| ppid == me && state != 'Z' && state != 'X'))
        .collect();
    let guard = direct();
    children.into_iter().filter(|pid| !guard.as_ref().is_some_and(|d| d.pids.contains_key(pid))).collect()
}
