//! Every way `decode` refuses a string, each with its own typed error, and no panics.

mod support;

use gateway_vietqr::tlv::TlvError;
use gateway_vietqr::{decode, VietQr, VietQrError};
use support::{body, f, merchant, seal};

const GOOD: &str = "00020101021238530010A0000007270123000697041601092576788590208QRIBFTTA53037045405100005802VN62150811Chuyen tien630453E6";

const GUID: &str = "A000000727";

/// The parts of GOOD, to change one at a time and re-seal with a correct CRC.
fn parts() -> Vec<String> {
    vec![
        f(0, "01"),
        f(1, "12"),
        merchant(GUID, "970416", "257678859", "QRIBFTTA"),
        f(53, "704"),
        f(54, "10000"),
        f(58, "VN"),
        f(62, &f(8, "Chuyen tien")),
    ]
}

fn with(index: usize, replacement: String) -> String {
    let mut p = parts();
    p[index] = replacement;
    seal(&body(&p))
}

fn without(index: usize) -> String {
    let mut p = parts();
    p.remove(index);
    seal(&body(&p))
}

#[test]
fn the_helpers_rebuild_the_good_string() {
    assert_eq!(seal(&body(&parts())), GOOD);
    assert!(decode(GOOD).is_ok());
}

#[test]
fn altered_crc() {
    let bad = GOOD.replace("630453E6", "630453E7");
    assert_eq!(
        decode(&bad),
        Err(VietQrError::CrcMismatch {
            computed: "53E6".into(),
            found: "53E7".into()
        })
    );
    // A changed character in the content: the CRC no longer matches either.
    let bad = GOOD.replace("10000", "90000");
    assert!(matches!(decode(&bad), Err(VietQrError::CrcMismatch { .. })));
}

#[test]
fn lowercase_crc_digits_are_accepted() {
    assert!(decode(&GOOD.replace("53E6", "53e6")).is_ok());
}

#[test]
fn truncated_string() {
    // Every proper prefix fails, with MissingCrc or CrcMismatch, and none panics.
    for end in 0..GOOD.len() {
        let err = decode(&GOOD[..end]).unwrap_err();
        assert!(
            matches!(err, VietQrError::MissingCrc | VietQrError::CrcMismatch { .. }),
            "{end}: {err:?}"
        );
    }
    // Cut in the middle and re-sealed: the CRC is right, the TLV is not.
    let cut = seal(&GOOD[..40]);
    assert!(
        matches!(
            decode(&cut),
            Err(VietQrError::Tlv { .. }) | Err(VietQrError::CrcNotLast)
        ),
        "{cut}"
    );
}

#[test]
fn length_past_end() {
    // 62 claims 99 bytes: far more than the 15 + "6304XXXX" that follow.
    let bad = seal(&(body(&parts()[..6]) + "62990811Chuyen tien"));
    assert_eq!(
        decode(&bad),
        Err(VietQrError::Tlv {
            path: "payload",
            source: TlvError::LengthPastEnd {
                offset: 91,
                id: 62,
                length: 99,
                available: 23
            }
        })
    );
    // Inside a template: 38.01 claims 60 bytes of a 53-byte template.
    let inner = f(
        38,
        &[
            f(0, GUID),
            "0160".to_owned() + &f(0, "970416") + &f(1, "257678859"),
            f(2, "QRIBFTTA"),
        ]
        .concat(),
    );
    let err = decode(&with(2, inner)).unwrap_err();
    assert!(
        matches!(
            err,
            VietQrError::Tlv {
                path: "38",
                source: TlvError::LengthPastEnd { id: 1, length: 60, .. }
            }
        ),
        "{err:?}"
    );
}

#[test]
fn value_claiming_the_crc_field() {
    // 62's length swallows "6304": the CRC is right but it is not a data object of its own.
    let p = parts();
    let content = body(&p[..6]) + "6219" + &f(8, "Chuyen tien") + "6304";
    let crc = gateway_vietqr::crc::crc_hex(&content);
    let bad = content + &crc;
    let err = decode(&bad).unwrap_err();
    assert!(
        matches!(err, VietQrError::CrcNotLast | VietQrError::Tlv { .. }),
        "{err:?}"
    );
}

