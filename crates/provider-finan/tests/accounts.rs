//! Endpoint behaviour against wiremock: query strings, pagination through `BankAccountProvider`,
//! the `get_account` fallback, validation before sending, path encoding.

mod common;

use common::{account, client, error_body, ok, ok_page};
use futures::{StreamExt, TryStreamExt};
use gateway_core::{AccountKind, BankAccountProvider, Error, PageCursor, PageRequest};
use provider_finan::{AccountFilter, CreateBankAccount};
use serde_json::{json, Value};
use wiremock::matchers::{method, path, query_param};
use wiremock::{Match, Mock, MockServer, Request, ResponseTemplate};

const MASTERS: &str = "/open/api/v1/master-bank-accounts";
const SUBS: &str = "/open/api/v1/bank-accounts";

/// The raw query string is exactly this (`None`: no `?` at all).
struct QueryIs(Option<&'static str>);

impl Match for QueryIs {
    fn matches(&self, request: &Request) -> bool {
        request.url.query() == self.0
    }
}

fn reply(body: Value) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(body)
}

fn subs(range: std::ops::Range<u32>) -> Value {
    range
        .map(|i| account(&format!("sub-{i}"), &format!("VQR{i:04}"), &format!("SUB {i}")))
        .collect()
}

#[tokio::test]
async fn master_filters_send_only_what_is_set() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(MASTERS))
        .and(QueryIs(None))
        .respond_with(reply(ok(json!([account("m1", "1", "A"), account("m2", "2", "B")]))))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(MASTERS))
        .and(QueryIs(Some("account_number=0933450210")))
        .respond_with(reply(ok(json!([account("m2", "0933450210", "B")]))))
        .expect(1)
        .mount(&server)
        .await;
    let c = client(&server);
    let all = c.list_master_accounts(&AccountFilter::all()).await.unwrap();
    assert_eq!(all.len(), 2);
    assert!(all.iter().all(|a| a.kind == AccountKind::Master));
    let one = c
        .list_master_accounts(&AccountFilter::all().account_number("0933450210"))
        .await
        .unwrap();
    assert_eq!(one[0].id, "m2");
}

#[tokio::test]
async fn bank_account_page_reads_meta() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(SUBS))
        .and(QueryIs(Some("page=2&page_size=50&id=660e8400")))
        .respond_with(reply(ok_page(subs(0..1), 2, 50, 3, 101)))
        .expect(1)
        .mount(&server)
        .await;
    let page = client(&server)
        .list_bank_accounts(2, 50, &AccountFilter::all().id("660e8400"))
        .await
        .unwrap();
    assert_eq!(page.items[0].kind, AccountKind::Virtual);
    assert_eq!(page.next.as_ref().map(PageCursor::as_str), Some("3"));
    assert_eq!(page.total, Some(101));
}

#[tokio::test]
async fn bad_pages_are_refused_before_sending() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(reply(ok(json!([]))))
        .expect(0)
        .mount(&server)
        .await;
    let c = client(&server);
    for (page, size) in [(0, 50), (1, 0), (1, 101)] {
        let err = c
            .list_bank_accounts(page, size, &AccountFilter::all())
            .await
            .unwrap_err();
        assert!(
            matches!(err, Error::InvalidRequest(_)),
            "page {page} size {size}: {err:?}"
        );
    }
    let err = c
        .list_accounts(PageRequest::at(PageCursor::new("page:2")))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::InvalidRequest(_)), "{err:?}");
    let err = c
        .list_accounts(PageRequest::at(PageCursor::new("sub:0")))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::InvalidRequest(_)), "{err:?}");
    for id in ["", "  ", ".", ".."] {
        assert!(
            matches!(c.get_bank_account(id).await, Err(Error::InvalidRequest(_))),
            "{id:?}"
        );
    }
}

#[tokio::test]
async fn stream_walks_masters_then_every_sub_page() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(MASTERS))
        .respond_with(reply(ok(json!([account("m1", "1", "A"), account("m2", "2", "B")]))))
        .expect(2)
        .mount(&server)
        .await;
    // The stream asks pages of 100, each once, pages 2 and 3 together once page 1 said 3 pages.
    for (page, items) in [(1, subs(0..100)), (2, subs(100..200)), (3, subs(200..203))] {
        Mock::given(method("GET"))
            .and(path(SUBS))
            .and(query_param("page", page.to_string()))
            .and(query_param("page_size", "100"))
            .respond_with(reply(ok_page(items, page, 100, 3, 203)))
            .expect(1)
            .mount(&server)
            .await;
    }
    // list_accounts keeps its default page size of 50.
    for (page, items) in [(3, subs(100..103))] {
        Mock::given(method("GET"))
            .and(path(SUBS))
            .and(query_param("page", page.to_string()))
            .and(query_param("page_size", "50"))
            .respond_with(reply(ok_page(items, page, 50, 3, 103)))
            .expect(1)
            .mount(&server)
            .await;
    }
    let c = client(&server);
    let all: Vec<_> = c.stream_accounts().try_collect().await.unwrap();
    assert_eq!(all.len(), 205);
    assert_eq!(all.iter().filter(|a| a.kind == AccountKind::Master).count(), 2);
    assert_eq!(all[2].id, "sub-0");
    assert_eq!(all[204].id, "sub-202");

    let first = c.list_accounts(PageRequest::first()).await.unwrap();
    assert_eq!(first.next.as_ref().map(PageCursor::as_str), Some("sub:1"));
    let last = c
        .list_accounts(PageRequest::at(PageCursor::new("sub:3")))
        .await
        .unwrap();
    assert_eq!(last.next, None);
}

