//! The VietQR value, its parts and its builder.

use std::fmt;
use std::str::FromStr;

use rust_decimal::Decimal;

use crate::error::VietQrError;
use crate::remark::{is_remark_char, strip_diacritics};

/// The largest amount tag `54` can carry: 13 digits (EMVCo's limit), in VND.
pub const MAX_AMOUNT: u64 = 9_999_999_999_999;

/// The longest remark, in bytes: tag `62` holds at most 99 bytes, and the `08` data object's id
/// and length take 4 of them.
pub const MAX_REMARK_LEN: usize = 95;

/// The longest account or card number, in characters (ASCII letters or digits).
pub const MAX_ACCOUNT_NUMBER_LEN: usize = 19;

/// What the QR pays to (tag `38.02`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Service {
    /// Transfer to a bank account number: `"QRIBFTTA"`.
    #[default]
    ToAccount,
    /// Transfer to a card number: `"QRIBFTTC"`.
    ToCard,
}

impl Service {
    /// The service code written in tag `38.02`: `"QRIBFTTA"` or `"QRIBFTTC"`.
    pub fn code(self) -> &'static str {
        match self {
            Service::ToAccount => "QRIBFTTA",
            Service::ToCard => "QRIBFTTC",
        }
    }

    /// The service for a code from tag `38.02`, if it is one of the two.
    pub fn from_code(code: &str) -> Option<Self> {
        match code {
            "QRIBFTTA" => Some(Service::ToAccount),
            "QRIBFTTC" => Some(Service::ToCard),
            _ => None,
        }
    }
}

/// Point of initiation (tag `01`): whether the QR is reusable or made for one payment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Initiation {
    /// `"11"`: reusable, printed once; carries no amount (the payer types it).
    #[default]
    Static,
    /// `"12"`: made for one payment, normally with an amount.
    Dynamic,
}

impl Initiation {
    /// The code written in tag `01`: `"11"` or `"12"`.
    pub fn code(self) -> &'static str {
        match self {
            Initiation::Static => "11",
            Initiation::Dynamic => "12",
        }
    }

    /// The initiation for a code from tag `01`, if it is one of the two.
    pub fn from_code(code: &str) -> Option<Self> {
        match code {
            "11" => Some(Initiation::Static),
            "12" => Some(Initiation::Dynamic),
            _ => None,
        }
    }
}

/// A NAPAS VietQR: a bank transfer request in the EMVCo merchant-presented QR format.
///
/// Only two ways make one, and both check it: [`VietQr::builder`] and [`VietQr::decode`]. Its
/// fields are therefore private and always valid, which is why [`Display`](fmt::Display) (the
/// encoded string) cannot fail. Invariants:
/// - `bin`: exactly 6 ASCII digits;
/// - `account_number`: 1 to 19 ASCII letters or digits;
/// - `amount`: `1..=MAX_AMOUNT` VND when present, and only with [`Initiation::Dynamic`];
/// - `purpose`: non-empty and at most [`MAX_REMARK_LEN`] bytes when present. The builder further
///   makes it printable ASCII (diacritics stripped); a decoded remark is kept as written.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct VietQr {
    pub(crate) bin: String,
    pub(crate) account_number: String,
    pub(crate) service: Service,
    pub(crate) initiation: Initiation,
    pub(crate) amount: Option<u64>,
    pub(crate) purpose: Option<String>,
}

impl VietQr {
    /// Starts a VietQR paying to account (or card) `account_number` at the bank whose NAPAS BIN
    /// is `bin` (6 digits, e.g. `"970436"` for Vietcombank). Defaults: [`Service::ToAccount`], no
    /// amount, no remark, and [`Initiation`] chosen from the amount.
    pub fn builder(bin: impl Into<String>, account_number: impl Into<String>) -> VietQrBuilder {
        VietQrBuilder::new(bin, account_number)
    }

    /// The bank's NAPAS BIN: 6 ASCII digits (tag `38.01.00`).
    pub fn bin(&self) -> &str {
        &self.bin
    }

