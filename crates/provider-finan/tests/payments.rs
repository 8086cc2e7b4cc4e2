//! Payment requests against wiremock: the create body and its signature, validation before
//! sending, the "never two payments for one reference id" rule (look-up before the POST, and
//! again after a timeout, a 5xx or a 409), get and list mapping, paging.
//!
//! Every create first looks its reference up (`GET /api/v1/payments?page=1&page_size=100&
//! reference_id=…`), so every create test mounts that GET with a strict `.expect` count.

mod common;

use std::time::Duration;

use chrono::Utc;
use common::{client, fixture, ok, ok_page, CLIENT_ID, SECRET};
use futures::TryStreamExt;
use gateway_core::{
    CreatePayment, Currency, Customer, Error, LineItem, Money, PageCursor, PageRequest, PayerAction, PaymentFilter,
    PaymentMethod, PaymentProvider, PaymentStatus, TransportErrorKind,
};
use provider_finan::payment_wire::Merchant;
use provider_finan::{FinanClient, FinanPaymentFilter, FinanPaymentOptions, SecretString};
use rust_decimal::Decimal;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use wiremock::matchers::{method, path};
use wiremock::{Match, Mock, MockServer, Request, ResponseTemplate};

const PAYMENTS: &str = "/open/api/v1/payments";

/// Matches when `x-signature` is `hex(sha256(secret_METHOD_pathquery_body_timestamp))` computed
/// here from the request as received (path without `/open`, plus `?query`), with a fresh timestamp.
struct SignedAsDocumented;

impl Match for SignedAsDocumented {
    fn matches(&self, request: &Request) -> bool {
        let header = |name: &str| request.headers.get(name).and_then(|v| v.to_str().ok());
        let (Some(signature), Some(timestamp), Some(CLIENT_ID)) =
            (header("x-signature"), header("x-timestamp"), header("x-client-id"))
        else {
            return false;
        };
        let mut signed_path = request.url.path().strip_prefix("/open").unwrap_or("").to_string();
        if let Some(q) = request.url.query() {
            signed_path = format!("{signed_path}?{q}");
        }
        let mut message = format!("{SECRET}_{}_{signed_path}_", request.method.as_str()).into_bytes();
        message.extend_from_slice(&request.body);
        message.extend_from_slice(format!("_{timestamp}").as_bytes());
        let fresh = timestamp
            .parse::<i64>()
            .is_ok_and(|t| (Utc::now().timestamp() - t).abs() <= 5);
        signature == hex::encode(Sha256::digest(&message)) && fresh
    }
}

/// The body parses as JSON equal to this value.
struct BodyJson(Value);

impl Match for BodyJson {
    fn matches(&self, request: &Request) -> bool {
        serde_json::from_slice::<Value>(&request.body).is_ok_and(|v| v == self.0)
    }
}

/// The raw query string is exactly this (`None`: no `?` at all).
struct QueryIs(Option<&'static str>);

impl Match for QueryIs {
    fn matches(&self, request: &Request) -> bool {
        request.url.query() == self.0
    }
}

/// The signed look-up GET of a create, with exactly this query (mount it with a reply and an
/// `.expect` count).
fn lookup(query: &'static str) -> wiremock::MockBuilder {
    Mock::given(method("GET"))
        .and(path(PAYMENTS))
        .and(QueryIs(Some(query)))
        .and(SignedAsDocumented)
}

/// An empty list: no payment request for the reference.
fn none_listed() -> ResponseTemplate {
    reply(200, ok(json!([])))
}

fn vnd(dong: i64) -> Money {
    Money::from_minor_units(dong, Currency::VND)
}

fn reply(status: u16, body: Value) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_json(body)
}

fn created(id: &str) -> Value {
    json!({
        "message": {"content": "Tạo thành công"}, "code": 102001, "request_id": "req-created",
        "data": {
            "payment_request_id": id, "payment_request_code": "PRJXH9KU", "payment_url": "",
            "bank_transfer_detail": {
                "qr_code": "00020101021238570010A000000727", "bank_name": "MB",
                "account_name": "TRAN TU THIEN", "account_number": "0933450210", "remark": "TTVD7ZZS"
            }
        }
    })
}

/// A payment request as Finan lists it.
fn listed(id: &str, reference: &str, amount: i64, paid: i64, status: &str) -> Value {
    json!({
        "payment_request_id": id, "paid_amount": paid, "status": status, "payment_method": "bank_transfer",
        "amount": amount, "description": "thanh toan don hang", "reference_id": reference, "payments": []
    })
}

