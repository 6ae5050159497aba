//! The course's commands for submissions of loose files (`grader batch --roles
//! FILE`): which command plays each role, in any language, as `--cmd` would give it.
//!
//! ```toml
//! hello-server = "python3 hello_server.py"
//! # Alternatives: the first whose file the submission has is used.
//! hello-client = ["python3 hello_client.py", "java HelloClient.java"]
//! ```
//!
//! Words naming files are relative to the submission's folder. A role whose file is
//! not in a submission fails its checks with "not submitted", like a lab that does
//! not compile; the rest of that submission is graded as usual.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{bail, Context, Result};
use serde::Deserialize;

use crate::programs;
use harness::outcome::{Failure, FailureKind};
use harness::Launcher;
use labs::registry::{labs, Lab};

/// A loaded mapping.
#[derive(Debug)]
pub struct RoleMap {
    /// Where it came from, for messages.
    pub file: String,
    roles: BTreeMap<String, Vec<String>>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum Commands {
    One(String),
    Alternatives(Vec<String>),
}

impl RoleMap {
    pub fn load(path: &Path) -> Result<RoleMap> {
        let text = std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
        RoleMap::parse(&text, &path.display().to_string())
            .with_context(|| format!("{} is not a valid role mapping (docs/batch.md)", path.display()))
    }

    pub fn parse(text: &str, file: &str) -> Result<RoleMap> {
        let table: BTreeMap<String, Commands> = toml::from_str(text)?;
        let known: Vec<&str> = labs().iter().flat_map(|lab| lab.roles.iter().map(|r| r.name)).collect();
        let mut roles = BTreeMap::new();
        for (role, commands) in table {
            if !known.contains(&role.as_str()) {
                bail!("there is no role {role:?}; roles are: {}", known.join(", "));
            }
            let commands = match commands {
                Commands::One(command) => vec![command],
                Commands::Alternatives(commands) => commands,
            };
            if commands.is_empty() || commands.iter().any(|c| c.trim().is_empty()) {
                bail!("{role}: a command is empty");
            }
            for command in &commands {
                shell_words::split(command).with_context(|| format!("{role}: cannot split {command:?}"))?;
            }
            roles.insert(role, commands);
        }
        Ok(RoleMap { file: file.to_string(), roles })
    }

    /// The Python track's mapping, from the registry: each role's file where a
    /// checkout of the course has it (`labs/LAB/python/FILE`), else at the top of the
    /// submission (`FILE`), run with python3.
    pub fn python() -> RoleMap {
        let mut roles = BTreeMap::new();
        for lab in labs() {
            for role in lab.roles {
                let file = labs::registry::python_file(role.name).expect("every role has a Python file");
                let commands = vec![format!("python3 {}/{file}", lab.python_dir("labs")), format!("python3 {file}")];
                roles.insert(role.name.to_string(), commands);
            }
        }
        RoleMap { file: "the Python track".to_string(), roles }
    }

    /// The roles of `lab` that have no command here.
    pub fn missing(&self, lab: &Lab) -> Vec<&'static str> {
        lab.roles.iter().map(|r| r.name).filter(|role| !self.roles.contains_key(*role)).collect()
    }

