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
use std::cell::RefCell;
use std::sync::Arc;

/// Width of the look-up index in bits.
pub const LUT_BITS: u32 = 12;
const LUT_SIZE: usize = 1 << LUT_BITS;

/// Entry flag: the value (and its extra bits) is included.
pub const COMPLETE: u32 = 0x40;

/// An AC reading of a [`Table::lut`] entry (an intermediate table of
/// [`Table::new`]): a complete AC coefficient symbol (or ZRL, a
/// run of 15 with value 0): bits 0..6 the bits to consume (code and extra
/// bits), bits 8..12 the run, bits 16..32 the value (i16).
pub const AC_COEF: u32 = 0x40;
/// [`Table::ac2`] entries (64 bits): bits 0..6 the bits to consume for both
/// symbols, [`AC2_COEF`] (the first symbol is a coefficient or ZRL, run in
/// bits 8..12, value in bits 32..48) or [`AC2_EOB`] (end of block); a
/// second symbol that fits in the rest of the index is [`AC2_COEF2`] (run in
/// bits 12..16, value in bits 48..64) or [`AC2_EOB2`]; bits 20..26 the bits
/// of the first symbol alone. 0: see [`Table::lut`].
pub const AC2_COEF: u64 = 0x40;
/// See [`AC2_COEF`].
pub const AC2_EOB: u64 = 0x80;
/// See [`AC2_COEF`].
pub const AC2_COEF2: u64 = 1 << 16;
/// See [`AC2_COEF`].
pub const AC2_EOB2: u64 = 1 << 17;

/// An AC reading of a [`Table::lut`] entry: end of block (a symbol of size 0 and a run
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

/// Tables kept per thread by [`Table::cached`] (four DC and four AC
/// tables: every table a colour stream can define).
const CACHE_SIZE: usize = 8;

/// A cached table: (AC table, `bits`, `vals`, the table).
type Cached = (bool, [u8; 17], Vec<u8>, Arc<Table>);

thread_local! {
    static CACHE: RefCell<Vec<Cached>> = const { RefCell::new(Vec::new()) };
}

/// Derived tables for one DHT table.
pub struct Table {
    /// See the module doc: bits 0..6 bits to consume, bit 6 [`COMPLETE`],
    /// bits 8..16 the symbol, bits 16..32 the value (i16) when complete.
    pub lut: Box<[u32; LUT_SIZE]>,
    /// Two AC symbols per look-up where both fit in the index: see
    /// [`AC2_COEF`].
    pub ac2: Box<[u64; LUT_SIZE]>,
    maxcode: [i32; 18],
    valoff: [i32; 17],
    vals: [u8; 256],
}

impl Table {
    /// Builds the tables of an AC table (tests; the decoder uses
    /// [`Table::cached`]).
    #[cfg(test)]
    pub fn new(spec: &HuffSpec) -> Table {
        Table::build(spec, true)
    }

    /// The tables of a DHT table (the spec was validated by the DHT
    /// parser): with `ac`, [`Table::ac2`] too (a DC table leaves it empty,
    /// all slow entries). Shared with the
    /// previous streams this thread decoded that defined the same table:
    /// the frames of a multi-frame file (and most files of one encoder)
    /// repeat their tables, and building one costs as much as decoding
    /// tens of blocks. The cache holds the [`CACHE_SIZE`] tables used last.
    pub fn cached(spec: &HuffSpec, ac: bool) -> Arc<Table> {
        CACHE.with(|c| {
            let mut c = c.borrow_mut();
            let hit = c.iter().position(|(k_ac, k_bits, k_vals, _)| {
                *k_ac == ac && *k_bits == spec.bits && *k_vals == spec.vals
            });
            let entry = match hit {
                Some(i) => c.remove(i),
                None => {
                    let t = Arc::new(Table::build(spec, ac));
                    if c.len() == CACHE_SIZE {
                        c.pop();
                    }
                    (ac, spec.bits, spec.vals.clone(), t)
                }
            };
            let t = Arc::clone(&entry.3);
            c.insert(0, entry);
            t
        })
    }

