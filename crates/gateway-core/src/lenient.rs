//! Serde helpers for providers' loosely typed JSON, for use with `#[serde(deserialize_with = ...)]`
//! in provider wire models.
//!
//! SePay's API-token endpoints send every number and flag as a string (`"id": "25"`,
//! `"accumulated": "2525493.00"`, `"active": "1"`), while its OAuth endpoints send real JSON
//! numbers (`"accumulated": 1777283273.00`). These helpers accept both, and read decimal numbers
//! from the JSON text itself, so an amount never passes through `f64`.
//!
//! The decimal helpers need `serde_json`'s deserializer (they read the raw number text); the
//! others work with any deserializer.

use std::fmt;

use rust_decimal::Decimal;
use serde::de::{self, Deserializer, Visitor};
use serde::Deserialize;
use serde_json::value::RawValue;

/// Parses decimal text exactly: plain (`"2525493.00"`) or scientific (`"1e3"`).
pub fn parse_decimal(text: &str) -> Option<Decimal> {
    let t = text.trim();
    if t.is_empty() {
        return None;
    }
    Decimal::from_str_exact(t)
        .ok()
        .or_else(|| Decimal::from_scientific(t).ok())
}

fn decimal_from_raw<E: de::Error>(raw: &RawValue) -> Result<Option<Decimal>, E> {
    let text = raw.get().trim();
    if text == "null" {
        return Ok(None);
    }
    if text.starts_with('"') {
        let unquoted: String = serde_json::from_str(text).map_err(E::custom)?;
        if unquoted.trim().is_empty() {
            return Ok(None);
        }
        return parse_decimal(&unquoted)
            .map(Some)
            .ok_or_else(|| E::custom(format!("invalid decimal string {unquoted:?}")));
    }
    match text.as_bytes().first() {
        Some(b'-' | b'0'..=b'9') => parse_decimal(text)
            .map(Some)
            .ok_or_else(|| E::custom(format!("decimal out of range: {text}"))),
        _ => Err(E::custom(format!(
            "expected a decimal number or string, found {}",
            kind_of(text)
        ))),
    }
}

fn kind_of(json: &str) -> &'static str {
    match json.as_bytes().first() {
        Some(b'{') => "an object",
        Some(b'[') => "an array",
        Some(b't' | b'f') => "a boolean",
        _ => "another value",
    }
}

/// A decimal from a JSON number or a numeric string, exactly (no `f64`). `null` and `""` are errors.
pub fn decimal<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Decimal, D::Error> {
    let raw = Box::<RawValue>::deserialize(deserializer)?;
    decimal_from_raw(&raw)?.ok_or_else(|| de::Error::custom("expected a decimal, found null or an empty string"))
}

/// Like [`decimal`], but `null`, `""` and a missing field (with `#[serde(default)]`) give `None`.
pub fn option_decimal<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<Decimal>, D::Error> {
    let raw = Option::<Box<RawValue>>::deserialize(deserializer)?;
    match raw {
        None => Ok(None),
        Some(raw) => decimal_from_raw(&raw),
    }
}

struct StringOrNumber;

impl Visitor<'_> for StringOrNumber {
    type Value = String;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string or an integer")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<String, E> {
        Ok(v.to_string())
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<String, E> {
        Ok(v)
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<String, E> {
        Ok(v.to_string())
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<String, E> {
        Ok(v.to_string())
    }
}

/// A string from a JSON string or integer (ids: `"25"` or `25` both give `"25"`).
pub fn string_or_number<'de, D: Deserializer<'de>>(deserializer: D) -> Result<String, D::Error> {
    deserializer.deserialize_any(StringOrNumber)
}

/// Like [`string_or_number`], but `null` gives `None`.
pub fn option_string_or_number<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<String>, D::Error> {
    struct Opt;
    impl<'de> Visitor<'de> for Opt {
        type Value = Option<String>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a string, an integer or null")
        }
        fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
            string_or_number(d).map(Some)
        }
    }
    deserializer.deserialize_option(Opt)
}

/// An unsigned integer from a JSON integer or a string of digits (`"25"`).
pub fn u64_lenient<'de, D: Deserializer<'de>>(deserializer: D) -> Result<u64, D::Error> {
    let text = string_or_number(deserializer)?;
    text.trim()
        .parse()
        .map_err(|_| de::Error::custom(format!("expected an unsigned integer, found {text:?}")))
}

/// Like [`u64_lenient`], but `null` (or an absent field, with `#[serde(default)]`) gives `None`.
pub fn option_u64_lenient<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<u64>, D::Error> {
    match option_string_or_number(deserializer)? {
        None => Ok(None),
        Some(text) => text
            .trim()
            .parse()
            .map(Some)
            .map_err(|_| de::Error::custom(format!("expected an unsigned integer, found {text:?}"))),
    }
}

/// A signed integer from a JSON integer or a string of digits (`"-5"`).
pub fn i64_lenient<'de, D: Deserializer<'de>>(deserializer: D) -> Result<i64, D::Error> {
    let text = string_or_number(deserializer)?;
    text.trim()
        .parse()
        .map_err(|_| de::Error::custom(format!("expected an integer, found {text:?}")))
}

struct Flag;

