//! Customers, products and invoices: every operation end to end against the independent Finan
//! emulator in `gateway-sandbox` (real signatures, pages, 409, 404, 400/422, invoice totals and an
//! invoice paid through the payer simulation), and against wiremock for what a server may send
//! that the sandbox never does (malformed JSON, HTML, wrong types, unknown values, retries).

mod common;

use chrono::{DateTime, Duration as Days, Utc};
use futures::TryStreamExt;
use gateway_core::{Error, Money, PaymentMethod, PaymentProvider, PaymentStatus, RetryPolicy};
use gateway_sandbox::{Sandbox, SandboxConfig, SandboxCredentials};
use provider_finan::{
    decode_reply, ContactPerson, Customer, CustomerType, Discount, FinanClient, Invoice, InvoiceItem,
    InvoicePaymentMethod, InvoiceStatus, NewCustomer, NewInvoice, NewProduct, Product, SecretString, TaxCode, TaxType,
};
use rust_decimal::Decimal;
use serde_json::json;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

async fn sandbox() -> Sandbox {
    let config = SandboxConfig {
        finan_requests_per_minute: None,
        ..SandboxConfig::default()
    };
    Sandbox::start_with(config, SandboxCredentials::default())
        .await
        .unwrap()
}

fn client(sandbox: &Sandbox) -> FinanClient {
    FinanClient::builder()
        .client_id(sandbox.credentials().finan_client_id.clone())
        .secret_key(SecretString::from(sandbox.credentials().finan_secret_key.clone()))
        .base_url(&sandbox.finan_base_url())
        .requests_per_minute(6000)
        .build()
        .unwrap()
}

fn date(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text).unwrap().with_timezone(&Utc)
}

fn customer(code: &str) -> NewCustomer {
    NewCustomer::personal("Nguyen Van B", code)
        .email("customerb@example.com")
        .phone("+84", "0933456789")
}

fn invoice(code: &str, customer: &str, sku: &str) -> NewInvoice {
    let day = date("2024-11-22T10:00:00Z");
    NewInvoice::new(code, customer, day, day + Days::days(7))
        .item(InvoiceItem::new(sku, TaxCode::vat_10(), 2).unit_price(100_000))
        .discount(Discount::amount(10_000))
}

#[tokio::test]
async fn customer_create_get_update_delete() {
    let s = sandbox().await;
    let finan = client(&s);
    let created = finan.create_customer(&customer("CUST1")).await.unwrap();
    assert_eq!(created.general_info.customer_code, "CUST1");
    assert_eq!(created.general_info.customer_type, CustomerType::Personal);
    assert!(created.created_at.is_some());

    let read = finan.get_customer(&created.customer_id).await.unwrap();
    assert_eq!(read, created);

    let mut changed = customer("CUST1");
    changed.general_info.name = "Tran Thi C".into();
    let updated = finan.update_customer(&created.customer_id, &changed).await.unwrap();
    assert_eq!(updated.general_info.name, "Tran Thi C");
    assert_eq!(updated.customer_id, created.customer_id);

    let company = NewCustomer::company(
        "Cong ty A",
        "CUST2",
        ContactPerson {
            name: "Jane Smith".into(),
            ..ContactPerson::default()
        },
    );
    let company = finan.create_customer(&company).await.unwrap();
    assert_eq!(company.general_info.customer_type, CustomerType::Company);
    assert_eq!(company.general_info.contact_persons.len(), 1);

    finan.delete_customer(&created.customer_id).await.unwrap();
    assert!(matches!(
        finan.get_customer(&created.customer_id).await,
        Err(Error::NotFound(_))
    ));
    assert!(matches!(
        finan.delete_customer(&created.customer_id).await,
        Err(Error::NotFound(_))
    ));
    assert_eq!(s.finan().customer_count(), 1);
}

