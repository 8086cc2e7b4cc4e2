//! Fuzz target `vietqr_decode`: see `harness::vietqr_decode` in `fuzz/harness.rs`.
#![no_main]

#[allow(dead_code)]
#[path = "../harness.rs"]
mod harness;

libfuzzer_sys::fuzz_target!(|data: &[u8]| harness::vietqr_decode(data));
