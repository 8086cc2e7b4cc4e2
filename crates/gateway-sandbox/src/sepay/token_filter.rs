//! Query parameters of `/userapi/bankaccounts/list` and `/count` (seed 004): parsing and matching.

use std::cmp::Ordering;

use chrono::{NaiveDate, NaiveDateTime, NaiveTime};

use super::state::{TokenAccount, TIME_FORMAT};
use super::Params;

/// The documented filters. Empty values count as absent (form builders often send `key=`).
#[derive(Debug, Default)]
pub(crate) struct Filter {
    short_name: Option<String>,
    transaction_min: Option<NaiveDateTime>,
    transaction_max: Option<NaiveDateTime>,
    pub since_id: Option<u64>,
    accumulated_min: Option<Decimal>,
    accumulated_max: Option<Decimal>,
}

/// Which parameter was malformed.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct BadParam(pub &'static str);

impl Filter {
    pub(crate) fn from_params(p: &Params) -> Result<Self, BadParam> {
        Ok(Self {
            short_name: p.get("short_name").map(str::to_lowercase),
            transaction_min: p
                .get("last_transaction_date_min")
                .map(|v| date_time(v, false).ok_or(BadParam("last_transaction_date_min")))
                .transpose()?,
            transaction_max: p
                .get("last_transaction_date_max")
                .map(|v| date_time(v, true).ok_or(BadParam("last_transaction_date_max")))
                .transpose()?,
            since_id: p
                .get("since_id")
                .map(|v| v.parse().map_err(|_| BadParam("since_id")))
                .transpose()?,
            accumulated_min: p
                .get("accumulated_min")
                .map(|v| Decimal::parse(v).ok_or(BadParam("accumulated_min")))
                .transpose()?,
            accumulated_max: p
                .get("accumulated_max")
                .map(|v| Decimal::parse(v).ok_or(BadParam("accumulated_max")))
                .transpose()?,
        })
    }

    pub(crate) fn matches(&self, a: &TokenAccount) -> bool {
        let bank = self
            .short_name
            .as_ref()
            .is_none_or(|s| a.bank.short_name.to_lowercase() == *s);
        // An account that never had a transaction has no date to compare, so a date filter drops it.
        let after = self
            .transaction_min
            .is_none_or(|min| a.last_transaction.is_some_and(|t| t >= min));
        let before = self
            .transaction_max
            .is_none_or(|max| a.last_transaction.is_some_and(|t| t <= max));
        let since = self.since_id.is_none_or(|id| a.id >= id);
        let above = self
            .accumulated_min
            .as_ref()
            .is_none_or(|min| min.cmp_hundredths(a.accumulated) != Ordering::Greater);
        let below = self
            .accumulated_max
            .as_ref()
            .is_none_or(|max| max.cmp_hundredths(a.accumulated) != Ordering::Less);
        bank && after && before && since && above && below
    }
}

/// "YYYY-MM-DD HH:MM:SS" or "YYYY-MM-DD"; a bare date is the start of the day, or its last second
/// when it is an upper bound ("until 2023-05-02" includes that day).
pub(crate) fn date_time(value: &str, end_of_day: bool) -> Option<NaiveDateTime> {
    if let Ok(t) = NaiveDateTime::parse_from_str(value, TIME_FORMAT) {
        return Some(t);
    }
    let date = NaiveDate::parse_from_str(value, "%Y-%m-%d").ok()?;
    let time = if end_of_day {
        NaiveTime::from_hms_opt(23, 59, 59)?
    } else {
        NaiveTime::MIN
    };
    Some(date.and_time(time))
}

/// A decimal number kept exact as `mantissa / 10^scale`, so "1000000000.5" compares correctly
/// with an amount in hundredths without going through floats.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Decimal {
    mantissa: i128,
    scale: u32,
}

impl Decimal {
    /// `[+-]digits[.digits]`, at most 30 digits and 20 decimals; anything else is `None`.
    pub(crate) fn parse(s: &str) -> Option<Self> {
        let (negative, unsigned) = match s.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, s.strip_prefix('+').unwrap_or(s)),
        };
        let (int, frac) = unsigned.split_once('.').unwrap_or((unsigned, ""));
        let all_digits = |p: &str| p.bytes().all(|b| b.is_ascii_digit());
        if int.is_empty() || !all_digits(int) || !all_digits(frac) || (unsigned.contains('.') && frac.is_empty()) {
            return None;
        }
        if int.len() + frac.len() > 30 || frac.len() > 20 {
            return None;
        }
        let magnitude: i128 = format!("{int}{frac}").parse().ok()?;
        Some(Self {
            mantissa: if negative { -magnitude } else { magnitude },
            scale: frac.len() as u32,
        })
    }

    /// How this number compares with `hundredths / 100`.
    pub(crate) fn cmp_hundredths(&self, hundredths: u64) -> Ordering {
        let this = self.mantissa * 100;
        match i128::from(hundredths).checked_mul(10i128.pow(self.scale)) {
            Some(that) => this.cmp(&that),
            None => Ordering::Less,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals_compare_exactly() {
        let d = |s| Decimal::parse(s).unwrap();
        assert_eq!(d("1").cmp_hundredths(100), Ordering::Equal);
        assert_eq!(d("1.00").cmp_hundredths(100), Ordering::Equal);
        assert_eq!(d("0.99").cmp_hundredths(100), Ordering::Less);
        assert_eq!(d("1.001").cmp_hundredths(100), Ordering::Greater);
        assert_eq!(d("-5").cmp_hundredths(0), Ordering::Less);
        assert_eq!(d("2625076186.00").cmp_hundredths(262_507_618_600), Ordering::Equal);
        for bad in ["", "abc", "1e5", "1.", ".5", "1,5", "--1", "1.2.3"] {
            assert_eq!(Decimal::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn dates_accept_both_documented_forms() {
        assert_eq!(
            date_time("2023-05-02", true).unwrap().to_string(),
            "2023-05-02 23:59:59"
        );
        assert_eq!(
            date_time("2023-05-02", false).unwrap().to_string(),
            "2023-05-02 00:00:00"
        );
        assert_eq!(
            date_time("2023-04-30 08:00:00", true).unwrap().to_string(),
            "2023-04-30 08:00:00"
        );
        assert_eq!(date_time("30/04/2023", false), None);
    }
}
