//! Labs written as data: a folder with a `lab.toml` (the lab's title, roles, word
//! lists, hints, mutants, and its checks as dialogues, run by dialogue.rs). The grader
//! knows no such lab by name: it finds `labs/*/lab.toml` in the workspace and every lab
//! of `--labs DIR`, and grades, lists and explains them as it does its Rust labs.
//! docs/authoring.md is the instructor's guide to the format.
//!
//! A loaded lab is leaked to `&'static` (registry.rs keeps `&'static Lab`s): each lab
//! file is read once per process, so the leak is bounded by the size of the lab files.

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::dialogue::Script;
use crate::labfile::LabFile;
use crate::model::{gate_slug, Check, Lab, Mutant, Role, Run};
use anyhow::{bail, Context, Result};
use harness::sockets::Proto;

/// The file that makes a folder a lab.
pub const FILE: &str = "lab.toml";

/// The warm-up labs, written as data, built into the grader so that it grades them
/// anywhere (a student's template, the Python wheel); a workspace's own
/// `labs/NAME/lab.toml` replaces the built-in one of the same name.
const BUILTIN: &[(&str, &str)] = &[
    ("echo", include_str!("../../../labs/echo/lab.toml")),
    ("upper", include_str!("../../../labs/upper/lab.toml")),
    ("threaded", include_str!("../../../labs/threaded/lab.toml")),
];

/// The folders under `dir` that hold a lab.toml, sorted by name.
pub fn find(dir: &Path) -> Vec<PathBuf> {
    let mut found: Vec<PathBuf> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.join(FILE).is_file())
        .collect();
    found.sort();
    found
}

/// The built-in labs (see `BUILTIN`).
pub fn builtin() -> Result<Vec<&'static Lab>> {
    BUILTIN.iter().map(|(name, text)| parse(text, name, None)).collect()
}

/// Loads the lab in `dir` (its lab.toml).
pub fn load(dir: &Path) -> Result<&'static Lab> {
    let path = dir.join(FILE);
    let text = std::fs::read_to_string(&path).with_context(|| format!("cannot read {}", path.display()))?;
    let folder = dir.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let home = std::path::absolute(dir).unwrap_or_else(|_| dir.to_path_buf());
    parse(&text, &folder, Some(home)).with_context(|| format!("{} is not a valid lab", path.display()))
}

fn leak(s: impl Into<String>) -> &'static str {
    Box::leak(s.into().into_boxed_str())
}

fn leak_slice<T>(v: Vec<T>) -> &'static [T] {
    Box::leak(v.into_boxed_slice())
}

