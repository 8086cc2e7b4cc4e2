//! End-to-end tests of payment requests: the signed API (create, list, get, every documented error)
//! and the unsigned payer controls (pay, expire). Webhook delivery is in `webhook_tests.rs`.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{json, Value};

use super::tests::{assert_error, assert_request_id, assert_success, call, data_len, Reply};
use super::{PayError, PaymentStatus};
use crate::{Sandbox, SandboxConfig, SandboxCredentials};

const MB_MASTER: &str = "9c028f93-89f9-4cf5-a2fb-fb8fa8580fe5";
const SHB_MASTER: &str = "550e8400-e29b-41d4-a716-446655440000";
const SEED_SUB: &str = "660e8400-e29b-41d4-a716-446655440001";
const ERROR_CONTENT: &str = "Yêu cầu không hợp lệ";

/// A sandbox without the per-minute limit and with millisecond webhook retries.
pub(super) async fn sandbox() -> Sandbox {
    let config = SandboxConfig {
        finan_requests_per_minute: None,
        finan_webhook_retry_delays: [50, 100, 150].map(Duration::from_millis).to_vec(),
        finan_webhook_timeout: Duration::from_secs(5),
        ..SandboxConfig::default()
    };
    Sandbox::start_with(config, SandboxCredentials::default())
        .await
        .unwrap()
}

/// The seed's create example, with an account the sandbox knows (the seed's own id is unknown here).
pub(super) fn seed_body() -> Value {
    json!({
        "merchant": {
            "name": "Finan pte",
            "phone": "02833223243",
            "address": "195/10A, Dien Bien Phu, P15, Binh Thanh",
            "email": "finan@example.com"
        },
        "items": [{ "name": "So Ban Hang Pro 3 Nam", "price": 3000000, "quantity": 2, "amount": 6000000 }],
        "customer": {
            "name": "Nguyen Van A",
            "phone": "0933450210",
            "address": "15, Le Duan, q3, Quan 1",
            "email": "nguyenvana@example.com"
        },
        "payment_method": "bank_transfer",
        "account_id": MB_MASTER,
        "amount": 6000000,
        "description": "thanh toan don hang",
        "reference_id": "54fgi4537-0cb5-4992-ad0e-76d26ba4ddc3",
        "reference_type": "invoice",
        "success_redirect_url": "https://your-site.com/success",
        "failure_redirect_url": "https://your-site.com/failure"
    })
}

/// A minimal valid body.
pub(super) fn simple_body(method: &str, amount: u64, reference_id: &str) -> Value {
    json!({ "payment_method": method, "amount": amount, "reference_id": reference_id })
}

pub(super) async fn create(s: &Sandbox, body: &Value) -> Reply {
    call(s, "POST", "/api/v1/payments", &body.to_string(), 0).await
}

/// Creates and returns the new `payment_request_id`.
pub(super) async fn create_id(s: &Sandbox, body: &Value) -> String {
    let reply = create(s, body).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);
    reply.body["data"]["payment_request_id"].as_str().unwrap().to_owned()
}

/// An unsigned call to a `/__sandbox/finan/...` control route.
pub(super) async fn control(s: &Sandbox, method: &str, path: &str, body: Option<Value>) -> (StatusCode, Value) {
    let base = s.finan_base_url();
    let url = format!("{}{path}", base.trim_end_matches("/open"));
    let mut request = reqwest::Client::new().request(method.parse().unwrap(), url);
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.unwrap();
    let status = response.status();
    (status, response.json().await.unwrap())
}

/// Checks that `value` has exactly `expected` as keys and that they appear in that order in `raw`
/// (`serde_json::Value` itself sorts keys).
pub(super) fn assert_keys(raw: &str, value: &Value, expected: &[&str]) {
    let mut got: Vec<&str> = value.as_object().unwrap().keys().map(String::as_str).collect();
    let mut want = expected.to_vec();
    got.sort_unstable();
    want.sort_unstable();
    assert_eq!(got, want);
    let mut from = 0;
    for key in expected {
        let at = raw[from..]
            .find(&format!("\"{key}\":"))
            .unwrap_or_else(|| panic!("{key} out of order in {raw}"));
        from += at + key.len();
    }
}

