//! The "islow" integer inverse DCT of the IJG code (libjpeg-turbo's
//! `jidctint.c` algorithm, written here from its description): a separable
//! Loeffler-Ligtenberg-Moschytz 8-point IDCT with 13-bit constants, columns
//! first (results kept in 32-bit ints scaled by 2^PASS1_BITS), rows second,
//! rounding by adding half before each right shift, and the range limit of
//! libjpeg (the result is masked to 2 + log2(MAXJSAMPLE + 1) bits, read as
//! signed, centred and clamped). PASS1_BITS is 2 at 8 bits and 1 at 12 bits.
//!
//! The input is the dequantised block in natural order (i32: a 16-bit
//! coefficient times a quantiser of up to 16 bits). The arithmetic is done
//! in i64 as in libjpeg (JLONG is 64 bits on LP64 systems), except where a
//! per-block bound proves 32 bits exact (see [`super::arch`]).

use super::Px;

const CONST_BITS: u32 = 13;
const F0_298: i64 = 2446;
const F0_390: i64 = 3196;
const F0_541: i64 = 4433;
const F0_765: i64 = 6270;
const F0_899: i64 = 7373;
const F1_175: i64 = 9633;
const F1_501: i64 = 12299;
const F1_847: i64 = 15137;
const F1_961: i64 = 16069;
const F2_053: i64 = 16819;
const F2_562: i64 = 20995;
const F3_072: i64 = 25172;

/// `(x + 2^(n-1)) >> n`.
#[inline(always)]
fn descale(x: i64, n: u32) -> i64 {
    (x + (1i64 << (n - 1))) >> n
}

/// libjpeg's post-IDCT range limit for `bits`-bit samples.
#[inline(always)]
pub fn range_limit(x: i64, bits: u32) -> i32 {
    let n2 = 1i32 << (bits + 1); // 2 * (MAXJSAMPLE + 1)
    let v = (x as i32) & (2 * n2 - 1);
    let s = (v ^ n2) - n2;
    (s + (1 << (bits - 1))).clamp(0, (1 << bits) - 1)
}

/// One 8-point pass: returns the eight outputs before descaling.
#[inline(always)]
fn pass(x: [i64; 8]) -> [i64; 8] {
    // Even part.
    let (z2, z3) = (x[2], x[6]);
    let z1 = (z2 + z3) * F0_541;
    let tmp2 = z1 + z3 * -F1_847;
    let tmp3 = z1 + z2 * F0_765;
    let tmp0 = (x[0] + x[4]) << CONST_BITS;
    let tmp1 = (x[0] - x[4]) << CONST_BITS;
    let tmp10 = tmp0 + tmp3;
    let tmp13 = tmp0 - tmp3;
    let tmp11 = tmp1 + tmp2;
    let tmp12 = tmp1 - tmp2;
    // Odd part.
    let (mut t0, mut t1, mut t2, mut t3) = (x[7], x[5], x[3], x[1]);
    let mut z1 = t0 + t3;
    let mut z2 = t1 + t2;
    let mut z3 = t0 + t2;
    let mut z4 = t1 + t3;
    let z5 = (z3 + z4) * F1_175;
    t0 *= F0_298;
    t1 *= F2_053;
    t2 *= F3_072;
    t3 *= F1_501;
    z1 *= -F0_899;
    z2 *= -F2_562;
    z3 *= -F1_961;
    z4 *= -F0_390;
    z3 += z5;
    z4 += z5;
    t0 += z1 + z3;
    t1 += z2 + z4;
    t2 += z2 + z3;
    t3 += z1 + z4;
    [
        tmp10 + t3,
        tmp11 + t2,
        tmp12 + t1,
        tmp13 + t0,
        tmp13 - t0,
        tmp12 - t1,
        tmp11 - t2,
        tmp10 - t3,
    ]
}

/// Inverse DCT of `coef` (dequantised, natural order) into 8 rows of 8
/// samples at `out[0..]` with `stride`; `bits` is 8 or 12.
pub fn idct_islow<T: Px>(coef: &[i32; 64], out: &mut [T], stride: usize, bits: u32) {
    let p1 = if bits == 8 { 2 } else { 1 };
    let mut ws = [0i32; 64];
    for c in 0..8 {
        let col: [i64; 8] = std::array::from_fn(|r| coef[r * 8 + c] as i64);
        if col[1..].iter().all(|&v| v == 0) {
            let dc = (col[0] << p1) as i32;
            for r in 0..8 {
                ws[r * 8 + c] = dc;
            }
            continue;
        }
        let o = pass(col);
        for r in 0..8 {
            ws[r * 8 + c] = descale(o[r], CONST_BITS - p1) as i32;
        }
    }
    for r in 0..8 {
        let row = &ws[r * 8..r * 8 + 8];
        let dst = &mut out[r * stride..r * stride + 8];
        if row[1..].iter().all(|&v| v == 0) {
            let v = T::from_i32(range_limit(descale(row[0] as i64, p1 + 3), bits));
            dst.fill(v);
            continue;
        }
        let x: [i64; 8] = std::array::from_fn(|i| row[i] as i64);
        let o = pass(x);
        for i in 0..8 {
            dst[i] = T::from_i32(range_limit(descale(o[i], CONST_BITS + p1 + 3), bits));
        }
    }
}

/// The value of every sample of a block whose only non-zero coefficient is
/// the (dequantised) DC `dc`.
#[inline(always)]
pub fn dc_only(dc: i32, bits: u32) -> i32 {
    let p1 = if bits == 8 { 2 } else { 1 };
    let ws = ((dc as i64) << p1) as i32;
    range_limit(descale(ws as i64, p1 + 3), bits)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn range_limit_matches_libjpeg_table() {
        // Build libjpeg's table (jdmaster.c prepare_range_limit_table) and
        // compare over the masked domain.
        for bits in [8u32, 12] {
            let n = 1i64 << bits;
            let center = n / 2;
            let maxj = n - 1;
            let mut simple = vec![0i64; (5 * n + center) as usize];
            let base = n as usize; // sample_range_limit
            for i in 0..=maxj {
                simple[base + i as usize] = i;
            }
            let post = base + center as usize;
            for i in center..2 * n {
                simple[post + i as usize] = maxj;
            }
            // second half zeros already; last CENTER entries copy 0..CENTER
            for i in 0..center {
                simple[post + (4 * n - center + i) as usize] = i;
            }
            for x in -5 * n..5 * n {
                let idx = (x & (4 * n - 1)) as usize;
                assert_eq!(range_limit(x, bits) as i64, simple[post + idx], "x {x}");
            }
        }
    }

    #[test]
    fn dc_only_matches_full_transform() {
        for bits in [8u32, 12] {
            for dc in [-20000, -1024, -3, 0, 5, 333, 1023, 20000] {
                let mut c = [0i32; 64];
                c[0] = dc;
                let mut out = [0u16; 64];
                idct_islow(&c, &mut out, 8, bits);
                assert!(out.iter().all(|&v| v as i32 == dc_only(dc, bits)));
            }
        }
    }
}
