//! Fuzz target: YAML stream loading and re-emission; the body is in `fuzz/harness.rs`.
#![no_main]
#[path = "../harness.rs"]
mod harness;

libfuzzer_sys::fuzz_target!(|data: &[u8]| harness::yaml_stream(data));
