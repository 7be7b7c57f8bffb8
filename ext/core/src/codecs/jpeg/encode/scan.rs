//! The predictor loop (T.81 H.1.2): one pass counts the difference
//! categories (for optimised tables), the same loop then writes them.

use super::bitwriter::BitWriter;
use super::tables::{EncodeTable, SYMBOLS};

/// A sample source: `u8` or `u16` samples, colour-by-pixel.
pub(crate) trait Sample: Copy + Send + Sync {
    fn get(self) -> i32;
}
impl Sample for u8 {
    #[inline(always)]
    fn get(self) -> i32 {
        self as i32
    }
}
impl Sample for u16 {
    #[inline(always)]
    fn get(self) -> i32 {
        self as i32
    }
}

/// Where differences go: counted or written.
pub(crate) trait Sink {
    /// One difference of component `c`, already reduced modulo 2^16 to
    /// -32768..=32767.
    fn diff(&mut self, c: usize, d: i32);
    /// Start of restart interval `n` (n >= 1).
    fn restart(&mut self, n: usize);
}

/// Category (SSSS) of a difference; -32768 is coded as 16 with no extra bits.
#[inline(always)]
fn ssss(d: i32) -> u32 {
    32 - d.unsigned_abs().leading_zeros()
}

/// Counts categories per table.
pub(crate) struct Histogram {
    pub freq: Vec<[u64; SYMBOLS]>,
}

impl Sink for Histogram {
    #[inline(always)]
    fn diff(&mut self, c: usize, d: i32) {
        self.freq[c][ssss(d) as usize] += 1;
    }
    fn restart(&mut self, _n: usize) {}
}

/// Writes Huffman codes and extra bits.
pub(crate) struct Writer<'a, 'o> {
    pub bits: BitWriter<'o>,
    /// Per component: (code << 16 | length) per SSSS, precombined.
    pub tables: Vec<&'a EncodeTable>,
}

impl Sink for Writer<'_, '_> {
    #[inline(always)]
    fn diff(&mut self, c: usize, d: i32) {
        let t = self.tables[c];
        let s = ssss(d);
        let (code, len) = (t.code[s as usize], t.len[s as usize]);
        if s == 0 || s == 16 {
            self.bits.put(code, len);
        } else {
            // Negative differences are written as d - 1 in s bits.
            let extra = (d - (d >> 31 & 1)) as u32 & ((1u32 << s) - 1);
            self.bits.put((code << s) | extra, len + s);
        }
    }
    fn restart(&mut self, n: usize) {
        self.bits.marker(0xD0 + ((n - 1) % 8) as u8);
    }
}

/// Geometry and parameters of a scan.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Params {
    pub width: usize,
    pub height: usize,
    pub nf: usize,
    pub precision: u32,
    pub predictor: u8,
    /// Rows per restart interval (0 = none).
    pub restart_rows: usize,
}

/// Runs the predictor over every sample, feeding `sink`.
pub(crate) fn run<T: Sample, S: Sink>(samples: &[T], p: Params, sink: &mut S) {
    match (p.nf, p.predictor) {
        (1, 1) => rows::<T, S, 1, 1>(samples, p, sink),
        (1, 7) => rows::<T, S, 1, 7>(samples, p, sink),
        (1, _) => rows::<T, S, 1, 0>(samples, p, sink),
        (3, 1) => rows::<T, S, 3, 1>(samples, p, sink),
        (_, _) => rows::<T, S, 0, 0>(samples, p, sink),
    }
}

/// `NF`/`PRED` are compile-time specialisations (0 = read from `p`).
#[inline(always)]
fn rows<T: Sample, S: Sink, const NF: usize, const PRED: u8>(
    samples: &[T],
    p: Params,
    sink: &mut S,
) {
    let nf = if NF == 0 { p.nf } else { NF };
    let pred_sel = if PRED == 0 { p.predictor } else { PRED };
    let mask = ((1u32 << p.precision) - 1) as i32;
    let stride = p.width * nf;
    let initial = 1i32 << (p.precision - 1);
    let mut interval = 0usize;
    for y in 0..p.height {
        let row = &samples[y * stride..(y + 1) * stride];
        let first = y == 0 || (p.restart_rows > 0 && y % p.restart_rows == 0);
        if y > 0 && first {
            interval += 1;
            sink.restart(interval);
        }
        if first {
            for (c, v) in row[..nf].iter().enumerate() {
                sink.diff(c, reduce((v.get() & mask) - initial));
            }
            for i in nf..stride {
                sink.diff(
                    i % nf,
                    reduce((row[i].get() & mask) - (row[i - nf].get() & mask)),
                );
            }
            continue;
        }
        let up = &samples[(y - 1) * stride..y * stride];
        for (c, (v, u)) in row[..nf].iter().zip(&up[..nf]).enumerate() {
            sink.diff(c, reduce((v.get() & mask) - (u.get() & mask)));
        }
        for i in nf..stride {
            let x = row[i].get() & mask;
            let ra = row[i - nf].get() & mask;
            let rb = up[i].get() & mask;
            let rc = up[i - nf].get() & mask;
            let px = match pred_sel {
                1 => ra,
                2 => rb,
                3 => rc,
                4 => ra + rb - rc,
                5 => ra + ((rb - rc) >> 1),
                6 => rb + ((ra - rc) >> 1),
                _ => (ra + rb) >> 1,
            };
            sink.diff(i % nf, reduce(x - px));
        }
    }
}

/// The difference modulo 2^16, as -32768..=32767.
#[inline(always)]
fn reduce(d: i32) -> i32 {
    (d as i16) as i32
}
