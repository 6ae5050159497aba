//! Every lab, its roles and its checks. A lab is either data, a folder with a
//! `lab.toml` (labdata.rs: `labs/NAME/lab.toml` in the workspace, or any `--labs DIR`),
//! or Rust: `checks/NAME.rs` and one line in [`NATIVE`]. Either way it has `labs/NAME`,
//! `solutions/NAME` and `docs/labs/NAME.md`.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::Duration;

use anyhow::Result;

use crate::checks;
pub use crate::model::{gate_slug, Check, Lab, Mutant, Role, Run};
use harness::sockets::Proto;

/// The labs written in Rust.
pub static NATIVE: &[&Lab] = &[
    &checks::hello::LAB,
    &checks::varsize::LAB,
    &checks::date::LAB,
    &checks::logging::LAB,
    &checks::calc::LAB,
    &checks::board::LAB,
];

/// The order students meet the course's labs in; any other lab comes after them, in
/// the order it was found.
const ORDER: &[&str] = &["hello", "varsize", "date", "logging", "echo", "upper", "threaded", "calc", "board"];

static LABS: OnceLock<&'static [&'static Lab]> = OnceLock::new();
static DIRS: OnceLock<Vec<PathBuf>> = OnceLock::new();
static EXTRA: OnceLock<Vec<PathBuf>> = OnceLock::new();

/// Loads the labs written as data: those built into the grader, then every
/// `labs/*/lab.toml` of `root`, then every lab of each `--labs DIR` (a later lab of the
/// same name replaces an earlier one). Called once, at start; later calls change
/// nothing. The loaded labs live as long as the process (a leak bounded by the size of
/// the lab files, made once).
pub fn init(root: Option<&Path>, extra: &[PathBuf]) -> Result<()> {
    if LABS.get().is_some() {
        return Ok(());
    }
    let _ = EXTRA.set(extra.iter().map(|d| std::path::absolute(d).unwrap_or_else(|_| d.clone())).collect());
    let mut dirs = Vec::new();
    if let Some(root) = root {
        dirs.extend(crate::labdata::find(&root.join("labs")));
    }
    for dir in extra {
        if dir.join(crate::labdata::FILE).is_file() {
            dirs.push(dir.clone());
        } else if dir.is_dir() {
            dirs.extend(crate::labdata::find(dir));
        } else {
            anyhow::bail!("--labs {}: no such folder", dir.display());
        }
    }
    init_from(&dirs)
}

/// [`init`] from the lab folders found already (the child grader gets them in its job).
pub fn init_from(dirs: &[PathBuf]) -> Result<()> {
    let all = gather(dirs)?;
    let _ = DIRS.set(dirs.to_vec());
    let _ = LABS.set(all);
    Ok(())
}

fn gather(dirs: &[PathBuf]) -> Result<&'static [&'static Lab]> {
    let mut all: Vec<&'static Lab> = NATIVE.to_vec();
    let mut add = |lab: &'static Lab| match all.iter().position(|l| l.name == lab.name) {
        Some(i) => all[i] = lab,
        None => all.push(lab),
    };
    for lab in crate::labdata::builtin()? {
        add(lab);
    }
    for dir in dirs {
        add(crate::labdata::load(dir)?);
    }
    let rank = |lab: &&Lab| ORDER.iter().position(|n| *n == lab.name).unwrap_or(ORDER.len());
    all.sort_by_key(rank);
    let all: Vec<&'static Lab> = all.into_iter().map(with_gates).collect();
    Ok(Box::leak(all.into_boxed_slice()))
}

