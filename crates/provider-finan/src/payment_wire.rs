//! Finan's Payment Gateway JSON exactly as it is sent (field names as in the Payment Gateway
//! document): the create-payment body, the created payment request, the listed payment requests
//! and the payment webhook.
//!
//! These are the wire shapes only; the `PaymentProvider` implementation (requests, signing,
//! mapping to `gateway_core` models) comes with the payments issue.
//!
//! - `POST /api/v1/payments`: body [`CreatePaymentRequest`]; `data` of the reply is a
//!   [`CreatedPayment`].
//! - `GET /api/v1/payments` (optionally `?reference_type=…&reference_id=…`): `data` is a list of
//!   [`PaymentRequest`].
//! - `GET /api/v1/payments/:payment_request_id`: `data` is one [`PaymentRequest`].
//! - Webhook: Finan POSTs a [`PaymentWebhook`] to the merchant's registered URL (signed like a
//!   request: `x-client-id`, `x-signature`, `x-timestamp`); the merchant answers HTTP 200, e.g.
//!   with a [`WebhookReply`].
//!
//! Replies are wrapped in the same envelope as every Finan response: parse them as
//! [`crate::wire::Envelope`] and decode its `data` into the type above.
//!
//! Every amount is an integer in VND minor units (đồng; VND has no subunit, so `6000000` is six
//! million đồng). Amounts are read as JSON integers or digit strings, never through `f64`; a
//! fractional amount such as `1.5` is a deserialization error. Unknown fields are ignored, so Finan
//! can add fields without breaking clients; unknown statuses and methods are kept as sent.

use gateway_core::lenient;
use serde::{Deserialize, Deserializer, Serialize};

gateway_core::open_enum! {
    /// How the payer pays, as Finan spells it: `bank_transfer`, `card` or `ewallet_momo`. A value
    /// this library does not know is kept as [`PaymentMethod::Other`].
    #[non_exhaustive]
    pub enum PaymentMethod {
        /// `"bank_transfer"`: a VietQR bank transfer (the reply has a `bank_transfer_detail`).
        BankTransfer = "bank_transfer",
        /// `"card"`: a card on Finan's hosted page (the reply has a `payment_url`).
        Card = "card",
        /// `"ewallet_momo"`: MoMo e-wallet on Finan's hosted page (the reply has a `payment_url`).
        EwalletMomo = "ewallet_momo",
    }
}

gateway_core::open_enum! {
    /// Where a payment request stands, as Finan spells it (`status` of a [`PaymentRequest`]). A
    /// value this library does not know is kept as [`PaymentStatus::Other`].
    #[non_exhaustive]
    pub enum PaymentStatus {
        /// `"unpaid"`: nothing received (`paid_amount` = 0).
        Unpaid = "unpaid",
        /// `"partial_paid"`: 0 < `paid_amount` < `amount`.
        PartialPaid = "partial_paid",
        /// `"paid"`: `paid_amount` = `amount`.
        Paid = "paid",
        /// `"extra_paid"`: `paid_amount` > `amount` (overpaid).
        ExtraPaid = "extra_paid",
    }
}

/// `merchant` of a create-payment body or a listed payment request:
/// `{"name", "phone", "address", "email"}`, every field optional (absent ones are not sent).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Merchant {
    /// Business name, e.g. "Finan pte".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Contact phone.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    /// Business address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    /// Contact email.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
}

impl Merchant {
    /// A merchant with a business name and no other details.
    pub fn new(name: impl Into<String>) -> Self {
        Self {
            name: Some(name.into()),
            ..Self::default()
        }
    }
}

/// `customer` of a create-payment body or a listed payment request:
/// `{"name", "phone"?, "address"?, "email"?}`; the name is required.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Customer {
    /// Full name, e.g. "Nguyen Van A".
    pub name: String,
    /// Contact phone.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    /// Billing or shipping address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    /// Email for notifications.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
}

impl Customer {
    /// A customer with a full name and no other details.
    pub fn new(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            phone: None,
            address: None,
            email: None,
        }
    }
}

