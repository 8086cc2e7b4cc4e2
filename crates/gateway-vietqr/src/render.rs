//! Pictures of a VietQR (feature `render`): SVG, PNG and text for a terminal.
//!
//! All three use the `qrcode` crate at error-correction level M (15 % of the symbol recoverable),
//! the level banking apps print VietQR codes at, with the standard 4-module quiet zone.

use qrcode::render::{svg, unicode};
use qrcode::{EcLevel, QrCode};

use crate::{VietQr, VietQrError};

/// Why a VietQR could not be drawn.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RenderError {
    /// The VietQR could not be encoded as a string.
    #[error(transparent)]
    Encode(#[from] VietQrError),
    /// The string does not fit in a QR symbol (cannot happen for a valid VietQR, which is far
    /// below the 2,331 bytes a version-40 symbol holds at level M).
    #[error("cannot make a QR symbol: {0}")]
    Qr(#[from] qrcode::types::QrError),
    /// The PNG encoder failed.
    #[error("cannot encode the PNG: {0}")]
    Png(#[from] image::ImageError),
}

impl VietQr {
    fn symbol(&self) -> Result<QrCode, RenderError> {
        Ok(QrCode::with_error_correction_level(
            self.encode()?.as_bytes(),
            EcLevel::M,
        )?)
    }

    /// An SVG document (UTF-8 text, starting with `<?xml`, with an `<svg>` element) of the QR:
    /// black modules on white, at least 256 × 256 user units, quiet zone included.
    pub fn to_svg(&self) -> Result<String, RenderError> {
        Ok(self
            .symbol()?
            .render::<svg::Color<'_>>()
            .min_dimensions(256, 256)
            .build())
    }

    /// A PNG file (bytes, 8-bit grayscale) of the QR, quiet zone included.
    ///
    /// The image is square and at least `size_px` pixels wide: every module is a whole number of
    /// pixels, so the width is the smallest multiple of the module count (symbol + quiet zone)
    /// that is `>= size_px`. `size_px` of 0 gives one pixel per module.
    pub fn to_png(&self, size_px: u32) -> Result<Vec<u8>, RenderError> {
        let picture = self
            .symbol()?
            .render::<image::Luma<u8>>()
            .min_dimensions(size_px, size_px)
            .build();
        let mut png = std::io::Cursor::new(Vec::new());
        picture.write_to(&mut png, image::ImageFormat::Png)?;
        Ok(png.into_inner())
    }

    /// The QR as text for a terminal: lines of Unicode half blocks (`▀`, `▄`, `█`, space), two
    /// module rows per line, joined by `\n`, quiet zone included. Drawn for a dark terminal: light
    /// modules are printed as blocks and dark ones as spaces, so the code scans as dark-on-light.
    pub fn to_terminal(&self) -> Result<String, RenderError> {
        Ok(self
            .symbol()?
            .render::<unicode::Dense1x2>()
            .dark_color(unicode::Dense1x2::Light)
            .light_color(unicode::Dense1x2::Dark)
            .build())
    }
}
