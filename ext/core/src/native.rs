//! Unpacking of native (uncompressed) pixel data. OWNER: native helper.
//!
//! Contract: [`unpack_frame`] writes frame `frame` of `src` (the whole value
//! of the pixel data element, as stored) into `dst` following the contract in
//! [`crate::pixels`]: little-endian, colour-by-pixel, one
//! [`crate::pixels::SampleType`] per sample, exactly what
//! `pydicom.pixels.pixel_array(..., raw=True)` (pydicom 3) returns for it:
//!
//! * Bits Allocated 1: packed, least significant bit first, frames need not
//!   start on a byte boundary; unpacked to one `u8` (0/1) per pixel.
//! * Bits Allocated 8/16/32/64, Float and Double Float Pixel Data: byte order
//!   as stored (see [`stored_big_endian`]), output little-endian.
//! * Bits Stored < Bits Allocated (Pixel Data only): the unused high bits are
//!   cleared (unsigned) or replaced by the sign bit (signed), as pydicom's
//!   `correct_unused_bits` (a left then right shift by Bits Allocated − Bits
//!   Stored) does.
//! * Planar Configuration 1 is interleaved to colour-by-pixel.
//! * YBR_FULL_422 (native: 2 samples per pixel, `Y1 Y2 Cb Cr`) is upsampled
//!   to 3 samples per pixel, pairs counted from the start of the value as
//!   pydicom does on the whole array, so frames with an odd pixel count match
//!   too.

mod bits;
mod words;

#[cfg(test)]
mod tests;

use crate::error::{Error, Result};
use crate::limits;
use crate::pixels::{PixelDescription, PixelElement};
use words::{Arrange, Fix};

/// Bits one frame occupies in the stored value (1-bit frames need not be
/// byte-aligned; YBR_FULL_422 stores 2 samples per pixel).
pub fn stored_frame_bits(desc: &PixelDescription) -> Result<u64> {
    Ok(Layout::of(desc)?.frame_bits)
}

/// The `big_endian` flag [`unpack_frame`] expects, from the transfer syntax
/// and the VR of the pixel element as found in the data set.
///
/// Samples wider than a byte are swapped in a big-endian syntax whatever the
/// VR. 8-bit samples are swapped pairwise only when stored as OW (pydicom's
/// `be_swap_ow`: `OW` is a stream of 16-bit words, so `01 02 03` is stored as
/// `02 01 00 03`); as OB (or UN) they are bytes. 1-bit data is never swapped.
pub fn stored_big_endian(ts_big_endian: bool, desc: &PixelDescription, vr: [u8; 2]) -> bool {
    if !ts_big_endian {
        return false;
    }
    match desc.element {
        PixelElement::PixelData => match desc.bits_allocated {
            1 => false,
            8 => &vr == b"OW",
            _ => true,
        },
        PixelElement::FloatPixelData | PixelElement::DoubleFloatPixelData => true,
    }
}

/// Unpacks frame `frame` of the stored value `src` into `dst`, which must be
/// exactly [`PixelDescription::frame_output_len`] bytes.
///
/// `big_endian`: samples are stored big-endian; for Bits Allocated 8 it means
/// the value is stored as big-endian OW words (compute it with
/// [`stored_big_endian`]); ignored for Bits Allocated 1.
///
/// Errors: [`Error::Malformed`] (offset relative to `src`) when `src` is too
/// short for the frame or the attributes contradict each other;
/// [`Error::Unsupported`] for layouts pydicom cannot decode either.
pub fn unpack_frame(
    src: &[u8],
    frame: usize,
    desc: &PixelDescription,
    big_endian: bool,
    dst: &mut [u8],
) -> Result<()> {
    let layout = Layout::of(desc)?;
    let out_len = desc.frame_output_len()?;
    if dst.len() as u64 != out_len {
        return Err(Error::malformed(
            0,
            "native frame output",
            format!(
                "the output buffer is {} bytes but one frame needs {out_len}",
                dst.len()
            ),
        ));
    }
    if layout.sample_bits == 1 {
        unpack_bit_frame(src, frame, &layout, dst)
    } else {
        unpack_word_frame(src, frame, &layout, big_endian, dst)
    }
}

