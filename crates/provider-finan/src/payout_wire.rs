//! Finan's Payout JSON as it is sent (Open Banking → Payout,
//! <https://open.finan.one/docs/api/open-banking/payout>).
//!
//! - `POST /api/v1/payouts`: body [`CreatePayoutRequest`] (field names exactly as documented);
//!   `data` of the reply is a [`CreatedPayout`] (its `id` is what the OTP step takes).
//! - `POST /api/v1/payouts/:id/otps`: body [`VerifyOtpRequest`]; `data` of the reply is a
//!   [`Payout`] when Finan sends one.
//! - `GET /api/v1/payouts` (pages, `meta`) and `GET /api/v1/payouts/:id`: `data` is a list of
//!   [`Payout`] / one [`Payout`].
//!
//! What the docs leave out, and what is assumed here: the public page shows the create body
//! only. The reply objects are read leniently: a payout's fields are taken to be the create
//! body's fields plus `id`, `status`, `created_at` and `updated_at`; every field but `id` may be
//! missing, and unknown fields are ignored. The OTP body's field name is taken to be `otp`. The
//! status values this library knows are the sandbox's (`created`, `processing`, `done`, `failed`);
//! any other is kept as [`PayoutStatus::Other`].
//!
//! Amounts are integers in VND minor units (đồng), read as JSON integers or digit strings, never
//! through `f64`.

use std::fmt;

use gateway_core::lenient;
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

gateway_core::open_enum! {
    /// Where a payout stands, as Finan spells it. A value this library does not know is kept as
    /// [`PayoutStatus::Other`].
    #[non_exhaustive]
    pub enum PayoutStatus {
        /// `"created"`: created, the OTP was sent; waiting for `POST /api/v1/payouts/:id/otps`.
        Created = "created",
        /// `"processing"`: the OTP was accepted; the bank is sending the money.
        Processing = "processing",
        /// `"done"`: the money was sent.
        Done = "done",
        /// `"failed"`: the payout failed.
        Failed = "failed",
    }
}

/// The body of `POST /api/v1/payouts`, field names as in Finan's Payout document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct CreatePayoutRequest {
    /// Source account id (a Shinhan master account's `account_id`, from the Account API).
    pub account_id: String,
    /// Amount in the smallest currency unit (đồng).
    #[serde(deserialize_with = "lenient::i64_lenient")]
    pub amount: i64,
    /// Recipient's name as registered with the bank.
    pub beneficiary_account_name: String,
    /// Recipient's account number.
    pub beneficiary_account_number: String,
    /// Finan's bank code (see the Code Reference), e.g. `"161"`; not the NAPAS BIN.
    pub beneficiary_bank_id: String,
    /// ISO currency code; Finan's default is `"VND"`.
    pub currency: String,
    /// The merchant's unique id for the payout.
    pub reference_id: String,
    /// Transfer note, at most 30 characters.
    pub description: String,
}

/// `data` of a successful create: the payout id (the OTP step needs it), and whatever else Finan
/// sends of the payout.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct CreatedPayout {
    /// Finan's payout id.
    #[serde(deserialize_with = "lenient::string_or_number")]
    pub id: String,
    /// The status, when sent.
    #[serde(default)]
    pub status: Option<PayoutStatus>,
    /// When it was created (RFC 3339), when sent.
    #[serde(default)]
    pub created_at: Option<String>,
    /// When it last changed (RFC 3339), when sent.
    #[serde(default)]
    pub updated_at: Option<String>,
}

/// The body of `POST /api/v1/payouts/:id/otps`: `{"otp": "123456"}`.
///
/// The OTP stays a [`SecretString`]; it is exposed only while the body is serialized, and
/// `Debug` shows `[REDACTED]`.
#[derive(Clone, Serialize)]
#[non_exhaustive]
pub struct VerifyOtpRequest {
    /// The one-time password the account holder received.
    #[serde(serialize_with = "expose")]
    pub otp: SecretString,
}

impl VerifyOtpRequest {
    /// A body carrying `otp`.
    pub fn new(otp: SecretString) -> Self {
        Self { otp }
    }
}

