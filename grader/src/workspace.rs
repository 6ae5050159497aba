//! Finding the socket-labs workspace: the folder with Cargo.toml and labs/.

use std::path::{Path, PathBuf};

use anyhow::{bail, Result};

/// The workspace at or above the current directory, else the one the grader was built
/// in (so an installed grader still finds its course).
pub fn find_root(explicit: Option<&Path>) -> Result<PathBuf> {
    if let Some(root) = explicit {
        if is_root(root) {
            return Ok(root.to_path_buf());
        }
        bail!("{} is not a socket-labs workspace (no Cargo.toml and labs/ there)", root.display());
    }
    let cwd = std::env::current_dir()?;
    if let Some(root) = cwd.ancestors().find(|dir| is_root(dir)) {
        return Ok(root.to_path_buf());
    }
    let built_in = Path::new(env!("CARGO_MANIFEST_DIR")).parent().map(Path::to_path_buf);
    match built_in {
        Some(root) if is_root(&root) => Ok(root),
        _ => bail!(
            "cannot find the socket-labs workspace from {}: run the grader inside your clone, or pass --root DIR",
            cwd.display()
        ),
    }
}

fn is_root(dir: &Path) -> bool {
    dir.join("Cargo.toml").is_file() && dir.join("labs").is_dir()
}
