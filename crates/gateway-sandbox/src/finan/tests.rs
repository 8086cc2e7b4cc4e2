//! End-to-end tests against a real listener, signing requests with an inline copy of the documented
//! formula (deliberately not the module's own function). The helpers serve the payment and webhook
//! tests too.

use reqwest::header::HeaderMap;
use reqwest::StatusCode;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use crate::{Sandbox, SandboxConfig, SandboxCredentials};

const OK_CONTENT: &str = "Thực thi API thành công";
const ERROR_CONTENT: &str = "Yêu cầu không hợp lệ";

pub(super) struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Value,
    pub raw: String,
}

/// Sends a signed request; `path` is what gets signed (after `/open`), `ts_offset` moves `x-timestamp`.
pub(super) async fn call(sandbox: &Sandbox, method: &str, path: &str, body: &str, ts_offset: i64) -> Reply {
    let creds = sandbox.credentials();
    let ts = (chrono::Utc::now().timestamp() + ts_offset).to_string();
    let message = format!("{}_{method}_{path}_{body}_{ts}", creds.finan_secret_key);
    let signature = hex::encode(Sha256::digest(message.as_bytes()));
    send(
        sandbox,
        method,
        path,
        body,
        &[
            ("x-client-id", &creds.finan_client_id),
            ("x-timestamp", &ts),
            ("x-signature", &signature),
        ],
    )
    .await
}

pub(super) async fn send(sandbox: &Sandbox, method: &str, path: &str, body: &str, headers: &[(&str, &str)]) -> Reply {
    let url = format!("{}{path}", sandbox.finan_base_url());
    let mut request = reqwest::Client::new()
        .request(method.parse().unwrap(), &url)
        .header("content-type", "application/json")
        .body(body.to_owned());
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = request.send().await.unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let text = response.text().await.unwrap();
    let body = serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"));
    Reply {
        status,
        headers,
        body,
        raw: text,
    }
}

pub(super) fn assert_success(reply: &Reply) {
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    assert_eq!(reply.body["code"], 102000);
    assert_eq!(reply.body["message"], json!({ "content": OK_CONTENT }));
    assert_request_id(reply);
}

pub(super) fn assert_error(reply: &Reply, status: StatusCode, reason: &str) {
    assert_eq!(reply.status, status, "{}", reply.body);
    let expected = json!({ "content": ERROR_CONTENT, "error": reason });
    assert_eq!(reply.body["message"], expected);
    assert_eq!(reply.body["code"], 104000);
    assert!(reply.body.get("data").is_none());
    assert_request_id(reply);
}

pub(super) fn assert_request_id(reply: &Reply) {
    assert_eq!(reply.headers["content-type"], "application/json");
    let id = reply.body["request_id"].as_str().unwrap();
    assert_eq!(id.len(), 32);
    assert!(
        id.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)),
        "{id}"
    );
}

fn seed_master() -> Value {
    json!({
        "account_id": "550e8400-e29b-41d4-a716-446655440000",
        "account_number": "1234XXXX5678",
        "account_name": "COMPANY ABC",
        "bank_code": "SHB",
        "qr_code": "https://api.finan.one/qr/abc123",
        "balance": 15000000,
        "currency": "VND",
        "status": "active",
        "created_at": "2024-01-15T10:30:00Z"
    })
}

fn seed_sub() -> Value {
    json!({
        "account_id": "660e8400-e29b-41d4-a716-446655440001",
        "account_number": "9876XXXX5432",
        "account_name": "KE TOAN",
        "bank_code": "SHB",
        "qr_code": "https://api.finan.one/qr/xyz789",
        "balance": 5000000,
        "currency": "VND",
        "status": "active",
        "created_at": "2024-01-20T14:00:00Z"
    })
}

pub(super) fn data_len(reply: &Reply) -> usize {
    reply.body["data"].as_array().unwrap().len()
}

