//! Huffman tables of lossless JPEG (T.81 Annex C, F.2.2.3 and H.2.2) and the
//! look-up tables the decode loop uses.
//!
//! A lossless Huffman symbol is a difference category SSSS (0..=16); SSSS
//! extra bits follow the code and give the difference (F.2.2.1, Table H.2),
//! except for SSSS = 16 whose difference is always 32768 with no extra bits.
//!
//! [`DecodeTable::lut`] is indexed by the next [`LUT_BITS`] bits of the
//! stream and returns, in one step:
//! * **full** entries: code and extra bits both fit in the index; the entry
//!   holds the total length and the sign-extended difference;
//! * **partial** entries: the code fits but its extra bits do not; the entry
//!   holds the code length and SSSS, the caller reads the extra bits;
//! * **slow** entries: longer codes, symbols that need special handling
//!   (SSSS > 16, SSSS = 16 with the Cornell workaround): [`DecodeTable::decode_slow`].
//!
//! [`DecodeTable::pair`], built only when it pays, returns two full
//! differences at once (see [`DecodeTable::pair_density`]).

use crate::error::{Error, Result};

/// Width of the look-up index in bits (12: measured sweet spot, see
/// `shared/notes/speed.md`).
pub const LUT_BITS: u32 = 12;
/// Entries of a look-up table.
pub const LUT_SIZE: usize = 1 << LUT_BITS;

/// `lut` entry that sends the decoder to [`DecodeTable::decode_slow`].
pub const SLOW: u32 = 0xFF00;

/// [`DecodeTable::pair`] entry flag: two differences.
pub const PAIR_TWO: u32 = 0x40;

/// The differences (mod 2^16) of a non-zero [`DecodeTable::pair`] entry `e`
/// when `buf` (at least `e & 0x3F` valid bits, MSB first) starts with its
/// codes: `(first, second)`, the second 0 without [`PAIR_TWO`].
#[inline(always)]
pub fn pair_diffs(buf: u64, e: u32) -> (u16, u16) {
    let (a1, a2) = pair_sums(buf, e, 0);
    (a1, a2.wrapping_sub(a1))
}

/// `a` plus the differences of a non-zero [`DecodeTable::pair`] entry `e`
/// (see [`pair_diffs`]): `(a + first, a + first + second)`.
#[inline(always)]
pub fn pair_sums(buf: u64, e: u32, a: u16) -> (u16, u16) {
    let m = (1u32 << ((e >> 8) & 0xF)) - 1;
    let x = (buf >> (64 - (e & 0x3F))) as u32 & m;
    // F.2.2.1: extra bits below 2^(s-1) give a negative difference, x - m.
    // Arithmetic rather than a comparison, which the compiler may turn
    // into an unpredictable branch (x < 2^15: bit 31 is the borrow).
    let below = x.wrapping_sub((m >> 1) + 1) >> 31;
    let ext = x.wrapping_sub(m & 0u32.wrapping_sub(below));
    let a1 = (a as u32).wrapping_add(e >> 16);
    let a2 = a1.wrapping_add(ext);
    // The extra bits belong to the second difference with PAIR_TWO.
    let a1 = if e & PAIR_TWO != 0 { a1 } else { a2 };
    (a1 as u16, a2 as u16)
}

/// A Huffman table as defined by a DHT segment (class 0, "DC/lossless").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HuffSpec {
    /// `bits[l]`: number of codes of length `l` (index 0 unused).
    pub bits: [u8; 17],
    /// Symbols in order of increasing code length.
    pub vals: Vec<u8>,
}

