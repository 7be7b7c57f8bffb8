//! The line loop of the scan decoder: regular mode, run mode and run
//! interruption (T.87 A.3-A.7), one monomorphised loop per component count
//! and kind of scan (see [`pick_line`]).

use super::{arch, BitReader, Coding, Ctx, Model, Res, RunCtx, Tables, A_MAX, QMASK, QSIZE};
use crate::codecs::jpegls::params::{golomb_k, med, J};

/// Signed context id 81 Q1 + 9 Q2 + Q3 of gradients d1, d2, d3.
#[inline(always)]
fn qid(qt: &[i8; QSIZE], d1: i32, d2: i32, d3: i32) -> i32 {
    let q = |d: i32| qt[(d as usize) & QMASK] as i32;
    (q(d1) * 9 + q(d2)) * 9 + q(d3)
}

/// Decodes one regular-mode sample with signed context `q` and MED
/// prediction `pred`; returns the reconstructed value. `max` is
/// LIMIT - qbpp - 1. `D` (see [`pick_line`]): 0 any scan, 1 lossless with
/// MAXVAL = 2^P - 1 (reconstruction is a mask), P >= 2 that with P = D as
/// a constant and A bounded (no overflow check). `branchy`: see
/// [`update_regular`].
#[inline(always)]
#[allow(clippy::too_many_arguments)]
fn regular<const D: u32>(
    t: &mut Tables,
    p: &Coding,
    max: u32,
    rd: &mut BitReader,
    q: i32,
    pred: i32,
    first: bool,
    branchy: bool,
) -> Res<i32> {
    let pow2 = D > 0;
    let maxval = if D > 1 { (1 << D) - 1 } else { p.maxval };
    let (max, qbpp, range) = if D > 1 {
        (2 * (D + D.max(8)) - D - 1, D, 1 << D)
    } else {
        (max, p.qbpp, p.range)
    };
    let sign = q >> 31;
    let qi = ((q ^ sign) - sign) as usize & 511;
    let cx = t.ctx[qi];
    // max/min rather than clamp: clamp checks that 0 <= MAXVAL on every call.
    let px = (pred + ((cx.c as i32 ^ sign) - sign)).max(0).min(maxval);
    let k = cx.k as u32;
    // The first sample of a pixel refills; the next ones only when the
    // cache may not hold their code (rarely: a refill leaves 56 bits).
    if first || !rd.holds_fast_code(k) {
        rd.refill();
    }
    let m = rd
        .golomb_filled(k, max, qbpp)
        .ok_or("invalid Golomb code (prefix longer than LIMIT allows)")?;
    if m > range as u32 {
        return Err("prediction error out of range");
    }
    // Error correction (T.87 A.5.2): invert when k = 0 and 2B <= -N
    // (lossless only).
    // Arithmetic, not `k == 0 && ...`: compiled as a branch on k, that
    // mispredicts where k = 0 comes and goes (8-bit grey).
    let corr = if pow2 || p.near == 0 {
        ((2 * cx.b + cx.n - 1) >> 31) & ((k as i32 - 1) >> 31)
    } else {
        0
    };
    let mut e = ((m >> 1) as i32) ^ -((m & 1) as i32);
    e ^= corr;
    let cx = &mut t.ctx[qi];
    if pow2 {
        update_regular(cx, e, 1, p.reset, D < 2, branchy)?;
        Ok((px + ((e ^ sign) - sign)) & maxval)
    } else {
        update_regular(cx, e, p.step, p.reset, true, false)?;
        let e = (e ^ sign) - sign;
        Ok(p.fix(px + e * p.step))
    }
}

