//! Where reports go: `--format NAME[=FILE]` (repeatable) and `--output FILE`, checked
//! before the run so that a path that cannot be written is found at once, and each
//! file written whole or not at all.
//!
//! Rules: a format without `=FILE` goes to `--output` when there is one, else to
//! stdout; at most one machine format takes stdout; the human report shows on the
//! terminal unless a machine format took it (`github` annotations share it, since the
//! Actions runner reads them from any line of the log).

use std::fmt;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::rc::Rc;

use anyhow::{bail, Context, Result};

use crate::formats::gradescope::Gradescope;
use crate::formats::{budget, classroom, github, gradescope, html, junit, prairielearn, tap};
use crate::human::{Hooks, Human};
use crate::report::Report;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Human,
    Json,
    Junit,
    Gradescope,
    Prairielearn,
    Github,
    Classroom,
    Tap,
    Html,
}

const FORMATS: [(Format, &str); 9] = [
    (Format::Human, "human"),
    (Format::Json, "json"),
    (Format::Junit, "junit"),
    (Format::Gradescope, "gradescope"),
    (Format::Prairielearn, "prairielearn"),
    (Format::Github, "github"),
    (Format::Classroom, "classroom"),
    (Format::Tap, "tap"),
    (Format::Html, "html"),
];

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = FORMATS.iter().find(|(format, _)| format == self).map(|(_, name)| *name).unwrap_or("?");
        f.write_str(name)
    }
}

/// One `--format NAME[=FILE]`.
#[derive(Clone, Debug)]
pub struct FormatArg {
    pub format: Format,
    pub path: Option<PathBuf>,
}

/// Parses `NAME` or `NAME=FILE` (`-` is stdout).
pub fn parse_format(text: &str) -> Result<FormatArg, String> {
    let (name, path) = match text.split_once('=') {
        Some((name, "")) => return Err(format!("{name}= names no file; give {name}=FILE")),
        Some((name, path)) => (name, Some(PathBuf::from(path))),
        None => (text, None),
    };
    let names: Vec<&str> = FORMATS.iter().map(|(_, name)| *name).collect();
    match FORMATS.iter().find(|(_, n)| *n == name.trim().to_ascii_lowercase()) {
        Some((format, _)) => Ok(FormatArg { format: *format, path: path.filter(|p| p != Path::new("-")) }),
        None => Err(format!("{name:?} is not a format; formats are: {}", names.join(", "))),
    }
}

/// The files of the CI runner that steps write to, read once and taken out of the
/// environment, so that no program the grader starts (cargo, build scripts, the
/// student's programs) inherits them and writes a step output or summary of its own.
#[derive(Clone, Debug, Default)]
pub struct CiFiles {
    pub step_summary: Option<PathBuf>,
    pub output: Option<PathBuf>,
}

/// The runner's file commands and tokens that the student's programs must not see.
const WITHHELD_FROM_PROGRAMS: [&str; 8] = [
    "GITHUB_STEP_SUMMARY",
    "GITHUB_OUTPUT",
    "GITHUB_ENV",
    "GITHUB_PATH",
    "GITHUB_STATE",
    "GITHUB_TOKEN",
    "ACTIONS_ID_TOKEN_REQUEST_TOKEN",
    "ACTIONS_ID_TOKEN_REQUEST_URL",
];

impl CiFiles {
    /// Reads and removes them; call before the grader starts any program.
    pub fn take() -> CiFiles {
        let get = |name: &str| std::env::var_os(name).filter(|v| !v.is_empty()).map(PathBuf::from);
        let files = CiFiles { step_summary: get("GITHUB_STEP_SUMMARY"), output: get("GITHUB_OUTPUT") };
        for name in WITHHELD_FROM_PROGRAMS {
            std::env::remove_var(name);
        }
        files
    }
}

enum Dest {
    Stdout,
    File(OutputFile),
}

struct Target {
    format: Format,
    dest: Dest,
}

/// Every report this run writes, and where.
pub struct Plan {
    targets: Vec<Target>,
}

/// What the human report needs besides the results.
pub struct HumanOptions {
    /// Show each check's transcript (`-v`).
    pub verbose: bool,
    /// Each lab's name and title, for the line above its checks.
    pub lab_titles: Vec<(String, String)>,
    /// The command that runs one check again, given its id.
    pub reproduce: Rc<dyn Fn(&str) -> String>,
    /// What the report asks of the grader (the sandbox's line, where to learn more).
    pub hooks: Hooks,
}

