//! Finan's wire models ([`crate::wire`]) to `gateway_core` models.
//!
//! Every function fails with [`Error::Decode`] rather than guess: a balance without a currency, an
//! unknown currency, a fractional minor-unit balance or an unparsable `created_at` is an error, never
//! a default.

use chrono::{DateTime, FixedOffset};
use gateway_core::{AccountKind, AccountStatus, Bank, BankAccount, Currency, Error, Money};
use rust_decimal::Decimal;

use crate::accounts::CreatedBankAccount;
use crate::wire;

/// The bank behind one of Finan's bank codes.
///
/// Finan's docs list the master banks it supports (MB Bank, Shinhan Bank, Galaxy Pay; BIDV coming)
/// and its examples use `bank_code` "SHB" and "MB". Saigon-Hanoi Bank (NAPAS code SHB) is not among
/// Finan's banks, so at Finan "SHB" is Shinhan Bank (NAPAS code SHBVN, BIN 970424), not the NAPAS
/// "SHB". Codes outside this table go through [`Bank::from_provider_code`] (Galaxy Pay, which is
/// not a bank, is kept as Finan's code with no BIN).
pub fn bank_from_finan_code(code: &str) -> Bank {
    let bin = match code.trim().to_ascii_uppercase().as_str() {
        "MB" => Some("970422"),
        "SHB" => Some("970424"),
        "BIDV" => Some("970418"),
        _ => None,
    };
    bin.and_then(Bank::from_bin)
        .unwrap_or_else(|| Bank::from_provider_code(code.trim()))
}

/// `"active"` → [`AccountStatus::Active`], `"inactive"` → [`AccountStatus::Inactive`]
/// (case-insensitive), anything else kept as [`AccountStatus::Other`].
pub fn account_status(status: &str) -> AccountStatus {
    let s = status.trim();
    if s.eq_ignore_ascii_case("active") {
        AccountStatus::Active
    } else if s.eq_ignore_ascii_case("inactive") {
        AccountStatus::Inactive
    } else {
        AccountStatus::Other(s.to_string())
    }
}

/// A balance in minor units (đồng for VND) and its currency code to [`Money`].
///
/// `None` when there is no balance. Errors (as a message for [`Error::Decode`]): a balance without
/// a currency (no default currency is ever assumed), an unknown currency code, or a balance that is
/// not a whole number of minor units or does not fit an `i64`.
pub fn balance(balance: Option<Decimal>, currency: Option<&str>) -> Result<Option<Money>, String> {
    let Some(amount) = balance else { return Ok(None) };
    let code = currency
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .ok_or_else(|| format!("balance {amount} has no currency"))?;
    let currency: Currency = code.parse().map_err(|e| format!("{e}"))?;
    if !amount.fract().is_zero() {
        return Err(format!("balance {amount} is not a whole number of minor units"));
    }
    let minor = i64::try_from(amount.trunc()).map_err(|_| format!("balance {amount} is out of range"))?;
    Ok(Some(Money::from_minor_units(minor, currency)))
}

/// An RFC 3339 time (`"2024-01-15T10:30:00Z"`) with its offset; `None` for an absent or empty value.
pub fn created_at(text: Option<&str>) -> Result<Option<DateTime<FixedOffset>>, String> {
    match text.map(str::trim).filter(|t| !t.is_empty()) {
        None => Ok(None),
        Some(t) => DateTime::parse_from_rfc3339(t)
            .map(Some)
            .map_err(|e| format!("created_at {t:?}: {e}")),
    }
}

/// A master bank account from `GET /api/v1/master-bank-accounts` as a [`BankAccount`] of kind
/// [`AccountKind::Master`]; `account_name` is the holder name.
///
/// # Errors
/// [`Error::Decode`] for a bad balance, currency or `created_at` (see [`balance`], [`created_at`]).
pub fn master_account(account: wire::Account) -> Result<BankAccount, Error> {
    to_bank_account(account, AccountKind::Master, "Finan master bank account")
}

/// A bank account from `GET /api/v1/bank-accounts` as a [`BankAccount`] of kind
/// [`AccountKind::Virtual`]. Finan's `account_name` here is the display name given at creation
/// (e.g. "KE TOAN"); it is both the holder name and the label, as Finan gives no other.
///
/// # Errors
/// [`Error::Decode`] as for [`master_account`].
pub fn bank_account(account: wire::Account) -> Result<BankAccount, Error> {
    to_bank_account(account, AccountKind::Virtual, "Finan bank account")
}

