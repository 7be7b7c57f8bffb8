//! From component planes to colour-by-pixel rows: libjpeg-turbo's
//! upsampling (its "fancy" triangular filters for 2:1 horizontal, 1:2
//! vertical and 2:2; replication for other integer ratios and for
//! components two samples wide or less) and YCbCr to RGB with its integer
//! tables (`jdcolor.c`: 16-bit fixed point, rounding folded into the tables).

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
fn up_row<T: Px>(c: &Comp<T>, m: Up, y: usize, out: &mut [T], width: usize) {
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
            h2v1(src, out, width);
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
            h2v2(a, b, out, width);
        }
    }
}

fn h2v1<T: Px>(src: &[T], out: &mut [T], width: usize) {
    let dw = src.len();
    let mut put = |i: usize, v: i32| {
        if i < width {
            out[i] = T::from_i32(v);
        }
    };
    let v0 = src[0].to_i32();
    put(0, v0);
    put(1, (v0 * 3 + src[1].to_i32() + 2) >> 2);
    for i in 1..dw - 1 {
        let v = src[i].to_i32() * 3;
        put(2 * i, (v + src[i - 1].to_i32() + 1) >> 2);
        put(2 * i + 1, (v + src[i + 1].to_i32() + 2) >> 2);
    }
    let v = src[dw - 1].to_i32();
    put(2 * dw - 2, (v * 3 + src[dw - 2].to_i32() + 1) >> 2);
    put(2 * dw - 1, v);
}

fn h2v2<T: Px>(a: &[T], b: &[T], out: &mut [T], width: usize) {
    let dw = a.len();
    let mut put = |i: usize, v: i32| {
        if i < width {
            out[i] = T::from_i32(v);
        }
    };
    let col = |i: usize| a[i].to_i32() * 3 + b[i].to_i32();
    let mut this = col(0);
    let mut next = col(1);
    put(0, (this * 4 + 8) >> 4);
    put(1, (this * 3 + next + 7) >> 4);
    let mut last = this;
    this = next;
    for i in 1..dw - 1 {
        next = col(i + 1);
        put(2 * i, (this * 3 + last + 8) >> 4);
        put(2 * i + 1, (this * 3 + next + 7) >> 4);
        last = this;
        this = next;
    }
    put(2 * dw - 2, (this * 3 + last + 8) >> 4);
    put(2 * dw - 1, (this * 4 + 7) >> 4);
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

/// Produces the output rows `0..rows` (at most the frame height) of the
/// frame, colour-by-pixel, calling `emit(y, row)` for each; `ycc` converts
/// three components to RGB.
pub(super) fn rows<T: Px>(
    f: &Frame,
    comps: &[Comp<T>],
    rows: usize,
    ycc: Option<&Ycc>,
    mut emit: impl FnMut(usize, &[T]),
) {
    let w = f.width;
    let nc = comps.len();
    let methods: Vec<Up> = comps.iter().map(|c| method(f, c)).collect();
    let mut bufs: Vec<Vec<T>> = (0..nc).map(|_| vec![T::default(); w + 2]).collect();
    let mut line = vec![T::default(); w * nc];
    for y in 0..rows.min(f.height) {
        if nc == 1 && methods[0] == Up::Full {
            let s = comps[0].stride();
            emit(y, &comps[0].plane[y * s..y * s + w]);
            continue;
        }
        for (k, c) in comps.iter().enumerate() {
            up_row(c, methods[k], y, &mut bufs[k], w);
        }
        match (nc, ycc) {
            (3, Some(t)) => {
                for x in 0..w {
                    let rgb = t.rgb(
                        bufs[0][x].to_i32(),
                        bufs[1][x].to_i32() as usize,
                        bufs[2][x].to_i32() as usize,
                    );
                    for (k, v) in rgb.into_iter().enumerate() {
                        line[x * 3 + k] = T::from_i32(v);
                    }
                }
            }
            _ => {
                for (k, b) in bufs.iter().enumerate() {
                    for x in 0..w {
                        line[x * nc + k] = b[x];
                    }
                }
            }
        }
        emit(y, &line);
    }
}
