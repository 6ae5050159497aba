//! Finding the socket-labs workspace: the folder with labs/, and either the Cargo
//! workspace (Cargo.toml) or, for a course taught in Python, the Python files of a
//! lab (labs/LAB/python/) alone.

use std::path::{Path, PathBuf};

use anyhow::{bail, Result};

use crate::programs::Track;
use labs::registry::labs;

/// How a student runs `grader test` here, for the commands the grader suggests: through
/// cargo's alias in a clone, or the installed command of the Python wheel.
pub const GRADE: &str = if cfg!(feature = "wheel") { "grader test" } else { "cargo grade" };

/// How a student runs the grader's other commands (`list`, `explain`) here.
pub const GRADER: &str = if cfg!(feature = "wheel") { "grader" } else { "cargo grader" };

/// The workspace at or above the current directory, else (for a grader built by cargo,
/// not for the installed wheel, which may have been built on another machine) the one
/// the grader was built in, so that a grader installed with `cargo install` still
/// finds its course.
pub fn find_root(explicit: Option<&Path>) -> Result<PathBuf> {
    if let Some(root) = explicit {
        if is_root(root) {
            return Ok(root.to_path_buf());
        }
        bail!(
            "{} is not a socket-labs workspace (no labs/ there with a Cargo.toml beside it or a labs/LAB/python folder in it)",
            root.display()
        );
    }
    let cwd = std::env::current_dir()?;
    if let Some(root) = cwd.ancestors().find(|dir| is_root(dir)) {
        return Ok(root.to_path_buf());
    }
    match built_in() {
        Some(root) if is_root(&root) => Ok(root),
        _ => bail!(
            "cannot find the socket-labs workspace from {}: run the grader in the folder that holds labs/ (or below it), or pass --root DIR",
            cwd.display()
        ),
    }
}

#[cfg(not(feature = "wheel"))]
fn built_in() -> Option<PathBuf> {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().map(Path::to_path_buf)
}

#[cfg(feature = "wheel")]
fn built_in() -> Option<PathBuf> {
    None
}

/// Whether `root` holds the Cargo workspace, whose Rust programs the Rust track builds.
/// A Python course's workspace need not: its students have no Rust toolchain.
pub fn has_cargo(root: &Path) -> bool {
    root.join("Cargo.toml").is_file()
}

/// The track a workspace implies when neither `--python` nor grading.toml names one: a
/// workspace without Cargo.toml is a Python course's (the grader installed from its
/// wheel, no Rust toolchain), whose programs are the Python files; else none.
pub fn workspace_track(root: &Path) -> Option<Track> {
    (!has_cargo(root)).then_some(Track::Python)
}

fn is_root(dir: &Path) -> bool {
    dir.join("labs").is_dir() && (has_cargo(dir) || has_python_labs(dir))
}

/// Whether some lab of the registry has its Python files under `dir`, as the skeletons
/// (labs/LAB/python) or the references (solutions/LAB/python).
fn has_python_labs(dir: &Path) -> bool {
    labs().iter().any(|lab| ["labs", "solutions"].iter().any(|top| dir.join(lab.python_dir(top)).is_dir()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    #[test]
    fn a_python_course_needs_no_cargo_workspace() {
        let dir = tempfile::tempdir().unwrap();
        fs::create_dir_all(dir.path().join("labs")).unwrap();
        assert!(!is_root(dir.path()), "an empty labs/ is no workspace");
        fs::create_dir_all(dir.path().join("labs/hello/python")).unwrap();
        assert!(is_root(dir.path()), "labs/hello/python makes a Python course's workspace");
        assert_eq!(workspace_track(dir.path()), Some(Track::Python), "graded on the Python track");
        assert_eq!(find_root(Some(dir.path())).unwrap(), dir.path());
    }

    #[test]
    fn a_folder_without_labs_is_named() {
        let dir = tempfile::tempdir().unwrap();
        fs::create_dir_all(dir.path().join("solutions/hello/python")).unwrap();
        let error = find_root(Some(dir.path())).unwrap_err().to_string();
        assert!(error.contains("not a socket-labs workspace"), "{error}");
    }
}
