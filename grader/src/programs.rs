//! Which program plays each role: the student's binary from labs/, the reference
//! binary from solutions/, the Python file of the role on the Python track, or any
//! command given with `--cmd ROLE=COMMAND`.

use std::collections::HashMap;
use std::path::Path;
use std::time::Duration;

use anyhow::{bail, Context, Result};

use crate::cargo;
use harness::outcome::{Failure, FailureKind};
use harness::Launcher;
use labs::registry::{python_file, solution_binary, Lab};

/// Whose Rust programs play the roles not given with `--cmd`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Source {
    Labs,
    Solutions,
}

impl Source {
    pub fn name(self) -> &'static str {
        match self {
            Source::Labs => "labs",
            Source::Solutions => "solutions",
        }
    }
}

/// The language a course's programs are written in: which program of labs/ (or
/// solutions/) plays each role.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Track {
    /// The Cargo binaries of `LAB/src/bin/`.
    #[default]
    Rust,
    /// `python3 LAB/python/FILE`, the file the registry names for the role.
    Python,
}

impl Track {
    /// `--python` wins; else the course's `track` in grading.toml; else Rust.
    pub fn choose(python: bool, course: Option<Track>) -> Track {
        if python {
            Track::Python
        } else {
            course.unwrap_or_default()
        }
    }
}

/// Every role of `labs` with its launcher on `track`: [`resolve`] for Rust, else
/// [`resolve_python`].
pub fn resolve_track(
    track: Track,
    labs: &[&Lab],
    source: Source,
    cmds: &[CmdOverride],
    root: &Path,
    build_timeout: Duration,
    progress: &mut dyn FnMut(&str),
) -> Result<HashMap<String, Result<Launcher, Failure>>> {
    match track {
        Track::Rust => resolve(labs, source, cmds, root, build_timeout, progress),
        Track::Python => resolve_python(labs, source, cmds, root),
    }
}

/// Every role of `labs` played by its Python file in labs/ or solutions/ (or by its
/// `--cmd`): nothing is built. A missing file fails that role's checks, as a lab that
/// does not compile does; no `python3` on PATH is the grader's error.
pub fn resolve_python(
    labs: &[&Lab],
    source: Source,
    cmds: &[CmdOverride],
    root: &Path,
) -> Result<HashMap<String, Result<Launcher, Failure>>> {
    let from_cmd = |role: &str| cmds.iter().rev().find(|c| c.role == role).map(|c| c.launcher.clone());
    let needs_python = labs.iter().any(|lab| lab.roles.iter().any(|r| from_cmd(r.name).is_none()));
    let python = if needs_python {
        Some(
            which::which("python3")
                .context("the Python track runs python3, which is not on PATH: install Python 3.9 or newer")?,
        )
    } else {
        None
    };
    let mut programs = HashMap::new();
    for lab in labs {
        let dir = lab.python_dir(source.name());
        for role in lab.roles {
            let launcher = match (from_cmd(role.name), &python) {
                (Some(launcher), _) => Ok(launcher),
                (None, Some(python)) => {
                    let file = python_file(role.name)
                        .with_context(|| format!("the registry names no Python file for {}", role.name))?;
                    let path = root.join(&dir).join(file);
                    if path.is_file() {
                        Ok(Launcher {
                            program: python.to_string_lossy().into_owned(),
                            args: vec![path.to_string_lossy().into_owned()],
                            shown: format!("python3 {dir}/{file}"),
                            visible: None,
                        })
                    } else {
                        let failure = Failure::new(FailureKind::BuildFailed, format!("{dir}/{file} does not exist"))
                            .with_hint(format!("on the Python track, {} is the file {dir}/{file}", role.name));
                        Err(match source {
                            Source::Labs => failure,
                            Source::Solutions => Failure { kind: FailureKind::GraderError, ..failure },
                        })
                    }
                }
                (None, None) => unreachable!("a role without --cmd needs python3"),
            };
            programs.insert(role.name.to_string(), launcher);
        }
    }
    Ok(programs)
}

/// A `--cmd ROLE=COMMAND` given on the command line.
#[derive(Clone, Debug)]
pub struct CmdOverride {
    pub role: String,
    pub launcher: Launcher,
}

