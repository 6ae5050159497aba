//! The attack zoo: programs that try to get out of the sandbox the grader runs them in
//! (grader/harness/src/sandbox), one way each (tests/fixtures/escape/attack.py), graded as
//! hello-server through `--cmd`. Each attack must fail, and the test checks that from
//! the outside: no secret in the report, no file written, no process left, the grader
//! alive with its report whole. The zoo runs as the user running the tests and, when
//! that is root, once more with the grader run as `nobody`.
//!
//! Where the sandbox cannot be had (no bubblewrap, no user namespaces) the zoo is
//! skipped with a message, except on CI, where that is a failure.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;
use socket_labs_tests::{grader_path, processes_with, python, root};

/// The check each attack is graded on: hello-server's gate, the one check that starts it
/// for a program that never listens (an attack), so that each attack runs once.
const CHECK: &str = "hello/hello-server-starts";
const NOBODY: u32 = 65534;

/// Who runs the grader.
#[derive(Clone, Copy, Debug, PartialEq)]
enum As {
    /// The user running the tests.
    Me,
    /// `nobody`, through setpriv (only when the tests run as root).
    Nobody,
}

fn is_root() -> bool {
    // SAFETY: no arguments.
    unsafe { libc::geteuid() == 0 }
}

/// The users to run the zoo as here.
fn users() -> Vec<As> {
    if is_root() {
        vec![As::Me, As::Nobody]
    } else {
        vec![As::Me]
    }
}

/// Everything one grader run needs, laid out so that its user can reach it: for
/// `nobody`, a copy of the grader, the attack and a minimal workspace in a folder open
/// to all (the real workspace and the Rust toolchain may be in root's home).
struct Stage {
    /// Holds everything below; removed with the stage.
    _base: tempfile::TempDir,
    user: As,
    grader: PathBuf,
    workspace: PathBuf,
    attack: PathBuf,
    python: String,
    tmp: PathBuf,
    /// Files a program must neither read nor write: readable and writable by all, so
    /// that only the sandbox keeps it out.
    secrets: PathBuf,
    token: String,
}

