//! Aggregation near the rate-limit floor (issue 5, goal 1): the aggregator's wall time against the
//! least time the providers' documented rate limits and page sizes allow, and against a sequential
//! client, measured in the same run on the in-process sandbox.
//!
//! ```text
//! cargo run --release --example bench_aggregate                   # 3 runs, 50 ms latency
//! cargo run --release --example bench_aggregate -- --runs 5 --latency-ms 50
//! ```
//!
//! Seed: 1,000 Finan sub accounts, 500 SePay API-token accounts, 200 SePay OAuth bank accounts
//! (plus the sub-accounts the sandbox seeds under them). Every provider request is delayed by
//! `--latency-ms` in the sandbox ([`SandboxConfig::latency`]) to stand in for the network: on
//! loopback a request takes about 1 ms and concurrency would barely show.
//!
//! Each run uses a fresh sandbox per measurement (so one measurement's requests never share a
//! rate-limit window with the next one's):
//! 1. `library`: [`gateway::aggregate::list_all_accounts`] over the three connections;
//! 2. `per connection`: each connection's `stream_accounts`, all three at once, timed apiece;
//! 3. `sequential`: a client that fetches one page after another, each provider after the other,
//!    with the same page sizes and the same pacing (Finan 100/min with the client's pacer, SePay
//!    API token 2 requests/s), and one sub-account request per OAuth bank account.
//!
//! It prints the floor per provider and overall, each measurement, the ratio to the floor (goal at
//! most 1.10), the speed-up over the sequential client (goal at least 3) and the sandbox's 429
//! counts (must be 0), then the medians over the runs. The exit status is non-zero when a 429 was
//! seen or an account is missing.

#[path = "support/bench.rs"]
mod bench;

use std::collections::HashMap;
use std::time::{Duration, Instant};

use futures::StreamExt;
use gateway::aggregate::list_all_accounts;
use gateway::connection::{self, Connection};
use gateway::finan::{AccountFilter, FinanClient};
use gateway::sepay::{BankAccountFilter, SepayClient};
use gateway::SecretString;
use gateway_sandbox::{Sandbox, SandboxConfig, SandboxCredentials};
use serde_json::Value;

const FINAN_SUB_ACCOUNTS: usize = 1_000;
const SEPAY_TOKEN_ACCOUNTS: usize = 500;
const SEPAY_OAUTH_ACCOUNTS: usize = 200;

/// Documented limits and page sizes the floor is computed from.
///
/// Finan: 100 requests in any minute (Standard tier), pages of at most 100 (`page_size`).
const FINAN_PER_MINUTE: f64 = 100.0;
const FINAN_PAGE: usize = 100;
/// SePay API token: 2 requests per second (seed 004; some pages say 3, the lower is used), pages
/// of 100 (the list's documented default `limit`; no maximum is documented for bank accounts).
const SEPAY_TOKEN_PER_SECOND: f64 = 2.0;
const SEPAY_TOKEN_PAGE: usize = 100;
/// SePay OAuth: no documented rate limit; pages of 100 bank accounts, 100 sub-accounts.
const SEPAY_OAUTH_PAGE: usize = 100;

const GOAL_RATIO: f64 = 1.10;
const GOAL_SPEEDUP: f64 = 3.0;

struct Args {
    runs: usize,
    latency: Duration,
}

fn args() -> Args {
    let mut out = Args {
        runs: 3,
        latency: Duration::from_millis(50),
    };
    let argv: Vec<String> = std::env::args().skip(1).collect();
    let mut i = 0;
    while i < argv.len() {
        let value = argv.get(i + 1).and_then(|v| v.parse::<u64>().ok());
        match (argv[i].as_str(), value) {
            ("--runs", Some(n)) => out.runs = (n as usize).max(1),
            ("--latency-ms", Some(ms)) => out.latency = Duration::from_millis(ms),
            (other, _) => {
                eprintln!("usage: bench_aggregate [--runs N] [--latency-ms MS] (unknown or incomplete: {other})");
                std::process::exit(2);
            }
        }
        i += 2;
    }
    out
}

fn config(latency: Duration) -> SandboxConfig {
    SandboxConfig {
        finan_sub_accounts: FINAN_SUB_ACCOUNTS,
        sepay_token_accounts: SEPAY_TOKEN_ACCOUNTS,
        sepay_oauth_accounts: SEPAY_OAUTH_ACCOUNTS,
        latency,
        ..SandboxConfig::default()
    }
}