fn is_code(text: &str) -> bool {
    text.len() == 8 && text.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
}

fn control_error(reply: &(StatusCode, Value), status: StatusCode, reason: &str) {
    assert_eq!(reply.0, status, "{}", reply.1);
    assert_eq!(reply.1["message"], json!({ "content": ERROR_CONTENT, "error": reason }));
    assert_eq!(reply.1["code"], 104000);
}

#[tokio::test]
async fn create_answers_the_seed_shape() {
    let s = sandbox().await;
    let reply = create(&s, &seed_body()).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);
    assert_eq!(reply.body["code"], 102001);
    assert_eq!(reply.body["message"], json!({ "content": "Tạo thành công" }));
    assert_request_id(&reply);
    let data = &reply.body["data"];
    assert_keys(
        &reply.raw,
        data,
        &[
            "payment_request_id",
            "payment_request_code",
            "payment_url",
            "bank_transfer_detail",
        ],
    );
    let id = data["payment_request_id"].as_str().unwrap();
    assert!(uuid::Uuid::parse_str(id).is_ok(), "{id}");
    assert!(is_code(data["payment_request_code"].as_str().unwrap()), "{data}");
    assert_eq!(data["payment_url"], "");

    let detail = &data["bank_transfer_detail"];
    let after = reply.raw.find("bank_transfer_detail").unwrap();
    assert_keys(
        &reply.raw[after..],
        detail,
        &["qr_code", "bank_name", "account_name", "account_number", "remark"],
    );
    assert_eq!(detail["bank_name"], "MB");
    assert_eq!(detail["account_name"], "TRAN TU THIEN");
    assert_eq!(detail["account_number"], "0933450210");
    let remark = detail["remark"].as_str().unwrap();
    assert!(is_code(remark), "{remark}");
    let qr = detail["qr_code"].as_str().unwrap();
    assert!(qr.starts_with("00020101021238"), "{qr}");
    for part in [
        "0010A000000727",
        "0006970422",
        "01100933450210",
        "0208QRIBFTTA",
        "5303704",
        "54076000000",
        "5802VN",
    ] {
        assert!(qr.contains(part), "{part} in {qr}");
    }
    assert!(qr.contains(&format!("62120808{remark}6304")), "{qr}");
    assert_eq!(qr[qr.len() - 4..], crc16(&qr.as_bytes()[..qr.len() - 4]), "{qr}");

    let stored = s.finan().payment_request(id).unwrap();
    assert_eq!(stored.status, PaymentStatus::Unpaid);
    assert_eq!((stored.amount, stored.paid_amount), (6_000_000, 0));
    assert!(!stored.expired);
    let created = chrono::DateTime::parse_from_rfc3339(&stored.created_at).unwrap();
    let expires = chrono::DateTime::parse_from_rfc3339(&stored.expires_at).unwrap();
    assert_eq!(expires - created, chrono::Duration::minutes(30));
    assert_eq!(stored.remark, remark);
    assert_eq!(s.finan().payment_request_count(), 1);
}

/// CRC-16/CCITT-FALSE, written out again here so the test does not trust the module's copy.
fn crc16(bytes: &[u8]) -> String {
    let mut crc: u16 = 0xFFFF;
    for &b in bytes {
        crc ^= u16::from(b) << 8;
        for _ in 0..8 {
            crc = if crc & 0x8000 == 0 {
                crc << 1
            } else {
                (crc << 1) ^ 0x1021
            };
        }
    }
    format!("{crc:04X}")
}