impl Stage {
    fn new(user: As) -> Stage {
        let base = tempfile::tempdir().unwrap();
        open_to_all(base.path());
        let (grader, workspace, python) = match user {
            As::Me => (grader_path().to_path_buf(), root(), python().to_string()),
            As::Nobody => {
                let grader = base.path().join("grader");
                std::fs::copy(grader_path(), &grader).unwrap();
                let workspace = base.path().join("workspace");
                std::fs::create_dir_all(workspace.join("labs")).unwrap();
                std::fs::write(workspace.join("Cargo.toml"), "[workspace]\n").unwrap();
                open_to_all(&workspace);
                open_to_all(&workspace.join("labs"));
                (grader, workspace, "/usr/bin/python3".to_string())
            }
        };
        let attacks = base.path().join("attacks");
        std::fs::create_dir(&attacks).unwrap();
        open_to_all(&attacks);
        let attack = attacks.join("attack.py");
        std::fs::copy(root().join("tests/fixtures/escape/attack.py"), &attack).unwrap();
        std::fs::copy(root().join("tests/fixtures/escape/needs.py"), attacks.join("needs.py")).unwrap();
        let tmp = base.path().join("tmp");
        std::fs::create_dir(&tmp).unwrap();
        let secrets = base.path().join("secrets");
        std::fs::create_dir(&secrets).unwrap();
        open_to_all(&secrets);
        let token = format!("ghp_zoo_secret_{}", std::process::id());
        for name in ["secret.txt", "github_output", "step_summary"] {
            let file = secrets.join(name);
            std::fs::write(&file, format!("{token}\n")).unwrap();
            std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o666)).unwrap();
        }
        if user == As::Nobody {
            std::os::unix::fs::chown(&tmp, Some(NOBODY), Some(NOBODY)).unwrap();
        }
        Stage { _base: base, user, grader, workspace, attack, python, tmp, secrets, token }
    }

    /// The grader command for `attack` with `opts` (`--key=value` words).
    fn command(&self, attack: &str, opts: &[String], limits: &str, scale: &str) -> Command {
        let mut cmd = match self.user {
            As::Me => Command::new(&self.grader),
            As::Nobody => {
                let mut cmd = Command::new("setpriv");
                cmd.args([format!("--reuid={NOBODY}"), format!("--regid={NOBODY}"), "--clear-groups".to_string()]);
                cmd.arg("--").arg(&self.grader);
                cmd
            }
        };
        let program = format!("{} -B {} {attack} {}", self.python, self.attack.display(), opts.join(" "));
        cmd.args(["test", "--format", "json", "--check", CHECK, "--timeout-scale", scale])
            .args(["--limit", limits, "--cmd"])
            .arg(format!("hello-server={program}"));
        // The lab's other roles, never started by this check, must not make it build.
        for role in ["hello-client", "sum-server", "sum-client"] {
            cmd.arg("--cmd").arg(format!("{role}={} -c pass", self.python));
        }
        cmd.current_dir(&self.workspace)
            .env("TMPDIR", &self.tmp)
            .env("HOME", &self.tmp)
            .env("NO_COLOR", "1")
            .env("GITHUB_TOKEN", &self.token)
            .env("GITHUB_OUTPUT", self.secrets.join("github_output"))
            .env("GITHUB_STEP_SUMMARY", self.secrets.join("step_summary"));
        cmd
    }

    fn attack(&self, attack: &str, opts: &[String]) -> Attacked {
        self.attack_with(attack, opts, "nproc=64,disk=32M,mem=256M")
    }

    fn attack_with(&self, attack: &str, opts: &[String], limits: &str) -> Attacked {
        let started = Instant::now();
        let output = self.command(attack, opts, limits, "0.5").stdin(Stdio::null()).output().unwrap();
        let took = started.elapsed();
        let report: Value = serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
            panic!(
                "{attack} as {:?}: no whole report ({e}); status {:?}, stderr:\n{}",
                self.user,
                output.status,
                String::from_utf8_lossy(&output.stderr)
            )
        });
        let attacked = Attacked { name: attack.to_string(), user: self.user, output, report, took };
        attacked.assert_graded();
        attacked
    }

    /// Asserts that no file of the secrets folder was changed and nothing was added.
    fn assert_secrets_untouched(&self) {
        for entry in std::fs::read_dir(&self.secrets).unwrap().flatten() {
            let text = std::fs::read_to_string(entry.path()).unwrap_or_default();
            assert!(!text.contains("forged"), "{} was written: {text:?}", entry.path().display());
        }
    }

    /// Asserts that the run left nothing in its TMPDIR.
    fn assert_nothing_left(&self) {
        let left: Vec<_> = std::fs::read_dir(&self.tmp).unwrap().flatten().map(|e| e.path()).collect();
        assert!(left.is_empty(), "left behind: {left:?}");
    }
}

fn open_to_all(dir: &Path) {
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o755)).unwrap();
}

/// One graded attack.
struct Attacked {
    name: String,
    user: As,
    output: Output,
    report: Value,
    took: Duration,
}

impl Attacked {
    /// The report is whole, the program failed the check (never passed it, never the
    /// grader's error), and the run ended in bounded time.
    fn assert_graded(&self) {
        let check = &self.report["checks"][0];
        assert_eq!(check["id"], CHECK, "{}: {}", self.name, self.report);
        assert!(
            ["fail", "timeout"].contains(&check["status"].as_str().unwrap_or("")),
            "{} as {:?}: {check}",
            self.name,
            self.user
        );
        assert_eq!(self.output.status.code(), Some(1), "{}: {}", self.name, self.stderr());
        assert!(self.took < Duration::from_secs(60), "{}: the grader took {:?}", self.name, self.took);
    }

    fn stderr(&self) -> String {
        String::from_utf8_lossy(&self.output.stderr).into_owned()
    }

    /// Whether the run was sandboxed; outside CI, a machine without the sandbox skips
    /// the zoo.
    fn sandboxed(&self) -> bool {
        let first = self.report["notes"][0].as_str().unwrap_or("").to_string();
        if first.starts_with("sandboxed:") {
            return true;
        }
        assert!(std::env::var_os("CI").is_none(), "CI must have the sandbox: {first}");
        eprintln!("SKIPPED: the attack zoo needs the sandbox, and this machine has none: {first}");
        false
    }

