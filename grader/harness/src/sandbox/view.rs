//! What a program sees of the machine inside the sandbox: the system, read-only, so
//! that `python3`, `java` and shared libraries work; its own program; and nothing of
//! the course (the workspace, `solutions/`, other submissions, reports, the grader).
//!
//! Its own program is found from its command line: the program file, and every
//! argument that names an existing file or folder (`python3 /sub/alice/server.py`,
//! `java -cp /sub/alice/classes Server`). A script's folder is shown whole (a Python
//! program imports its neighbours), a compiled binary alone (its folder, a cargo
//! `target/debug`, holds the reference solutions' binaries too). An interpreter
//! outside the system folders (pyenv, a JDK in /opt or a home folder) is shown from
//! its installation's root, the folder above its `bin`.

use std::path::{Path, PathBuf};

use super::Place;

/// The system folders, shown read-only where they exist.
const SYSTEM: [&str; 9] = ["/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/etc", "/opt"];

/// Folder names whose parent is an installation's root.
const BIN_NAMES: [&str; 3] = ["bin", "sbin", "shims"];

/// One read-only mount of the sandbox, or a symbolic link.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Bind {
    /// The path, the same inside as outside.
    pub path: PathBuf,
    /// Skipped when the path does not exist (the system folders differ by machine).
    pub optional: bool,
    /// A system folder that is a symbolic link (`/bin -> usr/bin` where /usr is
    /// merged) is made the same link, not a mount of its own: every mount costs at the
    /// start and the end of every program.
    pub link: Option<PathBuf>,
}

impl Bind {
    /// bubblewrap's arguments for it: its folders made first (see [`folders_to`]).
    pub fn args(&self) -> Vec<String> {
        let path = self.path.to_string_lossy().into_owned();
        if let Some(target) = &self.link {
            return vec!["--symlink".to_string(), target.to_string_lossy().into_owned(), path];
        }
        let flag = if self.optional { "--ro-bind-try" } else { "--ro-bind" };
        let mut args = folders_to(&self.path);
        args.extend([flag.to_string(), path.clone(), path]);
        args
    }
}

/// The system folders of this machine: a mount for each that exists, a link for each
/// that is a link.
fn system() -> Vec<Bind> {
    SYSTEM
        .iter()
        .map(PathBuf::from)
        .filter_map(|path| {
            let meta = std::fs::symlink_metadata(&path).ok()?;
            let link = meta.file_type().is_symlink().then(|| std::fs::read_link(&path).ok()).flatten();
            Some(Bind { path, optional: true, link })
        })
        .collect()
}

/// bubblewrap's arguments that make the folders above `path` in the sandbox, each
/// readable and searchable by all (`--perms 0755 --dir`): bubblewrap would make them
/// itself, but closed to all but root (0700), and a program run as an unprivileged uid
/// could not reach its own files.
pub fn folders_to(path: &Path) -> Vec<String> {
    let mut above: Vec<&Path> = path.ancestors().skip(1).filter(|p| *p != Path::new("/")).collect();
    above.reverse();
    above
        .into_iter()
        .filter(|p| !SYSTEM.iter().any(|s| Path::new(s) == *p) && *p != Path::new("/tmp"))
        .flat_map(|p| {
            ["--perms".to_string(), "0755".to_string(), "--dir".to_string(), p.to_string_lossy().into_owned()]
        })
        .collect()
}

/// Every read-only mount for `place`, system folders first, then the program's own
/// paths (which may lie inside a system folder's mount point, never the reverse).
pub fn binds(place: &Place) -> Vec<Bind> {
    // Links last: bubblewrap makes a link only where its target's folder exists.
    let (links, mut binds): (Vec<Bind>, Vec<Bind>) = system().into_iter().partition(|b| b.link.is_some());
    let mut own: Vec<PathBuf> = Vec::new();
    let program = Path::new(place.program);
    for path in [program.to_path_buf(), canonical(program)] {
        own.extend(program_paths(&path));
    }
    for arg in place.args {
        let path = Path::new(arg);
        let writable = place.writable.iter().any(|w| path.starts_with(w));
        if path.is_absolute() && path.exists() && !path.starts_with(place.dir) && !writable {
            own.push(if path.is_dir() { path.to_path_buf() } else { parent(path) });
            own.push(if path.is_dir() { canonical(path) } else { parent(&canonical(path)) });
        }
    }
    own.extend(place.readable.iter().cloned());
    own.retain(|p| !p.as_os_str().is_empty() && p != Path::new("/") && !is_system(p));
    own.sort();
    own.dedup();
    // A folder already shown through one of its parents needs no mount of its own.
    let covered: Vec<PathBuf> =
        own.iter().filter(|p| own.iter().any(|q| q != *p && p.starts_with(q))).cloned().collect();
    own.retain(|p| !covered.contains(p));
    binds.extend(links);
    binds.extend(own.into_iter().map(|path| Bind { path, optional: false, link: None }));
    binds
}

