//! Runs the chosen checks, several at a time, and hands each result to the reporter
//! in registry order as soon as it and every check before it are done.
//!
//! Checks are independent (each starts its own programs on its own ports), so running
//! them side by side is safe and makes the whole suite take about as long as its
//! slowest check. A check whose prerequisite did not pass is skipped, not run.

use std::cmp::Reverse;
use std::collections::HashMap;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::{mpsc, Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use harness::outcome::{CheckResult, Failure};
use harness::sockets::Proto;
use harness::{Env, FirstStart, Harness};
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
///
/// A check is ready once each of its prerequisites has finished (a skipped one is
/// settled at once); among the ready ones the runner starts first the one that heads
/// the longest chain of `waits` (started last, a 4 s check would end the run 4 s after
/// the rest), then the one that more checks wait for (a gate), then the earlier one.
/// No barrier: a check waits only for its own prerequisites.
///
/// A server's gate (`LAB/ROLE-starts`) is decided by the first check that needs only it
/// (its carrier), at that check's first start of the role: the server it starts is the
/// gate's, so the gate costs no start of its own. The gate's result is out, and the
/// other checks after it free to go, as soon as that server listens (or fails to); if
/// it failed, the carrier is skipped like the rest. A carrier that did not start the
/// role leaves the gate to run on its own.
pub fn run(
    plan: &[Planned],
    env: Arc<Env>,
    jobs: usize,
    seed: u64,
    mut on_result: impl FnMut(&CheckReport),
) -> Vec<CheckReport> {
    let graph = Graph::new(plan);
    let shared = Arc::new(Shared {
        state: Mutex::new(State { taken: vec![false; plan.len()], status: vec![None; plan.len()] }),
        finished: Condvar::new(),
    });
    let mut results: Vec<Option<CheckReport>> = vec![None; plan.len()];
    let mut emitted = 0;
    let (tx, rx) = mpsc::channel::<(usize, CheckReport)>();
    std::thread::scope(|scope| {
        for _ in 0..jobs.clamp(1, plan.len().max(1)) {
            let done = Done { tx: tx.clone(), shared: shared.clone() };
            let (graph, env) = (&graph, &env);
            scope.spawn(move || {
                while let Some(task) = graph.take(&done.shared) {
                    let sent = match task {
                        Task::One(index, Some(dep)) => {
                            done.publish(index, skipped(plan[index], format!("skipped: {dep} did not pass")))
                        }
                        Task::One(index, None) => done.publish(index, run_one(plan[index], env.clone(), seed, None)),
                        Task::Carried { gate, carrier } => carry(plan, gate, carrier, env, seed, &done),
                    };
                    if !sent {
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
    results.into_iter().map(|r| r.expect("every planned check has run")).collect()
}

/// Runs `carrier` deciding `gate` at its first start of the gate's role (see [`run`]).
fn carry(plan: &[Planned], gate: usize, carrier: usize, env: &Arc<Env>, seed: u64, done: &Done) -> bool {
    let (role, proto) = match plan[gate].check.run {
        Run::Starts(role, proto) => (role, proto),
        _ => unreachable!("a carried check is a gate"),
    };
    let decided: Arc<Mutex<Option<Status>>> = Arc::default();
    let started = Instant::now();
    let tell: FirstStart = {
        let (decided, done, planned) = (decided.clone(), done.clone(), plan[gate]);
        Box::new(move |outcome, transcript| {
            let report = report_of(planned, outcome, transcript, started.elapsed().as_millis() as u64, None);
            if let Ok(mut decided) = decided.lock() {
                *decided = Some(report.status);
            }
            done.publish(gate, report);
        })
    };
    let report = run_one(plan[carrier], env.clone(), seed, Some((role, proto, tell)));
    let decided = decided.lock().ok().and_then(|d| *d);
    match decided {
        // The carrier never started the role: the gate runs on its own, after it.
        None => {
            let gate_report = run_one(plan[gate], env.clone(), seed, None);
            let failed = gate_report.status.failed();
            let sent = done.publish(gate, gate_report);
            let report = if failed { skipped(plan[carrier], not_passed(plan[gate])) } else { report };
            sent && done.publish(carrier, report)
        }
        Some(status) if status.failed() => done.publish(carrier, skipped(plan[carrier], not_passed(plan[gate]))),
        Some(_) => done.publish(carrier, report),
    }
}

fn not_passed(gate: Planned) -> String {
    format!("skipped: {} did not pass", gate.id())
}

/// What the workers share: the state of every check, and a signal when one finishes.
struct Shared {
    state: Mutex<State>,
    finished: Condvar,
}

/// What the workers share: which checks have been taken, and how each one ended.
struct State {
    taken: Vec<bool>,
    status: Vec<Option<Status>>,
}

/// Where a worker hands a finished check: to the reporter, and to the other workers
/// waiting for it.
#[derive(Clone)]
struct Done {
    tx: mpsc::Sender<(usize, CheckReport)>,
    shared: Arc<Shared>,
}

impl Done {
    /// False when the reporter is gone.
    fn publish(&self, index: usize, report: CheckReport) -> bool {
        let status = report.status;
        let sent = self.tx.send((index, report)).is_ok();
        if let Ok(mut state) = self.shared.state.lock() {
            state.status[index] = Some(status);
        }
        self.shared.finished.notify_all();
        sent
    }
}

/// What a worker does next.
enum Task {
    /// One check, or its skip for the prerequisite (named) that did not pass.
    One(usize, Option<String>),
    /// A gate, decided by its carrier as that runs.
    Carried { gate: usize, carrier: usize },
}

/// The plan's prerequisites, by index, and the order in which ready checks start.
struct Graph {
    /// For each check: its prerequisites in the plan, by index, with their ids; and
    /// the id of any prerequisite the plan lacks (it cannot pass: the check is skipped).
    needs: Vec<Vec<usize>>,
    missing: Vec<Option<String>>,
    ids: Vec<String>,
    /// Plan indices, best first: longest chain of `waits` through the check, most
    /// checks waiting for it, earliest in the plan.
    order: Vec<usize>,
    /// For a gate: the first check that needs it and nothing else, which decides it.
    carrier: Vec<Option<usize>>,
}

impl Graph {
    fn new(plan: &[Planned]) -> Graph {
        let ids: Vec<String> = plan.iter().map(Planned::id).collect();
        let index: HashMap<&str, usize> = ids.iter().enumerate().map(|(i, id)| (id.as_str(), i)).collect();
        let mut needs = vec![Vec::new(); plan.len()];
        let mut missing = vec![None; plan.len()];
        for (i, planned) in plan.iter().enumerate() {
            for slug in planned.check.after {
                let id = format!("{}/{slug}", planned.lab.name);
                match index.get(id.as_str()) {
                    Some(&dep) if dep != i => needs[i].push(dep),
                    _ => {
                        missing[i].get_or_insert(id);
                    }
                }
            }
        }
        // The longest chain of waits from each check to the end, and how many checks
        // need it: prerequisites come before their dependents in a plan (the registry
        // orders them so), so one pass from the end settles both.
        let mut chain: Vec<Duration> = plan.iter().map(|p| p.check.waits).collect();
        let mut waiting = vec![0usize; plan.len()];
        for i in (0..plan.len()).rev() {
            for &dep in &needs[i] {
                chain[dep] = chain[dep].max(plan[dep].check.waits + chain[i]);
                waiting[dep] += 1 + waiting[i];
            }
        }
        let mut order: Vec<usize> = (0..plan.len()).collect();
        order.sort_by_key(|&i| (Reverse(chain[i]), Reverse(waiting[i]), i));
        // A gate's carrier is the lab's first check after it, when the plan has it: the
        // same check decides the gate in a full run and in a run of a few checks
        // (`--check`); without it, the gate runs alone.
        let carrier = (0..plan.len())
            .map(|gate| {
                plan[gate].check.gate_of()?;
                let lab = plan[gate].lab;
                let first = lab.checks.iter().find(|c| c.after.contains(&plan[gate].check.slug))?;
                let d = index.get(lab.check_id(first).as_str()).copied()?;
                (needs[d] == [gate] && missing[d].is_none()).then_some(d)
            })
            .collect();
        Graph { needs, missing, ids, order, carrier }
    }

    /// Takes the best ready check, waiting while none is ready but some still run;
    /// with it, the prerequisite that did not pass, if one did not. A gate comes with
    /// its carrier. None: all taken.
    fn take(&self, shared: &Shared) -> Option<Task> {
        let mut state = shared.state.lock().ok()?;
        loop {
            if state.taken.iter().all(|t| *t) {
                return None;
            }
            let ready = self
                .order
                .iter()
                .copied()
                .find(|&i| !state.taken[i] && self.needs[i].iter().all(|&dep| state.status[dep].is_some()));
            if let Some(i) = ready {
                state.taken[i] = true;
                if let Some(carrier) = self.carrier[i].filter(|&c| !state.taken[c]) {
                    state.taken[carrier] = true;
                    return Some(Task::Carried { gate: i, carrier });
                }
                // A prerequisite the grader could not do (an error, not the program's
                // failure) does not hold its dependents back: they find out for
                // themselves.
                let unmet = self.missing[i].clone().or_else(|| {
                    self.needs[i]
                        .iter()
                        .find(|&&dep| !matches!(state.status[dep], Some(Status::Pass | Status::Error)))
                        .map(|&dep| self.ids[dep].clone())
                });
                return Some(Task::One(i, unmet));
            }
            state = shared.finished.wait(state).ok()?;
        }
    }
}

/// The seed of one check: the run's seed mixed with the check's id, so `--check ID
/// --seed N` repeats exactly what that check did in the full run.
fn check_seed(seed: u64, id: &str) -> u64 {
    // FNV-1a: stable across Rust versions, unlike the standard library's hasher.
    id.bytes().fold(seed ^ 0xcbf2_9ce4_8422_2325, |h, b| (h ^ b as u64).wrapping_mul(0x0000_0100_0000_01b3))
}

fn run_one(planned: Planned, env: Arc<Env>, seed: u64, first_start: Option<(&str, Proto, FirstStart)>) -> CheckReport {
    let id = planned.id();
    let started = Instant::now();
    let mut harness = Harness::new(env.clone(), check_seed(seed, &id));
    if let Some((role, proto, tell)) = first_start {
        harness = harness.on_first_start(role, proto, tell);
    }
    let (mut outcome, mut harness) = attempt(planned, harness);
    // A client written before the contract had `--timeout` (argparse without it exits
    // 2, "unrecognized arguments") is not failed for it: the check runs again, with
    // the same seed, without the option, and judges the client with its own timeout.
    let mut rejected = None;
    if outcome.is_err() {
        if let Some(why) = harness.timeout_rejected() {
            let again = Harness::new(env, check_seed(seed, &id)).without_timeout_option();
            again.note(format!("{why}; the check runs again without it"));
            (outcome, harness) = attempt(planned, again);
            rejected = Some(why);
        }
    }
    let rejected = rejected.map(|why| format!("{why}; so it was graded without --timeout, with its own timeout"));
    report_of(planned, outcome, harness.transcript(), started.elapsed().as_millis() as u64, rejected)
}

/// The report of one check from its outcome and transcript; `detail` is added to a
/// failure.
fn report_of(
    planned: Planned,
    outcome: CheckResult,
    transcript: Vec<harness::transcript::Event>,
    duration_ms: u64,
    detail: Option<String>,
) -> CheckReport {
    let outcome = outcome.map_err(|failure| {
        let failure = harness::diagnose::with_stderr_of_programs(failure, &transcript);
        match &detail {
            Some(detail) => failure.detail(detail.clone()),
            None => failure,
        }
    });
    let (status, points, failure) = match outcome {
        Ok(()) => (Status::Pass, planned.check.points, None),
        Err(failure) if failure.kind == harness::outcome::FailureKind::Skipped => (Status::Skipped, 0, Some(failure)),
        Err(failure) => (Status::of(&failure), 0, Some(failure)),
    };
    CheckReport {
        id: planned.id(),
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

/// Runs the check once with `harness`; its programs are stopped when this returns.
fn attempt(planned: Planned, mut harness: Harness) -> (CheckResult, Harness) {
    // A panic in a check is a bug of the grader; it must not take the run down, and it
    // is reported as the grader's error, not as the student's failure.
    let outcome = catch_unwind(AssertUnwindSafe(|| match planned.check.run {
        Run::Native(run) => run(&mut harness),
        Run::Dialogue(script) => labs::dialogue::run(script, &mut harness),
        Run::Starts(role, proto) => labs::gate::run(role, proto, &mut harness),
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
    let outcome = match harness.fault().or_else(|| undeclared_start(planned, &harness, outcome.is_ok())) {
        Some(why) => Err(Failure::grader(why)),
        None => outcome,
    };
    (outcome, harness)
}

/// A check that started a server role it does not depend on the gate of (it would run,
/// and fail, where the gate failed), or that passed without starting one it depends on
/// (it would be skipped for nothing): a bug of the grader's registry, found in every
/// run of the solutions.
fn undeclared_start(planned: Planned, harness: &Harness, passed: bool) -> Option<String> {
    let lab = planned.lab;
    let gated: Vec<(&str, Proto)> = planned
        .check
        .after
        .iter()
        .filter_map(|slug| lab.checks.iter().find(|c| c.slug == *slug))
        .filter_map(|c| match c.run {
            Run::Starts(role, proto) => Some((role, proto)),
            _ => None,
        })
        .collect();
    if planned.check.gate_of().is_some() {
        return None;
    }
    let started = harness.servers_started();
    let has_gate = |role: &str, proto: Proto| lab.roles.iter().any(|r| r.name == role && r.listens == Some(proto));
    if let Some((role, _)) =
        started.iter().find(|(role, proto)| has_gate(role, *proto) && !gated.iter().any(|(g, _)| g == role))
    {
        return Some(format!(
            "the grader's check {} starts {role} without depending on {}/{}: a bug of the grader",
            planned.id(),
            lab.name,
            labs::registry::gate_slug(role)
        ));
    }
    let unused = gated.iter().find(|(role, proto)| !started.iter().any(|(r, p)| r == role && p == proto));
    match unused {
        Some((role, _)) if passed => Some(format!(
            "the grader's check {} depends on {}/{} but did not start {role}: a bug of the grader",
            planned.id(),
            lab.name,
            labs::registry::gate_slug(role)
        )),
        _ => None,
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

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicBool, Ordering};

    use super::*;
    use harness::outcome::{CheckResult, Failure};

    fn env() -> Arc<Env> {
        Arc::new(Env {
            programs: HashMap::new(),
            timeouts: harness::deadline::Timeouts::scaled(1.0),
            limits: harness::process::Limits::default(),
            require_sandbox: false,
        })
    }

    const fn check(slug: &'static str, run: fn(&mut Harness) -> CheckResult, after: &'static [&'static str]) -> Check {
        Check { slug, name: slug, points: 1, run: Run::Native(run), after, starts: &[], waits: Duration::ZERO }
    }

    fn plan(lab: &'static Lab) -> Vec<Planned> {
        lab.checks.iter().map(|check| Planned { lab, check }).collect()
    }

    fn pass(_: &mut Harness) -> CheckResult {
        Ok(())
    }

    fn fail(_: &mut Harness) -> CheckResult {
        Err(Failure::mismatch("wrong"))
    }

    fn grader_error(_: &mut Harness) -> CheckResult {
        Err(Failure::grader("the grader's own trouble"))
    }

    static DEPENDENT_RAN: AtomicBool = AtomicBool::new(false);

    /// Passes once `dependent` has run: under a barrier between waves it never would,
    /// as `dependent` waits in the next wave for this one to end.
    fn waits_for_dependent(_: &mut Harness) -> CheckResult {
        let deadline = Instant::now() + Duration::from_secs(10);
        harness::deadline::poll_until(deadline, || DEPENDENT_RAN.load(Ordering::SeqCst).then_some(()))
            .ok_or_else(|| Failure::mismatch("the dependent check did not run while this one ran"))
    }

    fn dependent(_: &mut Harness) -> CheckResult {
        DEPENDENT_RAN.store(true, Ordering::SeqCst);
        Ok(())
    }

    static NO_BARRIER: Lab = Lab {
        name: "t",
        title: "",
        roles: &[],
        checks: &[
            check("slow", waits_for_dependent, &[]),
            check("first", pass, &[]),
            check("then", dependent, &["first"]),
        ],
        home: None,
        mutants: &[],
    };

    #[test]
    fn a_check_waits_only_for_its_own_prerequisites() {
        let results = run(&plan(&NO_BARRIER), env(), 2, 1, |_| {});
        let statuses: Vec<Status> = results.iter().map(|r| r.status).collect();
        assert_eq!(statuses, [Status::Pass; 3], "{:?}", results.iter().map(|r| &r.message).collect::<Vec<_>>());
    }

    static SKIPS: Lab = Lab {
        name: "t",
        title: "",
        roles: &[],
        checks: &[
            check("a", fail, &[]),
            check("b", pass, &["a"]),
            check("c", pass, &["b"]),
            check("d", grader_error, &[]),
            check("e", pass, &["d"]),
            check("f", pass, &[]),
        ],
        home: None,
        mutants: &[],
    };

    #[test]
    fn a_failed_prerequisite_skips_its_dependents_and_results_come_in_plan_order() {
        for jobs in [1, 3, 8] {
            let mut seen = Vec::new();
            let results = run(&plan(&SKIPS), env(), jobs, 1, |r| seen.push(r.id.clone()));
            let ids: Vec<&str> = results.iter().map(|r| r.id.as_str()).collect();
            assert_eq!(ids, ["t/a", "t/b", "t/c", "t/d", "t/e", "t/f"]);
            assert_eq!(seen, ids, "reported in plan order as they finish");
            let statuses: Vec<Status> = results.iter().map(|r| r.status).collect();
            use Status::*;
            // A grader error of a prerequisite does not skip: the dependent finds out.
            assert_eq!(statuses, [Fail, Skipped, Skipped, Error, Pass, Pass]);
            assert_eq!(results[1].message.as_deref(), Some("skipped: t/a did not pass"));
            assert_eq!(results[2].message.as_deref(), Some("skipped: t/b did not pass"));
        }
    }

    #[test]
    fn a_prerequisite_missing_from_the_plan_skips_its_dependent() {
        let plan: Vec<Planned> = plan(&SKIPS).into_iter().filter(|p| p.check.slug != "a").collect();
        let results = run(&plan, env(), 2, 1, |_| {});
        assert_eq!(results[0].status, Status::Skipped);
        assert_eq!(results[0].message.as_deref(), Some("skipped: t/a did not pass"));
    }

    static CHAINS: Lab = Lab {
        name: "t",
        title: "",
        roles: &[],
        checks: &[
            check("plain", pass, &[]),
            check("gate", pass, &[]),
            check("x", pass, &["gate"]),
            check("y", pass, &["gate"]),
            check("long", pass, &[]).waits_secs(2),
            check("gate2", pass, &[]),
            check("longer", pass, &["gate2"]).waits_secs(3),
        ],
        home: None,
        mutants: &[],
    };

    fn starts_t_server(h: &mut Harness) -> CheckResult {
        h.server("t-server").start().map(drop)
    }

    const GATE: Check = Check {
        slug: "t-server-starts",
        name: "t-server starts",
        points: 0,
        run: Run::Starts("t-server", Proto::Tcp),
        after: &[],
        starts: &[],
        waits: Duration::ZERO,
    };

    /// The first check after the gate starts the server: its start decides the gate. Here
    /// the role has no program, so both are the grader's errors, and a check after a
    /// gate that erred still runs (it is not skipped for the grader's trouble).
    static CARRIED: Lab = Lab {
        name: "t",
        title: "",
        roles: &[labs::registry::Role::server("t-server", 1)],
        checks: &[
            GATE,
            check("a", starts_t_server, &["t-server-starts"]).starts(&["t-server"]),
            check("b", starts_t_server, &["t-server-starts"]).starts(&["t-server"]),
        ],
        home: None,
        mutants: &[],
    };

    /// The first check after the gate never starts the server: the gate runs on its own.
    static NOT_CARRIED: Lab = Lab {
        name: "t",
        title: "",
        roles: &[labs::registry::Role::server("t-server", 1)],
        checks: &[GATE, check("a", fail, &["t-server-starts"]), check("b", starts_t_server, &["t-server-starts"])],
        home: None,
        mutants: &[],
    };

    #[test]
    fn a_gate_is_decided_by_the_first_check_after_it_or_runs_alone() {
        for jobs in [1, 4] {
            let graph = Graph::new(&plan(&CARRIED));
            assert_eq!(graph.carrier, [Some(1), None, None]);
            let results = run(&plan(&CARRIED), env(), jobs, 1, |_| {});
            let statuses: Vec<Status> = results.iter().map(|r| r.status).collect();
            assert_eq!(statuses, [Status::Error; 3], "{:?}", results.iter().map(|r| &r.message).collect::<Vec<_>>());
            assert!(results[0].message.as_deref().unwrap().contains("no program is set up for the role t-server"));

            let results = run(&plan(&NOT_CARRIED), env(), jobs, 1, |_| {});
            let statuses: Vec<Status> = results.iter().map(|r| r.status).collect();
            // The gate ran alone (its error is the grader's); `a` kept its own verdict.
            assert_eq!(statuses, [Status::Error, Status::Fail, Status::Error]);
            assert!(results[0].message.as_deref().unwrap().contains("no program is set up for the role t-server"));
        }
    }

    #[test]
    fn the_longest_chain_of_waits_starts_first_then_what_most_checks_wait_for() {
        let graph = Graph::new(&plan(&CHAINS));
        let order: Vec<&str> = graph.order.iter().map(|&i| CHAINS.checks[i].slug).collect();
        assert_eq!(order, ["gate2", "longer", "long", "gate", "plain", "x", "y"]);
    }
}
