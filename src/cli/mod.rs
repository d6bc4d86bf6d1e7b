//! Command-line interface: argument parsing, wiring library calls, and the
//! one place where outcomes become exit codes.

use clap::{Args, CommandFactory, Parser, Subcommand, ValueEnum};
use kcompile::compile::{self, Options, Reorder};
use kcompile::input::load::Loader;
use std::io::Write;
use std::path::PathBuf;

mod diff;
mod gitops;
pub use gitops::{validate_before_use, GitopsArgs, ValOpts, ValidateArgs};

/// Outcome of a command, mapped to the exit code in one place.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
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
}

#[derive(Parser, Debug)]
#[command(
    name = "kcompile",
    version = concat!(env!("CARGO_PKG_VERSION"), " (commit ", env!("KCOMPILE_GIT_COMMIT"), ")"),
    about = "Compile kustomize-style overlays into final Kubernetes manifests",
    args_conflicts_with_subcommands = true
)]
struct Cli {
    #[command(subcommand)]
    cmd: Option<Cmd>,
    #[command(flatten)]
    build: BuildArgs,
}

#[derive(Subcommand, Debug)]
enum Cmd {
    /// Print the compiled YAML stream of an overlay (the default command).
    Build(BuildArgs),
    /// Compare an overlay with the live cluster (or a second overlay).
    Diff(diff::DiffArgs),
    /// Compile overlays and check them against the Kubernetes schemas and lints.
    Validate(ValidateArgs),
    /// Print a shell completion script, e.g. `source <(kcompile completions bash)`.
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff), e.g. `kcompile man > kcompile.1`.
    Man,
}

#[derive(Args, Debug, Clone)]
struct BuildArgs {
    /// Directory holding kustomization.yaml.
    path: Option<PathBuf>,
    /// Output order: `legacy` (kind order, kubectl's default) or `none` (input order).
    #[arg(long, value_enum)]
    reorder: Option<ReorderArg>,
    #[command(flatten)]
    gitops: GitopsArgs,
}

#[derive(ValueEnum, Debug, Clone, Copy)]
enum ReorderArg {
    Legacy,
    None,
}

pub fn main() -> i32 {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            return match e.kind() {
                clap::error::ErrorKind::DisplayHelp | clap::error::ErrorKind::DisplayVersion => 0,
                _ => ExitStatus::Error.code(),
            };
        }
    };
    let status = match cli.cmd {
        Some(Cmd::Build(b)) => run_build(&b),
        Some(Cmd::Diff(d)) => diff::run(&d),
        Some(Cmd::Validate(v)) => gitops::run_validate(&v),
        Some(Cmd::Completions { shell }) => print_generated(|out| {
            clap_complete::generate(shell, &mut Cli::command(), "kcompile", out);
            Ok(())
        }),
        Some(Cmd::Man) => print_generated(|out| clap_mangen::Man::new(Cli::command()).render(out)),
        None => run_build(&cli.build),
    };
    status.code()
}

/// Completions and the man page: generated text on stdout.
fn print_generated(f: impl FnOnce(&mut Vec<u8>) -> std::io::Result<()>) -> ExitStatus {
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

fn report(e: &kcompile::Error) {
    let _ = writeln!(std::io::stderr(), "error: {e}");
}

fn build_options(b: &BuildArgs) -> Options {
    Options {
        reorder: match b.reorder {
            Some(ReorderArg::Legacy) => Reorder::Legacy,
            Some(ReorderArg::None) => Reorder::None,
            None => Reorder::Auto,
        },
    }
}

fn run_build(b: &BuildArgs) -> ExitStatus {
    if b.path.is_none() || b.gitops.wants_pipeline() {
        return gitops::run(b, &build_options(b));
    }
    let Some(path) = &b.path else {
        let _ = writeln!(
            std::io::stderr(),
            "error: no overlay given\n  hint: run `kcompile overlays/cluster-a` (a directory holding kustomization.yaml)"
        );
        return ExitStatus::Error;
    };
    if let Err(e) = kcompile::input::fsguard::check_overlay_dir(path) {
        report(&e);
        return ExitStatus::Error;
    }
    let opts = build_options(b);
    let loader = Loader::single_use();
    match compile::build(&loader, path, &opts) {
        Ok(out) => {
            let mut err = std::io::stderr().lock();
            for w in &out.warnings {
                let _ = writeln!(err, "{w}");
            }
            let docs: Vec<&kcompile::Value> = out.resources.iter().map(|r| &r.obj).collect();
            let text = kcompile::yaml::stream_to_string(&docs);
            let status = gitops::print_stdout(&text);
            // The process exits next: freeing every node of a large build
            // only costs time (it walks all of that memory once more).
            std::mem::forget(text);
            std::mem::forget(docs);
            std::mem::forget(out);
            std::mem::forget(loader);
            status
        }
        Err(e) => {
            report(&e);
            ExitStatus::Error
        }
    }
}