#[tokio::test]
async fn page_size_follows_the_limit_up_to_100() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(SUBS))
        .and(QueryIs(Some("page=4&page_size=100")))
        .respond_with(reply(ok_page(subs(0..3), 4, 100, 5, 403)))
        .expect(1)
        .mount(&server)
        .await;
    let page = client(&server)
        .list_accounts(PageRequest::at(PageCursor::new("sub:4")).with_limit(500))
        .await
        .unwrap();
    assert_eq!(page.next.as_ref().map(PageCursor::as_str), Some("sub:5"));
}

#[tokio::test]
async fn a_server_that_ignores_page_is_caught_by_the_loop_guard() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(MASTERS))
        .respond_with(reply(ok(json!([]))))
        .mount(&server)
        .await;
    // Always page 1 of 2, whatever page was asked for.
    Mock::given(method("GET"))
        .and(path(SUBS))
        .respond_with(reply(ok_page(subs(0..1), 1, 50, 2, 2)))
        .mount(&server)
        .await;
    let out: Vec<_> = client(&server).stream_accounts().collect::<Vec<_>>().await;
    assert!(
        matches!(out.last(), Some(Err(Error::Provider(c))) if c.message.contains("did not advance")),
        "{out:?}"
    );
}

#[tokio::test]
async fn get_account_falls_back_to_master_accounts() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(format!("{SUBS}/m1")))
        .respond_with(ResponseTemplate::new(404).set_body_json(error_body("Bank account not found", "r404")))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(MASTERS))
        .and(QueryIs(Some("id=m1")))
        .respond_with(reply(ok(json!([account("m1", "1", "A")]))))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("{SUBS}/nobody")))
        .respond_with(ResponseTemplate::new(404).set_body_json(error_body("Bank account not found", "r404b")))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(MASTERS))
        .and(QueryIs(Some("id=nobody")))
        .respond_with(reply(ok(json!([]))))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("{SUBS}/sub-1")))
        .respond_with(reply(ok(account("sub-1", "VQR1", "KE TOAN"))))
        .mount(&server)
        .await;
    let c = client(&server);
    assert_eq!(c.get_account("m1").await.unwrap().kind, AccountKind::Master);
    assert_eq!(c.get_account("sub-1").await.unwrap().kind, AccountKind::Virtual);
    let err = c.get_account("nobody").await.unwrap_err();
    assert!(matches!(err, Error::NotFound(_)), "{err:?}");
    assert_eq!(err.request_id(), Some("r404b"));
}

#[tokio::test]
async fn get_bank_account_encodes_the_id_as_one_segment() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(format!("{SUBS}/a%2Fb%3Fc")))
        .and(QueryIs(None))
        .respond_with(reply(ok(account("a/b?c", "1", "X"))))
        .expect(1)
        .mount(&server)
        .await;
    assert_eq!(client(&server).get_bank_account("a/b?c").await.unwrap().id, "a/b?c");
}

#[tokio::test]
async fn create_validates_before_sending() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(reply(ok(json!({}))))
        .expect(0)
        .mount(&server)
        .await;
    let c = client(&server);
    for request in [
        CreateBankAccount::new("550e8400", "   "),
        CreateBankAccount::new("", "KE TOAN"),
    ] {
        let err = c.create_bank_account(&request).await.unwrap_err();
        assert!(matches!(err, Error::InvalidRequest(_)), "{err:?}");
    }
}

#[tokio::test]
async fn create_maps_master_not_found() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(SUBS))
        .respond_with(ResponseTemplate::new(404).set_body_raw(
            common::fixture("error_master_account_not_found.json"),
            "application/json",
        ))
        .mount(&server)
        .await;
    let err = client(&server)
        .create_bank_account(&CreateBankAccount::new("nope", "KE TOAN"))
        .await
        .unwrap_err();
    let Error::NotFound(ctx) = &err else { panic!("{err:?}") };
    assert_eq!(ctx.message, "Master account does not exist");
}
