//! The BMI1/BMI2 builds of the row kernels and their run-time dispatch: the
//! only `unsafe` of the lossless decoder. Each unsafe call is guarded by
//! [`use_bmi2`] (CPU feature detection); `bmi2_and_portable_kernels_agree`
//! (jpeg/tests.rs) decodes every stream with both builds.

#![allow(unsafe_code)]

use super::fast::{Fast, Kernel, Pairs};
use super::kernels::*;
#[allow(unused_imports)]
use super::*;

/// Whether the row kernels run their BMI1/BMI2 builds (shlx/shrx on the bit
/// buffer without the shift count in CL), which they do for predictor 1
/// (and the first row of every interval): measured 2.5-4.5% faster on CT,
/// CR and RGB; with predictor 7 the same to 1-3% slower (CR, RGB).
/// Detected at run time; tests turn it off to cover the portable builds.
pub(super) fn use_bmi2() -> bool {
    #[cfg(test)]
    if NO_BMI2.with(|c| c.get()) {
        return false;
    }
    #[cfg(target_arch = "x86_64")]
    {
        std::is_x86_feature_detected!("bmi1") && std::is_x86_feature_detected!("bmi2")
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

#[cfg(test)]
thread_local! {
    /// Test switch: decode with the portable row kernels on this thread.
    pub(crate) static NO_BMI2: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Two builds of a row kernel: `$plain` (portable) and `$bmi2` (BMI1/BMI2,
/// an `unsafe fn`: the CPU must support both, see [`use_bmi2`]).
macro_rules! row_builds {
    ($kernel:ident, $plain:ident, $bmi2:ident, [$($gen:tt)*], [$($targ:tt)*], $ret:ty,
     ($($arg:ident: $ty:ty),*)) => {
        #[doc = concat!("[`", stringify!($kernel), "`], portable build.")]
        #[inline(never)]
        fn $plain<$($gen)*>(r: &mut BitReader, tab: Tab, $($arg: $ty),*) -> Result<$ret> {
            $kernel::<$($targ)*>(r, tab, $($arg),*)
        }

        #[doc = concat!("[`", stringify!($kernel), "`] built for BMI1/BMI2.")]
        ///
        /// # Safety
        /// The CPU must support BMI1 and BMI2 (see [`use_bmi2`]).
        #[cfg(target_arch = "x86_64")]
        #[target_feature(enable = "bmi1,bmi2")]
        #[inline(never)]
        unsafe fn $bmi2<$($gen)*>(r: &mut BitReader, tab: Tab, $($arg: $ty),*) -> Result<$ret> {
            $kernel::<$($targ)*>(r, tab, $($arg),*)
        }
    };
}

row_builds!(row_gray, row_gray_plain, row_gray_bmi2, [T: Sample, const PRED: u8], [T, PRED], usize,
    (cur: &mut [T], prev: &[T], first: u16, use_pairs: bool));
row_builds!(row_flat, row_flat_plain, row_flat_bmi2, [T: Sample, const N: usize, const PRED: u8],
    [T, N, PRED], (), (cur: &mut [T], prev: &[T], first: [u16; N]));

/// Decodes one row with the scan's kernel; returns the pair look-ups made
/// (0 when the pair path was not used).
#[inline(always)]
pub(super) fn row_any<T: Sample, const N: usize, const PRED: u8>(
    r: &mut BitReader,
    tabs: &[Tab; N],
    g: &Fast<N>,
    cur: &mut [T],
    prev: &[T],
    first: [u16; N],
    pairs: &Pairs,
) -> Result<usize> {
    match g.kernel {
        Kernel::Gray => {
            #[cfg(target_arch = "x86_64")]
            if g.bmi2 && PRED == 1 {
                // SAFETY: `g.bmi2` comes from `use_bmi2`, true only when the
                // CPU reports BMI1 and BMI2. Covered by `bmi2_and_portable_kernels_agree`.
                return unsafe {
                    row_gray_bmi2::<T, PRED>(r, tabs[0], cur, prev, first[0], pairs.on)
                };
            }
            row_gray_plain::<T, PRED>(r, tabs[0], cur, prev, first[0], pairs.on)
        }
        Kernel::Flat => {
            #[cfg(target_arch = "x86_64")]
            if g.bmi2 && PRED == 1 {
                // SAFETY: as for `Kernel::Gray` above.
                return unsafe { row_flat_bmi2::<T, N, PRED>(r, tabs[0], cur, prev, first) }
                    .map(|()| 0);
            }
            row_flat_plain::<T, N, PRED>(r, tabs[0], cur, prev, first).map(|()| 0)
        }
        Kernel::Generic => {
            row_generic::<T, N, PRED>(r, tabs, cur, prev, g.width, g.stride, &g.offs, first)
                .map(|()| 0)
        }
    }
}
