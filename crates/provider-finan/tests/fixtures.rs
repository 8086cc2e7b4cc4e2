//! Every JSON example of the Finan seeds for these endpoints (saved verbatim in `tests/fixtures/`)
//! parses into the wire models and maps to the core models.

mod common;

use chrono::{DateTime, FixedOffset};
use common::fixture;
use gateway_core::{AccountKind, AccountStatus, Currency, Money};
use provider_finan::{mapping, wire};
use serde::Deserialize;

fn envelope(name: &str) -> wire::Envelope {
    serde_json::from_str(&fixture(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn data<T: serde::de::DeserializeOwned>(env: &wire::Envelope) -> T {
    serde_json::from_str(env.data.as_ref().expect("data").get()).expect("data decodes")
}

fn time(text: &str) -> Option<DateTime<FixedOffset>> {
    Some(DateTime::parse_from_rfc3339(text).unwrap())
}

#[test]
fn master_bank_accounts_success() {
    let env = envelope("master_bank_accounts_success.json");
    assert_eq!(env.code, 102000);
    assert_eq!(env.request_id.as_deref(), Some("abc123..."));
    assert!(env.meta.is_none());
    let accounts: Vec<wire::Account> = data(&env);
    assert_eq!(accounts.len(), 1);
    assert_eq!(accounts[0].qr_code.as_deref(), Some("https://api.finan.one/qr/abc123"));

    let account = mapping::master_account(accounts.into_iter().next().unwrap()).unwrap();
    assert_eq!(account.id, "550e8400-e29b-41d4-a716-446655440000");
    assert_eq!(account.account_number, "1234XXXX5678");
    assert_eq!(account.account_holder_name, "COMPANY ABC");
    assert_eq!(account.kind, AccountKind::Master);
    assert_eq!(
        account.balance,
        Some(Money::from_minor_units(15_000_000, Currency::VND))
    );
    assert_eq!(account.status, AccountStatus::Active);
    // "SHB" at Finan is Shinhan Bank (NAPAS SHBVN, BIN 970424).
    assert_eq!(account.bank.bin.as_deref(), Some("970424"));
    assert_eq!(account.bank.code, "SHBVN");
    assert_eq!(account.created_at, time("2024-01-15T10:30:00Z"));
    assert_eq!(account.label, None);
}

#[test]
fn bank_accounts_success() {
    let env = envelope("bank_accounts_success.json");
    assert_eq!(env.code, 102000);
    let accounts: Vec<wire::Account> = data(&env);
    let account = mapping::bank_account(accounts.into_iter().next().unwrap()).unwrap();
    assert_eq!(account.id, "660e8400-e29b-41d4-a716-446655440001");
    assert_eq!(account.kind, AccountKind::Virtual);
    assert_eq!(account.balance, Some(Money::from_minor_units(5_000_000, Currency::VND)));
    assert_eq!(account.label.as_deref(), Some("KE TOAN"));
    assert_eq!(account.bank.bin.as_deref(), Some("970424"));
    assert_eq!(account.created_at, time("2024-01-20T14:00:00Z"));
}

#[test]
fn create_bank_account_request_matches_the_seed_body() {
    let seed: serde_json::Value = serde_json::from_str(&fixture("create_bank_account_request.json")).unwrap();
    let ours = wire::CreateBankAccountRequest::new("550e8400-e29b-41d4-a716-446655440000", "KE TOAN");
    assert_eq!(serde_json::to_value(&ours).unwrap(), seed);
    // Same bytes as the seed's Go sample (json.Marshal of the struct, fields in this order).
    assert_eq!(
        serde_json::to_string(&ours).unwrap(),
        r#"{"master_account_id":"550e8400-e29b-41d4-a716-446655440000","account_name":"KE TOAN"}"#
    );
}

#[test]
fn create_bank_account_success() {
    let env = envelope("create_bank_account_success.json");
    assert_eq!(env.code, 102001);
    let created: wire::CreatedBankAccount = data(&env);
    assert_eq!(created.currency_code, "704");
    let created = mapping::created_bank_account(created, "550e8400-e29b-41d4-a716-446655440000").unwrap();
    assert_eq!(created.account_id, "c3643c99-50ff-47ed-94d0-f6e7f9c6bae1");
    assert_eq!(created.account_number, "VQRQAHZKN0048");
    assert_eq!(created.account_name, "API TEST BANK ACC");
    assert_eq!(created.currency, Currency::VND);
    assert_eq!(created.bank.bin.as_deref(), Some("970422"), "MB");
    assert_eq!(created.master_account_name.as_deref(), Some("TRAN TU THIEN"));
    assert_eq!(created.master_account_id, "550e8400-e29b-41d4-a716-446655440000");
}

#[test]
fn error_bodies() {
    for (name, code, error) in [
        ("error_invalid_signature.json", 104000, Some("Invalid signature")),
        (
            "error_master_account_not_found.json",
            104000,
            Some("Master account does not exist"),
        ),
        (
            "rate_limited_429.json",
            104000,
            Some("Rate limit exceeded. Retry after 30 seconds."),
        ),
        ("error_400000.json", 400000, None),
    ] {
        let env = envelope(name);
        assert_eq!(env.code, code, "{name}");
        assert_eq!(env.request_id.as_deref(), Some("abc123..."), "{name}");
        let message = env.message.expect("message");
        assert_eq!(message.error.as_deref(), error, "{name}");
        assert!(message.content.is_some(), "{name}");
        assert!(env.data.is_none(), "{name}: no data or data null");
    }
}

#[test]
fn guide_envelope_with_meta() {
    // The guide writes the payload as the placeholder `{ ... }`; the file keeps it verbatim and it
    // is replaced by an empty object here to make the JSON valid.
    let text = fixture("envelope_with_meta.json");
    assert!(text.contains("\"data\": { ... }"));
    let env: wire::Envelope = serde_json::from_str(&text.replace("{ ... }", "{}")).unwrap();
    assert_eq!(env.code, 102000);
    assert_eq!(env.request_id.as_deref(), Some("af2684a45bca4d444ef60c6dc90b4139"));
    let meta = env.meta.expect("meta");
    assert_eq!(
        (meta.page, meta.page_size, meta.total_pages, meta.total_rows),
        (1, 50, 1, 1)
    );
}

#[test]
fn pagination_meta() {
    #[derive(Deserialize)]
    struct WithMeta {
        meta: wire::Meta,
    }
    let m = serde_json::from_str::<WithMeta>(&fixture("pagination_meta.json"))
        .unwrap()
        .meta;
    assert_eq!((m.page, m.page_size, m.total_pages, m.total_rows), (2, 50, 3, 150));
}

#[test]
fn lenient_numbers_stay_exact() {
    let json = r#"{"account_id":"a","account_number":"1","account_name":"N","bank_code":"MB",
        "balance":"5000000","currency":"VND","status":"inactive"}"#;
    let account = mapping::bank_account(serde_json::from_str(json).unwrap()).unwrap();
    assert_eq!(account.balance, Some(Money::from_minor_units(5_000_000, Currency::VND)));
    assert_eq!(account.status, AccountStatus::Inactive);
    assert_eq!(account.created_at, None);
    // Beyond f64's 53 bits: still exact.
    let json = r#"{"account_id":"a","account_number":"1","account_name":"N","bank_code":"MB",
        "balance":9007199254740993,"currency":"VND","status":"active"}"#;
    let account = mapping::bank_account(serde_json::from_str(json).unwrap()).unwrap();
    assert_eq!(
        account.balance,
        Some(Money::from_minor_units(9_007_199_254_740_993, Currency::VND))
    );
}

// Payment Gateway (seed 002): every JSON example parses into `payment_wire`.

use provider_finan::payment_wire::{self, PaymentMethod, PaymentStatus};

#[test]
fn payment_create_request_round_trips_to_the_seed_body() {
    let text = fixture("payment_create_request.json");
    let seed: serde_json::Value = serde_json::from_str(&text).unwrap();
    let parsed: payment_wire::CreatePaymentRequest = serde_json::from_str(&text).unwrap();
    assert_eq!(parsed.payment_method, PaymentMethod::BankTransfer);
    assert_eq!(parsed.amount, 6_000_000);
    assert_eq!(parsed.items.len(), 1);
    assert_eq!(
        (parsed.items[0].price, parsed.items[0].quantity, parsed.items[0].amount),
        (3_000_000, 2, 6_000_000)
    );
    assert_eq!(serde_json::to_value(&parsed).unwrap(), seed);

    // Built field by field, it serializes to the same JSON, in the Go sample's field order.
    let mut merchant = payment_wire::Merchant::new("Finan pte");
    merchant.phone = Some("02833223243".into());
    merchant.address = Some("195/10A, Dien Bien Phu, P15, Binh Thanh".into());
    merchant.email = seed["merchant"]["email"].as_str().map(str::to_string);
    let mut customer = payment_wire::Customer::new("Nguyen Van A");
    customer.phone = Some("0933450210".into());
    customer.address = Some("15, Le Duan, q3, Quan 1".into());
    customer.email = seed["customer"]["email"].as_str().map(str::to_string);
    let mut ours = payment_wire::CreatePaymentRequest::new(
        PaymentMethod::BankTransfer,
        6_000_000,
        "54fgi4537-0cb5-4992-ad0e-76d26ba4ddc3",
    );
    ours.merchant = Some(merchant);
    ours.items = vec![payment_wire::Item::new(
        "So Ban Hang Pro 3 Nam",
        3_000_000,
        2,
        6_000_000,
    )];
    ours.customer = Some(customer);
    ours.account_id = Some("54957437-0cb5-4992-ad0e-76d26ba4ddc3".into());
    ours.description = Some("thanh toan don hang".into());
    ours.reference_type = Some("invoice".into());
    ours.success_redirect_url = Some("https://your-site.com/success".into());
    ours.failure_redirect_url = Some("https://your-site.com/failure".into());
    assert_eq!(ours, parsed);
    assert_eq!(serde_json::to_value(&ours).unwrap(), seed);
    let body = serde_json::to_string(&ours).unwrap();
    let positions: Vec<usize> = [
        "\"merchant\"",
        "\"items\"",
        "\"customer\"",
        "\"payment_method\"",
        "\"account_id\"",
        "\"amount\":6000000,\"description\"",
        "\"reference_id\"",
        "\"reference_type\"",
        "\"success_redirect_url\"",
        "\"failure_redirect_url\"",
    ]
    .iter()
    .map(|key| body.find(key).unwrap_or_else(|| panic!("{key} in {body}")))
    .collect();
    assert!(positions.windows(2).all(|w| w[0] < w[1]), "{body}");
}

#[test]
fn payment_create_request_for_an_invoice_leaves_out_absent_fields() {
    let mut ours = payment_wire::CreatePaymentRequest::new(PaymentMethod::BankTransfer, 500_000, "INV-001");
    ours.reference_type = Some("invoice".into());
    assert_eq!(
        serde_json::to_string(&ours).unwrap(),
        r#"{"payment_method":"bank_transfer","amount":500000,"reference_id":"INV-001","reference_type":"invoice"}"#
    );
}

#[test]
fn payment_create_response() {
    let env = envelope("payment_create_response.json");
    assert_eq!(env.code, 102001);
    assert_eq!(env.request_id.as_deref(), Some("d0a463bc089ea27859e2ebb5d33857c3"));
    let created: payment_wire::CreatedPayment = data(&env);
    assert_eq!(created.payment_request_id, "3fde043e-c3d6-40e8-9031-6eadfa02d2a2");
    assert_eq!(created.payment_request_code.as_deref(), Some("PRJXH9KU"));
    assert_eq!(created.payment_url.as_deref(), Some(""));
    let detail = created.bank_transfer_detail.expect("bank_transfer_detail");
    assert_eq!(detail.qr_code, "00020101021238570010A000000727...");
    assert_eq!(detail.bank_name, "MB");
    assert_eq!(detail.account_name, "TRAN TU THIEN");
    assert_eq!(detail.account_number, "0933450210");
    assert_eq!(detail.remark, "TTVD7ZZS");
}

#[test]
fn payment_error_body_parses_through_the_envelope() {
    let env = envelope("payment_error.json");
    assert_eq!(env.code, 104000);
    assert_eq!(env.request_id.as_deref(), Some("abc123..."));
    let message = env.message.expect("message");
    assert_eq!(message.error.as_deref(), Some("amount is required"));
    assert!(message.content.is_some());
    assert!(env.data.is_none());
}

#[test]
fn payment_list_response() {
    let env = envelope("payment_list_response.json");
    assert_eq!(env.code, 102000);
    assert!(env.meta.is_none());
    let list: Vec<payment_wire::PaymentRequest> = data(&env);
    assert_eq!(list.len(), 1);
    let item = &list[0];
    assert_eq!(item.payment_request_id, "PR-550e8400-e29b-41d4-a716-446655440000");
    assert_eq!(item.status, PaymentStatus::Paid);
    assert_eq!(item.payment_method, PaymentMethod::BankTransfer);
    assert_eq!((item.amount, item.paid_amount), (6_000_000, 6_000_000));
    assert_eq!(item.description.as_deref(), Some("thanh toan don hang"));
    assert_eq!(item.reference_type.as_deref(), Some("invoice"));
    assert_eq!(item.reference_id.as_deref(), Some("INV-001"));
    assert_eq!(item.payments.len(), 1);
    let payment = &item.payments[0];
    assert_eq!(payment.id, "PAY-001");
    assert_eq!(payment.amount, 6_000_000);
    assert_eq!(payment.method, PaymentMethod::BankTransfer);
    assert_eq!(payment.created_at.as_deref(), Some("2024-01-20T14:30:00Z"));
    let merchant = item.merchant.as_ref().expect("merchant");
    assert_eq!(merchant.name.as_deref(), Some("Finan pte"));
    assert!(merchant.email.is_some());
    assert_eq!((merchant.phone.as_ref(), merchant.address.as_ref()), (None, None));
    let customer = item.customer.as_ref().expect("customer");
    assert_eq!(customer.name, "Nguyen Van A");
    assert!(customer.email.is_some());
}

#[test]
fn payment_webhook() {
    let webhook: payment_wire::PaymentWebhook = serde_json::from_str(&fixture("payment_webhook.json")).unwrap();
    assert_eq!(webhook.id, "PAY-001");
    assert_eq!(webhook.reference_id.as_deref(), Some("DH970422"));
    assert_eq!(webhook.reference_type, None);
    assert_eq!(webhook.payment_method, PaymentMethod::BankTransfer);
    assert_eq!(
        webhook.payment_request_id.as_deref(),
        Some("PR-550e8400-e29b-41d4-a716-446655440000")
    );
    assert_eq!(webhook.amount, 6_000_000);
    assert_eq!(webhook.created_at, "2024-01-20T14:30:00Z");
    assert!(DateTime::parse_from_rfc3339(&webhook.created_at).is_ok());
}

#[test]
fn webhook_reply() {
    let text = fixture("webhook_reply.json");
    let reply: payment_wire::WebhookReply = serde_json::from_str(&text).unwrap();
    assert_eq!(reply.status, "success");
    assert_eq!(reply.message.as_deref(), Some("Payment processed successfully"));
    assert_eq!(reply.timestamp.as_deref(), Some("2024-01-20T14:30:05Z"));
    assert_eq!(
        serde_json::to_value(&reply).unwrap(),
        serde_json::from_str::<serde_json::Value>(&text).unwrap()
    );
    // The Go handler's minimal answer.
    assert_eq!(
        serde_json::to_string(&payment_wire::WebhookReply::success()).unwrap(),
        r#"{"status":"success"}"#
    );
}

#[test]
fn payment_unknown_status_method_and_fields_are_kept_or_ignored() {
    let json = r#"{"payment_request_id":"PR-1","paid_amount":"0","status":"refunded",
        "payment_method":"ewallet_zalopay","amount":6000000,"reference_id":"R-1","payments":null,
        "brand_new_field":{"x":1}}"#;
    let item: payment_wire::PaymentRequest = serde_json::from_str(json).unwrap();
    assert_eq!(item.status, PaymentStatus::Other("refunded".into()));
    assert_eq!(item.status.as_str(), "refunded");
    assert_eq!(item.payment_method, PaymentMethod::Other("ewallet_zalopay".into()));
    assert_eq!(item.paid_amount, 0, "a digit string is read exactly");
    assert!(item.payments.is_empty());
    for (text, status) in [
        ("unpaid", PaymentStatus::Unpaid),
        ("partial_paid", PaymentStatus::PartialPaid),
        ("paid", PaymentStatus::Paid),
        ("extra_paid", PaymentStatus::ExtraPaid),
    ] {
        assert_eq!(PaymentStatus::from(text), status);
        assert_eq!(serde_json::to_string(&status).unwrap(), format!("\"{text}\""));
    }
    for (text, method) in [
        ("bank_transfer", PaymentMethod::BankTransfer),
        ("card", PaymentMethod::Card),
        ("ewallet_momo", PaymentMethod::EwalletMomo),
    ] {
        assert_eq!(PaymentMethod::from(text), method);
        assert_eq!(serde_json::to_string(&method).unwrap(), format!("\"{text}\""));
    }
    let webhook: payment_wire::PaymentWebhook = serde_json::from_str(
        r#"{"id":"PAY-2","payment_method":"card","amount":1,"created_at":"2024-01-20T14:30:00Z","extra":true}"#,
    )
    .unwrap();
    assert_eq!(webhook.payment_request_id, None);
    assert_eq!(webhook.payment_method, PaymentMethod::Card);
}

