//! Seed data: the documents' own example accounts and transactions, exactly as printed there, plus
//! deterministic generated ones (Vietnamese names, several banks) so every listing spans more than
//! one page.

use std::collections::HashMap;

use chrono::{Datelike, Duration, NaiveDateTime};

use super::ledger::{self, BankTransaction, LedgerAccount, TransferType};
use super::state::{fmt_time, OauthAccount, SubAccount, TokenAccount, TIME_FORMAT};
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

// ---------------------------------------------------------------------------------------------
// Bank transactions (`/userapi/transactions`, `/api/v1/transactions`, the webhook)
// ---------------------------------------------------------------------------------------------

/// Generated transaction ids start here and rise by 1 to 50 (SePay's ids are shared by all its
/// customers, so one company's have gaps), passing the documents' ids 49465, 49582 and 49682.
const FIRST_TRANSACTION_ID: u64 = 46_000;

/// The documents' transaction example (`/api/v1/transactions`), exactly as printed; the API-token
/// document shows the same transaction (same id, amounts and sub-account).
fn documented_transaction() -> BankTransaction {
    let date = at("2025-02-25 19:59:48");
    let content = "DUONG THUY ANH chuyen tien mua hang online";
    let reference_code = "677760.250225.080001";
    BankTransaction {
        id: 49_682,
        gateway: "Vietcombank".into(),
        transaction_date: fmt_time(&date),
        account_number: "0071000888888".into(),
        code: Some("DH123456".into()),
        content: content.into(),
        transfer_type: TransferType::In,
        transfer_amount: 18_067_000,
        accumulated: 1_200_541_768,
        sub_account: Some("VCB0011ABC004".into()),
        reference_code: reference_code.into(),
        description: ledger::statement_line(reference_code, content),
        bank_account_id: 19,
        date,
        oauth_visible: true,
    }
}

/// A transaction before its amounts and texts are settled.
struct Plan {
    id: u64,
    date: NaiveDateTime,
    /// Index into the account directory.
    account: usize,
    sub_account: Option<String>,
    r: u64,
    transfer_type: TransferType,
    amount: u64,
    accumulated: u64,
    /// The documented transaction, kept exactly as printed.
    fixed: Option<BankTransaction>,
}

/// What a generated transfer would be before the balance has its say: mostly money in, from a few
/// thousand đồng to tens of millions, rounded to thousands.
fn intent(r: u64) -> (TransferType, u64) {
    let x = mix(r ^ 0xa11);
    if (r >> 16) % 5 == 0 {
        return (TransferType::Out, (100_000 + x % 30_000_000) / 1000 * 1000);
    }
    let amount = match (r >> 20) % 4 {
        0 => 10_000 + x % 490_000,
        1 => 500_000 + x % 4_500_000,
        2 => 5_000_000 + x % 15_000_000,
        _ => 20_000_000 + x % 40_000_000,
    };
    (TransferType::In, amount / 1000 * 1000)
}

/// A payment code like those shops print on invoices: "DH" and six letters or digits.
fn order_code(r: u64) -> String {
    const ALPHABET: &[u8] = b"0123456789ABCDEFGHJKLMNPQRSTUVWXYZ";
    let mut x = mix(r ^ 0xc0de);
    let tail: String = (0..6)
        .map(|_| {
            let c = ALPHABET[(x % ALPHABET.len() as u64) as usize];
            x /= ALPHABET.len() as u64;
            char::from(c)
        })
        .collect();
    format!("DH{tail}")
}

/// Transfer content as banks pass it on: ASCII, payer names in capitals, often a payment code.
fn content(transfer_type: TransferType, r: u64, date: &NaiveDateTime) -> String {
    let name = names::bank_holder_name(&names::person_name((mix(r ^ 0x4e) % 997) as usize));
    let month = date.month();
    let pick = (r >> 24) % 10;
    match transfer_type {
        TransferType::In if pick < 4 => {
            let code = order_code(r);
            match pick {
                0 => format!("{code} thanh toan don hang"),
                1 => format!("Thanh toan {code}"),
                2 => format!("{name} chuyen khoan {code}"),
                _ => format!("{} ck", code.to_lowercase()),
            }
        }
        TransferType::In => match pick {
            4 | 5 => format!("{name} chuyen tien"),
            6 => format!("{name} Chuyen khoan"),
            7 => format!("Tra tien hang thang {month}"),
            _ => format!("NHAN TIEN TU {name}"),
        },
        TransferType::Out => match pick % 4 {
            0 => format!("Chuyen tien cho {name}"),
            1 => format!("Thanh toan tien dien thang {month}"),
            2 => format!("Tra luong thang {month} cho nhan vien"),
            _ => "Phi duy tri tai khoan".to_owned(),
        },
    }
}

