//! Shared by the fuzz targets: a small allocation limit (so a hostile
//! header is a `LimitExceeded` error, not an out-of-memory report) and a
//! pixel description built from the first input bytes.

use dicodec_core::pixels::{PixelDescription, PixelElement};

/// Called first by every target.
pub fn init() {
    dicodec_core::limits::set_max_alloc(64 << 20);
}

/// A small, mostly valid pixel description from 4 bytes (rows and columns
/// 1-64, 1 or 3 samples, 8 or 16 bits), and the rest of the input.
#[allow(dead_code)] // not every target uses it
pub fn desc(data: &[u8]) -> Option<(PixelDescription, &[u8])> {
    let (head, rest) = data.split_at_checked(4)?;
    let rgb = head[2] & 1 == 1;
    let bits: u16 = if head[2] & 2 == 2 { 16 } else { 8 };
    let d = PixelDescription {
        rows: 1 + (head[0] % 64) as u32,
        columns: 1 + (head[1] % 64) as u32,
        number_of_frames: 1,
        samples_per_pixel: if rgb { 3 } else { 1 },
        bits_allocated: bits,
        bits_stored: bits,
        high_bit: bits - 1,
        pixel_representation: ((head[2] >> 2) & 1) as u16,
        planar_configuration: ((head[2] >> 3) & 1) as u16,
        photometric_interpretation: if rgb { "RGB" } else { "MONOCHROME2" }.to_owned(),
        element: PixelElement::PixelData,
    };
    let _ = head[3];
    Some((d, rest))
}
