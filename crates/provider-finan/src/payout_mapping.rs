//! Payouts between `gateway_core` and Finan's wire shapes: the checks a [`CreatePayout`] must pass
//! before anything is sent, and the mapping of Finan's replies to [`Payout`].

use chrono::{DateTime, FixedOffset};
use gateway_core::{Beneficiary, CreatePayout, Currency, Error, Payout, PayoutStatus, Result};

use crate::paging::invalid;
use crate::payment_mapping::vnd;
use crate::payments::MAX_DESCRIPTION_CHARS;
use crate::payout_wire as wire;

/// The `POST /api/v1/payouts` body for `request`, after checking it; nothing is sent when a check
/// fails.
///
/// # Errors
/// [`Error::InvalidRequest`] (nothing sent) when: the source account id, reference id, beneficiary
/// account number, name or bank id is blank; the description is missing, blank or longer than
/// [`MAX_DESCRIPTION_CHARS`] (30) characters (counted as Unicode scalar values, not bytes); the
/// amount is not in VND, not more than 0, has a fraction of a đồng, or does not fit an `i64`.
pub fn create_payout_request(request: &CreatePayout) -> Result<wire::CreatePayoutRequest> {
    let required = |value: &str, name: &str| -> Result<String> {
        let value = value.trim();
        if value.is_empty() {
            return Err(invalid(format!("Finan payout: {name} is required")));
        }
        Ok(value.to_string())
    };
    let account_id = required(&request.source_account_id, "the source account id (account_id)")?;
    let reference_id = required(&request.reference_id, "the reference id (reference_id)")?;
    let name = required(
        &request.beneficiary.account_name,
        "the beneficiary's account name (beneficiary_account_name)",
    )?;
    let number = required(
        &request.beneficiary.account_number,
        "the beneficiary's account number (beneficiary_account_number)",
    )?;
    let bank = required(
        &request.beneficiary.bank_id,
        "the beneficiary's Finan bank code (beneficiary_bank_id)",
    )?;
    let description = required(
        request.description.as_deref().unwrap_or(""),
        "a description (the transfer note)",
    )?;
    let chars = description.chars().count();
    if chars > MAX_DESCRIPTION_CHARS {
        return Err(invalid(format!(
            "Finan payout: the description is {chars} characters; at most {MAX_DESCRIPTION_CHARS} are allowed"
        )));
    }
    let amount = &request.amount;
    if amount.currency() != Currency::VND {
        return Err(invalid(format!(
            "Finan pays out VND only, not {}",
            amount.currency().code()
        )));
    }
    let dong = amount.to_minor_units().map_err(|e| {
        invalid(format!(
            "Finan payout amount {} VND is not a whole number of đồng: {e}",
            amount.amount()
        ))
    })?;
    if dong <= 0 {
        return Err(invalid(format!(
            "Finan payout amount must be more than 0 VND, not {dong}"
        )));
    }
    Ok(wire::CreatePayoutRequest {
        account_id,
        amount: dong,
        beneficiary_account_name: name,
        beneficiary_account_number: number,
        beneficiary_bank_id: bank,
        currency: "VND".into(),
        reference_id,
        description,
    })
}

/// Finan's status in core terms: `created` → [`PayoutStatus::AwaitingOtp`], `processing` →
/// [`PayoutStatus::Processing`], `done` → [`PayoutStatus::Succeeded`], `failed` →
/// [`PayoutStatus::Failed`]; anything else is kept as [`PayoutStatus::Other`].
pub fn status(status: &wire::PayoutStatus) -> PayoutStatus {
    match status {
        wire::PayoutStatus::Created => PayoutStatus::AwaitingOtp,
        wire::PayoutStatus::Processing => PayoutStatus::Processing,
        wire::PayoutStatus::Done => PayoutStatus::Succeeded,
        wire::PayoutStatus::Failed => PayoutStatus::Failed,
        wire::PayoutStatus::Other(text) => PayoutStatus::Other(text.clone()),
    }
}

/// A listed (or fetched) payout. Beneficiary fields Finan leaves out are empty; the status, when
/// left out, is [`PayoutStatus::Other`] with an empty text; times that are not RFC 3339 are `None`.
///
/// # Errors
/// [`Error::Decode`] when the payout has no amount, or a currency other than VND.
pub fn payout(item: wire::Payout) -> Result<Payout> {
    let amount = item
        .amount
        .ok_or_else(|| Error::decode("Finan payout", format!("payout {} has no amount", item.id)))?;
    if let Some(currency) = item.currency.as_deref().filter(|c| !c.eq_ignore_ascii_case("VND")) {
        return Err(Error::decode(
            "Finan payout",
            format!("payout {} is in {currency:?}, not VND", item.id),
        ));
    }
    let beneficiary = Beneficiary::new(
        item.beneficiary_account_number.unwrap_or_default(),
        item.beneficiary_account_name.unwrap_or_default(),
        item.beneficiary_bank_id.unwrap_or_default(),
    );
    let state = item.status.as_ref().map_or(PayoutStatus::Other(String::new()), status);
    let mut payout = Payout::new(item.id, state, vnd(amount), beneficiary);
    payout.reference_id = item.reference_id;
    payout.description = item.description;
    payout.source_account_id = item.account_id;
    payout.created_at = time(item.created_at.as_deref());
    payout.updated_at = time(item.updated_at.as_deref());
    Ok(payout)
}

