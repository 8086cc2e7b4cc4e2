//! The payment API's JSON shapes, exactly the seed's examples (keys in the seed's order): the
//! create answer and the list / get item. Absent strings are `""` and absent objects `null`.

use serde::Serialize;

use super::payments::{BankTransferDetail, Party, PaymentMethod, PaymentRecord, PaymentRequest, PaymentStatus};

/// `data` of `POST /api/v1/payments`.
#[derive(Debug, Serialize)]
pub(super) struct Created {
    payment_request_id: String,
    payment_request_code: String,
    payment_url: String,
    /// `null` for `card` and `ewallet_momo`.
    bank_transfer_detail: Option<BankTransferDetail>,
}

impl From<&PaymentRequest> for Created {
    fn from(r: &PaymentRequest) -> Self {
        Self {
            payment_request_id: r.id.clone(),
            payment_request_code: r.code.clone(),
            payment_url: r.payment_url.clone(),
            bank_transfer_detail: r.bank_transfer_detail.clone(),
        }
    }
}

/// One payment request in `GET /api/v1/payments` (and the `data` of `GET /api/v1/payments/:id`).
#[derive(Debug, Serialize)]
pub(super) struct ListItem {
    payment_request_id: String,
    paid_amount: u64,
    status: PaymentStatus,
    payment_method: PaymentMethod,
    amount: u64,
    description: String,
    reference_type: String,
    reference_id: String,
    payments: Vec<PaymentRecord>,
    merchant: Option<Contact>,
    customer: Option<Contact>,
}

/// The seed lists `merchant` and `customer` with their name and email only.
#[derive(Debug, Serialize)]
struct Contact {
    name: String,
    email: String,
}

impl From<&Party> for Contact {
    fn from(p: &Party) -> Self {
        Self {
            name: p.name.clone().unwrap_or_default(),
            email: p.email.clone().unwrap_or_default(),
        }
    }
}

impl From<&PaymentRequest> for ListItem {
    fn from(r: &PaymentRequest) -> Self {
        Self {
            payment_request_id: r.id.clone(),
            paid_amount: r.paid_amount,
            status: r.status,
            payment_method: r.payment_method,
            amount: r.amount,
            description: r.description.clone().unwrap_or_default(),
            reference_type: r.reference_type.clone().unwrap_or_default(),
            reference_id: r.reference_id.clone(),
            payments: r.payments.clone(),
            merchant: r.merchant.as_ref().map(Contact::from),
            customer: r.customer.as_ref().map(Contact::from),
        }
    }
}
