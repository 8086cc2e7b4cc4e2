//! Retries of reads (backoff, `Retry-After`, budget), no retry of writes, per-call options and
//! client-side pacing.

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::{account, ok, CLIENT_ID, SECRET};
use gateway_core::{Error, PaymentProvider, TransportErrorKind};
use provider_finan::{AccountFilter, CreateBankAccount, FinanClient, RequestOptions, RetryPolicy, SecretString};
use serde_json::json;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

const MASTERS: &str = "/open/api/v1/master-bank-accounts";
const SUBS: &str = "/open/api/v1/bank-accounts";

fn builder(server: &MockServer) -> provider_finan::FinanClientBuilder {
    FinanClient::builder()
        .client_id(CLIENT_ID)
        .secret_key(SecretString::from(SECRET))
        .base_url(&format!("{}/open", server.uri()))
}

/// Retries with short waits, so the tests stay fast.
fn fast() -> RetryPolicy {
    RetryPolicy::default()
        .base_delay(Duration::from_millis(10))
        .max_delay(Duration::from_millis(50))
}

fn status_reply(status: u16, request_id: &str) -> ResponseTemplate {
    ResponseTemplate::new(status)
        .set_body_json(json!({"message": {"content": "Service Unavailable"}, "code": 500000, "request_id": request_id}))
}

fn masters_ok() -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(ok(json!([account("m1", "0933450210", "MASTER")])))
}

async fn list(client: &FinanClient) -> Result<Vec<gateway_core::BankAccount>, Error> {
    client.list_master_accounts(&AccountFilter::all()).await
}

/// 503 with request id `r1`, `r2`, ... and counts the calls.
struct Numbered(Arc<AtomicUsize>);

impl Respond for Numbered {
    fn respond(&self, _: &Request) -> ResponseTemplate {
        let n = self.0.fetch_add(1, Ordering::SeqCst) + 1;
        status_reply(503, &format!("r{n}"))
    }
}

#[tokio::test]
async fn get_succeeds_after_two_503s_under_the_default_policy() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(MASTERS))
        .respond_with(status_reply(503, "busy"))
        .up_to_n_times(2)
        .expect(2)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(MASTERS))
        .respond_with(masters_ok())
        .expect(1)
        .mount(&server)
        .await;
    let client = builder(&server).build().unwrap();
    let started = Instant::now();
    let accounts = list(&client).await.expect("third attempt succeeds");
    assert_eq!(accounts.len(), 1);
    let elapsed = started.elapsed();
    // Default waits: 200 ms then 400 ms, each plus jitter of up to as much again.
    assert!(elapsed >= Duration::from_millis(600), "{elapsed:?}");
    assert!(elapsed < Duration::from_millis(2500), "{elapsed:?}");
}

#[tokio::test]
async fn each_retryable_status_is_retried() {
    for status in [429, 502, 503, 504] {
        let server = MockServer::start().await;
        Mock::given(method("GET"))
            .and(path(SUBS))
            .respond_with(status_reply(status, "x"))
            .up_to_n_times(1)
            .expect(1)
            .mount(&server)
            .await;
        Mock::given(method("GET"))
            .and(path(SUBS))
            .respond_with(ResponseTemplate::new(200).set_body_json(ok(json!([]))))
            .expect(1)
            .mount(&server)
            .await;
        let client = builder(&server).retry_policy(fast()).build().unwrap();
        let page = client.list_bank_accounts(1, 50, &AccountFilter::all()).await;
        assert!(page.is_ok(), "{status}: {page:?}");
    }
}

#[tokio::test]
async fn retry_after_is_the_least_wait() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(MASTERS))
        .respond_with(status_reply(429, "slow-down").insert_header("Retry-After", "1"))
        .up_to_n_times(1)
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(MASTERS))
        .respond_with(masters_ok())
        .expect(1)
        .mount(&server)
        .await;
    // Backoff alone would wait about 10 ms.
    let client = builder(&server).retry_policy(fast()).build().unwrap();
    let started = Instant::now();
    list(&client).await.expect("succeeds after the wait");
    let elapsed = started.elapsed();
    assert!(elapsed >= Duration::from_millis(990), "{elapsed:?}");
    assert!(elapsed < Duration::from_secs(3), "{elapsed:?}");
}

