//! Fuzz target: Strategic merge of a patch into an object; the body is in `fuzz/harness.rs`.
#![no_main]
#[path = "../harness.rs"]
mod harness;

libfuzzer_sys::fuzz_target!(|data: &[u8]| harness::strategic_merge(data));
