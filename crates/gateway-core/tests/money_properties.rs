//! proptest: Money arithmetic never silently rounds. Every result is the exact value (checked
//! against integer arithmetic in i128, or a decimal's own inverse) or an error.

use gateway_core::{Currency, Money, MoneyError};
use proptest::prelude::*;
use rust_decimal::Decimal;

const CURRENCIES: [Currency; 4] = [Currency::VND, Currency::USD, Currency::JPY, Currency::EUR];

fn currency() -> impl Strategy<Value = Currency> {
    proptest::sample::select(CURRENCIES.to_vec())
}

/// An amount `mantissa / 10^scale` that fits i64 (so exact sums and products fit i128).
fn small() -> impl Strategy<Value = (i64, u32)> {
    (any::<i64>(), 0u32..=8)
}

/// Any decimal, up to 28 digits and any scale: where rounding would happen if it could.
fn any_decimal() -> impl Strategy<Value = Decimal> {
    (any::<u32>(), any::<u32>(), any::<u32>(), any::<bool>(), 0u32..=28)
        .prop_map(|(lo, mid, hi, negative, scale)| Decimal::from_parts(lo, mid, hi, negative, scale))
}

/// Two decimals whose scales differ by at most 9, so both fit i128 at the larger scale.
fn decimal_pair() -> impl Strategy<Value = (Decimal, Decimal)> {
    (any_decimal(), any_decimal(), 0u32..=9).prop_map(|(a, b, gap)| {
        let mut b = b;
        let scale = (a.scale() + gap).min(28);
        b.set_scale(scale).expect("a scale up to 28");
        (a, b)
    })
}

/// True when `value` is exactly `mantissa / 10^scale`.
fn equals(value: Decimal, mantissa: i128, scale: u32) -> bool {
    let (m, s) = (value.mantissa(), value.scale());
    if s <= scale {
        10i128.checked_pow(scale - s).and_then(|p| m.checked_mul(p)) == Some(mantissa)
    } else {
        10i128.checked_pow(s - scale).and_then(|p| mantissa.checked_mul(p)) == Some(m)
    }
}

/// `value` (mantissa, scale) at `scale` as an i128 mantissa.
fn at_scale((mantissa, scale): (i64, u32), to: u32) -> i128 {
    i128::from(mantissa) * 10i128.pow(to - scale)
}

fn money((mantissa, scale): (i64, u32), currency: Currency) -> Money {
    Money::new(Decimal::new(mantissa, scale), currency)
}

