//! The platform formats (docs/grading.md): each one is parsed back by a consumer of
//! its kind (quick-junit's reader, a strict TAP 14 parser with a YAML parser, the
//! field names the platforms publish) and says what the report says; several formats
//! go out at once; the instructor's grading file sets points, hides details in every
//! format, and decides the exit status.

use std::collections::BTreeSet;
use std::fs;
use std::path::Path;

use base64::Engine;
use serde_json::{json, Value};
use socket_labs_tests::{grade_json, grader_command, hello_python, not_passed};
use yaml_rust2::{Yaml, YamlLoader};

/// A value that must not leak out of a hidden check in any format.
const SECRET: &str = "SECRET-7f3a";

/// A report with every kind of result, and text that is hard to carry: quotes,
/// colons, `#`, `%`, `|`, newlines, UTF-8, a control byte.
fn sample_report() -> Value {
    let failure = |kind: &str, summary: &str| {
        json!({
            "kind": kind, "summary": summary, "sent": "\"1 2\\n\"", "expected": "3: the sum # of \"both\"",
            "got": "50% | 3.0\nand more\u{1}", "hint": "read up to the newline: héllo", "details": ["exit status 1"]
        })
    };
    let check = |slug: &str, status: &str, points: u32, max: u32, failure: Option<Value>| {
        json!({
            "id": format!("hello/{slug}"), "lab": "hello", "name": format!("the {slug} sentence"),
            "status": status, "points": points, "max_points": max,
            "message": failure.as_ref().map(|f| f["summary"].clone()), "failure": failure, "duration_ms": 120,
            "transcript": [
                {"at_ms": 0, "kind": "command", "text": "python3 server.py --port 40001"},
                {"at_ms": 3, "kind": "sent", "text": "\"1 2\\n\""},
                {"at_ms": 5, "kind": "received", "text": "\"3.0\\n\""},
            ],
        })
    };
    let mut hidden = check("sum-overflow", "fail", 0, 1, Some(failure("mismatch", &format!("wrong sum {SECRET}"))));
    hidden["failure"]["expected"] = json!(format!("ERR overflow {SECRET}"));
    hidden["transcript"][1]["text"] = json!(SECRET);
    json!({
        "version": 1, "source": "labs", "commands": [], "seed": 7, "score": 4, "max_score": 10,
        "passed": 2, "failed": 3, "skipped": 1, "errors": 1, "duration_ms": 2500, "notes": ["a note"],
        "checks": [
            check("server-replies", "pass", 2, 2, None),
            check("sum-integers", "fail", 0, 2, Some(failure("mismatch", "sum-server replied a float: 3.0"))),
            check("sum-split-request", "timeout", 0, 1, Some(failure("timeout", "no reply within 2 s"))),
            check("sum-crlf", "skipped", 0, 1, Some(json!({
                "kind": "skipped", "summary": "no second loopback address here", "sent": null, "expected": null,
                "got": null, "hint": null, "details": []}))),
            check("sum-each-client", "error", 0, 1, Some(failure("grader_error", "cannot find a free port"))),
            check("sum-exact", "pass", 2, 2, None),
            hidden,
        ],
    })
}

/// Writes `report` and a grading file to a temporary folder and runs `grader report`
/// with `args`; returns the folder and the run's stdout.
fn render(report: &Value, grading: &str, args: &[&str]) -> (tempfile::TempDir, std::process::Output) {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("report.json"), serde_json::to_string(report).unwrap()).unwrap();
    fs::write(dir.path().join("grading.toml"), grading).unwrap();
    let mut all = vec!["report".to_string(), dir.path().join("report.json").to_string_lossy().into_owned()];
    if !grading.is_empty() {
        all.extend(["--config".to_string(), dir.path().join("grading.toml").to_string_lossy().into_owned()]);
    }
    all.extend(args.iter().map(|a| a.replace("{dir}", &dir.path().to_string_lossy())));
    let output = grader_command(dir.path())
        .args(&all)
        .env("GITHUB_STEP_SUMMARY", dir.path().join("summary.md"))
        .env("GITHUB_OUTPUT", dir.path().join("github_output"))
        .output()
        .unwrap();
    (dir, output)
}

