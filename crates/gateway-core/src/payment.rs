//! Payment requests, for [`crate::PaymentProvider`]: what an app asks a provider to collect and
//! what the provider gives back to show the payer.

use chrono::{DateTime, FixedOffset};
use serde::{Deserialize, Serialize};

use crate::{Bank, Money};

/// How the payer pays.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum PaymentMethod {
    /// A bank transfer, usually by scanning a VietQR code.
    BankTransfer,
    /// A domestic or international card.
    Card,
    /// An e-wallet (MoMo and the like).
    EWallet,
}

/// The payer, as far as the app knows them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Customer {
    /// Full name.
    pub name: String,
    /// Phone number.
    pub phone: Option<String>,
    /// Email address.
    pub email: Option<String>,
    /// Billing or shipping address.
    pub address: Option<String>,
}

impl Customer {
    /// A customer with a name.
    pub fn new(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            ..Self::default()
        }
    }
}

/// One line of an order: unit price times quantity.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct LineItem {
    /// Item name.
    pub name: String,
    /// Price of one unit.
    pub unit_price: Money,
    /// How many units.
    pub quantity: u32,
}

impl LineItem {
    /// A line of `quantity` units at `unit_price`.
    pub fn new(name: impl Into<String>, unit_price: Money, quantity: u32) -> Self {
        Self {
            name: name.into(),
            unit_price,
            quantity,
        }
    }
}

/// Where the provider sends the payer back after a hosted payment page.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct RedirectUrls {
    /// After a successful payment.
    pub success: Option<String>,
    /// After a failed payment.
    pub failure: Option<String>,
    /// After the payer cancelled.
    pub cancel: Option<String>,
}

/// What an app asks a provider to collect.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct CreatePayment {
    /// The amount to collect (for VND, whole đồng).
    pub amount: Money,
    /// The app's unique id for this payment (its order id). Creating twice with the same
    /// reference id must not create two payments.
    pub reference_id: String,
    /// A short note shown to the payer (providers cap it; Finan at 30 characters).
    pub description: Option<String>,
    /// How the payer pays.
    pub method: PaymentMethod,
    /// The payer.
    pub customer: Option<Customer>,
    /// Order lines; their total must equal `amount`.
    pub items: Vec<LineItem>,
    /// Where a hosted page sends the payer back.
    pub redirect_urls: RedirectUrls,
    /// The provider id of the account that receives the money, when the provider needs one.
    pub account_id: Option<String>,
}

impl CreatePayment {
    /// A payment of `amount` for the app's order `reference_id`, paid by `method`.
    pub fn new(amount: Money, reference_id: impl Into<String>, method: PaymentMethod) -> Self {
        Self {
            amount,
            reference_id: reference_id.into(),
            description: None,
            method,
            customer: None,
            items: Vec::new(),
            redirect_urls: RedirectUrls::default(),
            account_id: None,
        }
    }
}

/// Where a payment request stands.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum PaymentStatus {
    /// Nothing paid yet.
    Unpaid,
    /// Less than the amount paid.
    PartiallyPaid,
    /// Exactly the amount paid.
    Paid,
    /// More than the amount paid.
    Overpaid,
    /// Cancelled before payment.
    Cancelled,
    /// Expired before payment.
    Expired,
    /// The payment failed.
    Failed,
    /// A status this library does not know, as the provider sent it.
    Other(String),
}

/// What to show the payer so they can pay.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
#[non_exhaustive]
pub enum PayerAction {
    /// Transfer to a bank account, typically by scanning the VietQR string as a QR code.
    BankTransfer {
        /// The VietQR (NAPAS EMVCo) payload to render as a QR code.
        qr: Option<String>,
        /// The receiving bank.
        bank: Option<Bank>,
        /// The receiving account number.
        account_number: String,
        /// The receiving account holder name.
        account_holder_name: Option<String>,
        /// The transfer remark that identifies this payment.
        remark: Option<String>,
    },
    /// Open this URL (a hosted payment page).
    Redirect {
        /// The page.
        url: String,
    },
    /// POST these form fields, in this order, to `url` (a signed checkout form).
    FormPost {
        /// Where to post.
        url: String,
        /// The fields in posting order.
        fields: Vec<(String, String)>,
    },
}

/// A payment request as the provider reports it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct PaymentRequest {
    /// The provider's payment request id.
    pub id: String,
    /// The provider's short code, when it has one.
    pub code: Option<String>,
    /// The app's reference id.
    pub reference_id: String,
    /// The amount requested.
    pub amount: Money,
    /// The amount paid so far, when known.
    pub paid_amount: Option<Money>,
    /// Where the request stands.
    pub status: PaymentStatus,
    /// How the payer pays.
    pub method: Option<PaymentMethod>,
    /// What to show the payer.
    pub payer_action: Option<PayerAction>,
    /// When the request stops accepting payment.
    pub expires_at: Option<DateTime<FixedOffset>>,
    /// When the request was created, when known.
    pub created_at: Option<DateTime<FixedOffset>>,
}

impl PaymentRequest {
    /// A payment request with the required fields.
    pub fn new(id: impl Into<String>, reference_id: impl Into<String>, amount: Money, status: PaymentStatus) -> Self {
        Self {
            id: id.into(),
            code: None,
            reference_id: reference_id.into(),
            amount,
            paid_amount: None,
            status,
            method: None,
            payer_action: None,
            expires_at: None,
            created_at: None,
        }
    }
}

/// Filters for listing payment requests.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct PaymentFilter {
    /// Only the payment requests with this app reference id.
    pub reference_id: Option<String>,
}

impl PaymentFilter {
    /// Only the payment requests for this reference id.
    pub fn reference(reference_id: impl Into<String>) -> Self {
        Self {
            reference_id: Some(reference_id.into()),
        }
    }
}
