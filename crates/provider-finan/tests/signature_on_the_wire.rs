//! The `x-signature` Finan receives equals the documented formula computed here independently
//! (with `sha2` directly, not the crate's function) from the request as it arrived.

mod common;

use common::{account, client, ok, CLIENT_ID, SECRET};
use provider_finan::{AccountFilter, CreateBankAccount};
use serde_json::json;
use sha2::{Digest, Sha256};
use wiremock::matchers::{body_string, header, method, path, query_param};
use wiremock::{Match, Mock, MockServer, Request, ResponseTemplate};

/// Matches when `x-signature` is `hex(sha256(secret_METHOD_pathquery_body_timestamp))`, where
/// `pathquery` is the received path without `/open` plus `?query`.
struct SignedAsDocumented;

impl Match for SignedAsDocumented {
    fn matches(&self, request: &Request) -> bool {
        let header = |name: &str| {
            request
                .headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string)
        };
        let (Some(signature), Some(timestamp)) = (header("x-signature"), header("x-timestamp")) else {
            return false;
        };
        let mut signed_path = request.url.path().strip_prefix("/open").unwrap_or("").to_string();
        if let Some(q) = request.url.query() {
            signed_path = format!("{signed_path}?{q}");
        }
        let mut message = format!("{SECRET}_{}_{signed_path}_", request.method.as_str()).into_bytes();
        message.extend_from_slice(&request.body);
        message.extend_from_slice(format!("_{timestamp}").as_bytes());
        let expected = hex::encode(Sha256::digest(&message));
        let now = chrono::Utc::now().timestamp();
        let fresh = timestamp.parse::<i64>().is_ok_and(|t| (now - t).abs() <= 5);
        signature == expected && fresh
    }
}

#[tokio::test]
async fn get_with_query_string_is_signed_over_path_and_query() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/open/api/v1/master-bank-accounts"))
        .and(query_param("id", "9c028f93-89f9-4cf5-a2fb-fb8fa8580fe5"))
        .and(query_param("account_number", "0933450210"))
        .and(header("x-client-id", CLIENT_ID))
        .and(header("content-type", "application/json"))
        .and(SignedAsDocumented)
        .respond_with(ResponseTemplate::new(200).set_body_json(ok(json!([account("9c028f93", "0933450210", "A")]))))
        .expect(1)
        .mount(&server)
        .await;
    let filter = AccountFilter::all()
        .id("9c028f93-89f9-4cf5-a2fb-fb8fa8580fe5")
        .account_number("0933450210");
    let accounts = client(&server).list_master_accounts(&filter).await.unwrap();
    assert_eq!(accounts.len(), 1);
    let received = &server.received_requests().await.unwrap()[0];
    assert_eq!(
        received.url.query(),
        Some("id=9c028f93-89f9-4cf5-a2fb-fb8fa8580fe5&account_number=0933450210")
    );
    assert!(received.body.is_empty(), "a GET sends no body");
    assert!(received.headers.contains_key("user-agent"));
}

#[tokio::test]
async fn post_is_signed_over_the_exact_body_bytes() {
    let server = MockServer::start().await;
    let created = json!({
        "bank_code": "MB", "account_id": "c3643c99", "account_name": "Kế toán",
        "account_number": "VQRQAHZKN0048", "currency_code": "704", "master_account_name": "TRAN TU THIEN"
    });
    Mock::given(method("POST"))
        .and(path("/open/api/v1/bank-accounts"))
        .and(body_string(
            "{\"master_account_id\":\"550e8400-e29b-41d4-a716-446655440000\",\"account_name\":\"K\u{1ebf} to\u{e1}n\"}",
        ))
        .and(SignedAsDocumented)
        .respond_with(ResponseTemplate::new(201).set_body_json(json!({
            "message": {"content": "ok"}, "code": 102001, "request_id": "r", "data": created
        })))
        .expect(1)
        .mount(&server)
        .await;
    let request = CreateBankAccount::new("550e8400-e29b-41d4-a716-446655440000", "K\u{1ebf} to\u{e1}n");
    let created = client(&server).create_bank_account(&request).await.unwrap();
    assert_eq!(created.account_number, "VQRQAHZKN0048");
}

#[tokio::test]
async fn a_wrong_secret_does_not_match() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(SignedAsDocumented)
        .respond_with(ResponseTemplate::new(200).set_body_json(ok(json!([]))))
        .expect(0)
        .mount(&server)
        .await;
    let other = provider_finan::FinanClient::builder()
        .client_id(CLIENT_ID)
        .secret_key(provider_finan::SecretString::from("another-secret"))
        .base_url(&format!("{}/open", server.uri()))
        .build()
        .unwrap();
    // wiremock answers 404 with an empty body when nothing matches.
    let err = other.list_master_accounts(&AccountFilter::all()).await.unwrap_err();
    assert!(matches!(err, gateway_core::Error::NotFound(_)), "{err:?}");
}
