//! IDCT dispatch: the portable islow transform ([`super::idct`]), or on
//! x86-64 with AVX2 (detected at run time) the same arithmetic on 8 columns
//! (then 8 rows) at once in 32-bit lanes, the products as `vpmaddwd` pairs
//! (exact: see `x86::pass`). Also the AC decoding loop's dispatch: the same
//! safe code ([`super::scan::ac_coefs`]) compiled once for any CPU and once
//! for BMI2 (detected at run time).
//!
//! The portable code computes in 64 bits as libjpeg does; 32 bits are exact
//! when no intermediate value can overflow. Every intermediate of one 8-point
//! pass is a linear form of the inputs whose coefficients are at most
//! `W = [8192, 12299, 10703, 27431, 8192, 20995, 15137, 16069]` in magnitude
//! (computed by tracking the forms through the butterfly), so its magnitude
//! is at most `sum W[r] |x[r]|`, plus the rounding term (<= 2^17). With
//! `|x[0]| <= 2^16` and `|x[r]| <= 14000` for r >= 1 that is below
//! `2^29 + 110826 * 14000 + 2^17 < 2^31`. The bound is checked on the
//! dequantised coefficients before the first pass and on the workspace
//! before the second; a block that fails it (none in the test images) is
//! transformed by the portable code.

#![allow(unsafe_code)]

use super::huff::Table;
use super::idct::idct_islow;
use super::Px;
use crate::codecs::jpeg::bitreader::{Bits, Cold};

/// Which IDCT (and AC decoding loop) implementation to run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Idct {
    pub avx2: bool,
    /// The AC loop compiled for BMI2 (`shlx`/`shrx`: variable shifts in
    /// one micro-op, off the flags, on the loop's serial chain).
    pub bmi2: bool,
}

impl Idct {
    /// The fastest implementation this CPU supports.
    pub fn detect() -> Idct {
        #[cfg(target_arch = "x86_64")]
        {
            Idct {
                avx2: std::arch::is_x86_feature_detected!("avx2"),
                bmi2: std::arch::is_x86_feature_detected!("bmi2"),
            }
        }
        #[cfg(not(target_arch = "x86_64"))]
        Idct::portable()
    }

    /// The portable implementation.
    pub fn portable() -> Idct {
        Idct {
            avx2: false,
            bmi2: false,
        }
    }

    /// [`super::scan::ac_coefs`], compiled for BMI2 when the CPU has it.
    #[inline(always)]
    pub fn ac_coefs(
        &self,
        bits: &mut Bits,
        c: &mut Cold,
        t: &Table,
        q: &[i32; 64],
        blk: &mut [i32; 64],
        bad: &mut bool,
    ) -> bool {
        #[cfg(target_arch = "x86_64")]
        if self.bmi2 {
            // SAFETY: `bmi2` is only set when the CPU supports BMI2
            // (`detect`); the function is safe code compiled for it.
            return unsafe { x86::ac_coefs_bmi2(bits, c, t, q, blk, bad) };
        }
        ac_coefs_portable(bits, c, t, q, blk, bad)
    }

    /// Inverse DCT of the dequantised block `blk` into `out` (8 rows of
    /// 8 samples, `stride` apart; `out.len() >= 7 * stride + 8`).
    #[inline(always)]
    pub fn run<T: Px>(&self, blk: &[i32; 64], out: &mut [T], stride: usize, bits: u32) {
        #[cfg(target_arch = "x86_64")]
        if self.avx2 {
            assert!(out.len() >= 7 * stride + 8);
            // SAFETY: `avx2` is only set when the CPU supports AVX2
            // (`detect`), and `out` holds the 8 rows written (checked above).
            if unsafe { x86::idct(blk, out, stride, bits) } {
                return;
            }
        }
        idct_islow(blk, out, stride, bits)
    }

    /// [`Idct::run`], then sets `blk` to zero (for the next block).
    #[inline(always)]
    pub fn run_clear<T: Px>(&self, blk: &mut [i32; 64], out: &mut [T], stride: usize, bits: u32) {
        #[cfg(target_arch = "x86_64")]
        if self.avx2 {
            assert!(out.len() >= 7 * stride + 8);
            // SAFETY: as in `run`; `blk` is 64 i32 (the clearing stores).
            if unsafe { x86::idct_clear(blk, out, stride, bits) } {
                return;
            }
        }
        idct_islow(blk, out, stride, bits);
        *blk = [0; 64];
    }
}

