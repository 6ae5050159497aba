//! Programs found before `grader test` runs: `grader batch` builds each Rust submission
//! in its shared build, or maps a folder of loose files to commands, and hands the
//! result to `grader test --programs FILE`, which then builds nothing.
//!
//! Each role has a program to launch or the reason it has none (its lab did not
//! compile, its file was not submitted), which that role's checks report as their
//! failure, exactly as for a lab that does not build under `grader test`.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};

use harness::outcome::Failure;
use harness::Launcher;

/// The file `--programs` reads.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct Programs {
    /// Each role's program, or why it cannot be launched.
    pub roles: BTreeMap<String, Result<Program, Failure>>,
    /// `ROLE=COMMAND` as a student would give them with `--cmd`, for the report and
    /// the command that repeats a check (none for Rust programs, which `cargo grade`
    /// builds itself).
    pub commands: Vec<String>,
}

/// A [`Launcher`], as it is written to the file.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Program {
    pub program: String,
    pub args: Vec<String>,
    pub shown: String,
    #[serde(default)]
    pub visible: Option<std::path::PathBuf>,
}

impl From<Launcher> for Program {
    fn from(l: Launcher) -> Program {
        Program { program: l.program, args: l.args, shown: l.shown, visible: l.visible }
    }
}

impl From<Program> for Launcher {
    fn from(p: Program) -> Launcher {
        Launcher { program: p.program, args: p.args, shown: p.shown, visible: p.visible }
    }
}

impl Programs {
    pub fn load(path: &Path) -> Result<Programs> {
        let text = std::fs::read(path).with_context(|| format!("cannot read --programs {}", path.display()))?;
        serde_json::from_slice(&text).with_context(|| format!("--programs {} is not a programs file", path.display()))
    }

    /// The launchers, as `grader test` uses them.
    pub fn launchers(&self) -> HashMap<String, Result<Launcher, Failure>> {
        self.roles.iter().map(|(role, program)| (role.clone(), program.clone().map(Launcher::from))).collect()
    }
}
