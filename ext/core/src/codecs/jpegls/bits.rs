//! Bit reader for JPEG-LS entropy-coded data (T.87 A.1): after a 0xFF byte
//! the next byte carries only 7 bits (its top bit is a stuffed 0).
//!
//! A restart interval's bytes (cut at the marker that ends it, so that the
//! reader never meets a marker) are first packed without the stuffed bits
//! ([`Destuffed`]): the reader's refill then loads 8 bytes and never looks
//! for 0xFF (near one, a reader of the stuffed bytes takes the slow path on
//! several refills: 0xFF comes every few dozen bytes in run-mode codes).
//! Past the end it supplies 0 bits and counts them; [`BitReader::overrun`]
//! says when the decoder has used any.

/// Entropy-coded bits without the stuffed ones, MSB first, then at least 8
/// zero bytes (so that the fast refill takes every data byte). Reused from
/// one restart interval to the next.
#[derive(Debug, Default)]
pub struct Destuffed {
    buf: Vec<u8>,
    /// Data bits in `buf`.
    bits: u64,
}

/// Packs bits MSB first into a buffer with 8 bytes of slack.
struct Packer {
    /// Bits not yet complete bytes, left-aligned (fewer than 8).
    acc: u64,
    n: u32,
    /// Next byte of the buffer.
    o: usize,
}

impl Packer {
    /// Appends the low `k` (<= 56) bits of `v` (the bits above zero).
    #[inline(always)]
    fn put(&mut self, out: &mut [u8], v: u64, k: u32) {
        self.acc |= v << (64 - k - self.n);
        self.n += k;
        // Bytes past the valid bits are written as zeros and rewritten later.
        out[self.o..self.o + 8].copy_from_slice(&self.acc.to_be_bytes());
        let b = self.n >> 3;
        self.o += b as usize;
        self.acc <<= 8 * b;
        self.n &= 7;
    }
}

impl Destuffed {
    /// Replaces the bits with those of the stuffed bytes `src`.
    pub fn fill(&mut self, src: &[u8]) {
        const LO7: u64 = 0x7F7F_7F7F_7F7F_7F7F;
        let out = &mut self.buf;
        out.clear();
        out.resize(src.len() + 16, 0);
        let mut p = Packer { acc: 0, n: 0, o: 0 };
        let mut i = 0;
        while let Some(b) = src.get(i..).and_then(|s| s.first_chunk::<8>()) {
            let w = u64::from_be_bytes(*b);
            // 0x80 at each 0xFF byte of w (exact: no carry between bytes),
            // the 8th byte left out.
            let v = !w;
            let ff = !(((v & LO7) + LO7) | v | LO7) & !0xFF;
            if ff == 0 {
                p.put(out, w >> 8, 56);
                i += 7;
                continue;
            }
            // Up to the first 0xFF, included, then the bytes after a 0xFF:
            // 7 bits.
            let j = ff.leading_zeros() / 8 + 1;
            p.put(out, w >> (64 - 8 * j), 8 * j);
            i += j as usize;
            while i < src.len() && src[i - 1] == 0xFF {
                p.put(out, (src[i] & 0x7F) as u64, 7);
                i += 1;
            }
        }
        for &b in &src[i..] {
            let after_ff = i > 0 && src[i - 1] == 0xFF;
            if after_ff {
                p.put(out, (b & 0x7F) as u64, 7);
            } else {
                p.put(out, b as u64, 8);
            }
            i += 1;
        }
        self.bits = p.o as u64 * 8 + p.n as u64;
        out.truncate(p.o + 9);
    }
}

#[derive(Debug, Clone, Copy)]
pub struct BitReader<'a> {
    /// The bytes of [`Destuffed::buf`] from the next byte to load.
    rest: &'a [u8],
    /// Valid bits, left-aligned.
    cache: u64,
    /// Number of valid bits in `cache` (including supplied zeros).
    bits: u32,
    /// Zero bits supplied past the end of the buffer.
    zeros: u32,
    /// Bytes of the buffer.
    len: usize,
    /// Data bits of the buffer.
    data_bits: u64,
}

