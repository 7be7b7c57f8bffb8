//! Huffman decoding tables of DCT JPEG (T.81 F.2.2.3, Annex C).
//!
//! A symbol is `RS` (run in the high nibble, size in the low nibble; DC
//! symbols have run 0). [`Table::lut`] is indexed by the next [`LUT_BITS`]
//! bits of the stream and gives, in one load:
//! * **complete** entries ([`COMPLETE`]): code and extra bits both fit in the
//!   index; the entry holds the bits to consume, the symbol and the
//!   sign-extended value (the case of ~99 % of symbols at 12 index bits);
//! * **partial** entries: the code fits but not its extra bits; the entry
//!   holds the code length and the symbol, the caller reads the extra bits;
//! * **slow** entries (0): codes longer than [`LUT_BITS`], decoded by
//!   [`Table::slow`].

use crate::codecs::jpeg::huffman::HuffSpec;

/// Width of the look-up index in bits.
pub const LUT_BITS: u32 = 12;
const LUT_SIZE: usize = 1 << LUT_BITS;

/// Entry flag: the value (and its extra bits) is included.
pub const COMPLETE: u32 = 0x40;

/// [`Table::ac`] entry flag: a complete AC coefficient symbol (or ZRL, a
/// run of 15 with value 0): bits 0..6 the bits to consume (code and extra
/// bits), bits 8..12 the run, bits 16..32 the value (i16).
pub const AC_COEF: u32 = 0x40;
/// [`Table::ac`] entry flag: end of block (a symbol of size 0 and a run
/// other than 15); bits 0..6 the code length.
pub const AC_EOB: u32 = 0x80;

/// Sign extension of the `s` extra bits `v` (F.2.2.1, Figure F.12), s >= 1.
#[inline(always)]
pub fn extend(v: u32, s: u32) -> i32 {
    let v = v as i32;
    // v < 2^(s-1): negative, v - (2^s - 1).
    let neg = (v - (1 << (s - 1))) >> 31;
    v + (neg & ((-1i32 << s) + 1))
}

/// Derived tables for one DHT table.
pub struct Table {
    /// See the module doc: bits 0..6 bits to consume, bit 6 [`COMPLETE`],
    /// bits 8..16 the symbol, bits 16..32 the value (i16) when complete.
    pub lut: Box<[u32; LUT_SIZE]>,
    /// The same index read as an AC table: [`AC_COEF`] and [`AC_EOB`]
    /// entries; 0 where [`Table::lut`] must be used (codes or extra bits
    /// longer than the index).
    pub ac: Box<[u32; LUT_SIZE]>,
    maxcode: [i32; 18],
    valoff: [i32; 17],
    vals: [u8; 256],
}

impl Table {
    /// Builds the tables (the spec was validated by the DHT parser).
    pub fn new(spec: &HuffSpec) -> Table {
        let codes = spec.codes().unwrap_or_default();
        let mut maxcode = [-1i32; 18];
        maxcode[17] = i32::MAX;
        let mut valoff = [0i32; 17];
        let mut k = 0usize;
        for l in 1..=16usize {
            let n = spec.bits[l] as usize;
            if n > 0 && k + n <= codes.len() {
                let first = codes[k].1 as i32;
                valoff[l] = k as i32 - first;
                maxcode[l] = codes[k + n - 1].1 as i32;
                k += n;
            }
        }
        let mut vals = [0u8; 256];
        let n = spec.vals.len().min(256);
        vals[..n].copy_from_slice(&spec.vals[..n]);
        let mut lut: Box<[u32; LUT_SIZE]> = Box::new([0u32; LUT_SIZE]);
        for &(l, code, sym) in &codes {
            if l > LUT_BITS {
                continue;
            }
            let s = (sym & 15) as u32;
            let base = (code << (LUT_BITS - l)) as usize;
            let span = 1usize << (LUT_BITS - l);
            let rs = (sym as u32) << 8;
            if s == 0 {
                lut[base..base + span].fill(rs | COMPLETE | l);
            } else if l + s <= LUT_BITS {
                let t = l + s;
                let sub = 1usize << (LUT_BITS - t);
                for v in 0..(1u32 << s) {
                    let d = extend(v, s) as i16 as u16 as u32;
                    let at = base + (v as usize) * sub;
                    lut[at..at + sub].fill((d << 16) | rs | COMPLETE | t);
                }
            } else {
                lut[base..base + span].fill(rs | l);
            }
        }
        let mut ac: Box<[u32; LUT_SIZE]> = Box::new([0u32; LUT_SIZE]);
        for (a, &e) in ac.iter_mut().zip(lut.iter()) {
            if e & COMPLETE == 0 {
                continue;
            }
            let rs = (e >> 8) & 255;
            let (r, s) = (rs >> 4, rs & 15);
            *a = if s == 0 && r != 15 {
                (e & 63) | AC_EOB
            } else {
                (e & 0xFFFF_0000) | (r << 8) | AC_COEF | (e & 63)
            };
        }
        Table {
            lut,
            ac,
            maxcode,
            valoff,
            vals,
        }
    }

