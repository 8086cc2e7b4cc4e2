//! Payouts (Open Banking → Payout): the records, the OTP the emulator "sends" (readable through a
//! control instead of SMS), the master accounts' balances they draw on, and the access rules
//! (Enterprise account, IP whitelist) that tests switch on.
//!
//! Life of a payout: `created` (the OTP is sent) → `POST …/otps` with the right OTP → `processing`
//! (the amount leaves the master account's balance) → `done` at the next read (or, with
//! [`PayoutSettings::auto_settle`] off, when [`FinanState::settle_payout`] says `done` or
//! `failed`; a failed payout gives the amount back).
//!
//! Status values and the OTP body (`{"otp": "…"}`) are this emulator's choice: Finan's public page
//! shows the create body only.

use std::net::IpAddr;

use serde::{Deserialize, Serialize};

use super::payments::rfc3339;
use super::store::Account;
use super::FinanState;

/// "Transfer note (max 30 characters)": characters, not bytes.
pub(super) const MAX_DESCRIPTION_CHARS: usize = 30;

/// Where a payout stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PayoutStatus {
    /// Created; the OTP was sent and is awaited.
    Created,
    /// The OTP was accepted and the amount debited; the bank is sending it.
    Processing,
    /// Sent.
    Done,
    /// Failed; the amount went back to the source account.
    Failed,
}

/// A payout as the API shows it (exactly these fields, in this order).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Payout {
    /// The payout id (a UUID).
    pub id: String,
    /// The source master account's `account_id`.
    pub account_id: String,
    /// VND, đồng.
    pub amount: u64,
    /// Recipient's name.
    pub beneficiary_account_name: String,
    /// Recipient's account number.
    pub beneficiary_account_number: String,
    /// Finan's bank code, as sent.
    pub beneficiary_bank_id: String,
    /// Always `"VND"`.
    pub currency: String,
    /// The merchant's reference id, when sent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reference_id: Option<String>,
    /// The transfer note.
    pub description: String,
    /// Where it stands.
    pub status: PayoutStatus,
    /// RFC 3339, UTC, whole seconds.
    pub created_at: String,
    /// RFC 3339, UTC, whole seconds.
    pub updated_at: String,
}

/// The access rules and settlement mode. The default lets every payout through and settles it at
/// the first read after its OTP, so examples run without setup.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct PayoutSettings {
    /// `false`: every payout route answers `403` "Payout API is available for Enterprise accounts
    /// only". Default `true`.
    pub enterprise: bool,
    /// `Some(ips)`: a caller whose address is not listed gets `403` "IP … is not whitelisted".
    /// Default `None` (no check).
    pub ip_whitelist: Option<Vec<IpAddr>>,
    /// `true`: a `processing` payout is `done` at the next read. `false`: it stays `processing`
    /// until [`FinanState::settle_payout`]. Default `true`.
    pub auto_settle: bool,
}

impl Default for PayoutSettings {
    fn default() -> Self {
        Self {
            enterprise: true,
            ip_whitelist: None,
            auto_settle: true,
        }
    }
}

/// Why a payout control or call failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PayoutError {
    /// No payout (or account) with that id.
    NotFound,
    /// The OTP does not match.
    WrongOtp,
    /// The payout is not in the state the call needs (e.g. confirming one that is not `created`,
    /// settling one that is not `processing`).
    WrongState(PayoutStatus),
    /// The source account's balance is below the amount.
    InsufficientBalance {
        /// The balance, đồng.
        balance: u64,
        /// The amount asked, đồng.
        amount: u64,
    },
    /// Another payout already has this reference id.
    DuplicateReference,
}

impl std::fmt::Display for PayoutError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PayoutError::NotFound => f.write_str("Payout not found"),
            PayoutError::WrongOtp => f.write_str("Invalid OTP"),
            PayoutError::WrongState(status) => write!(f, "Payout is {status:?}, which does not allow this"),
            PayoutError::InsufficientBalance { balance, amount } => {
                write!(f, "Insufficient balance: {balance} VND available, {amount} VND needed")
            }
            PayoutError::DuplicateReference => f.write_str("Duplicate reference_id"),
        }
    }
}

impl std::error::Error for PayoutError {}