    /// The account or card number: 1 to 19 ASCII letters or digits (tag `38.01.01`).
    pub fn account_number(&self) -> &str {
        &self.account_number
    }

    /// Account or card transfer (tag `38.02`).
    pub fn service(&self) -> Service {
        self.service
    }

    /// Static or dynamic (tag `01`).
    pub fn initiation(&self) -> Initiation {
        self.initiation
    }

    /// The amount in whole Vietnamese đồng (VND has no minor unit), if the QR fixes one (tag `54`).
    pub fn amount(&self) -> Option<u64> {
        self.amount
    }

    /// The amount as a [`Decimal`] of VND with scale 0, for code that carries money as decimals.
    pub fn amount_decimal(&self) -> Option<Decimal> {
        self.amount.map(Decimal::from)
    }

    /// The remark / purpose of the transfer (tag `62.08`): printable ASCII when built here; as
    /// written when decoded.
    pub fn purpose(&self) -> Option<&str> {
        self.purpose.as_deref()
    }

    /// Decodes a VietQR string; the same as the free function [`crate::decode`].
    pub fn decode(payload: &str) -> Result<Self, VietQrError> {
        crate::codec::decode(payload)
    }

    /// Encodes this VietQR as its EMVCo string (see [`crate::codec`] for the exact layout).
    ///
    /// The value was checked when it was built or decoded, so this re-checks only as a guard: it
    /// returns an error only if a future change broke an invariant.
    pub fn encode(&self) -> Result<String, VietQrError> {
        self.check()?;
        crate::codec::encode(self)
    }

    fn check(&self) -> Result<(), VietQrError> {
        check_bin(&self.bin)?;
        check_account_number(&self.account_number)?;
        check_amount(self.initiation, self.amount)?;
        match &self.purpose {
            Some(p) if p.is_empty() || p.len() > MAX_REMARK_LEN => Err(VietQrError::RemarkTooLong {
                bytes: p.len(),
                max: MAX_REMARK_LEN,
            }),
            _ => Ok(()),
        }
    }
}

/// The encoded string, the same as [`VietQr::encode`].
impl fmt::Display for VietQr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Cannot fail for a value made by the builder or the decoder (see the type's invariants).
        f.write_str(&self.encode().map_err(|_| fmt::Error)?)
    }
}

/// Decodes, the same as [`VietQr::decode`].
impl FromStr for VietQr {
    type Err = VietQrError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        crate::codec::decode(s)
    }
}

/// Builds a [`VietQr`], checking every field in [`build`](VietQrBuilder::build).
///
/// ```
/// use gateway_vietqr::{Initiation, Service, VietQr};
///
/// let qr = VietQr::builder("970416", "257678859")
///     .amount(10_000)
///     .purpose("Chuyển tiền")
///     .build()?;
/// assert_eq!(qr.initiation(), Initiation::Dynamic); // chosen because there is an amount
/// assert_eq!(qr.purpose(), Some("Chuyen tien"));    // diacritics stripped
/// assert_eq!(qr.service(), Service::ToAccount);
/// # Ok::<(), gateway_vietqr::VietQrError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[must_use]
pub struct VietQrBuilder {
    bin: String,
    account_number: String,
    service: Service,
    initiation: Option<Initiation>,
    amount: Option<u64>,
    purpose: Option<String>,
}

impl VietQrBuilder {
    /// The same as [`VietQr::builder`].
    pub fn new(bin: impl Into<String>, account_number: impl Into<String>) -> Self {
        VietQrBuilder {
            bin: bin.into(),
            account_number: account_number.into(),
            service: Service::ToAccount,
            initiation: None,
            amount: None,
            purpose: None,
        }
    }

    /// Pays to an account number (the default) or a card number.
    pub fn service(mut self, service: Service) -> Self {
        self.service = service;
        self
    }

