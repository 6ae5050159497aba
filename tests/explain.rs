//! `grader explain` and `grader send`: every check of the registry has a one-line
//! description and an explanation (what it checks, what it sends and expects, how to
//! try it by hand), and the tiny client the explanations use really talks TCP and UDP.

use std::net::{TcpListener, UdpSocket};
use std::process::Stdio;
use std::time::{Duration, Instant};

use serde_json::Value;
use socket_labs_tests::{grader, grader_command, grader_process};

/// Every lab and check, from the registry itself.
fn registry() -> Vec<(String, Vec<(String, String)>)> {
    let run = grader(&["list", "--json"]);
    assert_eq!(run.code(), 0, "{}", run.stderr());
    let labs: Value = serde_json::from_str(&run.stdout()).expect("JSON");
    labs.as_array()
        .expect("labs")
        .iter()
        .map(|lab| {
            let checks = lab["checks"]
                .as_array()
                .expect("checks")
                .iter()
                .map(|c| (c["id"].as_str().unwrap().to_string(), c["name"].as_str().unwrap().to_string()))
                .collect();
            (lab["name"].as_str().unwrap().to_string(), checks)
        })
        .collect()
}

/// The part of an explanation that is about `id` (explanations are separated by a rule).
fn section<'a>(out: &'a str, id: &str) -> &'a str {
    out.split(&"-".repeat(72))
        .find(|part| part.trim_start().starts_with(&format!("{id}: ")))
        .unwrap_or_else(|| panic!("no explanation of {id} in:\n{out}"))
}

#[test]
fn every_check_has_a_description_and_an_explanation() {
    let labs = registry();
    assert!(labs.iter().map(|(_, checks)| checks.len()).sum::<usize>() > 0);
    // Three labs at a time: each run waits mostly on its own checks' deadlines.
    let mut outputs = Vec::new();
    for chunk in labs.chunks(3) {
        let runs: Vec<_> = chunk
            .iter()
            .map(|(lab, _)| {
                let tmp = tempfile::tempdir().unwrap();
                let child = grader_process(tmp.path())
                    .args(["explain", lab.as_str()])
                    .stdout(Stdio::piped())
                    .stderr(Stdio::piped())
                    .spawn()
                    .expect("grader explain starts");
                (tmp, child)
            })
            .collect();
        outputs.extend(runs.into_iter().map(|(_tmp, child)| child.wait_with_output().expect("grader explain ends")));
    }
    for ((lab, checks), output) in labs.iter().zip(outputs) {
        let out = String::from_utf8_lossy(&output.stdout);
        assert_eq!(output.status.code(), Some(0), "explain {lab}: {}", String::from_utf8_lossy(&output.stderr));
        for (id, name) in checks {
            assert!(!name.trim().is_empty() && !name.contains('\n'), "{id} needs a one-line description");
            let part = section(&out, id);
            assert!(part.contains(&format!("{id}: {name}")), "{id}: the description\n{part}");
            assert!(part.contains("What it checks"), "{id}: the handout's entry\n{part}");
            assert!(part.contains("What it sends and expects"), "{id}: the transcript\n{part}");
            assert!(part.contains(&format!("$ cargo run -q -p {lab} --bin ")), "{id}: the student's command\n{part}");
            assert!(!part.contains("-solution") && !part.contains("ref-"), "{id}: shows the reference's name\n{part}");
            assert!(part.contains("Try it by hand"), "{id}: the commands by hand\n{part}");
            assert!(part.contains(&format!("cargo grade {lab} --check {id} --seed 1 -v")), "{id}\n{part}");
        }
    }
}

#[test]
fn explain_names_the_commands_to_type_for_a_server_and_a_client_check() {
    let run = grader(&["explain", "hello/server-replies", "hello/client-default-message"]);
    assert_eq!(run.code(), 0, "{}", run.stderr());
    let out = run.stdout();
    let server = section(&out, "hello/server-replies");
    // The program on its default port, then the grader's client with the exact bytes.
    let program = server.find("cargo run -q -p hello --bin hello-server -- --host 127.0.0.1 --port 65432");
    let client = server.find("cargo grader send --tcp 127.0.0.1:65432 'Hello world'");
    assert!(program.is_some() && client.is_some() && program < client, "{server}");
    let client_check = section(&out, "hello/client-default-message");
    let client_check = client_check.split("Try it by hand").nth(1).expect("commands by hand");
    // The grader's side listens first, then the student's client starts.
    let listen = client_check.find("cargo grader send --listen --tcp 127.0.0.1:65432");
    let program = client_check.find("cargo run -q -p hello --bin hello-client --");
    assert!(listen.is_some() && program.is_some() && listen < program, "{client_check}");
}