#[tokio::test]
async fn receiving_account_and_hosted_page() {
    let s = sandbox().await;
    // No account_id: the MB master (account_id is required for Shinhan, the "SHB" master).
    let reply = create(&s, &simple_body("bank_transfer", 500_000, "ORDER-001")).await;
    assert_eq!(
        reply.body["data"]["bank_transfer_detail"]["account_number"],
        "0933450210"
    );

    // A sub account receives into its own (virtual) number.
    let mut body = simple_body("bank_transfer", 500_000, "ORDER-002");
    body["account_id"] = json!(SEED_SUB);
    let detail = &create(&s, &body).await.body["data"]["bank_transfer_detail"];
    assert_eq!(detail["account_number"], "9876XXXX5432");
    assert_eq!(detail["account_name"], "KE TOAN");
    assert_eq!(detail["bank_name"], "SHB");
    assert!(detail["qr_code"].as_str().unwrap().contains("0006970424"), "{detail}");

    for (i, method) in ["card", "ewallet_momo"].into_iter().enumerate() {
        let mut body = simple_body(method, 250_000, &format!("ORDER-1{i}"));
        body["account_id"] = json!(SHB_MASTER);
        let reply = create(&s, &body).await;
        assert_eq!(reply.status, StatusCode::CREATED);
        let data = &reply.body["data"];
        let code = data["payment_request_code"].as_str().unwrap();
        assert_eq!(data["payment_url"], format!("https://pay.finan.one/{code}"));
        assert_eq!(data["bank_transfer_detail"], Value::Null);
    }
}

#[tokio::test]
async fn create_validation_errors() {
    let s = sandbox().await;
    let bad = StatusCode::BAD_REQUEST;
    let rule = StatusCode::UNPROCESSABLE_ENTITY;
    let post = |body: String| {
        let s = &s;
        async move { call(s, "POST", "/api/v1/payments", &body, 0).await }
    };
    let with = |patch: Value| {
        let mut body = simple_body("card", 6_000_000, "ORDER-1");
        for (k, v) in patch.as_object().unwrap() {
            body[k] = v.clone();
        }
        body.to_string()
    };
    let item = |price: i64, quantity: i64, amount: i64| json!([{ "name": "So Ban Hang Pro 3 Nam", "price": price, "quantity": quantity, "amount": amount }]);

    let cases: Vec<(String, StatusCode, &str)> = vec![
        ("{oops".into(), bad, "Invalid request body"),
        (
            r#"{"amount": 1, "reference_id": "r"}"#.into(),
            bad,
            "payment_method is required",
        ),
        (
            r#"{"payment_method": "card", "reference_id": "r"}"#.into(),
            bad,
            "amount is required",
        ),
        (
            r#"{"payment_method": "card", "amount": 1}"#.into(),
            bad,
            "reference_id is required",
        ),
        (with(json!({ "amount": "6000000" })), bad, "amount must be an integer"),
        (
            with(json!({ "items": [{ "price": 1, "quantity": 1, "amount": 1 }] })),
            bad,
            "items[0].name is required",
        ),
        (
            with(json!({ "items": [{ "name": "a", "quantity": 1, "amount": 1 }] })),
            bad,
            "items[0].price is required",
        ),
        (
            with(json!({ "items": [{ "name": "a", "price": 1, "amount": 1 }] })),
            bad,
            "items[0].quantity is required",
        ),
        (
            with(json!({ "items": [{ "name": "a", "price": 1, "quantity": 1 }] })),
            bad,
            "items[0].amount is required",
        ),
        (
            with(json!({ "customer": { "email": "a@b.vn" } })),
            bad,
            "customer.name is required",
        ),
        (
            with(json!({ "items": item(3_000_000, 2, 5_000_000) })),
            rule,
            "items[0].amount must equal price * quantity",
        ),
        (
            with(json!({ "items": item(3_000_000, 1, 3_000_000) })),
            rule,
            "amount must equal the sum of items[].amount",
        ),
        (
            with(json!({ "description": "x".repeat(31) })),
            rule,
            "description must be at most 30 characters",
        ),
        (
            with(json!({ "payment_method": "cash" })),
            rule,
            "payment_method must be one of bank_transfer, card, ewallet_momo",
        ),
        (with(json!({ "amount": 0 })), rule, "amount must be greater than 0"),
        (
            with(json!({ "amount": -6000000 })),
            rule,
            "amount must be greater than 0",
        ),
        (
            with(json!({ "account_id": "00000000-0000-4000-8000-000000000000" })),
            StatusCode::NOT_FOUND,
            "Account ID not found",
        ),
    ];
    for (body, status, reason) in cases {
        assert_error(&post(body.clone()).await, status, reason);
    }
    assert_eq!(s.finan().payment_request_count(), 0);

    // Invoice payments need no customer name or items; 30 Vietnamese characters fit.
    let mut invoice = seed_body();
    invoice["customer"] = json!({ "email": "a@b.vn" });
    invoice["items"] = json!([{ "name": "only a name" }]);
    invoice["description"] = json!("Thanh toán đơn hàng số 0001234");
    assert_eq!(create(&s, &invoice).await.status, StatusCode::CREATED);

    // The reference is taken while the request lives, per reference_type.
    let again = create(&s, &invoice).await;
    assert_error(&again, StatusCode::CONFLICT, "Duplicate reference_id");
    invoice["reference_type"] = json!("order");
    invoice["customer"] = json!({ "name": "Nguyen Van A" });
    invoice["items"] = seed_body()["items"].clone();
    assert_eq!(create(&s, &invoice).await.status, StatusCode::CREATED);
    assert_eq!(s.finan().payment_request_count(), 2);
}

