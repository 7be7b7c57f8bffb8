//! The registry's JPEG-LS encoder (.80 lossless, .81 near-lossless): the
//! typed parameters of [`crate::codecs::EncodeParams::JpegLs`] checked and
//! handed to [`encode_frame`].

use super::{encode_frame, EncodeOptions, JpegLsCodec};
use crate::codecs::{EncodeContext, FrameEncoder};
use crate::error::{Error, Result};
use crate::pixels::PixelDescription;

impl FrameEncoder for JpegLsCodec {
    /// Lossless or near-lossless (`ctx.params` [`EncodeParams::JpegLs`]:
    /// NEAR, interleave (sample-interleaved colour by default), restart
    /// interval). NEAR must be at most min(255, (2^Bits Stored - 1) / 2), and
    /// for signed data with NEAR > 0 every sample must lie NEAR inside the
    /// Bits Stored range (the error could otherwise wrap a sample around, as
    /// pydicom also refuses).
    ///
    /// [`EncodeParams::JpegLs`]: crate::codecs::EncodeParams::JpegLs
    fn encode(&self, src: &[u8], desc: &PixelDescription, ctx: &EncodeContext) -> Result<Vec<u8>> {
        let p = ctx.params.jpeg_ls()?;
        let bs = u32::from(desc.bits_stored.clamp(2, 16));
        let max_near = (((1u32 << bs) - 1) / 2).min(255);
        if u32::from(p.near) > max_near {
            return Err(Error::invalid_argument(format!(
                "JPEG-LS NEAR {} is above {max_near} for Bits Stored {bs}",
                p.near
            )));
        }
        if p.near > 0 && desc.pixel_representation == 1 {
            check_signed_near(src, desc, p.near)?;
        }
        encode_frame(
            src,
            desc,
            &EncodeOptions {
                near: p.near,
                interleave: p.interleave.unwrap_or(2),
                restart_interval: p.restart_interval,
                preset: None,
            },
        )
    }
}

/// Signed samples must stay `near` inside the Bits Stored range for a
/// near-lossless encoding (T.87 knows no sign: an error across the range's
/// end would wrap the sample around).
fn check_signed_near(src: &[u8], desc: &PixelDescription, near: u8) -> Result<()> {
    let bs = u32::from(desc.bits_stored.clamp(2, 16));
    let (lo, hi) = (
        -(1i32 << (bs - 1)) + i32::from(near),
        (1i32 << (bs - 1)) - 1 - i32::from(near),
    );
    let bad = match desc.bits_allocated {
        8 => src
            .iter()
            .map(|&b| i32::from(b as i8))
            .find(|v| *v < lo || *v > hi),
        _ => src
            .chunks_exact(2)
            .map(|c| i32::from(i16::from_le_bytes([c[0], c[1]])))
            .find(|v| *v < lo || *v > hi),
    };
    match bad {
        Some(v) => Err(Error::invalid_argument(format!(
            "near-lossless JPEG-LS of signed data with Bits Stored {bs} and NEAR {near} \
             needs samples in {lo}..={hi} (found {v})"
        ))),
        None => Ok(()),
    }
}
