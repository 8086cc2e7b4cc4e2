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
