//! JPEG-LS encoder (T.87 Annex A, encoder side): lossless and
//! near-lossless, interleave none / line / sample, 2-16 bits, 1-4
//! components, optional restart intervals and preset parameters.

use super::decoder::{init_edges, med, sign, update_regular, update_run, Model};
use super::params::{golomb_k, Coding, Preset, J};
use crate::error::{Error, Result};
use crate::limits;

#[path = "arch_enc.rs"]
mod arch;

#[cfg(test)]
thread_local! {
    /// Tests: encode with the portable line encoder even where [`arch`] runs.
    pub static PORTABLE: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// The line encoder for `nc` interleaved components: [`arch`]'s build where
/// the CPU runs it, else the portable one.
fn pick_line(nc: usize) -> arch::LineFn {
    #[cfg(test)]
    let fast = arch::available() && !PORTABLE.with(|p| p.get());
    #[cfg(not(test))]
    let fast = arch::available();
    match (nc, fast) {
        (1, true) => arch::line::<1>(),
        (2, true) => arch::line::<2>(),
        (3, true) => arch::line::<3>(),
        (_, true) => arch::line::<4>(),
        (1, false) => encode_line::<1>,
        (2, false) => encode_line::<2>,
        (3, false) => encode_line::<3>,
        (_, false) => encode_line::<4>,
    }
}

/// Encoding parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct EncodeOptions {
    /// Maximum error per sample (0: lossless).
    pub near: u8,
    /// 0 none (one scan per component), 1 line, 2 sample.
    pub interleave: u8,
    /// Lines per restart interval (0: none).
    pub restart_interval: u16,
    /// Preset coding parameters written in an LSE segment (None: defaults,
    /// no LSE segment).
    pub preset: Option<Preset>,
}

/// Image to encode: colour-by-pixel samples.
#[derive(Debug, Clone, Copy)]
pub struct Image<'a> {
    /// Samples, lines × columns × components.
    pub samples: &'a [u16],
    /// Samples per line.
    pub width: u32,
    /// Lines.
    pub height: u32,
    /// Components (1-4).
    pub components: u8,
    /// Bits per sample, 2-16; every sample must be below 2^precision (or
    /// <= the preset MAXVAL).
    pub precision: u8,
}

/// Bit writer with the 0xFF bit-stuffing of T.87 A.1. `buf[..pos]` is
/// the stream so far; `buf` is kept longer (zeros) so that the hot path
/// stores without growing it (see [`BitWriter::reserve`]).
#[derive(Default)]
struct BitWriter {
    buf: Vec<u8>,
    pos: usize,
    acc: u64,
    nbits: u32,
    after_ff: bool,
}

/// True when a byte of `w` is 0xFF.
#[inline(always)]
fn has_ff32(w: u32) -> bool {
    let x = !w;
    (x.wrapping_sub(0x0101_0101) & !x & 0x8080_8080) != 0
}

impl BitWriter {
    /// Makes room for `n` more bytes.
    fn reserve(&mut self, n: usize) {
        if self.buf.len() - self.pos < n {
            self.buf.resize(self.pos + n.max(self.buf.len()), 0);
        }
    }

    /// Appends one byte.
    fn byte(&mut self, b: u8) {
        self.reserve(1);
        self.buf[self.pos] = b;
        self.pos += 1;
    }

    /// Appends bytes (markers; after [`BitWriter::flush`]).
    fn extend(&mut self, b: &[u8]) {
        self.reserve(b.len());
        self.buf[self.pos..self.pos + b.len()].copy_from_slice(b);
        self.pos += b.len();
    }

    /// The stream.
    fn finish(mut self) -> Vec<u8> {
        self.buf.truncate(self.pos);
        self.buf
    }

