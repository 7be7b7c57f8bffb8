//! Deflated Image Frame Compression (DICOM
//! Supplement 244): each frame is its native little-endian bytes (1-bit
//! frames start on a byte boundary), compressed as raw deflate (RFC 1951, no
//! zlib or gzip wrapper), one frame per fragment, the fragment padded to an
//! even length.
//!
//! Inflate and deflate through libdeflate (`libdeflater`, C compiled with
//! `cc`): the fastest of the crates measured (see the README's figures).
//! Decoding inflates into a buffer of exactly the frame's stored size, so
//! a stream that would inflate to more (a decompression bomb) stops there
//! with an error; then the native unpacker ([`crate::codecs::native`])
//! applies pydicom's `raw=True` rules (1-bit unpacking, unused bits, planar
//! configuration). When the stored frame already is the output (Bits
//! Stored = Bits Allocated, colour-by-pixel), it is inflated straight into
//! the output.

use crate::codecs::native;
use crate::error::{Error, Result};
use crate::limits;
use crate::pixels::{FrameReport, PixelDescription, PixelElement};

use libdeflater::{CompressionLvl, Compressor, DecompressionError, Decompressor};

/// Context of errors.
const CTX: &str = "deflated image frame";

/// Default compression level of [`encode_frame`] (libdeflate's 1..=12).
pub const DEFAULT_LEVEL: i32 = 6;

/// Bytes of one frame as stored before compression.
pub fn stored_frame_len(desc: &PixelDescription) -> Result<u64> {
    Ok(native::stored_frame_bits(desc)?.div_ceil(8))
}

/// True when the stored frame bytes are exactly the output bytes.
fn stored_is_output(desc: &PixelDescription, stored: u64) -> Result<bool> {
    Ok(stored == desc.frame_output_len()?
        && desc.bits_allocated >= 8
        && (desc.element != PixelElement::PixelData || desc.bits_stored == desc.bits_allocated)
        && (desc.samples_per_pixel <= 1 || desc.planar_configuration == 0))
}

/// Inflates raw deflate `src` into all of `dst`: a stream that inflates to
/// more stops at `dst.len()` with an error, one that inflates to less is an
/// error too. Bytes after the end of the deflate stream (the padding) are
/// ignored.
pub fn inflate_exact(src: &[u8], dst: &mut [u8]) -> Result<()> {
    let mut d = Decompressor::new();
    match d.deflate_decompress(src, dst) {
        Ok(n) if n == dst.len() => Ok(()),
        Ok(n) => Err(Error::malformed(
            0,
            CTX,
            format!("inflates to {n} bytes, but the frame has {}", dst.len()),
        )),
        Err(DecompressionError::InsufficientSpace) => Err(Error::malformed(
            0,
            CTX,
            format!(
                "inflates to more than the {} bytes of the frame (stopped there)",
                dst.len()
            ),
        )),
        Err(DecompressionError::BadData) => {
            Err(Error::malformed(0, CTX, "invalid raw deflate data"))
        }
    }
}

/// Decodes one frame into `dst` (exactly [`PixelDescription::frame_output_len`]
/// bytes), as pydicom returns it with `raw=True`.
pub fn decode_frame(src: &[u8], desc: &PixelDescription, dst: &mut [u8]) -> Result<FrameReport> {
    let stored = stored_frame_len(desc)?;
    let out_len = desc.frame_output_len()?;
    if dst.len() as u64 != out_len {
        return Err(Error::malformed(
            0,
            "output buffer",
            format!("has {} bytes but the frame needs {out_len}", dst.len()),
        ));
    }
    if stored_is_output(desc, stored)? {
        inflate_exact(src, dst)?;
    } else {
        limits::check_alloc("inflated frame", stored)?;
        let mut tmp = vec![0u8; stored as usize];
        inflate_exact(src, &mut tmp)?;
        native::unpack_frame(&tmp, 0, desc, false, dst)?;
    }
    Ok(FrameReport::default())
}

/// Inflates a raw deflate stream on its own: at most `max_len` bytes of
/// output (a stream that inflates to more is an error).
pub fn decode(src: &[u8], max_len: usize) -> Result<Vec<u8>> {
    limits::check_alloc("inflated frame", max_len as u64)?;
    let mut out = vec![0u8; max_len];
    let mut d = Decompressor::new();
    match d.deflate_decompress(src, &mut out) {
        Ok(n) => {
            out.truncate(n);
            Ok(out)
        }
        Err(DecompressionError::InsufficientSpace) => Err(Error::LimitExceeded {
            what: "inflated frame".into(),
            requested: max_len as u64 + 1,
            limit: max_len as u64,
        }),
        Err(DecompressionError::BadData) => {
            Err(Error::malformed(0, CTX, "invalid raw deflate data"))
        }
    }
}

/// Compresses one frame's stored bytes (native little-endian, 1-bit frames
/// packed from a byte boundary) as raw deflate, padded with a zero byte to
/// an even length as a fragment must be. `level`: 0 (stored) to 12.
pub fn encode_frame(frame: &[u8], level: i32) -> Result<Vec<u8>> {
    let lvl = CompressionLvl::new(level)
        .map_err(|_| Error::unsupported(format!("deflate level {level} (0 to 12)")))?;
    let mut c = Compressor::new(lvl);
    let bound = c.deflate_compress_bound(frame.len());
    limits::check_alloc("deflated frame", bound as u64 + 1)?;
    let mut out = vec![0u8; bound + 1];
    let n = c
        .deflate_compress(frame, &mut out)
        .map_err(|_| Error::malformed(0, CTX, "deflate output exceeded its bound"))?;
    out.truncate(n + (n & 1));
    if n & 1 == 1 {
        out[n] = 0;
    }
    Ok(out)
}

/// The Deflated Image Frame Compression codec of the registry.
pub struct DeflateFramesCodec;

impl crate::codecs::FrameDecoder for DeflateFramesCodec {
    fn decode(
        &self,
        frame: &crate::codecs::Frame<'_>,
        desc: &PixelDescription,
        dst: &mut [u8],
        _ctx: &crate::codecs::DecodeContext,
    ) -> Result<FrameReport> {
        decode_frame(frame.data, desc, dst)
    }
}

impl crate::codecs::FrameEncoder for DeflateFramesCodec {
    /// Level from `ctx.params` (6 by default); frames of 8 bits or more
    /// (their decoded bytes are the stored ones; 1-bit frames would need
    /// packing first).
    fn encode(
        &self,
        src: &[u8],
        desc: &PixelDescription,
        ctx: &crate::codecs::EncodeContext,
    ) -> Result<Vec<u8>> {
        let level = ctx.params.deflate()?.level;
        if desc.bits_allocated < 8 {
            return Err(Error::unsupported(
                "encoding 1-bit frames as Deflated Image Frame Compression",
            ));
        }
        encode_frame(src, level)
    }
}

#[cfg(test)]
mod tests;
