//! The accounts the emulator serves: master bank accounts and the sub accounts under them (which
//! carry their master's `bank_code`), in a stable order (seeded ones first, then creations in the order they happened).
//! The payment requests live here too, behind the same lock, because creating one looks up the
//! account that receives the money.

use serde::Serialize;

use super::business::Business;
use super::envelope::Meta;
use super::payments::Ledger;
use super::payouts::PayoutBook;
use super::query::paginate;
use super::seed;

/// An account as the seeds show it, for masters and sub accounts alike (exactly these fields).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(super) struct Account {
    pub account_id: String,
    pub account_number: String,
    pub account_name: String,
    pub bank_code: String,
    pub qr_code: String,
    /// VND, smallest unit; a JSON number like the seed's `15000000`.
    pub balance: u64,
    pub currency: &'static str,
    pub status: Status,
    /// RFC 3339 in UTC with whole seconds, e.g. `2024-01-15T10:30:00Z`.
    pub created_at: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub(super) enum Status {
    Active,
    Inactive,
}

/// The `data` of a successful create, shaped like the seed's example (not like a list item).
#[derive(Debug, Clone, Serialize)]
pub(super) struct CreatedAccount {
    pub bank_code: String,
    pub account_id: String,
    pub account_name: String,
    pub account_number: String,
    /// ISO 4217 numeric code of VND.
    pub currency_code: &'static str,
    pub master_account_name: String,
}

/// The `id` and `account_number` query filters; `None` matches everything.
#[derive(Debug, Clone, Default)]
pub(super) struct Filter {
    pub id: Option<String>,
    pub account_number: Option<String>,
}

impl Filter {
    fn matches(&self, account: &Account) -> bool {
        // UUIDs are case-insensitive text; account numbers are compared as given.
        self.id
            .as_deref()
            .is_none_or(|id| account.account_id.eq_ignore_ascii_case(id))
            && self
                .account_number
                .as_deref()
                .is_none_or(|n| account.account_number == n)
    }
}

#[derive(Debug)]
pub(super) struct Store {
    masters: Vec<Account>,
    subs: Vec<Account>,
    payments: Ledger,
    /// Payouts (they draw on the masters' balances).
    payouts: PayoutBook,
    /// Customers, products and invoices (an invoice's payments come through `payments`).
    business: Business,
}

impl Store {
    pub fn new(masters: Vec<Account>, subs: Vec<Account>) -> Self {
        Self {
            masters,
            subs,
            payments: Ledger::default(),
            payouts: PayoutBook::default(),
            business: Business::default(),
        }
    }

    pub fn payouts(&self) -> &PayoutBook {
        &self.payouts
    }

    pub fn payouts_mut(&mut self) -> &mut PayoutBook {
        &mut self.payouts
    }

    /// The payouts with the master accounts whose balances they draw on, borrowed apart.
    pub fn payouts_and_masters(&mut self) -> (&mut PayoutBook, &mut [Account]) {
        (&mut self.payouts, &mut self.masters)
    }

    pub fn business(&self) -> &Business {
        &self.business
    }

    pub fn business_mut(&mut self) -> &mut Business {
        &mut self.business
    }

    /// The business records with the accounts an invoice's `account_id` may name, borrowed apart.
    pub fn business_and_accounts(&mut self) -> (&mut Business, &[Account], &[Account]) {
        (&mut self.business, &self.masters, &self.subs)
    }

    pub fn payments(&self) -> &Ledger {
        &self.payments
    }

    pub fn payments_mut(&mut self) -> &mut Ledger {
        &mut self.payments
    }

    /// A master or sub account by `account_id` (what a payment request's `account_id` may name).
    pub fn find_account(&self, id: &str) -> Option<&Account> {
        self.masters
            .iter()
            .chain(&self.subs)
            .find(|a| a.account_id.eq_ignore_ascii_case(id))
    }

    /// Where a bank transfer goes when the request names no `account_id`: the first master account
    /// not at Shinhan (the docs require `account_id` for Shinhan bank transfers, and the seed's
    /// create example answers with the MB master), else the first master.
    pub fn default_receiver(&self) -> Option<&Account> {
        self.masters
            .iter()
            .find(|a| a.bank_code != "SHB")
            .or_else(|| self.masters.first())
    }

    pub fn masters(&self) -> &[Account] {
        &self.masters
    }

    pub fn sub_count(&self) -> usize {
        self.subs.len()
    }

    pub fn find_masters(&self, filter: &Filter) -> Vec<Account> {
        self.masters.iter().filter(|a| filter.matches(a)).cloned().collect()
    }

    pub fn find_sub(&self, id: &str) -> Option<Account> {
        self.subs
            .iter()
            .find(|a| a.account_id.eq_ignore_ascii_case(id))
            .cloned()
    }

    /// One page (1-based) of the sub accounts matching `filter`; past the end it is empty.
    pub fn page_subs(&self, filter: &Filter, page: u64, page_size: u64) -> (Vec<Account>, Meta) {
        let matching: Vec<&Account> = self.subs.iter().filter(|a| filter.matches(a)).collect();
        let (items, meta) = paginate(matching, page, page_size);
        (items.into_iter().cloned().collect(), meta)
    }

    /// Creates an active, empty sub account under `master_id`; `None` when that master does not exist.
    pub fn create_sub(&mut self, master_id: &str, account_name: &str, created_at: String) -> Option<CreatedAccount> {
        let master = self
            .masters
            .iter()
            .find(|m| m.account_id.eq_ignore_ascii_case(master_id))?
            .clone();
        let account_number = self.fresh_account_number();
        let account = Account {
            account_id: uuid::Uuid::new_v4().to_string(),
            qr_code: seed::qr_code(&account_number),
            account_number,
            account_name: account_name.to_owned(),
            bank_code: master.bank_code.clone(),
            balance: 0,
            currency: seed::CURRENCY,
            status: Status::Active,
            created_at,
        };
        let created = CreatedAccount {
            bank_code: account.bank_code.clone(),
            account_id: account.account_id.clone(),
            account_name: account.account_name.clone(),
            account_number: account.account_number.clone(),
            currency_code: seed::CURRENCY_CODE,
            master_account_name: master.account_name,
        };
        self.subs.push(account);
        Some(created)
    }

    /// The next virtual account number nobody holds yet.
    fn fresh_account_number(&self) -> String {
        (self.subs.len()..)
            .map(seed::virtual_account_number)
            .find(|n| !self.subs.iter().any(|s| &s.account_number == n))
            .expect("an unbounded range always yields a free number")
    }
}
