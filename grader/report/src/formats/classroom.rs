//! GitHub Classroom: the result of an autograding step, as the classroom's grading
//! reporter (`classroom-resources/autograding-grading-reporter`) reads it: the base64
//! of a version-1 JSON object, set as the step's output `result`. The reporter adds up
//! the tests' `score` against `max_score` and posts "Points X/Y" to the classroom.

use anyhow::Result;
use base64::Engine;
use serde::Serialize;

use super::text;
use crate::report::{Report, Status};

#[derive(Serialize)]
struct Results {
    version: u32,
    status: &'static str,
    max_score: u32,
    tests: Vec<Test>,
}

#[derive(Serialize)]
struct Test {
    name: String,
    status: &'static str,
    score: u32,
    message: Option<String>,
    test_code: String,
    filename: String,
    line_no: u32,
    duration: u64,
}

/// The version-1 JSON object.
pub fn json(report: &Report) -> Result<String> {
    let tests = report
        .checks
        .iter()
        .map(|check| Test {
            name: text::title(check),
            status: match check.status {
                Status::Pass => "pass",
                Status::Error => "error",
                Status::Fail | Status::Timeout | Status::Skipped => "fail",
            },
            score: check.points,
            // A run whose programs were not sandboxed says so under every check.
            message: match (check.status != Status::Pass, report.unsandboxed_line()) {
                (true, Some(line)) => Some(format!("{}\n{line}", text::explanation(check))),
                (true, None) => Some(text::explanation(check)),
                (false, line) => line.map(str::to_string),
            },
            test_code: if check.hidden { String::new() } else { format!("cargo grade --check {}", check.id) },
            filename: String::new(),
            line_no: 0,
            duration: check.duration_ms,
        })
        .collect();
    let status = if report.succeeded() {
        "pass"
    } else if report.failed == 0 && report.errors > 0 {
        "error"
    } else {
        "fail"
    };
    let results = Results { version: 1, status, max_score: report.max_score, tests };
    Ok(serde_json::to_string(&results)?)
}

/// The step output's value: the base64 of [`json`], on one line.
pub fn encoded(report: &Report) -> Result<String> {
    Ok(base64::engine::general_purpose::STANDARD.encode(json(report)?))
}
