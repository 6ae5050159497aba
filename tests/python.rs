//! The Python track: every lab's Python skeleton fails every check with a clear
//! message, every Python reference passes every check, and a course that sets
//! `track = "python"` in its grading file grades Python without `--python`.

use std::collections::BTreeSet;
use std::fs;

use socket_labs_tests::{assert_not_passed, checks, grade_json, root};

const LABS: [&str; 10] =
    ["hello", "varsize", "date", "logging", "echo", "upper", "threaded", "calc", "board", "pinger"];

/// The `.py` files of `labs/LAB/python` or `solutions/LAB/python`.
fn python_files(top: &str, lab: &str) -> BTreeSet<String> {
    let dir = root().join(top).join(lab).join("python");
    fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|name| name.ends_with(".py"))
        .collect()
}

#[test]
fn skeletons_and_references_mirror_each_other() {
    for lab in LABS {
        let skeletons = python_files("labs", lab);
        assert!(!skeletons.is_empty(), "labs/{lab}/python has the Python skeletons");
        assert_eq!(skeletons, python_files("solutions", lab), "labs/{lab}/python and solutions/{lab}/python");
        for file in &skeletons {
            let text = fs::read_to_string(root().join("labs").join(lab).join("python").join(file)).unwrap();
            assert!(text.contains("# TODO 1:"), "labs/{lab}/python/{file} has numbered TODO steps");
            assert!(
                text.contains("--host") && text.contains("--port"),
                "labs/{lab}/python/{file} reads --host and --port"
            );
        }
    }
}

#[test]
fn every_python_reference_passes_every_check() {
    let run = grade_json(&["--python", "--solutions", "--no-config"]);
    let report = run.json();
    assert_not_passed(&report, &[] as &[&str], "the Python references");
    let labs: BTreeSet<&str> = checks(&report).map(|c| c["lab"].as_str().unwrap()).collect();
    assert_eq!(labs, LABS.into_iter().collect(), "every lab ran");
    let commands = report["commands"].to_string();
    assert!(commands.contains("hello-server=python3 solutions/hello/python/HelloServer.py"), "{commands}");
    assert_eq!(run.code(), 0, "{}", run.stderr());
    run.assert_nothing_left();
}

#[test]
fn every_python_skeleton_fails_every_check_with_a_clear_message() {
    let run = grade_json(&["--python", "--no-config"]);
    let report = run.json();
    for check in checks(&report) {
        let id = check["id"].as_str().unwrap();
        // A skeleton server stops at its placeholder: its gate fails, once, and the
        // checks that start it are skipped for that.
        if socket_labs_tests::skipped_after(&report, check).is_some_and(|g| g.ends_with("-server-starts")) {
            continue;
        }
        assert_eq!(check["status"], "fail", "{id} fails on the Python skeleton: {check}");
        assert!(check["failure"]["hint"].as_str().is_some_and(|h| !h.is_empty()), "{id} has a hint: {check}");
    }
    for lab in LABS {
        let said: String = checks(&report).filter(|c| c["lab"] == lab).map(|c| c.to_string()).collect();
        assert!(said.contains("TODO step 1"), "the report of {lab} shows the skeleton's TODO line");
    }
    assert_eq!(report["score"], 0);
    assert_eq!(run.code(), 1);
    run.assert_nothing_left();
}

#[test]
fn a_course_sets_the_python_track_in_its_grading_file() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("grading.toml");
    fs::write(&config, "track = \"python\"\n").unwrap();
    let config = config.to_string_lossy().into_owned();
    let run = grade_json(&["date", "--solutions", "--config", &config]);
    let report = run.json();
    assert_not_passed(&report, &[] as &[&str], "the date references on the course's Python track");
    assert!(report["commands"].to_string().contains("python3 solutions/date/python/DateServer.py"), "{report}");

    let run = grade_json(&["date", "--config", &config, "--check", "date/server-rfc3339"]);
    let failure = run.json()["checks"][0]["failure"].to_string();
    assert!(failure.contains("not written yet"), "the course's track grades the Python skeleton: {failure}");
}

#[test]
fn a_wrong_track_in_the_grading_file_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("grading.toml");
    fs::write(&config, "track = \"java\"\n").unwrap();
    let run = grade_json(&["date", "--config", &config.to_string_lossy()]);
    assert_eq!(run.code(), 2);
    assert!(run.stderr().contains("java"), "{}", run.stderr());
}
