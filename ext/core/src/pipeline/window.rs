//! Rescale Slope/Intercept (the linear Modality LUT, per frame too), the
//! windowing VOI functions of PS3.3 C.11.2.1.2 / C.11.2.1.3, and the fused
//! [`render`] kernel (stored value → display value in one pass).

use super::lut::Lut;
use super::{par_frames, Sample};
use crate::error::{Error, Result};

/// Rescale Slope and Intercept: one pair for all frames, or one per frame.
#[derive(Debug, Clone, PartialEq)]
pub struct Rescale {
    /// Slopes: one value, or one per frame.
    pub slopes: Vec<f64>,
    /// Intercepts: one value, or one per frame.
    pub intercepts: Vec<f64>,
}

impl Rescale {
    /// One slope and intercept for every frame.
    pub fn uniform(slope: f64, intercept: f64) -> Self {
        Rescale {
            slopes: vec![slope],
            intercepts: vec![intercept],
        }
    }

    fn check(&self, frames: usize) -> Result<()> {
        for (what, v) in [("slopes", &self.slopes), ("intercepts", &self.intercepts)] {
            if v.len() != 1 && v.len() != frames {
                return Err(Error::unsupported(format!(
                    "{} rescale {what} for {frames} frames (1 or one per frame needed)",
                    v.len()
                )));
            }
        }
        Ok(())
    }

    #[inline(always)]
    fn of(&self, frame: usize) -> (f64, f64) {
        let s = self.slopes[if self.slopes.len() == 1 { 0 } else { frame }];
        let i = self.intercepts[if self.intercepts.len() == 1 { 0 } else { frame }];
        (s, i)
    }
}

fn frames_of(len: usize, frame_len: usize) -> Result<usize> {
    if frame_len == 0 || len % frame_len != 0 {
        return Err(Error::unsupported(format!(
            "{len} values are not a whole number of {frame_len}-value frames"
        )));
    }
    Ok(len / frame_len)
}

/// `dst = src * slope + intercept` in `f64` (two roundings, as NumPy), with
/// the slope and intercept of each frame of `frame_len` values.
pub fn rescale<S: Sample>(
    src: &[S],
    frame_len: usize,
    rescale: &Rescale,
    dst: &mut [f64],
) -> Result<()> {
    if src.is_empty() {
        return par_frames(src, dst, 1, 1, 1, |_, _, _| {});
    }
    rescale.check(frames_of(src.len(), frame_len)?)?;
    par_frames(src, dst, frame_len, 1, 1, |f, s, d| {
        let (m, b) = rescale.of(f);
        for (o, &v) in d.iter_mut().zip(s) {
            *o = v.to_f64() * m + b;
        }
    })
}

/// The VOI LUT Function (0028,1056) of a window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VoiFunction {
    /// `LINEAR` (the default).
    Linear,
    /// `LINEAR_EXACT`.
    LinearExact,
    /// `SIGMOID`.
    Sigmoid,
}

/// A window and the output range it maps to.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Window {
    /// Window Center as stored.
    pub center: f64,
    /// Window Width as stored.
    pub width: f64,
    /// The function.
    pub function: VoiFunction,
    /// Lowest output value.
    pub y_min: f64,
    /// Highest output value.
    pub y_max: f64,
}

/// A window ready to apply: the adjusted center/width and its bounds.
#[derive(Clone, Copy)]
pub(super) struct Prepared {
    c: f64,
    w: f64,
    lo: f64,
    hi: f64,
    y_min: f64,
    y_max: f64,
    y_range: f64,
    sigmoid: bool,
}

impl Window {
    pub(super) fn prepare(&self) -> Result<Prepared> {
        let (c, w) = match self.function {
            VoiFunction::Linear => {
                if self.width.is_nan() || self.width < 1.0 {
                    return Err(Error::unsupported(
                        "a Window Width below 1 for a LINEAR windowing operation",
                    ));
                }
                (self.center - 0.5, self.width - 1.0)
            }
            VoiFunction::LinearExact | VoiFunction::Sigmoid => {
                if self.width.is_nan() || self.width <= 0.0 {
                    return Err(Error::unsupported(
                        "a Window Width of 0 or less for a LINEAR_EXACT or SIGMOID windowing operation",
                    ));
                }
                (self.center, self.width)
            }
        };
        Ok(Prepared {
            c,
            w,
            lo: c - w / 2.0,
            hi: c + w / 2.0,
            y_min: self.y_min,
            y_max: self.y_max,
            y_range: self.y_max - self.y_min,
            sigmoid: self.function == VoiFunction::Sigmoid,
        })
    }
}