#[tokio::test]
async fn signed_get_lists_master_accounts() {
    let s = Sandbox::start().await.unwrap();
    let reply = call(&s, "GET", "/api/v1/master-bank-accounts", "", 0).await;
    assert_success(&reply);
    assert_eq!(reply.body["data"][0], seed_master());
    assert_eq!(data_len(&reply), 2);
    assert!(reply.body.get("meta").is_none());
    // Keys in the documented order, Vietnamese intact.
    let start = format!(r#"{{"message":{{"content":"{OK_CONTENT}"}},"code":102000,"request_id":""#);
    assert!(reply.raw.starts_with(&start), "{}", reply.raw);
    assert!(
        reply.raw.contains(r#"","data":[{"account_id":"550e8400-"#),
        "{}",
        reply.raw
    );
    assert_eq!(reply.body.as_object().unwrap().len(), 4);
    assert_eq!(
        s.finan().master_account_ids()[0],
        "550e8400-e29b-41d4-a716-446655440000"
    );
    assert_eq!(s.finan().request_count(), 1);
}

#[tokio::test]
async fn sub_accounts_page_across_three_pages() {
    let s = Sandbox::start().await.unwrap();
    assert_eq!(s.finan().sub_account_count(), 120);
    let mut ids = std::collections::HashSet::new();
    for (page, expected) in [(1, 50), (2, 50), (3, 20)] {
        let reply = call(&s, "GET", &format!("/api/v1/bank-accounts?page={page}"), "", 0).await;
        assert_success(&reply);
        assert_eq!(
            reply.body["meta"],
            json!({ "page": page, "page_size": 50, "total_pages": 3, "total_rows": 120 })
        );
        assert_eq!(data_len(&reply), expected);
        for item in reply.body["data"].as_array().unwrap() {
            assert!(ids.insert(item["account_id"].as_str().unwrap().to_owned()));
            assert_eq!(item.as_object().unwrap().len(), 9);
        }
        if page == 1 {
            assert_eq!(reply.body["data"][0], seed_sub());
        }
    }
    assert_eq!(ids.len(), 120);

    let past = call(&s, "GET", "/api/v1/bank-accounts?page=4", "", 0).await;
    assert_success(&past);
    assert_eq!(past.body["data"], json!([]));
    assert_eq!(past.body["meta"]["total_pages"], 3);

    let default = call(&s, "GET", "/api/v1/bank-accounts", "", 0).await;
    assert_eq!(
        default.body["meta"],
        json!({ "page": 1, "page_size": 50, "total_pages": 3, "total_rows": 120 })
    );
    let big = call(&s, "GET", "/api/v1/bank-accounts?page_size=100&page=2", "", 0).await;
    assert_eq!(data_len(&big), 20);
    assert_eq!(big.body["meta"]["total_pages"], 2);
}

#[tokio::test]
async fn query_string_is_signed_and_filters() {
    let s = Sandbox::start().await.unwrap();
    let mb = "9c028f93-89f9-4cf5-a2fb-fb8fa8580fe5";
    let by_id = call(&s, "GET", &format!("/api/v1/master-bank-accounts?id={mb}"), "", 0).await;
    assert_success(&by_id);
    assert_eq!(data_len(&by_id), 1);
    assert_eq!(by_id.body["data"][0]["account_number"], "0933450210");
    assert_eq!(by_id.body["data"][0]["account_name"], "TRAN TU THIEN");

    let both = call(
        &s,
        "GET",
        &format!("/api/v1/master-bank-accounts?id={mb}&account_number=0933450210"),
        "",
        0,
    )
    .await;
    assert_eq!(data_len(&both), 1);
    let clash = call(
        &s,
        "GET",
        &format!("/api/v1/master-bank-accounts?id={mb}&account_number=1234XXXX5678"),
        "",
        0,
    )
    .await;
    assert_success(&clash);
    assert_eq!(clash.body["data"], json!([]));
    let empty = call(&s, "GET", "/api/v1/master-bank-accounts?id=&account_number=", "", 0).await;
    assert_eq!(data_len(&empty), 2);

    let sub = call(&s, "GET", "/api/v1/bank-accounts?account_number=9876XXXX5432", "", 0).await;
    assert_eq!(sub.body["data"], json!([seed_sub()]));
    assert_eq!(
        sub.body["meta"],
        json!({ "page": 1, "page_size": 50, "total_pages": 1, "total_rows": 1 })
    );

    // Signing the path without its query string must fail.
    let creds = s.credentials();
    let ts = chrono::Utc::now().timestamp().to_string();
    let unsigned_query = format!("{}_GET_/api/v1/master-bank-accounts__{ts}", creds.finan_secret_key);
    let sig = hex::encode(Sha256::digest(unsigned_query.as_bytes()));
    let headers = [
        ("x-client-id", creds.finan_client_id.as_str()),
        ("x-timestamp", &ts),
        ("x-signature", &sig),
    ];
    let reply = send(
        &s,
        "GET",
        &format!("/api/v1/master-bank-accounts?id={mb}"),
        "",
        &headers,
    )
    .await;
    assert_error(&reply, StatusCode::UNAUTHORIZED, "Invalid signature");
}

#[tokio::test]
async fn authentication_failures_are_401() {
    let s = Sandbox::start().await.unwrap();
    let creds = s.credentials().clone();
    let ts = chrono::Utc::now().timestamp().to_string();
    let path = "/api/v1/bank-accounts";
    let good = hex::encode(Sha256::digest(
        format!("{}_GET_{path}__{ts}", creds.finan_secret_key).as_bytes(),
    ));
    let bad = hex::encode(Sha256::digest(format!("wrong_GET_{path}__{ts}").as_bytes()));
    let id = creds.finan_client_id.as_str();

    let cases: [(&[(&str, &str)], &str); 5] = [
        (
            &[("x-client-id", id), ("x-timestamp", &ts), ("x-signature", &bad)],
            "Invalid signature",
        ),
        (
            &[("x-client-id", id), ("x-timestamp", &ts)],
            "Missing authentication headers",
        ),
        (
            &[
                ("x-client-id", "someone-else"),
                ("x-timestamp", &ts),
                ("x-signature", &good),
            ],
            "Invalid client id",
        ),
        (
            &[("x-client-id", id), ("x-timestamp", "soon"), ("x-signature", &good)],
            "Invalid timestamp",
        ),
        (
            &[("x-client-id", id), ("x-timestamp", &ts), ("x-signature", &good[..63])],
            "Invalid signature",
        ),
    ];
    for (headers, reason) in cases {
        assert_error(
            &send(&s, "GET", path, "", headers).await,
            StatusCode::UNAUTHORIZED,
            reason,
        );
    }
    // Upper-case hex is refused, as Finan's exact string compare would.
    let upper = good.to_uppercase();
    let reply = send(
        &s,
        "GET",
        path,
        "",
        &[("x-client-id", id), ("x-timestamp", &ts), ("x-signature", &upper)],
    )
    .await;
    assert_error(&reply, StatusCode::UNAUTHORIZED, "Invalid signature");
    // Unknown routes are behind authentication too.
    assert_error(
        &send(&s, "GET", "/api/v1/nothing", "", &[]).await,
        StatusCode::UNAUTHORIZED,
        "Missing authentication headers",
    );
    assert_eq!(s.finan().rejected_auth_count(), 7);
    assert_eq!(s.finan().request_count(), 7);
}

#[tokio::test]
async fn timestamp_window_is_thirty_seconds() {
    let s = Sandbox::start().await.unwrap();
    let path = "/api/v1/master-bank-accounts";
    assert_error(
        &call(&s, "GET", path, "", -31).await,
        StatusCode::UNAUTHORIZED,
        "Timestamp expired",
    );
    assert_success(&call(&s, "GET", path, "", -29).await);
    assert_success(&call(&s, "GET", path, "", 29).await);
    assert_error(
        &call(&s, "GET", path, "", 120).await,
        StatusCode::UNAUTHORIZED,
        "Timestamp expired",
    );

    // The server clock running 31 s ahead makes a fresh timestamp stale.
    s.finan().set_clock_skew_secs(31);
    assert_error(
        &call(&s, "GET", path, "", 0).await,
        StatusCode::UNAUTHORIZED,
        "Timestamp expired",
    );
    assert_success(&call(&s, "GET", path, "", 31).await);
    s.finan().set_clock_skew_secs(0);
    assert_success(&call(&s, "GET", path, "", 0).await);
}

#[tokio::test]
async fn created_account_is_visible() {
    let s = Sandbox::start().await.unwrap();
    let body = r#"{"master_account_id":"9c028f93-89f9-4cf5-a2fb-fb8fa8580fe5","account_name":"API TEST BANK ACC"}"#;
    let reply = call(&s, "POST", "/api/v1/bank-accounts", body, 0).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);
    assert_eq!(reply.body["code"], 102001);
    assert_eq!(reply.body["message"], json!({ "content": "Tạo thành công" }));
    assert_request_id(&reply);
    let data = reply.body["data"].as_object().unwrap();
    let mut keys: Vec<&str> = data.keys().map(String::as_str).collect();
    keys.sort_unstable();
    let expected_keys = [
        "account_id",
        "account_name",
        "account_number",
        "bank_code",
        "currency_code",
        "master_account_name",
    ];
    assert_eq!(keys, expected_keys);
    assert_eq!(data["bank_code"], "MB");
    assert_eq!(data["account_name"], "API TEST BANK ACC");
    assert_eq!(data["currency_code"], "704");
    assert_eq!(data["master_account_name"], "TRAN TU THIEN");
    let number = data["account_number"].as_str().unwrap();
    assert!(number.starts_with("VQR") && number.len() == 13, "{number}");
    let id = data["account_id"].as_str().unwrap().to_owned();
    assert_eq!(s.finan().sub_account_count(), 121);

    let fetched = call(&s, "GET", &format!("/api/v1/bank-accounts/{id}"), "", 0).await;
    assert_success(&fetched);
    let account = &fetched.body["data"];
    assert_eq!(account["account_id"], id.as_str());
    assert_eq!(account["account_number"], number);
    assert_eq!(account["balance"], 0);
    assert_eq!(account["status"], "active");
    assert_eq!(account["currency"], "VND");
    assert!(account["qr_code"]
        .as_str()
        .unwrap()
        .starts_with("https://api.finan.one/qr/"));

    let last = call(&s, "GET", "/api/v1/bank-accounts?page=3", "", 0).await;
    assert_eq!(last.body["meta"]["total_rows"], 121);
    assert_eq!(last.body["data"][20], *account);
}

#[tokio::test]
async fn not_found_answers_are_envelopes() {
    let s = Sandbox::start().await.unwrap();
    let seed = call(
        &s,
        "GET",
        "/api/v1/bank-accounts/660e8400-e29b-41d4-a716-446655440001",
        "",
        0,
    )
    .await;
    assert_success(&seed);
    assert_eq!(seed.body["data"], seed_sub());

    let unknown = call(
        &s,
        "GET",
        "/api/v1/bank-accounts/00000000-0000-4000-8000-000000000000",
        "",
        0,
    )
    .await;
    assert_error(&unknown, StatusCode::NOT_FOUND, "Bank account not found");
    assert_error(
        &call(&s, "GET", "/api/v1/refunds", "", 0).await,
        StatusCode::NOT_FOUND,
        "Route not found",
    );
    assert_error(
        &call(&s, "DELETE", "/api/v1/bank-accounts", "", 0).await,
        StatusCode::METHOD_NOT_ALLOWED,
        "Method not allowed",
    );

    let body = r#"{"master_account_id":"00000000-0000-4000-8000-000000000000","account_name":"X"}"#;
    let reply = call(&s, "POST", "/api/v1/bank-accounts", body, 0).await;
    assert_error(&reply, StatusCode::NOT_FOUND, "Master account does not exist");

    // Outside `/open` there is nothing, and it is not counted as an API request.
    let count = s.finan().request_count();
    let url = s.finan_base_url().replace("/open", "/api/v1/bank-accounts");
    let outside = reqwest::get(url).await.unwrap();
    assert_eq!(outside.status(), StatusCode::NOT_FOUND);
    assert_eq!(s.finan().request_count(), count);
}

#[tokio::test]
async fn invalid_bodies_and_parameters() {
    let s = Sandbox::start().await.unwrap();
    let post = |body: &'static str| call(&s, "POST", "/api/v1/bank-accounts", body, 0);
    let master = "550e8400-e29b-41d4-a716-446655440000";

    assert_error(
        &post("{not json").await,
        StatusCode::BAD_REQUEST,
        "Invalid request body",
    );
    assert_error(&post("[]").await, StatusCode::BAD_REQUEST, "Invalid request body");
    let missing = format!(r#"{{"master_account_id":"{master}"}}"#);
    let reply = call(&s, "POST", "/api/v1/bank-accounts", &missing, 0).await;
    assert_error(&reply, StatusCode::BAD_REQUEST, "account_name is required");
    let blank = format!(r#"{{"master_account_id":"{master}","account_name":"   "}}"#);
    let reply = call(&s, "POST", "/api/v1/bank-accounts", &blank, 0).await;
    assert_error(
        &reply,
        StatusCode::UNPROCESSABLE_ENTITY,
        "account_name must not be empty",
    );
    let long = format!(
        r#"{{"master_account_id":"{master}","account_name":"{}"}}"#,
        "Ă".repeat(101)
    );
    let reply = call(&s, "POST", "/api/v1/bank-accounts", &long, 0).await;
    assert_error(
        &reply,
        StatusCode::UNPROCESSABLE_ENTITY,
        "account_name must be at most 100 characters",
    );
    assert_eq!(s.finan().sub_account_count(), 120);

    for (query, reason) in [
        ("page_size=abc", "page_size must be a positive integer"),
        ("page_size=0", "page_size must be a positive integer"),
        ("page=-1", "page must be a positive integer"),
        ("page_size=101", "page_size must be at most 100"),
    ] {
        let reply = call(&s, "GET", &format!("/api/v1/bank-accounts?{query}"), "", 0).await;
        assert_error(&reply, StatusCode::BAD_REQUEST, reason);
    }

    let huge = "x".repeat((1 << 20) + 1);
    let reply = call(&s, "POST", "/api/v1/bank-accounts", &huge, 0).await;
    assert_error(&reply, StatusCode::PAYLOAD_TOO_LARGE, "Request body too large");
}

#[tokio::test]
async fn rate_limit_answers_429_with_retry_after() {
    let config = SandboxConfig {
        finan_requests_per_minute: Some(3),
        ..SandboxConfig::default()
    };
    let s = Sandbox::start_with(config, SandboxCredentials::default())
        .await
        .unwrap();
    let path = "/api/v1/master-bank-accounts";
    for _ in 0..3 {
        assert_success(&call(&s, "GET", path, "", 0).await);
    }
    // Rejected authentication does not use up the window.
    assert_eq!(call(&s, "GET", path, "", -100).await.status, StatusCode::UNAUTHORIZED);

    let reply = call(&s, "GET", path, "", 0).await;
    let retry_after: u64 = reply.headers["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=60).contains(&retry_after), "{retry_after}");
    assert_error(
        &reply,
        StatusCode::TOO_MANY_REQUESTS,
        &format!("Rate limit exceeded. Retry after {retry_after} seconds."),
    );
    assert_eq!(s.finan().rate_limited_count(), 1);
    assert_eq!(s.finan().request_count(), 5);
}

#[tokio::test]
async fn debug_output_names_the_state() {
    let s = Sandbox::start().await.unwrap();
    let text = format!("{:?}", s.finan());
    assert!(
        text.contains("sandbox-finan-client") && text.contains("sub_accounts: 120"),
        "{text}"
    );
}
