//! Progressive (SOF2) scans (T.81 G.1.2): DC first and refinement scans,
//! AC first (spectral selection with end-of-band runs) and AC refinement
//! (successive approximation), decoded into 16-bit coefficients as libjpeg
//! keeps them; [`finish`] dequantises and transforms all blocks at the end.

use super::arch::Idct;
use super::frame::{Comp, Frame, Scan};
use super::huff::Table;
use super::idct::dc_only;
use super::scan::{bits, symbol, Sink, ZZ};
use super::Px;
use crate::codecs::jpeg::bitreader::{Bits, Cold};
use crate::error::{Error, Result};

/// Checks the scan parameters as libjpeg does (`JERR_BAD_PROGRESSION`).
pub(super) fn check(scan: &Scan) -> Result<()> {
    let ok = if scan.ss == 0 {
        scan.se == 0
    } else {
        scan.ss <= scan.se && scan.se < 64 && scan.comps.len() == 1
    } && (scan.ah == 0 || scan.al + 1 == scan.ah)
        && scan.al <= 13;
    if ok {
        Ok(())
    } else {
        Err(Error::malformed(
            scan.offset as u64,
            super::CTX,
            format!(
                "invalid progressive scan: Ss={} Se={} Ah={} Al={} with {} components",
                scan.ss,
                scan.se,
                scan.ah,
                scan.al,
                scan.comps.len()
            ),
        ))
    }
}

/// One progressive scan.
pub(super) struct Progressive<'a, T> {
    pub comps: &'a mut [Comp<T>],
    pub tabs: Vec<(usize, &'a Table, &'a Table)>,
    pub ss: usize,
    pub se: usize,
    pub ah: u32,
    pub al: u32,
    pub eobrun: u32,
    pub bad: bool,
}

impl<T: Px> Sink for Progressive<'_, T> {
    #[inline(always)]
    fn block(&mut self, b: &mut Bits, c: &mut Cold, k: usize, bx: usize, by: usize, skip: bool) {
        if skip {
            return;
        }
        let (ci, dc, ac) = self.tabs[k];
        let comp = &mut self.comps[ci];
        let at = (by * comp.bw + bx) * 64;
        let blk = &mut comp.coefs[at..at + 64];
        let al = self.al;
        if self.ss == 0 {
            if self.ah == 0 {
                let (_, diff) = symbol(b, c, dc, &mut self.bad);
                comp.pred = comp.pred.wrapping_add(diff);
                blk[0] = (comp.pred as u32).wrapping_shl(al) as i16;
            } else if bits(b, c, 1) != 0 {
                blk[0] |= (1u32 << al) as i16;
            }
            return;
        }
        if self.ah == 0 {
            if self.eobrun > 0 {
                self.eobrun -= 1;
                return;
            }
            let mut k = self.ss;
            while k <= self.se {
                let (rs, v) = symbol(b, c, ac, &mut self.bad);
                let r = (rs >> 4) as usize;
                if rs & 15 != 0 {
                    k += r;
                    blk[ZZ[k]] = (v as u32).wrapping_shl(al) as i16;
                } else if r == 15 {
                    k += 15;
                } else {
                    self.eobrun = (1u32 << r) + bits(b, c, r as u32) - 1;
                    break;
                }
                k += 1;
            }
            return;
        }
        self.refine(b, c, ac, ci, at);
    }

    fn restart(&mut self) {
        self.eobrun = 0;
        for &(ci, _, _) in &self.tabs {
            self.comps[ci].pred = 0;
        }
    }

    fn bad_code(&self) -> bool {
        self.bad
    }
}

impl<T> Progressive<'_, T> {
    /// AC successive-approximation refinement of one block (G.1.2.3).
    #[inline(always)]
    fn refine(&mut self, b: &mut Bits, c: &mut Cold, ac: &Table, ci: usize, at: usize) {
        let blk = &mut self.comps[ci].coefs[at..at + 64];
        let p1 = 1i16 << self.al;
        let m1 = (-1i16).wrapping_shl(self.al);
        let mut k = self.ss;
        let se = self.se;
        let bump = |b: &mut Bits, c: &mut Cold, coef: &mut i16| {
            if bits(b, c, 1) != 0 && (*coef & p1) == 0 {
                *coef = coef.wrapping_add(if *coef >= 0 { p1 } else { m1 });
            }
        };
        if self.eobrun == 0 {
            while k <= se {
                let (rs, v) = symbol(b, c, ac, &mut self.bad);
                let mut r = (rs >> 4) as i32;
                let mut s = 0i16;
                if rs & 15 != 0 {
                    s = if v > 0 { p1 } else { m1 };
                } else if r != 15 {
                    self.eobrun = (1u32 << r) + bits(b, c, r as u32);
                    break;
                }
                loop {
                    let coef = &mut blk[ZZ[k]];
                    if *coef != 0 {
                        bump(b, c, coef);
                    } else {
                        r -= 1;
                        if r < 0 {
                            break;
                        }
                    }
                    k += 1;
                    if k > se {
                        break;
                    }
                }
                if s != 0 {
                    blk[ZZ[k]] = s;
                }
                k += 1;
            }
        }
        if self.eobrun > 0 {
            while k <= se {
                let coef = &mut blk[ZZ[k]];
                if *coef != 0 {
                    bump(b, c, coef);
                }
                k += 1;
            }
            self.eobrun -= 1;
        }
    }
}

/// Dequantises and transforms every block of a progressive frame.
pub(super) fn finish<T: Px>(f: &Frame, comps: &mut [Comp<T>], idct: Idct) {
    let bitsz = f.precision;
    for comp in comps.iter_mut() {
        let q = comp.q.unwrap_or([0; 64]);
        let stride = comp.stride();
        let mut blk = [0i32; 64];
        for by in 0..comp.bh {
            for bx in 0..comp.bw {
                let at = (by * comp.bw + bx) * 64;
                let co = &comp.coefs[at..at + 64];
                let mut any = false;
                for i in 0..64 {
                    blk[i] = co[i] as i32 * q[i];
                    any |= i > 0 && co[i] != 0;
                }
                let o = by * 8 * stride + bx * 8;
                let out = &mut comp.plane[o..o + 7 * stride + 8];
                if any {
                    idct.run(&blk, out, stride, bitsz);
                } else {
                    let v = T::from_i32(dc_only(blk[0], bitsz));
                    for r in 0..8 {
                        out[r * stride..r * stride + 8].fill(v);
                    }
                }
            }
        }
    }
}
