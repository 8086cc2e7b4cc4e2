//! SePay payment gateway: the Order API and the `PaymentProvider` over it, against wiremock.

mod common;

use common::{fixture, json};
use futures::TryStreamExt;
use gateway_core::{
    CreatePayment, Currency, Error, LineItem, Money, PageCursor, PageRequest, PayerAction, PaymentFilter,
    PaymentMethod, PaymentProvider, PaymentStatus, Provider,
};
use provider_sepay::{
    CheckoutEnvironment, CheckoutOrder, CheckoutPaymentMethod, CheckoutSigner, OrderFilter, OrderStatus, SecretString,
    SepayPaymentGateway,
};
use rust_decimal::Decimal;
use wiremock::matchers::{body_json, header, method, path, query_param, query_param_is_missing};
use wiremock::{Mock, MockServer, ResponseTemplate};

const MERCHANT: &str = "SP-TEST-MERCH01";
/// A secret with colons: only the user id of Basic auth may not hold one.
const SECRET: &str = "sk_5ECRET:with:colons";
/// `base64("SP-TEST-MERCH01:sk_5ECRET:with:colons")`, computed outside this crate (`base64(1)`).
const BASIC: &str = "Basic U1AtVEVTVC1NRVJDSDAxOnNrXzVFQ1JFVDp3aXRoOmNvbG9ucw==";
const CHECKOUT_URL: &str = "http://sandbox.test/v1/checkout/init";

fn gateway(server: &MockServer) -> SepayPaymentGateway {
    SepayPaymentGateway::builder(MERCHANT, SecretString::from(SECRET), CheckoutEnvironment::Sandbox)
        .order_api_base_url(&format!("{}/v1/", server.uri()))
        .checkout_url(CHECKOUT_URL)
        .build()
        .unwrap()
}

fn vnd(amount: &str) -> Money {
    Money::parse(amount, Currency::VND).unwrap()
}

fn order_json(invoice: &str, status: &str, amount: &str) -> serde_json::Value {
    serde_json::json!({
        "id": format!("uuid-{invoice}-{status}"),
        "order_id": format!("NPSETVI-{invoice}"),
        "order_invoice_number": invoice,
        "order_status": status,
        "order_amount": amount,
        "order_currency": "VND",
        "order_description": format!("Thanh toan don hang {invoice}"),
        "created_at": "2025-09-05 14:40:02"
    })
}

fn list_of(orders: Vec<serde_json::Value>) -> ResponseTemplate {
    let n = orders.len();
    json(
        200,
        serde_json::json!({
            "data": orders,
            "meta": {"per_page": 100, "total": n, "has_more": false, "current_page": 1, "page_count": 1}
        })
        .to_string(),
    )
}

/// Mounts `GET /v1/order?q=<q>` answering `reply`, expected `times` times.
async fn mount_lookup(server: &MockServer, q: &str, reply: ResponseTemplate, times: u64) {
    Mock::given(method("GET"))
        .and(path("/v1/order"))
        .and(query_param("q", q))
        .respond_with(reply)
        .expect(times)
        .mount(server)
        .await;
}

#[tokio::test]
async fn basic_auth_header_is_exactly_base64_of_merchant_and_secret() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v1/order"))
        .and(header("authorization", BASIC))
        .respond_with(json(200, fixture("orders/list_empty.json")))
        .expect(1)
        .mount(&server)
        .await;
    let page = gateway(&server)
        .list_orders(&OrderFilter::default(), 1, 20)
        .await
        .unwrap();
    assert!(page.items.is_empty());
    assert_eq!(page.next, None);
    assert_eq!(page.total, Some(0));
}

