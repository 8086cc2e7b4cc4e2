//! Money: a `rust_decimal::Decimal` amount with its ISO 4217 [`Currency`]. Never `f64`.
//!
//! VND has no minor unit (exponent 0): 500,000 VND is `Money::from_minor_units(500_000, Currency::VND)`
//! and its minor-unit amount is 500,000. Arithmetic is checked: adding two currencies is an error,
//! overflow is an error, and converting to minor units fails rather than rounds.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use rust_decimal::Decimal;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Why a money operation failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum MoneyError {
    /// The two amounts are in different currencies.
    #[error("currency mismatch: {left} and {right}")]
    CurrencyMismatch {
        /// Currency of the left operand.
        left: Currency,
        /// Currency of the right operand.
        right: Currency,
    },
    /// The result does not fit.
    #[error("amount overflow")]
    Overflow,
    /// The amount has more decimal places than the currency's minor unit allows.
    #[error("{amount} {currency} is not a whole number of minor units (exponent {exponent})")]
    PrecisionLoss {
        /// The amount.
        amount: Decimal,
        /// Its currency.
        currency: Currency,
        /// The currency's minor-unit exponent.
        exponent: u8,
    },
    /// The text is not a known ISO 4217 alphabetic or numeric code.
    #[error("unknown currency {0:?}")]
    UnknownCurrency(String),
    /// The text is not a decimal amount.
    #[error("invalid amount {0:?}")]
    InvalidAmount(String),
}

/// An ISO 4217 currency: alphabetic code, numeric code and minor-unit exponent.
///
/// Parses from the alphabetic code (`"VND"`, case-insensitive) or the numeric code (`"704"`), as
/// providers send either (Finan's `currency` is "VND", its `currency_code` is "704").
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Currency {
    code: &'static str,
    numeric: u16,
    exponent: u8,
}

impl Currency {
    /// Vietnamese đồng: numeric 704, no minor unit (exponent 0).
    pub const VND: Currency = Currency {
        code: "VND",
        numeric: 704,
        exponent: 0,
    };
    /// US dollar: numeric 840, exponent 2.
    pub const USD: Currency = Currency {
        code: "USD",
        numeric: 840,
        exponent: 2,
    };
    /// Euro: numeric 978, exponent 2.
    pub const EUR: Currency = Currency {
        code: "EUR",
        numeric: 978,
        exponent: 2,
    };
    /// Japanese yen: numeric 392, exponent 0.
    pub const JPY: Currency = Currency {
        code: "JPY",
        numeric: 392,
        exponent: 0,
    };
    /// South Korean won: numeric 410, exponent 0.
    pub const KRW: Currency = Currency {
        code: "KRW",
        numeric: 410,
        exponent: 0,
    };
    /// Singapore dollar: numeric 702, exponent 2.
    pub const SGD: Currency = Currency {
        code: "SGD",
        numeric: 702,
        exponent: 2,
    };
    /// Chinese yuan: numeric 156, exponent 2.
    pub const CNY: Currency = Currency {
        code: "CNY",
        numeric: 156,
        exponent: 2,
    };
    /// Thai baht: numeric 764, exponent 2.
    pub const THB: Currency = Currency {
        code: "THB",
        numeric: 764,
        exponent: 2,
    };

    const ALL: [Currency; 8] = [
        Currency::VND,
        Currency::USD,
        Currency::EUR,
        Currency::JPY,
        Currency::KRW,
        Currency::SGD,
        Currency::CNY,
        Currency::THB,
    ];

    /// The ISO 4217 alphabetic code, e.g. `"VND"`.
    pub fn code(&self) -> &'static str {
        self.code
    }

    /// The ISO 4217 numeric code, e.g. `704`.
    pub fn numeric_code(&self) -> u16 {
        self.numeric
    }

    /// The minor-unit exponent: 0 for VND, 2 for USD.
    pub fn exponent(&self) -> u8 {
        self.exponent
    }

    /// Looks a currency up by its numeric code (`704` is VND).
    pub fn from_numeric(numeric: u16) -> Option<Currency> {
        Self::ALL.into_iter().find(|c| c.numeric == numeric)
    }
}

