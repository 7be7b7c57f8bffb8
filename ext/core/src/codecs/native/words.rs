//! Byte-aligned samples (8, 16, 32, 64 bits): byte order, unused-bit
//! correction and the three stored layouts (colour-by-pixel, colour-by-plane,
//! YBR_FULL_422), each one fused pass from the stored value into `dst`.
//!
//! Every loop walks `chunks_exact` of a compile-time size and converts through
//! `from_le_bytes`/`from_be_bytes` on arrays so that LLVM vectorises it; the
//! per-sample conversion ([`Conv`]) is chosen once per frame, outside the loop.
//! Callers check all lengths before calling: the `chunks_exact` zips simply
//! stop at the shorter side, so nothing here can index out of bounds.

/// An unsigned storage word of one sample.
pub(super) trait Word: Copy {
    const SIZE: usize;
    fn load_le(b: &[u8]) -> Self;
    fn load_be(b: &[u8]) -> Self;
    fn store_le(self, b: &mut [u8]);
    /// Keeps the low `bits` bits (`bits < 8 * SIZE`).
    fn low_mask(bits: u32) -> Self;
    fn and(self, m: Self) -> Self;
    /// Sign-extends from bit `8 * SIZE - shift - 1` (`0 < shift < 8 * SIZE`).
    fn sign_extend(self, shift: u32) -> Self;
}

macro_rules! word {
    ($u:ty, $i:ty) => {
        impl Word for $u {
            const SIZE: usize = std::mem::size_of::<$u>();
            #[inline(always)]
            fn load_le(b: &[u8]) -> Self {
                let mut a = [0u8; std::mem::size_of::<$u>()];
                a.copy_from_slice(b);
                <$u>::from_le_bytes(a)
            }
            #[inline(always)]
            fn load_be(b: &[u8]) -> Self {
                let mut a = [0u8; std::mem::size_of::<$u>()];
                a.copy_from_slice(b);
                <$u>::from_be_bytes(a)
            }
            #[inline(always)]
            fn store_le(self, b: &mut [u8]) {
                b.copy_from_slice(&self.to_le_bytes());
            }
            #[inline(always)]
            fn low_mask(bits: u32) -> Self {
                <$u>::MAX >> (<$u>::BITS - bits)
            }
            #[inline(always)]
            fn and(self, m: Self) -> Self {
                self & m
            }
            #[inline(always)]
            fn sign_extend(self, shift: u32) -> Self {
                (((self as $i) << shift) >> shift) as $u
            }
        }
    };
}
word!(u8, i8);
word!(u16, i16);
word!(u32, i32);
word!(u64, i64);

/// What happens to each stored sample on its way to `dst`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Fix {
    /// Bits Stored == Bits Allocated, or float data.
    None,
    /// Unsigned with Bits Stored < Bits Allocated: unused high bits cleared.
    Mask(u32),
    /// Signed with Bits Stored < Bits Allocated: sign-extended from bit
    /// Bits Stored - 1 (the value is the shift, Bits Allocated - Bits Stored).
    SignExtend(u32),
}

/// One stored sample (`W::SIZE` bytes) to its output value.
pub(super) trait Conv<W: Word>: Copy {
    /// True when output bytes equal stored bytes (plain copy).
    const IDENTITY: bool = false;
    fn conv(self, b: &[u8]) -> W;
}

#[derive(Clone, Copy)]
struct Le;
#[derive(Clone, Copy)]
struct Be;
#[derive(Clone, Copy)]
struct LeMask<W>(W);
#[derive(Clone, Copy)]
struct BeMask<W>(W);
#[derive(Clone, Copy)]
struct LeSext(u32);
#[derive(Clone, Copy)]
struct BeSext(u32);