/// A checked create body.
#[derive(Debug, Clone)]
pub(super) struct NewPayout {
    pub account_id: String,
    pub amount: u64,
    pub beneficiary_account_name: String,
    pub beneficiary_account_number: String,
    pub beneficiary_bank_id: String,
    pub reference_id: Option<String>,
    pub description: String,
}

#[derive(Debug, Clone)]
struct Record {
    payout: Payout,
    otp: String,
}

/// Every payout, oldest first, with its OTP, and the settings.
#[derive(Debug, Default)]
pub(super) struct PayoutBook {
    records: Vec<Record>,
    pub settings: PayoutSettings,
}

impl PayoutBook {
    /// Creates a `created` payout from `source` (a master account) and a fresh 6-digit OTP.
    pub fn create(&mut self, new: NewPayout, source: &Account, now: i64) -> Result<Payout, PayoutError> {
        if let Some(reference) = &new.reference_id {
            if self
                .records
                .iter()
                .any(|r| r.payout.reference_id.as_ref() == Some(reference))
            {
                return Err(PayoutError::DuplicateReference);
            }
        }
        if source.balance < new.amount {
            return Err(PayoutError::InsufficientBalance {
                balance: source.balance,
                amount: new.amount,
            });
        }
        let at = rfc3339(now);
        let payout = Payout {
            id: uuid::Uuid::new_v4().to_string(),
            account_id: source.account_id.clone(),
            amount: new.amount,
            beneficiary_account_name: new.beneficiary_account_name,
            beneficiary_account_number: new.beneficiary_account_number,
            beneficiary_bank_id: new.beneficiary_bank_id,
            currency: "VND".into(),
            reference_id: new.reference_id,
            description: new.description,
            status: PayoutStatus::Created,
            created_at: at.clone(),
            updated_at: at,
        };
        self.records.push(Record {
            payout: payout.clone(),
            otp: fresh_otp(),
        });
        Ok(payout)
    }

    /// Checks `otp` for a `created` payout and debits `masters`' source account: `processing`.
    pub fn confirm(&mut self, id: &str, otp: &str, masters: &mut [Account], now: i64) -> Result<Payout, PayoutError> {
        let record = self.find_mut(id).ok_or(PayoutError::NotFound)?;
        if record.payout.status != PayoutStatus::Created {
            return Err(PayoutError::WrongState(record.payout.status));
        }
        if record.otp != otp.trim() {
            return Err(PayoutError::WrongOtp);
        }
        let source = masters
            .iter_mut()
            .find(|a| a.account_id == record.payout.account_id)
            .ok_or(PayoutError::NotFound)?;
        if source.balance < record.payout.amount {
            return Err(PayoutError::InsufficientBalance {
                balance: source.balance,
                amount: record.payout.amount,
            });
        }
        source.balance -= record.payout.amount;
        record.payout.status = PayoutStatus::Processing;
        record.payout.updated_at = rfc3339(now);
        Ok(record.payout.clone())
    }

    /// Ends a `processing` payout as `done` or `failed` (giving the amount back).
    pub fn settle(&mut self, id: &str, done: bool, masters: &mut [Account], now: i64) -> Result<Payout, PayoutError> {
        let record = self.find_mut(id).ok_or(PayoutError::NotFound)?;
        if record.payout.status != PayoutStatus::Processing {
            return Err(PayoutError::WrongState(record.payout.status));
        }
        if done {
            record.payout.status = PayoutStatus::Done;
        } else {
            record.payout.status = PayoutStatus::Failed;
            if let Some(source) = masters.iter_mut().find(|a| a.account_id == record.payout.account_id) {
                source.balance += record.payout.amount;
            }
        }
        record.payout.updated_at = rfc3339(now);
        Ok(record.payout.clone())
    }

    /// What a read sees: with auto-settle on, `processing` payouts become `done` first.
    pub fn read(&mut self, now: i64) -> Vec<Payout> {
        if self.settings.auto_settle {
            for record in &mut self.records {
                if record.payout.status == PayoutStatus::Processing {
                    record.payout.status = PayoutStatus::Done;
                    record.payout.updated_at = rfc3339(now);
                }
            }
        }
        self.records.iter().map(|r| r.payout.clone()).collect()
    }

    /// Every payout as it stands, without settling anything.
    pub fn all(&self) -> Vec<Payout> {
        self.records.iter().map(|r| r.payout.clone()).collect()
    }

