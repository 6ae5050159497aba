//! `grader template DIR`: the course as a student gets it, in a new folder: the labs'
//! skeletons, the grader, the handouts and the student's README; no solutions/, no
//! tests/, no instructors' tools. Its Cargo.toml names only what is there (no profile
//! of a `*-solution` package, no lock entry of one), and `grader explain` there shows
//! the reference solution's run of each check, recorded here ([`explain::RECORDED`]).
//!
//! `--python` makes a Python course's template: grading.toml's `track = "python"`,
//! the Python skeletons (`labs/LAB/python/`) and no Rust ones.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use clap::Args;

use crate::explain::{self, RECORDED};
use crate::grading::{Grading, DEFAULT_FILE};
use crate::programs::Track;
use crate::workspace::find_root;
use harness::deadline::Timeouts;
use labs::registry::labs;

/// The student's README, kept with the course's other templates.
const README: &str = "template/student/README.md";

/// Files and folders copied as they are, when the course has them.
const COPIED: &[&str] =
    &[".cargo/config.toml", ".gitignore", "rustfmt.toml", "Cargo.lock", "book.toml", "grader", "docs"];

/// Never copied, wherever they are: build output, the built book, Python's caches.
const SKIPPED: &[&str] = &["target", "book", "__pycache__", ".git"];

#[derive(Args)]
pub struct TemplateArgs {
    /// The folder to write the template to: new, or empty.
    #[arg(value_name = "DIR")]
    dir: PathBuf,
    /// A course taught in Python: the Python skeletons only, and grading.toml's
    /// `track = "python"`.
    #[arg(long)]
    python: bool,
    /// Multiply every deadline of the reference run it records, for a slow machine.
    #[arg(long, value_name = "FACTOR", default_value_t = 1.0)]
    timeout_scale: f64,
    /// Where the reference run happens (as for `grader test`).
    #[arg(long, value_enum, default_value_t = crate::inner::Net::Auto)]
    net: crate::inner::Net,
}

pub fn run(args: &TemplateArgs, root: Option<&Path>) -> Result<ExitCode> {
    let root = find_root(root)?;
    if !root.join("solutions").is_dir() {
        bail!(
            "{} has no solutions/: it is a student's copy already; make a template from the course's own repository",
            root.display()
        );
    }
    let cwd = std::env::current_dir()?;
    let dest = cwd.join(&args.dir);
    // Anywhere but inside what is copied (target/ is never copied: the tests make
    // their template there, beside the builds they share).
    if dest.starts_with(&root) && !dest.starts_with(root.join("target")) {
        bail!("{} is inside the course: choose a folder outside {}", args.dir.display(), root.display());
    }
    if dest.read_dir().is_ok_and(|mut entries| entries.next().is_some()) {
        bail!("{} is not empty: choose a new folder", args.dir.display());
    }
    let track = Track::choose(args.python, Grading::find(None, &root)?.track);
    let readme = std::fs::read_to_string(root.join(README)).with_context(|| format!("cannot read {README}"))?;

    for path in COPIED {
        let from = root.join(path);
        if from.exists() {
            copy(&from, &dest.join(path))?;
        }
    }
    // A lab of --labs DIR is the instructor's own, not the course's.
    for lab in labs().iter().filter(|lab| !lab.is_external()) {
        match track {
            Track::Rust => copy(&root.join("labs").join(lab.name), &dest.join("labs").join(lab.name))?,
            Track::Python => {
                copy(&root.join(lab.python_dir("labs")), &dest.join(lab.python_dir("labs")))?;
                // A lab written as data is graded from its lab.toml.
                let file = Path::new("labs").join(lab.name).join(labs::labdata::FILE);
                if root.join(&file).is_file() {
                    copy(&root.join(&file), &dest.join(&file))?;
                }
            }
        }
    }
    // Labs outside the registry (calc-gui, a window the grader does not grade) are
    // Rust crates of the Rust track.
    if track == Track::Rust {
        for entry in std::fs::read_dir(root.join("labs"))? {
            let entry = entry?;
            if !dest.join("labs").join(entry.file_name()).exists() {
                copy(&entry.path(), &dest.join("labs").join(entry.file_name()))?;
            }
        }
    }
    write(&dest.join("Cargo.toml"), &manifest(&root, &dest, track)?)?;
    write(&dest.join("README.md"), &student_readme(&readme, track))?;
    let grading_text = std::fs::read_to_string(root.join(DEFAULT_FILE)).ok();
    if let Some(text) = grading_file(grading_text.as_deref(), track) {
        write(&dest.join(DEFAULT_FILE), &text)?;
    }
    prune_lock(&dest)?;

    // What `grader explain` shows there: the template's grading.toml decides what is
    // hidden, so a hidden check's transcript never reaches the students.
    let grading = Grading::find(None, &dest)?;
    let timeouts = Timeouts::scaled(args.timeout_scale.clamp(0.1, 100.0));
    let recorded = explain::record(&root, track, &grading, timeouts, args.net)?;
    let failed: Vec<&str> =
        recorded.checks.iter().filter(|c| c.status != report::Status::Pass).map(|c| c.id.as_str()).collect();
    if !failed.is_empty() {
        eprintln!(
            "grader: warning: the reference solutions did not pass {} on this machine; `explain` shows those runs as they went",
            failed.join(", ")
        );
    }
    write(&dest.join(RECORDED), &serde_json::to_string(&recorded)?)?;

    let track_name = if track == Track::Python { "Python" } else { "Rust" };
    println!("wrote the student template ({track_name} track) to {}", args.dir.display());
    println!("  try it:   cd {} && cargo grade hello", args.dir.display());
    println!(
        "  publish:  git init, commit, push, and mark it a template repository (docs/platforms/github-classroom.md)"
    );
    Ok(ExitCode::SUCCESS)
}