    /// What the program said on stderr, line by line (`attack NAME: ...`).
    fn said(&self) -> Vec<String> {
        self.report["checks"][0]["transcript"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|e| e["text"].as_str()?.strip_prefix("[hello-server stderr] "))
            .filter(|t| t.starts_with("attack "))
            .map(str::to_string)
            .collect()
    }

    fn text(&self) -> String {
        format!("{}{}", self.report, self.stderr())
    }

    fn assert_never_said(&self, managed: &str) {
        let said = self.said();
        assert!(
            !said.iter().any(|l| l.contains(managed)),
            "{} as {:?} managed {managed:?}: {said:#?}",
            self.name,
            self.user
        );
    }

    fn assert_said(&self, what: &str) {
        let said = self.said();
        assert!(
            said.iter().any(|l| l.contains(what)),
            "{} as {:?}: expected {what:?} in {said:#?}",
            self.name,
            self.user
        );
    }
}

fn targets(paths: &[PathBuf]) -> String {
    format!("--targets={}", paths.iter().map(|p| p.to_string_lossy().into_owned()).collect::<Vec<_>>().join(","))
}

#[test]
fn it_cannot_read_files_outside_its_folder_the_solutions_or_the_graders_environment() {
    for user in users() {
        let stage = Stage::new(user);
        let solution = root().join("solutions/hello/src/bin/hello-server.rs");
        let wanted =
            vec![stage.secrets.join("secret.txt"), solution.clone(), root().join("Cargo.toml"), "/etc/shadow".into()];
        let read = stage.attack("read", &[targets(&wanted)]);
        if !read.sandboxed() {
            return;
        }
        read.assert_never_said("read /");
        for path in &wanted {
            read.assert_said(&format!("blocked reading {}", path.display()));
        }
        assert!(!read.text().contains(&stage.token), "a secret reached the report");
        let environ = stage.attack("environ", &[]);
        environ.assert_said("own environment");
        assert!(!environ.text().contains(&stage.token), "the grader's token reached the program");
        assert!(!environ.text().contains("GITHUB_OUTPUT"), "the CI's variables reached the program");
        stage.assert_nothing_left();
    }
}

#[test]
fn it_cannot_write_outside_its_folder_nor_forge_the_ci_files() {
    for user in users() {
        let stage = Stage::new(user);
        let host_tmp = PathBuf::from(format!("/tmp/socket-labs-escape-{}", std::process::id()));
        let wanted = vec![
            stage.secrets.join("github_output"),
            stage.secrets.join("step_summary"),
            stage.secrets.join("secret.txt"),
            stage.secrets.join("new-file"),
            host_tmp.clone(),
        ];
        let write = stage.attack("write", &[targets(&wanted)]);
        if !write.sandboxed() {
            return;
        }
        // Its own /tmp is private: a write there is its own business, and must not
        // reach the machine's /tmp.
        for path in &wanted[..4] {
            write.assert_said(&format!("blocked writing {}", path.display()));
        }
        stage.assert_secrets_untouched();
        assert!(!stage.secrets.join("new-file").exists());
        assert!(!host_tmp.exists(), "it wrote the machine's /tmp");
        stage.assert_nothing_left();
    }
}

#[test]
fn it_cannot_fill_the_disk_nor_exhaust_memory_or_processes() {
    for user in users() {
        let stage = Stage::new(user);
        let fill = stage.attack("fill-disk", &[]);
        if !fill.sandboxed() {
            return;
        }
        fill.assert_never_said("filled");
        let said = fill.said();
        for place in [".", "/tmp"] {
            let line =
                said.iter().find(|l| l.contains(&format!("blocked filling {place} after"))).unwrap_or_else(|| {
                    panic!("{user:?}: no limit stopped the writes to {place}: {said:#?}");
                });
            let mib: u64 = line.split(" after ").nth(1).unwrap().split(' ').next().unwrap().parse().unwrap();
            assert!(mib <= 32, "{user:?}: {mib} MiB written to {place} past the 32M limit");
        }
        assert!(fill.report.to_string().contains("filled its folder"), "{user:?}: no note on the disk limit");

        let allocate = stage.attack("allocate", &[]);
        allocate.assert_never_said("allocated 4096 MiB");

        let fork = stage.attack("fork", &[]);
        fork.assert_never_said("forked 5000 children");
        stage.assert_nothing_left();
    }
}

