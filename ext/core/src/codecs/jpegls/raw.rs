//! Raw-stream entry points (no DICOM description): the headers up to the
//! first scan, and decoding into a caller's byte buffer. Used by the Python
//! functions `jpegls_info` / `jpegls_decode`.

use super::{header, walk_retry, DecodeOptions, Geometry, JlsInfo};
use crate::error::{Error, Result};
use crate::limits;
use crate::pixels::FrameReport;

/// The headers up to the first scan: geometry and first-scan parameters
/// (`scans` is 1, nothing after the first scan is read).
pub fn header_info(src: &[u8]) -> Result<JlsInfo> {
    header(src)
}

/// Bytes [`decode_into`] writes for `info`: lines × columns × components
/// samples of 1 byte (precision <= 8) or 2 bytes.
pub fn output_len(info: &JlsInfo) -> Result<u64> {
    let bps = if info.precision <= 8 { 1 } else { 2 };
    limits::checked_size(
        "JPEG-LS image",
        &[
            info.width as u64,
            info.height as u64,
            info.components as u64,
            bps,
        ],
    )
}

/// Decodes a JPEG-LS stream into `dst`: lines × columns × components
/// samples, colour-by-pixel, 1 byte each (precision <= 8) or 2 bytes
/// little-endian; `dst` must hold exactly [`output_len`] bytes.
pub fn decode_into(
    src: &[u8],
    dst: &mut [u8],
    opts: &DecodeOptions,
) -> Result<(JlsInfo, FrameReport)> {
    let i = header(src)?;
    let need = output_len(&i)?;
    if dst.len() as u64 != need {
        return Err(Error::malformed(
            0,
            "output buffer",
            format!("{} bytes for an image of {need} bytes", dst.len()),
        ));
    }
    let g = Some(Geometry {
        width: i.width as usize,
        rows: i.height as usize,
        nf: i.components as usize,
    });
    if i.precision <= 8 {
        return walk_retry(src, dst, g, opts);
    }
    limits::check_alloc("JPEG-LS image", need)?;
    let mut tmp = vec![0u16; dst.len() / 2];
    let r = walk_retry(src, &mut tmp, g, opts)?;
    for (d, s) in dst.chunks_exact_mut(2).zip(&tmp) {
        d.copy_from_slice(&s.to_le_bytes());
    }
    Ok(r)
}