/// `lab` with a gate for each of its server roles: a first check, `LAB/ROLE-starts`
/// ("ROLE starts and listens on the --host and --port it is given", 0 points), just
/// before the first check that starts the role, and every check that starts the role
/// over the role's transport made to depend on it (the runner has the first of them
/// decide the gate with its own start of the role: gate.rs). A server that exits at start, listens
/// elsewhere or never listens then fails one check, saying what happened, and the
/// checks that need it are skipped, not failed: as check50's dependencies do. A check
/// that starts the role another way (calc-server `--udp`, a TCP server reached over
/// UDP) does not depend on it: a server may fail one mode and serve the other.
///
/// Leaks the new lab (once per process, as [`gather`] runs once).
fn with_gates(lab: &'static Lab) -> &'static Lab {
    let servers: Vec<&Role> = lab.roles.iter().filter(|r| r.listens.is_some()).collect();
    if servers.is_empty() {
        return lab;
    }
    let mut checks: Vec<Check> = Vec::new();
    let mut gated: Vec<&str> = Vec::new();
    for check in lab.checks {
        let mut after: Vec<&'static str> = check.after.to_vec();
        for role in check.starts.iter().filter_map(|name| servers.iter().find(|r| r.name == *name)) {
            let slug: &'static str = Box::leak(gate_slug(role.name).into_boxed_str());
            if !gated.contains(&role.name) {
                gated.push(role.name);
                checks.push(gate(role, slug));
            }
            after.insert(0, slug);
        }
        checks.push(Check { after: Box::leak(after.into_boxed_slice()), ..*check });
    }
    // A server role that no check starts still gets its gate, at the end.
    for role in servers.iter().filter(|r| !gated.contains(&r.name)) {
        checks.push(gate(role, Box::leak(gate_slug(role.name).into_boxed_str())));
    }
    Box::leak(Box::new(Lab { checks: Box::leak(checks.into_boxed_slice()), ..*lab }))
}

fn gate(role: &Role, slug: &'static str) -> Check {
    let proto = role.listens.expect("a gate is for a server role");
    let name = match proto {
        Proto::Tcp => format!("{} starts and listens on the --host and --port it is given", role.name),
        Proto::Udp => format!("{} starts and binds a UDP socket to the --host and --port it is given", role.name),
    };
    Check {
        slug,
        name: Box::leak(name.into_boxed_str()),
        points: 0,
        run: Run::Starts(role.name, proto),
        after: &[],
        starts: &[],
        waits: Duration::ZERO,
    }
}

/// Every lab, in the order students meet them.
/// Before [`init`] (finding the workspace needs the labs' names): the built-in labs.
pub fn labs() -> &'static [&'static Lab] {
    static BUILTIN: OnceLock<&'static [&'static Lab]> = OnceLock::new();
    match LABS.get() {
        Some(labs) => labs,
        None => BUILTIN.get_or_init(|| gather(&[]).expect("the grader's own lab files are valid")),
    }
}

/// The lab folders loaded besides the built-in labs.
pub fn lab_dirs() -> Vec<PathBuf> {
    DIRS.get().cloned().unwrap_or_default()
}

/// Each `--labs DIR` of the command line (absolute), for a grader started from this
/// one (batch) and for the commands it prints: ` --labs DIR`, shell-quoted, each.
pub fn labs_flags() -> Vec<String> {
    EXTRA.get().into_iter().flatten().flat_map(|d| ["--labs".to_string(), d.to_string_lossy().into_owned()]).collect()
}

/// [`labs_flags`] as the words of a command to type (empty without `--labs`).
pub fn labs_flags_shown() -> String {
    labs_flags().chunks(2).map(|w| format!(" {} {}", w[0], shell_words::quote(&w[1]))).collect()
}

/// The Python track: the file that plays each role, at `labs/LAB/python/FILE` (the
/// skeleton) and `solutions/LAB/python/FILE` (the reference), named as the course's
/// handouts name them (`DateServer.py`). The grader runs `python3 FILE` for the role.
pub static PYTHON_FILES: &[(&str, &str)] = &[
    ("hello-server", "HelloServer.py"),
    ("hello-client", "HelloClient.py"),
    ("sum-server", "SumServer.py"),
    ("sum-client", "SumClient.py"),
    ("varsize-server", "VarSizeServer.py"),
    ("varsize-client", "VarSizeClient.py"),
    ("date-server", "DateServer.py"),
    ("date-client", "DateClient.py"),
    ("logging-date-server", "LoggingDateServer.py"),
    ("tcp-echo-server", "TCPEchoServer.py"),
    ("tcp-echo-client", "TCPEchoClient.py"),
    ("udp-echo-server", "UDPEchoServer.py"),
    ("udp-echo-client", "UDPEchoClient.py"),
    ("calc-server", "CalcServer.py"),
    ("calc-client", "CalcClient.py"),
    ("board-server", "BoardServer.py"),
    ("board-pub", "BoardPub.py"),
    ("board-sub", "BoardSub.py"),
];

