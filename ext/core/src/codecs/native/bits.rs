//! Bits Allocated 1: packed pixels, least significant bit first
//! (PS3.5 8.1.1 and Annex D), frames not byte-aligned, unpacked to one
//! byte (0 or 1) per pixel.

/// Byte value → its 8 bits as 8 bytes (bit 0 first), little-endian u64.
static LUT: [u64; 256] = {
    let mut t = [0u64; 256];
    let mut b = 0;
    while b < 256 {
        let mut v = 0u64;
        let mut i = 0;
        while i < 8 {
            v |= (((b >> i) & 1) as u64) << (8 * i);
            i += 1;
        }
        t[b] = v;
        b += 1;
    }
    t
};

/// Unpacks `dst.len()` bits starting at bit `bit_start` of `src` into `dst`.
/// The caller checks `src` holds `ceil((bit_start + dst.len()) / 8)` bytes;
/// shorter input leaves the rest of `dst` untouched instead of panicking.
pub(super) fn unpack_bits(src: &[u8], bit_start: u64, dst: &mut [u8]) {
    let first = usize::try_from(bit_start / 8).unwrap_or(usize::MAX);
    let shift = (bit_start % 8) as u32;
    let src = src.get(first..).unwrap_or(&[]);
    let full = dst.len() / 8;
    let (body, tail) = dst.split_at_mut(full * 8);
    if shift == 0 {
        for (d, &b) in body.chunks_exact_mut(8).zip(src) {
            d.copy_from_slice(&LUT[b as usize].to_le_bytes());
        }
    } else {
        // Output byte k takes bits shift.. of src[k] and ..shift of src[k + 1]:
        // 8 of them at a time from one u64 load and the next byte.
        let groups = (full / 8).min(src.len().saturating_sub(1) / 8);
        let (grouped, rest) = body.split_at_mut(groups * 64);
        for (g, d) in grouped.chunks_exact_mut(64).enumerate() {
            let Some(s) = src.get(g * 8..g * 8 + 9) else {
                break;
            };
            let mut lo = [0u8; 8];
            lo.copy_from_slice(&s[..8]);
            let v = (u64::from_le_bytes(lo) >> shift) | ((s[8] as u64) << (64 - shift));
            for (j, o) in d.chunks_exact_mut(8).enumerate() {
                o.copy_from_slice(&LUT[((v >> (8 * j)) & 0xFF) as usize].to_le_bytes());
            }
        }
        let src_rest = src.get(groups * 8..).unwrap_or(&[]);
        for (d, w) in rest.chunks_exact_mut(8).zip(src_rest.windows(2)) {
            let b = (w[0] >> shift) | (w[1] << (8 - shift));
            d.copy_from_slice(&LUT[b as usize].to_le_bytes());
        }
    }
    let first_tail_bit = full * 8 + shift as usize;
    for (bit, d) in (first_tail_bit..).zip(tail.iter_mut()) {
        if let Some(&b) = src.get(bit / 8) {
            *d = (b >> (bit % 8)) & 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reference(src: &[u8], bit_start: usize, n: usize) -> Vec<u8> {
        (bit_start..bit_start + n)
            .map(|i| (src[i / 8] >> (i % 8)) & 1)
            .collect()
    }

    #[test]
    fn lut_is_lsb_first() {
        assert_eq!(LUT[0b0000_0001].to_le_bytes(), [1, 0, 0, 0, 0, 0, 0, 0]);
        assert_eq!(LUT[0b1000_0010].to_le_bytes(), [0, 1, 0, 0, 0, 0, 0, 1]);
        assert_eq!(LUT[0xFF], 0x0101_0101_0101_0101);
    }

    #[test]
    fn every_offset_and_length_matches_bitwise_reference() {
        let src: Vec<u8> = (0..40u32).map(|i| (i * 97 + 13) as u8).collect();
        for start in 0..20 {
            for n in 0..(src.len() * 8 - start) {
                let mut dst = vec![9u8; n];
                unpack_bits(&src, start as u64, &mut dst);
                assert_eq!(dst, reference(&src, start, n), "start {start} n {n}");
            }
        }
    }

    #[test]
    fn short_input_does_not_panic() {
        let mut dst = vec![7u8; 100];
        unpack_bits(&[0xFF, 0x01], 3, &mut dst);
        assert_eq!(&dst[..6], &[1, 1, 1, 1, 1, 1]);
        unpack_bits(&[], u64::MAX, &mut dst);
    }
}
