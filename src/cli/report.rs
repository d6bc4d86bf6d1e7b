//! Everything the commands print besides their result: messages on
//! stderr, the result on stdout (a failed write is an error), and
//! validation reports.

use super::ExitStatus;
use kcompile::validate::Report;
use std::io::Write;

/// One message on stderr.
pub fn say(s: &str) {
    let _ = writeln!(std::io::stderr().lock(), "{s}");
}

/// An error of the library, as `error: FILE:LINE:COL: …` with its hint.
pub fn error(e: &kcompile::Error) {
    say(&format!("error: {e}"));
}

/// Write to stdout; a failure (a full disk, a closed pipe) is reported.
pub fn stdout(text: &str) -> ExitStatus {
    let mut stdout = std::io::stdout().lock();
    match stdout
        .write_all(text.as_bytes())
        .and_then(|_| stdout.flush())
    {
        Ok(()) => ExitStatus::Success,
        Err(e) => {
            drop(stdout);
            say(&format!("error: cannot write the output to stdout: {e}"));
            ExitStatus::Error
        }
    }
}

/// Print a validation report (prefixed with the cluster name when there are
/// several); true when it fails the build.
pub fn validation(r: &Report, strict: bool, label: Option<&str>) -> bool {
    let pre = label.map(|l| format!("[{l}] ")).unwrap_or_default();
    for n in &r.notes {
        say(&format!("{pre}{n}"));
    }
    for w in &r.warnings {
        let level = if strict { "error" } else { "warning" };
        say(&format!("{pre}{level}: {w}"));
    }
    for e in &r.errors {
        say(&format!("{pre}error: {e}"));
    }
    let failed = r.failed(strict);
    if failed {
        // Lint findings fail the build only under --strict: name them then.
        let lints = if strict && !r.warnings.is_empty() {
            format!(", {} lint finding(s) under --strict", r.warnings.len())
        } else {
            String::new()
        };
        say(&format!(
            "{pre}error: validation failed ({} schema error(s){lints})",
            r.errors.len()
        ));
    }
    failed
}