    /// Appends the `n` (<= 32) low bits of `v` (no bits above them). Bits
    /// above `nbits` in `acc` are stale and ignored.
    #[inline(always)]
    fn put(&mut self, v: u32, n: u32) {
        self.acc = (self.acc << n) | v as u64;
        self.nbits += n;
        if self.nbits >= 32 {
            let w = (self.acc >> (self.nbits - 32)) as u32;
            if !self.after_ff && !has_ff32(w) {
                // Four bytes, none 0xFF: no stuffing.
                if let Some(d) = self.buf.get_mut(self.pos..self.pos + 4) {
                    d.copy_from_slice(&w.to_be_bytes());
                    self.pos += 4;
                    self.nbits -= 32;
                    return;
                }
            }
            // By value, so that a writer held in locals stays in registers.
            *self = std::mem::take(self).drained();
        }
    }

    #[cold]
    #[inline(never)]
    fn drained(mut self) -> Self {
        self.drain();
        self
    }

    /// Writes every whole byte of `acc` (7 bits after a 0xFF).
    fn drain(&mut self) {
        loop {
            let take = if self.after_ff { 7 } else { 8 };
            if self.nbits < take {
                break;
            }
            let b = ((self.acc >> (self.nbits - take)) & ((1 << take) - 1)) as u8;
            self.byte(b);
            self.nbits -= take;
            self.after_ff = b == 0xFF;
        }
    }

    fn zeros(&mut self, mut n: u32) {
        while n > 0 {
            let c = n.min(32);
            self.put(0, c);
            n -= c;
        }
    }

    /// Pads the last byte with 0 bits (and a byte after a final 0xFF).
    fn flush(&mut self) {
        self.drain();
        if self.nbits > 0 {
            let take = if self.after_ff { 7 } else { 8 };
            self.put(0, take - self.nbits);
            self.drain();
        }
        if self.after_ff {
            self.byte(0);
            self.after_ff = false;
        }
    }

    /// Limited-length Golomb code of `m` (T.87 A.5.3).
    #[inline(always)]
    fn golomb(&mut self, m: u32, k: u32, limit: u32, qbpp: u32) {
        let max = limit - qbpp - 1;
        let hi = m >> k;
        if hi < max {
            if hi + 1 + k <= 32 {
                // Prefix, its 1 and the k low bits in one go.
                self.put((1 << k) | (m & ((1 << k) - 1)), hi + 1 + k);
                return;
            }
            if hi < 32 {
                self.put(1, hi + 1);
            } else {
                self.zeros(hi);
                self.put(1, 1);
            }
            if k > 0 {
                self.put(m & ((1 << k) - 1), k);
            }
        } else {
            self.zeros(max);
            self.put(1, 1);
            self.put(m - 1, qbpp);
        }
    }
}

fn marker(out: &mut Vec<u8>, m: u8, body: &[u8]) {
    out.extend_from_slice(&[0xFF, m]);
    out.extend_from_slice(&((body.len() + 2) as u16).to_be_bytes());
    out.extend_from_slice(body);
}