#[tokio::test]
async fn environments_choose_the_order_api_and_checkout_urls() {
    let key = || SecretString::from(SECRET);
    let sandbox = SepayPaymentGateway::builder(MERCHANT, key(), CheckoutEnvironment::Sandbox)
        .build()
        .unwrap();
    assert_eq!(sandbox.order_api_base_url(), "https://pgapi-sandbox.sepay.vn/v1");
    assert_eq!(sandbox.checkout_url(), "https://pay-sandbox.sepay.vn/v1/checkout/init");
    let production = SepayPaymentGateway::builder(MERCHANT, key(), CheckoutEnvironment::Production)
        .build()
        .unwrap();
    assert_eq!(production.order_api_base_url(), "https://pgapi.sepay.vn/v1");
    assert_eq!(production.checkout_url(), "https://pay.sepay.vn/v1/checkout/init");
    assert_eq!(production.provider_name(), "sepay");

    let bad = |b: provider_sepay::SepayPaymentGatewayBuilder| matches!(b.build(), Err(Error::Configuration(_)));
    let env = CheckoutEnvironment::Sandbox;
    assert!(bad(SepayPaymentGateway::builder("", key(), env)));
    assert!(bad(SepayPaymentGateway::builder("a:b", key(), env)));
    assert!(bad(SepayPaymentGateway::builder(MERCHANT, SecretString::from(""), env)));
    assert!(bad(
        SepayPaymentGateway::builder(MERCHANT, key(), env).order_api_base_url("nope")
    ));
    assert!(bad(
        SepayPaymentGateway::builder(MERCHANT, key(), env).checkout_url("/relative")
    ));
    assert!(bad(
        SepayPaymentGateway::builder(MERCHANT, key(), env).timeout(std::time::Duration::ZERO)
    ));
}

#[tokio::test]
async fn list_sends_every_filter_and_reads_the_page() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v1/order"))
        .and(query_param("per_page", "2"))
        .and(query_param("page", "1"))
        .and(query_param("q", "DH12"))
        .and(query_param("order_status", "CAPTURED"))
        .and(query_param("from_created_at", "2025-09-01"))
        .and(query_param("to_created_at", "2025-09-30"))
        .and(query_param("customer_id", "KH0042"))
        .respond_with(json(200, fixture("orders/list_page1.json")))
        .expect(1)
        .mount(&server)
        .await;
    let filter = OrderFilter::default()
        .q("DH12")
        .order_status(OrderStatus::Captured)
        .from_created_at(chrono::NaiveDate::from_ymd_opt(2025, 9, 1).unwrap())
        .to_created_at(chrono::NaiveDate::from_ymd_opt(2025, 9, 30).unwrap())
        .customer_id("KH0042");
    let page = gateway(&server).list_orders(&filter, 1, 2).await.unwrap();
    assert_eq!(page.items.len(), 2);
    assert_eq!(page.next, Some(PageCursor::new("2")));
    assert_eq!(page.total, Some(3));
    let first = &page.items[0];
    assert_eq!(first.id, "7f3c2a10-5b8e-4d21-9c47-2e6a1f0b9d35");
    assert_eq!(first.order_id.as_deref(), Some("NPSETVI00101000123A"));
    assert_eq!(first.order_invoice_number, "DH123");
    assert_eq!(first.order_status, OrderStatus::Captured);
    assert_eq!(first.order_amount, Decimal::new(10_000_000, 2));
    assert_eq!(first.order_amount.to_string(), "100000.00");
    assert_eq!(first.customer_id.as_deref(), Some("KH0042"));
    assert_eq!(
        first.created_at_time().unwrap().to_rfc3339(),
        "2025-09-05T14:40:02+07:00"
    );
    assert_eq!(first.transactions.len(), 1);
    assert_eq!(first.transactions[0].transaction_amount, Some(Decimal::new(100_000, 0)));
    assert_eq!(page.items[1].order_status, OrderStatus::AuthenticationNotNeeded);
    assert_eq!(page.items[1].customer_id, None);
}

#[tokio::test]
async fn per_page_is_clamped_to_1_through_100_and_page_0_is_refused() {
    let server = MockServer::start().await;
    for (asked, sent) in [(500, "100"), (0, "1"), (100, "100")] {
        Mock::given(method("GET"))
            .and(path("/v1/order"))
            .and(query_param("per_page", sent))
            .and(query_param_is_missing("q"))
            .respond_with(json(200, fixture("orders/list_empty.json")))
            .expect(1)
            .up_to_n_times(1)
            .mount(&server)
            .await;
        gateway(&server)
            .list_orders(&OrderFilter::default(), 1, asked)
            .await
            .unwrap();
    }
    let err = gateway(&server)
        .list_orders(&OrderFilter::default(), 0, 10)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::InvalidRequest(_)), "{err:?}");
}

