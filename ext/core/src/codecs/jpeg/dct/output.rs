//! From component planes to colour-by-pixel rows: libjpeg-turbo's
//! upsampling (its "fancy" triangular filters for 2:1 horizontal, 1:2
//! vertical and 2:2; replication for other integer ratios and for
//! components two samples wide or less) and YCbCr to RGB with its integer
//! tables (`jdcolor.c`: 16-bit fixed point, rounding folded into the tables).

use super::arch_out;
use super::frame::{Comp, Frame};
use super::Px;

/// How one component is brought to full resolution.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Up {
    Full,
    H2V1Fancy,
    H1V2Fancy,
    H2V2Fancy,
    /// Replication by (h, v).
    Rep(usize, usize),
}

fn method<T>(f: &Frame, c: &Comp<T>) -> Up {
    let (hi, vi, ho, vo) = (c.h, c.v, f.hmax, f.vmax);
    if hi == ho && vi == vo {
        Up::Full
    } else if hi * 2 == ho && vi == vo && c.dw > 2 {
        Up::H2V1Fancy
    } else if hi == ho && vi * 2 == vo {
        Up::H1V2Fancy
    } else if hi * 2 == ho && vi * 2 == vo && c.dw > 2 {
        Up::H2V2Fancy
    } else {
        Up::Rep(ho / hi, vo / vi)
    }
}

/// Writes row `y` of component `c` at full resolution into `out`
/// (at least `f.width` samples).
fn up_row<T: Px>(c: &Comp<T>, m: Up, y: usize, out: &mut [T], width: usize, sums: &mut Vec<i32>) {
    let s = c.stride();
    let row = |r: usize| &c.plane[r * s..r * s + s];
    let dw = c.dw;
    match m {
        Up::Full => out[..width].copy_from_slice(&row(y)[..width]),
        Up::Rep(h, v) => {
            let src = row(y / v);
            for (x, o) in out[..width].iter_mut().enumerate() {
                *o = src[x / h];
            }
        }
        Up::H2V1Fancy => {
            let src = &row(y)[..dw];
            h2v1(src, out);
        }
        Up::H1V2Fancy => {
            let iy = y / 2;
            let (nb, bias) = if y % 2 == 0 {
                (iy.saturating_sub(1), 1)
            } else {
                ((iy + 1).min(c.dh - 1), 2)
            };
            let (a, b) = (row(iy), row(nb));
            for x in 0..width {
                out[x] = T::from_i32((a[x].to_i32() * 3 + b[x].to_i32() + bias) >> 2);
            }
        }
        Up::H2V2Fancy => {
            let iy = y / 2;
            let nb = if y % 2 == 0 {
                iy.saturating_sub(1)
            } else {
                (iy + 1).min(c.dh - 1)
            };
            let (a, b) = (&row(iy)[..dw], &row(nb)[..dw]);
            h2v2(a, b, out, sums);
        }
    }
}

fn h2v1<T: Px>(src: &[T], out: &mut [T]) {
    let dw = src.len();
    let out = &mut out[..2 * dw];
    let v0 = src[0].to_i32();
    out[0] = src[0];
    out[1] = T::from_i32((v0 * 3 + src[1].to_i32() + 2) >> 2);
    for (o, w) in out[2..2 * dw - 2].chunks_exact_mut(2).zip(src.windows(3)) {
        let v = w[1].to_i32() * 3;
        o[0] = T::from_i32((v + w[0].to_i32() + 1) >> 2);
        o[1] = T::from_i32((v + w[2].to_i32() + 2) >> 2);
    }
    let v = src[dw - 1].to_i32();
    out[2 * dw - 2] = T::from_i32((v * 3 + src[dw - 2].to_i32() + 1) >> 2);
    out[2 * dw - 1] = src[dw - 1];
}

