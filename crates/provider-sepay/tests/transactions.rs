//! Bank transactions against wiremock: the documents' replies (numbers as strings and as numbers),
//! every filter on the wire, the count-checked paging of the API-token list, malformed replies,
//! and details in both ways in.

mod common;
mod transactions_support;

use std::collections::HashSet;

use chrono::{DateTime, NaiveDate};
use common::*;
use futures::TryStreamExt;
use gateway_core::{Currency, Error, Money, PageCursor, PageRequest};
use provider_sepay::{SepayClient, SepayTransaction, TransactionFilter};
use rust_decimal::Decimal;
use transactions_support::{at, FakeSepay, FakeTx, Order};
use wiremock::matchers::{method, path, query_param, query_param_is_missing};
use wiremock::{Mock, MockServer, ResponseTemplate};

const LIST: &str = "/userapi/transactions/list";
const COUNT: &str = "/userapi/transactions/count";
const OAUTH_LIST: &str = "/api/v1/transactions";

fn tx_fixture(name: &str) -> String {
    fixture(&format!("transactions/{name}"))
}

fn dec(s: &str) -> Decimal {
    s.parse().unwrap()
}

fn may(day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2023, 5, day).unwrap()
}

/// The document's transaction, as every fixture holds it (the OAuth one is dated 2025).
fn assert_document_transaction(t: &SepayTransaction, date: &str) {
    assert_eq!(t.id, "49682");
    assert_eq!(t.bank_account_id.as_deref(), Some("19"));
    assert_eq!(t.bank_brand_name, "Vietcombank");
    assert_eq!(t.account_number, "0071000888888");
    assert_eq!(t.transaction_date, DateTime::parse_from_rfc3339(date).unwrap());
    assert_eq!(t.transaction_date.offset().local_minus_utc(), 7 * 3600);
    // Exact, scale included: never through f64.
    assert_eq!(t.amount_in.amount().to_string(), "18067000.00");
    assert_eq!(t.amount_in.currency(), Currency::VND);
    assert_eq!(t.amount_in.to_minor_units(), Ok(18_067_000));
    assert!(t.amount_out.is_zero());
    assert_eq!(t.accumulated.unwrap().amount().to_string(), "1200541768.00");
    assert_eq!(t.sub_account.as_deref(), Some("VCB0011ABC004"));
    assert!(t.is_incoming());
}

async fn mount_count(server: &MockServer, n: u64) {
    mount_get(
        server,
        COUNT,
        json(
            200,
            format!(r#"{{"status":200,"error":null,"messages":{{"success":true}},"count_transactions":{n}}}"#),
        ),
    )
    .await;
}

// ------------------------------------------------------------------------------------------------
// Decoding the documents' replies
// ------------------------------------------------------------------------------------------------

#[tokio::test]
async fn token_list_fixture_decodes_with_numbers_as_strings() {
    let server = MockServer::start().await;
    mount_get(&server, COUNT, json(200, tx_fixture("userapi_transactions_count.json"))).await;
    Mock::given(method("GET"))
        .and(path(LIST))
        .and(wiremock::matchers::header(
            "authorization",
            format!("Bearer {API_TOKEN}").as_str(),
        ))
        .respond_with(json(200, tx_fixture("userapi_transactions_list.json")))
        .expect(1)
        .mount(&server)
        .await;
    let page = token_client(&server)
        .list_transactions(&TransactionFilter::default(), PageRequest::first())
        .await
        .unwrap();
    assert_eq!(page.items.len(), 1);
    assert_eq!(page.next, None);
    assert_eq!(page.total, Some(1));
    let t = &page.items[0];
    assert_document_transaction(t, "2023-05-05T19:59:48+07:00");
    assert_eq!(t.transaction_content, "DUONG THUY ANH chuyen tien...");
    assert_eq!(t.reference_number.as_deref(), Some("677760.050523.080001"));
    assert_eq!(t.code, None);
}

#[tokio::test]
async fn token_list_with_real_numbers_decodes_the_same() {
    let server = MockServer::start().await;
    mount_count(&server, 1).await;
    mount_get(
        &server,
        LIST,
        json(200, tx_fixture("userapi_transactions_list_numbers.json")),
    )
    .await;
    let client = token_client(&server);
    let page = client
        .list_transactions(&TransactionFilter::default(), PageRequest::first())
        .await
        .unwrap();
    assert_document_transaction(&page.items[0], "2023-05-05T19:59:48+07:00");

    let strings = MockServer::start().await;
    mount_count(&strings, 1).await;
    mount_get(&strings, LIST, json(200, tx_fixture("userapi_transactions_list.json"))).await;
    let from_strings = token_client(&strings)
        .list_transactions(&TransactionFilter::default(), PageRequest::first())
        .await
        .unwrap();
    assert_eq!(page.items, from_strings.items);
}

#[tokio::test]
async fn oauth_list_fixture_decodes_with_real_numbers() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(OAUTH_LIST))
        .and(wiremock::matchers::header(
            "authorization",
            format!("Bearer {ACCESS_TOKEN}").as_str(),
        ))
        .and(query_param("page", "1"))
        .and(query_param("limit", "20"))
        .respond_with(json(200, tx_fixture("oauth_transactions_list.json")))
        .expect(1)
        .mount(&server)
        .await;
    let page = oauth_client(&server, full_credentials())
        .list_transactions(&TransactionFilter::default(), PageRequest::first())
        .await
        .unwrap();
    assert_eq!(page.items.len(), 1);
    assert_eq!(page.next, None, "last_page is 1");
    assert_eq!(page.total, Some(1));
    let t = &page.items[0];
    assert_document_transaction(t, "2025-02-25T19:59:48+07:00");
    assert_eq!(t.transaction_content, "DUONG THUY ANH chuyen tien mua hang online");
    assert_eq!(t.reference_number.as_deref(), Some("677760.250225.080001"));
    assert_eq!(t.code.as_deref(), Some("DH123456"));
    assert!(t.matches_payment_code("dh123456"));
}