/// The template's Cargo.toml: the course's, with members and per-package profiles
/// narrowed to the packages the template has (a profile of a missing package makes
/// cargo warn on every build).
fn manifest(root: &Path, dest: &Path, track: Track) -> Result<String> {
    let text = std::fs::read_to_string(root.join("Cargo.toml")).context("cannot read Cargo.toml")?;
    let mut manifest: toml::Table = text.parse().context("Cargo.toml is not TOML")?;
    let Some(workspace) = manifest.get_mut("workspace").and_then(toml::Value::as_table_mut) else {
        bail!("Cargo.toml has no [workspace]");
    };
    // The grader and its crates (grader/harness, grader/labs, grader/report), as the
    // course lists them; the Rust track's skeletons too.
    let listed = workspace.get("members").and_then(toml::Value::as_array).cloned().unwrap_or_default();
    let mut members: Vec<&str> =
        listed.iter().filter_map(toml::Value::as_str).filter(|m| *m == "grader" || m.starts_with("grader/")).collect();
    if !members.contains(&"grader") {
        members.insert(0, "grader");
    }
    if track == Track::Rust {
        members.push("labs/*");
    }
    workspace.insert("members".into(), toml::Value::Array(members.iter().map(|m| toml::Value::from(*m)).collect()));
    let packages = packages(dest, &members)?;
    if let Some(profiles) = manifest.get_mut("profile").and_then(toml::Value::as_table_mut) {
        for (_, profile) in profiles.iter_mut() {
            let Some(profile) = profile.as_table_mut() else { continue };
            if let Some(per_package) = profile.get_mut("package").and_then(toml::Value::as_table_mut) {
                per_package.retain(|name, _| name == "*" || packages.iter().any(|p| p == name));
                if per_package.is_empty() {
                    profile.remove("package");
                }
            }
        }
        profiles.retain(|_, profile| profile.as_table().is_none_or(|t| !t.is_empty()));
        if profiles.is_empty() {
            manifest.remove("profile");
        }
    }
    let header = "# The student's copy of socket-labs, made by `cargo grader template` from the course's\n\
                  # repository: the labs' skeletons and the grader, without the reference solutions.\n\n";
    Ok(format!("{header}{}", toml::to_string_pretty(&manifest)?))
}

/// The package names of the workspace members (`dir` or `dir/*`) under `dest`.
fn packages(dest: &Path, members: &[&str]) -> Result<Vec<String>> {
    let mut dirs = Vec::new();
    for member in members {
        match member.strip_suffix("/*") {
            Some(parent) => {
                for entry in std::fs::read_dir(dest.join(parent))? {
                    dirs.push(entry?.path());
                }
            }
            None => dirs.push(dest.join(member)),
        }
    }
    let mut names = Vec::new();
    for dir in dirs {
        let Ok(text) = std::fs::read_to_string(dir.join("Cargo.toml")) else { continue };
        let manifest: toml::Table = text.parse().with_context(|| format!("{}/Cargo.toml", dir.display()))?;
        if let Some(name) = manifest.get("package").and_then(|p| p.get("name")).and_then(toml::Value::as_str) {
            names.push(name.to_string());
        }
    }
    Ok(names)
}

