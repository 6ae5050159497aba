//! The student template's CI workflows and the platform bundles (template/), run here
//! as the platforms would run them: each workflow's `run:` scripts in order, with bash
//! as the Actions runner starts it and fake `$GITHUB_*` files in a temporary folder;
//! the Gradescope and PrairieLearn entrypoints on a fake /autograder and /grade.

use std::collections::HashMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use base64::Engine;
use serde_json::Value;
use socket_labs_tests::{grader_path, root};
use yaml_rust2::{Yaml, YamlLoader};

fn workflow(name: &str) -> Yaml {
    let path = root().join("template/.github/workflows").join(name);
    let text = fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    YamlLoader::load_from_str(&text).expect("valid YAML").remove(0)
}

fn string_map(yaml: &Yaml) -> Vec<(String, String)> {
    match yaml.as_hash() {
        Some(hash) => hash
            .iter()
            .map(|(k, v)| {
                let value = match v {
                    Yaml::String(s) => s.clone(),
                    Yaml::Integer(i) => i.to_string(),
                    Yaml::Boolean(b) => b.to_string(),
                    other => panic!("env value {other:?}"),
                };
                (k.as_str().unwrap().to_string(), value)
            })
            .collect(),
        None => Vec::new(),
    }
}

/// A `uses:` step that is not a checkout: the action, its env (expressions resolved)
/// and its `with:`.
type ActionStep = (String, Vec<(String, String)>, Yaml);

/// What a job's run left behind.
struct JobRun {
    dir: tempfile::TempDir,
    /// Each step's name and its combined output.
    logs: Vec<(String, String)>,
    /// `steps.ID.outputs.NAME`.
    outputs: HashMap<String, HashMap<String, String>>,
    /// The env of each `uses:` step that is not a checkout, with expressions resolved.
    actions: Vec<ActionStep>,
    failed: bool,
}

impl JobRun {
    fn summary(&self) -> String {
        fs::read_to_string(self.dir.path().join("step_summary.md")).unwrap_or_default()
    }

    fn log(&self, step: &str) -> &str {
        match self.logs.iter().find(|(name, _)| name == step) {
            Some((_, log)) => log,
            None => panic!("step {step} did not run; the steps that ran said: {:#?}", self.logs),
        }
    }
}