    /// The amount in whole VND, `1..=MAX_AMOUNT`. Makes the QR [`Initiation::Dynamic`] unless
    /// [`initiation`](Self::initiation) says otherwise (and `Static` with an amount is an error).
    pub fn amount(mut self, vnd: u64) -> Self {
        self.amount = Some(vnd);
        self
    }

    /// Sets the initiation explicitly. Without this call it is `Dynamic` when there is an amount
    /// and `Static` otherwise (the choice `vietnam-qr-pay` makes too). `Dynamic` without an amount
    /// is allowed (a single-use QR where the payer types the amount); `Static` with an amount is
    /// rejected by [`build`](Self::build).
    pub fn initiation(mut self, initiation: Initiation) -> Self {
        self.initiation = Some(initiation);
        self
    }

    /// The remark shown to both sides of the transfer (tag `62.08`). Vietnamese diacritics are
    /// stripped (`"Trả tiền điện"` → `"Tra tien dien"`); what remains must be printable ASCII and at
    /// most [`MAX_REMARK_LEN`] bytes. An empty remark means no remark: tag `62` is left out.
    pub fn purpose(mut self, remark: impl Into<String>) -> Self {
        self.purpose = Some(remark.into());
        self
    }

    /// Checks every field and makes the [`VietQr`].
    ///
    /// Errors: [`VietQrError::InvalidBin`], [`VietQrError::InvalidAccountNumber`],
    /// [`VietQrError::ZeroAmount`], [`VietQrError::AmountTooLarge`],
    /// [`VietQrError::AmountOnStaticQr`], [`VietQrError::InvalidRemarkChar`],
    /// [`VietQrError::RemarkTooLong`].
    pub fn build(self) -> Result<VietQr, VietQrError> {
        check_bin(&self.bin)?;
        check_account_number(&self.account_number)?;
        let initiation = self.initiation.unwrap_or(if self.amount.is_some() {
            Initiation::Dynamic
        } else {
            Initiation::Static
        });
        check_amount(initiation, self.amount)?;
        let purpose = match self.purpose {
            Some(remark) => normalize_remark(&remark)?,
            None => None,
        };
        Ok(VietQr {
            bin: self.bin,
            account_number: self.account_number,
            service: self.service,
            initiation,
            amount: self.amount,
            purpose,
        })
    }
}

/// Strips diacritics, checks the result, and maps an empty remark to none.
fn normalize_remark(remark: &str) -> Result<Option<String>, VietQrError> {
    let ascii = strip_diacritics(remark);
    if let Some(ch) = ascii.chars().find(|&c| !is_remark_char(c)) {
        return Err(VietQrError::InvalidRemarkChar { ch });
    }
    if ascii.len() > MAX_REMARK_LEN {
        return Err(VietQrError::RemarkTooLong {
            bytes: ascii.len(),
            max: MAX_REMARK_LEN,
        });
    }
    Ok(if ascii.is_empty() { None } else { Some(ascii) })
}

pub(crate) fn check_bin(bin: &str) -> Result<(), VietQrError> {
    if bin.len() == 6 && bin.bytes().all(|b| b.is_ascii_digit()) {
        Ok(())
    } else {
        Err(VietQrError::InvalidBin { found: bin.to_owned() })
    }
}

pub(crate) fn check_account_number(number: &str) -> Result<(), VietQrError> {
    if (1..=MAX_ACCOUNT_NUMBER_LEN).contains(&number.len()) && number.bytes().all(|b| b.is_ascii_alphanumeric()) {
        Ok(())
    } else {
        Err(VietQrError::InvalidAccountNumber {
            found: number.to_owned(),
        })
    }
}

pub(crate) fn check_amount(initiation: Initiation, amount: Option<u64>) -> Result<(), VietQrError> {
    match amount {
        None => Ok(()),
        Some(0) => Err(VietQrError::ZeroAmount),
        Some(amount) if amount > MAX_AMOUNT => Err(VietQrError::AmountTooLarge { amount }),
        Some(_) if initiation == Initiation::Static => Err(VietQrError::AmountOnStaticQr),
        Some(_) => Ok(()),
    }
}
