//! Seed data: the documents' own example accounts, exactly as printed there, plus deterministic
//! generated accounts (Vietnamese names, several banks) so every listing spans more than one page.

use chrono::{Duration, NaiveDateTime};

use super::state::{OauthAccount, SubAccount, TokenAccount, TIME_FORMAT};
use crate::names::{self, mix, SeedBank};

/// Generated accounts' last transactions never go past this.
const LAST_ACTIVITY: &str = "2025-11-28 17:30:00";

fn at(s: &str) -> NaiveDateTime {
    NaiveDateTime::parse_from_str(s, TIME_FORMAT).expect("seed timestamps are valid")
}

fn bank(short_name: &str) -> SeedBank {
    *names::BANKS
        .iter()
        .find(|b| b.short_name == short_name)
        .expect("seed banks are in names::BANKS")
}

/// Ids for generated accounts: 1, 2, 3... skipping the seeds' ids, so that seeds plus generated
/// accounts number `total` (never fewer than the seeds).
fn generated_ids(total: usize, seed_ids: &[u64]) -> Vec<u64> {
    let wanted = total.saturating_sub(seed_ids.len());
    (1..).filter(|id| !seed_ids.contains(id)).take(wanted).collect()
}

/// Creation times that rise with the id and pass through the seeds' own timestamps, so the seed
/// accounts sit among generated ones in a believable order.
struct Timeline {
    anchors: Vec<(u64, NaiveDateTime)>,
}

impl Timeline {
    /// `start` is the time just before id 1, `end` the time just after `last_id`.
    fn new(start: &str, end: &str, seeds: &[(u64, NaiveDateTime)], last_id: u64) -> Self {
        let mut anchors = vec![(0, at(start))];
        anchors.extend_from_slice(seeds);
        anchors.push((last_id + 1, at(end)));
        anchors.sort_by_key(|&(id, _)| id);
        Self { anchors }
    }

    /// The creation time of a generated (non-anchor) id: evenly spaced between the surrounding
    /// anchors, with jitter below half a step so the order stays strict.
    fn at(&self, id: u64, salt: u64) -> NaiveDateTime {
        let i = self
            .anchors
            .iter()
            .position(|&(a, _)| a > id)
            .expect("id is below the end anchor");
        let (a, ta) = self.anchors[i - 1];
        let (b, tb) = self.anchors[i];
        let step = (tb - ta).num_seconds() / i64::try_from(b - a).unwrap_or(i64::MAX);
        let jitter = i64::try_from(mix(id ^ salt) % u64::try_from(step / 2).unwrap_or(0).max(1)).unwrap_or(0);
        ta + Duration::seconds(step * i64::try_from(id - a).unwrap_or(0) + jitter)
    }
}

/// `len` digits (10 to 14) ending with the id, so generated numbers never collide.
fn account_number(id: u64, r: u64) -> String {
    let len = 10 + (r % 5) as usize;
    let mut x = mix(r);
    let prefix: String = (0..len - 4)
        .map(|_| {
            let d = x % 10;
            x /= 10;
            char::from(b'0' + d as u8)
        })
        .collect();
    format!("{prefix}{:04}", id % 10_000)
}

/// A balance in hundredths: whole dong (VND has no subunit), rounded to thousands, 0 to ~10 billion.
fn balance(r: u64) -> u64 {
    let digits = 5 + (r % 6) as u32;
    (r >> 8) % 10u64.pow(digits) / 1000 * 1000 * 100
}

// ---------------------------------------------------------------------------------------------
// API token (`/userapi`), seed 004
// ---------------------------------------------------------------------------------------------

fn token_seeds() -> Vec<TokenAccount> {
    vec![
        TokenAccount {
            id: 18,
            holder: "NGUYEN VAN A".into(),
            number: "0071000899999".into(),
            accumulated: 262_507_618_600,
            last_transaction: Some(at("2023-08-09 07:59:48")),
            label: String::new(),
            active: true,
            created_at: at("2023-02-12 20:05:47"),
            bank: bank("Vietcombank"),
        },
        TokenAccount {
            id: 25,
            holder: "NGUYEN THI B".into(),
            number: "102871015203".into(),
            accumulated: 252_549_300,
            last_transaction: Some(at("2023-02-16 16:16:00")),
            label: String::new(),
            active: true,
            created_at: at("2023-02-16 15:57:26"),
            bank: bank("VietinBank"),
        },
    ]
}