impl fmt::Debug for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code)
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code)
    }
}

impl FromStr for Currency {
    type Err = MoneyError;

    /// Parses `"VND"` (any case) or `"704"`.
    fn from_str(s: &str) -> Result<Self, MoneyError> {
        let t = s.trim();
        if !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit()) {
            return t
                .parse::<u16>()
                .ok()
                .and_then(Currency::from_numeric)
                .ok_or_else(|| MoneyError::UnknownCurrency(s.to_string()));
        }
        Self::ALL
            .into_iter()
            .find(|c| c.code.eq_ignore_ascii_case(t))
            .ok_or_else(|| MoneyError::UnknownCurrency(s.to_string()))
    }
}

impl Serialize for Currency {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.code)
    }
}

impl<'de> Deserialize<'de> for Currency {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = crate::lenient::string_or_number(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// An amount of money in one currency.
///
/// The amount is an exact `Decimal` in the currency's major unit (đồng for VND, dollars for USD).
/// Serializes as `{"amount": "500000", "currency": "VND"}` (amount as a decimal string).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Money {
    #[serde(with = "rust_decimal::serde::str")]
    amount: Decimal,
    currency: Currency,
}

impl Money {
    /// An amount in major units, e.g. `Money::new(dec!(500000), Currency::VND)`. The amount may carry
    /// more decimal places than the currency has; [`Money::to_minor_units`] then fails rather than rounds.
    pub fn new(amount: Decimal, currency: Currency) -> Self {
        Self { amount, currency }
    }

    /// An amount given in minor units (the "smallest currency unit" providers document): for VND,
    /// minor units are đồng, so `from_minor_units(15_000_000, Currency::VND)` is 15,000,000 VND.
    pub fn from_minor_units(minor_units: i64, currency: Currency) -> Self {
        Self {
            amount: Decimal::new(minor_units, u32::from(currency.exponent)),
            currency,
        }
    }

    /// Parses a decimal amount such as `"2525493.00"`.
    ///
    /// # Errors
    /// [`MoneyError::InvalidAmount`] when the text is not a decimal number.
    pub fn parse(amount: &str, currency: Currency) -> Result<Self, MoneyError> {
        let value = Decimal::from_str_exact(amount.trim())
            .or_else(|_| Decimal::from_scientific(amount.trim()))
            .map_err(|_| MoneyError::InvalidAmount(amount.to_string()))?;
        Ok(Self::new(value, currency))
    }

    /// Zero in `currency`.
    pub fn zero(currency: Currency) -> Self {
        Self {
            amount: Decimal::ZERO,
            currency,
        }
    }

    /// The amount in major units.
    pub fn amount(&self) -> Decimal {
        self.amount
    }

    /// The currency.
    pub fn currency(&self) -> Currency {
        self.currency
    }

    /// The amount in minor units (đồng for VND, cents for USD).
    ///
    /// # Errors
    /// [`MoneyError::PrecisionLoss`] when the amount has a fraction of a minor unit;
    /// [`MoneyError::Overflow`] when it does not fit an `i64`.
    pub fn to_minor_units(&self) -> Result<i64, MoneyError> {
        let scaled = self
            .amount
            .checked_mul(Decimal::from(10i64.pow(u32::from(self.currency.exponent))))
            .ok_or(MoneyError::Overflow)?;
        if !scaled.fract().is_zero() {
            return Err(MoneyError::PrecisionLoss {
                amount: self.amount,
                currency: self.currency,
                exponent: self.currency.exponent,
            });
        }
        i64::try_from(scaled.trunc()).map_err(|_| MoneyError::Overflow)
    }

