//! A course adds a lab by adding a folder: a lab.toml and a Python server in a
//! temporary folder, given with `--labs DIR`, are listed, graded, explained and
//! self-tested by the grader as it is, with no Rust and no rebuild.

use serde_json::Value;
use socket_labs_tests::{assert_not_passed, checks, grader, python};

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