#[test]
fn it_cannot_leave_its_namespaces_nor_its_cgroup() {
    for user in users() {
        let stage = Stage::new(user);
        let setns = stage.attack("setns", &[]);
        if !setns.sandboxed() {
            return;
        }
        setns.assert_never_said("entered the network namespace");
        setns.assert_never_said("unshared a user and network namespace");
        setns.assert_said("blocked unshare");
        setns.assert_said("interfaces: ['lo']");
        let cgroup = stage.attack("cgroup", &[]);
        cgroup.assert_never_said("joined");
        stage.assert_nothing_left();
    }
}

fn parent(pid: u32) -> Option<u32> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    stat[stat.rfind(')')? + 1..].split_whitespace().nth(1)?.parse().ok()
}

fn marker(what: &str) -> String {
    format!("--mark=escape-{what}-{}", std::process::id())
}

/// Waits until no process holds `mark`, up to `within`.
fn assert_none_left(mark: &str, within: Duration, what: &str) {
    let deadline = Instant::now() + within;
    loop {
        let left = processes_with(mark);
        if left.is_empty() {
            return;
        }
        assert!(Instant::now() < deadline, "{what}: still running: {left:?}");
        // Polls the kernel's process table for the test's own assertion.
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn a_daemon_and_an_attack_on_the_grader_do_not_outlive_or_stop_the_run() {
    for user in users() {
        let stage = Stage::new(user);
        let mark = marker("daemon");
        let daemon = stage.attack("daemon", std::slice::from_ref(&mark));
        if !daemon.sandboxed() {
            return;
        }
        assert_none_left(&mark, Duration::from_secs(5), "a daemon with a cleared environment");
        let kill = stage.attack("kill-grader", &[]);
        kill.assert_never_said("killed 1 ");
        // The grader's report is whole (attack() checked it): it was never reached.
        stage.assert_nothing_left();
    }
}

/// SIGKILL of the grader, and of both graders (the one started and the one that runs
/// the checks in their private network), leaves no program of the run running.
#[test]
fn killing_the_graders_kills_every_program() {
    for user in users() {
        for both in [false, true] {
            let stage = Stage::new(user);
            let mark = marker(if both { "both" } else { "outer" });
            let mut grader = stage
                .command("linger", std::slice::from_ref(&mark), "nproc=64", "3")
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap();
            let deadline = Instant::now() + Duration::from_secs(20);
            // The program itself (the graders' and bubblewrap's command lines hold the
            // mark too).
            while processes_with(&mark).iter().all(|(_, c)| !c.starts_with(&stage.python)) {
                assert!(Instant::now() < deadline, "the program never started");
                assert!(grader.try_wait().unwrap().is_none(), "the grader ended before it was killed");
                std::thread::sleep(Duration::from_millis(20));
            }
            let outer = grader.id();
            // Only this grader's child: other tests run graders at the same time.
            let inner: Vec<u32> = processes_with("__run-checks")
                .into_iter()
                .map(|(pid, _)| pid)
                .filter(|pid| parent(*pid) == Some(outer))
                .collect();
            assert!(
                !both || !inner.is_empty(),
                "no child grader of {outer} found among {:?}",
                processes_with("__run-checks").into_iter().map(|(pid, c)| (pid, parent(pid), c)).collect::<Vec<_>>()
            );
            // SAFETY: signals to the test's own processes.
            unsafe { libc::kill(outer as i32, libc::SIGKILL) };
            if both {
                for pid in inner {
                    // SAFETY: as above.
                    unsafe { libc::kill(pid as i32, libc::SIGKILL) };
                }
            }
            let _ = grader.wait();
            assert_none_left(&mark, Duration::from_secs(5), &format!("{user:?}, both graders killed: {both}"));
        }
    }
}

/// In `grader batch`, a submission cannot touch another student's results: mallory's
/// hello-server tries to write alice's report and the gradebook, during the batch and
/// again when it is resumed.
#[test]
fn a_submission_cannot_tamper_with_another_students_results() {
    use socket_labs_tests::class::{python_attack, python_submission, roles_file};
    let tmp = tempfile::tempdir().unwrap();
    let work = tempfile::tempdir().unwrap();
    let (class, out) = (work.path().join("class"), work.path().join("out"));
    let roles = roles_file(&work.path().join("roles.toml"), &["hello"]);
    python_submission(&class.join("alice"), &["hello"]);
    python_submission(&class.join("mallory"), &["hello"]);
    let victims: Vec<PathBuf> =
        ["students/alice/report.json", "students/alice/report.txt", "gradebook.json", "gradebook.csv"]
            .iter()
            .map(|f| out.join(f))
            .collect();
    let targets = targets(&victims);
    python_attack(&class.join("mallory"), "hello", "hello-server", &["write", &targets]);
    let batch = |extra: &[&str]| {
        let output = Command::new(grader_path())
            .current_dir(root())
            .env("TMPDIR", tmp.path())
            .args(["batch", class.to_str().unwrap(), "hello", "--roles", roles.to_str().unwrap()])
            .args(["-o", out.to_str().unwrap(), "--check", "hello/server-replies", "--check", "hello/sum-integers"])
            .args(extra)
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&output.stderr).into_owned();
        if text.contains("cannot be sandboxed") && std::env::var_os("CI").is_none() {
            eprintln!("SKIPPED: {text}");
            return None;
        }
        assert_eq!(output.status.code(), Some(0), "{text}");
        let book: Value = serde_json::from_slice(&std::fs::read(out.join("gradebook.json")).unwrap()).unwrap();
        let score = |who: &str| {
            let row = book["students"].as_array().unwrap().iter().find(|s| s["student"] == who).unwrap().clone();
            (row["score"].as_u64().unwrap(), row["max_score"].as_u64().unwrap())
        };
        Some((score("alice"), score("mallory")))
    };
    let Some((alice, mallory)) = batch(&[]) else { return };
    assert_eq!(alice.0, alice.1, "alice's correct programs lost points");
    assert!(mallory.0 < mallory.1);
    let attempt = std::fs::read_to_string(out.join("students/mallory/report.json")).unwrap();
    assert!(
        attempt.contains("blocked writing"),
        "the attack did not run: {}",
        &attempt[attempt.find("\"checks\"").unwrap_or(0)..]
    );
    for victim in &victims {
        let text = std::fs::read_to_string(victim).unwrap();
        assert!(!text.contains("forged"), "{} was forged", victim.display());
    }
    // Resumed (nobody is regraded): alice's result is read back as it was written.
    let (again, _) = batch(&[]).unwrap();
    assert_eq!(again, alice);
    let report: Value =
        serde_json::from_slice(&std::fs::read(out.join("students/alice/report.json")).unwrap()).unwrap();
    assert_eq!(report["score"].as_u64(), Some(alice.0));
}

/// The sandbox takes nothing away that a correct program needs: a hello-server that
/// first uses semaphores and shared memory (/dev/shm), a child process, threads, its
/// folder, /tmp, HOME and the system's files, then serves, passes.
#[test]
fn a_correct_program_has_everything_it_needs_inside() {
    for user in users() {
        let stage = Stage::new(user);
        let needs = stage.attack.with_file_name("needs.py");
        let program = format!("hello-server={} -B {}", stage.python, needs.display());
        let mut cmd = stage.command("read", &[], "nproc=64", "1");
        // The same command with another program: the last --cmd for a role wins.
        cmd.arg("--cmd").arg(&program).arg("--check").arg("hello/server-two-messages");
        let output = cmd.output().unwrap();
        let report: Value = serde_json::from_slice(&output.stdout)
            .unwrap_or_else(|e| panic!("{user:?}: {e}: {}", String::from_utf8_lossy(&output.stderr)));
        let first = report["notes"][0].as_str().unwrap_or("");
        if !first.starts_with("sandboxed:") {
            assert!(std::env::var_os("CI").is_none(), "CI must have the sandbox: {first}");
            eprintln!("SKIPPED: no sandbox here: {first}");
            return;
        }
        assert_eq!(output.status.code(), Some(0), "{user:?}: {report:#}");
    }
}