/// Runs one job of a workflow the way the Actions runner does, as far as its scripts
/// can tell: checkouts become links to this repository (the course and the submission
/// alike), `run:` scripts run in `bash --noprofile --norc -eo pipefail`, each step gets
/// its own `$GITHUB_OUTPUT`, `$GITHUB_PATH` lines reach later steps, and after a failed
/// step only `if: always()` steps run.
fn run_job(file: &str, job: &str, env_overrides: &[(&str, &str)]) -> JobRun {
    let doc = workflow(file);
    let job_yaml = &doc["jobs"][job];
    assert!(!job_yaml.is_badvalue(), "{file} has a job {job}");
    let dir = tempfile::tempdir().unwrap();
    let workspace = dir.path().join("workspace");
    let temp = dir.path().join("runner_temp");
    fs::create_dir_all(&workspace).unwrap();
    fs::create_dir_all(&temp).unwrap();
    let mut env: HashMap<String, String> = HashMap::new();
    env.extend(string_map(&doc["env"]));
    env.extend(string_map(&job_yaml["env"]));
    for (k, v) in env_overrides {
        env.insert(k.to_string(), v.to_string());
    }
    let mut path_dirs: Vec<String> = Vec::new();
    let mut run = JobRun { dir, logs: Vec::new(), outputs: HashMap::new(), actions: Vec::new(), failed: false };
    for (i, step) in job_yaml["steps"].as_vec().expect("steps").iter().enumerate() {
        let name = step["name"].as_str().unwrap_or("?").to_string();
        let condition = step["if"].as_str().unwrap_or("");
        if run.failed && !condition.contains("always()") {
            continue;
        }
        let resolve = |text: &str, outputs: &HashMap<String, HashMap<String, String>>| -> String {
            let mut out = String::new();
            let mut rest = text;
            while let Some(start) = rest.find("${{") {
                out.push_str(&rest[..start]);
                let end = rest[start..].find("}}").expect("}}") + start;
                let expr = rest[start + 3..end].trim();
                let value = if let Some(var) = expr.strip_prefix("env.") {
                    env.get(var).cloned().unwrap_or_default()
                } else if let Some(path) = expr.strip_prefix("steps.") {
                    let mut parts = path.split('.');
                    let (id, _, name) = (parts.next().unwrap(), parts.next(), parts.next().unwrap());
                    outputs.get(id).and_then(|o| o.get(name)).cloned().unwrap_or_default()
                } else {
                    panic!("{file}: step {name:?} uses an expression this test does not know: {expr}")
                };
                out.push_str(&value);
                rest = &rest[end + 2..];
            }
            out.push_str(rest);
            out
        };
        if let Some(action) = step["uses"].as_str() {
            if action.starts_with("actions/checkout@") {
                let path = step["with"]["path"].as_str().expect("each checkout names its path");
                std::os::unix::fs::symlink(root(), workspace.join(path)).unwrap();
            } else {
                let step_env =
                    string_map(&step["env"]).into_iter().map(|(k, v)| (k, resolve(&v, &run.outputs))).collect();
                run.actions.push((action.to_string(), step_env, step["with"].clone()));
            }
            continue;
        }
        let script = step["run"].as_str().unwrap_or_else(|| panic!("step {name:?} neither uses nor runs"));
        let step_env: Vec<(String, String)> =
            string_map(&step["env"]).into_iter().map(|(k, v)| (k, resolve(&v, &run.outputs))).collect();
        assert!(!script.contains("${{"), "{file}: step {name:?} puts an expression into a script; use env:");
        let files = run.dir.path().join(format!("step{i}"));
        fs::create_dir_all(&files).unwrap();
        let (output, github_path) = (files.join("output"), files.join("path"));
        fs::write(files.join("script.sh"), script).unwrap();
        let path =
            path_dirs.iter().rev().cloned().chain([std::env::var("PATH").unwrap()]).collect::<Vec<_>>().join(":");
        let result = Command::new("bash")
            .args(["--noprofile", "--norc", "-eo", "pipefail"])
            .arg(files.join("script.sh"))
            .current_dir(&workspace)
            .envs(&env)
            .envs(step_env)
            .env("PATH", path)
            .env("GITHUB_WORKSPACE", &workspace)
            .env("RUNNER_TEMP", &temp)
            .env("GITHUB_OUTPUT", &output)
            .env("GITHUB_PATH", &github_path)
            .env("GITHUB_STEP_SUMMARY", run.dir.path().join("step_summary.md"))
            .env("NO_COLOR", "1")
            .env("TMPDIR", &temp)
            .output()
            .unwrap();
        let log = format!("{}{}", String::from_utf8_lossy(&result.stdout), String::from_utf8_lossy(&result.stderr));
        if let Ok(lines) = fs::read_to_string(&github_path) {
            path_dirs.extend(lines.lines().map(String::from));
        }
        if let (Some(id), Ok(text)) = (step["id"].as_str(), fs::read_to_string(&output)) {
            let values = text.lines().filter_map(|l| l.split_once('=')).map(|(k, v)| (k.to_string(), v.to_string()));
            run.outputs.entry(id.to_string()).or_default().extend(values);
        }
        if !result.status.success() {
            run.failed = true;
        }
        run.logs.push((name, log));
    }
    run
}

fn workspace_file(run: &JobRun, path: &str) -> PathBuf {
    run.dir.path().join("workspace").join(path)
}

#[test]
fn the_grade_workflow_grades_a_pull_request_and_publishes_everything() {
    let run = run_job("grade.yml", "grade", &[]);
    let grade = run.log("Grade");
    // The skeletons of labs/hello: every check fails, with annotations.
    assert!(run.failed, "a failing submission fails the job:\n{grade}");
    assert!(grade.contains("score: 0/"), "the human report is in the log:\n{grade}");
    // The skeleton's server stops at start: its gate fails, once, and the checks that
    // need it are skipped (in the summary, without an annotation each).
    assert!(grade.lines().any(|l| l.starts_with("::error title=hello/hello-server-starts")), "{grade}");
    assert!(!grade.lines().any(|l| l.contains("title=hello/server-replies")), "{grade}");
    let summary = run.summary();
    assert!(summary.contains("| ❌ | `hello/hello-server-starts`"), "{summary}");
    assert!(summary.contains("| ⏭️ | `hello/server-replies`"), "{summary}");
    let junit = fs::read_to_string(workspace_file(&run, "grade-results/junit.xml")).unwrap();
    let junit = quick_junit::Report::deserialize_from_str(&junit).unwrap();
    assert_eq!(junit.test_suites[0].name.as_str(), "hello");
    let report: Value =
        serde_json::from_str(&fs::read_to_string(workspace_file(&run, "grade-results/report.json")).unwrap()).unwrap();
    assert_eq!(report["score"], 0);
    // The upload runs even though grading failed, and uploads what the step wrote.
    let (action, _, with) = &run.actions[0];
    assert!(action.starts_with("actions/upload-artifact@"));
    assert!(workspace_file(&run, with["path"].as_str().unwrap()).join("report.json").is_file());
}