async fn sandbox(latency: Duration) -> Sandbox {
    Sandbox::start_with(config(latency), SandboxCredentials::default())
        .await
        .expect("the sandbox starts")
}

fn connections(sandbox: &Sandbox) -> Vec<Connection> {
    let vars: HashMap<&str, String> = sandbox.env_vars().into_iter().collect();
    connection::from_vars(|name| vars.get(name).cloned())
        .into_iter()
        .map(|c| c.expect("the sandbox's connections build"))
        .collect()
}

/// What the sandbox holds, to compute the floor and check the counts.
struct Shape {
    finan_masters: usize,
    finan_subs: usize,
    token_accounts: usize,
    oauth_masters: usize,
    /// Sub-accounts per OAuth bank account, in listing order.
    oauth_subs: Vec<usize>,
}

impl Shape {
    fn total(&self) -> usize {
        self.finan_masters
            + self.finan_subs
            + self.token_accounts
            + self.oauth_masters
            + self.oauth_subs.iter().sum::<usize>()
    }
}

/// The floor in seconds per provider, from the documented limits and page sizes, with `l` the
/// one-way-and-back latency of one request (the sandbox's delay; processing time is left out).
///
/// - Finan: the masters list and sub-account page 1 are independent (one round trip together);
///   pages 2..N need `total_pages` from page 1 (a second round trip). Requests beyond 100 in the
///   first minute wait for the sliding window: `2 l + max(0, R - 100) * 60/100 s`.
/// - SePay API token: each `since_id` page needs the largest id of the one before, so the R
///   requests form a chain, at most one per 1/2 s (2 per second spread evenly: "2 per second" as a
///   rate; a sliding-window server would admit two at once, but only a client that relies on
///   exact arrival times could use that): `(R - 1) * max(1/2 s, l) + l`. R is the fewest requests
///   that can tell the listing is complete at pages of 100: `ceil((n + 1) / 100)` (a full last
///   page needs one more, or a count first), 6 for 500 accounts.
/// - SePay OAuth (no documented limit): page 1, then the other pages (their numbers known from
///   page 1), then the sub-account lists of the last page's bank accounts: `3 l` (2 with one page;
///   one more round trip per further page of sub-accounts).
/// - Overall: the providers have separate limits and are listed at once, so the largest.
fn floors(shape: &Shape, l: f64) -> [(&'static str, f64); 3] {
    let finan_requests = 1 + shape.finan_subs.div_ceil(FINAN_PAGE);
    let finan_pages_after_first = shape.finan_subs.div_ceil(FINAN_PAGE) > 1;
    let finan = if finan_pages_after_first { 2.0 * l } else { l }
        + (finan_requests.saturating_sub(FINAN_PER_MINUTE as usize) as f64) * 60.0 / FINAN_PER_MINUTE;

    let token_requests = (shape.token_accounts + 1).div_ceil(SEPAY_TOKEN_PAGE);
    let token = (token_requests.saturating_sub(1)) as f64 * (1.0 / SEPAY_TOKEN_PER_SECOND).max(l) + l;

    let oauth_pages = shape.oauth_masters.div_ceil(SEPAY_OAUTH_PAGE).max(1);
    let sub_pages = shape
        .oauth_subs
        .iter()
        .map(|n| n.div_ceil(SEPAY_OAUTH_PAGE).max(1))
        .max()
        .unwrap_or(1);
    let oauth = l + if oauth_pages > 1 { l } else { 0.0 } + sub_pages as f64 * l;

    [("finan", finan), ("sepay-token", token), ("sepay-oauth", oauth)]
}

/// The sandbox's counts, read through the same sequential client that serves as the baseline
/// (so the shape is what the providers' APIs say, not the sandbox's internals).
async fn shape(sandbox: &Sandbox) -> Shape {
    let finan_masters = sandbox.finan().master_account_ids().len();
    let finan_subs = sandbox.finan().sub_account_count();
    let oauth = oauth_lists(sandbox).await;
    Shape {
        finan_masters,
        finan_subs,
        token_accounts: SEPAY_TOKEN_ACCOUNTS,
        oauth_masters: oauth.len(),
        oauth_subs: oauth,
    }
}

/// Sub-accounts per OAuth bank account, read sequentially (also the sequential OAuth client).
async fn oauth_lists(sandbox: &Sandbox) -> Vec<usize> {
    let http = reqwest::Client::new();
    let base = sandbox.sepay_base_url();
    let token = sandbox.credentials().sepay_oauth_access_token.clone();
    let get = |url: String| {
        let (http, token) = (http.clone(), token.clone());
        async move {
            let reply = http
                .get(url)
                .bearer_auth(token)
                .send()
                .await
                .expect("OAuth request is sent");
            assert_eq!(reply.status().as_u16(), 200, "OAuth request refused");
            reply.json::<Value>().await.expect("OAuth reply is JSON")
        }
    };
    let last_page = |v: &Value| v["meta"]["pagination"]["last_page"].as_u64().unwrap_or(1);
    let mut subs = Vec::new();
    let mut page = 1;
    loop {
        let list = get(format!(
            "{base}/api/v1/bank-accounts?page={page}&limit={SEPAY_OAUTH_PAGE}"
        ))
        .await;
        for account in list["data"].as_array().expect("data is a list") {
            let id = account["id"].as_u64().expect("numeric id");
            let mut count = 0;
            let mut sub_page = 1;
            loop {
                let url =
                    format!("{base}/api/v1/bank-accounts/{id}/sub-accounts?page={sub_page}&limit={SEPAY_OAUTH_PAGE}");
                let reply = get(url).await;
                count += reply["data"].as_array().map_or(0, Vec::len);
                if sub_page >= last_page(&reply) {
                    break;
                }
                sub_page += 1;
            }
            subs.push(count);
        }
        if page >= last_page(&list) {
            break;
        }
        page += 1;
    }
    subs
}

/// The sequential client: one page after another, provider after provider. Returns the number of
/// accounts listed.
async fn sequential(sandbox: &Sandbox) -> usize {
    let c = sandbox.credentials();
    // Finan: the library's single-page calls, paced by the client's pacer (100/min).
    let finan = FinanClient::builder()
        .client_id(c.finan_client_id.clone())
        .secret_key(SecretString::from(c.finan_secret_key.clone()))
        .base_url(&sandbox.finan_base_url())
        .build()
        .expect("Finan client builds");
    let all = AccountFilter::all();
    let mut listed = finan.list_master_accounts(&all).await.expect("Finan masters").len();
    let mut page = 1;
    loop {
        let p = finan
            .list_bank_accounts(page, FINAN_PAGE as u32, &all)
            .await
            .expect("Finan page");
        listed += p.items.len();
        if p.next.is_none() {
            break;
        }
        page += 1;
    }

    // SePay API token: count, then since_id pages of 100 up to the count, paced at 2/s by the client.
    let token = SepayClient::api_token(SecretString::from(c.sepay_api_token.clone()))
        .base_url(&sandbox.sepay_base_url())
        .build()
        .expect("SePay client builds");
    let expected = token
        .count_bank_accounts(&BankAccountFilter::default())
        .await
        .expect("SePay count") as usize;
    let (mut after, mut seen) = (0u64, 0usize);
    while seen < expected {
        let filter = BankAccountFilter::default()
            .since_id(after.max(1))
            .limit(SEPAY_TOKEN_PAGE as u32);
        let accounts = token.list_bank_accounts(&filter).await.expect("SePay page");
        let ids: Vec<u64> = accounts
            .iter()
            .filter_map(|a| a.id.parse().ok())
            .filter(|id| *id > after)
            .collect();
        if ids.is_empty() {
            break;
        }
        seen += ids.len();
        after = ids.into_iter().max().unwrap_or(after);
    }
    listed += seen;

    // SePay OAuth: pages of bank accounts, then each one's sub-accounts, one request at a time.
    let subs = oauth_lists(sandbox).await;
    listed + subs.len() + subs.iter().sum::<usize>()
}

struct Run {
    library: f64,
    per_connection: Vec<(String, f64)>,
    sequential: f64,
    accounts: usize,
    rate_limited: u64,
}

async fn run(latency: Duration, expected: usize) -> Run {
    let mut rate_limited = 0;

    let sb = sandbox(latency).await;
    let conns = connections(&sb);
    let started = Instant::now();
    let report = list_all_accounts(&conns).await;
    let library = started.elapsed().as_secs_f64();
    assert!(report.errors.is_empty(), "aggregation failed: {:?}", report.errors);
    let accounts = report.accounts.len();
    assert_eq!(accounts, expected, "the aggregator listed {accounts} accounts");
    rate_limited += sb.finan().rate_limited_count() + sb.sepay().rate_limited_count();
    drop(sb);

    let sb = sandbox(latency).await;
    let conns = connections(&sb);
    let started = Instant::now();
    let per_connection = futures::future::join_all(conns.iter().map(|c| async move {
        let n = c.provider().stream_accounts().fold(0usize, |n, a| async move {
            a.expect("stream_accounts");
            n + 1
        });
        let n = n.await;
        (c.name().to_string(), started.elapsed().as_secs_f64(), n)
    }))
    .await;
    let listed: usize = per_connection.iter().map(|(_, _, n)| n).sum();
    assert_eq!(listed, expected, "per-connection streams listed {listed} accounts");
    rate_limited += sb.finan().rate_limited_count() + sb.sepay().rate_limited_count();
    drop(sb);

    let sb = sandbox(latency).await;
    let started = Instant::now();
    let listed = sequential(&sb).await;
    let sequential = started.elapsed().as_secs_f64();
    assert_eq!(listed, expected, "the sequential client listed {listed} accounts");
    rate_limited += sb.finan().rate_limited_count() + sb.sepay().rate_limited_count();

    Run {
        library,
        per_connection: per_connection.into_iter().map(|(name, t, _)| (name, t)).collect(),
        sequential,
        accounts,
        rate_limited,
    }
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let args = args();
    let l = args.latency.as_secs_f64();

    let sb = sandbox(Duration::ZERO).await;
    let shape = shape(&sb).await;
    drop(sb);
    let floors = floors(&shape, l);
    let floor = floors.iter().map(|(_, f)| *f).fold(0.0, f64::max);
    println!(
        "seed: finan {} masters + {} sub accounts; sepay-token {} accounts; sepay-oauth {} bank accounts + {} sub-accounts; {} in all",
        shape.finan_masters,
        shape.finan_subs,
        shape.token_accounts,
        shape.oauth_masters,
        shape.oauth_subs.iter().sum::<usize>(),
        shape.total()
    );
    println!(
        "latency per request: {} ms; runs: {}",
        args.latency.as_millis(),
        args.runs
    );
    for (name, f) in &floors {
        println!("floor {name:<12} {f:>7.3} s");
    }
    println!("floor overall      {floor:>7.3} s (providers in parallel: the largest)");

    let mut runs = Vec::new();
    for i in 1..=args.runs {
        let r = run(args.latency, shape.total()).await;
        let per: Vec<String> = r
            .per_connection
            .iter()
            .map(|(name, t)| format!("{name} {t:.3} s"))
            .collect();
        println!(
            "run {i}: library {:.3} s (ratio to floor {:.3}), sequential {:.3} s (speed-up {:.2}x), {} accounts, 429s {}; per connection: {}",
            r.library,
            r.library / floor,
            r.sequential,
            r.sequential / r.library,
            r.accounts,
            r.rate_limited,
            per.join(", ")
        );
        runs.push(r);
    }

    let library = bench::median(&mut runs.iter().map(|r| r.library).collect::<Vec<_>>());
    let sequential = bench::median(&mut runs.iter().map(|r| r.sequential).collect::<Vec<_>>());
    let ratio = library / floor;
    let speedup = sequential / library;
    let rate_limited: u64 = runs.iter().map(|r| r.rate_limited).sum();
    println!("median library     {library:.3} s");
    println!("median sequential  {sequential:.3} s");
    for (name, f) in &floors {
        let t = bench::median(
            &mut runs
                .iter()
                .filter_map(|r| r.per_connection.iter().find(|(n, _)| n == name).map(|(_, t)| *t))
                .collect::<Vec<_>>(),
        );
        println!("median {name:<12}{t:>7.3} s alone (floor {f:.3} s, ratio {:.2})", t / f);
    }
    println!(
        "ratio to floor     {ratio:.3} (goal <= {GOAL_RATIO:.2}: {})",
        if ratio <= GOAL_RATIO { "met" } else { "MISSED" }
    );
    println!(
        "speed-up           {speedup:.2}x (goal >= {GOAL_SPEEDUP:.0}x: {})",
        if speedup >= GOAL_SPEEDUP { "met" } else { "MISSED" }
    );
    println!("429 answers        {rate_limited} (must be 0)");
    if rate_limited == 0 {
        std::process::ExitCode::SUCCESS
    } else {
        std::process::ExitCode::FAILURE
    }
}
