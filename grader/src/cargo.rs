//! Building the student's (or the reference) programs with cargo, and finding the
//! binaries it built.
//!
//! One `cargo build --keep-going` builds every lab that is needed, so dependencies are
//! shared and one lab that does not compile does not stop the others. Compiler errors
//! are kept per package: a lab that does not build is that lab's result, not an error
//! of the grader.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use serde_json::Value;

use harness::process::{describe_exit, Process, Spec, WorkDir};
use harness::transcript::Transcript;

/// What a build produced.
pub struct Built {
    /// Binary name -> path of every binary built.
    pub binaries: HashMap<String, PathBuf>,
    /// Manifest path -> the compiler's errors, for packages that did not build.
    pub errors: HashMap<PathBuf, String>,
    /// cargo's own stderr, for failures that are not a compiler message.
    pub stderr: String,
    pub success: bool,
}

/// The cargo to run: the one that runs us (`cargo grade`), else the one on PATH.
pub fn cargo_program() -> String {
    std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_string())
}

/// Builds the binaries of `packages` in the workspace at `root`.
pub fn build(root: &Path, packages: &[String], timeout: Duration) -> Result<Built> {
    let mut args = vec!["build".to_string(), "--keep-going".into(), "--bins".into(), "--message-format=json".into()];
    for package in packages {
        args.extend(["--package".to_string(), package.clone()]);
    }
    let spec = Spec {
        program: cargo_program(),
        args,
        dir: WorkDir::At(root.to_path_buf()),
        stdin: None,
        label: "cargo".to_string(),
        limits: None,
        output_cap: 256 << 20,
        writable: Vec::new(),
        readable: Vec::new(),
    };
    let process = Process::start(spec, &Transcript::default()).with_context(|| {
        format!(
            "cannot run cargo ({}); install Rust from https://rustup.rs, or grade another language with --cmd",
            cargo_program()
        )
    })?;
    let Some(status) = process.wait_exit(Instant::now() + timeout) else {
        bail!("cargo build did not finish within {} s", timeout.as_secs());
    };
    let drained = Instant::now() + Duration::from_secs(10);
    process.stdout.wait_closed(drained);
    process.stderr.wait_closed(drained);
    let stderr = process.stderr.text();
    let mut built = Built { binaries: HashMap::new(), errors: HashMap::new(), stderr, success: status.success() };
    for line in process.stdout.text().lines() {
        let Ok(message) = serde_json::from_str::<Value>(line) else {
            continue;
        };
        match message["reason"].as_str() {
            Some("compiler-artifact") => {
                if let (Some(name), Some(exe)) = (message["target"]["name"].as_str(), message["executable"].as_str()) {
                    built.binaries.insert(name.to_string(), PathBuf::from(exe));
                }
            }
            Some("compiler-message") if message["message"]["level"] == "error" => {
                let manifest = PathBuf::from(message["manifest_path"].as_str().unwrap_or_default());
                let rendered = message["message"]["rendered"].as_str().unwrap_or_default();
                built.errors.entry(manifest).or_default().push_str(rendered);
            }
            _ => {}
        }
    }
    if !built.success && built.errors.is_empty() && built.stderr.trim().is_empty() {
        bail!("cargo build {}", describe_exit(status));
    }
    Ok(built)
}

/// The first compiler errors, short enough to read in a report.
pub fn first_errors(errors: &str) -> String {
    const LINES: usize = 40;
    let lines: Vec<&str> = errors.lines().collect();
    let mut shown = lines[..lines.len().min(LINES)].join("\n");
    if lines.len() > LINES {
        shown.push_str(&format!("\n... ({} more lines: run cargo build to see them all)", lines.len() - LINES));
    }
    shown
}
