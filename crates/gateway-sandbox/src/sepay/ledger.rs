//! Bank transactions: one table for the whole company, what the transaction routes list, what a
//! simulated transfer adds, and what the bank-transaction webhook announces. Plain data behind the
//! state's mutex; no HTTP here.
//!
//! Amounts are whole đồng (VND has no subunit in practice); the routes print them with SePay's two
//! decimals themselves. Each account's transactions form a running sequence: a transaction's
//! `accumulated` is the previous one's plus `amount_in` minus `amount_out`, and the first new
//! transfer continues from the account's newest seeded transaction (or its seeded balance).

use std::collections::HashMap;

use chrono::NaiveDateTime;
use serde::Serialize;

use super::state::{fmt_time, OauthAccount, TokenAccount};
use crate::names::{mix, SeedBank};

/// Whether money came into the account or left it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum TransferType {
    /// Money received (`"in"`), the usual case: a customer pays.
    In,
    /// Money sent (`"out"`).
    Out,
}

impl TransferType {
    /// `"in"` or `"out"`, as the webhook's `transferType` prints it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::In => "in",
            Self::Out => "out",
        }
    }
}

/// One bank transaction, serialized exactly as SePay's bank-transaction webhook body:
/// `{"id", "gateway", "transactionDate", "accountNumber", "code", "content", "transferType",
/// "transferAmount", "accumulated", "subAccount", "referenceCode", "description"}`.
///
/// The transaction routes print the same record in their own shapes (`amount_in` / `amount_out`,
/// strings on `/userapi`, numbers on `/api/v1`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BankTransaction {
    /// SePay's transaction id; the same on every webhook retry, so receivers deduplicate on it.
    pub id: u64,
    /// The bank's short name ("Vietcombank"), the API's `bank_brand_name`.
    pub gateway: String,
    /// "YYYY-MM-DD HH:MM:SS", Vietnam time.
    pub transaction_date: String,
    /// The bank account the money moved on.
    pub account_number: String,
    /// The payment code SePay found in the content (see [`crate::SandboxConfig::sepay_payment_code_prefixes`]),
    /// as written there; `None` when there is none.
    pub code: Option<String>,
    /// The transfer content the payer wrote (the API's `transaction_content`).
    pub content: String,
    /// `in` or `out`.
    pub transfer_type: TransferType,
    /// The amount in whole đồng.
    pub transfer_amount: u64,
    /// The account's balance after this transaction, in whole đồng.
    pub accumulated: u64,
    /// The virtual sub-account (VA) the money went through, if any.
    pub sub_account: Option<String>,
    /// The bank's reference (the API's `reference_number`).
    pub reference_code: String,
    /// The bank's statement line for the transaction; it contains the content.
    pub description: String,
    /// The id of the bank account the API routes print as `bank_account_id` (the OAuth account's id
    /// when the number is an OAuth account, else the API-token account's). Not in the webhook.
    #[serde(skip)]
    pub bank_account_id: u64,
    /// `transaction_date` parsed, for the date filters.
    #[serde(skip)]
    pub(crate) date: NaiveDateTime,
    /// Whether the OAuth routes list it: only transactions of accounts `/api/v1/bank-accounts`
    /// lists, so their `bank_account_id` always names one of those.
    #[serde(skip)]
    pub(crate) oauth_visible: bool,
}

impl BankTransaction {
    /// Money received, in whole đồng (0 for an outgoing transfer).
    pub fn amount_in(&self) -> u64 {
        match self.transfer_type {
            TransferType::In => self.transfer_amount,
            TransferType::Out => 0,
        }
    }

    /// Money sent, in whole đồng (0 for an incoming transfer).
    pub fn amount_out(&self) -> u64 {
        match self.transfer_type {
            TransferType::In => 0,
            TransferType::Out => self.transfer_amount,
        }
    }
}

/// A transfer to simulate with [`super::SepayState::transfer`] (or `POST /__sandbox/sepay/transfers`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewTransfer {
    /// One of the sandbox's bank accounts (API-token or OAuth), e.g. `"0071000899999"`.
    pub account_number: String,
    /// Whole đồng, more than 0.
    pub amount: u64,
    /// What the payer wrote; SePay looks for the payment code in it.
    pub content: String,
    /// `In` (a customer pays) or `Out`.
    pub transfer_type: TransferType,
    /// The virtual sub-account (VA) the money went through, reported as given.
    pub sub_account: Option<String>,
}

impl NewTransfer {
    /// Money received on `account_number`, with no sub-account.
    pub fn incoming(account_number: impl Into<String>, amount: u64, content: impl Into<String>) -> Self {
        Self {
            account_number: account_number.into(),
            amount,
            content: content.into(),
            transfer_type: TransferType::In,
            sub_account: None,
        }
    }