// ------------------------------------------------------------------------------------------------
// Filters on the wire
// ------------------------------------------------------------------------------------------------

fn every_filter() -> TransactionFilter {
    TransactionFilter::default()
        .account_number("0071000888888")
        .date_range(may(1), may(5))
        .reference_number("677760.050523.080001")
        .amount_in(Money::parse("18067000.00", Currency::VND).unwrap())
        .amount_out(Money::zero(Currency::VND))
}

#[tokio::test]
async fn token_filters_are_sent_as_documented_on_the_count_and_the_list() {
    let server = MockServer::start().await;
    for (p, body) in [
        (COUNT, tx_fixture("userapi_transactions_count.json")),
        (LIST, tx_fixture("userapi_transactions_list.json")),
    ] {
        let mut mock = Mock::given(method("GET"))
            .and(path(p))
            .and(query_param("account_number", "0071000888888"))
            .and(query_param("transaction_date_min", "2023-05-01 00:00:00"))
            .and(query_param("transaction_date_max", "2023-05-05 23:59:59"))
            .and(query_param("reference_number", "677760.050523.080001"))
            .and(query_param("amount_in", "18067000"))
            .and(query_param("amount_out", "0"))
            .and(query_param_is_missing("since_id"))
            .and(query_param_is_missing("bank_account_id"));
        mock = if p == COUNT {
            mock.and(query_param_is_missing("limit"))
        } else {
            mock.and(query_param("limit", "5000"))
        };
        mock.respond_with(json(200, body)).expect(1).mount(&server).await;
    }
    let client = token_client(&server);
    let page = client
        .list_transactions(&every_filter(), PageRequest::first())
        .await
        .unwrap();
    assert_eq!(page.items.len(), 1);
    // A short reply is the whole listing: the list alone, no count.
    let sent = || async {
        server
            .received_requests()
            .await
            .unwrap()
            .iter()
            .map(|r| r.url.path().to_string())
            .collect::<Vec<String>>()
    };
    assert_eq!(sent().await, [LIST]);
    // The count takes the same filters.
    assert_eq!(client.count_transactions(&every_filter()).await.unwrap(), 1);
    assert_eq!(sent().await, [LIST, COUNT]);
    let list = &requests_to(&server, LIST).await[0];
    assert!(
        list.url
            .query()
            .unwrap()
            .contains("transaction_date_min=2023-05-01+00%3A00%3A00"),
        "{}",
        list.url
    );
}

#[tokio::test]
async fn oauth_filters_are_sent_as_documented() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(OAUTH_LIST))
        .and(query_param("bank_account_id", "19"))
        .and(query_param("account_number", "0071000888888"))
        .and(query_param("reference_number", "677760.050523.080001"))
        .and(query_param("from_date", "2023-05-01"))
        .and(query_param("to_date", "2023-05-05"))
        .and(query_param("amount_in", "18067000"))
        .and(query_param("amount_out", "0"))
        .and(query_param("page", "3"))
        .and(query_param("limit", "50"))
        .respond_with(json(200, tx_fixture("oauth_transactions_list.json")))
        .expect(1)
        .mount(&server)
        .await;
    oauth_client(&server, full_credentials())
        .list_transactions(
            &every_filter().bank_account_id(19),
            PageRequest::at(PageCursor::new("p:3")).with_limit(50),
        )
        .await
        .unwrap();
}

