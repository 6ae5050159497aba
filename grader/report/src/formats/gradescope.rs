//! Gradescope's autograder results (`/autograder/results/results.json`), with the
//! field names of its published specification: a top-level `score` (which overrides
//! the sum of the tests'), `execution_time` in seconds, `output`, the visibilities,
//! and one test per check with `name`, `number`, `score`, `max_score`, `status`,
//! `output`, `tags` and `visibility`.

use anyhow::Result;
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::text;
use crate::report::{Report, Status};

/// Gradescope's own visibility settings (its results.json `visibility` fields).
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Gradescope {
    /// Of the whole result.
    #[serde(default = "visible")]
    pub visibility: Visibility,
    /// Of the autograder's own output (the human report, with every detail).
    #[serde(default = "hidden")]
    pub stdout_visibility: Visibility,
    /// Of each hidden check: `visible` shows its name, status and points only.
    #[serde(default = "visible")]
    pub hidden_checks: Visibility,
}

impl Default for Gradescope {
    fn default() -> Self {
        Gradescope { visibility: Visibility::Visible, stdout_visibility: Visibility::Hidden, hidden_checks: visible() }
    }
}

fn visible() -> Visibility {
    Visibility::Visible
}

fn hidden() -> Visibility {
    Visibility::Hidden
}

/// Gradescope's visibility levels, spelled as it spells them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Visibility {
    Hidden,
    AfterDueDate,
    AfterPublished,
    Visible,
}

#[derive(Serialize)]
struct Results {
    score: u32,
    execution_time: u64,
    output: String,
    output_format: &'static str,
    visibility: Visibility,
    stdout_visibility: Visibility,
    extra_data: serde_json::Value,
    tests: Vec<Test>,
}

#[derive(Serialize)]
struct Test {
    name: String,
    number: String,
    score: u32,
    max_score: u32,
    status: &'static str,
    output: String,
    output_format: &'static str,
    tags: Vec<String>,
    visibility: Visibility,
}

pub fn render(report: &Report, options: &Gradescope) -> Result<String> {
    let mut labs: Vec<&str> = Vec::new();
    let mut numbers: Vec<usize> = Vec::new();
    let tests = report
        .checks
        .iter()
        .map(|check| {
            // "1.2": the second check of the first lab, as Gradescope numbers questions.
            let lab = match labs.iter().position(|l| *l == check.lab) {
                Some(i) => i,
                None => {
                    labs.push(&check.lab);
                    numbers.push(0);
                    labs.len() - 1
                }
            };
            numbers[lab] += 1;
            Test {
                name: text::title(check),
                number: format!("{}.{}", lab + 1, numbers[lab]),
                score: check.points,
                max_score: check.max_points,
                status: if check.status == Status::Pass { "passed" } else { "failed" },
                output: text::output(check),
                output_format: "text",
                tags: vec![check.lab.clone()],
                visibility: if check.hidden { options.hidden_checks } else { Visibility::Visible },
            }
        })
        .collect();
    let mut output = text::score_line(report);
    for note in &report.notes {
        output.push_str(&format!("\nnote: {note}"));
    }
    let results = Results {
        score: report.score,
        execution_time: report.duration_ms.div_ceil(1000),
        output,
        output_format: "text",
        visibility: options.visibility,
        stdout_visibility: options.stdout_visibility,
        extra_data: json!({ "max_score": report.max_score, "min_score": report.min_score, "seed": report.seed }),
        tests,
    };
    Ok(serde_json::to_string_pretty(&results)? + "\n")
}
