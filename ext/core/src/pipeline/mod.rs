//! The pixel pipeline: from stored values to what people look at.
//!
//! Functions over slices, no DICOM parsing: the caller (the Python layer, or
//! a Rust user) reads the attributes and hands over numbers. Every kernel
//! runs frames in parallel (and large frames in chunks) on the rayon pool.
//!
//! * [`lut`]: lookup tables (Modality LUT Sequence, VOI LUT Sequence, palette
//!   colour LUTs) with validated descriptors, and segmented palette expansion.
//! * [`window`]: Rescale Slope/Intercept (per frame too), windowing (LINEAR,
//!   LINEAR_EXACT, SIGMOID), and the fused [`window::render`] kernel.
//! * [`png`]: PNG encoding of display images (`png` crate, fdeflate).
//! * [`color`]: YBR_FULL / YBR_FULL_422 / YBR_ICT / YBR_RCT → RGB, RGB →
//!   YBR_FULL, MONOCHROME1 inversion.
//! * `arch`: the only `unsafe` here, the AVX2 + FMA YBR_FULL → RGB kernel
//!   (runtime-detected; the portable kernels give the same bytes).
//!
//! The arithmetic follows `pydicom.pixels.processing` operation by operation,
//! so results are equal (integers) or equal to the last bit except for `exp`
//! (floats).

mod arch;
pub mod color;
pub mod lut;
pub mod png;
pub mod window;

use crate::error::{Error, Result};
use rayon::prelude::*;

/// Elements per parallel work item (large frames are split in chunks).
const CHUNK: usize = 1 << 16;

/// A numeric sample type the pipeline accepts as input.
pub trait Sample: Copy + Send + Sync + 'static {
    /// The value as `f64` (as NumPy's `astype(float64)`).
    fn to_f64(self) -> f64;
    /// `None` if `self < first_map`, else the LUT offset `self - first_map`
    /// (floats truncated toward zero, as NumPy casts them to integers).
    fn lut_offset(self, first_map: i64) -> Option<i64>;
    /// How many values the type has when it is an 8- or 16-bit integer
    /// (a table over all of them pays), else 0.
    const VALUES: usize = 0;
    /// The position of `self` among the [`Sample::VALUES`] values (`self - MIN`).
    #[inline(always)]
    fn value_index(self) -> usize {
        0
    }
    /// The value at position `i` of [`Sample::value_index`], as `f64`.
    #[inline(always)]
    fn value_at(i: usize) -> f64 {
        i as f64
    }
}

macro_rules! int_sample {
    ($($t:ty),*) => {$(
        impl Sample for $t {
            #[inline(always)]
            fn to_f64(self) -> f64 {
                self as f64
            }
            const VALUES: usize = if std::mem::size_of::<$t>() <= 2 {
                1 << (8 * std::mem::size_of::<$t>())
            } else {
                0
            };
            #[inline(always)]
            fn value_index(self) -> usize {
                (self as i64).wrapping_sub(<$t>::MIN as i64) as usize
            }
            #[inline(always)]
            fn value_at(i: usize) -> f64 {
                (i as i64).wrapping_add(<$t>::MIN as i64) as f64
            }
            #[inline(always)]
            fn lut_offset(self, first_map: i64) -> Option<i64> {
                let v = self as i128;
                let f = first_map as i128;
                if v < f {
                    None
                } else {
                    Some((v - f).min(i64::MAX as i128) as i64)
                }
            }
        }
    )*};
}
int_sample!(u8, i8, u16, i16, u32, i32, u64, i64);

macro_rules! float_sample {
    ($($t:ty),*) => {$(
        impl Sample for $t {
            #[inline(always)]
            fn to_f64(self) -> f64 {
                self as f64
            }
            #[inline(always)]
            fn lut_offset(self, first_map: i64) -> Option<i64> {
                let v = self as f64;
                let f = first_map as f64;
                if v >= f {
                    Some((v - f) as i64)
                } else {
                    None
                }
            }
        }
    )*};
}
float_sample!(f32, f64);

/// Runs `f(frame, src_chunk, dst_chunk)` in parallel over `src` and `dst`,
/// which hold the same number of frames of `frame_units` units each; a unit
/// is `in_per` source and `out_per` destination elements. Chunks never
/// straddle a frame.
pub(crate) fn par_frames<S: Sync, D: Send + Copy>(
    src: &[S],
    dst: &mut [D],
    frame_units: usize,
    in_per: usize,
    out_per: usize,
    f: impl Fn(usize, &[S], &mut [D]) + Sync,
) -> Result<()> {
    if in_per == 0 || out_per == 0 || src.len() % in_per != 0 {
        return Err(Error::unsupported(format!(
            "pixel pipeline: {} input values are not a whole number of {in_per}-value pixels",
            src.len()
        )));
    }
    let units = src.len() / in_per;
    if dst.len() != units * out_per {
        return Err(Error::unsupported(format!(
            "pixel pipeline: output holds {} values, {} are needed",
            dst.len(),
            units * out_per
        )));
    }
    if units == 0 {
        return Ok(());
    }
    if frame_units == 0 || units % frame_units != 0 {
        return Err(Error::unsupported(format!(
            "pixel pipeline: {units} pixels are not a whole number of {frame_units}-pixel frames"
        )));
    }
    if std::mem::size_of_val(dst) >= REGION_MIN {
        par_regions(src, dst, frame_units, in_per, out_per, &f);
        return Ok(());
    }
    let chunk = CHUNK.min(frame_units);
    dst.par_chunks_mut(frame_units * out_per)
        .zip(src.par_chunks(frame_units * in_per))
        .enumerate()
        .for_each(|(fi, (d, s))| {
            d.par_chunks_mut(chunk * out_per)
                .zip(s.par_chunks(chunk * in_per))
                .for_each(|(d2, s2)| f(fi, s2, d2))
        });
    Ok(())
}

