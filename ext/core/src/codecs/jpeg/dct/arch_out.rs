//! AVX2 kernels of the 8-bit output stage (runtime-detected; the portable
//! code of [`super::output`] is the fallback and the reference): libjpeg's
//! "fancy" h2v1 and h2v2 chroma upsampling, and three full-resolution rows
//! interleaved into colour-by-pixel samples, as they are or converted from
//! YCbCr to RGB with libjpeg's integer arithmetic.
//!
//! Exactness: the upsampling sums stay below 2^12 in 16-bit lanes (the
//! same integers as the portable code). The colour conversion computes in
//! 32-bit lanes exactly what libjpeg's tables hold (`jdcolor.c`
//! `build_ycc_rgb_table`): `R = y + ((FIX(1.402) x_cr + 2^15) >> 16)`,
//! `B = y + ((FIX(1.772) x_cb + 2^15) >> 16)`,
//! `G = y + ((-FIX(0.34414) x_cb + 2^15 - FIX(0.71414) x_cr) >> 16)`,
//! `x = sample - 128`; the products are
//! below 2^24, so no lane overflows, and `>>` is arithmetic as in libjpeg.
//! The sum is clamped to 0..=255 (libjpeg's range limit table) by saturating
//! packs.
//!
//! Rows given to the upsampling kernels are padded copies: `p[0] = s[0]`,
//! `p[1..=n] = s`, then at least [`PAD`] copies of `s[n-1]` (libjpeg's edge
//! replication), so whole 16-sample vectors can be read.

#![allow(unsafe_code)]

/// Samples of edge replication after a padded row.
pub(super) const PAD: usize = 33;

/// Whether the AVX2 kernels can run on this CPU.
pub(super) fn detect() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        std::arch::is_x86_feature_detected!("avx2")
    }
    #[cfg(not(target_arch = "x86_64"))]
    false
}

/// `p` becomes the padded copy of `s` (see the module doc).
pub(super) fn pad_row(s: &[u8], p: &mut Vec<u8>) {
    p.clear();
    p.push(s[0]);
    p.extend_from_slice(s);
    p.resize(s.len() + 1 + PAD, s[s.len() - 1]);
}

/// Output bytes the upsampling kernels may write for `n` chroma samples.
pub(super) fn up_len(n: usize) -> usize {
    2 * n.next_multiple_of(16)
}

/// Fancy h2v1 upsampling of the `n` samples padded in `p` into `out`
/// (`out[..2 n]` is the result; up to [`up_len`] bytes are written).
///
/// # Panics
/// When `avx2` is false or the lengths are short (callers check).
pub(super) fn h2v1(p: &[u8], n: usize, out: &mut [u8], avx2: bool) {
    assert!(avx2 && n > 0 && p.len() >= n + 1 + PAD && out.len() >= up_len(n));
    #[cfg(target_arch = "x86_64")]
    // SAFETY: `avx2` is only true when the CPU has AVX2 (`detect`); the
    // kernel reads `p[i..i + 18]` and writes `out[2 i..2 i + 32]` for
    // `i < n` in steps of 16, inside the lengths asserted above.
    unsafe {
        x86::h2v1(p.as_ptr(), n, out.as_mut_ptr())
    }
}

/// Fancy h2v2 upsampling: `a` the padded nearer chroma row, `b` the padded
/// farther one (`n` samples each), into `out` as [`h2v1`].
///
/// # Panics
/// When `avx2` is false or the lengths are short (callers check).
pub(super) fn h2v2(a: &[u8], b: &[u8], n: usize, out: &mut [u8], avx2: bool) {
    assert!(avx2 && n > 0 && a.len().min(b.len()) >= n + 1 + PAD && out.len() >= up_len(n));
    #[cfg(target_arch = "x86_64")]
    // SAFETY: as in `h2v1`, for both input rows.
    unsafe {
        x86::h2v2(a.as_ptr(), b.as_ptr(), n, out.as_mut_ptr())
    }
}

