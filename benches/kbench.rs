//! In-process benchmark of kcompile (a `harness = false` bench target: it
//! prints one JSON object per run, read by `benches/compare.py`).
//!
//!     cargo bench --bench kbench -- single TREE [REPS]
//!     cargo bench --bench kbench -- many TREE [REPS]
//!
//! TREE is made by `benches/gen.py` (`TREE/base`, `TREE/overlays/*`).
//!
//! `single`: the first overlay compiled REPS times (fresh `Loader` each
//! time, so reading and parsing count), `build` + `stream_to_string` as the
//! CLI does; and the "limit": `yaml::parse_stream` + `stream_to_string` over
//! the concatenated bytes of the input files the build reads. Min and
//! median of each, in milliseconds.
//!
//! `many`: every overlay through `compile::build_each` (`build_many` handing
//! each output over as it is done; one shared `Loader`),
//! REPS times; wall time, CPU time (user + sys of this process) and files
//! parsed per run.
#![allow(clippy::disallowed_methods)] // benchmarks build trees on disk

use kcompile::compile::{build, build_each, Options};
use kcompile::input::load::Loader;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

// The binary's allocator, so compile and limit are measured as kcompile runs.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    if args.len() < 2 {
        eprintln!("usage: kbench single|many TREE [REPS]");
        // `cargo bench` with no arguments: nothing to do.
        return;
    }
    let tree = PathBuf::from(&args[1]);
    let reps: usize = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(5);
    match args[0].as_str() {
        "single" => single(&tree, reps),
        "many" => many(&tree, reps),
        other => panic!("unknown mode {other}"),
    }
}

fn overlays(tree: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(tree.join("overlays"))
        .expect("TREE/overlays")
        .map(|e| e.expect("dir entry").path())
        .collect();
    v.sort();
    v
}

fn yaml_files(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("dir")
        .map(|e| e.expect("dir entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    v.sort();
    v
}

fn compile(dir: &Path) -> usize {
    let loader = Loader::new(kcompile::input::disk::Disk);
    let out = build(&loader, dir, &Options::default()).expect("build");
    let docs: Vec<&kcompile::Value> = out.resources.iter().map(|r| &r.obj).collect();
    kcompile::yaml::stream_to_string(&docs).len()
}

fn ms(f: impl FnOnce()) -> f64 {
    let t = Instant::now();
    f();
    t.elapsed().as_secs_f64() * 1e3
}

fn stats(mut v: Vec<f64>) -> (f64, f64) {
    v.sort_by(|a, b| a.partial_cmp(b).expect("no NaN"));
    (v[0], v[v.len() / 2])
}

fn single(tree: &Path, reps: usize) {
    let overlay = &overlays(tree)[0];
    // The same bytes the build reads: base files and the overlay's files.
    let mut input = String::new();
    for f in yaml_files(&tree.join("base"))
        .into_iter()
        .chain(yaml_files(overlay))
    {
        let text = std::fs::read_to_string(&f).expect("read");
        if !input.is_empty() {
            input.push_str("---\n");
        }
        input.push_str(&text);
        if !text.ends_with('\n') {
            input.push('\n');
        }
    }
    let mut out_bytes = 0;
    let mut build_t = Vec::new();
    let mut limit_t = Vec::new();
    for _ in 0..reps {
        build_t.push(ms(|| out_bytes = compile(overlay)));
        limit_t.push(ms(|| {
            let docs = kcompile::yaml::parse_stream(&input).expect("parse");
            let vals: Vec<&kcompile::Value> = docs.iter().map(|d| &d.value).collect();
            std::hint::black_box(kcompile::yaml::stream_to_string(&vals));
        }));
    }
    let (bmin, bmed) = stats(build_t);
    let (lmin, lmed) = stats(limit_t);
    println!(
        "{{\"mode\":\"single\",\"reps\":{reps},\"build_ms_min\":{bmin:.3},\"build_ms_median\":{bmed:.3},\
         \"limit_ms_min\":{lmin:.3},\"limit_ms_median\":{lmed:.3},\"input_bytes\":{},\"output_bytes\":{out_bytes}}}",
        input.len()
    );
}

/// User + system CPU time of this process, in milliseconds, from
/// getrusage(2) (microsecond resolution; /proc/self/stat counts 10 ms ticks,
/// too coarse for a 30 ms run).
fn cpu_ms() -> f64 {
    // SAFETY: getrusage only writes the struct it is given.
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    let rc = unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut ru) };
    assert_eq!(rc, 0, "getrusage");
    let ms = |t: libc::timeval| t.tv_sec as f64 * 1e3 + t.tv_usec as f64 / 1e3;
    ms(ru.ru_utime) + ms(ru.ru_stime)
}

fn many(tree: &Path, reps: usize) {
    let dirs = overlays(tree);
    let mut best: Option<(f64, f64, usize)> = None;
    let mut walls = Vec::new();
    for _ in 0..reps {
        let loader = Loader::new(kcompile::input::disk::Disk);
        let c0 = cpu_ms();
        let t = Instant::now();
        // Each output serialised (in parallel too) and dropped as soon as
        // it is built, as a multi-cluster CLI writing files would.
        let bytes = AtomicUsize::new(0);
        build_each(&loader, &dirs, &Options::default(), |_, o| {
            let o = o.expect("build");
            let docs: Vec<&kcompile::Value> = o.resources.iter().map(|r| &r.obj).collect();
            let n = kcompile::yaml::stream_to_string(&docs).len();
            bytes.fetch_add(n, Ordering::Relaxed);
        });
        std::hint::black_box(bytes.into_inner());
        let wall = t.elapsed().as_secs_f64() * 1e3;
        let cpu = cpu_ms() - c0;
        walls.push(wall);
        if best.is_none_or(|b| wall < b.0) {
            best = Some((wall, cpu, loader.parse_count()));
        }
    }
    let (wall, cpu, parses) = best.expect("reps > 0");
    let (_, med) = stats(walls);
    println!(
        "{{\"mode\":\"many\",\"reps\":{reps},\"overlays\":{},\"wall_ms_min\":{wall:.3},\"wall_ms_median\":{med:.3},\
         \"cpu_ms\":{cpu:.1},\"cpu_util\":{:.2},\"threads\":{},\"files_parsed\":{parses}}}",
        dirs.len(),
        cpu / wall,
        rayon::current_num_threads()
    );
}
