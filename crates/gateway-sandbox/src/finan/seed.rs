//! Deterministic seed data: the seeds' own example accounts, plus generated sub accounts with
//! Vietnamese holder names, so the same start always serves the same accounts and the default
//! listing spans several pages.

use chrono::{DateTime, SecondsFormat};

use super::store::{Account, Status, Store};
use crate::names;

pub(super) const CURRENCY: &str = "VND";
/// ISO 4217 numeric code of VND, as the create response's `currency_code`.
pub(super) const CURRENCY_CODE: &str = "704";
const QR_BASE: &str = "https://api.finan.one/qr/";

/// The seed's master account (`GET /api/v1/master-bank-accounts` example).
const SEED_MASTER_ID: &str = "550e8400-e29b-41d4-a716-446655440000";
/// The master named by the seed's cURL filter example and create response ("TRAN TU THIEN", MB).
const MB_MASTER_ID: &str = "9c028f93-89f9-4cf5-a2fb-fb8fa8580fe5";

/// Generated accounts are created between these instants (2024-01-21 and the end of 2025), after
/// the seed's own sub account (2024-01-20), so listing order is also creation order.
const GENERATED_FROM: i64 = 1_705_795_200;
const GENERATED_UNTIL: i64 = 1_767_225_599;

/// The store with both masters and `sub_accounts` sub accounts (at least the seed's "KE TOAN").
pub(super) fn store(sub_accounts: usize) -> Store {
    let masters = masters();
    let generated = sub_accounts.max(1) - 1;
    let mut subs = Vec::with_capacity(generated + 1);
    subs.push(seed_sub_account());
    subs.extend((1..=generated).map(|i| generated_sub_account(i, generated, &masters)));
    Store::new(masters, subs)
}

fn masters() -> Vec<Account> {
    vec![
        Account {
            account_id: SEED_MASTER_ID.into(),
            account_number: "1234XXXX5678".into(),
            account_name: "COMPANY ABC".into(),
            bank_code: "SHB".into(),
            qr_code: format!("{QR_BASE}abc123"),
            balance: 15_000_000,
            currency: CURRENCY,
            status: Status::Active,
            created_at: "2024-01-15T10:30:00Z".into(),
        },
        Account {
            account_id: MB_MASTER_ID.into(),
            account_number: "0933450210".into(),
            account_name: "TRAN TU THIEN".into(),
            bank_code: "MB".into(),
            qr_code: qr_code("0933450210"),
            balance: 87_500_000,
            currency: CURRENCY,
            status: Status::Active,
            created_at: "2024-01-16T08:00:00Z".into(),
        },
    ]
}

/// The seed's `GET /api/v1/bank-accounts` example, verbatim.
fn seed_sub_account() -> Account {
    Account {
        account_id: "660e8400-e29b-41d4-a716-446655440001".into(),
        account_number: "9876XXXX5432".into(),
        account_name: "KE TOAN".into(),
        bank_code: "SHB".into(),
        qr_code: format!("{QR_BASE}xyz789"),
        balance: 5_000_000,
        currency: CURRENCY,
        status: Status::Active,
        created_at: "2024-01-20T14:00:00Z".into(),
    }
}

/// The `i`th generated sub account (1-based) of `count`.
fn generated_sub_account(i: usize, count: usize, masters: &[Account]) -> Account {
    // Two in three under the SHB master, the rest under the MB one.
    let master = &masters[usize::from(i % 3 == 0)];
    let name = if rand(i, 0) % 4 == 0 {
        names::label(i)
    } else {
        names::person_name(i)
    };
    let account_number = virtual_account_number(i);
    let balance = match rand(i, 1) % 500_001 {
        r if r % 9 == 0 => 0, // some untouched accounts
        r => r * 1_000,       // whole thousands, up to 500,000,000 VND
    };
    Account {
        account_id: uuid_for(i).to_string(),
        qr_code: qr_code(&account_number),
        account_number,
        account_name: names::bank_holder_name(&name),
        bank_code: master.bank_code.clone(),
        balance,
        currency: CURRENCY,
        status: if i % 17 == 0 { Status::Inactive } else { Status::Active },
        created_at: spread_created_at(i, count),
    }
}

