//! The VietQR string: writing it and reading it back.
//!
//! # Layout written
//!
//! Data objects in ascending tag order, optional ones left out when empty:
//!
//! | tag | value |
//! |-----|-------|
//! | `00` | `"01"` payload format |
//! | `01` | `"11"` static / `"12"` dynamic |
//! | `38` | `00` GUID `"A000000727"`, `01` { `00` BIN, `01` account or card number }, `02` service |
//! | `53` | `"704"` (VND) |
//! | `54` | amount in whole VND, only when there is one |
//! | `58` | `"VN"` |
//! | `62` | `08` remark, only when there is one (no empty `62`) |
//! | `63` | CRC-16/CCITT-FALSE of everything before its value, `"6304"` included |
//!
//! This is the canonical form: EMVCo fixes only `00` first and `63` last, and this ascending
//! order with empty templates left out is what the independent `vietnam-qr-pay` produces too
//! (checked byte for byte by `tests/peer.rs`) and what the NAPAS examples show.
//!
//! # Reading
//!
//! [`decode`] checks, in this order: the string ends in `"6304"` and 4 hexadecimal digits (either
//! case); the CRC matches; the whole string is well-formed TLV with the CRC as its last data object;
//! then tags `00`, `01`, `38` (GUID, BIN, account, service), `53`, `54`, `58` and `62.08`. Unknown
//! tags, at any level, are skipped (they are still covered by the CRC); a tag it reads may not
//! appear twice. Tags it does not model (merchant name `59`, reference `62.05`, ...) are dropped,
//! so re-encoding a decoded value can give a shorter string.

use crate::crc::crc_hex;
use crate::error::VietQrError;
use crate::model::{check_account_number, check_amount, check_bin, Initiation, Service, VietQr};
use crate::tlv::{self, Field, Reader};

/// The NAPAS VietQR GUID (tag `38.00`).
pub const GUID: &str = "A000000727";

/// ISO 4217 numeric code of the Vietnamese đồng (tag `53`).
pub const CURRENCY_VND: &str = "704";

/// ISO 3166 country code (tag `58`).
pub const COUNTRY_CODE: &str = "VN";

/// The payload format indicator (tag `00`).
pub const PAYLOAD_FORMAT: &str = "01";

/// The CRC data object's id and length, which the CRC covers.
const CRC_HEADER: &str = "6304";

fn tlv_error(path: &'static str) -> impl Fn(tlv::TlvError) -> VietQrError {
    move |source| VietQrError::Tlv { path, source }
}

pub(crate) fn encode(qr: &VietQr) -> Result<String, VietQrError> {
    let mut consumer = String::new();
    tlv::write(&mut consumer, 0, &qr.bin).map_err(tlv_error("38.01"))?;
    tlv::write(&mut consumer, 1, &qr.account_number).map_err(tlv_error("38.01"))?;

    let mut merchant = String::new();
    tlv::write(&mut merchant, 0, GUID).map_err(tlv_error("38"))?;
    tlv::write(&mut merchant, 1, &consumer).map_err(tlv_error("38"))?;
    tlv::write(&mut merchant, 2, qr.service.code()).map_err(tlv_error("38"))?;

    let mut out = String::with_capacity(200);
    let top = tlv_error("payload");
    tlv::write(&mut out, 0, PAYLOAD_FORMAT).map_err(&top)?;
    tlv::write(&mut out, 1, qr.initiation.code()).map_err(&top)?;
    tlv::write(&mut out, 38, &merchant).map_err(&top)?;
    tlv::write(&mut out, 53, CURRENCY_VND).map_err(&top)?;
    if let Some(amount) = qr.amount {
        tlv::write(&mut out, 54, &amount.to_string()).map_err(&top)?;
    }
    tlv::write(&mut out, 58, COUNTRY_CODE).map_err(&top)?;
    if let Some(purpose) = &qr.purpose {
        let mut additional = String::new();
        tlv::write(&mut additional, 8, purpose).map_err(tlv_error("62"))?;
        tlv::write(&mut out, 62, &additional).map_err(&top)?;
    }
    out.push_str(CRC_HEADER);
    let crc = crc_hex(&out);
    out.push_str(&crc);
    Ok(out)
}

