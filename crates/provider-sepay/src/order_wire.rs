//! Serde models of SePay's payment-gateway Order API (`https://pgapi.sepay.vn/v1/order...`).
//!
//! SePay documents the endpoints, the list envelope and the status names, not a schema. What this
//! module **assumes**, and so reads tolerantly (unknown fields ignored; every field optional except
//! `id`, `order_invoice_number`, `order_status` and `order_amount`; ids and text accepted as JSON
//! strings or numbers):
//!
//! - **List** (`GET order`): `{"data": [order, ...], "meta": {"per_page", "total", "has_more",
//!   "current_page", "page_count"}}` (documented). `meta` may be missing; its numbers may be JSON
//!   numbers or numeric strings and `has_more` a boolean, `0`/`1` or `"0"`/`"1"`.
//! - **Detail** (`GET order/detail/{id}`): `{"data": order}` (assumed); an order object at the top
//!   level is accepted too.
//! - **Cancel / void** (`POST order/cancel`, `POST order/voidTransaction`): any 2xx is success; the
//!   body is read only for a `message` and, when `data` holds an order, that order (assumed).
//! - **Order**: the fields of the IPN's `order` object (`id`, `order_id`, `order_status`,
//!   `order_currency`, `order_amount`, `order_invoice_number`, `order_description`, `custom_data`)
//!   plus `customer_id`, `payment_method`, `created_at` / `updated_at` (`YYYY-MM-DD HH:MM:SS`,
//!   Vietnam time, UTC+07:00; RFC 3339 accepted too) and `transactions` (shaped like the IPN's
//!   `transaction`). `order_amount` is a decimal string in the currency's major unit
//!   (`"100000.00"` is 100,000 đồng; documented); a JSON number is accepted too, and both are read
//!   exactly (never through `f64`). `order_currency` is `VND` when absent.
//! - A 2xx body of `{"status": "error" | "failed", ...}` or `{"success": false, ...}` is a refusal,
//!   not data (see `orders.rs`).

use chrono::{DateTime, FixedOffset, NaiveDateTime, TimeZone};
use gateway_core::lenient;
use rust_decimal::Decimal;
use serde::de::{self, Deserializer};
use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::Value;

gateway_core::open_enum! {
    /// Where a SePay payment-gateway order stands (`order_status`). A status SePay adds later is
    /// kept as `Other`.
    pub enum OrderStatus {
        /// `CAPTURED`: paid.
        Captured = "CAPTURED",
        /// `CANCELLED`: cancelled before payment (by the merchant or the payer).
        Cancelled = "CANCELLED",
        /// `AUTHENTICATION_NOT_NEEDED`: created by the payer posting the checkout form, awaiting
        /// payment.
        AuthenticationNotNeeded = "AUTHENTICATION_NOT_NEEDED",
    }
}

/// One SePay payment-gateway order, as the Order API reports it (see the module docs for the
/// assumed shape).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct Order {
    /// SePay's id of the order (a UUID in SePay's examples); what `order/detail/{id}` takes.
    #[serde(deserialize_with = "lenient::string_or_number")]
    pub id: String,
    /// SePay's order code (`NPSETVI00101000123A` in SePay's examples), when sent.
    #[serde(default, deserialize_with = "loose_text")]
    pub order_id: Option<String>,
    /// The app's reference id posted in the checkout form.
    #[serde(deserialize_with = "lenient::string_or_number")]
    pub order_invoice_number: String,
    /// Where the order stands.
    pub order_status: OrderStatus,
    /// The amount, exactly, in the major unit of [`Self::order_currency`] (đồng for VND).
    #[serde(deserialize_with = "lenient::decimal")]
    pub order_amount: Decimal,
    /// ISO 4217 code; `None` when absent (VND is assumed then).
    #[serde(default, deserialize_with = "loose_text")]
    pub order_currency: Option<String>,
    /// The description shown to the payer.
    #[serde(default, deserialize_with = "loose_text")]
    pub order_description: Option<String>,
    /// The app's customer id posted in the checkout form.
    #[serde(default, deserialize_with = "loose_text")]
    pub customer_id: Option<String>,
    /// `CARD`, `BANK_TRANSFER` or `NAPAS_BANK_TRANSFER`, when chosen.
    #[serde(default, deserialize_with = "loose_text")]
    pub payment_method: Option<String>,
    /// When the order was created, as sent (see [`Self::created_at_time`]).
    #[serde(default, deserialize_with = "loose_text")]
    pub created_at: Option<String>,
    /// When the order last changed, as sent.
    #[serde(default, deserialize_with = "loose_text")]
    pub updated_at: Option<String>,
    /// The order's transactions (payments, voids), when sent.
    #[serde(default, deserialize_with = "transactions")]
    pub transactions: Vec<OrderTransaction>,
}

