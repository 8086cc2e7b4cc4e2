//! Turning a Vietnamese remark ("nội dung chuyển khoản") into the plain ASCII that VietQR carries.
//!
//! TLV lengths count bytes and a value holds at most 99 of them, and banking apps show remarks
//! without diacritics anyway, so remarks are written as ASCII: `"Thanh toán đơn hàng"` →
//! `"Thanh toan don hang"`.

/// Every precomposed Vietnamese letter with a diacritic, grouped by the ASCII letter it strips to.
/// Lowercase and uppercase groups list the same letters in the same order (checked by a test).
const LETTERS: &[(char, &str)] = &[
    ('a', "àáảãạăằắẳẵặâầấẩẫậ"),
    ('A', "ÀÁẢÃẠĂẰẮẲẴẶÂẦẤẨẪẬ"),
    ('e', "èéẻẽẹêềếểễệ"),
    ('E', "ÈÉẺẼẸÊỀẾỂỄỆ"),
    ('i', "ìíỉĩị"),
    ('I', "ÌÍỈĨỊ"),
    ('o', "òóỏõọôồốổỗộơờớởỡợ"),
    ('O', "ÒÓỎÕỌÔỒỐỔỖỘƠỜỚỞỠỢ"),
    ('u', "ùúủũụưừứửữự"),
    ('U', "ÙÚỦŨỤƯỪỨỬỮỰ"),
    ('y', "ỳýỷỹỵ"),
    ('Y', "ỲÝỶỸỴ"),
    ('d', "đ"),
    ('D', "Đ"),
];

/// Removes Vietnamese diacritics: maps every precomposed Vietnamese letter to its ASCII base
/// letter (`ầ` → `a`, `Ư` → `U`, `đ` → `d`, `Đ` → `D`) and drops combining diacritical marks
/// (U+0300..=U+036F, as left by NFD-decomposed input such as `"a\u{301}"`).
///
/// Every other character, ASCII or not, is kept unchanged; [`crate::VietQrBuilder::build`]
/// rejects what is still not printable ASCII afterwards.
///
/// ```
/// use gateway_vietqr::strip_diacritics;
/// assert_eq!(strip_diacritics("Thanh toán đơn hàng #12"), "Thanh toan don hang #12");
/// assert_eq!(strip_diacritics("ĐẶNG VĂN LỢI"), "DANG VAN LOI");
/// ```
pub fn strip_diacritics(text: &str) -> String {
    text.chars()
        .filter(|&c| !is_combining_mark(c))
        .map(base_letter)
        .collect()
}

fn is_combining_mark(c: char) -> bool {
    ('\u{0300}'..='\u{036F}').contains(&c)
}

fn base_letter(c: char) -> char {
    if c.is_ascii() {
        return c;
    }
    LETTERS
        .iter()
        .find(|(_, variants)| variants.contains(c))
        .map_or(c, |&(base, _)| base)
}

/// A character allowed in a remark we write: printable ASCII, space to `~`.
pub(crate) fn is_remark_char(c: char) -> bool {
    matches!(c, ' '..='~')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_pair_up_by_case() {
        for pair in LETTERS.chunks(2) {
            let [(lower, lower_set), (upper, upper_set)] = pair else {
                panic!("odd table")
            };
            assert_eq!(lower.to_ascii_uppercase(), *upper);
            let lowered: String = upper_set.chars().flat_map(char::to_lowercase).collect();
            assert_eq!(&lowered, lower_set);
        }
    }

    #[test]
    fn every_listed_letter_strips_to_ascii() {
        let count: usize = LETTERS.iter().map(|(_, set)| set.chars().count()).sum();
        // 12 vowel bases (a ă â e ê i o ô ơ u ư y) × 6 tones (level + 5 marks), less the 6 that are
        // plain ASCII (a e i o u y), plus đ; in both cases.
        assert_eq!(count, 2 * (12 * 6 - 6 + 1));
        for (base, set) in LETTERS {
            for c in set.chars() {
                assert_eq!(base_letter(c), *base, "{c}");
            }
        }
    }

    #[test]
    fn decomposed_input() {
        assert_eq!(strip_diacritics("Nguye\u{302}\u{303}n"), "Nguyen");
    }

    #[test]
    fn other_characters_are_kept() {
        assert_eq!(strip_diacritics("ç 漢 €"), "ç 漢 €");
    }
}