    /// Decodes a code the look-up table could not: `(code length, symbol)`,
    /// from `buf` (at least 16 valid bits, MSB first). An invalid code gives
    /// `(16, 0)` and `false`, as libjpeg does (symbol 0 after a warning).
    #[cold]
    #[inline(never)]
    pub fn slow(&self, buf: u64) -> (u32, u32, bool) {
        let code16 = (buf >> 48) as i32;
        for l in 1..=16u32 {
            let c = code16 >> (16 - l);
            if c <= self.maxcode[l as usize] {
                let k = (c + self.valoff[l as usize]) as usize;
                return (l, self.vals[k & 255] as u32, true);
            }
        }
        (16, 0, false)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extend_matches_figure_f12() {
        for s in 1..=15u32 {
            for v in 0..(1u32 << s) {
                let want = if v < (1 << (s - 1)) {
                    v as i32 - (1 << s) + 1
                } else {
                    v as i32
                };
                assert_eq!(extend(v, s), want);
            }
        }
    }

    #[test]
    fn lut_agrees_with_bitwise_decoding() {
        // Standard luminance AC table (K.5) plus a long code.
        let mut bits = [0u8; 17];
        bits[1..].copy_from_slice(&[0, 2, 1, 3, 3, 2, 4, 3, 5, 5, 4, 4, 0, 0, 1, 0x7d]);
        let vals: Vec<u8> = (0..162u32).map(|i| ((i * 7) % 251) as u8).collect();
        let spec = HuffSpec { bits, vals };
        let codes = spec.codes().unwrap();
        let t = Table::new(&spec);
        let mut st = 0x1234_5678_9abc_def1u64;
        for _ in 0..20000 {
            st ^= st << 13;
            st ^= st >> 7;
            st ^= st << 17;
            let buf = st;
            let (mut want_l, mut want_sym) = (0, 0);
            for &(l, c, s) in &codes {
                if (buf >> (64 - l)) as u32 == c {
                    (want_l, want_sym) = (l, s as u32);
                    break;
                }
            }
            if want_l == 0 {
                assert!(!t.slow(buf).2);
                continue;
            }
            let e = t.lut[(buf >> 52) as usize];
            let (l, sym) = if e & 63 == 0 {
                let (l, s, ok) = t.slow(buf);
                assert!(ok);
                (l, s)
            } else if e & COMPLETE != 0 {
                let sym = (e >> 8) & 255;
                let s = sym & 15;
                let l = (e & 63) - s;
                if s > 0 {
                    let v = ((buf << l) >> (64 - s)) as u32;
                    assert_eq!((e >> 16) as i16 as i32, extend(v, s));
                }
                (l, sym)
            } else {
                (e & 63, (e >> 8) & 255)
            };
            assert_eq!((l, sym), (want_l, want_sym));
        }
    }
}