/// Interleaves `y`, `cb`, `cr` (at least `line.len() / 3` samples each)
/// into `line`, converting YCbCr to RGB when `rgb`.
///
/// # Panics
/// When `avx2` is false or the lengths are short (callers check).
pub(super) fn merge3(y: &[u8], cb: &[u8], cr: &[u8], line: &mut [u8], rgb: bool, avx2: bool) {
    let w = line.len() / 3;
    assert!(avx2 && y.len().min(cb.len()).min(cr.len()) >= w);
    let body = w / 16 * 16;
    #[cfg(target_arch = "x86_64")]
    // SAFETY: AVX2 is present (`avx2`); the kernel reads 16 samples of each
    // row and writes 48 bytes per step for `body / 16` steps, all inside
    // the lengths asserted above.
    unsafe {
        x86::merge3(
            y.as_ptr(),
            cb.as_ptr(),
            cr.as_ptr(),
            body,
            line.as_mut_ptr(),
            rgb,
        )
    }
    for x in body..w {
        let o = &mut line[3 * x..3 * x + 3];
        if rgb {
            let c = ycc_rgb8(y[x] as i32, cb[x] as i32, cr[x] as i32);
            o.copy_from_slice(&c);
        } else {
            o.copy_from_slice(&[y[x], cb[x], cr[x]]);
        }
    }
}

/// libjpeg's YCbCr to RGB of one 8-bit pixel, by its formulas.
fn ycc_rgb8(y: i32, cb: i32, cr: i32) -> [u8; 3] {
    let (xb, xr) = (cb - 128, cr - 128);
    let r = y + ((fixc::CR_R * xr + 32768) >> 16);
    let g = y + ((fixc::CB_G * xb + 32768 + fixc::CR_G * xr) >> 16);
    let b = y + ((fixc::CB_B * xb + 32768) >> 16);
    [
        r.clamp(0, 255) as u8,
        g.clamp(0, 255) as u8,
        b.clamp(0, 255) as u8,
    ]
}

/// `FIX(x)` of `jdcolor.c` (16 fractional bits, rounded).
mod fixc {
    pub const CR_R: i32 = 91881; // FIX(1.40200)
    pub const CB_B: i32 = 116130; // FIX(1.77200)
    pub const CR_G: i32 = -46802; // -FIX(0.71414)
    pub const CB_G: i32 = -22554; // -FIX(0.34414)
}

#[cfg(target_arch = "x86_64")]
mod x86 {
    // The intrinsics need `unsafe` blocks before Rust 1.87 (the MSRV is 1.85).
    #![allow(unused_unsafe)]
    use super::fixc::*;
    use std::arch::x86_64::*;

    /// 16 bytes at `p` as 16 u16 lanes.
    #[target_feature(enable = "avx2")]
    #[inline]
    unsafe fn w16(p: *const u8) -> __m256i {
        // SAFETY: the caller guarantees 16 readable bytes at `p`.
        unsafe { _mm256_cvtepu8_epi16(_mm_loadu_si128(p as *const __m128i)) }
    }

    /// Even outputs `(3 c1 + c0 + b0) >> sh` in the low byte of each lane,
    /// odd outputs `(3 c1 + c2 + b1) >> sh` in the high byte, stored as 32
    /// bytes at `o`.
    #[target_feature(enable = "avx2")]
    #[inline]
    #[allow(clippy::too_many_arguments)]
    unsafe fn emit(c0: __m256i, c1: __m256i, c2: __m256i, b0: i16, b1: i16, sh: i32, o: *mut u8) {
        // SAFETY: register intrinsics; the caller guarantees 32 writable
        // bytes at `o`.
        unsafe {
            let t = _mm256_add_epi16(c1, _mm256_add_epi16(c1, c1));
            let cnt = _mm_cvtsi32_si128(sh);
            let e = _mm256_srl_epi16(
                _mm256_add_epi16(_mm256_add_epi16(t, c0), _mm256_set1_epi16(b0)),
                cnt,
            );
            let d = _mm256_srl_epi16(
                _mm256_add_epi16(_mm256_add_epi16(t, c2), _mm256_set1_epi16(b1)),
                cnt,
            );
            let v = _mm256_or_si256(e, _mm256_slli_epi16(d, 8));
            _mm256_storeu_si256(o as *mut __m256i, v);
        }
    }

    /// # Safety
    /// AVX2; `p[..n.next_multiple_of(16) + 2]` readable,
    /// `o[..2 n.next_multiple_of(16)]` writable.
    #[target_feature(enable = "avx2")]
    pub unsafe fn h2v1(p: *const u8, n: usize, o: *mut u8) {
        unsafe {
            let mut i = 0;
            while i < n {
                let c0 = w16(p.add(i));
                let c1 = w16(p.add(i + 1));
                let c2 = w16(p.add(i + 2));
                emit(c0, c1, c2, 1, 2, 2, o.add(2 * i));
                i += 16;
            }
        }
    }

