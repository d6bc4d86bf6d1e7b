//! The `kcompile` binary: a thin layer over the library.
mod cli;
mod cli_diff;

fn main() {
    std::process::exit(cli::main());
}