/// The AC loop for any x86-64 (or other) CPU.
#[inline(never)]
fn ac_coefs_portable(
    bits: &mut Bits,
    c: &mut Cold,
    t: &Table,
    q: &[i32; 64],
    blk: &mut [i32; 64],
    bad: &mut bool,
) -> bool {
    super::scan::ac_coefs(bits, c, t, q, blk, bad)
}

#[cfg(target_arch = "x86_64")]
mod x86 {
    // The intrinsics need `unsafe` blocks before Rust 1.87 (the MSRV is 1.85).
    #![allow(unused_unsafe)]
    use super::{Bits, Cold, Px, Table};
    use std::arch::x86_64::*;

    /// The AC loop (safe code) compiled with BMI2.
    ///
    /// # Safety
    /// The CPU must support BMI2.
    #[target_feature(enable = "bmi2")]
    #[inline(never)]
    pub unsafe fn ac_coefs_bmi2(
        bits: &mut Bits,
        c: &mut Cold,
        t: &Table,
        q: &[i32; 64],
        blk: &mut [i32; 64],
        bad: &mut bool,
    ) -> bool {
        super::super::scan::ac_coefs(bits, c, t, q, blk, bad)
    }

    const F0_298: i32 = 2446;
    const F0_390: i32 = 3196;
    const F0_541: i32 = 4433;
    const F0_765: i32 = 6270;
    const F0_899: i32 = 7373;
    const F1_175: i32 = 9633;
    const F1_501: i32 = 12299;
    const F1_847: i32 = 15137;
    const F1_961: i32 = 16069;
    const F2_053: i32 = 16819;
    const F2_562: i32 = 20995;
    const F3_072: i32 = 25172;

    /// True when the vectors satisfy the bound of the module doc.
    #[target_feature(enable = "avx2")]
    #[inline]
    unsafe fn in_bounds(x: &[__m256i; 8]) -> bool {
        // SAFETY: register-only AVX2 intrinsics; callers run with AVX2.
        unsafe {
            let mut m = _mm256_abs_epi32(x[1]);
            for v in &x[2..] {
                m = _mm256_max_epu32(m, _mm256_abs_epi32(*v));
            }
            // abs(i32::MIN) stays negative: compare unsigned through max.
            let big = _mm256_or_si256(
                _mm256_cmpeq_epi32(_mm256_max_epu32(m, _mm256_set1_epi32(14000)), m),
                _mm256_cmpeq_epi32(
                    _mm256_max_epu32(_mm256_abs_epi32(x[0]), _mm256_set1_epi32(65537)),
                    _mm256_abs_epi32(x[0]),
                ),
            );
            // `max(m, T) == m` means m >= T (14000 itself is allowed by the
            // proof but rejected here: harmless).
            _mm256_movemask_epi8(big) == 0
        }
    }

    /// `a * ca + b * cb` per 32-bit lane, for `a`, `b` that fit in i16
    /// (one `vpmaddwd` on the pair packed into 16-bit halves).
    #[target_feature(enable = "avx2")]
    #[inline]
    unsafe fn madd(a: __m256i, b: __m256i, ca: i32, cb: i32) -> __m256i {
        // SAFETY: register-only AVX2 intrinsics; callers run with AVX2.
        unsafe {
            let ab = _mm256_blend_epi16(a, _mm256_slli_epi32(b, 16), 0xAA);
            _mm256_madd_epi16(ab, _mm256_set1_epi32((cb << 16) | (ca & 0xFFFF)))
        }
    }

