//! The encoder's line loop compiled a second time for x86-64 CPUs with
//! LZCNT, BMI1 and BMI2, chosen at run time (as the decoder's `arch`: same
//! source, same output, only the instruction selection differs). Tests run
//! both this and the portable build.
#![allow(unsafe_code)]

use super::{encode_line, BitWriter, Model};

/// A line encoder: model, writer, source line, previous and current line
/// buffers, width, run index.
pub type LineFn = fn(&mut Model, &mut BitWriter, &[i32], &mut [i32], &mut [i32], usize, &mut usize);

/// Whether this CPU runs [`line`].
pub fn available() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        std::arch::is_x86_feature_detected!("lzcnt")
            && std::arch::is_x86_feature_detected!("bmi1")
            && std::arch::is_x86_feature_detected!("bmi2")
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "lzcnt,bmi1,bmi2")]
unsafe fn line_bmi2<const NC: usize>(
    m: &mut Model,
    bw: &mut BitWriter,
    src: &[i32],
    prev: &mut [i32],
    cur: &mut [i32],
    width: usize,
    ri: &mut usize,
) {
    encode_line::<NC>(m, bw, src, prev, cur, width, ri)
}

/// The line encoder for `NC` components built with LZCNT/BMI2. Only call
/// the result when [`available`] says so.
pub fn line<const NC: usize>() -> LineFn {
    #[cfg(target_arch = "x86_64")]
    {
        |m, bw, src, prev, cur, width, ri| {
            // SAFETY: `line` is only used after `available()` confirmed that
            // the CPU supports LZCNT, BMI1 and BMI2 (see `pick_line`).
            unsafe { line_bmi2::<NC>(m, bw, src, prev, cur, width, ri) }
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        encode_line::<NC>
    }
}