    /// `self + other`, exactly.
    ///
    /// # Errors
    /// [`MoneyError::CurrencyMismatch`], or [`MoneyError::Overflow`] when the exact sum does not fit
    /// a `Decimal` (more than 28 significant digits): never a rounded sum.
    pub fn checked_add(&self, other: &Money) -> Result<Money, MoneyError> {
        self.same_currency(other)?;
        let amount = self.amount.checked_add(other.amount).ok_or(MoneyError::Overflow)?;
        exact_sum(self.amount, other.amount, amount)?;
        Ok(Money::new(amount, self.currency))
    }

    /// `self - other`, exactly.
    ///
    /// # Errors
    /// [`MoneyError::CurrencyMismatch`], or [`MoneyError::Overflow`] when the exact difference does
    /// not fit a `Decimal`: never a rounded difference.
    pub fn checked_sub(&self, other: &Money) -> Result<Money, MoneyError> {
        self.same_currency(other)?;
        let amount = self.amount.checked_sub(other.amount).ok_or(MoneyError::Overflow)?;
        exact_sum(self.amount, -other.amount, amount)?;
        Ok(Money::new(amount, self.currency))
    }

    /// `self * quantity`, exact (a unit price times a quantity).
    ///
    /// # Errors
    /// [`MoneyError::Overflow`] when the exact product does not fit a `Decimal` at the amount's
    /// decimal places: never a rounded product.
    pub fn checked_mul(&self, quantity: u64) -> Result<Money, MoneyError> {
        let amount = self
            .amount
            .checked_mul(Decimal::from(quantity))
            .ok_or(MoneyError::Overflow)?;
        exact_product(self.amount, quantity, amount)?;
        Ok(Money::new(amount, self.currency))
    }

    /// True when the amount is zero.
    pub fn is_zero(&self) -> bool {
        self.amount.is_zero()
    }

    /// True when the amount is below zero.
    pub fn is_negative(&self) -> bool {
        self.amount.is_sign_negative() && !self.amount.is_zero()
    }

    /// The amount as a decimal string with the currency's decimal places when that is exact
    /// (`"2525493"` for `2525493.00` VND, `"10.50"` for `10.5` USD), else every digit it has.
    pub fn amount_string(&self) -> String {
        let exponent = u32::from(self.currency.exponent);
        let normalized = self.amount.normalize();
        if normalized.scale() <= exponent {
            let mut fixed = normalized;
            fixed.rescale(exponent);
            fixed.to_string()
        } else {
            normalized.to_string()
        }
    }

    fn same_currency(&self, other: &Money) -> Result<(), MoneyError> {
        if self.currency == other.currency {
            Ok(())
        } else {
            Err(MoneyError::CurrencyMismatch {
                left: self.currency,
                right: other.currency,
            })
        }
    }
}

/// Checks that `sum` is exactly `a + b`: `Decimal` rounds a sum too long for 96 bits by dropping
/// decimal places, and money must fail ([`MoneyError::Overflow`]) rather than round. A sum with
/// all the places of its operands is exact; one with fewer (rounded, or `Decimal` skipping a zero
/// operand) is exact only if it gives each operand back.
fn exact_sum(a: Decimal, b: Decimal, sum: Decimal) -> Result<(), MoneyError> {
    if sum.scale() >= a.scale().max(b.scale()) || (sum.checked_sub(a) == Some(b) && sum.checked_sub(b) == Some(a)) {
        Ok(())
    } else {
        Err(MoneyError::Overflow)
    }
}

/// Checks that `product` is exactly `amount * quantity`: `Decimal` rounds a product too long for
/// 96 bits by dropping decimal places. A product with all the amount's places is exact; one with
/// fewer is exact only if its dropped places were zeros (checked in `i128`; past that, an error).
fn exact_product(amount: Decimal, quantity: u64, product: Decimal) -> Result<(), MoneyError> {
    let Some(dropped) = amount.scale().checked_sub(product.scale()).filter(|&d| d > 0) else {
        return Ok(());
    };
    let exact = amount.mantissa().checked_mul(i128::from(quantity));
    let widened = 10i128
        .checked_pow(dropped)
        .and_then(|p| product.mantissa().checked_mul(p));
    match (exact, widened) {
        (Some(exact), Some(widened)) if exact == widened => Ok(()),
        _ => Err(MoneyError::Overflow),
    }
}

impl fmt::Display for Money {
    /// `"2525493 VND"`, `"10.50 USD"`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.amount_string(), self.currency)
    }
}

