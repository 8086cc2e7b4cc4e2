//! Fuzz target `finan_response`: see `harness::finan_response` in `fuzz/harness.rs`.
#![no_main]

#[allow(dead_code)]
#[path = "../harness.rs"]
mod harness;

libfuzzer_sys::fuzz_target!(|data: &[u8]| harness::finan_response(data));
