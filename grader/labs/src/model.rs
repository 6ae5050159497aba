//! What a lab is, whatever it is written in: its roles (the programs a student
//! writes), its checks and how each runs, and the mutants that prove the checks catch
//! what they should. checks/*.rs and labdata.rs (a lab.toml) make these; registry.rs
//! keeps them.

use std::path::Path;
use std::time::Duration;

use harness::outcome::CheckResult;
use harness::sockets::Proto;
use harness::Harness;

/// A lab: one handout, the programs a student writes for it, and their checks.
pub struct Lab {
    /// One name everywhere: labs/NAME, solutions/NAME, docs/labs/NAME.md, checks/NAME.rs.
    pub name: &'static str,
    pub title: &'static str,
    pub roles: &'static [Role],
    pub checks: &'static [Check],
    /// The folder of its `lab.toml`, for a lab written as data.
    pub home: Option<&'static Path>,
    /// The mutants `grader selftest` runs (declared in lab.toml).
    pub mutants: &'static [Mutant],
}

/// A program of the contract, such as `hello-server`.
pub struct Role {
    pub name: &'static str,
    pub default_port: u16,
    /// Its file on the Python track, for a lab written as data (else the registry's `PYTHON_FILES`).
    pub python: Option<&'static str>,
    /// A server: it listens (TCP) or is bound (UDP) on the `--host` and `--port` it is
    /// given, and the registry gives it a first check, `LAB/ROLE-starts`, that every
    /// check starting it over that transport depends on (`registry::with_gates`). None: a client.
    pub listens: Option<Proto>,
}

impl Role {
    /// A TCP server.
    pub const fn server(name: &'static str, default_port: u16) -> Role {
        Role { name, default_port, python: None, listens: Some(Proto::Tcp) }
    }

    /// A client (or any program the checks do not start as a server).
    pub const fn client(name: &'static str, default_port: u16) -> Role {
        Role { name, default_port, python: None, listens: None }
    }
}

/// A wrong program a lab declares for `grader selftest`: the reference of `role` run
/// with `--bug BUG` (or `cmd` as it is), and the checks that must fail for it, exactly.
pub struct Mutant {
    pub role: &'static str,
    pub bug: Option<&'static str>,
    pub cmd: Option<&'static str>,
    pub fails: &'static [&'static str],
}

/// How a check runs: a Rust function, a dialogue from a lab.toml (dialogue.rs), or the
/// gate of a server role that the registry writes (gate.rs).
#[derive(Clone, Copy)]
pub enum Run {
    Native(NativeCheck),
    Dialogue(&'static crate::dialogue::Script),
    /// `LAB/ROLE-starts`: the role starts and listens (TCP) or is bound (UDP).
    Starts(&'static str, Proto),
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
    pub run: Run,
    pub after: &'static [&'static str],
    /// The server roles this check starts (as the role is: TCP or UDP), for a check in
    /// Rust; the registry makes it depend on each role's gate. A dialogue's are read
    /// from its `start` steps. The runner holds every check to it: one that starts a
    /// server role it does not name is a bug of the grader, reported as such.
    pub starts: &'static [&'static str],
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

    /// This check, marked as one that starts the server roles `roles`.
    pub const fn starts(self, roles: &'static [&'static str]) -> Check {
        Check { starts: roles, ..self }
    }

    /// The role whose gate this check is (`LAB/ROLE-starts`), if it is one.
    pub fn gate_of(&self) -> Option<&'static str> {
        match self.run {
            Run::Starts(role, _) => Some(role),
            _ => None,
        }
    }
}

/// The slug of the gate of server role `role`: `hello-server-starts`.
pub fn gate_slug(role: &str) -> String {
    format!("{role}-starts")
}

/// A check written in Rust: a function of the harness.
pub type NativeCheck = fn(&mut Harness) -> CheckResult;

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
    /// A lab of a `--labs DIR` outside the workspace's labs/.
    pub fn is_external(&self) -> bool {
        self.home.is_some_and(|home| !home.ends_with(format!("labs/{}", self.name)))
    }

    pub fn python_dir(&self, top: &str) -> String {
        match self.home {
            // A lab of a `--labs DIR` outside the workspace: its Python files are in
            // its own folder (`python/`, and `solution/python/` for the reference).
            Some(home) if self.is_external() => {
                let sub = if top == "solutions" { "solution/python" } else { "python" };
                home.join(sub).to_string_lossy().into_owned()
            }
            _ => format!("{top}/{}/python", self.name),
        }
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