fn to_bank_account(a: wire::Account, kind: AccountKind, what: &str) -> Result<BankAccount, Error> {
    let decode = |message: String| Error::decode(what, format!("account {}: {message}", a.account_id));
    let money = balance(a.balance, a.currency.as_deref()).map_err(decode)?;
    let created = created_at(a.created_at.as_deref()).map_err(decode)?;
    let label = (kind == AccountKind::Virtual).then(|| a.account_name.clone());
    Ok(BankAccount::new(
        a.account_id,
        a.account_number,
        a.account_name,
        bank_from_finan_code(&a.bank_code),
        kind,
    )
    .with_balance(money)
    .with_status(account_status(&a.status))
    .with_label(label)
    .with_created_at(created))
}

/// The `data` of `POST /api/v1/bank-accounts` as a [`CreatedBankAccount`]; `master_account_id`
/// is the one the request named (Finan does not echo it).
///
/// # Errors
/// [`Error::Decode`] when `currency_code` is not a known ISO 4217 code.
pub fn created_bank_account(
    data: wire::CreatedBankAccount,
    master_account_id: &str,
) -> Result<CreatedBankAccount, Error> {
    let currency: Currency = data
        .currency_code
        .parse()
        .map_err(|e| Error::decode("Finan created bank account", format!("currency_code: {e}")))?;
    Ok(CreatedBankAccount {
        bank: bank_from_finan_code(&data.bank_code),
        account_id: data.account_id,
        account_number: data.account_number,
        account_name: data.account_name,
        currency,
        master_account_id: master_account_id.to_string(),
        master_account_name: data.master_account_name,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finan_codes_resolve_to_napas_banks() {
        assert_eq!(
            bank_from_finan_code("SHB").bin.as_deref(),
            Some("970424"),
            "SHB at Finan is Shinhan"
        );
        assert_eq!(bank_from_finan_code("SHB").code, "SHBVN");
        assert_eq!(bank_from_finan_code("mb").bin.as_deref(), Some("970422"));
        assert_eq!(bank_from_finan_code("BIDV").bin.as_deref(), Some("970418"));
        let galaxy = bank_from_finan_code("GALAXYPAY");
        assert_eq!((galaxy.bin, galaxy.code.as_str()), (None, "GALAXYPAY"));
        assert_eq!(bank_from_finan_code("VCB").bin.as_deref(), Some("970436"));
    }

    #[test]
    fn statuses() {
        assert_eq!(account_status("active"), AccountStatus::Active);
        assert_eq!(account_status("INACTIVE"), AccountStatus::Inactive);
        assert_eq!(account_status("locked"), AccountStatus::Other("locked".into()));
    }

    #[test]
    fn balance_needs_a_known_currency_and_whole_minor_units() {
        let vnd = balance(Some(Decimal::from(15_000_000)), Some("VND")).unwrap().unwrap();
        assert_eq!(vnd, Money::from_minor_units(15_000_000, Currency::VND));
        assert_eq!(balance(None, Some("VND")).unwrap(), None);
        assert_eq!(balance(None, None).unwrap(), None);
        assert!(balance(Some(Decimal::from(1)), None)
            .unwrap_err()
            .contains("no currency"));
        assert!(balance(Some(Decimal::from(1)), Some("")).is_err());
        assert!(balance(Some(Decimal::from(1)), Some("XYZ")).is_err());
        assert!(balance(Some(Decimal::new(15, 1)), Some("VND"))
            .unwrap_err()
            .contains("whole number"));
        // 704 is VND's numeric code.
        assert_eq!(
            balance(Some(Decimal::from(5)), Some("704"))
                .unwrap()
                .unwrap()
                .currency(),
            Currency::VND
        );
    }

    #[test]
    fn created_at_keeps_the_offset() {
        let t = created_at(Some("2024-01-15T17:30:00+07:00")).unwrap().unwrap();
        assert_eq!(t.offset().local_minus_utc(), 7 * 3600);
        assert_eq!(created_at(Some("")).unwrap(), None);
        assert!(created_at(Some("15/01/2024")).is_err());
    }
}
