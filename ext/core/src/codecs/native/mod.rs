//! Unpacking of native (uncompressed) pixel data.
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
//!   as stored (see [`ByteOrder`]), output little-endian.
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

use super::{DecodeContext, Frame, FrameDecoder};
use crate::error::{Error, Result};
use crate::limits;
use crate::pixels::{FrameReport, PixelDescription, PixelElement};

/// The native codec of the registry: native syntaxes (frames are windows of
/// the value) and Encapsulated Uncompressed (one frame per item).
pub struct NativeCodec;

impl FrameDecoder for NativeCodec {
    fn decode(
        &self,
        frame: &Frame<'_>,
        desc: &PixelDescription,
        dst: &mut [u8],
        _ctx: &DecodeContext,
    ) -> Result<FrameReport> {
        unpack_frame_window(frame.data, 0, frame.index, desc, frame.order, dst)?;
        Ok(FrameReport::default())
    }

    /// Checked by `unpack` in `native/tests.rs`.
    fn writes_every_byte(&self) -> bool {
        true
    }
}
use words::{Arrange, Fix};

/// Bits one frame occupies in the stored value (1-bit frames need not be
/// byte-aligned; YBR_FULL_422 stores 2 samples per pixel).
pub fn stored_frame_bits(desc: &PixelDescription) -> Result<u64> {
    Ok(Layout::of(desc)?.frame_bits)
}

/// How the pixel data value is stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum ByteOrder {
    /// Little-endian syntaxes.
    #[default]
    Little,
    /// Explicit VR Big Endian, value not OW (OB, OF, OD, UN…): samples wider
    /// than a byte are big-endian; 8-bit samples are bytes as stored.
    Big,
    /// Explicit VR Big Endian, value with VR OW: a stream of big-endian 16-bit
    /// words. 8-bit samples are swapped pairwise (pydicom's `be_swap_ow`: `01
    /// 02 03` is stored as `02 01 00 03`, also across frame boundaries);
    /// wider samples are as [`ByteOrder::Big`].
    BigOw,
}

/// The [`ByteOrder`] of a value from the transfer syntax and the VR of the
/// pixel element as found in the data set (1-bit data ignores it).
pub fn stored_byte_order(ts_big_endian: bool, vr: [u8; 2]) -> ByteOrder {
    match (ts_big_endian, &vr) {
        (false, _) => ByteOrder::Little,
        (true, b"OW") => ByteOrder::BigOw,
        (true, _) => ByteOrder::Big,
    }
}

impl ByteOrder {
    fn from_flag(big_endian: bool) -> ByteOrder {
        if big_endian {
            ByteOrder::Big
        } else {
            ByteOrder::Little
        }
    }
}

/// Unpacks frame `frame` of the stored value `src` into `dst`, which must be
/// exactly [`PixelDescription::frame_output_len`] bytes.
///
/// `big_endian`: samples wider than a byte are stored big-endian
/// ([`ByteOrder::Big`]). 8-bit data stored as OW in big endian needs its
/// bytes swapped pairwise: call [`unpack_frame_window`] with
/// [`ByteOrder::BigOw`] (see [`stored_byte_order`]), or swap them first.
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
    let order = ByteOrder::from_flag(big_endian);
    unpack_frame_window(src, 0, frame, desc, order, dst)
}

/// Bytes of the stored value that frame `frame` reads: `start..end`, relative
/// to the start of the value. Frames of 1-bit data share their boundary
/// bytes; YBR_FULL_422 frames with an odd pixel count share a `Y Y Cb Cr`
/// group; 8-bit OW big-endian frames include the other byte of their first
/// and last words. Lets a caller read only these bytes (e.g. `pread` into a
/// small scratch buffer) and call [`unpack_frame_window`].
pub fn frame_stored_range(
    desc: &PixelDescription,
    frame: usize,
    order: ByteOrder,
) -> Result<std::ops::Range<u64>> {
    let l = Layout::of(desc)?;
    Ok(FrameSpan::of(&l, frame, order)?.need)
}

/// [`unpack_frame`] with the full [`ByteOrder`], where `src` holds the stored
/// value from byte `offset` on (0: the whole value), covering at least
/// [`frame_stored_range`] of the frame. Error offsets are relative to the
/// start of the value.
pub fn unpack_frame_window(
    src: &[u8],
    offset: u64,
    frame: usize,
    desc: &PixelDescription,
    order: ByteOrder,
    dst: &mut [u8],
) -> Result<()> {
    let layout = Layout::of(desc)?;
    let out_len = desc.frame_output_len()?;
    if dst.len() as u64 != out_len {
        return Err(Error::output_size("native frame", dst.len(), out_len));
    }
    let span = FrameSpan::of(&layout, frame, order)?;
    let have_end = offset.saturating_add(src.len() as u64);
    if span.need.end > have_end {
        return Err(Error::malformed(
            have_end,
            "native pixel data",
            format!(
                "frame {frame} needs bytes {}..{} of the pixel data value, which has only {have_end} bytes",
                span.need.start, span.need.end
            ),
        ));
    }
    if span.need.start < offset {
        return Err(Error::malformed(
            offset,
            "native pixel data",
            format!(
                "frame {frame} starts at byte {} of the value, before the window at {offset}",
                span.need.start
            ),
        ));
    }
    if layout.sample_bits == 1 {
        unpack_bit_frame(src, span.bit_start - 8 * offset, &layout, dst)
    } else {
        unpack_word_frame(src, offset, &span, &layout, order, dst)
    }
}

