//! The 64-byte RLE header: segment count and offsets.

use super::{segment_context, warn_segment};
use crate::error::{Error, Result};
use crate::pixels::FrameReport;
use std::ops::Range;

/// Length of the RLE header in bytes.
pub const HEADER_LEN: usize = 64;
/// Maximum number of segments in one RLE frame.
pub const MAX_SEGMENTS: usize = 15;

/// The RLE header as stored (nothing validated beyond its length).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header {
    /// First 32-bit word: the number of segments (valid: 1 to 15).
    pub segments: u32,
    /// The 15 segment offsets, from the start of the frame.
    pub offsets: [u32; MAX_SEGMENTS],
}

/// Reads the header of an RLE frame.
pub fn parse_header(src: &[u8]) -> Result<Header> {
    if src.len() < HEADER_LEN {
        return Err(Error::malformed(
            src.len() as u64,
            "RLE header",
            format!(
                "the frame data is {} bytes, shorter than the {HEADER_LEN}-byte RLE header",
                src.len()
            ),
        ));
    }
    let word =
        |i: usize| u32::from_le_bytes([src[4 * i], src[4 * i + 1], src[4 * i + 2], src[4 * i + 3]]);
    Ok(Header {
        segments: word(0),
        offsets: std::array::from_fn(|i| word(i + 1)),
    })
}

/// True if `src` starts with a plausible RLE header: 1 to 15 segments, the
/// first at offset 64, offsets strictly increasing and inside the data.
pub fn check(src: &[u8]) -> bool {
    let Ok(h) = parse_header(src) else {
        return false;
    };
    let n = h.segments as usize;
    if !(1..=MAX_SEGMENTS).contains(&n) || h.offsets[0] as usize != HEADER_LEN {
        return false;
    }
    let used = &h.offsets[..n];
    used.windows(2).all(|w| w[0] < w[1]) && (used[n - 1] as usize) < src.len()
}

/// Validates the header against the expected segment count and returns the
/// byte range of each segment within `src` (policy in the module docs).
pub(crate) fn segment_ranges(
    src: &[u8],
    expected: usize,
    strict: bool,
    report: &mut FrameReport,
) -> Result<Vec<Range<usize>>> {
    let h = parse_header(src)?;
    let n = h.segments as usize;
    if n == 0 || n > MAX_SEGMENTS {
        return Err(Error::malformed(
            0,
            "RLE header",
            format!(
                "the header gives {} segments (must be 1 to {MAX_SEGMENTS})",
                h.segments
            ),
        ));
    }
    if n != expected {
        return Err(Error::malformed(
            0,
            "RLE header",
            format!(
                "the header gives {n} segments but the image needs {expected} \
                 (samples per pixel × bytes per sample)"
            ),
        ));
    }
    let mut starts = Vec::with_capacity(n);
    let mut prev = HEADER_LEN;
    for (i, &off) in h.offsets[..n].iter().enumerate() {
        let off = off as usize;
        let field = 4 * (i as u64 + 1);
        if off < HEADER_LEN {
            return Err(Error::malformed(
                field,
                segment_context(i),
                format!("segment offset {off} points into the {HEADER_LEN}-byte header"),
            ));
        }
        if off > src.len() {
            return Err(Error::malformed(
                field,
                segment_context(i),
                format!(
                    "segment offset {off} is past the end of the {}-byte frame data",
                    src.len()
                ),
            ));
        }
        if off < prev {
            return Err(Error::malformed(
                field,
                segment_context(i),
                format!("segment offset {off} is before the previous segment's offset {prev}"),
            ));
        }
        if i == 0 && off != HEADER_LEN {
            if strict {
                return Err(Error::malformed(
                    field,
                    segment_context(i),
                    format!("the first segment offset is {off}, not {HEADER_LEN}"),
                ));
            }
            warn_segment(
                report,
                i,
                format!(
                    "offset {off} instead of {HEADER_LEN}: skipped {} bytes",
                    off - HEADER_LEN
                ),
            );
        }
        starts.push(off);
        prev = off;
    }
    if let Some(i) = h.offsets[n..].iter().position(|&o| o != 0) {
        if strict {
            return Err(Error::malformed(
                4 * (n + i + 1) as u64,
                "RLE header",
                format!(
                    "unused segment offset {} is {}, not 0",
                    n + i + 1,
                    h.offsets[n + i]
                ),
            ));
        }
    }
    let mut ranges = Vec::with_capacity(n);
    for i in 0..n {
        let end = if i + 1 < n { starts[i + 1] } else { src.len() };
        ranges.push(starts[i]..end);
    }
    Ok(ranges)
}

/// Writes a header for segments of the given encoded lengths into `out[..64]`.
pub(crate) fn write_header(out: &mut [u8], lengths: &[usize]) -> Result<()> {
    debug_assert!(lengths.len() <= MAX_SEGMENTS && out.len() >= HEADER_LEN);
    out[..HEADER_LEN].fill(0);
    out[..4].copy_from_slice(&(lengths.len() as u32).to_le_bytes());
    let mut off = HEADER_LEN;
    for (i, &len) in lengths.iter().enumerate() {
        let v = u32::try_from(off).map_err(|_| {
            Error::unsupported(format!(
                "RLE segment {} would start at byte {off}, beyond the 4 GiB the header can address",
                i + 1
            ))
        })?;
        out[4 * (i + 1)..4 * (i + 2)].copy_from_slice(&v.to_le_bytes());
        off += len;
    }
    Ok(())
}