/// Decodes a VietQR string (exactly as scanned: no surrounding whitespace).
///
/// Errors, each a [`VietQrError`] variant: `MissingCrc`, `CrcMismatch`, `Tlv` (id or length not
/// digits, a length past the end, a value that splits a UTF-8 character), `CrcNotLast`,
/// `MissingTag`, `DuplicateTag`, `InvalidValue` (`00` ≠ `"01"`, `01` not `"11"`/`"12"`, `58` ≠
/// `"VN"`), `WrongGuid`, `InvalidBin`, `InvalidAccountNumber`, `UnknownService`,
/// `UnsupportedCurrency`, `InvalidAmount`, `ZeroAmount`, `AmountTooLarge`, `AmountOnStaticQr`.
/// Never panics.
///
/// ```
/// let qr = gateway_vietqr::decode(
///     "00020101021238530010A0000007270123000697041601092576788590208QRIBFTTA5303704540410005802VN62150811Chuyen tien6304BBB8",
/// )?;
/// assert_eq!((qr.bin(), qr.account_number(), qr.amount()), ("970416", "257678859", Some(1000)));
/// assert_eq!(qr.purpose(), Some("Chuyen tien"));
/// # Ok::<(), gateway_vietqr::VietQrError>(())
/// ```
pub fn decode(payload: &str) -> Result<VietQr, VietQrError> {
    let crc_offset = check_crc(payload)?;

    let root = Reader::new(payload)
        .collect::<Result<Vec<_>, _>>()
        .map_err(tlv_error("payload"))?;
    match root.iter().filter(|f| f.id == 63).collect::<Vec<_>>().as_slice() {
        [crc] if crc.offset == crc_offset => {}
        _ => return Err(VietQrError::CrcNotLast),
    }

    let format = required(&root, 0, "00")?;
    if format != PAYLOAD_FORMAT {
        return Err(VietQrError::InvalidValue {
            tag: "00",
            expected: "\"01\"",
            found: format.to_owned(),
        });
    }
    let initiation_code = required(&root, 1, "01")?;
    let initiation = Initiation::from_code(initiation_code).ok_or_else(|| VietQrError::InvalidValue {
        tag: "01",
        expected: "\"11\" (static) or \"12\" (dynamic)",
        found: initiation_code.to_owned(),
    })?;

    let merchant = template(required_field(&root, 38, "38")?, "38")?;
    let guid = required(&merchant, 0, "38.00")?;
    if guid != GUID {
        return Err(VietQrError::WrongGuid { found: guid.to_owned() });
    }
    let consumer = template(required_field(&merchant, 1, "38.01")?, "38.01")?;
    let bin = required(&consumer, 0, "38.01.00")?;
    check_bin(bin)?;
    let account_number = required(&consumer, 1, "38.01.01")?;
    check_account_number(account_number)?;
    let service_code = required(&merchant, 2, "38.02")?;
    let service = Service::from_code(service_code).ok_or_else(|| VietQrError::UnknownService {
        found: service_code.to_owned(),
    })?;

    let currency = required(&root, 53, "53")?;
    if currency != CURRENCY_VND {
        return Err(VietQrError::UnsupportedCurrency {
            found: currency.to_owned(),
        });
    }
    let amount = optional(&root, 54, "54")?.map(parse_amount).transpose()?;
    check_amount(initiation, amount)?;
    let country = required(&root, 58, "58")?;
    if country != COUNTRY_CODE {
        return Err(VietQrError::InvalidValue {
            tag: "58",
            expected: "\"VN\"",
            found: country.to_owned(),
        });
    }

    let purpose = match optional_field(&root, 62, "62")? {
        Some(field) => optional(&template(field, "62")?, 8, "62.08")?
            .filter(|p| !p.is_empty())
            .map(str::to_owned),
        None => None,
    };

    Ok(VietQr {
        bin: bin.to_owned(),
        account_number: account_number.to_owned(),
        service,
        initiation,
        amount,
        purpose,
    })
}

/// Checks the trailing `"6304XXXX"` and the CRC; returns the byte offset of `"6304"`.
fn check_crc(payload: &str) -> Result<usize, VietQrError> {
    let bytes = payload.as_bytes();
    let crc_offset = bytes
        .len()
        .checked_sub(CRC_HEADER.len() + 4)
        .ok_or(VietQrError::MissingCrc)?;
    let (content, found) = bytes.split_at(bytes.len() - 4);
    let header = content.get(crc_offset..).ok_or(VietQrError::MissingCrc)?;
    if header != CRC_HEADER.as_bytes() || !found.iter().all(u8::is_ascii_hexdigit) {
        return Err(VietQrError::MissingCrc);
    }
    // `found` is four ASCII bytes, so `content` ends on a character boundary.
    let content = payload
        .get(..crc_offset + CRC_HEADER.len())
        .ok_or(VietQrError::MissingCrc)?;
    let computed = crc_hex(content);
    let found = String::from_utf8_lossy(found).to_ascii_uppercase();
    if computed != found {
        return Err(VietQrError::CrcMismatch { computed, found });
    }
    Ok(crc_offset)
}

fn parse_amount(value: &str) -> Result<u64, VietQrError> {
    let invalid = || VietQrError::InvalidAmount {
        found: value.to_owned(),
    };
    if value.is_empty() || !value.bytes().all(|b| b.is_ascii_digit()) {
        return Err(invalid());
    }
    // All digits: parsing fails only on overflow, which is past MAX_AMOUNT anyway.
    value.parse::<u64>().map_err(|_| invalid())
}

fn template<'a>(field: Field<'a>, path: &'static str) -> Result<Vec<Field<'a>>, VietQrError> {
    field.nested().collect::<Result<Vec<_>, _>>().map_err(tlv_error(path))
}

fn optional_field<'a>(fields: &[Field<'a>], id: u8, tag: &'static str) -> Result<Option<Field<'a>>, VietQrError> {
    let mut found = fields.iter().filter(|f| f.id == id);
    match (found.next(), found.next()) {
        (Some(_), Some(_)) => Err(VietQrError::DuplicateTag { tag }),
        (first, _) => Ok(first.copied()),
    }
}

fn required_field<'a>(fields: &[Field<'a>], id: u8, tag: &'static str) -> Result<Field<'a>, VietQrError> {
    optional_field(fields, id, tag)?.ok_or(VietQrError::MissingTag { tag })
}

fn optional<'a>(fields: &[Field<'a>], id: u8, tag: &'static str) -> Result<Option<&'a str>, VietQrError> {
    Ok(optional_field(fields, id, tag)?.map(|f| f.value))
}

fn required<'a>(fields: &[Field<'a>], id: u8, tag: &'static str) -> Result<&'a str, VietQrError> {
    Ok(required_field(fields, id, tag)?.value)
}
