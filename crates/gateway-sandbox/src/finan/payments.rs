//! Payment requests (`shared/seeds/002_*`): what was asked for, what has been paid against it, and
//! the status that follows. Amounts are whole VND in `u64`, never floating point.
//!
//! A request is valid for 30 minutes. Finan documents no "expired" status, so an expired request
//! keeps its status and only refuses further payments. `reference_id` is "your unique transaction
//! ID": a second request for the same `(reference_type, reference_id)` is a conflict, unless every
//! earlier one expired with nothing paid (the docs say to create a new request when one expires).

use chrono::{DateTime, SecondsFormat};
use serde::Serialize;

use super::store::Account;
use super::vietqr;

/// How long a payment request (its link and QR code) stays payable.
const VALID_FOR_SECS: i64 = 30 * 60;
const PAYMENT_PAGE: &str = "https://pay.finan.one/";
const ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

/// The documented `payment_method` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PaymentMethod {
    /// `bank_transfer`: a VietQR transfer to the receiving account.
    BankTransfer,
    /// `card`: the hosted payment page.
    Card,
    /// `ewallet_momo`: the hosted payment page, MoMo wallet.
    EwalletMomo,
}

impl PaymentMethod {
    /// The wire name, e.g. `bank_transfer`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::BankTransfer => "bank_transfer",
            Self::Card => "card",
            Self::EwalletMomo => "ewallet_momo",
        }
    }

    /// The method named `text` on the wire, if it is one of the three.
    pub fn from_wire(text: &str) -> Option<Self> {
        [Self::BankTransfer, Self::Card, Self::EwalletMomo]
            .into_iter()
            .find(|m| m.as_str() == text)
    }
}

/// The documented statuses, derived from `paid_amount` against `amount`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PaymentStatus {
    /// Nothing received (`paid_amount` = 0).
    Unpaid,
    /// 0 < `paid_amount` < `amount`.
    PartialPaid,
    /// `paid_amount` = `amount`.
    Paid,
    /// `paid_amount` > `amount`.
    ExtraPaid,
}

impl PaymentStatus {
    fn of(paid: u64, amount: u64) -> Self {
        match paid {
            0 => Self::Unpaid,
            p if p < amount => Self::PartialPaid,
            p if p == amount => Self::Paid,
            _ => Self::ExtraPaid,
        }
    }
}

/// One payment received against a request, as listed in its `payments[]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PaymentRecord {
    /// `PAY-` and 8 upper-case letters or digits.
    pub id: String,
    /// VND received.
    pub amount: u64,
    /// How it was paid.
    pub method: PaymentMethod,
    /// RFC 3339, UTC, whole seconds.
    pub created_at: String,
}

/// `merchant` or `customer` as sent on create.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Party {
    /// Business or customer name.
    pub name: Option<String>,
    /// Contact phone.
    pub phone: Option<String>,
    /// Postal address.
    pub address: Option<String>,
    /// Contact email.
    pub email: Option<String>,
}

/// One of `items[]` as sent on create (already checked: `amount` = `price` × `quantity`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Item {
    /// Item name.
    pub name: String,
    /// Unit price, VND.
    pub price: u64,
    /// Units.
    pub quantity: u64,
    /// Line total, VND.
    pub amount: u64,
}

/// Where to transfer for a `bank_transfer` request, as the create answer's `bank_transfer_detail`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BankTransferDetail {
    /// A VietQR payload for the receiving account, the amount and the remark.
    pub qr_code: String,
    /// The receiving account's `bank_code` (e.g. `MB`).
    pub bank_name: String,
    /// The receiving account's holder name.
    pub account_name: String,
    /// The receiving account's number.
    pub account_number: String,
    /// The transfer content that identifies the request.
    pub remark: String,
}

/// A validated create body (see `payment_body.rs`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct NewPaymentRequest {
    pub payment_method: PaymentMethod,
    pub amount: u64,
    pub reference_id: String,
    pub reference_type: Option<String>,
    pub description: Option<String>,
    pub account_id: Option<String>,
    pub merchant: Option<Party>,
    pub customer: Option<Party>,
    pub items: Vec<Item>,
    pub success_redirect_url: Option<String>,
    pub failure_redirect_url: Option<String>,
}