    /// `3 a + b` of 16 samples.
    #[target_feature(enable = "avx2")]
    #[inline]
    unsafe fn colsum(a: *const u8, b: *const u8) -> __m256i {
        // SAFETY: the caller guarantees 16 readable bytes at `a` and `b`.
        unsafe {
            let x = w16(a);
            _mm256_add_epi16(_mm256_add_epi16(x, _mm256_add_epi16(x, x)), w16(b))
        }
    }

    /// # Safety
    /// As [`h2v1`], for both `a` and `b`.
    #[target_feature(enable = "avx2")]
    pub unsafe fn h2v2(a: *const u8, b: *const u8, n: usize, o: *mut u8) {
        unsafe {
            let mut i = 0;
            while i < n {
                let c0 = colsum(a.add(i), b.add(i));
                let c1 = colsum(a.add(i + 1), b.add(i + 1));
                let c2 = colsum(a.add(i + 2), b.add(i + 2));
                emit(c0, c1, c2, 8, 7, 4, o.add(2 * i));
                i += 16;
            }
        }
    }

    /// `pshufb` masks placing 16 samples of channel `ch` into the three
    /// 16-byte vectors of 16 interleaved 3-sample pixels.
    const fn masks(ch: usize) -> [[i8; 16]; 3] {
        let mut m = [[-128i8; 16]; 3];
        let mut j = 0;
        while j < 48 {
            if j % 3 == ch {
                m[j / 16][j % 16] = (j / 3) as i8;
            }
            j += 1;
        }
        m
    }
    const M: [[[i8; 16]; 3]; 3] = [masks(0), masks(1), masks(2)];

    /// 8 samples at `p` as i32 lanes.
    #[target_feature(enable = "avx2")]
    #[inline]
    unsafe fn w32(p: *const u8) -> __m256i {
        // SAFETY: the caller guarantees 8 readable bytes at `p`.
        unsafe { _mm256_cvtepu8_epi32(_mm_loadl_epi64(p as *const __m128i)) }
    }

    /// `(v * c + 2^15 [+ w]) >> 16` in i32 lanes.
    #[target_feature(enable = "avx2")]
    #[inline]
    unsafe fn fixmul(v: __m256i, c: i32, w: __m256i) -> __m256i {
        // SAFETY: register-only intrinsics.
        unsafe {
            let p = _mm256_mullo_epi32(v, _mm256_set1_epi32(c));
            let h = _mm256_add_epi32(w, _mm256_set1_epi32(1 << 15));
            _mm256_srai_epi32(_mm256_add_epi32(p, h), 16)
        }
    }

    /// Two vectors of 8 i32 to 16 bytes, saturated to 0..=255.
    #[target_feature(enable = "avx2")]
    #[inline]
    unsafe fn bytes(lo: __m256i, hi: __m256i) -> __m128i {
        // SAFETY: register-only intrinsics.
        unsafe {
            let w = _mm256_permute4x64_epi64(_mm256_packs_epi32(lo, hi), 0xD8);
            _mm_packus_epi16(_mm256_castsi256_si128(w), _mm256_extracti128_si256(w, 1))
        }
    }

    /// 8 pixels YCbCr to RGB: `(r, g, b)` as i32 lanes (not clamped).
    #[target_feature(enable = "avx2")]
    #[inline]
    unsafe fn rgb8(y: *const u8, cb: *const u8, cr: *const u8) -> [__m256i; 3] {
        // SAFETY: the caller guarantees 8 readable bytes at each pointer.
        unsafe {
            let c = _mm256_set1_epi32(128);
            let yy = w32(y);
            let xb = _mm256_sub_epi32(w32(cb), c);
            let xr = _mm256_sub_epi32(w32(cr), c);
            let z = _mm256_setzero_si256();
            let r = _mm256_add_epi32(yy, fixmul(xr, CR_R, z));
            let b = _mm256_add_epi32(yy, fixmul(xb, CB_B, z));
            let gr = _mm256_mullo_epi32(xr, _mm256_set1_epi32(CR_G));
            let g = _mm256_add_epi32(yy, fixmul(xb, CB_G, gr));
            [r, g, b]
        }
    }

