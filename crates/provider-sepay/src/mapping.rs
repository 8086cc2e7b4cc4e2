//! SePay wire models → core models. Both ways in (API token and OAuth) end in the same
//! [`BankAccount`]: balance in VND from `accumulated`, status from `active`, an empty label as
//! `None`, times at Vietnam's UTC+07:00, and the bank resolved by its BIN.

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime, TimeZone};
use gateway_core::{AccountKind, AccountStatus, Bank, BankAccount, Currency, Error, Money};

use crate::wire::{OAuthAccount, OAuthBank, OAuthSubAccount, UserApiAccount};

/// SePay reports local times without an offset; they are Vietnam time (UTC+7, no daylight saving).
const VIETNAM_OFFSET_SECONDS: i32 = 7 * 3600;

/// Vietnam time (UTC+07:00), in which SePay writes every date.
pub(crate) fn vietnam() -> FixedOffset {
    FixedOffset::east_opt(VIETNAM_OFFSET_SECONDS).expect("+07:00 is a valid offset")
}

fn non_empty(s: Option<String>) -> Option<String> {
    s.map(|s| s.trim().to_string()).filter(|s| !s.is_empty())
}

/// The bank from SePay's four fields (nested `bank` object or flat `bank_*` fields): the table's
/// entry when the BIN is known (so VietinBank is the same `Bank` whether SePay says `ICB` or the
/// exchange's `CTG`), else the fields as SePay gave them. `None` when there is neither a BIN nor a
/// code (blank counts as missing): a name alone does not identify a bank.
pub(crate) fn bank(
    bin: Option<String>,
    code: Option<String>,
    short_name: Option<String>,
    full_name: Option<String>,
) -> Option<Bank> {
    let bin = non_empty(bin);
    if let Some(known) = bin.as_deref().and_then(Bank::from_bin) {
        return Some(known);
    }
    let code = non_empty(code);
    if bin.is_none() && code.is_none() {
        return None;
    }
    let short_name = non_empty(short_name);
    // Never an empty code: an unknown BIN without a code stands for itself.
    let code = code
        .or_else(|| short_name.clone())
        .or_else(|| bin.clone())
        .unwrap_or_default();
    Some(Bank::new(
        bin,
        code.clone(),
        short_name.unwrap_or(code),
        non_empty(full_name),
    ))
}

/// The decode error for bank account `id` without a usable bank.
fn no_bank(id: u64, detail: &str) -> Error {
    Error::decode(format!("SePay bank account {id}"), format!("no bank: {detail}"))
}

/// A SePay time: `"2025-02-12 21:09:49"` (Vietnam local time) or, tolerated, an RFC 3339 time or a
/// bare date. `null`, `""` and MySQL's zero date give `None`; anything else unreadable is a decode
/// error naming `what`.
pub(crate) fn vietnam_time(text: Option<&str>, what: &str) -> Result<Option<DateTime<FixedOffset>>, Error> {
    let Some(text) = text
        .map(str::trim)
        .filter(|t| !t.is_empty() && !t.starts_with("0000-00-00"))
    else {
        return Ok(None);
    };
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Ok(Some(t));
    }
    let naive = NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S")
        .or_else(|_| NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S"))
        .or_else(|_| NaiveDate::parse_from_str(text, "%Y-%m-%d").map(|d| d.and_time(chrono::NaiveTime::MIN)))
        .map_err(|_| {
            Error::decode(
                what,
                format!("unreadable time {text:?} (expected \"YYYY-MM-DD HH:MM:SS\")"),
            )
        })?;
    // A fixed offset has no gaps or folds, so `single()` always succeeds.
    Ok(vietnam().from_local_datetime(&naive).single())
}

fn status(active: bool) -> AccountStatus {
    if active {
        AccountStatus::Active
    } else {
        AccountStatus::Inactive
    }
}

