//! The `unsafe` of the pixel pipeline, chosen at run time: an AVX2 + FMA
//! kernel for YBR_FULL → RGB (8 bits), and the LINEAR window loop compiled
//! for AVX-512 / AVX2 ([`window_linear`]). Tests turn both off on their
//! thread (`PORTABLE`) to compare them with the portable code.
//!
//! YBR_FULL → RGB ([`ybr_full_to_rgb`], available when [`available`] says so)
//! It computes exactly what the portable `color::ybr_pixel` computes, in
//! the same `f32` operations and order, 8 pixels per vector: `Cb - 128` and
//! `Cr - 128` (exact), `R = fma(Cr, 1.402, Y)`,
//! `G = fma(Cr, g_cr, fma(Cb, g_cb, Y))`, `B = fma(Cb, 1.772, Y)` (each
//! `fma` rounded once, as `vfmadd` does), `+ 0.5` in `f32`, then
//! truncation and a clip to `0..=255` (equal to `clip(floor(x), 0, 255)`:
//! truncation and floor differ only below 0, where both clip to 0). The
//! tests `ybr_simd_and_portable_equal_for_all_values` (all 2^24 inputs, both
//! kernels, both in place and into another buffer) and
//! `ybr_simd_tails_and_offsets` compare it with the portable kernels.

#![allow(unsafe_code)]

use super::window::{linear_run, Prepared};
use super::Sample;

#[cfg(test)]
thread_local! {
    /// Test switch: [`use_simd`] and [`Wide::pick`] say no on this thread.
    pub(crate) static PORTABLE: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Whether a kernel picked on this thread may use [`ybr_full_to_rgb`]:
/// [`available`], unless a test turned SIMD off.
pub fn use_simd() -> bool {
    #[cfg(test)]
    if PORTABLE.with(|p| p.get()) {
        return false;
    }
    available()
}

/// The widest build of [`window_linear`] this CPU runs.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Wide {
    /// AVX-512F (8 `f64` per vector).
    Avx512,
    /// AVX2 (4 `f64` per vector).
    Avx2,
    /// The portable build (SSE2 on x86-64).
    Portable,
}

impl Wide {
    /// Detects the CPU's (on the calling thread: tests can turn it off).
    pub fn pick() -> Wide {
        #[cfg(test)]
        if PORTABLE.with(|p| p.get()) {
            return Wide::Portable;
        }
        #[cfg(target_arch = "x86_64")]
        {
            if std::arch::is_x86_feature_detected!("avx512f") {
                return Wide::Avx512;
            }
            if std::arch::is_x86_feature_detected!("avx2") {
                return Wide::Avx2;
            }
        }
        Wide::Portable
    }
}

/// The LINEAR / LINEAR_EXACT window loop ([`linear_run`]) in the build
/// `wide` names: the same source and IEEE operations (Rust does not fuse
/// multiply-adds), wider vectors. Measured alone on one core (a 31-Mpx
/// float64 CT, output in cache-cold memory already faulted in): 65 ms
/// portable, 58 ms AVX2, 49 ms AVX-512; a copy of the same data 32 ms.
pub fn window_linear<S: Sample>(wide: Wide, p: &Prepared, s: &[S], d: &mut [f64]) {
    match wide {
        #[cfg(target_arch = "x86_64")]
        Wide::Avx512 if std::arch::is_x86_feature_detected!("avx512f") => {
            // SAFETY: the CPU supports AVX-512F (checked on this line).
            unsafe { x86::linear_avx512(p, s, d) }
        }
        #[cfg(target_arch = "x86_64")]
        Wide::Avx2 if std::arch::is_x86_feature_detected!("avx2") => {
            // SAFETY: the CPU supports AVX2 (checked on this line).
            unsafe { x86::linear_avx2(p, s, d) }
        }
        _ => linear_run(p, s, d),
    }
}

/// Whether this CPU runs [`ybr_full_to_rgb`] (AVX2 and FMA).
pub fn available() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma")
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

/// Pixels per iteration of the kernel.
pub const GROUP: usize = 16;

