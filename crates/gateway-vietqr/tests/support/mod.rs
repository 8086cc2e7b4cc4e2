//! Shared by the integration tests: a deterministic generator of VietQR inputs (no proptest
//! dependency) and helpers to hand-craft payloads with a correct CRC.
#![allow(dead_code)]

use gateway_vietqr::crc::crc_hex;
use gateway_vietqr::{strip_diacritics, Initiation, Service, VietQr, VietQrError};

/// NAPAS BINs of a few banks (providers.md): Vietcombank, VietinBank, BIDV, Agribank, MB,
/// Techcombank, ACB, VPBank, Sacombank, SHB, Shinhan, TPBank, VIB, HDBank, BVBank, BaoViet Bank.
pub const BINS: &[&str] = &[
    "970436", "970415", "970418", "970405", "970422", "970407", "970416", "970432", "970403", "970443", "970424",
    "970423", "970441", "970437", "970454", "970438",
];

/// xorshift64*: small, deterministic, good enough to spread test inputs.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed.max(1))
    }

    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// Uniform-ish in `0..n` (`n > 0`).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n
    }

    /// Uniform-ish in `lo..=hi`.
    pub fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.below(hi - lo + 1)
    }

    pub fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }

    pub fn string_from(&mut self, alphabet: &[char], len: usize) -> String {
        (0..len).map(|_| *self.pick(alphabet)).collect()
    }
}

const DIGITS: &str = "0123456789";
const ALNUM: &str = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
const VIETNAMESE: &str = "àáảãạăằắẳẵặâầấẩẫậèéẻẽẹêềếểễệìíỉĩịòóỏõọôồốổỗộơờớởỡợùúủũụưừứửữựỳýỷỹỵđĐƯƠÂĂÊÔ";

fn chars(s: &str) -> Vec<char> {
    s.chars().collect()
}

/// What a test asks the builder for, and what it must get back.
#[derive(Debug, Clone)]
pub struct Case {
    pub bin: String,
    pub account_number: String,
    pub service: Service,
    /// Set explicitly only sometimes (otherwise the builder chooses from the amount).
    pub initiation: Option<Initiation>,
    pub amount: Option<u64>,
    /// As given to the builder: may hold Vietnamese diacritics unless `ascii_only`.
    pub purpose: Option<String>,
}

impl Case {
    pub fn build(&self) -> Result<VietQr, VietQrError> {
        let mut builder = VietQr::builder(self.bin.clone(), self.account_number.clone()).service(self.service);
        if let Some(initiation) = self.initiation {
            builder = builder.initiation(initiation);
        }
        if let Some(amount) = self.amount {
            builder = builder.amount(amount);
        }
        if let Some(purpose) = &self.purpose {
            builder = builder.purpose(purpose.clone());
        }
        builder.build()
    }

    /// The remark the built value must hold: diacritics stripped, empty meaning none.
    pub fn expected_purpose(&self) -> Option<String> {
        self.purpose.as_deref().map(strip_diacritics).filter(|p| !p.is_empty())
    }

    pub fn expected_initiation(&self) -> Initiation {
        self.initiation.unwrap_or(if self.amount.is_some() {
            Initiation::Dynamic
        } else {
            Initiation::Static
        })
    }
}

/// A valid case: 6-digit BIN (a real one mostly), 1..=19 alphanumerics, any service, an amount
/// across the whole range or none, a remark of 0..=95 characters or none.
pub fn gen_case(rng: &mut Rng, ascii_only: bool) -> Case {
    let digits = chars(DIGITS);
    let alnum = chars(ALNUM);
    let bin = if rng.chance(80) {
        (*rng.pick(BINS)).to_owned()
    } else {
        rng.string_from(&digits, 6)
    };
    let len = rng.range(1, 19) as usize;
    let account_number = if rng.chance(50) {
        rng.string_from(&digits, len)
    } else {
        rng.string_from(&alnum, len)
    };
    let service = if rng.chance(70) {
        Service::ToAccount
    } else {
        Service::ToCard
    };
    let amount = match rng.below(4) {
        0 => None,
        1 => Some(rng.range(1, 999)),
        2 => Some(rng.range(1_000, 100_000_000)),
        _ => Some(rng.range(1, gateway_vietqr::MAX_AMOUNT)),
    };
    let initiation = match (amount, rng.below(3)) {
        (_, 0) => None,
        (Some(_), _) => Some(Initiation::Dynamic),
        (None, 1) => Some(Initiation::Static),
        (None, _) => Some(Initiation::Dynamic),
    };
    let purpose = if rng.chance(30) {
        None
    } else {
        Some(gen_remark(rng, ascii_only))
    };
    Case {
        bin,
        account_number,
        service,
        initiation,
        amount,
        purpose,
    }
}

/// A remark of 0..=95 characters: printable ASCII, and with `!ascii_only` Vietnamese letters too
/// (each strips to one ASCII letter, so the stripped remark still fits).
pub fn gen_remark(rng: &mut Rng, ascii_only: bool) -> String {
    let printable: Vec<char> = (' '..='~').collect();
    let vietnamese = chars(VIETNAMESE);
    let len = if rng.chance(10) { 95 } else { rng.range(0, 95) as usize };
    (0..len)
        .map(|_| {
            if !ascii_only && rng.chance(30) {
                *rng.pick(&vietnamese)
            } else {
                *rng.pick(&printable)
            }
        })
        .collect()
}

/// `body` + `"6304"` + its CRC: a payload whose CRC is right, to test what lies beneath it.
pub fn seal(body: &str) -> String {
    let with_header = format!("{body}6304");
    let crc = crc_hex(&with_header);
    with_header + &crc
}

/// One data object, as a test writes it by hand (length in bytes).
pub fn f(id: u8, value: &str) -> String {
    gateway_vietqr::tlv::field(id, value).expect("test field fits")
}

/// The merchant template `38` for `bin`/`account` with `guid` and `service` codes.
pub fn merchant(guid: &str, bin: &str, account: &str, service: &str) -> String {
    f(
        38,
        &[f(0, guid), f(1, &(f(0, bin) + &f(1, account))), f(2, service)].concat(),
    )
}

/// A body (everything before `"6304"`) from parts, for hand-made payloads.
pub fn body(parts: &[String]) -> String {
    parts.concat()
}
