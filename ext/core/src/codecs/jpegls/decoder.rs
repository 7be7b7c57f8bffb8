//! Scan decoding (T.87 Annex A, decoder side, and Annex F): context
//! modelling, regular and run modes, line buffers and restart intervals.

use super::bits::{BitReader, FAST_PREFIX};
use super::markers::{split_intervals, ScanHeader, CTX};
use super::params::{golomb_k, med, Coding, J};
use crate::error::{Error, Result};
use crate::pixels::FrameReport;

#[path = "arch.rs"]
mod arch;

pub use super::samples::{inverse_colour_transform, Out};

/// A regular-mode context (T.87 A.2.1): A, B, C, N.
#[derive(Debug, Clone, Copy, Default)]
pub struct Ctx {
    pub a: i32,
    pub b: i32,
    pub c: i32,
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
const QSIZE: usize = 1 << 17;
const QMASK: usize = QSIZE - 1;

/// Contexts of one scan.
pub struct Model {
    pub p: Coding,
    /// Q(d) (-4..4) at index `d & QMASK` for every d in -65536..=65535, so
    /// that a look-up needs no clamp and no bounds check.
    pub qt: Box<[i8; QSIZE]>,
    /// Regular contexts 0..365, padded to 512 so that `i & 511` needs no
    /// bounds check.
    pub ctx: [Ctx; 512],
    pub run: [RunCtx; 2],
}

type Res<T> = std::result::Result<T, &'static str>;

/// Builds the table of [`Model::qt`] from the thresholds and NEAR, filling
/// ranges of equal Q (Q(-d) = -Q(d)).
fn quant_table(p: &Coding) -> Box<[i8; QSIZE]> {
    let mut t: Box<[i8; QSIZE]> = vec![0i8; QSIZE].into_boxed_slice().try_into().unwrap();
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
    t
}

impl Model {
    pub fn new(p: Coding) -> Model {
        let mut m = Model {
            p,
            qt: quant_table(&p),
            ctx: [Ctx::default(); 512],
            run: [RunCtx::default(); 2],
        };
        m.reset();
        m
    }

    /// Initial state (start of a scan or of a restart interval).
    pub fn reset(&mut self) {
        let a = self.p.a_init();
        self.ctx = [Ctx {
            a,
            b: 0,
            c: 0,
            n: 1,
        }; 512];
        self.run = [RunCtx { a, n: 1, nn: 0 }; 2];
    }

