//! Vietnamese banks: the [`Bank`] model and a lookup by 6-digit BIN or by bank code.
//!
//! Bank codes differ between sources (VietinBank is `ICB` in the NAPAS/VietQR list and `CTG` on the
//! stock exchange; `BVB` means BaoViet Bank in one list and BVBank in another), so the table is
//! keyed on the BIN, which NAPAS assigns uniquely. Codes are resolved through the table's aliases.

use serde::{Deserialize, Serialize};

/// A bank as one provider reported it, resolved against the table of known Vietnamese banks.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Bank {
    /// NAPAS bank identification number (6 digits, e.g. `"970436"`), when known.
    pub bin: Option<String>,
    /// Bank code as in the NAPAS/VietQR list (e.g. `"VCB"`, `"ICB"`), or the provider's code when
    /// the bank is not in the table.
    pub code: String,
    /// Short name (e.g. `"Vietcombank"`).
    pub short_name: String,
    /// Full legal name (e.g. `"Ngân hàng TMCP Ngoại Thương Việt Nam"`), when known.
    pub full_name: Option<String>,
}

impl Bank {
    /// A bank with every field given; prefer [`Bank::from_bin`] or [`Bank::from_code`].
    pub fn new(
        bin: Option<String>,
        code: impl Into<String>,
        short_name: impl Into<String>,
        full_name: Option<String>,
    ) -> Self {
        Self {
            bin,
            code: code.into(),
            short_name: short_name.into(),
            full_name,
        }
    }

    /// The known bank with this 6-digit BIN.
    pub fn from_bin(bin: &str) -> Option<Bank> {
        BankInfo::by_bin(bin).map(BankInfo::to_bank)
    }

    /// The known bank with this code or alias (case-insensitive; `"CTG"` and `"ICB"` both give
    /// VietinBank).
    pub fn from_code(code: &str) -> Option<Bank> {
        BankInfo::by_code(code).map(BankInfo::to_bank)
    }

    /// A bank known only by a provider's code: resolved through the table when the code is known,
    /// else kept as given with no BIN.
    pub fn from_provider_code(code: &str) -> Bank {
        Bank::from_code(code).unwrap_or_else(|| Bank::new(None, code, code, None))
    }
}

/// One row of the table of Vietnamese banks (NAPAS BINs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BankInfo {
    /// 6-digit NAPAS BIN.
    pub bin: &'static str,
    /// Code in the NAPAS/VietQR list.
    pub code: &'static str,
    /// Other codes the same bank goes by in other lists.
    pub aliases: &'static [&'static str],
    /// Short name.
    pub short_name: &'static str,
    /// Full legal name.
    pub full_name: &'static str,
}

impl BankInfo {
    /// Every bank in the table.
    pub fn all() -> &'static [BankInfo] {
        BANKS
    }

    /// The row with this BIN.
    pub fn by_bin(bin: &str) -> Option<&'static BankInfo> {
        let bin = bin.trim();
        BANKS.iter().find(|b| b.bin == bin)
    }

    /// The row with this code or alias (case-insensitive).
    pub fn by_code(code: &str) -> Option<&'static BankInfo> {
        let code = code.trim();
        BANKS.iter().find(|b| b.code.eq_ignore_ascii_case(code)).or_else(|| {
            BANKS
                .iter()
                .find(|b| b.aliases.iter().any(|a| a.eq_ignore_ascii_case(code)))
        })
    }

    /// This row as a [`Bank`].
    pub fn to_bank(&self) -> Bank {
        Bank::new(
            Some(self.bin.to_string()),
            self.code,
            self.short_name,
            Some(self.full_name.to_string()),
        )
    }
}

macro_rules! bank {
    ($bin:literal, $code:literal, [$($alias:literal),*], $short:literal, $full:literal) => {
        BankInfo { bin: $bin, code: $code, aliases: &[$($alias),*], short_name: $short, full_name: $full }
    };
}