#[test]
fn payment_non_integer_amounts_are_typed_errors() {
    let webhook = |amount: &str| {
        serde_json::from_str::<payment_wire::PaymentWebhook>(&format!(
            r#"{{"id":"PAY-1","payment_method":"card","amount":{amount},"created_at":"2024-01-20T14:30:00Z"}}"#
        ))
    };
    for amount in ["1.5", "\"1.5\"", "\"12abc\"", "null", "{}", "99999999999999999999"] {
        let err = webhook(amount).expect_err(amount);
        assert!(err.is_data() || err.is_syntax(), "{amount}: {err}");
        assert!(
            err.to_string().contains("amount") || err.to_string().contains("integer"),
            "{amount}: {err}"
        );
    }
    let list_item = r#"{"payment_request_id":"PR-1","paid_amount":1.5,"status":"paid",
        "payment_method":"bank_transfer","amount":6000000}"#;
    let err = serde_json::from_str::<payment_wire::PaymentRequest>(list_item).unwrap_err();
    assert!(err.is_data(), "{err}");
    // A missing required field is an error too, not a default.
    let err = serde_json::from_str::<payment_wire::PaymentWebhook>(
        r#"{"id":"PAY-1","payment_method":"card","created_at":"2024-01-20T14:30:00Z"}"#,
    )
    .unwrap_err();
    assert!(err.to_string().contains("missing field `amount`"), "{err}");
}
