//! The API-token way in against wiremock: the seed's replies, every error shape, 429 handling,
//! pacing, and the since_id paging of the provider trait.

mod common;

use std::time::Duration;

use chrono::NaiveDate;
use common::*;
use futures::TryStreamExt;
use gateway_core::{
    AccountKind, AccountStatus, Bank, BankAccountProvider, Currency, Error, Money, PageCursor, PageRequest,
    TransportErrorKind,
};
use provider_sepay::{BankAccountFilter, SepayClient};
use rust_decimal::Decimal;
use secrecy::SecretString;
use tokio::time::Instant;
use wiremock::matchers::{header, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

const LIST: &str = "/userapi/bankaccounts/list";

#[tokio::test]
async fn seed_list_reply_maps_to_core_and_sends_the_bearer_token() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(LIST))
        .and(header("authorization", format!("Bearer {API_TOKEN}").as_str()))
        .respond_with(json(200, fixture("userapi_bankaccounts_list.json")))
        .expect(1)
        .mount(&server)
        .await;
    let accounts = token_client(&server)
        .list_bank_accounts(&BankAccountFilter::default())
        .await
        .unwrap();
    assert_eq!(accounts.len(), 1);
    let a = &accounts[0];
    assert_eq!(a.id, "25");
    assert_eq!(a.balance, Some(Money::new(Decimal::new(252549300, 2), Currency::VND)));
    assert_eq!(a.bank, Bank::from_bin("970415").unwrap());
    assert_eq!(a.bank.short_name, "VietinBank");
    assert_eq!(a.kind, AccountKind::Master);
    assert_eq!(a.status, AccountStatus::Active);
    assert_eq!(a.label, None);
}

#[tokio::test]
async fn filter_is_sent_as_documented() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(LIST))
        .and(query_param("short_name", "Vietcombank"))
        .and(query_param("last_transaction_date_min", "2023-04-30 08:00:00"))
        .and(query_param("last_transaction_date_max", "2023-05-02 12:00:00"))
        .and(query_param("since_id", "20"))
        .and(query_param("limit", "20"))
        .and(query_param("accumulated_min", "1"))
        .and(query_param("accumulated_max", "1000000000"))
        .respond_with(json(200, fixture("userapi_bankaccounts_list.json")))
        .expect(1)
        .mount(&server)
        .await;
    let filter = BankAccountFilter::default()
        .short_name("Vietcombank")
        .last_transaction_date_min(
            NaiveDate::from_ymd_opt(2023, 4, 30)
                .unwrap()
                .and_hms_opt(8, 0, 0)
                .unwrap(),
        )
        .last_transaction_date_max(
            NaiveDate::from_ymd_opt(2023, 5, 2)
                .unwrap()
                .and_hms_opt(12, 0, 0)
                .unwrap(),
        )
        .since_id(20)
        .limit(20)
        .accumulated_min(Decimal::ONE)
        .accumulated_max(Decimal::from(1_000_000_000u32));
    token_client(&server).list_bank_accounts(&filter).await.unwrap();
    // The date is percent-encoded on the wire, exactly as the seed's curl example.
    let sent = requests_to(&server, LIST).await;
    assert!(sent[0]
        .url
        .query()
        .unwrap()
        .contains("last_transaction_date_min=2023-04-30+08%3A00%3A00"));
}

#[tokio::test]
async fn seed_details_and_count_replies() {
    let server = MockServer::start().await;
    mount_get(
        &server,
        "/userapi/bankaccounts/details/18",
        json(200, fixture("userapi_bankaccount_details.json")),
    )
    .await;
    mount_get(
        &server,
        "/userapi/bankaccounts/count",
        json(200, fixture("userapi_bankaccounts_count.json")),
    )
    .await;
    let client = token_client(&server);
    let a = client.bank_account_details("18").await.unwrap();
    assert_eq!(a.id, "18");
    assert_eq!(a.account_number, "0071000899999");
    assert_eq!(a.balance.unwrap().amount().to_string(), "2625076186.00");
    assert_eq!(
        client.count_bank_accounts(&BankAccountFilter::default()).await.unwrap(),
        9
    );
    // The trait's get_account goes to the same endpoint.
    assert_eq!(client.get_account("18").await.unwrap().id, "18");
}