/// Vietnamese banks by NAPAS BIN (source: the NAPAS/VietQR bank list).
static BANKS: &[BankInfo] = &[
    bank!(
        "970436",
        "VCB",
        [],
        "Vietcombank",
        "Ngân hàng TMCP Ngoại Thương Việt Nam"
    ),
    bank!(
        "970415",
        "ICB",
        ["CTG", "VTB"],
        "VietinBank",
        "Ngân hàng TMCP Công Thương Việt Nam"
    ),
    bank!(
        "970418",
        "BIDV",
        [],
        "BIDV",
        "Ngân hàng TMCP Đầu tư và Phát triển Việt Nam"
    ),
    bank!(
        "970405",
        "VBA",
        ["AGRIBANK"],
        "Agribank",
        "Ngân hàng Nông nghiệp và Phát triển Nông thôn Việt Nam"
    ),
    bank!("970422", "MB", ["MBB"], "MBBank", "Ngân hàng TMCP Quân đội"),
    bank!("970407", "TCB", [], "Techcombank", "Ngân hàng TMCP Kỹ thương Việt Nam"),
    bank!("970416", "ACB", [], "ACB", "Ngân hàng TMCP Á Châu"),
    bank!("970432", "VPB", [], "VPBank", "Ngân hàng TMCP Việt Nam Thịnh Vượng"),
    bank!("970403", "STB", [], "Sacombank", "Ngân hàng TMCP Sài Gòn Thương Tín"),
    bank!("970443", "SHB", [], "SHB", "Ngân hàng TMCP Sài Gòn - Hà Nội"),
    bank!(
        "970424",
        "SHBVN",
        [],
        "ShinhanBank",
        "Ngân hàng TNHH MTV Shinhan Việt Nam"
    ),
    bank!("970423", "TPB", [], "TPBank", "Ngân hàng TMCP Tiên Phong"),
    bank!("970441", "VIB", [], "VIB", "Ngân hàng TMCP Quốc tế Việt Nam"),
    bank!(
        "970437",
        "HDB",
        [],
        "HDBank",
        "Ngân hàng TMCP Phát triển Thành phố Hồ Chí Minh"
    ),
    bank!("970454", "VCCB", [], "BVBank", "Ngân hàng TMCP Bản Việt"),
    bank!("970438", "BVB", [], "BaoVietBank", "Ngân hàng TMCP Bảo Việt"),
    bank!("970448", "OCB", [], "OCB", "Ngân hàng TMCP Phương Đông"),
    bank!("970426", "MSB", [], "MSB", "Ngân hàng TMCP Hàng Hải"),
    bank!("970429", "SCB", [], "SCB", "Ngân hàng TMCP Sài Gòn"),
    bank!("970440", "SEAB", [], "SeABank", "Ngân hàng TMCP Đông Nam Á"),
    bank!(
        "970431",
        "EIB",
        [],
        "Eximbank",
        "Ngân hàng TMCP Xuất Nhập khẩu Việt Nam"
    ),
    bank!("970449", "LPB", [], "LPBank", "Ngân hàng TMCP Lộc Phát Việt Nam"),
    bank!("970452", "KLB", [], "KienLongBank", "Ngân hàng TMCP Kiên Long"),
    bank!("970427", "VAB", [], "VietABank", "Ngân hàng TMCP Việt Á"),
    bank!("970428", "NAB", [], "NamABank", "Ngân hàng TMCP Nam Á"),
    bank!(
        "970430",
        "PGB",
        [],
        "PGBank",
        "Ngân hàng TMCP Thịnh vượng và Phát triển"
    ),
    bank!(
        "970433",
        "VIETBANK",
        [],
        "VietBank",
        "Ngân hàng TMCP Việt Nam Thương Tín"
    ),
    bank!("970409", "BAB", [], "BacABank", "Ngân hàng TMCP Bắc Á"),
    bank!("970412", "PVCB", [], "PVcomBank", "Ngân hàng TMCP Đại Chúng Việt Nam"),
    bank!("970419", "NCB", [], "NCB", "Ngân hàng TMCP Quốc Dân"),
    bank!("970425", "ABB", [], "ABBANK", "Ngân hàng TMCP An Bình"),
    bank!(
        "970400",
        "SGICB",
        [],
        "SaigonBank",
        "Ngân hàng TMCP Sài Gòn Công Thương"
    ),
    bank!(
        "970408",
        "GPB",
        [],
        "GPBank",
        "Ngân hàng Thương mại TNHH MTV Dầu Khí Toàn Cầu"
    ),
    bank!("970406", "DOB", [], "DongABank", "Ngân hàng TMCP Đông Á"),
    bank!(
        "970444",
        "CBB",
        [],
        "CBBank",
        "Ngân hàng Thương mại TNHH MTV Xây dựng Việt Nam"
    ),
    bank!(
        "970414",
        "OCEANBANK",
        [],
        "Oceanbank",
        "Ngân hàng Thương mại TNHH MTV Đại Dương"
    ),
    bank!("970421", "VRB", [], "VRB", "Ngân hàng Liên doanh Việt - Nga"),
    bank!("970434", "IVB", [], "IndovinaBank", "Ngân hàng TNHH Indovina"),
    bank!("970439", "PBVN", [], "PublicBank", "Ngân hàng TNHH MTV Public Việt Nam"),
    bank!("970457", "WVN", [], "Woori", "Ngân hàng TNHH MTV Woori Việt Nam"),
    bank!(
        "970458",
        "UOB",
        [],
        "UnitedOverseas",
        "Ngân hàng United Overseas - Chi nhánh TP. Hồ Chí Minh"
    ),
    bank!(
        "970410",
        "SCVN",
        [],
        "StandardChartered",
        "Ngân hàng TNHH MTV Standard Chartered Bank Việt Nam"
    ),
    bank!(
        "970442",
        "HLBVN",
        [],
        "HongLeong",
        "Ngân hàng TNHH MTV Hong Leong Việt Nam"
    ),
    bank!("970446", "COOPBANK", [], "COOPBANK", "Ngân hàng Hợp tác xã Việt Nam"),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vietinbank_by_either_code_and_bin() {
        let by_icb = Bank::from_code("ICB").unwrap();
        let by_ctg = Bank::from_code("ctg").unwrap();
        let by_bin = Bank::from_bin("970415").unwrap();
        assert_eq!(by_icb, by_ctg);
        assert_eq!(by_icb, by_bin);
        assert_eq!(by_bin.short_name, "VietinBank");
    }

    #[test]
    fn bins_and_codes_are_unique() {
        let mut bins: Vec<_> = BANKS.iter().map(|b| b.bin).collect();
        bins.sort_unstable();
        bins.dedup();
        assert_eq!(bins.len(), BANKS.len());
        assert!(BANKS
            .iter()
            .all(|b| b.bin.len() == 6 && b.bin.bytes().all(|c| c.is_ascii_digit())));
        let mut codes: Vec<_> = BANKS
            .iter()
            .flat_map(|b| std::iter::once(b.code).chain(b.aliases.iter().copied()))
            .collect();
        let n = codes.len();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), n, "a code or alias names two banks");
    }

    #[test]
    fn unknown_code_is_kept_without_bin() {
        let b = Bank::from_provider_code("GALAXYPAY");
        assert_eq!(b.bin, None);
        assert_eq!(b.code, "GALAXYPAY");
        assert_eq!(Bank::from_bin("000000"), None);
    }
}