    /// Money sent from `account_number`, with no sub-account.
    pub fn outgoing(account_number: impl Into<String>, amount: u64, content: impl Into<String>) -> Self {
        Self {
            transfer_type: TransferType::Out,
            ..Self::incoming(account_number, amount, content)
        }
    }
}

/// The largest simulated transfer: 10^15 đồng (a thousand trillion VND).
pub(crate) const MAX_TRANSFER: u64 = 1_000_000_000_000_000;
/// The largest balance transfers may build: 10^16 đồng, so hundredths still fit in a u64.
const MAX_BALANCE: u64 = 10_000_000_000_000_000;

/// Why a simulated transfer was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TransferError {
    /// The account number is none of the sandbox's bank accounts.
    UnknownAccount,
    /// The amount is 0 or more than 10^15 đồng (or the balance would pass 10^16 đồng).
    InvalidAmount,
    /// An outgoing transfer larger than the account's balance (banks refuse those).
    InsufficientBalance,
}

impl std::fmt::Display for TransferError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::UnknownAccount => "The account number is not one of the sandbox's bank accounts",
            Self::InvalidAmount => "amount must be a whole positive number of VND",
            Self::InsufficientBalance => "The account's balance is lower than the amount",
        })
    }
}

impl std::error::Error for TransferError {}

/// A bank account as the ledger sees it, whichever API lists it.
#[derive(Debug, Clone)]
pub(crate) struct LedgerAccount {
    pub number: String,
    pub bank_account_id: u64,
    pub bank: SeedBank,
    /// Listed by the OAuth routes (else only by the API token's).
    pub oauth: bool,
    pub created_at: NaiveDateTime,
    /// The seeded balance, in whole đồng.
    pub balance: u64,
}

/// Every account the sandbox has, by creation time: the OAuth accounts, then the API-token accounts
/// whose number no OAuth account has (accounts 18 are the same account in both).
pub(crate) fn directory(token: &[TokenAccount], oauth: &[OauthAccount]) -> Vec<LedgerAccount> {
    let mut all: Vec<LedgerAccount> = oauth
        .iter()
        .map(|a| LedgerAccount {
            number: a.number.clone(),
            bank_account_id: a.id,
            bank: a.bank,
            oauth: true,
            created_at: a.created_at,
            balance: a.accumulated / 100,
        })
        .collect();
    for a in token {
        if !all.iter().any(|o| o.number == a.number) {
            all.push(LedgerAccount {
                number: a.number.clone(),
                bank_account_id: a.id,
                bank: a.bank,
                oauth: false,
                created_at: a.created_at,
                balance: a.accumulated / 100,
            });
        }
    }
    all.sort_by(|a, b| a.created_at.cmp(&b.created_at).then_with(|| a.number.cmp(&b.number)));
    all
}

/// The payment code in `content`: the first word (words split on anything but ASCII letters and
/// digits) that starts with one of `prefixes` (ASCII case-insensitive) followed by 3 to 30 more
/// letters or digits, as written in the content.
pub(crate) fn payment_code(content: &str, prefixes: &[String]) -> Option<String> {
    content
        .split(|c: char| !c.is_ascii_alphanumeric())
        .find(|word| {
            prefixes.iter().any(|prefix| {
                word.len() >= prefix.len()
                    && word.is_char_boundary(prefix.len())
                    && word[..prefix.len()].eq_ignore_ascii_case(prefix)
                    && (3..=30).contains(&(word.len() - prefix.len()))
            })
        })
        .map(str::to_owned)
}

/// A bank reference like the documents' "677760.250225.080001": six digits, the date as ddmmyy,
/// then six digits of the id, so two transactions never share one.
pub(crate) fn reference(id: u64, date: &NaiveDateTime) -> String {
    format!(
        "{:06}.{}.{:06}",
        mix(id ^ 0x7e7) % 1_000_000,
        date.format("%d%m%y"),
        id % 1_000_000
    )
}

/// The bank's statement line: its reference, then the content.
pub(crate) fn statement_line(reference: &str, content: &str) -> String {
    format!("{reference} {content}").trim_end().to_owned()
}

/// The company's transactions and the accounts they belong to.
#[derive(Debug)]
pub(crate) struct Ledger {
    accounts: HashMap<String, LedgerAccount>,
    /// Ordered by id (ascending), which is also date order.
    transactions: Vec<BankTransaction>,
    /// Each account's balance after its newest transaction, in whole đồng.
    balances: HashMap<String, u64>,
    next_id: u64,
    prefixes: Vec<String>,
}

impl Ledger {
    /// `transactions` must be ordered by id; new transfers get ids above all of them.
    pub(crate) fn new(accounts: Vec<LedgerAccount>, transactions: Vec<BankTransaction>, prefixes: Vec<String>) -> Self {
        let mut balances: HashMap<String, u64> = accounts.iter().map(|a| (a.number.clone(), a.balance)).collect();
        for t in &transactions {
            balances.insert(t.account_number.clone(), t.accumulated);
        }
        let next_id = transactions.last().map_or(1, |t| t.id + 1);
        Self {
            accounts: accounts.into_iter().map(|a| (a.number.clone(), a)).collect(),
            transactions,
            balances,
            next_id,
            prefixes,
        }
    }