/// The payout just created from `body`: Finan's id, its status ([`PayoutStatus::AwaitingOtp`]
/// when it sends none: the OTP has been sent) and times; everything else as sent.
pub fn created_payout(data: wire::CreatedPayout, body: &wire::CreatePayoutRequest) -> Payout {
    let state = data.status.as_ref().map_or(PayoutStatus::AwaitingOtp, status);
    let beneficiary = Beneficiary::new(
        &body.beneficiary_account_number,
        &body.beneficiary_account_name,
        &body.beneficiary_bank_id,
    );
    let mut payout = Payout::new(data.id, state, vnd(body.amount), beneficiary);
    payout.reference_id = Some(body.reference_id.clone());
    payout.description = Some(body.description.clone());
    payout.source_account_id = Some(body.account_id.clone());
    payout.created_at = time(data.created_at.as_deref());
    payout.updated_at = time(data.updated_at.as_deref());
    payout
}

fn time(text: Option<&str>) -> Option<DateTime<FixedOffset>> {
    text.and_then(|t| DateTime::parse_from_rfc3339(t.trim()).ok())
}

#[cfg(test)]
mod tests {
    use gateway_core::Money;
    use rust_decimal::Decimal;

    use super::*;

    fn request() -> CreatePayout {
        CreatePayout::new(
            "54957437-0cb5-4992-ad0e-76d26ba4ddc3",
            Money::from_minor_units(6_000_000, Currency::VND),
            Beneficiary::new("1234567890", "NGUYEN VAN A", "161"),
            "PAYOUT-001",
        )
        .description("thanh toan don hang")
    }

    fn refused(request: &CreatePayout) -> String {
        match create_payout_request(request) {
            Err(Error::InvalidRequest(ctx)) => ctx.message,
            other => panic!("expected InvalidRequest, got {other:?}"),
        }
    }

    #[test]
    fn a_valid_request_becomes_the_documented_body() {
        let body = create_payout_request(&request()).unwrap();
        assert_eq!(body.amount, 6_000_000);
        assert_eq!(body.currency, "VND");
        assert_eq!(body.beneficiary_bank_id, "161");
    }

    #[test]
    fn description_is_counted_in_characters() {
        // 30 Vietnamese characters are 30 characters, even though they take more bytes.
        let thirty = "Thanh toán đơn hàng số 1234567";
        assert_eq!(thirty.chars().count(), 30);
        assert!(thirty.len() > 30);
        assert!(create_payout_request(&request().description(thirty)).is_ok());
        let message = refused(&request().description(format!("{thirty}8")));
        assert!(message.contains("31 characters"), "{message}");
    }

    #[test]
    fn amounts_must_be_positive_whole_vnd() {
        let mut r = request();
        r.amount = Money::zero(Currency::VND);
        assert!(refused(&r).contains("more than 0"));
        r.amount = Money::from_minor_units(-5, Currency::VND);
        assert!(refused(&r).contains("more than 0"));
        r.amount = Money::new(Decimal::new(15, 1), Currency::VND);
        assert!(refused(&r).contains("whole number"));
        r.amount = Money::from_minor_units(100, Currency::USD);
        assert!(refused(&r).contains("VND only"));
    }

    #[test]
    fn required_fields() {
        let mut r = request();
        r.description = None;
        assert!(refused(&r).contains("description"));
        let mut r = request();
        r.beneficiary.bank_id = " ".into();
        assert!(refused(&r).contains("beneficiary_bank_id"));
        let mut r = request();
        r.reference_id = String::new();
        assert!(refused(&r).contains("reference_id"));
        let mut r = request();
        r.source_account_id = String::new();
        assert!(refused(&r).contains("account_id"));
        let mut r = request();
        r.beneficiary.account_number = String::new();
        assert!(refused(&r).contains("beneficiary_account_number"));
        let mut r = request();
        r.beneficiary.account_name = String::new();
        assert!(refused(&r).contains("beneficiary_account_name"));
    }

    #[test]
    fn recorded_payout_maps_to_core() {
        let item: wire::Payout = serde_json::from_str(
            r#"{"id":"po_1","account_id":"acc","amount":6000000,"beneficiary_account_name":"NGUYEN VAN A",
                "beneficiary_account_number":"1234567890","beneficiary_bank_id":"161","currency":"VND",
                "reference_id":"PAYOUT-001","description":"thanh toan","status":"done",
                "created_at":"2024-01-20T14:30:00Z","updated_at":"not a time"}"#,
        )
        .unwrap();
        let p = payout(item).unwrap();
        assert_eq!(p.status, PayoutStatus::Succeeded);
        assert_eq!(p.amount, Money::from_minor_units(6_000_000, Currency::VND));
        assert_eq!(p.beneficiary, Beneficiary::new("1234567890", "NGUYEN VAN A", "161"));
        assert_eq!(p.reference_id.as_deref(), Some("PAYOUT-001"));
        assert!(p.created_at.is_some());
        assert_eq!(p.updated_at, None);

        let no_amount: wire::Payout = serde_json::from_str(r#"{"id":"po_2"}"#).unwrap();
        assert!(matches!(payout(no_amount), Err(Error::Decode { .. })));
        let usd: wire::Payout = serde_json::from_str(r#"{"id":"po_3","amount":1,"currency":"USD"}"#).unwrap();
        assert!(matches!(payout(usd), Err(Error::Decode { .. })));
    }

    #[test]
    fn statuses() {
        assert_eq!(status(&wire::PayoutStatus::Created), PayoutStatus::AwaitingOtp);
        assert_eq!(status(&wire::PayoutStatus::Processing), PayoutStatus::Processing);
        assert_eq!(status(&wire::PayoutStatus::Failed), PayoutStatus::Failed);
        assert_eq!(
            status(&wire::PayoutStatus::Other("queued".into())),
            PayoutStatus::Other("queued".into())
        );
    }
}