#[tokio::test]
async fn duplicate_codes_are_conflicts_and_unknown_ids_not_found() {
    let s = sandbox().await;
    let finan = client(&s);
    finan.create_customer(&customer("DUP")).await.unwrap();
    match finan.create_customer(&customer("DUP")).await {
        Err(Error::Conflict(context)) => {
            assert_eq!(context.status, Some(409));
            assert!(context.message.contains("customer_code"), "{}", context.message);
        }
        other => panic!("{other:?}"),
    }
    let other = finan.create_customer(&customer("OTHER")).await.unwrap();
    assert!(matches!(
        finan.update_customer(&other.customer_id, &customer("DUP")).await,
        Err(Error::Conflict(_))
    ));
    finan.create_product(&NewProduct::new("A", "SKU", 1, 1)).await.unwrap();
    assert!(matches!(
        finan.create_product(&NewProduct::new("B", "SKU", 1, 1)).await,
        Err(Error::Conflict(_))
    ));
    for result in [
        finan.get_product("PROD-nope").await.map(|_| ()),
        finan
            .update_product("PROD-nope", &NewProduct::new("C", "C", 1, 1))
            .await
            .map(|_| ()),
        finan.delete_product("PROD-nope").await,
        finan.get_invoice("nope").await.map(|_| ()),
        finan.delete_invoice("nope").await,
        finan.update_customer("nope", &customer("X")).await.map(|_| ()),
    ] {
        assert!(matches!(result, Err(Error::NotFound(_))), "{result:?}");
    }
}

#[tokio::test]
async fn product_pages_and_stream() {
    let s = sandbox().await;
    let finan = client(&s);
    for n in 0..7 {
        let product = NewProduct::new(format!("Product {n}"), format!("SKU{n}"), 1_000 * (n + 1), 500)
            .sale_tax_code(TaxCode::percent(8))
            .unit("pcs");
        finan.create_product(&product).await.unwrap();
    }
    let first = finan.list_products(1, 3).await.unwrap();
    assert_eq!(first.items.len(), 3);
    assert_eq!(first.total, Some(7));
    assert_eq!(first.next.as_ref().map(|c| c.as_str()), Some("2"));
    let last = finan.list_products(3, 3).await.unwrap();
    assert_eq!(last.items.len(), 1);
    assert!(last.next.is_none());
    assert_eq!(last.items[0].general_info.sku_code, "SKU6");
    assert_eq!(last.items[0].sale_info.sale_price, 7_000);
    assert_eq!(last.items[0].sale_info.sale_tax_code, Some(TaxCode::percent(8)));

    let all: Vec<Product> = finan.stream_products().try_collect().await.unwrap();
    let skus: Vec<_> = all.iter().map(|p| p.general_info.sku_code.as_str()).collect();
    assert_eq!(skus, ["SKU0", "SKU1", "SKU2", "SKU3", "SKU4", "SKU5", "SKU6"]);
    let customers: Vec<Customer> = finan.stream_customers().try_collect().await.unwrap();
    assert!(customers.is_empty());
    let found = finan.find_product_by_sku("SKU5").await.unwrap().expect("SKU5 exists");
    assert_eq!(found.general_info.item_name, "Product 5");
    assert!(finan.find_product_by_sku("SKU9").await.unwrap().is_none());
    assert!(finan.find_customer_by_code("C").await.unwrap().is_none());

    // Bad pages are refused before anything is sent.
    let before = s.finan().request_count();
    assert!(matches!(finan.list_products(0, 3).await, Err(Error::InvalidRequest(_))));
    assert!(matches!(
        finan.list_invoices(1, 101).await,
        Err(Error::InvalidRequest(_))
    ));
    assert_eq!(s.finan().request_count(), before);
}

#[tokio::test]
async fn invoice_totals_link_update_and_delete() {
    let s = sandbox().await;
    let finan = client(&s);
    finan.create_customer(&customer("CUST123")).await.unwrap();
    finan
        .create_product(&NewProduct::new("Example Product", "PRD0001", 150_000, 80_000))
        .await
        .unwrap();
    let created = finan
        .create_invoice(&invoice("INV1", "CUST123", "PRD0001"))
        .await
        .unwrap();
    assert_eq!(created.status, Some(InvoiceStatus::Unpaid));
    assert_eq!(created.sub_total, Some(200_000));
    assert_eq!(created.tax_amount, Some(20_000));
    assert_eq!(created.discount_amount, Some(10_000));
    assert_eq!(created.total_amount, Some(210_000));
    assert_eq!(created.tax_type, Some(TaxType::PriceExcludingTax));
    assert_eq!(created.payment_methods, [InvoicePaymentMethod::BankTransfer]);
    assert_eq!(created.transaction_date, Some(date("2024-11-22T10:00:00Z")));
    let link = created.payment_link.clone().expect("a payment link");
    let page = reqwest::get(&link).await.unwrap();
    assert!(page.status().is_success(), "{link}");

    // Prices including tax, the product's own price, 10 % off.
    let mut changed = invoice("INV1", "CUST123", "PRD0001");
    changed.tax_type = TaxType::PriceIncludingTax;
    changed.items[0].unit_price = None;
    changed.discount = Some(Discount::percent(Decimal::from(10)));
    let updated = finan.update_invoice(&created.invoice_id, &changed).await.unwrap();
    assert_eq!(updated.items[0].unit_price, Some(150_000));
    assert_eq!(updated.tax_amount, Some(27_273));
    assert_eq!(updated.total_amount, Some(272_727));
    assert_eq!(updated.discount, Some(Discount::percent(Decimal::from(10))));

    assert!(matches!(
        finan.create_invoice(&invoice("INV1", "CUST123", "PRD0001")).await,
        Err(Error::Conflict(_))
    ));
    // Unknown customer and product codes are Finan's 404s.
    assert!(matches!(
        finan.create_invoice(&invoice("INV2", "NOBODY", "PRD0001")).await,
        Err(Error::NotFound(_))
    ));
    let page = finan.list_invoices(1, 10).await.unwrap();
    assert_eq!(page.items.len(), 1);
    let found = finan.find_invoice_by_code("INV1").await.unwrap().expect("INV1 exists");
    assert_eq!(found.invoice_id, created.invoice_id);
    assert!(finan.find_customer_by_code("CUST123").await.unwrap().is_some());
    finan.delete_invoice(&created.invoice_id).await.unwrap();
    assert!(finan.list_invoices(1, 10).await.unwrap().items.is_empty());
}