/// A payment request as the emulator holds it; [`super::FinanState::payment_requests`] hands out
/// copies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaymentRequest {
    /// `payment_request_id`, a UUID.
    pub id: String,
    /// `payment_request_code`: 8 upper-case letters or digits, e.g. `PRJXH9KU`.
    pub code: String,
    /// The transfer remark: 8 upper-case letters or digits.
    pub remark: String,
    /// The requested method.
    pub payment_method: PaymentMethod,
    /// Requested VND.
    pub amount: u64,
    /// VND received so far.
    pub paid_amount: u64,
    /// Follows from `paid_amount` and `amount`.
    pub status: PaymentStatus,
    /// The merchant's reference.
    pub reference_id: String,
    /// E.g. `invoice`; `None` when not sent.
    pub reference_type: Option<String>,
    /// At most 30 characters; `None` when not sent.
    pub description: Option<String>,
    /// The receiving account: the `account_id` sent, else (bank transfers) the default master.
    pub account_id: Option<String>,
    /// As sent.
    pub merchant: Option<Party>,
    /// As sent.
    pub customer: Option<Party>,
    /// As sent (empty for invoice payments, which carry their own items).
    pub items: Vec<Item>,
    /// As sent.
    pub success_redirect_url: Option<String>,
    /// As sent.
    pub failure_redirect_url: Option<String>,
    /// The hosted page for `card` and `ewallet_momo`; empty for `bank_transfer`.
    pub payment_url: String,
    /// Only for `bank_transfer`.
    pub bank_transfer_detail: Option<BankTransferDetail>,
    /// Payments received, oldest first.
    pub payments: Vec<PaymentRecord>,
    /// RFC 3339, UTC, whole seconds.
    pub created_at: String,
    /// `created_at` + 30 minutes, or when it was expired by hand.
    pub expires_at: String,
    /// Whether it refuses payments now (sandbox clock, skew included).
    pub expired: bool,
    expires_unix: i64,
}

impl PaymentRequest {
    fn is_expired(&self, now: i64) -> bool {
        now >= self.expires_unix
    }

    fn snapshot(&self, now: i64) -> Self {
        Self {
            expired: self.is_expired(now),
            ..self.clone()
        }
    }

    fn same_reference(&self, reference_type: Option<&str>, reference_id: &str) -> bool {
        self.reference_type.as_deref() == reference_type && self.reference_id == reference_id
    }
}

/// A payment applied by [`super::FinanState::pay`]: the new record and the request after it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaymentReceipt {
    /// The payment just recorded (also the webhook's `id`, `amount`, `created_at`).
    pub payment: PaymentRecord,
    /// The request with the payment applied.
    pub request: PaymentRequest,
}

/// Why a simulated payment or expiry was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PayError {
    /// No payment request has this id.
    NotFound,
    /// The request's 30 minutes are over (or it was expired by hand).
    Expired,
    /// The amount is zero.
    InvalidAmount,
}

impl std::fmt::Display for PayError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::NotFound => "Payment request not found",
            Self::Expired => "Payment request has expired",
            Self::InvalidAmount => "amount must be greater than 0",
        })
    }
}

impl std::error::Error for PayError {}

/// A create that clashes with a live request for the same reference.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Duplicate;

/// The `reference_type` / `reference_id` list filters; `None` matches everything.
#[derive(Debug, Clone, Default)]
pub(super) struct RefFilter {
    pub reference_type: Option<String>,
    pub reference_id: Option<String>,
}

/// All payment requests, in creation order.
#[derive(Debug, Default)]
pub(super) struct Ledger {
    requests: Vec<PaymentRequest>,
}

impl Ledger {
    pub fn len(&self) -> usize {
        self.requests.len()
    }

