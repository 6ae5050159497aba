//! TAP version 14: one test point per check, described by its id, with a YAML block of
//! diagnostics (`message`, `sent`, `expected`, `got`, `hint`) under a check that did
//! not pass, and `# SKIP reason` on a skipped one.

use super::text;
use crate::report::{Report, Status};

pub fn render(report: &Report) -> String {
    let mut out = format!("TAP version 14\n1..{}\n", report.checks.len());
    // The sandbox's line first and last, as comments: bad news is not missed.
    let sandbox = report.sandbox_line().map(|l| format!("# {}\n", l.replace(['\r', '\n'], " ")));
    out.push_str(sandbox.as_deref().unwrap_or(""));
    for (i, check) in report.checks.iter().enumerate() {
        let n = i + 1;
        let description = escape_description(&check.id);
        match check.status {
            Status::Pass => out.push_str(&format!("ok {n} - {description}\n")),
            Status::Skipped => {
                let reason = text::message(check).replace(['\r', '\n'], " ");
                out.push_str(&format!("ok {n} - {description} # SKIP {}\n", escape_description(&reason)));
            }
            Status::Fail | Status::Timeout | Status::Error => {
                out.push_str(&format!("not ok {n} - {description}\n  ---\n"));
                let mut field = |key: &str, value: &str| out.push_str(&format!("  {key}: {}\n", yaml_string(value)));
                field("message", &text::message(check));
                if let Some(f) = &check.failure {
                    for (key, value) in [("sent", &f.sent), ("expected", &f.expected), ("got", &f.got)] {
                        if let Some(value) = value {
                            field(key, value);
                        }
                    }
                    if let Some(hint) = &f.hint {
                        field("hint", hint);
                    }
                }
                field("points", &format!("{}/{}", check.points, check.max_points));
                out.push_str("  ...\n");
            }
        }
    }
    out.push_str(sandbox.as_deref().unwrap_or(""));
    out
}

/// `#` starts a directive and `\` escapes: both are escaped in a description.
fn escape_description(text: &str) -> String {
    text.replace('\\', "\\\\").replace('#', "\\#")
}

/// A YAML double-quoted scalar, so that any text, with quotes, colons, newlines or
/// control bytes, reads back exactly: what YAML cannot hold as it is gets escaped.
fn yaml_string(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            ' '..='~' | '\u{a0}'..='\u{d7ff}' | '\u{e000}'..='\u{fefe}' | '\u{ff00}'..='\u{fffd}' | '\u{10000}'.. => {
                out.push(c)
            }
            c if (c as u32) <= 0xffff => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push_str(&format!("\\U{:08x}", c as u32)),
        }
    }
    out.push('"');
    out
}