/// The interpreter a script's `#!` line names, if it names one by its path.
pub fn interpreter(path: &Path) -> Option<PathBuf> {
    let mut head = [0u8; 256];
    let read = std::io::Read::read(&mut std::fs::File::open(path).ok()?, &mut head).ok()?;
    let line = head[..read].strip_prefix(b"#!")?.split(|&b| b == b'\n').next()?;
    let word = String::from_utf8_lossy(line).split_whitespace().next()?.to_string();
    word.starts_with('/').then(|| PathBuf::from(word))
}

/// What must be shown for the program file at `path`: the file (or its installation,
/// or its folder), and the interpreter its `#!` line names.
fn program_paths(path: &Path) -> Vec<PathBuf> {
    let mut paths = file_paths(path);
    if let Some(interpreter) = interpreter(path) {
        paths.extend(file_paths(&interpreter));
    }
    paths
}

fn file_paths(path: &Path) -> Vec<PathBuf> {
    if !path.is_absolute() || is_system(path) {
        return Vec::new();
    }
    let folder = parent(path);
    let in_bin = folder.file_name().and_then(|n| n.to_str()).is_some_and(|n| BIN_NAMES.contains(&n));
    if in_bin {
        vec![parent(&folder)]
    } else if is_script(path) {
        vec![folder]
    } else {
        vec![path.to_path_buf()]
    }
}

fn is_system(path: &Path) -> bool {
    SYSTEM.iter().any(|s| path.starts_with(s))
}

/// A file that starts with `#!`: its neighbours may be part of it.
fn is_script(path: &Path) -> bool {
    let mut head = [0u8; 2];
    std::fs::File::open(path).and_then(|mut f| std::io::Read::read_exact(&mut f, &mut head)).is_ok() && &head == b"#!"
}

fn parent(path: &Path) -> PathBuf {
    path.parent().map(Path::to_path_buf).unwrap_or_default()
}

fn canonical(path: &Path) -> PathBuf {
    std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn place<'a>(program: &'a str, args: &'a [String], dir: &'a Path) -> Place<'a> {
        Place { program, args, dir, writable: &[], readable: &[], tmp_size: 1 }
    }

    #[test]
    fn a_binary_is_shown_alone_and_a_script_with_its_folder() {
        let tmp = tempfile::tempdir().unwrap();
        let work = tmp.path().join("work");
        std::fs::create_dir_all(work.join("target/debug")).unwrap();
        std::fs::create_dir_all(work.join("alice")).unwrap();
        let binary = work.join("target/debug/demo-server");
        std::fs::write(&binary, b"\x7fELF").unwrap();
        let script = work.join("alice/server.py");
        std::fs::write(&script, b"print()").unwrap();
        let dir = tmp.path().join("run/p0");
        let own =
            |p: &Place| -> Vec<PathBuf> { binds(p).into_iter().filter(|b| !b.optional).map(|b| b.path).collect() };

        let canon = |p: &Path| canonical(p);
        assert_eq!(own(&place(&binary.to_string_lossy(), &[], &dir)), vec![canon(&binary)]);
        let args = vec!["-u".to_string(), script.to_string_lossy().into_owned(), "--bug".to_string()];
        let shown = own(&place("/usr/bin/python3", &args, &dir));
        assert_eq!(shown, vec![canon(&work.join("alice"))], "the script's folder, not the workspace");
        assert!(shown.iter().all(|p| !p.ends_with("work")));
    }

    #[test]
    fn an_interpreter_outside_the_system_is_shown_from_its_root() {
        let tmp = tempfile::tempdir().unwrap();
        let python = tmp.path().join("pyenv/versions/3.11/bin/python3.11");
        std::fs::create_dir_all(python.parent().unwrap()).unwrap();
        std::fs::write(&python, b"\x7fELF").unwrap();
        let shown: Vec<PathBuf> = binds(&place(&python.to_string_lossy(), &[], tmp.path()))
            .into_iter()
            .filter(|b| !b.optional)
            .map(|b| b.path)
            .collect();
        assert_eq!(shown, vec![canonical(&tmp.path().join("pyenv/versions/3.11"))]);
    }

    #[test]
    fn system_folders_come_first_and_are_optional() {
        let dir = PathBuf::from("/tmp/x");
        let all = binds(&place("/usr/bin/true", &[], &dir));
        assert!(all.iter().all(|b| b.optional), "{all:?}");
        assert_eq!(all[0].args(), ["--ro-bind-try".to_string(), "/usr".to_string(), "/usr".to_string()]);
        if std::fs::symlink_metadata("/bin").is_ok_and(|m| m.file_type().is_symlink()) {
            let bin = all.iter().find(|b| b.path == Path::new("/bin")).unwrap();
            assert_eq!(bin.args()[0], "--symlink", "a merged /usr's links are links, not mounts");
        }
    }

    #[test]
    fn folders_above_a_bind_are_made_open_to_all_but_tmp_and_the_root() {
        let args = folders_to(Path::new("/tmp/t1/run/p0"));
        assert_eq!(args.join(" "), "--perms 0755 --dir /tmp/t1 --perms 0755 --dir /tmp/t1/run");
        assert!(folders_to(Path::new("/srv")).is_empty());
    }
}
