//! `grader batch DIR`: grades a whole class, one folder per student, into a gradebook.
//!
//! Each submission is graded by a `grader test` of its own, started as a child
//! process (its own process group, temporary folders, ports and limits, as for any
//! run): a submission that crashes, hangs or attacks the grader costs only its own
//! grade, and one that outlasts `--timeout` is stopped (SIGTERM, then SIGKILL) and
//! recorded as timed out. The child is told each role's program (`--programs`), so
//! it builds nothing:
//!
//! - a Rust submission (a checkout of the student template) is built first, in the
//!   class's shared build (sharedbuild.rs), and its binaries copied out;
//! - a folder of loose files, in any language, is run through the course's role
//!   mapping (`--roles`, rolemap.rs).
//!
//! Every student's result goes to `OUT/students/NAME/` (its reports, human and JSON,
//! then `result.json`, each written whole or not at all). `result.json` is the mark of
//! a finished student: a batch run again on the same output resumes, grading only
//! those without one. The gradebook (gradebook.rs) is written at the end, from every
//! student's `result.json`.

use std::collections::BTreeMap;
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{mpsc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::{bail, Context, Result};
use clap::{Args, ValueEnum};
use serde::{Deserialize, Serialize};

use crate::deadline::poll_until;
use crate::gradebook::{write_atomic, Entry, Gradebook, LabScore, Outcome};
use crate::grading::Grading;
use crate::inner::Net;
use crate::outcome::FailureKind;
use crate::prebuilt::{Program, Programs};
use crate::process::{describe_exit, Process, Spec, Watch, WorkDir};
use crate::programs::Track;
use crate::registry::Lab;
use crate::report::{CheckReport, Report, Status};
use crate::rolemap::RoleMap;
use crate::runner::Planned;
use crate::sharedbuild::{SharedBuild, TimedOut};
use crate::transcript::Transcript;
use crate::workspace::find_root;

#[derive(Args)]
pub struct BatchArgs {
    /// The submissions: one folder per student, named after the student. A folder with
    /// labs/ is a checkout of the student template (Rust); any other holds loose files
    /// that --roles runs.
    #[arg(value_name = "DIR")]
    dir: PathBuf,
    /// Labs to grade (default: every lab; with --roles, the labs it has a command for
    /// every role of).
    #[arg(value_name = "LAB")]
    labs: Vec<String>,
    /// The folder for the gradebook and each student's reports; a batch run again on
    /// it resumes, grading only the students without a result.
    #[arg(short, long, value_name = "DIR", default_value = "grades")]
    output: PathBuf,
    /// Submissions graded at once (default: the number of cores).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=256))]
    jobs: Option<u16>,
    /// Most seconds a submission's grading may take, and again its build; past it, it
    /// is stopped and recorded as timed out.
    #[arg(long, value_name = "SECONDS", default_value_t = 600, value_parser = clap::value_parser!(u64).range(1..))]
    timeout: u64,
    /// The course's commands for submissions of loose files: ROLE = "COMMAND", words
    /// naming files relative to the submission (docs/batch.md).
    #[arg(long, value_name = "FILE")]
    roles: Option<PathBuf>,
    /// Grade the Python track: each role's file at labs/LAB/python/FILE in a checkout
    /// of the course, else FILE at the top of the submission (the names the handouts
    /// give: HelloServer.py, ...). grading.toml's `track = "python"` makes it the
    /// default.
    #[arg(long, conflicts_with = "roles")]
    python: bool,
    /// Where Rust submissions are built: a copy of the course and the target folder
    /// they share (default: OUTPUT/.build). Reused by later batches.
    #[arg(long, value_name = "DIR")]
    build_dir: Option<PathBuf>,
    /// Build each Rust submission alone, its dependencies included (slower).
    #[arg(long)]
    no_shared_build: bool,
    /// Grade this student again even though it has a result. Repeatable.
    #[arg(long = "regrade", value_name = "STUDENT")]
    regrade: Vec<String>,
    /// Run only this check (and the checks it needs). Repeatable.
    #[arg(long = "check", value_name = "ID")]
    checks: Vec<String>,
    /// The instructor's grading file (default: grading.toml of the course, if any).
    #[arg(long, value_name = "FILE", conflicts_with = "no_config")]
    config: Option<PathBuf>,
    /// Ignore any grading.toml.
    #[arg(long)]
    no_config: bool,
    /// Keep the details of hidden checks in the students' reports.
    #[arg(long)]
    show_hidden: bool,
    /// Seed of the checks' random choices, the same for every student (default: a new
    /// one, kept in OUTPUT/batch.json for a resumed batch).
    #[arg(long)]
    seed: Option<u64>,
    /// Multiply every deadline of the checks, for a slow or loaded machine.
    #[arg(long, value_name = "FACTOR", default_value_t = 1.0)]
    timeout_scale: f64,
    /// Where the checks run (as for `grader test`).
    #[arg(long, value_enum, default_value_t = Net::Auto)]
    net: Net,
    /// Resource limits of every program under test (as for `grader test`). Repeatable.
    #[arg(long = "limit", value_name = "KEY=VALUE,...", value_parser = check_limit)]
    limits: Vec<String>,
    /// Grade even where the programs cannot be sandboxed (no bubblewrap, no user
    /// namespaces): only for a class whose code you trust. Without it, such a machine
    /// is an error (exit 2) before anyone is graded.
    #[arg(long)]
    allow_unsandboxed: bool,
}

fn check_limit(text: &str) -> Result<String, String> {
    crate::limits::parse_limit(text).map(|_| text.to_string())
}

/// How long a child grader has, after SIGTERM, to stop its programs and exit.
const CHILD_GRACE: Duration = Duration::from_secs(15);

/// What `OUTPUT/batch.json` records, so that a resumed batch grades the rest of the
/// class exactly as it graded the first part.
#[derive(Serialize, Deserialize, PartialEq)]
struct Record {
    checks: Vec<String>,
    seed: u64,
}

/// One student's folder.
struct Submission {
    student: String,
    /// The template checkout (the student's folder, or a lone folder in it holding
    /// labs/, as a zip download of a repository makes) or the folder of files.
    dir: PathBuf,
    kind: Kind,
}

#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Rust,
    Files,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::Rust => "rust",
            Kind::Files => "files",
        }
    }
}

