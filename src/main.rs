//! The `kcompile` binary: a thin layer over the library.
mod cli;

/// mimalloc instead of glibc's malloc: a build allocates and frees many
/// small strings and maps; measured 32-35% less wall time at N = 250 and
/// 2,000 (benches/), for ~10-16 MB more peak RSS.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Stack for the thread doing the work, as for the threads building
/// clusters in parallel (see there why).
const STACK_BYTES: usize = kcompile::workspace::STACK_BYTES;

fn main() {
    let code = std::thread::Builder::new()
        .name("kcompile".into())
        .stack_size(STACK_BYTES)
        .spawn(cli::main)
        .map(|h| h.join().unwrap_or(101))
        .unwrap_or_else(|_| cli::main());
    std::process::exit(code);
}