fn vnd(amount: Option<rust_decimal::Decimal>) -> Option<Money> {
    amount.map(|a| Money::new(a, Currency::VND))
}

/// An API-token account (`/userapi/bankaccounts/...`): a master account, id = SePay's numeric id.
impl TryFrom<UserApiAccount> for BankAccount {
    type Error = Error;

    fn try_from(w: UserApiAccount) -> Result<Self, Error> {
        let created_at = vietnam_time(w.created_at.as_deref(), "SePay bank account created_at")?;
        let bank = bank(w.bank_bin, w.bank_code, w.bank_short_name, w.bank_full_name)
            .ok_or_else(|| no_bank(w.id, "neither bank_bin nor bank_code"))?;
        Ok(BankAccount::new(
            w.id.to_string(),
            w.account_number,
            w.account_holder_name,
            bank,
            AccountKind::Master,
        )
        .with_balance(vnd(w.accumulated))
        .with_status(status(w.active))
        .with_label(w.label)
        .with_created_at(created_at))
    }
}

/// The nested `bank` of OAuth account `id`; a decode error when SePay left it out or it has
/// neither a BIN nor a code.
fn oauth_bank(id: u64, b: Option<OAuthBank>) -> Result<Bank, Error> {
    let b = b.ok_or_else(|| no_bank(id, "the `bank` object is missing"))?;
    bank(b.bin, b.code, b.short_name, b.full_name).ok_or_else(|| no_bank(id, "`bank` has neither a bin nor a code"))
}

/// An OAuth bank account (`/api/v1/bank-accounts...`): a master account, id = SePay's numeric id.
impl TryFrom<OAuthAccount> for BankAccount {
    type Error = Error;

    fn try_from(w: OAuthAccount) -> Result<Self, Error> {
        let created_at = vietnam_time(w.created_at.as_deref(), "SePay bank account created_at")?;
        let bank = oauth_bank(w.id, w.bank)?;
        Ok(BankAccount::new(
            w.id.to_string(),
            w.account_number,
            w.account_holder_name,
            bank,
            AccountKind::Master,
        )
        .with_balance(vnd(w.accumulated))
        .with_status(status(w.active))
        .with_label(w.label)
        .with_created_at(created_at))
    }
}

/// The core id of a sub-account: `"{bank_account_id}/{id}"`. SePay's sub-account ids are their own
/// number space, so the parent is part of the id (and is what `get_account` needs to find it).
pub(crate) fn sub_account_id(parent: u64, sub: u64) -> String {
    format!("{parent}/{sub}")
}

/// A sub-account (VA) under a bank account at `parent_bank`: kind Virtual, parent set, active only
/// when both `active` and `va_active` are (a missing `va_active` does not count against it).
pub(crate) fn sub_account(w: OAuthSubAccount, parent_bank: &Bank) -> Result<BankAccount, Error> {
    let created_at = vietnam_time(w.created_at.as_deref(), "SePay sub-account created_at")?;
    let active = w.active && w.va_active.unwrap_or(true);
    Ok(BankAccount::new(
        sub_account_id(w.bank_account_id, w.id),
        w.account_number,
        w.account_holder_name,
        parent_bank.clone(),
        AccountKind::Virtual,
    )
    .with_status(status(active))
    .with_label(w.label)
    .with_parent_id(Some(w.bank_account_id.to_string()))
    .with_created_at(created_at))
}

#[cfg(test)]
mod tests {
    //! The seed documents' own examples (tests/fixtures), parsed into the wire models and mapped.

    use super::*;
    use crate::wire::{OAuthList, OAuthOne, UserApiCount, UserApiDetails, UserApiList};
    use rust_decimal::Decimal;
    use std::str::FromStr;

