//! The class's gradebook: one row per student (score, each lab's points, each check's
//! status), written as CSV for a spreadsheet and JSON for scripts, and a summary for
//! the instructor: how the scores spread and which checks the class failed most.
//!
//! `grader batch` writes it after grading a folder of submissions; `grader gradebook
//! merge` makes the same from per-student JSON files graded elsewhere, such as one CI
//! job per submission (docs/batch.md).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::Write as _;
use std::path::Path;

use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};

use crate::report::{Report, Status};

/// The gradebook's schema version. 2: `labs[]` holds the class's `mean` and `median`
/// per lab instead of a `score` that was always 0.
pub const GRADEBOOK_VERSION: u32 = 2;

/// What became of one submission.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Its checks ran; the score is its grade.
    Graded,
    /// Building or grading it took longer than `--timeout`: it was stopped, score 0.
    Timeout,
    /// The grader could not grade it (not the student's doing); regraded on resume.
    Error,
}

impl Outcome {
    fn name(self) -> &'static str {
        match self {
            Outcome::Graded => "graded",
            Outcome::Timeout => "timeout",
            Outcome::Error => "error",
        }
    }
}

/// One student's row: also the file `students/NAME/result.json` of a batch.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Entry {
    pub student: String,
    pub outcome: Outcome,
    /// Why it was not graded, when it was not.
    #[serde(default)]
    pub message: Option<String>,
    pub score: u32,
    pub max_score: u32,
    /// What was wrong with the submission itself: a lab that does not compile, a
    /// program that was not submitted.
    #[serde(default)]
    pub problems: Vec<String>,
    pub labs: Vec<LabScore>,
    /// Each check's result (none when the submission was not graded).
    pub checks: Vec<CheckResult>,
    /// `rust` (a template checkout) or `files` (loose files run by the role mapping).
    #[serde(default)]
    pub kind: Option<String>,
    #[serde(default)]
    pub seed: Option<u64>,
    /// Wall time of the whole submission, of its build, and of waiting for the build.
    #[serde(default)]
    pub duration_ms: u64,
    #[serde(default)]
    pub build_ms: Option<u64>,
    #[serde(default)]
    pub build_wait_ms: Option<u64>,
    /// When it finished, in milliseconds since 1970.
    #[serde(default)]
    pub finished_at_ms: u64,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct LabScore {
    pub lab: String,
    pub score: u32,
    pub max_score: u32,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct CheckResult {
    pub id: String,
    pub status: Status,
    pub points: u32,
    pub max_points: u32,
}

impl Entry {
    /// The row of a graded submission, from its report.
    pub fn from_report(student: &str, report: &Report) -> Entry {
        let mut labs: Vec<LabScore> = Vec::new();
        for check in &report.checks {
            match labs.iter_mut().find(|l| l.lab == check.lab) {
                Some(lab) => {
                    lab.score += check.points;
                    lab.max_score += check.max_points;
                }
                None => {
                    labs.push(LabScore { lab: check.lab.clone(), score: check.points, max_score: check.max_points })
                }
            }
        }
        let errors: Vec<&str> =
            report.checks.iter().filter(|c| c.status == Status::Error).map(|c| c.id.as_str()).collect();
        Entry {
            student: student.to_string(),
            outcome: if errors.is_empty() { Outcome::Graded } else { Outcome::Error },
            message: (!errors.is_empty()).then(|| format!("the grader could not do its part of {}", errors.join(", "))),
            score: report.score,
            max_score: report.max_score,
            problems: Vec::new(),
            labs,
            checks: report
                .checks
                .iter()
                .map(|c| CheckResult { id: c.id.clone(), status: c.status, points: c.points, max_points: c.max_points })
                .collect(),
            kind: None,
            seed: Some(report.seed),
            duration_ms: report.duration_ms,
            build_ms: None,
            build_wait_ms: None,
            finished_at_ms: 0,
        }
    }

    /// The row of a submission that has no grade: score 0 of `max` (each lab's maximum).
    pub fn ungraded(student: &str, outcome: Outcome, message: String, labs: &[LabScore]) -> Entry {
        Entry {
            student: student.to_string(),
            outcome,
            message: Some(message),
            score: 0,
            max_score: labs.iter().map(|l| l.max_score).sum(),
            problems: Vec::new(),
            labs: labs.iter().map(|l| LabScore { score: 0, ..l.clone() }).collect(),
            checks: Vec::new(),
            kind: None,
            seed: None,
            duration_ms: 0,
            build_ms: None,
            build_wait_ms: None,
            finished_at_ms: 0,
        }
    }

    /// Reads a result file of a batch, or a JSON report of `grader test` (the student
    /// is then named after the file: `alice.json`, or `alice/report.json`).
    pub fn load(path: &Path) -> Result<Entry> {
        let text = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
        let value: serde_json::Value =
            serde_json::from_slice(&text).with_context(|| format!("{} is not JSON", path.display()))?;
        if value.get("outcome").is_some() {
            return serde_json::from_value(value)
                .with_context(|| format!("{} is not a student's result of grader batch", path.display()));
        }
        let report: Report = serde_json::from_value(value).with_context(|| {
            format!(
                "{} is neither a report of grader test (--format json) nor a result of grader batch",
                path.display()
            )
        })?;
        Ok(Entry::from_report(&student_of(path), &report))
    }
}

/// The student a report file belongs to: its name without `.json`, or its folder's
/// name when the file is called `report.json` or `result.json`.
fn student_of(path: &Path) -> String {
    let stem = path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
    if matches!(stem.as_str(), "report" | "result") {
        if let Some(dir) = path.parent().and_then(Path::file_name) {
            return dir.to_string_lossy().into_owned();
        }
    }
    stem
}

/// The whole class.
#[derive(Debug, Serialize, Deserialize)]
pub struct Gradebook {
    pub version: u32,
    /// Each lab's maximum and how the graded students scored in it.
    pub labs: Vec<LabStats>,
    /// Every check in any row, in the course's order (the catalog's).
    pub checks: Vec<CheckInfo>,
    pub max_score: u32,
    pub students: Vec<Entry>,
    pub summary: Summary,
}

/// One lab across the class: its maximum, and the mean and median of the points of the
/// graded students whose run included it.
#[derive(Debug, Serialize, Deserialize)]
pub struct LabStats {
    pub lab: String,
    pub max_score: u32,
    /// Graded students whose run included the lab.
    pub students: usize,
    pub mean: f64,
    pub median: f64,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct CheckInfo {
    pub id: String,
    pub name: String,
    pub max_points: u32,
}

#[derive(Debug, Default, Serialize, Deserialize)]
pub struct Summary {
    pub students: usize,
    pub graded: usize,
    pub timed_out: Vec<String>,
    pub errors: Vec<String>,
    /// Over the graded students.
    pub min: u32,
    pub median: f64,
    pub mean: f64,
    pub max: u32,
    /// Students per tenth of the maximum score: 0-9 %, 10-19 %, ..., 90-99 %, 100 %.
    pub distribution: Vec<Bucket>,
    /// Checks by how many graded students did not pass them, most first.
    pub most_failed: Vec<Failed>,
    /// Problems of the submissions themselves, with how many had each.
    pub problems: Vec<(String, usize)>,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct Bucket {
    pub label: String,
    pub students: usize,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct Failed {
    pub id: String,
    pub name: String,
    /// Graded students whose result was fail or timeout (not skipped: a check skipped
    /// after a server's gate failed counts for the gate, `LAB/ROLE-starts`).
    pub failed: usize,
    /// Graded students whose run included the check.
    pub of: usize,
}

/// The course as the gradebook orders and names it: the labs in the order students
/// meet them, and every check of theirs in that order, by id with its name. The
/// grader that makes the gradebook knows the labs; the gradebook does not.
#[derive(Debug, Default)]
pub struct Catalog {
    /// The labs' names, in the course's order.
    pub labs: Vec<String>,
    /// Every check's id (`lab/slug`) and name, in the course's order.
    pub checks: Vec<(String, String)>,
}

impl Gradebook {
    /// The gradebook of these students, its labs and checks ordered and named as in
    /// `catalog` (any it does not list come last, as first seen, without a name).
    pub fn new(mut students: Vec<Entry>, catalog: &Catalog) -> Gradebook {
        students.sort_by(|a, b| a.student.cmp(&b.student));
        let order = |id: &str| catalog.checks.iter().position(|(known, _)| known == id).unwrap_or(usize::MAX);
        let mut checks: Vec<CheckInfo> = Vec::new();
        let mut labs: Vec<LabScore> = Vec::new();
        for entry in &students {
            for check in &entry.checks {
                if !checks.iter().any(|c| c.id == check.id) {
                    let name = catalog.checks.iter().find(|(id, _)| *id == check.id);
                    let name = name.map(|(_, name)| name.clone()).unwrap_or_default();
                    checks.push(CheckInfo { id: check.id.clone(), name, max_points: check.max_points });
                }
            }
            for lab in &entry.labs {
                match labs.iter_mut().find(|l| l.lab == lab.lab) {
                    Some(known) => known.max_score = known.max_score.max(lab.max_score),
                    None => labs.push(LabScore { score: 0, ..lab.clone() }),
                }
            }
        }
        checks.sort_by_key(|c| order(&c.id));
        let lab_order = |name: &str| catalog.labs.iter().position(|l| l == name).unwrap_or(usize::MAX);
        labs.sort_by_key(|l| lab_order(&l.lab));
        let labs: Vec<LabStats> = labs
            .into_iter()
            .map(|lab| {
                let scores: Vec<u32> = students
                    .iter()
                    .filter(|e| e.outcome == Outcome::Graded)
                    .filter_map(|e| e.labs.iter().find(|l| l.lab == lab.lab).map(|l| l.score))
                    .collect();
                let (mean, median) = mean_median(scores.clone());
                LabStats { lab: lab.lab, max_score: lab.max_score, students: scores.len(), mean, median }
            })
            .collect();
        let max_score = students.iter().map(|s| s.max_score).max().unwrap_or(0);
        let summary = summarize(&students, &checks);
        Gradebook { version: GRADEBOOK_VERSION, labs, checks, max_score, students, summary }
    }

    /// One row per student: outcome, score, each lab's points, each check's status.
    pub fn csv(&self) -> String {
        let mut header: Vec<String> =
            ["student", "outcome", "score", "max_score", "percent"].iter().map(|s| s.to_string()).collect();
        header.extend(self.labs.iter().map(|l| format!("{} ({})", l.lab, l.max_score)));
        header.extend(self.checks.iter().map(|c| c.id.clone()));
        header.extend(["problems".to_string(), "message".to_string()]);
        let mut out = csv_line(&header);
        for entry in &self.students {
            let mut row = vec![
                entry.student.clone(),
                entry.outcome.name().to_string(),
                entry.score.to_string(),
                entry.max_score.to_string(),
                format!("{:.1}", percent(entry.score, entry.max_score)),
            ];
            for lab in &self.labs {
                let score = entry.labs.iter().find(|l| l.lab == lab.lab);
                row.push(score.map(|l| l.score.to_string()).unwrap_or_default());
            }
            for check in &self.checks {
                let result = entry.checks.iter().find(|c| c.id == check.id);
                row.push(result.map(|c| status_name(c.status).to_string()).unwrap_or_default());
            }
            row.push(entry.problems.join("; "));
            row.push(entry.message.clone().unwrap_or_default());
            out.push_str(&csv_line(&row));
        }
        out
    }

    /// The instructor's view: how many were graded, how the scores spread, and what
    /// the class did not manage.
    pub fn summary_text(&self) -> String {
        let s = &self.summary;
        let mut out = String::new();
        let _ = writeln!(
            out,
            "{} students: {} graded, {} timed out, {} could not be graded",
            s.students,
            s.graded,
            s.timed_out.len(),
            s.errors.len()
        );
        if s.graded > 0 {
            let _ = writeln!(
                out,
                "score (of {}): min {}, median {}, mean {:.1}, max {}",
                self.max_score, s.min, s.median, s.mean, s.max
            );
            let _ = writeln!(out, "\ndistribution (share of the maximum score):");
            let most = s.distribution.iter().map(|b| b.students).max().unwrap_or(0).max(1);
            for bucket in &s.distribution {
                let bar = "#".repeat((bucket.students * 40).div_ceil(most));
                let line = format!("  {:>8}  {:>4}  {bar}", bucket.label, bucket.students);
                let _ = writeln!(out, "{}", line.trim_end());
            }
        }
        let failed: Vec<&Failed> = s.most_failed.iter().filter(|f| f.failed > 0).take(10).collect();
        if !failed.is_empty() {
            let _ = writeln!(out, "\nchecks most often failed (students who failed it / graded students):");
            let width = failed.iter().map(|f| f.id.len()).max().unwrap_or(0);
            for f in failed {
                let _ = writeln!(
                    out,
                    "  {:>4}/{:<4} {:>3.0}%  {:<width$}  {}",
                    f.failed,
                    f.of,
                    percent(f.failed as u32, f.of as u32),
                    f.id,
                    f.name
                );
            }
        }
        if !s.problems.is_empty() {
            let _ = writeln!(out, "\nproblems of the submissions (students who had each):");
            for (problem, count) in s.problems.iter().take(10) {
                let _ = writeln!(out, "  {count:>4}  {problem}");
            }
            if s.problems.len() > 10 {
                let _ = writeln!(out, "  ... and {} more (gradebook.csv lists each student's)", s.problems.len() - 10);
            }
        }
        for (label, names) in [("timed out", &s.timed_out), ("could not be graded", &s.errors)] {
            if !names.is_empty() {
                let _ = writeln!(out, "\n{label}: {}", names.join(", "));
            }
        }
        out
    }

    /// Writes `gradebook.csv`, `gradebook.json` and `summary.txt` into `dir`.
    pub fn write(&self, dir: &Path) -> Result<()> {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
        write_atomic(&dir.join("gradebook.csv"), self.csv().as_bytes())?;
        write_atomic(&dir.join("gradebook.json"), (serde_json::to_string_pretty(self)? + "\n").as_bytes())?;
        write_atomic(&dir.join("summary.txt"), self.summary_text().as_bytes())
    }
}

fn summarize(students: &[Entry], checks: &[CheckInfo]) -> Summary {
    let graded: Vec<&Entry> = students.iter().filter(|e| e.outcome == Outcome::Graded).collect();
    let names = |outcome| students.iter().filter(|e| e.outcome == outcome).map(|e| e.student.clone()).collect();
    let mut scores: Vec<u32> = graded.iter().map(|e| e.score).collect();
    scores.sort_unstable();
    let (mean, median) = mean_median(scores.clone());
    let mut distribution: Vec<Bucket> =
        (0..10).map(|d| Bucket { label: format!("{}-{}%", d * 10, d * 10 + 9), students: 0 }).collect();
    distribution.push(Bucket { label: "100%".to_string(), students: 0 });
    for entry in &graded {
        let share = percent(entry.score, entry.max_score.max(1));
        let index = if entry.score >= entry.max_score { 10 } else { ((share / 10.0).floor() as usize).min(9) };
        distribution[index].students += 1;
    }
    let mut most_failed: Vec<Failed> = checks
        .iter()
        .map(|check| {
            let results = graded.iter().filter_map(|e| e.checks.iter().find(|c| c.id == check.id));
            let (mut failed, mut of) = (0, 0);
            for result in results {
                of += 1;
                failed += usize::from(result.status.failed());
            }
            Failed { id: check.id.clone(), name: check.name.clone(), failed, of }
        })
        .collect();
    // Most failed first; ties in the course's order (a stable sort).
    most_failed.sort_by_key(|f| std::cmp::Reverse(f.failed));
    let mut problems: BTreeMap<String, usize> = BTreeMap::new();
    for entry in students {
        for problem in &entry.problems {
            *problems.entry(problem.clone()).or_default() += 1;
        }
    }
    let mut problems: Vec<(String, usize)> = problems.into_iter().collect();
    problems.sort_by_key(|p| std::cmp::Reverse(p.1));
    Summary {
        students: students.len(),
        graded: graded.len(),
        timed_out: names(Outcome::Timeout),
        errors: names(Outcome::Error),
        min: scores.first().copied().unwrap_or(0),
        median,
        mean,
        max: scores.last().copied().unwrap_or(0),
        distribution,
        most_failed,
        problems,
    }
}

/// The mean and the median of some scores (0 and 0 for none).
fn mean_median(mut scores: Vec<u32>) -> (f64, f64) {
    scores.sort_unstable();
    let median = match scores.len() {
        0 => return (0.0, 0.0),
        n if n % 2 == 1 => f64::from(scores[n / 2]),
        n => (f64::from(scores[n / 2 - 1]) + f64::from(scores[n / 2])) / 2.0,
    };
    (scores.iter().map(|&s| f64::from(s)).sum::<f64>() / scores.len() as f64, median)
}

fn percent(part: u32, whole: u32) -> f64 {
    if whole == 0 {
        0.0
    } else {
        f64::from(part) * 100.0 / f64::from(whole)
    }
}

fn status_name(status: Status) -> &'static str {
    match status {
        Status::Pass => "pass",
        Status::Fail => "fail",
        Status::Timeout => "timeout",
        Status::Skipped => "skipped",
        Status::Error => "error",
    }
}

/// One CSV record (RFC 4180): fields with a comma, quote or line break are quoted.
/// A field that a spreadsheet would take for a formula (a student named
/// `=HYPERLINK(...)`, a program's message starting with `-`) gets a leading `'`, as
/// OWASP's advice on CSV injection says: the cell then shows as text.
fn csv_line(fields: &[String]) -> String {
    let quoted: Vec<String> = fields
        .iter()
        .map(|f| {
            let f = if f.starts_with(['=', '+', '-', '@', '\t', '\r']) { format!("'{f}") } else { f.clone() };
            if f.contains([',', '"', '\n', '\r']) {
                format!("\"{}\"", f.replace('"', "\"\""))
            } else {
                f
            }
        })
        .collect();
    quoted.join(",") + "\r\n"
}

/// Writes a file whole or not at all: a temporary file beside it, renamed into place.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    let mut temp = tempfile::NamedTempFile::new_in(dir).with_context(|| format!("cannot write {}", path.display()))?;
    temp.write_all(bytes).with_context(|| format!("cannot write {}", path.display()))?;
    // A temporary file is private (0600); the gradebook is an ordinary file.
    use std::os::unix::fs::PermissionsExt;
    temp.as_file().set_permissions(std::fs::Permissions::from_mode(0o644))?;
    temp.persist(path).with_context(|| format!("cannot write {}", path.display()))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(student: &str, statuses: &[(&str, Status, u32)]) -> Entry {
        let checks: Vec<CheckResult> = statuses
            .iter()
            .map(|(id, status, max)| CheckResult {
                id: id.to_string(),
                status: *status,
                points: if *status == Status::Pass { *max } else { 0 },
                max_points: *max,
            })
            .collect();
        let score = checks.iter().map(|c| c.points).sum();
        let max = checks.iter().map(|c| c.max_points).sum();
        Entry {
            labs: vec![LabScore { lab: "hello".into(), score, max_score: max }],
            checks,
            score,
            max_score: max,
            ..Entry::ungraded(student, Outcome::Graded, String::new(), &[])
        }
    }

    #[test]
    fn the_summary_counts_failures_and_spreads_scores() {
        let a = entry("a", &[("hello/server-replies", Status::Pass, 2), ("hello/sum-crlf", Status::Fail, 1)]);
        let b = entry("b", &[("hello/server-replies", Status::Timeout, 2), ("hello/sum-crlf", Status::Fail, 1)]);
        let c = entry("c", &[("hello/server-replies", Status::Pass, 2), ("hello/sum-crlf", Status::Pass, 1)]);
        let book = Gradebook::new(vec![c, a, b], &Catalog::default());
        let s = &book.summary;
        assert_eq!((s.graded, s.min, s.max, s.median), (3, 0, 3, 2.0));
        assert_eq!(s.most_failed[0].id, "hello/sum-crlf");
        assert_eq!((s.most_failed[0].failed, s.most_failed[0].of), (2, 3));
        assert_eq!(s.distribution[10].students, 1, "c has every point");
        assert_eq!(s.distribution[6].students, 1, "a has 2 of 3");
        let csv = book.csv();
        let lines: Vec<&str> = csv.lines().collect();
        assert_eq!(
            lines[0],
            "student,outcome,score,max_score,percent,hello (3),hello/server-replies,hello/sum-crlf,problems,message"
        );
        assert_eq!(lines[1], "a,graded,2,3,66.7,2,pass,fail,,");
        assert_eq!(lines[2], "b,graded,0,3,0.0,0,timeout,fail,,");
    }

    #[test]
    fn csv_fields_are_quoted_when_needed() {
        assert_eq!(csv_line(&["a,b".into(), "say \"hi\"".into(), "x".into()]), "\"a,b\",\"say \"\"hi\"\"\",x\r\n");
        assert_eq!(csv_line(&["=1+2".into(), "-x,y".into(), "@a".into(), "a=b".into()]), "'=1+2,\"'-x,y\",'@a,a=b\r\n");
    }

    #[test]
    fn a_students_name_comes_from_the_file_or_its_folder() {
        assert_eq!(student_of(Path::new("results/alice.json")), "alice");
        assert_eq!(student_of(Path::new("out/students/bob/result.json")), "bob");
    }
}