fn error_reply(status: u16, message: &str) -> ResponseTemplate {
    reply(
        status,
        json!({"message": {"content": "Yêu cầu không hợp lệ", "error": message}, "code": 104000, "request_id": "rid"}),
    )
}

/// The seed's example request, built from core types plus the Finan-only options.
fn seed_request() -> (CreatePayment, FinanPaymentOptions) {
    let mut request = CreatePayment::new(
        vnd(6_000_000),
        "54fgi4537-0cb5-4992-ad0e-76d26ba4ddc3",
        PaymentMethod::BankTransfer,
    );
    request.items = vec![LineItem::new("So Ban Hang Pro 3 Nam", vnd(3_000_000), 2)];
    let mut customer = Customer::new("Nguyen Van A");
    customer.phone = Some("0933450210".into());
    customer.address = Some("15, Le Duan, q3, Quan 1".into());
    customer.email = Some("[email protected]".into());
    request.customer = Some(customer);
    request.account_id = Some("54957437-0cb5-4992-ad0e-76d26ba4ddc3".into());
    request.description = Some("thanh toan don hang".into());
    request.redirect_urls.success = Some("https://your-site.com/success".into());
    request.redirect_urls.failure = Some("https://your-site.com/failure".into());
    let mut merchant = Merchant::new("Finan pte");
    merchant.phone = Some("02833223243".into());
    merchant.address = Some("195/10A, Dien Bien Phu, P15, Binh Thanh".into());
    merchant.email = Some("[email protected]".into());
    (request, FinanPaymentOptions::new().merchant(merchant).invoice())
}

fn order(reference: &str, amount: i64) -> CreatePayment {
    CreatePayment::new(vnd(amount), reference, PaymentMethod::BankTransfer)
}

fn short_timeout_client(server: &MockServer) -> FinanClient {
    FinanClient::builder()
        .client_id(CLIENT_ID)
        .secret_key(SecretString::from(SECRET))
        .base_url(&format!("{}/open", server.uri()))
        .timeout(Duration::from_millis(300))
        .build()
        .unwrap()
}

async fn count(server: &MockServer, verb: &str) -> usize {
    server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .filter(|r| r.method.as_str() == verb)
        .count()
}

#[tokio::test]
async fn create_sends_the_seed_body_signed_over_its_bytes_and_maps_the_seed_reply() {
    let server = MockServer::start().await;
    let seed_body: Value = serde_json::from_str(&fixture("payment_create_request.json")).unwrap();
    Mock::given(method("POST"))
        .and(path(PAYMENTS))
        .and(QueryIs(None))
        .and(BodyJson(seed_body))
        .and(SignedAsDocumented)
        .respond_with(
            ResponseTemplate::new(200).set_body_raw(fixture("payment_create_response.json"), "application/json"),
        )
        .expect(1)
        .mount(&server)
        .await;
    lookup("page=1&page_size=100&reference_type=invoice&reference_id=54fgi4537-0cb5-4992-ad0e-76d26ba4ddc3")
        .respond_with(none_listed())
        .expect(1)
        .mount(&server)
        .await;
    let (request, options) = seed_request();
    let before = Utc::now();
    let payment = client(&server).create_payment_with(&request, &options).await.unwrap();
    let after = Utc::now();

    assert_eq!(payment.id, "3fde043e-c3d6-40e8-9031-6eadfa02d2a2");
    assert_eq!(payment.code.as_deref(), Some("PRJXH9KU"));
    assert_eq!(payment.reference_id, "54fgi4537-0cb5-4992-ad0e-76d26ba4ddc3");
    assert_eq!(payment.amount, vnd(6_000_000));
    assert_eq!(payment.paid_amount, Some(vnd(0)));
    assert_eq!(payment.status, PaymentStatus::Unpaid);
    assert_eq!(payment.method, Some(PaymentMethod::BankTransfer));
    let Some(PayerAction::BankTransfer {
        qr,
        bank,
        account_number,
        account_holder_name,
        remark,
    }) = &payment.payer_action
    else {
        panic!("{:?}", payment.payer_action)
    };
    assert_eq!(qr.as_deref(), Some("00020101021238570010A000000727..."));
    let bank = bank.as_ref().unwrap();
    assert_eq!(bank.bin.as_deref(), Some("970422"), "Finan's MB is MB Bank");
    assert_eq!(account_number, "0933450210");
    assert_eq!(account_holder_name.as_deref(), Some("TRAN TU THIEN"));
    assert_eq!(remark.as_deref(), Some("TTVD7ZZS"));
    let expires = payment.expires_at.unwrap();
    assert!(
        expires >= before + chrono::Duration::minutes(30) - chrono::Duration::seconds(1)
            && expires <= after + chrono::Duration::minutes(30),
        "{expires} not 30 minutes after {before}..{after}"
    );
}

