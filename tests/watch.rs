//! `grader watch`: a save under labs/LAB rebuilds and regrades, and the window shows the
//! progress line and the first failing check with its hint.
//!
//! The test works in a workspace of its own, made in a temporary folder (never in the
//! real labs/): one package `hello` with a std-only hello-server, so that a rebuild
//! takes a second and needs no registry. The server is first wrong, then fixed by
//! rewriting its source while the watcher runs.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use socket_labs_tests::{assert_no_process_in, grader_command, grader_process};

const CARGO_TOML: &str = r#"[workspace]
resolver = "2"
members = ["labs/hello"]
"#;

const PACKAGE: &str = r#"[package]
name = "hello"
version = "0.1.0"
edition = "2021"
publish = false

[[bin]]
name = "hello-server"
path = "src/bin/hello-server.rs"
"#;

/// A hello-server with std only; `REPLY` is what it answers to every read.
fn server(reply: &str) -> String {
    format!(
        r#"use std::io::{{Read, Write}};

fn main() {{
    let args: Vec<String> = std::env::args().collect();
    let value = |flag: &str| args.iter().position(|a| a == flag).map(|i| args[i + 1].clone());
    let host = value("--host").unwrap_or_else(|| "127.0.0.1".into());
    let port = value("--port").unwrap_or_else(|| "65432".into());
    let listener = std::net::TcpListener::bind(format!("{{host}}:{{port}}")).expect("bind");
    for stream in listener.incoming() {{
        let mut stream = stream.expect("accept");
        let mut buf = [0u8; 1024];
        while let Ok(n) = stream.read(&mut buf) {{
            if n == 0 {{
                break;
            }}
            let text = String::from_utf8_lossy(&buf[..n]);
            let _ = stream.write_all(format!({reply:?}, text).as_bytes());
        }}
    }}
}}
"#
    )
}

const WRONG: &str = "you said {}";
const RIGHT: &str = "I got \"{}\" from you and I am sending it back.";

fn workspace(dir: &Path) {
    let bin = dir.join("labs/hello/src/bin");
    std::fs::create_dir_all(&bin).unwrap();
    std::fs::write(dir.join("Cargo.toml"), CARGO_TOML).unwrap();
    std::fs::write(dir.join("labs/hello/Cargo.toml"), PACKAGE).unwrap();
    std::fs::write(bin.join("hello-server.rs"), server(WRONG)).unwrap();
}

/// The watcher's stdout, line by line, as it comes.
fn lines_of(child: &mut Child) -> mpsc::Receiver<String> {
    let stdout = child.stdout.take().expect("piped stdout");
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    rx
}

/// Every line up to and including the first that contains `wanted`.
fn read_until(lines: &mpsc::Receiver<String>, wanted: &str, within: Duration) -> Vec<String> {
    let deadline = Instant::now() + within;
    let mut seen = Vec::new();
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match lines.recv_timeout(left) {
            Ok(line) => {
                let found = line.contains(wanted);
                seen.push(line);
                if found {
                    return seen;
                }
            }
            Err(_) => panic!("no line with {wanted:?} within {within:?}; the watcher printed:\n{}", seen.join("\n")),
        }
    }
}

#[test]
fn a_saved_file_is_rebuilt_and_graded_again() {
    let ws = tempfile::tempdir().unwrap();
    let tmp = tempfile::tempdir().unwrap();
    workspace(ws.path());
    let mut child = grader_process(tmp.path())
        .env("CARGO_TARGET_DIR", ws.path().join("target"))
        .args(["--root", ws.path().to_str().unwrap(), "watch", "hello", "--check", "hello/server-replies"])
        .args(["--interval", "100", "--runs", "2", "--no-clear"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("the watcher starts");
    let lines = lines_of(&mut child);

    // The first grading: the wrong reply, shown with what was expected and a hint.
    let first = read_until(&lines, "checks passed", Duration::from_secs(120));
    let progress = first.last().unwrap();
    assert!(progress.contains("hello: 1/2 checks passed"), "{progress}");
    assert!(progress.contains("0/2 points"), "{progress}");
    let shown = read_until(&lines, "waiting for a change", Duration::from_secs(10)).join("\n");
    assert!(shown.contains(":( hello/server-replies"), "{shown}");
    assert!(shown.contains(r#"got:      "you said Hello world""#), "{shown}");
    assert!(shown.contains("hint:"), "{shown}");
    assert!(shown.contains("learn more: cargo grader explain hello/server-replies"), "{shown}");

    // The student saves the fix: the watcher rebuilds and grades again by itself.
    let source = ws.path().join("labs/hello/src/bin/hello-server.rs");
    std::fs::write(&source, server(RIGHT)).unwrap();
    let second = read_until(&lines, "checks passed", Duration::from_secs(120));
    let progress = second.last().unwrap();
    assert!(progress.contains("hello: 2/2 checks passed"), "{progress}");
    assert!(progress.contains("2/2 points"), "{progress}");
    read_until(&lines, "every check passes", Duration::from_secs(10));

    // --runs 2: it stops after the second grading, with the verdict of the last.
    let status =
        socket_labs_tests::wait_exit(&mut child, Duration::from_secs(30), "the watcher did not stop after --runs 2");
    assert_eq!(status.code(), Some(0));
    assert_no_process_in(tmp.path());
}

#[test]
fn watching_a_lab_that_does_not_exist_is_a_clear_error() {
    let tmp = tempfile::tempdir().unwrap();
    let out = grader_command(tmp.path()).args(["watch", "helo"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("there is no lab \"helo\""));
}
