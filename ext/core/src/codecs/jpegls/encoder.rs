//! JPEG-LS encoder (T.87 Annex A, encoder side): lossless and
//! near-lossless, interleave none / line / sample, 2-16 bits, 1-4
//! components, optional restart intervals and preset parameters.
//!
//! Speed (see `examples/jls_vs_charls.rs`): the encoder knows every sample
//! in advance, so what the decoder must do serially is split in two passes
//! per line. A branch-free pass, vectorised by the compiler, computes the
//! quantised gradients (Q(d) by comparisons, not a table) and, lossless, the
//! context id and MED prediction of every sample (reconstructed = source);
//! near-lossless only the two gradients of the line above (the third
//! depends on the sample just reconstructed). The serial pass then only
//! does what depends on the context state: bias correction, Golomb
//! parameter, mapping, the bit writer and the context update (branch-free),
//! with run mode entered from the precomputed ids. Each (components,
//! lossless, MAXVAL = 2^P - 1) combination is its own monomorphised loop
//! whose state stays in registers; lossless with MAXVAL = 2^P - 1 reduces the
//! error modulo RANGE by a sign extension.

use super::params::{golomb_k, med, Coding, Preset, DEFAULT_RESET, J};
use crate::error::{Error, Result};
use crate::limits;

#[path = "arch_enc.rs"]
mod arch;

/// `$body` for `$c` = 0 .. `$nc` (<= 4), unrolled.
macro_rules! unroll {
    ($nc:expr, $c:ident => $body:block) => {{
        {
            let $c: usize = 0;
            if $c < $nc $body
        }
        {
            let $c: usize = 1;
            if $c < $nc $body
        }
        {
            let $c: usize = 2;
            if $c < $nc $body
        }
        {
            let $c: usize = 3;
            if $c < $nc $body
        }
    }};
}

mod lines;
use lines::{encode_line, Model};