impl<W: Word> Conv<W> for Le {
    const IDENTITY: bool = true;
    #[inline(always)]
    fn conv(self, b: &[u8]) -> W {
        W::load_le(b)
    }
}
impl<W: Word> Conv<W> for Be {
    #[inline(always)]
    fn conv(self, b: &[u8]) -> W {
        W::load_be(b)
    }
}
impl<W: Word> Conv<W> for LeMask<W> {
    #[inline(always)]
    fn conv(self, b: &[u8]) -> W {
        W::load_le(b).and(self.0)
    }
}
impl<W: Word> Conv<W> for BeMask<W> {
    #[inline(always)]
    fn conv(self, b: &[u8]) -> W {
        W::load_be(b).and(self.0)
    }
}
impl<W: Word> Conv<W> for LeSext {
    #[inline(always)]
    fn conv(self, b: &[u8]) -> W {
        W::load_le(b).sign_extend(self.0)
    }
}
impl<W: Word> Conv<W> for BeSext {
    #[inline(always)]
    fn conv(self, b: &[u8]) -> W {
        W::load_be(b).sign_extend(self.0)
    }
}

/// How the samples of one frame are laid out in the (logical) stored stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Arrange {
    /// Samples in output order (one sample per pixel, or colour-by-pixel):
    /// `src` holds exactly the frame's samples.
    Plain,
    /// Colour-by-plane: `src` holds `spp` planes of `pixels` samples each.
    Planar { spp: usize, pixels: usize },
    /// YBR_FULL_422 as pydicom upsamples it: the whole value is a stream of
    /// pairs `Y1 Y2 Cb Cr`, pixel `p` (counted from the first frame) takes
    /// `Y(p mod 2)` of pair `p / 2`. `src` starts at pair `first_pixel / 2`.
    Ybr422 { first_pixel: usize, pixels: usize },
}

/// Converts the frame in `src` into `dst` (colour-by-pixel, little-endian).
///
/// Lengths (checked by the caller): `Plain` and `Planar`: `src.len() ==
/// dst.len()`; `Ybr422`: `src` holds every pair the pixels touch and
/// `dst.len() == 3 * pixels * W::SIZE`.
pub(super) fn convert<W: Word>(
    src: &[u8],
    dst: &mut [u8],
    arrange: Arrange,
    big_endian: bool,
    fix: Fix,
) {
    match (big_endian && W::SIZE > 1, fix) {
        (false, Fix::None) => arrange_with::<W, _>(src, dst, arrange, Le),
        (true, Fix::None) => arrange_with::<W, _>(src, dst, arrange, Be),
        (false, Fix::Mask(bits)) => arrange_with(src, dst, arrange, LeMask(W::low_mask(bits))),
        (true, Fix::Mask(bits)) => arrange_with(src, dst, arrange, BeMask(W::low_mask(bits))),
        (false, Fix::SignExtend(s)) => arrange_with::<W, _>(src, dst, arrange, LeSext(s)),
        (true, Fix::SignExtend(s)) => arrange_with::<W, _>(src, dst, arrange, BeSext(s)),
    }
}

fn arrange_with<W: Word, C: Conv<W>>(src: &[u8], dst: &mut [u8], arrange: Arrange, c: C) {
    match arrange {
        Arrange::Plain => plain::<W, C>(src, dst, c),
        Arrange::Planar { spp: 3, pixels } => planar3::<W, C>(src, dst, pixels, c),
        Arrange::Planar { spp, pixels } => planar_any::<W, C>(src, dst, spp, pixels, c),
        Arrange::Ybr422 {
            first_pixel,
            pixels,
        } => ybr422::<W, C>(src, dst, first_pixel, pixels, c),
    }
}

#[inline(always)]
fn plain<W: Word, C: Conv<W>>(src: &[u8], dst: &mut [u8], c: C) {
    if C::IDENTITY {
        let n = src.len().min(dst.len());
        dst[..n].copy_from_slice(&src[..n]);
        return;
    }
    for (d, s) in dst.chunks_exact_mut(W::SIZE).zip(src.chunks_exact(W::SIZE)) {
        c.conv(s).store_le(d);
    }
}

/// Pixels per block of the plane interleave: 3 read streams and one write
/// stream of at most 3 × 4 KiB × 8 each stay well inside L1/L2.
const PLANE_BLOCK: usize = 4096;

