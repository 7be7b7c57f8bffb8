//! The line encoders of [`super`]: contexts, the per-line vectorised pass
//! and the serial pass (regular and run mode), one monomorphised loop per
//! (components, lossless, MAXVAL = 2^P - 1).

use super::*;

mod near;
use near::near_line;

/// The hot part of a [`BitWriter`] for one line: its buffer (reserved for
/// the line's worst case) borrowed, the rest in locals, so that the state
/// stays in registers; the rare slow path takes and returns it by value.
struct LineWriter<'a> {
    buf: &'a mut [u8],
    pos: usize,
    acc: u64,
    nbits: u32,
    after_ff: bool,
}

impl<'a> LineWriter<'a> {
    fn new(bw: &'a mut BitWriter) -> LineWriter<'a> {
        LineWriter {
            buf: &mut bw.buf[..],
            pos: bw.pos,
            acc: bw.acc,
            nbits: bw.nbits,
            after_ff: bw.after_ff,
        }
    }

    /// The state to give back to the [`BitWriter`]: pos, acc, nbits,
    /// after_ff.
    fn state(&self) -> (usize, u64, u32, bool) {
        (self.pos, self.acc, self.nbits, self.after_ff)
    }

    /// Appends the `n` (<= 32) low bits of `v` (no bits above them). Bits
    /// above `nbits` in `acc` are stale and ignored.
    #[inline(always)]
    fn put(&mut self, v: u32, n: u32) {
        self.acc = (self.acc << n) | v as u64;
        self.nbits += n;
        if self.nbits >= 32 {
            let w = (self.acc >> (self.nbits - 32)) as u32;
            if !self.after_ff && !has_ff32(w) {
                // Four bytes, none 0xFF: no stuffing.
                if let Some(d) = self.buf.get_mut(self.pos..self.pos + 4) {
                    d.copy_from_slice(&w.to_be_bytes());
                    self.pos += 4;
                    self.nbits -= 32;
                    return;
                }
            }
            (self.pos, self.nbits, self.after_ff) =
                drain_bytes(self.buf, self.pos, self.acc, self.nbits, self.after_ff);
        }
    }

    fn zeros(&mut self, mut n: u32) {
        while n > 0 {
            let c = n.min(32);
            self.put(0, c);
            n -= c;
        }
    }

    /// Limited-length Golomb code of `m` (T.87 A.5.3); `max` is
    /// LIMIT - qbpp - 1.
    #[inline(always)]
    fn golomb(&mut self, m: u32, k: u32, max: u32, qbpp: u32) {
        let hi = m >> k;
        // (With LIMIT - qbpp - 1 >= 32, a constant where the parameters
        // are, the first test implies the second.)
        if hi + 1 + k <= 32 && (max >= 32 || hi < max) {
            // Prefix, its 1 and the k low bits in one go.
            self.put((1 << k) | (m & ((1 << k) - 1)), hi + 1 + k);
        } else {
            // The writer's state by value: its address must not escape, or
            // it leaves the registers.
            (self.pos, self.acc, self.nbits, self.after_ff) =
                golomb_long(self.buf, self.state(), m, k, max, qbpp);
        }
    }
}

/// [`LineWriter::golomb`]'s rare cases: more than 32 bits, or the escape.
/// Takes and returns the writer's state.
#[cold]
#[inline(never)]
fn golomb_long(
    buf: &mut [u8],
    (pos, acc, nbits, after_ff): (usize, u64, u32, bool),
    m: u32,
    k: u32,
    max: u32,
    qbpp: u32,
) -> (usize, u64, u32, bool) {
    let mut w = LineWriter {
        buf,
        pos,
        acc,
        nbits,
        after_ff,
    };
    let hi = m >> k;
    if hi < max {
        if hi < 32 {
            w.put(1, hi + 1);
        } else {
            w.zeros(hi);
            w.put(1, 1);
        }
        if k > 0 {
            w.put(m & ((1 << k) - 1), k);
        }
    } else {
        w.zeros(max);
        w.put(1, 1);
        w.put(m - 1, qbpp);
    }
    w.state()
}

/// Writes every whole byte of the `nbits` low bits of `acc` at `pos` (7
/// bits after a 0xFF); returns the new pos, nbits and after_ff.
#[cold]
#[inline(never)]
fn drain_bytes(
    buf: &mut [u8],
    mut pos: usize,
    acc: u64,
    mut nbits: u32,
    mut after_ff: bool,
) -> (usize, u32, bool) {
    loop {
        let take = if after_ff { 7 } else { 8 };
        if nbits < take {
            return (pos, nbits, after_ff);
        }
        let b = ((acc >> (nbits - take)) & ((1 << take) - 1)) as u8;
        buf[pos] = b;
        pos += 1;
        nbits -= take;
        after_ff = b == 0xFF;
    }
}

/// A regular-mode context (T.87 A.2.1): A, B, C, N.
#[derive(Debug, Clone, Copy, Default)]
struct Ctx {
    a: i32,
    b: i32,
    c: i32,
    n: i32,
}

/// A run-interruption context: A, N, Nn.
#[derive(Debug, Clone, Copy, Default)]
struct RunCtx {
    a: i32,
    n: i32,
    nn: i32,
}

/// Size of the gradient quantisation table: every difference of two 16-bit
/// samples, index `d & QMASK` (negative d in the upper half).
const QSIZE: usize = 1 << 17;
const QMASK: usize = QSIZE - 1;

/// Contexts and per-line scratch of a scan.
pub struct Model {
    pub(super) p: Coding,
    /// Regular contexts 0..365, padded to 512 so that `i & 511` needs no
    /// bounds check.
    ctx: [Ctx; 512],
    run: [RunCtx; 2],
    /// Near-lossless: Q(d) at `d & QMASK` for every difference d of two
    /// samples <= MAXVAL.
    qt: Box<[i8; QSIZE]>,
    /// Per line: the context ids (lossless, as [`pack_id`] gives them) or 81 Q1 + 9 Q2 (near-lossless)
    /// of its samples.
    q: Vec<i32>,
    /// Per line, lossless: the MED predictions of its samples.
    pred: Vec<i32>,
}

impl Model {
    pub(super) fn new(p: Coding, width: usize) -> Model {
        // Calloc'd: only the entries of d in -MAXVAL..=MAXVAL are written.
        let mut qt: Box<[i8; QSIZE]> = vec![0i8; QSIZE].into_boxed_slice().try_into().unwrap();
        if p.near > 0 {
            let m = p.maxval as usize;
            for (d, t) in qt[..=m].iter_mut().enumerate() {
                *t = qcalc(&p, d as i32) as i8;
            }
            // Index QSIZE - m + i holds d = i - m.
            for (i, t) in qt[QSIZE - m..].iter_mut().enumerate() {
                *t = qcalc(&p, i as i32 - m as i32) as i8;
            }
        }
        Model {
            p,
            ctx: [Ctx::default(); 512],
            run: [RunCtx::default(); 2],
            qt,
            q: vec![0; width * 4],
            pred: vec![0; width * 4],
        }
    }