#[tokio::test]
async fn an_invoice_is_paid_through_an_invoice_linked_payment_request() {
    let s = sandbox().await;
    let finan = client(&s);
    finan.create_customer(&customer("C")).await.unwrap();
    finan.create_product(&NewProduct::new("P", "P", 1, 1)).await.unwrap();
    let created = finan.create_invoice(&invoice("I", "C", "P")).await.unwrap();
    let total = created.total_amount.unwrap();
    let amount = Money::from_minor_units(i64::try_from(total).unwrap(), gateway_core::Currency::VND);
    let payment = finan
        .create_invoice_payment(&created.invoice_id, amount, PaymentMethod::BankTransfer)
        .await
        .unwrap();

    s.finan().pay(&payment.id, 10_000).unwrap();
    let partly = finan.get_invoice(&created.invoice_id).await.unwrap();
    assert_eq!(partly.status, Some(InvoiceStatus::PartialPaid));
    assert_eq!(partly.paid_amount, Some(10_000));
    assert!(!partly.is_paid());
    // An invoice with payments can no longer change: Finan's 422.
    assert!(matches!(
        finan.delete_invoice(&created.invoice_id).await,
        Err(Error::InvalidRequest(_))
    ));

    s.finan().pay(&payment.id, total - 10_000).unwrap();
    let paid = finan.get_invoice(&created.invoice_id).await.unwrap();
    assert_eq!(paid.status, Some(InvoiceStatus::Paid));
    assert!(paid.is_paid());
    assert_eq!(
        finan.get_payment(&payment.id).await.unwrap().status,
        PaymentStatus::Paid
    );
}

#[tokio::test]
async fn bodies_that_cannot_be_right_are_refused_before_sending() {
    let s = sandbox().await;
    let finan = client(&s);
    let day = date("2024-11-22T10:00:00Z");
    let no_items = NewInvoice::new("I", "C", day, day);
    let backwards = invoice("I", "C", "P");
    let backwards = NewInvoice {
        due_date: day - Days::days(1),
        ..backwards
    };
    let zero = NewInvoice::new("I", "C", day, day).item(InvoiceItem::new("P", TaxCode::vat_10(), 0));
    let no_methods = invoice("I", "C", "P").payment_methods(Vec::new());
    for body in [no_items, backwards, zero, no_methods] {
        assert!(matches!(
            finan.create_invoice(&body).await,
            Err(Error::InvalidRequest(_))
        ));
    }
    let mut company = NewCustomer::personal("A", "B");
    company.general_info.customer_type = CustomerType::Company;
    assert!(matches!(
        finan.create_customer(&company).await,
        Err(Error::InvalidRequest(_))
    ));
    assert!(matches!(
        finan.create_customer(&NewCustomer::personal(" ", "B")).await,
        Err(Error::InvalidRequest(_))
    ));
    assert!(matches!(
        finan.create_product(&NewProduct::new("A", "", 1, 1)).await,
        Err(Error::InvalidRequest(_))
    ));
    for id in ["", " ", ".", ".."] {
        assert!(matches!(finan.get_customer(id).await, Err(Error::InvalidRequest(_))));
        assert!(matches!(finan.delete_invoice(id).await, Err(Error::InvalidRequest(_))));
    }
    assert_eq!(s.finan().request_count(), 0);

    // What only Finan can tell (an unknown tax code) is its 422, typed the same.
    finan.create_customer(&customer("C")).await.unwrap();
    finan.create_product(&NewProduct::new("P", "P", 1, 1)).await.unwrap();
    let mut odd = invoice("I", "C", "P");
    odd.items[0].tax_code = TaxCode::from("VAT");
    match finan.create_invoice(&odd).await {
        Err(Error::InvalidRequest(context)) => assert_eq!(context.status, Some(422)),
        other => panic!("{other:?}"),
    }
}

