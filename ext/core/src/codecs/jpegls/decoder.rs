//! Scan decoding (T.87 Annex A, decoder side, and Annex F): context
//! modelling, regular and run modes, line buffers and restart intervals.

use super::bits::{BitReader, Destuffed, FAST_PREFIX};
use super::markers::{split_intervals, ScanHeader, CTX};
use super::params::{golomb_k, Coding, J};
use crate::error::{Error, Result};
use crate::pixels::FrameReport;

#[path = "arch.rs"]
mod arch;
#[path = "dec_line.rs"]
mod line;

use line::pick_line;
use line::update_run;
#[cfg(test)]
use line::{update_regular, GENERIC, PORTABLE};

pub use super::samples::{inverse_colour_transform, Out};

/// A regular-mode context (T.87 A.2.1): A, B, C, N, and the Golomb
/// parameter k that A and N give (computed when they change, so that the
/// path from the context to the sample does not hold it). 16 bytes.
#[derive(Debug, Clone, Copy, Default)]
pub struct Ctx {
    pub a: i32,
    pub b: i32,
    /// -128..=127.
    pub c: i16,
    pub k: u16,
    pub n: i32,
}

/// A run-interruption context: A, N, Nn.
#[derive(Debug, Clone, Copy, Default)]
pub struct RunCtx {
    pub a: i32,
    pub n: i32,
    pub nn: i32,
}

/// Bound on A: far above what any valid stream reaches, below overflow.
pub const A_MAX: i32 = 1 << 30;

/// Size of the gradient quantisation table: every difference of two 16-bit
/// samples, index `d & QMASK` (negative d in the upper half).
pub(super) const QSIZE: usize = 1 << 17;
pub(super) const QMASK: usize = QSIZE - 1;

/// The regular contexts and the gradient quantisation table, in one
/// allocation (one base register for both in the line loop).
pub struct Tables {
    /// Regular contexts 0..365, padded to 512 so that `i & 511` needs no
    /// bounds check.
    pub ctx: [Ctx; 512],
    /// Q(d) (-4..4) at index `d & QMASK` for every d in -65536..=65535, so
    /// that a look-up needs no clamp and no bounds check.
    pub qt: [i8; QSIZE],
    /// Run-interruption contexts (RItype 0 and 1).
    pub run: [RunCtx; 2],
}

/// Contexts of one scan.
pub struct Model {
    pub p: Coding,
    pub t: Box<Tables>,
}

pub(super) type Res<T> = std::result::Result<T, &'static str>;

/// Builds the table of [`Model::qt`] from the thresholds and NEAR, filling
/// ranges of equal Q (Q(-d) = -Q(d)).
fn quant_table(p: &Coding, t: &mut [i8; QSIZE]) {
    let half = (QSIZE / 2) as i64;
    // Q = v for d in [b[v], b[v + 1]).
    let b = [
        0,
        p.near as i64 + 1,
        p.t1 as i64,
        p.t2 as i64,
        p.t3 as i64,
        half + 1,
    ];
    let mut lo = 0i64;
    for v in 0..5 {
        let hi = b[v + 1].clamp(lo, half + 1);
        // d in [lo, hi): positive half, index d.
        t[lo.min(half) as usize..hi.min(half) as usize].fill(v as i8);
        // -d in [lo, hi), d < 0: index QSIZE - (-d).
        let (nlo, nhi) = (lo.max(1), hi.max(1));
        t[(2 * half - nhi + 1).max(half) as usize..(2 * half - nlo + 1).max(half) as usize]
            .fill(-(v as i8));
        lo = hi;
    }
}

impl Model {
    pub fn new(p: Coding) -> Model {
        let mut t = Box::new(Tables {
            ctx: [Ctx::default(); 512],
            qt: [0; QSIZE],
            run: [RunCtx::default(); 2],
        });
        quant_table(&p, &mut t.qt);
        let mut m = Model { p, t };
        m.reset();
        m
    }

    /// Initial state (start of a scan or of a restart interval).
    pub fn reset(&mut self) {
        let a = self.p.a_init();
        self.t.ctx = [Ctx {
            a,
            b: 0,
            c: 0,
            k: golomb_k(1, a) as u16,
            n: 1,
        }; 512];
        self.t.run = [RunCtx { a, n: 1, nn: 0 }; 2];
    }
}

