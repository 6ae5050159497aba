//! The result model: what a grading run found, independent of how it is shown. Every
//! reporter (human text, JSON, and the platforms' formats) renders this.

use serde::{Deserialize, Serialize};

use harness::outcome::{Failure, FailureKind};
use harness::transcript::Event;

/// The report's schema version; bumped when a field changes meaning.
pub const REPORT_VERSION: u32 = 1;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Pass,
    Fail,
    /// Failed by waiting in vain for something (named in the message).
    Timeout,
    /// Not run: a prerequisite check failed, or this machine cannot run it.
    Skipped,
    /// The grader could not do its part: not the student's fault.
    Error,
}

impl Status {
    pub fn of(failure: &Failure) -> Status {
        match failure.kind {
            FailureKind::Timeout => Status::Timeout,
            FailureKind::GraderError => Status::Error,
            _ => Status::Fail,
        }
    }

    pub fn failed(self) -> bool {
        matches!(self, Status::Fail | Status::Timeout)
    }
}

/// One check's result.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct CheckReport {
    /// `lab/slug`, stable across versions.
    pub id: String,
    pub lab: String,
    /// The sentence a passing program makes true.
    pub name: String,
    pub status: Status,
    pub points: u32,
    pub max_points: u32,
    /// One line: why it did not pass (absent when it passed).
    pub message: Option<String>,
    pub failure: Option<Failure>,
    pub duration_ms: u64,
    pub transcript: Vec<Event>,
    /// The instructor withholds this check's details from students (grading.toml): it
    /// still counts, and shows its name, status and points only.
    #[serde(default)]
    pub hidden: bool,
}

/// A whole run.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Report {
    pub version: u32,
    /// What was graded: `labs` (the student's programs) or `solutions`, plus any
    /// `--cmd` overrides.
    pub source: String,
    pub commands: Vec<String>,
    pub seed: u64,
    pub score: u32,
    pub max_score: u32,
    pub passed: usize,
    pub failed: usize,
    pub skipped: usize,
    pub errors: usize,
    pub duration_ms: u64,
    /// The score that passes (grading.toml); none: every check must pass.
    #[serde(default)]
    pub min_score: Option<u32>,
    /// Facts about how the run was made, such as a portable fallback that was used.
    pub notes: Vec<String>,
    pub checks: Vec<CheckReport>,
}

impl Report {
    /// The sandbox's one line among the notes (`sandboxed: ...` or `not sandboxed:
    /// ...`), which every format shows.
    pub fn sandbox_line(&self) -> Option<&str> {
        self.notes.iter().map(String::as_str).find(|n| n.starts_with("sandboxed:") || n.starts_with("not sandboxed:"))
    }

    /// The sandbox's line when it is bad news: the programs were not sandboxed.
    pub fn unsandboxed_line(&self) -> Option<&str> {
        self.sandbox_line().filter(|n| n.starts_with("not "))
    }

    pub fn new(
        source: String,
        commands: Vec<String>,
        seed: u64,
        notes: Vec<String>,
        checks: Vec<CheckReport>,
        duration_ms: u64,
    ) -> Report {
        let count = |f: fn(Status) -> bool| checks.iter().filter(|c| f(c.status)).count();
        Report {
            version: REPORT_VERSION,
            source,
            commands,
            seed,
            score: checks.iter().map(|c| c.points).sum(),
            max_score: checks.iter().map(|c| c.max_points).sum(),
            passed: count(|s| s == Status::Pass),
            failed: count(Status::failed),
            skipped: count(|s| s == Status::Skipped),
            errors: count(|s| s == Status::Error),
            duration_ms,
            min_score: None,
            notes,
            checks,
        }
    }

    /// Counts the checks again after their points or statuses changed.
    pub fn recount(self) -> Report {
        let min_score = self.min_score;
        let report = Report::new(self.source, self.commands, self.seed, self.notes, self.checks, self.duration_ms);
        Report { version: self.version, min_score, ..report }
    }

    /// Whether the run earns a passing exit status: the score reaches the instructor's
    /// minimum when there is one, else every check passed.
    pub fn succeeded(&self) -> bool {
        match self.min_score {
            Some(min) => self.score >= min,
            None => self.all_passed(),
        }
    }

    /// 0 when every check passed, 1 otherwise: the summary alone decides.
    pub fn all_passed(&self) -> bool {
        self.passed == self.checks.len()
    }
}