impl Prepared {
    /// The windowed value of `x`, in the operation order of pydicom's
    /// `apply_windowing`.
    #[inline(always)]
    pub(super) fn apply(&self, x: f64) -> f64 {
        if self.sigmoid {
            self.y_range / (1.0 + (-4.0 * (x - self.c) / self.w).exp()) + self.y_min
        } else if x <= self.lo {
            self.y_min
        } else if x > self.hi {
            self.y_max
        } else {
            ((x - self.c) / self.w + 0.5) * self.y_range + self.y_min
        }
    }

    /// [`Prepared::apply`] of a LINEAR / LINEAR_EXACT window without
    /// branches (the same values: the selects keep the order of the tests),
    /// so that the compiler vectorizes the loop.
    #[inline(always)]
    fn linear(&self, x: f64) -> f64 {
        let v = ((x - self.c) / self.w + 0.5) * self.y_range + self.y_min;
        let v = if x > self.hi { self.y_max } else { v };
        if x <= self.lo {
            self.y_min
        } else {
            v
        }
    }
}

/// The LINEAR / LINEAR_EXACT loop of [`apply_window`], compiled once per
/// instruction set (see `arch::window_linear`).
#[inline(always)]
pub(super) fn linear_run<S: Sample>(p: &Prepared, s: &[S], d: &mut [f64]) {
    for (o, &v) in d.iter_mut().zip(s) {
        *o = p.linear(v.to_f64());
    }
}

/// Applies `window` to `src` (stored or rescaled values) into `dst`.
///
/// 8- and 16-bit integer input from 4 values per possible value on goes
/// through a table of every value's result (the same arithmetic); other
/// LINEAR / LINEAR_EXACT input through a loop built for AVX-512 or AVX2
/// where the CPU has them (the same IEEE operations in the same order, so
/// the same results: `window_simd_and_portable_agree`).
pub fn apply_window<S: Sample>(src: &[S], window: &Window, dst: &mut [f64]) -> Result<()> {
    let p = window.prepare()?;
    if S::VALUES > 0 && src.len() >= 4 * S::VALUES {
        let table: Vec<f64> = (0..S::VALUES).map(|i| p.apply(S::value_at(i))).collect();
        return par_frames(src, dst, src.len().max(1), 1, 1, |_, s, d| {
            for (o, &v) in d.iter_mut().zip(s) {
                *o = table[v.value_index()];
            }
        });
    }
    let wide = super::arch::Wide::pick();
    par_frames(src, dst, src.len().max(1), 1, 1, |_, s, d| {
        if p.sigmoid {
            for (o, &v) in d.iter_mut().zip(s) {
                *o = p.apply(v.to_f64());
            }
        } else {
            super::arch::window_linear(wide, &p, s, d);
        }
    })
}

/// The Modality LUT step of [`render`].
#[derive(Debug, Clone)]
pub enum ModalityStep {
    /// Stored values are used as they are.
    Identity,
    /// Rescale Slope / Intercept.
    Rescale(Rescale),
    /// A Modality LUT Sequence table.
    Lut(Lut<u16>),
}

/// The VOI step of [`render`]; its output range is `0..=out_max`.
#[derive(Debug, Clone)]
pub enum VoiStep {
    /// A window (its `y_min`/`y_max` are replaced by `0`/`out_max`).
    Window(Window),
    /// A VOI LUT Sequence table whose entries have `bits` bits; they are
    /// scaled to `0..=out_max`.
    Lut(Lut<u16>, u32),
}

/// A display output type of [`render`] (`u8` or `u16`).
pub trait DisplayValue: Copy + Send + Sync {
    /// Largest value.
    const MAX: u32;
    /// From a value already rounded into `0..=MAX`.
    fn from_u32(v: u32) -> Self;
}

impl DisplayValue for u8 {
    const MAX: u32 = 255;
    fn from_u32(v: u32) -> Self {
        v as u8
    }
}

impl DisplayValue for u16 {
    const MAX: u32 = 65535;
    fn from_u32(v: u32) -> Self {
        v as u16
    }
}

