//! RLE encoding: byte planes, PackBits per row, header.

use super::header::write_header;
use super::interleave::deinterleave_one;
use super::{Layout, HEADER_LEN};
use crate::error::{Error, Result};
use crate::limits;
use crate::pixels::PixelDescription;

/// Longest PackBits run.
const MAX_RUN: usize = 128;

/// Encodes one frame as RLE Lossless.
///
/// `src` holds the frame little-endian, colour-by-pixel, `rows × columns ×
/// samples` samples of `n` bytes each, where `n` may be smaller than *Bits
/// Allocated* / 8 (pydicom passes 8-bit samples when *Bits Stored* ≤ 8): the
/// missing high bytes are zero, or copies of the sign bit when *Pixel
/// Representation* is 1. For *Bits Allocated* 1, `src` is one byte per pixel
/// (bit 0 is the pixel) or the bit-packed frame (LSB first); the segment holds
/// one byte per pixel.
pub fn encode_frame(src: &[u8], desc: &PixelDescription) -> Result<Vec<u8>> {
    let layout = Layout::new(desc)?;
    let samples = layout.pixels * layout.samples;
    if layout.one_bit {
        return encode_one_bit(src, &layout);
    }
    if src.is_empty() || src.len() % samples != 0 || src.len() / samples > layout.bytes {
        return Err(Error::invalid_argument(format!(
            "RLE encoding: {} bytes of data for {} × {} × {} samples of Bits Allocated {}",
            src.len(),
            layout.rows,
            layout.columns,
            layout.samples,
            desc.bits_allocated
        )));
    }
    let input = Input {
        src,
        width: src.len() / samples,
        stride: layout.samples * (src.len() / samples),
        signed: desc.pixel_representation == 1,
    };
    let mut out = allocate(&layout)?;
    let mut lengths = Vec::with_capacity(layout.segments);
    let mut row = vec![0u8; layout.columns];
    for sample in 0..layout.samples {
        // Most significant byte first.
        for byte in (0..layout.bytes).rev() {
            let start = out.len();
            for r in 0..layout.rows {
                input.gather(r * layout.columns, layout.columns, sample, byte, &mut row);
                encode_row(&row, &mut out);
            }
            if (out.len() - start) % 2 == 1 {
                out.push(0);
            }
            lengths.push(out.len() - start);
        }
    }
    write_header(&mut out, &lengths)?;
    Ok(out)
}

/// The frame being encoded.
struct Input<'a> {
    src: &'a [u8],
    /// Bytes per sample in `src`.
    width: usize,
    /// Bytes per pixel in `src`.
    stride: usize,
    signed: bool,
}

impl Input<'_> {
    /// Byte `byte` (0 = least significant) of sample `sample` of `row.len()`
    /// pixels from pixel `first`.
    fn gather(&self, first: usize, count: usize, sample: usize, byte: usize, row: &mut [u8]) {
        let base = first * self.stride + sample * self.width;
        let pixels = &self.src[base..base + (count - 1) * self.stride + self.width];
        if byte < self.width {
            deinterleave_one(pixels, self.stride, byte, row);
        } else if self.signed {
            deinterleave_one(pixels, self.stride, self.width - 1, row);
            for b in row.iter_mut() {
                *b = ((*b as i8) >> 7) as u8;
            }
        } else {
            row.fill(0);
        }
    }
}

/// Output buffer with room for the worst case (all literal runs).
fn allocate(layout: &Layout) -> Result<Vec<u8>> {
    let row = (layout.columns + layout.columns.div_ceil(MAX_RUN)) as u64;
    let segment = limits::checked_size("RLE encoded frame", &[row, layout.rows as u64])? + 1;
    let total = limits::checked_size("RLE encoded frame", &[segment, layout.segments as u64])?
        + HEADER_LEN as u64;
    limits::check_alloc("RLE encoded frame", total)?;
    let mut out = Vec::with_capacity(total as usize);
    out.resize(HEADER_LEN, 0);
    Ok(out)
}

fn encode_one_bit(src: &[u8], layout: &Layout) -> Result<Vec<u8>> {
    let pixels = layout.pixels;
    let unpacked: Vec<u8> = if src.len() == pixels {
        src.iter().map(|b| b & 1).collect()
    } else if src.len() == pixels.div_ceil(8) {
        (0..pixels).map(|p| (src[p / 8] >> (p % 8)) & 1).collect()
    } else {
        return Err(Error::invalid_argument(format!(
            "RLE encoding: {} bytes of data for {} × {} pixels of Bits Allocated 1 \
             (need {pixels} unpacked or {} bit-packed)",
            src.len(),
            layout.rows,
            layout.columns,
            pixels.div_ceil(8)
        )));
    };
    let mut out = allocate(layout)?;
    for row in unpacked.chunks_exact(layout.columns) {
        encode_row(row, &mut out);
    }
    if (out.len() - HEADER_LEN) % 2 == 1 {
        out.push(0);
    }
    let len = out.len() - HEADER_LEN;
    write_header(&mut out, &[len])?;
    Ok(out)
}

