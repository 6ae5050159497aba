//! The samples in docs/formats come from the code, never from a hand: report.json is a
//! real run (the Python programs of tests/fixtures/hello, two with a bug whose failure is the same every run, graded with
//! docs/formats/grading.toml), its times and ports made stable; every other sample is
//! `grader report` of it. This test fails when any of them is stale; to write them
//! again:
//!
//! ```sh
//! UPDATE_SAMPLES=1 cargo test -p socket-labs-tests --test samples
//! ```

use std::fs;
use std::path::{Path, PathBuf};

use serde_json::Value;
use socket_labs_tests::{grader_command, hello_python, python, root};

const CHECKS: [&str; 6] = [
    "hello/server-replies",
    "hello/server-any-text",
    "hello/client-default-message",
    "hello/sum-integers",
    "hello/sum-exact",
    "hello/sum-overflow",
];

/// Each sample: the format and the file it is written to.
const SAMPLES: [(&str, &str); 8] = [
    ("human", "human.txt"),
    ("junit", "junit.xml"),
    ("gradescope", "gradescope.json"),
    ("prairielearn", "prairielearn.json"),
    ("github", "github-annotations.txt"),
    ("classroom", "classroom.txt"),
    ("tap", "results.tap"),
    ("html", "report.html"),
];

fn samples() -> PathBuf {
    root().join("docs/formats")
}

fn updating() -> bool {
    std::env::var_os("UPDATE_SAMPLES").is_some()
}

/// A fresh run of the sample, its times, ports and paths made stable.
fn sample_run() -> Value {
    let tmp = tempfile::tempdir().unwrap();
    let mut args: Vec<String> = vec!["test".into(), "hello".into(), "--seed".into(), "7".into()];
    args.extend(hello_python(None).chunks(2).flat_map(|pair| {
        let bug = match pair[1].split('=').next() {
            Some("hello-server") => " --bug ascii",
            Some("sum-server") => " --bug float-sum",
            _ => "",
        };
        [pair[0].clone(), format!("{}{bug}", pair[1])]
    }));
    for id in CHECKS {
        args.extend(["--check".into(), id.into()]);
    }
    args.extend(["--config".into(), samples().join("grading.toml").to_string_lossy().into_owned()]);
    args.extend(["--format".into(), "json".into()]);
    let out = grader_command(tmp.path()).args(&args).output().unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    let text = text.replace(&format!("{}/", root().display()), "").replace(python(), "python3");
    let mut report: Value = serde_json::from_str(&stable_ports(&text))
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)));
    report["duration_ms"] = 0.into();
    report["notes"] = Value::Array(Vec::new());
    for check in report["checks"].as_array_mut().unwrap() {
        check["duration_ms"] = 0.into();
        for event in check["transcript"].as_array_mut().unwrap() {
            event["at_ms"] = 0.into();
        }
    }
    report
}

/// Numbers the ports a run happened to use 40001, 40002, ... in order of appearance.
fn stable_ports(text: &str) -> String {
    let mut seen: Vec<String> = Vec::new();
    let mut out = String::new();
    let mut rest = text;
    while let Some(at) = ["127.0.0.1:", "--port "].iter().filter_map(|m| rest.find(m).map(|i| i + m.len())).min() {
        out.push_str(&rest[..at]);
        rest = &rest[at..];
        let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
        if !digits.is_empty() {
            let n = match seen.iter().position(|p| *p == digits) {
                Some(n) => n,
                None => {
                    seen.push(digits.clone());
                    seen.len() - 1
                }
            };
            out.push_str(&(40001 + n).to_string());
            rest = &rest[digits.len()..];
        }
    }
    out.push_str(rest);
    out
}

/// What a run concluded, without its transcripts: the same on every machine.
fn verdicts(report: &Value) -> Vec<Value> {
    report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            let mut c = c.clone();
            c.as_object_mut().unwrap().remove("transcript");
            c
        })
        .collect()
}

fn check_or_write(path: &Path, fresh: &str, stale: &mut Vec<String>) {
    if updating() {
        fs::write(path, fresh).unwrap();
    } else if fs::read_to_string(path).ok().as_deref() != Some(fresh) {
        stale.push(path.strip_prefix(root()).unwrap_or(path).display().to_string());
    }
}

#[test]
fn the_samples_in_docs_come_from_the_code() {
    let mut stale = Vec::new();
    let report_path = samples().join("report.json");
    let fresh = sample_run();
    if updating() {
        fs::write(&report_path, serde_json::to_string_pretty(&fresh).unwrap() + "\n").unwrap();
    }
    let committed: Value = serde_json::from_str(&fs::read_to_string(&report_path).unwrap()).unwrap();
    if verdicts(&committed) != verdicts(&fresh) || committed["score"] != fresh["score"] {
        for (a, b) in verdicts(&committed).iter().zip(verdicts(&fresh).iter()).filter(|(a, b)| a != b) {
            eprintln!("committed: {a}\nnow:       {b}");
        }
        stale.push("docs/formats/report.json (the checks conclude otherwise now)".into());
    }

    let tmp = tempfile::tempdir().unwrap();
    let mut args = vec!["report".to_string(), report_path.to_string_lossy().into_owned()];
    for (format, file) in SAMPLES {
        args.extend(["--format".into(), format!("{format}={}", tmp.path().join(file).display())]);
    }
    let out = grader_command(tmp.path())
        .args(&args)
        .env("GITHUB_STEP_SUMMARY", tmp.path().join("github-summary.md"))
        .env("GITHUB_OUTPUT", tmp.path().join("github-output.txt"))
        .output()
        .unwrap();
    // Nothing on stderr but where the HTML page is.
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.lines().all(|l| l.starts_with("HTML report: ")), "{stderr}");
    let mut files: Vec<&str> = SAMPLES.iter().map(|(_, file)| *file).collect();
    files.extend(["github-summary.md", "github-output.txt"]);
    for file in files {
        let text = fs::read_to_string(tmp.path().join(file)).unwrap();
        check_or_write(&samples().join(file), &text, &mut stale);
    }
    // The classroom result decoded, for people to read.
    let encoded = fs::read_to_string(tmp.path().join("classroom.txt")).unwrap();
    let decoded = base64::Engine::decode(&base64::engine::general_purpose::STANDARD, encoded.trim()).unwrap();
    let decoded: Value = serde_json::from_slice(&decoded).unwrap();
    check_or_write(
        &samples().join("classroom.json"),
        &(serde_json::to_string_pretty(&decoded).unwrap() + "\n"),
        &mut stale,
    );

    assert!(
        stale.is_empty(),
        "stale samples: {stale:?}; write them again with UPDATE_SAMPLES=1 cargo test -p socket-labs-tests --test samples"
    );
}
