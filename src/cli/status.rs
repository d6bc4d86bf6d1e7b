//! The outcome of a command and its exit code, decided here only: 0 done
//! and nothing differs, 1 differences found (`diff`, `--check`), 2 error,
//! as `kubectl diff`.

/// Outcome of a command, mapped to the exit code in one place.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum ExitStatus {
    /// Done; nothing differs.
    Success,
    /// Done; differences found (diff, --check).
    Failure,
    /// Could not do the job.
    Error,
}

impl ExitStatus {
    pub fn code(self) -> i32 {
        match self {
            ExitStatus::Success => 0,
            ExitStatus::Failure => 1,
            ExitStatus::Error => 2,
        }
    }

    /// The worse of two outcomes (error over differences over success).
    pub fn worst(self, other: ExitStatus) -> ExitStatus {
        self.max(other)
    }
}