#[tokio::test]
async fn count_may_be_a_string() {
    let server = MockServer::start().await;
    let body = r#"{"status":200,"error":null,"messages":{"success":true},"count_bankaccounts":"9"}"#;
    mount_get(&server, "/userapi/bankaccounts/count", json(200, body)).await;
    assert_eq!(
        token_client(&server)
            .count_bank_accounts(&BankAccountFilter::default())
            .await
            .unwrap(),
        9
    );
}

#[tokio::test]
async fn non_numeric_id_is_not_found_without_a_request() {
    let server = MockServer::start().await;
    let err = token_client(&server)
        .bank_account_details("../../oauth/token")
        .await
        .unwrap_err();
    assert!(matches!(err, Error::NotFound(_)), "{err:?}");
    assert!(server.received_requests().await.unwrap().is_empty());
}

#[tokio::test]
async fn http_401_is_unauthorized_with_sepay_message() {
    let server = MockServer::start().await;
    let body = r#"{"status":401,"error":401,"messages":{"error":"Token khong hop le"}}"#;
    mount_get(&server, LIST, json(401, body)).await;
    let err = token_client(&server)
        .list_bank_accounts(&BankAccountFilter::default())
        .await
        .unwrap_err();
    match &err {
        Error::Unauthorized(ctx) => {
            assert_eq!(ctx.status, Some(401));
            assert_eq!(ctx.message, "Token khong hop le");
        }
        other => panic!("{other:?}"),
    }
    assert_no_secret(&format!("{err} {err:?}"));
}

#[tokio::test]
async fn empty_http_200_is_unauthorized() {
    let server = MockServer::start().await;
    mount_get(&server, LIST, ResponseTemplate::new(200)).await;
    let err = token_client(&server)
        .list_bank_accounts(&BankAccountFilter::default())
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Unauthorized(_)), "{err:?}");
}

#[tokio::test]
async fn envelope_status_401_in_an_http_200_is_unauthorized() {
    let server = MockServer::start().await;
    let body = r#"{"status":401,"error":401,"messages":{"error":"Unauthorized"}}"#;
    mount_get(&server, LIST, json(200, body)).await;
    let err = token_client(&server)
        .list_bank_accounts(&BankAccountFilter::default())
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Unauthorized(_)), "{err:?}");
}

#[tokio::test]
async fn http_404_is_not_found() {
    let server = MockServer::start().await;
    let body = r#"{"status":404,"error":404,"messages":{"error":"Khong tim thay tai khoan"}}"#;
    mount_get(&server, "/userapi/bankaccounts/details/99", json(404, body)).await;
    let err = token_client(&server).bank_account_details("99").await.unwrap_err();
    assert!(
        matches!(err, Error::NotFound(ref c) if c.status == Some(404)),
        "{err:?}"
    );
    assert!(!err.is_retryable());
}

#[tokio::test]
async fn details_without_an_account_is_not_found() {
    let server = MockServer::start().await;
    let body = r#"{"status":200,"error":null,"messages":{"success":true},"bankaccount":null}"#;
    mount_get(&server, "/userapi/bankaccounts/details/99", json(200, body)).await;
    let err = token_client(&server).bank_account_details("99").await.unwrap_err();
    assert!(matches!(err, Error::NotFound(_)), "{err:?}");
}

#[tokio::test]
async fn http_422_is_invalid_request() {
    let server = MockServer::start().await;
    let body = r#"{"status":422,"error":422,"messages":{"error":"limit must be a number"}}"#;
    mount_get(&server, LIST, json(422, body)).await;
    let err = token_client(&server)
        .list_bank_accounts(&BankAccountFilter::default())
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::InvalidRequest(ref c) if c.message == "limit must be a number"),
        "{err:?}"
    );
}

#[tokio::test]
async fn http_500_is_a_retryable_provider_error() {
    let server = MockServer::start().await;
    mount_get(
        &server,
        LIST,
        json(500, r#"{"status":500,"error":500,"messages":{"error":"Server error"}}"#),
    )
    .await;
    let err = token_client(&server)
        .list_bank_accounts(&BankAccountFilter::default())
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::Provider(ref c) if c.status == Some(500)),
        "{err:?}"
    );
    assert!(err.is_retryable());
}