/// Bytes of output a parallel work item of a large output owns whole: a
/// transparent huge page (NumPy asks for them for large arrays).
const REGION: usize = 2 << 20;

/// Outputs from this size on are cut at [`REGION`]-aligned addresses.
const REGION_MIN: usize = 4 * REGION;

/// [`par_frames`] for a large output: one work item per [`REGION`]-aligned
/// region of `dst` (cut at the first whole unit at or after each aligned
/// address), split at frame boundaries inside. Two threads then never
/// fault in the same huge page of a new output at once (the kernel then
/// clears pages twice). The float64 window of a 31-Mpx CT into a new NumPy
/// array took 2.2x the CPU time of the same into a pre-faulted one (146 vs
/// 67 ms) with 64 Ki-value items; 1.7x with these (69 vs 40 ms, AVX-512 loop).
fn par_regions<S: Sync, D: Send + Copy>(
    src: &[S],
    dst: &mut [D],
    frame_units: usize,
    in_per: usize,
    out_per: usize,
    f: &(impl Fn(usize, &[S], &mut [D]) + Sync),
) {
    let units = src.len() / in_per;
    let unit_bytes = out_per * std::mem::size_of::<D>();
    let base = dst.as_ptr() as usize;
    let mut cuts = vec![0usize];
    let mut aligned = (base / REGION + 1) * REGION;
    while aligned < base + units * unit_bytes {
        let u = (aligned - base).div_ceil(unit_bytes);
        if u > cuts[cuts.len() - 1] && u < units {
            cuts.push(u);
        }
        aligned += REGION;
    }
    cuts.push(units);
    let mut items = Vec::with_capacity(cuts.len());
    let (mut s_rest, mut d_rest) = (src, dst);
    for w in cuts.windows(2) {
        let n = w[1] - w[0];
        let (s, s_tail) = s_rest.split_at(n * in_per);
        let (d, d_tail) = std::mem::take(&mut d_rest).split_at_mut(n * out_per);
        (s_rest, d_rest) = (s_tail, d_tail);
        items.push((w[0], s, d));
    }
    items.into_par_iter().for_each(|(mut u, mut s, mut d)| {
        touch(d);
        while !d.is_empty() {
            let fi = u / frame_units;
            let n = ((fi + 1) * frame_units - u).min(d.len() / out_per);
            let (sh, st) = s.split_at(n * in_per);
            let (dh, dt) = std::mem::take(&mut d).split_at_mut(n * out_per);
            f(fi, sh, dh);
            (u, s, d) = (u + n, st, dt);
        }
    });
}

/// Writes one value per 4 KiB page of `d` (a fresh output) before the
/// kernel runs: the page faults then come in one quick sequential pass, as
/// when NumPy fills a new array. YBR_FULL → RGB of 18 Mpx into a new array
/// measured 31 ms of CPU time without, 28 ms with (process time, both threads).
fn touch<D: Copy>(d: &mut [D]) {
    let Some(&v) = d.first() else {
        return;
    };
    let step = (4096 / std::mem::size_of::<D>().max(1)).max(1);
    for i in (0..d.len()).step_by(step) {
        d[i] = v;
    }
    std::hint::black_box(d);
}

/// Minimum and maximum of the finite values of `src` (`None` when there are none).
pub fn min_max<S: Sample>(src: &[S]) -> Option<(f64, f64)> {
    let lo_hi = src
        .par_chunks(CHUNK)
        .map(|c| {
            let mut lo = f64::INFINITY;
            let mut hi = f64::NEG_INFINITY;
            for &v in c {
                let v = v.to_f64();
                if v.is_finite() {
                    lo = lo.min(v);
                    hi = hi.max(v);
                }
            }
            (lo, hi)
        })
        .reduce(
            || (f64::INFINITY, f64::NEG_INFINITY),
            |a, b| (a.0.min(b.0), a.1.max(b.1)),
        );
    let (lo, hi) = (lo_hi.0, lo_hi.1);
    (lo <= hi).then_some((lo, hi))
}

#[cfg(test)]
mod tests;