/// PackBits-encodes one row, appending to `out`.
///
/// Runs of three or more equal bytes become replicate runs (never longer than
/// a literal). A two-byte repeat joins the open literal run when a literal
/// byte follows it (directly or after more two-byte repeats) and the literal's
/// current 128-byte chunk has room for it, which saves the header of the
/// literal after it (PS3.5 G.3.1 note); otherwise it is a replicate run. Each
/// such choice costs no more than a replicate run would, so the row is never
/// longer than the greedy encoders' (pydicom, pylibjpeg-rle: every repeat a
/// replicate run) nor GDCM's (a repeat after a literal joins it).
pub(crate) fn encode_row(row: &[u8], out: &mut Vec<u8>) {
    let n = row.len();
    let mut lit = 0; // start of the pending literal bytes
    let mut i = 0;
    // Two-byte repeats starting before `seq_end` were judged: `seq_ok` says
    // whether a literal byte follows them.
    let (mut seq_end, mut seq_ok) = (0, false);
    while i < n {
        // Bytes up to the next pair of equal bytes are single-byte runs.
        i = next_pair(row, i);
        if i >= n {
            break;
        }
        let b = row[i];
        let j = run_end(row, i);
        let run = j - i;
        if run == 2 && lit < i && (i - lit - 1) % MAX_RUN + 3 <= MAX_RUN {
            if i >= seq_end {
                (seq_end, seq_ok) = repeats_then_literal(row, j);
            }
            if seq_ok {
                i = j;
                continue;
            }
        }
        push_literal(&row[lit..i], out);
        let mut left = run;
        while left >= 2 {
            let k = left.min(MAX_RUN);
            out.push((257 - k) as u8);
            out.push(b);
            left -= k;
        }
        // A single byte left over from a run longer than 128 starts the next
        // literal.
        lit = j - left;
        i = j;
    }
    push_literal(&row[lit..n], out);
}

/// The first `k >= i` with `row[k] == row[k + 1]`, or `row.len()`. Eight
/// pairs at a time: a zero byte of `w ^ (w >> 8)` marks an equal pair.
#[inline]
fn next_pair(row: &[u8], mut i: usize) -> usize {
    const LOW: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    while i + 9 <= row.len() {
        let a = u64::from_le_bytes(row[i..i + 8].try_into().unwrap());
        let b = u64::from_le_bytes(row[i + 1..i + 9].try_into().unwrap());
        let x = a ^ b;
        // The lowest flagged byte is exact (borrows only flag bytes above it).
        let zero = x.wrapping_sub(LOW) & !x & HIGH;
        if zero != 0 {
            return i + (zero.trailing_zeros() / 8) as usize;
        }
        i += 8;
    }
    while i + 1 < row.len() && row[i] != row[i + 1] {
        i += 1;
    }
    if i + 1 < row.len() {
        i
    } else {
        row.len()
    }
}

/// End of the run of `row[i]` (eight bytes at a time).
#[inline]
fn run_end(row: &[u8], i: usize) -> usize {
    let pattern = u64::from_ne_bytes([row[i]; 8]);
    let mut j = i + 1;
    while j + 8 <= row.len() {
        let x = u64::from_le_bytes(row[j..j + 8].try_into().unwrap()) ^ pattern;
        if x != 0 {
            return j + (x.trailing_zeros() / 8) as usize;
        }
        j += 8;
    }
    while j < row.len() && row[j] == row[i] {
        j += 1;
    }
    j
}

/// From `k`, the start of a run, skips consecutive two-byte runs; returns
/// where they end and whether a single (literal) byte comes next.
fn repeats_then_literal(row: &[u8], mut k: usize) -> (usize, bool) {
    let n = row.len();
    while k + 1 < n && row[k] == row[k + 1] && (k + 2 == n || row[k + 2] != row[k]) {
        k += 2;
    }
    (k, k < n && (k + 1 == n || row[k + 1] != row[k]))
}

fn push_literal(bytes: &[u8], out: &mut Vec<u8>) {
    for chunk in bytes.chunks(MAX_RUN) {
        out.push((chunk.len() - 1) as u8);
        out.extend_from_slice(chunk);
    }
}