#[tokio::test]
async fn bank_account_id_needs_oauth_and_bad_filters_send_nothing() {
    let server = MockServer::start().await;
    let token = token_client(&server);
    let oauth = oauth_client(&server, full_credentials());
    let by_id = TransactionFilter::default().bank_account_id(19);
    assert!(matches!(
        token.list_transactions(&by_id, PageRequest::first()).await,
        Err(Error::InvalidRequest(ref c)) if c.message.contains("bank_account_id")
    ));
    assert!(matches!(
        token.count_transactions(&by_id).await,
        Err(Error::InvalidRequest(_))
    ));
    let bad = [
        TransactionFilter::default().account_number("  "),
        TransactionFilter::default().date_range(may(5), may(1)),
        TransactionFilter::default().amount_in(Money::from_minor_units(100, Currency::USD)),
        TransactionFilter::default().amount_in(Money::parse("100.5", Currency::VND).unwrap()),
        TransactionFilter::default().amount_out(Money::from_minor_units(-5, Currency::VND)),
    ];
    for filter in &bad {
        for client in [&token, &oauth] {
            assert!(
                matches!(
                    client.list_transactions(filter, PageRequest::first()).await,
                    Err(Error::InvalidRequest(_))
                ),
                "{filter:?}"
            );
            assert!(matches!(
                client.count_transactions(filter).await,
                Err(Error::InvalidRequest(_))
            ));
        }
    }
    for cursor in ["p:0", "t:x", "nonsense"] {
        assert!(matches!(
            token
                .list_transactions(&TransactionFilter::default(), PageRequest::at(PageCursor::new(cursor)))
                .await,
            Err(Error::InvalidRequest(_))
        ));
    }
    assert!(matches!(
        oauth
            .list_transactions(
                &TransactionFilter::default(),
                PageRequest::at(PageCursor::new("t:20230505000000/1/1"))
            )
            .await,
        Err(Error::InvalidRequest(_))
    ));
    assert!(server.received_requests().await.unwrap().is_empty(), "nothing was sent");
}

// ------------------------------------------------------------------------------------------------
// Details and counts
// ------------------------------------------------------------------------------------------------

#[tokio::test]
async fn details_and_count_with_an_api_token() {
    let server = MockServer::start().await;
    mount_get(
        &server,
        "/userapi/transactions/details/49682",
        json(200, tx_fixture("userapi_transaction_details.json")),
    )
    .await;
    mount_get(
        &server,
        "/userapi/transactions/details/1",
        json(
            200,
            r#"{"status":200,"error":null,"messages":{"success":true},"transaction":null}"#,
        ),
    )
    .await;
    Mock::given(method("GET"))
        .and(path(COUNT))
        .and(query_param("account_number", "0071000888888"))
        .respond_with(json(200, tx_fixture("userapi_transactions_count.json")))
        .expect(1)
        .mount(&server)
        .await;
    let client = token_client(&server);
    let t = client.transaction("49682").await.unwrap();
    assert_document_transaction(&t, "2023-05-05T19:59:48+07:00");
    assert!(matches!(client.transaction("1").await, Err(Error::NotFound(_))));
    assert_eq!(
        client
            .count_transactions(&TransactionFilter::default().account_number("0071000888888"))
            .await
            .unwrap(),
        1
    );
    // A non-numeric id cannot name a transaction: refused without a request.
    let before = server.received_requests().await.unwrap().len();
    for bad in ["abc", "1/2", "../bankaccounts/list"] {
        assert!(
            matches!(client.transaction(bad).await, Err(Error::NotFound(_))),
            "{bad}"
        );
    }
    assert_eq!(server.received_requests().await.unwrap().len(), before);
}

#[tokio::test]
async fn details_and_count_with_oauth() {
    let server = MockServer::start().await;
    mount_get(
        &server,
        "/api/v1/transactions/49682",
        json(200, tx_fixture("oauth_transaction_details.json")),
    )
    .await;
    mount_get(
        &server,
        "/api/v1/transactions/2",
        json(
            404,
            r#"{"status":"error","error":{"code":"resource_not_found","message":"Transaction does not exist"}}"#,
        ),
    )
    .await;
    Mock::given(method("GET"))
        .and(path(OAUTH_LIST))
        .and(query_param("account_number", "0071000888888"))
        .and(query_param("page", "1"))
        .and(query_param("limit", "1"))
        .respond_with(json(
            200,
            r#"{"status":"success","data":[],"meta":{"pagination":{"total":1234,"per_page":1,"current_page":1,"last_page":1234}}}"#,
        ))
        .expect(1)
        .mount(&server)
        .await;
    let client = oauth_client(&server, full_credentials());
    let t = client.transaction("49682").await.unwrap();
    assert_document_transaction(&t, "2025-02-25T19:59:48+07:00");
    assert_eq!(t.code.as_deref(), Some("DH123456"));
    assert!(matches!(
        client.transaction("2").await,
        Err(Error::NotFound(ref c)) if c.code.as_deref() == Some("resource_not_found")
    ));
    assert_eq!(
        client
            .count_transactions(&TransactionFilter::default().account_number("0071000888888"))
            .await
            .unwrap(),
        1234,
        "the pagination total"
    );
}

#[tokio::test]
async fn oauth_count_without_pagination_is_a_decode_error() {
    let server = MockServer::start().await;
    mount_get(&server, OAUTH_LIST, json(200, r#"{"status":"success","data":[]}"#)).await;
    let err = oauth_client(&server, full_credentials())
        .count_transactions(&TransactionFilter::default())
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Decode { .. }), "{err:?}");
}

// ------------------------------------------------------------------------------------------------
// Malformed replies and refusals
// ------------------------------------------------------------------------------------------------

