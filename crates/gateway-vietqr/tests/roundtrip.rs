//! Building, encoding and decoding chosen cases, and what the builder refuses.

mod support;

use gateway_vietqr::{decode, strip_diacritics, Initiation, Service, VietQr, VietQrError, MAX_AMOUNT};

fn round_trip(qr: &VietQr) -> String {
    let text = qr.encode().expect("encodes");
    assert_eq!(&decode(&text).expect("decodes its own output"), qr, "{text}");
    assert_eq!(qr.to_string(), text, "Display is encode");
    assert_eq!(text.parse::<VietQr>().as_ref(), Ok(qr), "FromStr is decode");
    text
}

#[test]
fn static_without_amount() {
    let qr = VietQr::builder("970416", "257678859").build().unwrap();
    assert_eq!(qr.initiation(), Initiation::Static);
    assert_eq!(
        (qr.amount(), qr.purpose(), qr.service()),
        (None, None, Service::ToAccount)
    );
    // The README string of vietnam-qr-pay: no 54, no 62.
    assert_eq!(
        round_trip(&qr),
        "00020101021138530010A0000007270123000697041601092576788590208QRIBFTTA53037045802VN6304AE9F"
    );
}

#[test]
fn dynamic_with_amount_and_remark() {
    let qr = VietQr::builder("970416", "257678859")
        .amount(10_000)
        .purpose("Chuyen tien")
        .build()
        .unwrap();
    assert_eq!(qr.initiation(), Initiation::Dynamic);
    assert_eq!(qr.amount(), Some(10_000));
    assert_eq!(qr.amount_decimal(), Some(rust_decimal::Decimal::from(10_000u64)));
    assert_eq!(
        round_trip(&qr),
        "00020101021238530010A0000007270123000697041601092576788590208QRIBFTTA53037045405100005802VN62150811Chuyen tien630453E6"
    );
}

#[test]
fn to_card() {
    let qr = VietQr::builder("970436", "9704366800112233445")
        .service(Service::ToCard)
        .amount(1)
        .build()
        .unwrap();
    let text = round_trip(&qr);
    assert!(text.contains("0208QRIBFTTC"), "{text}");
    assert!(text.contains("01199704366800112233445"), "{text}");
}

#[test]
fn remark_with_vietnamese_diacritics_is_stripped() {
    let qr = VietQr::builder("970436", "0011001932418")
        .amount(250_000)
        .purpose("Thanh toán đơn hàng #A12 – ĐẶNG VĂN LỢI")
        .build();
    // The en dash is not Vietnamese: it is refused, not silently dropped.
    assert_eq!(qr, Err(VietQrError::InvalidRemarkChar { ch: '–' }));

    let qr = VietQr::builder("970436", "0011001932418")
        .amount(250_000)
        .purpose("Thanh toán đơn hàng #A12 - ĐẶNG VĂN LỢI")
        .build()
        .unwrap();
    assert_eq!(qr.purpose(), Some("Thanh toan don hang #A12 - DANG VAN LOI"));
    let text = round_trip(&qr);
    assert!(
        text.contains("62430839Thanh toan don hang #A12 - DANG VAN LOI"),
        "{text}"
    );
    assert!(text.is_ascii());
}

#[test]
fn dynamic_without_amount_is_allowed() {
    let qr = VietQr::builder("970422", "0123456789")
        .initiation(Initiation::Dynamic)
        .build()
        .unwrap();
    let text = round_trip(&qr);
    assert!(text.starts_with("000201010212"), "{text}");
    let root = gateway_vietqr::tlv::read_all(&text).unwrap();
    assert!(root.iter().all(|field| field.id != 54), "{text}");
}

#[test]
fn limits_are_reachable() {
    let remark = "x".repeat(95);
    let qr = VietQr::builder("970407", "A".repeat(19))
        .amount(MAX_AMOUNT)
        .purpose(remark.clone())
        .build()
        .unwrap();
    let text = round_trip(&qr);
    assert!(text.contains(&format!("62990895{remark}")), "{text}");
    assert!(text.contains("54139999999999999"), "{text}");
    // 95 Vietnamese letters are 190 bytes before stripping, 95 after: accepted.
    let qr = VietQr::builder("970407", "1").purpose("đ".repeat(95)).build().unwrap();
    assert_eq!(qr.purpose(), Some("d".repeat(95).as_str()));
    round_trip(&qr);
}

