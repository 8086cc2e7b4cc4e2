//! Payouts (money sent from the merchant's account to someone else's bank account), for
//! [`PayoutProvider`]: the request an app makes, the [`Payout`] a provider reports, and the
//! one-time password ([`SecretString`]) that confirms it.
//!
//! A payout is two steps: [`PayoutProvider::create_payout`] registers it and makes the provider
//! send an OTP to the account holder (SMS or email); [`PayoutProvider::confirm_payout`] with that
//! OTP lets the money go. [`PayoutProvider::get_payout`] then reports where it stands.

use async_trait::async_trait;
use chrono::{DateTime, FixedOffset};
use futures::stream::BoxStream;
use secrecy::SecretString;
use serde::{Deserialize, Serialize};

use crate::page::paginate;
use crate::{Error, Money, Page, PageRequest, Provider};

/// Who receives a payout: an account at a bank, as the provider names the bank.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Beneficiary {
    /// The receiving account number, e.g. `"1234567890"`.
    pub account_number: String,
    /// The account holder's name as registered with the bank, e.g. `"NGUYEN VAN A"`.
    pub account_name: String,
    /// The receiving bank, as the provider identifies it (the provider's own bank id, passed
    /// through unchanged; e.g. Finan's `beneficiary_bank_id` `"161"`). Not necessarily a NAPAS BIN:
    /// see the provider's documentation.
    pub bank_id: String,
}

impl Beneficiary {
    /// The account `account_number` held by `account_name` at the provider's bank `bank_id`.
    pub fn new(account_number: impl Into<String>, account_name: impl Into<String>, bank_id: impl Into<String>) -> Self {
        Self {
            account_number: account_number.into(),
            account_name: account_name.into(),
            bank_id: bank_id.into(),
        }
    }
}

/// What an app asks a provider to pay out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct CreatePayout {
    /// The provider id of the merchant's account the money leaves from.
    pub source_account_id: String,
    /// How much to send, in its currency (for VND, whole đồng).
    pub amount: Money,
    /// Who receives it.
    pub beneficiary: Beneficiary,
    /// The app's unique id for this payout (the idempotency key): creating twice with the same
    /// reference id must not send the money twice.
    pub reference_id: String,
    /// The transfer note the beneficiary sees (providers cap it; Finan at 30 characters).
    pub description: Option<String>,
}

impl CreatePayout {
    /// A payout of `amount` from `source_account_id` to `beneficiary`, for the app's
    /// `reference_id`, with no description.
    pub fn new(
        source_account_id: impl Into<String>,
        amount: Money,
        beneficiary: Beneficiary,
        reference_id: impl Into<String>,
    ) -> Self {
        Self {
            source_account_id: source_account_id.into(),
            amount,
            beneficiary,
            reference_id: reference_id.into(),
            description: None,
        }
    }

    /// Sets the transfer note.
    pub fn description(mut self, description: impl Into<String>) -> Self {
        self.description = Some(description.into());
        self
    }
}

/// Where a payout stands.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum PayoutStatus {
    /// Created; waiting for the OTP sent to the account holder ([`PayoutProvider::confirm_payout`]).
    AwaitingOtp,
    /// Confirmed; the bank is sending the money.
    Processing,
    /// The money was sent.
    Succeeded,
    /// The payout failed (the money did not leave, or came back).
    Failed,
    /// A status this library does not know, exactly as the provider sent it.
    Other(String),
}

impl PayoutStatus {
    /// True when the payout will not change any more ([`Self::Succeeded`] or [`Self::Failed`]).
    pub fn is_final(&self) -> bool {
        matches!(self, PayoutStatus::Succeeded | PayoutStatus::Failed)
    }
}

/// A payout as the provider reports it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Payout {
    /// The provider's id of the payout (what [`PayoutProvider::confirm_payout`] and
    /// [`PayoutProvider::get_payout`] take).
    pub id: String,
    /// Where it stands.
    pub status: PayoutStatus,
    /// How much is sent.
    pub amount: Money,
    /// Who receives it.
    pub beneficiary: Beneficiary,
    /// The app's reference id, when the provider reports it.
    pub reference_id: Option<String>,
    /// The transfer note, when the provider reports it.
    pub description: Option<String>,
    /// The account the money leaves from, when the provider reports it.
    pub source_account_id: Option<String>,
    /// When the payout was created, when the provider reports it.
    pub created_at: Option<DateTime<FixedOffset>>,
    /// When its status last changed, when the provider reports it.
    pub updated_at: Option<DateTime<FixedOffset>>,
}

