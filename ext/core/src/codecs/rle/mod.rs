//! RLE Lossless (DICOM PS3.5 Annex G): decoder, encoder and a format check.
//!
//! An RLE frame is a 64-byte header (number of segments, then up to 15
//! little-endian segment offsets) followed by PackBits-compressed *byte
//! segments*. Each segment holds one byte of every sample of one colour
//! plane: for every sample (R, G, B…) the most significant byte first, so
//! 16-bit RGB has 6 segments `R-MSB, R-LSB, G-MSB, G-LSB, B-MSB, B-LSB`.
//! Segments are numbered from 1 in error messages, as in the standard's header
//! table ("offset of segment 1").
//!
//! # Decoding
//!
//! [`decode_frame`] writes little-endian, colour-by-pixel samples into the
//! caller's buffer (the contract of [`crate::pixels`]). Each segment is
//! decoded into a contiguous byte plane and the planes are interleaved into
//! the output (SIMD shuffles for 3 and 6 planes) in blocks that stay in
//! cache: all segments advance one block at a time. The PackBits loop stores
//! the first 32 bytes of every run (64 with AVX2, chosen at run time)
//! unconditionally in 16- or 32-byte moves, then finishes longer runs in a
//! loop; near the ends of a block or segment an exact loop takes over. One
//! core decodes 16-bit CT at about 5 to 10 GB/s of output depending on the
//! encoder's run structure, so decoding the segments of one frame in
//! parallel does not pay (measured: the extra whole-frame planes cost more
//! than the second core saves); the reader decodes frames in parallel.
//!
//! *Bits Allocated* 1 (binary segmentations): the single segment holds one
//! byte per pixel (what pylibjpeg-rle 2.2, pydicom's newer encoder and
//! [`encode_frame`] write) or, as older highdicom wrote, the bit-packed frame
//! (`ceil(rows × columns / 8)` bytes, least significant bit first); the
//! decoded length tells which. Output is one byte (0 or 1) per pixel, as
//! pydicom returns 1-bit data.
//!
//! # Tolerance policy
//!
//! Real-world files bend the standard; by default (lenient mode) the decoder
//! accepts, and notes in the [`FrameReport`]:
//!
//! * a first segment offset above 64 (bytes between the header and the first
//!   segment are skipped), and gaps or padding between segments;
//! * odd-length segments and trailing pad bytes (a lone trailing byte, or
//!   no-op `0x80` codes, are not even noted: that is conformant padding);
//! * a segment that decodes to *more* bytes than `rows × columns` (the excess
//!   is dropped, with a warning);
//! * a segment that decodes exactly *one* byte short (the last byte is set to
//!   zero, with a warning: some encoders drop the final byte);
//! * non-zero offsets for unused segments (ignored).
//!
//! With [`DecodeOptions::strict`] every one of these is an error. Always an
//! error ([`Error::Malformed`] naming the segment and the byte offset into the
//! frame): data shorter than the header; a segment count of 0, above 15, or
//! not `samples × bytes per sample`; offsets below 64, decreasing, or past the
//! end of the data; a segment that decodes two or more bytes short
//! (truncated).
//!
//! # Encoding
//!
//! [`encode_frame`] produces standard-conformant PackBits segments (each row
//! encoded separately, runs never cross a row boundary, segments padded to
//! even length), never larger than the common greedy encoders (pydicom,
//! pylibjpeg-rle, GDCM): a two-byte repeat between literal runs is merged into
//! the literal, as PS3.5 G.3.1 recommends. It accepts samples narrower than
//! *Bits Allocated* (pydicom hands encoders 8-bit samples when *Bits Stored*
//! ≤ 8) and widens them (sign-extended when *Pixel Representation* is 1).

mod decode;
mod encode;
mod header;
mod interleave;
mod segment;

pub use decode::{decode_frame, decode_frame_with, DecodeOptions, STREAM_TOTAL};
pub use encode::encode_frame;
pub use header::{check, parse_header, Header, HEADER_LEN, MAX_SEGMENTS};

use super::{DecodeContext, EncodeContext, Frame, FrameDecoder, FrameEncoder};
use crate::error::{Error, Result};
use crate::pixels::{FrameReport, PixelDescription};

/// The RLE Lossless codec of the registry.
pub struct RleCodec;

