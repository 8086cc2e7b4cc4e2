//! Fuzz target `sepay_webhook`: see `harness::sepay_webhook` in `fuzz/harness.rs`.
#![no_main]

#[allow(dead_code)]
#[path = "../harness.rs"]
mod harness;

libfuzzer_sys::fuzz_target!(|data: &[u8]| harness::sepay_webhook(data));