    /// Decodes the prediction error of a run-interruption sample with
    /// context `t` (RItype) at `run_index`.
    #[inline(always)]
    pub fn ri_error(&mut self, rd: &mut BitReader, t: usize, run_index: usize) -> Res<i32> {
        let p = self.p;
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

/// Signed context id 81 Q1 + 9 Q2 + Q3 of gradients d1, d2, d3.
#[inline(always)]
fn qid(qt: &[i8; QSIZE], d1: i32, d2: i32, d3: i32) -> i32 {
    let q = |d: i32| qt[(d as usize) & QMASK] as i32;
    (q(d1) * 9 + q(d2)) * 9 + q(d3)
}

/// Decodes one regular-mode sample with signed context `q` and MED
/// prediction `pred`; returns the reconstructed value. `max` is
/// LIMIT - qbpp - 1. `POW2`: lossless with MAXVAL = 2^P - 1
/// (reconstruction is a mask).
#[inline(always)]
fn regular<const POW2: bool>(
    ctx: &mut [Ctx; 512],
    p: &Coding,
    max: u32,
    rd: &mut BitReader,
    q: i32,
    pred: i32,
) -> Res<i32> {
    let sign = q >> 31;
    let qi = ((q ^ sign) - sign) as usize & 511;
    let cx = ctx[qi];
    // max/min rather than clamp: clamp checks that 0 <= MAXVAL on every call.
    let px = (pred + ((cx.c ^ sign) - sign)).max(0).min(p.maxval);
    let k = golomb_k(cx.n, cx.a);
    let m = rd
        .golomb(k, max, p.qbpp)
        .ok_or("invalid Golomb code (prefix longer than LIMIT allows)")?;
    if m > p.range as u32 {
        return Err("prediction error out of range");
    }
    let mut e = ((m >> 1) as i32) ^ -((m & 1) as i32);
    if POW2 || p.near == 0 {
        // Error correction (T.87 A.5.2): invert when k = 0 and 2B <= -N.
        e ^= -((k == 0 && 2 * cx.b + cx.n - 1 < 0) as i32);
    }
    let cx = &mut ctx[qi];
    if POW2 {
        update_regular(cx, e, 1, p.reset)?;
        Ok((px + ((e ^ sign) - sign)) & p.maxval)
    } else {
        update_regular(cx, e, p.step, p.reset)?;
        let e = (e ^ sign) - sign;
        Ok(p.fix(px + e * p.step))
    }
}

/// Context update and bias correction of the regular mode (T.87 A.6),
/// written with selects rather than branches (the bias branches are data
/// dependent and mispredict).
#[inline(always)]
pub fn update_regular(cx: &mut Ctx, e: i32, step: i32, reset: i32) -> Res<()> {
    let mut a = cx.a + e.abs();
    let mut b = cx.b + e * step;
    let mut n = cx.n;
    if a > A_MAX {
        return Err("context counter overflow");
    }
    if n == reset {
        a >>= 1;
        b >>= 1;
        n >>= 1;
    }
    n += 1;
    let c = cx.c;
    let neg = b + n <= 0;
    let pos = b > 0;
    // b + N <= 0: B += N, at least 1 - N, C -= 1 (down to -128).
    let (bn, cn) = ((b + n).max(1 - n), c - (c > -128) as i32);
    // B > 0: B -= N, at most 0, C += 1 (up to 127).
    let (bp, cp) = ((b - n).min(0), c + (c < 127) as i32);
    cx.b = if neg {
        bn
    } else if pos {
        bp
    } else {
        b
    };
    cx.c = if neg {
        cn
    } else if pos {
        cp
    } else {
        c
    };
    cx.a = a;
    cx.n = n;
    Ok(())
}

/// Context update of a run-interruption sample (T.87 A.7.2.2).
#[inline(always)]
pub fn update_run(cx: &mut RunCtx, e: i32, m: i32, t: i32, reset: i32) -> Res<()> {
    // Without a branch: the sign of e is data dependent.
    cx.nn += (e < 0) as i32;
    cx.a += (m + 1 - t) >> 1;
    if cx.a > A_MAX {
        return Err("context counter overflow");
    }
    if cx.n == reset {
        cx.a >>= 1;
        cx.n >>= 1;
        cx.nn >>= 1;
    }
    cx.n += 1;
    Ok(())
}

/// Calls `f(c)` for c = 0..NC, unrolled (so that arrays indexed by c stay in
/// registers; the loop of a large body is not unrolled by the compiler).
#[inline(always)]
fn each<const NC: usize>(mut f: impl FnMut(usize) -> Res<()>) -> Res<()> {
    f(0)?;
    if NC > 1 {
        f(1)?;
    }
    if NC > 2 {
        f(2)?;
    }
    if NC > 3 {
        f(3)?;
    }
    Ok(())
}

/// +1 or -1 (sign(0) = +1).
#[inline(always)]
pub fn sign(v: i32) -> i32 {
    (v >> 31) | 1
}

/// Sets the edge samples of a line pair: x = -1 of the current line is Rb
/// of x = 0; x = width of the previous line repeats x = width - 1.
#[inline(always)]
pub fn init_edges<const NC: usize>(prev: &mut [i32], cur: &mut [i32], width: usize) {
    for c in 0..NC {
        cur[c] = prev[NC + c];
        prev[(width + 1) * NC + c] = prev[width * NC + c];
    }
}

/// The portable line decoder (see [`decode_line_impl`]).
fn decode_line<const NC: usize, const POW2: bool>(
    m: &mut Model,
    rd: &mut BitReader,
    prev: &mut [i32],
    cur: &mut [i32],
    width: usize,
    run_index: &mut usize,
) -> Res<()> {
    decode_line_impl::<NC, POW2>(m, rd, prev, cur, width, run_index)
}

#[cfg(test)]
thread_local! {
    /// Tests: decode with the portable line decoder even where [`arch`] runs.
    pub static PORTABLE: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// The line decoder for `nc` interleaved components: [`arch`]'s build
/// where the CPU runs it, else the portable one.
fn pick_line(nc: usize, pow2: bool) -> arch::LineFn {
    #[cfg(test)]
    let fast = arch::available() && !PORTABLE.with(|p| p.get());
    #[cfg(not(test))]
    let fast = arch::available();
    macro_rules! pick {
        ($nc:literal, $p:literal) => {
            if fast {
                arch::line::<$nc, $p>()
            } else {
                decode_line::<$nc, $p>
            }
        };
    }
    match (nc, pow2) {
        (1, true) => pick!(1, true),
        (1, false) => pick!(1, false),
        (2, true) => pick!(2, true),
        (2, false) => pick!(2, false),
        (3, true) => pick!(3, true),
        (3, false) => pick!(3, false),
        (_, true) => pick!(4, true),
        (_, false) => pick!(4, false),
    }
}

/// Decodes one line of `NC` sample-interleaved components (NC = 1 for
/// non-interleaved and line-interleaved scans). Buffers hold `width + 2`
/// pixels: x = -1 at index 0.
#[inline(always)]
fn decode_line_impl<const NC: usize, const POW2: bool>(
    m: &mut Model,
    rd: &mut BitReader,
    prev: &mut [i32],
    cur: &mut [i32],
    width: usize,
    run_index: &mut usize,
) -> Res<()> {
    init_edges::<NC>(prev, cur, width);
    let prev = &prev[..(width + 2) * NC];
    let cur = &mut cur[..(width + 2) * NC];
    // The bit reader and the parameters live in locals (registers) for the
    // line; Ra, Rb, Rc slide along it.
    let mut r = *rd;
    let p = m.p;
    let max = p.limit.saturating_sub(p.qbpp + 1);
    let mut ra: [i32; NC] = std::array::from_fn(|c| cur[c]);
    let mut rc: [i32; NC] = std::array::from_fn(|c| prev[c]);
    let mut rb: [i32; NC] = std::array::from_fn(|c| prev[NC + c]);
    let mut x = 0;
    while x < width {
        let rd_: [i32; NC] = std::array::from_fn(|c| prev[(x + 2) * NC + c]);
        let mut qs = [0i32; NC];
        let mut all0 = true;
        for c in 0..NC {
            qs[c] = qid(&m.qt, rd_[c] - rb[c], rb[c] - rc[c], rc[c] - ra[c]);
            all0 &= qs[c] == 0;
        }
        if !all0 {
            let (ctx, rr, px) = (&mut m.ctx, &mut r, &mut cur[(x + 1) * NC..(x + 2) * NC]);
            each::<NC>(
                #[inline(always)]
                |c| {
                    let v = regular::<POW2>(ctx, &p, max, rr, qs[c], med(ra[c], rb[c], rc[c]))?;
                    px[c] = v;
                    ra[c] = v;
                    Ok(())
                },
            )?;
            rc = rb;
            rb = rd_;
            x += 1;
        } else {
            let (n, r2) = run::<NC>(m, r, prev, cur, x, width, run_index)?;
            r = r2;
            x += n;
            if x < width {
                ra = std::array::from_fn(|c| cur[x * NC + c]);
                rc = std::array::from_fn(|c| prev[x * NC + c]);
                rb = std::array::from_fn(|c| prev[(x + 1) * NC + c]);
            }
        }
    }
    *rd = r;
    Ok(())
}

/// `RUN_SUM[i]`: pixels of the run segments of run indices 0..i (the sum of
/// 2^J[j] for j < i), so that n 1-bits from run index i cover
/// `RUN_SUM[i + n] - RUN_SUM[i]` pixels without a loop.
const RUN_SUM: [usize; 33] = {
    let mut s = [0usize; 33];
    let mut i = 0;
    while i < 32 {
        s[i + 1] = s[i] + (1 << J[i]);
        i += 1;
    }
    s
};

/// Run mode from pixel `x` (T.87 A.7): the run, then the interruption
/// sample unless the run reaches the end of the line. Returns the pixels
/// done and the reader (by value, so that the caller's stays in registers).
#[inline(never)]
fn run<'a, const NC: usize>(
    m: &mut Model,
    mut r: BitReader<'a>,
    prev: &[i32],
    cur: &mut [i32],
    x: usize,
    width: usize,
    ri: &mut usize,
) -> Res<(usize, BitReader<'a>)> {
    let remaining = width - x;
    let mut idx = *ri;
    // The 1-bits of the run at once: when they and the 0 after them are in
    // the cache, stay below index 31 and end before the line does, the run
    // covers RUN_SUM[idx + ones] - RUN_SUM[idx] pixels (every segment full).
    let (cache, valid) = r.peek();
    let ones = (!cache).leading_zeros().min(valid);
    let end = idx + ones as usize;
    let mut count = if end <= 31 {
        RUN_SUM[end] - RUN_SUM[idx]
    } else {
        usize::MAX
    };
    if ones < valid && count < remaining {
        idx = end;
        r.skip(ones + 1);
    } else {
        // Bit by bit (the run reaches the end of the line, or is long).
        count = 0;
        while r.bit() {
            let len = 1usize << J[idx];
            let c = len.min(remaining - count);
            count += c;
            if c == len {
                idx = (idx + 1).min(31);
            }
            if count == remaining {
                break;
            }
        }
    }
    if count < remaining {
        count += r.bits(J[idx]) as usize;
        if count > remaining {
            return Err("run length runs past the end of the line");
        }
    }
    let v: [i32; NC] = std::array::from_fn(|c| cur[x * NC + c]);
    for px in cur[(x + 1) * NC..(x + 1 + count) * NC].chunks_exact_mut(NC) {
        px.copy_from_slice(&v);
    }
    if count == remaining {
        *ri = idx;
        return Ok((count, r));
    }
    let xi = x + count;
    let p = m.p;
    for c in 0..NC {
        let ra = cur[xi * NC + c];
        let rb = prev[(xi + 1) * NC + c];
        // RItype 1 (Ra = Rb within NEAR, single component) or 0, chosen
        // with selects: the choice is data dependent.
        let t1 = NC == 1 && (ra - rb).abs() <= p.near;
        let e = m.ri_error(&mut r, t1 as usize, idx)?;
        let (base, sg) = if t1 { (ra, 1) } else { (rb, sign(rb - ra)) };
        cur[(xi + 1) * NC + c] = p.fix(base + e * sg * p.step);
    }
    *ri = idx.saturating_sub(1);
    Ok((count + 1, r))
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
    let pow2 = coding.near == 0
        && coding.range == coding.maxval + 1
        && (coding.range & (coding.range - 1)) == 0;
    let line = pick_line(nc, pow2);
    for (i, &(s0, s1)) in segs.iter().take(intervals).enumerate() {
        if i > 0 {
            model.reset();
            run_index = [0; 4];
            for b in bufs.iter_mut() {
                b.0.fill(0);
                b.1.fill(0);
            }
        }
        let mut rd = BitReader::new(&src[s0..s1]);
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
