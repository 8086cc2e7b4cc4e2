//! SePay's transaction JSON exactly as it is sent, for serde. Nothing here is public.
//!
//! Both ways in name the fields alike; the API-token endpoints (`/userapi/transactions/...`) send
//! every value as a string (`"id":"49682"`, `"amount_in":"18067000.00"`), the OAuth endpoints
//! (`/api/v1/transactions`) real JSON numbers (`"amount_in":18067000.00`). Every number goes
//! through `gateway_core::lenient`, so both dialects decode and amounts never pass through `f64`.
//! Unknown fields are ignored.

use gateway_core::lenient;
use rust_decimal::Decimal;
use serde::Deserialize;

/// `GET /userapi/transactions/list`: `{"status":200,"error":null,"messages":{...},"transactions":[...]}`.
#[derive(Debug, Deserialize)]
pub(crate) struct UserApiTransactionList {
    pub transactions: Vec<WireTransaction>,
}

/// `GET /userapi/transactions/details/{id}`: `{..., "transaction": {...}}` (absent or `null` when
/// there is no such transaction).
#[derive(Debug, Deserialize)]
pub(crate) struct UserApiTransactionDetails {
    #[serde(default)]
    pub transaction: Option<WireTransaction>,
}

/// `GET /userapi/transactions/count`: `{..., "count_transactions": 9}` (a number or a string).
#[derive(Debug, Deserialize)]
pub(crate) struct UserApiTransactionCount {
    #[serde(deserialize_with = "lenient::u64_lenient")]
    pub count_transactions: u64,
}

/// One transaction, in either dialect.
///
/// Required (a reply without them is not in the documented shape): `id`, `account_number`,
/// `transaction_date`, `amount_in`, `amount_out`. The rest may be absent or `null`.
#[derive(Debug, Deserialize)]
pub(crate) struct WireTransaction {
    #[serde(deserialize_with = "lenient::string_or_number")]
    pub id: String,
    #[serde(default, deserialize_with = "lenient::option_string_or_number")]
    pub bank_account_id: Option<String>,
    #[serde(default, deserialize_with = "lenient::option_string_or_number")]
    pub bank_brand_name: Option<String>,
    #[serde(deserialize_with = "lenient::string_or_number")]
    pub account_number: String,
    /// `"2023-05-05 19:59:48"`, Vietnam time.
    pub transaction_date: String,
    /// VND, `"0.00"` or `0.00`.
    #[serde(deserialize_with = "lenient::decimal")]
    pub amount_out: Decimal,
    /// VND, `"18067000.00"` or `18067000.00`.
    #[serde(deserialize_with = "lenient::decimal")]
    pub amount_in: Decimal,
    /// The account balance after the transaction, VND.
    #[serde(default, deserialize_with = "lenient::option_decimal")]
    pub accumulated: Option<Decimal>,
    #[serde(default, deserialize_with = "lenient::option_string_or_number")]
    pub transaction_content: Option<String>,
    #[serde(default, deserialize_with = "lenient::option_string_or_number")]
    pub reference_number: Option<String>,
    #[serde(default, deserialize_with = "lenient::option_string_or_number")]
    pub code: Option<String>,
    #[serde(default, deserialize_with = "lenient::option_string_or_number")]
    pub sub_account: Option<String>,
}
