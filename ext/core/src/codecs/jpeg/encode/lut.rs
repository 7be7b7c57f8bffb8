//! The sinks for precision up to 8 bits (up to 7 with predictors 4-6, whose
//! predictions leave the sample range): every difference then lies in
//! -255..=255, so it is its own table index. A row's differences become
//! indices (the difference modulo 512, plus 512 × its component) in a
//! vectorised pass; the first pass counts the indices (its categories are
//! summed at the end), the second looks each index up in one table of
//! ready-made bits (code and extra bits, and their length) and packs two
//! differences per step. Same tables and bytes as [`super::scan`]'s sinks,
//! fewer instructions per sample.

use super::bitwriter::Bits;
use super::scan::{stuff, Codes, Packer, Sink};

/// Indices per component (differences modulo 512).
const SPAN: usize = 512;
/// Indices of all components (4 × [`SPAN`]); the `& (ALL - 1)` on lookups
/// lets the compiler drop bounds checks.
const ALL: usize = 4 * SPAN;

/// Whether every difference of `precision`-bit samples with `predictor`
/// lies in -255..=255: 1, 2, 3 and 7 predict within the sample range; 4
/// (Ra + Rb - Rc) and 5, 6 (a half difference added) up to twice outside it.
pub(crate) fn fits(precision: u8, predictor: u8) -> bool {
    precision <= 7 || (precision == 8 && matches!(predictor, 1 | 2 | 3 | 7))
}

/// The index of each difference of a row (`off`: 512 × the component of
/// each position, built once per row length).
#[inline(always)]
fn indices(idx: &mut Vec<u16>, off: &mut Vec<u16>, d: &[i32], nf: usize) {
    if off.len() != d.len() {
        *off = (0..d.len()).map(|i| ((i % nf) * SPAN) as u16).collect();
        idx.resize(d.len(), 0);
    }
    for ((i, &x), &o) in idx.iter_mut().zip(d).zip(off.iter()) {
        *i = (x as u16 & (SPAN as u16 - 1)) | o;
    }
}

/// The difference of index `i` (its low 9 bits, sign-extended).
fn difference(i: usize) -> i32 {
    ((i as i32) << 23) >> 23
}

/// Counts indices (first pass); [`Histogram8::freq`] sums them per category.
pub(crate) struct Histogram8 {
    /// Two sets of counters, even and odd positions (equal neighbours do
    /// not wait on each other's increments).
    counts: Box<[[u32; ALL]; 2]>,
    /// Samples counted since the counters were last summed into `freq`.
    pending: u64,
    freq: [[u64; 32]; 4],
    idx: Vec<u16>,
    off: Vec<u16>,
}

impl Histogram8 {
    pub(crate) fn new() -> Self {
        Histogram8 {
            counts: Box::new([[0; ALL]; 2]),
            pending: 0,
            freq: [[0; 32]; 4],
            idx: Vec::new(),
            off: Vec::new(),
        }
    }

    fn fold(&mut self) {
        for set in self.counts.iter_mut() {
            for (i, n) in set.iter_mut().enumerate() {
                let s = (32 - difference(i % SPAN).unsigned_abs().leading_zeros()) as usize;
                self.freq[i / SPAN][s] += *n as u64;
                *n = 0;
            }
        }
        self.pending = 0;
    }

    /// Category counts per component, as [`super::scan::Histogram`] has them.
    pub(crate) fn freq(mut self) -> [[u64; 32]; 4] {
        self.fold();
        self.freq
    }
}

impl Sink for Histogram8 {
    #[inline(always)]
    fn row<const NF: usize>(&mut self, d: &[i32], nf: usize) {
        // No counter may pass u32::MAX.
        if self.pending + d.len() as u64 > u32::MAX as u64 {
            self.fold();
        }
        self.pending += d.len() as u64;
        indices(&mut self.idx, &mut self.off, d, nf);
        let [a, b] = &mut *self.counts;
        let mut it = self.idx.chunks_exact(2);
        for p in &mut it {
            a[p[0] as usize & (ALL - 1)] += 1;
            b[p[1] as usize & (ALL - 1)] += 1;
        }
        for &i in it.remainder() {
            a[i as usize & (ALL - 1)] += 1;
        }
    }
    fn restart(&mut self, _n: usize) {}
}

/// Writes the codes (second pass) from one table of all components:
/// per index, its bits shifted left by 6 above their length.
pub(crate) struct Writer8<'o> {
    out: &'o mut Vec<u8>,
    pub bits: Bits,
    lut: Box<[u64; ALL]>,
    idx: Vec<u16>,
    off: Vec<u16>,
    /// The packed bytes of one row (reused).
    raw: Vec<u8>,
}

impl<'o> Writer8<'o> {
    pub(crate) fn new(out: &'o mut Vec<u8>, codes: &[Codes; 4]) -> Self {
        let mut lut = Box::new([0u64; ALL]);
        for (i, e) in lut.iter_mut().enumerate() {
            // At most 16 + 8 bits (|difference| <= 255); a symbol that
            // does not occur has no code, and its entries are never read.
            let (v, l) = codes[i / SPAN].bits(difference(i % SPAN));
            *e = (v as u64) << 6 | l as u64;
        }
        Writer8 {
            out,
            bits: Bits::default(),
            lut,
            idx: Vec::new(),
            off: Vec::new(),
            raw: Vec::new(),
        }
    }
}

impl Sink for Writer8<'_> {
    #[inline(always)]
    fn row<const NF: usize>(&mut self, d: &[i32], nf: usize) {
        indices(&mut self.idx, &mut self.off, d, nf);
        // At most 24 bits per difference.
        let mut p = Packer::new(&mut self.raw, d.len() * 3, self.bits);
        let lut = &*self.lut;
        let mut it = self.idx.chunks_exact(2);
        for q in &mut it {
            let e0 = lut[q[0] as usize & (ALL - 1)];
            let e1 = lut[q[1] as usize & (ALL - 1)];
            // Two differences, at most 48 bits.
            let l1 = (e1 & 63) as u32;
            p.put_wide(((e0 >> 6) << l1) | (e1 >> 6), (e0 & 63) as u32 + l1);
        }
        for &i in it.remainder() {
            let e = lut[i as usize & (ALL - 1)];
            p.put_wide(e >> 6, (e & 63) as u32);
        }
        let (pos, bits) = (p.pos, p.bits);
        self.bits = bits;
        stuff(self.out, &self.raw[..pos]);
    }
    fn restart(&mut self, n: usize) {
        self.bits.marker(self.out, 0xD0 + ((n - 1) % 8) as u8);
    }
}