#[tokio::test]
async fn card_payment_through_the_trait_sends_only_what_is_set_and_redirects() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(PAYMENTS))
        .and(BodyJson(json!({
            "payment_method": "card", "amount": 150000, "reference_id": "ORDER-7",
            "description": "Đơn hàng #7", "success_redirect_url": "https://shop.vn/ok"
        })))
        .and(SignedAsDocumented)
        .respond_with(reply(
            201,
            json!({"code": 102001, "request_id": "r", "data": {
                "payment_request_id": "pr-7", "payment_request_code": "PR7", "payment_url": "https://pay.finan.one/pr-7"
            }}),
        ))
        .expect(1)
        .mount(&server)
        .await;
    lookup("page=1&page_size=100&reference_id=ORDER-7")
        .respond_with(none_listed())
        .expect(1)
        .mount(&server)
        .await;
    let mut request = CreatePayment::new(vnd(150_000), "ORDER-7", PaymentMethod::Card);
    request.description = Some("Đơn hàng #7".into());
    request.redirect_urls.success = Some("https://shop.vn/ok".into());
    request.redirect_urls.cancel = Some("https://shop.vn/cancel".into());
    let c = client(&server);
    assert_eq!(
        gateway_core::Provider::provider_name(&c),
        "finan",
        "one name for every capability"
    );
    let payment = c.create_payment(&request).await.unwrap();
    assert_eq!(payment.method, Some(PaymentMethod::Card));
    assert_eq!(
        payment.payer_action,
        Some(PayerAction::Redirect {
            url: "https://pay.finan.one/pr-7".into()
        })
    );
}

#[tokio::test]
async fn invoice_payment_sends_reference_type_invoice() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(PAYMENTS))
        .and(BodyJson(json!({
            "payment_method": "ewallet_momo", "amount": 500000, "reference_id": "INV-001", "reference_type": "invoice"
        })))
        .respond_with(reply(201, created("pr-inv")))
        .expect(1)
        .mount(&server)
        .await;
    lookup("page=1&page_size=100&reference_type=invoice&reference_id=INV-001")
        .respond_with(none_listed())
        .expect(1)
        .mount(&server)
        .await;
    let payment = client(&server)
        .create_invoice_payment("INV-001", vnd(500_000), PaymentMethod::EWallet)
        .await
        .unwrap();
    assert_eq!(payment.id, "pr-inv");
    assert_eq!(payment.method, Some(PaymentMethod::EWallet));
}

#[tokio::test]
async fn invalid_requests_are_refused_before_sending() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(reply(201, created("never")))
        .expect(0)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .respond_with(reply(200, ok(json!([]))))
        .expect(0)
        .mount(&server)
        .await;
    let c = client(&server);

    let usd = Money::from_minor_units(1000, "USD".parse().unwrap());
    let fractional = Money::new(Decimal::new(10005, 1), Currency::VND);
    let mut cases: Vec<(&str, CreatePayment)> = vec![
        ("amount", CreatePayment::new(usd, "R", PaymentMethod::BankTransfer)),
        (
            "amount",
            CreatePayment::new(fractional, "R", PaymentMethod::BankTransfer),
        ),
        ("amount", order("R", 0)),
        ("amount", order("R", -5)),
        ("reference_id", order("  ", 1000)),
    ];

    // 31 characters (Vietnamese letters count once each, though they take 2-3 bytes).
    let long = "Thanh toán đơn hàng số 12345678";
    assert_eq!(long.chars().count(), 31);
    let mut r = order("R", 1000);
    r.description = Some(long.into());
    cases.push(("description", r));

    let mut r = order("R", 6_000_000);
    r.items = vec![
        LineItem::new("A", vnd(3_000_000), 1),
        LineItem::new("B", vnd(2_000_000), 1),
    ];
    cases.push(("items", r));

    let mut r = order("R", 1000);
    r.items = vec![LineItem::new("Huge", vnd(i64::MAX), 2)];
    cases.push(("items[0]", r));

    let mut r = order("R", 1000);
    r.items = vec![LineItem::new(
        "Fraction",
        Money::new(Decimal::new(5005, 1), Currency::VND),
        2,
    )];
    cases.push(("items[0].unit_price", r));

    let mut r = order("R", 1000);
    r.items = vec![LineItem::new("USD", usd, 1)];
    cases.push(("items[0].unit_price", r));

    let mut r = order("R", 1000);
    r.items = vec![LineItem::new("Zero", vnd(1000), 0)];
    cases.push(("items[0].quantity", r));

    let mut r = order("R", 1000);
    r.customer = Some(Customer::new(" "));
    cases.push(("customer.name", r));

    let mut r = order("R", 1000);
    r.account_id = Some(String::new());
    cases.push(("account_id", r));

    for (field, request) in &cases {
        let err = c.create_payment(request).await.unwrap_err();
        let Error::InvalidRequest(ctx) = &err else {
            panic!("{field}: {err:?}")
        };
        assert!(ctx.message.starts_with(field), "{field}: {}", ctx.message);
        assert_eq!(ctx.status, None, "refused before sending");
    }
}