impl HumanOptions {
    fn human<W: Write>(&self, out: W, report: &Report) -> Human<W> {
        let reproduce = self.reproduce.clone();
        let reproduce = Box::new(move |id: &str| reproduce(id));
        Human::new(out, self.verbose, id_width(report), self.lab_titles.clone(), reproduce, self.hooks)
    }
}

impl Plan {
    /// Checks the formats and creates their files (as temporary files beside them).
    pub fn new(args: &[FormatArg], output: Option<&Path>) -> Result<Plan> {
        let mut args = args.to_vec();
        if args.is_empty() {
            args.push(FormatArg { format: Format::Human, path: None });
        }
        let pathless = args.iter().filter(|a| a.path.is_none()).count();
        let mut targets = Vec::new();
        let mut seen: Vec<PathBuf> = Vec::new();
        for arg in &args {
            let (path, flag) = match (&arg.path, output) {
                (Some(path), _) => (Some(path.clone()), format!("--format {}={}", arg.format, path.display())),
                (None, Some(output)) if pathless == 1 => {
                    (Some(output.to_path_buf()), format!("--output {}", output.display()))
                }
                (None, Some(_)) => bail!(
                    "--output names one file, but {pathless} formats have none: give each its own, as --format junit=junit.xml"
                ),
                (None, None) => (None, String::new()),
            };
            let dest = match path {
                Some(path) => {
                    if seen.contains(&path) {
                        bail!("two reports would go to {}: give each format its own file", path.display());
                    }
                    seen.push(path.clone());
                    Dest::File(OutputFile::create(&path, &flag)?)
                }
                None => Dest::Stdout,
            };
            targets.push(Target { format: arg.format, dest });
        }
        let on_stdout: Vec<Format> = targets
            .iter()
            .filter(|t| matches!(t.dest, Dest::Stdout) && t.format != Format::Github)
            .map(|t| t.format)
            .collect();
        if on_stdout.len() > 1 {
            let names: Vec<String> = on_stdout.iter().map(Format::to_string).collect();
            bail!(
                "{} would all go to stdout: give all but one a file, as --format {}=FILE",
                names.join(" and "),
                names[1]
            );
        }
        Ok(Plan { targets })
    }

    /// Whether the human report is shown on the terminal (stdout).
    pub fn human_on_terminal(&self) -> bool {
        !self
            .targets
            .iter()
            .any(|t| matches!(t.dest, Dest::Stdout) && !matches!(t.format, Format::Human | Format::Github))
    }

    /// Writes every report. `human_shown` says the human report is already on the
    /// terminal (the test run shows it check by check as they finish).
    pub fn write(
        self,
        report: &Report,
        gradescope: &Gradescope,
        ci: &CiFiles,
        human: HumanOptions,
        human_shown: bool,
    ) -> Result<()> {
        if self.human_on_terminal() && !human_shown {
            write_human(&mut human.human(anstream::stdout(), report), report)?;
        }
        // Every format but the JSON record within a size budget per check (the
        // terminal, above, shows everything: -v is asked for).
        let full = report;
        let capped = budget::cap(report);
        let report = &capped;
        for target in self.targets {
            let bytes = match target.format {
                Format::Human => match target.dest {
                    Dest::Stdout => continue,
                    Dest::File(_) => {
                        let mut text = Vec::new();
                        write_human(&mut human.human(anstream::StripStream::new(&mut text), report), report)?;
                        text
                    }
                },
                Format::Json => (serde_json::to_string_pretty(full)? + "\n").into_bytes(),
                Format::Junit => junit::render(report)?.into_bytes(),
                Format::Gradescope => gradescope::render(report, gradescope)?.into_bytes(),
                Format::Prairielearn => prairielearn::render(report)?.into_bytes(),
                Format::Tap => tap::render(report).into_bytes(),
                Format::Html => html::render(report, &*human.reproduce).into_bytes(),
                Format::Github => {
                    if let Some(path) = &ci.step_summary {
                        append(path, github::summary(report).as_bytes(), "GITHUB_STEP_SUMMARY")?;
                    }
                    github::annotations(report).into_bytes()
                }
                Format::Classroom => {
                    let encoded = classroom::encoded(report)?;
                    if let Some(path) = &ci.output {
                        append(path, format!("result={encoded}\n").as_bytes(), "GITHUB_OUTPUT")?;
                    }
                    (encoded + "\n").into_bytes()
                }
            };
            match target.dest {
                Dest::Stdout => {
                    let mut stdout = std::io::stdout().lock();
                    stdout.write_all(&bytes)?;
                    stdout.flush()?;
                }
                Dest::File(file) => {
                    let path = file.path.clone();
                    file.write(&bytes)?;
                    if target.format == Format::Html {
                        // A page to open: say where it is (stderr, beside the human report).
                        let shown = std::fs::canonicalize(&path).unwrap_or(path);
                        eprintln!("HTML report: {}", shown.display());
                    }
                }
            }
        }
        Ok(())
    }
}

