//! Building a class's Rust submissions, with the dependencies compiled once for all.
//!
//! A submission is a checkout of the student template; only its labs' `src/` folders
//! are taken (the course's manifests, lock file and grader stay the instructor's, as in
//! `template/bin/grade-submission`), so every submission has the same dependencies.
//! They are built in one copy of the course, `BUILD/workspace`, with one target folder,
//! `BUILD/target`: the first submission compiles clap and the rest, and every later one
//! compiles only the student's own crates.
//!
//! One target folder means one `target/debug/hello-server` for the whole class, so a
//! build and the copy of its binaries are one step under a lock: the student's sources
//! go into the workspace, cargo builds them, and the binaries are copied into the
//! submission's own folder before the next build may start. Grading, the long part,
//! runs in parallel on those copies.
//!
//! Cargo decides that a workspace crate needs rebuilding by comparing the modification
//! times of its sources with those of its last build, not their contents. Every student
//! has the same crates at the same paths, so sources older than the previous student's
//! build would be taken as built, and graded with the previous student's binaries. The
//! sources are therefore stamped with the current time as they are put in place, and a
//! binary older than its build's start is refused rather than graded.
//!
//! With `--no-shared-build` each submission builds alone in a copy of the course with
//! its own target folder, dependencies included: isolated, and slower (docs/batch.md).

use std::collections::HashMap;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime};

use anyhow::{bail, Context, Result};

use crate::programs::{self, Source};
use harness::outcome::Failure;
use harness::Launcher;
use labs::registry::Lab;

/// Most files, and bytes, taken from one lab's `src/` of one submission.
const MAX_FILES: usize = 2_000;
const MAX_BYTES: u64 = 16 << 20;

/// The error of a build that took longer than it was given.
#[derive(Debug)]
pub struct TimedOut(pub Duration);

impl std::fmt::Display for TimedOut {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "its build took longer than --timeout {} s", self.0.as_secs())
    }
}

/// Where the class's Rust submissions are built.
pub struct SharedBuild {
    course: PathBuf,
    dir: PathBuf,
    /// Never copied into a workspace: the output, the build folder, the submissions.
    skip: Vec<PathBuf>,
    shared: bool,
    /// One build at a time in this process; the lock file keeps other processes out.
    local: Mutex<()>,
}

/// What one submission's build gave.
pub struct Built {
    /// Each role's program (copied out of the build), or why it has none.
    pub programs: HashMap<String, Result<Launcher, Failure>>,
    /// Waiting for the build lock.
    pub waited: Duration,
    /// Copying the sources in, cargo, and copying the binaries out.
    pub took: Duration,
}

impl SharedBuild {
    /// Prepares `dir` (made if needed) to build submissions of the course at `course`.
    /// With `shared`, its workspace and target folder serve every submission; the
    /// workspace is brought up to date with the course now.
    pub fn open(course: &Path, dir: &Path, skip: &[PathBuf], shared: bool) -> Result<SharedBuild> {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create the build folder {}", dir.display()))?;
        let dir = dir.canonicalize()?;
        let mut skip: Vec<PathBuf> = skip.iter().filter_map(|p| p.canonicalize().ok()).collect();
        skip.push(dir.clone());
        let build = SharedBuild { course: course.canonicalize()?, dir, skip, shared, local: Mutex::new(()) };
        if shared {
            // The target folder of the build, for every cargo this process runs.
            std::env::set_var("CARGO_TARGET_DIR", build.dir.join("target"));
            let _lock = build.lock()?;
            sync_tree(&build.course, &build.dir.join("workspace"), &build.skip)?;
        } else {
            std::env::remove_var("CARGO_TARGET_DIR");
        }
        Ok(build)
    }

