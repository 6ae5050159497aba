//! `grader selftest LAB`: proves a lab's checks against the wrong programs it declares.
//! The reference must pass every check; each `[[mutant]]` of the lab.toml (the
//! reference of one role run with `--bug NAME`, or a command of its own) must fail
//! exactly the checks it declares. Each mutant is graded by the grader itself (`grader
//! test LAB --solutions --cmd ROLE=...`), so it is judged as a student would be.

use std::path::Path;
use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use clap::Args;

use crate::programs::{self, Source, Track};
use crate::workspace::{find_root, workspace_track};
use harness::deadline::Timeouts;
use labs::registry::{find_lab, labs, Lab};

#[derive(Args)]
pub struct SelftestArgs {
    /// The lab whose mutants to run.
    lab: String,
    /// Use the Python references (solutions/LAB/python/) for the mutants' --bug.
    #[arg(long)]
    python: bool,
    /// Seed for the checks' random choices.
    #[arg(long, default_value_t = 1)]
    seed: u64,
}

pub fn run(args: &SelftestArgs, root: Option<&Path>) -> Result<ExitCode> {
    let root = find_root(root)?;
    let Some(lab) = find_lab(&args.lab) else {
        let names: Vec<&str> = labs().iter().map(|l| l.name).collect();
        bail!("no lab {}; the labs are: {}", args.lab, names.join(", "));
    };
    if lab.mutants.is_empty() {
        bail!("lab {} declares no mutants: add [[mutant]] tables to its lab.toml (docs/authoring.md)", lab.name);
    }
    let track = Track::choose(args.python, workspace_track(&root));
    let references = programs::resolve_track(
        track,
        &[lab],
        Source::Solutions,
        &[],
        &root,
        Timeouts::scaled(1.0).build,
        &mut |what| eprintln!("grader: {what}"),
    )?;
    // Commands in the lab file are relative to its lab folder when it comes from
    // --labs, else to the workspace.
    let cwd = lab.home.filter(|_| lab.is_external()).unwrap_or(&root).to_path_buf();
    let mut wrong = 0;
    println!("{}: the reference", lab.name);
    let failed = grade(lab, &root, &cwd, track, None, args.seed)?;
    if failed.is_empty() {
        println!("  passes every check");
    } else {
        wrong += 1;
        println!("  FAILS {}: the reference must pass every check", failed.join(", "));
    }
    for mutant in lab.mutants {
        let command = match (mutant.cmd, mutant.bug) {
            (Some(cmd), _) => cmd.to_string(),
            (None, Some(bug)) => {
                let launcher = references
                    .get(mutant.role)
                    .and_then(|l| l.as_ref().ok())
                    .with_context(|| format!("the reference of {} cannot be run", mutant.role))?;
                let words = std::iter::once(launcher.program.clone())
                    .chain(launcher.args.iter().cloned())
                    .chain(["--bug".to_string(), bug.to_string()]);
                shell_words::join(words)
            }
            (None, None) => unreachable!("checked when the lab was loaded"),
        };
        let what = match mutant.bug {
            Some(bug) => format!("{} --bug {bug}", mutant.role),
            None => format!("{} = {command}", mutant.role),
        };
        let failed = grade(lab, &root, &cwd, track, Some((mutant.role, &command)), args.seed)?;
        let declared: Vec<String> = mutant.fails.iter().map(|s| s.to_string()).collect();
        let verdict = if failed.is_empty() {
            wrong += 1;
            "PASSES every check: no check catches it".to_string()
        } else if failed == declared {
            format!("caught by {}", failed.join(", "))
        } else {
            wrong += 1;
            format!("caught by {}, but the lab declares {}", failed.join(", "), declared.join(", "))
        };
        println!("  {what}: {verdict}");
    }
    Ok(if wrong == 0 { ExitCode::SUCCESS } else { ExitCode::from(1) })
}

/// The slugs of the checks that did not pass, grading the references of `lab` with
/// `mutant` (a role and its command) in place of one.
fn grade(
    lab: &Lab,
    root: &Path,
    cwd: &Path,
    track: Track,
    mutant: Option<(&str, &str)>,
    seed: u64,
) -> Result<Vec<String>> {
    let exe = std::env::current_exe().context("cannot find the grader's own program")?;
    let mut command = std::process::Command::new(exe);
    command.current_dir(cwd).arg("--root").arg(root);
    for dir in labs::registry::lab_dirs() {
        command.arg("--labs").arg(dir);
    }
    command.args(["test", lab.name, "--solutions", "--no-config", "--format", "json", "--seed", &seed.to_string()]);
    if track == Track::Python {
        command.arg("--python");
    }
    if let Some((role, cmd)) = mutant {
        command.arg("--cmd").arg(format!("{role}={cmd}"));
    }
    let output = command.output().context("cannot run the grader")?;
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).with_context(|| {
        format!("the grader gave no report: {}", String::from_utf8_lossy(&output.stderr).trim_end())
    })?;
    let prefix = format!("{}/", lab.name);
    let checks: Vec<&serde_json::Value> = report["checks"].as_array().into_iter().flatten().collect();
    let failed = |id: &str| checks.iter().any(|c| c["id"] == id && c["status"] != "pass");
    // A check skipped because its prerequisite failed (a server's gate) is that
    // prerequisite's failure: a mutant that cannot start fails its role's gate alone.
    let skipped_after_failure = |c: &serde_json::Value| {
        c["status"] == "skipped"
            && c["message"]
                .as_str()
                .and_then(|m| m.strip_prefix("skipped: ")?.strip_suffix(" did not pass"))
                .is_some_and(failed)
    };
    Ok(checks
        .iter()
        .filter(|c| c["status"] != "pass" && !skipped_after_failure(c))
        .filter_map(|c| c["id"].as_str()?.strip_prefix(&prefix).map(String::from))
        .collect())
}
