//! The search for the next 0xFF byte of an entropy-coded segment, shared by
//! the JPEG (lossless and DCT) and JPEG-LS bit readers and marker walkers:
//! both codecs' streams end a run of coded bytes at 0xFF (a stuffed byte or
//! a marker), and the gap to it is scanned on every refill near it.

#[inline(always)]
fn has_ff(w: u64) -> bool {
    let v = !w;
    (v.wrapping_sub(0x0101_0101_0101_0101) & !v & 0x8080_8080_8080_8080) != 0
}

/// Offset of the next 0xFF byte at or after `from`, or `data.len()`.
/// Searches 8 bytes at a time.
pub fn next_ff(data: &[u8], from: usize) -> usize {
    let mut i = from;
    // 16 bytes per step while no 0xFF is in them, then 8, then bytes.
    while let Some(b) = data.get(i..i + 16) {
        let lo = u64::from_le_bytes([b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]]);
        let hi = u64::from_le_bytes([b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]]);
        if has_ff(lo) | has_ff(hi) {
            break;
        }
        i += 16;
    }
    while let Some(b) = data.get(i..i + 8) {
        let w = u64::from_le_bytes([b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]]);
        if has_ff(w) {
            break;
        }
        i += 8;
    }
    while i < data.len() && data[i] != 0xFF {
        i += 1;
    }
    i.min(data.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `next_ff` finds the first 0xFF at or after any start, wherever it
    /// lies in the 16- and 8-byte steps.
    #[test]
    fn next_ff_equals_naive_search() {
        for len in [0usize, 1, 7, 8, 15, 16, 17, 40] {
            for at in 0..=len {
                let mut data = vec![0x7Fu8; len];
                if at < len {
                    data[at] = 0xFF;
                }
                for from in 0..=len {
                    let want = (from..len).find(|&i| data[i] == 0xFF).unwrap_or(len);
                    assert_eq!(next_ff(&data, from), want, "len {len} ff {at} from {from}");
                }
            }
        }
    }

    #[test]
    fn next_ff_on_data_dense_in_0xff() {
        let mut x = 5u32;
        for len in 0..40usize {
            for _ in 0..20 {
                let d: Vec<u8> = (0..len)
                    .map(|_| {
                        x = x.wrapping_mul(1_103_515_245).wrapping_add(12345);
                        // Mostly 0xFE/0xFF/0x7F/0x80 neighbours of 0xFF.
                        [0xFF, 0xFE, 0x7F, 0x80, 0x01, (x >> 9) as u8][(x >> 24) as usize % 6]
                    })
                    .collect();
                for from in 0..=len + 1 {
                    let want = d
                        .get(from..)
                        .and_then(|t| t.iter().position(|&b| b == 0xFF))
                        .map_or(len, |j| from + j);
                    assert_eq!(next_ff(&d, from), want, "{d:?} from {from}");
                }
            }
        }
    }
}