impl Visitor<'_> for Flag {
    type Value = bool;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a boolean, 0 or 1, or \"0\"/\"1\"/\"true\"/\"false\"")
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<bool, E> {
        Ok(v)
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<bool, E> {
        match v {
            0 => Ok(false),
            1 => Ok(true),
            _ => Err(E::custom(format!("expected a flag 0 or 1, found {v}"))),
        }
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<bool, E> {
        u64::try_from(v)
            .map_err(|_| E::custom(format!("expected a flag 0 or 1, found {v}")))
            .and_then(|v| self.visit_u64(v))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<bool, E> {
        match v.trim() {
            "1" | "true" | "TRUE" | "True" => Ok(true),
            "0" | "false" | "FALSE" | "False" => Ok(false),
            other => Err(E::custom(format!("expected a flag \"0\" or \"1\", found {other:?}"))),
        }
    }
}

/// A flag from `true`/`false`, `0`/`1` or `"0"`/`"1"`/`"true"`/`"false"` (SePay's `"active": "1"`).
pub fn flag<'de, D: Deserializer<'de>>(deserializer: D) -> Result<bool, D::Error> {
    deserializer.deserialize_any(Flag)
}

/// Like [`flag`], but `null` gives `None`.
pub fn option_flag<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<bool>, D::Error> {
    struct Opt;
    impl<'de> Visitor<'de> for Opt {
        type Value = Option<bool>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a flag or null")
        }
        fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
            flag(d).map(Some)
        }
    }
    deserializer.deserialize_option(Opt)
}

/// Declares a provider's wire enum: known strings become variants, and the macro adds
/// `Other(String)` for any other string, so a value the provider adds later never fails decoding.
/// Generates the enum
/// (with `Debug, Clone, PartialEq, Eq, Hash`), `as_str`, `From<String>`, `From<&str>`, `Display`,
/// and serde `Serialize` / `Deserialize` as a JSON string.
///
/// ```
/// gateway_core::open_enum! {
///     /// Where an order stands.
///     pub enum OrderStatus {
///         /// `"CAPTURED"`.
///         Captured = "CAPTURED",
///     }
/// }
/// let s: OrderStatus = serde_json::from_str(r#""REFUNDED""#).unwrap();
/// assert_eq!(s, OrderStatus::Other("REFUNDED".into()));
/// assert_eq!(serde_json::to_string(&OrderStatus::Captured).unwrap(), r#""CAPTURED""#);
/// ```
#[macro_export]
macro_rules! open_enum {
    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident {
            $( $(#[$vmeta:meta])* $variant:ident = $text:literal ),+ $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        $vis enum $name {
            $( $(#[$vmeta])* $variant, )+
            /// Any other value, exactly as the provider sent it.
            Other(String),
        }

        impl $name {
            /// The text as the provider sends it.
            pub fn as_str(&self) -> &str {
                match self {
                    $( Self::$variant => $text, )+
                    Self::Other(text) => text,
                }
            }
        }

        impl ::core::convert::From<String> for $name {
            fn from(text: String) -> Self {
                match text.as_str() {
                    $( $text => Self::$variant, )+
                    _ => Self::Other(text),
                }
            }
        }

        impl ::core::convert::From<&str> for $name {
            fn from(text: &str) -> Self {
                Self::from(text.to_string())
            }
        }

        impl ::core::fmt::Display for $name {
            fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl $crate::lenient::__serde::Serialize for $name {
            fn serialize<S: $crate::lenient::__serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> $crate::lenient::__serde::Deserialize<'de> for $name {
            fn deserialize<D: $crate::lenient::__serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                <String as $crate::lenient::__serde::Deserialize>::deserialize(deserializer).map(Self::from)
            }
        }
    };
}

/// serde, for [`open_enum!`]'s expansion in crates that name it differently.
#[doc(hidden)]
pub use serde as __serde;

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Deserialize, Debug)]
    struct Row {
        #[serde(deserialize_with = "decimal")]
        amount: Decimal,
        #[serde(default, deserialize_with = "option_decimal")]
        maybe: Option<Decimal>,
        #[serde(deserialize_with = "string_or_number")]
        id: String,
        #[serde(deserialize_with = "flag")]
        active: bool,
        #[serde(default, deserialize_with = "u64_lenient")]
        count: u64,
    }

    fn row(json: &str) -> Result<Row, serde_json::Error> {
        serde_json::from_str(json)
    }

    #[test]
    fn strings_and_numbers_both_decode_exactly() {
        let a = row(r#"{"amount":"2525493.00","id":"25","active":"1","count":"3"}"#).unwrap();
        assert_eq!(a.amount.to_string(), "2525493.00");
        assert_eq!(a.id, "25");
        assert!(a.active);
        assert_eq!(a.count, 3);
        let b = row(r#"{"amount":1777283273.00,"maybe":null,"id":19,"active":true,"count":4}"#).unwrap();
        assert_eq!(b.amount.to_string(), "1777283273.00");
        assert_eq!(b.maybe, None);
        assert_eq!(b.id, "19");
        // More digits than f64 can hold survive exactly.
        let c = row(r#"{"amount":12345678901234567.89,"maybe":"","id":"1","active":0}"#).unwrap();
        assert_eq!(c.amount.to_string(), "12345678901234567.89");
        assert_eq!(c.maybe, None);
        assert!(!c.active);
    }

    #[test]
    fn wrong_types_are_errors_not_panics() {
        assert!(row(r#"{"amount":"12abc","id":"1","active":"1"}"#).is_err());
        assert!(row(r#"{"amount":{},"id":"1","active":"1"}"#).is_err());
        assert!(row(r#"{"amount":null,"id":"1","active":"1"}"#).is_err());
        assert!(row(r#"{"amount":"1","id":"1","active":"yes"}"#).is_err());
        assert!(row(r#"{"amount":"1","id":"1","active":2}"#).is_err());
        assert!(row(r#"{"amount":"1","id":1.5,"active":"1"}"#).is_err());
        assert!(row(r#"{"amount":"1","id":"1","active":"1","count":"-1"}"#).is_err());
        assert!(row(r#"{"amount":1e400,"id":"1","active":"1"}"#).is_err());
    }
}