// ---- recorded and hostile replies (wiremock) --------------------------------------------------

/// The product page's documented create response (its `data` as shown in the docs).
const DOCS_PRODUCT_CREATED: &str = r#"{
  "message": { "content": "Thực thi API thành công" },
  "code": 102001,
  "request_id": "abc123...",
  "data": {
    "product_id": "PROD-550e8400-e29b-41d4-a716-446655440000",
    "general_info": { "item_name": "Example Product", "sku_code": "SKU12345", "unit": "pcs", "description": "This is a sample product." },
    "sale_info": { "sale_price": 100000, "sale_category_code": "C1001", "sale_tax_code": "TAX_CODE_10" },
    "purchase_info": { "purchase_price": 80000, "purchase_category_code": "D1001", "purchase_tax_code": "TAX_CODE_8" }
  }
}"#;

#[test]
fn recorded_product_response_decodes() {
    let product: Product = decode_reply(201, Some("application/json"), DOCS_PRODUCT_CREATED.as_bytes()).unwrap();
    assert_eq!(product.product_id, "PROD-550e8400-e29b-41d4-a716-446655440000");
    assert_eq!(product.sale_info.sale_price, 100_000);
    assert_eq!(
        product.sale_info.sale_tax_code.as_ref().and_then(TaxCode::rate_percent),
        Some(10)
    );
    assert_eq!(product.purchase_info.unwrap().purchase_price, 80_000);
    assert!(product.created_at.is_none());
}

#[test]
fn recorded_invoice_with_unknown_values_decodes_and_wrong_types_do_not() {
    let body = json!({
        "code": 102000, "message": {"content": "ok"}, "request_id": "r",
        "data": {
            "invoice_id": "inv-1", "invoice_code": "INV-001", "status": "cancelled",
            "transaction_date": "2024-01-20T17:00:00+07:00", "tax_type": "reverse_charge",
            "items": [{"code": "PRD0001", "tax_code": "TAX_CODE_KCT", "quantity": 2, "unit_price": 100000}],
            "customer": {"code": "CUST123"}, "payment_methods": ["bank_transfer", "vnpay"],
            "discount": {"is_percentage": true, "value": 12.5},
            "payment_link": "https://pay.finan.one/i/inv-1", "bank_accounts": null
        }
    });
    let invoice: Invoice = decode_reply(200, None, body.to_string().as_bytes()).unwrap();
    assert_eq!(invoice.status, Some(InvoiceStatus::Other("cancelled".into())));
    assert_eq!(invoice.tax_type, Some(TaxType::Other("reverse_charge".into())));
    assert_eq!(invoice.transaction_date, Some(date("2024-01-20T10:00:00Z")));
    assert_eq!(invoice.payment_methods[1], InvoicePaymentMethod::Other("vnpay".into()));
    assert_eq!(invoice.discount.unwrap().value, Decimal::new(125, 1));
    assert!(invoice.items[0].tax_code.rate_percent().is_none());
    // Amounts sent as strings of digits are read as the same whole VND.
    let mut as_text = body.clone();
    as_text["data"]["total_amount"] = json!("210000");
    let invoice: Invoice = decode_reply(200, None, as_text.to_string().as_bytes()).unwrap();
    assert_eq!(invoice.total_amount, Some(210_000));

    for (field, value) in [
        ("total_amount", json!(1.5)),
        ("total_amount", json!(-3)),
        ("total_amount", json!("21.5")),
        ("due_date", json!("next week")),
        ("items", json!({})),
        ("status", json!(3)),
    ] {
        let mut bad = body.clone();
        bad["data"][field] = value.clone();
        let result = decode_reply::<Invoice>(200, None, bad.to_string().as_bytes());
        assert!(
            matches!(result, Err(Error::Decode { status: Some(200), .. })),
            "{field} = {value}: {result:?}"
        );
    }
}