impl fmt::Debug for VerifyOtpRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("VerifyOtpRequest").field("otp", &"[REDACTED]").finish()
    }
}

/// An optional integer sent as a JSON integer or a digit string (never through `f64`).
fn option_i64<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<i64>, D::Error> {
    #[derive(Deserialize)]
    struct Whole(#[serde(deserialize_with = "lenient::i64_lenient")] i64);
    Ok(Option::<Whole>::deserialize(deserializer)?.map(|w| w.0))
}

fn expose<S: Serializer>(otp: &SecretString, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(otp.expose_secret())
}

/// A payout as `GET /api/v1/payouts[/:id]` lists it: the create body's fields plus `id`,
/// `status` and times. Only `id` is required.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct Payout {
    /// Finan's payout id.
    #[serde(deserialize_with = "lenient::string_or_number")]
    pub id: String,
    /// Source account id.
    #[serde(default)]
    pub account_id: Option<String>,
    /// Amount in đồng.
    #[serde(default, deserialize_with = "option_i64")]
    pub amount: Option<i64>,
    /// Recipient's name.
    #[serde(default)]
    pub beneficiary_account_name: Option<String>,
    /// Recipient's account number.
    #[serde(default, deserialize_with = "lenient::option_string_or_number")]
    pub beneficiary_account_number: Option<String>,
    /// Finan's bank code.
    #[serde(default, deserialize_with = "lenient::option_string_or_number")]
    pub beneficiary_bank_id: Option<String>,
    /// ISO currency code.
    #[serde(default)]
    pub currency: Option<String>,
    /// The merchant's reference id.
    #[serde(default)]
    pub reference_id: Option<String>,
    /// Transfer note.
    #[serde(default)]
    pub description: Option<String>,
    /// Where it stands.
    #[serde(default)]
    pub status: Option<PayoutStatus>,
    /// When it was created (RFC 3339).
    #[serde(default)]
    pub created_at: Option<String>,
    /// When it last changed (RFC 3339).
    #[serde(default)]
    pub updated_at: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn create_body_has_the_documented_fields_in_order() {
        let body = CreatePayoutRequest {
            account_id: "54957437-0cb5-4992-ad0e-76d26ba4ddc3".into(),
            amount: 6_000_000,
            beneficiary_account_name: "NGUYEN VAN A".into(),
            beneficiary_account_number: "1234567890".into(),
            beneficiary_bank_id: "161".into(),
            currency: "VND".into(),
            reference_id: "PAYOUT-001".into(),
            description: "thanh toan don hang".into(),
        };
        // The docs' cURL example, byte for byte (minus whitespace).
        assert_eq!(
            serde_json::to_string(&body).unwrap(),
            r#"{"account_id":"54957437-0cb5-4992-ad0e-76d26ba4ddc3","amount":6000000,"beneficiary_account_name":"NGUYEN VAN A","beneficiary_account_number":"1234567890","beneficiary_bank_id":"161","currency":"VND","reference_id":"PAYOUT-001","description":"thanh toan don hang"}"#
        );
    }

    #[test]
    fn otp_body_shows_the_otp_only_when_serialized() {
        let body = VerifyOtpRequest::new(SecretString::from("493817"));
        assert_eq!(serde_json::to_string(&body).unwrap(), r#"{"otp":"493817"}"#);
        assert!(!format!("{body:?}").contains("493817"));
    }

    #[test]
    fn payouts_read_leniently() {
        let p: Payout = serde_json::from_str(r#"{"id":7,"amount":"6000000","status":"queued","extra":1}"#).unwrap();
        assert_eq!(p.id, "7");
        assert_eq!(p.amount, Some(6_000_000));
        assert_eq!(p.status, Some(PayoutStatus::Other("queued".into())));
        assert!(serde_json::from_str::<Payout>(r#"{"id":"p","amount":1.5}"#).is_err());
        assert!(
            serde_json::from_str::<Payout>(r#"{"amount":1}"#).is_err(),
            "id is required"
        );
    }
}