/// YBR_FULL → RGB of the first `GROUP * (px / GROUP)` pixels of `src` into
/// `dst` (colour-by-pixel, `src.len() == dst.len() == 3 * px`); returns the
/// number of pixels converted (the caller converts the rest). Only call
/// when [`available`] says so (else it converts nothing and returns 0).
pub fn ybr_full_to_rgb(src: &[u8], dst: &mut [u8]) -> usize {
    let px = src.len().min(dst.len()) / 3;
    #[cfg(target_arch = "x86_64")]
    if available() {
        // SAFETY: AVX2 and FMA are present (checked just above); the kernel
        // reads `3 * groups * GROUP <= src.len()` bytes from `src` and
        // writes as many to `dst`, both valid for those lengths; `src` and
        // `dst` are distinct borrows (the kernel also allows them to be equal).
        unsafe { x86::ybr_groups(src.as_ptr(), dst.as_mut_ptr(), px / GROUP) };
        return px / GROUP * GROUP;
    }
    0
}

/// [`ybr_full_to_rgb`] in place over `buf`.
pub fn ybr_full_to_rgb_in_place(buf: &mut [u8]) -> usize {
    let px = buf.len() / 3;
    #[cfg(target_arch = "x86_64")]
    if available() {
        let p = buf.as_mut_ptr();
        // SAFETY: AVX2 and FMA are present (checked just above); the kernel
        // reads and writes the first `3 * groups * GROUP <= buf.len()` bytes
        // of `buf` through the one pointer `p`, and loads every byte of a
        // group before it stores that group's output, so equal source and
        // destination pointers are fine.
        unsafe { x86::ybr_groups(p, p, px / GROUP) };
        return px / GROUP * GROUP;
    }
    0
}

#[cfg(target_arch = "x86_64")]
mod x86 {
    use super::super::color::{YBR_B_CB, YBR_G_CB, YBR_G_CR, YBR_R_CR};
    use super::{linear_run, Prepared, Sample};
    use std::arch::x86_64::*;

    /// [`linear_run`] built for AVX-512F.
    ///
    /// # Safety
    /// The CPU must support AVX-512F.
    #[target_feature(enable = "avx512f")]
    #[inline(never)]
    pub(super) unsafe fn linear_avx512<S: Sample>(p: &Prepared, s: &[S], d: &mut [f64]) {
        linear_run(p, s, d)
    }

    /// [`linear_run`] built for AVX2.
    ///
    /// # Safety
    /// The CPU must support AVX2.
    #[target_feature(enable = "avx2")]
    #[inline(never)]
    pub(super) unsafe fn linear_avx2<S: Sample>(p: &Prepared, s: &[S], d: &mut [f64]) {
        linear_run(p, s, d)
    }

    /// `pshufb` masks taking one channel of 8 pixels from a vector holding
    /// bytes `0..16` of the 24 in its low lane and bytes `8..24` in its high
    /// lane, each sample zero-extended to 32 bits.
    const fn channel_mask(c: usize) -> [i8; 32] {
        let mut m = [-128i8; 32];
        let mut j = 0;
        while j < 4 {
            m[4 * j] = (3 * j + c) as i8; // pixels 0..4, low lane
            m[16 + 4 * j] = (3 * (4 + j) + c - 8) as i8; // pixels 4..8, high lane
            j += 1;
        }
        m
    }

    /// `pshufb` mask packing the low 3 bytes of each 32-bit value into the
    /// low 12 bytes of each lane.
    const fn pack_mask() -> [i8; 32] {
        let mut m = [-128i8; 32];
        let mut j = 0;
        while j < 12 {
            m[j] = ((j / 3) * 4 + j % 3) as i8;
            m[16 + j] = m[j];
            j += 1;
        }
        m
    }

    const MASK_Y: [i8; 32] = channel_mask(0);
    const MASK_CB: [i8; 32] = channel_mask(1);
    const MASK_CR: [i8; 32] = channel_mask(2);
    const MASK_PACK: [i8; 32] = pack_mask();

    #[inline(always)]
    fn mask(m: &[i8; 32]) -> __m256i {
        // SAFETY: `m` is 32 readable bytes; loadu has no alignment requirement.
        unsafe { _mm256_loadu_si256(m.as_ptr() as *const __m256i) }
    }

