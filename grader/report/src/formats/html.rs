//! A report to look at: one self-contained HTML page (`--format html=report.html`).
//! The score, a table of every check, and for each one that did not pass what was
//! sent, expected and received side by side with the first difference marked, the
//! hint, the transcript, and the command that runs the check again.
//!
//! Self-contained: inline CSS, no script, no font, no image, no link out, and a
//! Content-Security-Policy that forbids fetching anything, so it opens the same from
//! a CI artifact, an e-mail or a laptop without network. Every text from the report
//! is escaped: what a program printed is hostile.

use std::fmt::Write as _;

use super::text;
use crate::report::{CheckReport, Report, Status};
use harness::transcript::EventKind;

const STYLE: &str = r#"
:root { color-scheme: light; --pass: #1a7f37; --fail: #cf222e; --skip: #6e7781; --err: #9a6700; }
* { box-sizing: border-box; }
body { font: 15px/1.5 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 0 auto; max-width: 1200px;
       padding: 1.5em; color: #1f2328; background: #fff; }
h1 { font-size: 1.6em; margin: 0 0 .2em; }
h2 { font-size: 1.15em; margin: 0; }
.score { font-size: 1.3em; margin: .2em 0 .8em; }
.score b { font-size: 1.4em; }
.meta, .note { color: #59636e; }
table.checks { border-collapse: collapse; width: 100%; margin: 1em 0 2em; display: block; overflow-x: auto; }
table.checks td, table.checks th { border-bottom: 1px solid #d1d9e0; padding: .3em .6em; text-align: left; vertical-align: top; }
table.checks td.points { text-align: right; white-space: nowrap; }
.status { font-weight: 600; white-space: nowrap; }
.pass .status, .status.pass { color: var(--pass); }
.fail .status, .timeout .status, .status.fail, .status.timeout { color: var(--fail); }
.skipped .status, .status.skipped { color: var(--skip); }
.error .status, .status.error { color: var(--err); }
section.check { border: 1px solid #d1d9e0; border-left: 6px solid var(--skip); border-radius: 6px;
                padding: .8em 1em; margin: 1em 0; }
section.check.fail, section.check.timeout { border-left-color: var(--fail); }
section.check.error { border-left-color: var(--err); }
.message { font-weight: 600; margin: .5em 0; }
.sxs { display: grid; grid-template-columns: repeat(3, minmax(0, 1fr)); gap: .6em; margin: .6em 0; }
.sxs > div { min-width: 0; }
.label { font-size: .8em; text-transform: uppercase; letter-spacing: .05em; color: #59636e; }
pre { background: #f6f8fa; border: 1px solid #d1d9e0; border-radius: 4px; padding: .5em .7em; margin: .2em 0;
      font: 13px/1.45 ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace;
      white-space: pre-wrap; overflow-wrap: anywhere; overflow-x: auto; }
mark.diff { background: #ffd8b5; outline: 1px solid #bc4c00; color: inherit; }
.firstdiff { font-size: .85em; color: #bc4c00; }
.hint { background: #ddf4ff; border-left: 4px solid #0969da; padding: .4em .8em; margin: .6em 0; }
.rerun code { background: #f6f8fa; padding: .1em .3em; border-radius: 3px; overflow-wrap: anywhere; }
.transcript .sent { color: #0550ae; }
.transcript .received { color: #1a7f37; }
.transcript .command { font-weight: 600; }
.transcript .note { color: #6e7781; }
.transcript .time { color: #8c959f; }
@media (max-width: 800px) { .sxs { grid-template-columns: 1fr; } }
"#;

/// The page. `reproduce` gives the command that runs one check again.
pub fn render(report: &Report, reproduce: &dyn Fn(&str) -> String) -> String {
    let mut out = String::new();
    let title = format!("socket-labs: {}/{}", report.score, report.max_score);
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n",
        escape(&title)
    );
    let verdict = if report.succeeded() { "pass" } else { "fail" };
    let _ = writeln!(out, "<h1>socket-labs report</h1>");
    let _ = writeln!(
        out,
        "<p class=\"score\"><span class=\"status {verdict}\">{}</span> score <b>{}/{}</b></p>",
        if report.succeeded() { "✓ passed" } else { "✗ not passed" },
        report.score,
        report.max_score
    );
    let _ = writeln!(
        out,
        "<p class=\"meta\">{}<br>seed {}, {} ms</p>",
        escape(&text::score_line(report)),
        report.seed,
        report.duration_ms
    );
    for note in &report.notes {
        let _ = writeln!(out, "<p class=\"note\">note: {}</p>", escape(note));
    }

    let _ = writeln!(out, "<table class=\"checks\">\n<thead><tr><th>status</th><th>check</th><th>what it checks</th><th>points</th></tr></thead>\n<tbody>");
    for check in &report.checks {
        let (class, label) = status(check.status);
        // A check that did not pass links to its section below; one that passed has none.
        let id = match check.status {
            Status::Pass => escape(&check.id),
            _ => format!("<a href=\"#{}\">{}</a>", anchor(&check.id), escape(&check.id)),
        };
        let _ = writeln!(
            out,
            "<tr class=\"{class}\"><td class=\"status\">{label}</td><td>{id}</td><td>{}</td><td class=\"points\">{}/{}</td></tr>",
            escape(&check.name),
            check.points,
            check.max_points
        );
    }
    let _ = writeln!(out, "</tbody>\n</table>");

    for check in report.checks.iter().filter(|c| c.status != Status::Pass) {
        section(&mut out, check, reproduce);
    }
    let _ = writeln!(out, "</body>\n</html>");
    out
}

fn section(out: &mut String, check: &CheckReport, reproduce: &dyn Fn(&str) -> String) {
    let (class, label) = status(check.status);
    let _ = writeln!(out, "<section class=\"check {class}\" id=\"{}\">", anchor(&check.id));
    let _ = writeln!(
        out,
        "<h2><span class=\"status\">{label}</span> {} <span class=\"meta\">{}/{} points</span></h2>\n<p>{}</p>",
        escape(&check.id),
        check.points,
        check.max_points,
        escape(&check.name)
    );
    let message = text::message(check);
    if !message.is_empty() {
        let _ = writeln!(out, "<p class=\"message\">{}</p>", escape(&message));
    }
    if let Some(f) = &check.failure {
        if f.sent.is_some() || f.expected.is_some() || f.got.is_some() {
            let at = match (&f.expected, &f.got) {
                (Some(expected), Some(got)) => first_difference(expected, got),
                _ => None,
            };
            let _ = writeln!(out, "<div class=\"sxs\">");
            for (name, value, mark) in [("sent", &f.sent, None), ("expected", &f.expected, at), ("got", &f.got, at)] {
                let shown = match value {
                    Some(value) => marked(value, mark),
                    None => "<span class=\"meta\">(nothing)</span>".to_string(),
                };
                let _ =
                    writeln!(out, "<div><div class=\"label\">{name}</div><pre class=\"{name}\">{shown}</pre></div>");
            }
            let _ = writeln!(out, "</div>");
            if let Some(at) = at {
                let _ = writeln!(
                    out,
                    "<p class=\"firstdiff\">first difference at character {} of what was expected</p>",
                    at + 1
                );
            }
        }
        for detail in &f.details {
            let _ = writeln!(out, "<pre class=\"detail\">{}</pre>", escape(detail));
        }
        if let Some(hint) = &f.hint {
            let _ = writeln!(out, "<p class=\"hint\"><b>hint:</b> {}</p>", escape(hint));
        }
    }
    if !check.hidden {
        let _ =
            writeln!(out, "<p class=\"rerun\">run only this check: <code>{}</code></p>", escape(&reproduce(&check.id)));
    }
    if !check.transcript.is_empty() {
        let _ = writeln!(out, "<details class=\"transcript\" open>\n<summary>transcript</summary>\n<pre>");
        for event in check.transcript.iter().take(text::SHOWN_EVENTS) {
            let kind = match event.kind {
                EventKind::Command => "command",
                EventKind::Sent => "sent",
                EventKind::Received => "received",
                EventKind::Output => "output",
                EventKind::Note => "note",
            };
            let _ = writeln!(
                out,
                "<span class=\"time\">{:>6}ms</span> <span class=\"{kind}\">{}</span>",
                event.at_ms,
                escape(&event.render())
            );
        }
        if check.transcript.len() > text::SHOWN_EVENTS {
            let _ = writeln!(
                out,
                "<span class=\"note\">... {} more events: run this check with -v to see them all</span>",
                check.transcript.len() - text::SHOWN_EVENTS
            );
        }
        let _ = writeln!(out, "</pre>\n</details>");
    }
    let _ = writeln!(out, "</section>");
}

fn status(status: Status) -> (&'static str, &'static str) {
    match status {
        Status::Pass => ("pass", "✓ passed"),
        Status::Fail => ("fail", "✗ failed"),
        Status::Timeout => ("timeout", "⏱ timed out"),
        Status::Skipped => ("skipped", "– skipped"),
        Status::Error => ("error", "! grader error"),
    }
}

/// The character index (not byte) where `expected` and `got` first differ; none when
/// they are equal.
pub fn first_difference(expected: &str, got: &str) -> Option<usize> {
    let mut a = expected.chars();
    let mut b = got.chars();
    let mut i = 0;
    loop {
        match (a.next(), b.next()) {
            (None, None) => return None,
            (x, y) if x != y => return Some(i),
            _ => i += 1,
        }
    }
}

/// `text` escaped, with the character at `at` (or the end, when the text stops there)
/// in a `<mark>`.
fn marked(text: &str, at: Option<usize>) -> String {
    let Some(at) = at else {
        return escape(text);
    };
    let split = text.char_indices().nth(at).map_or(text.len(), |(i, _)| i);
    let (before, rest) = text.split_at(split);
    let mut chars = rest.chars();
    let marked = match chars.next() {
        Some(c) => escape(&c.to_string()),
        None => "⏎ (ends here)".to_string(),
    };
    format!("{}<mark class=\"diff\">{marked}</mark>{}", escape(before), escape(chars.as_str()))
}

/// An `id` attribute from a check id: letters, digits and `-` only.
fn anchor(id: &str) -> String {
    let cleaned: String = id.chars().map(|c| if c.is_ascii_alphanumeric() || c == '-' { c } else { '-' }).collect();
    format!("check-{cleaned}")
}

/// Text as HTML: the five special characters as entities, and control characters
/// (which HTML does not allow, and a terminal would obey) as `\u{..}`.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            '\n' | '\t' => out.push(c),
            c if c.is_control() => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::CheckReport;
    use harness::outcome::Failure;
    use harness::transcript::Event;

    const HOSTILE: &str = "</pre><script>alert('x')</script><img src=x onerror=alert(1)>&amp;\u{1b}[31m\u{0}";

    fn report() -> Report {
        let failed = CheckReport {
            id: "hello/sum-integers".into(),
            lab: "hello".into(),
            name: "sum-server replies <the sum>".into(),
            status: Status::Fail,
            points: 0,
            max_points: 2,
            message: Some(format!("wrong reply {HOSTILE}")),
            failure: Some(
                Failure::mismatch(format!("wrong reply {HOSTILE}"))
                    .sent("\"1 2\\n\"")
                    .expected("\"3\\n\"")
                    .got(format!("\"3.0\\n\" {HOSTILE}"))
                    .detail(HOSTILE)
                    .with_hint(format!("parse integers {HOSTILE}")),
            ),
            duration_ms: 12,
            transcript: vec![Event { at_ms: 3, kind: EventKind::Received, text: HOSTILE.into() }],
            hidden: false,
        };
        let passed = CheckReport {
            id: "hello/server-replies".into(),
            name: "hello-server replies".into(),
            status: Status::Pass,
            points: 2,
            message: None,
            failure: None,
            transcript: Vec::new(),
            ..failed.clone()
        };
        Report::new("labs".into(), Vec::new(), 7, vec![format!("note {HOSTILE}")], vec![passed, failed], 40)
    }

    #[test]
    fn the_page_has_the_score_every_check_and_the_failure_side_by_side() {
        let page = render(&report(), &|id| format!("cargo grade --check {id} --seed 7 -v"));
        assert!(page.starts_with("<!DOCTYPE html>"));
        assert!(page.contains("score <b>2/4</b>"), "{page}");
        assert!(page.contains("href=\"#check-hello-sum-integers\""), "a failed check links to its section");
        assert!(!page.contains("href=\"#check-hello-server-replies\""), "a passed check has no section to link to");
        assert!(page.contains("<section class=\"check fail\" id=\"check-hello-sum-integers\">"));
        assert!(!page.contains("id=\"check-hello-server-replies\""), "a passed check has no section");
        for label in ["sent", "expected", "got"] {
            assert!(page.contains(&format!("<div class=\"label\">{label}</div>")), "{label}");
        }
        // "3\n" against "3.0\n": the second character differs.
        assert!(page.contains("<pre class=\"expected\">&quot;3<mark class=\"diff\">\\</mark>n&quot;</pre>"), "{page}");
        assert!(page.contains("<pre class=\"got\">&quot;3<mark class=\"diff\">.</mark>0"), "{page}");
        assert!(page.contains("first difference at character 3"));
        assert!(page.contains("<code>cargo grade --check hello/sum-integers --seed 7 -v</code>"));
        assert!(page.contains("<p class=\"hint\"><b>hint:</b> parse integers"));
    }

    #[test]
    fn everything_from_the_report_is_escaped_and_nothing_is_fetched() {
        let page = render(&report(), &|id| format!("cargo grade --check {id} <x>"));
        assert_eq!(page.matches("<script").count(), 0, "{page}");
        assert_eq!(page.matches("<img").count(), 0);
        assert!(page.contains("&lt;/pre&gt;&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;&amp;amp;\\u{1b}[31m\\u{0}"));
        assert!(!page.contains('\u{1b}') && !page.contains('\u{0}'), "no control characters");
        assert!(page.contains("cargo grade --check hello/sum-integers &lt;x&gt;"));
        for external in ["http://", "https://", "<link", "src=\"", "url(", "@import"] {
            assert!(!page.contains(external), "{external}: the page fetches nothing");
        }
        assert!(page.contains("default-src 'none'"));
    }

    #[test]
    fn the_first_difference_is_found_by_character() {
        assert_eq!(first_difference("abc", "abc"), None);
        assert_eq!(first_difference("abc", "abd"), Some(2));
        assert_eq!(first_difference("ab", "abc"), Some(2));
        assert_eq!(first_difference("héllo", "hello"), Some(1));
        assert_eq!(marked("ab", Some(2)), "ab<mark class=\"diff\">⏎ (ends here)</mark>");
    }
}