/// Stored values → display values in one pass: the modality step (per
/// frame of `frame_len` values), the VOI step into `0..=E::MAX` rounded
/// half up, then, with `invert` (MONOCHROME1), `E::MAX - v`.
pub fn render<S: Sample, E: DisplayValue>(
    src: &[S],
    frame_len: usize,
    modality: &ModalityStep,
    voi: &VoiStep,
    invert: bool,
    dst: &mut [E],
) -> Result<()> {
    let frames = if src.is_empty() {
        0
    } else {
        frames_of(src.len(), frame_len)?
    };
    if let ModalityStep::Rescale(r) = modality {
        r.check(frames.max(1))?;
    }
    let out_max = E::MAX as f64;
    let voi = match voi {
        VoiStep::Window(w) => Ok(Window {
            y_min: 0.0,
            y_max: out_max,
            ..*w
        }
        .prepare()?),
        VoiStep::Lut(l, bits) => {
            if *bits == 0 || *bits > 16 {
                return Err(Error::malformed(
                    0,
                    "LUT Descriptor",
                    format!("{bits} bits per entry (1 to 16 allowed)"),
                ));
            }
            Err((l, out_max / ((1u32 << bits) - 1) as f64))
        }
    };
    let finish = |y: f64| -> E {
        // clip(floor(y + 0.5), 0, max) without a call to `floor`: for a
        // non-negative value truncation is the floor; NaN gives 0.
        let v = y + 0.5;
        let v = if v >= out_max {
            E::MAX
        } else if v >= 0.0 {
            v as u32
        } else {
            0
        };
        E::from_u32(if invert { E::MAX - v } else { v })
    };
    // 8- and 16-bit stored values with one window and one rescale (or
    // none): a table of the display value of every stored value, built with
    // the same arithmetic, then one lookup per pixel.
    let uniform = match modality {
        ModalityStep::Identity => Some(None),
        ModalityStep::Rescale(r) if r.slopes.len() == 1 && r.intercepts.len() == 1 => {
            Some(Some(r.of(0)))
        }
        _ => None,
    };
    if let (Ok(p), Some(mb)) = (&voi, uniform) {
        if S::VALUES > 0 && src.len() >= 4 * S::VALUES {
            let table: Vec<E> = (0..S::VALUES)
                .map(|i| {
                    let x = S::value_at(i);
                    finish(p.apply(match mb {
                        None => x,
                        Some((m, b)) => x * m + b,
                    }))
                })
                .collect();
            return par_frames(src, dst, frame_len.max(1), 1, 1, |_, s, d| {
                for (o, &v) in d.iter_mut().zip(s) {
                    *o = table[v.value_index()];
                }
            });
        }
    }
    // One tight loop per combination of steps (no per-pixel dispatch).
    par_frames(src, dst, frame_len.max(1), 1, 1, |f, s, d| {
        match (&voi, modality) {
            (Ok(p), ModalityStep::Identity) => {
                for (o, &v) in d.iter_mut().zip(s) {
                    *o = finish(p.apply(v.to_f64()));
                }
            }
            (Ok(p), ModalityStep::Rescale(r)) => {
                let (m, b) = r.of(f);
                for (o, &v) in d.iter_mut().zip(s) {
                    *o = finish(p.apply(v.to_f64() * m + b));
                }
            }
            (Ok(p), ModalityStep::Lut(l)) => {
                for (o, &v) in d.iter_mut().zip(s) {
                    *o = finish(p.apply(l.entries()[l.index(v, None)] as f64));
                }
            }
            (Err((l, scale)), m) => {
                let (sl, b) = match m {
                    ModalityStep::Rescale(r) => r.of(f),
                    _ => (1.0, 0.0),
                };
                for (o, &v) in d.iter_mut().zip(s) {
                    let e = match m {
                        ModalityStep::Identity => l.entries()[l.index(v, Some(16))],
                        ModalityStep::Rescale(_) => {
                            l.entries()[l.index(v.to_f64() * sl + b, Some(16))]
                        }
                        ModalityStep::Lut(ml) => {
                            l.entries()[l.index(ml.entries()[ml.index(v, None)], Some(16))]
                        }
                    };
                    *o = finish(e as f64 * scale);
                }
            }
        }
    })
}
