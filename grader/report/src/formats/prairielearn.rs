//! PrairieLearn's external grader results (`/grade/results/results.json`): `gradable`,
//! `score` from 0 to 1, `message`, `output`, and one test per check with `name`,
//! `description`, `points`, `max_points`, `message` and `output` (every test has both
//! point fields, so PrairieLearn shows them).
//!
//! A submission that does not build is `gradable: false` with its compiler errors in
//! `format_errors`: PrairieLearn then takes no attempt from the student.

use anyhow::Result;
use serde::Serialize;

use super::text;
use crate::report::{Report, Status};
use harness::outcome::FailureKind;

/// PrairieLearn refuses a results file over 1 MB.
const LIMIT: usize = 1_000_000;

#[derive(Serialize)]
struct Results {
    gradable: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    score: Option<f64>,
    message: String,
    output: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    format_errors: Vec<String>,
    tests: Vec<Test>,
}

#[derive(Serialize)]
struct Test {
    name: String,
    description: String,
    points: u32,
    max_points: u32,
    message: String,
    output: String,
}

pub fn render(report: &Report) -> Result<String> {
    let json = render_with(report, true)?;
    if json.len() <= LIMIT {
        return Ok(json);
    }
    // Transcripts are what grows; without them the file keeps every verdict and hint.
    render_with(report, false)
}

fn render_with(report: &Report, transcripts: bool) -> Result<String> {
    let mut format_errors: Vec<String> = Vec::new();
    for check in &report.checks {
        let Some(failure) = check.failure.as_ref().filter(|f| f.kind == FailureKind::BuildFailed) else {
            continue;
        };
        let mut error = failure.summary.clone();
        for detail in &failure.details {
            error.push('\n');
            error.push_str(detail);
        }
        if !format_errors.contains(&error) {
            format_errors.push(error);
        }
    }
    let gradable = format_errors.is_empty();
    let tests = report
        .checks
        .iter()
        .map(|check| Test {
            name: check.id.clone(),
            description: check.name.clone(),
            points: check.points,
            max_points: check.max_points,
            message: match check.status {
                Status::Pass => "passed".to_string(),
                _ => text::message(check),
            },
            output: if transcripts { text::output(check) } else { text::explanation(check) },
        })
        .collect();
    let score = match report.max_score {
        0 => 0.0,
        max => f64::from(report.score) / f64::from(max),
    };
    let message = if gradable {
        text::score_line(report)
    } else {
        "your submission does not build: fix the compiler errors below (this attempt does not count)".to_string()
    };
    let results = Results {
        gradable,
        score: gradable.then_some(score),
        message,
        output: report.notes.iter().map(|n| format!("note: {n}\n")).collect(),
        format_errors,
        tests,
    };
    Ok(serde_json::to_string_pretty(&results)? + "\n")
}