#[inline(always)]
fn planar3<W: Word, C: Conv<W>>(src: &[u8], dst: &mut [u8], pixels: usize, c: C) {
    let s = W::SIZE;
    let plane = pixels * s;
    if src.len() < 3 * plane {
        return;
    }
    let (p0, rest) = src.split_at(plane);
    let (p1, p2) = rest.split_at(plane);
    let blocks = dst
        .chunks_mut(3 * s * PLANE_BLOCK)
        .zip(p0.chunks(s * PLANE_BLOCK))
        .zip(p1.chunks(s * PLANE_BLOCK))
        .zip(p2.chunks(s * PLANE_BLOCK));
    for (((d, a), b), e) in blocks {
        let px = d
            .chunks_exact_mut(3 * s)
            .zip(a.chunks_exact(s))
            .zip(b.chunks_exact(s))
            .zip(e.chunks_exact(s));
        for (((o, x), y), z) in px {
            c.conv(x).store_le(&mut o[..s]);
            c.conv(y).store_le(&mut o[s..2 * s]);
            c.conv(z).store_le(&mut o[2 * s..]);
        }
    }
}

fn planar_any<W: Word, C: Conv<W>>(src: &[u8], dst: &mut [u8], spp: usize, pixels: usize, c: C) {
    let s = W::SIZE;
    let plane = pixels * s;
    for (k, p) in src.chunks_exact(plane.max(1)).take(spp).enumerate() {
        for (o, x) in dst.chunks_exact_mut(spp * s).zip(p.chunks_exact(s)) {
            c.conv(x).store_le(&mut o[k * s..(k + 1) * s]);
        }
    }
}

#[inline(always)]
fn ybr422<W: Word, C: Conv<W>>(
    src: &[u8],
    dst: &mut [u8],
    first_pixel: usize,
    pixels: usize,
    c: C,
) {
    let s = W::SIZE;
    let (mut src, mut dst) = (src, dst);
    let mut left = pixels;
    // A frame may start on the second pixel of a pair (odd Rows × Columns).
    if first_pixel % 2 == 1 && left > 0 && src.len() >= 4 * s && dst.len() >= 3 * s {
        let (pair, rest) = src.split_at(4 * s);
        c.conv(&pair[s..2 * s]).store_le(&mut dst[..s]);
        c.conv(&pair[2 * s..3 * s]).store_le(&mut dst[s..2 * s]);
        c.conv(&pair[3 * s..4 * s]).store_le(&mut dst[2 * s..3 * s]);
        src = rest;
        dst = &mut dst[3 * s..];
        left -= 1;
    }
    let pairs = left / 2;
    let (body, tail) = dst.split_at_mut((6 * s * pairs).min(dst.len()));
    for (o, q) in body.chunks_exact_mut(6 * s).zip(src.chunks_exact(4 * s)) {
        let cb: W = c.conv(&q[2 * s..3 * s]);
        let cr: W = c.conv(&q[3 * s..4 * s]);
        c.conv(&q[..s]).store_le(&mut o[..s]);
        cb.store_le(&mut o[s..2 * s]);
        cr.store_le(&mut o[2 * s..3 * s]);
        c.conv(&q[s..2 * s]).store_le(&mut o[3 * s..4 * s]);
        cb.store_le(&mut o[4 * s..5 * s]);
        cr.store_le(&mut o[5 * s..]);
    }
    // A frame may end on the first pixel of a pair.
    if left % 2 == 1 {
        let q = &src[(4 * s * pairs).min(src.len())..];
        if q.len() >= 4 * s && tail.len() >= 3 * s {
            c.conv(&q[..s]).store_le(&mut tail[..s]);
            c.conv(&q[2 * s..3 * s]).store_le(&mut tail[s..2 * s]);
            c.conv(&q[3 * s..4 * s]).store_le(&mut tail[2 * s..3 * s]);
        }
    }
}

/// Colour-by-plane `src` (already converted, `size`-byte samples) to
/// colour-by-pixel `dst` (used after a layout that needed a scratch frame).
pub(super) fn interleave_planes(
    src: &[u8],
    dst: &mut [u8],
    size: usize,
    spp: usize,
    pixels: usize,
) {
    let arrange = Arrange::Planar { spp, pixels };
    match size {
        1 => arrange_with::<u8, _>(src, dst, arrange, Le),
        2 => arrange_with::<u16, _>(src, dst, arrange, Le),
        4 => arrange_with::<u32, _>(src, dst, arrange, Le),
        _ => arrange_with::<u64, _>(src, dst, arrange, Le),
    }
}