/// What one frame looks like in the stored value.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Layout {
    /// 1, 8, 16, 32 or 64.
    sample_bits: u32,
    spp: usize,
    /// Rows × Columns.
    pixels: usize,
    /// Colour-by-plane (Samples per Pixel > 1 and Planar Configuration 1).
    planar: bool,
    ybr422: bool,
    fix: Fix,
    /// Samples of one frame in the stored value.
    frame_samples: u64,
    frame_bits: u64,
}

impl Layout {
    fn of(desc: &PixelDescription) -> Result<Layout> {
        desc.validate()?;
        let module = "Image Pixel module";
        let (sample_bits, fix) = match desc.element {
            PixelElement::FloatPixelData => (32, Fix::None),
            PixelElement::DoubleFloatPixelData => (64, Fix::None),
            PixelElement::PixelData => {
                let (ba, bs) = (desc.bits_allocated as u32, desc.bits_stored as u32);
                let fix = if bs >= ba {
                    Fix::None
                } else if desc.pixel_representation == 1 {
                    Fix::SignExtend(ba - bs)
                } else {
                    Fix::Mask(bs)
                };
                (ba, fix)
            }
        };
        let spp = desc.samples_per_pixel as usize;
        let planar = spp > 1 && desc.planar_configuration != 0;
        if spp > 1 && desc.planar_configuration > 1 {
            return Err(Error::malformed(
                0,
                module,
                format!(
                    "Planar Configuration {} (must be 0 or 1)",
                    desc.planar_configuration
                ),
            ));
        }
        let pi = desc
            .photometric_interpretation
            .trim_end_matches([' ', '\0']);
        let ybr422 = pi == "YBR_FULL_422";
        if ybr422 && spp != 3 {
            return Err(Error::malformed(
                0,
                module,
                format!("YBR_FULL_422 with Samples per Pixel {spp} (must be 3)"),
            ));
        }
        if ybr422 && sample_bits == 1 {
            return Err(Error::unsupported("YBR_FULL_422 with Bits Allocated 1"));
        }
        let pixels64 = limits::checked_size("frame", &[desc.rows as u64, desc.columns as u64])?;
        let frame_samples = if ybr422 {
            limits::checked_size("frame", &[pixels64, 2])?
        } else {
            limits::checked_size("frame", &[pixels64, spp as u64])?
        };
        let frame_bits = limits::checked_size("frame", &[frame_samples, sample_bits as u64])?;
        Ok(Layout {
            sample_bits,
            spp,
            pixels: to_usize(pixels64)?,
            planar,
            ybr422,
            fix,
            frame_samples,
            frame_bits,
        })
    }
}

fn to_usize(v: u64) -> Result<usize> {
    usize::try_from(v).map_err(|_| Error::LimitExceeded {
        what: "native frame".into(),
        requested: v,
        limit: usize::MAX as u64,
    })
}

/// `[frame * per, (frame + 1) * per)` without overflow.
fn span(frame: usize, per: u64) -> Result<(u64, u64)> {
    let start = limits::checked_size("pixel data", &[frame as u64, per])?;
    let end = start.checked_add(per).ok_or_else(|| Error::LimitExceeded {
        what: "pixel data".into(),
        requested: u64::MAX,
        limit: limits::max_alloc(),
    })?;
    Ok((start, end))
}

fn too_short(src: &[u8], frame: usize, start: u64, end: u64) -> Error {
    Error::malformed(
        src.len() as u64,
        "native pixel data",
        format!(
            "frame {frame} needs bytes {start}..{end} of the pixel data value, which has only {} bytes",
            src.len()
        ),
    )
}

/// A scratch buffer of `len` bytes, checked against the allocation limit.
fn scratch(len: usize) -> Result<Vec<u8>> {
    limits::check_alloc("native frame scratch", len as u64)?;
    Ok(vec![0u8; len])
}

fn unpack_bit_frame(src: &[u8], frame: usize, l: &Layout, dst: &mut [u8]) -> Result<()> {
    let (bit_start, bit_end) = span(frame, l.frame_bits)?;
    let need = bit_end.div_ceil(8);
    if (src.len() as u64) < need {
        return Err(too_short(src, frame, bit_start / 8, need));
    }
    if l.planar {
        let mut planes = scratch(dst.len())?;
        bits::unpack_bits(src, bit_start, &mut planes);
        words::interleave_planes(&planes, dst, 1, l.spp, l.pixels);
    } else {
        bits::unpack_bits(src, bit_start, dst);
    }
    Ok(())
}