#[test]
fn the_grade_workflow_pins_the_grader_and_gives_the_submission_no_power() {
    let doc = workflow("grade.yml");
    let on = &doc["on"];
    assert!(!on["pull_request"].is_badvalue(), "it grades pull requests");
    assert!(on["pull_request_target"].is_badvalue(), "pull_request_target would run a fork's code with write access");
    let permissions = doc["permissions"].as_hash().expect("explicit permissions");
    assert_eq!(permissions.len(), 1);
    assert_eq!(doc["permissions"]["contents"].as_str(), Some("read"));
    let reference = doc["env"]["GRADER_REF"].as_str().unwrap();
    assert!(
        reference.len() == 40 && reference.chars().all(|c| c.is_ascii_hexdigit()),
        "GRADER_REF is a full commit id, not a branch or tag that could move: {reference}"
    );
    let steps = doc["jobs"]["grade"]["steps"].as_vec().unwrap();
    let course = steps.iter().find(|s| s["with"]["path"].as_str() == Some("course")).expect("a checkout of the course");
    assert_eq!(course["with"]["ref"].as_str(), Some("${{ env.GRADER_REF }}"));
    for step in steps.iter().filter(|s| s["uses"].as_str().is_some_and(|u| u.starts_with("actions/checkout"))) {
        assert_eq!(step["with"]["persist-credentials"].as_bool(), Some(false), "no token left in .git/config");
    }
    let text = fs::read_to_string(root().join("template/.github/workflows/grade.yml")).unwrap();
    assert!(!text.contains("secrets."), "the job that runs the student's code uses no secret");
    // The grader that runs is the course's build, never submission/grader.
    let grade = steps.iter().find(|s| s["name"].as_str() == Some("Grade")).unwrap()["run"].as_str().unwrap();
    assert!(grade.contains("grader --root submission") && grade.contains("--config course/grading.toml"));
    assert!(!grade.contains("cargo grade") && !grade.contains("submission/target"), "{grade}");
}

/// GitHub's hardening guide: pin an action to a full commit id (a tag can be moved to
/// other code), with its release in a comment. Every action, GitHub's own included:
/// one rule without exceptions.
#[test]
fn every_action_is_pinned_to_a_full_commit_id() {
    let dir = root().join("template/.github/workflows");
    let mut seen = 0;
    for entry in fs::read_dir(&dir).unwrap().flatten() {
        let text = fs::read_to_string(entry.path()).unwrap();
        for line in text.lines().map(str::trim) {
            let Some(uses) = line.strip_prefix("uses:").or_else(|| line.strip_prefix("- uses:")) else {
                continue;
            };
            seen += 1;
            let (action, comment) = uses.split_once('#').unwrap_or((uses, ""));
            let (name, reference) = action.trim().split_once('@').expect("action@ref");
            assert!(
                reference.len() == 40 && reference.chars().all(|c| c.is_ascii_hexdigit()),
                "{}: {name} is pinned to {reference:?}, not a full commit id",
                entry.path().display()
            );
            assert!(comment.trim().starts_with('v'), "{}: say which release {reference} is", entry.path().display());
        }
    }
    assert!(seen >= 8, "every uses: line was read ({seen})");
}