    /// One 8-point pass over 8 lanes; outputs descaled by `shift`.
    ///
    /// The products are regrouped as libjpeg-turbo's SIMD code does
    /// (`(x2 + x6) * c1 + x2 * c2 = x2 * (c1 + c2) + x6 * c1`, and so on):
    /// integer arithmetic, so the results are those of the C code while no
    /// value overflows. With the bound of the module doc (`|x[1..8]| <=
    /// 14000`) the packed 16-bit inputs fit (`|x7 + x3|, |x5 + x1| <=
    /// 28000`) and every partial sum stays below `28000 * 25172 +
    /// 14000 * 25172 < 2^31`.
    #[target_feature(enable = "avx2")]
    #[inline]
    unsafe fn pass(x: &[__m256i; 8], shift: i32) -> [__m256i; 8] {
        // SAFETY: register-only AVX2 intrinsics; callers run with AVX2.
        unsafe {
            // Even part.
            let tmp2 = madd(x[2], x[6], F0_541, F0_541 - F1_847);
            let tmp3 = madd(x[2], x[6], F0_541 + F0_765, F0_541);
            let tmp0 = _mm256_slli_epi32(_mm256_add_epi32(x[0], x[4]), 13);
            let tmp1 = _mm256_slli_epi32(_mm256_sub_epi32(x[0], x[4]), 13);
            let tmp10 = _mm256_add_epi32(tmp0, tmp3);
            let tmp13 = _mm256_sub_epi32(tmp0, tmp3);
            let tmp11 = _mm256_add_epi32(tmp1, tmp2);
            let tmp12 = _mm256_sub_epi32(tmp1, tmp2);
            // Odd part: z3 = x7 + x3, z4 = x5 + x1, z5 = (z3 + z4) * F1_175.
            let z3s = _mm256_add_epi32(x[7], x[3]);
            let z4s = _mm256_add_epi32(x[5], x[1]);
            let z3 = madd(z3s, z4s, F1_175 - F1_961, F1_175);
            let z4 = madd(z3s, z4s, F1_175, F1_175 - F0_390);
            // z1 = x7 + x1, z2 = x5 + x3.
            let t0 = _mm256_add_epi32(madd(x[7], x[1], F0_298 - F0_899, -F0_899), z3);
            let t3 = _mm256_add_epi32(madd(x[7], x[1], -F0_899, F1_501 - F0_899), z4);
            let t1 = _mm256_add_epi32(madd(x[5], x[3], F2_053 - F2_562, -F2_562), z4);
            let t2 = _mm256_add_epi32(madd(x[5], x[3], -F2_562, F3_072 - F2_562), z3);
            let round = _mm256_set1_epi32(1 << (shift - 1));
            let cnt = _mm_cvtsi32_si128(shift);
            let d = |v: __m256i| _mm256_sra_epi32(_mm256_add_epi32(v, round), cnt);
            [
                d(_mm256_add_epi32(tmp10, t3)),
                d(_mm256_add_epi32(tmp11, t2)),
                d(_mm256_add_epi32(tmp12, t1)),
                d(_mm256_add_epi32(tmp13, t0)),
                d(_mm256_sub_epi32(tmp13, t0)),
                d(_mm256_sub_epi32(tmp12, t1)),
                d(_mm256_sub_epi32(tmp11, t2)),
                d(_mm256_sub_epi32(tmp10, t3)),
            ]
        }
    }

    /// Transposes an 8x8 matrix of i32 held as 8 row vectors.
    #[target_feature(enable = "avx2")]
    #[inline]
    unsafe fn transpose(r: [__m256i; 8]) -> [__m256i; 8] {
        // SAFETY: register-only AVX2 intrinsics; callers run with AVX2.
        unsafe {
            let t0 = _mm256_unpacklo_epi32(r[0], r[1]);
            let t1 = _mm256_unpackhi_epi32(r[0], r[1]);
            let t2 = _mm256_unpacklo_epi32(r[2], r[3]);
            let t3 = _mm256_unpackhi_epi32(r[2], r[3]);
            let t4 = _mm256_unpacklo_epi32(r[4], r[5]);
            let t5 = _mm256_unpackhi_epi32(r[4], r[5]);
            let t6 = _mm256_unpacklo_epi32(r[6], r[7]);
            let t7 = _mm256_unpackhi_epi32(r[6], r[7]);
            let u0 = _mm256_unpacklo_epi64(t0, t2);
            let u1 = _mm256_unpackhi_epi64(t0, t2);
            let u2 = _mm256_unpacklo_epi64(t1, t3);
            let u3 = _mm256_unpackhi_epi64(t1, t3);
            let u4 = _mm256_unpacklo_epi64(t4, t6);
            let u5 = _mm256_unpackhi_epi64(t4, t6);
            let u6 = _mm256_unpacklo_epi64(t5, t7);
            let u7 = _mm256_unpackhi_epi64(t5, t7);
            [
                _mm256_permute2x128_si256(u0, u4, 0x20),
                _mm256_permute2x128_si256(u1, u5, 0x20),
                _mm256_permute2x128_si256(u2, u6, 0x20),
                _mm256_permute2x128_si256(u3, u7, 0x20),
                _mm256_permute2x128_si256(u0, u4, 0x31),
                _mm256_permute2x128_si256(u1, u5, 0x31),
                _mm256_permute2x128_si256(u2, u6, 0x31),
                _mm256_permute2x128_si256(u3, u7, 0x31),
            ]
        }
    }