#[test]
fn wrong_guid() {
    // VNPAY's GUID in a VietQR-shaped string.
    let bad = with(2, merchant("A000000775", "970416", "257678859", "QRIBFTTA"));
    assert_eq!(
        decode(&bad),
        Err(VietQrError::WrongGuid {
            found: "A000000775".into()
        })
    );
}

#[test]
fn currency_other_than_vnd() {
    assert_eq!(
        decode(&with(3, f(53, "840"))),
        Err(VietQrError::UnsupportedCurrency { found: "840".into() })
    );
}

#[test]
fn non_digit_length_and_id() {
    let bad = seal(&(body(&parts()[..5]) + "58x2VN"));
    assert_eq!(
        decode(&bad),
        Err(VietQrError::Tlv {
            path: "payload",
            source: TlvError::NonDigitLength {
                offset: 85,
                id: 58,
                found: "x2".into()
            }
        })
    );
    let bad = seal(&(body(&parts()[..5]) + "5A02VN"));
    assert!(matches!(
        decode(&bad),
        Err(VietQrError::Tlv {
            source: TlvError::NonDigitId { offset: 85, .. },
            ..
        })
    ));
}

#[test]
fn missing_mandatory_tags() {
    assert_eq!(decode(&without(0)), Err(VietQrError::MissingTag { tag: "00" }));
    assert_eq!(decode(&without(1)), Err(VietQrError::MissingTag { tag: "01" }));
    assert_eq!(decode(&without(2)), Err(VietQrError::MissingTag { tag: "38" }));
    assert_eq!(decode(&without(3)), Err(VietQrError::MissingTag { tag: "53" }));
    assert_eq!(decode(&without(5)), Err(VietQrError::MissingTag { tag: "58" }));
    let no_bin = f(38, &[f(0, GUID), f(1, &f(1, "257678859")), f(2, "QRIBFTTA")].concat());
    assert_eq!(
        decode(&with(2, no_bin)),
        Err(VietQrError::MissingTag { tag: "38.01.00" })
    );
    let no_service = f(38, &[f(0, GUID), f(1, &(f(0, "970416") + &f(1, "257678859")))].concat());
    assert_eq!(
        decode(&with(2, no_service)),
        Err(VietQrError::MissingTag { tag: "38.02" })
    );
    // The optional ones may go (a dynamic QR without an amount is allowed).
    assert_eq!(decode(&without(4)).unwrap().amount(), None);
    assert_eq!(decode(&without(6)).unwrap().purpose(), None);
}

#[test]
fn duplicated_tag() {
    let mut p = parts();
    p.insert(5, f(54, "20000"));
    assert_eq!(decode(&seal(&body(&p))), Err(VietQrError::DuplicateTag { tag: "54" }));
}

#[test]
fn fixed_values() {
    assert!(matches!(
        decode(&with(0, f(0, "02"))),
        Err(VietQrError::InvalidValue { tag: "00", .. })
    ));
    assert!(matches!(
        decode(&with(1, f(1, "13"))),
        Err(VietQrError::InvalidValue { tag: "01", .. })
    ));
    assert!(matches!(
        decode(&with(5, f(58, "TH"))),
        Err(VietQrError::InvalidValue { tag: "58", .. })
    ));
    assert_eq!(
        decode(&with(2, merchant(GUID, "970416", "257678859", "QRPUSH"))),
        Err(VietQrError::UnknownService { found: "QRPUSH".into() })
    );
    assert_eq!(
        decode(&with(2, merchant(GUID, "97041", "257678859", "QRIBFTTA"))),
        Err(VietQrError::InvalidBin { found: "97041".into() })
    );
    assert_eq!(
        decode(&with(2, merchant(GUID, "970416", "2576-78859", "QRIBFTTA"))),
        Err(VietQrError::InvalidAccountNumber {
            found: "2576-78859".into()
        })
    );
}

