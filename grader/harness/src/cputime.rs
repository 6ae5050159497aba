//! The CPU time a program under test uses: a measure of its work that a loaded machine
//! does not distort. Wall-clock time on a shared two-core machine depends on everyone
//! else; CPU time depends on the algorithm. A server that scans its whole buffer again
//! after every read uses 35 s of CPU for a 64 MiB message, whatever the load, where a
//! linear one uses well under one.

use std::fs;
use std::time::Duration;

use crate::fragment::bytes;
use crate::harness::Server;
use crate::outcome::{Failure, FailureKind};
use crate::proctable;

/// /proc/PID/stat counts in clock ticks of 1/100 s (Linux's USER_HZ on every
/// architecture it reports to user space).
const TICK: Duration = Duration::from_millis(10);

/// CPU time (user and system, of every thread) used by the processes of group `pgid`,
/// with their children that have exited; `None` without a Linux /proc.
pub fn of_group(pgid: u32) -> Option<Duration> {
    if !proctable::available() {
        return None;
    }
    let ticks: u64 = crate::process::group_members(pgid).iter().filter_map(|m| ticks_of(m.pid)).sum();
    Some(TICK * ticks as u32)
}

/// utime + stime + cutime + cstime from /proc/PID/stat, fields 14 to 17.
fn ticks_of(pid: u32) -> Option<u64> {
    let stat = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // After the command name in parentheses: state is field 3, utime field 14.
    let fields: Vec<&str> = stat[stat.rfind(')')? + 1..].split_whitespace().collect();
    fields.get(11..15)?.iter().map(|f| f.parse::<u64>().ok()).sum()
}

/// A CPU budget for a server during one step of a check: it fails the step once the
/// server has used more than `limit` since the budget began, and tells an exchange
/// (bulk.rs) whether the server is busy working, so that a slow but busy server is
/// not taken for a stuck one.
pub struct CpuBudget {
    pgid: u32,
    role: String,
    limit: Duration,
    start: Option<Duration>,
    last: Option<Duration>,
    exceeded: bool,
}

impl Server {
    /// Starts counting the CPU time this server uses from now, up to `limit`.
    pub fn cpu_budget(&self, limit: Duration) -> CpuBudget {
        let start = of_group(self.pid());
        CpuBudget { pgid: self.pid(), role: self.role().to_string(), limit, start, last: start, exceeded: false }
    }
}

impl CpuBudget {
    /// Whether CPU time can be measured here at all.
    pub fn available(&self) -> bool {
        self.start.is_some()
    }

    /// The CPU time used since the budget began. (A process of the group that exits
    /// takes its time along unless one of the group waits for it: never below zero.)
    pub fn used(&self) -> Option<Duration> {
        Some(self.last?.saturating_sub(self.start?))
    }

    /// Whether a check has failed for using more than the budget.
    pub fn exceeded(&self) -> bool {
        self.exceeded
    }

    /// `Ok(true)` if the server has used CPU since the last call (it is working), an
    /// error once it has used more than the budget.
    pub fn check(&mut self) -> Result<bool, Failure> {
        let Some(start) = self.start else {
            return Ok(false);
        };
        let Some(now) = of_group(self.pgid) else {
            return Ok(false);
        };
        let busy = self.last.is_some_and(|last| now > last);
        self.last = Some(now);
        let used = now.saturating_sub(start);
        if used > self.limit {
            self.exceeded = true;
            return Err(Failure::new(
                FailureKind::Timeout,
                format!("{} was too slow: it used more than {:.1} s of CPU time", self.role, self.limit.as_secs_f64()),
            ));
        }
        Ok(busy)
    }
}

/// A note for the transcript: "0.41 s of CPU time (0.87 s in all) for 64 MiB".
pub fn describe(used: Option<Duration>, wall: Duration, data: u64) -> String {
    match used {
        Some(cpu) => {
            format!("{:.2} s of CPU time ({:.2} s in all) for {}", cpu.as_secs_f64(), wall.as_secs_f64(), bytes(data))
        }
        None => format!("{:.2} s for {}", wall.as_secs_f64(), bytes(data)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Instant;

    #[test]
    fn counts_the_cpu_time_of_a_process_group() {
        if !proctable::available() {
            return;
        }
        // The test runner is in some process group; it has used some CPU by now.
        let me = std::process::id();
        let (_, group) = proctable::state_and_group(me).expect("own stat");
        let before = of_group(group).expect("/proc is there");
        // Spin until the kernel has counted 50 ms more; on a loaded machine that takes
        // longer in wall-clock time, never forever.
        let spin = Instant::now();
        let mut x = 0u64;
        while of_group(group).unwrap() < before + Duration::from_millis(50) {
            for _ in 0..1_000_000 {
                x = x.wrapping_add(std::hint::black_box(1));
            }
            assert!(spin.elapsed() < Duration::from_secs(30), "the CPU time of the group never grew");
        }
        assert!(x > 0);
    }
}