/// `total` accounts for the API token, ordered by id, the seed's accounts 18 and 25 included.
pub(crate) fn token_accounts(total: usize) -> Vec<TokenAccount> {
    const SALT: u64 = 0x5e9a_7041;
    let seeds = token_seeds();
    let seed_ids: Vec<u64> = seeds.iter().map(|a| a.id).collect();
    let ids = generated_ids(total, &seed_ids);
    let last_id = ids.iter().chain(&seed_ids).copied().max().unwrap_or(0);
    let anchors: Vec<_> = seeds.iter().map(|a| (a.id, a.created_at)).collect();
    let timeline = Timeline::new("2023-01-03 08:12:00", "2025-10-31 17:45:00", &anchors, last_id);
    let cap = at(LAST_ACTIVITY);

    let mut all: Vec<TokenAccount> = ids
        .into_iter()
        .map(|id| {
            let r = mix(id ^ SALT);
            let i = id as usize;
            let created_at = timeline.at(id, SALT);
            // About one in nine accounts has never seen a transaction: null date, zero balance.
            let never = r % 9 == 0;
            let last_transaction =
                (!never).then(|| (created_at + Duration::seconds((mix(r) % (420 * 86_400)) as i64)).min(cap));
            let accumulated = if never || (r >> 7) % 7 == 0 {
                0
            } else {
                balance(mix(r ^ 1))
            };
            TokenAccount {
                id,
                holder: names::bank_holder_name(&names::person_name(i)),
                number: account_number(id, r),
                accumulated,
                last_transaction,
                label: if (r >> 4) % 3 == 0 {
                    String::new()
                } else {
                    names::label(i)
                },
                active: (r >> 12) % 12 != 0,
                created_at,
                bank: names::bank(i),
            }
        })
        .chain(seeds)
        .collect();
    all.sort_by_key(|a| a.id);
    all
}

// ---------------------------------------------------------------------------------------------
// OAuth 2.0 (`/api/v1`), seed 003
// ---------------------------------------------------------------------------------------------

fn oauth_seeds() -> Vec<OauthAccount> {
    vec![
        OauthAccount {
            id: 18,
            label: None,
            holder: "NGUYEN VAN A".into(),
            number: "0071000899999".into(),
            accumulated: 262_507_618_600,
            active: true,
            created_at: at("2025-02-12 20:05:47"),
            bank: bank("Vietcombank"),
        },
        OauthAccount {
            id: 19,
            label: Some("Cty Demo".into()),
            holder: "CONG TY TNHH DEMO".into(),
            number: "0071000888888".into(),
            accumulated: 177_728_327_300,
            active: true,
            created_at: at("2025-02-12 21:09:49"),
            bank: bank("Vietcombank"),
        },
    ]
}

/// `total` accounts for OAuth clients, ordered by id, the seed's accounts 18 and 19 included.
pub(crate) fn oauth_accounts(total: usize) -> Vec<OauthAccount> {
    const SALT: u64 = 0x0a07_4c19;
    // A different slice of the name list than the API token's accounts: another company's data.
    const NAME_OFFSET: usize = 300;
    let seeds = oauth_seeds();
    let seed_ids: Vec<u64> = seeds.iter().map(|a| a.id).collect();
    let ids = generated_ids(total, &seed_ids);
    let last_id = ids.iter().chain(&seed_ids).copied().max().unwrap_or(0);
    let anchors: Vec<_> = seeds.iter().map(|a| (a.id, a.created_at)).collect();
    let timeline = Timeline::new("2024-05-06 09:00:00", "2025-10-31 17:45:00", &anchors, last_id);

    let mut all: Vec<OauthAccount> = ids
        .into_iter()
        .map(|id| {
            let r = mix(id ^ SALT);
            let i = id as usize + NAME_OFFSET;
            OauthAccount {
                id,
                label: ((r >> 4) % 4 != 0).then(|| names::label(i)),
                holder: names::bank_holder_name(&names::person_name(i)),
                number: account_number(id, r),
                accumulated: if (r >> 7) % 8 == 0 { 0 } else { balance(mix(r ^ 1)) },
                active: (r >> 12) % 10 != 0,
                created_at: timeline.at(id, SALT),
                bank: names::bank(i),
            }
        })
        .chain(seeds)
        .collect();
    all.sort_by_key(|a| a.id);
    all
}

