//! JUnit XML, for GitLab, Jenkins and the GitHub test-report actions (written with
//! quick-junit, nextest's own serializer): one test suite per lab, one test case per
//! check (classname = lab, name = the check's id, unique across labs, since GitLab
//! keeps only the first of two cases with one name), a failure with its message and
//! transcript, a skipped check as skipped, a grader error as an error.

use std::time::Duration;

use anyhow::Result;
use quick_junit::{NonSuccessKind, Report as Junit, TestCase, TestCaseStatus, TestSuite};

use super::text;
use crate::report::{Report, Status};

pub fn render(report: &Report) -> Result<String> {
    let mut junit = Junit::new("socket-labs");
    junit.set_time(ms(report.duration_ms));
    let mut labs: Vec<&str> = Vec::new();
    for check in &report.checks {
        if !labs.contains(&check.lab.as_str()) {
            labs.push(&check.lab);
        }
    }
    for lab in labs {
        let mut suite = TestSuite::new(lab);
        if let Some(line) = report.sandbox_line() {
            suite.add_property(("sandbox", line));
        }
        if !report.notes.is_empty() {
            suite.set_system_out(report.notes.iter().map(|n| format!("note: {n}\n")).collect::<String>());
        }
        let checks = report.checks.iter().filter(|c| c.lab == lab);
        suite.set_time(ms(checks.clone().map(|c| c.duration_ms).sum()));
        for check in checks {
            let status = match check.status {
                Status::Pass => TestCaseStatus::success(),
                Status::Skipped => {
                    let mut status = TestCaseStatus::skipped();
                    status.set_message(text::message(check));
                    status
                }
                Status::Fail | Status::Timeout | Status::Error => {
                    let kind =
                        if check.status == Status::Error { NonSuccessKind::Error } else { NonSuccessKind::Failure };
                    let mut status = TestCaseStatus::non_success(kind);
                    status.set_message(text::message(check));
                    if let Some(failure) = &check.failure {
                        status.set_type(serde_json::to_value(failure.kind)?.as_str().unwrap_or("failure"));
                    }
                    let output = text::output(check);
                    if !output.is_empty() {
                        status.set_description(output);
                    }
                    status
                }
            };
            let mut case = TestCase::new(check.id.as_str(), status);
            case.set_classname(lab).set_time(ms(check.duration_ms));
            suite.add_test_case(case);
        }
        junit.add_test_suite(suite);
    }
    Ok(junit.to_string()?)
}

fn ms(ms: u64) -> Duration {
    Duration::from_millis(ms)
}
