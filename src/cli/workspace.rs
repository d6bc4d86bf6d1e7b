//! Finding and reading `kcompile.yaml` for the commands that use it.

use super::report;
use super::ExitStatus;
use kcompile::input::disk::{read_regular, Disk};
use kcompile::workspace::{self, Config};
use std::path::Path;

pub fn load_config(explicit: Option<&Path>) -> Result<Option<Config>, ExitStatus> {
    let found = match explicit {
        Some(f) => Ok(Some(f.to_path_buf())),
        None => match std::env::current_dir() {
            Ok(d) => workspace::find_config(&Disk, &d),
            Err(e) => {
                report::say(&format!("error: cannot determine the working folder to look for kcompile.yaml: {e}\n  hint: a working folder deeper than the system allows (PATH_MAX) cannot be resolved; run kcompile from a shorter path, or pass --config"));
                return Err(ExitStatus::Error);
            }
        },
    };
    let file = match found {
        Ok(f) => f,
        Err(e) => {
            report::error(&e);
            return Err(ExitStatus::Error);
        }
    };
    match file {
        None => Ok(None),
        Some(f) => match read(&f) {
            Ok(c) => Ok(Some(c)),
            Err(e) => {
                report::error(&e);
                Err(ExitStatus::Error)
            }
        },
    }
}

/// The `kcompile.yaml` a command without an overlay path works on; its
/// absence is an error with `hint` (the command to run instead).
pub fn require_config(explicit: Option<&Path>, hint: &str) -> Result<Config, ExitStatus> {
    match load_config(explicit)? {
        Some(c) => Ok(c),
        None => {
            report::say(&format!(
                "error: no overlay given and no kcompile.yaml found\n  hint: {hint}"
            ));
            Err(ExitStatus::Error)
        }
    }
}

/// Read and check the `kcompile.yaml` at `file`.
pub fn read(file: &Path) -> kcompile::error::Result<Config> {
    let bytes = read_regular(file, workspace::MAX_CONFIG_BYTES).map_err(|mut e| {
        e.message = format!("cannot read configuration: {}", e.message);
        e
    })?;
    workspace::from_bytes(file, bytes)
}
