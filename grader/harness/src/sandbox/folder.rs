//! A program's own folder: its working directory and `HOME`, the one place outside
//! its private `/tmp` where it may write.
//!
//! Where the grader runs in its private mount namespace (the child grader,
//! `grader/src/inner.rs`), the folder is a tmpfs of a fixed size (`--limit disk=`) and a
//! fixed number of files: a program that writes without end gets ENOSPC, whatever the
//! per-file limit. The mount exists in that namespace only, so it vanishes with the grader,
//! however the grader ends. Elsewhere it is a plain folder, and only the per-file limit
//! (RLIMIT_FSIZE) holds.
//!
//! All folders of a run are made in one folder of the run's ([`set_root`]), which the
//! grader that made it removes whatever happened to the one that ran the checks.

use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;

static ROOT: Mutex<Option<PathBuf>> = Mutex::new(None);
static PRIVATE_MOUNTS: AtomicBool = AtomicBool::new(false);

/// Makes every later folder inside `root`.
pub fn set_root(root: PathBuf) {
    *ROOT.lock().unwrap_or_else(|e| e.into_inner()) = Some(root);
}

/// The folder a run's folders are made in: the run's own, else the system's.
pub fn root() -> PathBuf {
    ROOT.lock().unwrap_or_else(|e| e.into_inner()).clone().unwrap_or_else(std::env::temp_dir)
}

/// Removes the run's folder and everything in it (for the interrupt handler, where
/// the value that would remove it is never dropped).
pub fn remove_root() {
    if let Some(root) = ROOT.lock().unwrap_or_else(|e| e.into_inner()).clone() {
        let _ = std::fs::remove_dir_all(root);
    }
}

/// Says that this process has a mount namespace of its own, where folders may be
/// mounted without anyone else seeing them.
pub fn set_private_mounts() {
    PRIVATE_MOUNTS.store(true, Ordering::SeqCst);
}

/// Whether folders are size-capped here.
pub fn capped() -> bool {
    PRIVATE_MOUNTS.load(Ordering::SeqCst)
}

/// The most files (and folders) one program's folder may hold.
#[cfg_attr(not(target_os = "linux"), allow(dead_code))] // a tmpfs's option: Linux only
const MAX_FILES: u32 = 4096;

/// One program's folder; removed (and unmounted) when dropped.
#[derive(Debug)]
pub struct Folder {
    path: PathBuf,
}

impl Folder {
    /// A new empty folder owned by `owner` (the sandbox's uid, when the grader is
    /// root), at most `size` bytes where [`capped`].
    pub fn create(size: u64, owner: Option<u32>) -> io::Result<Folder> {
        let path = tempfile::Builder::new().prefix("socket-labs-").tempdir_in(root())?.keep();
        let folder = Folder { path };
        if capped() {
            mount_tmpfs(&folder.path, size, owner)?;
        } else if let Some(id) = owner {
            std::os::unix::fs::chown(&folder.path, Some(id), Some(id))?;
        }
        Ok(folder)
    }

    /// Where it is.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for Folder {
    fn drop(&mut self) {
        remove(&self.path);
    }
}

/// Removes a folder made by [`Folder::create`] (for the interrupt handler, which has
/// only its path): unmounted first where it is a mount.
pub fn remove(path: &Path) {
    #[cfg(target_os = "linux")]
    if capped() {
        if let Ok(c) = std::ffi::CString::new(path.as_os_str().as_encoded_bytes()) {
            // SAFETY: umount2 with a valid C string; a path that is no mount point
            // fails with EINVAL, which is fine.
            unsafe { libc::umount2(c.as_ptr(), libc::MNT_DETACH) };
        }
    }
    let _ = std::fs::remove_dir_all(path);
}

#[cfg(target_os = "linux")]
fn mount_tmpfs(path: &Path, size: u64, owner: Option<u32>) -> io::Result<()> {
    use nix::mount::{mount, MsFlags};
    let mut options = format!("size={size},nr_inodes={MAX_FILES},mode=0755");
    if let Some(id) = owner {
        options.push_str(&format!(",uid={id},gid={id}"));
    }
    let flags = MsFlags::MS_NOSUID | MsFlags::MS_NODEV;
    mount(Some("tmpfs"), path, Some("tmpfs"), flags, Some(options.as_str())).map_err(|e| {
        let _ = std::fs::remove_dir(path);
        io::Error::new(io::Error::from(e).kind(), format!("cannot mount a tmpfs on {}: {e}", path.display()))
    })
}

#[cfg(not(target_os = "linux"))]
fn mount_tmpfs(_path: &Path, _size: u64, _owner: Option<u32>) -> io::Result<()> {
    Ok(())
}