fn h2v2<T: Px>(a: &[T], b: &[T], out: &mut [T], sums: &mut Vec<i32>) {
    let dw = a.len();
    let out = &mut out[..2 * dw];
    sums.clear();
    sums.extend(
        a.iter()
            .zip(&b[..dw])
            .map(|(x, y)| x.to_i32() * 3 + y.to_i32()),
    );
    let c = &sums[..];
    out[0] = T::from_i32((c[0] * 4 + 8) >> 4);
    out[1] = T::from_i32((c[0] * 3 + c[1] + 7) >> 4);
    for (o, w) in out[2..2 * dw - 2].chunks_exact_mut(2).zip(c.windows(3)) {
        let t = w[1] * 3;
        o[0] = T::from_i32((t + w[0] + 8) >> 4);
        o[1] = T::from_i32((t + w[2] + 7) >> 4);
    }
    out[2 * dw - 2] = T::from_i32((c[dw - 1] * 3 + c[dw - 2] + 8) >> 4);
    out[2 * dw - 1] = T::from_i32((c[dw - 1] * 4 + 7) >> 4);
}

/// YCbCr to RGB tables of libjpeg (`build_ycc_rgb_table`).
pub(super) struct Ycc {
    cr_r: Vec<i32>,
    cb_b: Vec<i32>,
    cr_g: Vec<i32>,
    cb_g: Vec<i32>,
    maxj: i32,
}

impl Ycc {
    pub fn new(bits: u32) -> Ycc {
        let n = 1i64 << bits;
        let center = n / 2;
        let fix = |x: f64| (x * 65536.0 + 0.5) as i64;
        let half = 1i64 << 15;
        let xs = (0..n).map(|i| i - center);
        Ycc {
            cr_r: xs
                .clone()
                .map(|x| ((fix(1.40200) * x + half) >> 16) as i32)
                .collect(),
            cb_b: xs
                .clone()
                .map(|x| ((fix(1.77200) * x + half) >> 16) as i32)
                .collect(),
            cr_g: xs.clone().map(|x| (-fix(0.71414) * x) as i32).collect(),
            cb_g: xs.map(|x| (-fix(0.34414) * x + half) as i32).collect(),
            maxj: (n - 1) as i32,
        }
    }

    #[inline(always)]
    fn rgb(&self, y: i32, cb: usize, cr: usize) -> [i32; 3] {
        let m = self.maxj;
        [
            (y + self.cr_r[cr]).clamp(0, m),
            (y + ((self.cb_g[cb] + self.cr_g[cr]) >> 16)).clamp(0, m),
            (y + self.cb_b[cb]).clamp(0, m),
        ]
    }
}

/// The 2:1 horizontal filters as `(even bias, odd bias, shift)`, applied to
/// per-column values `c` (the samples for h2v1, `3 * near + far` row sums for
/// h2v2): even `(3 c[i] + c[i-1] + b0) >> sh`, odd `(3 c[i] + c[i+1] + b1) >>
/// sh`, with `c[-1] = c[0]` and `c[dw] = c[dw-1]` (libjpeg's edge columns).
const H2V1: (i32, i32, u32) = (1, 2, 2);
const H2V2: (i32, i32, u32) = (8, 7, 4);

/// A chroma row upsampled 2:1 horizontally from its per-column values
/// `c` (at least 3) into `out[..2 * c.len()]`, filter `k`.
#[inline(always)]
fn up_h2<T: Px>(c: &[i32], (b0, b1, sh): (i32, i32, u32), out: &mut [T]) {
    let dw = c.len();
    let out = &mut out[..2 * dw];
    out[0] = T::from_i32((c[0] * 4 + b0) >> sh);
    out[1] = T::from_i32((c[0] * 3 + c[1] + b1) >> sh);
    for (o, w) in out[2..2 * dw - 2].chunks_exact_mut(2).zip(c.windows(3)) {
        let t = w[1] * 3;
        o[0] = T::from_i32((t + w[0] + b0) >> sh);
        o[1] = T::from_i32((t + w[2] + b1) >> sh);
    }
    out[2 * dw - 2] = T::from_i32((c[dw - 1] * 3 + c[dw - 2] + b0) >> sh);
    out[2 * dw - 1] = T::from_i32((c[dw - 1] * 4 + b1) >> sh);
}