/// Encodes `img` as a JPEG-LS stream.
pub fn encode(img: &Image<'_>, opts: &EncodeOptions) -> Result<Vec<u8>> {
    let (w, h, nf) = (
        img.width as usize,
        img.height as usize,
        img.components as usize,
    );
    if !(2..=16).contains(&img.precision) {
        return Err(Error::unsupported(format!(
            "JPEG-LS precision {}",
            img.precision
        )));
    }
    if !(1..=4).contains(&nf) || w == 0 || h == 0 || w > 65535 || h > 65535 {
        return Err(Error::unsupported(format!(
            "JPEG-LS encoding of {w}x{h} with {nf} components (1-65535 and 1-4)"
        )));
    }
    if opts.interleave > 2 {
        return Err(Error::unsupported(format!(
            "interleave mode {}",
            opts.interleave
        )));
    }
    let n = limits::checked_size("JPEG-LS image", &[w as u64, h as u64, nf as u64])?;
    if img.samples.len() as u64 != n {
        return Err(Error::malformed(
            0,
            "JPEG-LS encoder input",
            format!("{} samples for {w}x{h}x{nf}", img.samples.len()),
        ));
    }
    let preset = opts.preset.unwrap_or_default();
    let coding = Coding::new(img.precision, opts.near, &preset, false, 0)?;
    if let Some(i) = img.samples.iter().position(|&s| s as i32 > coding.maxval) {
        return Err(Error::malformed(
            i as u64,
            "JPEG-LS encoder input",
            format!("sample {} exceeds MAXVAL {}", img.samples[i], coding.maxval),
        ));
    }
    limits::check_alloc("JPEG-LS stream", n * 2 + 1024)?;
    let mut out = Vec::with_capacity((n as usize) * (img.precision as usize) / 10 + 256);
    out.extend_from_slice(&[0xFF, 0xD8]);
    let mut sof = vec![img.precision];
    sof.extend_from_slice(&(h as u16).to_be_bytes());
    sof.extend_from_slice(&(w as u16).to_be_bytes());
    sof.push(nf as u8);
    for c in 0..nf {
        sof.extend_from_slice(&[c as u8 + 1, 0x11, 0]);
    }
    marker(&mut out, 0xF7, &sof);
    if let Some(p) = opts.preset {
        let mut b = vec![1u8];
        for v in [p.maxval, p.t1, p.t2, p.t3, p.reset] {
            b.extend_from_slice(&v.to_be_bytes());
        }
        marker(&mut out, 0xF8, &b);
    }
    if opts.restart_interval > 0 {
        marker(&mut out, 0xDD, &opts.restart_interval.to_be_bytes());
    }
    let ilv = if nf == 1 { 0 } else { opts.interleave };
    let scans: Vec<Vec<usize>> = if ilv == 0 {
        (0..nf).map(|c| vec![c]).collect()
    } else {
        vec![(0..nf).collect()]
    };
    let mut bw = BitWriter {
        pos: out.len(),
        buf: out,
        ..Default::default()
    };
    for comps in scans {
        let mut sos = vec![comps.len() as u8];
        for &c in &comps {
            sos.extend_from_slice(&[c as u8 + 1, 0]);
        }
        sos.extend_from_slice(&[opts.near, ilv, 0]);
        let mut m = Vec::new();
        marker(&mut m, 0xDA, &sos);
        bw.extend(&m);
        encode_scan(
            &mut bw,
            img,
            &comps,
            ilv,
            coding,
            opts.restart_interval as usize,
        );
    }
    let mut out = bw.finish();
    out.extend_from_slice(&[0xFF, 0xD9]);
    Ok(out)
}

/// Encodes one scan's entropy-coded data (with RSTn between intervals).
fn encode_scan(
    bw: &mut BitWriter,
    img: &Image<'_>,
    comps: &[usize],
    ilv: u8,
    coding: Coding,
    ri: usize,
) {
    let (w, h, nf) = (
        img.width as usize,
        img.height as usize,
        img.components as usize,
    );
    let ns = comps.len();
    let nc = if ilv == 2 { ns } else { 1 };
    let nbuf = ns / nc;
    let line = (w + 2) * nc;
    let mut bufs: Vec<(Vec<i32>, Vec<i32>)> =
        (0..nbuf).map(|_| (vec![0; line], vec![0; line])).collect();
    let mut model = Model::new(coding);
    let mut run_index = [0usize; 4];
    let per = if ri == 0 { h } else { ri };
    let mut src = vec![0i32; w * nc];
    let line = pick_line(nc);
    for y in 0..h {
        if y > 0 && y % per == 0 {
            bw.flush();
            let m = ((y / per - 1) % 8) as u8;
            bw.extend(&[0xFF, 0xD0 + m]);
            model.reset();
            run_index = [0; 4];
            for b in bufs.iter_mut() {
                b.0.fill(0);
                b.1.fill(0);
            }
        }
        let row = &img.samples[y * w * nf..(y + 1) * w * nf];
        for (j, (prev, cur)) in bufs.iter_mut().enumerate() {
            for c in 0..nc {
                let comp = comps[j * nc + c];
                for x in 0..w {
                    src[x * nc + c] = row[x * nf + comp] as i32;
                }
            }
            let ri = &mut run_index[if nc == 1 { j } else { 0 }];
            line(&mut model, bw, &src, prev, cur, w, ri);
            std::mem::swap(prev, cur);
        }
    }
    bw.flush();
}