#[tokio::test]
async fn html_error_page_is_mapped_by_status_without_the_page() {
    let server = MockServer::start().await;
    let page = "<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>";
    mount_get(
        &server,
        LIST,
        ResponseTemplate::new(502).set_body_raw(page, "text/html"),
    )
    .await;
    let err = token_client(&server)
        .list_bank_accounts(&BankAccountFilter::default())
        .await
        .unwrap_err();
    match &err {
        Error::Provider(ctx) => {
            assert_eq!(ctx.status, Some(502));
            assert!(
                ctx.message.contains("non-JSON") && ctx.message.contains("text/html"),
                "{}",
                ctx.message
            );
            assert!(!ctx.message.contains("nginx"));
        }
        other => panic!("{other:?}"),
    }
    assert!(err.is_retryable());
}

#[tokio::test]
async fn html_page_with_http_200_is_a_decode_error() {
    let server = MockServer::start().await;
    mount_get(
        &server,
        LIST,
        ResponseTemplate::new(200).set_body_raw("<html>login</html>", "text/html"),
    )
    .await;
    let err = token_client(&server)
        .list_bank_accounts(&BankAccountFilter::default())
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::Decode { status: Some(200), ref message, .. } if message.contains("non-JSON")),
        "{err:?}"
    );
}

#[tokio::test]
async fn malformed_json_is_a_decode_error() {
    let server = MockServer::start().await;
    mount_get(
        &server,
        LIST,
        json(200, r#"{"status":200,"bankaccounts":[{"id":"25",}"#),
    )
    .await;
    let err = token_client(&server)
        .list_bank_accounts(&BankAccountFilter::default())
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Decode { status: Some(200), .. }), "{err:?}");
}

#[tokio::test]
async fn missing_field_is_a_decode_error() {
    let server = MockServer::start().await;
    let body = fixture("userapi_bankaccounts_list.json").replace(r#""account_number": "102871015203","#, "");
    mount_get(&server, LIST, json(200, body)).await;
    let err = token_client(&server)
        .list_bank_accounts(&BankAccountFilter::default())
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::Decode { ref message, .. } if message.contains("account_number")),
        "{err:?}"
    );
}

#[tokio::test]
async fn unknown_flag_value_is_a_decode_error() {
    let server = MockServer::start().await;
    let body = fixture("userapi_bankaccounts_list.json").replace(r#""active": "1""#, r#""active": "maybe""#);
    assert!(body.contains("maybe"));
    mount_get(&server, LIST, json(200, body)).await;
    let err = token_client(&server)
        .list_bank_accounts(&BankAccountFilter::default())
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Decode { .. }), "{err:?}");
}

#[tokio::test]
async fn oversized_body_is_a_decode_error() {
    let server = MockServer::start().await;
    let big = format!(
        r#"{{"bankaccounts":[],"pad":"{}"}}"#,
        "x".repeat(provider_sepay::MAX_BODY_BYTES)
    );
    mount_get(&server, LIST, json(200, big)).await;
    let err = token_client(&server)
        .list_bank_accounts(&BankAccountFilter::default())
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::Decode { ref message, .. } if message.contains("limit")),
        "{err:?}"
    );
}

#[tokio::test]
async fn http_429_is_waited_out_and_retried() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(LIST))
        .respond_with(ResponseTemplate::new(429).insert_header("x-sepay-userapi-retry-after", "1"))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    mount_get(&server, LIST, json(200, fixture("userapi_bankaccounts_list.json"))).await;
    let started = Instant::now();
    let accounts = token_client(&server)
        .list_bank_accounts(&BankAccountFilter::default())
        .await
        .unwrap();
    let elapsed = started.elapsed();
    assert_eq!(accounts.len(), 1);
    assert!(
        elapsed >= Duration::from_millis(990),
        "retried after {elapsed:?}, before the 1 s SePay asked for"
    );
    assert!(elapsed < Duration::from_secs(5), "{elapsed:?}");
    assert_eq!(requests_to(&server, LIST).await.len(), 2);
}

#[tokio::test]
async fn persistent_429_ends_in_rate_limited_after_three_retries() {
    let server = MockServer::start().await;
    let reply = json(
        429,
        r#"{"status":429,"error":429,"messages":{"error":"Too many requests"}}"#,
    )
    .insert_header("x-sepay-userapi-retry-after", "0");
    mount_get(&server, LIST, reply).await;
    let err = token_client(&server)
        .list_bank_accounts(&BankAccountFilter::default())
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::RateLimited { retry_after: Some(d), .. } if d == Duration::ZERO),
        "{err:?}"
    );
    assert!(err.is_retryable());
    assert_eq!(
        requests_to(&server, LIST).await.len(),
        4,
        "one request and three retries"
    );
}