impl FrameDecoder for RleCodec {
    /// Lenient (or strict, per the context); when the frames of the call
    /// together exceed the caches ([`STREAM_TOTAL`]), large frames are
    /// interleaved with non-temporal stores.
    fn decode(
        &self,
        frame: &Frame<'_>,
        desc: &PixelDescription,
        dst: &mut [u8],
        ctx: &DecodeContext,
    ) -> Result<FrameReport> {
        let opts = DecodeOptions {
            strict: ctx.strict,
            stream: ctx.total_output >= STREAM_TOTAL,
            ..Default::default()
        };
        decode_frame_with(frame.data, desc, dst, &opts)
    }

    /// Checked by `mutated_streams_never_panic` and `random_bytes_never_panic`
    /// in `rle/tests.rs` (every stream decoded into two different fills).
    fn writes_every_byte(&self) -> bool {
        true
    }
}

impl FrameEncoder for RleCodec {
    /// No parameters (`ctx.params` must be the default).
    fn encode(&self, src: &[u8], desc: &PixelDescription, ctx: &EncodeContext) -> Result<Vec<u8>> {
        ctx.params.none("RLE")?;
        encode_frame(src, desc)
    }
}

/// Geometry of one RLE frame, derived from the pixel description.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Layout {
    /// Rows × columns (bytes in one decoded segment, except for 1-bit data).
    pub pixels: usize,
    pub rows: usize,
    pub columns: usize,
    pub samples: usize,
    /// Bytes per sample in the output (1 for Bits Allocated 1 and 8).
    pub bytes: usize,
    /// Number of segments: samples × bytes (1 for Bits Allocated 1).
    pub segments: usize,
    /// Bits Allocated is 1 (one segment, see [`decode_frame`]).
    pub one_bit: bool,
}

impl Layout {
    pub fn new(desc: &PixelDescription) -> Result<Layout> {
        if desc.rows == 0 || desc.columns == 0 {
            return Err(Error::malformed(
                0,
                "Image Pixel module",
                format!("Rows {} × Columns {} is empty", desc.rows, desc.columns),
            ));
        }
        let samples = desc.samples_per_pixel.max(1) as usize;
        let (bytes, one_bit) = match desc.bits_allocated {
            1 => (1, true),
            8 | 16 | 32 | 64 => (desc.bits_allocated as usize / 8, false),
            b => {
                return Err(Error::unsupported_feature(
                    crate::error::Feature::BitsAllocated(b),
                    format!("RLE Lossless with Bits Allocated {b} (must be 1, 8, 16, 32 or 64)"),
                ))
            }
        };
        if one_bit && samples != 1 {
            return Err(Error::unsupported(format!(
                "RLE Lossless with Bits Allocated 1 and Samples per Pixel {samples}"
            )));
        }
        let segments = if one_bit { 1 } else { samples * bytes };
        if segments > MAX_SEGMENTS {
            return Err(Error::unsupported(format!(
                "RLE Lossless allows at most {MAX_SEGMENTS} segments, but Samples per Pixel \
                 {samples} × Bits Allocated {} needs {segments}",
                desc.bits_allocated
            )));
        }
        let pixels =
            crate::limits::checked_size("frame", &[desc.rows as u64, desc.columns as u64])?;
        let frame = crate::limits::checked_size("frame", &[pixels, (samples * bytes) as u64])?;
        let pixels = usize::try_from(pixels).map_err(|_| too_big(frame))?;
        usize::try_from(frame).map_err(|_| too_big(frame))?;
        Ok(Layout {
            pixels,
            rows: desc.rows as usize,
            columns: desc.columns as usize,
            samples,
            bytes,
            segments,
            one_bit,
        })
    }

    /// Bytes of one decoded frame (little-endian, colour-by-pixel).
    pub fn frame_len(&self) -> usize {
        self.pixels * self.samples * self.bytes
    }

    /// Bytes one segment decodes to (for Bits Allocated 1: in the
    /// one-byte-per-pixel form).
    pub fn segment_len(&self) -> usize {
        self.pixels
    }
}

fn too_big(requested: u64) -> Error {
    Error::LimitExceeded {
        what: "RLE frame".into(),
        requested,
        limit: usize::MAX as u64,
    }
}

/// Adds a warning about segment `index` (0-based) to `report`.
pub(crate) fn warn_segment(report: &mut FrameReport, index: usize, msg: impl std::fmt::Display) {
    report.warn(format!("RLE segment {}: {msg}", index + 1));
}

/// Context string of an error in segment `index` (0-based).
pub(crate) fn segment_context(index: usize) -> String {
    format!("RLE segment {}", index + 1)
}

#[cfg(test)]
mod tests;