/// ceil(2^32 / step): x / step = (x · it) >> 32 for 0 <= x < 2^17.
fn reciprocal(step: i32) -> u64 {
    (1u64 << 32).div_ceil(step as u64)
}

/// Quantises a prediction error for near-lossless coding and reduces it
/// modulo RANGE (T.87 A.4.4 and A.4.5), the division by 2 NEAR + 1 done as a
/// multiplication by `inv` = [`reciprocal`]`(step)`.
#[inline(always)]
fn quantize_error(p: &Coding, inv: u64, e: i32) -> i32 {
    let mut e = if p.near == 0 {
        e
    } else if e > 0 {
        (((e + p.near) as u64 * inv) >> 32) as i32
    } else {
        -((((p.near - e) as u64 * inv) >> 32) as i32)
    };
    if e < 0 {
        e += p.range;
    }
    if e >= (p.range + 1) / 2 {
        e -= p.range;
    }
    e
}

/// Encodes one line of `NC` interleaved components; `cur` receives the
/// reconstructed samples.
#[inline(always)]
fn encode_line<const NC: usize>(
    m: &mut Model,
    bw: &mut BitWriter,
    src: &[i32],
    prev: &mut [i32],
    cur: &mut [i32],
    width: usize,
    ri: &mut usize,
) {
    init_edges::<NC>(prev, cur, width);
    let prev = &prev[..(width + 2) * NC];
    let cur = &mut cur[..(width + 2) * NC];
    // Worst case: LIMIT (<= 64) bits a sample, 8/7 for stuffing, plus the
    // run bits; then the writer lives in locals for the line.
    bw.reserve(width * NC * 10 + 64);
    let mut w = std::mem::take(bw);
    let p = m.p;
    let inv = reciprocal(p.step);
    let mut ra: [i32; NC] = std::array::from_fn(|c| cur[c]);
    let mut rc: [i32; NC] = std::array::from_fn(|c| prev[c]);
    let mut rb: [i32; NC] = std::array::from_fn(|c| prev[NC + c]);
    let mut x = 0;
    while x < width {
        let rd: [i32; NC] = std::array::from_fn(|c| prev[(x + 2) * NC + c]);
        let mut qs = [0i32; NC];
        let mut all0 = true;
        for c in 0..NC {
            qs[c] = m.qid(rd[c] - rb[c], rb[c] - rc[c], rc[c] - ra[c]);
            all0 &= qs[c] == 0;
        }
        if !all0 {
            for c in 0..NC {
                let q = qs[c];
                let sg = q >> 31;
                let qi = ((q ^ sg) - sg) as usize & 511;
                let cx = m.ctx[qi];
                let px = (med(ra[c], rb[c], rc[c]) + ((cx.c ^ sg) - sg)).clamp(0, p.maxval);
                let ix = src[x * NC + c];
                let e = quantize_error(&p, inv, ((ix - px) ^ sg) - sg);
                let k = golomb_k(cx.n, cx.a);
                let em = if k == 0 && p.near == 0 && 2 * cx.b + cx.n - 1 < 0 {
                    !e
                } else {
                    e
                };
                let mapped = ((em << 1) ^ (em >> 31)) as u32;
                w.golomb(mapped, k, p.limit, p.qbpp);
                // Valid input keeps A far below A_MAX.
                let _ = update_regular(&mut m.ctx[qi], e, p.step, p.reset);
                let v = if p.near == 0 {
                    // Lossless: the sample itself.
                    ix
                } else {
                    p.fix(px + ((e ^ sg) - sg) * p.step)
                };
                cur[(x + 1) * NC + c] = v;
                ra[c] = v;
            }
            rc = rb;
            rb = rd;
            x += 1;
        } else {
            x += encode_run::<NC>(m, &mut w, src, prev, cur, x, width, ri);
            if x < width {
                ra = std::array::from_fn(|c| cur[x * NC + c]);
                rc = std::array::from_fn(|c| prev[x * NC + c]);
                rb = std::array::from_fn(|c| prev[(x + 1) * NC + c]);
            }
        }
    }
    *bw = w;
}