#[tokio::test]
async fn items_that_add_up_are_sent_with_exact_line_amounts() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(PAYMENTS))
        .and(BodyJson(json!({
            "items": [
                {"name": "Cà phê sữa đá", "price": 333_333, "quantity": 3, "amount": 999_999},
                {"name": "Phí gói", "price": 1, "quantity": 1, "amount": 1}
            ],
            "customer": {"name": "Nguyễn Văn A"},
            "payment_method": "bank_transfer", "amount": 1_000_000, "reference_id": "ORDER-8"
        })))
        .respond_with(reply(201, created("pr-8")))
        .expect(1)
        .mount(&server)
        .await;
    lookup("page=1&page_size=100&reference_id=ORDER-8")
        .respond_with(none_listed())
        .expect(1)
        .mount(&server)
        .await;
    let mut request = order("ORDER-8", 1_000_000);
    request.items = vec![
        LineItem::new("Cà phê sữa đá", vnd(333_333), 3),
        LineItem::new("Phí gói", vnd(1), 1),
    ];
    let mut customer = Customer::new("Nguyễn Văn A");
    customer.email = Some(String::new());
    request.customer = Some(customer);
    request.description = Some(String::new());
    let payment = client(&server).create_payment(&request).await.unwrap();
    assert_eq!(payment.id, "pr-8");
}

#[tokio::test]
async fn timeout_then_lookup_finds_the_payment_and_sends_no_second_post() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(PAYMENTS))
        .respond_with(reply(201, created("pr-slow")).set_delay(Duration::from_secs(3)))
        .expect(1)
        .mount(&server)
        .await;
    // Before the POST: none yet. After the timeout: the one the POST created.
    lookup("page=1&page_size=100&reference_id=ORDER-1")
        .respond_with(none_listed())
        .up_to_n_times(1)
        .expect(1)
        .mount(&server)
        .await;
    lookup("page=1&page_size=100&reference_id=ORDER-1")
        .respond_with(reply(
            200,
            ok(json!([listed("pr-slow", "ORDER-1", 250_000, 0, "unpaid")])),
        ))
        .expect(1)
        .mount(&server)
        .await;
    let payment = short_timeout_client(&server)
        .create_payment(&order("ORDER-1", 250_000))
        .await
        .unwrap();
    assert_eq!(payment.id, "pr-slow");
    assert_eq!(payment.reference_id, "ORDER-1");
    assert_eq!(payment.amount, vnd(250_000));
    assert_eq!(payment.status, PaymentStatus::Unpaid);
    assert_eq!(count(&server, "POST").await, 1);
}

#[tokio::test]
async fn timeout_then_lookup_finds_none_sends_no_second_post() {
    // Finan has not finished the first POST when the client gives up: the look-up sees nothing,
    // and a re-send now could make a second payment request once the first one lands.
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(PAYMENTS))
        .respond_with(reply(201, created("pr-late")).set_delay(Duration::from_secs(3)))
        .expect(1)
        .mount(&server)
        .await;
    lookup("page=1&page_size=100&reference_id=ORDER-9")
        .respond_with(none_listed())
        .expect(2)
        .mount(&server)
        .await;
    let err = short_timeout_client(&server)
        .create_payment(&order("ORDER-9", 250_000))
        .await
        .unwrap_err();
    assert!(
        matches!(
            &err,
            Error::Transport {
                kind: TransportErrorKind::Timeout,
                ..
            }
        ),
        "{err:?}"
    );
    assert!(err.to_string().contains("create it again later"), "{err}");
    assert!(err.is_retryable());
    assert_eq!(count(&server, "POST").await, 1, "not re-sent");
}

