//! Colour: YCbCr → RGB (YBR_FULL, YBR_FULL_422 once upsampled, YBR_ICT,
//! YBR_RCT), RGB → YBR_FULL, and MONOCHROME1 inversion.
//!
//! YBR_FULL ↔ RGB reproduce pydicom's `convert_color_space` to the bit: it
//! computes in `float32` with a matrix product that OpenBLAS evaluates as a
//! chain of fused multiply-adds, `+ 0.5`, `floor`, clip. Every fused
//! multiply-add is evaluated here in `f64`, where the product and the sum of
//! these 8-bit operands are exact, then rounded once to `f32`: that is the
//! correctly rounded `fma`, without needing the instruction.

use super::par_frames;
use crate::error::{Error, Result};

/// Pixels per parallel work item.
const PIXELS: usize = 1 << 15;

// The matrices of pydicom, rounded to f32 as NumPy stores them.
pub(super) const YBR_G_CB: f32 = (-0.114 * 1.772 / 0.587) as f32;
pub(super) const YBR_G_CR: f32 = (-0.299 * 1.402 / 0.587) as f32;
pub(super) const YBR_R_CR: f32 = 1.402;
pub(super) const YBR_B_CB: f32 = 1.772;

const RGB_TO_YBR: [[f32; 3]; 3] = [
    // rows: R, G, B coefficients; columns: Y, Cb, Cr
    [0.299, (-0.299 / 1.772) as f32, (0.701 / 1.402) as f32],
    [0.587, (-0.587 / 1.772) as f32, (-0.587 / 1.402) as f32],
    [0.114, (0.886 / 1.772) as f32, (-0.114 / 1.402) as f32],
];

/// `fma(a, b, c)` rounded once to `f32` (exact in `f64` for these operands).
#[inline(always)]
fn fma32(a: f32, b: f32, c: f32) -> f32 {
    (a as f64 * b as f64 + c as f64) as f32
}

/// `clip(floor(x + 0.5), 0, 255)` as NumPy computes it in `f32` (the sum
/// rounded to `f32`), without a call to `floorf`: for a non-negative value
/// truncation is the floor.
#[inline(always)]
fn to_u8(x: f32) -> u8 {
    floor_clip_f32(x + 0.5, 255.0) as u8
}

/// `clip(floor(v), 0, max)` for `max` below 2^24; NaN gives 0.
#[inline(always)]
pub(crate) fn floor_clip_f32(v: f32, max: f32) -> u32 {
    if v >= max {
        max as u32
    } else if v >= 0.0 {
        v as u32
    } else {
        0
    }
}

#[inline(always)]
fn ybr_pixel(y: u8, cb: u8, cr: u8) -> [u8; 3] {
    let y = y as f32;
    let cb = cb as f32 - 128.0;
    let cr = cr as f32 - 128.0;
    // Chains of fma over the matrix rows (terms with a 0 coefficient add 0).
    let r = fma32(cr, YBR_R_CR, y);
    let g = fma32(cr, YBR_G_CR, fma32(cb, YBR_G_CB, y));
    let b = fma32(cb, YBR_B_CB, y);
    [to_u8(r), to_u8(g), to_u8(b)]
}

fn check_rgb(len: usize) -> Result<usize> {
    if len % 3 != 0 {
        return Err(Error::unsupported(format!(
            "{len} values are not a whole number of 3-sample pixels"
        )));
    }
    Ok(len / 3)
}

/// Per-chroma offsets: `RGB = clip(Y + offset)`, equal to [`ybr_pixel`].
///
/// `floor(fma-chain + 0.5) - Y` does not depend on `Y` for R (per Cr), B
/// (per Cb) and G (per Cb, Cr) except for the pairs in [`G_EXACT`], where
/// the pixel is computed with [`ybr_pixel`]. The tables are built from
/// `Y = 0` (65 536 evaluations); `ybr_tables_equal_direct_for_all_values`
/// checks all 2^24 inputs against [`ybr_pixel`].
struct YbrTables {
    r: [i16; 256],
    b: [i16; 256],
    g: Box<[i16; 65536]>,
}

