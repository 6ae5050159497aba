//! `grader test --repeat N`: runs the chosen checks N times and reports each check's
//! pass rate, telling flaky checks (passed sometimes) from failing ones (never passed).
//!
//! A correct program must pass every time, so against the reference solutions any
//! check that is not N/N is a bug of the grader (a deadline too tight, a race in
//! readiness) to be fixed at its cause. Each run has its own seed (the base seed plus
//! the run's number), printed with every failure so that it can be repeated alone.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Instant;

use anyhow::{bail, Context, Result};
use serde::Serialize;

use crate::inner::Net;
use crate::runner::Planned;
use harness::Env;
use report::output::{Format, FormatArg};
use report::Status;

/// Where the repeat summary goes: the human one always on the terminal, the JSON one
/// to stdout or a file when asked for.
pub struct Dest {
    json: Option<Option<PathBuf>>,
}

/// `--repeat` reports only as text or JSON: the platforms' formats describe one run.
pub fn dest(formats: &[FormatArg], output: Option<&Path>) -> Result<Dest> {
    let mut json = None;
    for arg in formats {
        match arg.format {
            Format::Human if arg.path.is_none() => {}
            Format::Json if json.is_none() => json = Some(arg.path.clone().or_else(|| output.map(Path::to_path_buf))),
            _ => bail!("--repeat reports its pass rates as text, or with --format json as JSON; no other format"),
        }
    }
    Ok(Dest { json })
}

/// The command that repeats one check of one run: (seed, id) -> command.
pub type Reproduce = Box<dyn Fn(u64, &str) -> String>;

/// What to repeat.
pub struct Repeat<'a> {
    pub plan: &'a [Planned],
    pub env: Arc<Env>,
    pub jobs: usize,
    pub seed: u64,
    pub net: Net,
    pub times: u32,
    pub notes: Vec<String>,
    pub reproduce: Reproduce,
}

#[derive(Serialize)]
struct Summary {
    runs: u32,
    first_seed: u64,
    duration_ms: u64,
    notes: Vec<String>,
    /// Checks that passed every run.
    passed: usize,
    /// Checks that passed some runs but not all.
    flaky: usize,
    /// Checks that never passed.
    failing: usize,
    checks: Vec<CheckRate>,
}

#[derive(Serialize)]
struct CheckRate {
    id: String,
    runs: u32,
    passed: u32,
    /// `pass` (every run), `flaky` or `fail` (no run).
    verdict: &'static str,
    failures: Vec<RunFailure>,
}

#[derive(Serialize)]
struct RunFailure {
    run: u32,
    seed: u64,
    status: Status,
    message: String,
    reproduce: String,
    /// The whole failure and the transcript's last lines, to find the cause of a
    /// failure that a seed alone does not repeat (a timing).
    failure: Option<harness::outcome::Failure>,
    transcript: Vec<String>,
}

/// Most transcript lines kept per failure.
const KEPT_LINES: usize = 80;

/// Most failures kept per check in the summary: enough to see a pattern.
const KEPT_FAILURES: usize = 10;

