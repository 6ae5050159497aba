//! The instructor's grading file (`grading.toml`, docs/grading.md): points and
//! visibility per check and the score that passes, changed without recompiling.
//!
//! It is applied to the results before any reporter sees them, so a hidden check's
//! details are withheld from every format alike: reporters render what they are given.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{bail, Context, Result};
use serde::Deserialize;

use report::formats::gradescope::Gradescope;

use crate::programs::Track;
use labs::registry::{find_check, find_lab};
use report::{CheckReport, Report, Status};

/// The file found at the workspace root when no `--config` is given.
pub const DEFAULT_FILE: &str = "grading.toml";

/// What a student reads in place of a hidden check's details.
pub const HIDDEN_MESSAGE: &str = "hidden check: your instructor withholds its details";

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    track: Option<Track>,
    min_score: Option<u32>,
    min_percent: Option<f64>,
    #[serde(default)]
    checks: BTreeMap<String, Rule>,
    #[serde(default)]
    gradescope: Gradescope,
    /// The programs' resource limits, in `--limit` syntax: `"mem=1G,nproc=256"`.
    limits: Option<String>,
}

/// The instructor's word on one check (`lab/slug`) or on every check of a lab (`lab/*`).
#[derive(Clone, Copy, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Rule {
    points: Option<u32>,
    hidden: Option<bool>,
}

/// A loaded grading file (or none: the registry's points, nothing hidden).
#[derive(Debug, Default)]
pub struct Grading {
    /// The course's language (`track = "python"`): what `cargo grade LAB` grades
    /// without `--python`.
    pub track: Option<Track>,
    min_score: Option<u32>,
    min_percent: Option<f64>,
    rules: BTreeMap<String, Rule>,
    pub gradescope: Gradescope,
    /// Instructors may see hidden details (`--show-hidden`); the check is still marked.
    pub show_hidden: bool,
    /// The course's limits (`limits = "mem=1G"`), under any `--limit` given.
    pub limits: Vec<harness::limits::LimitArg>,
}

impl Grading {
    /// The grading file to use: `explicit` if given, else `grading.toml` at `root` if
    /// there is one, else none.
    pub fn find(explicit: Option<&Path>, root: &Path) -> Result<Grading> {
        match explicit {
            Some(path) => Grading::load(path),
            None if root.join(DEFAULT_FILE).is_file() => Grading::load(&root.join(DEFAULT_FILE)),
            None => Ok(Grading::default()),
        }
    }

    pub fn load(path: &Path) -> Result<Grading> {
        let text = std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
        Grading::parse(&text)
            .with_context(|| format!("{} is not a valid grading file (docs/grading.md)", path.display()))
    }

    pub fn parse(text: &str) -> Result<Grading> {
        let file: File = toml::from_str(text)?;
        if file.min_score.is_some() && file.min_percent.is_some() {
            bail!("give min_score or min_percent, not both");
        }
        if let Some(p) = file.min_percent {
            if !(0.0..=100.0).contains(&p) {
                bail!("min_percent is {p}: it must be between 0 and 100");
            }
        }
        for key in file.checks.keys() {
            let known = match key.strip_suffix("/*") {
                Some(lab) => find_lab(lab).is_some(),
                None => find_check(key).is_some(),
            };
            if !known {
                bail!("[checks] names {key:?}, which is no check id (`cargo grader list` shows them) nor LAB/*");
            }
        }
        let limits = match &file.limits {
            Some(text) => {
                vec![harness::limits::parse_limit(text).map_err(|e| anyhow::anyhow!("limits = {text:?}: {e}"))?]
            }
            None => Vec::new(),
        };
        Ok(Grading {
            limits,
            track: file.track,
            min_score: file.min_score,
            min_percent: file.min_percent,
            rules: file.checks,
            gradescope: file.gradescope,
            show_hidden: false,
        })
    }

    /// The rule for one check: its own entry over its lab's `lab/*` entry. A lab's
    /// points do not go to its gates (`LAB/ROLE-starts`, 0 points): a course that
    /// gives every check of a lab 2 points keeps its total; an entry of the gate's own
    /// gives it points.
    fn rule(&self, id: &str, lab: &str) -> Rule {
        let own = self.rules.get(id).copied().unwrap_or_default();
        let lab = self.rules.get(&format!("{lab}/*")).copied().unwrap_or_default();
        let gate = find_check(id).is_some_and(|(_, check)| check.gate_of().is_some());
        let lab_points = if gate { None } else { lab.points };
        Rule { points: own.points.or(lab_points), hidden: own.hidden.or(lab.hidden) }
    }

    /// Gives one check its points and, when hidden, withholds its details.
    pub fn apply(&self, check: &mut CheckReport) {
        let rule = self.rule(&check.id, &check.lab);
        if let Some(points) = rule.points {
            check.max_points = points;
        }
        check.points = if check.status == Status::Pass { check.max_points } else { 0 };
        if rule.hidden.unwrap_or(false) {
            check.hidden = true;
        }
        if check.hidden && !self.show_hidden {
            withhold(check);
        }
    }