impl HuffSpec {
    /// Canonical codes (Annex C, Figures C.1 and C.2): `(length, code, symbol)`.
    /// Fails when the counts do not describe a prefix code. As in DCMTK and
    /// libjpeg 6b, a code made only of 1-bits is accepted (some encoders emit it).
    pub fn codes(&self) -> std::result::Result<Vec<(u32, u32, u8)>, String> {
        let total: usize = self.bits[1..].iter().map(|&b| b as usize).sum();
        if total != self.vals.len() {
            return Err(format!(
                "{} code lengths but {} symbols",
                total,
                self.vals.len()
            ));
        }
        if total > 256 {
            return Err(format!("{total} symbols (at most 256)"));
        }
        let mut out = Vec::with_capacity(total);
        let mut code: u32 = 0;
        let mut k = 0usize;
        for l in 1..=16u32 {
            for _ in 0..self.bits[l as usize] {
                out.push((l, code, self.vals[k]));
                code += 1;
                k += 1;
            }
            if code > (1 << l) {
                return Err(format!("too many codes of length {l} or less"));
            }
            code <<= 1;
        }
        Ok(out)
    }
}

/// Sign extension of `v` as an `s`-bit difference (F.2.2.1, Figure F.12).
#[inline(always)]
pub fn extend(v: u32, s: u32) -> i32 {
    if v < (1u32 << (s - 1)) {
        v as i32 - (1i32 << s) + 1
    } else {
        v as i32
    }
}

/// How the decoder should treat SSSS = 16 (and 17-bit codes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Ssss16 {
    /// T.81: difference 32768, no extra bits.
    #[default]
    Standard,
    /// Workaround for the buggy Cornell 16-bit encoder (as DCMTK's
    /// `WORKAROUND_BUGGY_CORNELL_16BIT_JPEG_ENCODER`): an unmatched code after
    /// 16 bits is a 17-bit SSSS = 16 code, and the 16 extra bits the encoder
    /// wrote after SSSS = 16 (0x8000 or 0x7FFF) are skipped.
    Cornell,
}

/// Derived decoding tables for one Huffman table.
pub struct DecodeTable {
    /// One entry per [`LUT_BITS`]-bit prefix; see the module doc.
    pub lut: Box<[u32; LUT_SIZE]>,
    /// One or two differences per look-up (built by [`Self::build_pair`]),
    /// 32 bits so that the table (16 KiB) stays in L1 beside the data: the
    /// entry gives the bits to consume whether or not the extra bits of the
    /// last code fit in the index, so one look-up covers two samples whenever
    /// the first code with its extra bits and the second code (not its extra
    /// bits) fit. Bits 0..6 the bits to consume (1..=27; entry 0: the first
    /// code is longer than the index or needs the slow path, use `lut`),
    /// bit 6 ([`PAIR_TWO`]) two differences, bits 8..12 the number of extra
    /// bits that end the consumed bits (of the second code with
    /// [`PAIR_TWO`], else of the first), bits 16..32 the first difference
    /// without those extra bits. [`pair_diffs`] decodes an entry.
    pub pair: Option<Box<[u32; LUT_SIZE]>>,
    /// Fraction of `pair` slots that hold two differences.
    pub pair_density: f64,
    /// Largest code of each length, -1 when none (F.2.2.3).
    maxcode: [i32; 17],
    /// `vals` index of a code of length l is `code + valoff[l]`.
    valoff: [i32; 17],
    vals: [u8; 256],
    nvals: usize,
    mode: Ssss16,
}

/// Outcome of the slow path: bits consumed and difference (mod 2^16).
pub type Slow = std::result::Result<(u32, u16), &'static str>;

impl DecodeTable {
    /// Builds the derived tables for `spec`.
    pub fn new(spec: &HuffSpec, mode: Ssss16) -> Result<DecodeTable> {
        let codes = spec
            .codes()
            .map_err(|m| Error::malformed(0, "JPEG Huffman table", m))?;
        let mut maxcode = [-1i32; 17];
        let mut valoff = [0i32; 17];
        let mut k = 0usize;
        for l in 1..=16usize {
            let n = spec.bits[l] as usize;
            if n > 0 {
                let first = codes[k].1 as i32;
                valoff[l] = k as i32 - first;
                maxcode[l] = codes[k + n - 1].1 as i32;
                k += n;
            }
        }
        let mut vals = [0u8; 256];
        vals[..spec.vals.len()].copy_from_slice(&spec.vals);
        let mut lut: Box<[u32; LUT_SIZE]> = Box::new([SLOW; LUT_SIZE]);
        for &(l, code, sym) in &codes {
            if l > LUT_BITS {
                continue;
            }
            let s = sym as u32;
            let base = (code << (LUT_BITS - l)) as usize;
            let span = 1usize << (LUT_BITS - l);
            match s {
                0 => lut[base..base + span].fill(l),
                16 if mode == Ssss16::Standard => lut[base..base + span].fill(0x8000_0000 | l),
                1..=15 if l + s <= LUT_BITS => {
                    let t = l + s;
                    let sub = 1usize << (LUT_BITS - t);
                    for v in 0..(1u32 << s) {
                        let d = extend(v, s) as u16 as u32;
                        let at = base + (v as usize) * sub;
                        lut[at..at + sub].fill((d << 16) | t);
                    }
                }
                1..=15 => lut[base..base + span].fill((s << 8) | l),
                _ => {} // SLOW
            }
        }
        Ok(DecodeTable {
            lut,
            pair: None,
            pair_density: 0.0,
            maxcode,
            valoff,
            vals,
            nvals: spec.vals.len(),
            mode,
        })
    }

