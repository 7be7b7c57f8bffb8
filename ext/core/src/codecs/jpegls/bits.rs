//! Bit reader for JPEG-LS entropy-coded data (T.87 A.1): after a 0xFF byte
//! the next byte carries only 7 bits (its top bit is a stuffed 0).
//!
//! The reader works on one restart interval's bytes, cut at the marker that
//! ends it, so it never meets a marker. Past the end it supplies 0 bits and
//! counts them; [`BitReader::overrun`] says when the decoder has used any.

#[derive(Debug, Clone)]
pub struct BitReader<'a> {
    data: &'a [u8],
    pos: usize,
    /// Valid bits, left-aligned.
    cache: u64,
    /// Number of valid bits in `cache` (including supplied zeros).
    bits: u32,
    /// Zero bits supplied past the end of `data` and still counted in `bits`
    /// or already consumed.
    zeros: u32,
    /// The last byte taken was 0xFF (the next one gives 7 bits).
    after_ff: bool,
}

/// True when a byte of `w` is 0xFF.
#[inline(always)]
fn has_ff(w: u64) -> bool {
    let x = !w;
    (x.wrapping_sub(0x0101_0101_0101_0101) & !x & 0x8080_8080_8080_8080) != 0
}

impl<'a> BitReader<'a> {
    pub fn new(data: &'a [u8]) -> Self {
        let mut r = BitReader {
            data,
            pos: 0,
            cache: 0,
            bits: 0,
            zeros: 0,
            after_ff: false,
        };
        r.refill();
        r
    }

    /// Fills the cache to at least 57 bits.
    #[inline(always)]
    pub fn refill(&mut self) {
        if self.bits > 56 {
            return;
        }
        if !self.after_ff && self.pos + 8 <= self.data.len() {
            let w = u64::from_be_bytes(self.data[self.pos..self.pos + 8].try_into().unwrap());
            if !has_ff(w) {
                let n = (64 - self.bits) >> 3;
                self.cache |= w >> self.bits;
                self.pos += n as usize;
                self.bits += n << 3;
                return;
            }
        }
        self.refill_slow();
    }

    #[cold]
    #[inline(never)]
    fn refill_slow(&mut self) {
        while self.bits <= 56 {
            let Some(&b) = self.data.get(self.pos) else {
                // Past the end: zeros.
                let add = 64 - self.bits;
                self.zeros = self.zeros.saturating_add(add);
                self.bits = 64;
                return;
            };
            self.pos += 1;
            if self.after_ff {
                self.cache |= ((b & 0x7F) as u64) << (64 - 7 - self.bits);
                self.bits += 7;
            } else {
                self.cache |= (b as u64) << (64 - 8 - self.bits);
                self.bits += 8;
            }
            self.after_ff = b == 0xFF;
        }
    }

    /// Whether the decoder has consumed bits past the end of the data.
    #[inline]
    pub fn overrun(&self) -> bool {
        self.bits < self.zeros
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

    #[test]
    fn fast_and_slow_refills_agree() {
        let d: Vec<u8> = (0..200u32).map(|i| (i * 37 % 255) as u8).collect();
        let mut r = BitReader::new(&d);
        for &b in &d {
            assert_eq!(r.bits(8), b as u32);
        }
    }
}
