//! `grader`: grades socket-labs programs over real sockets.
//!
//! `grader list` shows the labs and their checks; `grader test [LAB]...` builds and
//! grades the student's programs (or, with `--solutions`, the reference ones, or any
//! program with `--cmd ROLE=COMMAND`). Exit status: 0 every check passed, 1 some check
//! did not, 2 the grader could not run (a bad argument, no cargo): never a panic.

mod capture;
mod cargo;
mod checks;
mod conn;
mod deadline;
mod diagnose;
mod grade;
mod harness;
mod human;
mod list;
mod listening;
mod outcome;
mod ports;
mod process;
mod proctable;
mod programs;
mod registry;
mod report;
mod runner;
mod transcript;
mod workspace;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

#[derive(Parser)]
#[command(name = "grader", version, about = "Grades socket-labs programs over real TCP, UDP and multicast sockets")]
struct Cli {
    #[command(subcommand)]
    command: Command,
    /// The socket-labs workspace (default: found from the current directory).
    #[arg(long, global = true, value_name = "DIR")]
    root: Option<PathBuf>,
    /// Colour: auto (on a terminal, unless NO_COLOR is set), always or never.
    #[arg(long, global = true, value_enum, default_value_t = ColorWhen::Auto)]
    color: ColorWhen,
}

#[derive(Subcommand)]
enum Command {
    /// List the labs, their checks (with stable ids) and points.
    List(list::ListArgs),
    /// Build and grade programs: the student's in labs/ unless told otherwise.
    Test(grade::TestArgs),
}

#[derive(Clone, Copy, ValueEnum)]
enum ColorWhen {
    Auto,
    Always,
    Never,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let color = match cli.color {
        ColorWhen::Auto => anstream::ColorChoice::Auto,
        ColorWhen::Always => anstream::ColorChoice::Always,
        ColorWhen::Never => anstream::ColorChoice::Never,
    };
    color.write_global();
    // Ctrl-C or SIGTERM to the grader stops every program it started, then exits.
    let _ = ctrlc::set_handler(|| {
        process::kill_all_live();
        eprintln!("grader: interrupted; every program it started has been stopped");
        std::process::exit(130);
    });
    let result = match cli.command {
        Command::List(args) => list::run(&args),
        Command::Test(args) => grade::run(args, cli.root.as_deref()),
    };
    if process::interrupted() {
        // The interrupt handler is cleaning up and will exit; a run it cut short has
        // no verdict, whatever its checks said.
        return ExitCode::from(130);
    }
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("grader: error: {e:#}");
            ExitCode::from(2)
        }
    }
}
