//! The grader without Rust: the Python wheel that maturin builds from grader/ (its
//! pyproject.toml) installs a `grader` command that grades the Python track in a
//! workspace of Python files alone, on a machine where cargo is nowhere on PATH.
//!
//! The wheel is built once per run of this file (`maturin build --release`, the grader
//! alone: a few minutes on two cores the first time, seconds after). maturin is taken
//! from PATH, else pip-installed into a venv kept in the target folder; where neither
//! works (offline, no venv module) the tests print `SKIPPED: ...` and pass, unless
//! SOCKET_LABS_REQUIRE_WHEEL=1 (CI) makes that a failure.

use std::ffi::OsString;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;
use std::time::Instant;

use serde_json::Value;
use socket_labs_tests::{checks, python, root};

/// The `grader` command installed from the wheel into a fresh venv, or why there is none.
fn installed_grader() -> Option<&'static Path> {
    static GRADER: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    match GRADER.get_or_init(install) {
        Ok(grader) => Some(grader),
        Err(why) => {
            let required = std::env::var_os("SOCKET_LABS_REQUIRE_WHEEL").is_some_and(|v| v == "1");
            assert!(!required, "SOCKET_LABS_REQUIRE_WHEEL=1, but the wheel cannot be built here: {why}");
            println!("SKIPPED: {why}");
            eprintln!("SKIPPED: {why}");
            None
        }
    }
}

/// The target folder the tests were built in (target/debug/deps/this-test -> target).
fn target_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("own path");
    exe.ancestors().nth(3).expect("target/debug/deps").to_path_buf()
}

fn run(cmd: &mut Command) -> Result<Output, String> {
    let shown = format!("{cmd:?}");
    let output = cmd.output().map_err(|e| format!("cannot run {shown}: {e}"))?;
    if output.status.success() {
        Ok(output)
    } else {
        Err(format!(
            "{shown} failed ({}):\n{}{}",
            output.status,
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        ))
    }
}

/// `python3 -m venv DIR`, with a message naming the Debian package when the venv module
/// cannot make one (no ensurepip).
fn venv(dir: &Path) -> Result<PathBuf, String> {
    run(Command::new(python()).args(["-m", "venv", "--clear"]).arg(dir))
        .map_err(|e| format!("python3 -m venv does not work here (Debian: apt-get install python3-venv): {e}"))?;
    Ok(dir.join("bin"))
}

/// maturin from PATH, else from a venv in the target folder (pip-installed once).
fn maturin() -> Result<PathBuf, String> {
    if let Ok(found) = which("maturin") {
        return Ok(found);
    }
    let home = target_dir().join("wheel-test/maturin-venv");
    let maturin = home.join("bin/maturin");
    if run(Command::new(&maturin).arg("--version")).is_ok() {
        return Ok(maturin);
    }
    let bin = venv(&home)?;
    run(Command::new(bin.join("pip")).args(["install", "--quiet", "--disable-pip-version-check", "maturin>=1.5,<2"]))
        .map_err(|e| format!("maturin cannot be installed (offline?): {e}"))?;
    Ok(maturin)
}

fn which(program: &str) -> Result<PathBuf, String> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .map(|dir| dir.join(program))
        .find(|p| p.is_file())
        .ok_or_else(|| format!("{program} is not on PATH"))
}

/// Builds the wheel and installs it into a fresh venv: the machine of a student who has
/// Python and the wheel, nothing else.
fn install() -> Result<PathBuf, String> {
    let maturin = maturin()?;
    let dist = target_dir().join("wheel-test/dist");
    let _ = fs::remove_dir_all(&dist);
    let started = Instant::now();
    // The grader's own Cargo.toml: cargo builds that one package, in release mode, in
    // the workspace's target folder (so a second run rebuilds nothing).
    let built = run(Command::new(&maturin)
        .args(["build", "--release", "--quiet", "-m"])
        .arg(root().join("grader/Cargo.toml"))
        .arg("-o")
        .arg(&dist)
        .env("CARGO_TARGET_DIR", target_dir()));
    // Once maturin runs, a wheel that does not build is a failure, not a skip.
    if let Err(e) = built {
        panic!("maturin build: {e}");
    }
    eprintln!("wheel: built in {:.0?}", started.elapsed());
    let wheels: Vec<PathBuf> = fs::read_dir(&dist)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "whl"))
        .collect();
    let [wheel] = wheels.as_slice() else { panic!("maturin wrote one wheel into {}: {wheels:?}", dist.display()) };
    let name = wheel.file_name().unwrap().to_string_lossy();
    assert!(name.starts_with("socket_labs_grader-"), "the wheel's name: {name}");

    let student = target_dir().join("wheel-test/student-venv");
    let bin = venv(&student)?;
    // --no-index: the wheel needs nothing from PyPI.
    run(Command::new(bin.join("pip"))
        .args(["install", "--quiet", "--disable-pip-version-check", "--no-index"])
        .arg(wheel))
    .unwrap_or_else(|e| panic!("pip install of the wheel: {e}"));
    let grader = bin.join("grader");
    assert!(grader.is_file(), "pip installed the grader command at {}", grader.display());
    Ok(grader)
}

/// PATH without any folder that holds cargo or rustc: the student has no Rust.
fn path_without_rust() -> OsString {
    let path = std::env::var_os("PATH").unwrap_or_default();
    let python_dir = Path::new(python()).parent().map(Path::to_path_buf);
    let kept = std::env::split_paths(&path)
        .filter(|dir| !dir.join("cargo").exists() && !dir.join("rustc").exists())
        .chain(python_dir);
    std::env::join_paths(kept).unwrap()
}