/// The document's transaction with `field` replaced by `value` (raw JSON) or removed (`None`).
fn token_list_with(field: &str, value: Option<&str>) -> String {
    let mut v: serde_json::Value = serde_json::from_str(&tx_fixture("userapi_transactions_list.json")).unwrap();
    let t = v["transactions"][0].as_object_mut().unwrap();
    match value {
        Some(raw) => {
            t.insert(field.into(), serde_json::from_str(raw).unwrap());
        }
        None => {
            t.remove(field);
        }
    }
    v.to_string()
}

async fn token_list_error(body: ResponseTemplate) -> Error {
    let server = MockServer::start().await;
    mount_count(&server, 1).await;
    mount_get(&server, LIST, body).await;
    token_client(&server)
        .list_transactions(&TransactionFilter::default(), PageRequest::first())
        .await
        .unwrap_err()
}

#[tokio::test]
async fn malformed_replies_are_decode_errors() {
    let html = ResponseTemplate::new(200).set_body_raw(
        b"<html><body>Maintenance</body></html>".to_vec(),
        "text/html; charset=utf-8",
    );
    let err = token_list_error(html).await;
    assert!(
        matches!(err, Error::Decode { ref message, status: Some(200), .. } if message.contains("non-JSON")),
        "{err:?}"
    );

    for (field, value, says) in [
        ("amount_in", None, "amount_in"),
        ("transaction_date", None, "transaction_date"),
        ("id", None, "id"),
        ("account_number", None, "account_number"),
        ("amount_in", Some(r#""18.067.000,00""#), "18.067.000,00"),
        ("amount_out", Some(r#""abc""#), "abc"),
        ("amount_in", Some("true"), "boolean"),
        ("amount_in", Some("null"), "null"),
        ("accumulated", Some(r#""n/a""#), "n/a"),
        ("transaction_date", Some(r#""yesterday""#), "yesterday"),
        ("transaction_date", Some(r#""""#), "transaction_date"),
        ("id", Some("{}"), "string or an integer"),
    ] {
        let err = token_list_error(json(200, token_list_with(field, value))).await;
        assert!(
            matches!(err, Error::Decode { ref message, .. } if message.contains(says)),
            "{field} = {value:?}: {err:?}"
        );
    }

    let not_a_list = r#"{"status":200,"error":null,"messages":{"success":true},"transactions":{}}"#;
    assert!(matches!(
        token_list_error(json(200, not_a_list)).await,
        Error::Decode { .. }
    ));
    let no_key = r#"{"status":200,"error":null,"messages":{"success":true}}"#;
    assert!(matches!(
        token_list_error(json(200, no_key)).await,
        Error::Decode { .. }
    ));

    // The count is checked too.
    let server = MockServer::start().await;
    mount_get(&server, COUNT, json(200, r#"{"count_transactions":"many"}"#)).await;
    let err = token_client(&server)
        .count_transactions(&TransactionFilter::default())
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::Decode { ref message, .. } if message.contains("many")),
        "{err:?}"
    );

    // And the OAuth dialect.
    let server = MockServer::start().await;
    let body = tx_fixture("oauth_transactions_list.json").replace("18067000.00", r#""1,8 trieu""#);
    mount_get(&server, OAUTH_LIST, json(200, body)).await;
    let err = oauth_client(&server, full_credentials())
        .list_transactions(&TransactionFilter::default(), PageRequest::first())
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Decode { .. }), "{err:?}");
}

#[tokio::test]
async fn oauth_403_names_the_transaction_scope() {
    let server = MockServer::start().await;
    let body = r#"{"status":"error","error":{"code":"forbidden","message":"Missing required scope"}}"#;
    mount_get(&server, OAUTH_LIST, json(403, body)).await;
    mount_get(&server, "/api/v1/transactions/49682", json(403, body)).await;
    let client = oauth_client(&server, full_credentials());
    let errors = [
        client
            .list_transactions(&TransactionFilter::default(), PageRequest::first())
            .await
            .unwrap_err(),
        client.transaction("49682").await.unwrap_err(),
        client
            .count_transactions(&TransactionFilter::default())
            .await
            .unwrap_err(),
    ];
    for err in errors {
        match err {
            Error::Forbidden(ctx) => {
                assert!(ctx.message.contains("`transaction:read`"), "{}", ctx.message);
                assert!(!ctx.message.contains("bank-account:read"), "{}", ctx.message);
                assert_eq!(ctx.status, Some(403));
                assert_eq!(ctx.code.as_deref(), Some("forbidden"));
                assert_no_secret(&ctx.to_string());
            }
            other => panic!("{other:?}"),
        }
    }
}

#[tokio::test]
async fn token_refusals_reuse_the_token_api_rules() {
    // SePay's legacy "bad token": HTTP 200 with an empty body (the list is the first request).
    let server = MockServer::start().await;
    mount_get(&server, LIST, ResponseTemplate::new(200)).await;
    let err = token_client(&server)
        .list_transactions(&TransactionFilter::default(), PageRequest::first())
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Unauthorized(_)), "{err:?}");
    assert_no_secret(&format!("{err:?} {err}"));

    // A 429 is waited out and the call goes on.
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(LIST))
        .respond_with(ResponseTemplate::new(429).insert_header("x-sepay-userapi-retry-after", "0"))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    mount_get(&server, LIST, json(200, tx_fixture("userapi_transactions_list.json"))).await;
    let page = token_client(&server)
        .list_transactions(&TransactionFilter::default(), PageRequest::first())
        .await
        .unwrap();
    assert_eq!(page.items.len(), 1);
    assert_eq!(requests_to(&server, LIST).await.len(), 2);

    // An error status in the envelope of an HTTP 200.
    let server = MockServer::start().await;
    mount_get(
        &server,
        COUNT,
        json(
            200,
            r#"{"status":401,"error":401,"messages":{"error":"Token invalid"}}"#,
        ),
    )
    .await;
    let err = token_client(&server)
        .count_transactions(&TransactionFilter::default())
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Unauthorized(_)), "{err:?}");
}

// ------------------------------------------------------------------------------------------------
// Count-checked paging of the API-token list
// ------------------------------------------------------------------------------------------------

/// 23 transactions over a few days, some sharing a second, ids not in date order everywhere.
fn many() -> Vec<FakeTx> {
    let mut txs = Vec::new();
    for i in 0..20u64 {
        let date = format!("2023-05-{:02} {:02}:{:02}:00", 1 + i / 6, 8 + i % 6, i);
        txs.push(FakeTx::incoming(1000 + i, &date, 10_000 * (i as i64 + 1), "CK", None));
    }
    // Three in the same second as transaction 1010.
    for id in [2001, 2002, 2003] {
        txs.push(FakeTx::incoming(id, "2023-05-02 12:10:00", 5, "same second", None));
    }
    txs
}

fn ids(items: &[SepayTransaction]) -> Vec<String> {
    items.iter().map(|t| t.id.clone()).collect()
}

/// Every page of `filter` with page size `limit`, checking each page.
async fn all_pages(client: &SepayClient, filter: &TransactionFilter, limit: u32) -> Vec<Vec<SepayTransaction>> {
    let mut pages = Vec::new();
    let mut request = PageRequest::first().with_limit(limit);
    loop {
        let page = client.list_transactions(filter, request.clone()).await.unwrap();
        // Only the last page may be empty: when the page before ended at the oldest transaction
        // without knowing it (a crowded second, with a count that cannot confirm the rest).
        assert!(
            !page.items.is_empty() || (page.next.is_none() && !pages.is_empty()),
            "no empty page but the last: limit {limit}, {page:?}"
        );
        for w in page.items.windows(2) {
            assert!(
                w[0].transaction_date >= w[1].transaction_date,
                "newest first within a page"
            );
        }
        let next = page.next.clone();
        pages.push(page.items);
        match next {
            Some(cursor) => request = PageRequest::at(cursor).with_limit(limit),
            None => return pages,
        }
    }
}

fn expected_newest_first(txs: &[FakeTx]) -> Vec<String> {
    let mut sorted = txs.to_vec();
    sorted.sort_by(|a, b| b.date.cmp(&a.date).then(b.id.cmp(&a.id)));
    sorted.iter().map(|t| t.id.to_string()).collect()
}

#[tokio::test]
async fn token_listing_walks_date_windows_and_returns_everything_once() {
    let server = MockServer::start().await;
    let fake = FakeSepay::new(many());
    fake.mount(&server).await;
    let client = token_client(&server);
    for limit in [1, 2, 5, 7, 100] {
        let pages = all_pages(&client, &TransactionFilter::default(), limit).await;
        let flat: Vec<SepayTransaction> = pages.iter().flatten().cloned().collect();
        assert_eq!(ids(&flat), expected_newest_first(&many()), "limit {limit}");
        for page in &pages {
            // Only a page of one crowded second may hold more than the limit.
            let seconds: HashSet<_> = page.iter().map(|t| t.transaction_date).collect();
            assert!(
                page.len() <= limit as usize || seconds.len() == 1,
                "limit {limit}: {}",
                page.len()
            );
        }
        if limit >= 23 {
            assert_eq!(pages.len(), 1);
        }
    }
    // The stream agrees, with the largest page size: one short reply, one request.
    let before = server.received_requests().await.unwrap().len();
    let streamed: Vec<_> = client
        .stream_transactions(&TransactionFilter::default())
        .try_collect()
        .await
        .unwrap();
    assert_eq!(ids(&streamed), expected_newest_first(&many()));
    assert_eq!(server.received_requests().await.unwrap().len() - before, 1);
}

#[tokio::test]
async fn token_listing_within_a_date_range_and_totals() {
    let server = MockServer::start().await;
    FakeSepay::new(many()).mount(&server).await;
    let client = token_client(&server);
    let filter = TransactionFilter::default().date_range(may(2), may(3));
    let first = client
        .list_transactions(&filter, PageRequest::first().with_limit(3))
        .await
        .unwrap();
    let in_range: Vec<FakeTx> = many()
        .into_iter()
        .filter(|t| t.date >= at("2023-05-02 00:00:00") && t.date <= at("2023-05-03 23:59:59"))
        .collect();
    assert_eq!(first.total, Some(in_range.len() as u64));
    let flat: Vec<_> = all_pages(&client, &filter, 3).await.into_iter().flatten().collect();
    assert_eq!(ids(&flat), expected_newest_first(&in_range));
    // Every request stayed within the filter's dates.
    for r in server.received_requests().await.unwrap() {
        let q: Vec<(String, String)> = r.url.query_pairs().into_owned().collect();
        let min = q
            .iter()
            .find(|(k, _)| k == "transaction_date_min")
            .map(|(_, v)| v.as_str());
        assert!(min.is_some_and(|m| m >= "2023-05-02 00:00:00"), "{}", r.url);
    }
}

#[tokio::test]
async fn token_listing_is_complete_even_when_the_server_sorts_by_id() {
    // Ids out of date order: "most recent" by id is not most recent by date.
    let mut txs = many();
    txs.push(FakeTx::incoming(
        500,
        "2023-05-04 23:00:00",
        1,
        "old id, late date",
        None,
    ));
    txs.push(FakeTx::incoming(
        9000,
        "2023-04-01 01:00:00",
        1,
        "new id, early date",
        None,
    ));
    let server = MockServer::start().await;
    FakeSepay::new(txs.clone()).order(Order::ById).mount(&server).await;
    let client = token_client(&server);
    for limit in [3, 4, 10] {
        let flat: Vec<_> = all_pages(&client, &TransactionFilter::default(), limit)
            .await
            .into_iter()
            .flatten()
            .collect();
        let mut got = ids(&flat);
        let mut want = expected_newest_first(&txs);
        assert_eq!(got.len(), want.len(), "limit {limit}: nothing twice, nothing missing");
        got.sort();
        want.sort();
        assert_eq!(got, want, "limit {limit}");
    }
}

#[tokio::test]
async fn a_crowded_second_is_a_page_of_its_own() {
    let txs: Vec<FakeTx> = (1..=4)
        .map(|id| FakeTx::incoming(id, "2023-05-05 10:00:00", 1, "burst", None))
        .chain([FakeTx::incoming(5, "2023-05-05 09:00:00", 1, "before", None)])
        .collect();
    let server = MockServer::start().await;
    FakeSepay::new(txs).mount(&server).await;
    let pages = all_pages(&token_client(&server), &TransactionFilter::default(), 2).await;
    let sizes: Vec<usize> = pages.iter().map(Vec::len).collect();
    assert_eq!(sizes, [4, 1]);
    assert_eq!(ids(&pages[0]), ["4", "3", "2", "1"]);
}

/// Collects every page of `filter` with page size `limit`, or the first error.
async fn try_all(client: &SepayClient, filter: &TransactionFilter, limit: u32) -> Result<Vec<SepayTransaction>, Error> {
    let mut all = Vec::new();
    let mut request = PageRequest::first().with_limit(limit);
    loop {
        let page = client.list_transactions(filter, request).await?;
        all.extend(page.items);
        match page.next {
            Some(c) => request = PageRequest::at(c).with_limit(limit),
            None => return Ok(all),
        }
    }
}

#[tokio::test]
async fn a_short_reply_costs_exactly_one_request_and_no_count() {
    // Fewer rows than the limit asked: the whole window, whatever a count would say.
    for (filter, limit) in [
        (TransactionFilter::default(), None),
        (every_filter(), Some(5000)),
        (TransactionFilter::default().account_number("0071000888888"), Some(2)),
    ] {
        let server = MockServer::start().await;
        Mock::given(method("GET"))
            .and(path(LIST))
            .and(query_param("limit", limit.unwrap_or(5000).to_string().as_str()))
            .respond_with(json(200, tx_fixture("userapi_transactions_list.json")))
            .expect(1)
            .mount(&server)
            .await;
        Mock::given(method("GET"))
            .and(path(COUNT))
            .respond_with(json(200, r#"{"count_transactions":3}"#))
            .expect(0)
            .mount(&server)
            .await;
        let request = match limit {
            Some(l) => PageRequest::first().with_limit(l),
            None => PageRequest::first(),
        };
        let page = token_client(&server).list_transactions(&filter, request).await.unwrap();
        assert_eq!(ids(&page.items), ["49682"]);
        assert_eq!(page.next, None);
        assert_eq!(page.total, Some(1));
        assert_eq!(server.received_requests().await.unwrap().len(), 1);
        server.verify().await;
    }
}

#[tokio::test]
async fn a_count_that_ignores_the_filters_does_not_break_a_listing() {
    // 23 transactions of the account plus 40 of another one: SePay's count, ignoring the
    // filters, reports all 63 for any query.
    let mut txs = many();
    for i in 0..40u64 {
        let mut other = FakeTx::incoming(5000 + i, &format!("2023-05-03 15:{i:02}:00"), 1, "other", None);
        other.account_number = "0071000999999".into();
        txs.push(other);
    }
    let server = MockServer::start().await;
    FakeSepay::new(txs).count_ignores_filters().mount(&server).await;
    let client = token_client(&server);
    assert_eq!(
        client.count_transactions(&TransactionFilter::default()).await.unwrap(),
        63
    );
    let ours = TransactionFilter::default().account_number("0071000888888");
    assert_eq!(
        client.count_transactions(&ours).await.unwrap(),
        63,
        "the count ignores the filter"
    );

    // A short listing (a status read asks for 5000): one request, every transaction of the
    // account, no error although the count says 63.
    let before = server.received_requests().await.unwrap().len();
    let page = client
        .list_transactions(&ours, PageRequest::first().with_limit(5000))
        .await
        .unwrap();
    assert_eq!(ids(&page.items), expected_newest_first(&many()));
    assert_eq!((page.next, page.total), (None, Some(23)));
    assert_eq!(server.received_requests().await.unwrap().len() - before, 1);
    let streamed: Vec<_> = client.stream_transactions(&ours).try_collect().await.unwrap();
    assert_eq!(ids(&streamed), expected_newest_first(&many()));
    let in_range = TransactionFilter::default()
        .account_number("0071000888888")
        .date_range(may(2), may(3));
    let page = client.list_transactions(&in_range, PageRequest::first()).await.unwrap();
    assert_eq!(
        page.items.len(),
        many()
            .iter()
            .filter(|t| t.date.date() >= may(2) && t.date.date() <= may(3))
            .count()
    );

    // Full replies are split by the list alone: still complete, each once, newest first.
    for limit in [1, 2, 5, 7] {
        let pages = all_pages(&client, &ours, limit).await;
        let flat: Vec<SepayTransaction> = pages.iter().flatten().cloned().collect();
        assert_eq!(ids(&flat), expected_newest_first(&many()), "limit {limit}");
    }
    // The last page's total is what the listing returned, not the count's 63.
    let mut request = PageRequest::first().with_limit(4);
    let last = loop {
        let page = client.list_transactions(&ours, request).await.unwrap();
        match page.next.clone() {
            Some(c) => request = PageRequest::at(c).with_limit(4),
            None => break page,
        }
    };
    assert_eq!(last.total, Some(23));
    assert_eq!(try_all(&client, &ours, 3).await.unwrap().len(), 23);
}

#[tokio::test]
async fn a_page_of_a_longer_listing_costs_a_list_a_count_and_a_list() {
    let server = MockServer::start().await;
    FakeSepay::new(many()).mount(&server).await;
    let client = token_client(&server);
    let page = client
        .list_transactions(&TransactionFilter::default(), PageRequest::first().with_limit(5))
        .await
        .unwrap();
    assert_eq!(page.items.len(), 4, "the newest 5 cut below their oldest second");
    assert_eq!(page.total, Some(23));
    let sent: Vec<String> = server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .map(|r| r.url.path().to_string())
        .collect();
    assert_eq!(sent, [LIST, COUNT, LIST]);
    // The second list is the window above the cut.
    let above = &requests_to(&server, LIST).await[1];
    assert!(
        above.url.query().unwrap().contains("transaction_date_min="),
        "{}",
        above.url
    );
}

#[tokio::test]
async fn a_full_reply_that_cannot_be_shown_complete_is_an_error_not_a_partial_list() {
    // The list ignores the date windows (the same two rows for any query) and the count finds
    // more than two: the newest two cannot be shown to be all of their window.
    let body = r#"{"status":200,"transactions":[
        {"id":"2","account_number":"1","transaction_date":"2023-05-05 10:00:02","amount_out":"0","amount_in":"1"},
        {"id":"1","account_number":"1","transaction_date":"2023-05-05 10:00:01","amount_out":"0","amount_in":"1"}]}"#;
    let server = MockServer::start().await;
    mount_count(&server, 3).await;
    mount_get(&server, LIST, json(200, body)).await;
    let err = token_client(&server)
        .list_transactions(&TransactionFilter::default(), PageRequest::first().with_limit(2))
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::Provider(ref c) if c.message.contains("does not apply the date filters")),
        "{err:?}"
    );

    // A list that keeps contradicting itself (a transaction of the full reply missing from the
    // window above the cut) is read again, then an error.
    let server = MockServer::start().await;
    mount_count(&server, 3).await;
    Mock::given(method("GET"))
        .and(path(LIST))
        .and(query_param("transaction_date_min", "2023-05-05 10:00:02"))
        .respond_with(json(200, r#"{"status":200,"transactions":[]}"#))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(LIST))
        .and(query_param_is_missing("transaction_date_min"))
        .respond_with(json(200, body))
        .mount(&server)
        .await;
    let err = token_client(&server)
        .list_transactions(&TransactionFilter::default(), PageRequest::first().with_limit(2))
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::Provider(ref c) if c.message.contains("could not be read completely")),
        "{err:?}"
    );
    assert_eq!(
        requests_to(&server, LIST).await.len(),
        6,
        "3 attempts of list + list above"
    );
}

#[tokio::test]
async fn a_full_reply_is_only_trusted_when_the_count_agrees() {
    // The list brings 5000 (a full reply) and the count says 5000: the whole window.
    let row = |i: u32| {
        format!(
            r#"{{"id":"{}","account_number":"1","transaction_date":"2023-05-05 10:{:02}:{:02}","amount_out":"0","amount_in":"1"}}"#,
            i + 1,
            (i / 60) % 60,
            i % 60
        )
    };
    let body = format!(
        r#"{{"status":200,"transactions":[{}]}}"#,
        (0..5000).map(row).collect::<Vec<_>>().join(",")
    );
    let server = MockServer::start().await;
    mount_count(&server, 5000).await;
    mount_get(&server, LIST, json(200, &body)).await;
    let page = token_client(&server)
        .list_transactions(&TransactionFilter::default(), PageRequest::first())
        .await
        .unwrap();
    assert_eq!(page.items.len(), 5000);
    assert_eq!(page.next, None);
    assert_eq!(requests_to(&server, LIST).await.len(), 1);
    assert_eq!(requests_to(&server, COUNT).await.len(), 1);

    // When the count finds more, the reply may have left the oldest out: never a partial list
    // (here the list ignores the windows it is asked for, so it cannot be split either).
    let server = MockServer::start().await;
    mount_count(&server, 5001).await;
    mount_get(&server, LIST, json(200, &body)).await;
    let err = token_client(&server)
        .list_transactions(&TransactionFilter::default(), PageRequest::first().with_limit(5000))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Provider(_)), "{err:?}");
}

