//! Every lab, its roles and its checks. Adding a lab is: `labs/NAME`,
//! `solutions/NAME`, `docs/labs/NAME.md`, `checks/NAME.rs`, and one line in [`LABS`].

use std::time::Duration;

use crate::checks;
use crate::harness::Harness;
use crate::outcome::CheckResult;

/// A lab: one handout, the programs a student writes for it, and their checks.
pub struct Lab {
    /// One name everywhere: labs/NAME, solutions/NAME, docs/labs/NAME.md, checks/NAME.rs.
    pub name: &'static str,
    pub title: &'static str,
    pub roles: &'static [Role],
    pub checks: &'static [Check],
}

/// A program of the contract, such as `hello-server`.
pub struct Role {
    pub name: &'static str,
    pub default_port: u16,
}

/// One check: a sentence that the student reads, points, and the function that
/// tests it. Checks are independent unless `after` names checks that must pass first
/// (a check whose prerequisite failed is skipped, never failed).
pub struct Check {
    /// Unique within the lab; the check's id is `lab/slug`.
    pub slug: &'static str,
    /// What a passing program does, as one sentence.
    pub name: &'static str,
    pub points: u32,
    pub run: fn(&mut Harness) -> CheckResult,
    pub after: &'static [&'static str],
    /// How long the contract makes a correct program keep this check waiting, at
    /// least (a UDP client's retries: 4 tries 1 s apart are 4 s). The runner starts
    /// such checks first, so that the suite takes about as long as its longest check,
    /// not the longest check plus whatever was still queued before it.
    pub waits: Duration,
}

impl Check {
    /// This check, marked as one that a correct program keeps waiting `secs`.
    pub const fn waits_secs(self, secs: u64) -> Check {
        Check { waits: Duration::from_secs(secs), ..self }
    }
}

/// Every lab, in the order students meet them.
pub static LABS: &[&Lab] = &[
    &checks::hello::LAB,
    &checks::varsize::LAB,
    &checks::date::LAB,
    &checks::logging::LAB,
    &checks::echo::LAB,
    &checks::upper::LAB,
    &checks::threaded::LAB,
    &checks::calc::LAB,
    &checks::board::LAB,
];

impl Lab {
    /// The Cargo package of the student's programs.
    pub fn package(&self) -> String {
        self.name.to_string()
    }

    /// The Cargo package of the reference solution.
    pub fn solution_package(&self) -> String {
        format!("{}-solution", self.name)
    }

    /// The folder of the lab's Python files under `labs/` or `solutions/`, relative to
    /// the workspace root: `labs/hello/python`.
    pub fn python_dir(&self, top: &str) -> String {
        format!("{top}/{}/python", self.name)
    }

    /// The handout, relative to the workspace root.
    pub fn handout(&self) -> String {
        format!("docs/labs/{}.md", self.name)
    }

    pub fn check_id(&self, check: &Check) -> String {
        format!("{}/{}", self.name, check.slug)
    }

    pub fn max_points(&self) -> u32 {
        self.checks.iter().map(|c| c.points).sum()
    }
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
    ("tcp-upper-server", "TCPUpperServer.py"),
    ("udp-upper-server", "UDPUpperServer.py"),
    ("tcp-upper-client", "TCPUpperClient.py"),
    ("udp-upper-client", "UDPUpperClient.py"),
    ("threaded-server", "ThreadedServer.py"),
    ("calc-server", "CalcServer.py"),
    ("calc-client", "CalcClient.py"),
    ("board-server", "BoardServer.py"),
    ("board-pub", "BoardPub.py"),
    ("board-sub", "BoardSub.py"),
];

/// The Python file of `role` (see [`PYTHON_FILES`]).
pub fn python_file(role: &str) -> Option<&'static str> {
    PYTHON_FILES.iter().find(|(r, _)| *r == role).map(|(_, file)| *file)
}

/// The binary that plays `role` in the reference solution. Solutions' binaries carry
/// a prefix because Cargo puts every binary of a workspace in one folder.
pub fn solution_binary(role: &str) -> String {
    format!("ref-{role}")
}

pub fn find_lab(name: &str) -> Option<&'static Lab> {
    LABS.iter().copied().find(|lab| lab.name == name)
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
        let roles: Vec<&str> = LABS.iter().flat_map(|lab| lab.roles.iter().map(|r| r.name)).collect();
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
        for lab in LABS {
            for check in lab.checks {
                assert!(ids.insert(lab.check_id(check)), "duplicate id {}", lab.check_id(check));
                assert!(!check.name.is_empty() && check.points > 0, "{}", check.slug);
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
}
