//! A size budget per check for every format the platforms read: a noisy submission (a
//! program that prints without end, a reply of a megabyte) must not make a results
//! file that a platform refuses or a browser chokes on (one lab once made a Gradescope
//! `results.json` of 1.16 MB; PrairieLearn refuses files over 1 MB).
//!
//! [`cap`] trims a report before it is rendered: each text field of a failure is cut
//! to [`FIELD_BYTES`], and each transcript keeps its first and last events within
//! [`TRANSCRIPT_BYTES`]; whatever is cut leaves a visible `... N bytes cut` in its
//! place. The JSON report is not trimmed: it is the record the others are rendered
//! from (`grader report`), and its transcripts are bounded where they are recorded.

use crate::report::{CheckReport, Report};
use harness::transcript::{Event, EventKind};

/// The most bytes of one message, sent/expected/got, hint or detail.
pub const FIELD_BYTES: usize = 2_048;
/// The most bytes of one check's transcript, shared between its start and its end.
pub const TRANSCRIPT_BYTES: usize = 8_192;
/// The most bytes of all the details of one failure together.
pub const DETAILS_BYTES: usize = 4_096;

/// The report with every check within its budget.
pub fn cap(report: &Report) -> Report {
    let mut report = report.clone();
    for check in &mut report.checks {
        cap_check(check);
    }
    report
}

fn cap_check(check: &mut CheckReport) {
    if let Some(message) = &mut check.message {
        cut_in_place(message, FIELD_BYTES);
    }
    if let Some(failure) = &mut check.failure {
        cut_in_place(&mut failure.summary, FIELD_BYTES);
        for text in
            [&mut failure.sent, &mut failure.expected, &mut failure.got, &mut failure.hint].into_iter().flatten()
        {
            cut_in_place(text, FIELD_BYTES);
        }
        let mut left = DETAILS_BYTES;
        let mut kept = Vec::new();
        let mut cut = 0;
        for mut detail in std::mem::take(&mut failure.details) {
            if left == 0 {
                cut += detail.len();
                continue;
            }
            cut_in_place(&mut detail, FIELD_BYTES.min(left));
            left = left.saturating_sub(detail.len());
            kept.push(detail);
        }
        if cut > 0 {
            kept.push(marker(cut));
        }
        failure.details = kept;
    }
    check.transcript = cap_transcript(std::mem::take(&mut check.transcript));
}

/// The first events and the last ones, half the budget each, and a note in between
/// that says how much was cut; an event longer than its half is cut itself.
fn cap_transcript(mut events: Vec<Event>) -> Vec<Event> {
    let size = |e: &Event| e.text.len() + 16;
    if events.iter().map(size).sum::<usize>() <= TRANSCRIPT_BYTES {
        return events;
    }
    let half = TRANSCRIPT_BYTES / 2;
    let mut head = 0;
    let mut used = 0;
    while head < events.len() && used + size(&events[head]) <= half {
        used += size(&events[head]);
        head += 1;
    }
    let mut tail = events.len();
    let mut used = 0;
    while tail > head && used + size(&events[tail - 1]) <= half {
        used += size(&events[tail - 1]);
        tail -= 1;
    }
    let mut middle: Vec<Event> = events.drain(head..tail).collect();
    let mut at = head;
    if events.is_empty() {
        // One event bigger than the whole budget: keep its start.
        if let Some(mut first) = (!middle.is_empty()).then(|| middle.remove(0)) {
            cut_in_place(&mut first.text, half);
            events.push(first);
            at = 1;
        }
    }
    if middle.is_empty() {
        return events;
    }
    let bytes: usize = middle.iter().map(|e| e.text.len()).sum();
    let note = Event {
        at_ms: middle[0].at_ms,
        kind: EventKind::Note,
        text: format!("{} (of {} events): run this check with -v to see them all", marker(bytes), middle.len()),
    };
    events.insert(at, note);
    events
}

/// `... N bytes cut`: what a reader sees where text was taken out.
pub fn marker(bytes: usize) -> String {
    format!("... {bytes} bytes cut")
}

/// Cuts `text` to at most about `max` bytes (at a character boundary), followed by the
/// marker of what was cut.
pub fn cut_in_place(text: &mut String, max: usize) {
    if text.len() <= max {
        return;
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    let cut = text.len() - end;
    text.truncate(end);
    text.push('\n');
    text.push_str(&marker(cut));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(at_ms: u64, text: String) -> Event {
        Event { at_ms, kind: EventKind::Output, text }
    }

    #[test]
    fn text_is_cut_at_a_character_boundary_with_a_marker() {
        let mut text = "é".repeat(3_000);
        cut_in_place(&mut text, 101);
        assert!(text.starts_with(&"é".repeat(50)));
        assert!(text.ends_with("... 5900 bytes cut"), "{}", &text[90..]);
        let mut short = "short".to_string();
        cut_in_place(&mut short, 10);
        assert_eq!(short, "short");
    }

    #[test]
    fn a_transcript_keeps_its_start_and_its_end() {
        let events: Vec<Event> = (0..10_000).map(|n| event(n, format!("line {n}"))).collect();
        let capped = cap_transcript(events);
        let bytes: usize = capped.iter().map(|e| e.text.len()).sum();
        assert!(bytes <= TRANSCRIPT_BYTES, "{bytes}");
        assert_eq!(capped.first().unwrap().text, "line 0");
        assert_eq!(capped.last().unwrap().text, "line 9999");
        let note = capped.iter().find(|e| e.kind == EventKind::Note).unwrap();
        assert!(note.text.contains("bytes cut (of"), "{}", note.text);
        let one = cap_transcript(vec![event(0, "x".repeat(100_000))]);
        assert_eq!(one.len(), 1);
        assert!(one[0].text.ends_with("bytes cut") && one[0].text.len() < TRANSCRIPT_BYTES);
    }
}