    /// Builds [`Self::pair`] when at least `min_density` of its slots hold
    /// two full differences (it only pays then); returns that fraction.
    pub fn build_pair(&mut self, min_density: f64) -> f64 {
        let codes = self.short_codes();
        let mut pair: Box<[u32; LUT_SIZE]> = Box::new([0u32; LUT_SIZE]);
        let mut two = 0usize;
        for (i, p) in pair.iter_mut().enumerate() {
            *p = self.pair_entry(&codes, i);
            two += (*p & PAIR_TWO != 0) as usize;
        }
        let density = two as f64 / LUT_SIZE as f64;
        if density >= min_density {
            self.pair = Some(pair);
            self.pair_density = density;
        }
        density
    }

    /// The code that starts each [`LUT_BITS`]-bit index, when one of at most
    /// [`LUT_BITS`] bits does: `length << 8 | symbol`, 0 when none (one
    /// look-up instead of a search by length per pair slot).
    fn short_codes(&self) -> Box<[u16; LUT_SIZE]> {
        let mut codes: Box<[u16; LUT_SIZE]> = Box::new([0u16; LUT_SIZE]);
        let mut k = 0i32;
        for l in 1..=LUT_BITS {
            let max = self.maxcode[l as usize];
            if max < 0 {
                continue;
            }
            let first = k - self.valoff[l as usize];
            for c in first..=max {
                let sym = self.vals[(c + self.valoff[l as usize]) as usize] as u16;
                let base = (c as usize) << (LUT_BITS - l);
                codes[base..base + (1 << (LUT_BITS - l))].fill(((l as u16) << 8) | sym);
            }
            k += max - first + 1;
        }
        codes
    }

    fn pair_entry(&self, codes: &[u16; LUT_SIZE], i: usize) -> u32 {
        let e = self.lut[i];
        if e == SLOW {
            return 0;
        }
        if e & 0xFF00 != 0 {
            // Partial: the first code fits, its extra bits do not.
            let (l, s) = (e & 0xFF, (e >> 8) & 0xFF);
            return (s << 8) | (l + s);
        }
        // Full: code, extra bits and difference (SSSS = 16 included).
        let t1 = e & 0xFF;
        let single = (e & 0xFFFF_0000) | t1;
        if t1 >= LUT_BITS {
            return single;
        }
        // The second code, when it fits in the index bits left.
        let c = codes[(i << t1) & (LUT_SIZE - 1)] as u32;
        let (l2, s2) = (c >> 8, c & 0xFF);
        if l2 != 0 && l2 <= LUT_BITS - t1 && s2 <= 15 {
            (e & 0xFFFF_0000) | (s2 << 8) | PAIR_TWO | (t1 + l2 + s2)
        } else {
            single
        }
    }