    pub fn otp(&self, id: &str) -> Option<String> {
        self.records
            .iter()
            .find(|r| r.payout.id.eq_ignore_ascii_case(id))
            .map(|r| r.otp.clone())
    }

    fn find_mut(&mut self, id: &str) -> Option<&mut Record> {
        self.records.iter_mut().find(|r| r.payout.id.eq_ignore_ascii_case(id))
    }
}

/// Six random digits (from a v4 UUID's random bits).
fn fresh_otp() -> String {
    format!("{:06}", uuid::Uuid::new_v4().as_u128() % 1_000_000)
}

/// The controls (in-process; the same ones are served under `/__sandbox/finan/...`).
impl FinanState {
    /// Every payout, oldest first, as it stands (reading here settles nothing).
    pub fn payouts(&self) -> Vec<Payout> {
        self.store().payouts().all()
    }

    /// One payout by id, as it stands.
    pub fn payout(&self, id: &str) -> Option<Payout> {
        self.payouts().into_iter().find(|p| p.id.eq_ignore_ascii_case(id))
    }

    /// The OTP the emulator "sent" for payout `id` (what the account holder would read in an SMS);
    /// also `GET /__sandbox/finan/payouts/{id}/otp`.
    pub fn payout_otp(&self, id: &str) -> Option<String> {
        self.store().payouts().otp(id)
    }

    /// The access rules and settlement mode.
    pub fn payout_settings(&self) -> PayoutSettings {
        self.store().payouts().settings.clone()
    }

    /// Replaces the access rules and settlement mode; also `POST /__sandbox/finan/payouts/settings`.
    pub fn set_payout_settings(&self, settings: PayoutSettings) {
        self.store().payouts_mut().settings = settings;
    }

    /// `false`: payouts answer `403` (not an Enterprise account). Default `true`.
    pub fn set_payout_enterprise(&self, enterprise: bool) {
        self.store().payouts_mut().settings.enterprise = enterprise;
    }

    /// `Some(ips)`: only callers from these addresses may make payouts (others get `403`, IP not
    /// whitelisted); `None` turns the check off (the default). The sandbox listens on loopback, so
    /// `127.0.0.1` is the whitelisted case.
    pub fn set_payout_ip_whitelist(&self, ips: Option<Vec<IpAddr>>) {
        self.store().payouts_mut().settings.ip_whitelist = ips;
    }

    /// `false`: confirmed payouts stay `processing` until [`Self::settle_payout`]. Default `true`
    /// (done at the next read).
    pub fn set_payout_auto_settle(&self, auto_settle: bool) {
        self.store().payouts_mut().settings.auto_settle = auto_settle;
    }

    /// Ends a `processing` payout: `done`, or `failed` (the amount goes back to the source
    /// account); also `POST /__sandbox/finan/payouts/{id}/settle` `{"status": "done"}`.
    ///
    /// # Errors
    /// [`PayoutError::NotFound`], or [`PayoutError::WrongState`] when it is not `processing`.
    pub fn settle_payout(&self, id: &str, done: bool) -> Result<Payout, PayoutError> {
        let now = self.now_unix();
        let mut store = self.store();
        let (book, masters) = store.payouts_and_masters();
        book.settle(id, done, masters, now)
    }

    /// A master account's balance in đồng (what payouts draw on).
    pub fn balance(&self, account_id: &str) -> Option<u64> {
        self.store()
            .masters()
            .iter()
            .find(|a| a.account_id.eq_ignore_ascii_case(account_id))
            .map(|a| a.balance)
    }

    /// Sets a master account's balance in đồng; also
    /// `POST /__sandbox/finan/accounts/{id}/balance` `{"balance": 1000000}`.
    ///
    /// # Errors
    /// [`PayoutError::NotFound`] for an id that is not a master account.
    pub fn set_balance(&self, account_id: &str, balance: u64) -> Result<(), PayoutError> {
        let mut store = self.store();
        let (_, masters) = store.payouts_and_masters();
        let account = masters
            .iter_mut()
            .find(|a| a.account_id.eq_ignore_ascii_case(account_id))
            .ok_or(PayoutError::NotFound)?;
        account.balance = balance;
        Ok(())
    }
}
