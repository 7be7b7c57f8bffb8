//! Entropy-coded output: a 64-bit accumulator flushed 32 bits at a time,
//! with 0xFF bytes stuffed (T.81 F.1.2.3). The state is a small `Copy`
//! value the hot loop keeps in registers; the output is passed in.

/// Bits not yet written, most-significant first.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Bits {
    acc: u64,
    nbits: u32,
}

impl Bits {
    /// Appends the low `len` bits of `bits` (`1 <= len <= 32`).
    #[inline(always)]
    pub(crate) fn put(&mut self, out: &mut Vec<u8>, bits: u32, len: u32) {
        debug_assert!((1..=32).contains(&len) && self.nbits < 32);
        self.acc = (self.acc << len) | bits as u64;
        self.nbits += len;
        if self.nbits >= 32 {
            self.nbits -= 32;
            let w = (self.acc >> self.nbits) as u32;
            // Any 0xFF byte in w? (zero-byte test on !w)
            if ((!w).wrapping_sub(0x0101_0101) & w & 0x8080_8080) == 0 {
                out.extend_from_slice(&w.to_be_bytes());
            } else {
                for b in w.to_be_bytes() {
                    byte(out, b);
                }
            }
        }
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
    fn stuffs_ff_and_pads_with_ones() {
        let mut v = Vec::new();
        let mut w = Bits::default();
        w.put(&mut v, 0xFF, 8);
        w.put(&mut v, 0b101, 3);
        w.flush(&mut v);
        assert_eq!(v, [0xFF, 0x00, 0b1011_1111]);
        let mut v = Vec::new();
        let mut w = Bits::default();
        w.put(&mut v, 0x12FF_34FF, 32);
        w.put(&mut v, 0xAB, 8);
        w.flush(&mut v);
        assert_eq!(v, [0x12, 0xFF, 0, 0x34, 0xFF, 0, 0xAB]);
    }
}
