//! The class's gradebook made by `grader gradebook merge` from saved JSON reports (no
//! grading: fast): each lab's mean and median over the class, and a CSV that a
//! spreadsheet reads as text, never as a formula.

use std::fs;
use std::path::Path;

use serde_json::{json, Value};
use socket_labs_tests::grader;

/// A saved report of `grader test --format json`: the hello checks with these points.
fn report(points: &[(&str, u32, u32)]) -> Value {
    let checks: Vec<Value> = points
        .iter()
        .map(|(slug, got, max)| {
            let status = if got == max { "pass" } else { "fail" };
            json!({
                "id": format!("hello/{slug}"), "lab": "hello", "name": slug, "status": status,
                "points": got, "max_points": max, "message": null, "failure": null,
                "duration_ms": 1, "transcript": [],
            })
        })
        .collect();
    let score: u32 = points.iter().map(|p| p.1).sum();
    let max: u32 = points.iter().map(|p| p.2).sum();
    json!({
        "version": 1, "source": "labs", "commands": [], "seed": 7, "score": score, "max_score": max,
        "passed": 0, "failed": 0, "skipped": 0, "errors": 0, "duration_ms": 10, "notes": [], "checks": checks,
    })
}

/// Merges `students` (file name, report) into a gradebook; returns its folder.
fn merge(dir: &Path, students: &[(&str, Value)]) -> std::path::PathBuf {
    let mut args = vec!["gradebook".to_string(), "merge".to_string()];
    for (name, report) in students {
        let path = dir.join(format!("{name}.json"));
        fs::write(&path, report.to_string()).unwrap();
        args.push(path.to_string_lossy().into_owned());
    }
    let out = dir.join("out");
    args.extend(["-o".to_string(), out.to_string_lossy().into_owned()]);
    let run = grader(&args.iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(run.code(), 0, "{}", run.stderr());
    out
}

#[test]
fn each_lab_has_the_class_mean_and_median() {
    let dir = tempfile::tempdir().unwrap();
    let students = [
        ("a", report(&[("server-replies", 2, 2), ("sum-integers", 2, 2)])),
        ("b", report(&[("server-replies", 0, 2), ("sum-integers", 0, 2)])),
        ("c", report(&[("server-replies", 2, 2), ("sum-integers", 0, 2)])),
        ("d", report(&[("server-replies", 2, 2), ("sum-integers", 2, 2)])),
    ];
    let out = merge(dir.path(), &students);
    let book: Value = serde_json::from_slice(&fs::read(out.join("gradebook.json")).unwrap()).unwrap();
    assert_eq!(book["version"], 2);
    let hello = &book["labs"][0];
    assert_eq!(hello["lab"], "hello");
    assert_eq!(hello["max_score"], 4);
    assert_eq!(hello["students"], 4);
    // Scores 4, 0, 2, 4: mean 2.5, median 3.
    assert_eq!((hello["mean"].as_f64(), hello["median"].as_f64()), (Some(2.5), Some(3.0)), "{hello}");
    assert!(hello.get("score").is_none(), "no score that means nothing for a class: {hello}");
}

/// OWASP's CSV injection advice: a cell that starts with = + - @, a tab or a carriage
/// return is prefixed with ' so that a spreadsheet shows it as text.
#[test]
fn a_csv_cell_is_never_a_formula() {
    let dir = tempfile::tempdir().unwrap();
    let hostile = ["=HYPERLINK(\"evil.example\",\"click\")", "+1+cmd", "-2+3", "@SUM(A1)", "\tlead-tab", "\rlead-cr"];
    let students: Vec<(&str, Value)> =
        hostile.iter().map(|name| (*name, report(&[("server-replies", 2, 2)]))).collect();
    // The student is the folder of each report.json.
    let mut renamed = Vec::new();
    for (i, (name, report)) in students.into_iter().enumerate() {
        let folder = dir.path().join(format!("s{i}")).join(name);
        fs::create_dir_all(&folder).unwrap();
        renamed.push((format!("s{i}/{name}/report"), report));
    }
    let borrowed: Vec<(&str, Value)> = renamed.iter().map(|(n, r)| (n.as_str(), r.clone())).collect();
    let out = merge(dir.path(), &borrowed);
    let csv = fs::read_to_string(out.join("gradebook.csv")).unwrap();
    for name in hostile {
        let cell = format!("'{name}");
        let quoted = format!("\"'{}\"", name.replace('"', "\"\""));
        assert!(csv.contains(&quoted) || csv.contains(&format!("\r\n{cell},")), "{name:?} not defused in:\n{csv}");
    }
    for line in csv.split("\r\n").skip(1).filter(|l| !l.is_empty()) {
        let first = line.trim_start_matches('"');
        assert!(!first.starts_with(['=', '+', '-', '@', '\t', '\r']), "a live formula: {line:?}");
    }
    // Numbers stay numbers.
    assert!(csv.contains(",graded,2,2,100.0,2,pass,"), "{csv}");
}
