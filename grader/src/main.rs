//! `grader`: grades socket-labs programs over real sockets.
//!
//! `grader list` shows the labs and their checks; `grader test [LAB]...` builds and
//! grades the student's programs (or, with `--solutions`, the reference ones, or any
//! program with `--cmd ROLE=COMMAND`). Exit status: 0 every check passed, 1 some check
//! did not, 2 the grader could not run (a bad argument, no cargo): never a panic.

// A check's `Err(Failure)` carries what the student needs (sent, expected, got, hint):
// it is built at most once per check, so its size costs nothing worth boxing for.
#![allow(clippy::result_large_err)]

#[cfg(unix)]
mod batch;
#[cfg(unix)]
mod byhand;
#[cfg(unix)]
mod cargo;
#[cfg(unix)]
mod explain;
#[cfg(unix)]
#[cfg(unix)]
mod grade;
#[cfg(unix)]
mod gradebook;
#[cfg(unix)]
mod grading;
#[cfg(unix)]
mod inner;
#[cfg(unix)]
mod list;
#[cfg(unix)]
mod prebuilt;
#[cfg(unix)]
mod programs;
#[cfg(unix)]
mod repeat;
#[cfg(unix)]
mod rerender;
#[cfg(unix)]
mod rolemap;
#[cfg(unix)]
mod runner;
#[cfg(unix)]
mod selftest;
#[cfg(unix)]
mod send;
#[cfg(unix)]
mod sharedbuild;
#[cfg(unix)]
mod template;
#[cfg(unix)]
mod watch;
#[cfg(unix)]
mod workspace;

#[cfg(unix)]
use std::path::PathBuf;
use std::process::ExitCode;

#[cfg(unix)]
use clap::{Parser, Subcommand, ValueEnum};
#[cfg(unix)]
use harness::{deadline, process, sandbox};
#[cfg(unix)]
use labs::registry;

/// Native Windows has none of what the grader uses to run and watch programs (process
/// groups, signals, the kernel's socket tables by process): it runs under WSL, where
/// it is the Linux grader. The labs themselves build natively.
#[cfg(windows)]
fn main() -> ExitCode {
    eprintln!(
        "grader: native Windows is not supported; run it in WSL (wsl --install, then the Linux steps of docs/quickstart.md)"
    );
    ExitCode::from(2)
}

#[cfg(unix)]
#[derive(Parser)]
#[command(name = "grader", version, about = "Grades socket-labs programs over real TCP, UDP and multicast sockets")]
struct Cli {
    #[command(subcommand)]
    command: Command,
    /// The socket-labs workspace (default: found from the current directory).
    #[arg(long, global = true, value_name = "DIR")]
    root: Option<PathBuf>,
    /// A folder of labs written as data (each a folder with a lab.toml), or one lab's
    /// folder, besides the workspace's `labs/*/lab.toml`. Repeatable.
    #[arg(long = "labs", id = "lab_dirs", global = true, value_name = "DIR")]
    labs: Vec<PathBuf>,
    /// Colour: auto (on a terminal, unless NO_COLOR is set), always or never.
    #[arg(long, global = true, value_enum, default_value_t = ColorWhen::Auto)]
    color: ColorWhen,
}

#[cfg(unix)]
#[derive(Subcommand)]
enum Command {
    /// List the labs, their checks (with stable ids) and points.
    List(list::ListArgs),
    /// Build and grade programs: the student's in labs/ unless told otherwise.
    Test(grade::TestArgs),
    /// Runs checks inside a private network for `test` (the grader's own use).
    #[command(name = inner::COMMAND, hide = true)]
    RunChecks {
        /// The grader that started this one.
        parent: u32,
    },
    /// Render a saved JSON report in other formats (junit, gradescope, tap, ...).
    Report(rerender::ReportArgs),
    /// Grade a whole class: every submission in a folder, into a gradebook.
    Batch(batch::BatchArgs),
    /// Gradebooks: merge per-student JSON results (one CI job per student) into one.
    Gradebook(gradebook::GradebookArgs),
    /// Grade a lab again every time you save one of its files.
    Watch(watch::WatchArgs),
    /// What a check sends and expects, and how to try it by hand.
    Explain(explain::ExplainArgs),
    /// Send text to a program (or, with --listen, play its peer) over TCP or UDP.
    Send(send::SendArgs),
    /// Run a lab's declared mutants and say which check catches each.
    Selftest(selftest::SelftestArgs),
    /// Write the course as a student gets it (no solutions/, no tests/) to a new folder.
    Template(template::TemplateArgs),
}

#[cfg(unix)]
#[derive(Clone, Copy, ValueEnum)]
enum ColorWhen {
    Auto,
    Always,
    Never,
}

#[cfg(unix)]
fn main() -> ExitCode {
    // In the grader's own child that runs the checks: enter its private network now,
    // while this process has one thread (inner.rs).
    inner::enter_if_inner();
    // Orphans of the programs under test come to the grader, which kills and reaps them.
    harness::reaper::become_subreaper();
    let cli = Cli::parse();
    let color = match cli.color {
        ColorWhen::Auto => anstream::ColorChoice::Auto,
        ColorWhen::Always => anstream::ColorChoice::Always,
        ColorWhen::Never => anstream::ColorChoice::Never,
    };
    color.write_global();
    // Ctrl-C or SIGTERM to the grader stops every program it started, then exits.
    let _ = ctrlc::set_handler(|| {
        // First: from now on the run has no verdict, and no program may start.
        process::begin_interrupt();
        inner::stop_child();
        batch::stop_children();
        process::kill_all_live();
        sandbox::folder::remove_root();
        sandbox::cgroup::remove_run();
        eprintln!("grader: interrupted; every program it started has been stopped");
        std::process::exit(130);
    });
    // The labs written as data; the child grader loads those its job names instead.
    if !matches!(cli.command, Command::RunChecks { .. }) {
        let root = workspace::find_root(cli.root.as_deref()).ok();
        if let Err(e) = registry::init(root.as_deref(), &cli.labs) {
            eprintln!("grader: error: {e:#}");
            return ExitCode::from(2);
        }
    }
    let result = match cli.command {
        Command::List(args) => list::run(&args),
        Command::Test(args) => grade::run(args, cli.root.as_deref()),
        Command::RunChecks { .. } => inner::serve(),
        Command::Report(args) => rerender::run(args),
        Command::Batch(args) => batch::run(args, cli.root.as_deref()),
        Command::Gradebook(args) => gradebook::run(args),
        Command::Watch(args) => watch::run(args, cli.root.as_deref()),
        Command::Explain(args) => explain::run(&args, cli.root.as_deref()),
        Command::Send(args) => send::run(&args),
        Command::Selftest(args) => selftest::run(&args, cli.root.as_deref()),
        Command::Template(args) => template::run(&args, cli.root.as_deref()),
    };
    if process::interrupted() {
        // The interrupt handler is cleaning up and will exit; a run it cut short has
        // no verdict, whatever its checks said. Returning now would end the process
        // before the handler has stopped every program: wait for it (boundedly).
        deadline::poll_until(std::time::Instant::now() + std::time::Duration::from_secs(30), || None::<()>);
        return ExitCode::from(130);
    }
    match result {
        Ok(code) => code,
        // A reader that stopped reading (`grader list | head`) is not an error to report.
        Err(e)
            if e.chain().any(|c| {
                c.downcast_ref::<std::io::Error>().is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
            }) =>
        {
            ExitCode::from(141)
        }
        Err(e) => {
            eprintln!("grader: error: {e:#}");
            ExitCode::from(2)
        }
    }
}
