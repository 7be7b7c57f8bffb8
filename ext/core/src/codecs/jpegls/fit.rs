//! The check behind the "precision above Bits Stored" tolerance: GDCM
//! encodes every JPEG-LS frame with precision Bits Allocated (also for 12
//! Bits Stored), which is harmless while the samples fit Bits Stored; when
//! they do not, fitting them to Bits Stored (as pydicom does) changes them,
//! and the report says so.

use crate::pixels::FrameReport;

/// `v` (a `bits`-bit field) sign-extended.
fn sign_extend(v: u32, bits: u32) -> i32 {
    let s = 32 - bits;
    ((v << s) as i32) >> s
}

/// Reports the samples of a `precision`-bit stream that Bits Stored `bs`
/// cannot hold (unsigned: bits above `bs`; signed: a value outside the
/// `bs`-bit two's complement range). Nothing when `precision <= bs`.
pub(crate) fn report_outside(
    samples: impl Iterator<Item = u32>,
    precision: u32,
    bs: u32,
    signed: bool,
    r: &mut FrameReport,
) {
    if precision <= bs || bs == 0 {
        return;
    }
    let n = samples
        .filter(|&v| {
            if signed {
                sign_extend(v, precision) != sign_extend(v, bs)
            } else {
                v >> bs != 0
            }
        })
        .count();
    if n > 0 {
        r.warn(format!(
            "{n} samples of the {precision}-bit stream do not fit Bits Stored {bs}: \
             their high bits were dropped"
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_samples_outside_bits_stored_are_reported() {
        let mut r = FrameReport::default();
        report_outside([0u32, 4095].into_iter(), 16, 12, false, &mut r);
        assert!(r.warnings.is_empty());
        report_outside([0xFFFBu32, 2047].into_iter(), 16, 12, true, &mut r);
        assert!(r.warnings.is_empty(), "{:?}", r.warnings);
        report_outside([4096u32, 1, 0x8000].into_iter(), 16, 12, false, &mut r);
        assert_eq!(r.warnings.len(), 1);
        assert!(r.warnings[0].starts_with("2 samples"), "{:?}", r.warnings);
        let mut r = FrameReport::default();
        report_outside([2048u32].into_iter(), 16, 12, true, &mut r);
        assert_eq!(r.warnings.len(), 1);
        let mut r = FrameReport::default();
        report_outside([4096u32].into_iter(), 12, 16, false, &mut r);
        assert!(r.warnings.is_empty());
    }
}