    const USERAPI_LIST: &str = include_str!("../tests/fixtures/userapi_bankaccounts_list.json");
    const USERAPI_DETAILS: &str = include_str!("../tests/fixtures/userapi_bankaccount_details.json");
    const USERAPI_COUNT: &str = include_str!("../tests/fixtures/userapi_bankaccounts_count.json");
    const OAUTH_LIST: &str = include_str!("../tests/fixtures/oauth_bank_accounts_list.json");
    const OAUTH_DETAILS: &str = include_str!("../tests/fixtures/oauth_bank_account_details.json");
    const OAUTH_SUBS: &str = include_str!("../tests/fixtures/oauth_sub_accounts_list.json");

    fn dec(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    fn at7(s: &str) -> DateTime<FixedOffset> {
        DateTime::parse_from_rfc3339(s).unwrap()
    }

    #[test]
    fn userapi_list_fixture() {
        let list: UserApiList = serde_json::from_str(USERAPI_LIST).unwrap();
        assert_eq!(list.bankaccounts.len(), 1);
        let a = BankAccount::try_from(list.bankaccounts.into_iter().next().unwrap()).unwrap();
        assert_eq!(a.id, "25");
        assert_eq!(a.account_number, "102871015203");
        assert_eq!(a.account_holder_name, "NGUYEN THI B");
        assert_eq!(a.balance, Some(Money::new(dec("2525493.00"), Currency::VND)));
        assert_eq!(a.balance.as_ref().unwrap().amount().to_string(), "2525493.00");
        assert_eq!(a.status, AccountStatus::Active);
        assert_eq!(a.kind, AccountKind::Master);
        assert_eq!(a.label, None, "an empty label is no label");
        assert_eq!(a.parent_id, None);
        assert_eq!(a.created_at, Some(at7("2023-02-16T15:57:26+07:00")));
        // VietinBank: SePay says code ICB and BIN 970415; the table entry is used.
        assert_eq!(a.bank, Bank::from_bin("970415").unwrap());
        assert_eq!(a.bank.code, "ICB");
        assert_eq!(a.bank.short_name, "VietinBank");
        assert_eq!(a.bank, Bank::from_code("CTG").unwrap());
    }

    #[test]
    fn userapi_details_fixture() {
        let d: UserApiDetails = serde_json::from_str(USERAPI_DETAILS).unwrap();
        let a = BankAccount::try_from(d.bankaccount.unwrap()).unwrap();
        assert_eq!(a.id, "18");
        assert_eq!(a.account_number, "0071000899999");
        assert_eq!(a.balance.unwrap().amount(), dec("2625076186.00"));
        assert_eq!(a.bank.code, "VCB");
        assert_eq!(a.bank.bin.as_deref(), Some("970436"));
        assert_eq!(a.created_at, Some(at7("2023-02-12T20:05:47+07:00")));
    }

    #[test]
    fn userapi_count_fixture_and_string_count() {
        let c: UserApiCount = serde_json::from_str(USERAPI_COUNT).unwrap();
        assert_eq!(c.count_bankaccounts, 9);
        let c: UserApiCount = serde_json::from_str(r#"{"count_bankaccounts":"9"}"#).unwrap();
        assert_eq!(c.count_bankaccounts, 9);
    }

    #[test]
    fn oauth_list_fixture() {
        let list: OAuthList<OAuthAccount> = serde_json::from_str(OAUTH_LIST).unwrap();
        let p = list.meta.unwrap().pagination.unwrap();
        assert_eq!((p.total, p.last_page), (2, 1));
        let accounts: Vec<BankAccount> = list.data.into_iter().map(|a| a.try_into().unwrap()).collect();
        assert_eq!(accounts[0].id, "19");
        assert_eq!(accounts[0].label.as_deref(), Some("Cty Demo"));
        // The JSON number 1777283273.00 survives exactly, scale included.
        assert_eq!(
            accounts[0].balance.as_ref().unwrap().amount().to_string(),
            "1777283273.00"
        );
        assert_eq!(accounts[0].balance.as_ref().unwrap().currency(), Currency::VND);
        assert_eq!(accounts[0].created_at, Some(at7("2025-02-12T21:09:49+07:00")));
        assert_eq!(accounts[0].bank, Bank::from_bin("970436").unwrap());
        assert_eq!(accounts[1].id, "18");
        assert_eq!(accounts[1].label, None);
        assert_eq!(
            accounts[1].balance.as_ref().unwrap().amount().to_string(),
            "2625076186.00"
        );
    }

    #[test]
    fn oauth_details_fixture() {
        let one: OAuthOne<OAuthAccount> = serde_json::from_str(OAUTH_DETAILS).unwrap();
        let a = BankAccount::try_from(one.data).unwrap();
        assert_eq!(a.id, "19");
        assert_eq!(a.account_holder_name, "CONG TY TNHH DEMO");
        assert_eq!(a.kind, AccountKind::Master);
    }

    #[test]
    fn oauth_sub_accounts_fixture() {
        let list: OAuthList<OAuthSubAccount> = serde_json::from_str(OAUTH_SUBS).unwrap();
        let parent_bank = Bank::from_bin("970436").unwrap();
        let subs: Vec<BankAccount> = list
            .data
            .into_iter()
            .map(|s| sub_account(s, &parent_bank).unwrap())
            .collect();
        assert_eq!(subs.len(), 2);
        assert_eq!(subs[0].id, "19/25");
        assert_eq!(subs[1].id, "19/26");
        for s in &subs {
            assert_eq!(s.kind, AccountKind::Virtual);
            assert_eq!(s.parent_id.as_deref(), Some("19"));
            assert_eq!(s.bank, parent_bank);
            assert_eq!(s.status, AccountStatus::Active);
            assert_eq!(s.balance, None);
        }
        assert_eq!(subs[0].account_number, "VCB0011ABC001");
        assert_eq!(subs[0].label.as_deref(), Some("CN1"));
        assert_eq!(subs[0].created_at, Some(at7("2025-02-20T09:15:32+07:00")));
    }

    #[test]
    fn sub_account_is_active_only_when_va_active_too() {
        let json = r#"{"id":1,"bank_account_id":2,"account_number":"X","account_holder_name":"A","active":true,
            "va_active":false}"#;
        let s = sub_account(serde_json::from_str(json).unwrap(), &Bank::from_bin("970436").unwrap()).unwrap();
        assert_eq!(s.status, AccountStatus::Inactive);
    }

    #[test]
    fn real_numbers_in_the_token_dialect_are_accepted() {
        let json = r#"{"id":25,"account_holder_name":"A","account_number":102871015203,"accumulated":2525493.00,
            "active":1,"label":null,"created_at":null,"bank_bin":970415,"bank_code":"ICB"}"#;
        let a = BankAccount::try_from(serde_json::from_str::<UserApiAccount>(json).unwrap()).unwrap();
        assert_eq!(a.id, "25");
        assert_eq!(a.account_number, "102871015203");
        assert_eq!(a.balance.unwrap().amount().to_string(), "2525493.00");
        assert_eq!(a.bank.short_name, "VietinBank");
        assert_eq!(a.created_at, None);
    }

