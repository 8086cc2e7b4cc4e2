//! The payment gateway end to end over HTTP: checkout signatures computed inline from the documented
//! formula (not the module's code), the Order API, the payer simulation, and IPN delivery to a local
//! axum receiver standing in for the merchant.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use hmac::{Hmac, Mac};
use serde_json::{json, Value};
use sha2::Sha256;
use tokio::sync::mpsc;

use crate::{Sandbox, SandboxConfig, SandboxCredentials};

const WAIT: Duration = Duration::from_secs(5);

async fn sandbox() -> Sandbox {
    let config = SandboxConfig {
        sepay_ipn_retry_delays: vec![Duration::from_millis(20); 3],
        ..SandboxConfig::default()
    };
    Sandbox::start_with(config, SandboxCredentials::default())
        .await
        .expect("sandbox starts")
}

/// base64(HMAC-SHA256(secret, "k=v,k=v")) over the signed, non-empty fields in posting order.
fn sign(secret: &str, fields: &[(&str, String)]) -> String {
    let signed = [
        "merchant",
        "env",
        "operation",
        "payment_method",
        "order_amount",
        "currency",
        "order_invoice_number",
        "order_description",
        "customer_id",
        "success_url",
        "error_url",
        "cancel_url",
    ];
    let message = fields
        .iter()
        .filter(|(k, v)| (signed.contains(k) || k.starts_with("agreement_")) && !v.is_empty())
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join(",");
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(message.as_bytes());
    BASE64.encode(mac.finalize().into_bytes())
}

/// The SDKs' field order, for an invoice and amount.
fn form(s: &Sandbox, invoice: &str, amount: &str) -> Vec<(&'static str, String)> {
    vec![
        ("merchant", s.credentials().sepay_merchant_id.clone()),
        ("currency", "VND".into()),
        ("order_amount", amount.into()),
        ("operation", "PURCHASE".into()),
        ("order_description", format!("Thanh toán đơn hàng {invoice}")),
        ("payment_method", "BANK_TRANSFER".into()),
        ("order_invoice_number", invoice.into()),
        ("customer_id", "".into()),
        ("success_url", "https://shop.example/success".into()),
        ("error_url", "https://shop.example/error".into()),
        ("cancel_url", "https://shop.example/cancel".into()),
    ]
}

fn no_redirects() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// Signs `fields` with `secret` and posts them (plus `signature`); returns status, Location and body.
async fn post_checkout(s: &Sandbox, secret: &str, fields: &[(&str, String)]) -> (u16, Option<String>, String) {
    let mut posted: Vec<(&str, String)> = fields.to_vec();
    posted.push(("signature", sign(secret, fields)));
    let response = no_redirects()
        .post(format!("{}/v1/checkout/init", s.sepay_base_url()))
        .form(&posted)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    let location = response
        .headers()
        .get("location")
        .map(|l| l.to_str().unwrap().to_owned());
    (status, location, response.text().await.unwrap())
}

async fn checkout(s: &Sandbox, invoice: &str, amount: &str) -> (u16, Option<String>, String) {
    let secret = s.credentials().sepay_secret_key.clone();
    post_checkout(s, &secret, &form(s, invoice, amount)).await
}

async fn created(s: &Sandbox, fields: &[(&str, String)]) {
    let secret = s.credentials().sepay_secret_key.clone();
    let (status, _, body) = post_checkout(s, &secret, fields).await;
    assert_eq!(status, 303, "{body}");
}

/// An Order API call with the sandbox's Basic credentials; returns status and JSON.
async fn api(s: &Sandbox, method: &str, path: &str, body: Option<Value>) -> (u16, Value) {
    let c = s.credentials();
    call(s, method, path, Some((&c.sepay_merchant_id, &c.sepay_secret_key)), body).await
}

async fn call(s: &Sandbox, method: &str, path: &str, auth: Option<(&str, &str)>, body: Option<Value>) -> (u16, Value) {
    let url = format!("{}{path}", s.sepay_base_url());
    let mut request = reqwest::Client::new().request(method.parse().unwrap(), url);
    if let Some((user, password)) = auth {
        request = request.basic_auth(user, Some(password));
    }
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    assert_eq!(response.headers()["content-type"], "application/json", "{path}");
    (status, response.json().await.unwrap())
}

/// What the merchant's IPN endpoint received.
struct Received {
    headers: HeaderMap,
    body: Bytes,
}

#[derive(Clone)]
struct Merchant {
    replies: Arc<Mutex<VecDeque<u16>>>,
    seen: mpsc::UnboundedSender<Received>,
}