/// The Python file of `role` (see [`PYTHON_FILES`]).
pub fn python_file(role: &str) -> Option<&'static str> {
    let declared = labs().iter().flat_map(|lab| lab.roles).find(|r| r.name == role).and_then(|r| r.python);
    declared.or_else(|| PYTHON_FILES.iter().find(|(r, _)| *r == role).map(|(_, file)| *file))
}

/// The binary that plays `role` in the reference solution. Solutions' binaries carry
/// a prefix because Cargo puts every binary of a workspace in one folder.
pub fn solution_binary(role: &str) -> String {
    format!("ref-{role}")
}

pub fn find_lab(name: &str) -> Option<&'static Lab> {
    labs().iter().copied().find(|lab| lab.name == name)
}

/// The lab and check of an id such as `hello/server-replies`.
pub fn find_check(id: &str) -> Option<(&'static Lab, &'static Check)> {
    let (lab, slug) = id.split_once('/')?;
    let lab = find_lab(lab)?;
    lab.checks.iter().find(|c| c.slug == slug).map(|c| (lab, c))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn every_role_has_one_python_file() {
        let roles: Vec<&str> = labs().iter().flat_map(|lab| lab.roles.iter().map(|r| r.name)).collect();
        for role in &roles {
            assert!(python_file(role).is_some(), "{role} has no Python file");
        }
        let mut files = HashSet::new();
        for (role, file) in PYTHON_FILES {
            assert!(roles.contains(role), "{role} is no role");
            assert!(files.insert(*file) && file.ends_with(".py"), "{file}");
        }
    }

    #[test]
    fn ids_are_unique_and_prerequisites_exist() {
        let mut ids = HashSet::new();
        for lab in labs() {
            for check in lab.checks {
                assert!(ids.insert(lab.check_id(check)), "duplicate id {}", lab.check_id(check));
                // A gate is worth nothing of its own: the checks after it carry the points.
                assert!(!check.name.is_empty(), "{}", check.slug);
                assert_eq!(check.points == 0, check.gate_of().is_some(), "{}: points", check.slug);
                for after in check.after {
                    let position = |slug: &str| lab.checks.iter().position(|c| c.slug == slug);
                    let (dep, this) = (position(after), position(check.slug));
                    assert!(
                        dep.is_some_and(|d| Some(d) < this),
                        "{}: prerequisite {after} must come earlier",
                        check.slug
                    );
                }
            }
        }
    }

    #[test]
    fn every_server_role_has_a_gate_that_its_checks_depend_on() {
        for lab in labs() {
            for role in lab.roles.iter().filter(|r| r.listens.is_some()) {
                let slug = gate_slug(role.name);
                let gate = lab.checks.iter().position(|c| c.slug == slug).expect("a gate");
                assert_eq!(lab.checks[gate].gate_of(), Some(role.name));
                for (i, check) in lab.checks.iter().enumerate() {
                    if check.starts.contains(&role.name) {
                        assert!(check.after.contains(&slug.as_str()) && i > gate, "{}", check.slug);
                    }
                }
            }
        }
        // The roles that listen: every *-server of the contract, and no client.
        let servers: Vec<&str> =
            labs().iter().flat_map(|l| l.roles).filter(|r| r.listens.is_some()).map(|r| r.name).collect();
        let named: Vec<&str> =
            labs().iter().flat_map(|l| l.roles).filter(|r| r.name.ends_with("-server")).map(|r| r.name).collect();
        assert_eq!(servers, named);
        let gates: Vec<String> = find_lab("hello")
            .unwrap()
            .checks
            .iter()
            .filter(|c| c.gate_of().is_some())
            .map(|c| c.slug.to_string())
            .collect();
        assert_eq!(gates, ["hello-server-starts", "sum-server-starts"]);
    }
}