    /// The labs every role of which has a command.
    pub fn complete_labs(&self) -> Vec<&'static Lab> {
        labs().iter().copied().filter(|lab| self.missing(lab).is_empty()).collect()
    }

    /// The program of `role` in the submission at `dir`, with the command as the
    /// course gives it (for the report), or why there is none.
    pub fn launcher(&self, role: &str, dir: &Path) -> (Result<Launcher, Failure>, Option<String>) {
        let Some(commands) = self.roles.get(role) else {
            let failure = Failure::grader(format!("the role mapping {} has no command for {role}", self.file));
            return (Err(failure), None);
        };
        let files = |command: &str| -> Vec<String> {
            let words = shell_words::split(command).unwrap_or_default();
            let mut named: Vec<String> = words.iter().skip(1).filter(|w| names_file(w)).cloned().collect();
            if words.first().is_some_and(|program| program.contains('/')) {
                named.insert(0, words[0].clone());
            }
            named
        };
        // The first command whose files are all there; else the first that names none
        // (a program on PATH with options only).
        let chosen = commands
            .iter()
            .find(|c| {
                let named = files(c);
                !named.is_empty() && named.iter().all(|f| dir.join(f).is_file())
            })
            .or_else(|| commands.iter().find(|c| files(c).is_empty()));
        let Some(command) = chosen else {
            let wanted: Vec<String> = commands.iter().map(|c| files(c).join(" and ")).collect();
            let failure = Failure::new(FailureKind::BuildFailed, format!("{role} was not submitted"))
                .detail(format!(
                    "the course runs {role} as {}; the submission has no {}",
                    commands.iter().map(|c| format!("`{c}`")).collect::<Vec<_>>().join(" or "),
                    wanted.join(", nor ")
                ))
                .with_hint(format!("name the file of {role} as the handout does, at the top of the submission"));
            return (Err(failure), None);
        };
        let program = shell_words::split(command).unwrap_or_default().into_iter().next().unwrap_or_default();
        if !program.contains('/') && which::which(&program).is_err() {
            let failure = Failure::grader(format!("{role}: {program} is not on this machine's PATH ({})", self.file));
            return (Err(failure), Some(format!("{role}={command}")));
        }
        let roles: Vec<&str> = self.roles.keys().map(String::as_str).collect();
        match programs::parse_cmd(&format!("{role}={command}"), dir, &roles) {
            // The submission's folder, read whole: its programs may use its other files.
            Ok(cmd) => {
                (Ok(Launcher { visible: Some(dir.to_path_buf()), ..cmd.launcher }), Some(format!("{role}={command}")))
            }
            Err(e) => {
                let failure = Failure::new(FailureKind::BuildFailed, format!("{role} cannot be started"))
                    .detail(format!("{e:#}"))
                    .with_hint("a program run by path must be executable: chmod +x it");
                (Err(failure), Some(format!("{role}={command}")))
            }
        }
    }
}

/// Whether a word of a command names a file of the submission (`hello_server.py`,
/// `src/Main.java`), rather than an option, a plain word or a folder (`-cp .`).
fn names_file(word: &str) -> bool {
    let folder = word.trim_end_matches('/').chars().all(|c| c == '.');
    !folder && !word.starts_with('-') && !word.contains('=') && (word.contains('.') || word.contains('/'))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dir_with(files: &[&str]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        for file in files {
            std::fs::write(dir.path().join(file), "").unwrap();
        }
        dir
    }

    #[test]
    fn the_first_alternative_whose_files_exist_is_used() {
        let map = RoleMap::parse(
            "hello-server = [\"sh server.sh --fast\", \"sh hello_server.sh\"]\nhello-client = \"sh client.sh\"\n",
            "roles.toml",
        )
        .unwrap();
        let dir = dir_with(&["hello_server.sh"]);
        let (launcher, command) = map.launcher("hello-server", dir.path());
        let launcher = launcher.unwrap();
        assert_eq!(launcher.args, [dir.path().join("hello_server.sh").to_string_lossy()]);
        assert_eq!(command.as_deref(), Some("hello-server=sh hello_server.sh"));
        let (missing, _) = map.launcher("hello-client", dir.path());
        let failure = missing.unwrap_err();
        assert_eq!(failure.summary, "hello-client was not submitted");
        assert!(failure.details[0].contains("no client.sh"), "{failure:?}");
    }

    #[test]
    fn the_python_track_finds_a_checkout_or_loose_files() {
        let map = RoleMap::python();
        assert_eq!(map.complete_labs().len(), labs().len());
        let loose = dir_with(&["DateServer.py"]);
        let (launcher, command) = map.launcher("date-server", loose.path());
        if which::which("python3").is_ok() {
            assert_eq!(launcher.unwrap().args, [loose.path().join("DateServer.py").to_string_lossy()]);
        }
        assert_eq!(command.as_deref(), Some("date-server=python3 DateServer.py"));
        let checkout = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(checkout.path().join("labs/date/python")).unwrap();
        std::fs::write(checkout.path().join("labs/date/python/DateServer.py"), "").unwrap();
        let (_, command) = map.launcher("date-server", checkout.path());
        assert_eq!(command.as_deref(), Some("date-server=python3 labs/date/python/DateServer.py"));
    }

    #[test]
    fn a_class_path_is_not_a_file() {
        assert!(!names_file(".") && !names_file("../") && !names_file("-cp") && !names_file("HelloServer"));
        assert!(names_file("HelloServer.java") && names_file("bin/server"));
    }

    #[test]
    fn a_mapping_names_only_real_roles_and_lists_complete_labs() {
        let error = RoleMap::parse("helo-server = \"x\"\n", "roles.toml").unwrap_err().to_string();
        assert!(error.contains("no role \"helo-server\""), "{error}");
        let map = RoleMap::parse("logging-date-server = \"python3 server.py\"\n", "r").unwrap();
        let labs: Vec<&str> = map.complete_labs().iter().map(|l| l.name).collect();
        assert_eq!(labs, ["logging"]);
    }
}
