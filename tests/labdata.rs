//! A course adds a lab by adding a folder: a lab.toml and a Python server in a
//! temporary folder, given with `--labs DIR`, are listed, graded, explained,
//! self-tested, watched and batch-graded by the grader as it is, with no Rust and no
//! rebuild.

use std::process::Stdio;

use serde_json::Value;
use socket_labs_tests::{assert_not_passed, checks, grader, grader_process, python};

const LAB: &str = r#"
title = "Reverse (a lab of the course's own)"

[[role]]
name = "reverse-server"
port = 7007
python = "ReverseServer.py"
udp = true

[lists]
words = ["stressed", "drawer", "parts", "lived"]

[hints]
reverse = "reply with the datagram's text reversed, to the address it came from"

[[check]]
slug = "server-reverses"
name = "reverse-server replies each datagram reversed"
points = 3
steps = [
  { start = "reverse-server" },
  { connect = "c" },
  { send = "{words}" },
  { expect_regex = "^.+$", hint = "@reverse" },
  { send = "abc" },
  { expect = "cba", hint = "@reverse" },
]

[[check]]
slug = "server-keeps-running"
name = "reverse-server serves datagram after datagram"
points = 1
after = ["server-reverses"]
steps = [
  { start = "reverse-server" },
  { connect = "c" },
  { repeat = 3, steps = [{ send = "ab{i}" }, { expect = "{i}ba", on_timeout = "loop around recvfrom()" }] },
  { alive = "after three datagrams" },
]

[[mutant]]
role = "reverse-server"
bug = "once"
fails = ["server-keeps-running"]
"#;

const SERVER: &str = r#"
import argparse, socket
p = argparse.ArgumentParser()
p.add_argument("--host", default="127.0.0.1")
p.add_argument("--port", type=int, default=7007)
p.add_argument("--bug", default="")
a = p.parse_args()
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((a.host, a.port))
n = 0
while True:
    data, sender = s.recvfrom(65535)
    s.sendto(data.decode()[::-1].encode(), sender)
    n += 1
    if a.bug == "once" and n == 2:
        break
"#;

/// A folder of labs holding one lab, `reverse`, with its reference.
fn course() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let lab = dir.path().join("reverse");
    std::fs::create_dir_all(lab.join("python")).unwrap();
    std::fs::create_dir_all(lab.join("solution/python")).unwrap();
    std::fs::write(lab.join("lab.toml"), LAB).unwrap();
    std::fs::write(lab.join("solution/python/ReverseServer.py"), SERVER).unwrap();
    std::fs::write(lab.join("python/ReverseServer.py"), "raise NotImplementedError('TODO')\n").unwrap();
    dir
}

#[test]
fn a_lab_folder_is_listed_graded_explained_and_selftested() {
    let course = course();
    let labs = course.path().to_str().unwrap();

    let listed: Value = serde_json::from_str(&grader(&["--labs", labs, "list", "--json"]).stdout()).unwrap();
    let lab = listed.as_array().unwrap().iter().find(|l| l["name"] == "reverse").expect("the lab is listed");
    assert_eq!(lab["max_points"], 4);
    assert_eq!(lab["roles"][0]["server"], "udp", "a role that a check starts is a server");
    // Its gate comes first (written by the grader, 0 points), and the checks that
    // start it depend on it, besides what they name.
    assert_eq!(lab["checks"][0]["id"], "reverse/reverse-server-starts");
    assert_eq!(lab["checks"][0]["points"], 0);
    assert_eq!(
        lab["checks"][2]["after"],
        serde_json::json!(["reverse/reverse-server-starts", "reverse/server-reverses"])
    );

    let server = course.path().join("reverse/solution/python/ReverseServer.py");
    let cmd = format!("reverse-server={} {}", python(), server.display());
    let run = grader(&["--labs", labs, "test", "reverse", "--cmd", &cmd, "--format", "json", "--no-config"]);
    let report = run.json();
    assert_not_passed(&report, &[] as &[&str], &run.stderr());
    assert_eq!(report["score"], 4);
    assert_eq!(run.code(), 0);

    // The Python track finds the lab's own files: the skeleton fails, the reference passes.
    let run = grader(&["--labs", labs, "test", "reverse", "--python", "--format", "json", "--no-config"]);
    assert_eq!(run.code(), 1);
    let report = run.json();
    let skipped = checks(&report).filter(|c| c["status"] == "skipped").count();
    assert_eq!(skipped, 2, "a skeleton that stops at start fails its gate, and both checks need it: {}", run.stdout());
    assert_not_passed(&report, &["reverse/reverse-server-starts"], "the skeleton");
    let run =
        grader(&["--labs", labs, "test", "reverse", "--python", "--solutions", "--format", "json", "--no-config"]);
    assert_eq!(run.code(), 0, "{}", run.stdout());

    // A mutant fails the check meant for it, with the lab's hint.
    let once = format!("{cmd} --bug once");
    let run = grader(&["--labs", labs, "test", "reverse", "--cmd", &once, "--format", "json", "--no-config"]);
    let report = run.json();
    assert_not_passed(&report, &["reverse/server-keeps-running"], "--bug once");
    let failed = checks(&report).find(|c| c["id"] == "reverse/server-keeps-running").unwrap();
    assert!(failed["failure"]["hint"].as_str().unwrap().contains("recvfrom"), "{failed}");

    let explained = grader(&["--labs", labs, "explain", "reverse/server-reverses"]);
    assert_eq!(explained.code(), 0, "{}", explained.stderr());
    assert!(explained.stdout().contains("reverse-server replies each datagram reversed"), "{}", explained.stdout());

    let selftest = grader(&["--labs", labs, "selftest", "reverse", "--python"]);
    assert_eq!(selftest.code(), 0, "{}\n{}", selftest.stdout(), selftest.stderr());
    assert!(
        selftest.stdout().contains("reverse-server --bug once: caught by server-keeps-running"),
        "{}",
        selftest.stdout()
    );
}

