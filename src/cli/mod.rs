//! Command-line interface: one module per command, flags parsed here, the
//! library doing the work; outcomes become exit codes in [`status`] only.

use clap::{CommandFactory, Parser, Subcommand};

mod build;
mod diff;
mod generated;
mod helm;
mod remote;
mod report;
mod status;
mod validate;
mod workspace;

pub use status::ExitStatus;

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
    build: build::BuildArgs,
}

#[derive(Subcommand, Debug)]
enum Cmd {
    /// Print the compiled YAML stream of an overlay (the default command).
    Build(build::BuildArgs),
    /// Compare an overlay with the live cluster (or a second overlay).
    Diff(diff::DiffArgs),
    /// Compile overlays and check them against the Kubernetes schemas and lints.
    Validate(validate::ValidateArgs),
    /// Pin every remote base (git URL) the overlays reach in kcompile.lock.
    Lock(remote::LockArgs),
    /// Print a shell completion script, e.g. `source <(kcompile completions bash)`.
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff), e.g. `kcompile man > kcompile.1`.
    Man,
}

pub fn main() -> i32 {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            let status = match e.kind() {
                clap::error::ErrorKind::DisplayHelp | clap::error::ErrorKind::DisplayVersion => {
                    ExitStatus::Success
                }
                _ => ExitStatus::Error,
            };
            return status.code();
        }
    };
    let status = match cli.cmd {
        Some(Cmd::Build(b)) => build::run(&b),
        Some(Cmd::Diff(d)) => diff::run(&d),
        Some(Cmd::Validate(v)) => validate::run(&v),
        Some(Cmd::Lock(l)) => remote::run(&l),
        Some(Cmd::Completions { shell }) => generated::print(|out| {
            clap_complete::generate(shell, &mut Cli::command(), "kcompile", out);
            Ok(())
        }),
        Some(Cmd::Man) => generated::print(|out| clap_mangen::Man::new(Cli::command()).render(out)),
        None => build::run(&cli.build),
    };
    status.code()
}
