//! `kcompile completions SHELL` and `kcompile man`: generated from the clap
//! definitions, so they cannot drift from the real flags.

use super::ExitStatus;
use std::io::Write;

/// Completions and the man page: generated text on stdout.
pub fn print(f: impl FnOnce(&mut Vec<u8>) -> std::io::Result<()>) -> ExitStatus {
    let mut buf = Vec::new();
    let mut out = std::io::stdout().lock();
    match f(&mut buf)
        .and_then(|_| out.write_all(&buf))
        .and_then(|_| out.flush())
    {
        Ok(()) => ExitStatus::Success,
        Err(e) => {
            let _ = writeln!(std::io::stderr(), "error: cannot write to stdout: {e}");
            ExitStatus::Error
        }
    }
}