const ALL_FORMATS: &str = "json junit gradescope prairielearn github classroom tap human html";

fn every_format_to_files() -> Vec<String> {
    ALL_FORMATS.split(' ').flat_map(|f| ["--format".to_string(), format!("{f}={{dir}}/out.{f}")]).collect()
}

fn read(dir: &Path, name: &str) -> String {
    fs::read_to_string(dir.join(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn keys(value: &Value) -> BTreeSet<&str> {
    value.as_object().expect("an object").keys().map(String::as_str).collect()
}

fn subset<'a>(of: &'a [&'a str]) -> impl Fn(&Value) -> bool + 'a {
    move |v: &Value| keys(v).iter().all(|k| of.contains(k))
}

#[test]
fn junit_parses_back_with_one_case_per_check() {
    let args = every_format_to_files();
    let (dir, out) = render(&sample_report(), "", &args.iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stderr));
    let junit = quick_junit::Report::deserialize_from_str(&read(dir.path(), "out.junit")).expect("valid JUnit XML");
    assert_eq!(junit.test_suites.len(), 1);
    let suite = &junit.test_suites[0];
    assert_eq!(suite.name.as_str(), "hello");
    assert_eq!((suite.tests, suite.failures, suite.errors, suite.skipped), (7, 3, 1, 1));
    let report = sample_report();
    for (case, check) in suite.test_cases.iter().zip(report["checks"].as_array().unwrap()) {
        assert_eq!(case.name.as_str(), check["id"]);
        assert_eq!(case.classname.as_ref().map(|c| c.as_str()), Some("hello"));
        use quick_junit::{NonSuccessKind, TestCaseStatus::*};
        match (&case.status, check["status"].as_str().unwrap()) {
            (Success { .. }, "pass") => {}
            (Skipped { message, .. }, "skipped") => {
                assert_eq!(message.as_ref().unwrap().as_str(), check["message"]);
            }
            (NonSuccess { kind, message, description, .. }, status @ ("fail" | "timeout" | "error")) => {
                assert_eq!(*kind == NonSuccessKind::Error, status == "error");
                assert!(message.as_ref().unwrap().as_str().contains(check["message"].as_str().unwrap()));
                let text = description.as_ref().unwrap().as_str();
                // Every byte of the failure and the transcript survives the XML.
                assert!(text.contains("50% | 3.0\n"), "{text}");
                assert!(text.contains("transcript:") && text.contains("< \"3.0\\n\""), "{text}");
            }
            (status, want) => panic!("{}: {status:?} for {want}", check["id"]),
        }
    }
}

#[test]
fn gradescope_uses_the_published_field_names() {
    let args = every_format_to_files();
    let (dir, _) = render(&sample_report(), "", &args.iter().map(String::as_str).collect::<Vec<_>>());
    let results: Value = serde_json::from_str(&read(dir.path(), "out.gradescope")).unwrap();
    let top = [
        "score",
        "execution_time",
        "output",
        "output_format",
        "test_output_format",
        "test_name_format",
        "visibility",
        "stdout_visibility",
        "extra_data",
        "tests",
        "leaderboard",
    ];
    assert!(subset(&top)(&results), "{:?}", keys(&results));
    assert_eq!(results["score"], 4);
    assert_eq!(results["execution_time"], 3, "seconds, rounded up");
    assert_eq!(results["visibility"], "visible");
    assert_eq!(results["stdout_visibility"], "hidden");
    let visibilities = ["hidden", "after_due_date", "after_published", "visible"];
    let test_fields = [
        "score",
        "max_score",
        "status",
        "name",
        "name_format",
        "number",
        "output",
        "output_format",
        "tags",
        "visibility",
        "extra_data",
    ];
    let tests = results["tests"].as_array().unwrap();
    assert_eq!(tests.len(), 7);
    let mut sum = 0;
    for (test, check) in tests.iter().zip(sample_report()["checks"].as_array().unwrap()) {
        assert!(subset(&test_fields)(test), "{:?}", keys(test));
        for field in ["name", "number", "score", "max_score", "status", "output", "visibility"] {
            assert!(!test[field].is_null(), "{field} in {test}");
        }
        assert!(test["name"].as_str().unwrap().starts_with(check["id"].as_str().unwrap()));
        assert_eq!(test["status"], if check["status"] == "pass" { "passed" } else { "failed" });
        assert!(["text", "html", "simple_format", "md", "ansi"].contains(&test["output_format"].as_str().unwrap()));
        assert!(visibilities.contains(&test["visibility"].as_str().unwrap()));
        assert_eq!(test["max_score"], check["max_points"]);
        sum += test["score"].as_u64().unwrap();
    }
    assert_eq!(results["score"].as_u64(), Some(sum));
    assert_eq!(tests[1]["number"], "1.2");
}

#[test]
fn prairielearn_scores_from_0_to_1_and_a_build_failure_is_not_gradable() {
    let args = every_format_to_files();
    let (dir, _) = render(&sample_report(), "", &args.iter().map(String::as_str).collect::<Vec<_>>());
    let results: Value = serde_json::from_str(&read(dir.path(), "out.prairielearn")).unwrap();
    assert!(subset(&["gradable", "score", "message", "output", "format_errors", "tests", "images"])(&results));
    assert_eq!(results["gradable"], true);
    assert!((results["score"].as_f64().unwrap() - 4.0 / 10.0).abs() < 1e-9);
    for test in results["tests"].as_array().unwrap() {
        assert_eq!(
            keys(test),
            ["description", "max_points", "message", "name", "output", "points"].into_iter().collect()
        );
    }
    assert_eq!(results["tests"][1]["name"], "hello/sum-integers");
    assert_eq!(results["tests"][1]["description"], "the sum-integers sentence");

    let mut broken = sample_report();
    broken["checks"][1]["failure"] = json!({
        "kind": "build_failed", "summary": "labs/hello does not compile", "sent": null, "expected": null,
        "got": null, "hint": "fix the first error first", "details": ["error[E0308]: mismatched types"]});
    let (dir, _) = render(&broken, "", &["--format", "prairielearn={dir}/pl.json"]);
    let results: Value = serde_json::from_str(&read(dir.path(), "pl.json")).unwrap();
    assert_eq!(results["gradable"], false);
    assert!(results.get("score").is_none(), "no score when not gradable");
    let errors = results["format_errors"].as_array().unwrap();
    assert_eq!(errors.len(), 1);
    assert!(errors[0].as_str().unwrap().contains("mismatched types"), "{errors:?}");
}

#[test]
fn classroom_is_base64_of_the_version_1_result_and_a_step_output() {
    let args = every_format_to_files();
    let (dir, _) = render(&sample_report(), "", &args.iter().map(String::as_str).collect::<Vec<_>>());
    let encoded = read(dir.path(), "out.classroom");
    let decode = |text: &str| -> Value {
        let bytes = base64::engine::general_purpose::STANDARD.decode(text.trim()).expect("base64");
        serde_json::from_slice(&bytes).expect("JSON")
    };
    let result = decode(&encoded);
    assert_eq!(keys(&result), ["max_score", "status", "tests", "version"].into_iter().collect());
    assert_eq!(
        (result["version"].clone(), result["status"].clone(), result["max_score"].clone()),
        (json!(1), json!("fail"), json!(10))
    );
    let fields = ["duration", "filename", "line_no", "message", "name", "score", "status", "test_code"];
    let mut points = 0;
    for test in result["tests"].as_array().unwrap() {
        assert_eq!(keys(test), fields.into_iter().collect());
        assert!(["pass", "fail", "error"].contains(&test["status"].as_str().unwrap()));
        assert_eq!(test["message"].is_null(), test["status"] == "pass");
        points += test["score"].as_u64().unwrap();
    }
    assert_eq!(points, 4, "the reporter adds up the tests' scores");
    // The step output that the grading reporter reads, as `${{ steps.ID.outputs.result }}`.
    let output = read(dir.path(), "github_output");
    let value = output.lines().find_map(|l| l.strip_prefix("result=")).expect("result=");
    assert_eq!(decode(value), result);
}

/// Undoes the runner's escaping of a workflow command's data.
fn unescape(text: &str) -> String {
    text.replace("%0A", "\n").replace("%0D", "\r").replace("%3A", ":").replace("%2C", ",").replace("%25", "%")
}

#[test]
fn github_annotates_what_did_not_pass_and_appends_a_summary_table() {
    let (dir, out) = render(&sample_report(), "", &["--format", "github"]);
    let stdout = String::from_utf8(out.stdout).unwrap();
    let annotations: Vec<&str> = stdout.lines().filter(|l| l.starts_with("::")).collect();
    assert_eq!(annotations.len(), 5, "fail, timeout, skipped, error, hidden fail:\n{stdout}");
    for line in &annotations {
        let (command, message) = line[2..].split_once("::").expect("::LEVEL PROPS::MESSAGE");
        let (level, props) = command.split_once(' ').unwrap();
        assert!(["error", "warning"].contains(&level), "{line}");
        let title = props.strip_prefix("title=").unwrap();
        assert!(!title.contains(':') && !title.contains(','), "properties escape : and ,: {title}");
        assert!(!message.contains('\n'));
        if unescape(title).starts_with("hello/sum-integers") {
            assert_eq!(level, "error");
            assert!(unescape(message).contains("got:      50% | 3.0\n          and more"), "{}", unescape(message));
        }
    }
    assert!(stdout.contains("score: 4/10"), "the human report is on the terminal too:\n{stdout}");
    let summary = read(dir.path(), "summary.md");
    assert!(
        summary.contains("| ✅ | `hello/server-replies` the server-replies sentence | 2/2 | passed |"),
        "{summary}"
    );
    let rows = summary.lines().filter(|l| l.starts_with("| ")).count();
    assert_eq!(rows, 2 + 7, "a header, its rule and a row per check:\n{summary}");
}

#[test]
fn github_appends_to_a_summary_that_other_steps_wrote() {
    let dir = tempfile::tempdir().unwrap();
    let summary = dir.path().join("summary.md");
    fs::write(&summary, "# earlier step\n").unwrap();
    fs::write(dir.path().join("report.json"), sample_report().to_string()).unwrap();
    let out = grader_command(dir.path())
        .args(["report", dir.path().join("report.json").to_str().unwrap(), "--format", "github"])
        .env("GITHUB_STEP_SUMMARY", &summary)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let text = fs::read_to_string(&summary).unwrap();
    assert!(text.starts_with("# earlier step\n## ❌ socket-labs score: 4/10"), "{text}");
}

/// One test point of a TAP stream.
#[derive(Debug)]
struct Point {
    ok: bool,
    description: String,
    directive: Option<String>,
    yaml: Option<Yaml>,
}

/// A strict TAP 14 parser for what a producer may write: the version line, a plan, and
/// numbered test points, each optionally followed by an indented YAML block.
fn parse_tap(text: &str) -> Result<Vec<Point>, String> {
    let mut lines = text.lines().peekable();
    if lines.next() != Some("TAP version 14") {
        return Err("the first line must be `TAP version 14`".into());
    }
    let plan = lines.next().and_then(|l| l.strip_prefix("1..")).ok_or("a plan 1..N follows")?;
    let planned: usize = plan.parse().map_err(|_| format!("bad plan {plan:?}"))?;
    let mut points = Vec::new();
    while let Some(line) = lines.next() {
        // A comment (TAP 14 allows them anywhere after the version): the sandbox's line.
        if line.starts_with('#') {
            continue;
        }
        let (ok, rest) = match line.strip_prefix("not ok ") {
            Some(rest) => (false, rest),
            None => (true, line.strip_prefix("ok ").ok_or(format!("not a test point: {line:?}"))?),
        };
        let (number, rest) = rest.split_once(' ').unwrap_or((rest, ""));
        if number.parse::<usize>() != Ok(points.len() + 1) {
            return Err(format!("test point {number} out of order"));
        }
        let rest = rest.strip_prefix("- ").unwrap_or(rest);
        // The description ends at the first unescaped ` # `.
        let (mut description, mut directive, mut escaped) = (String::new(), None, false);
        for (i, c) in rest.char_indices() {
            match (escaped, c) {
                (false, '\\') => escaped = true,
                (false, '#') => {
                    directive = Some(rest[i + 1..].trim().to_string());
                    break;
                }
                (true, '\\' | '#') => {
                    description.push(c);
                    escaped = false;
                }
                (true, _) => return Err(format!("bad escape in {line:?}")),
                (false, c) => description.push(c),
            }
        }
        let description = description.trim_end().to_string();
        if let Some(d) = &directive {
            if !(d.to_ascii_uppercase().starts_with("SKIP") || d.to_ascii_uppercase().starts_with("TODO")) {
                return Err(format!("unknown directive {d:?}"));
            }
        }
        let mut yaml = None;
        if lines.peek() == Some(&"  ---") {
            lines.next();
            let mut block = String::new();
            loop {
                let line = lines.next().ok_or("a YAML block ends with `  ...`")?;
                if line == "  ..." {
                    break;
                }
                block.push_str(line.strip_prefix("  ").ok_or(format!("YAML lines are indented: {line:?}"))?);
                block.push('\n');
            }
            let docs = YamlLoader::load_from_str(&block).map_err(|e| format!("YAML: {e}\n{block}"))?;
            yaml = docs.into_iter().next();
        }
        points.push(Point { ok, description, directive, yaml });
    }
    if points.len() != planned {
        return Err(format!("plan says {planned}, {} test points", points.len()));
    }
    Ok(points)
}

#[test]
fn tap_is_valid_tap_14_and_its_diagnostics_read_back_exactly() {
    let args = every_format_to_files();
    let (dir, _) = render(&sample_report(), "", &args.iter().map(String::as_str).collect::<Vec<_>>());
    let points = parse_tap(&read(dir.path(), "out.tap")).unwrap();
    let report = sample_report();
    for (point, check) in points.iter().zip(report["checks"].as_array().unwrap()) {
        assert_eq!(point.description, check["id"]);
        let status = check["status"].as_str().unwrap();
        assert_eq!(point.ok, matches!(status, "pass" | "skipped"), "{point:?}");
        assert_eq!(point.directive.is_some(), status == "skipped", "{point:?}");
        if status == "skipped" {
            assert_eq!(point.directive.as_deref(), Some("SKIP no second loopback address here"));
        }
        if !point.ok {
            let yaml = point.yaml.as_ref().expect("diagnostics under a failure");
            let failure = &check["failure"];
            assert!(yaml["message"].as_str().unwrap().contains(failure["summary"].as_str().unwrap()));
            for field in ["sent", "expected", "got", "hint"] {
                assert_eq!(yaml[field].as_str(), failure[field].as_str(), "{field} reads back exactly");
            }
        }
    }
    assert!(!points[0].ok || points[0].yaml.is_none());
}

#[test]
fn the_tap_parser_of_these_tests_rejects_broken_tap() {
    for (text, says) in [
        ("1..1\nok 1\n", "TAP version 14"),
        ("TAP version 14\n1..2\nok 1\n", "plan says 2"),
        ("TAP version 14\n1..1\nok 2\n", "out of order"),
        ("TAP version 14\n1..1\nnot ok 1 - x\n  ---\n  a: [\n  ...\n", "YAML"),
        ("TAP version 14\n1..1\nok 1 - x # MAYBE\n", "directive"),
    ] {
        let error = parse_tap(text).unwrap_err();
        assert!(error.contains(says), "{text:?}: {error}");
    }
}

#[test]
fn a_hidden_check_shows_only_its_name_status_and_points_in_every_format() {
    let grading = "[checks]\n\"hello/sum-overflow\" = { hidden = true, points = 3 }\n";
    let args = every_format_to_files();
    let (dir, out) = render(&sample_report(), grading, &args.iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stderr));
    let mut everything = String::from_utf8_lossy(&out.stdout).into_owned();
    for format in ALL_FORMATS.split(' ') {
        let text = read(dir.path(), &format!("out.{format}"));
        let text = if format == "classroom" {
            String::from_utf8(base64::engine::general_purpose::STANDARD.decode(text.trim()).unwrap()).unwrap()
        } else {
            text
        };
        assert!(!text.contains(SECRET), "{format} shows a hidden check's details:\n{text}");
        assert!(text.contains("sum-overflow"), "{format} still names the hidden check");
        everything.push_str(&text);
    }
    everything.push_str(&read(dir.path(), "summary.md"));
    assert!(!everything.contains(SECRET));
    let report: Value = serde_json::from_str(&read(dir.path(), "out.json")).unwrap();
    let hidden = &report["checks"][6];
    assert_eq!((hidden["hidden"].clone(), hidden["max_points"].clone()), (json!(true), json!(3)), "it still counts");
    assert_eq!(report["max_score"], 12);
    assert!(hidden["failure"].is_null() && hidden["transcript"].as_array().unwrap().is_empty());

    // An instructor may look.
    let (dir, _) = render(&sample_report(), grading, &["--show-hidden", "--format", "json={dir}/shown.json"]);
    assert!(read(dir.path(), "shown.json").contains(SECRET));
}

#[test]
fn the_passing_score_decides_the_exit_status() {
    for (grading, code) in [("min_score = 4\n", 0), ("min_score = 5\n", 1), ("min_percent = 36\n", 0), ("", 1)] {
        let (_dir, out) = render(&sample_report(), grading, &["--format", "human"]);
        assert_eq!(out.status.code(), Some(code), "{grading:?}: {}", String::from_utf8_lossy(&out.stdout));
        if !grading.is_empty() {
            assert!(String::from_utf8_lossy(&out.stdout).contains("passing score"), "the human report says it");
        }
    }
}

/// A noisy submission (a program that printed for ever, a reply of a megabyte) makes
/// no format bigger than a small budget per check, and says what was cut; the JSON
/// record keeps it all.
#[test]
fn every_format_has_a_size_budget_per_check() {
    let mut report = sample_report();
    let noisy = &mut report["checks"][1];
    noisy["failure"]["got"] = json!("x".repeat(1_000_000));
    noisy["failure"]["details"] = json!(["d".repeat(300_000), "e".repeat(300_000)]);
    let events: Vec<Value> = (0..5_000)
        .map(|n| json!({"at_ms": n, "kind": "output", "text": format!("{n:05} {}", "y".repeat(290))}))
        .collect();
    noisy["transcript"] = json!(events);
    let args = every_format_to_files();
    let (dir, out) = render(&report, "", &args.iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stderr));
    for format in ALL_FORMATS.split(' ') {
        let text = read(dir.path(), &format!("out.{format}"));
        if format == "json" {
            assert!(text.len() > 2_000_000, "the JSON record keeps everything");
            continue;
        }
        assert!(text.len() < 40_000, "{format}: {} bytes", text.len());
        let shown = match format {
            "classroom" => {
                String::from_utf8(base64::engine::general_purpose::STANDARD.decode(text.trim()).expect("base64"))
                    .unwrap()
            }
            _ => text,
        };
        if format != "human" {
            assert!(shown.contains("bytes cut"), "{format} says what was cut:\n{shown}");
        }
    }
    let junit = read(dir.path(), "out.junit");
    assert!(junit.contains("00000 yyy") && junit.contains("04999 yyy"), "the start and the end of the transcript");
    assert!(junit.contains("... 997952 bytes cut"), "got: 1 000 000 bytes less the 2048 shown");
}

/// A CI step that only publishes the report must not fail for the grade, which the
/// grading step reports; a report that cannot be written still fails it.
#[test]
fn exit_zero_publishes_a_failing_report_without_failing_the_step() {
    for flag in ["--exit-zero", "--no-fail"] {
        let (dir, out) = render(&sample_report(), "", &["--format", "junit={dir}/junit.xml", flag]);
        assert_eq!(out.status.code(), Some(0), "{flag}: {}", String::from_utf8_lossy(&out.stderr));
        assert!(read(dir.path(), "junit.xml").contains("<failure"), "the failures are still in the report");
    }
    let (_dir, out) = render(&sample_report(), "", &["--format", "junit={dir}/junit.xml"]);
    assert_eq!(out.status.code(), Some(1), "without it, a failing report is exit 1");
    let (_dir, out) = render(&sample_report(), "", &["--format", "junit=/nonexistent-dir/junit.xml", "--exit-zero"]);
    assert_eq!(out.status.code(), Some(2), "a report that cannot be written is still an error");
}

#[test]
fn a_bad_grading_file_or_format_is_a_clear_error() {
    for (grading, args, says) in [
        ("[checks]\n\"hello/nope\" = { points = 1 }\n", vec!["--format", "json"], "hello/nope"),
        ("", vec!["--format", "xml"], "formats are: human, json, junit"),
        ("", vec!["--format", "json", "--format", "tap"], "would all go to stdout"),
        ("", vec!["--format", "json={dir}/a", "--format", "tap={dir}/a"], "two reports would go to"),
        ("", vec!["--format", "junit=/nonexistent-dir/junit.xml"], "cannot write --format junit="),
    ] {
        let (_dir, out) = render(&sample_report(), grading, &args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains(says), "{args:?}: {stderr}");
        assert!(out.stdout.is_empty(), "{args:?}");
    }
}

/// A real run: several formats at once, the human summary on the terminal, the JSON
/// on stdout still what it always was, and a grading file found at --config.
#[test]
fn one_run_writes_several_formats_and_keeps_the_summary_on_the_terminal() {
    let dir = tempfile::tempdir().unwrap();
    let grading = dir.path().join("course.toml");
    fs::write(&grading, "min_percent = 50\n[checks]\n\"hello/sum-exact\" = { points = 5, hidden = true }\n").unwrap();
    let mut args: Vec<String> =
        ["test", "hello", "--check", "hello/sum-integers", "--check", "hello/sum-exact"].map(String::from).to_vec();
    args.extend(hello_python(Some(("sum-server", "float-sum"))));
    args.extend(["--config".into(), grading.to_string_lossy().into_owned()]);
    for format in ["junit", "tap", "gradescope", "json"] {
        args.extend(["--format".into(), format!("{format}={}", dir.path().join(format).display())]);
    }
    let out = grader_command(dir.path()).args(&args).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains(":) hello/sum-integers") && stdout.contains("score: 2/7"), "{stdout}");
    assert!(stdout.contains("passing score: 4 (not reached)"), "{stdout}");
    assert!(!stdout.contains("9007199254740993"), "the hidden check's details stay hidden:\n{stdout}");
    assert_eq!(out.status.code(), Some(1));
    let report: Value = serde_json::from_str(&read(dir.path(), "json")).unwrap();
    assert_eq!(not_passed(&report), ["hello/sum-exact"]);
    assert_eq!((report["score"].clone(), report["min_score"].clone()), (json!(2), json!(4)));
    // The two checks, and the gate they need first: a check of 0 points in every format.
    assert_eq!(parse_tap(&read(dir.path(), "tap")).unwrap().len(), 3);
    quick_junit::Report::deserialize_from_str(&read(dir.path(), "junit")).unwrap();
    let gradescope: Value = serde_json::from_str(&read(dir.path(), "gradescope")).unwrap();
    let gate = &gradescope["tests"][0];
    assert!(gate["name"].as_str().unwrap().starts_with("hello/sum-server-starts: "), "{gate}");
    assert_eq!(
        (gate["score"].clone(), gate["max_score"].clone(), gate["status"].clone()),
        (json!(0), json!(0), json!("passed"))
    );
    assert_eq!(gradescope["extra_data"]["max_score"], 7, "a gate adds nothing to the maximum");

    // `--format json` alone still prints the report on stdout and nothing else.
    let run = grade_json(&["--solutions", "hello", "--check", "hello/server-replies", "--no-config"]);
    assert_eq!(run.json()["score"], 2);
}

