//! `grader watch LAB`: grades a lab again every time the student saves a file of it.
//!
//! A window to keep open beside the editor: one progress line (checks passed / total,
//! points), the first check that does not pass with what it sent, expected and got and
//! its hint, and the ids of the others. It grades with the same pipeline as `grader
//! test` (grade::plan, programs::resolve, inner::run, the human reporter); only the
//! loop around it is here.
//!
//! Saves are found by looking at the files' modification times and sizes every
//! `--interval` (half a second by default). Polling rather than the operating system's
//! file events keeps it small and works everywhere, Windows folders under WSL
//! included, where file events do not reach Linux. Pressing Enter grades again at once.

use std::collections::BTreeMap;
use std::io::{BufRead, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::{mpsc, Arc};
use std::time::{Duration, Instant, SystemTime};

use anstyle::{AnsiColor, Style};
use anyhow::{bail, Result};
use clap::Args;

use crate::deadline::Timeouts;
use crate::grading::Grading;
use crate::harness::Env;
use crate::human::Human;
use crate::process::Limits;
use crate::programs::{self, Source, Track};
use crate::registry::{find_lab, labs, Lab};
use crate::report::{Report, Status};
use crate::workspace::find_root;

const PASS: Style = AnsiColor::Green.on_default().bold();
const FAIL: Style = AnsiColor::Red.on_default().bold();
const DIM: Style = Style::new().dimmed();

/// The most files one look takes in; a folder bigger than this is not a lab.
const MAX_FILES: usize = 20_000;

#[derive(Args)]
pub struct WatchArgs {
    /// The lab to grade on every save, e.g. hello.
    lab: String,
    /// Grade only this check (and the checks it needs). Repeatable.
    #[arg(long = "check", value_name = "ID")]
    checks: Vec<String>,
    /// Grade the Python track: each role's file in labs/LAB/python/ (as for `grader
    /// test`; grading.toml's `track = "python"` makes it the default).
    #[arg(long)]
    python: bool,
    /// Grade COMMAND for one role, in any language (as for `grader test`). Repeatable.
    #[arg(long = "cmd", value_name = "ROLE=COMMAND")]
    cmds: Vec<String>,
    /// Watch this file or folder (default: labs/LAB). Repeatable.
    #[arg(long = "path", value_name = "PATH")]
    paths: Vec<PathBuf>,
    /// How often to look for saved files, in milliseconds.
    #[arg(long, value_name = "MS", default_value_t = 500, value_parser = clap::value_parser!(u64).range(50..=10_000))]
    interval: u64,
    /// Seed for the checks' random choices (default: one per session, so every
    /// grading of the session sends the same words).
    #[arg(long)]
    seed: Option<u64>,
    /// Multiply every deadline, for a slow or loaded machine.
    #[arg(long, value_name = "FACTOR", default_value_t = 1.0)]
    timeout_scale: f64,
    /// Where the checks run (as for `grader test`).
    #[arg(long, value_enum, default_value_t = crate::inner::Net::Auto)]
    net: crate::inner::Net,
    /// Keep earlier gradings on the screen instead of clearing it.
    #[arg(long)]
    no_clear: bool,
    /// Stop after this many gradings (for scripts and tests).
    #[arg(long, value_name = "N", hide = true)]
    runs: Option<u32>,
}

pub fn run(args: WatchArgs, root: Option<&Path>) -> Result<ExitCode> {
    let root = find_root(root)?;
    let Some(lab) = find_lab(&args.lab) else {
        let names: Vec<&str> = labs().iter().map(|l| l.name).collect();
        bail!("there is no lab {:?}; labs are: {}", args.lab, names.join(", "));
    };
    let plan = crate::grade::plan(&[lab.name.to_string()], &args.checks)?;
    let cwd = std::env::current_dir()?;
    let roles: Vec<&str> = lab.roles.iter().map(|r| r.name).collect();
    let cmds = args.cmds.iter().map(|c| programs::parse_cmd(c, &cwd, &roles)).collect::<Result<Vec<_>>>()?;
    let grading = Grading::find(None, &root)?;
    let track = Track::choose(args.python, grading.track.or(crate::workspace::workspace_track(&root)));
    let watched: Vec<PathBuf> = if args.paths.is_empty() {
        match track {
            // A lab of --labs DIR: its own folder (it has no package in labs/).
            Track::Rust => vec![match lab.home {
                Some(home) if lab.is_external() => home.to_path_buf(),
                _ => root.join("labs").join(lab.name),
            }],
            Track::Python => vec![root.join(lab.python_dir("labs"))],
        }
    } else {
        args.paths.iter().map(|p| cwd.join(p)).collect()
    };
    for path in &watched {
        if !path.exists() {
            bail!("{} does not exist: there is nothing to watch", path.display());
        }
    }
    let seed = args.seed.unwrap_or_else(|| fastrand::u64(..1 << 48));
    let timeouts = Timeouts::scaled(args.timeout_scale.clamp(0.1, 100.0));
    let terminal = std::io::stdout().is_terminal();
    let clear = terminal && !args.no_clear;
    let shown_paths: Vec<String> = watched.iter().map(|p| shown_path(p, &root)).collect();

    // Enter grades again at once; the channel is also the pace of the polling (a
    // bounded wait on it, never a sleep). The sender kept here keeps it open when stdin
    // is not a terminal.
    let (poke, poked) = mpsc::channel::<()>();
    let _keep_open = poke.clone();
    std::thread::spawn(move || {
        for line in std::io::stdin().lock().lines() {
            if line.is_err() || poke.send(()).is_err() {
                break;
            }
        }
    });

    let mut gradings = 0u32;
    loop {
        let before = snapshot(&watched);
        let mut out = anstream::stdout();
        if clear {
            // Clear the screen and go home: the window always shows the latest grading.
            write!(out, "\x1b[2J\x1b[H")?;
        }
        writeln!(
            out,
            "{DIM}grader watch {}: grading on every save under {} (Enter grades now, Ctrl-C stops){DIM:#}",
            lab.name,
            shown_paths.join(", ")
        )?;
        out.flush()?;
        let report = match grade_once(lab, track, &plan, &cmds, &root, seed, timeouts, args.net, terminal) {
            Ok(report) => Some(grading.apply_all(report)),
            Err(e) => {
                writeln!(out, "{FAIL}grader: could not grade: {e:#}{FAIL:#}")?;
                None
            }
        };
        if let Some(report) = &report {
            show(report, lab, seed, &args, &mut out)?;
        }
        gradings += 1;
        if args.runs.is_some_and(|n| gradings >= n) {
            let passed = report.as_ref().is_some_and(Report::succeeded);
            return Ok(if passed { ExitCode::SUCCESS } else { ExitCode::FAILURE });
        }
        writeln!(out, "{DIM}waiting for a change ...{DIM:#}")?;
        out.flush()?;
        wait_for_change(&watched, &before, Duration::from_millis(args.interval), &poked);
    }
}

/// One grading: build (unless every role has a `--cmd`), run the checks, count.
#[allow(clippy::too_many_arguments)]
fn grade_once(
    lab: &'static Lab,
    track: Track,
    plan: &[crate::runner::Planned],
    cmds: &[programs::CmdOverride],
    root: &Path,
    seed: u64,
    timeouts: Timeouts,
    net: crate::inner::Net,
    terminal: bool,
) -> Result<Report> {
    let started = Instant::now();
    let programs = programs::resolve_track(track, &[lab], Source::Labs, cmds, root, timeouts.build, &mut |what| {
        anstream::eprintln!("{DIM}grader: {what}{DIM:#}");
    })?;
    let env = Arc::new(Env { programs, timeouts, limits: Limits::default(), require_sandbox: false });
    let jobs = std::thread::available_parallelism().map(|n| n.get() * 2).unwrap_or(2).clamp(2, 8);
    let mut notes = Vec::new();
    let (mut done, mut passed, total) = (0, 0, plan.len());
    let results = crate::inner::run(plan, env, jobs, seed, net, &mut notes, |result| {
        done += 1;
        passed += usize::from(result.status == Status::Pass);
        if terminal {
            // One line, rewritten as each check finishes.
            let mut out = anstream::stdout();
            let _ = write!(out, "\r{DIM}grading: {done}/{total} checks done, {passed} passed{DIM:#}\x1b[K");
            let _ = out.flush();
        }
    })?;
    if terminal {
        let mut out = anstream::stdout();
        write!(out, "\r\x1b[K")?;
    }
    let commands = cmds.iter().map(|c| format!("{}={}", c.role, c.launcher.shown)).collect();
    Ok(Report::new("labs".into(), commands, seed, notes, results, started.elapsed().as_millis() as u64))
}

/// The progress line, the first check that did not pass, and the others' ids.
fn show(report: &Report, lab: &Lab, seed: u64, args: &WatchArgs, out: &mut impl Write) -> Result<()> {
    let total = report.checks.len();
    let style = if report.all_passed() { PASS } else { FAIL };
    const WIDTH: usize = 30;
    let filled = (report.passed * WIDTH).checked_div(total).unwrap_or(WIDTH);
    let bar = format!("{}{}", "#".repeat(filled), ".".repeat(WIDTH - filled));
    writeln!(
        out,
        "{style}{}: {}/{} checks passed{style:#}  [{bar}]  {}/{} points  ({:.1} s, {})",
        lab.name,
        report.passed,
        total,
        report.score,
        report.max_score,
        report.duration_ms as f64 / 1000.0,
        clock()
    )?;
    let failing: Vec<_> = report.checks.iter().filter(|c| c.status != Status::Pass).collect();
    let Some(first) = failing.iter().find(|c| c.status != Status::Skipped).or(failing.first()) else {
        writeln!(out, "{PASS}every check passes{PASS:#}")?;
        return Ok(());
    };
    writeln!(out)?;
    let mut fixed = format!("cargo grade {}{}", lab.name, crate::registry::labs_flags_shown());
    if args.python {
        fixed.push_str(" --python");
    }
    for cmd in &args.cmds {
        fixed.push_str(&format!(" --cmd {}", shell_words::quote(cmd)));
    }
    let reproduce = Box::new(move |id: &str| format!("{fixed} --check {id} --seed {seed} -v"));
    let titles = vec![(lab.name.to_string(), lab.title.to_string())];
    let mut human = Human::new(&mut *out, false, first.id.len(), titles, reproduce);
    human.check(first)?;
    drop(human);
    let others: Vec<&str> = failing.iter().filter(|c| c.id != first.id).map(|c| c.id.as_str()).collect();
    if !others.is_empty() {
        const SHOWN: usize = 6;
        let more = if others.len() > SHOWN { format!(" and {} more", others.len() - SHOWN) } else { String::new() };
        let list: Vec<&str> = others.iter().take(SHOWN).copied().collect();
        writeln!(out, "\n{DIM}also not passing: {}{more}{DIM:#}", list.join(", "))?;
    }
    Ok(())
}

/// Each file under `paths`: its modification time and size.
type Snapshot = BTreeMap<PathBuf, (Option<SystemTime>, u64)>;

fn snapshot(paths: &[PathBuf]) -> Snapshot {
    let mut files = Snapshot::new();
    let mut stack: Vec<PathBuf> = paths.to_vec();
    while let Some(path) = stack.pop() {
        if files.len() >= MAX_FILES {
            break;
        }
        let Ok(meta) = std::fs::metadata(&path) else { continue };
        if meta.is_dir() {
            let Ok(entries) = std::fs::read_dir(&path) else { continue };
            for entry in entries.flatten() {
                let name = entry.file_name();
                let name = name.to_string_lossy();
                // Editors' and tools' own files are not the student's saves.
                let ignored = name.starts_with('.')
                    || name.ends_with('~')
                    || matches!(name.as_ref(), "target" | "__pycache__" | "node_modules");
                if !ignored {
                    stack.push(entry.path());
                }
            }
        } else {
            files.insert(path, (meta.modified().ok(), meta.len()));
        }
    }
    files
}

/// Returns when the files differ from `before` and have stopped changing (an editor may
/// write a file in several steps), or when Enter was pressed.
fn wait_for_change(paths: &[PathBuf], before: &Snapshot, interval: Duration, poked: &mpsc::Receiver<()>) {
    let mut last = loop {
        if poked.recv_timeout(interval).is_ok() {
            return;
        }
        let now = snapshot(paths);
        if &now != before {
            break now;
        }
    };
    // Settled: two looks in a row see the same files (at most a few looks).
    for _ in 0..10 {
        if poked.recv_timeout(interval.min(Duration::from_millis(200))).is_ok() {
            return;
        }
        let now = snapshot(paths);
        if now == last {
            return;
        }
        last = now;
    }
}

fn shown_path(path: &Path, root: &Path) -> String {
    path.strip_prefix(root).unwrap_or(path).display().to_string()
}

/// The local time of day, so that a student sees the grading is new.
fn clock() -> String {
    let now = SystemTime::now().duration_since(SystemTime::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
    let t = now as libc::time_t;
    // SAFETY: localtime_r writes into the tm we own, from the time_t we own.
    let tm = unsafe {
        let mut tm: libc::tm = std::mem::zeroed();
        libc::localtime_r(&t, &mut tm);
        tm
    };
    format!("{:02}:{:02}:{:02}", tm.tm_hour, tm.tm_min, tm.tm_sec)
}
