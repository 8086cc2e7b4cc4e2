//! The one error type of this crate (rendering adds its own, see `render`).

use crate::tlv::TlvError;

/// Why a VietQR could not be built, encoded or decoded.
///
/// Tag paths such as `"38.01.00"` name a data object inside templates: tag `00` inside `01` inside
/// `38`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum VietQrError {
    /// The bank BIN (tag `38.01.00`) is not exactly 6 ASCII digits.
    #[error("bank BIN must be exactly 6 ASCII digits, got {found:?}")]
    InvalidBin {
        /// The rejected value.
        found: String,
    },
    /// The account or card number (tag `38.01.01`) is not 1 to 19 ASCII letters or digits.
    #[error("account or card number must be 1 to 19 ASCII letters or digits, got {found:?}")]
    InvalidAccountNumber {
        /// The rejected value.
        found: String,
    },
    /// An amount of zero đồng was given (leave the amount out instead).
    #[error("amount must be at least 1 VND; leave it out for a QR without an amount")]
    ZeroAmount,
    /// The amount has more than 13 digits (the EMVCo limit for tag `54`).
    #[error("amount {amount} VND has more than 13 digits")]
    AmountTooLarge {
        /// The rejected amount, in VND.
        amount: u64,
    },
    /// Decoding: tag `54` is not a whole number of đồng written in ASCII digits.
    #[error("amount (tag 54) must be ASCII digits (whole VND), got {found:?}")]
    InvalidAmount {
        /// The rejected value.
        found: String,
    },
    /// An amount was given on a static QR (`01` = `"11"`); an amount requires a dynamic QR
    /// (`"12"`).
    #[error("a static QR (initiation 11) cannot carry an amount; use a dynamic QR (12)")]
    AmountOnStaticQr,
    /// The remark still holds a character that is not printable ASCII after Vietnamese
    /// diacritics were stripped.
    #[error(
        "remark character {ch:?} is not printable ASCII (Vietnamese diacritics are stripped, other characters are not)"
    )]
    InvalidRemarkChar {
        /// The first offending character.
        ch: char,
    },
    /// The remark is too long: tag `62` holds at most 99 bytes, and `08` plus its length take 4 of
    /// them.
    #[error("remark is {bytes} bytes after stripping diacritics, at most {max} fit")]
    RemarkTooLong {
        /// The remark's length in bytes, after stripping diacritics.
        bytes: usize,
        /// The most that fits: 95.
        max: usize,
    },
    /// Decoding: the string does not end with a CRC data object (`"6304"` and 4 hexadecimal
    /// digits).
    #[error("the string does not end with a CRC field (\"6304\" and 4 hexadecimal digits)")]
    MissingCrc,
    /// Decoding: the CRC in the string is not the CRC of its content (a misread or altered
    /// string).
    #[error("CRC mismatch: the string says {found}, its content gives {computed}")]
    CrcMismatch {
        /// The CRC computed over the content, 4 uppercase hexadecimal digits.
        computed: String,
        /// The CRC written in the string.
        found: String,
    },
    /// Decoding: the trailing `"6304…"` is not a data object of its own (the one before it
    /// claims those bytes, or the CRC tag appears earlier too).
    #[error("the CRC field is not the last data object of the string")]
    CrcNotLast,
    /// A TLV string is malformed (decoding) or a value does not fit a data object (encoding).
    #[error("malformed TLV in {path}: {source}")]
    Tlv {
        /// Where: `"payload"` for the top level, or the template's tag (`"38"`, `"38.01"`, `"62"`).
        path: &'static str,
        /// What is wrong.
        #[source]
        source: TlvError,
    },
    /// Decoding: a mandatory data object is missing.
    #[error("mandatory tag {tag} is missing")]
    MissingTag {
        /// Its path, such as `"53"` or `"38.01.00"`.
        tag: &'static str,
    },
    /// Decoding: a data object this crate reads appears more than once in its template.
    #[error("tag {tag} appears more than once")]
    DuplicateTag {
        /// Its path.
        tag: &'static str,
    },
    /// Decoding: a data object with a fixed set of values holds another (`00` payload format,
    /// `01` initiation, `58` country).
    #[error("tag {tag} must be {expected}, got {found:?}")]
    InvalidValue {
        /// Its path.
        tag: &'static str,
        /// What it must hold.
        expected: &'static str,
        /// What it holds.
        found: String,
    },
    /// Decoding: tag `38.00` is not the NAPAS VietQR GUID `"A000000727"`.
    #[error("not a VietQR: GUID (tag 38.00) is {found:?}, expected \"A000000727\"")]
    WrongGuid {
        /// The GUID found.
        found: String,
    },
    /// Decoding: the currency (tag `53`) is not `"704"` (VND).
    #[error("currency (tag 53) must be \"704\" (VND), got {found:?}")]
    UnsupportedCurrency {
        /// The ISO 4217 numeric code found.
        found: String,
    },
    /// Decoding: the service code (tag `38.02`) is neither `"QRIBFTTA"` nor `"QRIBFTTC"`.
    #[error("service (tag 38.02) must be \"QRIBFTTA\" (to account) or \"QRIBFTTC\" (to card), got {found:?}")]
    UnknownService {
        /// The service code found.
        found: String,
    },
}
