//! The checksum that closes every VietQR string (tag `63`).
//!
//! CRC-16/CCITT-FALSE: polynomial `0x1021`, initial value `0xFFFF`, no input or output reflection,
//! no final XOR. Its check value (the CRC of the ASCII bytes `"123456789"`) is `0x29B1`.
//!
//! Written here rather than taken from a crate: no CRC-16 crate is in the dependency tree, and the
//! function is eight lines.

/// Computes CRC-16/CCITT-FALSE over `bytes`.
///
/// For a VietQR payload, `bytes` is the UTF-8 encoding of everything before the CRC value,
/// *including* the CRC field's own id and length (`"6304"`); the result is written as four
/// uppercase hexadecimal digits (see [`crc_hex`]).
///
/// ```
/// assert_eq!(gateway_vietqr::crc::crc16_ccitt_false(b"123456789"), 0x29B1);
/// ```
pub fn crc16_ccitt_false(bytes: &[u8]) -> u16 {
    let mut crc: u16 = 0xFFFF;
    for &byte in bytes {
        crc ^= u16::from(byte) << 8;
        for _ in 0..8 {
            crc = if crc & 0x8000 != 0 {
                (crc << 1) ^ 0x1021
            } else {
                crc << 1
            };
        }
    }
    crc
}

/// The CRC of `payload` (a `&str`, hashed as its UTF-8 bytes) as the four uppercase hexadecimal
/// digits that VietQR writes after `"6304"`, zero-padded (`0x0A3F` → `"0A3F"`).
pub fn crc_hex(payload: &str) -> String {
    format!("{:04X}", crc16_ccitt_false(payload.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn check_value() {
        assert_eq!(crc16_ccitt_false(b"123456789"), 0x29B1);
        assert_eq!(crc_hex("123456789"), "29B1");
    }

    #[test]
    fn empty_input_is_the_initial_value() {
        assert_eq!(crc16_ccitt_false(b""), 0xFFFF);
    }
}
