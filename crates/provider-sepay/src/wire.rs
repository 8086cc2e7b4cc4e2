//! SePay's JSON exactly as it is sent, for serde. Nothing here is public.
//!
//! Two dialects share the same accounts:
//! - the API-token endpoints (`/userapi/...`, seed 004) send every value as a string (`"id": "25"`,
//!   `"accumulated": "2525493.00"`, `"active": "1"`) and flatten the bank into `bank_*` fields;
//! - the OAuth endpoints (`/api/v1/...`, seed 003) send real numbers and booleans and nest the bank.
//!
//! Every number and flag goes through `gateway_core::lenient`, so both dialects (and a server that
//! switches between them) decode, and amounts never pass through `f64`. Unknown fields are ignored
//! (serde's default), so SePay adding a field does not break a client.

use gateway_core::lenient;
use rust_decimal::Decimal;
use serde::Deserialize;

// ---------------------------------------------------------------------------------------------
// API token (`/userapi/bankaccounts/...`)
// ---------------------------------------------------------------------------------------------

/// Just the envelope's `status` of a `/userapi` reply, read before the body proper: SePay's legacy
/// API may answer HTTP 200 with `{"status": 401, ...}` in the body.
#[derive(Debug, Deserialize)]
pub(crate) struct UserApiHead {
    #[serde(default, deserialize_with = "lenient::option_string_or_number")]
    pub status: Option<String>,
}

/// `GET /userapi/bankaccounts/list`: `{"status":200,"error":null,"messages":{...},"bankaccounts":[...]}`.
#[derive(Debug, Deserialize)]
pub(crate) struct UserApiList {
    pub bankaccounts: Vec<UserApiAccount>,
}

/// `GET /userapi/bankaccounts/details/{id}`: `{..., "bankaccount": {...}}` (absent or `null`
/// when there is no such account).
#[derive(Debug, Deserialize)]
pub(crate) struct UserApiDetails {
    #[serde(default)]
    pub bankaccount: Option<UserApiAccount>,
}

/// `GET /userapi/bankaccounts/count`: `{..., "count_bankaccounts": 9}` (a number or a string).
#[derive(Debug, Deserialize)]
pub(crate) struct UserApiCount {
    #[serde(deserialize_with = "lenient::u64_lenient")]
    pub count_bankaccounts: u64,
}

/// One bank account of the API-token dialect.
#[derive(Debug, Deserialize)]
pub(crate) struct UserApiAccount {
    #[serde(deserialize_with = "lenient::u64_lenient")]
    pub id: u64,
    /// Required: an account without a holder name is not in the documented shape.
    pub account_holder_name: String,
    #[serde(deserialize_with = "lenient::string_or_number")]
    pub account_number: String,
    /// Balance in VND (`"2525493.00"`).
    #[serde(default, deserialize_with = "lenient::option_decimal")]
    pub accumulated: Option<Decimal>,
    #[serde(default)]
    pub label: Option<String>,
    #[serde(deserialize_with = "lenient::flag")]
    pub active: bool,
    /// `"2023-02-16 15:57:26"`, Vietnam time.
    #[serde(default)]
    pub created_at: Option<String>,
    #[serde(default)]
    pub bank_short_name: Option<String>,
    #[serde(default)]
    pub bank_full_name: Option<String>,
    /// With `bank_code`, what identifies the bank; an account with neither is a decode error (in
    /// `mapping.rs`).
    #[serde(default, deserialize_with = "lenient::option_string_or_number")]
    pub bank_bin: Option<String>,
    #[serde(default)]
    pub bank_code: Option<String>,
}

// ---------------------------------------------------------------------------------------------
// OAuth 2.0 (`/api/v1/bank-accounts...`)
// ---------------------------------------------------------------------------------------------

/// `{"status":"success","data":[...],"meta":{"pagination":{...}}}` (`status` is checked before, in
/// `oauth_api.rs`).
#[derive(Debug, Deserialize)]
pub(crate) struct OAuthList<T> {
    pub data: Vec<T>,
    #[serde(default)]
    pub meta: Option<OAuthMeta>,
}

/// `{"status":"success","data":{...}}`.
#[derive(Debug, Deserialize)]
pub(crate) struct OAuthOne<T> {
    pub data: T,
}

/// `meta` of a list reply.
#[derive(Debug, Deserialize)]
pub(crate) struct OAuthMeta {
    #[serde(default)]
    pub pagination: Option<OAuthPagination>,
}

/// `meta.pagination`: `{"total":2,"per_page":20,"current_page":1,"last_page":1}`; only `total` and
/// `last_page` are read (the page and its size are the ones asked for).
#[derive(Debug, Clone, Copy, Deserialize)]
pub(crate) struct OAuthPagination {
    #[serde(default, deserialize_with = "lenient::u64_lenient")]
    pub total: u64,
    #[serde(deserialize_with = "lenient::u64_lenient")]
    pub last_page: u64,
}

/// One bank account of the OAuth dialect.
#[derive(Debug, Deserialize)]
pub(crate) struct OAuthAccount {
    #[serde(deserialize_with = "lenient::u64_lenient")]
    pub id: u64,
    #[serde(default)]
    pub label: Option<String>,
    /// Required: an account without a holder name is not in the documented shape.
    pub account_holder_name: String,
    #[serde(deserialize_with = "lenient::string_or_number")]
    pub account_number: String,
    /// Balance in VND, a JSON number such as `1777283273.00`, read exactly from its text.
    #[serde(default, deserialize_with = "lenient::option_decimal")]
    pub accumulated: Option<Decimal>,
    #[serde(deserialize_with = "lenient::flag")]
    pub active: bool,
    /// `"2025-02-12 21:09:49"`, Vietnam time.
    #[serde(default)]
    pub created_at: Option<String>,
    /// Absent or `null` is a decode error in `mapping.rs` (naming the account), as is a bank with
    /// neither a BIN nor a code.
    #[serde(default)]
    pub bank: Option<OAuthBank>,
}

/// The nested `bank` object of an OAuth account (its `icon_url` and `logo_url` are not read).
#[derive(Debug, Deserialize)]
pub(crate) struct OAuthBank {
    #[serde(default)]
    pub short_name: Option<String>,
    #[serde(default)]
    pub full_name: Option<String>,
    #[serde(default)]
    pub code: Option<String>,
    #[serde(default, deserialize_with = "lenient::option_string_or_number")]
    pub bin: Option<String>,
}

/// One sub-account (VA) of an OAuth bank account. It carries no bank: it is at its parent's bank.
/// `acc_type` (`"Virtual"`) and `updated_at` are not read.
#[derive(Debug, Deserialize)]
pub(crate) struct OAuthSubAccount {
    #[serde(deserialize_with = "lenient::u64_lenient")]
    pub id: u64,
    #[serde(deserialize_with = "lenient::u64_lenient")]
    pub bank_account_id: u64,
    #[serde(deserialize_with = "lenient::string_or_number")]
    pub account_number: String,
    /// Required, as on bank accounts.
    pub account_holder_name: String,
    #[serde(default)]
    pub label: Option<String>,
    #[serde(deserialize_with = "lenient::flag")]
    pub active: bool,
    /// Whether the virtual account itself is switched on; absent means "not said".
    #[serde(default, deserialize_with = "lenient::option_flag")]
    pub va_active: Option<bool>,
    #[serde(default)]
    pub created_at: Option<String>,
}
