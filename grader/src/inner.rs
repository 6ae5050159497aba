//! Running the checks inside a private network.
//!
//! The grader builds the programs with the machine's network (cargo may need it), then
//! starts itself again as `grader __run-checks`: that child enters a network namespace
//! of its own first thing in `main`, while it is still single-threaded (see
//! `netns.rs`), runs the checks there, and streams each result back as one JSON line
//! on stdout, which the parent reports as if it had run the check itself. Where the
//! namespace cannot be made, the parent runs the checks itself on the machine's
//! loopback and the report says so.
//!
//! Cleanup holds across the two processes: the child is a program like any other
//! (own process group, stopped when dropped); Ctrl-C on the parent forwards SIGTERM to
//! the child, which stops every program it started before the parent exits; and the
//! child gets SIGTERM from the kernel if the parent dies.

use std::cell::RefCell;
use std::collections::HashMap;
use std::io::{Read, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use clap::ValueEnum;
use serde::{Deserialize, Serialize};

use crate::runner::{self, Planned};
use harness::deadline::{poll_until, Timeouts};
use harness::netns;
use harness::outcome::Failure;
use harness::process::{self, describe_exit, Limits, Process, Spec, Watch, WorkDir};
use harness::transcript::Transcript;
use harness::{Env, Launcher};
use labs::registry::find_check;
use report::CheckReport;

/// The hidden subcommand of the child grader.
pub const COMMAND: &str = "__run-checks";

/// Where a run's checks and programs run (`--net`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Net {
    /// A private network namespace where the machine allows it, else loopback.
    Auto,
    /// A private network namespace, or no run at all.
    Private,
    /// This machine's loopback; multicast always names 127.0.0.1 as its interface.
    Loopback,
}

/// What entering the namespace gave, in the child; read by [`serve`].
static ENTERED: OnceLock<Result<(), String>> = OnceLock::new();

/// Called first thing in `main`: in the child grader, enters the private network
/// before any thread exists. Does nothing in any other process.
pub fn enter_if_inner() {
    let mut args = std::env::args_os().skip(1);
    if args.next().is_none_or(|a| a != COMMAND) {
        return;
    }
    netns::die_with_parent();
    // The parent may have died before the line above took effect.
    let parent: Option<u32> = args.next().and_then(|a| a.to_str()?.parse().ok());
    if parent.is_some_and(|p| p != std::os::unix::process::parent_id()) {
        std::process::exit(130);
    }
    // Once in, this process's checks run in the private network (netns::mode).
    let entered = netns::enter();
    if entered.is_ok() {
        harness::sandbox::folder::set_private_mounts();
    }
    let _ = ENTERED.set(entered);
}

/// One line of the child's stdout.
#[derive(Serialize, Deserialize)]
enum Message {
    /// The namespace could not be made; nothing was run.
    Unavailable(String),
    /// The namespace is ready; results follow. With the sandbox's one-line description.
    Ready(String),
    /// `--require-sandbox`, and there is none here: nothing was run.
    NoSandbox(String),
    Result(Box<CheckReport>),
}

/// What the parent hands the child on stdin: everything needed to run the checks
/// without building or resolving anything again.
#[derive(Serialize, Deserialize)]
struct Job {
    checks: Vec<String>,
    /// The folders of the labs written as data that the parent loaded.
    lab_dirs: Vec<std::path::PathBuf>,
    programs: Vec<(String, Result<JobLauncher, Failure>)>,
    timeouts_ms: [u64; 5],
    limits: Limits,
    jobs: usize,
    seed: u64,
    require_sandbox: bool,
    /// The folder the programs' folders are made in (the parent's, which it removes
    /// whatever happens to the child).
    scratch: std::path::PathBuf,
}

#[derive(Serialize, Deserialize)]
struct JobLauncher {
    program: String,
    args: Vec<String>,
    shown: String,
    visible: Option<std::path::PathBuf>,
}

