//! `grader test`: choose the checks, build the programs, run the checks, report.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Instant;

use anyhow::{bail, Context, Result};
use clap::{Args, ValueEnum};

use crate::deadline::Timeouts;
use crate::harness::Env;
use crate::human::Human;
use crate::listening;
use crate::process::Limits;
use crate::programs::{self, Source};
use crate::registry::{find_check, find_lab, Lab, LABS};
use crate::report::Report;
use crate::runner::{self, Planned};
use crate::workspace::find_root;

#[derive(Args)]
pub struct TestArgs {
    /// Labs to grade (default: every lab).
    labs: Vec<String>,
    /// Grade the reference solutions in solutions/ instead of labs/.
    #[arg(long)]
    solutions: bool,
    /// Grade COMMAND for one role, in any language; the grader appends --host, --port
    /// and the role's arguments. Repeatable.
    #[arg(long = "cmd", value_name = "ROLE=COMMAND")]
    cmds: Vec<String>,
    /// Run only this check (and the checks it needs), e.g. hello/server-replies.
    /// Repeatable.
    #[arg(long = "check", value_name = "ID")]
    checks: Vec<String>,
    /// Show each check's transcript: commands, bytes sent and received, output.
    #[arg(short, long)]
    verbose: bool,
    /// Report format.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    format: Format,
    /// Write the report to FILE (the human summary still goes to the terminal).
    #[arg(long, value_name = "FILE")]
    output: Option<PathBuf>,
    /// Seed for the checks' random choices; printed on failure to repeat a run.
    #[arg(long)]
    seed: Option<u64>,
    /// How many checks run at once (default: twice the cores, at most 8).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=256))]
    jobs: Option<u16>,
    /// Multiply every deadline, for a slow or loaded machine.
    #[arg(long, value_name = "FACTOR", default_value_t = 1.0, value_parser = parse_scale)]
    timeout_scale: f64,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Human,
    Json,
}

fn parse_scale(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(x) if x.is_finite() && (0.1..=100.0).contains(&x) => Ok(x),
        _ => Err(format!("{text:?} is not a factor between 0.1 and 100")),
    }
}

pub fn run(args: TestArgs, root: Option<&Path>) -> Result<ExitCode> {
    let started = Instant::now();
    let root = find_root(root)?;
    let plan = plan(&args.labs, &args.checks)?;
    let mut labs: Vec<&'static Lab> = Vec::new();
    for planned in &plan {
        if !labs.iter().any(|lab| lab.name == planned.lab.name) {
            labs.push(planned.lab);
        }
    }

    let cwd = std::env::current_dir()?;
    let roles: Vec<&str> = LABS.iter().flat_map(|lab| lab.roles.iter().map(|r| r.name)).collect();
    let cmds = args.cmds.iter().map(|c| programs::parse_cmd(c, &cwd, &roles)).collect::<Result<Vec<_>>>()?;
    // An --output that cannot be written is found now, not after the whole run.
    let output = match &args.output {
        Some(path) => Some(OutputFile::create(path)?),
        None => None,
    };

    let source = if args.solutions { Source::Solutions } else { Source::Labs };
    let timeouts = Timeouts::scaled(args.timeout_scale);
    let programs = programs::resolve(&labs, source, &cmds, &root, timeouts.build, &mut |what| {
        eprintln!("grader: {what}");
    })?;
    let env = Arc::new(Env { programs, timeouts, limits: Limits::default() });

    let seed = args.seed.unwrap_or_else(|| fastrand::u64(..1 << 48));
    let jobs = args.jobs.map(usize::from).unwrap_or_else(default_jobs);
    let mut notes = Vec::new();
    if listening::method() == listening::Method::BindProbe {
        notes.push("readiness was detected with the portable bind-probe fallback (no /proc/net here)".to_string());
    }

    let human_to_stdout = args.format == Format::Human || output.is_some();
    let lab_titles = labs.iter().map(|lab| (lab.name.to_string(), lab.title.to_string())).collect();
    let id_width = plan.iter().map(|p| p.id().len()).max().unwrap_or(0);
    let reproduce = reproduce_command(&args, &cmds_as_given(&args.cmds), seed);
    let mut human = Human::new(anstream::stdout(), args.verbose, id_width, lab_titles, reproduce);
    let mut write_error = None;
    let results = runner::run(&plan, env, jobs, seed, |result| {
        if human_to_stdout {
            if let Err(e) = human.check(result) {
                write_error.get_or_insert(e);
            }
        }
    });

    let commands = cmds.iter().map(|c| format!("{}={}", c.role, c.launcher.shown)).collect();
    let report =
        Report::new(source.name().to_string(), commands, seed, notes, results, started.elapsed().as_millis() as u64);
    if human_to_stdout {
        human.finish(&report).context("cannot write the report")?;
    }
    if args.format == Format::Json {
        let json = serde_json::to_string_pretty(&report)? + "\n";
        match output {
            Some(file) => file.write(json.as_bytes())?,
            None => std::io::stdout().write_all(json.as_bytes())?,
        }
    } else if let Some(file) = output {
        let mut text = Vec::new();
        let mut plain = Human::new(
            anstream::StripStream::new(&mut text),
            args.verbose,
            id_width,
            labs.iter().map(|lab| (lab.name.to_string(), lab.title.to_string())).collect(),
            reproduce_command(&args, &cmds_as_given(&args.cmds), seed),
        );
        for check in &report.checks {
            plain.check(check)?;
        }
        plain.finish(&report)?;
        drop(plain);
        file.write(&text)?;
    }
    if let Some(e) = write_error {
        return Err(e).context("cannot write the report");
    }
    Ok(if report.all_passed() { ExitCode::SUCCESS } else { ExitCode::FAILURE })
}