/// What every worker needs.
struct Batch<'a> {
    course: PathBuf,
    out: PathBuf,
    plan: Vec<Planned>,
    labs: Vec<&'static Lab>,
    lab_max: Vec<LabScore>,
    grading: Grading,
    rolemap: Option<RoleMap>,
    build: Option<SharedBuild>,
    timeout: Duration,
    seed: u64,
    exe: PathBuf,
    /// `--jobs` of each submission's grader: the checks a lone `grader test` would run
    /// at once, shared among the submissions graded at once (never fewer than 2), so a
    /// batch loads the machine no more than one run does.
    check_jobs: usize,
    args: &'a BatchArgs,
}

/// What the workers tell the progress display.
enum Event {
    Phase(String, &'static str),
    Done(Box<Entry>),
}

/// The child graders running now and their temporary folders, for the interrupt
/// handler.
static CHILDREN: Mutex<Vec<(u32, Watch, PathBuf)>> = Mutex::new(Vec::new());
/// The batch's working folder (`OUT/.work`), removed by the interrupt handler.
static WORK: Mutex<Option<PathBuf>> = Mutex::new(None);
/// Set by the interrupt handler: no child grader starts any more.
static STOPPING: AtomicBool = AtomicBool::new(false);

pub fn run(args: BatchArgs, root: Option<&Path>) -> Result<ExitCode> {
    let started = Instant::now();
    let course = find_root(root)?.canonicalize()?;
    if !args.dir.is_dir() {
        bail!("{} is not a folder of submissions", args.dir.display());
    }
    if !(0.1..=100.0).contains(&args.timeout_scale) {
        bail!("--timeout-scale {} is not a factor between 0.1 and 100", args.timeout_scale);
    }
    // A class's code is untrusted: found out now, not once per student.
    if !args.allow_unsandboxed {
        if let Err(reason) = crate::sandbox::get() {
            bail!(
                "the submissions cannot be sandboxed here ({reason}); grade on a machine with bubblewrap and user namespaces, or pass --allow-unsandboxed for code you trust"
            );
        }
    }
    let mut grading = if args.no_config { Grading::default() } else { Grading::find(args.config.as_deref(), &course)? };
    grading.show_hidden = args.show_hidden;
    let python = args.roles.is_none() && Track::choose(args.python, grading.track) == Track::Python;
    let rolemap = match &args.roles {
        Some(file) => Some(RoleMap::load(file)?),
        None if python => Some(RoleMap::python()),
        None => None,
    };
    // Labs named, else those of the checks named, else every lab (with --roles, every
    // lab it runs).
    let lab_names: Vec<String> = match (&rolemap, args.labs.is_empty() && args.checks.is_empty()) {
        (Some(map), true) => {
            let labs: Vec<String> = map.complete_labs().iter().map(|l| l.name.to_string()).collect();
            if labs.is_empty() {
                bail!("{} has a command for every role of no lab: name the labs to grade", map.file);
            }
            labs
        }
        _ => args.labs.clone(),
    };
    let plan = crate::grade::plan(&lab_names, &args.checks)?;
    let mut labs: Vec<&'static Lab> = Vec::new();
    for planned in &plan {
        if !labs.iter().any(|l| l.name == planned.lab.name) {
            labs.push(planned.lab);
        }
    }
    std::fs::create_dir_all(&args.output).with_context(|| format!("cannot create {}", args.output.display()))?;
    let out = args.output.canonicalize()?;
    let lock = std::fs::File::create(out.join(".lock"))?;
    if lock.try_lock().is_err() {
        bail!("another grader batch is writing to {}: wait for it, or give another --output", out.display());
    }
    if args.dir.canonicalize().is_ok_and(|dir| dir == out) {
        bail!("the output folder is the folder of submissions: give another --output (default: grades)");
    }
    std::fs::create_dir_all(out.join("students")).with_context(|| format!("cannot create {}", out.display()))?;
    let submissions = discover(&args.dir, &out, python)?;
    if submissions.is_empty() {
        bail!("{} holds no submission (one folder per student)", args.dir.display());
    }
    if let Some(map) = &rolemap {
        if submissions.iter().any(|s| s.kind == Kind::Files) {
            for lab in &labs {
                let missing = map.missing(lab);
                if !missing.is_empty() {
                    bail!("{} has no command for {} (lab {})", map.file, missing.join(", "), lab.name);
                }
            }
        }
    }
    let seed = resume_record(&out, &plan, args.seed)?;
    if let Some(unknown) = args.regrade.iter().find(|name| !submissions.iter().any(|s| s.student == **name)) {
        bail!("--regrade {unknown}: there is no student {unknown:?} in {}", args.dir.display());
    }

    // Who is done already: a result that is a grade (an error is graded again).
    let mut finished: BTreeMap<String, Entry> = BTreeMap::new();
    let mut pending: Vec<&Submission> = Vec::new();
    for sub in &submissions {
        let result = out.join("students").join(&sub.student).join("result.json");
        match Entry::load(&result) {
            Ok(entry) if entry.outcome != Outcome::Error && !args.regrade.contains(&sub.student) => {
                finished.insert(sub.student.clone(), entry);
            }
            _ => pending.push(sub),
        }
    }
    // Rust submissions spread among the others: while one is built (one at a time),
    // the other workers grade.
    let (rust, others): (Vec<&Submission>, Vec<&Submission>) = pending.iter().partition(|s| s.kind == Kind::Rust);
    let pending: Vec<&Submission> = interleave(rust, others);
    let _ = std::fs::remove_dir_all(out.join(".work"));
    *WORK.lock().unwrap_or_else(|e| e.into_inner()) = Some(out.join(".work"));
    let build = if pending.iter().any(|s| s.kind == Kind::Rust) {
        let dir = args.build_dir.clone().unwrap_or_else(|| out.join(".build"));
        Some(SharedBuild::open(&course, &dir, &[out.clone(), args.dir.clone()], !args.no_shared_build)?)
    } else {
        None
    };
    let lab_max = lab_maximums(&plan, &grading);
    // The graders of the submissions run a private copy of this very program: a
    // rebuild of the grader while the class is graded must not change it midway.
    // (/proc/self/exe is this program even when its file was replaced meanwhile.)
    let own = match Path::new("/proc/self/exe") {
        own if own.exists() => own.to_path_buf(),
        _ => std::env::current_exe().context("cannot find the grader's own program")?,
    };
    let exe = out.join(".work").join("grader");
    std::fs::create_dir_all(out.join(".work"))?;
    std::fs::copy(&own, &exe).with_context(|| format!("cannot copy the grader to {}", exe.display()))?;
    let jobs = args
        .jobs
        .map(usize::from)
        .unwrap_or_else(|| std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2));
    let batch = Batch {
        course,
        out: out.clone(),
        plan,
        labs,
        lab_max,
        grading,
        rolemap,
        build,
        timeout: Duration::from_secs(args.timeout),
        seed,
        exe,
        check_jobs: (crate::grade::default_jobs() / jobs.max(1)).max(2),
        args: &args,
    };

