//! Pictures (feature `render`; see `[[test]]` in Cargo.toml).

use gateway_vietqr::VietQr;

fn sample() -> VietQr {
    VietQr::builder("970436", "0011001932418")
        .amount(150_000)
        .purpose("Thanh toán đơn hàng 42")
        .build()
        .unwrap()
}

#[test]
fn png_has_the_magic_bytes_and_the_size() {
    let png = sample().to_png(300).unwrap();
    assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"));
    // IHDR follows the signature: width and height as big-endian u32 at bytes 16..24.
    let width = u32::from_be_bytes(png[16..20].try_into().unwrap());
    let height = u32::from_be_bytes(png[20..24].try_into().unwrap());
    assert_eq!(width, height);
    assert!(width >= 300, "{width}");
    assert!(width < 300 + 80, "at most one module per side too wide: {width}");
}

#[test]
fn png_of_size_zero_is_one_pixel_per_module() {
    let png = sample().to_png(0).unwrap();
    assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"));
}

#[test]
fn svg() {
    let svg = sample().to_svg().unwrap();
    assert!(svg.contains("<svg"), "{svg}");
    assert!(svg.trim_end().ends_with("</svg>"));
}

#[test]
fn terminal() {
    let text = sample().to_terminal().unwrap();
    assert!(!text.is_empty());
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines.len() > 10);
    let width = lines[0].chars().count();
    assert!(lines.iter().all(|l| l.chars().count() == width), "square block of text");
    assert!(text.chars().all(|c| matches!(c, ' ' | '▀' | '▄' | '█' | '\n')));
}