async fn endpoint(State(m): State<Merchant>, headers: HeaderMap, body: Bytes) -> StatusCode {
    let _ = m.seen.send(Received { headers, body });
    let status = m.replies.lock().unwrap().pop_front().unwrap_or(200);
    StatusCode::from_u16(status).unwrap()
}

/// A merchant IPN endpoint answering `replies` in order, then 200; returns its URL.
async fn merchant(replies: &[u16]) -> (String, mpsc::UnboundedReceiver<Received>) {
    let (seen, received) = mpsc::unbounded_channel();
    let state = Merchant {
        replies: Arc::new(Mutex::new(replies.iter().copied().collect())),
        seen,
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = axum::Router::new().fallback(endpoint).with_state(state);
    tokio::spawn(async move { axum::serve(listener, app).await });
    (format!("http://{addr}/ipn"), received)
}

async fn next(received: &mut mpsc::UnboundedReceiver<Received>) -> Received {
    tokio::time::timeout(WAIT, received.recv()).await.unwrap().unwrap()
}

#[tokio::test]
async fn signed_checkout_redirects_to_the_hosted_page_with_an_order_awaiting_payment() {
    let s = sandbox().await;
    let (status, location, body) = checkout(&s, "INV-1001", "150000").await;
    assert_eq!(status, 303, "{body}");
    let location = location.unwrap();
    let orders = s.sepay().orders();
    assert_eq!(orders.len(), 1);
    let order = &orders[0];
    assert_eq!(location, format!("/__sandbox/sepay/pay/{}", order.order_id));
    assert!(order.order_id.starts_with("ORD-"));
    assert_eq!(order.order_status, "AUTHENTICATION_NOT_NEEDED");
    assert_eq!(order.order_amount, "150000.00");
    assert_eq!(order.order_invoice_number, "INV-1001");
    assert_eq!(order.payment_method.as_deref(), Some("BANK_TRANSFER"));
    assert_eq!(order.customer_id, None);
    assert_eq!(order.created_at.len(), "2026-01-01 00:00:00".len());

    // The hosted page shows the order.
    let page = reqwest::get(format!("{}{location}", s.sepay_base_url())).await.unwrap();
    assert_eq!(page.status(), 200);
    let page = page.text().await.unwrap();
    assert!(page.contains(&order.order_id) && page.contains("150000.00"), "{page}");

    // VERIFY takes amount 0; agreement_* fields are signed too.
    let mut verify = form(&s, "VERIFY-1", "0");
    verify[3].1 = "VERIFY".into();
    verify.push(("agreement_name", "Gói tháng".into()));
    created(&s, &verify).await;
    assert_eq!(s.sepay().order("VERIFY-1").unwrap().order_amount, "0.00");
}

#[tokio::test]
async fn checkout_refuses_bad_signatures_merchants_amounts_and_duplicate_invoices() {
    let s = sandbox().await;
    let secret = s.credentials().sepay_secret_key.clone();
    let expect_400 = |(status, location, body): (u16, Option<String>, String), code: &str| {
        assert_eq!(status, 400, "{body}");
        assert_eq!(location, None);
        let body: Value = serde_json::from_str(&body).unwrap();
        assert_eq!(body["error_code"], code, "{body}");
    };

    expect_400(
        post_checkout(&s, "wrong-secret", &form(&s, "A-1", "1000")).await,
        "INVALID_SIGNATURE",
    );
    // Signed in one order, posted in another: the signature no longer matches.
    let fields = form(&s, "A-1", "1000");
    let mut posted = fields.clone();
    posted.swap(0, 1);
    posted.push(("signature", sign(&secret, &fields)));
    let response = no_redirects()
        .post(format!("{}/v1/checkout/init", s.sepay_base_url()))
        .form(&posted)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    // A tampered amount.
    let mut tampered = fields.clone();
    tampered.push(("signature", sign(&secret, &fields)));
    tampered[2].1 = "1".into();
    let response = no_redirects()
        .post(format!("{}/v1/checkout/init", s.sepay_base_url()))
        .form(&tampered)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);

    let mut wrong_merchant = form(&s, "A-1", "1000");
    wrong_merchant[0].1 = "SOMEONE-ELSE".into();
    expect_400(post_checkout(&s, &secret, &wrong_merchant).await, "INVALID_MERCHANT");
    let mut usd = form(&s, "A-1", "1000");
    usd[1].1 = "USD".into();
    expect_400(post_checkout(&s, &secret, &usd).await, "INVALID_CURRENCY");
    for amount in ["0", "-5", "10.5", "abc"] {
        expect_400(checkout(&s, "A-1", amount).await, "INVALID_AMOUNT");
    }
    assert!(s.sepay().orders().is_empty());

    assert_eq!(checkout(&s, "A-1", "1000").await.0, 303);
    expect_400(checkout(&s, "A-1", "2000").await, "DUPLICATE_INVOICE_NUMBER");
    // Once cancelled, the invoice number is free again.
    s.sepay().cancel_order("A-1").unwrap();
    assert_eq!(checkout(&s, "A-1", "2000").await.0, 303);
    assert_eq!(s.sepay().orders().len(), 2);
    assert_eq!(s.sepay().order("A-1").unwrap().order_amount, "2000.00");
}

