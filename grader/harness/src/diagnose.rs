//! Turning what a program left behind (exit status, stderr) into words for a student.

use std::process::ExitStatus;
use std::time::Duration;

use crate::outcome::{Failure, FailureKind};
use crate::process::{describe_exit, Watch};
use crate::transcript::{Event, EventKind};

/// The most stderr lines quoted in a failure; the transcript (`-v`) has them all.
const STDERR_LINES: usize = 8;

/// A failure for a program that exited when it should not have, with the reason read
/// from its stderr: an unfinished skeleton, a panic, an exception, or its last words.
pub fn exited(role: &str, when: &str, status: ExitStatus, stderr: &str) -> Failure {
    let summary = format!("{role} {} {when}", describe_exit(status));
    let failure = Failure::new(FailureKind::Exited, summary);
    explain_stderr(failure, role, stderr)
}

/// `failure`, with whether the program at the other end of a connection (`peer`,
/// watched by `watch`) is still running, and why not: its exit status and what its
/// stderr says. A timeout asks at once; any other failure gives a program that is
/// exiting 200 ms to be seen doing so.
pub fn with_peer_state(failure: Failure, watch: Option<&Watch>, peer: &str) -> Failure {
    let Some(watch) = watch else {
        return failure;
    };
    let patience = if failure.kind == FailureKind::Timeout { Duration::ZERO } else { Duration::from_millis(200) };
    match watch.exit_status_within(patience) {
        Some(status) => {
            let failure = failure.detail(format!("{peer} {}", describe_exit(status)));
            explain_stderr(failure, peer, &watch.final_stderr())
        }
        None => failure,
    }
}

/// Adds what stderr tells about a program's end: the hint for an unfinished skeleton
/// (a `todo!` placeholder), the panic or exception message, and the last lines it printed.
pub fn explain_stderr(mut failure: Failure, role: &str, stderr: &str) -> Failure {
    if let Some(unfinished) = unfinished(stderr) {
        // The student's next step, and nothing else: the panic text is noise here.
        return failure.with_hint(unfinished.hint(role));
    } else if let Some(panic) = panic_message(stderr) {
        failure.details.push(format!("it panicked: {panic}"));
    } else if stderr.contains("Traceback (most recent call last)") {
        if let Some(last) = stderr.lines().rev().find(|l| !l.trim().is_empty()) {
            failure.details.push(format!("it raised an exception: {}", last.trim()));
        }
    }
    let lines: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
    if !lines.is_empty() {
        let tail = &lines[lines.len().saturating_sub(STDERR_LINES)..];
        failure.details.push(format!("its stderr ended with:\n{}", tail.join("\n")));
    }
    failure
}

/// Adds the stderr of the check's programs to a failure that does not quote it yet,
/// read from the transcript (`[role stderr] line`): a program whose handler thread died
/// with a traceback while the process stays alive tells the cause there, and nowhere
/// else. A crash report found there (a panic, a traceback) is named, and hinted at when
/// the check had no hint of its own.
pub fn with_stderr_of_programs(mut failure: Failure, transcript: &[Event]) -> Failure {
    if matches!(failure.kind, FailureKind::GraderError | FailureKind::Skipped)
        || failure.details.iter().any(|d| d.contains("stderr ended with"))
    {
        return failure;
    }
    let mut programs: Vec<(&str, Vec<&str>)> = Vec::new();
    for event in transcript.iter().filter(|e| e.kind == EventKind::Output) {
        let Some((role, line)) = event.text.strip_prefix('[').and_then(|t| t.split_once(" stderr] ")) else {
            continue;
        };
        match programs.iter_mut().find(|(r, _)| *r == role) {
            Some((_, lines)) => lines.push(line),
            None => programs.push((role, vec![line])),
        }
    }
    for (role, lines) in programs {
        let lines: Vec<&str> = lines.into_iter().filter(|l| !l.trim().is_empty()).collect();
        if lines.is_empty() {
            continue;
        }
        let stderr = lines.join("\n");
        if let Some(crash) = crash_report(&stderr) {
            // What it says went wrong: a panic's message (its last line is a note about
            // RUST_BACKTRACE), else the last line (a traceback's exception).
            let last = lines.last().map(|l| l.trim().to_string()).unwrap_or_default();
            let what = panic_message(&stderr).unwrap_or(last);
            failure.details.push(format!("{role} printed {crash} on stderr: {what}"));
            if failure.hint.is_none() || failure.hint_is_fallback {
                failure = failure.with_hint(format!(
                    "{role} printed {crash} on stderr (below): a thread of it, or the code serving one client, died \
                     there. Fix that error, and catch errors per client so that one never stops the service"
                ));
            }
        }
        let tail = &lines[lines.len().saturating_sub(STDERR_LINES)..];
        failure.details.push(format!("{role}'s stderr ended with:\n{}", tail.join("\n")));
    }
    failure
}