/// Parses and checks one lab file; `folder` names the lab unless the file does.
pub fn parse(text: &str, folder: &str, home: Option<PathBuf>) -> Result<&'static Lab> {
    let file: LabFile = toml::from_str(text)?;
    let name = file.name.clone().unwrap_or_else(|| folder.to_string());
    if name.is_empty() || !name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-') {
        bail!("the lab's name {name:?} must be lowercase letters, digits and -");
    }
    let lab_data: &'static LabFile = Box::leak(Box::new(file));
    // A role is a server when a check starts it (`start = ROLE`): the registry gives it
    // a gate, `ROLE-starts`, that those checks depend on (docs/authoring.md).
    let servers: Vec<&str> = lab_data.checks.iter().flat_map(|c| crate::dialogue::started_roles(&c.steps)).collect();
    let mut checks = Vec::new();
    let mut seen: Vec<&str> = Vec::new();
    for check in &lab_data.checks {
        let context = || format!("check {}", check.slug);
        if seen.contains(&check.slug.as_str()) {
            bail!("two checks are named {}", check.slug);
        }
        for after in &check.after {
            if !seen.contains(&after.as_str()) {
                bail!("check {}: `after` names {after}, which is not an earlier check", check.slug);
            }
        }
        seen.push(&check.slug);
        if check.name.trim().is_empty() || check.points == 0 {
            bail!("check {}: a check needs a name (one sentence) and points", check.slug);
        }
        let run = match (&check.native, check.steps.is_empty()) {
            (Some(id), true) => match crate::checks::NATIVE_CHECKS.iter().find(|(n, _)| n == id) {
                Some((_, f)) => Run::Native(*f),
                None => bail!("check {}: no native check {id} in this grader", check.slug),
            },
            (Some(_), false) => bail!("check {}: either steps or native, not both", check.slug),
            (None, true) => bail!("check {}: no steps", check.slug),
            (None, false) => {
                let script = Script::new(lab_data, check).with_context(context)?;
                Run::Dialogue(Box::leak(Box::new(script)))
            }
        };
        checks.push(Check {
            slug: &check.slug,
            name: &check.name,
            points: check.points,
            run,
            after: leak_slice(check.after.iter().map(|a| a.as_str()).collect()),
            starts: leak_slice(crate::dialogue::started_roles(&check.steps)),
            waits: Duration::from_secs_f64(check.waits.max(0.0)),
        });
    }
    let roles: Vec<Role> = lab_data
        .roles
        .iter()
        .map(|r| Role {
            name: &r.name,
            default_port: r.port,
            python: r.python.as_deref(),
            listens: servers.contains(&r.name.as_str()).then_some(if r.udp { Proto::Udp } else { Proto::Tcp }),
        })
        .collect();
    // The gates the registry adds are checks a mutant may fail too.
    let gates: Vec<String> = roles.iter().filter(|r| r.listens.is_some()).map(|r| gate_slug(r.name)).collect();
    if let Some(slug) = gates.iter().find(|g| seen.contains(&g.as_str())) {
        bail!("check {slug}: that name is the gate the grader adds for a server role; name the check otherwise");
    }
    seen.extend(gates.iter().map(String::as_str));
    let mut mutants = Vec::new();
    for m in &lab_data.mutants {
        if !lab_data.roles.iter().any(|r| r.name == m.role) {
            bail!("a mutant of {}: no such role", m.role);
        }
        if m.bug.is_some() == m.cmd.is_some() {
            bail!("the mutant of {} needs one of bug or cmd", m.role);
        }
        if let Some(slug) = m.fails.iter().find(|s| !seen.contains(&s.as_str())) {
            bail!("a mutant of {} fails {slug}, which is no check of this lab", m.role);
        }
        mutants.push(Mutant {
            role: &m.role,
            bug: m.bug.as_deref(),
            cmd: m.cmd.as_deref(),
            fails: leak_slice(m.fails.iter().map(|s| s.as_str()).collect()),
        });
    }
    Ok(Box::leak(Box::new(Lab {
        name: leak(name),
        title: &lab_data.title,
        roles: leak_slice(roles),
        checks: leak_slice(checks),
        home: home.map(|h| &*Box::leak(h.into_boxed_path())),
        mutants: leak_slice(mutants),
    })))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(steps: &str) -> anyhow::Result<()> {
        let text = format!(
            "title = \"t\"\n[[role]]\nname = \"s\"\nport = 1\n[[check]]\nslug = \"c\"\nname = \"n\"\npoints = 1\nsteps = [{steps}]\n"
        );
        parse(&text, "t", None).map(drop)
    }

    #[test]
    fn a_crowd_is_checked_when_its_lab_is_loaded() {
        let talk = "greet = [{ send = \"hi\" }], steps = [{ send = \"x\" }, { expect = \"y\" }]";
        assert!(load(&format!("{{ start = \"s\" }}, {{ crowd = 8, ladder = [1, 8, 64], rounds = 2, {talk} }}")).is_ok());
        let error = |steps: &str| format!("{:#}", load(steps).unwrap_err());
        assert!(error("{ crowd = 8, ladder = [1, 4] }").contains("the ladder is the crowd's sizes"));
        assert!(error("{ crowd = 8, ladder = [8, 1] }").contains("the ladder is the crowd's sizes"));
        assert!(error("{ crowd = 0 }").contains("one client or more"));
        assert!(error("{ crowd = 2, steps = [{ start = \"s\" }] }").contains("only talk"));
        assert!(error("{ send = \"x\", on_alone = \"h\" }").contains("on_alone belongs to crowd"));
        assert!(error("{ send = \"x\", steps = [] }").contains("steps belong to repeat or crowd"));
    }
}
