//! The `bank_transfer_detail.qr_code` string: a NAPAS VietQR (EMVCo merchant-presented) payload,
//! built here from the format description in `shared/reference/providers.md` rather than shared
//! with any other crate, like everything in the sandbox.
//!
//! TLV fields (2-digit id, 2-digit byte length, value): 00 "01", 01 "12" (dynamic: carries an
//! amount), 38 the beneficiary {00 GUID "A000000727", 01 {00 BIN, 01 account}, 02 "QRIBFTTA"},
//! 53 "704" (VND), 54 amount, 58 "VN", 62 {08 remark}, then 63 the CRC-16/CCITT-FALSE of everything
//! before it, "6304" included, as 4 upper-case hex digits.

const NAPAS_GUID: &str = "A000000727";
/// Service code for a transfer to an account number (QRIBFTTC would be to a card).
const TO_ACCOUNT: &str = "QRIBFTTA";

/// The NAPAS BIN of a Finan `bank_code`. Finan's "SHB" is Shinhan Bank, not Saigon-Hanoi Bank:
/// Shinhan is one of the three banks Finan supports (MB, Shinhan, Galaxy Pay), the payment docs
/// speak of "Shinhan bank_transfer", and the seed's virtual accounts sit under the "SHB" masters.
fn bin(bank_code: &str) -> Option<&'static str> {
    match bank_code {
        "MB" => Some("970422"),
        "SHB" | "SHBVN" => Some("970424"),
        "BIDV" => Some("970418"),
        _ => None,
    }
}

/// A dynamic VietQR payload asking for `amount` VND to `account_number` at `bank_code`, with
/// `remark` as the transfer content. `None` for an unknown bank or a field too long for a TLV.
pub(super) fn bank_transfer(bank_code: &str, account_number: &str, amount: u64, remark: &str) -> Option<String> {
    let beneficiary = [tlv("00", bin(bank_code)?)?, tlv("01", account_number)?].concat();
    let merchant_account = [tlv("00", NAPAS_GUID)?, tlv("01", &beneficiary)?, tlv("02", TO_ACCOUNT)?].concat();
    let mut payload = [
        tlv("00", "01")?,
        tlv("01", "12")?,
        tlv("38", &merchant_account)?,
        tlv("53", "704")?,
        tlv("54", &amount.to_string())?,
        tlv("58", "VN")?,
        tlv("62", &tlv("08", remark)?)?,
    ]
    .concat();
    payload.push_str("6304");
    let crc = crc16_ccitt_false(payload.as_bytes());
    payload.push_str(&format!("{crc:04X}"));
    Some(payload)
}

/// One field; the length counts bytes and has two digits, so a value is at most 99 bytes.
fn tlv(id: &str, value: &str) -> Option<String> {
    (value.len() <= 99).then(|| format!("{id}{:02}{value}", value.len()))
}

/// CRC-16/CCITT-FALSE: polynomial 0x1021, initial value 0xFFFF, no reflection, no final XOR.
fn crc16_ccitt_false(bytes: &[u8]) -> u16 {
    bytes.iter().fold(0xFFFF_u16, |crc, &byte| {
        (0..8).fold(crc ^ (u16::from(byte) << 8), |crc, _| {
            if crc & 0x8000 != 0 {
                (crc << 1) ^ 0x1021
            } else {
                crc << 1
            }
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc_check_value() {
        assert_eq!(crc16_ccitt_false(b"123456789"), 0x29B1);
    }

    #[test]
    fn payload_layout() {
        let qr = bank_transfer("MB", "0933450210", 6_000_000, "TTVD7ZZS").unwrap();
        let body = "000201010212\
                    38540010A000000727012400069704220110093345021002\
                    08QRIBFTTA530370454076000000\
                    5802VN62120808TTVD7ZZS6304";
        assert_eq!(&qr[..qr.len() - 4], body);
        let crc = crc16_ccitt_false(body.as_bytes());
        assert_eq!(&qr[qr.len() - 4..], format!("{crc:04X}"));
        // Starts like the seed's example (which has a longer beneficiary field).
        assert!(qr.starts_with("00020101021238"));
    }

    #[test]
    fn refuses_what_it_cannot_encode() {
        assert_eq!(bank_transfer("NOPE", "1", 1, "R"), None);
        assert_eq!(bank_transfer("MB", "1", 1, &"R".repeat(100)), None);
        assert_eq!(tlv("08", &"x".repeat(99)).map(|t| t.len()), Some(103));
    }
}