#[tokio::test]
async fn server_error_then_lookup_finds_none_and_posts_once_more() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(PAYMENTS))
        .respond_with(error_reply(503, "Service Unavailable"))
        .up_to_n_times(1)
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(PAYMENTS))
        .and(SignedAsDocumented)
        .respond_with(reply(201, created("pr-2")))
        .expect(1)
        .mount(&server)
        .await;
    // Before the POST and after the 503, Finan lists one for another reference (as if it ignored
    // the filter): not ours.
    lookup("page=1&page_size=100&reference_id=ORDER-2")
        .respond_with(reply(200, ok(json!([listed("pr-x", "ORDER-X", 250_000, 0, "unpaid")]))))
        .expect(2)
        .mount(&server)
        .await;
    let payment = client(&server)
        .create_payment(&order("ORDER-2", 250_000))
        .await
        .unwrap();
    assert_eq!(payment.id, "pr-2");
    assert!(matches!(payment.payer_action, Some(PayerAction::BankTransfer { .. })));
    assert_eq!(count(&server, "POST").await, 2);
    let posts: Vec<_> = server
        .received_requests()
        .await
        .unwrap()
        .into_iter()
        .filter(|r| r.method.as_str() == "POST")
        .collect();
    assert_eq!(posts[0].body, posts[1].body, "the same body both times");
}

#[tokio::test]
async fn lookup_after_a_server_error_with_another_amount_is_a_conflict() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(PAYMENTS))
        .respond_with(error_reply(500, "Internal Server Error"))
        .expect(1)
        .mount(&server)
        .await;
    // None before the POST; after the 500, one for another amount (created meanwhile).
    lookup("page=1&page_size=100&reference_id=ORDER-3")
        .respond_with(none_listed())
        .up_to_n_times(1)
        .expect(1)
        .mount(&server)
        .await;
    lookup("page=1&page_size=100&reference_id=ORDER-3")
        .respond_with(reply(200, ok(json!([listed("pr-3", "ORDER-3", 999_000, 0, "unpaid")]))))
        .expect(1)
        .mount(&server)
        .await;
    let err = client(&server)
        .create_payment(&order("ORDER-3", 250_000))
        .await
        .unwrap_err();
    let Error::Conflict(ctx) = &err else { panic!("{err:?}") };
    assert!(
        ctx.message.contains("pr-3") && ctx.message.contains("999000"),
        "{}",
        ctx.message
    );
    assert_eq!(count(&server, "POST").await, 1, "not re-sent");
}

/// A create that raced past the look-up (none listed before the POST), refused as a duplicate.
#[tokio::test]
async fn refused_as_duplicate_looks_up_and_returns_the_existing_request_without_a_second_post() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(PAYMENTS))
        .respond_with(error_reply(409, "Duplicate reference_id"))
        .expect(2)
        .mount(&server)
        .await;
    lookup("page=1&page_size=100&reference_id=ORDER-6")
        .respond_with(none_listed())
        .up_to_n_times(1)
        .expect(1)
        .mount(&server)
        .await;
    lookup("page=1&page_size=100&reference_id=ORDER-6")
        .respond_with(reply(200, ok(json!([listed("pr-6", "ORDER-6", 250_000, 0, "unpaid")]))))
        .expect(1)
        .mount(&server)
        .await;
    lookup("page=1&page_size=100&reference_id=ORDER-7")
        .respond_with(none_listed())
        .expect(2)
        .mount(&server)
        .await;
    let existing = client(&server)
        .create_payment(&order("ORDER-6", 250_000))
        .await
        .unwrap();
    assert_eq!((existing.id.as_str(), existing.amount), ("pr-6", vnd(250_000)));
    // Finan says duplicate but lists nothing: its 409 is returned as is.
    let err = client(&server)
        .create_payment(&order("ORDER-7", 250_000))
        .await
        .unwrap_err();
    let Error::Conflict(ctx) = &err else { panic!("{err:?}") };
    assert_eq!(
        (ctx.status, ctx.message.as_str()),
        (Some(409), "Duplicate reference_id")
    );
}

#[tokio::test]
async fn client_error_is_returned_without_a_second_lookup_or_resend() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(PAYMENTS))
        .respond_with(error_reply(422, "amount is required"))
        .expect(1)
        .mount(&server)
        .await;
    // Only the look-up before the POST.
    Mock::given(method("GET"))
        .respond_with(none_listed())
        .expect(1)
        .mount(&server)
        .await;
    let err = client(&server)
        .create_payment(&order("ORDER-4", 250_000))
        .await
        .unwrap_err();
    let Error::InvalidRequest(ctx) = &err else {
        panic!("{err:?}")
    };
    assert_eq!(ctx.message, "amount is required");
    assert_eq!(ctx.status, Some(422));
}