fn unpack_word_frame(
    src: &[u8],
    frame: usize,
    l: &Layout,
    big_endian: bool,
    dst: &mut [u8],
) -> Result<()> {
    let size = (l.sample_bits / 8) as u64;
    // Range of logical samples this frame reads.
    let (first_pixel, last_pixel) = span(frame, l.pixels as u64)?;
    let (first, end) = if l.ybr422 {
        let end = limits::checked_size("pixel data", &[last_pixel.div_ceil(2), 4])?;
        (first_pixel / 2 * 4, end)
    } else {
        span(frame, l.frame_samples)?
    };
    // Sample counts are at most frame_bits * frames / 8, so bytes fit in u64
    // whenever the bit span did; check anyway.
    let start_byte = limits::checked_size("pixel data", &[first, size])?;
    let end_byte = limits::checked_size("pixel data", &[end, size])?;
    let ow_swap = size == 1 && big_endian;
    // OW words: logical byte j is stored at j ^ 1 (needs the padding byte).
    let need = if ow_swap {
        end_byte + end_byte % 2
    } else {
        end_byte
    };
    if (src.len() as u64) < need {
        return Err(too_short(src, frame, start_byte, need));
    }
    let (a, b) = (to_usize(start_byte)?, to_usize(end_byte)?);
    let swapped;
    let stored: &[u8] = if ow_swap {
        let mut t = scratch(b - a)?;
        swap_ow_bytes(src, a, &mut t);
        swapped = t;
        &swapped
    } else {
        &src[a..b]
    };
    let be = big_endian && size > 1;
    let arrange = if l.ybr422 {
        Arrange::Ybr422 {
            first_pixel: (first_pixel % 2) as usize,
            pixels: l.pixels,
        }
    } else if l.planar {
        Arrange::Planar {
            spp: l.spp,
            pixels: l.pixels,
        }
    } else {
        Arrange::Plain
    };
    if l.ybr422 && l.planar {
        // pydicom upsamples, then reads the result as colour-by-plane.
        let mut up = scratch(dst.len())?;
        convert(l.sample_bits, stored, &mut up, arrange, be, l.fix);
        words::interleave_planes(&up, dst, size as usize, 3, l.pixels);
    } else {
        convert(l.sample_bits, stored, dst, arrange, be, l.fix);
    }
    Ok(())
}

fn convert(sample_bits: u32, src: &[u8], dst: &mut [u8], arrange: Arrange, be: bool, fix: Fix) {
    match sample_bits {
        8 => words::convert::<u8>(src, dst, arrange, be, fix),
        16 => words::convert::<u16>(src, dst, arrange, be, fix),
        32 => words::convert::<u32>(src, dst, arrange, be, fix),
        _ => words::convert::<u64>(src, dst, arrange, be, fix),
    }
}

/// `dst[i] = src[(first + i) ^ 1]`: bytes of 8-bit data stored as OW in a
/// big-endian syntax. The caller checks `src` covers the swapped range.
fn swap_ow_bytes(src: &[u8], first: usize, dst: &mut [u8]) {
    let mut out: &mut [u8] = dst;
    let mut pos = first;
    if pos % 2 == 1 {
        if let (Some(d), Some(&s)) = (out.first_mut(), src.get(pos - 1)) {
            *d = s;
        }
        out = out.get_mut(1..).unwrap_or(&mut []);
        pos += 1;
    }
    let in_pairs = src.get(pos..).unwrap_or(&[]);
    let pairs = out.len() / 2;
    let (body, tail) = out.split_at_mut(pairs * 2);
    for (d, s) in body.chunks_exact_mut(2).zip(in_pairs.chunks_exact(2)) {
        d.copy_from_slice(&u16::from_be_bytes([s[0], s[1]]).to_le_bytes());
    }
    if let (Some(d), Some(&s)) = (tail.first_mut(), in_pairs.get(pairs * 2 + 1)) {
        *d = s;
    }
}
