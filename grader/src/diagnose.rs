//! Turning what a program left behind (exit status, stderr) into words for a student.

use std::path::Path;
use std::process::ExitStatus;

use crate::outcome::{Failure, FailureKind};
use crate::process::describe_exit;

/// The most stderr lines quoted in a failure; the transcript (`-v`) has them all.
const STDERR_LINES: usize = 8;

/// A failure for a program that exited when it should not have, with the reason read
/// from its stderr: an unfinished skeleton, a panic, an exception, or its last words.
pub fn exited(role: &str, when: &str, status: ExitStatus, stderr: &str) -> Failure {
    let summary = format!("{role} {} {when}", describe_exit(status));
    let failure = Failure::new(FailureKind::Exited, summary);
    explain_stderr(failure, role, stderr)
}

/// Adds what stderr tells about a program's end: the hint for an unfinished skeleton
/// (a `todo!` placeholder), the panic or exception message, and the last lines it printed.
pub fn explain_stderr(mut failure: Failure, role: &str, stderr: &str) -> Failure {
    if let Some(place) = unfinished_at(stderr) {
        // The student's next step, and nothing else: the panic text is noise here.
        let placeholder = if stderr.contains("NotImplementedError") { "raise NotImplementedError" } else { "todo!" };
        return failure.with_hint(format!(
            "{role} is not written yet: {place} still stops at its {placeholder} placeholder. Follow the TODO steps above it, then grade again."
        ));
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

/// Where a Rust program hit its `todo!` placeholder: "labs/hello/src/bin/hello-server.rs:42".
/// Python's NotImplementedError counts too, for skeletons in other languages.
pub fn unfinished_at(stderr: &str) -> Option<String> {
    if stderr.contains("not yet implemented") {
        let place = stderr
            .lines()
            .find_map(|l| l.split_once("panicked at ").map(|(_, rest)| rest.trim_end_matches(':')))
            .map(|place| match place.rsplit_once(':') {
                Some((file_line, _column)) => file_line.to_string(),
                None => place.to_string(),
            });
        return Some(place.unwrap_or_else(|| "its source".to_string()));
    }
    if stderr.contains("NotImplementedError") {
        // The traceback's last frame is the line that raised it.
        let place = stderr.lines().rev().find_map(|l| {
            let (file, rest) = l.trim().strip_prefix("File \"")?.split_once("\", line ")?;
            let line = rest.split(|c: char| !c.is_ascii_digit()).next()?;
            Some(format!("{}:{line}", Path::new(file).file_name()?.to_string_lossy()))
        });
        return Some(place.unwrap_or_else(|| "its source".to_string()));
    }
    None
}

/// The message of a Rust panic: the line after `thread 'main' panicked at FILE:`.
fn panic_message(stderr: &str) -> Option<String> {
    let mut lines = stderr.lines();
    lines.find(|l| l.contains("panicked at"))?;
    lines.next().map(|l| l.trim().to_string())
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
    fn finds_the_todo_of_an_unfinished_skeleton() {
        let stderr = "\nthread 'main' panicked at labs/hello/src/bin/hello-server.rs:42:5:\nnot yet implemented: hello-server: listen\nnote: run with `RUST_BACKTRACE=1`\n";
        assert_eq!(unfinished_at(stderr).as_deref(), Some("labs/hello/src/bin/hello-server.rs:42"));
        assert_eq!(crash_report(stderr), Some("a Rust panic"));
    }

    #[test]
    fn finds_the_raise_of_an_unfinished_python_skeleton() {
        let stderr = "Traceback (most recent call last):\n  File \"/tmp/x/labs/hello/python/SumClient.py\", line 41, in <module>\n    sys.exit(main())\n  File \"/tmp/x/labs/hello/python/SumClient.py\", line 34, in main\n    raise NotImplementedError(\nNotImplementedError: SumClient: TODO step 1\n";
        assert_eq!(unfinished_at(stderr).as_deref(), Some("SumClient.py:34"));
        let hint = explain_stderr(Failure::new(FailureKind::Exited, "exited"), "sum-client", stderr).hint.unwrap();
        assert!(hint.contains("SumClient.py:34 still stops at its raise NotImplementedError placeholder"), "{hint}");
    }

    #[test]
    fn quotes_a_panic_message() {
        let stderr = "thread 'main' panicked at src/main.rs:3:5:\nindex out of bounds\n";
        let f = explain_stderr(Failure::mismatch("x"), "hello-server", stderr);
        assert!(f.details[0].contains("index out of bounds"), "{:?}", f.details);
        assert!(f.hint.is_none());
    }
}