/// Prefixes shorter than this take [`BitReader::golomb`]'s fast path: it is
/// below LIMIT - qbpp - 1 for every bit depth and NEAR (at least 17), and a
/// prefix, its 1 and k <= 31 bits fit the 56 bits a refill guarantees.
pub const FAST_PREFIX: u32 = 17;

impl<'a> BitReader<'a> {
    pub fn new(d: &'a Destuffed) -> Self {
        let mut r = BitReader {
            rest: &d.buf,
            cache: 0,
            bits: 0,
            zeros: 0,
            len: d.buf.len(),
            data_bits: d.bits,
        };
        r.refill();
        r
    }

    /// Index in the buffer of the next byte to load.
    #[inline]
    fn pos(&self) -> usize {
        self.len - self.rest.len()
    }

    /// Fills the cache to at least 56 bits and at most 63.
    ///
    /// Fast path: `rest` holds 8 bytes; up to 7 bytes are taken. Bits of
    /// `cache` past `bits` may hold bytes already loaded but not counted
    /// (the 8th byte too): later refills OR the same bytes at the same
    /// place.
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

    /// Past the data (fewer than 8 bytes left: every data byte was taken,
    /// the rest are zeros): zeros, counted.
    #[cold]
    #[inline(never)]
    fn refill_slow(mut self) -> Self {
        self.zeros = self.zeros.saturating_add(63 - self.bits);
        self.bits = 63;
        self
    }

    /// Whether the decoder has consumed bits past the end of the data.
    #[inline]
    pub fn overrun(&self) -> bool {
        self.pos() as u64 * 8 + self.zeros as u64 - self.bits as u64 > self.data_bits
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

    fn stream(d: &[u8]) -> Destuffed {
        let mut s = Destuffed::default();
        s.fill(d);
        s
    }

    #[test]
    fn stuffed_bits_after_ff_are_dropped() {
        // 0xFF then 0x7F: 8 ones, then 7 ones (the 0x7F's top bit is stuffing).
        let d = [0xFF, 0x7F, 0x80, 0, 0, 0, 0, 0, 0, 0, 0];
        let s = stream(&d);
        let mut r = BitReader::new(&s);
        assert_eq!(r.bits(15), 0x7FFF);
        assert!(r.bit());
        assert!(!r.bit());
        assert!(!r.overrun());
    }

    #[test]
    fn zeros_past_the_end_are_counted() {
        let d = [0x80];
        let s = stream(&d);
        let mut r = BitReader::new(&s);
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
            let s = stream(&d);
            let (mut a, mut b) = (BitReader::new(&s), BitReader::new(&s));
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
        let s = stream(&d);
        let (mut a, mut b) = (BitReader::new(&s), BitReader::new(&s));
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

    /// The packed bits of bytes with 0xFF anywhere (runs of them too, at
    /// every alignment) equal a naive unstuffing.
    #[test]
    fn destuffing_equals_a_naive_one() {
        let mut x = 5u32;
        for len in 0..120usize {
            let d: Vec<u8> = (0..len)
                .map(|_| {
                    x = x.wrapping_mul(1_103_515_245).wrapping_add(12345);
                    let r = x >> 16;
                    if r % 5 == 0 {
                        0xFF
                    } else {
                        r as u8
                    }
                })
                .collect();
            let mut want = Vec::new();
            for (i, &b) in d.iter().enumerate() {
                let n = if i > 0 && d[i - 1] == 0xFF { 7 } else { 8 };
                want.extend((0..n).rev().map(|j| (b >> j) & 1));
            }
            let s = stream(&d);
            assert_eq!(s.bits, want.len() as u64, "len {len}");
            let got: Vec<u8> = (0..want.len())
                .map(|i| (s.buf[i / 8] >> (7 - i % 8)) & 1)
                .collect();
            assert_eq!(got, want, "len {len}");
            let tail = s.buf.len() - want.len().div_ceil(8);
            assert!(tail >= 8 && s.buf[s.buf.len() - tail..].iter().all(|&b| b == 0));
        }
    }

    #[test]
    fn fast_and_slow_refills_agree() {
        let d: Vec<u8> = (0..200u32).map(|i| (i * 37 % 255) as u8).collect();
        let s = stream(&d);
        let mut r = BitReader::new(&s);
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
            let s = stream(&d);
            let mut r = BitReader::new(&s);
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