    /// Initial state (start of a scan or of a restart interval).
    pub(super) fn reset(&mut self) {
        let a = self.p.a_init();
        self.ctx = [Ctx {
            a,
            b: 0,
            c: 0,
            n: 1,
        }; 512];
        self.run = [RunCtx { a, n: 1, nn: 0 }; 2];
    }
}

/// ceil(2^32 / step): x / step = (x · it) >> 32 for 0 <= x < 2^17.
fn reciprocal(step: i32) -> u64 {
    (1u64 << 32).div_ceil(step as u64)
}

/// Quantised gradient Q(d) (T.87 A.3.3) by comparisons (branch-free, so
/// that the per-line pass vectorises).
#[inline(always)]
fn qcalc(p: &Coding, d: i32) -> i32 {
    let a = d.abs();
    let m = (a > p.near) as i32 + (a >= p.t1) as i32 + (a >= p.t2) as i32 + (a >= p.t3) as i32;
    let s = d >> 31;
    (m ^ s) - s
}

/// +1 or -1 (sign(0) = +1).
#[inline(always)]
fn sign(v: i32) -> i32 {
    (v >> 31) | 1
}

/// Sets the edge samples of a line pair: x = -1 of the current line is Rb
/// of x = 0; x = width of the previous line repeats x = width - 1.
#[inline(always)]
fn init_edges<const NC: usize>(prev: &mut [i32], cur: &mut [i32], width: usize) {
    for c in 0..NC {
        cur[c] = prev[NC + c];
        prev[(width + 1) * NC + c] = prev[width * NC + c];
    }
}

/// Regular-mode context update (T.87 A.6), branch-free; `be` is
/// E = 2 NEAR + 1. Valid input keeps A far below overflow (it halves every
/// RESET samples).
///
/// The bias correction in one step: with d = [B + N <= 0] - [B > 0], B
/// becomes B + d N and C becomes C - d, then B is clamped to 1 - N..=0 and
/// C to -128..=127 (the clamps are no-ops when d = 0: B + N > 0 and B <= 0
/// then).
#[inline(always)]
fn update(cx: &mut Ctx, e: i32, be: i32, reset: i32) {
    let h = (cx.n == reset) as u32;
    let a = (cx.a + e.abs()) >> h;
    let b = (cx.b + be) >> h;
    let n = (cx.n >> h) + 1;
    let d = (b + n <= 0) as i32 - (b > 0) as i32;
    cx.b = (b + d * n).max(1 - n).min(0);
    cx.c = (cx.c - d).clamp(-128, 127);
    cx.a = a;
    cx.n = n;
}

/// The context index |q| and sign mask (0 or -1) of a signed context id
/// `q`.
#[inline(always)]
fn split_id(q: i32) -> (usize, i32) {
    let sg = q >> 31;
    (((q ^ sg) - sg) as usize, sg)
}

/// A signed context id `q` packed for [`unpack_id`]: 16 |q| + [q < 0]
/// (computed in the vectorised pass; 0 for q = 0).
#[inline(always)]
fn pack_id(q: i32) -> i32 {
    let sg = q >> 31;
    (((q ^ sg) - sg) << 4) | (sg & 1)
}

/// [`split_id`] of a [`pack_id`] value.
#[inline(always)]
fn unpack_id(v: i32) -> (usize, i32) {
    ((v >> 4) as usize, (v << 31) >> 31)
}

/// Codes one regular-mode sample `ix` with context index and sign `qi`, `sg` (see [`split_id`]) and MED
/// prediction `pred`; returns the reconstructed sample. `LOSSLESS`: NEAR =
/// 0; `POW2`: and RANGE = 2^(32 - `sh`).
#[allow(clippy::too_many_arguments)]
#[inline(always)]
fn regular<const LOSSLESS: bool, const POW2: bool>(
    ctx: &mut [Ctx; 512],
    p: &Coding,
    w: &mut LineWriter<'_>,
    max: u32,
    sh: u32,
    inv: u64,
    (qi, sg): (usize, i32),
    pred: i32,
    ix: i32,
) -> i32 {
    let qi = qi & 511;
    let cx = ctx[qi];
    let px = (pred + ((cx.c ^ sg) - sg)).max(0).min(p.maxval);
    let mut e = ((ix - px) ^ sg) - sg;
    let rx = if LOSSLESS {
        ix
    } else {
        // Quantise (T.87 A.4.4); the reconstruction uses E before the
        // modulo reduction, then clamps.
        let s = e >> 31;
        let qe = (((e.abs() + p.near) as u64 * inv) >> 32) as i32;
        e = (qe ^ s) - s;
        (px + ((e ^ sg) - sg) * p.step).max(0).min(p.maxval)
    };
    // Modulo RANGE into -RANGE/2..RANGE/2 (T.87 A.4.5).
    if POW2 {
        e = (e << sh) >> sh;
    } else {
        if e < 0 {
            e += p.range;
        }
        if e >= (p.range + 1) / 2 {
            e -= p.range;
        }
    }
    let k = golomb_k(cx.n, cx.a);
    // Lossless, k = 0 and 2 B <= -N: the mapping is inverted (A.5.2).
    let em = if LOSSLESS {
        e ^ (-((k == 0) as i32) & ((2 * cx.b + cx.n - 1) >> 31))
    } else {
        e
    };
    w.golomb(((em << 1) ^ (em >> 31)) as u32, k, max, p.qbpp);
    let be = if LOSSLESS { e } else { e * p.step };
    update(&mut ctx[qi], e, be, p.reset);
    rx
}

/// Encodes one line of `NC` interleaved components; `cur` receives the
/// reconstructed samples (lossless: holds the source samples already, and
/// `src` is empty).
#[inline(always)]
pub(super) fn encode_line<
    const NC: usize,
    const LOSSLESS: bool,
    const POW2: bool,
    const BITS: u32,
>(
    m: &mut Model,
    bw: &mut BitWriter,
    src: &[i32],
    prev: &mut [i32],
    cur: &mut [i32],
    width: usize,
    ri: &mut usize,
) {
    init_edges::<NC>(prev, cur, width);
    // Worst case: LIMIT (<= 64) bits a sample, 8/7 for stuffing, plus the
    // run bits; then the writer lives in locals for the line.
    bw.reserve(width * NC * 10 + 64);
    let mut w = LineWriter::new(bw);
    if LOSSLESS {
        lossless_line::<NC, POW2, BITS>(m, &mut w, prev, cur, width, ri);
    } else {
        near_line::<NC>(m, &mut w, src, prev, cur, width, ri);
    }
    (bw.pos, bw.acc, bw.nbits, bw.after_ff) = w.state();
}

/// `p` with the parameters that follow from `BITS` (> 0: lossless, MAXVAL =
/// 2^BITS - 1, RESET = 64) as constants, so that the serial loop holds them
/// as immediates instead of in registers or on the stack.
#[inline(always)]
fn constants<const BITS: u32>(p: Coding) -> Coding {
    if BITS == 0 {
        return p;
    }
    debug_assert!(p.near == 0 && p.qbpp == BITS && p.reset == DEFAULT_RESET);
    let b = BITS as i32;
    Coding {
        maxval: (1 << b) - 1,
        near: 0,
        reset: DEFAULT_RESET,
        range: 1 << b,
        qbpp: BITS,
        limit: (2 * (b + b.max(8))) as u32,
        step: 1,
        ..p
    }
}

/// [`encode_line`], lossless: first the context ids and predictions of the
/// whole line (vectorised), then the serial coding.
#[inline(always)]
fn lossless_line<const NC: usize, const POW2: bool, const BITS: u32>(
    m: &mut Model,
    w: &mut LineWriter<'_>,
    prev: &[i32],
    cur: &[i32],
    width: usize,
    ri: &mut usize,
) {
    let n = width * NC;
    let p = constants::<BITS>(m.p);
    let prev = &prev[..n + 2 * NC];
    let cur = &cur[..n + NC];
    {
        let q = &mut m.q[..n];
        let pred = &mut m.pred[..n];
        let (rc, rb, rd) = (&prev[..n], &prev[NC..n + NC], &prev[2 * NC..]);
        let ra = &cur[..n];
        for (((q, pr), (&ra, &rb)), (&rc, &rd)) in q
            .iter_mut()
            .zip(pred.iter_mut())
            .zip(ra.iter().zip(rb))
            .zip(rc.iter().zip(rd))
        {
            *q = pack_id((qcalc(&p, rd - rb) * 9 + qcalc(&p, rb - rc)) * 9 + qcalc(&p, rc - ra));
            *pr = med(ra, rb, rc);
        }
    }
    let q = &m.q[..n];
    let pred = &m.pred[..n];
    let ix = &cur[NC..];
    let max = p.limit - p.qbpp - 1;
    let sh = 32 - p.qbpp;
    let mut x = 0;
    while x < width {
        let j = x * NC;
        let (qv, pv, iv) = (&q[j..j + NC], &pred[j..j + NC], &ix[j..j + NC]);
        if qv.iter().any(|&q| q != 0) {
            unroll!(NC, c => {
                regular::<true, POW2>(
                    &mut m.ctx,
                    &p,
                    w,
                    max,
                    sh,
                    0,
                    unpack_id(qv[c]),
                    pv[c],
                    iv[c],
                );
            });
            x += 1;
        } else {
            x += run_lossless::<NC>(&mut m.run, &p, w, prev, cur, x, width, ri);
        }
    }
}

/// Samples compared at once when scanning a run (a multiple of 1-4
/// components).
const RUN: usize = 24;

/// Run mode from pixel `x`, lossless; returns the pixels done.
#[allow(clippy::too_many_arguments)]
#[inline(always)]
fn run_lossless<const NC: usize>(
    run: &mut [RunCtx; 2],
    p: &Coding,
    w: &mut LineWriter<'_>,
    prev: &[i32],
    cur: &[i32],
    x: usize,
    width: usize,
    ri: &mut usize,
) -> usize {
    let mut ra = [0i32; NC];
    ra.copy_from_slice(&cur[x * NC..(x + 1) * NC]);
    let rest = &cur[(x + 1) * NC..(width + 1) * NC];
    // RUN (24 / NC pixels) at a time, then pixel by pixel.
    let pat: [i32; RUN] = std::array::from_fn(|i| ra[i % NC]);
    let mut done = 0;
    for ch in rest.chunks_exact(RUN) {
        if *ch != pat {
            break;
        }
        done += RUN;
    }
    let count = done / NC
        + rest[done..]
            .chunks_exact(NC)
            .take_while(|px| *px == ra)
            .count();
    if run_bits(w, count, x + count == width, ri) {
        return count;
    }
    let xi = x + count;
    for c in 0..NC {
        let ra = cur[xi * NC + c];
        let rb = prev[(xi + 1) * NC + c];
        let ix = cur[(xi + 1) * NC + c];
        interruption::<NC>(run, w, p, ra, rb, ix, 0, *ri);
    }
    *ri = ri.saturating_sub(1);
    count + 1
}

/// Writes the run-length bits of a run of `count` pixels (T.87 A.7.1.2);
/// `eol`: the run ends the line (true is returned: no interruption sample).
#[inline(always)]
fn run_bits(w: &mut LineWriter<'_>, count: usize, eol: bool, ri: &mut usize) -> bool {
    let mut rem = count;
    while rem >= 1 << J[*ri] {
        w.put(1, 1);
        rem -= 1 << J[*ri];
        *ri = (*ri + 1).min(31);
    }
    if eol {
        if rem > 0 {
            w.put(1, 1);
        }
        return true;
    }
    w.put(0, 1);
    w.put(rem as u32, J[*ri]);
    false
}

/// Codes a run-interruption sample `ix` (T.87 A.7.2) after `ra`, above
/// `rb`; returns the reconstructed sample.
#[allow(clippy::too_many_arguments)]
#[inline(always)]
fn interruption<const NC: usize>(
    run: &mut [RunCtx; 2],
    w: &mut LineWriter<'_>,
    p: &Coding,
    ra: i32,
    rb: i32,
    ix: i32,
    inv: u64,
    ri: usize,
) -> i32 {
    let (t, px, sg) = if NC == 1 && (ra - rb).abs() <= p.near {
        (1usize, ra, 1)
    } else {
        (0usize, rb, sign(rb - ra))
    };
    let mut e = (ix - px) * sg;
    let rx = if p.near == 0 {
        ix
    } else {
        let s = e >> 31;
        let qe = (((e.abs() + p.near) as u64 * inv) >> 32) as i32;
        e = (qe ^ s) - s;
        (px + e * sg * p.step).max(0).min(p.maxval)
    };
    if e < 0 {
        e += p.range;
    }
    if e >= (p.range + 1) / 2 {
        e -= p.range;
    }
    let cx = run[t];
    let temp = if t == 1 { cx.a + (cx.n >> 1) } else { cx.a };
    let k = golomb_k(cx.n, temp);
    let map =
        (k == 0 && e > 0 && 2 * cx.nn < cx.n) || (e < 0 && 2 * cx.nn >= cx.n) || (e < 0 && k != 0);
    let em = 2 * e.abs() - t as i32 - map as i32;
    let limit = p.limit - J[ri] - 1;
    w.golomb(em as u32, k, limit - p.qbpp - 1, p.qbpp);
    let cx = &mut run[t];
    if e < 0 {
        cx.nn += 1;
    }
    cx.a += (em + 1 - t as i32) >> 1;
    if cx.n == p.reset {
        cx.a >>= 1;
        cx.n >>= 1;
        cx.nn >>= 1;
    }
    cx.n += 1;
    rx
}

#[cfg(test)]
mod tests;