impl Order {
    /// [`Self::created_at`] as a time: `YYYY-MM-DD HH:MM:SS` read as Vietnam time (UTC+07:00), or
    /// RFC 3339; `None` when absent or in another format.
    pub fn created_at_time(&self) -> Option<DateTime<FixedOffset>> {
        self.created_at.as_deref().and_then(parse_time)
    }

    /// The currency code, `VND` when absent.
    pub fn currency_code(&self) -> &str {
        self.order_currency
            .as_deref()
            .map(str::trim)
            .filter(|c| !c.is_empty())
            .unwrap_or("VND")
    }
}

/// One transaction of an [`Order`] (assumed to be shaped like the IPN's `transaction`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct OrderTransaction {
    /// SePay's id of the transaction.
    #[serde(default, deserialize_with = "loose_text")]
    pub id: Option<String>,
    /// The transaction code.
    #[serde(default, deserialize_with = "loose_text")]
    pub transaction_id: Option<String>,
    /// `CARD`, `BANK_TRANSFER`, `NAPAS_BANK_TRANSFER`, ...
    #[serde(default, deserialize_with = "loose_text")]
    pub payment_method: Option<String>,
    /// `PAYMENT`, `VOID`, ...
    #[serde(default, deserialize_with = "loose_text")]
    pub transaction_type: Option<String>,
    /// `APPROVED`, ...
    #[serde(default, deserialize_with = "loose_text")]
    pub transaction_status: Option<String>,
    /// When, as sent (`YYYY-MM-DD HH:MM:SS`, Vietnam time).
    #[serde(default, deserialize_with = "loose_text")]
    pub transaction_date: Option<String>,
    /// The amount, exactly, in the major unit of its currency.
    #[serde(default, deserialize_with = "lenient::option_decimal")]
    pub transaction_amount: Option<Decimal>,
    /// ISO 4217 code.
    #[serde(default, deserialize_with = "loose_text")]
    pub transaction_currency: Option<String>,
}

/// The list envelope's `meta`. Every field is optional.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct OrderListMeta {
    /// Orders per page.
    #[serde(default, deserialize_with = "loose_u64")]
    pub per_page: Option<u64>,
    /// Orders across all pages.
    #[serde(default, deserialize_with = "loose_u64")]
    pub total: Option<u64>,
    /// Whether a later page exists.
    #[serde(default, deserialize_with = "lenient::option_flag")]
    pub has_more: Option<bool>,
    /// This page's number, from 1.
    #[serde(default, deserialize_with = "loose_u64")]
    pub current_page: Option<u64>,
    /// How many pages there are.
    #[serde(default, deserialize_with = "loose_u64")]
    pub page_count: Option<u64>,
}

/// `GET order`: `{"data": [...], "meta": {...}}`.
#[derive(Debug, Deserialize)]
pub(crate) struct OrderList {
    #[serde(default, deserialize_with = "orders")]
    pub data: Vec<Order>,
    #[serde(default)]
    pub meta: Option<OrderListMeta>,
}

/// What a cancel or void answered (see the module docs).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct OrderActionReply {
    /// SePay's `message`, when it sent one.
    pub message: Option<String>,
    /// The order in `data`, when SePay sent one that reads as an [`Order`].
    pub order: Option<Order>,
}

/// The fields of any envelope that this crate looks at before the payload.
#[derive(Deserialize, Default)]
pub(crate) struct Envelope<'a> {
    /// `Some` whenever the key is present, `null` included (then the raw text is `null`).
    #[serde(default, borrow, deserialize_with = "present")]
    pub data: Option<&'a RawValue>,
    #[serde(default, deserialize_with = "loose_text")]
    pub message: Option<String>,
}

/// `true` when a 2xx body says it failed: `"status": "error" | "failed" | "fail"` or `"success": false`.
pub(crate) fn says_failure(body: &[u8]) -> bool {
    let Ok(Value::Object(obj)) = serde_json::from_slice::<Value>(body) else {
        return false;
    };
    let status_failed = matches!(
        obj.get("status"),
        Some(Value::String(s)) if matches!(s.trim().to_ascii_lowercase().as_str(), "error" | "failed" | "fail")
    );
    let success_false = matches!(obj.get("success"), Some(Value::Bool(false)));
    status_failed || success_false
}

