//! The self-check of the whole course (rustlings' `dev check` is the model): every
//! lab has a skeleton, a solution, a handout and checks; every solution passes every
//! check; every skeleton fails every check, helpfully, and never as a grader error.

use std::fs;

use serde_json::Value;
use socket_labs_tests::{checks, grade_json, grader, root, skipped_after};

fn labs() -> Vec<Value> {
    let run = grader(&["list", "--json"]);
    assert_eq!(run.code(), 0, "{}", run.stderr());
    serde_json::from_str::<Value>(&run.stdout()).expect("list --json").as_array().expect("labs").clone()
}

#[test]
fn every_lab_has_a_skeleton_a_solution_a_handout_and_checks() {
    let root = root();
    for lab in labs() {
        let name = lab["name"].as_str().unwrap();
        let handout = fs::read_to_string(root.join(format!("docs/labs/{name}.md")))
            .unwrap_or_else(|_| panic!("docs/labs/{name}.md is the handout of lab {name}"));
        // Checks in Rust, or written as data (docs/authoring.md).
        let checks_of = [format!("grader/labs/src/checks/{name}.rs"), format!("labs/{name}/lab.toml")];
        assert!(checks_of.iter().any(|f| root.join(f).is_file()), "checks of {name}");
        let solution_manifest = fs::read_to_string(root.join(format!("solutions/{name}/Cargo.toml"))).unwrap();
        for role in lab["roles"].as_array().unwrap() {
            let role = role["name"].as_str().unwrap();
            let skeleton = root.join(format!("labs/{name}/src/bin/{role}.rs"));
            let source = fs::read_to_string(&skeleton).unwrap_or_else(|_| panic!("{} exists", skeleton.display()));
            assert!(source.contains("TODO"), "{} guides the student with TODO steps", skeleton.display());
            assert!(root.join(format!("solutions/{name}/src/bin/{role}.rs")).is_file(), "solution of {role}");
            assert!(
                solution_manifest.contains(&format!("name = \"ref-{role}\"")),
                "solutions/{name} names its {role} binary ref-{role}, so it cannot overwrite the student's"
            );
            assert!(handout.contains(role), "the handout of {name} describes {role}");
        }
        let lab_checks = lab["checks"].as_array().unwrap();
        assert!(!lab_checks.is_empty(), "lab {name} has checks");
        for check in lab_checks {
            let id = check["id"].as_str().unwrap();
            assert!(!check["name"].as_str().unwrap().is_empty(), "{id} has a description");
            assert!(handout.contains(id), "docs/labs/{name}.md explains {id}");
        }
    }
}

#[test]
fn solutions_contain_no_stubs() {
    // The grader: its command line (src/) and its crates (harness/, labs/, report/).
    for dir in ["solutions", "grader"] {
        for entry in walk(&root().join(dir)) {
            let text = fs::read_to_string(&entry).unwrap_or_default();
            assert!(!text.contains("todo!(") && !text.contains("unimplemented!("), "a stub in {}", entry.display());
        }
    }
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    for entry in fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            files.extend(walk(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            files.push(path);
        }
    }
    files
}

#[test]
fn the_reference_solutions_pass_every_check() {
    let run = grade_json(&["--solutions"]);
    let report = run.json();
    let failed: Vec<&Value> = checks(&report).filter(|c| c["status"] != "pass").collect();
    assert!(failed.is_empty(), "solutions failed: {failed:#?}");
    assert_eq!(report["score"], report["max_score"]);
    assert_eq!(run.code(), 0);
    run.assert_nothing_left();
}

#[test]
fn the_skeletons_fail_every_check_with_a_hint_and_never_a_grader_error() {
    let run = grade_json(&[]);
    let report = run.json();
    let mut gates = 0;
    for check in checks(&report) {
        let id = check["id"].as_str().unwrap();
        // A skeleton server stops at its first TODO: it fails its gate, once, and each
        // check that starts it is skipped for that reason, not failed again.
        if let Some(gate) = skipped_after(&report, check) {
            assert!(gate.ends_with("-server-starts"), "{id} is skipped only after a server's gate: {check}");
            continue;
        }
        gates += usize::from(id.ends_with("-server-starts"));
        assert!(matches!(check["status"].as_str(), Some("fail" | "timeout")), "{id} fails on the skeleton: {check}");
        assert!(
            check["failure"]["hint"].as_str().is_some_and(|h| !h.is_empty()),
            "{id} tells the student what to do: {check}"
        );
    }
    assert_eq!(gates, 13, "every server role's gate failed");
    assert_eq!(report["score"], 0);
    assert_eq!(run.code(), 1);
    run.assert_nothing_left();
}

#[test]
fn grading_labs_right_after_the_solutions_still_grades_the_skeleton() {
    // Both builds share one target directory; the solutions' binaries must not
    // overwrite the student's (they are named ref-<role>).
    assert_eq!(grade_json(&["--solutions", "hello"]).code(), 0);
    let report = grade_json(&["hello"]).json();
    assert_eq!(report["score"], 0, "labs/hello is still the unfinished skeleton");
    let hint = checks(&report).next().unwrap()["failure"]["hint"].as_str().unwrap().to_string();
    assert!(hint.contains("labs/hello/src/bin/"), "the hint points at the skeleton's file: {hint}");
}

#[test]
fn the_json_report_adds_up() {
    let report = grade_json(&["--solutions", "hello"]).json();
    let checks: Vec<&Value> = checks(&report).collect();
    let sum = |field: &str| checks.iter().map(|c| c[field].as_u64().unwrap()).sum::<u64>();
    assert_eq!(report["score"].as_u64().unwrap(), sum("points"));
    assert_eq!(report["max_score"].as_u64().unwrap(), sum("max_points"));
    let counted: u64 = ["passed", "failed", "skipped", "errors"].iter().map(|k| report[k].as_u64().unwrap()).sum();
    assert_eq!(counted as usize, checks.len());
    for check in checks {
        for field in ["id", "name", "status", "points", "max_points", "duration_ms"] {
            assert!(!check[field].is_null(), "{field} in {check}");
        }
    }
}

#[test]
fn the_contract_in_docs_is_the_course_contract() {
    // docs/contract.md began as shared/CONTRACT.md and is now the contract, changed
    // there with its reasons (docs/contract.md's note). It must still cover everything
    // the course's original fixes: each of its sections, and every program it names.
    let shared = root().join("../shared/CONTRACT.md");
    let copy = fs::read_to_string(root().join("docs/contract.md")).expect("docs/contract.md");
    let body = copy.split_once("-->\n").map(|(_, body)| body).expect("docs/contract.md starts with its note");
    assert!(body.contains("# The lab contract"));
    let Ok(original) = fs::read_to_string(&shared) else { return };
    for heading in original.lines().filter(|l| l.starts_with("## ")) {
        assert!(body.lines().any(|l| l == heading), "docs/contract.md lost the section {heading:?}");
    }
    for program in original.split('`').skip(1).step_by(2).filter(|w| w.contains('-') && !w.contains(' ')) {
        if program.starts_with("--") || program.chars().any(|c| !(c.is_ascii_lowercase() || c == '-')) {
            continue;
        }
        assert!(body.contains(&format!("`{program}")), "docs/contract.md no longer names `{program}`");
    }
}
