//! Payment requests between `gateway_core` and Finan's wire models ([`crate::payment_wire`]):
//! the checked create-payment body built from a [`CreatePayment`], and Finan's replies as
//! [`PaymentRequest`]s. Pure functions (no I/O, no clock), so they are unit-tested here.
//!
//! Every amount on Finan's wire is an integer number of đồng (VND minor units; VND has no
//! subunit), and Finan collects VND only, so every [`Money`] here is VND.

use chrono::{DateTime, FixedOffset};
use gateway_core::{
    CreatePayment, Currency, Customer, Error, LineItem, Money, PayerAction, PaymentMethod, PaymentRequest,
    PaymentStatus,
};

use crate::mapping::bank_from_finan_code;
use crate::paging::invalid;
use crate::payment_wire as wire;
use crate::payments::{FinanPaymentOptions, MAX_DESCRIPTION_CHARS, REFERENCE_TYPE_INVOICE};

/// Finan's spelling of a core payment method: [`PaymentMethod::BankTransfer`] → `bank_transfer`,
/// [`PaymentMethod::Card`] → `card`, [`PaymentMethod::EWallet`] → `ewallet_momo` (MoMo is the one
/// e-wallet Finan takes). `None` for a method Finan does not offer.
pub fn wire_method(method: PaymentMethod) -> Option<wire::PaymentMethod> {
    match method {
        PaymentMethod::BankTransfer => Some(wire::PaymentMethod::BankTransfer),
        PaymentMethod::Card => Some(wire::PaymentMethod::Card),
        PaymentMethod::EWallet => Some(wire::PaymentMethod::EwalletMomo),
        _ => None,
    }
}

/// The core payment method of one of Finan's: `bank_transfer` → [`PaymentMethod::BankTransfer`],
/// `card` → [`PaymentMethod::Card`], `ewallet_momo` → [`PaymentMethod::EWallet`]; `None` for a
/// value this library does not know.
pub fn core_method(method: &wire::PaymentMethod) -> Option<PaymentMethod> {
    match method {
        wire::PaymentMethod::BankTransfer => Some(PaymentMethod::BankTransfer),
        wire::PaymentMethod::Card => Some(PaymentMethod::Card),
        wire::PaymentMethod::EwalletMomo => Some(PaymentMethod::EWallet),
        _ => None,
    }
}

/// Finan's status as a core one: `unpaid` → [`PaymentStatus::Unpaid`], `partial_paid` →
/// [`PaymentStatus::PartiallyPaid`], `paid` → [`PaymentStatus::Paid`], `extra_paid` →
/// [`PaymentStatus::Overpaid`]; any other value kept as sent in [`PaymentStatus::Other`].
pub fn status(status: &wire::PaymentStatus) -> PaymentStatus {
    match status {
        wire::PaymentStatus::Unpaid => PaymentStatus::Unpaid,
        wire::PaymentStatus::PartialPaid => PaymentStatus::PartiallyPaid,
        wire::PaymentStatus::Paid => PaymentStatus::Paid,
        wire::PaymentStatus::ExtraPaid => PaymentStatus::Overpaid,
        other => PaymentStatus::Other(other.as_str().to_string()),
    }
}

/// `minor_units` đồng as VND [`Money`].
pub fn vnd(minor_units: i64) -> Money {
    Money::from_minor_units(minor_units, Currency::VND)
}

/// The body of `POST /api/v1/payments` for `request`, checked before anything is sent.
///
/// Fields: `merchant` and `reference_type` (`"invoice"`) from `options`; `items` (each with
/// `price`, `quantity` and `amount` = price × quantity, in đồng); `customer`; `payment_method`
/// (see [`wire_method`]); `account_id`; `amount` in đồng; `description` (left out when empty);
/// `reference_id`; `success_redirect_url` and `failure_redirect_url` from
/// [`gateway_core::RedirectUrls`]. Finan has no cancel URL, so `redirect_urls.cancel` is not sent.
/// Empty optional customer fields are left out.
///
/// # Errors
/// [`Error::InvalidRequest`] naming the field when:
/// - `reference_id` is blank;
/// - `amount` is not VND, not a whole number of đồng, or not more than 0;
/// - `description` is longer than [`MAX_DESCRIPTION_CHARS`] (30) characters (Unicode scalar values,
///   so "đ" counts as one);
/// - `method` is one Finan does not offer;
/// - `account_id` is set but blank;
/// - `customer` is given with a blank name;
/// - an item has a blank name, a quantity of 0, a unit price that is not VND, negative or not a
///   whole number of đồng, or a price × quantity that overflows;
/// - items are given and their total (exact) differs from `amount`.
pub fn create_payment_request(
    request: &CreatePayment,
    options: &FinanPaymentOptions,
) -> Result<wire::CreatePaymentRequest, Error> {
    if request.reference_id.trim().is_empty() {
        return Err(invalid("reference_id must not be blank"));
    }
    let amount = whole_vnd("amount", &request.amount)?;
    if amount <= 0 {
        return Err(invalid(format!("amount must be more than 0 VND, not {amount} VND")));
    }
    if let Some(description) = &request.description {
        let chars = description.chars().count();
        if chars > MAX_DESCRIPTION_CHARS {
            return Err(invalid(format!(
                "description is {chars} characters; Finan allows at most {MAX_DESCRIPTION_CHARS}"
            )));
        }
    }
    let payment_method = wire_method(request.method)
        .ok_or_else(|| invalid(format!("method {:?} is not offered by Finan", request.method)))?;
    if request.account_id.as_deref().is_some_and(|id| id.trim().is_empty()) {
        return Err(invalid("account_id must not be blank when it is set"));
    }
    let customer = request.customer.as_ref().map(customer).transpose()?;
    let items = items(&request.items, amount)?;

    let mut body = wire::CreatePaymentRequest::new(payment_method, amount, request.reference_id.clone());
    body.merchant = options.merchant.clone();
    body.items = items;
    body.customer = customer;
    body.account_id = request.account_id.clone();
    body.description = request.description.clone().filter(|d| !d.is_empty());
    body.reference_type = options
        .reference_type_invoice
        .then(|| REFERENCE_TYPE_INVOICE.to_string());
    body.success_redirect_url = non_empty(&request.redirect_urls.success);
    body.failure_redirect_url = non_empty(&request.redirect_urls.failure);
    Ok(body)
}

