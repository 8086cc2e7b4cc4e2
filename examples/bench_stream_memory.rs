//! Streaming memory (issue 5, goal 4): peak resident memory of a process that streams every account
//! of one connection, at 10,000 and 100,000 accounts. Goal: under 50 MB, and flat in the number of
//! accounts.
//!
//! ```text
//! cargo run --release --example bench_stream_memory            # 10,000 and 100,000, one process each
//! cargo run --release --example bench_stream_memory -- 250000  # one size
//! ```
//!
//! The connection is Finan: its pages are numbered (`page`/`page_size`, at most 100 per page, with
//! `meta.total_pages`), so 100,000 accounts are 1,001 requests that the client fetches several at
//! a time. SePay's API token would take 1,000 dependent requests at 2 per second (over 8 minutes),
//! and its OAuth API one sub-account request per bank account (100,000 more requests). For the
//! measurement both Finan's sandbox rate limit and the client's pacer are lifted (100/min would
//! take 10 minutes at this size); pacing does not change what is held in memory.
//!
//! The sandbox, which holds the seeded accounts, runs in a child process (this program started
//! with `--serve N`), so the figure is the client's alone: `VmHWM` (peak resident set) from
//! `/proc/self/status` after counting every account of
//! [`BankAccountProvider::stream_accounts`] without keeping them. Linux only.

use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Command, ExitCode, Stdio};
use std::time::Instant;

use futures::StreamExt;
use gateway::finan::FinanClient;
use gateway::{BankAccountProvider, SecretString};
use gateway_sandbox::{Sandbox, SandboxConfig, SandboxCredentials};

const GOAL_MB: f64 = 50.0;
/// "Flat": the peak at 100,000 accounts at most this much above the peak at 10,000.
const FLAT_RATIO: f64 = 1.10;
const SIZES: [usize; 2] = [10_000, 100_000];

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.as_slice() {
        [serve, n] if serve == "--serve" => serve_sandbox(parse(n)),
        [n] => measure(parse(n)),
        [] => both(),
        _ => {
            eprintln!("usage: bench_stream_memory [ACCOUNTS]");
            ExitCode::from(2)
        }
    }
}

fn parse(n: &str) -> usize {
    n.replace(['_', ','], "").parse().unwrap_or_else(|_| {
        eprintln!("not a number of accounts: {n:?}");
        std::process::exit(2)
    })
}

/// `VmHWM` (peak) and `VmRSS` (now) of a process, in MB, from `/proc/<pid>/status`.
fn memory(pid: &str) -> (f64, f64) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
            .map_or(f64::NAN, |kb| kb / 1024.0)
    };
    (field("VmHWM:"), field("VmRSS:"))
}

