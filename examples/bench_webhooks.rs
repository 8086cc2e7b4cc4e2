//! Webhook verification cost (issue 5, goal 3): each verifier against the least any verifier must
//! do with the same bytes, measured interleaved in one run.
//!
//! ```text
//! cargo run --release --example bench_webhooks                 # about 10 s
//! cargo run --release --example bench_webhooks -- --rounds 41 --batch 5000
//! cargo run --release --example bench_webhooks -- --only finan  # one case (for a profiler)
//! ```
//!
//! Cases (payloads are the crates' test fixtures, the providers' documented shapes):
//!
//! - `finan`: [`FinanWebhookVerifier`] on `payment_webhook.json`. Baseline: SHA-256 of the signed
//!   string (`secret_POST_path_body_timestamp`) plus `serde_json::from_slice::<Value>` of the body.
//! - `sepay-bank`: [`SepayBankWebhookVerifier`] (`Authorization: Apikey`) on
//!   `bank_transaction_in.json`. SePay signs nothing here, so the baseline's "digest" is a
//!   constant-time comparison of the key, plus the same `Value` parse.
//! - `sepay-ipn`: [`SepayIpnVerifier`] (`X-Secret-Key`) on `ipn_order_paid.json`; baseline as for
//!   `sepay-bank`.
//!
//! Every round times one batch of the baseline, then one of the verifier, for every case, so load
//! from other processes falls on both alike. Per call it prints the medians over the rounds of
//! wall time and of this thread's CPU time (`CLOCK_THREAD_CPUTIME_ID`), the ratio of
//! the CPU medians (goal: at most 1.5) and verifications per second per core (1 / CPU time).

#[path = "support/bench.rs"]
mod bench;

use std::hint::black_box;
use std::sync::Arc;
use std::time::Instant;

use gateway::finan::webhook::{FinanWebhookSigner, FinanWebhookVerifier};
use gateway::sepay::webhook::{SepayBankWebhookSigner, SepayBankWebhookVerifier, SepayIpnSigner, SepayIpnVerifier};
use gateway::{FixedClock, PaymentEvent, SecretString, WebhookRequest, WebhookVerifier};
use serde_json::Value;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// The goal: a verifier costs at most this times its baseline.
const GOAL: f64 = 1.5;

const FINAN_BODY: &[u8] = include_bytes!("../crates/provider-finan/tests/fixtures/payment_webhook.json");
const SEPAY_BANK_BODY: &[u8] =
    include_bytes!("../crates/provider-sepay/tests/fixtures/webhooks/bank_transaction_in.json");
const SEPAY_IPN_BODY: &[u8] = include_bytes!("../crates/provider-sepay/tests/fixtures/webhooks/ipn_order_paid.json");

const FINAN_CLIENT: &str = "bench-client";
const FINAN_SECRET: &str = "bench-finan-secret-key-0123456789";
const FINAN_PATH: &str = "/webhooks/finan";
const SEPAY_KEY: &str = "bench-sepay-api-key-0123456789";
/// Inside the IPN fixture's replay window and the Finan timestamp signed below.
const NOW: i64 = 1_757_058_220;

struct Case {
    name: &'static str,
    bytes: usize,
    baseline_label: &'static str,
    baseline: Box<dyn Fn()>,
    verifier: Box<dyn Fn()>,
}

fn finan_case() -> Case {
    let clock = Arc::new(FixedClock::at_unix(NOW).expect("a valid time"));
    let verifier = FinanWebhookVerifier::new(FINAN_CLIENT, SecretString::from(FINAN_SECRET)).clock(clock);
    let headers =
        FinanWebhookSigner::new(FINAN_CLIENT, SecretString::from(FINAN_SECRET)).sign(FINAN_PATH, FINAN_BODY, NOW);
    let headers: &'static [(String, String)] = Box::leak(headers.into_boxed_slice());
    let request =
        move || WebhookRequest::new("POST", FINAN_PATH, FINAN_BODY).with_headers(headers.iter().map(|(n, v)| (n, v)));
    expect_payment(&verifier, &request());
    Case {
        name: "finan",
        bytes: FINAN_BODY.len(),
        baseline_label: "sha256(signed string) + Value",
        baseline: Box::new(|| {
            let timestamp = NOW.to_string();
            let mut hasher = Sha256::new();
            for part in [
                FINAN_SECRET.as_bytes(),
                b"POST",
                FINAN_PATH.as_bytes(),
                black_box(FINAN_BODY),
            ] {
                hasher.update(part);
                hasher.update(b"_");
            }
            hasher.update(timestamp.as_bytes());
            black_box(hasher.finalize());
            black_box(serde_json::from_slice::<Value>(black_box(FINAN_BODY)).expect("JSON"));
        }),
        verifier: Box::new(move || {
            black_box(verifier.verify(black_box(&request())).expect("verifies"));
        }),
    }
}

fn key_compare_and_parse(body: &'static [u8]) -> Box<dyn Fn()> {
    Box::new(move || {
        black_box(bool::from(black_box(SEPAY_KEY.as_bytes()).ct_eq(SEPAY_KEY.as_bytes())));
        black_box(serde_json::from_slice::<Value>(black_box(body)).expect("JSON"));
    })
}

