//! The scan decoder's line loop compiled a second time for x86-64 CPUs with
//! LZCNT, BMI1 and BMI2 (Haswell and later), chosen at run time: `lzcnt`
//! needs no zero check for the Golomb prefix and k, and `shlx`/`shrx` shift
//! by a register in one micro-op (the bit reader shifts several times per
//! sample). Same source, same output: only the instruction selection
//! differs. Tests run both this and the portable build.
#![allow(unsafe_code)]

use super::line::decode_line_impl;
use super::{BitReader, Model, Res};

/// A line decoder: model, bit reader, previous and current line buffers,
/// width, run index.
pub type LineFn =
    fn(&mut Model, &mut BitReader, &mut [i32], &mut [i32], usize, &mut usize) -> Res<()>;

/// Whether this CPU runs [`line`].
pub fn available() -> bool {
    crate::exec::cpu::lzcnt_bmi()
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "lzcnt,bmi1,bmi2")]
unsafe fn line_bmi2<const NC: usize, const D: u32>(
    m: &mut Model,
    rd: &mut BitReader,
    prev: &mut [i32],
    cur: &mut [i32],
    width: usize,
    ri: &mut usize,
) -> Res<()> {
    decode_line_impl::<NC, D>(m, rd, prev, cur, width, ri)
}

/// The line decoder for `NC` components built with LZCNT/BMI2. Only call
/// the result when [`available`] says so.
pub fn line<const NC: usize, const D: u32>() -> LineFn {
    #[cfg(target_arch = "x86_64")]
    {
        |m, rd, prev, cur, width, ri| {
            // SAFETY: `line` is only used after `available()` confirmed that
            // the CPU supports LZCNT, BMI1 and BMI2 (see `pick_line`).
            unsafe { line_bmi2::<NC, D>(m, rd, prev, cur, width, ri) }
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        super::line::decode_line::<NC, D>
    }
}
