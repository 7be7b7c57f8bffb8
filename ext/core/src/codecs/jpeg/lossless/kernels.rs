//! Huffman differences, predictors and the row kernels of the fast path.

#[allow(unused_imports)]
use super::*;

/// Pair density from which the fixed two-sample step (a second look-up when
/// only one code fitted) beats single look-ups.
pub(super) const PAIR2_MIN_DENSITY: f64 = 0.75;

/// The same for gray rows with predictors 2-7, where the plain loop does
/// better (measured: CT with predictor 7, density 0.84-0.88, 6% faster
/// without the fixed step; MR, 0.92, the same).
pub(super) const PAIR2_GRAY_MIN_DENSITY: f64 = 0.9;

/// Decodes two differences with the pair table: one look-up when the entry
/// holds two, else a second, single look-up. Needs at least 12 valid bits,
/// leaves at least 17.
#[inline(always)]
pub(super) fn diff2(r: &mut Hot, tab: Tab, pair: &[u32; LUT_SIZE]) -> Result<(u16, u16)> {
    let e = pair[(r.buf() >> 52) as usize];
    r.refill();
    if e & PAIR_TWO != 0 {
        let d = pair_diffs(r.buf(), e);
        r.consume(e & 0x3F);
        Ok(d)
    } else {
        let d0 = if e != 0 {
            let (d, _) = pair_diffs(r.buf(), e);
            r.consume(e & 0x3F);
            d
        } else {
            let e1 = tab.lut[(r.buf() >> 52) as usize];
            diff_rest(r, tab.t, e1)?
        };
        Ok((d0, diff::<false>(r, tab)?))
    }
}

/// Slow path, by value so that callers keep their reader in registers.
#[inline(never)]
pub(super) fn diff_slow(r: &mut Hot, t: &DecodeTable) -> Result<u16> {
    match t.decode_slow(r.buf()) {
        Ok((n, d)) => {
            r.consume(n);
            r.refill();
            Ok(d)
        }
        Err(m) => Err(code_error(r, m)),
    }
}

/// Decodes the difference whose look-up entry `e` is not a full one (with
/// `AFTER`, refills after it too).
#[inline(always)]
pub(super) fn diff_rest_with<const AFTER: bool>(
    r: &mut Hot,
    t: &DecodeTable,
    e: u32,
) -> Result<u16> {
    r.refill();
    if e != SLOW {
        let l = e & 0xFF;
        let s = (e >> 8) & 0xFF;
        let v = ((r.buf() << l) >> (64 - s)) as u32;
        r.consume(l + s);
        if AFTER {
            r.refill();
        }
        Ok(extend(v, s) as u16)
    } else {
        // By value, so that the caller's hot state stays in registers.
        let mut h = Hot { b: r.b, c: r.c };
        let d = diff_slow(&mut h, t)?;
        r.b = h.b;
        Ok(d)
    }
}

/// [`diff_rest_with`] without the refill after.
#[inline(always)]
pub(super) fn diff_rest(r: &mut Hot, t: &DecodeTable, e: u32) -> Result<u16> {
    diff_rest_with::<false>(r, t, e)
}

/// Decodes one difference (mod 2^16). Look-up first, then refill, then
/// consume: the refill is off the critical path. A call with
/// `REFILL = false` must follow one with `REFILL = true` (at least 12 + 12
/// valid bits are left then: full entries need no refill, the others refill
/// themselves). With `AFTER` (non-full entries refill after they consume
/// too), two calls with `REFILL = false` may follow one with `REFILL = true`:
/// 56 - 3 x 12 still leaves the 12 bits the next look-up needs.
#[inline(always)]
pub(super) fn diff<const REFILL: bool>(r: &mut Hot, tab: Tab) -> Result<u16> {
    diff_with::<REFILL, false>(r, tab)
}

#[inline(always)]
pub(super) fn diff_with<const REFILL: bool, const AFTER: bool>(
    r: &mut Hot,
    tab: Tab,
) -> Result<u16> {
    let e = tab.lut[(r.buf() >> 52) as usize];
    if REFILL {
        r.refill();
    }
    if e & 0xFF00 == 0 {
        r.consume(e & 0xFF);
        Ok((e >> 16) as u16)
    } else {
        diff_rest_with::<AFTER>(r, tab.t, e)
    }
}

/// Predictor `p` (Table H.1) from Ra, Rb, Rc, modulo 2^16.
#[inline(always)]
pub(super) fn predictor(p: u8, a: i32, b: i32, c: i32) -> u16 {
    (match p {
        1 => a,
        2 => b,
        3 => c,
        4 => a + b - c,
        5 => a + ((b - c) >> 1),
        6 => b + ((a - c) >> 1),
        _ => (a + b) >> 1,
    }) as u16
}

/// Predictor `PRED` with 32-bit intermediates, as T.81 computes it.
#[inline(always)]
pub(super) fn predict<const PRED: u8>(ra: u16, rb: u16, rc: u16) -> u16 {
    predictor(PRED, ra as i32, rb as i32, rc as i32)
}

