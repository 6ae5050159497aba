//! Helpers for the end-to-end tests: run the real `grader` binary against the real
//! workspace, in an isolated temporary directory, and read its JSON report.

use std::path::{Path, PathBuf};
use std::process::Output;
use std::sync::OnceLock;

use serde_json::Value;
use tempfile::TempDir;

pub mod class;

/// The workspace root.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("tests/ is inside the workspace").to_path_buf()
}

/// The grader binary, built once per test process (the tests package cannot depend on
/// a binary crate, so it asks cargo).
pub fn grader_path() -> &'static Path {
    static PATH: OnceLock<PathBuf> = OnceLock::new();
    PATH.get_or_init(|| {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let status = std::process::Command::new(cargo)
            .args(["build", "--quiet", "--package", "grader"])
            .current_dir(root())
            .status()
            .expect("cargo runs");
        assert!(status.success(), "the grader builds");
        // target/debug/deps/this-test -> target/debug/grader
        let exe = std::env::current_exe().expect("own path");
        exe.parent().and_then(Path::parent).expect("target/debug").join("grader")
    })
}

/// The Python fixtures of a lab: tests/fixtures/LAB/FILE.
pub fn fixture(lab: &str, file: &str) -> String {
    root().join("tests/fixtures").join(lab).join(file).to_string_lossy().into_owned()
}

/// `--cmd ROLE=COMMAND` arguments that play each role of `lab` with its Python fixture
/// (tests/fixtures/LAB/FILE), the one named in `mutant` started with `--bug NAME`.
pub fn python_cmds(lab: &str, roles: &[(&str, &str)], mutant: Option<(&str, &str)>) -> Vec<String> {
    roles
        .iter()
        .flat_map(|(role, file)| {
            let mut command = format!("{} {}", python(), fixture(lab, file));
            if let Some((_, bug)) = mutant.filter(|(bugged, _)| bugged == role) {
                command.push_str(&format!(" --bug {bug}"));
            }
            ["--cmd".to_string(), format!("{role}={command}")]
        })
        .collect()
}

/// A grader run whose programs' temporary directories all go into a folder of its own
/// (TMPDIR), so the test can prove that nothing is left behind.
pub struct Run {
    pub tmp: TempDir,
    pub output: Output,
}

impl Run {
    pub fn code(&self) -> i32 {
        self.output.status.code().expect("the grader exited, not killed")
    }

    pub fn stdout(&self) -> String {
        String::from_utf8_lossy(&self.output.stdout).into_owned()
    }

    pub fn stderr(&self) -> String {
        String::from_utf8_lossy(&self.output.stderr).into_owned()
    }

    /// The JSON report on stdout.
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.output.stdout)
            .unwrap_or_else(|e| panic!("JSON report: {e}\nstdout: {}\nstderr: {}", self.stdout(), self.stderr()))
    }

    /// Asserts that the run left no program running and no temporary directory behind.
    pub fn assert_nothing_left(&self) {
        assert_no_process_in(self.tmp.path());
        let left: Vec<_> = std::fs::read_dir(self.tmp.path()).unwrap().flatten().map(|e| e.path()).collect();
        assert!(left.is_empty(), "temporary directories left behind: {left:?}");
    }
}

/// A grader command with TMPDIR set to `tmp`, run in the workspace.
pub fn grader_command(tmp: &Path) -> assert_cmd::Command {
    assert_cmd::Command::from_std(grader_process(tmp))
}

/// [`grader_command`] as a plain process, for a test that reads its output as it
/// comes or signals it.
pub fn grader_process(tmp: &Path) -> std::process::Command {
    let mut cmd = std::process::Command::new(grader_path());
    cmd.current_dir(root()).env("TMPDIR", tmp).env("NO_COLOR", "1").env_remove("GITHUB_STEP_SUMMARY");
    cmd
}

/// Waits, up to `within`, for `child` (a grader the test started) to exit; `what`
/// says in the failure what it should have done.
pub fn wait_exit(child: &mut std::process::Child, within: std::time::Duration, what: &str) -> std::process::ExitStatus {
    let deadline = std::time::Instant::now() + within;
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        assert!(std::time::Instant::now() < deadline, "{what}");
        // Polls the grader's own exit; not a wait for a program under test.
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
}

/// Runs `grader ARGS...` to the end.
pub fn grader(args: &[&str]) -> Run {
    let tmp = tempfile::tempdir().expect("temp dir");
    let output = grader_command(tmp.path()).args(args).output().expect("the grader runs");
    Run { tmp, output }
}

/// Runs `grader test --format json ARGS...` and returns the run.
pub fn grade_json(args: &[&str]) -> Run {
    let mut all = vec!["test", "--format", "json"];
    all.extend_from_slice(args);
    grader(&all)
}

/// The ids of the checks in a report that did not pass. A check skipped because a
/// prerequisite of the report did not pass (a server's gate, `LAB/ROLE-starts`) is not
/// among them: that is the prerequisite's failure, listed under its own id.
pub fn not_passed(report: &Value) -> Vec<String> {
    checks(report).filter(|c| did_not_pass(report, c)).map(|c| c["id"].as_str().unwrap().to_string()).collect()
}