/// The installed grader, run in `dir` with no Rust anywhere: no cargo on PATH, none of
/// cargo's variables.
fn grade(grader: &Path, dir: &Path, args: &[&str]) -> (i32, Value, String) {
    let tmp = tempfile::tempdir().unwrap();
    let mut cmd = Command::new(grader);
    cmd.args(["test", "--no-config", "--format", "json"]).args(args).current_dir(dir).env("PATH", path_without_rust());
    for (key, _) in std::env::vars_os() {
        if key.to_string_lossy().starts_with("CARGO") || key.to_string_lossy().starts_with("RUSTUP") {
            cmd.env_remove(key);
        }
    }
    let output = cmd.env("TMPDIR", tmp.path()).env("NO_COLOR", "1").env_remove("GITHUB_STEP_SUMMARY").output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    let report = serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!(
            "JSON report from the installed grader: {e}\nstdout: {}\nstderr: {stderr}",
            String::from_utf8_lossy(&output.stdout)
        )
    });
    (output.status.code().expect("the grader exited"), report, stderr)
}

/// Copies every `.py` of `from` into `to`.
fn copy_python(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for entry in fs::read_dir(from).unwrap().flatten() {
        if entry.path().extension().is_some_and(|x| x == "py") {
            fs::copy(entry.path(), to.join(entry.file_name())).unwrap();
        }
    }
}

/// The labs with a Python track in this workspace.
fn python_labs() -> Vec<String> {
    let mut labs: Vec<String> = fs::read_dir(root().join("labs"))
        .unwrap()
        .flatten()
        .filter(|e| e.path().join("python").is_dir())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    labs.sort();
    labs
}

#[test]
fn the_installed_grader_passes_the_python_references_without_cargo() {
    let Some(grader) = installed_grader() else { return };
    // A course's Python files, and nothing of the Cargo workspace.
    let course = tempfile::tempdir().unwrap();
    for lab in python_labs() {
        for top in ["labs", "solutions"] {
            copy_python(
                &root().join(top).join(&lab).join("python"),
                &course.path().join(top).join(&lab).join("python"),
            );
        }
    }
    let (code, report, stderr) = grade(grader, course.path(), &["--python", "--solutions", "hello"]);
    let failed: Vec<String> = checks(&report).filter(|c| c["status"] != "pass").map(|c| c.to_string()).collect();
    assert!(failed.is_empty(), "every check passes on the Python references: {failed:?}\n{stderr}");
    assert!(checks(&report).count() > 0, "hello has checks");
    assert_eq!(code, 0, "{stderr}");
    assert!(
        report["commands"].to_string().contains("hello-server=python3 solutions/hello/python/HelloServer.py"),
        "{}",
        report["commands"]
    );
    assert!(!stderr.contains("cargo"), "the installed grader never mentions cargo: {stderr}");
}

#[test]
fn a_student_with_python_and_the_wheel_goes_from_red_to_green() {
    let Some(grader) = installed_grader() else { return };
    // What the student has: the hello lab's Python files, as the course hands them out.
    let student = tempfile::tempdir().unwrap();
    let mine = student.path().join("labs/hello/python");
    copy_python(&root().join("labs/hello/python"), &mine);

    let (code, report, stderr) = grade(grader, student.path(), &["hello", "--python"]);
    assert_eq!(code, 1, "the skeleton fails: {stderr}");
    assert!(checks(&report).count() > 0, "hello has checks");
    for check in checks(&report) {
        let id = check["id"].as_str().unwrap();
        // A skeleton server stops at its placeholder: its gate says so, once, and the
        // checks that start it are skipped.
        if socket_labs_tests::skipped_after(&report, check).is_some_and(|g| g.ends_with("-server-starts")) {
            continue;
        }
        assert_eq!(check["status"], "fail", "{id} fails on the skeleton: {check}");
        assert!(check["failure"]["hint"].as_str().is_some_and(|h| !h.is_empty()), "{id} has a hint: {check}");
        let said = check.to_string();
        assert!(said.contains("TODO step"), "{id} shows the skeleton's TODO line: {said}");
        assert!(!said.contains("cargo"), "{id} suggests no cargo command to a student without Rust: {said}");
    }

    // The student follows the TODO steps (here: the reference's files), and grades
    // again, without --python: a workspace without Cargo.toml is on the Python track.
    copy_python(&root().join("solutions/hello/python"), &mine);
    let (code, report, stderr) = grade(grader, student.path(), &["hello"]);
    let failed: Vec<String> = checks(&report).filter(|c| c["status"] != "pass").map(|c| c.to_string()).collect();
    assert!(failed.is_empty(), "every check passes once the TODO steps are done: {failed:?}\n{stderr}");
    assert_eq!(code, 0, "{stderr}");
    assert!(report["commands"].to_string().contains("python3 labs/hello/python/HelloServer.py"), "{report}");
}

#[test]
fn the_installed_grader_outside_a_workspace_says_where_to_run_it() {
    let Some(grader) = installed_grader() else { return };
    // The wheel was built in this workspace: still it must not fall back to it.
    let elsewhere = tempfile::tempdir().unwrap();
    let output = Command::new(grader).args(["test", "hello"]).current_dir(elsewhere.path()).output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("cannot find the socket-labs workspace") && stderr.contains("--root"), "{stderr}");
}