#[test]
fn empty_remark_means_none() {
    let qr = VietQr::builder("970418", "12345").purpose("").build().unwrap();
    assert_eq!(qr.purpose(), None);
    assert!(!round_trip(&qr).contains("62"));
    // Only combining marks: strips to nothing.
    let qr = VietQr::builder("970418", "12345")
        .purpose("\u{301}\u{323}")
        .build()
        .unwrap();
    assert_eq!(qr.purpose(), None);
}

#[test]
fn builder_refuses_invalid_fields() {
    let build = |bin: &str, account: &str| VietQr::builder(bin, account).build();
    for bin in ["97041", "9704160", "97041a", "", "９７０４１６"] {
        assert_eq!(
            build(bin, "1"),
            Err(VietQrError::InvalidBin { found: bin.into() }),
            "{bin}"
        );
    }
    for account in ["", "12345678901234567890", "0011-0019", "0011 0019", "đ123"] {
        assert_eq!(
            build("970416", account),
            Err(VietQrError::InvalidAccountNumber { found: account.into() }),
            "{account}"
        );
    }
    let base = || VietQr::builder("970416", "257678859");
    assert_eq!(base().amount(0).build(), Err(VietQrError::ZeroAmount));
    assert_eq!(
        base().amount(MAX_AMOUNT + 1).build(),
        Err(VietQrError::AmountTooLarge { amount: MAX_AMOUNT + 1 })
    );
    assert_eq!(
        base().amount(5).initiation(Initiation::Static).build(),
        Err(VietQrError::AmountOnStaticQr)
    );
    assert_eq!(
        base().purpose("漢字").build(),
        Err(VietQrError::InvalidRemarkChar { ch: '漢' })
    );
    assert_eq!(
        base().purpose("line\nbreak").build(),
        Err(VietQrError::InvalidRemarkChar { ch: '\n' })
    );
    assert_eq!(
        base().purpose("x".repeat(96)).build(),
        Err(VietQrError::RemarkTooLong { bytes: 96, max: 95 })
    );
}

#[test]
fn errors_read_well() {
    let err = VietQr::builder("9704", "1").build().unwrap_err();
    assert_eq!(err.to_string(), "bank BIN must be exactly 6 ASCII digits, got \"9704\"");
    let err = VietQr::builder("970416", "1")
        .purpose("x".repeat(100))
        .build()
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "remark is 100 bytes after stripping diacritics, at most 95 fit"
    );
}

#[test]
fn decodes_published_strings_and_ignores_unknown_tags() {
    // vietnam-qr-pay README, MoMo: reference 62.05 and tag 80 are not modelled, but tolerated.
    let momo = decode(
        "00020101021138620010A00000072701320006970454011899MM24011M348750800208QRIBFTTA53037045802VN62190515MOMOW2W3487508080030466304EBC8",
    )
    .unwrap();
    assert_eq!((momo.bin(), momo.account_number()), ("970454", "99MM24011M34875080"));
    assert_eq!(
        (momo.initiation(), momo.amount(), momo.purpose()),
        (Initiation::Static, None, None)
    );
    // Re-encoding drops what is not modelled.
    assert_eq!(
        momo.encode().unwrap(),
        VietQr::builder("970454", "99MM24011M34875080")
            .build()
            .unwrap()
            .encode()
            .unwrap()
    );

    let acb = decode(
        "00020101021238530010A0000007270123000697041601092576788590208QRIBFTTA5303704540410005802VN62150811Chuyen tien6304BBB8",
    )
    .unwrap();
    assert_eq!(
        acb,
        VietQr::builder("970416", "257678859")
            .amount(1000)
            .purpose("Chuyen tien")
            .build()
            .unwrap()
    );
}

#[test]
fn strip_diacritics_examples() {
    assert_eq!(
        strip_diacritics("Cộng hòa xã hội chủ nghĩa Việt Nam"),
        "Cong hoa xa hoi chu nghia Viet Nam"
    );
    assert_eq!(strip_diacritics("ĐƯỜNG NGUYỄN HUỆ"), "DUONG NGUYEN HUE");
    assert_eq!(strip_diacritics("plain ascii 123"), "plain ascii 123");
}
