//! `grader test`: choose the checks, build the programs, run the checks, report.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::rc::Rc;
use std::sync::Arc;
use std::time::Instant;

use anyhow::{bail, Context, Result};
use clap::Args;

use crate::grading::Grading;
use crate::programs::{self, CmdOverride, Source, Track};
use crate::runner::Planned;
use crate::workspace::{find_root, workspace_track, GRADE, GRADER};
use harness::deadline::Timeouts;
use harness::listening;
use harness::process::Limits;
use harness::Env;
use labs::registry::{find_check, find_lab, labs, Lab};
use report::human::{Hooks, Human};
use report::output::{self, CiFiles, FormatArg, HumanOptions, Plan};
use report::{CheckReport, Report};

/// What the human report asks of this grader: the sandbox's line of the run, and where
/// to read about a failed check.
pub const HOOKS: Hooks = Hooks { sandbox: harness::sandbox::announced, learn_more };

/// Where to read about a failed check: `grader explain`, its handout entry, and the
/// chapter of the concept it is about (issue 11).
fn learn_more(r: &CheckReport) -> String {
    let hint = r.failure.as_ref().and_then(|f| f.hint.as_deref()).unwrap_or("");
    let mut places = vec![format!("{} explain {}", GRADER, r.id), format!("docs/labs/{}.md (The checks)", r.lab)];
    let about = format!("{} {} {hint}", r.id, r.name);
    places.extend(labs::concepts::about(&about).first().map(|c| c.page.to_string()));
    places.join("; ")
}

#[derive(Args)]
pub struct TestArgs {
    /// Labs to grade (default: every lab).
    labs: Vec<String>,
    /// Grade the reference solutions in solutions/ instead of labs/.
    #[arg(long)]
    solutions: bool,
    /// Grade the Python track: each role's file in LAB/python/ (HelloServer.py, ...),
    /// run with python3. grading.toml's `track = "python"` makes it the default.
    #[arg(long)]
    python: bool,
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
    /// Report format, to stdout or to FILE: human (default), json, junit, gradescope,
    /// prairielearn, github, classroom, tap. Repeatable: --format json=report.json
    /// --format junit=junit.xml (docs/grading.md).
    #[arg(long = "format", value_name = "FORMAT[=FILE]", value_parser = output::parse_format)]
    formats: Vec<FormatArg>,
    /// Write the one report format given without a file to FILE (the human summary
    /// still goes to the terminal).
    #[arg(long, value_name = "FILE")]
    output: Option<PathBuf>,
    /// The instructor's grading file: points, hidden checks, passing score (default:
    /// grading.toml at the workspace root, if there is one).
    #[arg(long, value_name = "FILE", conflicts_with = "no_config")]
    config: Option<PathBuf>,
    /// Ignore any grading.toml: the registry's points, nothing hidden, every check must pass.
    #[arg(long)]
    no_config: bool,
    /// Show the details of hidden checks (for instructors).
    #[arg(long)]
    show_hidden: bool,
    /// Seed for the checks' random choices; printed on failure to repeat a run.
    #[arg(long)]
    seed: Option<u64>,
    /// How many checks run at once (default: six per core, at most 24).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=256))]
    jobs: Option<u16>,
    /// Multiply every deadline, for a slow or loaded machine.
    #[arg(long, value_name = "FACTOR", default_value_t = 1.0, value_parser = parse_scale)]
    timeout_scale: f64,
    /// Where the checks run: auto (a private network namespace where this machine
    /// allows it, else loopback), private (the namespace or nothing), loopback.
    #[arg(long, value_enum, default_value_t = crate::inner::Net::Auto)]
    net: crate::inner::Net,
    /// Resource limits of every program under test, e.g. cpu=30,fsize=64M,nofile=1024,
    /// nproc=256,as=2G (defaults: cpu=60s fsize=256M nofile=4096 nproc=1024 as=none).
    /// Repeatable.
    #[arg(long = "limit", value_name = "KEY=VALUE,...", value_parser = harness::limits::parse_limit)]
    limits: Vec<harness::limits::LimitArg>,
    /// Refuse to run any program outside the sandbox: where one cannot be had here, exit
    /// with status 2 before any check (the default of `grader batch` and of the
    /// platform bundles; docs/trust.md).
    #[arg(long)]
    require_sandbox: bool,
    /// The programs of every role, already found (by `grader batch`): nothing is built.
    #[arg(long, value_name = "FILE", hide = true, conflicts_with_all = ["solutions", "cmds", "python"])]
    programs: Option<PathBuf>,
    /// Run the checks N times and report each check's pass rate: flaky (passed some
    /// runs) apart from failing (passed none). Exit 0 only if every run passed.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=100_000))]
    repeat: Option<u32>,
}

fn parse_scale(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(x) if x.is_finite() && (0.1..=100.0).contains(&x) => Ok(x),
        _ => Err(format!("{text:?} is not a factor between 0.1 and 100")),
    }
}

