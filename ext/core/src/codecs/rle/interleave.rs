//! Interleaving byte planes into colour-by-pixel samples, and back.
//!
//! `planes[j]` holds byte `j` of every output element (element = one pixel's
//! samples, little-endian), so `dst[p * N + j] = planes[j][p]`: a transpose of
//! an `N × pixels` byte matrix. The kernels are monomorphised per plane count
//! so the inner loop is fully unrolled and bounds checks are hoisted.

/// Writes `dst[p * n + j] = planes[j][p]` for `p < dst.len() / n`.
/// `stream`: write 2 and 3 planes with non-temporal stores (for frames
/// larger than the caches, whose output is not read back soon: the stores
/// skip reading each destination line first).
pub(crate) fn interleave(planes: &[&[u8]], dst: &mut [u8], stream: bool) {
    match planes.len() {
        1 => dst.copy_from_slice(&planes[0][..dst.len()]),
        2 => interleave2(planes[0], planes[1], dst, stream),
        3 => interleave3(planes, dst, stream),
        4 => interleave4(planes, dst),
        5 => interleave_n::<5>(planes, dst),
        6 => interleave6(planes, dst),
        7 => interleave_n::<7>(planes, dst),
        8 => interleave_n::<8>(planes, dst),
        9 => interleave_n::<9>(planes, dst),
        10 => interleave_n::<10>(planes, dst),
        11 => interleave_n::<11>(planes, dst),
        12 => interleave_n::<12>(planes, dst),
        13 => interleave_n::<13>(planes, dst),
        14 => interleave_n::<14>(planes, dst),
        15 => interleave_n::<15>(planes, dst),
        n => unreachable!("{n} RLE planes"),
    }
}

/// Two planes (16-bit samples): AVX2 unpacks where the CPU has it, after a
/// scalar head that aligns the destination to 32 bytes.
fn interleave2(lo: &[u8], hi: &[u8], dst: &mut [u8], stream: bool) {
    let head = head_pixels(dst, 2);
    zip2(lo, hi, &mut dst[..2 * head]);
    let done = head + simd::interleave2(&lo[head..], &hi[head..], &mut dst[2 * head..], stream);
    zip2(&lo[done..], &hi[done..], &mut dst[2 * done..]);
}

/// Pixels of `n` bytes before `dst` is 32-byte aligned (all of them if it
/// never is).
fn head_pixels(dst: &[u8], n: usize) -> usize {
    let pixels = dst.len() / n;
    let gap = dst.as_ptr().align_offset(32);
    if gap % n == 0 {
        (gap / n).min(pixels)
    } else {
        pixels
    }
}

fn zip2(lo: &[u8], hi: &[u8], dst: &mut [u8]) {
    let pixels = dst.len() / 2;
    let (lo, hi) = (&lo[..pixels], &hi[..pixels]);
    for ((d, &l), &h) in dst.chunks_exact_mut(2).zip(lo).zip(hi) {
        d.copy_from_slice(&u16::from_le_bytes([l, h]).to_le_bytes());
    }
}

fn interleave4(planes: &[&[u8]], dst: &mut [u8]) {
    let pixels = dst.len() / 4;
    let (a, b, c, e) = (
        &planes[0][..pixels],
        &planes[1][..pixels],
        &planes[2][..pixels],
        &planes[3][..pixels],
    );
    for (p, d) in dst.chunks_exact_mut(4).enumerate() {
        d.copy_from_slice(&[a[p], b[p], c[p], e[p]]);
    }
}

/// Three planes (8-bit RGB): SSSE3 byte shuffles where the CPU has them.
fn interleave3(planes: &[&[u8]], dst: &mut [u8], stream: bool) {
    let done = simd::interleave3(planes, dst, stream);
    let planes: [&[u8]; 3] = std::array::from_fn(|j| &planes[j][done..]);
    interleave_n::<3>(&planes, &mut dst[3 * done..]);
}

/// Six planes (16-bit RGB): pairs of byte planes form 16-bit samples, which
/// are interleaved three ways (SSSE3 where the CPU has it).
fn interleave6(planes: &[&[u8]], dst: &mut [u8]) {
    let done = simd::interleave6(planes, dst);
    let planes: [&[u8]; 6] = std::array::from_fn(|j| &planes[j][done..]);
    interleave_n::<6>(&planes, &mut dst[6 * done..]);
}

