//! The encoder's line loops compiled a second time for x86-64 CPUs with
//! AVX2, LZCNT, BMI1 and BMI2, chosen at run time (as the decoder's `arch`:
//! same source, same output, only the instruction selection differs: the
//! per-line gradient pass vectorises to AVX2, k and the bit writer use
//! LZCNT and BMI2). Tests run both this and the portable build.
#![allow(unsafe_code)]

use super::{encode_line, BitWriter, LineFn, Model};

/// Whether this CPU runs [`line`].
pub fn available() -> bool {
    crate::exec::cpu::avx2_lzcnt_bmi()
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,lzcnt,bmi1,bmi2")]
unsafe fn line_avx2<const NC: usize, const LOSSLESS: bool, const POW2: bool, const BITS: u32>(
    m: &mut Model,
    bw: &mut BitWriter,
    src: &[i32],
    prev: &mut [i32],
    cur: &mut [i32],
    width: usize,
    ri: &mut usize,
) {
    encode_line::<NC, LOSSLESS, POW2, BITS>(m, bw, src, prev, cur, width, ri)
}

/// The line encoder built with AVX2/LZCNT/BMI2. Only call the result when
/// [`available`] says so.
pub fn line<const NC: usize, const LOSSLESS: bool, const POW2: bool, const BITS: u32>() -> LineFn {
    #[cfg(target_arch = "x86_64")]
    {
        |m, bw, src, prev, cur, width, ri| {
            // SAFETY: `line` is only used after `available()` confirmed that
            // the CPU supports AVX2, LZCNT, BMI1 and BMI2 (see `pick_line`).
            unsafe { line_avx2::<NC, LOSSLESS, POW2, BITS>(m, bw, src, prev, cur, width, ri) }
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        encode_line::<NC, LOSSLESS, POW2, BITS>
    }
}