    /// Records a new unpaid request. `receiver` is the account a bank transfer goes to.
    pub fn create(
        &mut self,
        new: NewPaymentRequest,
        receiver: Option<&Account>,
        now: i64,
    ) -> Result<PaymentRequest, Duplicate> {
        let clash = self
            .requests
            .iter()
            .filter(|r| r.same_reference(new.reference_type.as_deref(), &new.reference_id))
            .any(|r| !r.is_expired(now) || r.paid_amount > 0);
        if clash {
            return Err(Duplicate);
        }
        let code = self.fresh(|r| &r.code);
        let remark = self.fresh(|r| &r.remark);
        let (payment_url, bank_transfer_detail) = match new.payment_method {
            PaymentMethod::BankTransfer => (String::new(), receiver.map(|a| detail(a, new.amount, &remark))),
            PaymentMethod::Card | PaymentMethod::EwalletMomo => (format!("{PAYMENT_PAGE}{code}"), None),
        };
        let account_id = match new.payment_method {
            PaymentMethod::BankTransfer => receiver.map(|a| a.account_id.clone()),
            _ => new.account_id.as_ref().and(receiver).map(|a| a.account_id.clone()),
        };
        let expires_unix = now + VALID_FOR_SECS;
        let request = PaymentRequest {
            id: uuid::Uuid::new_v4().to_string(),
            code,
            remark,
            payment_method: new.payment_method,
            amount: new.amount,
            paid_amount: 0,
            status: PaymentStatus::Unpaid,
            reference_id: new.reference_id,
            reference_type: new.reference_type,
            description: new.description,
            account_id,
            merchant: new.merchant,
            customer: new.customer,
            items: new.items,
            success_redirect_url: new.success_redirect_url,
            failure_redirect_url: new.failure_redirect_url,
            payment_url,
            bank_transfer_detail,
            payments: Vec::new(),
            created_at: rfc3339(now),
            expires_at: rfc3339(expires_unix),
            expired: false,
            expires_unix,
        };
        self.requests.push(request.clone());
        Ok(request)
    }

    pub fn find(&self, id: &str, now: i64) -> Option<PaymentRequest> {
        self.position(id).map(|i| self.requests[i].snapshot(now))
    }

    pub fn all(&self, now: i64) -> Vec<PaymentRequest> {
        self.requests.iter().map(|r| r.snapshot(now)).collect()
    }

    pub fn matching(&self, filter: &RefFilter, now: i64) -> Vec<PaymentRequest> {
        self.requests
            .iter()
            .filter(|r| {
                filter
                    .reference_type
                    .as_deref()
                    .is_none_or(|t| r.reference_type.as_deref() == Some(t))
                    && filter.reference_id.as_deref().is_none_or(|id| r.reference_id == id)
            })
            .map(|r| r.snapshot(now))
            .collect()
    }

    /// Applies a payment of `amount` VND (by `method`, default the requested one).
    pub fn pay(
        &mut self,
        id: &str,
        amount: u64,
        method: Option<PaymentMethod>,
        now: i64,
    ) -> Result<PaymentReceipt, PayError> {
        let index = self.position(id).ok_or(PayError::NotFound)?;
        if amount == 0 {
            return Err(PayError::InvalidAmount);
        }
        if self.requests[index].is_expired(now) {
            return Err(PayError::Expired);
        }
        let payment_id = loop {
            let candidate = format!("PAY-{}", random_code());
            let taken = self
                .requests
                .iter()
                .flat_map(|r| &r.payments)
                .any(|p| p.id == candidate);
            if !taken {
                break candidate;
            }
        };
        let request = &mut self.requests[index];
        let payment = PaymentRecord {
            id: payment_id,
            amount,
            method: method.unwrap_or(request.payment_method),
            created_at: rfc3339(now),
        };
        request.payments.push(payment.clone());
        request.paid_amount = request.paid_amount.saturating_add(amount);
        request.status = PaymentStatus::of(request.paid_amount, request.amount);
        Ok(PaymentReceipt {
            payment,
            request: request.snapshot(now),
        })
    }

    /// Ends the request's validity now (if it has not ended already).
    pub fn expire(&mut self, id: &str, now: i64) -> Result<PaymentRequest, PayError> {
        let index = self.position(id).ok_or(PayError::NotFound)?;
        let request = &mut self.requests[index];
        if !request.is_expired(now) {
            request.expires_unix = now;
            request.expires_at = rfc3339(now);
        }
        Ok(request.snapshot(now))
    }

    fn position(&self, id: &str) -> Option<usize> {
        // UUIDs are case-insensitive text.
        self.requests.iter().position(|r| r.id.eq_ignore_ascii_case(id))
    }

    /// A random code not yet used in the field `field` of any request.
    fn fresh(&self, field: impl Fn(&PaymentRequest) -> &String) -> String {
        loop {
            let code = random_code();
            if !self.requests.iter().any(|r| *field(r) == code) {
                return code;
            }
        }
    }
}

fn detail(account: &Account, amount: u64, remark: &str) -> BankTransferDetail {
    // Every bank the store holds has a BIN; the account's own QR link is a last resort.
    let qr_code = vietqr::bank_transfer(&account.bank_code, &account.account_number, amount, remark)
        .unwrap_or_else(|| account.qr_code.clone());
    BankTransferDetail {
        qr_code,
        bank_name: account.bank_code.clone(),
        account_name: account.account_name.clone(),
        account_number: account.account_number.clone(),
        remark: remark.to_owned(),
    }
}