fn interleave_n<const N: usize>(planes: &[&[u8]], dst: &mut [u8]) {
    let pixels = dst.len() / N;
    let planes: [&[u8]; N] = std::array::from_fn(|j| &planes[j][..pixels]);
    for (p, d) in dst.chunks_exact_mut(N).enumerate() {
        let d: &mut [u8; N] = d.try_into().unwrap();
        for j in 0..N {
            d[j] = planes[j][p];
        }
    }
}

#[cfg(target_arch = "x86_64")]
#[allow(unsafe_code)]
mod simd {
    use std::arch::x86_64::*;

    /// Shuffle masks for a three-way interleave of elements of `elem` bytes:
    /// `masks[o][x]` picks, for output vector `o` (16 bytes of the 48 that 16
    /// bytes of each input make), the bytes that come from input `x`; 0x80
    /// gives zero.
    const fn masks(elem: usize) -> [[[u8; 16]; 3]; 3] {
        let mut m = [[[0x80u8; 16]; 3]; 3];
        let mut g = 0;
        while g < 48 {
            let e = g / elem;
            let (x, pixel) = (e % 3, e / 3);
            m[g / 16][x][g % 16] = (pixel * elem + g % elem) as u8;
            g += 1;
        }
        m
    }
    static BYTES: [[[u8; 16]; 3]; 3] = masks(1);
    static WORDS: [[[u8; 16]; 3]; 3] = masks(2);

    /// Interleaves the first pixels of 3 planes (a multiple of 16); returns
    /// how many pixels it did (0 without SSSE3).
    pub(super) fn interleave3(planes: &[&[u8]], dst: &mut [u8], stream: bool) -> usize {
        let mut done = 0;
        let wide = (dst.len() / 3) & !31;
        if wide > 0 && is_x86_feature_detected!("avx2") {
            let (a, b, c) = (&planes[0][..wide], &planes[1][..wide], &planes[2][..wide]);
            let d = &mut dst[..3 * wide];
            // SAFETY: AVX2 is present (checked above); the kernel reads 32
            // bytes at offsets 32·i < `wide` of slices exactly `wide` long and
            // writes 96 bytes at 96·i within `dst` of 3·`wide` bytes, 32-byte
            // aligned when streaming (checked here).
            unsafe {
                if stream && d.as_ptr().align_offset(32) == 0 {
                    shuffle3_avx2::<true>(a, b, c, d);
                } else {
                    shuffle3_avx2::<false>(a, b, c, d);
                }
            }
            done = wide;
        }
        let pixels = (dst.len() / 3) & !15;
        if pixels > done && is_x86_feature_detected!("ssse3") {
            let (a, b, c) = (
                &planes[0][done..pixels],
                &planes[1][done..pixels],
                &planes[2][done..pixels],
            );
            // SAFETY: SSSE3 is present (checked above); the kernel reads 16
            // bytes at offsets 16·i of slices of `pixels - done` bytes (a
            // multiple of 16) and writes 48 bytes at 48·i within the
            // 3·(`pixels - done`) bytes of `dst` it is given.
            unsafe { shuffle3::<1>(a, b, c, &mut dst[3 * done..3 * pixels], &BYTES) };
            done = pixels;
        }
        done
    }

