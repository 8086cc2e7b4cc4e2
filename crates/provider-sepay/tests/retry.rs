//! The shared retry policy of reads against wiremock: what is retried (connection errors, timeouts,
//! 429, 502, 503, 504) and what is not (other 4xx, POSTs that change state), retry-after headers
//! as the least wait, the time budget, the client default and per-call overrides.

mod common;

use std::time::Duration;

use common::*;
use futures::StreamExt as _;
use gateway_core::{Error, PageRequest, TransportErrorKind};
use provider_sepay::{
    BankAccountFilter, CheckoutEnvironment, OAuthCredentials, OrderFilter, RequestOptions, RetryPolicy, SepayClient,
    SepayPaymentGateway, TransactionFilter,
};
use secrecy::SecretString;
use tokio::time::Instant;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const LIST: &str = "/userapi/bankaccounts/list";
const OAUTH_LIST: &str = "/api/v1/bank-accounts";

/// Retries quickly, so the tests do not wait on backoff.
fn fast() -> RetryPolicy {
    RetryPolicy::default()
        .base_delay(Duration::from_millis(10))
        .max_delay(Duration::from_millis(50))
}

fn fast_token_client(server: &MockServer) -> SepayClient {
    SepayClient::api_token(SecretString::from(API_TOKEN))
        .base_url(&server.uri())
        .requests_per_second(50)
        .retry_policy(fast())
        .build()
        .unwrap()
}

fn gateway(server: &MockServer) -> SepayPaymentGateway {
    SepayPaymentGateway::builder(
        "SP-TEST-1",
        SecretString::from("GW-5ECRET"),
        CheckoutEnvironment::Sandbox,
    )
    .order_api_base_url(&format!("{}/v1/", server.uri()))
    .retry_policy(fast())
    .build()
    .unwrap()
}

/// `GET p` answers `first` `times` times, then `then`; each mock expects exactly its share.
async fn mount_sequence(server: &MockServer, p: &str, first: ResponseTemplate, times: u64, then: ResponseTemplate) {
    Mock::given(method("GET"))
        .and(path(p))
        .respond_with(first)
        .up_to_n_times(times)
        .expect(times)
        .mount(server)
        .await;
    Mock::given(method("GET"))
        .and(path(p))
        .respond_with(then)
        .expect(1)
        .mount(server)
        .await;
}