/// Parses `ROLE=COMMAND`. The command is split like a shell would (quotes work), its
/// program must exist, and words naming files relative to the current directory are
/// made absolute: the program will run in a fresh temporary directory.
pub fn parse_cmd(text: &str, cwd: &Path, known_roles: &[&str]) -> Result<CmdOverride> {
    let Some((role, command)) = text.split_once('=') else {
        bail!("--cmd takes ROLE=COMMAND, such as --cmd hello-server='python3 hello_server.py'; got {text:?}");
    };
    let role = role.trim();
    if !known_roles.contains(&role) {
        bail!("--cmd {text:?}: there is no role {role:?}; roles are: {}", known_roles.join(", "));
    }
    let words = shell_words::split(command).with_context(|| format!("--cmd {role}: cannot split {command:?}"))?;
    let Some((program, args)) = words.split_first() else {
        bail!("--cmd {role}: the command is empty");
    };
    let program = if program.contains('/') {
        let path = cwd.join(program);
        if !path.is_file() {
            bail!("--cmd {role}: {program} does not exist");
        }
        if !is_executable(&path) {
            bail!(
                "--cmd {role}: {program} is not executable: chmod +x it, or name its interpreter (python3 {program})"
            );
        }
        path.to_string_lossy().into_owned()
    } else {
        which::which(program)
            .with_context(|| format!("--cmd {role}: cannot start {program:?}: it is not on PATH"))?
            .to_string_lossy()
            .into_owned()
    };
    let args = args
        .iter()
        .map(|arg| {
            let path = cwd.join(arg);
            if !arg.starts_with('-') && Path::new(arg).is_relative() && path.exists() {
                path.to_string_lossy().into_owned()
            } else {
                arg.clone()
            }
        })
        .collect();
    Ok(CmdOverride {
        role: role.to_string(),
        launcher: Launcher { program, args, shown: command.trim().to_string(), visible: None },
    })
}

/// Every role of `labs` with its launcher, building the Rust programs that are needed
/// (one cargo run). A lab that does not compile gives its roles a build failure that
/// its checks report; `progress` hears what is being built.
pub fn resolve(
    labs: &[&Lab],
    source: Source,
    cmds: &[CmdOverride],
    root: &Path,
    build_timeout: Duration,
    progress: &mut dyn FnMut(&str),
) -> Result<HashMap<String, Result<Launcher, Failure>>> {
    let from_cmd = |role: &str| cmds.iter().rev().find(|c| c.role == role).map(|c| c.launcher.clone());
    let needs_build: Vec<&Lab> =
        labs.iter().copied().filter(|lab| lab.roles.iter().any(|r| from_cmd(r.name).is_none())).collect();
    let package = |lab: &Lab| match source {
        Source::Labs => lab.package(),
        Source::Solutions => lab.solution_package(),
    };
    let built = if needs_build.is_empty() {
        None
    } else {
        let packages: Vec<String> = needs_build.iter().map(|lab| package(lab)).collect();
        progress(&format!("building {} (cargo build -p {})", packages.join(", "), packages.join(" -p ")));
        Some(cargo::build(root, &packages, build_timeout)?)
    };

    let mut programs = HashMap::new();
    for lab in labs {
        let dir = format!("{}/{}", source.name(), lab.name);
        for role in lab.roles {
            let launcher = match (from_cmd(role.name), &built) {
                (Some(launcher), _) => Ok(launcher),
                (None, Some(built)) => {
                    let binary = match source {
                        Source::Labs => role.name.to_string(),
                        Source::Solutions => solution_binary(role.name),
                    };
                    match built.binaries.get(&binary) {
                        Some(path) => Ok(Launcher {
                            program: path.to_string_lossy().into_owned(),
                            args: Vec::new(),
                            shown: format!("cargo run -q -p {} --bin {binary} --", package(lab)),
                            visible: None,
                        }),
                        None => {
                            let manifest = root.join(&dir).join("Cargo.toml");
                            let failure = if built.errors.contains_key(&manifest) || !built.success {
                                build_failure(&dir, &package(lab), &manifest, built)
                            } else {
                                missing_binary(&dir, &binary)
                            };
                            // The reference solutions not building is the grader's
                            // problem, never a student's result.
                            Err(match source {
                                Source::Labs => failure,
                                Source::Solutions => Failure { kind: FailureKind::GraderError, ..failure },
                            })
                        }
                    }
                }
                (None, None) => unreachable!("a role without --cmd makes its lab build"),
            };
            programs.insert(role.name.to_string(), launcher);
        }
    }
    Ok(programs)
}

fn missing_binary(dir: &str, binary: &str) -> Failure {
    Failure::new(FailureKind::BuildFailed, format!("{dir} built, but has no program named {binary}"))
        .with_hint(format!("each role is a binary of its own: {dir}/src/bin/{binary}.rs"))
}

fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).is_ok_and(|m| m.permissions().mode() & 0o111 != 0)
}

fn build_failure(dir: &str, package: &str, manifest: &Path, built: &cargo::Built) -> Failure {
    let errors = built.errors.get(manifest).map(String::as_str).unwrap_or(built.stderr.as_str());
    Failure::new(FailureKind::BuildFailed, format!("{dir} does not compile"))
        .detail(cargo::first_errors(errors))
        .with_hint(format!(
            "fix the first error first (later ones often follow from it); cargo build -p {package} shows them all"
        ))
}