#[tokio::test]
async fn calls_are_paced_to_two_per_second() {
    let server = MockServer::start().await;
    mount_get(
        &server,
        "/userapi/bankaccounts/count",
        json(200, fixture("userapi_bankaccounts_count.json")),
    )
    .await;
    // Default pacing (2/s), shared by clones.
    let client = SepayClient::api_token(SecretString::from(API_TOKEN))
        .base_url(&server.uri())
        .build()
        .unwrap();
    let started = Instant::now();
    let calls = (0..5).map(|_| {
        let c = client.clone();
        async move { c.count_bank_accounts(&BankAccountFilter::default()).await }
    });
    for r in futures::future::join_all(calls).await {
        assert_eq!(r.unwrap(), 9);
    }
    let elapsed = started.elapsed();
    // Five requests in four gaps of 520 ms: about 2.08 s. Never two in under half a second.
    assert!(elapsed >= Duration::from_secs(2), "5 calls took only {elapsed:?}");
}

#[tokio::test]
async fn timeouts_and_refused_connections_are_transport_errors() {
    let server = MockServer::start().await;
    mount_get(
        &server,
        LIST,
        json(200, fixture("userapi_bankaccounts_list.json")).set_delay(Duration::from_secs(3)),
    )
    .await;
    let slow = SepayClient::api_token(SecretString::from(API_TOKEN))
        .base_url(&server.uri())
        .timeout(Duration::from_millis(200))
        .build()
        .unwrap();
    let err = slow
        .list_bank_accounts(&BankAccountFilter::default())
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
    assert!(err.is_retryable());

    // A port nothing listens on.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    let client = SepayClient::api_token(SecretString::from(API_TOKEN))
        .base_url(&url)
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
    assert_no_secret(&format!("{err} {err:?}"));
}

#[tokio::test]
async fn oauth_only_calls_refuse_an_api_token_client() {
    let server = MockServer::start().await;
    let client = token_client(&server);
    let err = client.list_oauth_bank_accounts(1, 20).await.unwrap_err();
    assert!(matches!(err, Error::Configuration(_)), "{err:?}");
    assert!(client.oauth_tokens().await.is_none());
    assert!(server.received_requests().await.unwrap().is_empty());
}

/// An account of the token dialect with id `id`.
fn account(id: u64) -> serde_json::Value {
    serde_json::json!({
        "id": id.to_string(), "account_holder_name": format!("HOLDER {id}"), "account_number": format!("1000{id}"),
        "accumulated": "1000.00", "last_transaction": null, "label": "", "active": "1",
        "created_at": "2023-02-16 15:57:26", "bank_short_name": "Vietcombank",
        "bank_full_name": "Ngân hàng TMCP Ngoại Thương Việt Nam", "bank_bin": "970436", "bank_code": "VCB"
    })
}

fn list_of(ids: &[u64]) -> ResponseTemplate {
    let body = serde_json::json!({
        "status": 200, "error": null, "messages": {"success": true},
        "bankaccounts": ids.iter().map(|id| account(*id)).collect::<Vec<_>>()
    });
    ResponseTemplate::new(200).set_body_json(body)
}

/// `bankaccounts/count` answering `n`: the provider's listing asks it before the first page.
async fn mount_count(server: &MockServer, n: u64) {
    let body =
        serde_json::json!({"status": 200, "error": null, "messages": {"success": true}, "count_bankaccounts": n});
    mount_get(
        server,
        "/userapi/bankaccounts/count",
        ResponseTemplate::new(200).set_body_json(body),
    )
    .await;
}

/// A page from `since_id`; the first page asks `limit=2`, later ones one more (the repeated id
/// takes a slot on an inclusive server).
async fn mount_since(server: &MockServer, since_id: &str, ids: &[u64]) {
    let limit = if since_id == "1" { "2" } else { "3" };
    Mock::given(method("GET"))
        .and(path(LIST))
        .and(query_param("since_id", since_id))
        .and(query_param("limit", limit))
        .respond_with(list_of(ids))
        .mount(server)
        .await;
}

async fn ids_of(client: &SepayClient, limit: u32) -> Vec<String> {
    let mut request = PageRequest::first().with_limit(limit);
    let mut ids = Vec::new();
    loop {
        let page = client.list_accounts(request.clone()).await.unwrap();
        ids.extend(page.items.into_iter().map(|a| a.id));
        match page.next {
            Some(next) => request = PageRequest::at(next).with_limit(limit),
            None => return ids,
        }
    }
}