/// The order in a detail reply: `{"data": {...}}`, `{"data": [{...}]}`, or the order itself.
/// `Ok(None)` for `{"data": null}` or `{"data": []}`.
pub(crate) fn detail_order(body: &[u8]) -> Result<Option<Order>, serde_json::Error> {
    let envelope: Envelope<'_> = serde_json::from_slice(body)?;
    match envelope.data {
        Some(raw) => match raw.get().trim_start().as_bytes().first() {
            Some(b'n') => Ok(None),
            Some(b'[') => Ok(serde_json::from_str::<Vec<Order>>(raw.get())?.into_iter().next()),
            _ => serde_json::from_str(raw.get()).map(Some),
        },
        None => serde_json::from_slice(body).map(Some),
    }
}

/// The reply of a cancel or void, read tolerantly (never an error).
pub(crate) fn action_reply(body: &[u8]) -> OrderActionReply {
    let Ok(envelope) = serde_json::from_slice::<Envelope<'_>>(body) else {
        return OrderActionReply::default();
    };
    let order = envelope
        .data
        .and_then(|raw| serde_json::from_str::<Order>(raw.get()).ok());
    OrderActionReply {
        message: envelope.message,
        order,
    }
}

/// The raw value of a present key, even `null`.
fn present<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<&'de RawValue>, D::Error> {
    <&'de RawValue>::deserialize(deserializer).map(Some)
}

fn parse_time(text: &str) -> Option<DateTime<FixedOffset>> {
    let text = text.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Some(t);
    }
    let naive = NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S").ok()?;
    let vn = crate::mapping::vietnam();
    vn.from_local_datetime(&naive).single()
}

/// Text from a string or a number; `None` for null, an empty string, or any other JSON value (an
/// object or array where text was expected is ignored rather than failing the whole order).
fn loose_text<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<String>, D::Error> {
    Ok(match Value::deserialize(deserializer)? {
        Value::String(s) if !s.trim().is_empty() => Some(s),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    })
}

/// An unsigned integer from a number or a string of digits; `None` for null or `""`.
fn loose_u64<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<u64>, D::Error> {
    match Value::deserialize(deserializer)? {
        Value::Null => Ok(None),
        Value::Number(n) => n
            .as_u64()
            .map(Some)
            .ok_or_else(|| de::Error::custom(format!("expected an unsigned integer, found {n}"))),
        Value::String(s) if s.trim().is_empty() => Ok(None),
        Value::String(s) => s
            .trim()
            .parse()
            .map(Some)
            .map_err(|_| de::Error::custom(format!("expected an unsigned integer, found {s:?}"))),
        other => Err(de::Error::custom(format!(
            "expected an unsigned integer, found {other}"
        ))),
    }
}

/// A list of transactions; `null` gives an empty list.
fn transactions<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<OrderTransaction>, D::Error> {
    Ok(Option::<Vec<OrderTransaction>>::deserialize(deserializer)?.unwrap_or_default())
}

/// A list of orders; `null` gives an empty list.
fn orders<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<Order>, D::Error> {
    Ok(Option::<Vec<Order>>::deserialize(deserializer)?.unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn order_reads_strings_numbers_and_unknown_statuses() {
        let o: Order = serde_json::from_str(
            r#"{"id":12,"order_invoice_number":"DH1","order_status":"REFUNDED","order_amount":12345678901234567.89,
                "customer_id":{"x":1},"transactions":null,"extra":[1]}"#,
        )
        .unwrap();
        assert_eq!(o.id, "12");
        assert_eq!(o.order_status, OrderStatus::Other("REFUNDED".into()));
        assert_eq!(o.order_amount.to_string(), "12345678901234567.89");
        assert_eq!(o.customer_id, None);
        assert_eq!(o.currency_code(), "VND");
        assert!(o.transactions.is_empty());
    }

    #[test]
    fn times_are_vietnam_local_or_rfc3339() {
        assert_eq!(
            parse_time("2025-09-05 14:43:30").unwrap().to_rfc3339(),
            "2025-09-05T14:43:30+07:00"
        );
        assert_eq!(
            parse_time("2025-09-05T07:43:30Z").unwrap().to_rfc3339(),
            "2025-09-05T07:43:30+00:00"
        );
        assert_eq!(parse_time("05/09/2025"), None);
    }

    #[test]
    fn detail_at_top_or_in_data() {
        let order = r#"{"id":"u1","order_invoice_number":"DH1","order_status":"CAPTURED","order_amount":"5.00"}"#;
        let wrapped = format!(r#"{{"data":{order}}}"#);
        let listed = format!(r#"{{"data":[{order}]}}"#);
        for body in [order.to_string(), wrapped, listed] {
            assert_eq!(detail_order(body.as_bytes()).unwrap().unwrap().id, "u1");
        }
        assert_eq!(detail_order(br#"{"data":null}"#).unwrap(), None);
        assert!(says_failure(br#"{"status":"error","message":"x"}"#));
        assert!(says_failure(br#"{"success":false}"#));
        assert!(!says_failure(br#"{"status":"success","data":[]}"#));
    }
}