#[tokio::test]
async fn failed_lookup_after_a_server_error_returns_the_first_error_with_a_note_and_does_not_resend() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(PAYMENTS))
        .respond_with(error_reply(502, "Bad Gateway"))
        .expect(1)
        .mount(&server)
        .await;
    // The look-up before the POST works; the one after the 502 fails.
    lookup("page=1&page_size=100&reference_id=ORDER-5")
        .respond_with(none_listed())
        .up_to_n_times(1)
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(PAYMENTS))
        .respond_with(error_reply(401, "Invalid signature"))
        .expect(1)
        .mount(&server)
        .await;
    let err = client(&server)
        .create_payment(&order("ORDER-5", 250_000))
        .await
        .unwrap_err();
    let Error::Provider(ctx) = &err else { panic!("{err:?}") };
    assert_eq!(ctx.status, Some(502));
    assert!(
        ctx.message
            .starts_with("Bad Gateway; the payment may have been created"),
        "{}",
        ctx.message
    );
    assert!(ctx.message.contains("ORDER-5"), "{}", ctx.message);
}

#[tokio::test]
async fn second_create_of_an_existing_reference_sends_no_post_and_returns_the_existing_request() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(PAYMENTS))
        .respond_with(reply(201, created("pr-10")))
        .expect(1)
        .mount(&server)
        .await;
    // None before the first create; the one it made before the second.
    lookup("page=1&page_size=100&reference_id=ORDER-10")
        .respond_with(none_listed())
        .up_to_n_times(1)
        .expect(1)
        .mount(&server)
        .await;
    lookup("page=1&page_size=100&reference_id=ORDER-10")
        .respond_with(reply(
            200,
            ok(json!([
                listed("pr-other", "ORDER-99", 250_000, 0, "unpaid"),
                listed("pr-10", "ORDER-10", 250_000, 0, "unpaid")
            ])),
        ))
        .expect(1)
        .mount(&server)
        .await;
    let c = client(&server);
    let first = c.create_payment(&order("ORDER-10", 250_000)).await.unwrap();
    assert_eq!(first.id, "pr-10");
    assert!(first.payer_action.is_some());

    let again = c.create_payment(&order("ORDER-10", 250_000)).await.unwrap();
    assert_eq!(again.id, "pr-10", "the existing request, not the other reference's");
    assert_eq!(again.reference_id, "ORDER-10");
    assert_eq!(again.amount, vnd(250_000));
    assert_eq!(again.status, PaymentStatus::Unpaid);
    assert_eq!(again.paid_amount, Some(vnd(0)));
    assert_eq!(again.payer_action, None, "as listed: Finan's list has no payer action");
    assert_eq!(count(&server, "POST").await, 1, "no second POST");
}

#[tokio::test]
async fn existing_invoice_payment_is_returned_without_a_post_in_its_current_status() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(reply(201, created("never")))
        .expect(0)
        .mount(&server)
        .await;
    // A plain payment for the same id and amount is not the invoice's; the invoice's is paid.
    let mut plain = listed("pr-plain", "INV-002", 500_000, 0, "unpaid");
    plain["reference_type"] = json!("order");
    let mut invoice = listed("pr-inv-2", "INV-002", 500_000, 500_000, "paid");
    invoice["reference_type"] = json!("invoice");
    lookup("page=1&page_size=100&reference_type=invoice&reference_id=INV-002")
        .respond_with(reply(200, ok(json!([plain, invoice]))))
        .expect(1)
        .mount(&server)
        .await;
    let payment = client(&server)
        .create_invoice_payment("INV-002", vnd(500_000), PaymentMethod::BankTransfer)
        .await
        .unwrap();
    assert_eq!(payment.id, "pr-inv-2");
    assert_eq!(payment.status, PaymentStatus::Paid);
    assert_eq!(payment.paid_amount, Some(vnd(500_000)));
}