#[test]
fn a_mutant_caught_by_another_check_than_declared_fails_selftest() {
    let course = course();
    let toml = course.path().join("reverse/lab.toml");
    let text = std::fs::read_to_string(&toml)
        .unwrap()
        .replace("fails = [\"server-keeps-running\"]", "fails = [\"server-reverses\"]");
    std::fs::write(&toml, text).unwrap();
    let selftest = grader(&["--labs", course.path().to_str().unwrap(), "selftest", "reverse", "--python"]);
    assert_eq!(selftest.code(), 1, "{}", selftest.stdout());
    assert!(selftest.stdout().contains("but the lab declares server-reverses"), "{}", selftest.stdout());
}

#[test]
fn a_bad_lab_file_is_one_clear_error() {
    let course = course();
    let toml = course.path().join("reverse/lab.toml");
    let text = std::fs::read_to_string(&toml).unwrap().replace("{ connect = \"c\" },", "{ conect = \"c\" },");
    std::fs::write(&toml, text).unwrap();
    let run = grader(&["--labs", course.path().to_str().unwrap(), "list"]);
    assert_eq!(run.code(), 2);
    assert!(
        run.stderr().contains("lab.toml is not a valid lab") && run.stderr().contains("conect"),
        "{}",
        run.stderr()
    );
}

#[test]
fn a_lab_folder_is_watched() {
    let course = course();
    let labs = course.path().to_str().unwrap();
    let server = course.path().join("reverse/solution/python/ReverseServer.py");
    let watch = |bug: &str| {
        let tmp = tempfile::tempdir().unwrap();
        let cmd = format!("reverse-server={} {}{bug}", python(), server.display());
        let out = grader_process(tmp.path())
            .args(["--labs", labs, "watch", "reverse", "--cmd", &cmd, "--runs", "1", "--no-clear"])
            .stdin(Stdio::null())
            .output()
            .expect("the watcher runs");
        (out.status.code(), String::from_utf8_lossy(&out.stdout).into_owned())
    };
    // Its own folder is watched: the lab has no package in the workspace's labs/.
    let (code, shown) = watch("");
    assert_eq!(code, Some(0), "{shown}");
    assert!(shown.contains(&format!("grading on every save under {}", course.path().join("reverse").display())));
    // The two checks and the server's gate.
    assert!(shown.contains("reverse: 3/3 checks passed") && shown.contains("every check passes"), "{shown}");

    let (code, shown) = watch(" --bug once");
    assert_eq!(code, Some(1), "{shown}");
    assert!(shown.contains(":( reverse/server-keeps-running") && shown.contains("loop around recvfrom()"), "{shown}");
    // The command that runs the check again names the lab folder too.
    assert!(shown.contains(&format!("cargo grade reverse --labs {labs} --cmd")), "{shown}");
}

#[test]
fn a_lab_folder_is_batch_graded() {
    let course = course();
    let work = tempfile::tempdir().unwrap();
    let (class, out) = (work.path().join("class"), work.path().join("grades"));
    let server = std::fs::read_to_string(course.path().join("reverse/solution/python/ReverseServer.py")).unwrap();
    for (student, text) in [("alice", server.clone()), ("bob", server.replace("default=\"\"", "default=\"once\""))] {
        std::fs::create_dir_all(class.join(student)).unwrap();
        std::fs::write(class.join(student).join("ReverseServer.py"), text).unwrap();
    }
    let roles = work.path().join("roles.toml");
    std::fs::write(&roles, format!("reverse-server = \"{} ReverseServer.py\"\n", python())).unwrap();
    let run = grader(&[
        "--labs",
        course.path().to_str().unwrap(),
        "batch",
        class.to_str().unwrap(),
        "--roles",
        roles.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
    ]);
    assert_eq!(run.code(), 0, "{}\n{}", run.stdout(), run.stderr());
    let gradebook = std::fs::read_to_string(out.join("gradebook.csv")).unwrap();
    let rows: Vec<&str> = gradebook.lines().collect();
    assert!(rows[0].starts_with("student,outcome,score,max_score,percent,reverse (4),"), "{gradebook}");
    // A column for each check: the server's gate (0 points) first.
    assert!(rows[1].starts_with("alice,graded,4,4,100.0,4,pass,pass,pass"), "{gradebook}");
    assert!(rows[2].starts_with("bob,graded,3,4,75.0,3,pass,pass,"), "{gradebook}");
    assert!(!rows[2].contains(",pass,pass,pass"), "{gradebook}");
}

