//! `grader gradebook merge`: the class's gradebook (report::gradebook) made from
//! per-student JSON results graded elsewhere, such as one CI job per submission
//! (docs/batch.md).

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{bail, Result};
use clap::{Args, Subcommand};
use labs::registry::labs;
use report::gradebook::{Catalog, Entry, Gradebook};

/// The course's labs and checks, in the order students meet them, for the gradebook.
pub fn catalog() -> Catalog {
    Catalog {
        labs: labs().iter().map(|lab| lab.name.to_string()).collect(),
        checks: labs()
            .iter()
            .flat_map(|lab| lab.checks.iter().map(move |check| (lab.check_id(check), check.name.to_string())))
            .collect(),
    }
}

#[derive(Args)]
pub struct GradebookArgs {
    #[command(subcommand)]
    command: GradebookCommand,
}

#[derive(Subcommand)]
enum GradebookCommand {
    /// Merge per-student JSON results into one gradebook: reports of `grader test
    /// --format json` (one per CI job, named after the student) or results of `grader
    /// batch`.
    Merge(MergeArgs),
}

#[derive(Args)]
struct MergeArgs {
    /// The files: `alice.json` or `alice/report.json` is the student alice.
    #[arg(required = true, value_name = "FILE")]
    files: Vec<PathBuf>,
    /// The folder to write gradebook.csv, gradebook.json and summary.txt into.
    #[arg(short, long, value_name = "DIR")]
    output: PathBuf,
}

pub fn run(args: GradebookArgs) -> Result<ExitCode> {
    let GradebookCommand::Merge(args) = args.command;
    let mut entries: Vec<Entry> = Vec::new();
    let mut sources: BTreeMap<String, PathBuf> = BTreeMap::new();
    for file in &args.files {
        let entry = Entry::load(file)?;
        if let Some(first) = sources.insert(entry.student.clone(), file.clone()) {
            bail!(
                "{} and {} are both the student {:?}: name each file after its student",
                first.display(),
                file.display(),
                entry.student
            );
        }
        entries.push(entry);
    }
    let gradebook = Gradebook::new(entries, &catalog());
    gradebook.write(&args.output)?;
    print!("{}", gradebook.summary_text());
    println!("\ngradebook: {}", args.output.join("gradebook.csv").display());
    Ok(ExitCode::SUCCESS)
}
