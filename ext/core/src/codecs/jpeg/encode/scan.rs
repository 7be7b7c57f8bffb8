//! The predictor loop (T.81 H.1.2) in two steps per row: a branch-free pass
//! the compiler vectorises computes every difference of the row (predictor,
//! masking to the precision, reduction modulo 2^16), then the sink counts
//! their categories (for optimised tables) or writes their codes.

use super::bitwriter::Bits;
use super::tables::EncodeTable;

/// A sample source: `u8` or `u16` samples, colour-by-pixel.
pub(crate) trait Sample: Copy + Send + Sync {
    fn get(self) -> i32;
}
impl Sample for u8 {
    #[inline(always)]
    fn get(self) -> i32 {
        self as i32
    }
}
impl Sample for u16 {
    #[inline(always)]
    fn get(self) -> i32 {
        self as i32
    }
}

/// Where the differences of a row go: counted or written.
pub(crate) trait Sink {
    /// The differences of one row, colour-by-pixel (`nf` components; `NF`
    /// the same when known at compile time, else 0), each already reduced
    /// modulo 2^16 to -32768..=32767.
    fn row<const NF: usize>(&mut self, d: &[i32], nf: usize);
    /// Start of restart interval `n` (n >= 1).
    fn restart(&mut self, n: usize);
}

/// Category (SSSS) of a difference; -32768 is coded as 16 with no extra
/// bits. At most 16 (the `& 31` lets the compiler drop bounds checks on
/// 32-entry tables).
#[inline(always)]
fn ssss(d: i32) -> usize {
    (32 - d.unsigned_abs().leading_zeros()) as usize & 31
}

/// Counts categories per component (tables are assigned afterwards).
pub(crate) struct Histogram {
    pub freq: [[u64; 32]; 4],
}

impl Histogram {
    pub(crate) fn new() -> Self {
        Histogram { freq: [[0; 32]; 4] }
    }
}

impl Sink for Histogram {
    #[inline(always)]
    fn row<const NF: usize>(&mut self, d: &[i32], nf: usize) {
        match NF {
            1 => {
                // Four counters per category: consecutive equal categories
                // do not wait on each other's increments.
                let mut f = [[0u32; 32]; 4];
                let mut it = d.chunks_exact(4);
                for q in &mut it {
                    f[0][ssss(q[0])] += 1;
                    f[1][ssss(q[1])] += 1;
                    f[2][ssss(q[2])] += 1;
                    f[3][ssss(q[3])] += 1;
                }
                for &x in it.remainder() {
                    f[0][ssss(x)] += 1;
                }
                for (s, total) in self.freq[0].iter_mut().enumerate() {
                    *total += (f[0][s] + f[1][s] + f[2][s] + f[3][s]) as u64;
                }
            }
            3 => {
                let mut f = [[0u32; 32]; 3];
                for px in d.chunks_exact(3) {
                    f[0][ssss(px[0])] += 1;
                    f[1][ssss(px[1])] += 1;
                    f[2][ssss(px[2])] += 1;
                }
                for (total, fc) in self.freq.iter_mut().zip(&f) {
                    for (t, &n) in total.iter_mut().zip(fc) {
                        *t += n as u64;
                    }
                }
            }
            _ => {
                for px in d.chunks_exact(nf) {
                    for (c, &x) in px.iter().enumerate() {
                        self.freq[c & 3][ssss(x)] += 1;
                    }
                }
            }
        }
    }
    fn restart(&mut self, _n: usize) {}
}

/// Per table: code and length per SSSS (32 entries, see [`ssss`]).
#[derive(Clone, Copy)]
pub(crate) struct Codes {
    code: [u32; 32],
    len: [u32; 32],
}

impl Codes {
    pub(crate) fn new(t: &EncodeTable) -> Self {
        let mut c = Codes {
            code: [0; 32],
            len: [0; 32],
        };
        c.code[..t.code.len()].copy_from_slice(&t.code);
        c.len[..t.len.len()].copy_from_slice(&t.len);
        c
    }

