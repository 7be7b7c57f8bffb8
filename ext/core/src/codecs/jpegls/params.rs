//! Coding parameters of a scan (T.87 Annex C.2.4 and A.2): MAXVAL, NEAR,
//! the gradient thresholds T1-T3, RESET, and what follows from them (RANGE,
//! qbpp, LIMIT), plus the gradient quantisation table.

use crate::error::{Error, Result};

/// BASIC_T1..3 of T.87 Table C.3.
const BASIC_T: [i32; 3] = [3, 7, 21];
/// Default RESET (T.87 Table C.2).
pub const DEFAULT_RESET: i32 = 64;
/// J[0..31] of T.87 A.7.1.1: run-length order per RUNindex.
pub const J: [u32; 32] = [
    0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 9, 10, 11, 12, 13,
    14, 15,
];

/// Preset coding parameters as an LSE marker segment (type 1) gives them;
/// 0 in a field means "the default".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Preset {
    pub maxval: u16,
    pub t1: u16,
    pub t2: u16,
    pub t3: u16,
    pub reset: u16,
}

/// `CLAMP(i, j, MAXVAL)` of T.87 C.2.4.1.1.1.
fn clamp(i: i32, j: i32, maxval: i32) -> i32 {
    if i > maxval || i < j {
        j
    } else {
        i
    }
}

/// Default thresholds T1, T2, T3 for `maxval` and `near` (T.87 C.2.4.1.1.1).
/// `legacy` computes them as two families of old encoders did (see the
/// module docs of `jpegls`): for MAXVAL > 4095 FACTOR from MAXVAL without the
/// 4095 ceiling (the Java JAI encoder), for MAXVAL < 128 the MAXVAL >= 128
/// formulas (CharLS before 2.1, so dcmtk's dcmjpls).
/// The two cases never overlap.
pub fn default_thresholds(maxval: i32, near: i32, legacy: bool) -> (i32, i32, i32) {
    if maxval >= 128 || legacy {
        let m = if legacy { maxval } else { maxval.min(4095) };
        let f = (m + 128) >> 8;
        let t1 = clamp(f * (BASIC_T[0] - 2) + 2 + 3 * near, near + 1, maxval);
        let t2 = clamp(f * (BASIC_T[1] - 3) + 3 + 5 * near, t1, maxval);
        let t3 = clamp(f * (BASIC_T[2] - 4) + 4 + 7 * near, t2, maxval);
        (t1, t2, t3)
    } else {
        let f = 256 / (maxval + 1);
        let t1 = clamp((BASIC_T[0] / f + 3 * near).max(2), near + 1, maxval);
        let t2 = clamp((BASIC_T[1] / f + 5 * near).max(3), t1, maxval);
        let t3 = clamp((BASIC_T[2] / f + 7 * near).max(4), t2, maxval);
        (t1, t2, t3)
    }
}

/// `ceil(log2(n))` for n >= 1.
fn log2_ceil(n: i32) -> i32 {
    32 - (n.max(1) as u32 - 1).leading_zeros() as i32
}

/// Everything the entropy coder of one scan needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Coding {
    pub maxval: i32,
    pub near: i32,
    pub t1: i32,
    pub t2: i32,
    pub t3: i32,
    pub reset: i32,
    /// RANGE = (MAXVAL + 2 NEAR) / (2 NEAR + 1) + 1.
    pub range: i32,
    /// qbpp = ceil(log2 RANGE).
    pub qbpp: u32,
    /// LIMIT = 2 (bpp + max(8, bpp)).
    pub limit: u32,
    /// 2 NEAR + 1.
    pub step: i32,
}

impl Coding {
    /// Resolves the parameters of a scan of `precision`-bit samples with
    /// `near`, given the preset parameters in force (`legacy`: the default
    /// thresholds of [`default_thresholds`]'s old encoders). Errors name the
    /// byte `at` (the scan header).
    pub fn new(precision: u8, near: u8, preset: &Preset, legacy: bool, at: u64) -> Result<Coding> {
        const CTX: &str = "JPEG-LS coding parameters";
        let full = (1i32 << precision) - 1;
        let maxval = if preset.maxval == 0 {
            full
        } else {
            preset.maxval as i32
        };
        if maxval > full {
            return Err(Error::malformed(
                at,
                CTX,
                format!("MAXVAL {maxval} exceeds {precision}-bit samples"),
            ));
        }
        let near = near as i32;
        if near > (maxval / 2).min(255) {
            return Err(Error::malformed(
                at,
                CTX,
                format!("NEAR {near} is above min(255, MAXVAL/2) for MAXVAL {maxval}"),
            ));
        }
        let (d1, d2, d3) = default_thresholds(maxval, near, legacy);
        let pick = |v: u16, d: i32| if v == 0 { d } else { v as i32 };
        let t1 = pick(preset.t1, d1);
        let t2 = pick(preset.t2, d2);
        let t3 = pick(preset.t3, d3);
        let reset = pick(preset.reset, DEFAULT_RESET);
        if !(near + 1..=maxval).contains(&t1)
            || !(t1..=maxval).contains(&t2)
            || !(t2..=maxval).contains(&t3)
        {
            return Err(Error::malformed(
                at,
                CTX,
                format!("thresholds T1 {t1}, T2 {t2}, T3 {t3} are invalid for MAXVAL {maxval} and NEAR {near}"),
            ));
        }
        if !(3..=maxval.max(255)).contains(&reset) {
            return Err(Error::malformed(
                at,
                CTX,
                format!("RESET {reset} is invalid"),
            ));
        }
        let step = 2 * near + 1;
        let range = (maxval + 2 * near) / step + 1;
        let bpp = log2_ceil(maxval + 1).max(2);
        Ok(Coding {
            maxval,
            near,
            t1,
            t2,
            t3,
            reset,
            range,
            qbpp: log2_ceil(range) as u32,
            limit: (2 * (bpp + bpp.max(8))) as u32,
            step,
        })
    }