    /// # Safety
    /// AVX2 must be available; `a`, `b`, `c` have the same length, a
    /// multiple of 32, and `dst` is three times as long and, if `STREAM`,
    /// 32-byte aligned.
    #[target_feature(enable = "avx2")]
    unsafe fn shuffle3_avx2<const STREAM: bool>(a: &[u8], b: &[u8], c: &[u8], dst: &mut [u8]) {
        debug_assert!(a.len() == b.len() && b.len() == c.len() && dst.len() == 3 * a.len());
        debug_assert!(a.len() % 32 == 0);
        // SAFETY (whole body): the caller guarantees the lengths; each mask
        // is 16 bytes.
        unsafe {
            // The 16-byte masks in both lanes: each lane interleaves 16 pixels.
            let masks: [[__m256i; 3]; 3] = std::array::from_fn(|o| {
                std::array::from_fn(|x| {
                    _mm256_broadcastsi128_si256(_mm_loadu_si128(
                        BYTES[o][x].as_ptr() as *const __m128i
                    ))
                })
            });
            for i in 0..a.len() / 32 {
                let va = _mm256_loadu_si256(a.as_ptr().add(32 * i) as *const __m256i);
                let vb = _mm256_loadu_si256(b.as_ptr().add(32 * i) as *const __m256i);
                let vc = _mm256_loadu_si256(c.as_ptr().add(32 * i) as *const __m256i);
                // r[o]: lane 0 holds bytes 16·o.. of pixels 0-15's 48 output
                // bytes, lane 1 the same of pixels 16-31's.
                let r: [__m256i; 3] = std::array::from_fn(|o| {
                    _mm256_or_si256(
                        _mm256_or_si256(
                            _mm256_shuffle_epi8(va, masks[o][0]),
                            _mm256_shuffle_epi8(vb, masks[o][1]),
                        ),
                        _mm256_shuffle_epi8(vc, masks[o][2]),
                    )
                });
                let out = dst.as_mut_ptr().add(96 * i) as *mut __m256i;
                store::<STREAM>(out, _mm256_permute2x128_si256(r[0], r[1], 0x20));
                store::<STREAM>(out.add(1), _mm256_permute2x128_si256(r[2], r[0], 0x30));
                store::<STREAM>(out.add(2), _mm256_permute2x128_si256(r[1], r[2], 0x31));
            }
            if STREAM {
                _mm_sfence();
            }
        }
    }

    /// Interleaves the first pixels of two planes (a multiple of 32);
    /// returns how many pixels it did (0 without AVX2). `stream` is honoured
    /// where `dst` is 32-byte aligned.
    pub(super) fn interleave2(lo: &[u8], hi: &[u8], dst: &mut [u8], stream: bool) -> usize {
        let pixels = (dst.len() / 2) & !31;
        if pixels == 0 || !is_x86_feature_detected!("avx2") {
            return 0;
        }
        let stream = stream && dst.as_ptr().align_offset(32) == 0;
        // SAFETY: AVX2 is present (checked above); the kernel reads 32 bytes
        // at offsets 32·i < `pixels` of slices `pixels` long and writes 64
        // bytes at 64·i within `dst` of 2·`pixels` bytes, 32-byte aligned
        // when streaming (checked above).
        unsafe {
            if stream {
                zip2_avx2::<true>(&lo[..pixels], &hi[..pixels], &mut dst[..2 * pixels]);
            } else {
                zip2_avx2::<false>(&lo[..pixels], &hi[..pixels], &mut dst[..2 * pixels]);
            }
        }
        pixels
    }

    /// Stores 32 bytes at `out`, non-temporally if `STREAM`.
    ///
    /// # Safety
    /// AVX2 must be available, `out` valid for 32 bytes of writes and, if
    /// `STREAM`, 32-byte aligned.
    #[inline]
    #[target_feature(enable = "avx2")]
    unsafe fn store<const STREAM: bool>(out: *mut __m256i, v: __m256i) {
        // SAFETY: the caller's contract.
        unsafe {
            if STREAM {
                _mm256_stream_si256(out, v);
            } else {
                _mm256_storeu_si256(out, v);
            }
        }
    }

    /// # Safety
    /// AVX2 must be available; `lo` and `hi` have the same length, a
    /// multiple of 32, and `dst` is twice as long and, if `STREAM`, 32-byte
    /// aligned.
    #[target_feature(enable = "avx2")]
    unsafe fn zip2_avx2<const STREAM: bool>(lo: &[u8], hi: &[u8], dst: &mut [u8]) {
        debug_assert!(lo.len() == hi.len() && dst.len() == 2 * lo.len() && lo.len() % 32 == 0);
        debug_assert!(!STREAM || dst.as_ptr().align_offset(32) == 0);
        // SAFETY (whole body): the caller guarantees the lengths and the
        // alignment.
        unsafe {
            for i in 0..lo.len() / 32 {
                let l = _mm256_loadu_si256(lo.as_ptr().add(32 * i) as *const __m256i);
                let h = _mm256_loadu_si256(hi.as_ptr().add(32 * i) as *const __m256i);
                // Lane 0: pixels 0-7 (a) and 8-15 (b); lane 1: 16-23, 24-31.
                let a = _mm256_unpacklo_epi8(l, h);
                let b = _mm256_unpackhi_epi8(l, h);
                let out = dst.as_mut_ptr().add(64 * i) as *mut __m256i;
                store::<STREAM>(out, _mm256_permute2x128_si256(a, b, 0x20));
                store::<STREAM>(out.add(1), _mm256_permute2x128_si256(a, b, 0x31));
            }
            if STREAM {
                _mm_sfence();
            }
        }
    }