fn did_not_pass(report: &Value, check: &Value) -> bool {
    check["status"] != "pass" && skipped_after(report, check).is_none()
}

/// The prerequisite, in `report` and not passed, that `check` was skipped for.
pub fn skipped_after<'r>(report: &'r Value, check: &Value) -> Option<&'r str> {
    if check["status"] != "skipped" {
        return None;
    }
    let message = check["message"].as_str()?;
    let id = message.strip_prefix("skipped: ")?.strip_suffix(" did not pass")?;
    checks(report).find(|c| c["id"] == id && c["status"] != "pass").and_then(|c| c["id"].as_str())
}

/// Asserts that exactly the checks `expected` (ids) did not pass. When it fails, it
/// says the run's seed (`--seed` repeats it) and, for every check on the wrong side,
/// what its report says, so a failure in CI can be understood without a rerun.
pub fn assert_not_passed<S: AsRef<str>>(report: &Value, expected: &[S], context: &str) {
    let got = not_passed(report);
    let expected: Vec<&str> = expected.iter().map(AsRef::as_ref).collect();
    if got == expected {
        return;
    }
    let mut why = String::new();
    for check in checks(report) {
        let id = check["id"].as_str().unwrap_or_default();
        let failed = did_not_pass(report, check);
        if failed != expected.contains(&id) {
            let side = if failed { "failed, and was not expected to" } else { "passed, and was expected to fail" };
            why.push_str(&format!("\n--- {id} {side}:\n{check:#}\n"));
        }
    }
    panic!("{context}: the checks that did not pass are {got:?}, expected {expected:?} (seed {}){why}", report["seed"]);
}

pub fn checks(report: &Value) -> impl Iterator<Item = &Value> {
    report["checks"].as_array().expect("checks").iter()
}

/// The checks of a report that did not pass, as [`not_passed`] counts them: not those
/// skipped because a prerequisite of the report did not pass.
pub fn failures(report: &Value) -> impl Iterator<Item = &Value> {
    checks(report).filter(|c| did_not_pass(report, c))
}

/// Asserts that no process has its working directory under `dir`.
pub fn assert_no_process_in(dir: &Path) {
    let survivors = processes_in(dir);
    assert!(survivors.is_empty(), "processes still running in {}: {survivors:?}", dir.display());
}

/// Processes whose working directory is under `dir` (Linux; empty elsewhere).
pub fn processes_in(dir: &Path) -> Vec<(u32, String)> {
    let Ok(procs) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    let dir = dir.canonicalize().unwrap_or_else(|_| dir.to_path_buf());
    procs
        .flatten()
        .filter_map(|entry| {
            let pid: u32 = entry.file_name().to_str()?.parse().ok()?;
            let cwd = std::fs::read_link(entry.path().join("cwd")).ok()?;
            if !cwd.starts_with(&dir) {
                return None;
            }
            let cmdline = std::fs::read(entry.path().join("cmdline")).unwrap_or_default();
            Some((pid, String::from_utf8_lossy(&cmdline).replace('\0', " ")))
        })
        .collect()
}

/// Every process whose command line holds `text`, with its command line (arguments
/// joined by spaces).
pub fn processes_with(text: &str) -> Vec<(u32, String)> {
    let Ok(dir) = std::fs::read_dir("/proc") else { return Vec::new() };
    dir.flatten()
        .filter_map(|e| {
            let pid: u32 = e.file_name().to_str()?.parse().ok()?;
            let cmdline = std::fs::read(e.path().join("cmdline")).ok()?;
            let cmdline = String::from_utf8_lossy(&cmdline).replace('\0', " ");
            cmdline.contains(text).then_some((pid, cmdline))
        })
        .collect()
}

/// The real Python interpreter (not a version manager's shim script, which costs a
/// tenth of a second per start).
pub fn python() -> &'static str {
    static PYTHON: OnceLock<String> = OnceLock::new();
    PYTHON.get_or_init(|| {
        let out = std::process::Command::new("python3")
            .args(["-c", "import sys; print(sys.executable)"])
            .output()
            .expect("python3 is on PATH");
        String::from_utf8(out.stdout).expect("a path").trim().to_string()
    })
}

/// `--cmd` arguments that play every hello role with the Python fixtures, with
/// `--bug BUG` added to `role` when given.
pub fn hello_python(mutant: Option<(&str, &str)>) -> Vec<String> {
    let roles = [
        ("hello-server", "hello_server.py"),
        ("hello-client", "hello_client.py"),
        ("sum-server", "sum_server.py"),
        ("sum-client", "sum_client.py"),
    ];
    roles
        .iter()
        .flat_map(|(role, file)| {
            let mut command = format!("{} {}", python(), fixture("hello", file));
            if let Some((bugged, bug)) = mutant {
                if bugged == *role {
                    command.push_str(&format!(" --bug {bug}"));
                }
            }
            ["--cmd".to_string(), format!("{role}={command}")]
        })
        .collect()
}