    /// Initial value of the A counters: max(2, (RANGE + 32) / 64).
    pub fn a_init(&self) -> i32 {
        ((self.range + 32) / 64).max(2)
    }

    /// Quantised gradient Q(d) (T.87 A.3.3), as a signed digit -4..4 (the
    /// decoder's table is checked against it).
    #[cfg(test)]
    pub fn quantize(&self, d: i32) -> i8 {
        let (t1, t2, t3, n) = (self.t1, self.t2, self.t3, self.near);
        if d <= -t3 {
            -4
        } else if d <= -t2 {
            -3
        } else if d <= -t1 {
            -2
        } else if d < -n {
            -1
        } else if d <= n {
            0
        } else if d < t1 {
            1
        } else if d < t2 {
            2
        } else if d < t3 {
            3
        } else {
            4
        }
    }

    /// Corrects a reconstructed value (T.87 A.4.5 and C.2.4.1.1): modulo
    /// RANGE·(2 NEAR + 1) into -NEAR..MAXVAL+NEAR, then clamped to 0..MAXVAL.
    #[inline(always)]
    pub fn fix(&self, v: i32) -> i32 {
        let mut v = v;
        if v < -self.near {
            v += self.range * self.step;
        } else if v > self.maxval + self.near {
            v -= self.range * self.step;
        }
        v.clamp(0, self.maxval)
    }
}

/// Golomb parameter k: the least k with N·2^k >= A (T.87 A.5.1).
#[inline(always)]
pub fn golomb_k(n: i32, a: i32) -> u32 {
    let (n, a) = (n as u32, a as u32);
    let k = n.leading_zeros().saturating_sub(a.leading_zeros());
    k + ((n << k) < a) as u32
}

/// MED predictor (T.87 A.4.1) without branches (its comparisons are data
/// dependent and mispredict): `ra + rb - rc` clamped to
/// `[min(ra, rb), max(ra, rb)]`, which equals the standard's three cases
/// (`med_is_the_standards` in the encoder's tests).
#[inline(always)]
pub(crate) fn med(ra: i32, rb: i32, rc: i32) -> i32 {
    (ra + rb - rc).max(ra.min(rb)).min(ra.max(rb))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_thresholds_match_the_standard_tables() {
        // T.87 Table C.3 (8 bits) and the 12/16-bit values CharLS computes.
        assert_eq!(default_thresholds(255, 0, false), (3, 7, 21));
        assert_eq!(default_thresholds(4095, 0, false), (18, 67, 276));
        assert_eq!(default_thresholds(65535, 0, false), (18, 67, 276));
        assert_eq!(default_thresholds(255, 3, false), (12, 22, 42));
        assert_eq!(default_thresholds(15, 0, false), (2, 3, 4));
    }

    #[test]
    fn legacy_thresholds_are_those_old_encoders_wrote() {
        // JAI (> 12 bits): the LSE values GDCM's FixJAIBugJPEGLS example
        // inserts for 13 and 16 bits.
        assert_eq!(default_thresholds(8191, 0, true), (34, 131, 548));
        assert_eq!(default_thresholds(65535, 0, true), (258, 1027, 4356));
        // CharLS < 2.1 (dcmtk's dcmjpls) for 6 and 7 bits: FACTOR 0.
        assert_eq!(default_thresholds(127, 0, true), (2, 3, 4));
        assert_eq!(default_thresholds(63, 0, true), (2, 3, 4));
        assert_eq!(default_thresholds(127, 0, false), (2, 3, 10));
        assert_eq!(default_thresholds(63, 0, false), (2, 3, 5));
        // 8-12 bits: no legacy variant.
        for m in [255, 1023, 4095] {
            assert_eq!(
                default_thresholds(m, 1, true),
                default_thresholds(m, 1, false)
            );
        }
    }

    #[test]
    fn golomb_k_is_the_least_k() {
        for n in 1..300 {
            for a in 0..3000 {
                let mut k = 0;
                while (n << k) < a {
                    k += 1;
                }
                assert_eq!(golomb_k(n, a), k, "n {n} a {a}");
            }
        }
    }

    #[test]
    fn derived_values() {
        let c = Coding::new(8, 0, &Preset::default(), false, 0).unwrap();
        assert_eq!((c.range, c.qbpp, c.limit), (256, 8, 32));
        let c = Coding::new(16, 0, &Preset::default(), false, 0).unwrap();
        assert_eq!((c.range, c.qbpp, c.limit), (65536, 16, 64));
        let c = Coding::new(8, 3, &Preset::default(), false, 0).unwrap();
        assert_eq!((c.range, c.qbpp), (38, 6));
    }
}