/// Where one frame lies in the stored value.
#[derive(Debug, Clone, PartialEq, Eq)]
struct FrameSpan {
    /// Index of the frame's first pixel, counted from the start of the value.
    first_pixel: u64,
    /// 1-bit data: first bit of the frame.
    bit_start: u64,
    /// Bytes of the logical (after OW swapping) stream the frame reads.
    logical: std::ops::Range<u64>,
    /// Bytes of the stored value the frame needs.
    need: std::ops::Range<u64>,
}

impl FrameSpan {
    fn of(l: &Layout, frame: usize, order: ByteOrder) -> Result<FrameSpan> {
        let (first_pixel, last_pixel) = span(frame, l.pixels as u64)?;
        if l.sample_bits == 1 {
            let (bit_start, bit_end) = span(frame, l.frame_bits)?;
            let bytes = bit_start / 8..bit_end.div_ceil(8);
            return Ok(FrameSpan {
                first_pixel,
                bit_start,
                logical: bytes.clone(),
                need: bytes,
            });
        }
        let size = (l.sample_bits / 8) as u64;
        // Range of logical samples this frame reads.
        let (first, end) = if l.ybr422 {
            let end = limits::checked_size("pixel data", &[last_pixel.div_ceil(2), 4])?;
            (first_pixel / 2 * 4, end)
        } else {
            span(frame, l.frame_samples)?
        };
        let start_byte = limits::checked_size("pixel data", &[first, size])?;
        let end_byte = limits::checked_size("pixel data", &[end, size])?;
        // 8-bit OW words: logical byte j is stored at j ^ 1 (the last word
        // needs its padding byte).
        let need = if l.ow_swap(order) {
            start_byte & !1..end_byte.saturating_add(end_byte % 2)
        } else {
            start_byte..end_byte
        };
        Ok(FrameSpan {
            first_pixel,
            bit_start: 0,
            logical: start_byte..end_byte,
            need,
        })
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

impl Layout {
    /// pydicom's `be_swap_ow`: 8-bit Pixel Data stored as big-endian OW.
    fn ow_swap(&self, order: ByteOrder) -> bool {
        order == ByteOrder::BigOw && self.sample_bits == 8
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

/// A scratch buffer of `len` bytes, checked against the allocation limit.
fn scratch(len: usize) -> Result<Vec<u8>> {
    limits::check_alloc("native frame scratch", len as u64)?;
    Ok(vec![0u8; len])
}

/// `src` starts at the byte holding bit 0 of the frame window; the caller
/// checked it covers the frame.
fn unpack_bit_frame(src: &[u8], bit_start: u64, l: &Layout, dst: &mut [u8]) -> Result<()> {
    if l.planar {
        let mut planes = scratch(dst.len())?;
        bits::unpack_bits(src, bit_start, &mut planes);
        words::interleave_planes(&planes, dst, 1, l.spp, l.pixels);
    } else {
        bits::unpack_bits(src, bit_start, dst);
    }
    Ok(())
}

/// `src` holds the value from byte `offset` on; the caller checked it
/// covers `span.need`.
fn unpack_word_frame(
    src: &[u8],
    offset: u64,
    span: &FrameSpan,
    l: &Layout,
    order: ByteOrder,
    dst: &mut [u8],
) -> Result<()> {
    let size = (l.sample_bits / 8) as u64;
    let a = to_usize(span.logical.start - offset)?;
    let b = to_usize(span.logical.end - offset)?;
    let swapped;
    let stored: &[u8] = if l.ow_swap(order) {
        let mut t = scratch(b - a)?;
        swap_ow_bytes(src, span.logical.start, offset, &mut t);
        swapped = t;
        &swapped
    } else {
        &src[a..b]
    };
    let be = order != ByteOrder::Little && size > 1;
    let arrange = if l.ybr422 {
        Arrange::Ybr422 {
            first_pixel: (span.first_pixel % 2) as usize,
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

/// `dst[i] = value[(first + i) ^ 1]` where `src` holds the value from byte
/// `offset` on: bytes of 8-bit data stored as OW in a big-endian syntax. The
/// caller checks `src` covers the swapped range.
fn swap_ow_bytes(src: &[u8], first: u64, offset: u64, dst: &mut [u8]) {
    if offset % 2 == 1 {
        // Odd window start: word boundaries are not pairs of `src`.
        for (i, d) in (first..).zip(dst.iter_mut()) {
            let k = (i ^ 1)
                .checked_sub(offset)
                .and_then(|k| usize::try_from(k).ok());
            if let Some(&s) = k.and_then(|k| src.get(k)) {
                *d = s;
            }
        }
        return;
    }
    let Ok(mut pos) = usize::try_from(first - offset) else {
        return;
    };
    let mut out: &mut [u8] = dst;
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