#[tokio::test]
async fn lookup_before_the_post_with_another_amount_is_a_conflict_and_sends_no_post() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(reply(201, created("never")))
        .expect(0)
        .mount(&server)
        .await;
    lookup("page=1&page_size=100&reference_id=ORDER-11")
        .respond_with(reply(
            200,
            ok(json!([
                listed("pr-11a", "ORDER-11", 300_000, 0, "unpaid"),
                listed("pr-11b", "ORDER-11", 400_000, 0, "unpaid")
            ])),
        ))
        .expect(1)
        .mount(&server)
        .await;
    let err = client(&server)
        .create_payment(&order("ORDER-11", 250_000))
        .await
        .unwrap_err();
    let Error::Conflict(ctx) = &err else { panic!("{err:?}") };
    assert!(
        ctx.message.contains("\"ORDER-11\"")
            && ctx.message.contains("pr-11a")
            && ctx.message.contains("300000")
            && ctx.message.contains("250000"),
        "{}",
        ctx.message
    );
    assert_eq!(ctx.status, None, "raised here, not by Finan");
}

#[tokio::test]
async fn failed_lookup_before_the_post_returns_its_error_and_sends_no_post() {
    for (status, message) in [(401, "Invalid signature"), (503, "Service Unavailable")] {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .respond_with(reply(201, created("never")))
            .expect(0)
            .mount(&server)
            .await;
        // The look-up is a read: a 503 is retried under the default policy (3 retries), a 401 is not.
        let lookups = if status == 503 { 4 } else { 1 };
        lookup("page=1&page_size=100&reference_id=ORDER-12")
            .respond_with(error_reply(status, message))
            .expect(lookups)
            .mount(&server)
            .await;
        let err = client(&server)
            .create_payment(&order("ORDER-12", 250_000))
            .await
            .unwrap_err();
        match (status, &err) {
            (401, Error::Unauthorized(ctx)) | (503, Error::Provider(ctx)) => {
                assert_eq!(ctx.status, Some(status));
                assert_eq!(ctx.message, message, "as is, with no note: nothing was sent");
            }
            _ => panic!("{status}: {err:?}"),
        }
    }
}

#[tokio::test]
async fn a_server_that_always_announces_another_page_cannot_stall_the_look_up() {
    // Every page answers "page 1 of 2" whatever was asked: the look-up counts pages itself and
    // gives up after its limit instead of asking for page 2 forever.
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(reply(201, created("never")))
        .expect(0)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(PAYMENTS))
        .respond_with(reply(
            200,
            ok_page(json!([listed("pr-o", "OTHER", 1, 0, "unpaid")]), 1, 100, 2, 200),
        ))
        .mount(&server)
        .await;
    let err = tokio::time::timeout(
        Duration::from_secs(20),
        client(&server).create_payment(&order("ORDER-LOOP", 250_000)),
    )
    .await
    .expect("the look-up ends")
    .unwrap_err();
    assert!(matches!(err, Error::Provider(_)), "{err:?}");
    assert_eq!(count(&server, "GET").await, 10);
}

#[tokio::test]
async fn a_listed_payment_without_a_reference_id_is_not_taken_for_ours() {
    // A server that ignores the reference filter lists an unrelated payment request with no
    // reference id and the same amount: it is not returned as "already created".
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(PAYMENTS))
        .respond_with(reply(201, created("pr-new")))
        .expect(1)
        .mount(&server)
        .await;
    let mut anonymous = listed("pr-anon", "x", 250_000, 0, "unpaid");
    anonymous.as_object_mut().unwrap().remove("reference_id");
    lookup("page=1&page_size=100&reference_id=ORDER-ANON")
        .respond_with(reply(200, ok(json!([anonymous]))))
        .expect(1)
        .mount(&server)
        .await;
    let payment = client(&server)
        .create_payment(&order("ORDER-ANON", 250_000))
        .await
        .unwrap();
    assert_eq!(payment.id, "pr-new");
}