/// The student's README: the template with the track's words filled in.
fn student_readme(template: &str, track: Track) -> String {
    let (files, example, grade_other) = match track {
        Track::Rust => (
            "`labs/LAB/src/bin/PROGRAM.rs`, one file per program",
            "labs/hello/src/bin/hello-server.rs",
            "Learning in Python instead? The Python skeletons are in `labs/LAB/python/`; \
             `cargo grade hello --python` grades them.",
        ),
        Track::Python => (
            "`labs/LAB/python/Program.py`, one file per program, run with `python3`",
            "labs/hello/python/HelloServer.py",
            "This course is taught in Python (`track = \"python\"` in `grading.toml`): \
             `cargo grade` runs your `.py` files with `python3`. Rust is needed only for the grader.",
        ),
    };
    template.replace("{{files}}", files).replace("{{example}}", example).replace("{{track}}", grade_other)
}

/// The template's grading.toml: the course's, with `track = "python"` for a Python
/// course (none at all for a Rust course without one).
fn grading_file(course: Option<&str>, track: Track) -> Option<String> {
    match (course, track) {
        (course, Track::Rust) => course.map(str::to_string),
        (course, Track::Python) => {
            let kept: Vec<&str> = course
                .unwrap_or_default()
                .lines()
                .filter(|line| !line.trim_start().starts_with("track") || !line.contains('='))
                .collect();
            let rest = kept.join("\n");
            Some(format!("# This course is taught in Python: `cargo grade` grades labs/LAB/python/.\ntrack = \"python\"\n{}{rest}", if rest.is_empty() { "" } else { "\n" }))
        }
    }
}

/// Cargo.lock narrowed to the template's packages, so that the student's first build
/// does not rewrite it (cargo resolves without changing any version).
fn prune_lock(dest: &Path) -> Result<()> {
    if !dest.join("Cargo.lock").is_file() {
        return Ok(());
    }
    let output = std::process::Command::new(crate::cargo::cargo_program())
        .args(["metadata", "--format-version", "1", "--offline", "--quiet"])
        .current_dir(dest)
        .stdout(std::process::Stdio::null())
        .output()
        .context("cannot run cargo metadata")?;
    if !output.status.success() {
        bail!("cargo metadata in the template failed: {}", String::from_utf8_lossy(&output.stderr).trim());
    }
    Ok(())
}

fn write(path: &Path, text: &str) -> Result<()> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)?;
    }
    std::fs::write(path, text).with_context(|| format!("cannot write {}", path.display()))
}

/// Copies a file, or a folder with everything in it but [`SKIPPED`].
fn copy(from: &Path, to: &Path) -> Result<()> {
    let meta = std::fs::symlink_metadata(from).with_context(|| format!("cannot read {}", from.display()))?;
    if meta.is_dir() {
        std::fs::create_dir_all(to)?;
        for entry in std::fs::read_dir(from)? {
            let entry = entry?;
            let name = entry.file_name();
            if SKIPPED.iter().any(|s| name == *s) || name.to_string_lossy().ends_with(".pyc") {
                continue;
            }
            copy(&entry.path(), &to.join(&name))?;
        }
    } else if meta.is_file() {
        if let Some(parent) = to.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::copy(from, to).with_context(|| format!("cannot copy {} to {}", from.display(), to.display()))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_python_course_gets_its_track_and_keeps_its_rules() {
        let text = "min_percent = 60\ntrack = \"rust\"\n\n[checks.\"hello/*\"]\npoints = 1\n";
        let python = grading_file(Some(text), Track::Python).expect("a grading.toml");
        let parsed: toml::Table = python.parse().expect("TOML");
        assert_eq!(parsed["track"].as_str(), Some("python"));
        assert_eq!(parsed["min_percent"].as_integer(), Some(60));
        assert!(parsed["checks"]["hello/*"].is_table());
        assert!(grading_file(None, Track::Python).expect("one").parse::<toml::Table>().is_ok());
        assert_eq!(grading_file(None, Track::Rust), None);
    }
}