/// A version-4-shaped UUID derived from `i`, stable across runs.
fn uuid_for(i: usize) -> uuid::Uuid {
    let mut bytes = [0u8; 16];
    bytes[..8].copy_from_slice(&rand(i, 2).to_be_bytes());
    bytes[8..].copy_from_slice(&rand(i, 3).to_be_bytes());
    uuid::Builder::from_random_bytes(bytes).into_uuid()
}

/// A virtual account number like the seed's `VQRQAHZKN0048`: `VQR`, six letters, four digits.
pub(super) fn virtual_account_number(i: usize) -> String {
    let mut r = rand(i, 4);
    let letters: String = (0..6)
        .map(|_| {
            let c = char::from(b'A' + (r % 26) as u8);
            r /= 26;
            c
        })
        .collect();
    format!("VQR{letters}{:04}", i % 10_000)
}

/// A QR image link like the seed's `https://api.finan.one/qr/abc123`, derived from the account number.
pub(super) fn qr_code(account_number: &str) -> String {
    const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
    let mut r = account_number.bytes().fold(0u64, |h, b| names::mix(h ^ u64::from(b)));
    let short: String = (0..6)
        .map(|_| {
            let c = char::from(ALPHABET[(r % 36) as usize]);
            r /= 36;
            c
        })
        .collect();
    format!("{QR_BASE}{short}")
}

/// Creation times rising with `i` across 2024-2025, each at a jittered point of its slot.
fn spread_created_at(i: usize, count: usize) -> String {
    let slot = (GENERATED_UNTIL - GENERATED_FROM) / i64::try_from(count.max(1)).unwrap_or(i64::MAX);
    let index = i64::try_from(i - 1).unwrap_or(0);
    let jitter = i64::try_from(rand(i, 5) % slot.max(1) as u64).unwrap_or(0);
    let at = GENERATED_FROM + index * slot + jitter;
    DateTime::from_timestamp(at, 0)
        .expect("2024-2025 is representable")
        .to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// Independent deterministic draws per account and purpose.
fn rand(i: usize, purpose: u64) -> u64 {
    names::mix(((i as u64) << 8) | purpose)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seed_is_deterministic_and_well_formed() {
        let a = store(120);
        let b = store(120);
        assert_eq!(a.sub_count(), 120);
        let (page_a, _) = a.page_subs(&Default::default(), 1, 100);
        let (page_b, _) = b.page_subs(&Default::default(), 1, 100);
        assert_eq!(page_a, page_b);
        assert_eq!(page_a[0].account_id, "660e8400-e29b-41d4-a716-446655440001");

        let mut numbers = std::collections::HashSet::new();
        let (all, _) = a.page_subs(&Default::default(), 1, 1000);
        for acc in &all[1..] {
            assert!(
                numbers.insert(acc.account_number.clone()),
                "duplicate {}",
                acc.account_number
            );
            assert_eq!(acc.account_number.len(), 13);
            assert!(acc.account_number.starts_with("VQR"));
            assert!(acc
                .account_number
                .bytes()
                .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit()));
            assert!(acc.balance <= 500_000_000);
            assert!(acc.account_name.is_ascii() && acc.account_name == acc.account_name.to_uppercase());
            assert!(acc.created_at.starts_with("2024-") || acc.created_at.starts_with("2025-"));
            assert!(uuid::Uuid::parse_str(&acc.account_id).is_ok());
        }
        assert!(all.iter().any(|a| a.balance == 0));
        assert!(all.iter().any(|a| a.status == Status::Inactive));
        assert!(all.iter().any(|a| a.bank_code == "MB") && all.iter().any(|a| a.bank_code == "SHB"));
        assert!(
            all.windows(2).all(|w| w[0].created_at <= w[1].created_at),
            "listing order is creation order"
        );
    }

    #[test]
    fn at_least_the_seed_account() {
        assert_eq!(store(0).sub_count(), 1);
    }
}
