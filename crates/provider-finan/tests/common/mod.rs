//! Helpers shared by the integration tests.
#![allow(dead_code)]

use provider_finan::{FinanClient, SecretString};
use serde_json::{json, Value};
use wiremock::MockServer;

pub const CLIENT_ID: &str = "test-client-id";
pub const SECRET: &str = "test-secret-key-5f3a9c";

/// A client pointed at `server` with Finan's `/open` prefix.
pub fn client(server: &MockServer) -> FinanClient {
    FinanClient::builder()
        .client_id(CLIENT_ID)
        .secret_key(SecretString::from(SECRET))
        .base_url(&format!("{}/open", server.uri()))
        .build()
        .expect("valid configuration")
}

/// A fixture file from `tests/fixtures/`, verbatim.
pub fn fixture(name: &str) -> String {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// A success envelope around `data`.
pub fn ok(data: Value) -> Value {
    json!({"message": {"content": "ok"}, "code": 102000, "request_id": "req-ok", "data": data})
}

/// A success envelope around one page of `data`.
pub fn ok_page(data: Value, page: u64, page_size: u64, total_pages: u64, total_rows: u64) -> Value {
    let mut v = ok(data);
    v["meta"] = json!({"page": page, "page_size": page_size, "total_pages": total_pages, "total_rows": total_rows});
    v
}

/// An account object as Finan lists it.
pub fn account(id: &str, number: &str, name: &str) -> Value {
    json!({
        "account_id": id,
        "account_number": number,
        "account_name": name,
        "bank_code": "MB",
        "qr_code": "https://api.finan.one/qr/x",
        "balance": 1000,
        "currency": "VND",
        "status": "active",
        "created_at": "2024-01-20T14:00:00Z"
    })
}

/// An error envelope as Finan sends it.
pub fn error_body(error: &str, request_id: &str) -> Value {
    json!({"message": {"content": "Yêu cầu không hợp lệ", "error": error}, "code": 104000, "request_id": request_id})
}
