//! Deterministic, realistic Vietnamese names and bank data for seeding the sandbox.

/// A Vietnamese bank as the seeds and the NAPAS list name it: short name, full name, code, BIN.
#[derive(Debug, Clone, Copy)]
pub(crate) struct SeedBank {
    pub short_name: &'static str,
    pub full_name: &'static str,
    pub code: &'static str,
    pub bin: &'static str,
}

/// Banks used for generated accounts (BINs from the NAPAS/VietQR list).
pub(crate) const BANKS: &[SeedBank] = &[
    SeedBank {
        short_name: "Vietcombank",
        full_name: "Ngân hàng TMCP Ngoại Thương Việt Nam",
        code: "VCB",
        bin: "970436",
    },
    SeedBank {
        short_name: "VietinBank",
        full_name: "Ngân hàng TMCP Công Thương Việt Nam",
        code: "ICB",
        bin: "970415",
    },
    SeedBank {
        short_name: "BIDV",
        full_name: "Ngân hàng TMCP Đầu tư và Phát triển Việt Nam",
        code: "BIDV",
        bin: "970418",
    },
    SeedBank {
        short_name: "MBBank",
        full_name: "Ngân hàng TMCP Quân đội",
        code: "MB",
        bin: "970422",
    },
    SeedBank {
        short_name: "Techcombank",
        full_name: "Ngân hàng TMCP Kỹ thương Việt Nam",
        code: "TCB",
        bin: "970407",
    },
    SeedBank {
        short_name: "ACB",
        full_name: "Ngân hàng TMCP Á Châu",
        code: "ACB",
        bin: "970416",
    },
    SeedBank {
        short_name: "VPBank",
        full_name: "Ngân hàng TMCP Việt Nam Thịnh Vượng",
        code: "VPB",
        bin: "970432",
    },
    SeedBank {
        short_name: "TPBank",
        full_name: "Ngân hàng TMCP Tiên Phong",
        code: "TPB",
        bin: "970423",
    },
    SeedBank {
        short_name: "Sacombank",
        full_name: "Ngân hàng TMCP Sài Gòn Thương Tín",
        code: "STB",
        bin: "970403",
    },
    SeedBank {
        short_name: "ShinhanBank",
        full_name: "Ngân hàng TNHH MTV Shinhan Việt Nam",
        code: "SHBVN",
        bin: "970424",
    },
];

const FAMILY: &[&str] = &[
    "Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng", "Bùi", "Đỗ", "Hồ", "Ngô", "Dương",
    "Lý",
];
const MIDDLE: &[&str] = &[
    "Văn", "Thị", "Hữu", "Minh", "Ngọc", "Đức", "Thanh", "Quốc", "Thu", "Anh",
];
const GIVEN: &[&str] = &[
    "An", "Bình", "Châu", "Dũng", "Giang", "Hà", "Hải", "Hương", "Khánh", "Linh", "Lộc", "Mai", "Nam", "Nhung", "Phúc",
    "Quân", "Sơn", "Thảo", "Trang", "Tuấn", "Việt", "Yến",
];
const LABELS: &[&str] = &[
    "Quỹ tiền mặt",
    "Chi nhánh Hà Nội",
    "Chi nhánh Đà Nẵng",
    "Cửa hàng Quận 1",
    "Kế toán",
    "Bán hàng online",
    "Thu hộ",
    "Lương nhân viên",
    "Dự án Cần Thơ",
    "Kho Bình Dương",
];

/// A person's name with diacritics, e.g. "Nguyễn Thị Hương"; the same `i` always gives the same name.
pub(crate) fn person_name(i: usize) -> String {
    let f = FAMILY[i % FAMILY.len()];
    let m = MIDDLE[(i / FAMILY.len() + i) % MIDDLE.len()];
    let g = GIVEN[(i * 7 + 3) % GIVEN.len()];
    format!("{f} {m} {g}")
}

/// A label with diacritics, e.g. "Chi nhánh Hà Nội 3".
pub(crate) fn label(i: usize) -> String {
    format!("{} {}", LABELS[i % LABELS.len()], i / LABELS.len() + 1)
}

/// A bank for the `i`th generated account.
pub(crate) fn bank(i: usize) -> SeedBank {
    BANKS[(i * 3 + 1) % BANKS.len()]
}

/// How banks print holder names: upper case without diacritics ("NGUYEN THI HUONG").
pub(crate) fn bank_holder_name(name: &str) -> String {
    name.chars().map(fold).collect::<String>().to_uppercase()
}

fn fold(c: char) -> char {
    const GROUPS: &[(&str, char)] = &[
        ("àáạảãâầấậẩẫăằắặẳẵ", 'a'),
        ("ÀÁẠẢÃÂẦẤẬẨẪĂẰẮẶẲẴ", 'A'),
        ("èéẹẻẽêềếệểễ", 'e'),
        ("ÈÉẸẺẼÊỀẾỆỂỄ", 'E'),
        ("ìíịỉĩ", 'i'),
        ("ÌÍỊỈĨ", 'I'),
        ("òóọỏõôồốộổỗơờớợởỡ", 'o'),
        ("ÒÓỌỎÕÔỒỐỘỔỖƠỜỚỢỞỠ", 'O'),
        ("ùúụủũưừứựửữ", 'u'),
        ("ÙÚỤỦŨƯỪỨỰỬỮ", 'U'),
        ("ỳýỵỷỹ", 'y'),
        ("ỲÝỴỶỸ", 'Y'),
        ("đ", 'd'),
        ("Đ", 'D'),
    ];
    GROUPS
        .iter()
        .find(|(set, _)| set.contains(c))
        .map_or(c, |&(_, plain)| plain)
}

/// A deterministic pseudo-random number for seeding (SplitMix64), so runs are reproducible.
pub(crate) fn mix(i: u64) -> u64 {
    let mut z = i.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn holder_names_are_ascii_upper() {
        assert_eq!(bank_holder_name("Nguyễn Thị Hương"), "NGUYEN THI HUONG");
        assert_eq!(bank_holder_name("Đặng Đức Lộc"), "DANG DUC LOC");
    }

    #[test]
    fn names_have_diacritics_and_vary() {
        let names: std::collections::HashSet<_> = (0..200).map(person_name).collect();
        assert!(names.len() > 100);
        assert!(names.iter().any(|n| !n.is_ascii()));
    }
}