/// `i128` mantissa at `scale` as a decimal, if it fits one.
fn exact(mantissa: i128, scale: u32) -> Option<Decimal> {
    Decimal::try_from_i128_with_scale(mantissa, scale).ok()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    #[test]
    fn add_and_sub_are_exact(a in small(), b in small(), currency in currency()) {
        let scale = a.1.max(b.1);
        let (x, y) = (money(a, currency), money(b, currency));
        let sum = x.checked_add(&y).expect("i64-sized amounts add");
        prop_assert_eq!(Some(sum.amount()), exact(at_scale(a, scale) + at_scale(b, scale), scale));
        let difference = x.checked_sub(&y).expect("i64-sized amounts subtract");
        prop_assert_eq!(Some(difference.amount()), exact(at_scale(a, scale) - at_scale(b, scale), scale));
        prop_assert_eq!(sum.currency(), currency);
    }

    #[test]
    fn mul_is_exact(a in small(), quantity in any::<u32>(), currency in currency()) {
        let product = money(a, currency).checked_mul(u64::from(quantity)).expect("fits");
        prop_assert_eq!(Some(product.amount()), exact(i128::from(a.0) * i128::from(quantity), a.1));
    }

    /// Near the 28-digit limit (where `Decimal` itself would round to fit 96 bits): the result is
    /// the exact value, checked in i128, or an error.
    #[test]
    fn large_amounts_are_exact_or_errors((a, b) in decimal_pair(), quantity in 0u64..(1 << 30)) {
        let (x, y) = (Money::new(a, Currency::VND), Money::new(b, Currency::VND));
        let scale = a.scale().max(b.scale());
        let (ma, mb) = (a.mantissa() * 10i128.pow(scale - a.scale()), b.mantissa() * 10i128.pow(scale - b.scale()));
        // An error only where the exact result does not fit a `Decimal`; otherwise that result.
        let representable = |m: Option<i128>, scale: u32| m.and_then(|m| exact(m, scale)).is_some();
        match x.checked_add(&y) {
            Ok(sum) => prop_assert!(equals(sum.amount(), ma + mb, scale), "{a} + {b} gave {}", sum.amount()),
            Err(e) => prop_assert!(!representable(ma.checked_add(mb), scale), "{a} + {b} fits but gave {e}"),
        }
        match x.checked_sub(&y) {
            Ok(difference) => {
                prop_assert!(equals(difference.amount(), ma - mb, scale), "{a} - {b} gave {}", difference.amount())
            }
            Err(e) => prop_assert!(!representable(ma.checked_sub(mb), scale), "{a} - {b} fits but gave {e}"),
        }
        let product = a.mantissa().checked_mul(i128::from(quantity));
        match x.checked_mul(quantity) {
            Ok(p) => prop_assert!(
                equals(p.amount(), product.expect("an Ok product fits i128"), a.scale()),
                "{a} * {quantity} gave {}",
                p.amount()
            ),
            Err(e) => prop_assert!(!representable(product, a.scale()), "{a} * {quantity} fits but gave {e}"),
        }
    }

    /// `to_minor_units` is exact or an error: more decimals than the currency's exponent (VND: 0)
    /// is `PrecisionLoss`; otherwise the mantissa scaled to the exponent, when it fits i64.
    #[test]
    fn to_minor_units_never_rounds(a in small(), currency in currency()) {
        let m = money(a, currency);
        let exponent = u32::from(currency.exponent());
        let normalized = m.amount().normalize();
        match m.to_minor_units() {
            Ok(minor) => {
                prop_assert!(normalized.scale() <= exponent);
                prop_assert_eq!(Money::from_minor_units(minor, currency), m);
            }
            Err(MoneyError::PrecisionLoss { exponent: e, .. }) => {
                prop_assert_eq!(u32::from(e), exponent);
                prop_assert!(normalized.scale() > exponent, "{m} is whole minor units");
            }
            Err(MoneyError::Overflow) => {
                prop_assert!(normalized.scale() <= exponent);
                let minor = at_scale(a, a.1.max(exponent)) / 10i128.pow(a.1.max(exponent) - exponent);
                prop_assert!(i64::try_from(minor).is_err(), "{m} fits i64 minor units");
            }
            Err(other) => prop_assert!(false, "unexpected {other}"),
        }
    }

    #[test]
    fn vnd_has_no_minor_unit(whole in any::<i64>(), tenths in 1i64..=9) {
        prop_assert_eq!(Currency::VND.exponent(), 0);
        prop_assert_eq!(Money::from_minor_units(whole, Currency::VND).amount(), Decimal::from(whole));
        let fraction = Money::new(Decimal::new(tenths, 1), Currency::VND);
        let is_precision_loss = matches!(fraction.to_minor_units(), Err(MoneyError::PrecisionLoss { .. }));
        prop_assert!(is_precision_loss);
    }

    /// `amount_string` (what `Display` prints) parses back to the same amount.
    #[test]
    fn amount_string_parses_back(a in any_decimal(), currency in currency()) {
        let m = Money::new(a, currency);
        prop_assert_eq!(Money::parse(&m.amount_string(), currency), Ok(m));
        let json = serde_json::to_string(&m).unwrap();
        prop_assert_eq!(serde_json::from_str::<Money>(&json).unwrap(), m);
    }
}