/// Predictor `p` with the legacy encoder's 16-bit signed intermediates.
#[inline(always)]
pub(super) fn predict_legacy(p: u8, ra: u16, rb: u16, rc: u16) -> u16 {
    predictor(p, ra as i16 as i32, rb as i16 as i32, rc as i16 as i32)
}

/// One look-up of the pair table for predictor 1 on a gray row: stores one
/// or two samples in `w` (the next two), returns the step, 1 or 2 (with 1,
/// the sample in `w[1]` is overwritten by the next step). Needs at least 12
/// valid bits, leaves at least 29 (it refills every time: an entry may
/// consume up to 27 bits).
#[inline(always)]
pub(super) fn pair_step<T: Sample>(
    r: &mut Hot,
    tab: Tab,
    pair: &[u32; LUT_SIZE],
    w: &mut [T],
    a: &mut u16,
) -> Result<usize> {
    let e = pair[(r.buf() >> 52) as usize];
    r.refill();
    if e != 0 {
        let (a1, a2) = pair_sums(r.buf(), e, *a);
        r.consume(e & 0x3F);
        w[0] = T::from_u16(a1);
        w[1] = T::from_u16(a2);
        *a = a2;
        Ok(1 + (e >> 6 & 1) as usize)
    } else {
        let e1 = tab.lut[(r.buf() >> 52) as usize];
        *a = a.wrapping_add(diff_rest(r, tab.t, e1)?);
        w[0] = T::from_u16(*a);
        Ok(1)
    }
}

/// One row of a single component at full resolution, contiguous in `cur`
/// (`prev`: the row above, unused when `PRED == 1`; `first` predicts x = 0).
/// With a pair table, one look-up decodes two samples whenever both codes
/// fit in its index. Inlined into [`row_gray_plain`] and [`row_gray_bmi2`].
#[inline(always)]
pub(super) fn row_gray<'a, T: Sample, const PRED: u8>(
    rdr: &mut BitReader<'a>,
    tab: Tab,
    cur: &mut [T],
    prev: &[T],
    first: u16,
    use_pairs: bool,
) -> Result<usize> {
    // The hot state in registers (written back at the end).
    let BitReader { b: hot, c: cold } = rdr;
    let mut rd = Hot { b: *hot, c: cold };
    let r = &mut rd;
    let width = cur.len();
    let mut lookups = 0;
    if width == 0 {
        return Ok(0);
    }
    let d = diff::<true>(r, tab)?;
    let mut a = first.wrapping_add(d);
    cur[0] = T::from_u16(a);
    // Rb of the last decoded sample (Rc of the next one).
    let mut b = if PRED == 1 { 0 } else { prev[0].to_u16() };
    let mut x = 1;
    // Pairs pay for predictor 1 only: with the others the row above must be
    // read at a position that depends on the look-up (measured 20-40% slower).
    let pair = if PRED == 1 && use_pairs {
        tab.pair
    } else {
        None
    };
    if let Some(pair) = pair {
        while let Some(w) = cur.get_mut(x..x + 2) {
            x += pair_step(r, tab, pair, w, &mut a)?;
            lookups += 1;
        }
    } else if let (Some(pair), false, true) = (
        tab.pair2,
        PRED == 1,
        tab.t.pair_density >= PAIR2_GRAY_MIN_DENSITY,
    ) {
        // Fixed step of two: the row above is read at positions that do not
        // depend on the look-ups.
        while x + 1 < width {
            let (d0, d1) = diff2(r, tab, pair)?;
            let (b1, b2) = (prev[x].to_u16(), prev[x + 1].to_u16());
            let a1 = predict::<PRED>(a, b1, b).wrapping_add(d0);
            a = predict::<PRED>(a1, b2, b1).wrapping_add(d1);
            cur[x] = T::from_u16(a1);
            cur[x + 1] = T::from_u16(a);
            b = b2;
            x += 2;
        }
    } else {
        if PRED == 1 {
            // Three look-ups per refill (measured: pays for predictor 1 only).
            while x + 2 < width {
                a = a.wrapping_add(diff_with::<true, true>(r, tab)?);
                cur[x] = T::from_u16(a);
                a = a.wrapping_add(diff_with::<false, true>(r, tab)?);
                cur[x + 1] = T::from_u16(a);
                a = a.wrapping_add(diff_with::<false, true>(r, tab)?);
                cur[x + 2] = T::from_u16(a);
                x += 3;
            }
        }
        while x + 1 < width {
            let d0 = diff::<true>(r, tab)?;
            let b1 = if PRED == 1 { 0 } else { prev[x].to_u16() };
            a = predict::<PRED>(a, b1, b).wrapping_add(d0);
            cur[x] = T::from_u16(a);
            let d1 = diff::<false>(r, tab)?;
            let b2 = if PRED == 1 { 0 } else { prev[x + 1].to_u16() };
            a = predict::<PRED>(a, b2, b1).wrapping_add(d1);
            cur[x + 1] = T::from_u16(a);
            b = b2;
            x += 2;
        }
    }
    if x < width {
        let d = diff::<true>(r, tab)?;
        let b1 = if PRED == 1 { 0 } else { prev[x].to_u16() };
        a = predict::<PRED>(a, b1, b).wrapping_add(d);
        cur[x] = T::from_u16(a);
    }
    *hot = rd.b;
    Ok(lookups)
}