fn status(code: u16) -> ResponseTemplate {
    json(
        code,
        format!(r#"{{"status":{code},"error":{code},"messages":{{"error":"e"}}}}"#),
    )
}

#[tokio::test]
async fn token_api_503_503_200_succeeds_after_two_retries() {
    let server = MockServer::start().await;
    mount_sequence(
        &server,
        LIST,
        status(503),
        2,
        json(200, fixture("userapi_bankaccounts_list.json")),
    )
    .await;
    let accounts = fast_token_client(&server)
        .list_bank_accounts(&BankAccountFilter::default())
        .await
        .unwrap();
    assert_eq!(accounts.len(), 1);
    assert_eq!(requests_to(&server, LIST).await.len(), 3);
}

#[tokio::test]
async fn token_api_502_and_504_are_retried() {
    for code in [502, 504] {
        let server = MockServer::start().await;
        mount_sequence(
            &server,
            LIST,
            status(code),
            1,
            json(200, fixture("userapi_bankaccounts_list.json")),
        )
        .await;
        fast_token_client(&server)
            .list_bank_accounts(&BankAccountFilter::default())
            .await
            .unwrap();
        assert_eq!(requests_to(&server, LIST).await.len(), 2, "HTTP {code}");
    }
}

#[tokio::test]
async fn oauth_api_503_503_200_succeeds_after_two_retries() {
    let server = MockServer::start().await;
    mount_sequence(
        &server,
        OAUTH_LIST,
        status(503),
        2,
        json(200, fixture("oauth_bank_accounts_list.json")),
    )
    .await;
    let client = SepayClient::oauth(OAuthCredentials::from_access_token(SecretString::from(ACCESS_TOKEN)))
        .base_url(&server.uri())
        .retry_policy(fast())
        .build()
        .unwrap();
    let page = client.list_oauth_bank_accounts(1, 20).await.unwrap();
    assert!(!page.items.is_empty());
    assert_eq!(requests_to(&server, OAUTH_LIST).await.len(), 3);
}

#[tokio::test]
async fn oauth_api_429_waits_for_retry_after() {
    let server = MockServer::start().await;
    mount_sequence(
        &server,
        OAUTH_LIST,
        ResponseTemplate::new(429).insert_header("retry-after", "1"),
        1,
        json(200, fixture("oauth_bank_accounts_list.json")),
    )
    .await;
    let client = SepayClient::oauth(OAuthCredentials::from_access_token(SecretString::from(ACCESS_TOKEN)))
        .base_url(&server.uri())
        .retry_policy(fast())
        .build()
        .unwrap();
    let started = Instant::now();
    client.list_oauth_bank_accounts(1, 20).await.unwrap();
    let elapsed = started.elapsed();
    assert!(elapsed >= Duration::from_millis(990), "retried after {elapsed:?}");
    assert!(elapsed < Duration::from_secs(5), "{elapsed:?}");
}

#[tokio::test]
async fn token_api_429_with_userapi_retry_after_waits_at_least_that_long() {
    let server = MockServer::start().await;
    mount_sequence(
        &server,
        LIST,
        ResponseTemplate::new(429).insert_header("x-sepay-userapi-retry-after", "1"),
        1,
        json(200, fixture("userapi_bankaccounts_list.json")),
    )
    .await;
    let started = Instant::now();
    fast_token_client(&server)
        .list_bank_accounts(&BankAccountFilter::default())
        .await
        .unwrap();
    let elapsed = started.elapsed();
    // The backoff alone (10 ms) would retry much sooner: the header is the least wait.
    assert!(elapsed >= Duration::from_millis(990), "retried after {elapsed:?}");
    assert!(elapsed < Duration::from_secs(5), "{elapsed:?}");
}

#[tokio::test]
async fn client_errors_are_not_retried() {
    for code in [400u16, 401, 403, 404] {
        let server = MockServer::start().await;
        Mock::given(method("GET"))
            .and(path(LIST))
            .respond_with(status(code))
            .expect(1)
            .mount(&server)
            .await;
        let err = fast_token_client(&server)
            .list_bank_accounts(&BankAccountFilter::default())
            .await
            .unwrap_err();
        assert_eq!(err.status(), Some(code), "{err:?}");
        assert_eq!(requests_to(&server, LIST).await.len(), 1, "HTTP {code}");
    }
    // The OAuth way in, with a token it cannot refresh: a 401 is sent once.
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(OAUTH_LIST))
        .respond_with(json(401, r#"{"error":"invalid_token"}"#))
        .expect(1)
        .mount(&server)
        .await;
    let client = SepayClient::oauth(OAuthCredentials::from_access_token(SecretString::from(ACCESS_TOKEN)))
        .base_url(&server.uri())
        .retry_policy(fast())
        .build()
        .unwrap();
    let err = client.list_oauth_bank_accounts(1, 20).await.unwrap_err();
    assert!(matches!(err, Error::Unauthorized(_)), "{err:?}");
}

#[tokio::test]
async fn retries_stop_at_the_budget_with_the_last_error() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(LIST))
        .respond_with(status(503).insert_header("x-sepay-userapi-retry-after", "1"))
        .mount(&server)
        .await;
    let client = SepayClient::api_token(SecretString::from(API_TOKEN))
        .base_url(&server.uri())
        .requests_per_second(50)
        .retry_policy(fast().max_retries(10).budget(Duration::from_millis(1500)))
        .build()
        .unwrap();
    let started = Instant::now();
    let err = client
        .list_bank_accounts(&BankAccountFilter::default())
        .await
        .unwrap_err();
    let elapsed = started.elapsed();
    assert!(
        matches!(err, Error::Provider(ref c) if c.status == Some(503)),
        "{err:?}"
    );
    // Try at 0 s, wait 1 s, try at 1 s; the next 1 s wait would end past 1.5 s: not slept.
    assert_eq!(requests_to(&server, LIST).await.len(), 2);
    assert!(
        elapsed < Duration::from_millis(1500),
        "slept past the budget: {elapsed:?}"
    );
}

