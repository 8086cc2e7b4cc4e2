//! Bank accounts as every provider reports them.

use chrono::{DateTime, FixedOffset};
use serde::{Deserialize, Serialize};

use crate::{Bank, Money};

/// Whether an account is a real bank account or a virtual / sub account under one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum AccountKind {
    /// A bank account held at the bank (Finan's master bank accounts, SePay's bank accounts).
    Master,
    /// A virtual or sub account that receives money into a master account (Finan's bank
    /// accounts created under a master, SePay's sub-accounts / VA).
    Virtual,
}

impl AccountKind {
    /// `"master"` or `"virtual"`.
    pub fn as_str(&self) -> &'static str {
        match self {
            AccountKind::Master => "master",
            AccountKind::Virtual => "virtual",
        }
    }
}

/// Whether an account can be used.
///
/// Providers may add statuses; an unknown one is kept as [`AccountStatus::Other`] rather than
/// failing the whole listing.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum AccountStatus {
    /// Usable.
    Active,
    /// Disabled or locked.
    Inactive,
    /// A status this library does not know, as the provider sent it.
    Other(String),
}

impl AccountStatus {
    /// `"active"`, `"inactive"`, or the provider's own word.
    pub fn as_str(&self) -> &str {
        match self {
            AccountStatus::Active => "active",
            AccountStatus::Inactive => "inactive",
            AccountStatus::Other(s) => s,
        }
    }
}

/// A bank account, the same shape whichever provider reported it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct BankAccount {
    /// The provider's id for the account (Finan's `account_id` UUID, SePay's numeric `id`);
    /// pass it to [`crate::BankAccountProvider::get_account`].
    pub id: String,
    /// Bank account number (may be masked by the provider, e.g. `1234XXXX5678`).
    pub account_number: String,
    /// Account holder name as registered with the bank.
    pub account_holder_name: String,
    /// The bank that holds the account.
    pub bank: Bank,
    /// Current balance, when the provider reports one (Finan `balance`, SePay `accumulated`).
    pub balance: Option<Money>,
    /// Whether the account is usable.
    pub status: AccountStatus,
    /// Master or virtual / sub account.
    pub kind: AccountKind,
    /// The owner's label for the account, when set.
    pub label: Option<String>,
    /// The provider id of the master account a virtual account belongs to, when known.
    pub parent_id: Option<String>,
    /// When the account was added at the provider, with the provider's offset (SePay's local
    /// times are Vietnam time, UTC+7).
    pub created_at: Option<DateTime<FixedOffset>>,
}

impl BankAccount {
    /// An account with the required fields; the optional ones start empty and `status` active.
    pub fn new(
        id: impl Into<String>,
        account_number: impl Into<String>,
        account_holder_name: impl Into<String>,
        bank: Bank,
        kind: AccountKind,
    ) -> Self {
        Self {
            id: id.into(),
            account_number: account_number.into(),
            account_holder_name: account_holder_name.into(),
            bank,
            balance: None,
            status: AccountStatus::Active,
            kind,
            label: None,
            parent_id: None,
            created_at: None,
        }
    }

    /// Sets the balance.
    pub fn with_balance(mut self, balance: Option<Money>) -> Self {
        self.balance = balance;
        self
    }

    /// Sets the status.
    pub fn with_status(mut self, status: AccountStatus) -> Self {
        self.status = status;
        self
    }

    /// Sets the label; an empty label is stored as `None`.
    pub fn with_label(mut self, label: Option<String>) -> Self {
        self.label = label.filter(|l| !l.trim().is_empty());
        self
    }

    /// Sets the master account id of a virtual account.
    pub fn with_parent_id(mut self, parent_id: Option<String>) -> Self {
        self.parent_id = parent_id;
        self
    }

    /// Sets the creation time.
    pub fn with_created_at(mut self, created_at: Option<DateTime<FixedOffset>>) -> Self {
        self.created_at = created_at;
        self
    }
}