/// A browser, when this machine has one (.ci/run installs chromium).
fn chromium() -> Option<std::path::PathBuf> {
    let path = std::env::var_os("PATH")?;
    ["chromium", "chromium-browser", "google-chrome", "google-chrome-stable"]
        .iter()
        .flat_map(|name| std::env::split_paths(&path).map(move |dir| dir.join(name)))
        .find(|p| p.is_file())
}

/// Runs headless Chromium on `page` with `args` (no network, a fresh profile); its
/// stdout. Killed after a minute.
fn headless(browser: &Path, page: &Path, args: &[&str]) -> String {
    let profile = tempfile::tempdir().unwrap();
    let mut child = std::process::Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-dev-shm-usage",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .args(args)
        .arg(format!("file://{}", page.display()))
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("chromium starts");
    let mut stdout = child.stdout.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut text = String::new();
        std::io::Read::read_to_string(&mut stdout, &mut text).ok();
        text
    });
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while child.try_wait().unwrap().is_none() {
        if std::time::Instant::now() > deadline {
            child.kill().ok();
            child.wait().ok();
            panic!("chromium did not finish within 60 s");
        }
        // Polls the browser's exit; not a wait on a program under test.
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    reader.join().unwrap()
}

/// The text a reader sees: the DOM's body without its tags, entities decoded.
fn visible_text(dom: &str) -> String {
    let body = dom.split("<body>").nth(1).unwrap_or(dom);
    let mut out = String::new();
    let mut in_tag = false;
    for c in body.chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => in_tag = false,
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    out.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", "\"").replace("&#39;", "'").replace("&amp;", "&")
}