/// Three components, luma at full resolution and both chroma components
/// upsampled 2:1 horizontally (`k` gives the filter) from the per-column
/// values `cb`, `cr` into the row buffers `ub`, `ur`, then interleaved (or
/// converted) into `line`.
#[allow(clippy::too_many_arguments)]
fn fused<T: Px>(
    y: &[T],
    cb: &[i32],
    cr: &[i32],
    k: (i32, i32, u32),
    ycc: Option<&Ycc>,
    ub: &mut [T],
    ur: &mut [T],
    line: &mut [T],
) {
    let w = line.len() / 3;
    up_h2(cb, k, ub);
    up_h2(cr, k, ur);
    let it = line
        .chunks_exact_mut(3)
        .zip(&y[..w])
        .zip(&ub[..w])
        .zip(&ur[..w]);
    match ycc {
        Some(t) => {
            for (((o, a), b), c) in it {
                let rgb = t.rgb(a.to_i32(), b.to_i32() as usize, c.to_i32() as usize);
                o[0] = T::from_i32(rgb[0]);
                o[1] = T::from_i32(rgb[1]);
                o[2] = T::from_i32(rgb[2]);
            }
        }
        None => {
            for (((o, a), b), c) in it {
                o[0] = *a;
                o[1] = *b;
                o[2] = *c;
            }
        }
    }
}

/// Per-column values of the chroma row for output row `y` of the fused
/// filters: the samples (h2v1) or `3 * near + far` row sums (h2v2).
fn chroma_cols<T: Px>(c: &Comp<T>, m: Up, y: usize, cols: &mut Vec<i32>) {
    let s = c.stride();
    let row = |r: usize| &c.plane[r * s..r * s + c.dw];
    cols.clear();
    if m == Up::H2V1Fancy {
        cols.extend(row(y).iter().map(|v| v.to_i32()));
    } else {
        let iy = y / 2;
        let nb = if y % 2 == 0 {
            iy.saturating_sub(1)
        } else {
            (iy + 1).min(c.dh - 1)
        };
        let (a, b) = (row(iy), row(nb));
        cols.extend(a.iter().zip(b).map(|(x, z)| x.to_i32() * 3 + z.to_i32()));
    }
}

/// Row `y` of a full-resolution component (`w` samples).
fn full_row<T>(c: &Comp<T>, y: usize, w: usize) -> &[T] {
    let s = c.stride();
    &c.plane[y * s..y * s + w]
}

/// The portable h2v1 filter (reference of the SIMD kernel in tests).
#[cfg(test)]
pub(super) fn h2v1_ref(src: &[u8], out: &mut [u8]) {
    h2v1(src, out)
}

/// The portable h2v2 filter (reference of the SIMD kernel in tests).
#[cfg(test)]
pub(super) fn h2v2_ref(a: &[u8], b: &[u8], out: &mut [u8]) {
    h2v2(a, b, out, &mut Vec::new())
}

/// The portable interleaving and conversion (reference of the SIMD kernel
/// in tests).
#[cfg(test)]
pub(super) fn merge3_ref(y: &[u8], cb: &[u8], cr: &[u8], ycc: Option<&Ycc>, line: &mut [u8]) {
    let it = line.chunks_exact_mut(3).zip(y).zip(cb).zip(cr);
    for (((o, a), b), c) in it {
        match ycc {
            Some(t) => {
                let rgb = t.rgb(*a as i32, *b as usize, *c as usize);
                o.copy_from_slice(&rgb.map(|v| v as u8));
            }
            None => o.copy_from_slice(&[*a, *b, *c]),
        }
    }
}