#[tokio::test]
async fn retry_after_from_finans_message_is_honoured_too() {
    let server = MockServer::start().await;
    let body = json!({"message": {"content": "Rate limit exceeded. Retry after 1 seconds."}, "code": 429000});
    Mock::given(method("GET"))
        .and(path(MASTERS))
        .respond_with(ResponseTemplate::new(429).set_body_json(body))
        .up_to_n_times(1)
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(MASTERS))
        .respond_with(masters_ok())
        .expect(1)
        .mount(&server)
        .await;
    let client = builder(&server).retry_policy(fast()).build().unwrap();
    let started = Instant::now();
    list(&client).await.expect("succeeds after the wait");
    assert!(
        started.elapsed() >= Duration::from_millis(990),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn client_errors_are_not_retried() {
    for status in [400, 401, 403, 404, 409, 422, 500] {
        let server = MockServer::start().await;
        Mock::given(method("GET"))
            .and(path(MASTERS))
            .respond_with(status_reply(status, "once"))
            .expect(1)
            .mount(&server)
            .await;
        let client = builder(&server).retry_policy(fast()).build().unwrap();
        let err = list(&client).await.unwrap_err();
        assert_eq!(err.status(), Some(status), "{err:?}");
    }
}

#[tokio::test]
async fn an_exhausted_budget_returns_the_last_error() {
    let server = MockServer::start().await;
    let calls = Arc::new(AtomicUsize::new(0));
    Mock::given(method("GET"))
        .and(path(MASTERS))
        .respond_with(Numbered(calls.clone()))
        .mount(&server)
        .await;
    // Waits of 100, 200, 400 ms without jitter: the third would end past 500 ms.
    let policy = RetryPolicy::default()
        .max_retries(10)
        .base_delay(Duration::from_millis(100))
        .max_delay(Duration::from_secs(5))
        .jitter(false)
        .budget(Duration::from_millis(500));
    let client = builder(&server).retry_policy(policy).build().unwrap();
    let started = Instant::now();
    let err = list(&client).await.unwrap_err();
    let elapsed = started.elapsed();
    let n = calls.load(Ordering::SeqCst);
    assert_eq!(n, 3, "attempts at 0, 100 and 300 ms");
    assert!(
        matches!(&err, Error::Provider(ctx) if ctx.status == Some(503)),
        "{err:?}"
    );
    assert_eq!(err.request_id(), Some(format!("r{n}").as_str()), "the last error");
    assert!(
        elapsed < Duration::from_millis(500),
        "never sleeps past the budget: {elapsed:?}"
    );
}

#[tokio::test]
async fn a_retry_after_past_the_budget_gives_up_at_once() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(MASTERS))
        .respond_with(status_reply(429, "later").insert_header("Retry-After", "60"))
        .expect(1)
        .mount(&server)
        .await;
    let client = builder(&server).build().unwrap();
    let started = Instant::now();
    let err = list(&client).await.unwrap_err();
    assert!(matches!(err, Error::RateLimited { .. }), "{err:?}");
    assert_eq!(err.retry_after(), Some(Duration::from_secs(60)));
    assert!(started.elapsed() < Duration::from_secs(1), "{:?}", started.elapsed());
}

#[tokio::test]
async fn a_timed_out_read_is_retried() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(MASTERS))
        .respond_with(masters_ok().set_delay(Duration::from_millis(800)))
        .up_to_n_times(1)
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(MASTERS))
        .respond_with(masters_ok())
        .expect(1)
        .mount(&server)
        .await;
    let client = builder(&server)
        .timeout(Duration::from_millis(200))
        .retry_policy(fast())
        .build()
        .unwrap();
    assert_eq!(list(&client).await.expect("the retry answers in time").len(), 1);
}

#[tokio::test]
async fn a_connection_error_is_retried_until_the_attempts_run_out() {
    // A port nothing listens on: every attempt is refused.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    let client = FinanClient::builder()
        .client_id(CLIENT_ID)
        .secret_key(SecretString::from(SECRET))
        .base_url(&format!("http://127.0.0.1:{port}/open"))
        .retry_policy(fast().jitter(false))
        .build()
        .unwrap();
    let started = Instant::now();
    let err = list(&client).await.unwrap_err();
    assert!(
        matches!(
            err,
            Error::Transport {
                kind: TransportErrorKind::Connect,
                ..
            }
        ),
        "{err:?}"
    );
    // 10 + 20 + 40 ms of waits between the 4 attempts.
    assert!(
        started.elapsed() >= Duration::from_millis(70),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn a_post_is_never_retried_by_this_layer() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(SUBS))
        .respond_with(status_reply(503, "post"))
        .expect(1)
        .mount(&server)
        .await;
    let client = builder(&server).retry_policy(fast()).build().unwrap();
    let err = client
        .create_bank_account(&CreateBankAccount::new("m1", "KE TOAN"))
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(503), "{err:?}");
}

#[tokio::test]
async fn per_call_none_overrides_the_client_default() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(MASTERS))
        .respond_with(status_reply(503, "once"))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/open/api/v1/payments/p1"))
        .respond_with(status_reply(503, "once"))
        .expect(1)
        .mount(&server)
        .await;
    let client = builder(&server).retry_policy(fast()).build().unwrap();
    let none = RequestOptions::new().retry_policy(RetryPolicy::none());
    let err = client
        .list_master_accounts_with(&AccountFilter::all(), &none)
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(503));
    let err = client.get_payment_with("p1", &none).await.unwrap_err();
    assert_eq!(err.status(), Some(503));
}

