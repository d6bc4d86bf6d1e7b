//! Fuzz target: Patches as the `patches:` transformer applies them; the body is in `fuzz/harness.rs`.
#![no_main]
#[path = "../harness.rs"]
mod harness;

libfuzzer_sys::fuzz_target!(|data: &[u8]| harness::json_patch(data));