#[tokio::test]
async fn list_filters_and_pages() {
    let s = sandbox().await;
    let mut ids = Vec::new();
    for i in 0..55 {
        let mut body = simple_body("bank_transfer", 100_000 + i, &format!("ORDER-{i:03}"));
        if i % 5 == 0 {
            body["reference_type"] = json!("invoice");
            body["reference_id"] = json!(format!("INV-{i:03}"));
        }
        ids.push(create_id(&s, &body).await);
    }

    let first = call(&s, "GET", "/api/v1/payments", "", 0).await;
    assert_success(&first);
    assert_eq!(
        first.body["meta"],
        json!({ "page": 1, "page_size": 50, "total_pages": 2, "total_rows": 55 })
    );
    assert_eq!(data_len(&first), 50);
    assert_eq!(first.body["data"][0]["payment_request_id"], ids[0].as_str());
    let second = call(&s, "GET", "/api/v1/payments?page=2&page_size=50", "", 0).await;
    assert_eq!(data_len(&second), 5);
    assert_eq!(second.body["data"][4]["payment_request_id"], ids[54].as_str());
    let small = call(&s, "GET", "/api/v1/payments?page=3&page_size=20", "", 0).await;
    assert_eq!(
        small.body["meta"],
        json!({ "page": 3, "page_size": 20, "total_pages": 3, "total_rows": 55 })
    );
    assert_eq!(data_len(&small), 15);

    let invoices = call(&s, "GET", "/api/v1/payments?reference_type=invoice", "", 0).await;
    assert_eq!(data_len(&invoices), 11);
    assert_eq!(invoices.body["meta"]["total_rows"], 11);
    let one = call(
        &s,
        "GET",
        "/api/v1/payments?reference_type=invoice&reference_id=INV-010",
        "",
        0,
    )
    .await;
    assert_success(&one);
    assert_eq!(data_len(&one), 1);
    assert_eq!(one.body["data"][0]["payment_request_id"], ids[10].as_str());
    let clash = call(
        &s,
        "GET",
        "/api/v1/payments?reference_type=invoice&reference_id=ORDER-001",
        "",
        0,
    )
    .await;
    assert_eq!(clash.body["data"], json!([]));
    let by_id = call(&s, "GET", "/api/v1/payments?reference_id=ORDER-001", "", 0).await;
    assert_eq!(data_len(&by_id), 1);
    let blank = call(&s, "GET", "/api/v1/payments?reference_type=&reference_id=", "", 0).await;
    assert_eq!(blank.body["meta"]["total_rows"], 55);

    for (query, reason) in [
        ("page=0", "page must be a positive integer"),
        ("page_size=101", "page_size must be at most 100"),
    ] {
        let reply = call(&s, "GET", &format!("/api/v1/payments?{query}"), "", 0).await;
        assert_error(&reply, StatusCode::BAD_REQUEST, reason);
    }
}