/// The [`PaymentRequest`] Finan created (`data` of `POST /api/v1/payments`) for the body `sent`.
///
/// Status [`PaymentStatus::Unpaid`], paid amount 0 VND, amount, method and reference id as sent,
/// `code` = `payment_request_code`, and `expires_at` as given (Finan returns no expiry; the caller
/// passes the send time + 30 minutes). `payer_action`:
/// - [`PayerAction::BankTransfer`] from `bank_transfer_detail` for a bank transfer (or whenever
///   there is no payment URL): `qr` = the VietQR string, `bank` = Finan's bank code through
///   [`bank_from_finan_code`] (`"MB"` → MB Bank), account number and holder name, and the
///   transfer `remark` that identifies the payment;
/// - [`PayerAction::Redirect`] to `payment_url` when it is not empty (card, MoMo);
/// - `None` when Finan sent neither.
pub fn created_payment(
    data: wire::CreatedPayment,
    sent: &wire::CreatePaymentRequest,
    expires_at: DateTime<FixedOffset>,
) -> PaymentRequest {
    let method = core_method(&sent.payment_method);
    let url = data.payment_url.filter(|u| !u.trim().is_empty());
    let transfer = data.bank_transfer_detail.map(bank_transfer);
    let payer_action = match (transfer, url) {
        (Some(transfer), _) if method == Some(PaymentMethod::BankTransfer) => Some(transfer),
        (_, Some(url)) => Some(PayerAction::Redirect { url }),
        (transfer, None) => transfer,
    };
    let mut payment = PaymentRequest::new(
        data.payment_request_id,
        sent.reference_id.clone(),
        vnd(sent.amount),
        PaymentStatus::Unpaid,
    );
    payment.code = data.payment_request_code.filter(|c| !c.trim().is_empty());
    payment.paid_amount = Some(vnd(0));
    payment.method = method;
    payment.payer_action = payer_action;
    payment.expires_at = Some(expires_at);
    payment
}

/// A payment request as `GET /api/v1/payments` lists it or `GET /api/v1/payments/:id` returns it.
///
/// Amount and paid amount in VND, status through [`status`], method through [`core_method`],
/// `reference_id` as sent (empty when Finan sent none). Finan's list has no short code, QR,
/// payment URL or expiry, so `code`, `payer_action` and `expires_at` are `None`.
pub fn payment_request(item: wire::PaymentRequest) -> PaymentRequest {
    let mut payment = PaymentRequest::new(
        item.payment_request_id,
        item.reference_id.unwrap_or_default(),
        vnd(item.amount),
        status(&item.status),
    );
    payment.paid_amount = Some(vnd(item.paid_amount));
    payment.method = core_method(&item.payment_method);
    payment
}

fn bank_transfer(detail: wire::BankTransferDetail) -> PayerAction {
    PayerAction::BankTransfer {
        qr: Some(detail.qr_code).filter(|q| !q.trim().is_empty()),
        bank: Some(detail.bank_name)
            .filter(|b| !b.trim().is_empty())
            .map(|b| bank_from_finan_code(&b)),
        account_number: detail.account_number,
        account_holder_name: Some(detail.account_name).filter(|n| !n.trim().is_empty()),
        remark: Some(detail.remark).filter(|r| !r.trim().is_empty()),
    }
}