#[test]
fn explain_of_something_unknown_is_a_clear_error() {
    let run = grader(&["explain", "hello/nope"]);
    assert_eq!(run.code(), 2);
    assert!(run.stderr().contains("there is no check or lab \"hello/nope\""), "{}", run.stderr());
    let run = grader(&["explain"]);
    assert_eq!(run.code(), 2);
    assert!(run.stderr().contains("name a check id"), "{}", run.stderr());
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// `grader send --listen` and `grader send`, talking to each other.
fn pair(proto: &str, addr: &str, replies: &[&str], texts: &[&str]) -> (String, String) {
    pair_via(proto, addr, addr, replies, texts)
}

/// [`pair`] with the client naming the listener's address its own way (`to`).
fn pair_via(proto: &str, addr: &str, to: &str, replies: &[&str], texts: &[&str]) -> (String, String) {
    let tmp = tempfile::tempdir().unwrap();
    let listener = grader_process(tmp.path())
        .args(["send", "--listen", proto, addr, "--wait", "200", "--timeout", "20"])
        .args(replies)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // The listener is up once its port is taken; polled, with a deadline.
    let deadline = Instant::now() + Duration::from_secs(20);
    while Instant::now() < deadline {
        let taken = if proto == "--tcp" { TcpListener::bind(addr).is_err() } else { UdpSocket::bind(addr).is_err() };
        if taken {
            break;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    // The client waits longer for each reply than the listener waits for the end of
    // each message before it answers.
    let client = grader_command(tmp.path()).args(["send", proto, to, "--wait", "2000"]).args(texts).output().unwrap();
    let listened = listener.wait_with_output().unwrap();
    assert_eq!(client.status.code(), Some(0), "{}", String::from_utf8_lossy(&client.stderr));
    assert_eq!(listened.status.code(), Some(0), "{}", String::from_utf8_lossy(&listened.stderr));
    (String::from_utf8_lossy(&client.stdout).into_owned(), String::from_utf8_lossy(&listened.stdout).into_owned())
}

#[test]
fn send_speaks_tcp_in_the_transcripts_notation() {
    let addr = format!("127.0.0.1:{}", free_port());
    let (client, server) = pair("--tcp", &addr, &["6\\n", "\\xff\\u{0}"], &["1 2 3\\n", "caf\\u{e9} \\\"x\\\""]);
    assert!(client.contains(r#"> "1 2 3\n""#), "{client}");
    assert!(client.contains(r#"< "6\n""#), "{client}");
    assert!(client.contains(r#"< "\xff\u{0}""#), "{client}");
    assert!(server.contains(r#"< "1 2 3\n""#), "{server}");
    assert!(server.contains(r#"< "café \"x\"""#), "{server}");
}

#[test]
fn send_speaks_udp_one_datagram_per_text() {
    let addr = format!("127.0.0.1:{}", free_port());
    let (client, server) = pair("--udp", &addr, &["MON"], &["Mon"]);
    assert!(client.contains(r#"> one datagram: "Mon""#), "{client}");
    assert!(client.contains(r#": "MON""#), "{client}");
    assert!(server.contains(r#": "Mon""#), "{server}");
}

/// `localhost` is a name: resolved, IPv4 first (the labs' programs use 127.0.0.1),
/// for TCP and UDP.
#[test]
fn send_takes_a_host_name() {
    let port = free_port();
    let (client, server) =
        pair_via("--tcp", &format!("127.0.0.1:{port}"), &format!("localhost:{port}"), &["6\\n"], &["1 2 3\\n"]);
    assert!(client.contains(&format!("# connected to 127.0.0.1:{port}")), "{client}");
    assert!(client.contains(r#"< "6\n""#) && server.contains(r#"< "1 2 3\n""#), "{client}\n{server}");
    let port = free_port();
    let (client, _) = pair_via("--udp", &format!("127.0.0.1:{port}"), &format!("localhost:{port}"), &["MON"], &["Mon"]);
    assert!(client.contains(r#": "MON""#), "{client}");
    for (target, says) in [("localhost", "not HOST:PORT"), ("localhost:99999", "not HOST:PORT")] {
        let run = grader(&["send", "--tcp", target, "x"]);
        assert_eq!(run.code(), 2, "{target}");
        assert!(run.stderr().contains(says), "{target}: {}", run.stderr());
    }
}

#[test]
fn send_talks_to_this_machine_only() {
    let run = grader(&["send", "--tcp", "192.0.2.1:80", "x"]);
    assert_eq!(run.code(), 2);
    assert!(run.stderr().contains("not a loopback address"), "{}", run.stderr());
}

/// A copy of the course without solutions/ (a student template): explain runs the check
/// against the student's own program, says so, and shows what it got wrong.
#[test]
fn without_a_reference_explain_runs_the_students_program() {
    let ws = tempfile::tempdir().unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let bin = ws.path().join("labs/hello/src/bin");
    std::fs::create_dir_all(&bin).unwrap();
    std::fs::write(ws.path().join("Cargo.toml"), "[workspace]\nresolver = \"2\"\nmembers = [\"labs/hello\"]\n")
        .unwrap();
    std::fs::write(
        ws.path().join("labs/hello/Cargo.toml"),
        "[package]\nname = \"hello\"\nversion = \"0.1.0\"\nedition = \"2021\"\npublish = false\n",
    )
    .unwrap();
    // A hello-server (std only) that answers every read with the wrong text.
    let server = r#"use std::io::{Read, Write};
fn main() {
    let args: Vec<String> = std::env::args().collect();
    let port = args.iter().position(|a| a == "--port").map(|i| args[i + 1].clone()).unwrap();
    let listener = std::net::TcpListener::bind(format!("127.0.0.1:{port}")).unwrap();
    for stream in listener.incoming() {
        let mut stream = stream.unwrap();
        let mut buf = [0u8; 1024];
        while let Ok(n) = stream.read(&mut buf) {
            if n == 0 { break; }
            let _ = stream.write_all(b"what?");
        }
    }
}
"#;
    std::fs::write(bin.join("hello-server.rs"), server).unwrap();
    let output = grader_process(tmp.path())
        .env("CARGO_TARGET_DIR", ws.path().join("target"))
        .args(["--root", ws.path().to_str().unwrap(), "explain", "hello/server-replies"])
        .output()
        .unwrap();
    let out = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(0), "{}", String::from_utf8_lossy(&output.stderr));
    assert!(out.contains("a run against your own program"), "{out}");
    assert!(out.contains("> [client 1] \"Hello world\""), "{out}");
    assert!(out.contains("What your program did"), "{out}");
    assert!(out.contains("got:      \"what?\""), "{out}");
    assert!(out.contains("cargo grader send --tcp 127.0.0.1:65432 'Hello world'"), "{out}");
}
