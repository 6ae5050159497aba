//! The report a person reads in a terminal, in check50's spirit: one line per check,
//! and for a failure what was sent, expected and received, a hint, and the command
//! that runs just that check again.

use std::io::{self, Write};

use anstyle::{AnsiColor, Style};

use crate::report::{CheckReport, Report, Status};
use harness::outcome::Failure;

const PASS: Style = AnsiColor::Green.on_default().bold();
const FAIL: Style = AnsiColor::Red.on_default().bold();
const SKIP: Style = AnsiColor::Yellow.on_default();
const ERROR: Style = AnsiColor::Magenta.on_default().bold();
const DIM: Style = Style::new().dimmed();
const BOLD: Style = Style::new().bold();

/// What the human report asks of the grader that runs it, which knows the sandbox
/// and the course (the report knows neither).
#[derive(Clone, Copy)]
pub struct Hooks {
    /// The line the sandbox announced for this run, if any; asked when the first
    /// check is written (a run that is not sandboxed says so at the top).
    pub sandbox: fn() -> Option<String>,
    /// Where to read more about a failed check: a command, a handout, a chapter.
    pub learn_more: fn(&CheckReport) -> String,
}

/// The human report, written check by check as results come.
pub struct Human<W: Write> {
    out: W,
    verbose: bool,
    id_width: usize,
    lab_titles: Vec<(String, String)>,
    current_lab: Option<String>,
    /// Whether the sandbox's line has been printed at the top.
    told_sandbox: bool,
    /// The command that re-runs one check, given its id.
    reproduce: Box<dyn Fn(&str) -> String>,
    hooks: Hooks,
}

impl<W: Write> Human<W> {
    pub fn new(
        out: W,
        verbose: bool,
        id_width: usize,
        lab_titles: Vec<(String, String)>,
        reproduce: Box<dyn Fn(&str) -> String>,
        hooks: Hooks,
    ) -> Self {
        Human { out, verbose, id_width, lab_titles, current_lab: None, told_sandbox: false, reproduce, hooks }
    }

    /// Writes one check's result; called as each check finishes, in plan order.
    pub fn check(&mut self, r: &CheckReport) -> io::Result<()> {
        // A run that is not sandboxed says so first, before any result is read as a
        // grade (and again at the end, among the notes).
        if !self.told_sandbox {
            self.told_sandbox = true;
            if let Some(line) = (self.hooks.sandbox)().filter(|l| l.starts_with("not sandboxed")) {
                writeln!(self.out, "{ERROR}warning: {line}{ERROR:#}")?;
            }
        }
        if self.current_lab.as_deref() != Some(&r.lab) {
            let title = self.lab_titles.iter().find(|(lab, _)| *lab == r.lab).map(|(_, t)| t.as_str()).unwrap_or("");
            let gap = if self.current_lab.is_some() { "\n" } else { "" };
            writeln!(self.out, "{gap}{BOLD}{}{BOLD:#}: {title}", r.lab)?;
            self.current_lab = Some(r.lab.clone());
        }
        let (face, style) = match r.status {
            Status::Pass => (":)", PASS),
            Status::Fail | Status::Timeout => (":(", FAIL),
            Status::Skipped => (":|", SKIP),
            Status::Error => (":/", ERROR),
        };
        // A check worth nothing (a server's gate, `LAB/ROLE-starts`) shows no score.
        let points = if r.max_points == 0 { "-".to_string() } else { format!("{}/{}", r.points, r.max_points) };
        writeln!(self.out, "  {style}{face}{style:#} {:<w$}  {points:>5}  {}", r.id, r.name, w = self.id_width)?;
        let pad = "       ";
        if let Some(failure) = &r.failure {
            self.failure(failure, r.status, pad)?;
        } else if let Some(message) = &r.message {
            let style = if r.hidden { DIM } else { SKIP };
            writeln!(self.out, "{pad}{style}{message}{style:#}")?;
        }
        // A hidden check shows its name, status and points only (grading.toml).
        if (r.status.failed() || r.status == Status::Error) && !r.hidden {
            writeln!(self.out, "{pad}{DIM}run only this check: {}{DIM:#}", (self.reproduce)(&r.id))?;
            if r.status.failed() {
                writeln!(self.out, "{pad}{DIM}learn more: {}{DIM:#}", (self.hooks.learn_more)(r))?;
            }
        }
        if self.verbose && !r.transcript.is_empty() {
            writeln!(self.out, "{pad}{DIM}transcript:{DIM:#}")?;
            for event in &r.transcript {
                let line = event.render();
                for (i, part) in line.lines().enumerate() {
                    let lead = if i == 0 { format!("{:>6}ms ", event.at_ms) } else { " ".repeat(9) };
                    writeln!(self.out, "{pad}  {DIM}{lead}{DIM:#}{part}")?;
                }
            }
        }
        Ok(())
    }

    fn failure(&mut self, f: &Failure, status: Status, pad: &str) -> io::Result<()> {
        let style = if status == Status::Error { ERROR } else { FAIL };
        let label = match status {
            Status::Timeout => "timeout: ",
            Status::Error => "grader error (not your fault): ",
            Status::Skipped => "skipped: ",
            _ => "",
        };
        writeln!(self.out, "{pad}{style}{label}{}{style:#}", f.summary)?;
        let field = |name: &str, value: &Option<String>| value.as_ref().map(|v| (name.to_string(), v.clone()));
        let fields = [field("sent", &f.sent), field("expected", &f.expected), field("got", &f.got)];
        for (name, value) in fields.into_iter().flatten() {
            self.block(pad, &format!("{name}:"), &value)?;
        }
        for detail in &f.details {
            self.block(pad, "", detail)?;
        }
        if let Some(hint) = &f.hint {
            writeln!(self.out, "{pad}{BOLD}hint:{BOLD:#} {hint}")?;
        }
        Ok(())
    }

    /// A labelled value; values of several lines are indented under their label.
    fn block(&mut self, pad: &str, label: &str, value: &str) -> io::Result<()> {
        let mut lines = value.lines();
        let first = lines.next().unwrap_or("");
        if label.is_empty() {
            writeln!(self.out, "{pad}{first}")?;
        } else {
            writeln!(self.out, "{pad}{label:<9} {first}")?;
        }
        for line in lines {
            writeln!(self.out, "{pad}          {line}")?;
        }
        Ok(())
    }

    /// The closing score line and the run's notes.
    pub fn finish(&mut self, report: &Report) -> io::Result<()> {
        let style = if report.succeeded() { PASS } else { FAIL };
        let mut counts = vec![format!("{} passed", report.passed)];
        for (n, what) in [(report.failed, "failed"), (report.skipped, "skipped"), (report.errors, "grader errors")] {
            if n > 0 {
                counts.push(format!("{n} {what}"));
            }
        }
        writeln!(
            self.out,
            "\n{style}score: {}/{}{style:#}  ({}) in {:.2} s",
            report.score,
            report.max_score,
            counts.join(", "),
            report.duration_ms as f64 / 1000.0
        )?;
        if let Some(min) = report.min_score {
            let verdict = if report.score >= min { "reached" } else { "not reached" };
            writeln!(self.out, "{style}passing score: {min} ({verdict}){style:#}")?;
        }
        for note in &report.notes {
            writeln!(self.out, "{DIM}note: {note}{DIM:#}")?;
        }
        if !report.all_passed() {
            writeln!(
                self.out,
                "{DIM}seed: {} (add --seed {} to repeat this run exactly){DIM:#}",
                report.seed, report.seed
            )?;
        }
        self.out.flush()
    }
}
