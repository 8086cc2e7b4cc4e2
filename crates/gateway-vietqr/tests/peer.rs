//! Our VietQR strings against an independent implementation: the npm package `vietnam-qr-pay`
//! (pinned in `peers/package.json`), driven by `peers/vietqr.js`.
//!
//! - For every case, `encode()` must equal, byte for byte, what `QRPay.initVietQR(...).build()`
//!   makes from the same inputs. The peer is given only what a caller would give it (BIN, account,
//!   amount, purpose, service; `initMethod` only when our case sets the initiation explicitly), so
//!   its own choices (tag order, leaving out an empty `62`, `11`/`12` from the amount) are
//!   compared too.
//! - Our `decode` reads the peer's strings, and the peer's parser reads ours.
//!
//! Needs `node` (and `npm` when `peers/node_modules` is missing): see `peers/ensure.rs`.

#[path = "../../../peers/ensure.rs"]
mod peers;
mod support;

use gateway_vietqr::{decode, strip_diacritics, Initiation, Service, VietQr, VietQrError, MAX_AMOUNT};
use serde_json::{json, Value};
use support::{gen_case, Case, Rng};

/// Runs `peers/vietqr.js` on `cases` and returns its JSON array.
fn peer(cases: &[Value]) -> Vec<Value> {
    let out = peers::run_node("vietqr.js", &Value::Array(cases.to_vec()).to_string());
    let parsed: Vec<Value> =
        serde_json::from_str(&out).unwrap_or_else(|e| panic!("peer printed non-JSON ({e}): {out}"));
    assert_eq!(parsed.len(), cases.len(), "one answer per case");
    parsed
}

/// The peer's build options for a case: what a caller of `initVietQR` would pass. `purpose` is
/// the ASCII text the peer gets (it does not strip diacritics, see
/// `non_ascii_remarks_peer_counts_utf16_units_we_count_bytes`).
fn peer_build(case: &Case, peer_purpose: Option<&str>) -> Value {
    let mut options = json!({ "bankBin": case.bin, "bankNumber": case.account_number });
    if case.service != Service::ToAccount || case.account_number.len() % 2 == 0 {
        // Sometimes left to the peer's default (QRIBFTTA), sometimes explicit.
        options["service"] = json!(case.service.code());
    }
    if let Some(amount) = case.amount {
        options["amount"] = json!(amount.to_string());
    }
    if let Some(purpose) = peer_purpose {
        options["purpose"] = json!(purpose);
    }
    if let Some(initiation) = case.initiation {
        options["initMethod"] = json!(initiation.code());
    }
    json!({ "build": options })
}

/// What the peer's parser must report for our encoding of `qr`.
fn peer_view(qr: &VietQr, text: &str) -> Value {
    json!({
        "isValid": true,
        "version": "01",
        "initMethod": qr.initiation().code(),
        "guid": "A000000727",
        "service": qr.service().code(),
        "bankBin": qr.bin(),
        "bankNumber": qr.account_number(),
        "amount": qr.amount().map(|a| a.to_string()),
        "currency": "704",
        "nation": "VN",
        "purpose": qr.purpose(),
        "crc": &text[text.len() - 4..],
    })
}

fn case(bin: &str, account: &str) -> Case {
    Case {
        bin: bin.into(),
        account_number: account.into(),
        service: Service::ToAccount,
        initiation: None,
        amount: None,
        purpose: None,
    }
}

