//! Runs the chosen checks, several at a time, and hands each result to the reporter
//! in registry order as soon as it and every check before it are done.
//!
//! Checks are independent (each starts its own programs on its own ports), so running
//! them side by side is safe and makes the whole suite take about as long as its
//! slowest check. A check whose prerequisite did not pass is skipped, not run.

use std::collections::{HashMap, HashSet};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Arc};
use std::time::Instant;

use harness::outcome::Failure;
use harness::{Env, Harness};
use labs::registry::{Check, Lab, Run};
use report::{CheckReport, Status};

/// One check chosen for this run.
#[derive(Clone, Copy)]
pub struct Planned {
    pub lab: &'static Lab,
    pub check: &'static Check,
}

impl Planned {
    pub fn id(&self) -> String {
        self.lab.check_id(self.check)
    }
}

/// Runs `plan` with up to `jobs` checks at once; `on_result` sees every result in plan
/// order. A failure of a lab's build, for instance, is in `env` and surfaces as each
/// check's own failure when it starts that lab's program.
pub fn run(
    plan: &[Planned],
    env: Arc<Env>,
    jobs: usize,
    seed: u64,
    mut on_result: impl FnMut(&CheckReport),
) -> Vec<CheckReport> {
    let mut results: Vec<Option<CheckReport>> = vec![None; plan.len()];
    let mut emitted = 0;
    // Checks run in waves: a check goes in the wave after its last prerequisite.
    for mut wave in waves(plan) {
        // Longest waits first: started last, a 4 s check would end the run 4 s after
        // the rest. Results are still reported in plan order.
        wave.sort_by_key(|&index| std::cmp::Reverse(plan[index].check.waits));
        // Every prerequisite of this wave ran in an earlier one.
        let passed: HashSet<String> =
            results.iter().flatten().filter(|r| r.status == Status::Pass).map(|r| r.id.clone()).collect();
        let next = AtomicUsize::new(0);
        let (tx, rx) = mpsc::channel::<(usize, CheckReport)>();
        std::thread::scope(|scope| {
            for _ in 0..jobs.clamp(1, wave.len().max(1)) {
                let tx = tx.clone();
                let (wave, next, env, passed) = (&wave, &next, &env, &passed);
                scope.spawn(move || {
                    while let Some(&index) = wave.get(next.fetch_add(1, Ordering::SeqCst)) {
                        let planned = plan[index];
                        let report = match unmet_prerequisite(planned, passed) {
                            Some(dep) => skipped(planned, format!("skipped: {dep} did not pass")),
                            None => run_one(planned, env.clone(), seed),
                        };
                        if tx.send((index, report)).is_err() {
                            break;
                        }
                    }
                });
            }
            drop(tx);
            for (index, report) in rx {
                results[index] = Some(report);
                while emitted < plan.len() {
                    match &results[emitted] {
                        Some(report) => on_result(report),
                        None => break,
                    }
                    emitted += 1;
                }
            }
        });
    }
    results.into_iter().map(|r| r.expect("every planned check has run")).collect()
}

/// Groups plan indices into waves: prerequisites always in an earlier wave.
fn waves(plan: &[Planned]) -> Vec<Vec<usize>> {
    let mut depth: HashMap<String, usize> = HashMap::new();
    let mut waves: Vec<Vec<usize>> = Vec::new();
    for (index, planned) in plan.iter().enumerate() {
        let d = planned
            .check
            .after
            .iter()
            .filter_map(|slug| depth.get(&format!("{}/{slug}", planned.lab.name)))
            .map(|d| d + 1)
            .max()
            .unwrap_or(0);
        depth.insert(planned.id(), d);
        if waves.len() <= d {
            waves.resize(d + 1, Vec::new());
        }
        waves[d].push(index);
    }
    waves
}

fn unmet_prerequisite(planned: Planned, passed: &HashSet<String>) -> Option<String> {
    planned.check.after.iter().map(|slug| format!("{}/{slug}", planned.lab.name)).find(|id| !passed.contains(id))
}

/// The seed of one check: the run's seed mixed with the check's id, so `--check ID
/// --seed N` repeats exactly what that check did in the full run.
fn check_seed(seed: u64, id: &str) -> u64 {
    // FNV-1a: stable across Rust versions, unlike the standard library's hasher.
    id.bytes().fold(seed ^ 0xcbf2_9ce4_8422_2325, |h, b| (h ^ b as u64).wrapping_mul(0x0000_0100_0000_01b3))
}

fn run_one(planned: Planned, env: Arc<Env>, seed: u64) -> CheckReport {
    let id = planned.id();
    let started = Instant::now();
    let mut harness = Harness::new(env, check_seed(seed, &id));
    // A panic in a check is a bug of the grader; it must not take the run down, and it
    // is reported as the grader's error, not as the student's failure.
    let outcome = catch_unwind(AssertUnwindSafe(|| match planned.check.run {
        Run::Native(run) => run(&mut harness),
        Run::Dialogue(script) => labs::dialogue::run(script, &mut harness),
    }))
    .unwrap_or_else(|panic| {
        let what = panic
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| panic.downcast_ref::<String>().cloned())
            .unwrap_or_default();
        Err(Failure::grader(format!("the grader's check panicked: {what}")))
    });
    // The grader's own failure overrides whatever the check concluded from it.
    let outcome = match harness.fault() {
        Some(why) => Err(Failure::grader(why)),
        None => outcome,
    };
    let transcript = harness.transcript();
    let outcome = outcome.map_err(|failure| harness::diagnose::with_stderr_of_programs(failure, &transcript));
    let duration_ms = started.elapsed().as_millis() as u64;
    let (status, points, failure) = match outcome {
        Ok(()) => (Status::Pass, planned.check.points, None),
        Err(failure) if failure.kind == harness::outcome::FailureKind::Skipped => (Status::Skipped, 0, Some(failure)),
        Err(failure) => (Status::of(&failure), 0, Some(failure)),
    };
    CheckReport {
        id,
        lab: planned.lab.name.to_string(),
        name: planned.check.name.to_string(),
        status,
        points,
        max_points: planned.check.points,
        message: failure.as_ref().map(|f| f.summary.clone()),
        failure,
        duration_ms,
        transcript,
        hidden: false,
    }
}

fn skipped(planned: Planned, why: String) -> CheckReport {
    CheckReport {
        id: planned.id(),
        lab: planned.lab.name.to_string(),
        name: planned.check.name.to_string(),
        status: Status::Skipped,
        points: 0,
        max_points: planned.check.points,
        message: Some(why),
        failure: None,
        duration_ms: 0,
        transcript: Vec::new(),
        hidden: false,
    }
}