/// A skeleton that still stops at its placeholder: Rust's `todo!` macro (a panic "not yet
/// implemented") or the Python skeletons' `raise NotImplementedError(...)`.
#[derive(Debug, PartialEq, Eq)]
pub enum Unfinished {
    /// At "labs/demo/src/bin/demo-server.rs:42", or `None` where the panic says not.
    Todo(Option<String>),
    /// At "labs/demo/python/DemoServer.py:36", or `None` where the traceback says not.
    NotImplemented(Option<String>),
}

impl Unfinished {
    /// The student's next step, worded for the language the placeholder is in.
    pub fn hint(&self, role: &str) -> String {
        let (place, stops) = match self {
            Unfinished::Todo(place) => (place, "still stops at its todo! placeholder"),
            Unfinished::NotImplemented(place) => (place, "still raises its NotImplementedError placeholder"),
        };
        let place = place.as_deref().unwrap_or("its source");
        format!("{role} is not written yet: {place} {stops}. Follow the TODO steps above it, then grade again.")
    }
}

/// Whether stderr shows an unfinished skeleton, and where it stopped.
pub fn unfinished(stderr: &str) -> Option<Unfinished> {
    if stderr.contains("not yet implemented") {
        let place = stderr
            .lines()
            .find_map(|l| l.split_once("panicked at ").map(|(_, rest)| rest.trim_end_matches(':')))
            .map(|place| match place.rsplit_once(':') {
                Some((file_line, _column)) => file_line.to_string(),
                None => place.to_string(),
            });
        return Some(Unfinished::Todo(place));
    }
    let lines: Vec<&str> = stderr.lines().collect();
    let raised = lines.iter().rposition(|l| l.starts_with("NotImplementedError"))?;
    // The innermost frame above it: `  File "/x/labs/demo/python/DemoServer.py", line 36, in main`.
    let place = lines[..raised].iter().rev().find_map(|l| {
        let rest = l.trim_start().strip_prefix("File \"")?;
        let (file, rest) = rest.split_once('"')?;
        let line = rest.strip_prefix(", line ")?.split(',').next()?;
        Some(format!("{}:{line}", shorten(file)))
    });
    Some(Unfinished::NotImplemented(place))
}

/// A path as the student knows it: from `labs/` or `solutions/` on, when it has one.
fn shorten(path: &str) -> &str {
    ["/labs/", "/solutions/"].iter().find_map(|dir| path.rfind(dir).map(|at| &path[at + 1..])).unwrap_or(path)
}

/// The message of a Rust panic: the line after `thread 'main' panicked at FILE:`.
fn panic_message(stderr: &str) -> Option<String> {
    let mut lines = stderr.lines();
    lines.find(|l| l.contains("panicked at"))?;
    lines.next().map(|l| l.trim().to_string())
}

/// Whether stderr is a usage error that names `option`: the program does not take it
/// (argparse's `unrecognized arguments: --timeout 0.3`, clap's `unexpected argument
/// '--timeout' found`, getopt's `unrecognized option '--timeout'`).
pub fn rejects_option(stderr: &str, option: &str) -> bool {
    let text = stderr.to_lowercase();
    let rejected = [
        "unrecognized",
        "unrecognised",
        "unexpected argument",
        "unknown option",
        "unknown argument",
        "invalid option",
        "no such option",
    ];
    text.contains(option) && rejected.iter().any(|w| text.contains(w))
}