#[tokio::test]
async fn five_thousand_in_one_second_need_the_count_to_agree() {
    let row = |i: u32| {
        format!(
            r#"{{"id":"{}","account_number":"1","transaction_date":"2023-05-05 10:00:00","amount_out":"0","amount_in":"1"}}"#,
            i + 1
        )
    };
    let body = format!(
        r#"{{"status":200,"transactions":[{}]}}"#,
        (0..5000).map(row).collect::<Vec<_>>().join(",")
    );
    let empty = r#"{"status":200,"transactions":[]}"#;
    for (second_count, ok) in [(5000, true), (5001, false)] {
        let server = MockServer::start().await;
        // The window and the second itself: 5000 rows; above the second: none.
        Mock::given(method("GET"))
            .and(path(LIST))
            .and(query_param("transaction_date_min", "2023-05-05 10:00:01"))
            .respond_with(json(200, empty))
            .mount(&server)
            .await;
        mount_get(&server, LIST, json(200, &body)).await;
        Mock::given(method("GET"))
            .and(path(COUNT))
            .and(query_param("transaction_date_min", "2023-05-05 10:00:00"))
            .respond_with(json(200, format!(r#"{{"count_transactions":{second_count}}}"#)))
            .mount(&server)
            .await;
        mount_count(&server, 6000).await;
        let result = token_client(&server)
            .list_transactions(&TransactionFilter::default(), PageRequest::first())
            .await;
        match (ok, result) {
            (true, Ok(page)) => {
                assert_eq!(page.items.len(), 5000);
                assert!(page.next.is_some(), "then the window before the second");
            }
            (false, Err(Error::Provider(c))) => assert!(c.message.contains("more than the 5000"), "{}", c.message),
            (_, other) => panic!("count {second_count}: {other:?}"),
        }
    }
}

// ------------------------------------------------------------------------------------------------
// OAuth paging
// ------------------------------------------------------------------------------------------------

#[tokio::test]
async fn oauth_listing_pages_by_number_until_the_last_page() {
    let server = MockServer::start().await;
    FakeSepay::new(many()).mount(&server).await;
    let client = oauth_client(&server, full_credentials());
    let first = client
        .list_transactions(&TransactionFilter::default(), PageRequest::first().with_limit(10))
        .await
        .unwrap();
    assert_eq!(first.items.len(), 10);
    assert_eq!(first.total, Some(23));
    assert_eq!(first.next, Some(PageCursor::new("p:2")));
    let streamed: Vec<_> = client
        .stream_transactions(&TransactionFilter::default())
        .try_collect()
        .await
        .unwrap();
    assert_eq!(ids(&streamed), expected_newest_first(&many()));
    let pages = all_pages(&client, &TransactionFilter::default(), 10).await;
    assert_eq!(pages.iter().map(Vec::len).collect::<Vec<_>>(), [10, 10, 3]);
    // Transactions of one account only, by SePay id.
    let only_19 = TransactionFilter::default()
        .bank_account_id(19)
        .account_number("0071000888888");
    assert_eq!(client.count_transactions(&only_19).await.unwrap(), 23);
    assert_eq!(
        client
            .count_transactions(&TransactionFilter::default().bank_account_id(20))
            .await
            .unwrap(),
        0
    );
}

#[tokio::test]
async fn details_from_the_fake_in_both_ways_in() {
    let server = MockServer::start().await;
    FakeSepay::new(many()).mount(&server).await;
    for client in [token_client(&server), oauth_client(&server, full_credentials())] {
        let t = client.transaction("1003").await.unwrap();
        assert_eq!(t.id, "1003");
        assert_eq!(t.amount_in, Money::from_minor_units(40_000, Currency::VND));
        assert_eq!(t.amount_in.amount(), dec("40000"));
        assert!(matches!(client.transaction("424242").await, Err(Error::NotFound(_))));
    }
}