#[tokio::test]
async fn pages_follow_has_more_across_two_pages() {
    let server = MockServer::start().await;
    // Page 2 is read twice: by the stream, then by its cursor.
    for (page, name, times) in [("1", "orders/list_page1.json", 1), ("2", "orders/list_page2.json", 2)] {
        Mock::given(method("GET"))
            .and(path("/v1/order"))
            .and(query_param("page", page))
            .respond_with(json(200, fixture(name)))
            .expect(times)
            .mount(&server)
            .await;
    }
    let gw = gateway(&server);
    let all: Vec<_> = gw
        .stream_payments(&PaymentFilter::default())
        .try_collect()
        .await
        .unwrap();
    let ids: Vec<_> = all.iter().map(|p| p.id.as_str()).collect();
    assert_eq!(ids, ["DH123", "DH124", "DH125"]);
    let statuses: Vec<_> = all.iter().map(|p| p.status.clone()).collect();
    assert_eq!(
        statuses,
        [PaymentStatus::Paid, PaymentStatus::Unpaid, PaymentStatus::Cancelled]
    );
    // Page 2 by the cursor page 1 handed back.
    let page2 = gw
        .list_payments(&PaymentFilter::default(), PageRequest::at(PageCursor::new("2")))
        .await
        .unwrap();
    assert_eq!(page2.items.len(), 1);
    assert_eq!(page2.next, None);
    let bad = gw
        .list_payments(&PaymentFilter::default(), PageRequest::at(PageCursor::new("x")))
        .await
        .unwrap_err();
    assert!(matches!(bad, Error::InvalidRequest(_)));
}

#[tokio::test]
async fn next_page_from_page_count_or_a_full_page_without_has_more() {
    let server = MockServer::start().await;
    let body = |meta: serde_json::Value| {
        json(
            200,
            serde_json::json!({"data": [order_json("A1", "CAPTURED", "1000")], "meta": meta}).to_string(),
        )
    };
    Mock::given(method("GET"))
        .and(path("/v1/order"))
        .and(query_param("q", "count"))
        .respond_with(body(serde_json::json!({"current_page": "1", "page_count": "3"})))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/order"))
        .and(query_param("q", "nometa"))
        .respond_with(json(
            200,
            serde_json::json!({"data": [order_json("A1", "CAPTURED", "1000")]}).to_string(),
        ))
        .mount(&server)
        .await;
    let gw = gateway(&server);
    let p = gw.list_orders(&OrderFilter::default().q("count"), 1, 1).await.unwrap();
    assert_eq!(p.next, Some(PageCursor::new("2")));
    let full = gw.list_orders(&OrderFilter::default().q("nometa"), 4, 1).await.unwrap();
    assert_eq!(full.next, Some(PageCursor::new("5")));
    let short = gw.list_orders(&OrderFilter::default().q("nometa"), 4, 2).await.unwrap();
    assert_eq!(short.next, None);
}