#[tokio::test]
async fn per_call_retry_overrides_a_client_without_retries() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/open/api/v1/bank-accounts/b1"))
        .respond_with(status_reply(502, "flaky"))
        .up_to_n_times(1)
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/open/api/v1/bank-accounts/b1"))
        .respond_with(ResponseTemplate::new(200).set_body_json(ok(account("b1", "1234567", "KE TOAN"))))
        .expect(1)
        .mount(&server)
        .await;
    let client = builder(&server).retry_policy(RetryPolicy::none()).build().unwrap();
    let account = client
        .get_bank_account_with("b1", &RequestOptions::new().retry_policy(fast()))
        .await
        .expect("retried once");
    assert_eq!(account.id, "b1");
    // The trait method keeps the client's default (no retry).
    Mock::given(method("GET"))
        .and(path("/open/api/v1/payments/p2"))
        .respond_with(status_reply(502, "flaky"))
        .expect(1)
        .mount(&server)
        .await;
    assert_eq!(client.get_payment("p2").await.unwrap_err().status(), Some(502));
}

#[tokio::test]
async fn per_call_timeout_overrides_the_client_timeout() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(MASTERS))
        .respond_with(masters_ok().set_delay(Duration::from_millis(500)))
        .expect(2)
        .mount(&server)
        .await;
    let client = builder(&server).build().unwrap();
    let options = RequestOptions::new()
        .timeout(Duration::from_millis(100))
        .retry_policy(RetryPolicy::none());
    let err = client
        .list_master_accounts_with(&AccountFilter::all(), &options)
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::Transport {
                kind: TransportErrorKind::Timeout,
                ..
            }
        ),
        "{err:?}"
    );
    // Without the override, the client's 30 s timeout lets the slow reply through.
    assert_eq!(list(&client).await.unwrap().len(), 1);
}

#[tokio::test]
async fn a_handle_with_options_times_out_writes_and_merges_call_options() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(SUBS))
        .respond_with(status_reply(503, "slow").set_delay(Duration::from_millis(600)))
        .expect(2)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(MASTERS))
        .respond_with(masters_ok().set_delay(Duration::from_millis(600)))
        .expect(1)
        .mount(&server)
        .await;
    let client = builder(&server).retry_policy(fast()).build().unwrap();
    let quick = client.with_options(RequestOptions::new().timeout(Duration::from_millis(100)));
    let is_timeout = |e: &Error| {
        matches!(
            e,
            Error::Transport {
                kind: TransportErrorKind::Timeout,
                ..
            }
        )
    };
    // The handle's timeout reaches a POST, and the call's options reach it too.
    let started = Instant::now();
    let err = quick
        .create_bank_account(&CreateBankAccount::new("m1", "KE TOAN"))
        .await
        .unwrap_err();
    assert!(is_timeout(&err), "{err:?}");
    let err = client
        .create_bank_account_with(
            &CreateBankAccount::new("m1", "KE TOAN"),
            &RequestOptions::new().timeout(Duration::from_millis(100)),
        )
        .await
        .unwrap_err();
    assert!(is_timeout(&err), "{err:?}");
    assert!(
        started.elapsed() < Duration::from_millis(1000),
        "{:?}",
        started.elapsed()
    );
    // A call's retry policy merges with the handle's timeout: one attempt, timed out.
    let err = quick
        .list_master_accounts_with(
            &AccountFilter::all(),
            &RequestOptions::new().retry_policy(RetryPolicy::none()),
        )
        .await
        .unwrap_err();
    assert!(is_timeout(&err), "{err:?}");
}

#[tokio::test]
async fn pacing_spreads_requests_and_is_shared_by_clones() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(MASTERS))
        .respond_with(masters_ok())
        .expect(4)
        .mount(&server)
        .await;
    // At most 2 requests in any 600 ms: one may go at once, then one every 300 ms.
    let client = builder(&server)
        .rate_limit(2, Duration::from_millis(600))
        .build()
        .unwrap();
    let clone = client.clone();
    let started = Instant::now();
    let mut at = Vec::new();
    for c in [&client, &clone, &client, &clone] {
        list(c).await.unwrap();
        at.push(started.elapsed());
    }
    assert!(at[3] >= Duration::from_millis(880), "{at:?}");
    for w in at.windows(3) {
        assert!(
            w[2] - w[0] >= Duration::from_millis(580),
            "3 requests within 600 ms: {at:?}"
        );
    }
}

#[tokio::test]
async fn requests_per_minute_lets_a_tenth_go_at_once_then_waits() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(MASTERS))
        .respond_with(masters_ok())
        .expect(7)
        .mount(&server)
        .await;
    // 60 a minute: 6 at once, then one every 60 s / 54 = 1.11 s.
    let client = builder(&server).requests_per_minute(60).build().unwrap();
    let started = Instant::now();
    for _ in 0..6 {
        list(&client).await.unwrap();
    }
    assert!(
        started.elapsed() < Duration::from_millis(500),
        "{:?}",
        started.elapsed()
    );
    list(&client).await.unwrap();
    assert!(
        started.elapsed() >= Duration::from_millis(1000),
        "{:?}",
        started.elapsed()
    );
}

#[test]
fn a_zero_rate_is_a_configuration_error() {
    let err = FinanClient::builder()
        .client_id(CLIENT_ID)
        .secret_key(SecretString::from(SECRET))
        .requests_per_minute(0)
        .build()
        .unwrap_err();
    assert!(matches!(err, Error::Configuration(_)), "{err:?}");
}
