//! HTTP statuses, Finan codes and malformed replies map to the right `gateway_core::Error`.

mod common;

use std::time::Duration;

use common::{account, client, error_body, fixture, ok};
use gateway_core::{Error, TransportErrorKind};
use provider_finan::{AccountFilter, FinanClient, RequestOptions, RetryPolicy, SecretString};
use serde_json::json;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const MASTERS: &str = "/open/api/v1/master-bank-accounts";

/// Serves `response` for the master account list and returns what the client makes of it, sent
/// once (no retry: this file is about mapping replies to errors; `retries.rs` covers retrying).
async fn list_with(response: ResponseTemplate) -> Result<Vec<gateway_core::BankAccount>, Error> {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(MASTERS))
        .respond_with(response)
        .expect(1)
        .mount(&server)
        .await;
    client(&server)
        .list_master_accounts_with(
            &AccountFilter::all(),
            &RequestOptions::new().retry_policy(RetryPolicy::none()),
        )
        .await
}

fn json_reply(status: u16, body: serde_json::Value) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_json(body)
}

fn raw_reply(status: u16, body: &str, mime: &str) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_raw(body.as_bytes().to_vec(), mime)
}

#[tokio::test]
async fn unauthorized_keeps_message_code_and_request_id() {
    let body = fixture("error_invalid_signature.json");
    let err = list_with(raw_reply(401, &body, "application/json")).await.unwrap_err();
    let Error::Unauthorized(ctx) = &err else {
        panic!("{err:?}")
    };
    assert_eq!(ctx.message, "Invalid signature");
    assert_eq!(ctx.code.as_deref(), Some("104000"));
    assert_eq!(ctx.status, Some(401));
    assert_eq!(err.request_id(), Some("abc123..."));
    assert!(!err.is_retryable());
}

#[tokio::test]
async fn client_error_statuses() {
    type Check = fn(&Error) -> bool;
    let cases: [(u16, Check); 5] = [
        (403, |e| matches!(e, Error::Forbidden(_))),
        (404, |e| matches!(e, Error::NotFound(_))),
        (409, |e| matches!(e, Error::Conflict(_))),
        (422, |e| matches!(e, Error::InvalidRequest(_))),
        (400, |e| matches!(e, Error::InvalidRequest(_))),
    ];
    for (status, is_expected) in cases {
        let err = list_with(json_reply(status, error_body("nope", "rid-x")))
            .await
            .unwrap_err();
        assert!(is_expected(&err), "HTTP {status} gave {err:?}");
        assert_eq!(err.status(), Some(status));
        assert_eq!(err.request_id(), Some("rid-x"));
        assert!(err.to_string().contains("nope"), "{err}");
    }
}

#[tokio::test]
async fn error_400000_fixture() {
    let err = list_with(raw_reply(400, &fixture("error_400000.json"), "application/json"))
        .await
        .unwrap_err();
    let Error::InvalidRequest(ctx) = &err else {
        panic!("{err:?}")
    };
    assert_eq!(ctx.message, "Bad Request");
    assert_eq!(ctx.code.as_deref(), Some("400000"));
}

#[tokio::test]
async fn rate_limited_with_retry_after_header() {
    let reply =
        raw_reply(429, &fixture("rate_limited_429.json"), "application/json").insert_header("Retry-After", "12");
    let err = list_with(reply).await.unwrap_err();
    assert!(matches!(err, Error::RateLimited { .. }), "{err:?}");
    assert_eq!(
        err.retry_after(),
        Some(Duration::from_secs(12)),
        "the header wins over the message"
    );
    assert!(err.is_retryable());
}

#[tokio::test]
async fn rate_limited_retry_after_from_message() {
    let err = list_with(raw_reply(429, &fixture("rate_limited_429.json"), "application/json"))
        .await
        .unwrap_err();
    assert_eq!(err.retry_after(), Some(Duration::from_secs(30)));
    assert_eq!(err.request_id(), Some("abc123..."));
}

#[tokio::test]
async fn server_error_is_retryable_provider_error() {
    let body = json!({"message": {"content": "Internal Server Error"}, "code": 500000, "request_id": "r5"});
    let err = list_with(json_reply(500, body)).await.unwrap_err();
    assert!(matches!(err, Error::Provider(_)), "{err:?}");
    assert!(err.is_retryable());
    assert_eq!(err.request_id(), Some("r5"));
}

#[tokio::test]
async fn html_error_page_is_a_provider_error() {
    let html = "<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>";
    let err = list_with(raw_reply(502, html, "text/html; charset=utf-8"))
        .await
        .unwrap_err();
    let Error::Provider(ctx) = &err else { panic!("{err:?}") };
    assert_eq!(ctx.message, "HTTP 502 with a non-JSON body (text/html)");
    assert!(err.is_retryable());
}

