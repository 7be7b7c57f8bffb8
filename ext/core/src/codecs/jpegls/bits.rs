//! Bit reader for JPEG-LS entropy-coded data (T.87 A.1): after a 0xFF byte
//! the next byte carries only 7 bits (its top bit is a stuffed 0).
//!
//! The reader works on one restart interval's bytes, cut at the marker that
//! ends it, so it never meets a marker. Past the end it supplies 0 bits and
//! counts them; [`BitReader::overrun`] says when the decoder has used any.

use crate::codecs::ff::next_ff;

#[derive(Debug, Clone, Copy)]
pub struct BitReader<'a> {
    data: &'a [u8],
    /// `data[pos..lim]`, where `pos` is the next byte to load: the fast
    /// refill loads its first 8 bytes while it has 8. `lim` is at most one
    /// past the first 0xFF at or after `pos - 1` (so that no byte the fast
    /// refill takes is stuffed).
    rest: &'a [u8],
    /// Valid bits, left-aligned.
    cache: u64,
    /// Number of valid bits in `cache` (including supplied zeros).
    bits: u32,
    /// Zero bits supplied past the end of `data` and still counted in `bits`
    /// or already consumed.
    zeros: u32,
    /// Index of that 0xFF (or `data.len()`).
    ff: usize,
}

/// Prefixes shorter than this take [`BitReader::golomb`]'s fast path: it is
/// below LIMIT - qbpp - 1 for every bit depth and NEAR (at least 17), and a
/// prefix, its 1 and k <= 31 bits fit the 56 bits a refill guarantees.
pub const FAST_PREFIX: u32 = 17;

impl<'a> BitReader<'a> {
    pub fn new(data: &'a [u8]) -> Self {
        let mut r = BitReader {
            data,
            rest: &data[..0],
            cache: 0,
            bits: 0,
            zeros: 0,
            ff: next_ff(data, 0),
        };
        r.refill_bytes();
        r
    }

    /// Index in `data` of the next byte to load.
    #[inline]
    fn pos(&self) -> usize {
        self.rest.as_ptr() as usize - self.data.as_ptr() as usize
    }

    /// Fills the cache to at least 56 bits and at most 63.
    ///
    /// Fast path: `rest` holds 8 bytes (no stuffed byte among the 7 that
    /// can be taken, nor 0xFF before them); up to 7 bytes are taken. Bits
    /// of `cache` past `bits` may hold bytes already loaded but not counted
    /// (the 8th byte too: it is no stuffed byte either): later refills OR
    /// the same bytes at the same place.
    ///
    /// No early return when the cache is full: a data dependent branch that
    /// mispredicts costs more than the load (with 56 or more bits the fast
    /// path takes 0 bytes and ORs the same bytes at the same place).
    #[inline(always)]
    pub fn refill(&mut self) {
        if let Some(b) = self.rest.first_chunk::<8>() {
            let w = u64::from_be_bytes(*b);
            // `bits` stays below 64 (a shift by 64 would wrap).
            let n = ((63 - self.bits) >> 3) & 7;
            self.cache |= w >> self.bits;
            self.rest = &self.rest[n as usize..];
            self.bits += n << 3;
            return;
        }
        // By value, so that a reader held in a caller's locals stays in
        // registers (its address never escapes).
        *self = self.refill_slow();
    }

    #[cold]
    #[inline(never)]
    fn refill_slow(mut self) -> Self {
        // Within 8 bytes of a 0xFF: the bytes up to it (`rest`, 1 to 7 of
        // them) at once from an 8-byte load with the bytes past them masked
        // off (they are not OR'ed in: a stuffed byte shifts what follows).
        // Byte by byte only for the byte after the 0xFF and near the end.
        let m = self.rest.len();
        let pos = self.pos();
        if m > 0 {
            if let Some(b) = self.data.get(pos..).and_then(|d| d.first_chunk::<8>()) {
                let keep = !(u64::MAX >> (8 * m as u32));
                let w = u64::from_be_bytes(*b) & keep;
                let n = ((63 - self.bits) >> 3).min(m as u32);
                self.cache |= w >> self.bits;
                self.rest = &self.rest[n as usize..];
                self.bits += n << 3;
                if self.bits > 55 {
                    return self;
                }
            }
        }
        self.refill_bytes();
        self
    }

    /// Byte by byte, then `rest` for the new position.
    fn refill_bytes(&mut self) {
        let mut pos = self.pos();
        while self.bits <= 55 {
            let Some(&b) = self.data.get(pos) else {
                // Past the end: zeros.
                let add = 63 - self.bits;
                self.zeros = self.zeros.saturating_add(add);
                self.bits = 63;
                break;
            };
            // The byte before is 0xFF: this one gives 7 bits.
            let after_ff = pos > 0 && self.data[pos - 1] == 0xFF;
            pos += 1;
            if after_ff {
                self.cache |= ((b & 0x7F) as u64) << (64 - 7 - self.bits);
                self.bits += 7;
            } else {
                self.cache |= (b as u64) << (64 - 8 - self.bits);
                self.bits += 8;
            }
        }
        let from = pos.saturating_sub(1);
        if self.ff < from {
            self.ff = next_ff(self.data, from);
        }
        let lim = (self.ff + 1).min(self.data.len()).max(pos);
        self.rest = &self.data[pos..lim];
    }