/// Gradescope's image may have no package lists yet: update them before installing.
#[test]
fn the_gradescope_setup_updates_the_package_lists_before_installing() {
    let text = fs::read_to_string(root().join("template/gradescope/setup.sh")).unwrap();
    let commands: Vec<&str> = text.lines().map(str::trim).filter(|l| !l.starts_with('#')).collect();
    let update = commands.iter().position(|l| l.starts_with("apt-get update"));
    let install = commands.iter().position(|l| l.contains("apt-get install")).expect("it installs packages");
    assert!(update.is_some_and(|u| u < install), "apt-get update runs before apt-get install");
    assert!(commands[install].contains("-y"), "never waits for an answer");
}

#[test]
fn the_report_workflow_publishes_junit_without_running_the_submission() {
    let doc = workflow("grade-report.yml");
    assert_eq!(doc["on"]["workflow_run"]["workflows"][0].as_str(), Some("grade"));
    assert_eq!(doc["permissions"]["checks"].as_str(), Some("write"));
    let steps = doc["jobs"]["report"]["steps"].as_vec().unwrap();
    for step in steps {
        let uses = step["uses"].as_str().unwrap_or("");
        assert!(step["run"].is_badvalue(), "no script runs in the job that can write checks");
        assert!(!uses.starts_with("actions/checkout"), "it never checks out the submission");
    }
    let artifact = steps.iter().find(|s| s["uses"].as_str().unwrap().starts_with("actions/download-artifact")).unwrap();
    let grade = workflow("grade.yml");
    let upload = grade["jobs"]["grade"]["steps"].as_vec().unwrap().last().unwrap().clone();
    assert_eq!(artifact["with"]["name"], upload["with"]["name"], "it downloads what grade uploads");
    let publish =
        steps.iter().find(|s| s["uses"].as_str().unwrap().starts_with("mikepenz/action-junit-report")).unwrap();
    assert_eq!(publish["with"]["report_paths"].as_str(), Some("grade-results/junit.xml"));
}

#[test]
fn the_classroom_workflow_gives_the_reporter_its_points() {
    let run = run_job("classroom.yml", "run-autograding-tests", &[]);
    assert!(!run.failed, "grading leaves the verdict to the reporter:\n{:?}", run.logs);
    let (action, env, with) = run.actions.iter().find(|(a, _, _)| a.contains("autograding-grading-reporter")).unwrap();
    assert!(action.starts_with("classroom-resources/autograding-grading-reporter@"));
    // What the reporter does: for each runner id, read <ID>_RESULTS, base64 JSON.
    let mut points = (0, 0);
    for runner in with["runners"].as_str().unwrap().split(',') {
        let variable = format!("{}_RESULTS", runner.trim().to_uppercase());
        let encoded = &env.iter().find(|(k, _)| *k == variable).unwrap_or_else(|| panic!("{variable}")).1;
        let bytes = base64::engine::general_purpose::STANDARD.decode(encoded).expect("base64");
        let results: Value = serde_json::from_slice(&bytes).unwrap();
        assert_eq!(results["version"], 1);
        points.1 += results["max_score"].as_u64().unwrap();
        points.0 += results["tests"].as_array().unwrap().iter().map(|t| t["score"].as_u64().unwrap()).sum::<u64>();
    }
    assert_eq!(points.0, 0, "the skeletons earn nothing");
    assert!(points.1 > 0);
    let report: Value = serde_json::from_str(
        &Command::new(grader_path())
            .args(["list", "--json"])
            .output()
            .map(|o| String::from_utf8(o.stdout).unwrap())
            .unwrap(),
    )
    .unwrap();
    let hello = report.as_array().unwrap().iter().find(|l| l["name"] == "hello").unwrap();
    assert_eq!(hello["max_points"].as_u64(), Some(points.1), "Points 0/{} of lab hello", points.1);
}

/// A fake /autograder or /grade: the course is this repository, the submission the
/// files given.
fn submission(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (name, text) in files {
        let path = dir.path().join("submission").join(name);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, text).unwrap();
    }
    dir
}

fn solution(role: &str) -> String {
    fs::read_to_string(root().join(format!("solutions/hello/src/bin/{role}.rs"))).unwrap()
}

/// Runs a platform's entrypoint with the grader on PATH. Its programs build in a
/// target folder of its own: cargo puts a workspace's binaries at one path per name,
/// so two builds of labs/hello sharing a folder would replace each other's programs.
fn entrypoint(script: &str, envs: &[(&str, &Path)]) -> std::process::Output {
    let bin = grader_path().parent().unwrap().to_path_buf();
    let path = format!("{}:{}", bin.display(), std::env::var("PATH").unwrap());
    let target = root().join("target/template-tests").join(Path::new(script).file_name().unwrap());
    let mut command = Command::new("bash");
    command.arg(root().join(script)).env("PATH", path).env("CARGO_TARGET_DIR", target);
    for (k, v) in envs {
        command.env(k, v);
    }
    command.output().unwrap()
}