    /// Builds `labs` of the submission at `submission` (a template checkout), copying
    /// each binary to `bin`. An error is a failure of the build itself (cargo could not
    /// run, or took longer than `timeout`), not a compiler error, which is the result of
    /// the roles of that lab. `started_building` hears when its turn has come.
    pub fn build(
        &self,
        student: &str,
        submission: &Path,
        labs: &[&Lab],
        timeout: Duration,
        bin: &Path,
        started_building: &dyn Fn(),
    ) -> Result<Built> {
        let asked = Instant::now();
        let (_local, _file, workspace) = if self.shared {
            let local = self.local.lock().unwrap_or_else(|e| e.into_inner());
            (Some(local), Some(self.lock()?), self.dir.join("workspace"))
        } else {
            let workspace = self.dir.join("isolated").join(student);
            let _ = std::fs::remove_dir_all(&workspace);
            sync_tree(&self.course, &workspace, &self.skip)?;
            (None, None, workspace)
        };
        started_building();
        let started = Instant::now();
        let waited = started - asked;
        let stamp = SystemTime::now();
        for lab in labs {
            let own = submission.join("labs").join(lab.name).join("src");
            let from = if own.is_dir() { own } else { self.course.join("labs").join(lab.name).join("src") };
            let to = workspace.join("labs").join(lab.name).join("src");
            put_sources(&from, &to, stamp).with_context(|| format!("cannot copy {}", from.display()))?;
        }
        let mut programs = match programs::resolve(labs, Source::Labs, &[], &workspace, timeout, &mut |_| {}) {
            Ok(programs) => programs,
            Err(e) if started.elapsed() >= timeout => return Err(e.context(TimedOut(timeout))),
            Err(e) => return Err(e),
        };
        std::fs::create_dir_all(bin)?;
        for (role, launcher) in programs.iter_mut() {
            let Ok(l) = launcher else { continue };
            let built = PathBuf::from(&l.program);
            let fresh = std::fs::metadata(&built).and_then(|m| m.modified()).is_ok_and(|t| t >= stamp);
            if !fresh {
                *launcher = Err(Failure::grader(format!(
                    "{role}: cargo did not rebuild {} for this submission; the shared build at {} may be damaged (delete it)",
                    built.display(),
                    self.dir.display()
                )));
                continue;
            }
            let copy = bin.join(role);
            std::fs::copy(&built, &copy).with_context(|| format!("cannot copy {}", built.display()))?;
            l.program = copy.to_string_lossy().into_owned();
        }
        if !self.shared {
            let _ = std::fs::remove_dir_all(&workspace);
        }
        Ok(Built { programs, waited, took: started.elapsed() })
    }

    /// Holds the build folder against other processes (another batch sharing it).
    fn lock(&self) -> Result<File> {
        let path = self.dir.join("lock");
        let file = File::create(&path).with_context(|| format!("cannot create {}", path.display()))?;
        file.lock().with_context(|| format!("cannot lock {}", path.display()))?;
        Ok(file)
    }
}

/// Replaces `to` with the regular files of `from`, each modified at `stamp`. Links
/// are not followed: a submission's link to a file of the grading machine would
/// otherwise bring that file into the build, and into compiler messages.
fn put_sources(from: &Path, to: &Path, stamp: SystemTime) -> Result<()> {
    if to.exists() {
        std::fs::remove_dir_all(to)?;
    }
    let (mut files, mut bytes) = (0, 0);
    let mut pending = vec![(from.to_path_buf(), to.to_path_buf())];
    while let Some((src, dst)) = pending.pop() {
        std::fs::create_dir_all(&dst)?;
        for entry in std::fs::read_dir(&src)? {
            let entry = entry?;
            let kind = entry.file_type()?;
            let target = dst.join(entry.file_name());
            if kind.is_dir() {
                pending.push((entry.path(), target));
            } else if kind.is_file() {
                files += 1;
                bytes += entry.metadata()?.len();
                if files > MAX_FILES || bytes > MAX_BYTES {
                    bail!("{} holds more than {MAX_FILES} files or {} MiB", from.display(), MAX_BYTES >> 20);
                }
                std::fs::copy(entry.path(), &target)?;
                File::options().write(true).open(&target)?.set_modified(stamp)?;
            }
        }
    }
    Ok(())
}

/// Copies the course at `from` to `to`, but its `target`, hidden folders other than
/// `.cargo` and the `skip` paths; files that are already the same are left alone.
fn sync_tree(from: &Path, to: &Path, skip: &[PathBuf]) -> Result<()> {
    let mut pending = vec![(from.to_path_buf(), to.to_path_buf(), true)];
    while let Some((src, dst, top)) = pending.pop() {
        std::fs::create_dir_all(&dst).with_context(|| format!("cannot create {}", dst.display()))?;
        for entry in std::fs::read_dir(&src).with_context(|| format!("cannot read {}", src.display()))? {
            let entry = entry?;
            let name = entry.file_name();
            let name = name.to_string_lossy();
            let path = entry.path();
            let kind = entry.file_type()?;
            if kind.is_dir() {
                let hidden = name.starts_with('.') && name != ".cargo";
                if hidden || (top && name == "target") || skip.contains(&path) {
                    continue;
                }
                pending.push((path, dst.join(&*name), false));
            } else if kind.is_file() {
                let target = dst.join(&*name);
                let same =
                    std::fs::read(&target).ok().is_some_and(|old| std::fs::read(&path).is_ok_and(|new| new == old));
                if !same {
                    std::fs::copy(&path, &target).with_context(|| format!("cannot copy {}", path.display()))?;
                }
            }
        }
    }
    Ok(())
}