#[tokio::test]
async fn persistent_connection_errors_end_in_the_last_transport_error() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    let client = SepayClient::api_token(SecretString::from(API_TOKEN))
        .base_url(&url)
        .requests_per_second(50)
        .retry_policy(fast())
        .build()
        .unwrap();
    let err = client
        .list_bank_accounts(&BankAccountFilter::default())
        .await
        .unwrap_err();
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
}

#[tokio::test]
async fn a_timeout_is_retried() {
    let server = MockServer::start().await;
    mount_sequence(
        &server,
        LIST,
        json(200, fixture("userapi_bankaccounts_list.json")).set_delay(Duration::from_secs(2)),
        1,
        json(200, fixture("userapi_bankaccounts_list.json")),
    )
    .await;
    let client = SepayClient::api_token(SecretString::from(API_TOKEN))
        .base_url(&server.uri())
        .requests_per_second(50)
        .timeout(Duration::from_millis(300))
        .retry_policy(fast())
        .build()
        .unwrap();
    let accounts = client.list_bank_accounts(&BankAccountFilter::default()).await.unwrap();
    assert_eq!(accounts.len(), 1);
}

#[tokio::test]
async fn per_call_none_overrides_the_client_default() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(LIST))
        .respond_with(status(503))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/userapi/bankaccounts/details/25"))
        .respond_with(status(503))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/userapi/transactions/list"))
        .respond_with(status(503))
        .expect(1)
        .mount(&server)
        .await;
    let client = fast_token_client(&server);
    let once = RequestOptions::new().retry_policy(RetryPolicy::none());
    let err = client
        .list_bank_accounts_with(&BankAccountFilter::default(), &once)
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(503));
    let err = client.bank_account_details_with("25", &once).await.unwrap_err();
    assert_eq!(err.status(), Some(503));
    let err = client
        .list_transactions_with(&TransactionFilter::default(), PageRequest::first(), &once)
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(503));
}

#[tokio::test]
async fn every_with_variant_uses_the_call_options() {
    let server = MockServer::start().await;
    for p in [
        "/userapi/bankaccounts/count",
        "/userapi/transactions/details/7",
        "/userapi/transactions/count",
        "/userapi/transactions/list",
    ] {
        Mock::given(method("GET"))
            .and(path(p))
            .respond_with(status(503))
            .expect(1)
            .mount(&server)
            .await;
    }
    let client = fast_token_client(&server);
    let once = RequestOptions::new().retry_policy(RetryPolicy::none());
    let filter = TransactionFilter::default();
    let err = client
        .count_bank_accounts_with(&BankAccountFilter::default(), &once)
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(503));
    assert_eq!(
        client.transaction_with("7", &once).await.unwrap_err().status(),
        Some(503)
    );
    assert_eq!(
        client
            .count_transactions_with(&filter, &once)
            .await
            .unwrap_err()
            .status(),
        Some(503)
    );
    let items: Vec<_> = client.stream_transactions_with(&filter, &once).collect().await;
    assert_eq!(items.len(), 1);
    assert_eq!(items[0].as_ref().unwrap_err().status(), Some(503));

    // OAuth: both requests of a sub-account page take the call's options.
    let oauth_server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/v1/bank-accounts/19"))
        .respond_with(status(503))
        .expect(1)
        .mount(&oauth_server)
        .await;
    let oauth = SepayClient::oauth(OAuthCredentials::from_access_token(SecretString::from(ACCESS_TOKEN)))
        .base_url(&oauth_server.uri())
        .retry_policy(fast())
        .build()
        .unwrap();
    let err = oauth.list_sub_accounts_with(19, 1, 20, &once).await.unwrap_err();
    assert_eq!(err.status(), Some(503));
}