/// Virtual sub-accounts, ordered by id (unique across parents): the seed's 25 and 26 under
/// account 19 plus 22 more there (so its list spans two pages of 20), and 1 to 3 under roughly
/// every 6th generated account.
pub(crate) fn sub_accounts(accounts: &[OauthAccount]) -> Vec<SubAccount> {
    let seed = |id, n: u32, created: &str| SubAccount {
        id,
        bank_account_id: 19,
        number: format!("VCB0011ABC{n:03}"),
        holder: format!("Chi nhánh {n}"),
        label: format!("CN{n}"),
        active: true,
        va_active: true,
        created_at: at(created),
        updated_at: at(created),
    };
    let mut out = vec![seed(25, 1, "2025-02-20 09:15:32"), seed(26, 2, "2025-02-20 09:16:05")];
    let mut next_id = 27;

    let base = at("2025-02-20 09:16:05");
    for n in 3..=24u32 {
        let r = mix(u64::from(n) ^ 0x19);
        let created_at = base + Duration::hours(i64::from(n - 2) * 29) + Duration::seconds((r % 3600) as i64);
        let mut va = seed(next_id, n, "2025-02-20 09:16:05");
        va.created_at = created_at;
        va.updated_at = if r % 4 == 0 {
            created_at + Duration::days((r >> 8) as i64 % 60 + 1)
        } else {
            created_at
        };
        va.active = n % 9 != 0;
        va.va_active = n % 7 != 0;
        out.push(va);
        next_id += 1;
    }

    for parent in accounts.iter().filter(|a| a.id % 6 == 0 && a.id != 18 && a.id != 19) {
        let r = mix(parent.id ^ 0x5ab);
        for n in 1..=1 + r % 3 {
            let x = mix(r ^ n);
            let letters: String = (0..3).map(|k| char::from(b'A' + ((x >> (k * 8)) % 26) as u8)).collect();
            let created_at =
                parent.created_at + Duration::days((n * 3 + x % 20) as i64) + Duration::seconds((x % 86_400) as i64);
            out.push(SubAccount {
                id: next_id,
                bank_account_id: parent.id,
                number: format!("{}{:04}{letters}{n:03}", parent.bank.code, parent.id % 10_000),
                holder: parent.holder.clone(),
                label: names::label(next_id as usize),
                active: (x >> 32) % 8 != 0,
                va_active: (x >> 40) % 5 != 0,
                created_at,
                updated_at: if (x >> 16) % 3 == 0 {
                    created_at + Duration::hours((x % 500) as i64 + 1)
                } else {
                    created_at
                },
            });
            next_id += 1;
        }
    }
    out.sort_by_key(|s| s.id);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn token_accounts_have_the_seeds_and_unique_ids_and_rising_dates() {
        let all = token_accounts(230);
        assert_eq!(all.len(), 230);
        assert_eq!(all.first().unwrap().id, 1);
        assert_eq!(all.last().unwrap().id, 230);
        assert!(all
            .windows(2)
            .all(|w| w[0].id < w[1].id && w[0].created_at < w[1].created_at));
        assert!(all
            .iter()
            .all(|a| (10..=14).contains(&a.number.len()) || a.id == 18 || a.id == 25));
        let numbers: HashSet<_> = all.iter().map(|a| &a.number).collect();
        assert_eq!(numbers.len(), all.len());
        assert!(all.iter().any(|a| a.last_transaction.is_none()));
        assert!(all.iter().any(|a| a.accumulated == 0) && all.iter().any(|a| !a.active));
        assert!(all.iter().all(|a| a.last_transaction.is_none_or(|t| t >= a.created_at)));
        assert_eq!(all[24].holder, "NGUYEN THI B");
        assert!(all.first().unwrap().created_at.format("%Y").to_string() == "2023");
        assert!(all.last().unwrap().created_at.format("%Y").to_string() == "2025");
    }

    #[test]
    fn small_configs_still_hold_the_seeds() {
        let all = token_accounts(5);
        assert_eq!(all.iter().map(|a| a.id).collect::<Vec<_>>(), [1, 2, 3, 18, 25]);
        let oauth = oauth_accounts(1);
        assert_eq!(oauth.iter().map(|a| a.id).collect::<Vec<_>>(), [18, 19]);
    }

    #[test]
    fn sub_accounts_are_unique_and_account_19_spans_two_pages() {
        let accounts = oauth_accounts(45);
        assert!(accounts.windows(2).all(|w| w[0].created_at < w[1].created_at));
        let subs = sub_accounts(&accounts);
        let ids: HashSet<_> = subs.iter().map(|s| s.id).collect();
        assert_eq!(ids.len(), subs.len());
        assert_eq!(subs.iter().filter(|s| s.bank_account_id == 19).count(), 24);
        let parents: HashSet<_> = subs.iter().map(|s| s.bank_account_id).collect();
        assert!(parents.len() >= 5);
        assert!(subs.iter().all(|s| accounts.iter().any(|a| a.id == s.bank_account_id)));
    }
}