pub fn run(args: TestArgs, root: Option<&Path>) -> Result<ExitCode> {
    let started = Instant::now();
    // Before any program starts: none of them may write the CI runner's files.
    let ci = CiFiles::take();
    let root = find_root(root)?;
    let mut grading = if args.no_config { Grading::default() } else { Grading::find(args.config.as_deref(), &root)? };
    grading.show_hidden = args.show_hidden;
    let plan = plan(&args.labs, &args.checks)?;
    let mut labs: Vec<&'static Lab> = Vec::new();
    for planned in &plan {
        if !labs.iter().any(|lab| lab.name == planned.lab.name) {
            labs.push(planned.lab);
        }
    }

    let cwd = std::env::current_dir()?;
    let roles: Vec<&str> = labs::registry::labs().iter().flat_map(|lab| lab.roles.iter().map(|r| r.name)).collect();
    let cmds = args.cmds.iter().map(|c| programs::parse_cmd(c, &cwd, &roles)).collect::<Result<Vec<_>>>()?;
    // A report file that cannot be written is found now, not after the whole run.
    let outputs = Plan::new(&args.formats, args.output.as_deref())?;

    let source = if args.solutions { Source::Solutions } else { Source::Labs };
    let track = Track::choose(args.python, grading.track.or(workspace_track(&root)));
    if source == Source::Solutions && !root.join("solutions").is_dir() {
        bail!(
            "this copy of the course has no solutions/ (a student's template): --solutions grades the reference solutions, \
             which only the course's own repository has; grade your programs with `cargo grade LAB`"
        );
    }
    let timeouts = Timeouts::scaled(args.timeout_scale);
    let prebuilt = args.programs.as_deref().map(crate::prebuilt::Programs::load).transpose()?;
    let given: Vec<String> = args.cmds.iter().chain(prebuilt.iter().flat_map(|p| &p.commands)).cloned().collect();
    let programs = match &prebuilt {
        Some(prebuilt) => prebuilt.launchers(),
        None => programs::resolve_track(track, &labs, source, &cmds, &root, timeouts.build, &mut |what| {
            eprintln!("grader: {what}");
        })?,
    };
    // On the Python track the report says which file played each role.
    let track_commands: Vec<String> = match track {
        Track::Python if prebuilt.is_none() => played_by(&labs, &programs, &cmds),
        _ => Vec::new(),
    };
    // The course's limits first, then the command line's: the later wins.
    let limits = Limits::default().with(&grading.limits).with(&args.limits);
    let env = Arc::new(Env { programs, timeouts, limits, require_sandbox: args.require_sandbox });

    let seed = args.seed.unwrap_or_else(|| fastrand::u64(..1 << 48));
    let jobs = args.jobs.map(usize::from).unwrap_or_else(default_jobs);
    let mut notes = Vec::new();
    if listening::method() == listening::Method::Listeners || args.verbose {
        notes.push(listening::describe());
    }
    if limits != Limits::default() {
        notes.push(format!("programs ran with the limits {}", limits.describe()));
    }
    if let Some(times) = args.repeat.filter(|n| *n > 1) {
        let dest = crate::repeat::dest(&args.formats, args.output.as_deref())?;
        let cmds = cmds_as_given(&given);
        let net = args.net;
        let reproduce = Box::new(move |seed, id: &str| reproduce_command(&args, &cmds, seed)(id));
        let repeat = crate::repeat::Repeat { plan: &plan, env, jobs, seed, net, times, notes, reproduce };
        return crate::repeat::run(repeat, dest);
    }

    let human_to_stdout = outputs.human_on_terminal();
    let lab_titles: Vec<(String, String)> =
        labs.iter().map(|lab| (lab.name.to_string(), lab.title.to_string())).collect();
    let id_width = plan.iter().map(|p| p.id().len()).max().unwrap_or(0);
    let reproduce: Rc<dyn Fn(&str) -> String> = Rc::from(reproduce_command(&args, &cmds_as_given(&given), seed));
    let shown = reproduce.clone();
    let shown = Box::new(move |id: &str| shown(id));
    let mut human = Human::new(anstream::stdout(), args.verbose, id_width, lab_titles.clone(), shown, HOOKS);
    let mut write_error = None;
    let results = crate::inner::run(&plan, env, jobs, seed, args.net, &mut notes, |result| {
        if human_to_stdout {
            let mut result = result.clone();
            grading.apply(&mut result);
            if let Err(e) = human.check(&result) {
                write_error.get_or_insert(e);
            }
        }
    })?;

    let commands = track_commands
        .into_iter()
        .chain(cmds.iter().map(|c| format!("{}={}", c.role, c.launcher.shown)))
        .chain(prebuilt.iter().flat_map(|p| p.commands.iter().cloned()))
        .collect();
    let report =
        Report::new(source.name().to_string(), commands, seed, notes, results, started.elapsed().as_millis() as u64);
    let report = grading.apply_all(report);
    if human_to_stdout {
        human.finish(&report).context("cannot write the report")?;
    }
    drop(human);
    let human = HumanOptions { verbose: args.verbose, lab_titles, reproduce, hooks: HOOKS };
    outputs.write(&report, &grading.gradescope, &ci, human, true)?;
    if let Some(e) = write_error {
        return Err(e).context("cannot write the report");
    }
    grader_errors(&report)?;
    Ok(if report.succeeded() { ExitCode::SUCCESS } else { ExitCode::FAILURE })
}