    /// Whether the decoder has consumed bits past the end of the data.
    #[inline]
    pub fn overrun(&self) -> bool {
        self.bits < self.zeros
    }

    /// Refills; returns the cache (left-aligned) and its number of valid
    /// bits.
    #[inline(always)]
    pub fn peek(&mut self) -> (u64, u32) {
        self.refill();
        (self.cache, self.bits)
    }

    /// Skips `n` (< 64, <= valid) bits.
    #[inline(always)]
    pub fn skip(&mut self, n: u32) {
        self.cache <<= n;
        self.bits -= n;
    }

    /// Reads one bit.
    #[inline(always)]
    pub fn bit(&mut self) -> bool {
        if self.bits == 0 {
            self.refill();
        }
        let b = (self.cache >> 63) != 0;
        self.skip(1);
        b
    }

    /// Reads `n` bits (0..=32) as an unsigned value.
    #[inline(always)]
    pub fn bits(&mut self, n: u32) -> u32 {
        if n == 0 {
            return 0;
        }
        if self.bits < n {
            self.refill();
        }
        let v = (self.cache >> (64 - n)) as u32;
        self.skip(n);
        v
    }

    /// Reads a limited-length Golomb code with parameter `k` (T.87 A.5.3):
    /// a unary prefix of at most `max` (= LIMIT - qbpp - 1) zeros, then `k`
    /// bits, or after `max` zeros an escape of `qbpp` bits (value + 1).
    /// `max` must be at least [`FAST_PREFIX`] (true of the regular mode);
    /// `k` at most 31. `None`: invalid code.
    #[inline(always)]
    pub fn golomb(&mut self, k: u32, max: u32, qbpp: u32) -> Option<u32> {
        self.refill();
        self.golomb_filled(k, max, qbpp)
    }

    /// Whether the cache holds the bits [`BitReader::golomb_filled`]'s fast
    /// path may take with parameter `k`: a prefix below [`FAST_PREFIX`], its
    /// 1 and `k` bits.
    #[inline(always)]
    pub fn holds_fast_code(&self, k: u32) -> bool {
        self.bits > FAST_PREFIX + k
    }

    /// [`BitReader::golomb`] without the refill: the caller refilled, or
    /// [`BitReader::holds_fast_code`] is true (sample-interleaved scans
    /// refill once per pixel; the next samples' codes are mostly in the
    /// cache already).
    #[inline(always)]
    pub fn golomb_filled(&mut self, k: u32, max: u32, qbpp: u32) -> Option<u32> {
        let lz = self.cache.leading_zeros();
        if lz < FAST_PREFIX {
            // The 1 that ends the prefix and the k bits after it: 2^k + the
            // low bits, so that (lz << k) | low = ((lz - 1) << k) + top.
            let top = ((self.cache << lz) >> (63 - k)) as u32;
            let n = lz + 1 + k;
            self.cache <<= n;
            self.bits -= n;
            return Some(lz.wrapping_sub(1).wrapping_shl(k).wrapping_add(top));
        }
        let (r, m) = self.golomb_slow(k, max, qbpp);
        *self = r;
        m
    }

    /// [`BitReader::golomb`] for any `max` (the run interruption's).
    #[inline]
    pub fn golomb_any(&mut self, k: u32, max: u32, qbpp: u32) -> Option<u32> {
        let (r, m) = self.golomb_slow(k, max, qbpp);
        *self = r;
        m
    }

    #[cold]
    #[inline(never)]
    fn golomb_slow(mut self, k: u32, max: u32, qbpp: u32) -> (Self, Option<u32>) {
        let m = match self.unary(max) {
            None => None,
            Some(u) if u < max => Some(u.wrapping_shl(k) | self.bits(k)),
            Some(_) => Some(self.bits(qbpp) + 1),
        };
        (self, m)
    }

    /// Counts 0 bits up to the next 1 bit, which is consumed. `None` when
    /// more than `max` zeros come first (the rest is then unspecified).
    #[inline(always)]
    pub fn unary(&mut self, max: u32) -> Option<u32> {
        self.refill();
        let lz = self.cache.leading_zeros();
        if lz < self.bits {
            self.skip(lz + 1);
            return if lz <= max { Some(lz) } else { None };
        }
        self.unary_slow(max)
    }