    let mut progress = Progress::new(submissions.len(), finished.len());
    if !finished.is_empty() {
        progress.say(&format!(
            "grader: resuming: {} of {} students already have a result in {}",
            finished.len(),
            submissions.len(),
            out.display()
        ));
    }
    let next = AtomicUsize::new(0);
    let (tx, rx) = mpsc::channel::<Event>();
    std::thread::scope(|scope| {
        for _ in 0..jobs.clamp(1, pending.len().max(1)) {
            let tx = tx.clone();
            let (batch, pending, next) = (&batch, &pending, &next);
            scope.spawn(move || {
                while let Some(sub) = pending.get(next.fetch_add(1, Ordering::SeqCst)) {
                    let Some(entry) = grade_one(batch, sub, &tx) else { break };
                    if tx.send(Event::Done(Box::new(entry))).is_err() {
                        break;
                    }
                }
            });
        }
        drop(tx);
        loop {
            match rx.recv_timeout(Duration::from_secs(1)) {
                Ok(Event::Phase(student, phase)) => progress.phase(student, phase),
                Ok(Event::Done(entry)) => {
                    progress.done(&entry);
                    finished.insert(entry.student.clone(), *entry);
                }
                Err(mpsc::RecvTimeoutError::Timeout) => {}
                Err(mpsc::RecvTimeoutError::Disconnected) => break,
            }
            progress.draw();
        }
    });
    progress.clear();
    if STOPPING.load(Ordering::SeqCst) || crate::process::interrupted() {
        return Ok(ExitCode::from(130));
    }
    let _ = std::fs::remove_dir_all(out.join(".work"));