/// Prediction for sample `i` of a flat colour-by-pixel row of `N` components.
#[inline(always)]
pub(super) fn predict_flat<T: Sample, const N: usize, const PRED: u8>(
    cur: &[T],
    prev: &[T],
    i: usize,
) -> u16 {
    match PRED {
        1 => cur[i - N].to_u16(),
        2 => prev[i].to_u16(),
        3 => prev[i - N].to_u16(),
        _ => predict::<PRED>(cur[i - N].to_u16(), prev[i].to_u16(), prev[i - N].to_u16()),
    }
}

/// One row of `N >= 2` interleaved components in frame order sharing one
/// Huffman table: the row is one flat sequence of samples where sample `i`
/// is predicted from `i - N` (left) and the row above, so pairs of codes may
/// straddle components. Inlined into [`row_flat_plain`] and
/// [`row_flat_bmi2`].
#[inline(always)]
pub(super) fn row_flat<'a, T: Sample, const N: usize, const PRED: u8>(
    rdr: &mut BitReader<'a>,
    tab: Tab,
    cur: &mut [T],
    prev: &[T],
    first: [u16; N],
) -> Result<()> {
    // The hot state in registers (written back at the end).
    let BitReader { b: hot, c: cold } = rdr;
    let mut rd = Hot { b: *hot, c: cold };
    let r = &mut rd;
    let len = cur.len();
    if len < N {
        return Ok(());
    }
    for c in 0..N {
        let d = diff::<true>(r, tab)?;
        cur[c] = T::from_u16(first[c].wrapping_add(d));
    }
    let mut i = N;
    if let Some(pair) = tab.pair2 {
        while i + 1 < len {
            let (d0, d1) = diff2(r, tab, pair)?;
            let v1 = predict_flat::<T, N, PRED>(cur, prev, i).wrapping_add(d0);
            cur[i] = T::from_u16(v1);
            let v2 = predict_flat::<T, N, PRED>(cur, prev, i + 1).wrapping_add(d1);
            cur[i + 1] = T::from_u16(v2);
            i += 2;
        }
    } else {
        while i + 1 < len {
            let d0 = diff::<true>(r, tab)?;
            let v1 = predict_flat::<T, N, PRED>(cur, prev, i).wrapping_add(d0);
            cur[i] = T::from_u16(v1);
            let d1 = diff::<false>(r, tab)?;
            let v2 = predict_flat::<T, N, PRED>(cur, prev, i + 1).wrapping_add(d1);
            cur[i + 1] = T::from_u16(v2);
            i += 2;
        }
    }
    if i < len {
        let d = diff::<true>(r, tab)?;
        let v = predict_flat::<T, N, PRED>(cur, prev, i).wrapping_add(d);
        cur[i] = T::from_u16(v);
    }
    *hot = rd.b;
    Ok(())
}

/// One row of `N` components with their own tables and any layout: sample
/// `c` of pixel `x` at `x * stride + offs[c]`.
#[inline(never)]
#[allow(clippy::too_many_arguments)]
pub(super) fn row_generic<'a, T: Sample, const N: usize, const PRED: u8>(
    rdr: &mut BitReader<'a>,
    tabs: &[Tab; N],
    cur: &mut [T],
    prev: &[T],
    width: usize,
    stride: usize,
    offs: &[usize; N],
    first: [u16; N],
) -> Result<()> {
    // The hot state in registers (written back at the end).
    let BitReader { b: hot, c: cold } = rdr;
    let mut rd = Hot { b: *hot, c: cold };
    let r = &mut rd;
    let mut ra = [0u16; N];
    let mut rb = [0u16; N];
    for c in 0..N {
        let d = diff::<true>(r, tabs[c])?;
        ra[c] = first[c].wrapping_add(d);
        cur[offs[c]] = T::from_u16(ra[c]);
        if PRED != 1 {
            rb[c] = prev[offs[c]].to_u16();
        }
    }
    for x in 1..width {
        let base = x * stride;
        for c in 0..N {
            let i = base + offs[c];
            let d = if c % 2 == 0 {
                diff::<true>(r, tabs[c])?
            } else {
                diff::<false>(r, tabs[c])?
            };
            let v = if PRED == 1 {
                ra[c].wrapping_add(d)
            } else {
                let rc = rb[c];
                rb[c] = prev[i].to_u16();
                predict::<PRED>(ra[c], rb[c], rc).wrapping_add(d)
            };
            ra[c] = v;
            cur[i] = T::from_u16(v);
        }
    }
    *hot = rd.b;
    Ok(())
}