#[tokio::test]
async fn get_matches_the_seed_list_item() {
    let s = sandbox().await;
    let id = create_id(&s, &seed_body()).await;
    s.finan().pay(&id, 6_000_000).unwrap();

    let reply = call(&s, "GET", &format!("/api/v1/payments/{id}"), "", 0).await;
    assert_success(&reply);
    let item = &reply.body["data"];
    assert_keys(
        &reply.raw,
        item,
        &[
            "payment_request_id",
            "paid_amount",
            "status",
            "payment_method",
            "amount",
            "description",
            "reference_type",
            "reference_id",
            "payments",
            "merchant",
            "customer",
        ],
    );
    let payment = &item["payments"][0];
    let after = reply.raw.find("\"payments\"").unwrap();
    assert_keys(&reply.raw[after..], payment, &["id", "amount", "method", "created_at"]);
    let payment_id = payment["id"].as_str().unwrap();
    assert!(
        payment_id.starts_with("PAY-") && is_code(&payment_id[4..]),
        "{payment_id}"
    );
    let expected = json!({
        "payment_request_id": id,
        "paid_amount": 6000000,
        "status": "paid",
        "payment_method": "bank_transfer",
        "amount": 6000000,
        "description": "thanh toan don hang",
        "reference_type": "invoice",
        "reference_id": "54fgi4537-0cb5-4992-ad0e-76d26ba4ddc3",
        "payments": [{
            "id": payment_id,
            "amount": 6000000,
            "method": "bank_transfer",
            "created_at": payment["created_at"]
        }],
        "merchant": { "name": "Finan pte", "email": "finan@example.com" },
        "customer": { "name": "Nguyen Van A", "email": "nguyenvana@example.com" }
    });
    assert_eq!(*item, expected);
    assert!(chrono::DateTime::parse_from_rfc3339(payment["created_at"].as_str().unwrap()).is_ok());
    let listed = call(&s, "GET", "/api/v1/payments", "", 0).await;
    assert_eq!(listed.body["data"][0], *item);

    // A bare request lists empty strings and null objects.
    let bare = create_id(&s, &simple_body("card", 1_000, "BARE")).await;
    let reply = call(&s, "GET", &format!("/api/v1/payments/{}", bare.to_uppercase()), "", 0).await;
    assert_eq!(reply.body["data"]["description"], "");
    assert_eq!(reply.body["data"]["reference_type"], "");
    assert_eq!(reply.body["data"]["merchant"], Value::Null);
    assert_eq!(reply.body["data"]["payments"], json!([]));

    let unknown = call(
        &s,
        "GET",
        "/api/v1/payments/00000000-0000-4000-8000-000000000000",
        "",
        0,
    )
    .await;
    assert_error(&unknown, StatusCode::NOT_FOUND, "Payment request not found");
}

#[tokio::test]
async fn statuses_follow_the_payments() {
    let s = sandbox().await;
    let id = create_id(&s, &simple_body("bank_transfer", 6_000_000, "ORDER-STATUS")).await;
    let requests_before = s.finan().request_count();
    let pay = |amount: u64| {
        let s = &s;
        let path = format!("/__sandbox/finan/payments/{id}/pay");
        async move { control(s, "POST", &path, Some(json!({ "amount": amount }))).await }
    };

    let (status, body) = pay(2_000_000).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["code"], 102000);
    assert_eq!(body["data"]["payment"]["amount"], 2000000);
    assert_eq!(body["data"]["payment"]["method"], "bank_transfer");
    assert_eq!(body["data"]["payment_request"]["status"], "partial_paid");
    assert_eq!(body["data"]["payment_request"]["paid_amount"], 2000000);

    let (_, body) = pay(4_000_000).await;
    assert_eq!(body["data"]["payment_request"]["status"], "paid");

    let (_, body) = control(
        &s,
        "POST",
        &format!("/__sandbox/finan/payments/{id}/pay"),
        Some(json!({ "amount": 500, "method": "card" })),
    )
    .await;
    assert_eq!(body["data"]["payment"]["method"], "card");
    assert_eq!(body["data"]["payment_request"]["status"], "extra_paid");
    // Control routes are neither signed nor counted as API requests.
    assert_eq!(s.finan().request_count(), requests_before);

    let reply = call(&s, "GET", &format!("/api/v1/payments/{id}"), "", 0).await;
    let item = &reply.body["data"];
    assert_eq!(item["status"], "extra_paid");
    assert_eq!(item["paid_amount"], 6000500);
    let amounts: Vec<&Value> = item["payments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| &p["amount"])
        .collect();
    assert_eq!(amounts, [&json!(2000000), &json!(4000000), &json!(500)]);

    // In process, too.
    let other = create_id(&s, &simple_body("ewallet_momo", 10_000, "ORDER-IN-PROCESS")).await;
    let receipt = s.finan().pay(&other, 9_999).unwrap();
    assert_eq!(receipt.request.status, PaymentStatus::PartialPaid);
    assert_eq!(s.finan().pay(&other, 0), Err(PayError::InvalidAmount));
    assert_eq!(s.finan().pay("no-such-request", 1), Err(PayError::NotFound));
}

