//! What a check returns: `Ok(())` when the program did what the contract says, or a
//! [`Failure`] that tells the student what was sent, what was expected, what came back,
//! and a hint. Checks build failures; reporters render them; nobody prints here.

use std::fmt;

use serde::{Deserialize, Serialize};

/// What a check concluded. `Ok` means pass.
pub type CheckResult = Result<(), Failure>;

/// Why a check did not pass. The kind decides the reported status: a timeout is named
/// as one, and a [`FailureKind::GraderError`] is the grader's fault, never the student's.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FailureKind {
    /// Something came back, but not what the contract says.
    Mismatch,
    /// Nothing came within the deadline.
    Timeout,
    /// The peer closed the connection (EOF) before what was expected arrived.
    Closed,
    /// The connection was refused or reset.
    Refused,
    /// The program exited when it should have kept running, or exited wrongly.
    Exited,
    /// The program could not be built.
    BuildFailed,
    /// The grader itself could not do its part (no free port, cannot spawn).
    GraderError,
    /// This machine cannot run the check (no multicast route, no second loopback
    /// address): reported as skipped with the reason, never as the student's failure.
    Skipped,
}

/// A failed check: a one-line summary plus the facts that explain it.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Failure {
    /// What kind of failure: it decides the reported status.
    pub kind: FailureKind,
    /// One sentence: what went wrong.
    pub summary: String,
    /// What the grader sent just before (escaped), if it matters.
    pub sent: Option<String>,
    /// What the contract expected (escaped or described).
    pub expected: Option<String>,
    /// What actually came back (escaped or described).
    pub got: Option<String>,
    /// What to look at; the concept, not the answer.
    pub hint: Option<String>,
    /// Further facts: exit status, the program's last stderr lines, compiler errors.
    pub details: Vec<String>,
    /// The hint is the harness's general word (what an exit status means), which the
    /// check's own, more specific hint replaces (see [`Hint`]).
    #[serde(skip)]
    pub hint_is_fallback: bool,
}

impl Failure {
    /// A failure of `kind`, said in one sentence; the builders below add the facts.
    pub fn new(kind: FailureKind, summary: impl Into<String>) -> Self {
        Failure {
            kind,
            summary: summary.into(),
            sent: None,
            expected: None,
            got: None,
            hint: None,
            details: Vec::new(),
            hint_is_fallback: false,
        }
    }

    /// The program's answer was wrong.
    pub fn mismatch(summary: impl Into<String>) -> Self {
        Failure::new(FailureKind::Mismatch, summary)
    }

    /// The grader could not do its own part: reported as an error, not as a failure.
    pub fn grader(summary: impl Into<String>) -> Self {
        Failure::new(FailureKind::GraderError, summary)
    }

    /// The check cannot run here; says why and what would fix it.
    pub fn skip(reason: impl Into<String>) -> Self {
        Failure::new(FailureKind::Skipped, reason)
    }

    /// What the grader sent just before (escaped).
    pub fn sent(mut self, sent: impl Into<String>) -> Self {
        self.sent = Some(sent.into());
        self
    }

    /// What the contract expected (escaped or described).
    pub fn expected(mut self, expected: impl Into<String>) -> Self {
        self.expected = Some(expected.into());
        self
    }

    /// What came back instead (escaped or described).
    pub fn got(mut self, got: impl Into<String>) -> Self {
        self.got = Some(got.into());
        self
    }

    /// One more fact: an exit status, the program's last stderr lines.
    pub fn detail(mut self, detail: impl Into<String>) -> Self {
        self.details.push(detail.into());
        self
    }

    /// What to look at: the concept, not the answer. Replaces any hint before it.
    pub fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self.hint_is_fallback = false;
        self
    }

    /// A general hint, for when the check has none of its own: a hint the check
    /// attaches afterwards replaces it.
    pub fn with_fallback_hint(self, hint: impl Into<String>) -> Self {
        Failure { hint_is_fallback: true, ..self.with_hint(hint) }
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.summary)
    }
}

/// Hints attach to a failure on its way out of a check, so the check reads like the
/// protocol: `c.expect_exact("3").hint("...")?`. A hint the harness already set (such
/// as "your program is not written yet") is more specific and is kept, but for a
/// fallback ([`Failure::with_fallback_hint`]), which the check's hint replaces.
pub trait Hint<T> {
    /// A hint for any failure of this step.
    fn hint(self, hint: &str) -> Result<T, Failure>;
    /// A hint only for failures of one kind.
    fn hint_on(self, kind: FailureKind, hint: &str) -> Result<T, Failure>;
}

impl<T> Hint<T> for Result<T, Failure> {
    fn hint(self, hint: &str) -> Result<T, Failure> {
        self.map_err(|mut f| {
            if (f.hint.is_none() || f.hint_is_fallback)
                && !matches!(f.kind, FailureKind::GraderError | FailureKind::Skipped)
            {
                f.hint = Some(hint.to_string());
                f.hint_is_fallback = false;
            }
            f
        })
    }

    fn hint_on(self, kind: FailureKind, hint: &str) -> Result<T, Failure> {
        match self {
            Err(f) if f.kind == kind => Err(f).hint(hint),
            other => other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The innermost hint wins, but for the harness's general fallback, which gives
    /// way to the check's own.
    #[test]
    fn a_check_hint_replaces_a_fallback_only() {
        let specific: Result<(), Failure> = Err(Failure::mismatch("x").with_hint("inner"));
        assert_eq!(specific.hint("outer").unwrap_err().hint.as_deref(), Some("inner"));
        let fallback: Result<(), Failure> = Err(Failure::mismatch("x").with_fallback_hint("general"));
        let replaced = fallback.hint("outer").hint("outermost").unwrap_err();
        assert_eq!(replaced.hint.as_deref(), Some("outer"), "the first check hint replaces it, and then stays");
        let kept: Result<(), Failure> = Err(Failure::mismatch("x").with_fallback_hint("general"));
        assert_eq!(kept.hint_on(FailureKind::Timeout, "other").unwrap_err().hint.as_deref(), Some("general"));
    }
}
