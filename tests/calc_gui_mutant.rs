//! calc-gui's frame test catches a window that waits for the network. A copy of the
//! reference whose `Worker::send` asks the server on the caller's thread (the UI's)
//! before handing the job over still shows every answer (the other tests of
//! tests/gui.rs time only the frames after the click, if any); the frame test
//! `no_frame_waits_for_a_server_that_answers_after_2_s` must fail it, as it passes the
//! reference (`cargo test -p calc-gui-solution`).

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use socket_labs_tests::root;

/// The workspace's target folder: this test is target/debug/deps/calc_gui_mutant-HASH.
fn target_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("own path");
    exe.ancestors().nth(3).expect("target/debug/deps/test").to_path_buf()
}

fn copy_dir(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for entry in fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &to.join(entry.file_name()));
        } else {
            fs::copy(entry.path(), to.join(entry.file_name())).unwrap();
        }
    }
}

const PACKAGE: &str = "name = \"calc-gui-solution\"";

/// The mutant's one change: the request is asked where `send` is called.
const SEND: &str = "    pub fn send(&self, job: Job) -> Result<(), String> {\n";
const BLOCKING: &str = "        let _ = ask(&job); // the mutant: the UI thread waits for the server\n";

#[test]
fn the_frame_test_fails_a_window_whose_send_blocks() {
    // A fixed folder beside the workspace's builds: the mutant's build reuses egui's.
    let dir = target_dir().join("calc-gui-mutant");
    let _ = fs::remove_dir_all(dir.join("calc-gui"));
    fs::create_dir_all(dir.join("calc-gui")).unwrap();
    for part in ["Cargo.toml", "src", "tests"] {
        let from = root().join("solutions/calc-gui").join(part);
        if from.is_dir() {
            copy_dir(&from, &dir.join("calc-gui").join(part));
        } else {
            fs::copy(&from, dir.join("calc-gui").join(part)).unwrap();
        }
    }
    // A package of its own name (its library keeps the reference's, for tests/gui.rs):
    // cargo would take a build of the same name at the same path inside its workspace
    // for the reference's, and this one shares the workspace's build folder.
    let manifest = dir.join("calc-gui/Cargo.toml");
    let text = fs::read_to_string(&manifest).unwrap();
    assert!(text.contains(PACKAGE), "solutions/calc-gui/Cargo.toml names its package {PACKAGE}");
    let renamed = text.replacen(PACKAGE, "name = \"calc-gui-blocking-mutant\"", 1);
    fs::write(&manifest, format!("{renamed}\n[lib]\nname = \"calc_gui_solution\"\npath = \"src/lib.rs\"\n")).unwrap();
    let net = dir.join("calc-gui/src/net.rs");
    let source = fs::read_to_string(&net).unwrap();
    assert!(source.contains(SEND), "net.rs still has Worker::send as this mutant expects it");
    fs::write(&net, source.replacen(SEND, &format!("{SEND}{BLOCKING}"), 1)).unwrap();
    let root_manifest = fs::read_to_string(root().join("Cargo.toml")).unwrap();
    let shared = &root_manifest[root_manifest.find("[workspace.package]").expect("[workspace.package]")..];
    let shared = &shared[..shared.find("\n# ").unwrap_or(shared.len())];
    fs::write(dir.join("Cargo.toml"), format!("[workspace]\nresolver = \"2\"\nmembers = [\"calc-gui\"]\n\n{shared}"))
        .unwrap();
    fs::copy(root().join("Cargo.lock"), dir.join("Cargo.lock")).unwrap();

    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let output = Command::new(cargo)
        .args(["test", "--offline", "--quiet", "--test", "gui", "--", "no_frame_waits", "--exact"])
        .arg("no_frame_waits_for_a_server_that_answers_after_2_s")
        .current_dir(&dir)
        .env("CARGO_TARGET_DIR", dir.join("target"))
        .env("CARGO_BUILD_BUILD_DIR", target_dir())
        .output()
        .unwrap();
    let said = format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
    assert!(!output.status.success(), "the blocking mutant passed the frame test:\n{said}");
    assert!(said.contains("the UI thread waited for the network"), "it failed for the frame's time:\n{said}");
}