/// One element of `items` of a create-payment body: `{"name", "price", "quantity", "amount"}`,
/// all required; `amount` is `price * quantity`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Item {
    /// Item name, e.g. "So Ban Hang Pro 3 Nam".
    pub name: String,
    /// Price of one unit in VND minor units (đồng).
    #[serde(deserialize_with = "lenient::i64_lenient")]
    pub price: i64,
    /// Number of units.
    #[serde(deserialize_with = "lenient::u64_lenient")]
    pub quantity: u64,
    /// Line total (`price * quantity`) in VND minor units (đồng).
    #[serde(deserialize_with = "lenient::i64_lenient")]
    pub amount: i64,
}

impl Item {
    /// A line of `quantity` units of `name` at `price` đồng each, totalling `amount` đồng (not
    /// checked here: Finan expects `price * quantity`).
    pub fn new(name: impl Into<String>, price: i64, quantity: u64, amount: i64) -> Self {
        Self {
            name: name.into(),
            price,
            quantity,
            amount,
        }
    }
}

/// Body of `POST /api/v1/payments`. Fields are serialized in the documented order (that of Finan's
/// Go sample), and absent optional fields are left out, so the body matches the sample byte for
/// byte. For an invoice, set `reference_type` to `"invoice"` and `reference_id` to the invoice id;
/// no merchant, items or customer are needed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct CreatePaymentRequest {
    /// Merchant details.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub merchant: Option<Merchant>,
    /// Items of the transaction (left out when empty).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub items: Vec<Item>,
    /// Customer details.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer: Option<Customer>,
    /// How the payer pays. Required.
    pub payment_method: PaymentMethod,
    /// UUID of the receiving account (from the account API); required for Shinhan
    /// `bank_transfer`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account_id: Option<String>,
    /// Total to collect in VND minor units (đồng). Required.
    #[serde(deserialize_with = "lenient::i64_lenient")]
    pub amount: i64,
    /// Payment note, at most 30 characters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The merchant's unique transaction id (or the invoice id). Required.
    pub reference_id: String,
    /// `"invoice"` to link the payment to an invoice.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference_type: Option<String>,
    /// Where the hosted page sends the payer after a successful payment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub success_redirect_url: Option<String>,
    /// Where the hosted page sends the payer after a failed payment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure_redirect_url: Option<String>,
}

impl CreatePaymentRequest {
    /// A body collecting `amount` đồng by `payment_method` for the merchant's `reference_id`,
    /// with no optional field set.
    pub fn new(payment_method: PaymentMethod, amount: i64, reference_id: impl Into<String>) -> Self {
        Self {
            merchant: None,
            items: Vec::new(),
            customer: None,
            payment_method,
            account_id: None,
            amount,
            description: None,
            reference_id: reference_id.into(),
            reference_type: None,
            success_redirect_url: None,
            failure_redirect_url: None,
        }
    }
}

/// `data` of a successful `POST /api/v1/payments` (code `102001`). A payment link is valid for
/// 30 minutes.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct CreatedPayment {
    /// Finan's id of the payment request (a UUID).
    pub payment_request_id: String,
    /// Finan's short code, e.g. `"PRJXH9KU"`.
    #[serde(default)]
    pub payment_request_code: Option<String>,
    /// The hosted payment page for `card` and `ewallet_momo`; empty (`""`) or absent for
    /// `bank_transfer`. Kept as sent.
    #[serde(default)]
    pub payment_url: Option<String>,
    /// Where to transfer, for `bank_transfer`.
    #[serde(default)]
    pub bank_transfer_detail: Option<BankTransferDetail>,
}

/// `bank_transfer_detail` of a [`CreatedPayment`]: the beneficiary account and the remark that
/// identifies the payment.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct BankTransferDetail {
    /// The VietQR (EMVCo) payload to render as a QR code.
    pub qr_code: String,
    /// Finan's bank code of the beneficiary bank, e.g. `"MB"`.
    pub bank_name: String,
    /// Beneficiary account holder name.
    pub account_name: String,
    /// Beneficiary account number.
    pub account_number: String,
    /// Transfer remark to use: it identifies the payment, e.g. `"TTVD7ZZS"`.
    pub remark: String,
}