/// Context update and bias correction of the regular mode (T.87 A.6),
/// written with selects rather than branches (the bias branches are data
/// dependent and mispredict: the selects paid ~10% on 15-bit CR), or with
/// `branchy` with the standard's branches: 10% fewer instructions in all
/// on 8-bit RGB, and faster there (sample-interleaved 1.04x -> 1.08x
/// CharLS, line-interleaved 1.16x -> 1.19x).
/// `check`: check A against [`A_MAX`] (see [`a_bounded`]).
#[inline(always)]
pub fn update_regular(
    cx: &mut Ctx,
    e: i32,
    step: i32,
    reset: i32,
    check: bool,
    branchy: bool,
) -> Res<()> {
    let mut a = cx.a + e.abs();
    let mut b = cx.b + e * step;
    let mut n = cx.n;
    if check && a > A_MAX {
        return Err("context counter overflow");
    }
    if n == reset {
        a >>= 1;
        b >>= 1;
        n >>= 1;
    }
    n += 1;
    let c = cx.c as i32;
    cx.a = a;
    cx.n = n;
    cx.k = golomb_k(n, a) as u16;
    if branchy {
        if b + n <= 0 {
            cx.b = (b + n).max(1 - n);
            cx.c = (c - (c > -128) as i32) as i16;
        } else if b > 0 {
            cx.b = (b - n).min(0);
            cx.c = (c + (c < 127) as i32) as i16;
        } else {
            cx.b = b;
        }
        return Ok(());
    }
    let neg = (b + n <= 0) as i32;
    let pos = (b > 0) as i32;
    // b + N <= 0: B += N, at least 1 - N, C -= 1 (down to -128);
    // B > 0: B -= N, at most 0, C += 1 (up to 127); else B, C unchanged.
    // One clamp covers the three cases (B + N <= 0 keeps B + N <= 0,
    // B > 0 keeps B - N >= 1 - N, and otherwise 1 - N <= B <= 0), and the
    // arithmetic on the conditions leaves LLVM no select to turn into a
    // branch (it did: the sign of B is data dependent and mispredicts).
    cx.b = (b + (neg - pos) * n).max(1 - n).min(0);
    // neg and pos exclude each other: C moves by one, within -128..=127.
    cx.c = (c + pos - neg).clamp(-128, 127) as i16;
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
pub(super) fn decode_line<const NC: usize, const D: u32>(
    m: &mut Model,
    rd: &mut BitReader,
    prev: &mut [i32],
    cur: &mut [i32],
    width: usize,
    run_index: &mut usize,
) -> Res<()> {
    decode_line_impl::<NC, D>(m, rd, prev, cur, width, run_index)
}

#[cfg(test)]
thread_local! {
    /// Tests: decode with the portable line decoder even where [`arch`] runs.
    pub static PORTABLE: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Whether A stays below [`A_MAX`] in every valid stream, so that the
/// decoder need not check it: at most RESET + 2 additions of at most
/// RANGE / 2 + 1 since A was last halved, plus the initial value.
pub fn a_bounded(p: &Coding) -> bool {
    (p.reset as i64 + 2) * (p.range as i64 / 2 + 1) + p.a_init() as i64 + 1 < A_MAX as i64
}

#[cfg(test)]
thread_local! {
    /// Tests: decode with D = 0 or 1 (no compile-time bit depth).
    pub static GENERIC: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// The line decoder for `nc` interleaved components: [`arch`]'s build
/// where the CPU runs it, else the portable one. D = 0: any scan; D = 1:
/// lossless with MAXVAL = 2^P - 1; D = P: that for P = 8, 12, 16 with a
/// bounded A (one or three components; the constants free registers).
pub(super) fn pick_line(nc: usize, p: &Coding) -> arch::LineFn {
    #[cfg(test)]
    let fast = arch::available() && !PORTABLE.with(|p| p.get());
    #[cfg(not(test))]
    let fast = arch::available();
    let pow2 = p.near == 0 && p.range == p.maxval + 1 && (p.range & (p.range - 1)) == 0;
    let mut d = if pow2 {
        if a_bounded(p) {
            p.qbpp
        } else {
            1
        }
    } else {
        0
    };
    #[cfg(test)]
    if GENERIC.with(|g| g.get()) {
        d = d.min(1);
    }
    if !matches!((nc, d), (1 | 3, 8 | 12 | 16)) {
        d = d.min(1);
    }
    macro_rules! pick {
        ($nc:literal, $d:literal) => {
            if fast {
                arch::line::<$nc, $d>()
            } else {
                decode_line::<$nc, $d>
            }
        };
    }
    match (nc, d) {
        (1, 0) => pick!(1, 0),
        (1, 1) => pick!(1, 1),
        (1, 8) => pick!(1, 8),
        (1, 12) => pick!(1, 12),
        (1, 16) => pick!(1, 16),
        (2, 0) => pick!(2, 0),
        (2, _) => pick!(2, 1),
        (3, 0) => pick!(3, 0),
        (3, 1) => pick!(3, 1),
        (3, 8) => pick!(3, 8),
        (3, 12) => pick!(3, 12),
        (3, _) => pick!(3, 16),
        (_, 0) => pick!(4, 0),
        (_, _) => pick!(4, 1),
    }
}

/// Decodes one line of `NC` sample-interleaved components (NC = 1 for
/// non-interleaved and line-interleaved scans). Buffers hold `width + 2`
/// pixels: x = -1 at index 0.
#[inline(always)]
pub(super) fn decode_line_impl<const NC: usize, const D: u32>(
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
    // The bit reader, the parameters and Ra live in locals (registers) for
    // the line; Rb, Rc and Rd are loaded from the previous line (loads are
    // cheaper than the spills that more live registers cost).
    let mut r = *rd;
    let p = m.p;
    let t = &mut *m.t;
    let max = p.limit.saturating_sub(p.qbpp + 1);
    let mut ra: [i32; NC] = std::array::from_fn(|c| cur[c]);
    let mut x = 0;
    while x < width {
        if NC > 1 {
            // Several components: Ra from the line (the store of the last
            // pixel forwards it), which frees registers for the reader.
            ra = std::array::from_fn(|c| cur[x * NC + c]);
        }
        let px3 = &prev[x * NC..(x + 3) * NC];
        let rc: [i32; NC] = std::array::from_fn(|c| px3[c]);
        let rb: [i32; NC] = std::array::from_fn(|c| px3[NC + c]);
        let rd_: [i32; NC] = std::array::from_fn(|c| px3[2 * NC + c]);
        let mut qs = [0i32; NC];
        let mut all0 = true;
        for c in 0..NC {
            qs[c] = qid(&t.qt, rd_[c] - rb[c], rb[c] - rc[c], rc[c] - ra[c]);
            all0 &= qs[c] == 0;
        }
        // Several components: the predictions now, so that Rb and Rc need
        // not stay live (in registers or spilled) through the samples.
        let preds: [i32; NC] = std::array::from_fn(|c| med(ra[c], rb[c], rc[c]));
        if !all0 {
            let (tt, rr, px) = (&mut *t, &mut r, &mut cur[(x + 1) * NC..(x + 2) * NC]);
            each::<NC>(
                #[inline(always)]
                |c| {
                    let pred = if NC > 1 {
                        preds[c]
                    } else {
                        med(ra[c], rb[c], rc[c])
                    };
                    // Branches in the bias update for 8-bit lossless only.
                    let branchy = D == 8;
                    let v = regular::<D>(tt, &p, max, rr, qs[c], pred, c == 0, branchy)?;
                    px[c] = v;
                    ra[c] = v;
                    Ok(())
                },
            )?;
            x += 1;
        } else {
            let (n, r2) = run::<NC>(t, &p, r, prev, cur, x, width, run_index)?;
            r = r2;
            x += n;
            ra = std::array::from_fn(|c| cur[x * NC + c]);
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
#[allow(clippy::too_many_arguments)]
fn run<'a, const NC: usize>(
    t: &mut Tables,
    p: &Coding,
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
    for c in 0..NC {
        let ra = cur[xi * NC + c];
        let rb = prev[(xi + 1) * NC + c];
        // RItype 1 (Ra = Rb within NEAR, single component) or 0, chosen
        // with selects: the choice is data dependent.
        let t1 = NC == 1 && (ra - rb).abs() <= p.near;
        let e = t.ri_error(p, &mut r, t1 as usize, idx)?;
        let (base, sg) = if t1 { (ra, 1) } else { (rb, sign(rb - ra)) };
        cur[(xi + 1) * NC + c] = p.fix(base + e * sg * p.step);
    }
    *ri = idx.saturating_sub(1);
    Ok((count + 1, r))
}