/// `total` transactions (never fewer than the documents' three), ordered by id, on the accounts of
/// `directory` (see [`ledger::directory`]), with dates rising with the id from June 2024 to
/// November 2025, each after its account's creation. Roughly one in four goes to the seeds'
/// accounts 18 and 19 once they exist (February 2025).
///
/// Each account's transactions chain: `accumulated` is the previous one's plus the amount in minus
/// the amount out, and the newest equals the account's balance. The chain is built backwards from
/// the balance, turning a deposit into a withdrawal where it would start below zero; the
/// transaction just after the documented one absorbs the difference to its printed balance.
pub(crate) fn transactions(
    total: usize,
    directory: &[LedgerAccount],
    sub_accounts: &[SubAccount],
    prefixes: &[String],
) -> Vec<BankTransaction> {
    const SALT: u64 = 0x7a_5e9a;
    let index = |number: &str| {
        directory
            .iter()
            .position(|a| a.number == number)
            .expect("the seed accounts are in the directory")
    };
    let (eighteen, nineteen) = (index("0071000899999"), index("0071000888888"));
    let documented = documented_transaction();
    let seeds = [
        (49_465, at("2025-02-20 10:12:41"), nineteen, Some("VCB0011ABC001")),
        (49_582, at("2025-02-23 15:40:05"), eighteen, None),
        (
            documented.id,
            documented.date,
            nineteen,
            documented.sub_account.as_deref(),
        ),
    ];
    let seed_ids: Vec<u64> = seeds.iter().map(|s| s.0).collect();
    let mut ids = Vec::new();
    let mut id = FIRST_TRANSACTION_ID;
    while ids.len() < total.saturating_sub(seeds.len()) {
        if !seed_ids.contains(&id) {
            ids.push(id);
        }
        id += 1 + mix(id ^ SALT) % 50;
    }
    let last_id = ids.iter().chain(&seed_ids).copied().max().unwrap_or(0);
    // The first generated id opens the history; the documents' transactions are fixed points in it.
    let mut anchors = vec![(FIRST_TRANSACTION_ID - 1, at("2024-06-03 08:00:00"))];
    anchors.extend(seeds.iter().map(|s| (s.0, s.1)));
    let timeline = Timeline::new("2024-06-01 00:00:00", LAST_ACTIVITY, &anchors, last_id);

    let blank = |id, date, account, sub_account: Option<&str>, r| Plan {
        id,
        date,
        account,
        sub_account: sub_account.map(str::to_owned),
        r,
        transfer_type: TransferType::In,
        amount: 0,
        accumulated: 0,
        fixed: None,
    };
    let mut plans: Vec<Plan> = ids
        .into_iter()
        .map(|id| {
            let r = mix(id ^ SALT);
            let date = timeline.at(id, SALT);
            let eligible = match directory.partition_point(|a| a.created_at <= date) {
                0 => directory.len(),
                n => n,
            };
            let account = match r % 8 {
                0 if directory[eighteen].created_at <= date => eighteen,
                1 if directory[nineteen].created_at <= date => nineteen,
                _ => (mix(r) % eligible as u64) as usize,
            };
            let owner = &directory[account];
            let vas: Vec<&SubAccount> = sub_accounts
                .iter()
                .filter(|s| owner.oauth && s.bank_account_id == owner.bank_account_id && s.created_at <= date)
                .collect();
            let sub_account = (!vas.is_empty() && (r >> 8) % 3 == 0)
                .then(|| vas[(mix(r ^ 0x5a) % vas.len() as u64) as usize].number.as_str());
            blank(id, date, account, sub_account, r)
        })
        .collect();
    for (id, date, account, sub_account) in seeds {
        let mut plan = blank(id, date, account, sub_account, mix(id ^ SALT));
        if id == documented.id {
            plan.fixed = Some(documented.clone());
        }
        plans.push(plan);
    }
    plans.sort_by_key(|p| p.id);

    let mut by_account: HashMap<usize, Vec<usize>> = HashMap::new();
    for (i, p) in plans.iter().enumerate() {
        by_account.entry(p.account).or_default().push(i);
    }
    for (account, indices) in by_account {
        let mut after = directory[account].balance;
        let mut newer: Option<usize> = None;
        for &i in indices.iter().rev() {
            if let Some(fixed) = plans[i].fixed.clone() {
                if let Some(q) = newer {
                    let q_after = plans[q].accumulated;
                    if q_after != fixed.accumulated {
                        plans[q].transfer_type = if q_after > fixed.accumulated {
                            TransferType::In
                        } else {
                            TransferType::Out
                        };
                        plans[q].amount = q_after.abs_diff(fixed.accumulated);
                    }
                }
                after = fixed.accumulated + fixed.amount_out() - fixed.amount_in();
            } else {
                let (mut transfer_type, amount) = intent(plans[i].r);
                if transfer_type == TransferType::In && amount > after {
                    transfer_type = TransferType::Out;
                }
                let plan = &mut plans[i];
                plan.transfer_type = transfer_type;
                plan.amount = amount;
                plan.accumulated = after;
                after = match transfer_type {
                    TransferType::In => after - amount,
                    TransferType::Out => after + amount,
                };
            }
            newer = Some(i);
        }
    }

    plans
        .into_iter()
        .map(|p| {
            if let Some(fixed) = p.fixed {
                return fixed;
            }
            let owner = &directory[p.account];
            let content = content(p.transfer_type, p.r, &p.date);
            let reference_code = ledger::reference(p.id, &p.date);
            BankTransaction {
                id: p.id,
                gateway: owner.bank.short_name.to_owned(),
                transaction_date: fmt_time(&p.date),
                account_number: owner.number.clone(),
                code: ledger::payment_code(&content, prefixes),
                description: ledger::statement_line(&reference_code, &content),
                content,
                transfer_type: p.transfer_type,
                transfer_amount: p.amount,
                accumulated: p.accumulated,
                sub_account: p.sub_account,
                reference_code,
                bank_account_id: owner.bank_account_id,
                date: p.date,
                oauth_visible: owner.oauth,
            }
        })
        .collect()
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

    fn seeded_transactions(total: usize) -> (Vec<LedgerAccount>, Vec<BankTransaction>) {
        let oauth = oauth_accounts(45);
        let directory = ledger::directory(&token_accounts(230), &oauth);
        let all = transactions(total, &directory, &sub_accounts(&oauth), &["DH".to_owned()]);
        (directory, all)
    }

    #[test]
    fn transactions_rise_chain_per_account_and_keep_the_documented_one() {
        let (directory, all) = seeded_transactions(400);
        assert_eq!(all.len(), 400);
        assert!(all.windows(2).all(|w| w[0].id < w[1].id && w[0].date < w[1].date));
        assert!(all.iter().all(|t| t.transfer_amount > 0));
        let documented = all.iter().find(|t| t.id == 49_682).unwrap();
        assert_eq!(*documented, documented_transaction());
        assert!(all.iter().any(|t| t.id == 49_465) && all.iter().any(|t| t.id == 49_582));
        assert_eq!(
            all.last().unwrap().transaction_date,
            fmt_time(&all.last().unwrap().date)
        );
        assert!(all.last().unwrap().date <= at(LAST_ACTIVITY));

        for account in &directory {
            let mine: Vec<&BankTransaction> = all.iter().filter(|t| t.account_number == account.number).collect();
            assert!(mine.iter().all(|t| t.bank_account_id == account.bank_account_id
                && t.oauth_visible == account.oauth
                && t.gateway == account.bank.short_name
                && t.date >= account.created_at));
            // Each balance is the previous one plus money in minus money out ...
            for w in mine.windows(2) {
                assert_eq!(
                    w[1].accumulated + w[1].amount_out(),
                    w[0].accumulated + w[1].amount_in(),
                    "{}",
                    w[1].id
                );
            }
            // ... and the newest is the account's balance.
            if let Some(newest) = mine.last() {
                assert_eq!(newest.accumulated, account.balance, "{}", account.number);
            }
        }
        let on = |n: &str| all.iter().filter(|t| t.account_number == n).count();
        assert!(on("0071000899999") >= 20 && on("0071000888888") >= 20);
        assert!(all.iter().filter(|t| t.oauth_visible).count() > 100);
        assert!(all.iter().any(|t| !t.oauth_visible));
        assert!(all.iter().any(|t| t.transfer_type == TransferType::Out));
        let coded = all.iter().filter(|t| t.code.is_some()).count();
        assert!(coded > 50 && coded < 300, "{coded}");
        assert!(all
            .iter()
            .any(|t| t.code.as_deref().is_some_and(|c| c.starts_with("dh"))));
        assert!(all
            .iter()
            .any(|t| t.sub_account.is_some() && t.account_number == "0071000888888"));
        let references: HashSet<_> = all.iter().map(|t| &t.reference_code).collect();
        assert_eq!(references.len(), all.len());
        assert_eq!(seeded_transactions(400).1, all, "deterministic");
    }

    #[test]
    fn small_transaction_counts_still_hold_the_documented_ones() {
        let (_, all) = seeded_transactions(0);
        assert_eq!(all.iter().map(|t| t.id).collect::<Vec<_>>(), [49_465, 49_582, 49_682]);
        let (_, all) = seeded_transactions(10);
        assert_eq!(all.len(), 10);
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