/// The rows of an 8-bit three-component frame through the AVX2 kernels
/// (luma at full resolution, chroma at full resolution or upsampled by the
/// fancy h2v1 / h2v2 filters); false (nothing written) for other layouts.
fn rows_u8_simd<T: Px>(
    f: &Frame,
    comps: &[Comp<T>],
    methods: &[Up],
    ys: std::ops::Range<usize>,
    ycc: Option<&Ycc>,
    out: &mut [u8],
) -> bool {
    if comps.len() != 3
        || methods[0] != Up::Full
        || !methods[1..]
            .iter()
            .all(|m| matches!(m, Up::Full | Up::H2V1Fancy | Up::H2V2Fancy))
    {
        return false;
    }
    let planes: Vec<&[u8]> = comps.iter().filter_map(|c| T::as_u8(&c.plane)).collect();
    if planes.len() != 3 {
        return false;
    }
    let w = f.width;
    let rl = 3 * w;
    let mut ups: Vec<Vec<u8>> = comps[1..]
        .iter()
        .map(|c| vec![0u8; arch_out::up_len(c.dw).max(w)])
        .collect();
    let (mut pa, mut pb) = (Vec::new(), Vec::new());
    for y in ys.start..ys.end.min(f.height) {
        let line = &mut out[(y - ys.start) * rl..(y - ys.start + 1) * rl];
        let row = |k: usize, r: usize| {
            let s = comps[k].stride();
            &planes[k][r * s..r * s + s]
        };
        for k in 1..3 {
            let c = &comps[k];
            let dw = c.dw;
            match methods[k] {
                Up::H2V1Fancy => {
                    arch_out::pad_row(&row(k, y)[..dw], &mut pa);
                    arch_out::h2v1(&pa, dw, &mut ups[k - 1], true);
                }
                Up::H2V2Fancy => {
                    let iy = y / 2;
                    let nb = if y % 2 == 0 {
                        iy.saturating_sub(1)
                    } else {
                        (iy + 1).min(c.dh - 1)
                    };
                    arch_out::pad_row(&row(k, iy)[..dw], &mut pa);
                    arch_out::pad_row(&row(k, nb)[..dw], &mut pb);
                    arch_out::h2v2(&pa, &pb, dw, &mut ups[k - 1], true);
                }
                _ => {}
            }
        }
        let src = |k: usize| -> &[u8] {
            if methods[k] == Up::Full {
                &row(k, y)[..w]
            } else {
                &ups[k - 1][..w]
            }
        };
        arch_out::merge3(src(0), src(1), src(2), line, ycc.is_some(), true);
    }
    true
}

/// Writes the output rows `ys` (those below the frame height) of the frame,
/// colour-by-pixel, into `out` (`width * components` samples per row, the
/// first row being `ys.start`); `ycc` converts three components to RGB.
/// `simd`: the AVX2 kernels may be used (the caller detected AVX2).
pub(super) fn rows<T: Px>(
    f: &Frame,
    comps: &[Comp<T>],
    ys: std::ops::Range<usize>,
    ycc: Option<&Ycc>,
    out: &mut [T],
    simd: bool,
) {
    let w = f.width;
    let nc = comps.len();
    let rl = w * nc;
    let methods: Vec<Up> = comps.iter().map(|c| method(f, c)).collect();
    if simd && nc == 3 && ycc.is_none_or(|t| t.maxj == 255) {
        if let Some(o) = T::as_u8_mut(out) {
            if rows_u8_simd(f, comps, &methods, ys.clone(), ycc, o) {
                return;
            }
        }
    }
    let blen = comps.iter().map(|c| 2 * c.dw).max().unwrap_or(0).max(w) + 2;
    let fused_k = match methods[..] {
        [Up::Full, Up::H2V1Fancy, Up::H2V1Fancy] => Some(H2V1),
        [Up::Full, Up::H2V2Fancy, Up::H2V2Fancy] => Some(H2V2),
        _ => None,
    };
    let mut bufs: Vec<Vec<T>> = (0..nc).map(|_| vec![T::default(); blen]).collect();
    let mut sums = Vec::with_capacity(blen);
    let (mut cb, mut cr) = (Vec::with_capacity(blen), Vec::with_capacity(blen));
    for y in ys.start..ys.end.min(f.height) {
        let line = &mut out[(y - ys.start) * rl..(y - ys.start + 1) * rl];
        let full = |c| full_row(c, y, w);
        if nc == 1 && methods[0] == Up::Full {
            line.copy_from_slice(full(&comps[0]));
            continue;
        }
        if let Some(k) = fused_k {
            chroma_cols(&comps[1], methods[1], y, &mut cb);
            chroma_cols(&comps[2], methods[2], y, &mut cr);
            let (ub, ur) = bufs.split_at_mut(2);
            fused(
                full(&comps[0]),
                &cb,
                &cr,
                k,
                ycc,
                &mut ub[1],
                &mut ur[0],
                line,
            );
            continue;
        }
        for (k, c) in comps.iter().enumerate() {
            if methods[k] != Up::Full {
                up_row(c, methods[k], y, &mut bufs[k], w, &mut sums);
            }
        }
        let src: Vec<&[T]> = comps
            .iter()
            .enumerate()
            .map(|(k, c)| {
                if methods[k] == Up::Full {
                    full(c)
                } else {
                    &bufs[k][..w]
                }
            })
            .collect();
        match (nc, ycc) {
            (3, Some(t)) => {
                let it = line.chunks_exact_mut(3).zip(src[0]).zip(src[1]).zip(src[2]);
                for (((px, a), b), c) in it {
                    let rgb = t.rgb(a.to_i32(), b.to_i32() as usize, c.to_i32() as usize);
                    px[0] = T::from_i32(rgb[0]);
                    px[1] = T::from_i32(rgb[1]);
                    px[2] = T::from_i32(rgb[2]);
                }
            }
            (3, None) => {
                let it = line.chunks_exact_mut(3).zip(src[0]).zip(src[1]).zip(src[2]);
                for (((px, a), b), c) in it {
                    px[0] = *a;
                    px[1] = *b;
                    px[2] = *c;
                }
            }
            _ => {
                for (k, b) in src.iter().enumerate() {
                    for x in 0..w {
                        line[x * nc + k] = b[x];
                    }
                }
            }
        }
    }
}