    /// # Safety
    /// AVX2; `body` a multiple of 16; `y`, `cb`, `cr` readable for `body`
    /// bytes, `o` writable for `3 body`.
    #[target_feature(enable = "avx2")]
    pub unsafe fn merge3(
        y: *const u8,
        cb: *const u8,
        cr: *const u8,
        body: usize,
        o: *mut u8,
        rgb: bool,
    ) {
        unsafe {
            let m: [[__m128i; 3]; 3] = std::array::from_fn(|c| {
                std::array::from_fn(|k| _mm_loadu_si128(M[c][k].as_ptr() as *const __m128i))
            });
            let mut x = 0;
            while x < body {
                let (a, b, c) = if rgb {
                    let l = rgb8(y.add(x), cb.add(x), cr.add(x));
                    let h = rgb8(y.add(x + 8), cb.add(x + 8), cr.add(x + 8));
                    (bytes(l[0], h[0]), bytes(l[1], h[1]), bytes(l[2], h[2]))
                } else {
                    (
                        _mm_loadu_si128(y.add(x) as *const __m128i),
                        _mm_loadu_si128(cb.add(x) as *const __m128i),
                        _mm_loadu_si128(cr.add(x) as *const __m128i),
                    )
                };
                let (m0, m1, m2) = (&m[0], &m[1], &m[2]);
                for (k, ((s0, s1), s2)) in m0.iter().zip(m1).zip(m2).enumerate() {
                    let v = _mm_or_si128(
                        _mm_or_si128(_mm_shuffle_epi8(a, *s0), _mm_shuffle_epi8(b, *s1)),
                        _mm_shuffle_epi8(c, *s2),
                    );
                    _mm_storeu_si128(o.add(3 * x + 16 * k) as *mut __m128i, v);
                }
                x += 16;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rng(seed: u64) -> impl FnMut() -> u8 {
        let mut s = seed;
        move || {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            (s >> 32) as u8
        }
    }

    /// The AVX2 kernels equal the portable output code (libjpeg's
    /// formulas) on random rows of every width from 3 to 70, extremes
    /// included.
    #[test]
    fn simd_equals_portable() {
        if !detect() {
            eprintln!("no AVX2: the kernels are not run");
            return;
        }
        let ycc = super::super::output::Ycc::new(8);
        let mut next = rng(0x2545_f491_4f6c_dd1d);
        for n in 3..70usize {
            for round in 0..6 {
                let gen = |next: &mut dyn FnMut() -> u8| -> Vec<u8> {
                    (0..n)
                        .map(|_| match round {
                            0 => 0,
                            1 => 255,
                            _ => next(),
                        })
                        .collect()
                };
                let (a, b) = (gen(&mut next), gen(&mut next));
                let (mut pa, mut pb) = (Vec::new(), Vec::new());
                pad_row(&a, &mut pa);
                pad_row(&b, &mut pb);
                let mut got = vec![0u8; up_len(n)];
                let mut want = vec![0u8; 2 * n];
                h2v1(&pa, n, &mut got, true);
                super::super::output::h2v1_ref(&a, &mut want);
                assert_eq!(&got[..2 * n], &want[..], "h2v1 n {n}");
                h2v2(&pa, &pb, n, &mut got, true);
                super::super::output::h2v2_ref(&a, &b, &mut want);
                assert_eq!(&got[..2 * n], &want[..], "h2v2 n {n}");
                let c = gen(&mut next);
                for rgb in [false, true] {
                    let mut got = vec![0u8; 3 * n];
                    let mut want = vec![0u8; 3 * n];
                    merge3(&a, &b, &c, &mut got, rgb, true);
                    super::super::output::merge3_ref(&a, &b, &c, rgb.then_some(&ycc), &mut want);
                    assert_eq!(got, want, "merge3 rgb {rgb} n {n}");
                }
            }
        }
    }

    /// The formulas of the tail loop equal libjpeg's tables.
    #[test]
    fn formulas_equal_tables() {
        let ycc = super::super::output::Ycc::new(8);
        for y in [0, 1, 77, 128, 200, 254, 255] {
            for cb in 0..256 {
                for cr in (0..256).step_by(3) {
                    let mut want = [0u8; 3];
                    super::super::output::merge3_ref(
                        &[y as u8],
                        &[cb as u8],
                        &[cr as u8],
                        Some(&ycc),
                        &mut want,
                    );
                    assert_eq!(ycc_rgb8(y, cb, cr), want);
                }
            }
        }
    }
}