    /// The bits of difference `d`: its code, then SSSS extra bits (none
    /// for 0 and for 16), negative differences as d - 1. At most 31 bits.
    #[inline(always)]
    pub(crate) fn bits(&self, d: i32) -> (u32, u32) {
        let s = ssss(d);
        let eb = (s & 15) as u32;
        let extra = ((d - (d >> 31 & 1)) as u32) & ((1u32 << eb) - 1);
        ((self.code[s] << eb) | extra, self.len[s] + eb)
    }
}

/// Writes Huffman codes and extra bits: a row's bits are packed without
/// a branch into `raw` (every code stores 8 bytes and advances by the
/// whole bytes it completed), then copied to `out` with 0xFF bytes stuffed.
pub(crate) struct Writer<'o> {
    pub out: &'o mut Vec<u8>,
    pub bits: Bits,
    /// Per component, the codes of its table.
    pub codes: [Codes; 4],
    /// The packed bytes of one row (reused).
    pub raw: Vec<u8>,
}

impl Sink for Writer<'_> {
    #[inline(always)]
    fn row<const NF: usize>(&mut self, d: &[i32], nf: usize) {
        // At most 31 bits per difference.
        let mut p = Packer::new(&mut self.raw, d.len() * 4, self.bits);
        match NF {
            1 => {
                let t = &self.codes[0];
                for &x in d {
                    p.put(t.bits(x));
                }
            }
            3 => {
                let [t0, t1, t2, _] = &self.codes;
                for px in d.chunks_exact(3) {
                    p.put(t0.bits(px[0]));
                    p.put(t1.bits(px[1]));
                    p.put(t2.bits(px[2]));
                }
            }
            _ => {
                for px in d.chunks_exact(nf) {
                    for (c, &x) in px.iter().enumerate() {
                        p.put(self.codes[c & 3].bits(x));
                    }
                }
            }
        }
        let (pos, bits) = (p.pos, p.bits);
        self.bits = bits;
        stuff(self.out, &self.raw[..pos]);
    }
    fn restart(&mut self, n: usize) {
        self.bits.marker(self.out, 0xD0 + ((n - 1) % 8) as u8);
    }
}

/// Branch-free bit packing into a row buffer (see [`Writer`]).
pub(crate) struct Packer<'r> {
    raw: &'r mut [u8],
    /// Whole bytes written.
    pub pos: usize,
    /// The bits of the byte not yet complete (fewer than 8 between codes).
    pub bits: Bits,
}

impl<'r> Packer<'r> {
    /// A packer into `raw` (grown to `most` bytes and the last store's 8),
    /// starting with the held `bits`.
    #[inline(always)]
    pub(crate) fn new(raw: &'r mut Vec<u8>, most: usize, bits: Bits) -> Self {
        let need = most + 8;
        if raw.len() < need {
            raw.resize(need, 0);
        }
        Packer {
            raw: &mut raw[..need],
            pos: 0,
            bits,
        }
    }

    #[inline(always)]
    fn put(&mut self, (v, l): (u32, u32)) {
        self.put_wide(v as u64, l);
    }

    /// The low `l` (1..=56) bits of `v`.
    #[inline(always)]
    pub(crate) fn put_wide(&mut self, v: u64, l: u32) {
        let (acc, n) = self.bits.push(v, l);
        // The n (1..=63) pending bits, left-aligned, most significant first.
        let w = (acc << (64 - n)).to_be_bytes();
        self.raw[self.pos..self.pos + 8].copy_from_slice(&w);
        self.pos += (n >> 3) as usize;
    }
}

/// Appends `b` to `out`, a 0x00 after every 0xFF (T.81 F.1.2.3); eight
/// bytes are tested at a time.
pub(crate) fn stuff(out: &mut Vec<u8>, b: &[u8]) {
    out.reserve(b.len() + b.len() / 32 + 8);
    let mut start = 0;
    let mut chunks = b.chunks_exact(8);
    let mut base = 0;
    for c in &mut chunks {
        let w = u64::from_le_bytes(c.try_into().expect("8 bytes"));
        let nw = !w; // a 0xFF byte of w is a zero byte of !w
        if (nw.wrapping_sub(0x0101_0101_0101_0101) & !nw & 0x8080_8080_8080_8080) != 0 {
            for (j, &x) in c.iter().enumerate() {
                if x == 0xFF {
                    out.extend_from_slice(&b[start..=base + j]);
                    out.push(0);
                    start = base + j + 1;
                }
            }
        }
        base += 8;
    }
    for (j, &x) in chunks.remainder().iter().enumerate() {
        if x == 0xFF {
            out.extend_from_slice(&b[start..=base + j]);
            out.push(0);
            start = base + j + 1;
        }
    }
    out.extend_from_slice(&b[start..]);
}

