//! JPEG 2000 lossless encoder (JPEG 2000 Image Compression (Lossless Only),
//! .90) through OpenJPEG: reversible 5/3 wavelet, one quality layer, LRCP,
//! one tile, a raw codestream (no JP2 box), written to memory.
//!
//! Defaults follow pylibjpeg-openjpeg, pydicom's J2K encoder (OpenJPEG's
//! defaults): 6 resolutions (5 decomposition levels, fewer for images
//! smaller than 32 samples a side), 64 × 64 code-blocks. Colour: the
//! reversible colour transform (MCT) is applied exactly when *Photometric
//! Interpretation* is YBR_RCT (the samples given are RGB), as PS3.5 8.2.4
//! requires and pydicom does; RGB and YBR_FULL are stored as they are.
//! 1 or 3 components, 8, 16 or 32 bits allocated, precision = *Bits
//! Stored* (1-16; up to 24 with 32 bits allocated, as pylibjpeg-openjpeg),
//! signed data stored signed. Samples outside the *Bits Stored* range
//! are an `InvalidArgument` (as pydicom refuses them). OpenJPEG's warnings
//! are returned, its errors become the `Error`; nothing is printed.

use super::sys;
use crate::codecs::J2kParams;
use crate::error::{Error, Result};
use crate::limits;
use crate::pixels::{PixelDescription, PixelElement};

/// Decomposition levels when none are asked for (OpenJPEG's default of 6
/// resolutions).
pub const DEFAULT_LEVELS: u8 = 5;

fn bad(msg: impl std::fmt::Display) -> Error {
    Error::invalid_argument(format!("JPEG 2000 encoder: {msg}"))
}

/// The most decomposition levels an image of `width` × `height` allows
/// (the lowest resolution keeps at least one sample a side).
pub fn max_levels(width: u32, height: u32) -> u8 {
    let m = width.min(height).max(1);
    (31 - m.leading_zeros()).min(32) as u8
}

/// Encodes one native DICOM frame (`src`: little-endian samples in the Bits
/// Allocated container, colour-by-pixel, as the decoders write them) as a
/// lossless JPEG 2000 codestream.
pub fn encode_frame(src: &[u8], desc: &PixelDescription, params: &J2kParams) -> Result<Vec<u8>> {
    crate::codecs::EncodeParams::J2k(*params).validate()?;
    desc.validate()?;
    if desc.element != PixelElement::PixelData {
        return Err(Error::unsupported("JPEG 2000 encoding of float pixel data"));
    }
    let need = desc.frame_output_len()?;
    if src.len() as u64 != need {
        return Err(bad(format!(
            "frame of {} bytes but {} x {} x {} samples need {need}",
            src.len(),
            desc.rows,
            desc.columns,
            desc.samples_per_pixel
        )));
    }
    let (w, h, nc) = (desc.columns, desc.rows, u32::from(desc.samples_per_pixel));
    if nc != 1 && nc != 3 {
        return Err(Error::unsupported(format!(
            "JPEG 2000 encoding of {nc} samples per pixel (1 or 3)"
        )));
    }
    if ![8, 16, 32].contains(&desc.bits_allocated) {
        return Err(Error::unsupported(format!(
            "JPEG 2000 encoding of Bits Allocated {} (8, 16 or 32)",
            desc.bits_allocated
        )));
    }
    let bs = u32::from(desc.bits_stored);
    if !(1..=u32::from(desc.bits_allocated.min(24))).contains(&bs) {
        return Err(bad(format!(
            "Bits Stored {bs} (1 to {})",
            desc.bits_allocated.min(24)
        )));
    }
    let pi = desc.photometric_interpretation.trim();
    let mct = match (nc, pi) {
        (3, "YBR_RCT") => true,
        (3, "RGB" | "YBR_FULL" | "") => false,
        (1, "MONOCHROME1" | "MONOCHROME2" | "PALETTE COLOR" | "") => false,
        _ => {
            return Err(bad(format!(
                "Photometric Interpretation {pi:?} with {nc} samples per pixel (lossless \
                 JPEG 2000 takes MONOCHROME1/2 or PALETTE COLOR, or RGB, YBR_RCT or YBR_FULL)"
            )))
        }
    };
    let most = max_levels(w, h);
    let levels = match params.levels {
        None => DEFAULT_LEVELS.min(most),
        Some(l) if l <= most => l,
        Some(l) => {
            return Err(bad(format!(
                "{l} decomposition levels for a {w} x {h} image (at most {most})"
            )))
        }
    };
    let signed = desc.pixel_representation == 1;
    let (lo, hi) = if signed {
        (-(1i32 << (bs - 1)), (1i32 << (bs - 1)) - 1)
    } else {
        (0, ((1u32 << bs) - 1) as i32)
    };
    let samples = limits::checked_size("JPEG 2000 image", &[w as u64, h as u64, nc as u64])?;
    limits::check_alloc("JPEG 2000 encoder planes", samples * 4)?;
    let (cw, ch) = params.code_block.unwrap_or((64, 64));
    let spec = sys::CompressSpec {
        width: w,
        height: h,
        components: nc,
        precision: bs,
        signed,
        resolutions: i32::from(levels) + 1,
        code_block: (i32::from(cw), i32::from(ch)),
        mct,
    };
    let ncu = nc as usize;
    let sample = |i: usize| -> i32 {
        match (desc.bits_allocated, signed) {
            (8, false) => i32::from(src[i]),
            (8, true) => i32::from(src[i] as i8),
            (16, false) => i32::from(u16::from_le_bytes([src[2 * i], src[2 * i + 1]])),
            (16, true) => i32::from(i16::from_le_bytes([src[2 * i], src[2 * i + 1]])),
            // 32 bits: at most 24 significant, so the i32 holds them (an
            // unsigned value above i32::MAX fails the range check).
            _ => i32::from_le_bytes([src[4 * i], src[4 * i + 1], src[4 * i + 2], src[4 * i + 3]]),
        }
    };
    // Range check first (OpenJPEG would encode out-of-range values wrongly).
    if let Some(i) = (0..samples as usize).find(|&i| !(lo..=hi).contains(&sample(i))) {
        return Err(bad(format!(
            "sample {} (index {i}) is outside {lo}..={hi}, the range of Bits Stored {bs}",
            sample(i)
        )));
    }
    let (stream, messages) = sys::compress(&spec, |k, plane| {
        for (j, v) in plane.iter_mut().enumerate() {
            *v = sample(j * ncu + k);
        }
    })
    .map_err(|m| {
        let what = if m.errors.is_empty() {
            "OpenJPEG could not encode the image".to_owned()
        } else {
            format!("OpenJPEG: {}", m.errors.join("; "))
        };
        Error::unsupported(what)
    })?;
    // OpenJPEG's warnings would only concern parameters checked above.
    debug_assert!(messages.warnings.is_empty(), "{:?}", messages.warnings);
    Ok(stream)
}