#[tokio::test]
async fn the_order_api_requires_the_merchants_basic_credentials() {
    let s = sandbox().await;
    let merchant = s.credentials().sepay_merchant_id.clone();
    for auth in [
        None,
        Some((merchant.as_str(), "wrong")),
        Some(("other", "sandbox-sepay-pg-secret-key")),
    ] {
        let (status, body) = call(&s, "GET", "/v1/order", auth, None).await;
        assert_eq!(status, 401, "{body}");
        assert_eq!(body["error_code"], "UNAUTHORIZED");
    }
    let bearer = reqwest::Client::new()
        .get(format!("{}/v1/order", s.sepay_base_url()))
        .bearer_auth(&s.credentials().sepay_secret_key)
        .send()
        .await
        .unwrap();
    assert_eq!(bearer.status(), 401);
    let (status, _) = call(
        &s,
        "POST",
        "/v1/order/cancel",
        None,
        Some(json!({"order_invoice_number": "x"})),
    )
    .await;
    assert_eq!(status, 401);
    let (status, body) = api(&s, "GET", "/v1/order", None).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["data"], json!([]));
    assert_eq!(body["meta"]["total"], 0);
}

#[tokio::test]
async fn the_order_list_filters_and_pages() {
    let s = sandbox().await;
    for i in 1..=25 {
        let mut fields = form(&s, &format!("LIST-{i:02}"), &format!("{}", i * 1000));
        if i % 5 == 0 {
            fields[4].1 = "Áo khoác mùa đông".into();
            fields[7].1 = "CUST-7".into();
        }
        created(&s, &fields).await;
    }
    s.sepay().pay_order("LIST-03").unwrap();
    s.sepay().pay_order("LIST-04").unwrap();

    let (status, body) = api(&s, "GET", "/v1/order", None).await;
    assert_eq!(status, 200);
    assert_eq!(
        body["meta"],
        json!({"per_page": 20, "total": 25, "has_more": true, "current_page": 1, "page_count": 2})
    );
    let first = body["data"].as_array().unwrap();
    assert_eq!(first.len(), 20);
    assert_eq!(first[0]["order_invoice_number"], "LIST-25", "newest first");
    let (_, body) = api(&s, "GET", "/v1/order?page=2", None).await;
    assert_eq!(body["data"].as_array().unwrap().len(), 5);
    assert_eq!(body["meta"]["has_more"], false);
    assert_eq!(body["meta"]["current_page"], 2);
    let (_, body) = api(&s, "GET", "/v1/order?per_page=10&page=3", None).await;
    assert_eq!(body["data"].as_array().unwrap().len(), 5);
    assert_eq!(body["meta"]["page_count"], 3);
    let (_, body) = api(&s, "GET", "/v1/order?per_page=100", None).await;
    assert_eq!(body["data"].as_array().unwrap().len(), 25);

    let (_, body) = api(&s, "GET", "/v1/order?q=LIST-1", None).await;
    assert_eq!(body["meta"]["total"], 10, "LIST-10..19");
    let (_, body) = api(&s, "GET", "/v1/order?q=%C3%A1o%20kho%C3%A1c", None).await;
    assert_eq!(body["meta"]["total"], 5, "description, case-insensitive");
    let (_, body) = api(&s, "GET", "/v1/order?order_status=CAPTURED", None).await;
    let invoices: Vec<&str> = body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["order_invoice_number"].as_str().unwrap())
        .collect();
    assert_eq!(invoices, ["LIST-04", "LIST-03"]);
    let (_, body) = api(
        &s,
        "GET",
        "/v1/order?customer_id=CUST-7&order_status=AUTHENTICATION_NOT_NEEDED",
        None,
    )
    .await;
    assert_eq!(body["meta"]["total"], 5);
    assert_eq!(body["data"][0]["customer_id"], "CUST-7");

    let today = &s.sepay().orders()[0].created_at[..10];
    let (_, body) = api(
        &s,
        "GET",
        &format!("/v1/order?from_created_at={today}&to_created_at={today}"),
        None,
    )
    .await;
    assert_eq!(body["meta"]["total"], 25);
    let (_, body) = api(&s, "GET", "/v1/order?to_created_at=2020-01-01", None).await;
    assert_eq!(body["meta"]["total"], 0);
    assert_eq!(body["meta"]["has_more"], false);

    for bad in [
        "per_page=0",
        "per_page=101",
        "page=0",
        "page=x",
        "from_created_at=2026-13-01",
    ] {
        let (status, body) = api(&s, "GET", &format!("/v1/order?{bad}"), None).await;
        assert_eq!(status, 400, "{bad}: {body}");
    }
}