/// Geometry and parameters of a scan.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Params {
    pub width: usize,
    pub height: usize,
    pub nf: usize,
    pub precision: u32,
    pub predictor: u8,
    /// Rows per restart interval (0 = none).
    pub restart_rows: usize,
}

/// Runs the predictor over every sample, feeding `sink` a row at a time.
/// (Inlined into [`super::arch`]'s build, which compiles it with AVX2/BMI2.)
#[inline(always)]
pub(crate) fn run<T: Sample, S: Sink>(samples: &[T], p: Params, sink: &mut S) {
    match p.nf {
        1 => rows::<T, S, 1>(samples, p, sink),
        3 => rows::<T, S, 3>(samples, p, sink),
        _ => rows::<T, S, 0>(samples, p, sink),
    }
}

/// `NF`: the component count when known at compile time (0 = read from `p`).
#[inline(always)]
fn rows<T: Sample, S: Sink, const NF: usize>(samples: &[T], p: Params, sink: &mut S) {
    let nf = if NF == 0 { p.nf } else { NF };
    let mask = ((1u32 << p.precision) - 1) as i32;
    let stride = p.width * nf;
    let initial = 1i32 << (p.precision - 1);
    let mut d = vec![0i32; stride];
    let mut interval = 0usize;
    for y in 0..p.height {
        let row = &samples[y * stride..(y + 1) * stride];
        let first = y == 0 || (p.restart_rows > 0 && y % p.restart_rows == 0);
        if y > 0 && first {
            interval += 1;
            sink.restart(interval);
        }
        if first {
            for c in 0..nf {
                d[c] = reduce((row[c].get() & mask) - initial);
            }
            predict::<T, 1>(&mut d[nf..], row, row, nf, mask);
        } else {
            let up = &samples[(y - 1) * stride..y * stride];
            for c in 0..nf {
                d[c] = reduce((row[c].get() & mask) - (up[c].get() & mask));
            }
            let d = &mut d[nf..];
            match p.predictor {
                1 => predict::<T, 1>(d, row, up, nf, mask),
                2 => predict::<T, 2>(d, row, up, nf, mask),
                3 => predict::<T, 3>(d, row, up, nf, mask),
                4 => predict::<T, 4>(d, row, up, nf, mask),
                5 => predict::<T, 5>(d, row, up, nf, mask),
                6 => predict::<T, 6>(d, row, up, nf, mask),
                _ => predict::<T, 7>(d, row, up, nf, mask),
            }
        }
        sink.row::<NF>(&d, nf);
    }
}

/// The differences of samples `nf..` of `row` (`d` is that long) with
/// predictor `P` (Ra the sample `nf` before, Rb above, Rc above Ra). No
/// branch in the loop: it vectorises.
#[inline(always)]
fn predict<T: Sample, const P: u8>(d: &mut [i32], row: &[T], up: &[T], nf: usize, mask: i32) {
    let n = d.len();
    let (x, a) = (&row[nf..nf + n], &row[..n]);
    let (b, c) = (&up[nf..nf + n], &up[..n]);
    for i in 0..n {
        let xi = x[i].get() & mask;
        let ra = a[i].get() & mask;
        let px = match P {
            1 => ra,
            2 => b[i].get() & mask,
            3 => c[i].get() & mask,
            4 => ra + (b[i].get() & mask) - (c[i].get() & mask),
            5 => ra + (((b[i].get() & mask) - (c[i].get() & mask)) >> 1),
            6 => (b[i].get() & mask) + ((ra - (c[i].get() & mask)) >> 1),
            _ => (ra + (b[i].get() & mask)) >> 1,
        };
        d[i] = reduce(xi - px);
    }
}

/// The difference modulo 2^16, as -32768..=32767.
#[inline(always)]
fn reduce(d: i32) -> i32 {
    (d as i16) as i32
}