#[tokio::test]
async fn gateway_with_options_overrides_the_builder_policy() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v1/order"))
        .respond_with(status(503))
        .expect(1)
        .mount(&server)
        .await;
    let once = gateway(&server).with_options(RequestOptions::new().retry_policy(RetryPolicy::none()));
    let err = once.list_orders(&OrderFilter::default(), 1, 20).await.unwrap_err();
    assert_eq!(err.status(), Some(503));
    assert_eq!(requests_to(&server, "/v1/order").await.len(), 1);
}

#[tokio::test]
async fn gateway_with_options_timeout_applies() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v1/order/detail/DH1"))
        .respond_with(status(200).set_delay(Duration::from_millis(800)))
        .mount(&server)
        .await;
    let quick = gateway(&server).with_options(
        RequestOptions::new()
            .timeout(Duration::from_millis(100))
            .retry_policy(RetryPolicy::none()),
    );
    let started = Instant::now();
    let err = quick.order_detail("DH1").await.unwrap_err();
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
    assert!(
        started.elapsed() < Duration::from_millis(700),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn per_call_policy_overrides_a_client_without_retries() {
    let server = MockServer::start().await;
    mount_sequence(
        &server,
        OAUTH_LIST,
        status(503),
        1,
        json(200, fixture("oauth_bank_accounts_list.json")),
    )
    .await;
    let client = SepayClient::oauth(OAuthCredentials::from_access_token(SecretString::from(ACCESS_TOKEN)))
        .base_url(&server.uri())
        .retry_policy(RetryPolicy::none())
        .build()
        .unwrap();
    let page = client
        .list_oauth_bank_accounts_with(1, 20, &RequestOptions::new().retry_policy(fast()))
        .await
        .unwrap();
    assert!(!page.items.is_empty());
}

#[tokio::test]
async fn client_level_none_sends_once() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(LIST))
        .respond_with(status(503))
        .expect(1)
        .mount(&server)
        .await;
    let client = SepayClient::api_token(SecretString::from(API_TOKEN))
        .base_url(&server.uri())
        .requests_per_second(50)
        .retry_policy(RetryPolicy::none())
        .build()
        .unwrap();
    let err = client
        .list_bank_accounts(&BankAccountFilter::default())
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(503));
}

#[tokio::test]
async fn order_api_reads_are_retried() {
    let server = MockServer::start().await;
    mount_sequence(
        &server,
        "/v1/order",
        status(503),
        2,
        json(200, fixture("orders/list_page1.json")),
    )
    .await;
    gateway(&server)
        .list_orders(&OrderFilter::default(), 1, 20)
        .await
        .unwrap();
    assert_eq!(requests_to(&server, "/v1/order").await.len(), 3);
}

#[tokio::test]
async fn order_cancel_and_void_are_never_retried() {
    let server = MockServer::start().await;
    for p in ["/v1/order/cancel", "/v1/order/voidTransaction"] {
        Mock::given(method("POST"))
            .and(path(p))
            .respond_with(json(503, r#"{"message":"Service Unavailable"}"#))
            .expect(1)
            .mount(&server)
            .await;
    }
    let gw = gateway(&server);
    let err = gw.cancel_order("DH123").await.unwrap_err();
    assert!(matches!(err, Error::Provider(_)), "{err:?}");
    assert_eq!(err.status(), Some(503));
    let err = gw.void_transaction("DH123").await.unwrap_err();
    assert_eq!(err.status(), Some(503));
    assert_eq!(requests_to(&server, "/v1/order/cancel").await.len(), 1);
    assert_eq!(requests_to(&server, "/v1/order/voidTransaction").await.len(), 1);
}