#[tokio::test]
async fn provider_pages_up_the_ids_when_since_id_is_inclusive() {
    // Accounts 1, 2, 3, 7, 9; the server returns ids >= since_id (seed 004's reading).
    let server = MockServer::start().await;
    mount_count(&server, 5).await;
    mount_since(&server, "1", &[1, 2]).await;
    mount_since(&server, "2", &[2, 3, 7]).await;
    mount_since(&server, "7", &[7, 9]).await;
    assert_eq!(ids_of(&token_client(&server), 2).await, ["1", "2", "3", "7", "9"]);
    assert_eq!(
        server.received_requests().await.unwrap().len(),
        4,
        "the count and three pages"
    );
}

#[tokio::test]
async fn provider_pages_up_the_ids_when_since_id_is_exclusive() {
    // Accounts 2, 3, 7, 9 on a server that returns ids > since_id: nothing is skipped either.
    let server = MockServer::start().await;
    mount_count(&server, 4).await;
    mount_since(&server, "1", &[2, 3]).await;
    mount_since(&server, "3", &[7, 9]).await;
    mount_since(&server, "9", &[]).await;
    assert_eq!(ids_of(&token_client(&server), 2).await, ["2", "3", "7", "9"]);
    assert_eq!(
        server.received_requests().await.unwrap().len(),
        3,
        "the count and two pages"
    );
}

#[tokio::test]
async fn the_count_on_a_full_page_ends_the_walk_and_more_goes_on() {
    // Exactly the count, last page full: no request for an empty page.
    let server = MockServer::start().await;
    mount_count(&server, 4).await;
    mount_since(&server, "1", &[1, 2]).await;
    mount_since(&server, "2", &[2, 3, 4]).await;
    assert_eq!(ids_of(&token_client(&server), 2).await, ["1", "2", "3", "4"]);
    assert_eq!(server.received_requests().await.unwrap().len(), 3);

    // More than the count on a full page (accounts added meanwhile): the walk goes on.
    let server = MockServer::start().await;
    mount_count(&server, 3).await;
    mount_since(&server, "1", &[1, 2]).await;
    mount_since(&server, "2", &[2, 3, 4]).await;
    mount_since(&server, "4", &[4, 5]).await;
    assert_eq!(ids_of(&token_client(&server), 2).await, ["1", "2", "3", "4", "5"]);
}

#[tokio::test]
async fn a_limit_of_one_still_advances() {
    let server = MockServer::start().await;
    mount_count(&server, 2).await;
    mount_since(&server, "1", &[1, 2]).await;
    mount_since(&server, "2", &[2]).await;
    assert_eq!(
        ids_of(&token_client(&server), 1).await,
        ["1", "2"],
        "the page size is raised to 2"
    );
}

#[tokio::test]
async fn stream_uses_since_id_and_default_limit_100() {
    let server = MockServer::start().await;
    mount_count(&server, 3).await;
    Mock::given(method("GET"))
        .and(path(LIST))
        .and(query_param("since_id", "1"))
        .and(query_param("limit", "100"))
        .respond_with(list_of(&[5, 3, 4]))
        .expect(1)
        .mount(&server)
        .await;
    let all: Vec<_> = token_client(&server).stream_accounts().try_collect().await.unwrap();
    assert_eq!(
        all.iter().map(|a| a.id.as_str()).collect::<Vec<_>>(),
        ["3", "4", "5"],
        "ascending ids"
    );
}

#[tokio::test]
async fn a_server_ignoring_since_id_is_an_error_not_a_loop() {
    // Always the same two accounts, ascending, whatever since_id says; the count says four.
    let server = MockServer::start().await;
    mount_count(&server, 4).await;
    mount_get(&server, LIST, list_of(&[1, 2])).await;
    let err = token_client(&server)
        .stream_accounts()
        .try_collect::<Vec<_>>()
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::Provider(ref c) if c.message.contains("stopped at 2 of the 4")),
        "{err:?}"
    );
}

#[tokio::test]
async fn a_newest_first_server_is_asked_for_everything_at_once() {
    // Accounts 1..=5 on a server that lists newest first even with since_id, `limit` at a time.
    let server = MockServer::start().await;
    mount_count(&server, 5).await;
    for (limit, ids) in [("2", &[5u64, 4][..]), ("5", &[5, 4, 3, 2, 1][..])] {
        Mock::given(method("GET"))
            .and(path(LIST))
            .and(query_param("limit", limit))
            .respond_with(list_of(ids))
            .mount(&server)
            .await;
    }
    assert_eq!(ids_of(&token_client(&server), 2).await, ["1", "2", "3", "4", "5"]);
}