#[test]
fn the_gradescope_bundle_grades_an_uploaded_submission() {
    let roles = ["hello-server", "hello-client", "sum-server", "sum-client"];
    let files: Vec<(String, String)> = roles.iter().map(|r| (format!("{r}.rs"), solution(r))).collect();
    let files: Vec<(&str, &str)> = files.iter().map(|(n, t)| (n.as_str(), t.as_str())).collect();
    let autograder = submission(&files);
    fs::create_dir_all(autograder.path().join("source")).unwrap();
    std::os::unix::fs::symlink(root(), autograder.path().join("source/course")).unwrap();
    let out = entrypoint("template/gradescope/run_autograder", &[("AUTOGRADER", autograder.path())]);
    let log = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    let results = fs::read_to_string(autograder.path().join("results/results.json"))
        .unwrap_or_else(|e| panic!("results.json: {e}\n{log}"));
    let results: Value = serde_json::from_str(&results).unwrap_or_else(|e| panic!("{e}\n{log}"));
    let tests = results["tests"].as_array().unwrap();
    let max: u64 = tests.iter().map(|t| t["max_score"].as_u64().unwrap()).sum();
    assert_eq!(results["score"].as_u64(), Some(max), "the reference programs, uploaded, earn every point:\n{log}");
    assert!(tests.iter().all(|t| t["status"] == "passed"), "{log}");
    assert!(log.contains("labs/hello/src/bin/hello-server.rs from the submission"), "{log}");
}

#[test]
fn the_prairielearn_entrypoint_reports_a_submission_that_does_not_compile_as_not_gradable() {
    let grade = submission(&[("hello-server.rs", "fn main() { let x: u32 = \"nope\"; }\n")]);
    fs::rename(grade.path().join("submission"), grade.path().join("student")).unwrap();
    let out = entrypoint("template/prairielearn/run.sh", &[("GRADE", grade.path()), ("COURSE", &root())]);
    let log = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    let results = fs::read_to_string(grade.path().join("results/results.json"))
        .unwrap_or_else(|e| panic!("results.json: {e}\n{log}"));
    let results: Value = serde_json::from_str(&results).unwrap_or_else(|e| panic!("{e}\n{log}"));
    assert_eq!(results["gradable"], false, "{log}");
    let errors = results["format_errors"].as_array().unwrap();
    assert!(errors.iter().any(|e| e.as_str().unwrap().contains("mismatched types")), "{errors:?}");
}