/// A lab with a crowd: many clients of a TCP server at once, climbing a ladder.
const SHOUT: &str = r#"
title = "Shout (a crowd of a course's own)"

[[role]]
name = "shout-server"
port = 7008
python = "ShoutServer.py"

[lists]
words = ["crowd", "many", "clients"]

[hints]
thread = "serve each client in a thread of its own"

[[check]]
slug = "crowd-4"
name = "shout-server serves 4 clients at once"
points = 2
steps = [
  { start = "shout-server" },
  { crowd = 4, ladder = [1, 4, 16], rounds = 2, greet = [
    { send = "HI {client}\n" },
    { expect_line = "HI {client}" },
  ], steps = [
    { send = "{words} {client} {round}\n" },
    { expect_line = "{words|upper} {client} {round}", on_unchanged = "uppercase it" },
  ], on_alone = "read line after line", hint = "@thread" },
  { alive = "after 4 clients at once" },
]
"#;

const SHOUT_SERVER: &str = r#"
import argparse, socket, threading
p = argparse.ArgumentParser()
p.add_argument("--host", default="127.0.0.1")
p.add_argument("--port", type=int, default=7008)
p.add_argument("--bug", default="")
a = p.parse_args()
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((a.host, a.port))
s.listen(16)
def serve(c):
    with c, c.makefile("rb") as lines:
        for line in lines:
            c.sendall(line if a.bug == "echo" else line.decode().upper().encode())
while True:
    c, _ = s.accept()
    if a.bug == "iterative":
        serve(c)
    else:
        threading.Thread(target=serve, args=(c,), daemon=True).start()
"#;

#[test]
fn a_crowd_of_a_lab_folder_climbs_its_ladder() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("shout")).unwrap();
    std::fs::write(dir.path().join("shout/lab.toml"), SHOUT).unwrap();
    let server = dir.path().join("shout/server.py");
    std::fs::write(&server, SHOUT_SERVER).unwrap();
    let labs = dir.path().to_str().unwrap();
    let grade = |bug: &str| {
        let cmd = format!("shout-server={} {}{bug}", python(), server.display());
        grader(&["--labs", labs, "test", "shout", "--cmd", &cmd, "--format", "json", "--no-config"])
    };

    let run = grade("");
    assert_not_passed(&run.json(), &[] as &[&str], &run.stderr());
    run.assert_nothing_left();

    // One client at a time: the first rung passes, the second does not.
    let run = grade(" --bug iterative");
    let report = run.json();
    assert_not_passed(&report, &["shout/crowd-4"], "--bug iterative");
    let failure = &checks(&report).find(|c| c["id"] == "shout/crowd-4").unwrap()["failure"];
    let summary = failure["summary"].as_str().unwrap();
    assert!(summary.starts_with("4 clients at once: client 3 was not served while 1 other client"), "{failure}");
    let details = failure["details"].to_string();
    assert!(details.contains("rung 4 of the ladder [1, 4, 16] failed; the highest rung passed: 1 client at once"));
    assert_eq!(failure["hint"], "serve each client in a thread of its own");

    // Every client is served, but not uppercased: the first rung's one client fails,
    // with the hint for a reply that is the request unchanged.
    let report = grade(" --bug echo").json();
    let failure = &checks(&report).find(|c| c["id"] == "shout/crowd-4").unwrap()["failure"];
    assert!(failure["summary"].as_str().unwrap().starts_with("1 client, round 1 of 2: "), "{failure}");
    assert_eq!(failure["hint"], "uppercase it", "{failure}");
}

#[test]
fn a_crowds_clients_only_talk() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("shout")).unwrap();
    let bad = SHOUT.replace("{ send = \"HI {client}\\n\" },", "{ start = \"shout-server\" },");
    assert_ne!(bad, SHOUT);
    std::fs::write(dir.path().join("shout/lab.toml"), bad).unwrap();
    let run = grader(&["--labs", dir.path().to_str().unwrap(), "list"]);
    assert_eq!(run.code(), 2);
    assert!(run.stderr().contains("a crowd's clients only talk"), "{}", run.stderr());
}