    #[cold]
    #[inline(never)]
    fn unary_slow(&mut self, max: u32) -> Option<u32> {
        let mut n = 0u32;
        loop {
            self.refill();
            let lz = self.cache.leading_zeros();
            if lz < self.bits {
                n += lz;
                self.skip(lz + 1);
                return if n <= max { Some(n) } else { None };
            }
            n += self.bits;
            self.cache = 0;
            self.bits = 0;
            if n > max {
                return None;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stuffed_bits_after_ff_are_dropped() {
        // 0xFF then 0x7F: 8 ones, then 7 ones (the 0x7F's top bit is stuffing).
        let d = [0xFF, 0x7F, 0x80, 0, 0, 0, 0, 0, 0, 0, 0];
        let mut r = BitReader::new(&d);
        assert_eq!(r.bits(15), 0x7FFF);
        assert!(r.bit());
        assert!(!r.bit());
        assert!(!r.overrun());
    }

    #[test]
    fn zeros_past_the_end_are_counted() {
        let d = [0x80];
        let mut r = BitReader::new(&d);
        assert_eq!(r.unary(100), Some(0));
        assert_eq!(r.bits(7), 0);
        assert!(!r.overrun());
        assert_eq!(r.bits(1), 0);
        assert!(r.overrun());
        assert_eq!(r.unary(200), None);
    }

    /// `n` pseudo-random bytes from `seed`, every `ff`-th one 0xFF.
    fn noise(seed: u32, n: usize, ff: usize) -> Vec<u8> {
        let mut x = seed;
        (0..n)
            .map(|i| {
                x = x.wrapping_mul(1_103_515_245).wrapping_add(12345);
                if i % ff == 0 {
                    0xFF
                } else {
                    ((x >> 16) as u8) & 0x7F
                }
            })
            .collect()
    }

    #[test]
    fn golomb_fast_and_slow_paths_agree() {
        // Pseudo-random bits with some 0xFF bytes; read the same codes with
        // the fast path and with the slow path only.
        let d = noise(12345, 400, 37);
        for qbpp in [8u32, 16] {
            let max = 2 * (qbpp + qbpp.max(8)) - qbpp - 1;
            let (mut a, mut b) = (BitReader::new(&d), BitReader::new(&d));
            for i in 0..300u32 {
                let k = i % 18;
                let x = a.golomb(k, max, qbpp);
                let y = b.golomb_any(k, max, qbpp);
                assert_eq!(x, y, "code {i}");
                // Bits past `bits` may differ (loaded, not yet counted).
                let valid = |r: &BitReader| r.cache.checked_shr(64 - r.bits).unwrap_or(0);
                assert_eq!((valid(&a), a.bits, a.pos()), (valid(&b), b.bits, b.pos()));
                if x.is_none() {
                    break;
                }
            }
        }
    }

    /// Codes read with a refill only where [`BitReader::holds_fast_code`]
    /// says the cache may lack them (sample-interleaved scans) equal codes
    /// read with a refill every time.
    #[test]
    fn golomb_without_refill_when_the_cache_holds_the_code() {
        let d = noise(777, 600, 29);
        let (mut a, mut b) = (BitReader::new(&d), BitReader::new(&d));
        let mut refills = 0;
        for i in 0..400u32 {
            let k = (i * 7) % 12;
            if i % 3 == 0 || !a.holds_fast_code(k) {
                a.refill();
                refills += 1;
            }
            let x = a.golomb_filled(k, 23, 8);
            assert_eq!(x, b.golomb(k, 23, 8), "code {i}");
            if x.is_none() {
                break;
            }
        }
        assert!(refills < 400);
    }

    #[test]
    fn fast_and_slow_refills_agree() {
        let d: Vec<u8> = (0..200u32).map(|i| (i * 37 % 255) as u8).collect();
        let mut r = BitReader::new(&d);
        for &b in &d {
            assert_eq!(r.bits(8), b as u32);
        }
    }

    /// Reads of 1..=24 bits over data dense in 0xFF bytes (every distance
    /// between them, at every alignment) equal a naive reader's.
    #[test]
    fn refills_around_ff_bytes_equal_a_naive_reader() {
        let mut x = 99u32;
        let mut rnd = || {
            x = x.wrapping_mul(1_103_515_245).wrapping_add(12345);
            x >> 8
        };
        for gap in 1..20usize {
            let mut d = Vec::new();
            while d.len() < 300 {
                d.push(0xFF);
                d.push((rnd() & 0x7F) as u8);
                for _ in 0..gap {
                    let b = (rnd() & 0xFF) as u8;
                    d.push(if b == 0xFF { 0xFE } else { b });
                }
            }
            // The stream's bits, stuffing removed.
            let mut want = Vec::new();
            for (i, &b) in d.iter().enumerate() {
                let n = if i > 0 && d[i - 1] == 0xFF { 7 } else { 8 };
                for j in (0..n).rev() {
                    want.push((b >> j) & 1);
                }
            }
            let mut r = BitReader::new(&d);
            let mut at = 0;
            while at + 24 < want.len() {
                let n = 1 + rnd() % 24;
                let v = r.bits(n);
                let w = want[at..at + n as usize]
                    .iter()
                    .fold(0u32, |a, &b| (a << 1) | b as u32);
                assert_eq!(v, w, "gap {gap} bit {at}");
                at += n as usize;
                r.refill();
            }
            assert!(!r.overrun());
        }
    }
}