const EXACT: i16 = i16::MIN;

/// (Cb, Cr) pairs whose G offset depends on Y (found exhaustively).
const G_EXACT: [(u8, u8); 1] = [(78, 178)];

/// The unclipped values of [`ybr_pixel`] (before the clip to 0..=255).
#[inline(always)]
fn ybr_unclipped(y: u8, cb: u8, cr: u8) -> [i32; 3] {
    let y = y as f32;
    let cb = cb as f32 - 128.0;
    let cr = cr as f32 - 128.0;
    let f = |x: f32| (x + 0.5).floor() as i32;
    [
        f(fma32(cr, YBR_R_CR, y)),
        f(fma32(cr, YBR_G_CR, fma32(cb, YBR_G_CB, y))),
        f(fma32(cb, YBR_B_CB, y)),
    ]
}

fn ybr_tables() -> &'static YbrTables {
    static TABLES: std::sync::OnceLock<YbrTables> = std::sync::OnceLock::new();
    TABLES.get_or_init(|| {
        let mut g = Box::new([EXACT; 65536]);
        for (i, v) in g.iter_mut().enumerate() {
            let (cb, cr) = ((i >> 8) as u8, i as u8);
            if !G_EXACT.contains(&(cb, cr)) {
                *v = ybr_unclipped(0, cb, cr)[1] as i16;
            }
        }
        let mut r = [0i16; 256];
        let mut b = [0i16; 256];
        for c in 0..=255u8 {
            r[c as usize] = ybr_unclipped(0, 128, c)[0] as i16;
            b[c as usize] = ybr_unclipped(0, c, 128)[2] as i16;
        }
        YbrTables { r, b, g }
    })
}

/// Pixels from which the table path pays for building the tables.
const TABLE_MIN_PIXELS: usize = 1 << 16;

#[inline(always)]
fn ybr_pixel_tables(t: &YbrTables, y: u8, cb: u8, cr: u8) -> [u8; 3] {
    let (dr, db, dg) = (
        t.r[cr as usize],
        t.b[cb as usize],
        t.g[(cb as usize) << 8 | cr as usize],
    );
    if dg == EXACT {
        return ybr_pixel(y, cb, cr);
    }
    let y = y as i32;
    let c = |v: i32| v.clamp(0, 255) as u8;
    [c(y + dr as i32), c(y + dg as i32), c(y + db as i32)]
}

/// The table kernel over whole pixels: `src` → `dst` (same length).
#[inline(always)]
fn ybr_tables_run(t: &YbrTables, src: &[u8], dst: &mut [u8]) {
    for (o, i) in dst.chunks_exact_mut(3).zip(src.chunks_exact(3)) {
        let p = ybr_pixel_tables(t, i[0], i[1], i[2]);
        o[0] = p[0];
        o[1] = p[1];
        o[2] = p[2];
    }
}

/// Pixels per block of the in-place kernel (copied to the stack first).
const BLOCK: usize = 512;

/// In place through a stack copy of each block: reading and writing the
/// same bytes in the loop ran 3× slower than into another buffer.
fn ybr_in_place_blocks(buf: &mut [u8], run: impl Fn(&[u8], &mut [u8])) {
    let mut tmp = [0u8; BLOCK * 3];
    for blk in buf.chunks_mut(BLOCK * 3) {
        let tmp = &mut tmp[..blk.len()];
        tmp.copy_from_slice(blk);
        run(tmp, blk);
    }
}

/// The YBR_FULL → RGB kernel a call uses.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum YbrKernel {
    /// [`arch`](super::arch): AVX2 + FMA, 16 pixels per step.
    Simd,
    /// [`YbrTables`] (portable, from [`TABLE_MIN_PIXELS`] on).
    Tables,
    /// [`ybr_pixel`] for every pixel (portable).
    Direct,
}

/// The kernel for `px` pixels, picked on the calling thread.
fn ybr_kernel(px: usize) -> YbrKernel {
    if super::arch::use_simd() {
        YbrKernel::Simd
    } else if px >= TABLE_MIN_PIXELS {
        YbrKernel::Tables
    } else {
        YbrKernel::Direct
    }
}