    let entries: Vec<Entry> = finished.into_values().collect();
    let errors = entries.iter().filter(|e| e.outcome == Outcome::Error).count();
    let gradebook = Gradebook::new(entries);
    gradebook.write(&out)?;
    print!("{}", gradebook.summary_text());
    println!(
        "\ngraded in {}; gradebook: {}, reports: {}",
        clock(started.elapsed()),
        out.join("gradebook.csv").display(),
        out.join("students").display()
    );
    if errors > 0 {
        eprintln!("grader: {errors} submission(s) could not be graded; run the same batch again to grade them again");
        return Ok(ExitCode::FAILURE);
    }
    Ok(ExitCode::SUCCESS)
}

/// `a` and `b` taken in turns, then the rest of the longer.
fn interleave<T>(a: Vec<T>, b: Vec<T>) -> Vec<T> {
    let mut out = Vec::with_capacity(a.len() + b.len());
    let (mut a, mut b) = (a.into_iter(), b.into_iter());
    loop {
        match (a.next(), b.next()) {
            (None, None) => return out,
            (x, y) => out.extend(x.into_iter().chain(y)),
        }
    }
}

/// The seed of this batch: the one recorded by a batch on the same output (which must
/// have run the same checks), else `--seed`, else a new one.
fn resume_record(out: &Path, plan: &[Planned], seed: Option<u64>) -> Result<u64> {
    let path = out.join("batch.json");
    let checks: Vec<String> = plan.iter().map(Planned::id).collect();
    if let Ok(text) = std::fs::read(&path) {
        let record: Record =
            serde_json::from_slice(&text).with_context(|| format!("{} is not a batch record", path.display()))?;
        if record.checks != checks {
            bail!(
                "{} holds the results of other checks ({} of them); give another --output, or delete it to start over",
                out.display(),
                record.checks.len()
            );
        }
        if seed.is_some_and(|s| s != record.seed) {
            bail!("{} was graded with --seed {}; a resumed batch keeps its seed", out.display(), record.seed);
        }
        return Ok(record.seed);
    }
    let seed = seed.unwrap_or_else(|| fastrand::u64(..1 << 48));
    write_atomic(&path, (serde_json::to_string_pretty(&Record { checks, seed })? + "\n").as_bytes())?;
    Ok(seed)
}

/// The students' folders under `dir`, in name order; hidden folders and `out` are not.
/// On the Python track every submission is run as files, a checkout of the course too.
fn discover(dir: &Path, out: &Path, python: bool) -> Result<Vec<Submission>> {
    let dir = &dir.canonicalize().with_context(|| format!("cannot read {}", dir.display()))?;
    let mut subs = Vec::new();
    for entry in std::fs::read_dir(dir).with_context(|| format!("cannot read {}", dir.display()))? {
        let entry = entry?;
        let name = entry.file_name().to_string_lossy().into_owned();
        let path = entry.path();
        if name.starts_with('.') || !path.is_dir() || path.canonicalize().is_ok_and(|p| p == out) {
            continue;
        }
        let mut root = path;
        // A zip download of a repository unpacks into a folder of its own.
        if !root.join("labs").is_dir() {
            let inner: Vec<PathBuf> = std::fs::read_dir(&root)?
                .flatten()
                .filter(|e| !e.file_name().to_string_lossy().starts_with('.'))
                .map(|e| e.path())
                .collect();
            if let [only] = inner.as_slice() {
                if only.join("labs").is_dir() {
                    root = only.clone();
                }
            }
        }
        let kind = if root.join("labs").is_dir() && !python { Kind::Rust } else { Kind::Files };
        subs.push(Submission { student: name, dir: root, kind });
    }
    subs.sort_by(|a, b| a.student.cmp(&b.student));
    Ok(subs)
}

