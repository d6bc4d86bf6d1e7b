//! Fuzz target: A whole build of a small tree (NUL-separated files); the body is in `fuzz/harness.rs`.
#![no_main]
#[path = "../harness.rs"]
mod harness;

libfuzzer_sys::fuzz_target!(|data: &[u8]| harness::build_tree(data));