/// 8 random upper-case letters or digits, from a v4 UUID's random bytes (no extra RNG crate).
fn random_code() -> String {
    let bytes = uuid::Uuid::new_v4().into_bytes();
    bytes[..8]
        .iter()
        .map(|b| char::from(ALNUM[usize::from(*b) % ALNUM.len()]))
        .collect()
}

/// RFC 3339 in UTC with whole seconds, like every `created_at` the seeds show.
pub(super) fn rfc3339(unix: i64) -> String {
    DateTime::from_timestamp(unix, 0)
        .unwrap_or_default()
        .to_rfc3339_opts(SecondsFormat::Secs, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn new(reference_id: &str, amount: u64) -> NewPaymentRequest {
        NewPaymentRequest {
            payment_method: PaymentMethod::Card,
            amount,
            reference_id: reference_id.into(),
            reference_type: None,
            description: None,
            account_id: None,
            merchant: None,
            customer: None,
            items: Vec::new(),
            success_redirect_url: None,
            failure_redirect_url: None,
        }
    }

    #[test]
    fn status_follows_paid_amount() {
        assert_eq!(PaymentStatus::of(0, 10), PaymentStatus::Unpaid);
        assert_eq!(PaymentStatus::of(1, 10), PaymentStatus::PartialPaid);
        assert_eq!(PaymentStatus::of(10, 10), PaymentStatus::Paid);
        assert_eq!(PaymentStatus::of(11, 10), PaymentStatus::ExtraPaid);
    }

    #[test]
    fn codes_are_eight_upper_alnum() {
        for _ in 0..100 {
            let code = random_code();
            assert_eq!(code.len(), 8);
            assert!(
                code.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit()),
                "{code}"
            );
        }
    }

    #[test]
    fn reference_is_free_again_only_after_an_unpaid_expiry() {
        let mut ledger = Ledger::default();
        let t = 1_700_000_000;
        let first = ledger.create(new("ORDER-1", 100), None, t).unwrap();
        assert_eq!(first.expires_at, rfc3339(t + 1800));
        assert_eq!(first.payment_url, format!("https://pay.finan.one/{}", first.code));
        assert_eq!(ledger.create(new("ORDER-1", 100), None, t + 1), Err(Duplicate));
        // Another reference type is another reference.
        let mut invoice = new("ORDER-1", 100);
        invoice.reference_type = Some("invoice".into());
        assert!(ledger.create(invoice, None, t + 1).is_ok());

        // After 30 minutes an unpaid request no longer holds its reference.
        let second = ledger.create(new("ORDER-1", 100), None, t + 1800).unwrap();
        ledger.pay(&second.id, 40, None, t + 1801).unwrap();
        ledger.expire(&second.id, t + 1802).unwrap();
        // A request that took money keeps it, expired or not.
        assert_eq!(ledger.create(new("ORDER-1", 100), None, t + 1803), Err(Duplicate));
        assert_eq!(ledger.len(), 3);
    }

    #[test]
    fn payments_accumulate_until_expiry() {
        let mut ledger = Ledger::default();
        let t = 1_700_000_000;
        let r = ledger.create(new("A", 100), None, t).unwrap();
        assert_eq!(ledger.pay(&r.id, 0, None, t), Err(PayError::InvalidAmount));
        assert_eq!(ledger.pay("nope", 1, None, t), Err(PayError::NotFound));
        let receipt = ledger
            .pay(&r.id.to_uppercase(), 60, Some(PaymentMethod::BankTransfer), t)
            .unwrap();
        assert_eq!(receipt.request.status, PaymentStatus::PartialPaid);
        assert_eq!(receipt.payment.method, PaymentMethod::BankTransfer);
        assert!(receipt.payment.id.starts_with("PAY-") && receipt.payment.id.len() == 12);
        let receipt = ledger.pay(&r.id, 40, None, t + 1).unwrap();
        assert_eq!(
            (receipt.request.paid_amount, receipt.request.status),
            (100, PaymentStatus::Paid)
        );
        assert_eq!(receipt.payment.method, PaymentMethod::Card);
        assert_eq!(receipt.request.payments.len(), 2);
        assert_eq!(ledger.pay(&r.id, 1, None, t + 1800), Err(PayError::Expired));
        let found = ledger.find(&r.id, t + 1800).unwrap();
        assert!(found.expired);
        assert_eq!(found.status, PaymentStatus::Paid);
    }
}