#[test]
fn amounts() {
    assert_eq!(decode(&with(4, f(54, "0"))), Err(VietQrError::ZeroAmount));
    assert_eq!(
        decode(&with(4, f(54, "1.5"))),
        Err(VietQrError::InvalidAmount { found: "1.5".into() })
    );
    assert_eq!(
        decode(&with(4, f(54, ""))),
        Err(VietQrError::InvalidAmount { found: "".into() })
    );
    assert_eq!(
        decode(&with(4, f(54, "-5"))),
        Err(VietQrError::InvalidAmount { found: "-5".into() })
    );
    assert_eq!(
        decode(&with(4, f(54, "10000000000000"))),
        Err(VietQrError::AmountTooLarge {
            amount: 10_000_000_000_000
        })
    );
    assert!(matches!(
        decode(&with(4, f(54, &"9".repeat(30)))),
        Err(VietQrError::InvalidAmount { .. })
    ));
    // An amount on a static QR contradicts the spec ("12" = dynamic, with amount).
    assert_eq!(decode(&with(1, f(1, "11"))), Err(VietQrError::AmountOnStaticQr));
}

#[test]
fn byte_lengths_and_multibyte_characters() {
    // A decoded remark is kept as written, even when another encoder left diacritics in it; its
    // length counts bytes ("Chuyển tiền" is 15 bytes).
    let qr = decode(&with(6, f(62, &f(8, "Chuyển tiền")))).unwrap();
    assert_eq!(qr.purpose(), Some("Chuyển tiền"));
    // Re-encoding keeps it (lengths in bytes), and reads back the same.
    assert_eq!(decode(&qr.encode().unwrap()), Ok(qr));
    // A length that ends inside "ể" is an error, not a panic.
    let bad = seal(&(body(&parts()[..6]) + "6215" + "0811Chuyển tiền"));
    let err = decode(&bad).unwrap_err();
    assert!(matches!(err, VietQrError::Tlv { .. }), "{err:?}");
    let bad = seal(&(body(&parts()[..6]) + "6210" + "0806Chuyển"));
    assert!(
        matches!(
            decode(&bad),
            Err(VietQrError::Tlv {
                path: "payload",
                source: TlvError::SplitsCharacter { id: 62, .. }
            })
        ),
        "{:?}",
        decode(&bad)
    );
}

#[test]
fn garbage_does_not_panic() {
    for s in [
        "",
        "6304",
        "63040000",
        "đđđđđđđđ",
        "6304đđ",
        "00020101021163041D3A",
        "\u{0}\u{0}\u{0}\u{0}6304FFFF",
    ] {
        assert!(decode(s).is_err(), "{s:?}");
    }
    // CRC right, content nonsense.
    for content in ["", "x", "0", "00", "000", "0002", "99", "đ", "0201đ"] {
        assert!(decode(&seal(content)).is_err(), "{content:?}");
    }
}

#[test]
fn errors_read_well() {
    let err = decode(&with(3, f(53, "840"))).unwrap_err();
    assert_eq!(err.to_string(), "currency (tag 53) must be \"704\" (VND), got \"840\"");
    let err = decode(&GOOD.replace("630453E6", "630453E7")).unwrap_err();
    assert_eq!(
        err.to_string(),
        "CRC mismatch: the string says 53E7, its content gives 53E6"
    );
    let err = decode(&seal(&(body(&parts()[..5]) + "58x2VN"))).unwrap_err();
    assert_eq!(
        err.to_string(),
        "malformed TLV in payload: data object 58 at byte 85: length \"x2\" is not two ASCII digits"
    );
    let _: &dyn std::error::Error = &err;
    assert!(std::error::Error::source(&err).is_some());
}

#[test]
fn decoded_value_is_the_built_value() {
    let built = VietQr::builder("970416", "257678859")
        .amount(10_000)
        .purpose("Chuyen tien")
        .build()
        .unwrap();
    assert_eq!(decode(GOOD), Ok(built));
}