    /// Applies the file to a whole report: points, hidden details, the passing score.
    pub fn apply_all(&self, mut report: Report) -> Report {
        for check in &mut report.checks {
            self.apply(check);
        }
        let mut report = report.recount();
        if let Some(min) = self.min_score(report.max_score) {
            report.min_score = Some(min);
        }
        report
    }

    /// The passing score in points out of `max_score`, if the file sets one.
    pub fn min_score(&self, max_score: u32) -> Option<u32> {
        match (self.min_score, self.min_percent) {
            (Some(points), _) => Some(points),
            (None, Some(percent)) => Some((f64::from(max_score) * percent / 100.0).ceil() as u32),
            (None, None) => None,
        }
    }
}

/// Leaves a check its id, name, status and points: nothing that tells how it failed.
pub fn withhold(check: &mut CheckReport) {
    check.hidden = true;
    check.message = (check.status != Status::Pass).then(|| HIDDEN_MESSAGE.to_string());
    check.failure = None;
    check.transcript.clear();
}

#[cfg(test)]
mod tests {
    use super::*;
    use harness::outcome::Failure;
    use harness::transcript::{Event, EventKind};

    fn check(id: &str, status: Status) -> CheckReport {
        let failure = (status != Status::Pass).then(|| Failure::mismatch("wrong reply").expected("6").got("6.0"));
        CheckReport {
            id: id.to_string(),
            lab: "hello".to_string(),
            name: "a sentence".to_string(),
            status,
            points: 0,
            max_points: 2,
            message: failure.as_ref().map(|f| f.summary.clone()),
            failure,
            duration_ms: 3,
            transcript: vec![Event { at_ms: 1, kind: EventKind::Sent, text: "\"1 2\\n\"".into() }],
            hidden: false,
        }
    }

    #[test]
    fn a_check_entry_beats_its_labs_entry_and_hidden_details_are_withheld() {
        let grading = Grading::parse(
            "min_percent = 50\n[checks]\n\"hello/*\" = { points = 5, hidden = true }\n\"hello/sum-exact\" = { hidden = false }\n",
        )
        .unwrap();
        let mut exact = check("hello/sum-exact", Status::Fail);
        grading.apply(&mut exact);
        assert_eq!((exact.max_points, exact.hidden), (5, false));
        assert!(exact.failure.is_some());
        let mut other = check("hello/sum-crlf", Status::Fail);
        grading.apply(&mut other);
        assert!(other.hidden && other.failure.is_none() && other.transcript.is_empty());
        assert_eq!(other.message.as_deref(), Some(HIDDEN_MESSAGE));
        assert_eq!(grading.min_score(15), Some(8), "a percentage rounds up to whole points");
        // A lab's points are not its gates': the gate keeps 0 and is still hidden.
        let mut gate = check("hello/hello-server-starts", Status::Pass);
        gate.max_points = 0;
        grading.apply(&mut gate);
        assert_eq!((gate.points, gate.max_points, gate.hidden), (0, 0, true));
        let own = Grading::parse("[checks]\n\"hello/hello-server-starts\" = { points = 1 }\n").unwrap();
        own.apply(&mut gate);
        assert_eq!((gate.points, gate.max_points), (1, 1), "an entry of the gate's own gives it points");
    }

    #[test]
    fn a_course_sets_its_track() {
        assert_eq!(Grading::parse("track = \"python\"\n").unwrap().track, Some(Track::Python));
        let course = Grading::parse("limits = \"mem=1G,nproc=256\"\n").unwrap();
        let limits = harness::limits::Limits::default().with(&course.limits);
        assert_eq!((limits.memory, limits.processes), (Some(1 << 30), 256));
        assert!(format!("{:#}", Grading::parse("limits = \"ram=1G\"\n").unwrap_err()).contains("no limit \"ram\""));
        assert_eq!(Grading::parse("").unwrap().track, None);
    }

    #[test]
    fn a_passing_check_earns_its_new_points() {
        let grading = Grading::parse("[checks]\n\"hello/sum-exact\" = { points = 7 }\n").unwrap();
        let mut c = check("hello/sum-exact", Status::Pass);
        grading.apply(&mut c);
        assert_eq!((c.points, c.max_points), (7, 7));
    }

    #[test]
    fn mistakes_in_the_file_are_named() {
        for (text, says) in [
            ("[checks]\n\"hello/nope\" = { points = 1 }\n", "hello/nope"),
            ("[checks]\n\"nolab/*\" = { hidden = true }\n", "nolab/*"),
            ("min_score = 3\nmin_percent = 50\n", "not both"),
            ("min_percent = 150\n", "between 0 and 100"),
            ("[checks]\n\"hello/sum-exact\" = { point = 1 }\n", "point"),
            ("passing = 3\n", "passing"),
            ("track = \"java\"\n", "java"),
            ("[gradescope]\nvisibility = \"sometimes\"\n", "sometimes"),
        ] {
            let error = format!("{:#}", Grading::parse(text).unwrap_err());
            assert!(error.contains(says), "{text:?}: {error}");
        }
    }
}
