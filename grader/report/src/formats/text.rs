//! Plain text pieces every platform format shows: a check's title, why it did not pass
//! (what was sent, expected, received, and the hint), and its transcript.

use crate::report::{CheckReport, Status};

/// The most transcript events a platform report shows per check; the rest is counted
/// (`-v` on the student's machine shows them all). Platforms cap their files (1 MB on
/// PrairieLearn), and a program that prints without end must not break the report.
pub const SHOWN_EVENTS: usize = 200;

/// `lab/slug: sentence`, the title a student reads.
pub fn title(check: &CheckReport) -> String {
    format!("{}: {}", check.id, check.name)
}

/// The one line that says why a check did not pass (empty when it passed).
pub fn message(check: &CheckReport) -> String {
    let summary = check.message.clone().unwrap_or_default();
    match check.status {
        Status::Pass => String::new(),
        Status::Timeout if !check.hidden => format!("timeout: {summary}"),
        Status::Error if !check.hidden => format!("grader error (not your fault): {summary}"),
        _ => summary,
    }
}

/// Why a check did not pass, in full: the message, then sent, expected, got, the
/// further facts and the hint, one labelled block each.
pub fn explanation(check: &CheckReport) -> String {
    let mut out = message(check);
    let Some(f) = &check.failure else {
        return out;
    };
    let fields = [("sent", &f.sent), ("expected", &f.expected), ("got", &f.got)];
    for (label, value) in fields.iter().filter_map(|(l, v)| v.as_ref().map(|v| (l, v))) {
        block(&mut out, &format!("{label}:"), value);
    }
    for detail in &f.details {
        block(&mut out, "", detail);
    }
    if let Some(hint) = &f.hint {
        block(&mut out, "hint:", hint);
    }
    out
}

fn block(out: &mut String, label: &str, value: &str) {
    let mut lines = value.lines();
    let first = lines.next().unwrap_or("");
    out.push('\n');
    if label.is_empty() {
        out.push_str(first);
    } else {
        out.push_str(&format!("{label:<9} {first}"));
    }
    for line in lines {
        out.push_str(&format!("\n          {line}"));
    }
}

/// The transcript, one event a line with its time, cut after [`SHOWN_EVENTS`].
pub fn transcript(check: &CheckReport) -> String {
    let mut out = String::new();
    for event in check.transcript.iter().take(SHOWN_EVENTS) {
        for (i, part) in event.render().lines().enumerate() {
            let lead = if i == 0 { format!("{:>6}ms ", event.at_ms) } else { " ".repeat(9) };
            out.push_str(&format!("{lead}{part}\n"));
        }
    }
    if check.transcript.len() > SHOWN_EVENTS {
        out.push_str(&format!(
            "... {} more events: run this check with -v to see them all\n",
            check.transcript.len() - SHOWN_EVENTS
        ));
    }
    out
}

/// The explanation followed by the transcript: everything a platform shows for a check
/// that did not pass (empty for one that passed).
pub fn output(check: &CheckReport) -> String {
    if check.status == Status::Pass {
        return String::new();
    }
    let mut out = explanation(check);
    let transcript = transcript(check);
    if !transcript.is_empty() {
        out.push_str("\n\ntranscript:\n");
        out.push_str(&transcript);
    }
    out
}

/// The score line of a whole run, with the passing score when there is one.
pub fn score_line(report: &crate::report::Report) -> String {
    let mut line = format!("score: {}/{}", report.score, report.max_score);
    if let Some(min) = report.min_score {
        let verdict = if report.score >= min { "reached" } else { "not reached" };
        line.push_str(&format!(" (passing score {min}: {verdict})"));
    }
    line.push_str(&format!(
        ", {} passed, {} failed, {} skipped, {} grader errors",
        report.passed, report.failed, report.skipped, report.errors
    ));
    line
}