/// The HTML report as a browser shows it: parsed by headless Chromium, a program's
/// hostile output stays text (no element, no script ran), and the page reads as it
/// should. Skipped, saying so, where no Chromium is installed.
#[test]
fn the_html_report_renders_in_a_browser() {
    let Some(browser) = chromium() else {
        eprintln!(
            "SKIPPED: no chromium on PATH, the HTML report is not rendered in a browser (apt-get install chromium)"
        );
        return;
    };
    let mut report = sample_report();
    let hostile = "<script>document.title='pwned'</script><img src=x onerror=\"document.title='pwned'\"><b>bold</b>";
    report["checks"][1]["failure"]["got"] = json!(format!("\"3.0\\n\" {hostile}"));
    report["checks"][1]["transcript"][2]["text"] = json!(hostile);
    let (dir, out) = render(&report, "", &["--format", "html={dir}/report.html"]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("HTML report: ") && stderr.contains("report.html"), "it says where the page is: {stderr}");
    let page = dir.path().join("report.html");
    let dom = headless(&browser, &page, &["--dump-dom"]);
    assert!(dom.contains("<title>socket-labs: 4/10</title>"), "no script ran, the title is the page's own:\n{dom}");
    assert!(
        !dom.contains("<script") && !dom.contains("<img") && !dom.contains("<b>bold"),
        "hostile text is text:\n{dom}"
    );
    assert!(dom.contains("<section class=\"check fail\" id=\"check-hello-sum-integers\">"));
    let text = visible_text(&dom);
    for shown in [
        "socket-labs report",
        "score 4/10",
        "hello/sum-integers",
        "sum-server replied a float: 3.0",
        "first difference at character",
        "hint: read up to the newline: héllo",
        "run only this check: cargo grade --check hello/sum-integers --seed 7 -v",
        hostile,
        "timeout: no reply within 2 s",
    ] {
        assert!(text.contains(shown), "the page shows {shown:?}:\n{text}");
    }
    // A screenshot at 1280 px wide: the page renders to pixels.
    let shot = dir.path().join("shot.png");
    headless(
        &browser,
        &page,
        &[&format!("--screenshot={}", shot.display()), "--window-size=1280,1400", "--hide-scrollbars"],
    );
    let png = fs::read(&shot).expect("a screenshot");
    assert!(png.starts_with(b"\x89PNG") && png.len() > 10_000, "{} bytes", png.len());
    // The screenshot in docs/formats is of the sample report (UPDATE_SAMPLES=1).
    if std::env::var_os("UPDATE_SAMPLES").is_some() {
        let sample = socket_labs_tests::root().join("docs/formats");
        headless(
            &browser,
            &sample.join("report.html"),
            &[
                &format!("--screenshot={}", sample.join("report.png").display()),
                "--window-size=1280,1400",
                "--hide-scrollbars",
            ],
        );
    }
}