/// `money` in whole đồng, refusing another currency or a fraction of a đồng; `field` names it.
fn whole_vnd(field: &str, money: &Money) -> Result<i64, Error> {
    if money.currency() != Currency::VND {
        return Err(invalid(format!(
            "{field}: Finan collects VND only, not {}",
            money.currency()
        )));
    }
    money
        .to_minor_units()
        .map_err(|e| invalid(format!("{field}: {money} is not a whole number of đồng ({e})")))
}

fn customer(customer: &Customer) -> Result<wire::Customer, Error> {
    if customer.name.trim().is_empty() {
        return Err(invalid("customer.name is required when a customer is given"));
    }
    let mut wire = wire::Customer::new(customer.name.clone());
    wire.phone = non_empty(&customer.phone);
    wire.address = non_empty(&customer.address);
    wire.email = non_empty(&customer.email);
    Ok(wire)
}

/// The wire items, with each line total computed exactly; checks that they add up to `amount`.
fn items(items: &[LineItem], amount: i64) -> Result<Vec<wire::Item>, Error> {
    if items.is_empty() {
        return Ok(Vec::new());
    }
    let mut total = vnd(0);
    let mut wire_items = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        if item.name.trim().is_empty() {
            return Err(invalid(format!("items[{i}].name must not be blank")));
        }
        if item.quantity == 0 {
            return Err(invalid(format!("items[{i}].quantity must be at least 1")));
        }
        let price = whole_vnd(&format!("items[{i}].unit_price"), &item.unit_price)?;
        if price < 0 {
            return Err(invalid(format!(
                "items[{i}].unit_price must not be negative, not {price} VND"
            )));
        }
        let overflow = || {
            invalid(format!(
                "items[{i}]: {} × {} does not fit Finan's amount",
                item.unit_price, item.quantity
            ))
        };
        let line = item
            .unit_price
            .checked_mul(u64::from(item.quantity))
            .map_err(|_| overflow())?;
        let line_amount = line.to_minor_units().map_err(|_| overflow())?;
        total = total
            .checked_add(&line)
            .map_err(|_| invalid("items: the total of the items overflows"))?;
        wire_items.push(wire::Item::new(
            item.name.clone(),
            price,
            u64::from(item.quantity),
            line_amount,
        ));
    }
    let total = total
        .to_minor_units()
        .map_err(|_| invalid("items: the total of the items overflows"))?;
    if total != amount {
        return Err(invalid(format!(
            "items: their total {total} VND differs from amount {amount} VND"
        )));
    }
    Ok(wire_items)
}

fn non_empty(value: &Option<String>) -> Option<String> {
    value.clone().filter(|v| !v.trim().is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn methods_and_statuses() {
        for (core, text) in [
            (PaymentMethod::BankTransfer, "bank_transfer"),
            (PaymentMethod::Card, "card"),
            (PaymentMethod::EWallet, "ewallet_momo"),
        ] {
            let wire = wire_method(core).unwrap();
            assert_eq!(wire.as_str(), text);
            assert_eq!(core_method(&wire), Some(core));
        }
        assert_eq!(core_method(&wire::PaymentMethod::from("zalopay")), None);
        assert_eq!(status(&"unpaid".into()), PaymentStatus::Unpaid);
        assert_eq!(status(&"partial_paid".into()), PaymentStatus::PartiallyPaid);
        assert_eq!(status(&"paid".into()), PaymentStatus::Paid);
        assert_eq!(status(&"extra_paid".into()), PaymentStatus::Overpaid);
        assert_eq!(status(&"refunded".into()), PaymentStatus::Other("refunded".into()));
    }

    #[test]
    fn description_counts_characters_not_bytes() {
        // 30 characters, 40+ bytes: accepted.
        let thirty = "Thanh toán đơn hàng số 1234567";
        assert_eq!(thirty.chars().count(), 30);
        assert!(thirty.len() > 30);
        let mut request = CreatePayment::new(vnd(1000), "r", PaymentMethod::BankTransfer);
        request.description = Some(thirty.into());
        assert!(create_payment_request(&request, &FinanPaymentOptions::default()).is_ok());
        request.description = Some(format!("{thirty}đ"));
        let err = create_payment_request(&request, &FinanPaymentOptions::default()).unwrap_err();
        assert!(err.to_string().contains("description is 31 characters"), "{err}");
    }

    #[test]
    fn card_reply_is_a_redirect() {
        let sent = wire::CreatePaymentRequest::new(wire::PaymentMethod::Card, 5000, "r");
        let data: wire::CreatedPayment = serde_json::from_value(serde_json::json!({
            "payment_request_id": "p", "payment_request_code": "", "payment_url": "https://pay.finan.one/p"
        }))
        .unwrap();
        let at = DateTime::parse_from_rfc3339("2024-01-20T14:30:00Z").unwrap();
        let payment = created_payment(data, &sent, at);
        assert_eq!(payment.code, None);
        assert_eq!(payment.method, Some(PaymentMethod::Card));
        assert_eq!(
            payment.payer_action,
            Some(PayerAction::Redirect {
                url: "https://pay.finan.one/p".into()
            })
        );
    }
}