    /// [`idct`], and on success `blk` set to zero.
    ///
    /// # Safety
    /// As [`idct`].
    #[target_feature(enable = "avx2")]
    pub unsafe fn idct_clear<T: Px>(
        blk: &mut [i32; 64],
        out: &mut [T],
        stride: usize,
        bits: u32,
    ) -> bool {
        // SAFETY: the caller's guarantees; `blk` is 64 i32 = 8 unaligned
        // stores of 32 bytes.
        unsafe {
            if !idct(blk, out, stride, bits) {
                return false;
            }
            let p = blk.as_mut_ptr() as *mut __m256i;
            for r in 0..8 {
                _mm256_storeu_si256(p.add(r), _mm256_setzero_si256());
            }
            true
        }
    }

    /// The islow IDCT in 32-bit lanes; false (nothing written) when the
    /// block fails the bound, for the portable code to transform it.
    ///
    /// # Safety
    /// The CPU must support AVX2; `out.len() >= 7 * stride + 8`.
    #[target_feature(enable = "avx2")]
    #[inline]
    pub unsafe fn idct<T: Px>(blk: &[i32; 64], out: &mut [T], stride: usize, bits: u32) -> bool {
        unsafe {
            let p1 = if bits == 8 { 2 } else { 1 };
            let p = blk.as_ptr() as *const __m256i;
            // SAFETY (whole function): `blk` is 64 i32 = 8 unaligned loads of
            // 32 bytes; the stores below stay inside `out` (the caller's
            // length guarantee), 8 elements of T per row.
            let x: [__m256i; 8] = std::array::from_fn(|r| _mm256_loadu_si256(p.add(r)));
            if !in_bounds(&x) {
                return false;
            }
            let rest = x[1..]
                .iter()
                .fold(_mm256_setzero_si256(), |a, v| _mm256_or_si256(a, *v));
            let ws = if _mm256_testz_si256(rest, rest) != 0 {
                // Only the first row of coefficients: every column's pass
                // gives its DC scaled by 2^PASS1_BITS (exactly what the full
                // pass computes, and libjpeg's shortcut); transposed, row c
                // of the workspace is coefficient c, broadcast.
                let d = _mm256_sll_epi32(x[0], _mm_cvtsi32_si128(p1));
                std::array::from_fn(|c| _mm256_permutevar8x32_epi32(d, _mm256_set1_epi32(c as i32)))
            } else {
                transpose(pass(&x, 13 - p1))
            };
            if !in_bounds(&ws) {
                return false;
            }
            let o = pass(&ws, 13 + p1 + 3);
            // Range limit: mask, read as signed, centre, clamp.
            let n2 = 1i32 << (bits + 1);
            let mask = _mm256_set1_epi32(2 * n2 - 1);
            let vn2 = _mm256_set1_epi32(n2);
            let centre = _mm256_set1_epi32(1 << (bits - 1));
            let maxj = _mm256_set1_epi32((1 << bits) - 1);
            let zero = _mm256_setzero_si256();
            let o: [__m256i; 8] = std::array::from_fn(|i| {
                let v = _mm256_and_si256(o[i], mask);
                let v = _mm256_sub_epi32(_mm256_xor_si256(v, vn2), vn2);
                _mm256_min_epi32(_mm256_max_epi32(_mm256_add_epi32(v, centre), zero), maxj)
            });
            let rows = transpose(o);
            let dst = out.as_mut_ptr();
            for r in (0..8).step_by(2) {
                // Two rows of i16: [a0..3 b0..3 | a4..7 b4..7] -> [a | b].
                let w = _mm256_permute4x64_epi64(_mm256_packs_epi32(rows[r], rows[r + 1]), 0xD8);
                if std::mem::size_of::<T>() == 2 {
                    let d = dst as *mut u8;
                    _mm_storeu_si128(
                        d.add(2 * r * stride) as *mut __m128i,
                        _mm256_castsi256_si128(w),
                    );
                    _mm_storeu_si128(
                        d.add(2 * (r + 1) * stride) as *mut __m128i,
                        _mm256_extracti128_si256(w, 1),
                    );
                } else {
                    let b =
                        _mm_packus_epi16(_mm256_castsi256_si128(w), _mm256_extracti128_si256(w, 1));
                    let d = dst as *mut u8;
                    _mm_storel_epi64(d.add(r * stride) as *mut __m128i, b);
                    _mm_storel_epi64(
                        d.add((r + 1) * stride) as *mut __m128i,
                        _mm_srli_si128(b, 8),
                    );
                }
            }
            true
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The dispatched transform equals the portable one on random blocks,
    /// small and large (large ones take the fallback).
    #[test]
    fn simd_equals_portable() {
        let simd = Idct::detect();
        let mut s = 0x2545_f491_4f6c_dd1du64;
        let mut next = || {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            s
        };
        for bits in [8u32, 12] {
            for round in 0..20000 {
                let scale = [16i64, 512, 4096, 28000, 40000, 1 << 22][round % 6];
                let mut blk = [0i32; 64];
                for (i, c) in blk.iter_mut().enumerate() {
                    let r = next();
                    // Every fourth block: only the first row (the shortcut).
                    if (i == 0 || r % 3 == 0) && (round % 4 != 1 || i < 8) {
                        *c = ((r >> 8) as i64 % scale - scale / 2) as i32
                            * if i == 0 { 8 } else { 1 };
                    }
                }
                let (mut a, mut b) = ([0u16; 80], [0u16; 80]);
                simd.run(&blk, &mut a[..], 10, bits);
                idct_islow(&blk, &mut b[..], 10, bits);
                assert_eq!(a, b, "{blk:?}");
                let mut c = blk;
                let mut a2 = [0u16; 80];
                simd.run_clear(&mut c, &mut a2[..], 10, bits);
                assert_eq!((a2, c), (b, [0; 64]), "{blk:?}");
                let (mut a, mut b) = ([0u8; 64], [0u8; 64]);
                if bits == 8 {
                    simd.run(&blk, &mut a[..], 8, bits);
                    idct_islow(&blk, &mut b[..], 8, bits);
                    assert_eq!(a, b, "{blk:?}");
                }
            }
        }
    }

    /// The AC loop compiled for BMI2 decodes what the portable one decodes
    /// (coefficients, invalid-code flag, reader state) on random streams
    /// with stuffed and unstuffed 0xFF bytes and markers.
    #[test]
    fn ac_loop_bmi2_equals_portable() {
        use crate::codecs::jpeg::bitreader::BitReader;
        let t = Table::new(&super::super::huff::ac_test_spec());
        let q: [i32; 64] = std::array::from_fn(|i| 1 + (i as i32 * 7) % 13);
        let fast = Idct::detect();
        let slow = Idct::portable();
        let mut st = 0x243f_6a88_85a3_08d3u64;
        for round in 0..200 {
            let mut data = Vec::new();
            for _ in 0..600 {
                st ^= st << 13;
                st ^= st >> 7;
                st ^= st << 17;
                // Mostly short codes (the start of the table), some 0xFF.
                let b = match st % 16 {
                    0 => 0xFF,
                    1 | 2 => (st >> 8) as u8,
                    _ => (st >> 8) as u8 & 0x3F,
                };
                data.push(b);
                if b == 0xFF {
                    data.push(if round % 7 == 0 && st % 5 == 0 {
                        0xD0
                    } else {
                        0
                    });
                }
            }
            let r0 = BitReader::new(&data, 0);
            let (mut ra, mut rb) = (r0, r0);
            for _ in 0..120 {
                let (mut ba, mut bb) = ([0i32; 64], [0i32; 64]);
                let (mut bad_a, mut bad_b) = (false, false);
                let anya = fast.ac_coefs(&mut ra.b, &mut ra.c, &t, &q, &mut ba, &mut bad_a);
                let anyb = slow.ac_coefs(&mut rb.b, &mut rb.c, &t, &q, &mut bb, &mut bad_b);
                assert_eq!((anya, bad_a, ba), (anyb, bad_b, bb));
                assert_eq!(
                    (ra.b.buf, ra.b.nbits, ra.b.pos),
                    (rb.b.buf, rb.b.nbits, rb.b.pos)
                );
                // A DC-like symbol between blocks: a few raw bits.
                ra.refill();
                rb.refill();
                ra.consume(3);
                rb.consume(3);
            }
        }
    }
}