/// `ROLE=COMMAND` of each role that its track's file plays (not a `--cmd`).
fn played_by(
    labs: &[&Lab],
    programs: &std::collections::HashMap<String, Result<harness::Launcher, harness::outcome::Failure>>,
    cmds: &[CmdOverride],
) -> Vec<String> {
    labs.iter()
        .flat_map(|lab| lab.roles.iter())
        .filter(|role| !cmds.iter().any(|c| c.role == role.name))
        .filter_map(|role| match programs.get(role.name) {
            Some(Ok(launcher)) => Some(format!("{}={}", role.name, launcher.shown)),
            _ => None,
        })
        .collect()
}

/// A check the grader could not do its part of (its port was stolen, it could not
/// start a program) has no verdict: the run then ends with exit status 2, not 1, so
/// that nobody takes it for the student's grade. The report is written all the same.
fn grader_errors(report: &Report) -> Result<()> {
    let errors: Vec<_> = report.checks.iter().filter(|c| c.status == report::Status::Error).collect();
    let Some(first) = errors.first() else { return Ok(()) };
    let more = if errors.len() > 1 { format!(" (and {} more)", errors.len() - 1) } else { String::new() };
    bail!(
        "{} could not be graded, through no fault of the program: {}{more}",
        first.id,
        first.message.as_deref().unwrap_or("the grader failed")
    )
}

/// The checks to run: those of the named labs (every lab if none), narrowed to the
/// `--check` ids and what they need.
pub fn plan(lab_names: &[String], check_ids: &[String]) -> Result<Vec<Planned>> {
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
            bail!("there is no check {id:?}; `{GRADER} list` shows every check id");
        };
        if !lab_names.is_empty() && !labs.iter().any(|l| l.name == lab.name) {
            bail!("check {id:?} is not in the labs named ({})", lab_names.join(", "));
        }
        // The check and what it needs first, all the way down: a check runs as it
        // does in a full run, after its prerequisites (a server's gate, `LAB/ROLE-starts`).
        let mut needed = vec![check];
        while let Some(check) = needed.pop() {
            let id = lab.check_id(check);
            if !wanted.contains(&id) {
                wanted.push(id);
                needed.extend(check.after.iter().filter_map(|slug| lab.checks.iter().find(|c| c.slug == *slug)));
            }
        }
    }
    let chosen: Vec<&'static Lab> = if labs.is_empty() { labs::registry::labs().to_vec() } else { labs };
    Ok(chosen
        .iter()
        .flat_map(|lab| lab.checks.iter().map(move |check| Planned { lab, check }))
        .filter(|p| wanted.is_empty() || wanted.contains(&p.id()))
        .collect())
}

fn lab_list() -> String {
    labs().iter().map(|lab| lab.name).collect::<Vec<_>>().join(", ")
}

/// Six checks per core, at most 24: a check mostly waits (for a reply, a timeout a
/// correct program must sit out, a process to exit, its sandbox to be set up and torn
/// down: 7.5 ms of wall time per program for 1.7 ms of CPU) and uses little CPU, 15 ms
/// on average for the reference solutions, so more at once shortens the run while the
/// cores stay far from busy (measured in docs/benchmarks.md and docs/trust.md: with
/// the sandbox, 12 at once on 2 cores run the solutions as fast as 8 did without it).
pub fn default_jobs() -> usize {
    let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2);
    (cores * 6).clamp(4, 24)
}

fn cmds_as_given(cmds: &[String]) -> Vec<String> {
    cmds.iter().map(|c| format!("--cmd {}", shell_words::quote(c))).collect()
}

/// The command a student types to run one check again, exactly as it ran.
fn reproduce_command(args: &TestArgs, cmds: &[String], seed: u64) -> Box<dyn Fn(&str) -> String> {
    let mut fixed = String::from(GRADE);
    fixed.push_str(&crate::registry::labs_flags_shown());
    if args.python {
        fixed.push_str(" --python");
    }
    if args.solutions {
        fixed.push_str(" --solutions");
    }
    for cmd in cmds {
        fixed.push(' ');
        fixed.push_str(cmd);
    }
    if args.net != crate::inner::Net::Auto {
        let net = clap::ValueEnum::to_possible_value(&args.net).map(|v| v.get_name().to_string()).unwrap_or_default();
        fixed.push_str(&format!(" --net {net}"));
    }
    Box::new(move |id| format!("{fixed} --check {id} --seed {seed} -v"))
}