/// The checks to run: those of the named labs (every lab if none), narrowed to the
/// `--check` ids and what they need.
fn plan(lab_names: &[String], check_ids: &[String]) -> Result<Vec<Planned>> {
    let mut labs: Vec<&'static Lab> = Vec::new();
    for name in lab_names {
        match find_lab(name) {
            Some(lab) => labs.push(lab),
            None => bail!("there is no lab {name:?}; labs are: {}", lab_list()),
        }
    }
    let mut wanted: Vec<String> = Vec::new();
    for id in check_ids {
        let Some((lab, check)) = find_check(id) else {
            bail!("there is no check {id:?}; `cargo grader list` shows every check id");
        };
        if !lab_names.is_empty() && !labs.iter().any(|l| l.name == lab.name) {
            bail!("check {id:?} is not in the labs named ({})", lab_names.join(", "));
        }
        wanted.push(id.clone());
        wanted.extend(check.after.iter().map(|slug| format!("{}/{slug}", lab.name)));
    }
    let chosen: Vec<&'static Lab> = if labs.is_empty() { LABS.to_vec() } else { labs };
    Ok(chosen
        .iter()
        .flat_map(|lab| lab.checks.iter().map(move |check| Planned { lab, check }))
        .filter(|p| wanted.is_empty() || wanted.contains(&p.id()))
        .collect())
}

fn lab_list() -> String {
    LABS.iter().map(|lab| lab.name).collect::<Vec<_>>().join(", ")
}

fn default_jobs() -> usize {
    let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2);
    (cores * 2).clamp(2, 8)
}

fn cmds_as_given(cmds: &[String]) -> Vec<String> {
    cmds.iter().map(|c| format!("--cmd {}", shell_words::quote(c))).collect()
}

/// The command a student types to run one check again, exactly as it ran.
fn reproduce_command(args: &TestArgs, cmds: &[String], seed: u64) -> Box<dyn Fn(&str) -> String> {
    let mut fixed = String::from("cargo grade");
    if args.solutions {
        fixed.push_str(" --solutions");
    }
    for cmd in cmds {
        fixed.push(' ');
        fixed.push_str(cmd);
    }
    Box::new(move |id| format!("{fixed} --check {id} --seed {seed} -v"))
}

/// A report file, written whole or not at all: a temporary file in the same folder,
/// renamed into place at the end.
struct OutputFile {
    path: PathBuf,
    temp: tempfile::NamedTempFile,
}

impl OutputFile {
    fn create(path: &Path) -> Result<OutputFile> {
        let dir = match path.parent() {
            Some(dir) if !dir.as_os_str().is_empty() => dir,
            _ => Path::new("."),
        };
        let temp = tempfile::NamedTempFile::new_in(dir)
            .with_context(|| format!("cannot write --output {}", path.display()))?;
        Ok(OutputFile { path: path.to_path_buf(), temp })
    }

    fn write(mut self, bytes: &[u8]) -> Result<()> {
        self.temp.write_all(bytes)?;
        self.temp.persist(&self.path).with_context(|| format!("cannot write --output {}", self.path.display()))?;
        Ok(())
    }
}