/// `dst` as samples of `T` when they are `size`-byte little-endian samples
/// of that type and the buffer is aligned for it (the decoder can then
/// write its output there directly).
pub(super) fn samples_of<T: Px>(dst: &mut [u8], size: usize) -> Option<&mut [T]> {
    if size != std::mem::size_of::<T>() {
        return None;
    }
    if size == 1 {
        return T::from_bytes_mut(dst);
    }
    if cfg!(target_endian = "little") {
        return crate::codecs::jpeg::arch::as_u16(dst).and_then(T::from_u16_mut);
    }
    None
}

/// Writes rows `0..rows` as `size`-byte little-endian samples into `dst`,
/// in bands of rows on the current rayon pool when `parallel`; `simd`: the
/// AVX2 output kernels may be used.
#[allow(clippy::too_many_arguments)]
pub(super) fn write_rows<T: Px>(
    f: &Frame,
    comps: &[Comp<T>],
    rows: usize,
    ycc: Option<&Ycc>,
    dst: &mut [u8],
    size: usize,
    parallel: bool,
    simd: bool,
) {
    use rayon::prelude::*;
    let rl = f.width * comps.len() * size;
    let rows = rows.min(f.height);
    let band = |y0: usize, d: &mut [u8]| {
        let n = d.len() / rl.max(1);
        if let Some(d) = T::from_bytes_mut(d).filter(|_| size == 1) {
            return self::rows(f, comps, y0..y0 + n, ycc, d, simd);
        }
        // 2-byte samples: straight into `d` when it is an aligned buffer of
        // native little-endian u16.
        if size == 2 && cfg!(target_endian = "little") {
            if let Some(d) = crate::codecs::jpeg::arch::as_u16(d).and_then(T::from_u16_mut) {
                return self::rows(f, comps, y0..y0 + n, ycc, d, simd);
            }
        }
        // Otherwise through a buffer of a few rows, little-endian.
        let mut tmp = vec![T::default(); 8 * rl / size];
        for (k, d) in d.chunks_mut(8 * rl).enumerate() {
            let m = d.len() / rl;
            let t = &mut tmp[..m * rl / size];
            self::rows(f, comps, y0 + 8 * k..y0 + 8 * k + m, ycc, t, simd);
            for (o, v) in d.chunks_exact_mut(2).zip(t.iter()) {
                o.copy_from_slice(&(v.to_i32() as u16).to_le_bytes());
            }
        }
    };
    let dst = &mut dst[..rows * rl];
    if parallel && rl > 0 && super::restart::worth(f, comps.len()) {
        let per = rows.div_ceil(4 * rayon::current_num_threads()).max(16);
        dst.par_chunks_mut(per * rl)
            .enumerate()
            .for_each(|(i, d)| band(i * per, d));
    } else {
        band(0, dst);
    }
}
