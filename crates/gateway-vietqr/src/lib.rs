//! NAPAS VietQR: encode, decode and (feature `render`) draw the EMVCo merchant-presented QR strings
//! that every Vietnamese banking app scans to pre-fill a transfer.
//!
//! A VietQR string is a list of TLV data objects ([`tlv`]): 2-digit id, 2-digit length in bytes,
//! value. It names the bank by its NAPAS BIN, the account or card number, optionally an amount in
//! whole VND and a remark, and ends with a CRC-16/CCITT-FALSE ([`crc`]). The exact layout written is
//! documented in [`codec`].
//!
//! ```
//! use gateway_vietqr::{decode, VietQr};
//!
//! let qr = VietQr::builder("970416", "257678859") // ACB, account 257678859
//!     .amount(10_000)                               // VND
//!     .purpose("Chuyen tien")
//!     .build()?;
//! let text = qr.encode()?;
//! assert_eq!(
//!     text,
//!     "00020101021238530010A0000007270123000697041601092576788590208QRIBFTTA53037045405100005802VN62150811Chuyen tien630453E6"
//! );
//! assert_eq!(decode(&text)?, qr);
//! assert_eq!(qr.to_string(), text);
//! # Ok::<(), gateway_vietqr::VietQrError>(())
//! ```
//!
//! Features: `render` adds `VietQr::to_svg`, `VietQr::to_png` and `VietQr::to_terminal` (module
//! `render`, error type `RenderError`).
#![deny(missing_docs)]

pub mod codec;
pub mod crc;
mod error;
mod model;
mod remark;
#[cfg(feature = "render")]
pub mod render;
pub mod tlv;

pub use codec::decode;
pub use error::VietQrError;
pub use model::{Initiation, Service, VietQr, VietQrBuilder, MAX_ACCOUNT_NUMBER_LEN, MAX_AMOUNT, MAX_REMARK_LEN};
pub use remark::strip_diacritics;
#[cfg(feature = "render")]
pub use render::RenderError;