impl Payout {
    /// A payout with the given id, status, amount and beneficiary, and nothing else known.
    pub fn new(id: impl Into<String>, status: PayoutStatus, amount: Money, beneficiary: Beneficiary) -> Self {
        Self {
            id: id.into(),
            status,
            amount,
            beneficiary,
            reference_id: None,
            description: None,
            source_account_id: None,
            created_at: None,
            updated_at: None,
        }
    }
}

/// Which payouts to list. The default lists every payout.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct PayoutFilter {
    /// Only the payouts with this app reference id.
    pub reference_id: Option<String>,
}

impl PayoutFilter {
    /// Every payout.
    pub fn all() -> Self {
        Self::default()
    }

    /// Only the payouts for this reference id.
    pub fn reference(reference_id: impl Into<String>) -> Self {
        Self {
            reference_id: Some(reference_id.into()),
        }
    }
}

/// Creates, confirms and reads payouts.
///
/// Object safe: apps hold `Arc<dyn PayoutProvider>`. The OTP is a [`SecretString`]: no
/// implementation may log it, show it in `Debug` output or put it in an [`Error`].
#[async_trait]
pub trait PayoutProvider: Provider {
    /// Creates a payout; the provider then sends an OTP to the account holder. Creating with a
    /// [`CreatePayout::reference_id`] that already has a payout must not send money twice: the
    /// existing payout is returned (or [`Error::Conflict`] when it differs).
    ///
    /// # Errors
    /// [`Error::InvalidRequest`] for a request that fails the provider's rules (checked before
    /// sending where possible) or is refused, insufficient balance included;
    /// [`Error::Forbidden`] when the account may not make payouts; otherwise any [`Error`].
    async fn create_payout(&self, request: &CreatePayout) -> Result<Payout, Error>;

    /// Confirms payout `id` with the `otp` the account holder received. Never re-sent blindly.
    ///
    /// # Errors
    /// [`Error::InvalidRequest`] for a wrong or expired OTP, or a payout not waiting for one;
    /// [`Error::NotFound`] for an unknown id; otherwise any [`Error`].
    async fn confirm_payout(&self, id: &str, otp: &SecretString) -> Result<Payout, Error>;

    /// One payout by the provider's id.
    ///
    /// # Errors
    /// [`Error::NotFound`] when there is none; otherwise any [`Error`].
    async fn get_payout(&self, id: &str) -> Result<Payout, Error>;

    /// One page of payouts matching `filter`.
    ///
    /// # Errors
    /// Any [`Error`].
    async fn list_payouts(&self, filter: &PayoutFilter, page: PageRequest) -> Result<Page<Payout>, Error>;

    /// Every payout matching `filter`, page after page, as a stream (ending with one error item
    /// when a page fails).
    fn stream_payouts<'a>(&'a self, filter: &'a PayoutFilter) -> BoxStream<'a, Result<Payout, Error>> {
        paginate(PageRequest::first(), move |page| self.list_payouts(filter, page))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Currency;

    #[test]
    fn final_statuses() {
        assert!(PayoutStatus::Succeeded.is_final());
        assert!(PayoutStatus::Failed.is_final());
        assert!(!PayoutStatus::AwaitingOtp.is_final());
        assert!(!PayoutStatus::Processing.is_final());
        assert!(!PayoutStatus::Other("x".into()).is_final());
    }

    #[test]
    fn builders() {
        let request = CreatePayout::new(
            "acc",
            Money::from_minor_units(6_000_000, Currency::VND),
            Beneficiary::new("1234567890", "NGUYEN VAN A", "161"),
            "PAYOUT-001",
        )
        .description("thanh toan");
        assert_eq!(request.description.as_deref(), Some("thanh toan"));
        assert_eq!(request.beneficiary.bank_id, "161");
        assert_eq!(PayoutFilter::reference("r").reference_id.as_deref(), Some("r"));
        assert_eq!(PayoutFilter::all().reference_id, None);
    }
}