pub fn run(repeat: Repeat<'_>, dest: Dest) -> Result<ExitCode> {
    let started = Instant::now();
    let mut rates: BTreeMap<usize, CheckRate> = repeat
        .plan
        .iter()
        .enumerate()
        .map(|(i, p)| (i, CheckRate { id: p.id(), runs: 0, passed: 0, verdict: "pass", failures: Vec::new() }))
        .collect();
    let mut notes = repeat.notes.clone();
    let mut first_notes = Vec::new();
    let mut errors = 0;
    for run in 0..repeat.times {
        let seed = repeat.seed.wrapping_add(run as u64);
        let run_started = Instant::now();
        let mut run_notes = Vec::new();
        let results =
            crate::inner::run(repeat.plan, repeat.env.clone(), repeat.jobs, seed, repeat.net, &mut run_notes, |_| {})?;
        // A run made differently from the first (the private network could not be
        // made, say) is named: its failures may come from that.
        let mut different = Vec::new();
        if run == 0 {
            first_notes = run_notes.clone();
            notes.extend(run_notes);
        } else if run_notes != first_notes {
            for note in run_notes.iter().filter(|n| !first_notes.contains(n)) {
                different.push(note.clone());
                notes.push(format!("run {}: {note}", run + 1));
            }
        }
        if harness::process::interrupted() {
            return Ok(ExitCode::from(130));
        }
        let mut failed = Vec::new();
        for (index, result) in results.iter().enumerate() {
            let rate = rates.get_mut(&index).expect("one result per planned check");
            rate.runs += 1;
            if result.status == Status::Pass {
                rate.passed += 1;
                continue;
            }
            errors += usize::from(result.status == Status::Error);
            failed.push(format!("{} ({})", result.id, status_name(result.status)));
            if rate.failures.len() < KEPT_FAILURES {
                rate.failures.push(RunFailure {
                    run: run + 1,
                    seed,
                    status: result.status,
                    message: result.message.clone().unwrap_or_default(),
                    reproduce: (repeat.reproduce)(seed, &result.id),
                    failure: result.failure.clone(),
                    transcript: result.transcript[result.transcript.len().saturating_sub(KEPT_LINES)..]
                        .iter()
                        .map(|e| format!("{:>6} ms {}", e.at_ms, e.render()))
                        .collect(),
                });
            }
        }
        let passed = results.len() - failed.len();
        let mut line = format!(
            "grader: run {}/{}: {passed}/{} passed in {:.1} s (seed {seed})",
            run + 1,
            repeat.times,
            results.len(),
            run_started.elapsed().as_secs_f32()
        );
        if !failed.is_empty() {
            line.push_str(&format!("; not passed: {}", failed.join(", ")));
        }
        if !different.is_empty() {
            line.push_str(&format!("; note: {}", different.join("; ")));
        }
        eprintln!("{line}");
    }

    let mut checks: Vec<CheckRate> = rates.into_values().collect();
    for rate in &mut checks {
        rate.verdict = match rate.passed {
            p if p == rate.runs => "pass",
            0 => "fail",
            _ => "flaky",
        };
    }
    let count = |verdict: &str| checks.iter().filter(|c| c.verdict == verdict).count();
    let summary = Summary {
        runs: repeat.times,
        first_seed: repeat.seed,
        duration_ms: started.elapsed().as_millis() as u64,
        notes,
        passed: count("pass"),
        flaky: count("flaky"),
        failing: count("fail"),
        checks,
    };
    match &dest.json {
        Some(Some(path)) => std::fs::write(path, to_json(&summary)?)
            .with_context(|| format!("cannot write the JSON summary to {}", path.display()))?,
        Some(None) => {
            std::io::stdout().write_all(&to_json(&summary)?).context("cannot write the JSON summary")?;
        }
        None => {}
    }
    let text = human(&summary);
    if matches!(dest.json, Some(None)) {
        eprint!("{text}");
    } else {
        print!("{text}");
    }
    if errors > 0 {
        bail!("{errors} check run(s) could not be graded, through no fault of the program (see above)");
    }
    Ok(if summary.flaky == 0 && summary.failing == 0 { ExitCode::SUCCESS } else { ExitCode::FAILURE })
}

fn to_json(summary: &Summary) -> Result<Vec<u8>> {
    let mut bytes = serde_json::to_vec_pretty(summary)?;
    bytes.push(b'\n');
    Ok(bytes)
}

fn status_name(status: Status) -> &'static str {
    match status {
        Status::Pass => "pass",
        Status::Fail => "fail",
        Status::Timeout => "timeout",
        Status::Skipped => "skipped",
        Status::Error => "grader error",
    }
}

/// The text summary: the flaky and failing checks with their failures, then a count.
fn human(summary: &Summary) -> String {
    let mut out = String::new();
    for (verdict, title) in [("flaky", "flaky (passed some runs, not all)"), ("fail", "failing (passed no run)")] {
        let list: Vec<&CheckRate> = summary.checks.iter().filter(|c| c.verdict == verdict).collect();
        if list.is_empty() {
            continue;
        }
        out.push_str(&format!("{title}:\n"));
        for check in list {
            out.push_str(&format!("  {}  {}/{} passed\n", check.id, check.passed, check.runs));
            for failure in &check.failures {
                out.push_str(&format!(
                    "    run {} ({}): {}\n      {}\n",
                    failure.run,
                    status_name(failure.status),
                    failure.message,
                    failure.reproduce
                ));
            }
        }
    }
    out.push_str(&format!(
        "{} runs of {} checks in {:.1} s: {} passed every run, {} flaky, {} failing\n",
        summary.runs,
        summary.checks.len(),
        summary.duration_ms as f64 / 1000.0,
        summary.passed,
        summary.flaky,
        summary.failing
    ));
    for note in &summary.notes {
        out.push_str(&format!("note: {note}\n"));
    }
    out
}
