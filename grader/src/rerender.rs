//! `grader report FILE`: renders a saved JSON report (`grader test --format json`) in
//! other formats, without running anything: grade once, publish where needed (a CI
//! job that only publishes), and the samples in docs/formats come from here.

use std::path::PathBuf;
use std::process::ExitCode;
use std::rc::Rc;

use anyhow::{Context, Result};
use clap::Args;

use crate::grading::Grading;
use labs::registry::find_lab;
use report::output::{self, CiFiles, FormatArg, HumanOptions, Plan};
use report::Report;

#[derive(Args)]
pub struct ReportArgs {
    /// A JSON report written by `grader test --format json`.
    #[arg(value_name = "REPORT.json")]
    file: PathBuf,
    /// Report format, to stdout or to FILE (as for `grader test`). Repeatable.
    #[arg(long = "format", value_name = "FORMAT[=FILE]", value_parser = output::parse_format)]
    formats: Vec<FormatArg>,
    /// Write the one format given without a file to FILE.
    #[arg(long, value_name = "FILE")]
    output: Option<PathBuf>,
    /// Apply this grading file (points, hidden checks, passing score) to the report.
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Show the details of hidden checks that the report still holds.
    #[arg(long)]
    show_hidden: bool,
    /// Show each check's transcript in the human report.
    #[arg(short, long)]
    verbose: bool,
    /// Exit 0 once the reports are written, whatever the grade: for a CI step that
    /// only publishes (a failing grade is the grading step's to report). Exit 2, as
    /// ever, when a report cannot be read or written.
    #[arg(long, alias = "no-fail")]
    exit_zero: bool,
}

pub fn run(args: ReportArgs) -> Result<ExitCode> {
    let ci = CiFiles::take();
    let text = std::fs::read_to_string(&args.file).with_context(|| format!("cannot read {}", args.file.display()))?;
    let report: Report = serde_json::from_str(&text)
        .with_context(|| format!("{} is not a JSON report of the grader", args.file.display()))?;
    let mut grading = match &args.config {
        Some(path) => Grading::load(path)?,
        None => Grading::default(),
    };
    grading.show_hidden = args.show_hidden;
    let outputs = Plan::new(&args.formats, args.output.as_deref())?;
    let report = grading.apply_all(report);

    let mut lab_titles: Vec<(String, String)> = Vec::new();
    for check in &report.checks {
        if !lab_titles.iter().any(|(lab, _)| *lab == check.lab) {
            let title = find_lab(&check.lab).map(|lab| lab.title.to_string()).unwrap_or_default();
            lab_titles.push((check.lab.clone(), title));
        }
    }
    let solutions = if report.source == "solutions" { " --solutions" } else { "" };
    let seed = report.seed;
    let reproduce = Rc::new(move |id: &str| format!("cargo grade{solutions} --check {id} --seed {seed} -v"));
    let human = HumanOptions { verbose: args.verbose, lab_titles, reproduce, hooks: crate::grade::HOOKS };
    outputs.write(&report, &grading.gradescope, &ci, human, false)?;
    Ok(if report.succeeded() || args.exit_zero { ExitCode::SUCCESS } else { ExitCode::FAILURE })
}