    /// 8 pixels: `v` holds bytes `0..16` (low lane) and `8..24` (high lane)
    /// of their 24 YCbCr bytes. Returns their RGB bytes in bytes `0..12` of
    /// the low lane (pixels 0..4) and `0..12` of the high lane (pixels 4..8).
    #[inline]
    #[target_feature(enable = "avx2,fma")]
    fn block(v: __m256i, masks: &[__m256i; 4]) -> __m256i {
        let y = _mm256_shuffle_epi8(v, masks[0]);
        let cb = _mm256_shuffle_epi8(v, masks[1]);
        let cr = _mm256_shuffle_epi8(v, masks[2]);
        let c128 = _mm256_set1_epi32(128);
        let y = _mm256_cvtepi32_ps(y);
        let cb = _mm256_cvtepi32_ps(_mm256_sub_epi32(cb, c128));
        let cr = _mm256_cvtepi32_ps(_mm256_sub_epi32(cr, c128));
        let half = _mm256_set1_ps(0.5);
        let r = _mm256_fmadd_ps(cr, _mm256_set1_ps(YBR_R_CR), y);
        let g = _mm256_fmadd_ps(
            cr,
            _mm256_set1_ps(YBR_G_CR),
            _mm256_fmadd_ps(cb, _mm256_set1_ps(YBR_G_CB), y),
        );
        let b = _mm256_fmadd_ps(cb, _mm256_set1_ps(YBR_B_CB), y);
        let zero = _mm256_setzero_si256();
        let max = _mm256_set1_epi32(255);
        let to_int = |x: __m256| {
            _mm256_min_epi32(
                _mm256_max_epi32(_mm256_cvttps_epi32(_mm256_add_ps(x, half)), zero),
                max,
            )
        };
        let (r, g, b) = (to_int(r), to_int(g), to_int(b));
        let rgb = _mm256_or_si256(
            _mm256_or_si256(r, _mm256_slli_epi32::<8>(g)),
            _mm256_slli_epi32::<16>(b),
        );
        _mm256_shuffle_epi8(rgb, masks[3])
    }

    /// Converts `groups` groups of 16 pixels (48 bytes) from `src` to `dst`.
    ///
    /// # Safety
    /// The CPU must support AVX2 and FMA; `src` must be readable and `dst`
    /// writable for `48 * groups` bytes. `src == dst` is allowed (each group
    /// is loaded whole before it is stored); other overlaps are not.
    #[target_feature(enable = "avx2,fma")]
    pub(super) unsafe fn ybr_groups(src: *const u8, dst: *mut u8, groups: usize) {
        let masks = [
            mask(&MASK_Y),
            mask(&MASK_CB),
            mask(&MASK_CR),
            mask(&MASK_PACK),
        ];
        // Dwords 0,1,2 | 4,5,6 hold 24 bytes: A's go to dwords 0..6 of the
        // first store, B's first two to dwords 6,7 and the rest to a 16-byte store.
        let perm_a = _mm256_setr_epi32(0, 1, 2, 4, 5, 6, 0, 0);
        let perm_b = _mm256_setr_epi32(2, 4, 5, 6, 0, 0, 0, 1);
        for i in 0..groups {
            // SAFETY: `48 * i + 48 <= 48 * groups`: every load is inside
            // `src` and every store inside `dst` (caller's contract); all
            // four loads come before the two stores of the group.
            unsafe {
                let s = src.add(48 * i);
                let d = dst.add(48 * i);
                let ld = |o: usize| _mm_loadu_si128(s.add(o) as *const __m128i);
                let va = _mm256_set_m128i(ld(8), ld(0));
                let vb = _mm256_set_m128i(ld(32), ld(24));
                let a = _mm256_permutevar8x32_epi32(block(va, &masks), perm_a);
                let b = _mm256_permutevar8x32_epi32(block(vb, &masks), perm_b);
                let first = _mm256_blend_epi32::<0b1100_0000>(a, b);
                _mm256_storeu_si256(d as *mut __m256i, first);
                _mm_storeu_si128(d.add(32) as *mut __m128i, _mm256_castsi256_si128(b));
            }
        }
    }
}