/// A payment request as `GET /api/v1/payments` lists it (an element of `data`) and
/// `GET /api/v1/payments/:payment_request_id` returns it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct PaymentRequest {
    /// Finan's id of the payment request.
    pub payment_request_id: String,
    /// Amount received so far in VND minor units (đồng).
    #[serde(deserialize_with = "lenient::i64_lenient")]
    pub paid_amount: i64,
    /// Where the request stands (from `paid_amount` against `amount`).
    pub status: PaymentStatus,
    /// How the payer pays.
    pub payment_method: PaymentMethod,
    /// Amount requested in VND minor units (đồng).
    #[serde(deserialize_with = "lenient::i64_lenient")]
    pub amount: i64,
    /// Payment note.
    #[serde(default)]
    pub description: Option<String>,
    /// `"invoice"` when linked to an invoice.
    #[serde(default)]
    pub reference_type: Option<String>,
    /// The merchant's transaction id (or the invoice id).
    #[serde(default)]
    pub reference_id: Option<String>,
    /// Payments received against the request, oldest first as sent; empty when none (absent or
    /// `null` too).
    #[serde(default, deserialize_with = "null_as_empty")]
    pub payments: Vec<Payment>,
    /// Merchant details.
    #[serde(default)]
    pub merchant: Option<Merchant>,
    /// Customer details.
    #[serde(default)]
    pub customer: Option<Customer>,
}

/// One payment received against a [`PaymentRequest`] (an element of `payments`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct Payment {
    /// Finan's payment id, e.g. `"PAY-001"`.
    pub id: String,
    /// Amount received in VND minor units (đồng).
    #[serde(deserialize_with = "lenient::i64_lenient")]
    pub amount: i64,
    /// How it was paid.
    pub method: PaymentMethod,
    /// ISO 8601 / RFC 3339 time of the payment, e.g. `"2024-01-20T14:30:00Z"`, as sent.
    #[serde(default)]
    pub created_at: Option<String>,
}

/// Body of the webhook Finan POSTs to the merchant's registered URL after collecting a payment.
/// Finan retries after 5, 10 and 15 minutes until it gets HTTP 200.
///
/// Payments to an account's QR code that were not made through a payment request also reach the
/// webhook, so `payment_request_id` and `reference_id` may be absent.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct PaymentWebhook {
    /// Finan's unique payment id, e.g. `"PAY-001"` (the key to deduplicate retries on).
    pub id: String,
    /// The merchant's transaction id (or the invoice id).
    #[serde(default)]
    pub reference_id: Option<String>,
    /// `"invoice"` when linked to an invoice.
    #[serde(default)]
    pub reference_type: Option<String>,
    /// How it was paid.
    pub payment_method: PaymentMethod,
    /// Finan's id of the payment request paid.
    #[serde(default)]
    pub payment_request_id: Option<String>,
    /// Amount received in VND minor units (đồng).
    #[serde(deserialize_with = "lenient::i64_lenient")]
    pub amount: i64,
    /// ISO 8601 / RFC 3339 time of the payment, e.g. `"2024-01-20T14:30:00Z"`, as sent.
    pub created_at: String,
}

/// A body for the merchant's HTTP 200 answer to a [`PaymentWebhook`]:
/// `{"status", "message"?, "timestamp"?}`. Finan only looks at the HTTP status.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct WebhookReply {
    /// `"success"`.
    pub status: String,
    /// Free text, e.g. "Payment processed successfully".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// ISO 8601 time of the answer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timestamp: Option<String>,
}

impl WebhookReply {
    /// `{"status":"success"}`.
    pub fn success() -> Self {
        Self {
            status: "success".into(),
            message: None,
            timestamp: None,
        }
    }
}

fn null_as_empty<'de, D: Deserializer<'de>, T: Deserialize<'de>>(deserializer: D) -> Result<Vec<T>, D::Error> {
    Ok(Option::<Vec<T>>::deserialize(deserializer)?.unwrap_or_default())
}