/// The portable kernel over whole pixels: `src` → `dst` (same length).
#[inline(always)]
fn ybr_direct_run(src: &[u8], dst: &mut [u8]) {
    for (o, i) in dst.chunks_exact_mut(3).zip(src.chunks_exact(3)) {
        o.copy_from_slice(&ybr_pixel(i[0], i[1], i[2]));
    }
}

/// Runs kernel `k` over whole pixels: `src` → `dst` (same length).
fn ybr_run(k: YbrKernel, src: &[u8], dst: &mut [u8]) {
    match k {
        YbrKernel::Simd => {
            let done = 3 * super::arch::ybr_full_to_rgb(src, dst);
            ybr_direct_run(&src[done..], &mut dst[done..]);
        }
        YbrKernel::Tables => ybr_tables_run(ybr_tables(), src, dst),
        YbrKernel::Direct => ybr_direct_run(src, dst),
    }
}

/// Runs kernel `k` in place over whole pixels.
fn ybr_run_in_place(k: YbrKernel, buf: &mut [u8]) {
    match k {
        YbrKernel::Simd => {
            let done = 3 * super::arch::ybr_full_to_rgb_in_place(buf);
            ybr_in_place_blocks(&mut buf[done..], ybr_direct_run);
        }
        YbrKernel::Tables => {
            let t = ybr_tables();
            ybr_in_place_blocks(buf, |s, d| ybr_tables_run(t, s, d))
        }
        YbrKernel::Direct => ybr_in_place_blocks(buf, ybr_direct_run),
    }
}

/// YBR_FULL (also YBR_FULL_422 once upsampled, and 8-bit YBR_ICT) → RGB,
/// 8 bits per sample, colour-by-pixel; `src` and `dst` have the same length.
/// Chunks of the image run in parallel; each with the AVX2 + FMA kernel
/// where the CPU has it, else a portable one (equal results).
pub fn ybr_full_to_rgb(src: &[u8], dst: &mut [u8]) -> Result<()> {
    let px = check_rgb(src.len())?;
    let k = ybr_kernel(px);
    par_frames(src, dst, px.max(1), 3, 3, |_, s, d| ybr_run(k, s, d))
}

/// [`ybr_full_to_rgb`] computing every pixel with the portable [`ybr_pixel`].
pub fn ybr_full_to_rgb_direct(src: &[u8], dst: &mut [u8]) -> Result<()> {
    let px = check_rgb(src.len())?;
    par_frames(src, dst, px.max(1), 3, 3, |_, s, d| ybr_direct_run(s, d))
}

/// In place variant of [`ybr_full_to_rgb`].
pub fn ybr_full_to_rgb_in_place(buf: &mut [u8]) -> Result<()> {
    let px = check_rgb(buf.len())?;
    use rayon::prelude::*;
    let k = ybr_kernel(px);
    buf.par_chunks_mut(PIXELS * 3)
        .for_each(|c| ybr_run_in_place(k, c));
    Ok(())
}

/// RGB → YBR_FULL, 8 bits per sample (pydicom's `_convert_RGB_to_YBR_FULL`).
pub fn rgb_to_ybr_full(src: &[u8], dst: &mut [u8]) -> Result<()> {
    let px = check_rgb(src.len())?;
    const ADD: [f32; 3] = [0.5, 128.5, 128.5];
    par_frames(src, dst, px.max(1), 3, 3, |_, s, d| {
        for (o, i) in d.chunks_exact_mut(3).zip(s.chunks_exact(3)) {
            let (r, g, b) = (i[0] as f32, i[1] as f32, i[2] as f32);
            for k in 0..3 {
                let acc = r * RGB_TO_YBR[0][k];
                let acc = fma32(b, RGB_TO_YBR[2][k], fma32(g, RGB_TO_YBR[1][k], acc));
                o[k] = floor_clip_f32(acc + ADD[k], 255.0) as u8;
            }
        }
    })
}

/// A 8- or 16-bit sample for the reversible/irreversible transforms.
pub trait ColorSample: Copy + Send + Sync {
    /// Largest value (`2^bits - 1`).
    const MAX: i64;
    /// Widens.
    fn get(self) -> i64;
    /// From a value in `0..=MAX`.
    fn put(v: i64) -> Self;
}