impl Tables {
    /// Decodes the prediction error of a run-interruption sample with
    /// context `t` (RItype) at `run_index`.
    #[inline(always)]
    pub fn ri_error(
        &mut self,
        p: &Coding,
        rd: &mut BitReader,
        t: usize,
        run_index: usize,
    ) -> Res<i32> {
        let cx = self.run[t];
        let temp = if t == 1 { cx.a + (cx.n >> 1) } else { cx.a };
        let k = golomb_k(cx.n, temp);
        let max = p.limit.saturating_sub(J[run_index] + 1 + p.qbpp + 1);
        let m = if max >= FAST_PREFIX {
            rd.golomb(k, max, p.qbpp)
        } else {
            rd.golomb_any(k, max, p.qbpp)
        }
        .ok_or("invalid Golomb code (prefix longer than LIMIT allows)")?;
        if m > p.range as u32 + 1 {
            return Err("run interruption error out of range");
        }
        let tmp = m as i32 + t as i32;
        let map = tmp & 1;
        let abs = (tmp + map) >> 1;
        let e = if (k != 0 || 2 * cx.nn >= cx.n) == (map == 1) {
            -abs
        } else {
            abs
        };
        let cx = &mut self.run[t];
        update_run(cx, e, m as i32, t as i32, p.reset)?;
        Ok(e)
    }
}

/// Where a scan's samples go: `out[(y * width + x) * nf + comp]`.
pub struct Target<'o, T> {
    pub out: &'o mut [T],
    pub width: usize,
    /// Lines to decode.
    pub height: usize,
    pub nf: usize,
}

/// Decodes the scan whose entropy-coded data starts at `start`. Returns the
/// offset of the marker after it.
pub fn decode_scan<T: Out>(
    src: &[u8],
    scan: &ScanHeader,
    coding: Coding,
    restart_interval: usize,
    t: &mut Target<'_, T>,
    report: &mut FrameReport,
) -> Result<usize> {
    let (segs, end) = split_intervals(src, scan.data_start);
    let (width, height, nf) = (t.width, t.height, t.nf);
    let per = if restart_interval == 0 {
        height.max(1)
    } else {
        restart_interval
    };
    let intervals = height.div_ceil(per);
    if segs.len() < intervals {
        return Err(Error::malformed(
            end as u64,
            CTX,
            format!(
                "scan ends after {} restart intervals of {intervals}",
                segs.len()
            ),
        ));
    }
    if segs.len() > intervals {
        report.warn(format!(
            "{} restart markers more than the restart interval needs",
            segs.len() - intervals
        ));
    }
    let ns = scan.comps.len();
    let nc = if scan.ilv == 2 { ns } else { 1 };
    let nbuf = ns / nc;
    let line = (width + 2) * nc;
    let mut bufs: Vec<(Vec<i32>, Vec<i32>)> =
        (0..nbuf).map(|_| (vec![0; line], vec![0; line])).collect();
    let mut model = Model::new(coding);
    let mut run_index = [0usize; 4];
    let line = pick_line(nc, &coding);
    let mut bits = Destuffed::default();
    for (i, &(s0, s1)) in segs.iter().take(intervals).enumerate() {
        if i > 0 {
            model.reset();
            run_index = [0; 4];
            for b in bufs.iter_mut() {
                b.0.fill(0);
                b.1.fill(0);
            }
        }
        bits.fill(&src[s0..s1]);
        let mut rd = BitReader::new(&bits);
        let err = |rd: &BitReader, msg: &str| {
            let _ = rd;
            Error::malformed(s0 as u64, CTX, format!("restart interval {i}: {msg}"))
        };
        for y in i * per..((i + 1) * per).min(height) {
            for (j, (prev, cur)) in bufs.iter_mut().enumerate() {
                let ri = &mut run_index[if nc == 1 { j } else { 0 }];
                let r = line(&mut model, &mut rd, prev, cur, width, ri);
                r.map_err(|m| err(&rd, m))?;
                if rd.overrun() {
                    return Err(err(&rd, &format!("entropy-coded data ends in line {y}")));
                }
                let row = &mut t.out[y * width * nf..(y + 1) * width * nf];
                if nc == nf {
                    // Every component of the pixel: one contiguous copy.
                    for (o, &v) in row.iter_mut().zip(&cur[nc..]) {
                        *o = T::from_i32(v);
                    }
                } else {
                    for c in 0..nc {
                        let comp = scan.comps[j * nc + c];
                        for (x, o) in row.iter_mut().skip(comp).step_by(nf).enumerate() {
                            *o = T::from_i32(cur[(x + 1) * nc + c]);
                        }
                    }
                }
                std::mem::swap(prev, cur);
            }
        }
    }
    Ok(end)
}

#[cfg(test)]
#[path = "tests_decoder.rs"]
mod tests;