#[tokio::test]
async fn expired_requests_refuse_payment() {
    let s = sandbox().await;
    let id = create_id(&s, &simple_body("bank_transfer", 6_000_000, "ORDER-EXPIRE")).await;
    let (status, body) = control(&s, "POST", &format!("/__sandbox/finan/payments/{id}/expire"), None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["data"]["status"], "unpaid");

    let refused = control(
        &s,
        "POST",
        &format!("/__sandbox/finan/payments/{id}/pay"),
        Some(json!({ "amount": 6000000 })),
    )
    .await;
    control_error(&refused, StatusCode::CONFLICT, "Payment request has expired");
    assert_eq!(s.finan().pay(&id, 1), Err(PayError::Expired));
    let request = s.finan().payment_request(&id).unwrap();
    assert!(request.expired);
    assert_eq!((request.status, request.paid_amount), (PaymentStatus::Unpaid, 0));
    assert!(s.finan().deliveries().is_empty());

    // An expired, unpaid request frees its reference for the new request the docs call for.
    let again = create_id(&s, &simple_body("bank_transfer", 6_000_000, "ORDER-EXPIRE")).await;
    assert_ne!(again, id);

    // Thirty minutes on the sandbox clock expire it the natural way.
    s.finan().set_clock_skew_secs(30 * 60);
    assert_eq!(s.finan().pay(&again, 1), Err(PayError::Expired));
    let reply = call(&s, "GET", &format!("/api/v1/payments/{again}"), "", 30 * 60).await;
    assert_eq!(reply.body["data"]["status"], "unpaid");
}

#[tokio::test]
async fn control_errors_are_envelopes() {
    let s = sandbox().await;
    let id = create_id(&s, &simple_body("card", 1_000, "ORDER-CONTROL")).await;
    let pay_path = format!("/__sandbox/finan/payments/{id}/pay");
    let unknown = "/__sandbox/finan/payments/00000000-0000-4000-8000-000000000000";

    let cases = [
        (
            format!("{unknown}/pay"),
            Some(json!({ "amount": 1 })),
            StatusCode::NOT_FOUND,
            "Payment request not found",
        ),
        (
            format!("{unknown}/expire"),
            None,
            StatusCode::NOT_FOUND,
            "Payment request not found",
        ),
        (
            pay_path.clone(),
            Some(json!({})),
            StatusCode::BAD_REQUEST,
            "amount is required",
        ),
        (
            pay_path.clone(),
            Some(json!({ "amount": "1" })),
            StatusCode::BAD_REQUEST,
            "amount must be an integer",
        ),
        (pay_path.clone(), None, StatusCode::BAD_REQUEST, "Invalid request body"),
        (
            pay_path.clone(),
            Some(json!({ "amount": 0 })),
            StatusCode::UNPROCESSABLE_ENTITY,
            "amount must be greater than 0",
        ),
        (
            pay_path.clone(),
            Some(json!({ "amount": -1 })),
            StatusCode::UNPROCESSABLE_ENTITY,
            "amount must be greater than 0",
        ),
        (
            pay_path.clone(),
            Some(json!({ "amount": 1, "method": "cash" })),
            StatusCode::UNPROCESSABLE_ENTITY,
            "method must be one of bank_transfer, card, ewallet_momo",
        ),
    ];
    for (path, body, status, reason) in cases {
        control_error(&control(&s, "POST", &path, body).await, status, reason);
    }
    assert_eq!(s.finan().payment_request(&id).unwrap().paid_amount, 0);
    assert_eq!(s.finan().request_count(), 1);
}