impl ColorSample for u8 {
    const MAX: i64 = 255;
    fn get(self) -> i64 {
        self as i64
    }
    fn put(v: i64) -> Self {
        v as u8
    }
}

impl ColorSample for u16 {
    const MAX: i64 = 65535;
    fn get(self) -> i64 {
        self as i64
    }
    fn put(v: i64) -> Self {
        v as u16
    }
}

/// YBR_RCT → RGB (the reversible colour transform of JPEG 2000, ISO/IEC
/// 15444-1 G.2): `G = Y - floor((Cb + Cr) / 4)`, `R = Cr + G`, `B = Cb + G`,
/// with the chroma samples stored offset by half the range (`2^(bits-1)`)
/// and the results clipped to the sample range.
///
/// JPEG 2000 decoders already undo the transform, so decoded YBR_RCT pixel
/// data is RGB; this is for samples that still hold the transform.
pub fn ybr_rct_to_rgb<T: ColorSample>(src: &[T], dst: &mut [T]) -> Result<()> {
    let px = check_rgb(src.len())?;
    let half = (T::MAX + 1) / 2;
    par_frames(src, dst, px.max(1), 3, 3, |_, s, d| {
        for (o, i) in d.chunks_exact_mut(3).zip(s.chunks_exact(3)) {
            let (y, cb, cr) = (i[0].get(), i[1].get() - half, i[2].get() - half);
            let g = y - (cb + cr).div_euclid(4);
            let c = |v: i64| T::put(v.clamp(0, T::MAX));
            o[0] = c(cr + g);
            o[1] = c(g);
            o[2] = c(cb + g);
        }
    })
}

/// YBR_ICT → RGB (the irreversible colour transform of JPEG 2000, ISO/IEC
/// 15444-1 G.3, the coefficients of YBR_FULL), chroma offset by
/// `2^(bits-1)`, rounded to nearest and clipped. For 8-bit samples the
/// result equals [`ybr_full_to_rgb`]. Decoded JPEG 2000 data is already RGB.
pub fn ybr_ict_to_rgb<T: ColorSample>(src: &[T], dst: &mut [T]) -> Result<()> {
    let px = check_rgb(src.len())?;
    let half = ((T::MAX + 1) / 2) as f32;
    let max = T::MAX as f32;
    par_frames(src, dst, px.max(1), 3, 3, |_, s, d| {
        for (o, i) in d.chunks_exact_mut(3).zip(s.chunks_exact(3)) {
            let y = i[0].get() as f32;
            let cb = i[1].get() as f32 - half;
            let cr = i[2].get() as f32 - half;
            let r = fma32(cr, YBR_R_CR, y);
            let g = fma32(cr, YBR_G_CR, fma32(cb, YBR_G_CB, y));
            let b = fma32(cb, YBR_B_CB, y);
            let c = |x: f32| T::put(floor_clip_f32(x + 0.5, max) as i64);
            o[0] = c(r);
            o[1] = c(g);
            o[2] = c(b);
        }
    })
}

/// MONOCHROME1 → MONOCHROME2 for stored values in `min..=max`:
/// `v → max + min - v`, clipped to the range, in place.
pub fn invert_in_place<T>(buf: &mut [T], min: i64, max: i64) -> Result<()>
where
    T: Copy + Send + Sync + Into<i64> + TryFrom<i64>,
{
    use rayon::prelude::*;
    if min > max {
        return Err(Error::unsupported(format!(
            "an empty value range {min}..={max}"
        )));
    }
    if T::try_from(min).is_err() || T::try_from(max).is_err() {
        return Err(Error::unsupported(format!(
            "the range {min}..={max} does not fit the sample type"
        )));
    }
    buf.par_chunks_mut(PIXELS).for_each(|c| {
        for v in c {
            let x: i64 = (*v).into();
            let y = (max + min - x).clamp(min, max);
            if let Ok(t) = T::try_from(y) {
                *v = t;
            }
        }
    });
    Ok(())
}