/// Chosen cases: (our input, the ASCII remark the peer is given, written by hand).
fn chosen() -> Vec<(Case, Option<String>)> {
    let with = |mut c: Case, amount: Option<u64>, purpose: Option<&str>| {
        c.amount = amount;
        c.purpose = purpose.map(str::to_owned);
        c
    };
    let long_remark = "x".repeat(95);
    let cases: Vec<(Case, Option<&str>)> = vec![
        // ACB, static, nothing else (the peer's README example).
        (case("970416", "257678859"), None),
        // ACB, dynamic with amount and remark (README).
        (
            with(case("970416", "257678859"), Some(10_000), Some("Chuyen tien")),
            Some("Chuyen tien"),
        ),
        // Vietcombank: amount, remark with digits.
        (
            with(
                case("970436", "0011001932418"),
                Some(50_000),
                Some("Thanh toan hoa don 12345"),
            ),
            Some("Thanh toan hoa don 12345"),
        ),
        // VietinBank: amount, no remark.
        (with(case("970415", "106870123456"), Some(1_234_567), None), None),
        // BIDV: static with a remark only.
        (
            with(case("970418", "12010000123456"), None, Some("Ung ho quy")),
            Some("Ung ho quy"),
        ),
        // Techcombank, to a card.
        (
            Case {
                service: Service::ToCard,
                ..with(case("970407", "9704070123456789"), Some(200_000), Some("Nap tien"))
            },
            Some("Nap tien"),
        ),
        // MB: a remark written with diacritics for us, and as ASCII (by hand) for the peer.
        (
            with(
                case("970422", "0123456789999"),
                Some(350_000),
                Some("Trả tiền điện tháng 6 cho Nguyễn Văn Ánh"),
            ),
            Some("Tra tien dien thang 6 cho Nguyen Van Anh"),
        ),
        // BVBank, MoMo-style alphanumeric account.
        (
            with(case("970454", "99MM24011M34875080"), Some(15_000), Some("Cafe sua da")),
            Some("Cafe sua da"),
        ),
        // VPBank: dynamic without an amount (initMethod given explicitly to both).
        (
            Case {
                initiation: Some(Initiation::Dynamic),
                ..case("970432", "88888888")
            },
            None,
        ),
        // Sacombank: the largest amount and the longest remark.
        (
            with(case("970403", "060123456789"), Some(MAX_AMOUNT), Some(&long_remark)),
            Some(&long_remark),
        ),
        // Shinhan: a 19-character account and 1 VND.
        (
            with(case("970424", "7001234567890123456"), Some(1), Some("1")),
            Some("1"),
        ),
        // HDBank: punctuation in the remark.
        (
            with(
                case("970437", "068704070000123"),
                Some(99_000),
                Some("DH#A-12/3 (COD): ok!"),
            ),
            Some("DH#A-12/3 (COD): ok!"),
        ),
    ];
    cases.into_iter().map(|(c, p)| (c, p.map(str::to_owned))).collect()
}

#[test]
fn our_encoding_equals_theirs_for_chosen_cases() {
    let cases = chosen();
    assert!(cases.len() >= 8);
    let ours: Vec<String> = cases
        .iter()
        .map(|(c, _)| c.build().unwrap().encode().unwrap())
        .collect();
    let theirs = peer(
        &cases
            .iter()
            .map(|(c, p)| peer_build(c, p.as_deref()))
            .collect::<Vec<_>>(),
    );
    for ((ours, theirs), (case, _)) in ours.iter().zip(&theirs).zip(&cases) {
        assert_eq!(Some(ours.as_str()), theirs.as_str(), "{case:?}");
    }
    // The diacritics case really was stripped by us to what the peer was given.
    let (diacritics, peer_purpose) = &cases[6];
    assert_eq!(diacritics.build().unwrap().purpose(), peer_purpose.as_deref());
}

#[test]
fn our_encoding_equals_theirs_for_generated_cases() {
    let mut rng = Rng::new(0x9EE2_0001);
    // ASCII remarks: the peer does not strip diacritics (and its lengths count UTF-16 units).
    let cases: Vec<Case> = (0..500).map(|_| gen_case(&mut rng, true)).collect();
    let built: Vec<VietQr> = cases.iter().map(|c| c.build().unwrap()).collect();
    let theirs = peer(
        &cases
            .iter()
            .zip(&built)
            .map(|(c, qr)| peer_build(c, qr.purpose()))
            .collect::<Vec<_>>(),
    );
    for ((qr, theirs), case) in built.iter().zip(&theirs).zip(&cases) {
        let ours = qr.encode().unwrap();
        assert_eq!(Some(ours.as_str()), theirs.as_str(), "{case:?}");
    }
}

