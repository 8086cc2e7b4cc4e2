//! Fuzz target `finan_webhook`: see `harness::finan_webhook` in `fuzz/harness.rs`.
#![no_main]

#[allow(dead_code)]
#[path = "../harness.rs"]
mod harness;

libfuzzer_sys::fuzz_target!(|data: &[u8]| harness::finan_webhook(data));
