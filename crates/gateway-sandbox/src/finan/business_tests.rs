//! End-to-end tests of customers, products and invoices over the signed API, and of paying an
//! invoice through an invoice-linked payment request and the payer simulation.

use reqwest::StatusCode;
use serde_json::{json, Value};

use super::payment_tests::{control, sandbox};
use super::tests::{assert_error, assert_success, call, data_len, Reply};
use crate::Sandbox;

fn customer_body(code: &str) -> Value {
    json!({
        "general_info": {
            "name": "Nguyen Van B",
            "customer_code": code,
            "phone": "0933456789",
            "phone_code": "+84",
            "email": "customerb@example.com",
            "type": "personal",
            "tax_id": "123456789",
            "contact_persons": [{ "name": "Jane Smith", "phone_number": "987654321", "email": "jane.smith@example.com" }],
            "custom_tag": "VIP"
        },
        "address": {
            "country": "Vietnam", "province": "Ho Chi Minh", "district": "District 1",
            "ward": "Ben Thanh Ward", "address": "123 Le Loi Street", "zip_code": "100000"
        },
        "bank_accounts": [{
            "bank_code": "201", "bank_name": "Vietcombank",
            "account_holder_name": "Nguyen Van B", "account_number": "123456789012"
        }]
    })
}

fn product_body(sku: &str, price: u64) -> Value {
    json!({
        "general_info": { "item_name": "Example Product", "sku_code": sku, "unit": "pcs", "description": "A sample." },
        "sale_info": { "sale_price": price, "sale_category_code": "C1001", "sale_tax_code": "TAX_CODE_10" },
        "purchase_info": { "purchase_price": 80000, "purchase_category_code": "D1001", "purchase_tax_code": "TAX_CODE_8" }
    })
}

fn invoice_body(code: &str, customer: &str, sku: &str) -> Value {
    json!({
        "invoice_code": code,
        "transaction_date": "2024-11-22T10:00:00Z",
        "due_date": "2024-11-29T10:00:00Z",
        "items": [{ "code": sku, "tax_code": "TAX_CODE_10", "unit_price": 100000, "quantity": 2, "note": "note for product" }],
        "tax_type": "price_excluding_tax",
        "discount": { "is_percentage": false, "value": 10000 },
        "customer": { "code": customer, "email": "customer@example.com" },
        "note": "This is a note for the invoice",
        "payment_methods": ["bank_transfer", "card", "ewallet_momo"]
    })
}

async fn post(s: &Sandbox, path: &str, body: &Value) -> Reply {
    call(s, "POST", path, &body.to_string(), 0).await
}

async fn created_id(s: &Sandbox, path: &str, body: &Value, key: &str) -> String {
    let reply = post(s, path, body).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);
    assert_eq!(reply.body["code"], 102001);
    reply.body["data"][key].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn customer_crud_conflict_and_not_found() {
    let s = sandbox().await;
    let id = created_id(&s, "/api/v1/customers", &customer_body("CUST1"), "customer_id").await;
    let reply = call(&s, "GET", &format!("/api/v1/customers/{id}"), "", 0).await;
    assert_success(&reply);
    assert_eq!(
        reply.body["data"]["general_info"],
        customer_body("CUST1")["general_info"]
    );
    assert_eq!(reply.body["data"]["address"], customer_body("CUST1")["address"]);

    let duplicate = post(&s, "/api/v1/customers", &customer_body("CUST1")).await;
    assert_error(&duplicate, StatusCode::CONFLICT, "Duplicate customer_code");

    let mut changed = customer_body("CUST1");
    changed["general_info"]["name"] = json!("Tran Thi C");
    let reply = call(&s, "PUT", &format!("/api/v1/customers/{id}"), &changed.to_string(), 0).await;
    assert_success(&reply);
    assert_eq!(reply.body["data"]["general_info"]["name"], "Tran Thi C");
    // Taking another customer's code on update is a conflict too.
    created_id(&s, "/api/v1/customers", &customer_body("CUST2"), "customer_id").await;
    let reply = call(
        &s,
        "PUT",
        &format!("/api/v1/customers/{id}"),
        &customer_body("CUST2").to_string(),
        0,
    )
    .await;
    assert_error(&reply, StatusCode::CONFLICT, "Duplicate customer_code");

    let reply = call(&s, "DELETE", &format!("/api/v1/customers/{id}"), "", 0).await;
    assert_success(&reply);
    assert_eq!(reply.body["data"]["customer_id"], id);
    for method in ["GET", "DELETE"] {
        let reply = call(&s, method, &format!("/api/v1/customers/{id}"), "", 0).await;
        assert_error(&reply, StatusCode::NOT_FOUND, "Customer not found");
    }
    assert_eq!(s.finan().customer_count(), 1);
}