fn wiremock_client(server: &MockServer) -> FinanClient {
    FinanClient::builder()
        .client_id(common::CLIENT_ID)
        .secret_key(SecretString::from(common::SECRET))
        .base_url(&format!("{}/open", server.uri()))
        .retry_policy(
            RetryPolicy::default()
                .base_delay(std::time::Duration::from_millis(1))
                .max_delay(std::time::Duration::from_millis(5)),
        )
        .build()
        .unwrap()
}

#[tokio::test]
async fn malformed_html_and_error_bodies_are_typed_errors() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/open/api/v1/customers/html"))
        .respond_with(ResponseTemplate::new(200).set_body_raw("<html>maintenance</html>", "text/html"))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/open/api/v1/customers/cut"))
        .respond_with(
            ResponseTemplate::new(200).set_body_raw(r#"{"code":102000,"data":{"customer_"#, "application/json"),
        )
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/open/api/v1/customers/wrong"))
        .respond_with(ResponseTemplate::new(200).set_body_json(common::ok(json!({"customer_id": 7}))))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/open/api/v1/customers"))
        .respond_with(ResponseTemplate::new(409).set_body_json(json!({
            "message": {"content": "Conflict", "error": "customer_code already exists"},
            "code": 409000, "request_id": "req-409"
        })))
        .mount(&server)
        .await;
    let finan = wiremock_client(&server);
    for id in ["html", "cut", "wrong"] {
        let result = finan.get_customer(id).await;
        assert!(
            matches!(result, Err(Error::Decode { status: Some(200), .. })),
            "{id}: {result:?}"
        );
    }
    match finan.create_customer(&customer("C")).await {
        Err(Error::Conflict(context)) => {
            assert_eq!(context.message, "customer_code already exists");
            assert_eq!(context.request_id.as_deref(), Some("req-409"));
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn writes_are_sent_once_and_reads_retried() {
    let server = MockServer::start().await;
    for verb in ["PUT", "DELETE", "GET"] {
        Mock::given(method(verb))
            .and(path("/open/api/v1/invoices/inv-1"))
            .respond_with(ResponseTemplate::new(503).set_body_json(json!({"code": 500000})))
            .mount(&server)
            .await;
    }
    let finan = wiremock_client(&server);
    assert!(matches!(
        finan.update_invoice("inv-1", &invoice("I", "C", "P")).await,
        Err(Error::Provider(_))
    ));
    assert!(matches!(finan.delete_invoice("inv-1").await, Err(Error::Provider(_))));
    assert!(matches!(finan.get_invoice("inv-1").await, Err(Error::Provider(_))));
    let requests = server.received_requests().await.unwrap();
    let count = |verb: &str| requests.iter().filter(|r| r.method.as_str() == verb).count();
    assert_eq!((count("PUT"), count("DELETE")), (1, 1));
    assert_eq!(count("GET"), 4, "a read is retried 3 times by default");
    // The PUT carried the body it signed.
    let put = requests.iter().find(|r| r.method.as_str() == "PUT").unwrap();
    let sent: serde_json::Value = serde_json::from_slice(&put.body).unwrap();
    assert_eq!(sent["invoice_code"], "I");
    let signature = put.headers.get("x-signature").unwrap().to_str().unwrap();
    let timestamp: i64 = put
        .headers
        .get("x-timestamp")
        .unwrap()
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(
        signature,
        provider_finan::signing::signature(common::SECRET, "PUT", "/api/v1/invoices/inv-1", &put.body, timestamp)
    );
}

#[tokio::test]
async fn an_update_answered_without_data_is_read_back() {
    let server = MockServer::start().await;
    let record = json!({
        "customer_id": "c-1",
        "general_info": {"name": "A", "customer_code": "C", "type": "personal"}
    });
    Mock::given(method("PUT"))
        .and(path("/open/api/v1/customers/c-1"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"code": 102000, "data": null})))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/open/api/v1/customers/c-1"))
        .respond_with(ResponseTemplate::new(200).set_body_json(common::ok(record)))
        .expect(1)
        .mount(&server)
        .await;
    let finan = wiremock_client(&server);
    let updated = finan
        .update_customer("c-1", &NewCustomer::personal("A", "C"))
        .await
        .unwrap();
    assert_eq!(updated.customer_id, "c-1");
    assert!(updated.bank_accounts.is_empty());
}