/// Running totals per currency, e.g. the sum of every account balance across providers.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MoneyTotals {
    totals: BTreeMap<Currency, Money>,
}

impl MoneyTotals {
    /// No totals yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds `money` to the total of its currency.
    ///
    /// # Errors
    /// [`MoneyError::Overflow`].
    pub fn add(&mut self, money: &Money) -> Result<(), MoneyError> {
        let total = self
            .totals
            .entry(money.currency())
            .or_insert_with(|| Money::zero(money.currency()));
        *total = total.checked_add(money)?;
        Ok(())
    }

    /// The total in `currency`, if any amount in it was added.
    pub fn get(&self, currency: Currency) -> Option<Money> {
        self.totals.get(&currency).copied()
    }

    /// Every total, ordered by currency code.
    pub fn iter(&self) -> impl Iterator<Item = &Money> {
        self.totals.values()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Decimal {
        Decimal::from_str_exact(s).unwrap()
    }

    #[test]
    fn currency_parses_code_and_numeric() {
        assert_eq!("VND".parse::<Currency>().unwrap(), Currency::VND);
        assert_eq!("vnd".parse::<Currency>().unwrap(), Currency::VND);
        assert_eq!("704".parse::<Currency>().unwrap(), Currency::VND);
        assert_eq!("840".parse::<Currency>().unwrap(), Currency::USD);
        assert!(matches!("XYZ".parse::<Currency>(), Err(MoneyError::UnknownCurrency(_))));
        assert!(matches!("999".parse::<Currency>(), Err(MoneyError::UnknownCurrency(_))));
        assert_eq!(Currency::VND.exponent(), 0);
        assert_eq!(Currency::VND.numeric_code(), 704);
    }

    #[test]
    fn vnd_minor_units_are_dong() {
        let m = Money::from_minor_units(15_000_000, Currency::VND);
        assert_eq!(m.amount(), d("15000000"));
        assert_eq!(m.to_minor_units().unwrap(), 15_000_000);
        assert_eq!(
            Money::parse("2525493.00", Currency::VND)
                .unwrap()
                .to_minor_units()
                .unwrap(),
            2_525_493
        );
        let usd = Money::from_minor_units(1050, Currency::USD);
        assert_eq!(usd.to_string(), "10.50 USD");
    }

    #[test]
    fn to_minor_units_fails_rather_than_rounds() {
        let m = Money::parse("100.5", Currency::VND).unwrap();
        assert!(matches!(m.to_minor_units(), Err(MoneyError::PrecisionLoss { .. })));
        let cents = Money::parse("0.001", Currency::USD).unwrap();
        assert!(matches!(cents.to_minor_units(), Err(MoneyError::PrecisionLoss { .. })));
        let huge = Money::new(Decimal::MAX, Currency::VND);
        assert!(matches!(huge.to_minor_units(), Err(MoneyError::Overflow)));
    }

    #[test]
    fn arithmetic_is_checked() {
        let a = Money::from_minor_units(1, Currency::VND);
        let b = Money::from_minor_units(2, Currency::USD);
        assert!(matches!(a.checked_add(&b), Err(MoneyError::CurrencyMismatch { .. })));
        assert!(matches!(a.checked_sub(&b), Err(MoneyError::CurrencyMismatch { .. })));
        let max = Money::new(Decimal::MAX, Currency::VND);
        assert_eq!(max.checked_add(&a), Err(MoneyError::Overflow));
        assert_eq!(max.checked_mul(2), Err(MoneyError::Overflow));
        let price = Money::from_minor_units(3_000_000, Currency::VND);
        assert_eq!(
            price.checked_mul(2).unwrap(),
            Money::from_minor_units(6_000_000, Currency::VND)
        );
        assert!(a
            .checked_sub(&Money::from_minor_units(5, Currency::VND))
            .unwrap()
            .is_negative());
    }

    #[test]
    fn arithmetic_fails_rather_than_rounds() {
        // Found by tests/money_properties.rs: the exact sum has 29 significant digits, and
        // `Decimal` alone rounds it to 79228162514264337593.54397000.
        let a = Money::parse("36893488147419103232", Currency::VND).unwrap();
        let b = Money::parse("42334674366845234361.543969995", Currency::VND).unwrap();
        assert_eq!(a.checked_add(&b), Err(MoneyError::Overflow));
        let minus_b = Money::parse("-42334674366845234361.543969995", Currency::VND).unwrap();
        assert_eq!(a.checked_sub(&minus_b), Err(MoneyError::Overflow));
        let long = Money::parse("1.0000000000000000000000000001", Currency::USD).unwrap();
        assert_eq!(long.checked_mul(9), Err(MoneyError::Overflow));
        // Found by the money_parse fuzz target: exact with one place fewer (a trailing zero).
        let half = Money::parse("5.0000000000000000000000000005", Currency::JPY).unwrap();
        let double = Money::parse("10.000000000000000000000000001", Currency::JPY).unwrap();
        assert_eq!(half.checked_mul(2), Ok(double));
        assert_eq!(half.checked_add(&half), Ok(double));
        // Exact results with fewer places than an operand still pass.
        let big = Money::parse("3542051563313339553546240", Currency::VND).unwrap();
        assert_eq!(big.checked_add(&Money::parse("0.0", Currency::VND).unwrap()), Ok(big));
        assert_eq!(long.checked_mul(0).unwrap().amount(), Decimal::ZERO);
        assert_eq!(
            Money::parse("10.50", Currency::USD)
                .unwrap()
                .checked_mul(2)
                .unwrap()
                .amount_string(),
            "21.00"
        );
    }

    #[test]
    fn amount_string_uses_currency_places_when_exact() {
        assert_eq!(
            Money::parse("2525493.00", Currency::VND).unwrap().amount_string(),
            "2525493"
        );
        assert_eq!(Money::parse("0.5", Currency::VND).unwrap().amount_string(), "0.5");
        assert_eq!(Money::parse("10.5", Currency::USD).unwrap().amount_string(), "10.50");
        assert_eq!(Money::parse("1e3", Currency::VND).unwrap().amount_string(), "1000");
    }

    #[test]
    fn totals_per_currency() {
        let mut t = MoneyTotals::new();
        t.add(&Money::from_minor_units(5, Currency::VND)).unwrap();
        t.add(&Money::from_minor_units(7, Currency::VND)).unwrap();
        t.add(&Money::from_minor_units(100, Currency::USD)).unwrap();
        assert_eq!(t.get(Currency::VND), Some(Money::from_minor_units(12, Currency::VND)));
        assert_eq!(t.iter().count(), 2);
    }

    #[test]
    fn serde_round_trip_without_floats() {
        let m = Money::parse("1777283273.00", Currency::VND).unwrap();
        let json = serde_json::to_string(&m).unwrap();
        assert_eq!(json, r#"{"amount":"1777283273.00","currency":"VND"}"#);
        let back: Money = serde_json::from_str(&json).unwrap();
        assert_eq!(back, m);
        let numeric: Money = serde_json::from_str(r#"{"amount":"1","currency":"704"}"#).unwrap();
        assert_eq!(numeric.currency(), Currency::VND);
    }
}