#[tokio::test]
async fn detail_in_data_or_at_the_top() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v1/order/detail/7f3c2a10-5b8e-4d21-9c47-2e6a1f0b9d35"))
        .and(header("authorization", BASIC))
        .respond_with(json(200, fixture("orders/detail.json")))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/order/detail/top-level"))
        .respond_with(json(200, order_json("DH9", "CANCELLED", "5000").to_string()))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/order/detail/a%2Fb"))
        .respond_with(json(200, r#"{"data": null}"#))
        .expect(1)
        .mount(&server)
        .await;
    let gw = gateway(&server);
    let order = gw.order_detail("7f3c2a10-5b8e-4d21-9c47-2e6a1f0b9d35").await.unwrap();
    assert_eq!(order.order_invoice_number, "DH123");
    assert_eq!(order.order_status, OrderStatus::Captured);
    assert_eq!(order.order_amount.to_string(), "100000.00");
    assert_eq!(order.transactions[0].transaction_id.as_deref(), Some("68ba9c2f41a07"));
    let top = gw.order_detail("top-level").await.unwrap();
    assert_eq!(top.order_status, OrderStatus::Cancelled);
    // The id is one percent-encoded path segment; `data: null` is not found.
    let none = gw.order_detail("a/b").await.unwrap_err();
    assert!(matches!(none, Error::NotFound(_)), "{none:?}");
    assert!(matches!(gw.order_detail(" ").await, Err(Error::InvalidRequest(_))));
    assert!(matches!(gw.order_detail("..").await, Err(Error::InvalidRequest(_))));
}

#[tokio::test]
async fn cancel_and_void_post_the_invoice_number() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/order/cancel"))
        .and(header("authorization", BASIC))
        .and(body_json(serde_json::json!({"order_invoice_number": "DH124"})))
        .respond_with(json(200, fixture("orders/cancel.json")))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/v1/order/voidTransaction"))
        .and(header("authorization", BASIC))
        .and(header("content-type", "application/json"))
        .and(body_json(serde_json::json!({"order_invoice_number": "DH123"})))
        .respond_with(json(200, r#"{"message":"Void transaction successfully"}"#))
        .expect(1)
        .mount(&server)
        .await;
    let gw = gateway(&server);
    let cancelled = gw.cancel_order("DH124").await.unwrap();
    assert_eq!(cancelled.message.as_deref(), Some("Order cancelled successfully"));
    assert_eq!(cancelled.order.map(|o| o.order_status), Some(OrderStatus::Cancelled));
    let voided = gw.void_transaction("DH123").await.unwrap();
    assert_eq!(voided.message.as_deref(), Some("Void transaction successfully"));
    assert_eq!(voided.order, None);
    assert!(matches!(gw.cancel_order("").await, Err(Error::InvalidRequest(_))));
}

#[tokio::test]
async fn a_2xx_that_says_it_failed_is_an_error() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/order/cancel"))
        .respond_with(json(200, r#"{"status":"error","message":"Order already captured"}"#))
        .mount(&server)
        .await;
    let err = gateway(&server).cancel_order("DH123").await.unwrap_err();
    assert!(matches!(err, Error::Provider(_)), "{err:?}");
    assert!(err.to_string().contains("Order already captured"), "{err}");
}

#[tokio::test]
async fn statuses_map_including_unknown() {
    let server = MockServer::start().await;
    let cases = [
        ("P1", "CAPTURED", PaymentStatus::Paid, Some(vnd("150000"))),
        ("P2", "AUTHENTICATION_NOT_NEEDED", PaymentStatus::Unpaid, Some(vnd("0"))),
        ("P3", "CANCELLED", PaymentStatus::Cancelled, None),
        ("P4", "REFUNDED", PaymentStatus::Other("REFUNDED".into()), None),
    ];
    for (invoice, status, _, _) in &cases {
        // `q` may match more than the invoice number: a near miss is listed first.
        mount_lookup(
            &server,
            invoice,
            list_of(vec![
                order_json(&format!("{invoice}0"), "CAPTURED", "1"),
                order_json(invoice, status, "150000.00"),
            ]),
            1,
        )
        .await;
    }
    let gw = gateway(&server);
    for (invoice, _, status, paid) in cases {
        let p = gw.get_payment(invoice).await.unwrap();
        assert_eq!(p.id, invoice);
        assert_eq!(p.reference_id, invoice);
        assert_eq!(p.code.as_deref(), Some(format!("NPSETVI-{invoice}").as_str()));
        assert_eq!(p.amount, vnd("150000"));
        assert_eq!(p.status, status, "{invoice}");
        assert_eq!(p.paid_amount, paid, "{invoice}");
        assert_eq!(p.payer_action, None);
    }
}

#[tokio::test]
async fn get_payment_prefers_the_captured_order_and_falls_back_to_detail() {
    let server = MockServer::start().await;
    mount_lookup(
        &server,
        "DH7",
        list_of(vec![
            order_json("DH7", "CANCELLED", "5000"),
            order_json("DH7", "CAPTURED", "5000"),
        ]),
        1,
    )
    .await;
    mount_lookup(&server, "7f3c2a10-5b8e-4d21-9c47-2e6a1f0b9d35", list_of(vec![]), 1).await;
    Mock::given(method("GET"))
        .and(path("/v1/order/detail/7f3c2a10-5b8e-4d21-9c47-2e6a1f0b9d35"))
        .respond_with(json(200, fixture("orders/detail.json")))
        .mount(&server)
        .await;
    mount_lookup(&server, "NOPE", list_of(vec![]), 1).await;
    Mock::given(method("GET"))
        .and(path("/v1/order/detail/NOPE"))
        .respond_with(json(404, r#"{"message":"Order not found"}"#))
        .mount(&server)
        .await;
    let gw = gateway(&server);
    assert_eq!(gw.get_payment("DH7").await.unwrap().status, PaymentStatus::Paid);
    let by_id = gw.get_payment("7f3c2a10-5b8e-4d21-9c47-2e6a1f0b9d35").await.unwrap();
    assert_eq!(by_id.id, "DH123");
    assert_eq!(by_id.method, Some(PaymentMethod::BankTransfer));
    assert_eq!(by_id.paid_amount, Some(vnd("100000")));
    let missing = gw.get_payment("NOPE").await.unwrap_err();
    assert!(matches!(missing, Error::NotFound(_)), "{missing:?}");
    assert!(matches!(gw.get_payment("  ").await, Err(Error::InvalidRequest(_))));
}

#[tokio::test]
async fn list_payments_by_reference_keeps_exact_matches() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v1/order"))
        .and(query_param("q", "DH5"))
        .and(query_param("per_page", "20"))
        .and(query_param("page", "1"))
        .respond_with(list_of(vec![
            order_json("DH5", "CANCELLED", "5000"),
            order_json("DH50", "CAPTURED", "5000"),
            order_json("DH5", "AUTHENTICATION_NOT_NEEDED", "5000"),
        ]))
        .expect(1)
        .mount(&server)
        .await;
    let page = gateway(&server)
        .list_payments(&PaymentFilter::reference("DH5"), PageRequest::first())
        .await
        .unwrap();
    let got: Vec<_> = page.items.iter().map(|p| (p.id.as_str(), p.status.clone())).collect();
    assert_eq!(got, [("DH5", PaymentStatus::Cancelled), ("DH5", PaymentStatus::Unpaid)]);
}

fn create_request(reference: &str) -> CreatePayment {
    let mut request = CreatePayment::new(vnd("150000"), reference, PaymentMethod::BankTransfer);
    request.description = Some("Thanh toán đơn hàng ĐH số 1".into());
    request.redirect_urls.success = Some("https://shop.example/ok".into());
    request.redirect_urls.failure = Some("https://shop.example/err".into());
    request.redirect_urls.cancel = Some("https://shop.example/cancel".into());
    request.items = vec![
        LineItem::new("Áo", vnd("50000"), 2),
        LineItem::new("Mũ", vnd("50000"), 1),
    ];
    request
}

#[tokio::test]
async fn create_builds_the_same_form_as_the_checkout_signer_when_the_reference_is_new() {
    let server = MockServer::start().await;
    mount_lookup(&server, "DH-NEW-1", json(200, fixture("orders/list_empty.json")), 1).await;
    let payment = gateway(&server)
        .create_payment(&create_request("DH-NEW-1"))
        .await
        .unwrap();

    let expected = CheckoutSigner::new(MERCHANT, SecretString::from(SECRET), CheckoutEnvironment::Sandbox)
        .form(
            &CheckoutOrder::new("DH-NEW-1", vnd("150000"), "Thanh toán đơn hàng ĐH số 1")
                .payment_method(CheckoutPaymentMethod::BankTransfer)
                .success_url("https://shop.example/ok")
                .error_url("https://shop.example/err")
                .cancel_url("https://shop.example/cancel"),
        )
        .unwrap();
    assert_eq!(payment.id, "DH-NEW-1");
    assert_eq!(payment.reference_id, "DH-NEW-1");
    assert_eq!(payment.amount, vnd("150000"));
    assert_eq!(payment.status, PaymentStatus::Unpaid);
    assert_eq!(payment.method, Some(PaymentMethod::BankTransfer));
    match payment.payer_action {
        Some(PayerAction::FormPost { url, fields }) => {
            assert_eq!(url, CHECKOUT_URL, "the overridden checkout URL");
            assert_eq!(fields, expected.fields);
            let get = |k: &str| fields.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
            assert_eq!(get("payment_method").as_deref(), Some("BANK_TRANSFER"));
            assert_eq!(get("order_amount").as_deref(), Some("150000"));
            assert_eq!(get("signature").as_deref(), Some(expected.signature()));
        }
        other => panic!("expected a form post, got {other:?}"),
    }
}

#[tokio::test]
async fn create_returns_the_existing_order_instead_of_a_second_form() {
    let server = MockServer::start().await;
    mount_lookup(
        &server,
        "DH123",
        json(
            200,
            fixture("orders/list_page1.json").replace("\"has_more\": true", "\"has_more\": false"),
        ),
        2,
    )
    .await;
    let gw = gateway(&server);
    let mut request = create_request("DH123");
    request.amount = vnd("100000");
    request.items.clear();
    for _ in 0..2 {
        let p = gw.create_payment(&request).await.unwrap();
        assert_eq!(p.id, "DH123");
        assert_eq!(p.status, PaymentStatus::Paid);
        assert_eq!(p.paid_amount, Some(vnd("100000")));
        assert_eq!(p.code.as_deref(), Some("NPSETVI00101000123A"));
        assert_eq!(p.payer_action, None, "no new form for a captured order");
    }
}

#[tokio::test]
async fn create_for_an_awaiting_order_returns_it_and_a_different_amount_conflicts() {
    let server = MockServer::start().await;
    mount_lookup(
        &server,
        "DH8",
        list_of(vec![order_json("DH8", "AUTHENTICATION_NOT_NEEDED", "150000.00")]),
        2,
    )
    .await;
    let gw = gateway(&server);
    let mut request = create_request("DH8");
    request.items.clear();
    let p = gw.create_payment(&request).await.unwrap();
    assert_eq!(p.status, PaymentStatus::Unpaid);
    assert_eq!(p.payer_action, None);
    request.amount = vnd("160000");
    let err = gw.create_payment(&request).await.unwrap_err();
    assert!(matches!(err, Error::Conflict(_)), "{err:?}");
}

#[tokio::test]
async fn create_after_a_cancelled_order_builds_a_new_form() {
    let server = MockServer::start().await;
    mount_lookup(
        &server,
        "DH9",
        list_of(vec![order_json("DH9", "CANCELLED", "150000.00")]),
        1,
    )
    .await;
    let p = gateway(&server).create_payment(&create_request("DH9")).await.unwrap();
    assert_eq!(p.status, PaymentStatus::Unpaid);
    assert!(matches!(p.payer_action, Some(PayerAction::FormPost { .. })));
}

#[tokio::test]
async fn create_refuses_bad_requests_before_sending_anything() {
    let server = MockServer::start().await;
    Mock::given(wiremock::matchers::any())
        .respond_with(ResponseTemplate::new(500))
        .expect(0)
        .mount(&server)
        .await;
    let gw = gateway(&server);
    let mut wallet = create_request("DH1");
    wallet.method = PaymentMethod::EWallet;
    let mut items_off = create_request("DH1");
    items_off.items.pop();
    let mut fraction = create_request("DH1");
    fraction.amount = vnd("150000.5");
    fraction.items.clear();
    let bad_reference = create_request("DH 1");
    for request in [wallet, items_off, fraction, bad_reference] {
        let err = gw.create_payment(&request).await.unwrap_err();
        assert!(matches!(err, Error::InvalidRequest(_)), "{err:?}");
    }
}

#[tokio::test]
async fn a_failed_lookup_fails_create() {
    let server = MockServer::start().await;
    // The lookup is a read: the default policy sends it once and retries it 3 times.
    mount_lookup(&server, "DH1", ResponseTemplate::new(503), 4).await;
    let err = gateway(&server)
        .create_payment(&create_request("DH1"))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Provider(_)), "{err:?}");
}

#[tokio::test]
async fn errors_map_through_the_crate_error_module() {
    let server = MockServer::start().await;
    let cases: Vec<(&str, ResponseTemplate)> = vec![
        (
            "unauth",
            json(
                401,
                r#"{"error":"unauthorized","message":"Invalid merchant credentials"}"#,
            ),
        ),
        ("missing", json(404, r#"{"message":"Order not found"}"#)),
        ("broken", json(500, r#"{"message":"Internal Server Error"}"#)),
        (
            "html",
            ResponseTemplate::new(502).set_body_raw(b"<html><body>Bad gateway</body></html>".to_vec(), "text/html"),
        ),
        (
            "html200",
            ResponseTemplate::new(200).set_body_raw(b"<html><body>Login</body></html>".to_vec(), "text/html"),
        ),
        ("limited", ResponseTemplate::new(429).insert_header("retry-after", "2")),
    ];
    for (name, reply) in cases {
        Mock::given(method("GET"))
            .and(path(format!("/v1/order/detail/{name}")))
            .respond_with(reply)
            .mount(&server)
            .await;
    }
    // Sent once each: the mapping is under test here, not the retries (tests/retry.rs).
    let gw = SepayPaymentGateway::builder(MERCHANT, SecretString::from(SECRET), CheckoutEnvironment::Sandbox)
        .order_api_base_url(&format!("{}/v1/", server.uri()))
        .checkout_url(CHECKOUT_URL)
        .retry_policy(provider_sepay::RetryPolicy::none())
        .build()
        .unwrap();
    let err = |e: Result<provider_sepay::Order, Error>| e.unwrap_err();

    let e = err(gw.order_detail("unauth").await);
    assert!(matches!(e, Error::Unauthorized(_)), "{e:?}");
    assert_eq!(e.status(), Some(401));
    assert!(e.to_string().contains("Invalid merchant credentials"), "{e}");

    let e = err(gw.order_detail("missing").await);
    assert!(matches!(e, Error::NotFound(_)), "{e:?}");

    let e = err(gw.order_detail("broken").await);
    assert!(matches!(e, Error::Provider(_)), "{e:?}");
    assert_eq!(e.status(), Some(500));

    let e = err(gw.order_detail("html").await);
    assert!(matches!(e, Error::Provider(_)), "{e:?}");
    let text = e.to_string();
    assert!(text.contains("non-JSON") && !text.contains("<html>"), "{text}");

    let e = err(gw.order_detail("html200").await);
    assert!(matches!(e, Error::Decode { .. }), "{e:?}");
    assert!(!e.to_string().contains("<html>"));

    let e = err(gw.order_detail("limited").await);
    assert!(matches!(e, Error::RateLimited { .. }), "{e:?}");
    assert_eq!(e.retry_after(), Some(std::time::Duration::from_secs(2)));
}

#[tokio::test]
async fn neither_debug_nor_errors_show_the_secret() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v1/order"))
        .respond_with(json(401, r#"{"message":"bad credentials"}"#))
        .mount(&server)
        .await;
    let builder = SepayPaymentGateway::builder(MERCHANT, SecretString::from(SECRET), CheckoutEnvironment::Sandbox)
        .order_api_base_url(&server.uri());
    let builder_debug = format!("{builder:?}");
    let gw = builder.build().unwrap();
    let err = gw.list_orders(&OrderFilter::default(), 1, 10).await.unwrap_err();
    for text in [builder_debug, format!("{gw:?}"), format!("{err:?}"), err.to_string()] {
        assert!(!text.contains(SECRET), "{text}");
        assert!(!text.contains("sk_5ECRET"), "{text}");
        assert!(!text.contains(&BASIC[6..]), "{text}");
    }
    assert!(format!("{gw:?}").contains(MERCHANT));
}