fn sepay_bank_case() -> Case {
    let verifier = SepayBankWebhookVerifier::new(SecretString::from(SEPAY_KEY));
    let headers = SepayBankWebhookSigner::new(SecretString::from(SEPAY_KEY)).headers();
    let headers: &'static [(String, String)] = Box::leak(headers.into_boxed_slice());
    let request = move || {
        WebhookRequest::new("POST", "/webhooks/sepay", SEPAY_BANK_BODY)
            .with_headers(headers.iter().map(|(n, v)| (n, v)))
    };
    expect_payment(&verifier, &request());
    Case {
        name: "sepay-bank",
        bytes: SEPAY_BANK_BODY.len(),
        baseline_label: "key ct_eq + Value",
        baseline: key_compare_and_parse(SEPAY_BANK_BODY),
        verifier: Box::new(move || {
            black_box(verifier.verify(black_box(&request())).expect("verifies"));
        }),
    }
}

fn sepay_ipn_case() -> Case {
    let clock = Arc::new(FixedClock::at_unix(NOW).expect("a valid time"));
    let verifier = SepayIpnVerifier::new(SecretString::from(SEPAY_KEY)).clock(clock);
    let headers = SepayIpnSigner::new(SecretString::from(SEPAY_KEY)).headers();
    let headers: &'static [(String, String)] = Box::leak(headers.into_boxed_slice());
    let request = move || {
        WebhookRequest::new("POST", "/webhooks/sepay-ipn", SEPAY_IPN_BODY)
            .with_headers(headers.iter().map(|(n, v)| (n, v)))
    };
    expect_payment(&verifier, &request());
    Case {
        name: "sepay-ipn",
        bytes: SEPAY_IPN_BODY.len(),
        baseline_label: "key ct_eq + Value",
        baseline: key_compare_and_parse(SEPAY_IPN_BODY),
        verifier: Box::new(move || {
            black_box(verifier.verify(black_box(&request())).expect("verifies"));
        }),
    }
}

/// The benchmark must time the success path: a verifier that refused would look fast.
fn expect_payment(verifier: &dyn WebhookVerifier, request: &WebhookRequest<'_>) {
    match verifier.verify(request) {
        Ok(PaymentEvent::PaymentReceived(_)) => {}
        other => panic!("the fixture does not verify as a payment: {other:?}"),
    }
}

/// Wall and CPU ns per call over one batch.
fn time_batch(f: &dyn Fn(), batch: u32) -> (f64, Option<f64>) {
    let cpu0 = bench::thread_cpu_ns();
    let t0 = Instant::now();
    for _ in 0..batch {
        f();
    }
    let wall = t0.elapsed().as_nanos() as f64 / f64::from(batch);
    let cpu = bench::thread_cpu_ns()
        .zip(cpu0)
        .map(|(b, a)| (b - a) as f64 / f64::from(batch));
    (wall, cpu)
}

fn main() {
    let rounds: usize = bench::arg("--rounds").map_or(31, |v| v.parse().expect("--rounds N"));
    let batch: u32 = bench::arg("--batch").map_or(3000, |v| v.parse().expect("--batch N"));
    let only = bench::arg("--only");
    let cases: Vec<Case> = [finan_case(), sepay_bank_case(), sepay_ipn_case()]
        .into_iter()
        .filter(|c| only.as_deref().is_none_or(|o| o == c.name))
        .collect();

    // Warm-up: caches, allocator, branch predictors.
    for case in &cases {
        time_batch(&*case.baseline, batch);
        time_batch(&*case.verifier, batch);
    }
    // [case] -> (baseline wall, baseline cpu, verifier wall, verifier cpu), one entry per round.
    let mut samples: Vec<[Vec<f64>; 4]> = cases.iter().map(|_| Default::default()).collect();
    for _ in 0..rounds {
        for (case, s) in cases.iter().zip(&mut samples) {
            let (bw, bc) = time_batch(&*case.baseline, batch);
            let (vw, vc) = time_batch(&*case.verifier, batch);
            s[0].push(bw);
            s[1].push(bc.unwrap_or(bw));
            s[2].push(vw);
            s[3].push(vc.unwrap_or(vw));
        }
    }

    println!(
        "webhook verification: {rounds} interleaved rounds of {batch} calls each, medians per call (ns); cpu = this thread's CPU time"
    );
    println!(
        "{:<11} {:>5}  {:<30} {:>9} {:>9}  {:>9} {:>9}  {:>6} {:>6}  {:>12}  goal",
        "case", "bytes", "baseline", "base wall", "base cpu", "ver wall", "ver cpu", "ratio", "wall", "verif/s/core"
    );
    let mut missed = false;
    for (case, s) in cases.iter().zip(&mut samples) {
        let [bw, bc, vw, vc] = s;
        let (bw, bc, vw, vc) = (
            bench::median(bw),
            bench::median(bc),
            bench::median(vw),
            bench::median(vc),
        );
        let ratio = vc / bc;
        let pass = ratio <= GOAL;
        missed |= !pass;
        println!(
            "{:<11} {:>5}  {:<30} {:>9.0} {:>9.0}  {:>9.0} {:>9.0}  {:>6.2} {:>6.2}  {:>12.0}  {}",
            case.name,
            case.bytes,
            case.baseline_label,
            bw,
            bc,
            vw,
            vc,
            ratio,
            vw / bw,
            1e9 / vc,
            if pass {
                format!("PASS (<= {GOAL})")
            } else {
                format!("MISS (> {GOAL} by {:.0}%)", (ratio / GOAL - 1.0) * 100.0)
            }
        );
    }
    if missed {
        std::process::exit(1);
    }
}