#[tokio::test]
async fn order_detail_by_id_order_id_or_invoice_number() {
    let s = sandbox().await;
    created(&s, &form(&s, "DET-1", "99000")).await;
    let order = s.sepay().order("DET-1").unwrap();
    for key in [&order.id, &order.order_id, &order.order_invoice_number] {
        let (status, body) = api(&s, "GET", &format!("/v1/order/detail/{key}"), None).await;
        assert_eq!(status, 200, "{body}");
        let data = &body["data"];
        assert_eq!(data["id"], order.id.as_str());
        assert_eq!(data["order_id"], order.order_id.as_str());
        assert_eq!(data["order_status"], "AUTHENTICATION_NOT_NEEDED");
        assert_eq!(data["order_amount"], "99000.00");
        assert_eq!(data["order_currency"], "VND");
        assert_eq!(data["order_description"], "Thanh toán đơn hàng DET-1");
        assert_eq!(data["customer_id"], Value::Null);
        assert_eq!(data["payment_method"], "BANK_TRANSFER");
        assert_eq!(data["created_at"], order.created_at.as_str());
        assert_eq!(data["transactions"], json!([]));
    }
    let (status, body) = api(&s, "GET", "/v1/order/detail/NOPE", None).await;
    assert_eq!(status, 404);
    assert_eq!(body["error_code"], "ORDER_NOT_FOUND");
}