    /// Every transaction, oldest first.
    pub(crate) fn all(&self) -> &[BankTransaction] {
        &self.transactions
    }

    pub(crate) fn find(&self, id: u64) -> Option<&BankTransaction> {
        self.transactions
            .binary_search_by_key(&id, |t| t.id)
            .ok()
            .map(|i| &self.transactions[i])
    }

    /// Books a transfer at `now` (Vietnam time) and returns it.
    pub(crate) fn record(
        &mut self,
        transfer: NewTransfer,
        now: NaiveDateTime,
    ) -> Result<BankTransaction, TransferError> {
        let account = self
            .accounts
            .get(&transfer.account_number)
            .ok_or(TransferError::UnknownAccount)?;
        // Amounts are rendered in hundredths of a đồng (`"18067000.00"`): keep them, and any
        // balance they build, far from u64's end.
        if transfer.amount == 0 || transfer.amount > MAX_TRANSFER {
            return Err(TransferError::InvalidAmount);
        }
        let before = self.balances.get(&account.number).copied().unwrap_or(account.balance);
        let accumulated = match transfer.transfer_type {
            TransferType::In => before
                .checked_add(transfer.amount)
                .filter(|&balance| balance <= MAX_BALANCE)
                .ok_or(TransferError::InvalidAmount)?,
            TransferType::Out => before
                .checked_sub(transfer.amount)
                .ok_or(TransferError::InsufficientBalance)?,
        };
        let id = self.next_id;
        let reference_code = reference(id, &now);
        let transaction = BankTransaction {
            id,
            gateway: account.bank.short_name.to_owned(),
            transaction_date: fmt_time(&now),
            account_number: account.number.clone(),
            code: payment_code(&transfer.content, &self.prefixes),
            description: statement_line(&reference_code, &transfer.content),
            content: transfer.content,
            transfer_type: transfer.transfer_type,
            transfer_amount: transfer.amount,
            accumulated,
            sub_account: transfer.sub_account,
            reference_code,
            bank_account_id: account.bank_account_id,
            date: now,
            oauth_visible: account.oauth,
        };
        self.balances.insert(account.number.clone(), accumulated);
        self.next_id += 1;
        self.transactions.push(transaction.clone());
        Ok(transaction)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(content: &str) -> Option<String> {
        payment_code(content, &["DH".to_owned()])
    }

    #[test]
    fn payment_codes_follow_the_prefix_rule() {
        assert_eq!(code("DH8K2P9Q thanh toan").as_deref(), Some("DH8K2P9Q"));
        assert_eq!(
            code("thanh toan dh12345 ck").as_deref(),
            Some("dh12345"),
            "lower-case prefix, as written"
        );
        assert_eq!(
            code("CK-DH123.xong").as_deref(),
            Some("DH123"),
            "punctuation splits words"
        );
        assert_eq!(
            code("Thanh toán ĐH DH777 đơn").as_deref(),
            Some("DH777"),
            "non-ASCII splits words"
        );
        assert_eq!(
            code("DH12 thanh toan"),
            None,
            "fewer than 3 characters after the prefix"
        );
        assert_eq!(code("DH"), None);
        assert_eq!(code("xDH123 abc"), None, "the word must start with the prefix");
        assert_eq!(code("chuyen tien DH-999"), None);
        assert_eq!(code(&format!("DH{}", "9".repeat(30))).unwrap().len(), 32);
        assert_eq!(code(&format!("DH{}", "9".repeat(31))), None, "more than 30 characters");
        assert_eq!(
            code("DHL giao DH001 va DH002").as_deref(),
            Some("DH001"),
            "the first that matches"
        );
        let prefixes = ["ORD".to_owned(), "hd".to_owned()];
        assert_eq!(payment_code("HD2024X tra tien", &prefixes).as_deref(), Some("HD2024X"));
        assert_eq!(payment_code("ord999 DH12345", &prefixes).as_deref(), Some("ord999"));
        assert_eq!(payment_code("DH12345", &prefixes), None);
    }

    #[test]
    fn references_carry_the_date_and_differ_by_id() {
        let date = NaiveDateTime::parse_from_str("2025-02-25 19:59:48", "%Y-%m-%d %H:%M:%S").unwrap();
        let a = reference(49_700, &date);
        assert_eq!(a.len(), "677760.250225.080001".len());
        assert!(a.contains(".250225."), "{a}");
        assert!(a.ends_with(".049700"), "{a}");
        assert_ne!(a, reference(49_701, &date));
    }
}
