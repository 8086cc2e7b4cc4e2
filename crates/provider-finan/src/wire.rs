//! Finan's JSON exactly as it is sent (field names as in the Account Management document and the
//! Integration Guide). Unknown fields are ignored, so Finan can add fields without breaking clients.
//!
//! These are the raw shapes; [`crate::mapping`] turns them into `gateway_core` models.

use gateway_core::lenient;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

/// The wrapper around every Finan response:
/// `{"message": {"content", "error"?}, "code", "request_id", "data", "meta"?}`.
#[derive(Debug, Clone, Deserialize)]
#[non_exhaustive]
pub struct Envelope {
    /// Human-readable status, plus the error detail on failures.
    #[serde(default)]
    pub message: Option<Message>,
    /// Finan's status code: `102000` (OK) and `102001` (created) are success; `104000` and
    /// `400000` are errors.
    #[serde(deserialize_with = "lenient::i64_lenient")]
    pub code: i64,
    /// Finan's request id, to quote to its support.
    #[serde(default, deserialize_with = "lenient::option_string_or_number")]
    pub request_id: Option<String>,
    /// The payload, left undecoded until the caller says what it should be; `None` when absent or
    /// `null`.
    #[serde(default)]
    pub data: Option<Box<RawValue>>,
    /// Pagination metadata (list endpoints only).
    #[serde(default)]
    pub meta: Option<Meta>,
}

/// `message` of the envelope.
#[derive(Debug, Clone, Default, Deserialize)]
#[non_exhaustive]
pub struct Message {
    /// Status text (Vietnamese), e.g. "Thực thi API thành công" or "Yêu cầu không hợp lệ".
    #[serde(default)]
    pub content: Option<String>,
    /// The error detail on failures, e.g. "Invalid signature".
    #[serde(default)]
    pub error: Option<String>,
}

/// `meta` of a list response: 1-based `page`, `page_size` items per page, `total_pages`,
/// `total_rows` items in all.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct Meta {
    /// The page returned, from 1.
    #[serde(deserialize_with = "lenient::u64_lenient")]
    pub page: u64,
    /// Items per page.
    #[serde(deserialize_with = "lenient::u64_lenient")]
    pub page_size: u64,
    /// Number of pages.
    #[serde(deserialize_with = "lenient::u64_lenient")]
    pub total_pages: u64,
    /// Number of items across all pages.
    #[serde(deserialize_with = "lenient::u64_lenient")]
    pub total_rows: u64,
}

/// A master bank account or a bank account, as `GET /api/v1/master-bank-accounts` and
/// `GET /api/v1/bank-accounts` list them (both share this shape).
#[derive(Debug, Clone, Deserialize)]
#[non_exhaustive]
pub struct Account {
    /// Finan's UUID for the account.
    pub account_id: String,
    /// Account number, possibly masked (`1234XXXX5678`).
    pub account_number: String,
    /// Holder name (master accounts) or display name (bank accounts, e.g. "KE TOAN").
    pub account_name: String,
    /// Finan's bank code, e.g. `"SHB"` (Shinhan at Finan) or `"MB"`.
    pub bank_code: String,
    /// URL of a QR code image for receiving payments.
    #[serde(default)]
    pub qr_code: Option<String>,
    /// Current balance in the currency's smallest unit (đồng for VND). Read exactly: a JSON
    /// integer or a numeric string (`"5000000"`), never through `f64`.
    #[serde(default, deserialize_with = "lenient::option_decimal")]
    pub balance: Option<Decimal>,
    /// ISO 4217 code of `balance`, e.g. `"VND"`.
    #[serde(default)]
    pub currency: Option<String>,
    /// `"active"` or `"inactive"`.
    pub status: String,
    /// ISO 8601 / RFC 3339 creation time, e.g. `"2024-01-15T10:30:00Z"`.
    #[serde(default)]
    pub created_at: Option<String>,
}

/// Body of `POST /api/v1/bank-accounts`: `{"master_account_id", "account_name"}` in this order.
#[derive(Debug, Clone, Serialize)]
#[non_exhaustive]
pub struct CreateBankAccountRequest<'a> {
    /// UUID of the parent master account.
    pub master_account_id: &'a str,
    /// Display name for the new account (e.g. "KE TOAN").
    pub account_name: &'a str,
}

impl<'a> CreateBankAccountRequest<'a> {
    /// The request body for a new account named `account_name` under `master_account_id`.
    pub fn new(master_account_id: &'a str, account_name: &'a str) -> Self {
        Self {
            master_account_id,
            account_name,
        }
    }
}

/// `data` of a successful `POST /api/v1/bank-accounts` (code `102001`).
#[derive(Debug, Clone, Deserialize)]
#[non_exhaustive]
pub struct CreatedBankAccount {
    /// Finan's bank code of the master account's bank, e.g. `"MB"`.
    pub bank_code: String,
    /// Finan's UUID for the new account.
    pub account_id: String,
    /// The display name given.
    pub account_name: String,
    /// The account number to receive into, e.g. `"VQRQAHZKN0048"`.
    pub account_number: String,
    /// ISO 4217 numeric currency code, `"704"` for VND (a string or a number).
    #[serde(deserialize_with = "lenient::string_or_number")]
    pub currency_code: String,
    /// Holder name of the master account.
    #[serde(default)]
    pub master_account_name: Option<String>,
}