fn write_human<W: Write>(out: &mut Human<W>, report: &Report) -> Result<()> {
    for check in &report.checks {
        out.check(check)?;
    }
    out.finish(report)?;
    Ok(())
}

pub fn id_width(report: &Report) -> usize {
    report.checks.iter().map(|c| c.id.len()).max().unwrap_or(0)
}

/// Appends to a file the CI runner reads after the step (it may already hold lines of
/// other steps).
fn append(path: &Path, bytes: &[u8], variable: &str) -> Result<()> {
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .with_context(|| format!("cannot write ${variable} ({})", path.display()))?;
    file.write_all(bytes).with_context(|| format!("cannot write ${variable} ({})", path.display()))
}

/// A report file, written whole or not at all: a temporary file in the same folder,
/// renamed into place at the end.
struct OutputFile {
    path: PathBuf,
    flag: String,
    temp: tempfile::NamedTempFile,
}

impl OutputFile {
    fn create(path: &Path, flag: &str) -> Result<OutputFile> {
        let dir = match path.parent() {
            Some(dir) if !dir.as_os_str().is_empty() => dir,
            _ => Path::new("."),
        };
        let temp = tempfile::NamedTempFile::new_in(dir).with_context(|| format!("cannot write {flag}"))?;
        // A report is for others to read (CI's upload step, a TA, a web server): not
        // the 0600 of a temporary file.
        let readable = <std::fs::Permissions as std::os::unix::fs::PermissionsExt>::from_mode(0o644);
        temp.as_file().set_permissions(readable).with_context(|| format!("cannot write {flag}"))?;
        Ok(OutputFile { path: path.to_path_buf(), flag: flag.to_string(), temp })
    }

    fn write(mut self, bytes: &[u8]) -> Result<()> {
        self.temp.write_all(bytes)?;
        self.temp.persist(&self.path).with_context(|| format!("cannot write {}", self.flag))?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_files_parse() {
        let arg = parse_format("junit=out/junit.xml").unwrap();
        assert_eq!((arg.format, arg.path.as_deref()), (Format::Junit, Some(Path::new("out/junit.xml"))));
        assert_eq!(parse_format("json=-").unwrap().path, None, "- is stdout");
        assert!(parse_format("xml").unwrap_err().contains("formats are: human, json, junit"));
        assert!(parse_format("tap=").unwrap_err().contains("tap=FILE"));
    }

    #[test]
    fn at_most_one_machine_format_takes_stdout() {
        let args = |texts: &[&str]| texts.iter().map(|t| parse_format(t).unwrap()).collect::<Vec<_>>();
        let error = Plan::new(&args(&["json", "tap"]), None).err().unwrap().to_string();
        assert!(error.contains("json and tap would all go to stdout"), "{error}");
        let plan = Plan::new(&args(&["github"]), None).unwrap();
        assert!(plan.human_on_terminal(), "annotations share the terminal with the human report");
        assert!(!Plan::new(&args(&["json"]), None).unwrap().human_on_terminal());
        let error = Plan::new(&args(&["json", "tap"]), Some(Path::new("x"))).err().unwrap().to_string();
        assert!(error.contains("--output names one file"), "{error}");
    }

    /// A report lands whole, readable by others (not a temporary file's 0600).
    #[test]
    fn report_files_are_written_whole_and_readable() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("report.xml");
        OutputFile::create(&path, "--format junit=report.xml").unwrap().write(b"<testsuites/>").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"<testsuites/>");
        assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o644);
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1, "no temporary file left beside it");
    }
}
