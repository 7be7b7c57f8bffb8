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

/// A pixel description for the round-trip targets from 4 bytes: rows and
/// columns 1-32 (`max_side`), 1 or 3 samples, Bits Allocated 8 or 16 with
/// Bits Stored 2..=Bits Allocated, signed or not, and the rest of the input.
#[allow(dead_code)]
pub fn desc_bits(data: &[u8], max_side: u8) -> Option<(PixelDescription, &[u8])> {
    let (head, rest) = data.split_at_checked(4)?;
    let rgb = head[2] & 1 == 1;
    let alloc: u16 = if head[2] & 2 == 2 { 16 } else { 8 };
    let stored = 2 + (head[3] as u16) % (alloc - 1);
    let d = PixelDescription {
        rows: 1 + (head[0] % max_side) as u32,
        columns: 1 + (head[1] % max_side) as u32,
        number_of_frames: 1,
        samples_per_pixel: if rgb { 3 } else { 1 },
        bits_allocated: alloc,
        bits_stored: stored,
        high_bit: stored - 1,
        pixel_representation: ((head[2] >> 2) & 1) as u16,
        planar_configuration: 0,
        photometric_interpretation: if rgb { "RGB" } else { "MONOCHROME2" }.to_owned(),
        element: PixelElement::PixelData,
    };
    Some((d, rest))
}

/// A frame for `desc` (its output length) from `bytes` repeated, each sample
/// made valid for Bits Stored: the unused high bits cleared (unsigned) or
/// holding the sign (signed), as the decoders write them.
#[allow(dead_code)]
pub fn valid_frame(desc: &PixelDescription, bytes: &[u8]) -> Option<Vec<u8>> {
    if bytes.is_empty() {
        return None;
    }
    let len = desc.frame_output_len().ok()? as usize;
    let mut v: Vec<u8> = bytes.iter().copied().cycle().take(len).collect();
    let signed = desc.pixel_representation == 1;
    let bs = desc.bits_stored as u32;
    if desc.bits_allocated == 8 {
        dicodec_core::pixels::fit_bits_stored_u8(&mut v, bs, signed);
    } else {
        let mut w: Vec<u16> = v
            .chunks_exact(2)
            .map(|c| u16::from_le_bytes([c[0], c[1]]))
            .collect();
        dicodec_core::pixels::fit_bits_stored_u16(&mut w, bs, signed);
        v = w.iter().flat_map(|x| x.to_le_bytes()).collect();
    }
    Some(v)
}