#[tokio::test]
async fn get_maps_each_status_and_encodes_the_id() {
    let server = MockServer::start().await;
    let cases = [
        ("unpaid", 0, PaymentStatus::Unpaid),
        ("partial_paid", 100_000, PaymentStatus::PartiallyPaid),
        ("paid", 250_000, PaymentStatus::Paid),
        ("extra_paid", 300_000, PaymentStatus::Overpaid),
        ("refunded", 250_000, PaymentStatus::Other("refunded".into())),
    ];
    for (status, paid, _) in &cases {
        Mock::given(method("GET"))
            .and(path(format!("{PAYMENTS}/pr-{status}")))
            .and(QueryIs(None))
            .and(SignedAsDocumented)
            .respond_with(reply(
                200,
                ok(listed(&format!("pr-{status}"), "ORDER-6", 250_000, *paid, status)),
            ))
            .expect(1)
            .mount(&server)
            .await;
    }
    Mock::given(method("GET"))
        .and(path(format!("{PAYMENTS}/a%2Fb%3Fc")))
        .respond_with(reply(200, ok(listed("a/b?c", "ORDER-6", 1, 0, "unpaid"))))
        .expect(1)
        .mount(&server)
        .await;
    let c = client(&server);
    for (status, paid, expected) in cases {
        let payment = c.get_payment(&format!("pr-{status}")).await.unwrap();
        assert_eq!(payment.status, expected, "{status}");
        assert_eq!(payment.paid_amount, Some(vnd(paid)));
        assert_eq!(payment.amount, vnd(250_000));
        assert_eq!(payment.reference_id, "ORDER-6");
        assert_eq!(payment.method, Some(PaymentMethod::BankTransfer));
        assert_eq!(payment.payer_action, None);
    }
    assert_eq!(c.get_payment("a/b?c").await.unwrap().id, "a/b?c");
    for id in ["", " ", ".", ".."] {
        assert!(
            matches!(c.get_payment(id).await, Err(Error::InvalidRequest(_))),
            "{id:?}"
        );
    }
}

#[tokio::test]
async fn get_unknown_id_is_not_found() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(format!("{PAYMENTS}/nope")))
        .respond_with(error_reply(404, "payment request not found"))
        .expect(1)
        .mount(&server)
        .await;
    let err = client(&server).get_payment("nope").await.unwrap_err();
    assert!(matches!(err, Error::NotFound(_)), "{err:?}");
}

#[tokio::test]
async fn list_walks_two_pages_with_the_filter_in_the_signed_query() {
    let server = MockServer::start().await;
    for (page, query, items) in [
        (
            1,
            "page=1&page_size=50&reference_id=ORDER-9",
            json!([
                listed("pr-a", "ORDER-9", 1000, 0, "unpaid"),
                listed("pr-b", "ORDER-9", 1000, 1000, "paid")
            ]),
        ),
        (
            2,
            "page=2&page_size=50&reference_id=ORDER-9",
            json!([listed("pr-c", "ORDER-9", 1000, 500, "partial_paid")]),
        ),
    ] {
        Mock::given(method("GET"))
            .and(path(PAYMENTS))
            .and(QueryIs(Some(query)))
            .and(SignedAsDocumented)
            .respond_with(reply(200, ok_page(items, page, 50, 2, 3)))
            .expect(2)
            .mount(&server)
            .await;
    }
    let c = client(&server);
    let filter = PaymentFilter::reference("ORDER-9");
    let all: Vec<_> = c.stream_payments(&filter).try_collect().await.unwrap();
    let ids: Vec<_> = all.iter().map(|p| p.id.as_str()).collect();
    assert_eq!(ids, ["pr-a", "pr-b", "pr-c"]);
    assert_eq!(all[2].status, PaymentStatus::PartiallyPaid);

    let first = c.list_payments(&filter, PageRequest::first()).await.unwrap();
    assert_eq!(first.next.as_ref().map(PageCursor::as_str), Some("2"));
    assert_eq!(first.total, Some(3));
    let second = c
        .list_payments(&filter, PageRequest::at(first.next.unwrap()))
        .await
        .unwrap();
    assert_eq!(second.next, None);

    for cursor in ["0", "sub:2", "x"] {
        let err = c
            .list_payments(&filter, PageRequest::at(PageCursor::new(cursor)))
            .await
            .unwrap_err();
        assert!(matches!(err, Error::InvalidRequest(_)), "{cursor}: {err:?}");
    }
}

#[tokio::test]
async fn invoice_filter_reads_the_seed_list() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(PAYMENTS))
        .and(QueryIs(Some(
            "page=1&page_size=20&reference_type=invoice&reference_id=INV-001",
        )))
        .and(SignedAsDocumented)
        .respond_with(
            ResponseTemplate::new(200).set_body_raw(fixture("payment_list_response.json"), "application/json"),
        )
        .expect(1)
        .mount(&server)
        .await;
    let page = client(&server)
        .list_payment_requests(1, 20, &FinanPaymentFilter::invoice("INV-001"))
        .await
        .unwrap();
    assert_eq!(page.next, None, "no meta and less than a full page");
    let payment = &page.items[0];
    assert_eq!(payment.id, "PR-550e8400-e29b-41d4-a716-446655440000");
    assert_eq!(payment.reference_id, "INV-001");
    assert_eq!(payment.status, PaymentStatus::Paid);
    assert_eq!(payment.amount, vnd(6_000_000));
    assert_eq!(payment.paid_amount, Some(vnd(6_000_000)));
}
