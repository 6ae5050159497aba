//! GitHub Actions: a workflow annotation per check that did not pass
//! (`::error title=TITLE::MESSAGE`, newlines as `%0A`), and a Markdown job summary (a
//! table of the checks with their points) for `$GITHUB_STEP_SUMMARY`.

use super::text;
use crate::report::{Report, Status};

/// The annotations, one line each.
pub fn annotations(report: &Report) -> String {
    let mut out = String::new();
    for check in &report.checks {
        let level = match check.status {
            Status::Pass => continue,
            // Skipped after a prerequisite that did not pass (a server's gate): that
            // one's annotation says why, once, not once per check that needed it.
            Status::Skipped if check.failure.is_none() => continue,
            Status::Fail | Status::Timeout => "error",
            // Neither is the student's doing: the machine could not run the check, or
            // the grader failed.
            Status::Skipped | Status::Error => "warning",
        };
        let title = match check.max_points {
            0 => format!("{} (no points of its own)", check.id),
            max => format!("{} ({}/{max} points)", check.id, check.points),
        };
        let mut message = text::title(check);
        message.push('\n');
        message.push_str(&text::explanation(check));
        out.push_str(&format!("::{level} title={}::{}\n", escape_property(&title), escape_data(&message)));
    }
    out
}

/// The job summary: the score, then a table of every check.
pub fn summary(report: &Report) -> String {
    let verdict = if report.succeeded() { "✅" } else { "❌" };
    let mut out = format!("## {verdict} socket-labs {}\n\n", text::score_line(report));
    out.push_str("| | check | points | result |\n| --- | --- | ---: | --- |\n");
    for check in &report.checks {
        let face = match check.status {
            Status::Pass => "✅",
            Status::Fail | Status::Timeout => "❌",
            Status::Skipped => "⏭️",
            Status::Error => "⚠️",
        };
        let result = match check.status {
            Status::Pass => "passed".to_string(),
            _ => text::message(check),
        };
        let points = match check.max_points {
            0 => "-".to_string(),
            max => format!("{}/{max}", check.points),
        };
        out.push_str(&format!("| {face} | `{}` {} | {points} | {} |\n", check.id, cell(&check.name), cell(&result)));
    }
    for note in &report.notes {
        out.push_str(&format!("\nnote: {}\n", cell(note)));
    }
    out.push('\n');
    out
}

/// A table cell: one line, a `|` that does not end the cell, and `<`, `>`, `&` shown
/// as themselves (GitHub's Markdown would take `<reply>` for an HTML tag and drop it).
fn cell(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('\\', "\\\\")
        .replace('|', "\\|")
        .replace(['\r', '\n'], " ")
}

/// The escaping of a workflow command's message, as the Actions runner undoes it.
fn escape_data(text: &str) -> String {
    text.replace('%', "%25").replace('\r', "%0D").replace('\n', "%0A")
}

/// The escaping of a workflow command's property (such as `title`).
fn escape_property(text: &str) -> String {
    escape_data(text).replace(':', "%3A").replace(',', "%2C")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping_follows_the_runner() {
        assert_eq!(escape_data("50% done\nnext\r"), "50%25 done%0Anext%0D");
        assert_eq!(escape_property("a: b, c"), "a%3A b%2C c");
        assert_eq!(cell("a | b\nc"), "a \\| b c");
    }
}