#[cfg(test)]
thread_local! {
    /// Tests: encode with the portable line encoder even where [`arch`] runs.
    pub static PORTABLE: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
    /// Tests: encode with the generic line encoders (no per-bit-depth
    /// constants).
    pub static GENERIC: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// A line encoder: model, writer, source line (near-lossless; lossless
/// reads the source from `cur`), previous and current line buffers, width,
/// run index.
pub type LineFn = fn(&mut Model, &mut BitWriter, &[i32], &mut [i32], &mut [i32], usize, &mut usize);

/// The line encoder for `nc` interleaved components, lossless or not, with
/// MAXVAL = 2^P - 1 (`pow2`) or not, and `bits` = P where lossless, pow2 and
/// RESET = 64 for a P compiled with its parameters as constants (else 0):
/// [`arch`]'s build where the CPU runs it, else the portable one.
fn pick_line(nc: usize, lossless: bool, pow2: bool, bits: u32) -> LineFn {
    #[cfg(test)]
    let fast = arch::available() && !PORTABLE.with(|p| p.get());
    #[cfg(not(test))]
    let fast = arch::available();
    #[cfg(test)]
    let bits = if GENERIC.with(|p| p.get()) { 0 } else { bits };
    macro_rules! pick {
        ($(($nc:literal, $b:literal)),*) => {
            match (nc, lossless, pow2, bits, fast) {
                $(
                    ($nc, true, true, $b, true) => return arch::line::<$nc, true, true, $b>(),
                    ($nc, true, true, $b, false) => return encode_line::<$nc, true, true, $b>,
                )*
                _ => {}
            }
        };
    }
    pick!((1, 8), (1, 10), (1, 12), (1, 14), (1, 15), (1, 16), (3, 8));
    macro_rules! pick {
        ($($nc:literal),*) => {
            match (nc, lossless, pow2, fast) {
                $(
                    ($nc, true, true, true) => arch::line::<$nc, true, true, 0>(),
                    ($nc, true, false, true) => arch::line::<$nc, true, false, 0>(),
                    ($nc, false, _, true) => arch::line::<$nc, false, false, 0>(),
                    ($nc, true, true, false) => encode_line::<$nc, true, true, 0>,
                    ($nc, true, false, false) => encode_line::<$nc, true, false, 0>,
                    ($nc, false, _, false) => encode_line::<$nc, false, false, 0>,
                )*
                _ => unreachable!("1-4 components"),
            }
        };
    }
    pick!(1, 2, 3, 4)
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

/// Samples of a frame to encode, colour-by-pixel, in the caller's layout
/// (converted line by line, no copy of the frame).
#[derive(Clone, Copy)]
pub(super) enum Source<'a> {
    /// 16-bit samples, every one <= MAXVAL.
    U16(&'a [u16]),
    /// Bytes, masked with the `u8` (2^P - 1).
    U8(&'a [u8], u8),
    /// Little-endian 16-bit samples, masked with the `u16` (2^P - 1).
    Le16(&'a [u8], u16),
}

impl Source<'_> {
    fn len(&self) -> usize {
        match self {
            Source::U16(s) => s.len(),
            Source::U8(s, _) => s.len(),
            Source::Le16(s, _) => s.len() / 2,
        }
    }

    /// Writes the samples of one line to `dst`: the `dst.len()` samples
    /// from `start` (`comp` None), or component `comp` of the `dst.len()`
    /// pixels of `nf` components from `start`.
    #[inline]
    fn load(&self, start: usize, nf: usize, comp: Option<usize>, dst: &mut [i32]) {
        let n = dst.len();
        let Some(comp) = comp else {
            let end = start + n;
            match *self {
                Source::U16(s) => {
                    for (d, &v) in dst.iter_mut().zip(&s[start..end]) {
                        *d = v as i32;
                    }
                }
                Source::U8(s, m) => {
                    for (d, &v) in dst.iter_mut().zip(&s[start..end]) {
                        *d = (v & m) as i32;
                    }
                }
                Source::Le16(s, m) => {
                    for (d, v) in dst.iter_mut().zip(s[2 * start..2 * end].chunks_exact(2)) {
                        *d = (u16::from_le_bytes([v[0], v[1]]) & m) as i32;
                    }
                }
            }
            return;
        };
        let end = start + n * nf;
        match nf {
            2 => self.pick::<2>(start, end, comp, dst),
            3 => self.pick::<3>(start, end, comp, dst),
            _ => self.pick::<4>(start, end, comp, dst),
        }
    }

    /// [`Source::load`] of component `comp` of `NF`.
    #[inline(always)]
    fn pick<const NF: usize>(&self, start: usize, end: usize, comp: usize, dst: &mut [i32]) {
        match *self {
            Source::U16(s) => {
                for (d, v) in dst.iter_mut().zip(s[start..end].chunks_exact(NF)) {
                    *d = v[comp] as i32;
                }
            }
            Source::U8(s, m) => {
                for (d, v) in dst.iter_mut().zip(s[start..end].chunks_exact(NF)) {
                    *d = (v[comp] & m) as i32;
                }
            }
            Source::Le16(s, m) => {
                for (d, v) in dst
                    .iter_mut()
                    .zip(s[2 * start..2 * end].chunks_exact(2 * NF))
                {
                    *d = (u16::from_le_bytes([v[2 * comp], v[2 * comp + 1]]) & m) as i32;
                }
            }
        }
    }
}

/// Bit writer with the 0xFF bit-stuffing of T.87 A.1. `buf[..pos]` is
/// the stream so far; `buf` is kept longer (zeros) so that the hot path
/// stores without growing it (see [`BitWriter::reserve`]).
#[derive(Default)]
pub struct BitWriter {
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
}

fn marker(out: &mut Vec<u8>, m: u8, body: &[u8]) {
    out.extend_from_slice(&[0xFF, m]);
    out.extend_from_slice(&((body.len() + 2) as u16).to_be_bytes());
    out.extend_from_slice(body);
}

/// Encodes `img` as a JPEG-LS stream.
pub fn encode(img: &Image<'_>, opts: &EncodeOptions) -> Result<Vec<u8>> {
    if !(2..=16).contains(&img.precision) {
        return Err(Error::unsupported(format!(
            "JPEG-LS precision {}",
            img.precision
        )));
    }
    let maxval = match opts.preset {
        Some(p) if p.maxval != 0 => p.maxval as u32,
        _ => (1u32 << img.precision) - 1,
    };
    let top = img.samples.iter().fold(0u16, |m, &s| m.max(s));
    if top as u32 > maxval {
        let i = img
            .samples
            .iter()
            .position(|&s| s as u32 > maxval)
            .unwrap_or(0);
        return Err(Error::malformed(
            i as u64,
            "JPEG-LS encoder input",
            format!("sample {} exceeds MAXVAL {maxval}", img.samples[i]),
        ));
    }
    encode_source(
        Source::U16(img.samples),
        img.width,
        img.height,
        img.components,
        img.precision,
        opts,
    )
}

/// Encodes `src` (`width` × `height` × `components` samples, each <= the
/// MAXVAL of `precision` and the preset) as a JPEG-LS stream.
pub(super) fn encode_source(
    src: Source<'_>,
    width: u32,
    height: u32,
    components: u8,
    precision: u8,
    opts: &EncodeOptions,
) -> Result<Vec<u8>> {
    let (w, h, nf) = (width as usize, height as usize, components as usize);
    if !(2..=16).contains(&precision) {
        return Err(Error::unsupported(format!("JPEG-LS precision {precision}")));
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
    if src.len() as u64 != n {
        return Err(Error::malformed(
            0,
            "JPEG-LS encoder input",
            format!("{} samples for {w}x{h}x{nf}", src.len()),
        ));
    }
    let preset = opts.preset.unwrap_or_default();
    let coding = Coding::new(precision, opts.near, &preset, false, 0)?;
    limits::check_alloc("JPEG-LS stream", n * 2 + 1024)?;
    let mut out = Vec::with_capacity((n as usize) * (precision as usize) / 10 + 256);
    out.extend_from_slice(&[0xFF, 0xD8]);
    let mut sof = vec![precision];
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
    let mut model = Model::new(coding, w);
    for comps in scans {
        let mut sos = vec![comps.len() as u8];
        for &c in &comps {
            sos.extend_from_slice(&[c as u8 + 1, 0]);
        }
        sos.extend_from_slice(&[opts.near, ilv, 0]);
        let mut m = Vec::new();
        marker(&mut m, 0xDA, &sos);
        bw.extend(&m);
        model.reset();
        encode_scan(
            &mut bw,
            &mut model,
            src,
            (w, h, nf),
            &comps,
            ilv,
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
    model: &mut Model,
    src: Source<'_>,
    (w, h, nf): (usize, usize, usize),
    comps: &[usize],
    ilv: u8,
    ri: usize,
) {
    let ns = comps.len();
    let nc = if ilv == 2 { ns } else { 1 };
    let nbuf = ns / nc;
    let line = (w + 2) * nc;
    let mut bufs: Vec<(Vec<i32>, Vec<i32>)> =
        (0..nbuf).map(|_| (vec![0; line], vec![0; line])).collect();
    let mut run_index = [0usize; 4];
    let per = if ri == 0 { h } else { ri };
    let lossless = model.p.near == 0;
    let pow2 = lossless && (model.p.maxval + 1).count_ones() == 1;
    let mut srcline = vec![0i32; if lossless { 0 } else { w * nc }];
    let bits = if pow2 && model.p.reset == DEFAULT_RESET {
        model.p.qbpp
    } else {
        0
    };
    let line = pick_line(nc, lossless, pow2, bits);
    // Sample-interleaved rows whose components all go in order: one copy.
    let whole = nc == nf;
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
        let row = y * w * nf;
        for (j, (prev, cur)) in bufs.iter_mut().enumerate() {
            let dst = if lossless {
                &mut cur[nc..(w + 1) * nc]
            } else {
                &mut srcline[..]
            };
            if whole {
                src.load(row, nf, None, dst);
            } else {
                // One component (interleave none or line).
                src.load(row, nf, Some(comps[j]), dst);
            }
            let ri = &mut run_index[if nc == 1 { j } else { 0 }];
            line(model, bw, &srcline, prev, cur, w, ri);
            std::mem::swap(prev, cur);
        }
    }
    bw.flush();
}