/// Each lab's maximum score under the grading file.
fn lab_maximums(plan: &[Planned], grading: &Grading) -> Vec<LabScore> {
    let mut labs: Vec<LabScore> = Vec::new();
    for planned in plan {
        let mut check = placeholder(planned, Status::Skipped, String::new());
        grading.apply(&mut check);
        match labs.iter_mut().find(|l| l.lab == planned.lab.name) {
            Some(lab) => lab.max_score += check.max_points,
            None => labs.push(LabScore { lab: planned.lab.name.to_string(), score: 0, max_score: check.max_points }),
        }
    }
    labs
}

fn placeholder(planned: &Planned, status: Status, message: String) -> CheckReport {
    CheckReport {
        id: planned.id(),
        lab: planned.lab.name.to_string(),
        name: planned.check.name.to_string(),
        status,
        points: 0,
        max_points: planned.check.points,
        message: Some(message),
        failure: None,
        duration_ms: 0,
        transcript: Vec::new(),
        hidden: false,
    }
}

/// Grades one submission to its result, written to `OUT/students/NAME/`; `None` when
/// the batch is being interrupted (the student then has no result and is graded by
/// the next batch on this output).
fn grade_one(batch: &Batch, sub: &Submission, events: &mpsc::Sender<Event>) -> Option<Entry> {
    let started = Instant::now();
    let work = batch.out.join(".work").join(&sub.student);
    let dest = batch.out.join("students").join(&sub.student);
    let phase = |name: &'static str| {
        let _ = events.send(Event::Phase(sub.student.clone(), name));
    };
    let mut entry = match prepare_and_grade(batch, sub, &work, &dest, &phase) {
        Ok(Some(entry)) => entry,
        Ok(None) => return None,
        Err(e) => {
            if STOPPING.load(Ordering::SeqCst) {
                return None;
            }
            let entry = Entry::ungraded(&sub.student, Outcome::Error, format!("{e:#}"), &batch.lab_max);
            if let Err(e) = write_unreported(batch, &entry, &dest) {
                eprintln!("grader: {}: {e:#}", sub.student);
            }
            entry
        }
    };
    entry.kind = Some(sub.kind.name().to_string());
    entry.seed = Some(batch.seed);
    entry.duration_ms = started.elapsed().as_millis() as u64;
    entry.finished_at_ms = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis() as u64).unwrap_or(0);
    if STOPPING.load(Ordering::SeqCst) {
        return None;
    }
    let json = serde_json::to_string_pretty(&entry).map(|j| j + "\n");
    if let Err(e) =
        json.map_err(anyhow::Error::from).and_then(|j| write_atomic(&dest.join("result.json"), j.as_bytes()))
    {
        eprintln!("grader: {}: cannot write its result: {e:#}", sub.student);
    }
    let _ = std::fs::remove_dir_all(&work);
    Some(entry)
}