/// The child grader while it runs, for the interrupt handler.
static CHILD: Mutex<Option<(u32, Watch)>> = Mutex::new(None);
static STOPPING: AtomicBool = AtomicBool::new(false);

/// Runs `plan` where `net` says, handing each result to `on_result` in plan order, and
/// adds to `notes` which network was used.
pub fn run(
    plan: &[Planned],
    env: Arc<Env>,
    jobs: usize,
    seed: u64,
    net: Net,
    notes: &mut Vec<String>,
    mut on_result: impl FnMut(&CheckReport),
) -> Result<Vec<CheckReport>> {
    // Every program's folder is made in this one, removed when the run ends, even if
    // the child grader that ran the checks was killed.
    let scratch = tempfile::Builder::new()
        .prefix(&format!("socket-labs-run-{}-", std::process::id()))
        .tempdir()
        .context("cannot make a temporary folder for the run")?;
    harness::sandbox::folder::set_root(scratch.path().to_path_buf());
    let fallback = match net {
        Net::Loopback => "--net loopback was given".to_string(),
        Net::Auto | Net::Private if netns::possible().is_err() => {
            let reason = netns::possible().err().unwrap_or_default();
            if net == Net::Private {
                bail!("--net private: a private network namespace cannot be made here: {reason}")
            }
            reason
        }
        Net::Auto | Net::Private => match run_in_child(plan, &env, jobs, seed, scratch.path(), &mut on_result)? {
            Ok((results, sandbox)) => {
                notes.insert(0, sandbox);
                notes.push(
                    "checks ran in a private network namespace: loopback only, multicast routed to lo; nothing they sent could leave it"
                        .to_string(),
                );
                return Ok(results);
            }
            Err(reason) if net == Net::Private => {
                bail!("--net private: a private network namespace cannot be made here: {reason}")
            }
            Err(reason) => reason,
        },
    };
    notes.push(format!(
        "checks ran on this machine's loopback, not in a private network namespace ({fallback}); multicast was sent and joined on 127.0.0.1, but a program that ignores --iface could send multicast off this machine"
    ));
    let sandbox = harness::sandbox::describe();
    if env.require_sandbox {
        if let Err(reason) = harness::sandbox::get() {
            bail!("--require-sandbox: the programs cannot be sandboxed here: {reason}");
        }
    }
    harness::sandbox::announce(&sandbox);
    notes.insert(0, sandbox);
    if harness::platform::portable() && harness::contain::process_limit() == harness::contain::ProcessLimit::None {
        notes.push(
            "no process limit: the grader runs as root, which RLIMIT_NPROC does not hold, and the portable mode has no pids cgroup"
                .to_string(),
        );
    }
    Ok(runner::run(plan, env, jobs, seed, on_result))
}

/// Runs the plan in a child grader inside a namespace: `Ok(Err(reason))` when the
/// namespace could not be made (nothing ran).
fn run_in_child(
    plan: &[Planned],
    env: &Env,
    jobs: usize,
    seed: u64,
    scratch: &std::path::Path,
    on_result: &mut impl FnMut(&CheckReport),
) -> Result<Result<(Vec<CheckReport>, String), String>> {
    let job = job(plan, env, jobs, seed, scratch);
    // /proc/self/exe is this very program even when its file was replaced meanwhile (a
    // rebuild while grading); current_exe() would then name a file that is gone.
    let exe = match std::path::Path::new("/proc/self/exe") {
        own if own.exists() => own.to_path_buf(),
        _ => std::env::current_exe().context("cannot find the grader's own program to run the checks")?,
    };
    let spec = Spec {
        program: exe.to_string_lossy().into_owned(),
        args: vec![COMMAND.to_string(), std::process::id().to_string()],
        dir: WorkDir::At(std::env::current_dir()?),
        stdin: Some(serde_json::to_vec(&job)?),
        label: "grader".to_string(),
        limits: None,
        output_cap: 1 << 30,
        writable: Vec::new(),
        readable: Vec::new(),
    };
    let mut child = Process::start(spec, &Transcript::default()).context("cannot start the grader's checks")?;
    *CHILD.lock().unwrap_or_else(|e| e.into_inner()) = Some((child.pid(), child.watch()));
    let outcome = stream(&child, plan.len(), env.timeouts.startup, on_result);
    CHILD.lock().unwrap_or_else(|e| e.into_inner()).take();
    // After its last result the child exits by itself; give it the moment it needs.
    child.wait_exit(Instant::now() + env.timeouts.grace);
    child.stop(env.timeouts.grace);
    if outcome.is_err() && STOPPING.load(Ordering::SeqCst) {
        // Interrupted: the handler is stopping everything and will exit the grader
        // with 130; this run has no result of its own.
        poll_until(Instant::now() + Duration::from_secs(10), || process::interrupted().then_some(()));
    }
    outcome
}