#[tokio::test]
async fn a_page_shorter_than_asked_is_not_the_last_while_the_count_says_more() {
    // The server caps pages at 2 whatever limit says; the caller asked for 500.
    let server = MockServer::start().await;
    mount_count(&server, 5).await;
    for (since, ids) in [
        ("1", &[1u64, 2][..]),
        ("2", &[2, 3][..]),
        ("3", &[3, 4][..]),
        ("4", &[4, 5][..]),
        ("5", &[5][..]),
    ] {
        Mock::given(method("GET"))
            .and(path(LIST))
            .and(query_param("since_id", since))
            .respond_with(list_of(ids))
            .mount(&server)
            .await;
    }
    assert_eq!(ids_of(&token_client(&server), 500).await, ["1", "2", "3", "4", "5"]);
}

#[tokio::test]
async fn unknown_cursor_is_invalid_request() {
    let server = MockServer::start().await;
    let err = token_client(&server)
        .list_accounts(PageRequest::at(PageCursor::new("p:2")))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::InvalidRequest(_)), "{err:?}");
    assert!(server.received_requests().await.unwrap().is_empty());
}

#[tokio::test]
async fn oversized_chunked_body_without_length_is_refused_while_streaming() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    // A bare HTTP/1.1 server sending 9 chunks of 1 MiB with no Content-Length.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let (mut socket, _) = listener.accept().await.unwrap();
        let mut buf = [0u8; 4096];
        let _ = socket.read(&mut buf).await;
        let head = "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n";
        if socket.write_all(head.as_bytes()).await.is_err() {
            return;
        }
        let chunk = vec![b' '; 1024 * 1024];
        for _ in 0..9 {
            let framed = [format!("{:x}\r\n", chunk.len()).as_bytes(), &chunk, b"\r\n"].concat();
            if socket.write_all(&framed).await.is_err() {
                return;
            }
        }
        let _ = socket.write_all(b"0\r\n\r\n").await;
    });
    let client = SepayClient::api_token(SecretString::from(API_TOKEN))
        .base_url(&format!("http://{addr}"))
        .build()
        .unwrap();
    let err = client
        .list_bank_accounts(&BankAccountFilter::default())
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::Decode { ref message, .. } if message.contains("limit")),
        "{err:?}"
    );
}

/// `fixture` with `edit` applied to its parsed JSON.
fn edited_fixture(name: &str, edit: impl FnOnce(&mut serde_json::Value)) -> String {
    let mut value: serde_json::Value = serde_json::from_str(&fixture(name)).unwrap();
    edit(&mut value);
    value.to_string()
}

#[tokio::test]
async fn list_item_without_account_holder_name_is_a_decode_error_naming_the_field() {
    let server = MockServer::start().await;
    let body = edited_fixture("userapi_bankaccounts_list.json", |v| {
        v["bankaccounts"][0]
            .as_object_mut()
            .unwrap()
            .remove("account_holder_name");
    });
    mount_get(&server, LIST, json(200, body)).await;
    let err = token_client(&server)
        .list_bank_accounts(&BankAccountFilter::default())
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::Decode { status: Some(200), ref message, .. }
            if message.contains("missing field `account_holder_name`")),
        "{err:?}"
    );
}

#[tokio::test]
async fn account_without_bank_bin_or_code_is_a_decode_error_not_an_empty_bank() {
    let server = MockServer::start().await;
    // bank_bin gone, bank_code blank: the short and full names alone do not identify a bank.
    let body = edited_fixture("userapi_bankaccount_details.json", |v| {
        let account = v["bankaccount"].as_object_mut().unwrap();
        account.remove("bank_bin");
        account.insert("bank_code".into(), "".into());
    });
    mount_get(&server, "/userapi/bankaccounts/details/18", json(200, body)).await;
    let err = token_client(&server).bank_account_details("18").await.unwrap_err();
    assert!(
        matches!(err, Error::Decode { ref what, ref message, .. }
            if what == "SePay bank account 18" && message.contains("no bank")),
        "{err:?}"
    );
    assert!(err.to_string().contains("SePay bank account 18"), "{err}");
}
