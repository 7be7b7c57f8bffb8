//! Entropy-coded output: the bits of the byte not yet complete, kept as a
//! small `Copy` value the hot loop holds in registers (the scan writer packs
//! whole bytes itself and stuffs 0xFF bytes, T.81 F.1.2.3); padding with
//! 1-bits and markers at the end of a scan or interval.

/// Bits not yet written, most-significant first.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Bits {
    acc: u64,
    nbits: u32,
}

impl Bits {
    /// Adds the low `len` bits of `bits` (`1 <= len <= 56`) to fewer than 8
    /// held, and returns the accumulator and how many bits it holds (the
    /// caller writes the whole bytes); keeps only the bits past them.
    #[inline(always)]
    pub(crate) fn push(&mut self, bits: u64, len: u32) -> (u64, u32) {
        debug_assert!((1..=56).contains(&len) && self.nbits < 8);
        let acc = (self.acc << len) | bits;
        let n = self.nbits + len;
        self.acc = acc;
        self.nbits = n & 7;
        (acc, n)
    }

    /// Pads the last byte with 1-bits and writes out everything held.
    pub(crate) fn flush(&mut self, out: &mut Vec<u8>) {
        let pad = (8 - self.nbits % 8) % 8;
        if pad > 0 {
            self.acc = (self.acc << pad) | ((1u64 << pad) - 1);
            self.nbits += pad;
        }
        while self.nbits >= 8 {
            self.nbits -= 8;
            byte(out, (self.acc >> self.nbits) as u8);
        }
        self.acc = 0;
    }

    /// Flushes, then writes a marker (`FF xx`) as is.
    pub(crate) fn marker(&mut self, out: &mut Vec<u8>, m: u8) {
        self.flush(out);
        out.extend_from_slice(&[0xFF, m]);
    }
}

#[inline(always)]
fn byte(out: &mut Vec<u8>, b: u8) {
    out.push(b);
    if b == 0xFF {
        out.push(0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flush_pads_with_ones_and_stuffs() {
        let mut v = Vec::new();
        let mut w = Bits::default();
        assert_eq!(w.push(0b101, 3), (0b101, 3));
        w.flush(&mut v);
        assert_eq!(v, [0b1011_1111]);
        let mut v = Vec::new();
        let mut w = Bits::default();
        let (acc, n) = w.push(0x1FF, 9); // one whole byte for the caller, 1 bit held
        assert_eq!(((acc >> 1) as u8, n), (0xFF, 9));
        w.push(0x3F, 6);
        w.marker(&mut v, 0xD0);
        assert_eq!(v, [0xFF, 0x00, 0xFF, 0xD0]);
    }
}