fn job(plan: &[Planned], env: &Env, jobs: usize, seed: u64, scratch: &std::path::Path) -> Job {
    let t = env.timeouts;
    let ms = |d: Duration| d.as_millis() as u64;
    Job {
        checks: plan.iter().map(Planned::id).collect(),
        lab_dirs: labs::registry::lab_dirs(),
        programs: env
            .programs
            .iter()
            .map(|(role, launcher)| {
                let launcher = launcher.clone().map(|l| JobLauncher {
                    program: l.program,
                    args: l.args,
                    shown: l.shown,
                    visible: l.visible,
                });
                (role.clone(), launcher)
            })
            .collect(),
        timeouts_ms: [ms(t.startup), ms(t.io), ms(t.client_run), ms(t.grace), ms(t.build)],
        limits: env.limits,
        jobs,
        seed,
        require_sandbox: env.require_sandbox,
        scratch: scratch.to_path_buf(),
    }
}

/// Reads the child's messages as they come.
fn stream(
    child: &Process,
    expected: usize,
    startup: Duration,
    on_result: &mut impl FnMut(&CheckReport),
) -> Result<Result<(Vec<CheckReport>, String), String>> {
    let mut offset = 0;
    let mut results = Vec::with_capacity(expected);
    let mut ready = None;
    loop {
        // Before Ready, the namespace is being made: that is quick. After it, a check
        // may take long, but every check has its own deadlines, so waiting on is safe.
        // Trying the sandbox once (sandbox.rs) is part of getting ready.
        let deadline = if ready.is_some() { None } else { Some(Instant::now() + startup + Duration::from_secs(10)) };
        let Some(line) = next_line(child, &mut offset, deadline) else {
            let status = child.wait_exit(Instant::now() + Duration::from_secs(5));
            let status = status.map(describe_exit).unwrap_or_else(|| "did not answer".to_string());
            bail!(
                "the grader's checks (run in a private network) {status} after {} of {expected} results{}",
                results.len(),
                last_words(&child.final_stderr())
            );
        };
        match serde_json::from_slice::<Message>(&line) {
            Ok(Message::Unavailable(reason)) => return Ok(Err(reason)),
            Ok(Message::Ready(sandbox)) => {
                harness::sandbox::announce(&sandbox);
                ready = Some(sandbox);
            }
            Ok(Message::NoSandbox(reason)) => {
                bail!("--require-sandbox: the programs cannot be sandboxed here: {reason}")
            }
            Ok(Message::Result(report)) => {
                on_result(&report);
                results.push(*report);
                if results.len() == expected {
                    return Ok(Ok((results, ready.unwrap_or_default())));
                }
            }
            Err(e) => {
                bail!("the grader's checks sent a line that is not a result ({e}): {}", String::from_utf8_lossy(&line))
            }
        }
    }
}

/// The next complete line of the child's stdout after `offset`, or `None` when the
/// stream ended (or the deadline passed) without one.
fn next_line(child: &Process, offset: &mut usize, deadline: Option<Instant>) -> Option<Vec<u8>> {
    let found = RefCell::new(None);
    // A step of a day stands for "no deadline": the child's own deadlines end it.
    let deadline = deadline.unwrap_or_else(|| Instant::now() + Duration::from_secs(86_400));
    child.stdout.wait_for(deadline, |bytes| {
        let tail = &bytes[*offset..];
        match tail.iter().position(|&b| b == b'\n') {
            Some(end) => {
                *found.borrow_mut() = Some(tail[..end].to_vec());
                true
            }
            None => false,
        }
    });
    let line = found.into_inner()?;
    *offset += line.len() + 1;
    Some(line)
}

