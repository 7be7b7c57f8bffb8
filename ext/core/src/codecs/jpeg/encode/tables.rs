//! Huffman tables for the encoder: optimal code lengths limited to 16 bits
//! (T.81 Annex K.2) and canonical codes (Annex C).

use super::super::huffman::HuffSpec;

/// Symbols of a lossless table: SSSS 0..=16.
pub(crate) const SYMBOLS: usize = 17;

/// An encoder's view of one table: per symbol, the code and its length
/// (length 0 = symbol has no code).
#[derive(Debug, Clone)]
pub(crate) struct EncodeTable {
    /// `code[s]`, `len[s]` for SSSS `s`.
    pub code: [u32; SYMBOLS],
    pub len: [u32; SYMBOLS],
    /// The DHT form of the table.
    pub spec: HuffSpec,
}

/// Code lengths for `freq` (one entry per symbol, zero = unused), limited to
/// 16 bits, as Annex K.2 (Figures K.1-K.3) computes them: a reserved symbol
/// of frequency 1 keeps any code from being all 1-bits.
pub(crate) fn optimal_spec(freq: &[u64; SYMBOLS]) -> HuffSpec {
    const N: usize = SYMBOLS + 1; // + the reserved symbol
    let mut f = [0u64; N];
    f[..SYMBOLS].copy_from_slice(freq);
    f[SYMBOLS] = 1;
    let mut size = [0usize; N];
    let mut others: [Option<usize>; N] = [None; N];
    loop {
        // v1: least frequency (largest index on ties), v2: next least.
        let mut v1: Option<usize> = None;
        for i in 0..N {
            if f[i] > 0 && v1.is_none_or(|v| f[i] <= f[v]) {
                v1 = Some(i);
            }
        }
        let mut v2: Option<usize> = None;
        for i in 0..N {
            if f[i] > 0 && Some(i) != v1 && v2.is_none_or(|v| f[i] <= f[v]) {
                v2 = Some(i);
            }
        }
        let (Some(v1), Some(v2)) = (v1, v2) else {
            break;
        };
        f[v1] += f[v2];
        f[v2] = 0;
        let mut k = v1;
        size[k] += 1;
        while let Some(n) = others[k] {
            k = n;
            size[k] += 1;
        }
        others[k] = Some(v2);
        let mut k = v2;
        size[k] += 1;
        while let Some(n) = others[k] {
            k = n;
            size[k] += 1;
        }
    }
    // BITS over lengths up to 32 (N symbols cannot need more), then limited to 16.
    let mut bits = [0u32; 33];
    for &s in &size {
        if s > 0 {
            bits[s] += 1;
        }
    }
    let mut i = 32;
    while i > 16 {
        while bits[i] > 0 {
            let mut j = i - 2;
            while bits[j] == 0 {
                j -= 1;
            }
            bits[i] -= 2;
            bits[i - 1] += 1;
            bits[j + 1] += 2;
            bits[j] -= 1;
        }
        i -= 1;
    }
    // Remove the reserved code (the longest).
    let mut i = 16;
    while bits[i] == 0 {
        i -= 1;
    }
    bits[i] -= 1;
    let mut vals = Vec::with_capacity(SYMBOLS);
    for l in 1..N * 2 {
        for (s, &sz) in size.iter().enumerate().take(SYMBOLS) {
            if sz == l {
                vals.push(s as u8);
            }
        }
    }
    let mut out = [0u8; 17];
    for l in 1..=16 {
        out[l] = bits[l] as u8;
    }
    HuffSpec { bits: out, vals }
}

/// The table used without optimisation: every SSSS has a code, lengths from
/// a fixed two-sided geometric distribution centred on SSSS 6 (typical of
/// 8-16-bit medical images). Valid for any image.
pub(crate) fn default_spec() -> HuffSpec {
    let mut freq = [0u64; SYMBOLS];
    for (s, f) in freq.iter_mut().enumerate() {
        *f = 1u64 << (20 - (s as i32 - 6).unsigned_abs().min(12));
    }
    optimal_spec(&freq)
}

impl EncodeTable {
    /// Canonical codes of `spec` (the specs built here are always valid).
    pub(crate) fn new(spec: HuffSpec) -> EncodeTable {
        let mut code = [0u32; SYMBOLS];
        let mut len = [0u32; SYMBOLS];
        let mut c = 0u32;
        let mut k = 0usize;
        for l in 1..=16u32 {
            for _ in 0..spec.bits[l as usize] {
                let s = spec.vals[k] as usize;
                code[s] = c;
                len[s] = l;
                c += 1;
                k += 1;
            }
            c <<= 1;
        }
        EncodeTable { code, len, spec }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lengths_are_limited_and_prefix_free() {
        // Fibonacci-like frequencies force long codes before limiting.
        let mut freq = [0u64; SYMBOLS];
        let (mut a, mut b) = (1u64, 1u64);
        for f in freq.iter_mut() {
            *f = a;
            (a, b) = (b, a + b);
        }
        let spec = optimal_spec(&freq);
        assert_eq!(spec.vals.len(), SYMBOLS);
        let codes = spec.codes().unwrap();
        assert!(codes.iter().all(|&(l, _, _)| l <= 16));
        // No code is all 1-bits.
        assert!(codes.iter().all(|&(l, c, _)| c != (1 << l) - 1));
        let t = EncodeTable::new(spec);
        for s in 0..SYMBOLS {
            assert!(t.len[s] > 0);
        }
    }

    #[test]
    fn unused_symbols_get_no_code() {
        let mut freq = [0u64; SYMBOLS];
        freq[0] = 10;
        freq[3] = 5;
        let t = EncodeTable::new(optimal_spec(&freq));
        assert_eq!(t.spec.vals.len(), 2);
        assert!(t.len[0] > 0 && t.len[3] > 0 && t.len[1] == 0);
        // A single used symbol still gets a 1-bit code (the reserved one takes the other).
        let mut one = [0u64; SYMBOLS];
        one[0] = 100;
        let t = EncodeTable::new(optimal_spec(&one));
        assert_eq!((t.len[0], t.code[0]), (1, 0));
    }

    #[test]
    fn default_table_covers_every_difference() {
        let t = EncodeTable::new(default_spec());
        assert!((0..SYMBOLS).all(|s| t.len[s] > 0 && t.len[s] <= 16));
    }
}