/// Run mode from pixel `x`; returns the pixels done. Inlined so that the
/// caller's writer stays in registers.
#[allow(clippy::too_many_arguments)]
#[inline(always)]
fn encode_run<const NC: usize>(
    m: &mut Model,
    bw: &mut BitWriter,
    src: &[i32],
    prev: &[i32],
    cur: &mut [i32],
    x: usize,
    width: usize,
    ri: &mut usize,
) -> usize {
    let p = m.p;
    let mut count = 0;
    while x + count < width
        && (0..NC).all(|c| (src[(x + count) * NC + c] - cur[x * NC + c]).abs() <= p.near)
    {
        for c in 0..NC {
            cur[(x + 1 + count) * NC + c] = cur[x * NC + c];
        }
        count += 1;
    }
    let mut rem = count;
    while rem >= 1 << J[*ri] {
        bw.put(1, 1);
        rem -= 1 << J[*ri];
        *ri = (*ri + 1).min(31);
    }
    if x + count == width {
        if rem > 0 {
            bw.put(1, 1);
        }
        return count;
    }
    bw.put(0, 1);
    bw.put(rem as u32, J[*ri]);
    let xi = x + count;
    for c in 0..NC {
        let ra = cur[xi * NC + c];
        let rb = prev[(xi + 1) * NC + c];
        let ix = src[xi * NC + c];
        let (t, px, sg) = if NC == 1 && (ra - rb).abs() <= p.near {
            (1usize, ra, 1)
        } else {
            (0usize, rb, sign(rb - ra))
        };
        let e = quantize_error(&p, reciprocal(p.step), (ix - px) * sg);
        cur[(xi + 1) * NC + c] = p.fix(px + e * sg * p.step);
        let cx = m.run[t];
        let temp = if t == 1 { cx.a + (cx.n >> 1) } else { cx.a };
        let k = golomb_k(cx.n, temp);
        let map = (k == 0 && e > 0 && 2 * cx.nn < cx.n)
            || (e < 0 && 2 * cx.nn >= cx.n)
            || (e < 0 && k != 0);
        let em = 2 * e.abs() - t as i32 - map as i32;
        bw.golomb(em as u32, k, p.limit - J[*ri] - 1, p.qbpp);
        let _ = update_run(&mut m.run[t], e, em, t as i32, p.reset);
    }
    *ri = ri.saturating_sub(1);
    count + 1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn portable_and_arch_line_encoders_agree() {
        use crate::codecs::jpegls::tests_encode::synth;
        eprintln!("arch line encoder available: {}", arch::available());
        for (nc, bits) in [(1usize, 16u8), (1, 12), (3, 8), (2, 10), (4, 5)] {
            for near in [0u8, 2] {
                for ilv in 0..3u8 {
                    let v = synth(41, 19, nc, bits, (nc * 10 + bits as usize) as u64);
                    let img = Image {
                        samples: &v,
                        width: 41,
                        height: 19,
                        components: nc as u8,
                        precision: bits,
                    };
                    let opts = EncodeOptions {
                        near,
                        interleave: ilv,
                        restart_interval: if ilv == 1 { 4 } else { 0 },
                        ..Default::default()
                    };
                    PORTABLE.with(|p| p.set(true));
                    let a = encode(&img, &opts).unwrap();
                    PORTABLE.with(|p| p.set(false));
                    let b = encode(&img, &opts).unwrap();
                    assert_eq!(a, b, "{nc} comps {bits} bits NEAR {near} ilv {ilv}");
                }
            }
        }
    }

    #[test]
    fn reciprocal_division_is_exact() {
        for step in (1..=511).step_by(2) {
            let inv = reciprocal(step);
            for x in 0..(1u64 << 17) {
                assert_eq!((x * inv) >> 32, x / step as u64, "{x} / {step}");
            }
        }
    }
}