fn last_words(stderr: &str) -> String {
    let lines: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
    if lines.is_empty() {
        return String::new();
    }
    format!("; its stderr ended with:\n{}", lines[lines.len().saturating_sub(10)..].join("\n"))
}

/// Called by the interrupt handler before it stops the programs: asks the child
/// grader to stop its own programs (SIGTERM, which it handles like Ctrl-C) and waits
/// a bounded time for it to exit.
pub fn stop_child() {
    STOPPING.store(true, Ordering::SeqCst);
    let child = CHILD.lock().unwrap_or_else(|e| e.into_inner()).clone();
    if let Some((pid, watch)) = child {
        let _ = nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid as i32), nix::sys::signal::Signal::SIGTERM);
        // The child's own sweep is bounded (SIGKILL to every group, then at most 2 s for
        // them to die); 10 s covers it on a heavily loaded machine, where 5 s did not
        // always (a temp folder was left behind at load 40).
        watch.exit_status_within(Duration::from_secs(10));
    }
}

/// `grader __run-checks`: the child's side. Reads the job on stdin, runs it in the
/// namespace entered by [`enter_if_inner`], writes one JSON line per message.
pub fn serve() -> Result<std::process::ExitCode> {
    let mut input = Vec::new();
    std::io::stdin().read_to_end(&mut input)?;
    let job: Job = serde_json::from_slice(&input).context("the job for the grader's checks is not valid")?;
    let mut out = std::io::stdout().lock();
    let mut send = |message: &Message| -> std::io::Result<()> {
        let mut line = serde_json::to_vec(message).map_err(std::io::Error::other)?;
        line.push(b'\n');
        out.write_all(&line)?;
        out.flush()
    };
    harness::sandbox::folder::set_root(job.scratch.clone());
    match ENTERED.get() {
        Some(Ok(())) => match harness::sandbox::get() {
            Err(reason) if job.require_sandbox => {
                send(&Message::NoSandbox(reason.to_string()))?;
                return Ok(std::process::ExitCode::SUCCESS);
            }
            _ => send(&Message::Ready(harness::sandbox::describe()))?,
        },
        Some(Err(reason)) => {
            send(&Message::Unavailable(reason.clone()))?;
            return Ok(std::process::ExitCode::SUCCESS);
        }
        None => bail!("{COMMAND} is the grader's own; use `grader test`"),
    }
    labs::registry::init_from(&job.lab_dirs)?;
    let mut plan = Vec::new();
    for id in &job.checks {
        let Some((lab, check)) = find_check(id) else { bail!("no check {id}") };
        plan.push(Planned { lab, check });
    }
    let programs: HashMap<String, Result<Launcher, Failure>> = job
        .programs
        .into_iter()
        .map(|(role, l)| {
            (role, l.map(|l| Launcher { program: l.program, args: l.args, shown: l.shown, visible: l.visible }))
        })
        .collect();
    let [startup, io, client_run, grace, build] = job.timeouts_ms.map(Duration::from_millis);
    let timeouts = Timeouts { startup, io, client_run, grace, build };
    let env = Arc::new(Env { programs, timeouts, limits: job.limits, require_sandbox: job.require_sandbox });
    let mut failed = None;
    runner::run(&plan, env, job.jobs, job.seed, |report| {
        if failed.is_none() {
            failed = send(&Message::Result(Box::new(report.clone()))).err();
        }
    });
    harness::sandbox::cgroup::remove_run();
    match failed {
        Some(e) => Err(e).context("cannot send the results to the grader"),
        None => Ok(std::process::ExitCode::SUCCESS),
    }
}