    /// Six planes: pairs (0,1), (2,3), (4,5) are the low and high bytes of
    /// three 16-bit samples. Returns the pixels done (a multiple of 8).
    pub(super) fn interleave6(planes: &[&[u8]], dst: &mut [u8]) -> usize {
        let pixels = (dst.len() / 6) & !7;
        if pixels == 0 || !is_x86_feature_detected!("ssse3") {
            return 0;
        }
        let p: [&[u8]; 6] = std::array::from_fn(|j| &planes[j][..pixels]);
        let dst = &mut dst[..6 * pixels];
        // SAFETY: SSSE3 is present; every load reads 8 bytes at 8·i <
        // `pixels` from slices of `pixels` bytes, every store writes 48 bytes
        // at 48·i within `dst` of 6·`pixels` bytes.
        unsafe { shuffle6(&p, dst) };
        pixels
    }

    /// # Safety
    /// SSSE3 must be available.
    #[inline]
    #[target_feature(enable = "ssse3")]
    unsafe fn load_masks(m: &[[[u8; 16]; 3]; 3]) -> [[__m128i; 3]; 3] {
        // SAFETY: each mask is 16 bytes.
        std::array::from_fn(|o| {
            std::array::from_fn(|x| unsafe { _mm_loadu_si128(m[o][x].as_ptr() as *const __m128i) })
        })
    }

    /// Shuffles three 16-byte vectors into 48 interleaved bytes at `out`.
    ///
    /// # Safety
    /// SSSE3 must be available and `out` valid for 48 bytes of writes.
    #[inline]
    #[target_feature(enable = "ssse3")]
    unsafe fn store3(
        va: __m128i,
        vb: __m128i,
        vc: __m128i,
        masks: &[[__m128i; 3]; 3],
        out: *mut u8,
    ) {
        for (o, m) in masks.iter().enumerate() {
            let v = _mm_or_si128(
                _mm_or_si128(_mm_shuffle_epi8(va, m[0]), _mm_shuffle_epi8(vb, m[1])),
                _mm_shuffle_epi8(vc, m[2]),
            );
            // SAFETY: the caller guarantees 48 writable bytes at `out`.
            unsafe { _mm_storeu_si128((out as *mut __m128i).add(o), v) };
        }
    }

    /// # Safety
    /// SSSE3 must be available; `a`, `b`, `c` have the same length, a
    /// multiple of 16 (in elements of `E` bytes: 16/E elements per load),
    /// and `dst` is three times as long.
    #[target_feature(enable = "ssse3")]
    unsafe fn shuffle3<const E: usize>(
        a: &[u8],
        b: &[u8],
        c: &[u8],
        dst: &mut [u8],
        m: &[[[u8; 16]; 3]; 3],
    ) {
        debug_assert!(a.len() == b.len() && b.len() == c.len() && dst.len() == 3 * a.len());
        debug_assert!(a.len() % 16 == 0);
        // SAFETY (whole body): the caller guarantees the lengths; each mask
        // is 16 bytes.
        unsafe {
            let masks = load_masks(m);
            for i in 0..a.len() / 16 {
                let va = _mm_loadu_si128(a.as_ptr().add(16 * i) as *const __m128i);
                let vb = _mm_loadu_si128(b.as_ptr().add(16 * i) as *const __m128i);
                let vc = _mm_loadu_si128(c.as_ptr().add(16 * i) as *const __m128i);
                store3(va, vb, vc, &masks, dst.as_mut_ptr().add(48 * i));
            }
        }
    }