/// The Gradescope bundle holds nothing a submission must not see (the solutions, the
/// tests' mutants, the benchmarks), and its trimmed workspace still resolves exactly
/// from its Cargo.lock, offline.
#[test]
fn the_gradescope_bundle_carries_no_solutions() {
    let dir = tempfile::tempdir().unwrap();
    let zip = dir.path().join("autograder.zip");
    let out = Command::new("bash")
        .arg(root().join("template/gradescope/make-bundle.sh"))
        .args(["HEAD", zip.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let unzip = Command::new("python3")
        .args(["-m", "zipfile", "-e", zip.to_str().unwrap(), dir.path().join("x").to_str().unwrap()])
        .status()
        .unwrap();
    assert!(unzip.success());
    let course = dir.path().join("x/course");
    for gone in ["solutions", "tests", "bench"] {
        assert!(!course.join(gone).exists(), "the bundle has course/{gone}");
    }
    assert!(course.join("labs/hello/src/bin/hello-server.rs").is_file(), "the skeletons are there");
    let manifest = fs::read_to_string(course.join("Cargo.toml")).unwrap();
    assert!(!manifest.contains("solution"), "{manifest}");
    for krate in grader_crates() {
        assert!(course.join(&krate).join("Cargo.toml").is_file(), "the bundle has {krate}");
        assert!(manifest.contains(&format!("\"{krate}\"")), "the bundle's workspace has {krate}: {manifest}");
    }
    let metadata = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .args(["metadata", "--format-version", "1", "--locked", "--offline"])
        .current_dir(&course)
        .output()
        .unwrap();
    assert!(metadata.status.success(), "{}", String::from_utf8_lossy(&metadata.stderr));
    for script in ["run_autograder", "course/template/prairielearn/run.sh"] {
        let text = fs::read_to_string(dir.path().join("x").join(script)).unwrap();
        assert!(text.contains("--require-sandbox"), "{script} must refuse to grade unsandboxed");
    }
}

/// The grader's crates (grader/harness, grader/labs, ...): folders of grader/ with a
/// Cargo.toml, which every copy of the course carries with the grader.
fn grader_crates() -> Vec<String> {
    let mut crates: Vec<String> = fs::read_dir(root().join("grader"))
        .unwrap()
        .flatten()
        .filter(|e| e.path().join("Cargo.toml").is_file())
        .map(|e| format!("grader/{}", e.file_name().to_string_lossy()))
        .collect();
    crates.sort();
    assert!(crates.len() >= 3, "the grader's crates: {crates:?}");
    crates
}

/// The workspace's target folder (where the grader of these tests was built).
fn target_dir() -> PathBuf {
    grader_path().parent().and_then(Path::parent).expect("target/debug/grader").to_path_buf()
}

/// Makes a fresh student template at `dir` with `grader template`.
fn make_template(dir: &Path, extra: &[&str]) {
    if dir.exists() {
        fs::remove_dir_all(dir).unwrap();
    }
    let made = Command::new(grader_path())
        .arg("template")
        .arg(dir)
        .args(extra)
        .args(["--color", "never"])
        .current_dir(root())
        .output()
        .unwrap();
    assert!(made.status.success(), "grader template: {}", String::from_utf8_lossy(&made.stderr));
    for gone in ["solutions", "tests", "bench", "template", "scripts", ".ci"] {
        assert!(!dir.join(gone).exists(), "the student template has no {gone}/");
    }
    let readme = fs::read_to_string(dir.join("README.md")).unwrap();
    assert!(readme.contains("## How to submit") && readme.contains("cargo grade hello"), "{readme}");
    assert!(!readme.contains("{{"), "every placeholder of the README is filled in: {readme}");
}

/// `cargo ARGS` in the template as a student types it: the template's own alias and
/// grader. Its builds go to a target folder of their own that stays from one test run
/// to the next (dependencies are compiled once). Not the workspace's: cargo names a
/// workspace member's build by its path inside the workspace, so the template's
/// `labs/hello` and the workspace's are one unit to cargo, and in a shared folder the
/// template's build (with the reference's files) would be taken for the workspace's
/// skeleton, fresh.
fn student_cargo(course: &Path, args: &[&str]) -> std::process::Output {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    Command::new(cargo)
        .args(args)
        .current_dir(course)
        .env("CARGO_TARGET_DIR", course.with_file_name("target"))
        .env_remove("CARGO_BUILD_BUILD_DIR")
        .env("CARGO_TERM_COLOR", "never")
        .output()
        .unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn the_student_template_takes_a_student_from_todo_to_passing_checks() {
    // A fixed folder, so that its builds are reused from one test run to the next.
    let course = target_dir().join("student-template").join("course");
    make_template(&course, &[]);
    let manifest = fs::read_to_string(course.join("Cargo.toml")).unwrap();
    assert!(!manifest.contains("-solution"), "no profile of a package the template lacks: {manifest}");
    for krate in grader_crates() {
        assert!(manifest.contains(&format!("\"{krate}\"")), "the template's workspace has {krate}: {manifest}");
    }

    // Before writing anything: every check fails, and says the program is not written.
    let first = student_cargo(&course, &["grade", "hello", "--format", "json", "--color", "never"]);
    let (stdout, stderr) = (text(&first.stdout), text(&first.stderr));
    assert_eq!(first.status.code(), Some(1), "{stderr}");
    assert!(!stderr.contains("did not match any packages"), "no warning about missing packages: {stderr}");
    let report: Value = serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}: {stdout}\n{stderr}"));
    for check in report["checks"].as_array().expect("checks") {
        let status = check["status"].as_str().unwrap();
        assert!(status == "fail" || status == "skipped", "{check}");
        if status == "fail" {
            let hint = check["failure"]["hint"].as_str().unwrap_or_default();
            assert!(hint.contains("not written yet"), "a clear message: {check}");
        }
    }

    // explain shows the reference solution's run (recorded in the template), with
    // the grader's side as a `cargo grader send` step, though hello-server is a todo!.
    let explained = student_cargo(&course, &["grader", "explain", "hello/server-replies", "--color", "never"]);
    let shown = text(&explained.stdout);
    assert!(explained.status.success(), "{}", text(&explained.stderr));
    assert!(shown.contains("the reference solution's run, recorded"), "{shown}");
    assert!(shown.contains("< [client 1] \"I got \\\"Hello world\\\" from you"), "{shown}");
    assert!(shown.contains("cargo grader send --tcp 127.0.0.1:65432 'Hello world'"), "{shown}");
    assert!(!text(&explained.stderr).contains("did not match any packages"));

    // The template has no solutions: one line, exit 2, no check run.
    let solutions = student_cargo(&course, &["grade", "--solutions", "--color", "never"]);
    let said = text(&solutions.stderr);
    assert_eq!(solutions.status.code(), Some(2), "{said}");
    let said: Vec<&str> = said.lines().filter(|l| !l.starts_with("warning") && !l.trim().is_empty()).collect();
    assert_eq!(said.len(), 1, "{said:?}");
    assert!(said[0].contains("has no solutions/"), "{said:?}");
    assert!(text(&solutions.stdout).is_empty(), "no check ran");

    // The student writes the programs (here: the reference's files), and grades again.
    for file in fs::read_dir(root().join("solutions/hello/src/bin")).unwrap() {
        let file = file.unwrap();
        fs::copy(file.path(), course.join("labs/hello/src/bin").join(file.file_name())).unwrap();
    }
    let done = student_cargo(&course, &["grade", "hello", "--color", "never"]);
    assert_eq!(done.status.code(), Some(0), "{}\n{}", text(&done.stdout), text(&done.stderr));
    assert!(!text(&done.stderr).contains("warning"), "{}", text(&done.stderr));
}

#[test]
fn a_python_template_grades_the_python_files() {
    let dir = tempfile::tempdir().unwrap();
    let course = dir.path().join("course");
    make_template(&course, &["--python"]);
    let grading = fs::read_to_string(course.join("grading.toml")).unwrap();
    assert!(grading.lines().any(|l| l.trim() == "track = \"python\""), "{grading}");
    assert!(course.join("labs/hello/python/HelloServer.py").is_file());
    assert!(!course.join("labs/hello/Cargo.toml").exists(), "no Rust skeletons in a Python course");
    let manifest = fs::read_to_string(course.join("Cargo.toml")).unwrap();
    assert!(!manifest.contains("varsize"), "no profile of a package the template lacks: {manifest}");
    assert!(!manifest.contains("labs/*"), "no Rust skeletons among the members: {manifest}");
    for krate in grader_crates() {
        assert!(manifest.contains(&format!("\"{krate}\"")), "the template's workspace has {krate}: {manifest}");
    }

    let grade = |root: &Path| {
        Command::new(grader_path())
            .arg("--root")
            .arg(root)
            .args(["test", "hello", "--format", "json", "--color", "never"])
            .output()
            .unwrap()
    };
    let first = grade(&course);
    assert_eq!(first.status.code(), Some(1), "{}", text(&first.stderr));
    let report: Value = serde_json::from_slice(&first.stdout).unwrap();
    assert!(report["commands"].to_string().contains("python3 labs/hello/python/HelloServer.py"), "{report}");
    assert_eq!(report["passed"], 0, "{report}");
    for file in fs::read_dir(root().join("solutions/hello/python")).unwrap() {
        let file = file.unwrap();
        fs::copy(file.path(), course.join("labs/hello/python").join(file.file_name())).unwrap();
    }
    let done = grade(&course);
    assert_eq!(done.status.code(), Some(0), "{}\n{}", text(&done.stdout), text(&done.stderr));

    let explained = Command::new(grader_path())
        .arg("--root")
        .arg(&course)
        .args(["explain", "hello/server-replies", "--color", "never"])
        .output()
        .unwrap();
    let shown = text(&explained.stdout);
    assert!(shown.contains("the reference solution's run, recorded"), "{shown}");
    assert!(shown.contains("python3 labs/hello/python/HelloServer.py --host"), "{shown}");
}