    /// Decodes one difference the look-up table could not: codes longer than
    /// [`LUT_BITS`], SSSS > 16 (an error), SSSS = 16 in Cornell mode. `buf`
    /// holds at least 56 valid bits, MSB first.
    #[cold]
    #[inline(never)]
    pub fn decode_slow(&self, buf: u64) -> Slow {
        let code16 = (buf >> 48) as i32;
        for l in 1..=16u32 {
            let c = code16 >> (16 - l);
            if c <= self.maxcode[l as usize] {
                let k = (c + self.valoff[l as usize]) as usize;
                if k >= self.nvals {
                    return Err("invalid Huffman code");
                }
                return self.finish(buf, l, self.vals[k] as u32);
            }
        }
        if self.mode == Ssss16::Cornell {
            return self.finish(buf, 17, 16);
        }
        Err("invalid Huffman code (no code of 16 bits or less matches)")
    }

    #[inline(always)]
    fn finish(&self, buf: u64, l: u32, s: u32) -> Slow {
        match s {
            0 => Ok((l, 0)),
            1..=15 => {
                let v = ((buf << l) >> (64 - s)) as u32;
                Ok((l + s, extend(v, s) as u16))
            }
            16 => {
                if self.mode == Ssss16::Cornell {
                    let extra = ((buf << l) >> 48) as u32;
                    if extra == 0x8000 || extra == 0x7FFF {
                        return Ok((l + 16, 0x8000));
                    }
                }
                Ok((l, 0x8000))
            }
            _ => Err("Huffman symbol (difference category) above 16"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(bits: &[u8], vals: &[u8]) -> HuffSpec {
        let mut b = [0u8; 17];
        b[1..=bits.len()].copy_from_slice(bits);
        HuffSpec {
            bits: b,
            vals: vals.to_vec(),
        }
    }

    /// Reference decoder: bit by bit per Figure F.16.
    fn reference(codes: &[(u32, u32, u8)], bits: &[u8]) -> Option<(u32, i32)> {
        for &(l, code, sym) in codes {
            if l as usize > bits.len() {
                continue;
            }
            let c = bits[..l as usize]
                .iter()
                .fold(0u32, |a, &b| (a << 1) | b as u32);
            if c == code {
                let s = sym as u32;
                if s == 0 {
                    return Some((l, 0));
                }
                if s == 16 {
                    return Some((l, 32768));
                }
                let v = bits[l as usize..(l + s) as usize]
                    .iter()
                    .fold(0u32, |a, &b| (a << 1) | b as u32);
                return Some((l + s, extend(v, s)));
            }
        }
        None
    }

    #[test]
    fn extend_matches_table_h2() {
        assert_eq!(extend(0, 1), -1);
        assert_eq!(extend(1, 1), 1);
        assert_eq!(extend(0, 3), -7);
        assert_eq!(extend(3, 3), -4);
        assert_eq!(extend(4, 3), 4);
        assert_eq!(extend(0, 15), -32767);
        assert_eq!(extend(0x7FFF, 15), 32767);
    }

    #[test]
    fn lut_agrees_with_bitwise_decoding() {
        // A 17-symbol table (lengths up to 16) like 16-bit encoders write.
        let t = spec(
            &[0, 2, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 1],
            &[0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16],
        );
        let codes = t.codes().unwrap();
        let dt = DecodeTable::new(&t, Ssss16::Standard).unwrap();
        let mut state = 0x1234_5678_9abc_def1u64;
        for _ in 0..20000 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let buf = state;
            let bits: Vec<u8> = (0..64).map(|i| ((buf >> (63 - i)) & 1) as u8).collect();
            let want = reference(&codes, &bits);
            let e = dt.lut[(buf >> 52) as usize];
            let got = if e & 0xFF00 == 0 {
                Some((e & 0xFF, (e >> 16) as u16))
            } else if e != SLOW {
                let l = e & 0xFF;
                let s = (e >> 8) & 0xFF;
                let v = ((buf << l) >> (64 - s)) as u32;
                Some((l + s, extend(v, s) as u16))
            } else {
                dt.decode_slow(buf).ok()
            };
            assert_eq!(got, want.map(|(l, d)| (l, d as u16)), "bits {buf:064b}");
        }
    }

    /// Every pair entry against the bitwise reference decoding of the
    /// one or two codes it covers.
    fn check_pairs(t: &HuffSpec, mode: Ssss16) {
        let codes = t.codes().unwrap();
        let mut dt = DecodeTable::new(t, mode).unwrap();
        dt.build_pair(0.0);
        let pair = dt.pair.as_ref().unwrap();
        let mut state = 0x9e37_79b9_7f4a_7c15u64;
        let (mut two, mut one) = (0, 0);
        for k in 0..40000 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            // Cover every index, with random bits after it.
            let buf = ((k as u64 % LUT_SIZE as u64) << 52) | (state >> 12);
            let bits: Vec<u8> = (0..64).map(|i| ((buf >> (63 - i)) & 1) as u8).collect();
            let e = pair[(buf >> 52) as usize];
            if e == 0 {
                continue;
            }
            let (l1, d1) = reference(&codes, &bits).unwrap();
            let (d1p, d2p) = pair_diffs(buf, e);
            assert_eq!(d1p, d1 as u16, "first, bits {buf:064b}");
            if e & PAIR_TWO != 0 {
                assert!(l1 < LUT_BITS);
                let (l2, d2) = reference(&codes, &bits[l1 as usize..]).unwrap();
                assert_eq!((e & 0x3F, d2p), (l1 + l2, d2 as u16), "bits {buf:064b}");
                two += 1;
            } else {
                assert_eq!((e & 0x3F, d2p), (l1, 0), "bits {buf:064b}");
                one += 1;
            }
        }
        assert!(two > 0 && one > 0, "{two} {one}");
    }

    #[test]
    fn pair_entries_agree_with_bitwise_decoding() {
        // 16-bit style (long codes, partial and slow entries).
        let long = spec(
            &[0, 2, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 1],
            &[0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16],
        );
        // Short codes, SSSS = 16 among them (no extra bits, 32768).
        let short = spec(&[0, 2, 1, 4, 3], &[0, 1, 16, 2, 3, 4, 5, 6, 7, 8]);
        // Large categories with short codes: partial first entries.
        let wide = spec(&[1, 1, 1, 1, 1, 2], &[15, 0, 14, 1, 2, 13, 12]);
        for t in [&long, &short, &wide] {
            check_pairs(t, Ssss16::Standard);
            check_pairs(t, Ssss16::Cornell);
        }
    }

    #[test]
    fn all_ones_code_is_accepted_but_overfull_is_not() {
        // Two codes of length 1 ("0" and "1", the second all ones).
        assert!(spec(&[2], &[0, 1]).codes().is_ok());
        assert!(spec(&[3], &[0, 1, 2]).codes().is_err());
        assert!(spec(&[1], &[0, 1]).codes().is_err());
    }

    #[test]
    fn pair_table_holds_two_differences() {
        let t = spec(&[0, 3, 1, 1], &[0, 1, 2, 3, 4]);
        let mut dt = DecodeTable::new(&t, Ssss16::Standard).unwrap();
        assert!(dt.build_pair(0.3) > 0.3);
        let pair = dt.pair.as_ref().unwrap();
        // "00" (SSSS 0) then "01" + "1" (SSSS 1, +1): 5 bits.
        let idx = 0b0001_1000_0000usize;
        let e = pair[idx];
        assert_eq!(e & 0x3F, 5);
        assert_ne!(e & PAIR_TWO, 0);
        assert_eq!(pair_diffs(0b00011u64 << 59, e), (0, 1));
    }

    #[test]
    fn cornell_17_bit_code_and_extra_bits() {
        // 16 codes of lengths 1..=16 except the all-ones 16-bit one is missing:
        // the Cornell encoder's SSSS=16 code is then 17 bits long.
        let mut bits = [1u8; 16];
        bits[0] = 1;
        let vals: Vec<u8> = (0..16).collect();
        let t = spec(&bits, &vals);
        let std = DecodeTable::new(&t, Ssss16::Standard).unwrap();
        let cor = DecodeTable::new(&t, Ssss16::Cornell).unwrap();
        // 17 one-bits then 0x8000 as extra bits.
        let buf = (0x1FFFFu64 << 47) | (0x8000u64 << 31);
        assert!(std.decode_slow(buf).is_err());
        assert_eq!(cor.decode_slow(buf), Ok((33, 0x8000)));
    }
}