/// Runs every size in its own process and compares them.
fn both() -> ExitCode {
    let exe = std::env::current_exe().expect("own path");
    let mut peaks = Vec::new();
    for n in SIZES {
        let out = Command::new(&exe)
            .arg(n.to_string())
            .output()
            .expect("the measurement runs");
        let text = String::from_utf8_lossy(&out.stdout);
        print!("{text}");
        if !out.status.success() {
            eprintln!("{}", String::from_utf8_lossy(&out.stderr));
            return ExitCode::FAILURE;
        }
        let peak = text
            .lines()
            .find_map(|l| l.strip_prefix("client peak RSS (VmHWM): "))
            .and_then(|v| v.trim_end_matches(" MB").parse::<f64>().ok())
            .expect("the measurement prints its peak");
        peaks.push((n, peak));
    }
    let (small, large) = (peaks[0].1, peaks[1].1);
    let under = peaks.iter().all(|(_, p)| *p < GOAL_MB);
    let flat = large <= small * FLAT_RATIO;
    for (n, p) in &peaks {
        println!("peak at {n:>7} accounts: {p:.1} MB");
    }
    println!(
        "growth from {} to {} accounts: {:+.1} MB ({:.3}x; flat means at most {FLAT_RATIO:.2}x): {}",
        SIZES[0],
        SIZES[1],
        large - small,
        large / small,
        if flat { "flat" } else { "NOT FLAT" }
    );
    println!(
        "goal: under {GOAL_MB:.0} MB at every size: {}",
        if under { "met" } else { "MISSED" }
    );
    if under && flat {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

/// The client process: starts the sandbox child, streams, reports its own peak.
#[tokio::main]
async fn measure(accounts: usize) -> ExitCode {
    let exe = std::env::current_exe().expect("own path");
    let mut child = Command::new(exe)
        .args(["--serve", &accounts.to_string()])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("the sandbox process starts");
    let mut lines = BufReader::new(child.stdout.take().expect("piped stdout")).lines();
    let mut value = |key: &str| {
        let line = lines.next().and_then(Result::ok).unwrap_or_default();
        line.strip_prefix(key).map(str::to_string).unwrap_or_else(|| {
            eprintln!("the sandbox process did not print {key}: {line:?}");
            std::process::exit(1)
        })
    };
    let base_url = value("FINAN_BASE_URL=");
    let client_id = value("FINAN_CLIENT_ID=");
    let secret = value("FINAN_SECRET_KEY=");
    let seeded_in = value("SEEDED_IN_MS=");

    let client = FinanClient::builder()
        .client_id(client_id)
        .secret_key(SecretString::from(secret))
        .base_url(&base_url)
        // The sandbox's limit is off too: see the module docs.
        .requests_per_minute(100_000_000)
        .build()
        .expect("Finan client builds");
    let (before_peak, _) = memory("self");
    let started = Instant::now();
    let mut stream = client.stream_accounts();
    let mut count = 0usize;
    while let Some(account) = stream.next().await {
        let account = account.expect("every page is listed");
        std::hint::black_box(&account);
        count += 1;
    }
    drop(stream);
    let elapsed = started.elapsed();
    let (peak, now) = memory("self");
    let (server_peak, _) = memory(&child.id().to_string());
    // Closing its stdin ends the sandbox process.
    drop(child.stdin.take());
    let _ = child.wait();

    println!(
        "accounts streamed: {count} ({accounts} sub accounts + masters) in {:.2} s",
        elapsed.as_secs_f64()
    );
    println!("client peak RSS (VmHWM): {peak:.1} MB");
    println!("client RSS before streaming: {before_peak:.1} MB peak, after: {now:.1} MB");
    println!("sandbox process peak RSS: {server_peak:.1} MB (seeded in {seeded_in} ms; not counted)");
    if count < accounts {
        eprintln!("only {count} of {accounts} accounts were listed");
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}

/// The sandbox process: Finan with `accounts` sub accounts and no rate limit, until stdin closes.
#[tokio::main]
async fn serve_sandbox(accounts: usize) -> ExitCode {
    let config = SandboxConfig {
        finan_sub_accounts: accounts,
        finan_requests_per_minute: None,
        ..SandboxConfig::default()
    };
    let started = Instant::now();
    let credentials = SandboxCredentials::default();
    let sandbox = Sandbox::start_with(config, credentials)
        .await
        .expect("the sandbox starts");
    let c = sandbox.credentials();
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "FINAN_BASE_URL={}", sandbox.finan_base_url());
    let _ = writeln!(out, "FINAN_CLIENT_ID={}", c.finan_client_id);
    let _ = writeln!(out, "FINAN_SECRET_KEY={}", c.finan_secret_key);
    let _ = writeln!(out, "SEEDED_IN_MS={}", started.elapsed().as_millis());
    let _ = out.flush();
    drop(out);
    // Blocks a runtime thread until the parent closes the pipe (or exits); the server runs on the others.
    tokio::task::spawn_blocking(|| {
        let _ = std::io::stdin().read_to_end(&mut Vec::new());
    })
    .await
    .ok();
    ExitCode::SUCCESS
}