    #[test]
    fn unknown_bin_keeps_sepay_fields() {
        let b = bank(
            Some("999999".into()),
            Some("XYZ".into()),
            Some("XyzBank".into()),
            Some("".into()),
        );
        assert_eq!(b, Some(Bank::new(Some("999999".into()), "XYZ", "XyzBank", None)));
        // An unknown BIN alone still names a bank, with a non-empty code.
        let b = bank(Some("999999".into()), None, None, None).unwrap();
        assert_eq!(
            (b.bin.as_deref(), b.code.as_str(), b.short_name.as_str()),
            (Some("999999"), "999999", "999999")
        );
        let b = bank(None, Some("XYZ".into()), None, None).unwrap();
        assert_eq!((b.bin, b.code.as_str(), b.short_name.as_str()), (None, "XYZ", "XYZ"));
    }

    #[test]
    fn no_bin_and_no_code_is_no_bank() {
        assert_eq!(bank(None, None, Some("Vietcombank".into()), None), None);
        assert_eq!(bank(Some(" ".into()), Some("".into()), None, None), None);
        let token = r#"{"id":"25","account_holder_name":"A","account_number":"1","active":"1",
            "bank_short_name":"Vietcombank","bank_bin":"","bank_code":null}"#;
        let err = BankAccount::try_from(serde_json::from_str::<UserApiAccount>(token).unwrap()).unwrap_err();
        assert!(
            matches!(err, Error::Decode { ref what, ref message, .. }
                if what == "SePay bank account 25" && message.contains("bank_bin")),
            "{err:?}"
        );
        for oauth in [
            r#"{"id":19,"account_holder_name":"A","account_number":"1","active":true}"#,
            r#"{"id":19,"account_holder_name":"A","account_number":"1","active":true,"bank":null}"#,
            r#"{"id":19,"account_holder_name":"A","account_number":"1","active":true,"bank":{"short_name":"VCB"}}"#,
        ] {
            let err = BankAccount::try_from(serde_json::from_str::<OAuthAccount>(oauth).unwrap()).unwrap_err();
            assert!(
                matches!(err, Error::Decode { ref what, ref message, .. }
                    if what == "SePay bank account 19" && message.starts_with("no bank")),
                "{oauth}: {err:?}"
            );
        }
    }

    #[test]
    fn times() {
        assert_eq!(vietnam_time(None, "t").unwrap(), None);
        assert_eq!(vietnam_time(Some(""), "t").unwrap(), None);
        assert_eq!(vietnam_time(Some("0000-00-00 00:00:00"), "t").unwrap(), None);
        assert_eq!(
            vietnam_time(Some("2025-02-12"), "t").unwrap(),
            Some(at7("2025-02-12T00:00:00+07:00"))
        );
        assert_eq!(
            vietnam_time(Some("2025-02-12T14:09:49Z"), "t")
                .unwrap()
                .unwrap()
                .timestamp(),
            at7("2025-02-12T21:09:49+07:00").timestamp()
        );
        assert!(matches!(
            vietnam_time(Some("yesterday"), "t"),
            Err(Error::Decode { .. })
        ));
    }

    #[test]
    fn bad_values_are_decode_errors() {
        let maybe = r#"{"id":"25","account_holder_name":"A","account_number":"1","active":"maybe"}"#;
        assert!(serde_json::from_str::<UserApiAccount>(maybe).is_err());
        let missing = r#"{"id":"25","account_holder_name":"A","active":"1"}"#;
        let err = serde_json::from_str::<UserApiAccount>(missing).unwrap_err();
        assert!(err.to_string().contains("account_number"), "{err}");
        let float_amount_text =
            r#"{"id":"25","account_holder_name":"A","account_number":"1","active":"1","accumulated":"12abc"}"#;
        assert!(serde_json::from_str::<UserApiAccount>(float_amount_text).is_err());
        // The holder name is required in both dialects and on sub-accounts.
        let err =
            serde_json::from_str::<UserApiAccount>(r#"{"id":"25","account_number":"1","active":"1"}"#).unwrap_err();
        assert!(err.to_string().contains("missing field `account_holder_name`"), "{err}");
        let err = serde_json::from_str::<OAuthAccount>(r#"{"id":19,"account_number":"1","active":true}"#).unwrap_err();
        assert!(err.to_string().contains("missing field `account_holder_name`"), "{err}");
        let err = serde_json::from_str::<OAuthSubAccount>(
            r#"{"id":25,"bank_account_id":19,"account_number":"1","active":true}"#,
        )
        .unwrap_err();
        assert!(err.to_string().contains("missing field `account_holder_name`"), "{err}");
    }
}
