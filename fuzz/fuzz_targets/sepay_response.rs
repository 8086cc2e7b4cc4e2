//! Fuzz target `sepay_response`: see `harness::sepay_response` in `fuzz/harness.rs`.
#![no_main]

#[allow(dead_code)]
#[path = "../harness.rs"]
mod harness;

libfuzzer_sys::fuzz_target!(|data: &[u8]| harness::sepay_response(data));