#[tokio::test]
async fn html_with_200_is_a_decode_error() {
    let err = list_with(raw_reply(200, "<html>maintenance</html>", "text/html"))
        .await
        .unwrap_err();
    let Error::Decode {
        what, message, status, ..
    } = &err
    else {
        panic!("{err:?}")
    };
    assert_eq!(what, "Finan master bank account list response");
    assert!(message.contains("non-JSON body (text/html)"), "{message}");
    assert_eq!(*status, Some(200));
}

#[tokio::test]
async fn malformed_and_empty_bodies_are_decode_errors() {
    for body in [
        r#"{"message":{"content":"ok"},"code":102000,"data":[{"account_id":"#,
        "",
    ] {
        let err = list_with(raw_reply(200, body, "application/json")).await.unwrap_err();
        assert!(
            matches!(err, Error::Decode { status: Some(200), .. }),
            "{body:?}: {err:?}"
        );
    }
}

#[tokio::test]
async fn missing_required_field_is_named() {
    let mut item = account("a1", "111", "X");
    item.as_object_mut().unwrap().remove("account_id");
    let err = list_with(json_reply(200, ok(json!([item])))).await.unwrap_err();
    let Error::Decode {
        what,
        message,
        status,
        request_id,
    } = &err
    else {
        panic!("{err:?}")
    };
    assert_eq!(what, "Finan master bank account list response");
    assert!(message.contains("missing field `account_id`"), "{message}");
    assert_eq!(*status, Some(200));
    assert_eq!(request_id.as_deref(), Some("req-ok"));
}

#[tokio::test]
async fn wrong_type_is_a_decode_error() {
    let mut item = account("a1", "111", "X");
    item["balance"] = json!({"amount": 5});
    let err = list_with(json_reply(200, ok(json!([item])))).await.unwrap_err();
    let Error::Decode {
        message, request_id, ..
    } = &err
    else {
        panic!("{err:?}")
    };
    assert!(message.contains("object"), "{message}");
    assert_eq!(request_id.as_deref(), Some("req-ok"));
}

#[tokio::test]
async fn balance_without_currency_is_a_decode_error_with_request_id() {
    let mut item = account("a1", "111", "X");
    item.as_object_mut().unwrap().remove("currency");
    let err = list_with(json_reply(200, ok(json!([item])))).await.unwrap_err();
    let Error::Decode {
        message,
        status,
        request_id,
        ..
    } = &err
    else {
        panic!("{err:?}")
    };
    assert!(message.contains("no currency"), "{message}");
    assert_eq!((*status, request_id.as_deref()), (Some(200), Some("req-ok")));
}

#[tokio::test]
async fn oversized_body_is_refused() {
    let big = format!(r#"{{"code":102000,"data":"{}"}}"#, "x".repeat(9 * 1024 * 1024));
    let err = list_with(raw_reply(200, &big, "application/json")).await.unwrap_err();
    let Error::Decode { message, .. } = &err else {
        panic!("{err:?}")
    };
    assert!(message.contains("too large"), "{message}");
}

#[tokio::test]
async fn success_status_with_error_code_is_a_provider_error() {
    let err = list_with(json_reply(200, error_body("Invalid signature", "r2")))
        .await
        .unwrap_err();
    let Error::Provider(ctx) = &err else { panic!("{err:?}") };
    assert_eq!(ctx.code.as_deref(), Some("104000"));
    assert_eq!(ctx.message, "Invalid signature");
    assert!(!err.is_retryable());
}

#[tokio::test]
async fn null_data_is_an_empty_list_and_strings_are_exact() {
    assert!(list_with(json_reply(200, ok(json!(null)))).await.unwrap().is_empty());
    let mut item = account("a1", "111", "X");
    item["balance"] = json!("5000000");
    let accounts = list_with(json_reply(200, ok(json!([item])))).await.unwrap();
    assert_eq!(
        accounts[0].balance.unwrap().amount(),
        rust_decimal::Decimal::from(5_000_000)
    );
}

#[tokio::test]
async fn connection_refused_is_a_transport_error() {
    // Bind then drop a listener: the port is (almost certainly) closed.
    let addr = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let client = FinanClient::builder()
        .client_id("id")
        .secret_key(SecretString::from("s3cr3t"))
        .base_url(&format!("http://{addr}/open"))
        .build()
        .unwrap();
    let err = client.list_master_accounts(&AccountFilter::all()).await.unwrap_err();
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
    assert!(err.is_retryable());
}

#[tokio::test]
async fn slow_reply_is_a_timeout() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(json_reply(200, ok(json!([]))).set_delay(Duration::from_secs(3)))
        .mount(&server)
        .await;
    let client = FinanClient::builder()
        .client_id("id")
        .secret_key(SecretString::from("s3cr3t"))
        .base_url(&format!("{}/open", server.uri()))
        .timeout(Duration::from_millis(200))
        .build()
        .unwrap();
    let err = client.list_master_accounts(&AccountFilter::all()).await.unwrap_err();
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
}