fn prepare_and_grade(
    batch: &Batch,
    sub: &Submission,
    work: &Path,
    dest: &Path,
    phase: &dyn Fn(&'static str),
) -> Result<Option<Entry>> {
    let _ = std::fs::remove_dir_all(work);
    std::fs::create_dir_all(work).with_context(|| format!("cannot create {}", work.display()))?;
    std::fs::create_dir_all(dest).with_context(|| format!("cannot create {}", dest.display()))?;
    let mut programs = Programs::default();
    let mut problems: Vec<String> = Vec::new();
    let (mut build_ms, mut build_wait_ms) = (None, None);
    match sub.kind {
        Kind::Rust => {
            phase("waiting to build");
            let Some(build) = &batch.build else { bail!("no build folder was prepared") };
            let bin = work.join("bin");
            let built =
                match build.build(&sub.student, &sub.dir, &batch.labs, batch.timeout, &bin, &|| phase("building")) {
                    Ok(built) => built,
                    Err(e) if e.downcast_ref::<TimedOut>().is_some() => {
                        let entry = Entry::ungraded(&sub.student, Outcome::Timeout, format!("{e:#}"), &batch.lab_max);
                        write_unreported(batch, &entry, dest)?;
                        return Ok(Some(entry));
                    }
                    Err(e) => return Err(e.context("cannot build it")),
                };
            build_ms = Some(built.took.as_millis() as u64);
            build_wait_ms = Some(built.waited.as_millis() as u64);
            for lab in &batch.labs {
                if !sub.dir.join("labs").join(lab.name).join("src").is_dir() {
                    problems.push(format!("labs/{}/src was not submitted (the skeleton was graded)", lab.name));
                }
            }
            for (role, program) in built.programs {
                programs.roles.insert(role, program.map(Program::from));
            }
        }
        Kind::Files => {
            let Some(map) = &batch.rolemap else {
                bail!("it has no labs/ folder (it is not a checkout of the template), and no --roles mapping says how to run loose files");
            };
            for lab in &batch.labs {
                for role in lab.roles {
                    let (launcher, command) = map.launcher(role.name, &sub.dir);
                    programs.commands.extend(command);
                    programs.roles.insert(role.name.to_string(), launcher.map(Program::from));
                }
            }
        }
    }
    for lab in &batch.labs {
        for role in lab.roles {
            if let Some(Err(failure)) = programs.roles.get(role.name) {
                if failure.kind != FailureKind::GraderError && !problems.contains(&failure.summary) {
                    problems.push(failure.summary.clone());
                }
            }
        }
    }
    let programs_file = work.join("programs.json");
    write_atomic(&programs_file, serde_json::to_string(&programs)?.as_bytes())?;

    phase("grading");
    let report_json = work.join("report.json");
    let report_txt = work.join("report.txt");
    let Some((mut process, tmp)) = start_child(batch, work, &programs_file, &report_json, &report_txt)? else {
        return Ok(None);
    };
    let status = process.wait_exit(Instant::now() + batch.timeout);
    if status.is_none() {
        // Past --timeout: SIGTERM lets the child grader stop its programs and exit.
        process.stop(CHILD_GRACE);
    } else {
        process.stop(Duration::from_millis(200));
    }
    stop_orphans();
    forget_child(process.pid());
    // What a child grader stopped in haste may have left in its temporary folder.
    drop(tmp);
    if STOPPING.load(Ordering::SeqCst) {
        return Ok(None);
    }
    let stderr = process.final_stderr();
    let mut entry = match status {
        None => {
            let message =
                format!("grading it took longer than --timeout {} s; it was stopped", batch.timeout.as_secs());
            let entry = Entry::ungraded(&sub.student, Outcome::Timeout, message, &batch.lab_max);
            write_unreported(batch, &entry, dest)?;
            entry
        }
        Some(status) if matches!(status.code(), Some(0..=2)) && report_json.is_file() => {
            let text = std::fs::read(&report_json)?;
            let report: Report = serde_json::from_slice(&text).context("the child grader's report is not valid")?;
            let mut entry = Entry::from_report(&sub.student, &report);
            if status.code() == Some(2) {
                entry.outcome = Outcome::Error;
                entry.message = Some(last_error(&stderr));
            }
            std::fs::rename(&report_json, dest.join("report.json"))?;
            if report_txt.is_file() {
                std::fs::rename(&report_txt, dest.join("report.txt"))?;
            }
            entry
        }
        Some(status) => {
            let message = format!("the grader grading it {}: {}", describe_exit(status), last_error(&stderr));
            let entry = Entry::ungraded(&sub.student, Outcome::Error, message, &batch.lab_max);
            write_unreported(batch, &entry, dest)?;
            entry
        }
    };
    entry.problems = problems;
    entry.build_ms = build_ms;
    entry.build_wait_ms = build_wait_ms;
    Ok(Some(entry))
}

/// Starts `grader test` for one submission, unless the batch is stopping.
fn start_child(
    batch: &Batch,
    work: &Path,
    programs: &Path,
    report_json: &Path,
    report_txt: &Path,
) -> Result<Option<(Process, tempfile::TempDir)>> {
    let a = batch.args;
    let mut args: Vec<String> = vec!["--color".into(), "never".into(), "--root".into(), path_arg(&batch.course)];
    // The labs of --labs DIR: the submission's grader knows them too.
    args.extend(crate::registry::labs_flags());
    args.push("test".into());
    args.extend(batch.labs.iter().map(|l| l.name.to_string()));
    for id in &a.checks {
        args.extend(["--check".to_string(), id.clone()]);
    }
    args.extend(["--seed".to_string(), batch.seed.to_string()]);
    args.extend(["--timeout-scale".to_string(), a.timeout_scale.to_string()]);
    args.extend(["--jobs".to_string(), batch.check_jobs.to_string()]);
    let net = a.net.to_possible_value().map(|v| v.get_name().to_string()).unwrap_or_else(|| "auto".into());
    args.extend(["--net".to_string(), net]);
    for limit in &a.limits {
        args.extend(["--limit".to_string(), limit.clone()]);
    }
    if a.no_config {
        args.push("--no-config".into());
    } else if let Some(config) = &a.config {
        let config = config.canonicalize().with_context(|| format!("cannot find --config {}", config.display()))?;
        args.extend(["--config".to_string(), path_arg(&config)]);
    }
    if a.show_hidden {
        args.push("--show-hidden".into());
    }
    if !a.allow_unsandboxed {
        args.push("--require-sandbox".into());
    }
    args.extend(["--programs".to_string(), path_arg(programs)]);
    args.extend(["--format".to_string(), format!("json={}", path_arg(report_json))]);
    args.extend(["--format".to_string(), format!("human={}", path_arg(report_txt))]);
    // A temporary folder of its own (TMPDIR, set through env(1), which execs the
    // grader in its place): whatever it leaves there goes when it ends.
    let tmp =
        tempfile::Builder::new().prefix("socket-labs-batch-").tempdir().context("cannot make a temporary folder")?;
    let (program, args) = match which::which("env") {
        Ok(env) => {
            let mut all = vec![format!("TMPDIR={}", path_arg(tmp.path())), path_arg(&batch.exe)];
            all.extend(args);
            (path_arg(&env), all)
        }
        Err(_) => (path_arg(&batch.exe), args),
    };
    let spec = Spec {
        program,
        args,
        dir: WorkDir::At(work.to_path_buf()),
        stdin: None,
        label: "grader".to_string(),
        limits: None,
        output_cap: 256 << 10,
        writable: Vec::new(),
        readable: Vec::new(),
    };
    // Under the lock the interrupt handler takes: a child either starts before the
    // handler looks, and is stopped by it, or not at all.
    let mut children = CHILDREN.lock().unwrap_or_else(|e| e.into_inner());
    if STOPPING.load(Ordering::SeqCst) {
        return Ok(None);
    }
    let process = Process::start(spec, &Transcript::default()).context("cannot start the grader for it")?;
    children.push((process.pid(), process.watch(), tmp.path().to_path_buf()));
    Ok(Some((process, tmp)))
}

fn forget_child(pid: u32) {
    CHILDREN.lock().unwrap_or_else(|e| e.into_inner()).retain(|(p, _, _)| *p != pid);
}

fn path_arg(path: &Path) -> String {
    path.to_string_lossy().into_owned()
}

/// The grader's own error line from a child's stderr, else its last lines.
fn last_error(stderr: &str) -> String {
    if let Some(line) = stderr.lines().rev().find(|l| l.starts_with("grader: error:")) {
        return line.trim_start_matches("grader: error:").trim().to_string();
    }
    let lines: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
    match lines.len() {
        0 => "it said nothing".to_string(),
        n => lines[n.saturating_sub(5)..].join(" / "),
    }
}

/// The reports of a submission that has no grade: every planned check marked with
/// why, so that the student's folder holds the same files as any other.
fn write_unreported(batch: &Batch, entry: &Entry, dest: &Path) -> Result<()> {
    let status = if entry.outcome == Outcome::Timeout { Status::Timeout } else { Status::Error };
    let message = format!("not graded: {}", entry.message.as_deref().unwrap_or("no result"));
    let checks = batch.plan.iter().map(|p| placeholder(p, status, message.clone())).collect();
    let report = Report::new("labs".to_string(), Vec::new(), batch.seed, vec![message.clone()], checks, 0);
    let report = batch.grading.apply_all(report);
    write_atomic(&dest.join("report.json"), (serde_json::to_string_pretty(&report)? + "\n").as_bytes())?;
    write_atomic(&dest.join("report.txt"), format!("{}: {message}\n", entry.student).as_bytes())
}

/// Called by the interrupt handler before it stops the programs: asks each child
/// grader to stop its own programs (SIGTERM, which it handles like Ctrl-C), waits a
/// bounded time for them, kills those still there and whatever they left behind, and
/// removes the batch's temporary and working folders.
pub fn stop_children() {
    if WORK.lock().unwrap_or_else(|e| e.into_inner()).is_some() && std::io::stderr().is_terminal() {
        // Off the progress line, for the handler's last words.
        eprint!("\r\x1b[2K");
    }
    let children = {
        let children = CHILDREN.lock().unwrap_or_else(|e| e.into_inner());
        STOPPING.store(true, Ordering::SeqCst);
        children.clone()
    };
    let signal = |pid: u32, signal| {
        let _ = nix::sys::signal::killpg(nix::unistd::Pid::from_raw(pid as i32), signal);
    };
    for (pid, _, _) in &children {
        signal(*pid, nix::sys::signal::Signal::SIGTERM);
    }
    let deadline = Instant::now() + CHILD_GRACE;
    for (pid, watch, _) in &children {
        if watch.exit_status_within(deadline.saturating_duration_since(Instant::now())).is_none() {
            signal(*pid, nix::sys::signal::Signal::SIGKILL);
            // Once it is gone, what it started has come to this grader.
            watch.exit_status_within(Duration::from_secs(2));
        }
    }
    stop_orphans();
    for (_, _, tmp) in &children {
        let _ = std::fs::remove_dir_all(tmp);
    }
    if let Some(work) = WORK.lock().unwrap_or_else(|e| e.into_inner()).as_ref() {
        let _ = std::fs::remove_dir_all(work);
    }
}

/// Kills what a dead child grader left running: its programs come to this grader,
/// the subreaper, when it dies. Bounded; reaps them too.
fn stop_orphans() {
    let own_group = nix::unistd::getpgrp();
    poll_until(Instant::now() + Duration::from_secs(5), || {
        let orphans = crate::contain::orphans();
        for pid in &orphans {
            let pid = nix::unistd::Pid::from_raw(*pid as i32);
            if let Ok(group) = nix::unistd::getpgid(Some(pid)) {
                if group != own_group {
                    let _ = nix::sys::signal::killpg(group, nix::sys::signal::Signal::SIGKILL);
                }
            }
            let _ = nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGKILL);
        }
        crate::contain::reap_orphans();
        orphans.is_empty().then_some(())
    });
}

