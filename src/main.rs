//! The `kcompile` binary: a thin layer over the library.
mod cli;
mod cli_diff;

/// Stack for the worker thread: building follows chains of bases and nested
/// YAML recursively, so give it room well beyond the library's depth limits.
const STACK_BYTES: usize = 256 * 1024 * 1024;

fn main() {
    let code = std::thread::Builder::new()
        .name("kcompile".into())
        .stack_size(STACK_BYTES)
        .spawn(cli::main)
        .ok()
        .and_then(|h| h.join().ok())
        .unwrap_or(2);
    std::process::exit(code);
}