/// Whether stderr shows a crash report rather than the one clear line the contract
/// asks of a failing client: a Rust panic, a Python traceback, a Java stack trace.
pub fn crash_report(stderr: &str) -> Option<&'static str> {
    if stderr.contains("panicked at") {
        Some("a Rust panic")
    } else if stderr.contains("Traceback (most recent call last)") {
        Some("a Python traceback")
    } else if stderr.contains("Exception in thread") || stderr.contains("\tat ") {
        Some("a Java stack trace")
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_usage_error_naming_an_option_is_told_from_other_errors() {
        let argparse = "usage: UDPClient.py [-h] [--host HOST] [--port PORT]\nUDPClient.py: error: unrecognized arguments: --timeout 0.3\n";
        let clap = "error: unexpected argument '--timeout' found\n\nUsage: demo-client [OPTIONS] [WORD]...\n";
        assert!(rejects_option(argparse, "--timeout") && rejects_option(clap, "--timeout"));
        assert!(!rejects_option("demo-client: no reply after 4 tries (--timeout 0.3)\n", "--timeout"));
        assert!(!rejects_option("error: unrecognized arguments: --verbose\n", "--timeout"));
    }

    #[test]
    fn finds_the_todo_of_an_unfinished_skeleton() {
        let stderr = "\nthread 'main' panicked at labs/demo/src/bin/demo-server.rs:42:5:\nnot yet implemented: demo-server: listen\nnote: run with `RUST_BACKTRACE=1`\n";
        assert_eq!(unfinished(stderr), Some(Unfinished::Todo(Some("labs/demo/src/bin/demo-server.rs:42".into()))));
        assert_eq!(crash_report(stderr), Some("a Rust panic"));
    }

    #[test]
    fn finds_the_placeholder_of_a_python_skeleton() {
        let stderr = "Traceback (most recent call last):\n  File \"/w/labs/demo/python/DemoServer.py\", line 43, in <module>\n    sys.exit(main())\n  File \"/w/labs/demo/python/DemoServer.py\", line 36, in main\n    raise NotImplementedError(\nNotImplementedError: DemoServer: TODO step 1\n";
        let found = unfinished(stderr).unwrap();
        assert_eq!(found, Unfinished::NotImplemented(Some("labs/demo/python/DemoServer.py:36".into())));
        let hint = found.hint("demo-server");
        assert!(hint.contains("labs/demo/python/DemoServer.py:36 still raises its NotImplementedError"), "{hint}");
        assert!(!hint.contains("todo!"), "{hint}");
    }

    #[test]
    fn a_traceback_of_a_live_program_is_shown_and_named() {
        let event = |text: &str| Event { at_ms: 0, kind: EventKind::Output, text: text.to_string() };
        let transcript = [
            event("[demo-server] listening"),
            event("[demo-server stderr] Exception in thread Thread-1 (serve):"),
            event("[demo-server stderr] Traceback (most recent call last):"),
            event("[demo-server stderr] ZeroDivisionError: division by zero"),
        ];
        let f = with_stderr_of_programs(Failure::mismatch("no reply"), &transcript);
        assert!(f.details[0].contains("a Python traceback on stderr: ZeroDivisionError"), "{:?}", f.details);
        assert!(f.details[1].starts_with("demo-server's stderr ended with:\nException in thread"), "{:?}", f.details);
        assert!(f.hint.unwrap().contains("died"));
        let quoted = with_stderr_of_programs(Failure::mismatch("x").detail("its stderr ended with:\nx"), &transcript);
        assert_eq!(quoted.details.len(), 1, "quoted once");
    }

    #[test]
    fn quotes_a_panic_message() {
        let stderr = "thread 'main' panicked at src/main.rs:3:5:\nindex out of bounds\n";
        let f = explain_stderr(Failure::mismatch("x"), "demo-server", stderr);
        assert!(f.details[0].contains("index out of bounds"), "{:?}", f.details);
        assert!(f.hint.is_none());
    }
}