    fn build(spec: &HuffSpec, with_ac: bool) -> Table {
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
        for (a, &e) in ac.iter_mut().zip(lut.iter()).filter(|_| with_ac) {
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
        let mut ac2: Box<[u64; LUT_SIZE]> = Box::new([0u64; LUT_SIZE]);
        for (i, a2) in ac2.iter_mut().enumerate().filter(|_| with_ac) {
            let e = ac[i] as u64;
            let n1 = e & 63;
            if e & AC_EOB as u64 != 0 {
                *a2 = n1 | AC2_EOB;
                continue;
            }
            if e & AC_COEF as u64 == 0 {
                continue;
            }
            let mut v = n1 | AC2_COEF | (((e >> 8) & 15) << 8) | ((e >> 16) << 32) | (n1 << 20);
            let rest = LUT_BITS as u64 - n1;
            let f = ac[(i << n1) & (LUT_SIZE - 1)] as u64;
            let n2 = f & 63;
            if rest > 0 && n2 <= rest {
                if f & AC_EOB as u64 != 0 {
                    v = (v & !63) | (n1 + n2) | AC2_EOB2;
                } else if f & AC_COEF as u64 != 0 {
                    v = (v & !63)
                        | (n1 + n2)
                        | AC2_COEF2
                        | (((f >> 8) & 15) << 12)
                        | ((f >> 16) << 48);
                }
            }
            *a2 = v;
        }
        Table {
            lut,
            ac2,
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

/// Tests: an AC table with the code lengths of T.81's luminance AC table
/// and every run/size symbol (EOB, ZRL and the short symbols first).
#[cfg(test)]
pub(super) fn ac_test_spec() -> HuffSpec {
    let mut bits = [0u8; 17];
    bits[1..].copy_from_slice(&[0, 2, 1, 3, 3, 2, 4, 3, 5, 5, 4, 4, 0, 0, 1, 0x7d]);
    let mut vals: Vec<u8> = vec![0x01, 0x02, 0x00, 0xF0];
    for r in 0..16u8 {
        for s in 1..=10u8 {
            if !vals.contains(&(r << 4 | s)) {
                vals.push(r << 4 | s);
            }
        }
    }
    HuffSpec { bits, vals }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The cache gives the table built last for the same spec and kind,
    /// equal to a fresh build, and forgets the least recently used one.
    #[test]
    fn cached_tables_are_shared_and_equal_fresh_builds() {
        let spec = ac_test_spec();
        let a = Table::cached(&spec, true);
        assert!(Arc::ptr_eq(&a, &Table::cached(&spec, true)));
        let fresh = Table::new(&spec);
        assert_eq!((&a.lut[..], &a.ac2[..]), (&fresh.lut[..], &fresh.ac2[..]));
        let dc = Table::cached(&spec, false);
        assert!(!Arc::ptr_eq(&a, &dc));
        assert_eq!(&dc.lut[..], &fresh.lut[..]);
        assert!(dc.ac2.iter().all(|&e| e == 0));
        for i in 0..CACHE_SIZE {
            let mut other = ac_test_spec();
            other.vals.swap(0, i + 1);
            let t = Table::cached(&other, true);
            assert_eq!(&t.ac2[..], &Table::new(&other).ac2[..]);
        }
        let b = Table::cached(&spec, true);
        assert!(!Arc::ptr_eq(&a, &b));
        assert_eq!(&b.ac2[..], &fresh.ac2[..]);
    }

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

    /// The two-symbol AC table gives what decoding the bits one code at a
    /// time gives: first symbol, its value and length, and a second symbol
    /// exactly when it fits in the index.
    #[test]
    fn ac2_agrees_with_bitwise_decoding() {
        let spec = ac_test_spec();
        assert_eq!(spec.vals.len(), 162);
        let codes = spec.codes().unwrap();
        let t = Table::new(&spec);
        // (length with extra bits, run, value, is EOB) of the code at the top.
        let one = |buf: u64| -> Option<(u64, u64, i32, bool)> {
            let &(l, _, sym) = codes
                .iter()
                .find(|&&(l, c, _)| (buf >> (64 - l)) as u32 == c)?;
            let (r, s) = ((sym >> 4) as u64, (sym & 15) as u32);
            let v = if s > 0 {
                extend(((buf << l) >> (64 - s)) as u32, s)
            } else {
                0
            };
            Some((l as u64 + s as u64, r, v, s == 0 && r != 15))
        };
        let mut st = 0x9e37_79b9_7f4a_7c15u64;
        let (mut pairs, mut n) = (0, 0);
        for _ in 0..50000 {
            st ^= st << 13;
            st ^= st >> 7;
            st ^= st << 17;
            let buf = st;
            let e = t.ac2[(buf >> 52) as usize];
            let Some((n1, r1, v1, eob1)) = one(buf) else {
                assert_eq!(e, 0);
                continue;
            };
            if n1 > LUT_BITS as u64 {
                assert_eq!(e, 0);
                continue;
            }
            n += 1;
            if eob1 {
                assert_eq!(e, n1 | AC2_EOB);
                continue;
            }
            assert!(e & AC2_COEF != 0);
            assert_eq!(((e >> 8) & 15, (e >> 32) as i16 as i32), (r1, v1));
            assert_eq!((e >> 20) & 63, n1);
            let second = one(buf << n1).filter(|x| x.0 + n1 <= LUT_BITS as u64);
            match second {
                None => {
                    assert_eq!(e & (AC2_COEF2 | AC2_EOB2), 0);
                    assert_eq!(e & 63, n1);
                }
                Some((n2, r2, v2, eob2)) => {
                    pairs += 1;
                    assert_eq!(e & 63, n1 + n2);
                    if eob2 {
                        assert!(e & AC2_EOB2 != 0 && e & AC2_COEF2 == 0);
                    } else {
                        assert!(e & AC2_COEF2 != 0 && e & AC2_EOB2 == 0);
                        assert_eq!(((e >> 12) & 15, (e >> 48) as i16 as i32), (r2, v2));
                    }
                }
            }
        }
        assert!(pairs > 1000 && n > 20000, "{pairs} pairs of {n}");
    }
}