#[tokio::test]
async fn paying_captures_the_order_and_delivers_the_ipn() {
    let s = sandbox().await;
    let (url, mut received) = merchant(&[]).await;
    let (status, body) = call(&s, "POST", "/__sandbox/sepay/ipn", None, Some(json!({ "url": url }))).await;
    assert_eq!((status, &body["data"]["url"]), (200, &json!(url)));
    let mut fields = form(&s, "PAY-1", "250000");
    fields[7].1 = "CUST-42".into();
    created(&s, &fields).await;

    let (status, body) = call(
        &s,
        "POST",
        "/__sandbox/sepay/orders/PAY-1/pay",
        None,
        Some(json!({"payment_method": "CARD"})),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["data"]["order_status"], "CAPTURED");
    assert_eq!(body["data"]["payment_method"], "CARD");
    let (_, detail) = api(&s, "GET", "/v1/order/detail/PAY-1", None).await;
    let transactions = detail["data"]["transactions"].as_array().unwrap();
    assert_eq!(transactions.len(), 1);
    assert_eq!(transactions[0]["transaction_type"], "PAYMENT");
    assert_eq!(transactions[0]["amount"], "250000.00");
    assert_eq!(transactions[0]["status"], "APPROVED");

    let ipn = next(&mut received).await;
    assert_eq!(ipn.headers["x-secret-key"], s.credentials().sepay_secret_key.as_str());
    assert_eq!(ipn.headers["content-type"], "application/json");
    let body: Value = serde_json::from_slice(&ipn.body).unwrap();
    let now = chrono::Utc::now().timestamp();
    assert!((now - body["timestamp"].as_i64().unwrap()).abs() < 60, "{body}");
    assert_eq!(body["notification_type"], "ORDER_PAID");
    assert_eq!(body["order"], detail["data"]);
    assert_eq!(body["transaction"], transactions[0]);
    assert_eq!(body["customer"], json!({"customer_id": "CUST-42"}));

    let deliveries = s.sepay().wait_for_ipn_deliveries(1, WAIT).await;
    assert_eq!(deliveries.len(), 1);
    assert!(deliveries[0].succeeded() && !deliveries[0].will_retry);
    assert_eq!(deliveries[0].order_invoice_number, "PAY-1");
    let (_, listed) = call(&s, "GET", "/__sandbox/sepay/ipn/deliveries", None, None).await;
    assert_eq!(listed["data"][0]["status_code"], 200);

    // Paying twice, or an unknown invoice, is refused.
    let (status, _) = call(&s, "POST", "/__sandbox/sepay/orders/PAY-1/pay", None, None).await;
    assert_eq!(status, 422);
    let (status, _) = call(&s, "POST", "/__sandbox/sepay/orders/NOPE/pay", None, None).await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn a_failed_ipn_is_retried_and_a_missing_url_is_recorded() {
    let s = sandbox().await;
    created(&s, &form(&s, "NOURL-1", "1000")).await;
    s.sepay().pay_order("NOURL-1").unwrap();
    let log = s.sepay().wait_for_ipn_deliveries(1, WAIT).await;
    assert_eq!(log[0].error.as_deref(), Some("URL Not Set"));
    assert!(!log[0].will_retry);

    let (url, mut received) = merchant(&[500]).await;
    s.sepay().set_ipn_url(Some(url));
    created(&s, &form(&s, "RETRY-1", "1000")).await;
    s.sepay().pay_order("RETRY-1").unwrap();
    let first = next(&mut received).await;
    let second = next(&mut received).await;
    assert_eq!(first.body, second.body, "a retry resends the same notification");
    let log = s.sepay().wait_for_ipn_deliveries(3, WAIT).await;
    let attempts: Vec<_> = log[1..]
        .iter()
        .map(|d| (d.attempt, d.status_code, d.will_retry))
        .collect();
    assert_eq!(attempts, [(1, Some(500), true), (2, Some(200), false)]);
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(s.sepay().ipn_deliveries().len(), 3, "no attempt after a 200");
}

#[tokio::test]
async fn cancel_only_while_awaiting_payment_and_void_only_when_captured() {
    let s = sandbox().await;
    let (url, mut received) = merchant(&[]).await;
    s.sepay().set_ipn_url(Some(url));
    created(&s, &form(&s, "C-1", "5000")).await;
    created(&s, &form(&s, "V-1", "7000")).await;

    let cancel = |invoice: &str| json!({ "order_invoice_number": invoice });
    let (status, body) = api(&s, "POST", "/v1/order/voidTransaction", Some(cancel("C-1"))).await;
    assert_eq!(status, 422, "void before payment: {body}");
    let (status, body) = api(&s, "POST", "/v1/order/cancel", Some(cancel("C-1"))).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["data"]["order_status"], "CANCELLED");
    let (status, _) = api(&s, "POST", "/v1/order/cancel", Some(cancel("C-1"))).await;
    assert_eq!(status, 422, "already cancelled");
    assert_eq!(
        s.sepay().pay_order("C-1").unwrap_err(),
        crate::sepay::OrderError::NotAwaitingPayment
    );

    s.sepay().pay_order("V-1").unwrap();
    let paid = next(&mut received).await;
    let (status, _) = api(&s, "POST", "/v1/order/cancel", Some(cancel("V-1"))).await;
    assert_eq!(status, 422, "cancel after payment");
    let (status, body) = api(&s, "POST", "/v1/order/voidTransaction", Some(cancel("V-1"))).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["data"]["order_status"], "CANCELLED");
    let kinds: Vec<&str> = body["data"]["transactions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["transaction_type"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["PAYMENT", "VOID"]);
    let voided = next(&mut received).await;
    let paid: Value = serde_json::from_slice(&paid.body).unwrap();
    let voided: Value = serde_json::from_slice(&voided.body).unwrap();
    assert_eq!(paid["notification_type"], "ORDER_PAID");
    assert_eq!(voided["notification_type"], "TRANSACTION_VOID");
    assert_eq!(voided["transaction"]["transaction_type"], "VOID");
    assert_eq!(voided["order"]["order_status"], "CANCELLED");
    let (status, _) = api(&s, "POST", "/v1/order/voidTransaction", Some(cancel("V-1"))).await;
    assert_eq!(status, 422, "already voided");

    let (status, _) = api(&s, "POST", "/v1/order/cancel", Some(cancel("NOPE"))).await;
    assert_eq!(status, 404);
    let (status, _) = api(&s, "POST", "/v1/order/cancel", Some(json!({}))).await;
    assert_eq!(status, 400);
}

#[tokio::test]
async fn the_hosted_page_pays_and_redirects_to_success_url() {
    let s = sandbox().await;
    let (_, location, _) = checkout(&s, "HOST-1", "12000").await;
    let response = no_redirects()
        .post(format!("{}{}", s.sepay_base_url(), location.unwrap()))
        .form(&[("action", "pay"), ("payment_method", "NAPAS_BANK_TRANSFER")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 303);
    assert_eq!(response.headers()["location"], "https://shop.example/success");
    let order = s.sepay().order("HOST-1").unwrap();
    assert_eq!(order.order_status, "CAPTURED");
    assert_eq!(order.payment_method.as_deref(), Some("NAPAS_BANK_TRANSFER"));
}