#[tokio::test]
async fn customer_validation() {
    let s = sandbox().await;
    let cases: Vec<(Value, StatusCode, &str)> = vec![
        (json!([]), StatusCode::BAD_REQUEST, "Invalid request body"),
        (json!({}), StatusCode::BAD_REQUEST, "general_info is required"),
        (
            json!({"general_info": {"name": "A", "type": "personal"}}),
            StatusCode::BAD_REQUEST,
            "general_info.customer_code is required",
        ),
        (
            json!({"general_info": {"name": "A", "customer_code": 7, "type": "personal"}}),
            StatusCode::BAD_REQUEST,
            "general_info.customer_code must be a string",
        ),
        (
            json!({"general_info": {"name": "A", "customer_code": "C", "type": "robot"}}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "general_info.type must be personal or company",
        ),
        (
            json!({"general_info": {"name": "A", "customer_code": "C", "type": "company"}}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "general_info.contact_persons is required for a company",
        ),
    ];
    for (body, status, reason) in cases {
        assert_error(&post(&s, "/api/v1/customers", &body).await, status, reason);
    }
    let reply = call(&s, "POST", "/api/v1/customers", "{not json", 0).await;
    assert_error(&reply, StatusCode::BAD_REQUEST, "Invalid request body");
    assert_eq!(s.finan().customer_count(), 0);
}

#[tokio::test]
async fn lists_are_paged_with_meta() {
    let s = sandbox().await;
    for n in 0..5 {
        created_id(
            &s,
            "/api/v1/products",
            &product_body(&format!("SKU{n}"), 1000),
            "product_id",
        )
        .await;
    }
    let reply = call(&s, "GET", "/api/v1/products?page=2&page_size=2", "", 0).await;
    assert_success(&reply);
    assert_eq!(data_len(&reply), 2);
    assert_eq!(
        reply.body["meta"],
        json!({"page": 2, "page_size": 2, "total_pages": 3, "total_rows": 5})
    );
    assert_eq!(reply.body["data"][0]["general_info"]["sku_code"], "SKU2");
    let reply = call(&s, "GET", "/api/v1/products?page=0", "", 0).await;
    assert_error(&reply, StatusCode::BAD_REQUEST, "page must be a positive integer");
    let reply = call(&s, "GET", "/api/v1/customers", "", 0).await;
    assert_success(&reply);
    assert_eq!(data_len(&reply), 0);
}

#[tokio::test]
async fn product_rules() {
    let s = sandbox().await;
    let id = created_id(&s, "/api/v1/products", &product_body("SKU1", 100000), "product_id").await;
    assert!(id.starts_with("PROD-"), "{id}");
    let reply = post(&s, "/api/v1/products", &product_body("SKU1", 5)).await;
    assert_error(&reply, StatusCode::CONFLICT, "Duplicate sku_code");
    let mut body = product_body("SKU2", 5);
    body["sale_info"]["sale_price"] = json!(10.5);
    let reply = post(&s, "/api/v1/products", &body).await;
    assert_error(
        &reply,
        StatusCode::BAD_REQUEST,
        "sale_info.sale_price must be a whole number, 0 or more",
    );
    let mut body = product_body("SKU2", 5);
    body["sale_info"]["sale_tax_code"] = json!("VAT10");
    let reply = post(&s, "/api/v1/products", &body).await;
    assert_error(
        &reply,
        StatusCode::UNPROCESSABLE_ENTITY,
        "sale_info.sale_tax_code is not a known tax code",
    );
    let reply = call(
        &s,
        "PUT",
        &format!("/api/v1/products/{id}"),
        &product_body("SKU1", 7).to_string(),
        0,
    )
    .await;
    assert_success(&reply);
    assert_eq!(reply.body["data"]["sale_info"]["sale_price"], 7);
    let reply = call(
        &s,
        "PUT",
        "/api/v1/products/PROD-nope",
        &product_body("SKU9", 7).to_string(),
        0,
    )
    .await;
    assert_error(&reply, StatusCode::NOT_FOUND, "Product not found");
}

#[tokio::test]
async fn invoice_totals_follow_tax_type_and_discount() {
    let s = sandbox().await;
    created_id(&s, "/api/v1/customers", &customer_body("CUST123"), "customer_id").await;
    created_id(&s, "/api/v1/products", &product_body("PRD0001", 150000), "product_id").await;
    let reply = post(&s, "/api/v1/invoices", &invoice_body("INV1", "CUST123", "PRD0001")).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);
    let data = &reply.body["data"];
    // 2 × 100,000 = 200,000; 10 % tax = 20,000; discount 10,000.
    assert_eq!(data["sub_total"], 200000);
    assert_eq!(data["tax_amount"], 20000);
    assert_eq!(data["discount_amount"], 10000);
    assert_eq!(data["total_amount"], 210000);
    assert_eq!(data["status"], "unpaid");
    assert_eq!(data["items"][0]["name"], "Example Product");
    assert_eq!(data["customer"]["name"], "Nguyen Van B");
    let id = data["invoice_id"].as_str().unwrap().to_owned();
    let link = data["payment_link"].as_str().unwrap();
    assert!(link.ends_with(&format!("/__sandbox/finan/invoices/{id}")), "{link}");
    let page = reqwest::get(link).await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    assert!(page.text().await.unwrap().contains("Total: 210000 VND"));

    // Prices including tax, unit price from the product, a 10 % discount.
    let mut body = invoice_body("INV2", "CUST123", "PRD0001");
    body["tax_type"] = json!("price_including_tax");
    body["items"][0].as_object_mut().unwrap().remove("unit_price");
    body["discount"] = json!({"is_percentage": true, "value": 10});
    body["transaction_date"] = json!("2024-11-22T17:00:00+07:00");
    let reply = post(&s, "/api/v1/invoices", &body).await;
    let data = &reply.body["data"];
    // 2 × 150,000 = 300,000 gross, of which 27,273 tax; net 272,727; discount 27,273.
    assert_eq!(data["items"][0]["unit_price"], 150000);
    assert_eq!(data["tax_amount"], 27273);
    assert_eq!(data["sub_total"], 272727);
    assert_eq!(data["discount_amount"], 27273);
    assert_eq!(data["total_amount"], 272727);
    assert_eq!(data["transaction_date"], "2024-11-22T10:00:00Z");

    let duplicate = post(&s, "/api/v1/invoices", &invoice_body("INV1", "CUST123", "PRD0001")).await;
    assert_error(&duplicate, StatusCode::CONFLICT, "Duplicate invoice_code");
}

#[tokio::test]
async fn invoice_validation() {
    let s = sandbox().await;
    created_id(&s, "/api/v1/customers", &customer_body("C"), "customer_id").await;
    created_id(&s, "/api/v1/products", &product_body("P", 1000), "product_id").await;
    let with = |f: &dyn Fn(&mut Value)| {
        let mut body = invoice_body("I", "C", "P");
        f(&mut body);
        body
    };
    let cases: Vec<(Value, StatusCode, &str)> = vec![
        (
            with(&|b| b["due_date"] = json!("tomorrow")),
            StatusCode::BAD_REQUEST,
            "due_date must be an RFC 3339 date-time",
        ),
        (
            with(&|b| b["items"][0]["quantity"] = json!("2")),
            StatusCode::BAD_REQUEST,
            "items[0].quantity must be an integer",
        ),
        (
            with(&|b| b["items"] = json!({})),
            StatusCode::BAD_REQUEST,
            "items must be an array",
        ),
        (
            with(&|b| b["items"] = json!([])),
            StatusCode::UNPROCESSABLE_ENTITY,
            "items must not be empty",
        ),
        (
            with(&|b| b["items"][0]["tax_code"] = json!("TAX_CODE_X")),
            StatusCode::UNPROCESSABLE_ENTITY,
            "items[0].tax_code is not a known tax code",
        ),
        (
            with(&|b| b["tax_type"] = json!("gross")),
            StatusCode::UNPROCESSABLE_ENTITY,
            "tax_type must be one of price_excluding_tax, price_including_tax, tax_not_applicable",
        ),
        (
            with(&|b| b["payment_methods"] = json!(["cash"])),
            StatusCode::UNPROCESSABLE_ENTITY,
            "payment_methods must list bank_transfer, card or ewallet_momo",
        ),
        (
            with(&|b| b["due_date"] = json!("2024-01-01T00:00:00Z")),
            StatusCode::UNPROCESSABLE_ENTITY,
            "due_date must not be before transaction_date",
        ),
        (
            with(&|b| b["customer"]["code"] = json!("NOPE")),
            StatusCode::NOT_FOUND,
            "Customer not found: NOPE",
        ),
        (
            with(&|b| b["items"][0]["code"] = json!("NOPE")),
            StatusCode::NOT_FOUND,
            "Product not found: NOPE",
        ),
        (
            with(&|b| b["account_id"] = json!("nope")),
            StatusCode::NOT_FOUND,
            "Account ID not found",
        ),
    ];
    for (body, status, reason) in cases {
        assert_error(&post(&s, "/api/v1/invoices", &body).await, status, reason);
    }
    assert!(s.finan().invoices().is_empty());
}

#[tokio::test]
async fn paying_an_invoice_linked_payment_pays_the_invoice() {
    let s = sandbox().await;
    created_id(&s, "/api/v1/customers", &customer_body("C"), "customer_id").await;
    created_id(&s, "/api/v1/products", &product_body("P", 1000), "product_id").await;
    let invoice_id = created_id(&s, "/api/v1/invoices", &invoice_body("I", "C", "P"), "invoice_id").await;
    let payment = json!({
        "payment_method": "bank_transfer", "amount": 210000,
        "reference_type": "invoice", "reference_id": invoice_id
    });
    let reply = post(&s, "/api/v1/payments", &payment).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);
    let payment_id = reply.body["data"]["payment_request_id"].as_str().unwrap().to_owned();

    let (status, _) = control(
        &s,
        "POST",
        &format!("/__sandbox/finan/payments/{payment_id}/pay"),
        Some(json!({"amount": 10000})),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let invoice = s.finan().invoice(&invoice_id).unwrap();
    assert_eq!((invoice.status, invoice.paid_amount), ("partial_paid", 10000));
    // Once paid, the invoice can no longer be changed.
    let reply = call(&s, "DELETE", &format!("/api/v1/invoices/{invoice_id}"), "", 0).await;
    assert_error(
        &reply,
        StatusCode::UNPROCESSABLE_ENTITY,
        "Invoice has payments and can no longer be changed",
    );

    s.finan().pay(&payment_id, 200000).unwrap();
    let reply = call(&s, "GET", &format!("/api/v1/invoices/{invoice_id}"), "", 0).await;
    assert_success(&reply);
    assert_eq!(reply.body["data"]["status"], "paid");
    assert_eq!(reply.body["data"]["paid_amount"], 210000);
}

#[tokio::test]
async fn invoice_update_and_delete() {
    let s = sandbox().await;
    created_id(&s, "/api/v1/customers", &customer_body("C"), "customer_id").await;
    created_id(&s, "/api/v1/products", &product_body("P", 1000), "product_id").await;
    let id = created_id(&s, "/api/v1/invoices", &invoice_body("I", "C", "P"), "invoice_id").await;
    let mut body = invoice_body("I", "C", "P");
    body["items"][0]["quantity"] = json!(3);
    let reply = call(&s, "PUT", &format!("/api/v1/invoices/{id}"), &body.to_string(), 0).await;
    assert_success(&reply);
    assert_eq!(reply.body["data"]["invoice_id"], id.as_str());
    assert_eq!(reply.body["data"]["total_amount"], 320000);
    let reply = call(&s, "DELETE", &format!("/api/v1/invoices/{id}"), "", 0).await;
    assert_success(&reply);
    let reply = call(&s, "GET", &format!("/api/v1/invoices/{id}"), "", 0).await;
    assert_error(&reply, StatusCode::NOT_FOUND, "Invoice not found");
}
