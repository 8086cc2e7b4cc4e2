//! CRC-16/CCITT-FALSE: the catalogue check value, and the CRCs of VietQR strings published by
//! others (the `vietnam-qr-pay` README), computed independently of their code.

use gateway_vietqr::crc::{crc16_ccitt_false, crc_hex};

#[test]
fn check_value_is_29b1() {
    assert_eq!(crc16_ccitt_false(b"123456789"), 0x29B1);
    assert_eq!(crc_hex("123456789"), "29B1");
}

#[test]
fn other_catalogue_properties() {
    // Init 0xFFFF and no xorout: the empty message gives the init value.
    assert_eq!(crc16_ccitt_false(b""), 0xFFFF);
    // Zero-padded to four digits.
    let small = (0u32..100_000)
        .map(|n| n.to_string())
        .find(|s| crc16_ccitt_false(s.as_bytes()) < 0x1000)
        .unwrap();
    assert_eq!(crc_hex(&small).len(), 4);
    assert!(crc_hex(&small).starts_with('0'));
}

#[test]
fn crc_of_published_vietqr_strings() {
    // Strings printed in vietnam-qr-pay's README (static ACB, dynamic ACB, MoMo, ZaloPay, VNPay):
    // the last 4 characters are the CRC of everything before them.
    for published in [
        "00020101021138530010A0000007270123000697041601092576788590208QRIBFTTA53037045802VN6304AE9F",
        "00020101021238530010A0000007270123000697041601092576788590208QRIBFTTA53037045405100005802VN62150811Chuyen tien630453E6",
        "00020101021238530010A0000007270123000697041601092576788590208QRIBFTTA5303704540410005802VN62150811Chuyen tien6304BBB8",
        "00020101021138620010A000000727013200069710250118PSP1234567890000000208QRIBFTTA53037045802VN62190515MOMOW2W123456786304821F",
        "00020101021138620010A00000072701320006970454011899MM24011M348750800208QRIBFTTA53037045802VN62190515MOMOW2W3487508080030466304EBC8",
        "00020101021138620010A00000072701320006970454011899ZP24009M072482670208QRIBFTTA53037045802VN6304073C",
        "00020101021126280010A0000007750110010531314453037045408210900005802VN5910CELLPHONES62600312CPSHN ONLINE0517021908061613127850705ONLHN0810CellphoneS63047685",
    ] {
        let (content, crc) = published.split_at(published.len() - 4);
        assert_eq!(crc_hex(content), crc, "{published}");
    }
}