#[test]
fn we_decode_their_strings() {
    let cases = chosen();
    let theirs = peer(
        &cases
            .iter()
            .map(|(c, p)| peer_build(c, p.as_deref()))
            .collect::<Vec<_>>(),
    );
    for ((case, _), theirs) in cases.iter().zip(&theirs) {
        let text = theirs.as_str().expect("a string");
        let decoded = decode(text).unwrap_or_else(|e| panic!("{text}: {e}"));
        assert_eq!(decoded, case.build().unwrap(), "{text}");
    }
    // And the strings printed in its README.
    for published in [
        "00020101021138620010A000000727013200069710250118PSP1234567890000000208QRIBFTTA53037045802VN62190515MOMOW2W123456786304821F",
        "00020101021138620010A00000072701320006970454011899ZP24009M072482670208QRIBFTTA53037045802VN6304073C",
    ] {
        assert!(decode(published).is_ok(), "{published}");
    }
}

#[test]
fn they_decode_our_strings() {
    let mut rng = Rng::new(0x9EE2_0002);
    let mut built: Vec<VietQr> = chosen().iter().map(|(c, _)| c.build().unwrap()).collect();
    built.extend((0..300).map(|_| gen_case(&mut rng, false).build().unwrap()));
    let texts: Vec<String> = built.iter().map(|qr| qr.encode().unwrap()).collect();
    let views = peer(&texts.iter().map(|t| json!({ "decode": t })).collect::<Vec<_>>());
    for ((qr, text), view) in built.iter().zip(&texts).zip(&views) {
        assert_eq!(view, &peer_view(qr, text), "{text}");
    }
}

#[test]
fn both_refuse_an_altered_crc() {
    let text = VietQr::builder("970436", "0011001932418")
        .amount(50_000)
        .build()
        .unwrap()
        .encode()
        .unwrap();
    let last = text.chars().last().unwrap();
    let altered = format!("{}{}", &text[..text.len() - 1], if last == '0' { '1' } else { '0' });
    assert!(matches!(decode(&altered), Err(VietQrError::CrcMismatch { .. })));
    let view = peer(&[json!({ "decode": altered })]);
    assert_eq!(view[0]["isValid"], json!(false));
}

/// Where the two differ, on purpose: a remark with non-ASCII characters. The project's reference
/// says lengths count bytes (UTF-8); `vietnam-qr-pay` writes `String.length` (UTF-16 code units)
/// as the length while computing the CRC over UTF-8 bytes. For ASCII the two agree, which is why we
/// strip diacritics before encoding. This pins the divergence so a change on either side shows.
#[test]
fn non_ascii_remarks_peer_counts_utf16_units_we_count_bytes() {
    let case = Case {
        amount: Some(10_000),
        purpose: Some("Thanh toán".into()),
        ..case("970416", "257678859")
    };
    let theirs = peer(&[peer_build(&case, Some("Thanh toán"))]);
    let theirs = theirs[0].as_str().unwrap().to_owned();
    // "Thanh toán" is 10 characters but 11 bytes: the peer writes 08 with length 10.
    assert!(theirs.contains("62140810Thanh toán6304"), "{theirs}");
    // Its CRC is over UTF-8 bytes, so it passes; then, counting bytes, 62 (14) ends after "á"
    // ("0810Thanh toá"), its "n" is left over where a tag id must be, and we refuse the string
    // rather than misread it.
    let err = decode(&theirs).unwrap_err();
    assert_eq!(
        err,
        VietQrError::Tlv {
            path: "payload",
            source: gateway_vietqr::tlv::TlvError::NonDigitId {
                offset: theirs.find("n6304").unwrap(),
                found: "n6".into()
            }
        }
    );
    // Ours for the same input is ASCII, and the peer encodes its stripped form identically.
    let ours = case.build().unwrap().encode().unwrap();
    let theirs_ascii = peer(&[peer_build(&case, Some(&strip_diacritics("Thanh toán")))]);
    assert_eq!(theirs_ascii[0].as_str(), Some(ours.as_str()));
}
