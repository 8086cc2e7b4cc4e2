//! Property-style checks over many generated inputs (a deterministic generator, no proptest):
//! decode(encode(x)) == x, and decode never panics on damaged strings.

mod support;

use gateway_vietqr::{decode, VietQr};
use support::{gen_case, seal, Rng};

#[test]
fn decode_inverts_encode() {
    let mut rng = Rng::new(0x5EED_0001);
    for i in 0..20_000 {
        let case = gen_case(&mut rng, i % 2 == 0);
        let qr = case.build().unwrap_or_else(|e| panic!("case {i} {case:?}: {e}"));
        // The builder kept what it was given (remark: diacritics stripped).
        assert_eq!(qr.bin(), case.bin);
        assert_eq!(qr.account_number(), case.account_number);
        assert_eq!(qr.service(), case.service);
        assert_eq!(qr.amount(), case.amount);
        assert_eq!(qr.initiation(), case.expected_initiation());
        assert_eq!(qr.purpose().map(str::to_owned), case.expected_purpose());

        let text = qr.encode().unwrap();
        assert!(text.is_ascii(), "{text}");
        assert_eq!(decode(&text).as_ref(), Ok(&qr), "case {i}: {text}");
        assert_eq!(qr.to_string(), text);
    }
}

/// Replaces one character of `s` (on a character boundary) with `c`.
fn replace_char(s: &str, index: usize, c: char) -> String {
    s.chars()
        .enumerate()
        .map(|(i, old)| if i == index { c } else { old })
        .collect()
}

#[test]
fn damaged_strings_never_panic() {
    let mut rng = Rng::new(0xBAD_5EED);
    let noise: Vec<char> = "0123456789ABCDEFxyz 6304đểQ\u{0}~".chars().collect();
    let mut decoded_ok = 0;
    for _ in 0..20_000 {
        let qr: VietQr = gen_case(&mut rng, true).build().unwrap();
        let text = qr.encode().unwrap();
        let chars = text.chars().count();
        let damaged = match rng.below(4) {
            // One character changed, CRC left as is: must be refused (a CRC-16 catches every
            // single-character change of an ASCII string).
            0 => {
                let at = rng.below(chars as u64 - 4) as usize;
                let c = *rng.pick(&noise);
                let damaged = replace_char(&text, at, c);
                if damaged != text {
                    assert!(decode(&damaged).is_err(), "{damaged}");
                }
                continue;
            }
            // One character of the content changed, then re-sealed: exercises the TLV reader.
            1 => {
                let content = &text[..text.len() - 8];
                let at = rng.below(content.len() as u64) as usize;
                seal(&replace_char(content, at, *rng.pick(&noise)))
            }
            // Cut short and re-sealed.
            2 => seal(&text[..rng.below(text.len() as u64 - 8) as usize]),
            // A random length digit bumped: lengths pointing anywhere.
            _ => {
                let content = &text[..text.len() - 8];
                let at = rng.below(content.len() as u64) as usize;
                let digit = char::from(b'0' + rng.below(10) as u8);
                seal(&replace_char(content, at, digit))
            }
        };
        if let Ok(back) = decode(&damaged) {
            // Whatever decodes is a valid value that re-encodes and reads back the same.
            decoded_ok += 1;
            assert_eq!(decode(&back.encode().unwrap()), Ok(back));
        }
    }
    // Some damage lands in a value (remark text, account digits) and still decodes.
    assert!(decoded_ok > 0);
}