/// The progress shown while the batch runs: a line redrawn on stderr when it is a
/// terminal, else a line per finished student.
struct Progress {
    total: usize,
    done: usize,
    /// Finished by an earlier batch.
    resumed: usize,
    started: Instant,
    terminal: bool,
    active: BTreeMap<String, &'static str>,
    drawn: bool,
}

impl Progress {
    fn new(total: usize, resumed: usize) -> Progress {
        Progress {
            total,
            done: resumed,
            resumed,
            started: Instant::now(),
            terminal: std::io::stderr().is_terminal(),
            active: BTreeMap::new(),
            drawn: false,
        }
    }

    fn phase(&mut self, student: String, phase: &'static str) {
        self.active.insert(student, phase);
    }

    fn done(&mut self, entry: &Entry) {
        self.active.remove(&entry.student);
        self.done += 1;
        let result = match entry.outcome {
            Outcome::Graded => format!("{}/{}", entry.score, entry.max_score),
            Outcome::Timeout => "timed out".to_string(),
            Outcome::Error => format!("not graded: {}", entry.message.as_deref().unwrap_or("")),
        };
        let problems = match entry.problems.as_slice() {
            [] => String::new(),
            [a] => format!(" ({a})"),
            [a, b] => format!(" ({a}; {b})"),
            [a, b, rest @ ..] => format!(" ({a}; {b}; and {} more)", rest.len()),
        };
        let line = format!(
            "grader: [{}/{}] {}: {result}{problems} in {:.1} s",
            self.done,
            self.total,
            entry.student,
            entry.duration_ms as f64 / 1000.0
        );
        self.say(&line);
    }