    /// # Safety
    /// SSSE3 must be available; the six planes have the same length, a
    /// multiple of 8, and `dst` is six times as long.
    #[target_feature(enable = "ssse3")]
    unsafe fn shuffle6(p: &[&[u8]; 6], dst: &mut [u8]) {
        let pixels = p[0].len();
        debug_assert!(p.iter().all(|x| x.len() == pixels) && dst.len() == 6 * pixels);
        // SAFETY (whole body): the caller guarantees the lengths.
        unsafe {
            let masks = load_masks(&WORDS);
            let ld =
                |j: usize, i: usize| _mm_loadl_epi64(p[j].as_ptr().add(8 * i) as *const __m128i);
            for i in 0..pixels / 8 {
                let va = _mm_unpacklo_epi8(ld(0, i), ld(1, i));
                let vb = _mm_unpacklo_epi8(ld(2, i), ld(3, i));
                let vc = _mm_unpacklo_epi8(ld(4, i), ld(5, i));
                store3(va, vb, vc, &masks, dst.as_mut_ptr().add(48 * i));
            }
        }
    }
}

#[cfg(not(target_arch = "x86_64"))]
mod simd {
    pub(super) fn interleave2(_: &[u8], _: &[u8], _: &mut [u8], _: bool) -> usize {
        0
    }
    pub(super) fn interleave3(_: &[&[u8]], _: &mut [u8], _: bool) -> usize {
        0
    }
    pub(super) fn interleave6(_: &[&[u8]], _: &mut [u8]) -> usize {
        0
    }
}

/// The inverse: `planes[j][p] = src[p * n + j]` (used by the encoder).
pub(crate) fn deinterleave_one(src: &[u8], n: usize, j: usize, plane: &mut [u8]) {
    match n {
        1 => plane.copy_from_slice(&src[..plane.len()]),
        2 => gather::<2>(src, j, plane),
        3 => gather::<3>(src, j, plane),
        4 => gather::<4>(src, j, plane),
        6 => gather::<6>(src, j, plane),
        8 => gather::<8>(src, j, plane),
        _ => {
            for (d, s) in plane
                .iter_mut()
                .zip(src.get(j..).unwrap_or(&[]).iter().step_by(n))
            {
                *d = *s;
            }
        }
    }
}

/// `plane[p] = src[p * N + j]`; fixed-size chunks let the compiler vectorise.
fn gather<const N: usize>(src: &[u8], j: usize, plane: &mut [u8]) {
    for (d, c) in plane.iter_mut().zip(src.chunks_exact(N)) {
        *d = c[j];
    }
    // A last pixel shorter than N bytes (callers may pass a sub-slice that
    // ends at the sample's last byte).
    let full = src.len() / N;
    if full < plane.len() {
        plane[full] = src[full * N + j];
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_plane_count_transposes() {
        for n in 1..=15usize {
            for pixels in [0usize, 1, 7, 8, 15, 16, 17, 31, 32, 33, 48, 49, 64, 1000] {
                let planes: Vec<Vec<u8>> = (0..n)
                    .map(|j| (0..pixels).map(|p| (p * 31 + j * 7) as u8).collect())
                    .collect();
                let refs: Vec<&[u8]> = planes.iter().map(|v| v.as_slice()).collect();
                // Every start alignment of the output, with and without
                // streaming stores (the aligned head and the SIMD kernels).
                let mut buf = vec![0u8; n * pixels + 64];
                for (shift, stream) in (0..34).flat_map(|k| [(k, false), (k, true)]) {
                    let dst = &mut buf[shift..shift + n * pixels];
                    dst.fill(0xEE);
                    interleave(&refs, dst, stream);
                    for (j, plane) in planes.iter().enumerate() {
                        for (p, &b) in plane.iter().enumerate() {
                            assert_eq!(dst[p * n + j], b, "n={n} p={p} j={j} shift={shift}");
                        }
                    }
                }
                let dst = &mut buf[..n * pixels];
                interleave(&refs, dst, false);
                for (j, plane) in planes.iter().enumerate() {
                    let mut back = vec![0u8; pixels];
                    deinterleave_one(dst, n, j, &mut back);
                    assert_eq!(&back, plane);
                }
            }
        }
    }
}
