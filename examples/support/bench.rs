//! Helpers shared by the bench examples (`#[path = "support/bench.rs"] mod bench;`): medians, this
//! thread's CPU clock, and `--name value` arguments. Each example uses what it needs.
#![allow(dead_code)]

/// The median of `values` (sorted in place; the mean of the middle two for an even count).
pub fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    let n = values.len();
    if n % 2 == 1 {
        values[n / 2]
    } else {
        (values[n / 2 - 1] + values[n / 2]) / 2.0
    }
}

/// This thread's CPU time in ns (`CLOCK_THREAD_CPUTIME_ID`: exact, unlike the tick-granular
/// `/proc/thread-self/schedstat`).
pub fn thread_cpu_ns() -> Option<u64> {
    let mut now = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: `now` is a valid, writable timespec for the duration of the call.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut now) };
    (rc == 0).then(|| now.tv_sec as u64 * 1_000_000_000 + now.tv_nsec as u64)
}

/// The value after `name` on the command line (`--rounds 5`), if any.
pub fn arg(name: &str) -> Option<String> {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1).cloned())
}