    /// A line that stays (above the progress line on a terminal).
    fn say(&mut self, line: &str) {
        self.clear();
        eprintln!("{line}");
        self.draw();
    }

    fn draw(&mut self) {
        if !self.terminal {
            return;
        }
        let elapsed = self.started.elapsed();
        let graded_now = self.done - self.resumed;
        let left = match graded_now {
            0 => "estimating".to_string(),
            n => format!("about {} left", clock(elapsed.mul_f64((self.total - self.done) as f64 / n as f64))),
        };
        let mut active: Vec<String> = self.active.iter().map(|(s, p)| format!("{p} {s}")).collect();
        if active.len() > 4 {
            let more = active.len() - 4;
            active.truncate(4);
            active.push(format!("+{more}"));
        }
        let mut line = format!("[{}/{}] {} elapsed, {left}", self.done, self.total, clock(elapsed));
        if !active.is_empty() {
            line.push_str(" · ");
            line.push_str(&active.join(", "));
        }
        let width: usize = std::env::var("COLUMNS").ok().and_then(|c| c.parse().ok()).unwrap_or(100);
        let line: String = line.chars().take(width.saturating_sub(1)).collect();
        let mut err = std::io::stderr().lock();
        let _ = write!(err, "\r\x1b[2K{line}");
        let _ = err.flush();
        self.drawn = true;
    }

    fn clear(&mut self) {
        if self.drawn {
            let mut err = std::io::stderr().lock();
            let _ = write!(err, "\r\x1b[2K");
            let _ = err.flush();
            self.drawn = false;
        }
    }
}

/// `1m05s`, `42s`, `1h02m`.
fn clock(d: Duration) -> String {
    let s = d.as_secs();
    match s {
        0..=59 => format!("{s}s"),
        60..=3599 => format!("{}m{:02}s", s / 60, s % 60),
        _ => format!("{}h{:02}m", s / 3600, s % 3600 / 60),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builds_are_spread_among_the_others() {
        assert_eq!(interleave(vec!["r1", "r2", "r3"], vec!["p1"]), ["r1", "p1", "r2", "r3"]);
        assert_eq!(interleave(Vec::<u8>::new(), vec![1, 2]), [1, 2]);
    }

    #[test]
    fn a_child_graders_error_is_its_own_line() {
        let stderr = "grader: building\ngrader: error: no free port left\n";
        assert_eq!(last_error(stderr), "no free port left");
        assert_eq!(last_error("thread panicked\nat x\n"), "thread panicked / at x");
        assert_eq!(clock(Duration::from_secs(3725)), "1h02m");
        assert_eq!(clock(Duration::from_secs(65)), "1m05s");
    }
}
