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

use super::params::{golomb_k, med, Coding, Preset, J};
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

#[cfg(test)]
thread_local! {
    /// Tests: encode with the portable line encoder even where [`arch`] runs.
    pub static PORTABLE: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// A line encoder: model, writer, source line (near-lossless; lossless
/// reads the source from `cur`), previous and current line buffers, width,
/// run index.
pub type LineFn = fn(&mut Model, &mut BitWriter, &[i32], &mut [i32], &mut [i32], usize, &mut usize);

/// The line encoder for `nc` interleaved components, lossless or not, with
/// MAXVAL = 2^P - 1 (`pow2`) or not: [`arch`]'s build where the CPU runs it,
/// else the portable one.
fn pick_line(nc: usize, lossless: bool, pow2: bool) -> LineFn {
    #[cfg(test)]
    let fast = arch::available() && !PORTABLE.with(|p| p.get());
    #[cfg(not(test))]
    let fast = arch::available();
    macro_rules! pick {
        ($($nc:literal),*) => {
            match (nc, lossless, pow2, fast) {
                $(
                    ($nc, true, true, true) => arch::line::<$nc, true, true>(),
                    ($nc, true, false, true) => arch::line::<$nc, true, false>(),
                    ($nc, false, _, true) => arch::line::<$nc, false, false>(),
                    ($nc, true, true, false) => encode_line::<$nc, true, true>,
                    ($nc, true, false, false) => encode_line::<$nc, true, false>,
                    ($nc, false, _, false) => encode_line::<$nc, false, false>,
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

/// The hot part of a [`BitWriter`] for one line: its buffer (reserved for
/// the line's worst case) borrowed, the rest in locals, so that the state
/// stays in registers; the rare slow path takes and returns it by value.
struct LineWriter<'a> {
    buf: &'a mut [u8],
    pos: usize,
    acc: u64,
    nbits: u32,
    after_ff: bool,
}

impl<'a> LineWriter<'a> {
    fn new(bw: &'a mut BitWriter) -> LineWriter<'a> {
        LineWriter {
            buf: &mut bw.buf[..],
            pos: bw.pos,
            acc: bw.acc,
            nbits: bw.nbits,
            after_ff: bw.after_ff,
        }
    }

    /// The state to give back to the [`BitWriter`]: pos, acc, nbits,
    /// after_ff.
    fn state(&self) -> (usize, u64, u32, bool) {
        (self.pos, self.acc, self.nbits, self.after_ff)
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
            (self.pos, self.nbits, self.after_ff) =
                drain_bytes(self.buf, self.pos, self.acc, self.nbits, self.after_ff);
        }
    }

    fn zeros(&mut self, mut n: u32) {
        while n > 0 {
            let c = n.min(32);
            self.put(0, c);
            n -= c;
        }
    }

    /// Limited-length Golomb code of `m` (T.87 A.5.3); `max` is
    /// LIMIT - qbpp - 1.
    #[inline(always)]
    fn golomb(&mut self, m: u32, k: u32, max: u32, qbpp: u32) {
        let hi = m >> k;
        if hi < max && hi + 1 + k <= 32 {
            // Prefix, its 1 and the k low bits in one go.
            self.put((1 << k) | (m & ((1 << k) - 1)), hi + 1 + k);
        } else {
            // The writer's state by value: its address must not escape, or
            // it leaves the registers.
            (self.pos, self.acc, self.nbits, self.after_ff) =
                golomb_long(self.buf, self.state(), m, k, max, qbpp);
        }
    }
}

/// [`LineWriter::golomb`]'s rare cases: more than 32 bits, or the escape.
/// Takes and returns the writer's state.
#[cold]
#[inline(never)]
fn golomb_long(
    buf: &mut [u8],
    (pos, acc, nbits, after_ff): (usize, u64, u32, bool),
    m: u32,
    k: u32,
    max: u32,
    qbpp: u32,
) -> (usize, u64, u32, bool) {
    let mut w = LineWriter {
        buf,
        pos,
        acc,
        nbits,
        after_ff,
    };
    let hi = m >> k;
    if hi < max {
        if hi < 32 {
            w.put(1, hi + 1);
        } else {
            w.zeros(hi);
            w.put(1, 1);
        }
        if k > 0 {
            w.put(m & ((1 << k) - 1), k);
        }
    } else {
        w.zeros(max);
        w.put(1, 1);
        w.put(m - 1, qbpp);
    }
    w.state()
}

/// Writes every whole byte of the `nbits` low bits of `acc` at `pos` (7
/// bits after a 0xFF); returns the new pos, nbits and after_ff.
#[cold]
#[inline(never)]
fn drain_bytes(
    buf: &mut [u8],
    mut pos: usize,
    acc: u64,
    mut nbits: u32,
    mut after_ff: bool,
) -> (usize, u32, bool) {
    loop {
        let take = if after_ff { 7 } else { 8 };
        if nbits < take {
            return (pos, nbits, after_ff);
        }
        let b = ((acc >> (nbits - take)) & ((1 << take) - 1)) as u8;
        buf[pos] = b;
        pos += 1;
        nbits -= take;
        after_ff = b == 0xFF;
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

/// A regular-mode context (T.87 A.2.1): A, B, C, N.
#[derive(Debug, Clone, Copy, Default)]
struct Ctx {
    a: i32,
    b: i32,
    c: i32,
    n: i32,
}

/// A run-interruption context: A, N, Nn.
#[derive(Debug, Clone, Copy, Default)]
struct RunCtx {
    a: i32,
    n: i32,
    nn: i32,
}

/// Size of the gradient quantisation table: every difference of two 16-bit
/// samples, index `d & QMASK` (negative d in the upper half).
const QSIZE: usize = 1 << 17;
const QMASK: usize = QSIZE - 1;

/// Contexts and per-line scratch of a scan.
pub struct Model {
    p: Coding,
    /// Regular contexts 0..365, padded to 512 so that `i & 511` needs no
    /// bounds check.
    ctx: [Ctx; 512],
    run: [RunCtx; 2],
    /// Near-lossless: Q(d) at `d & QMASK` for every difference d of two
    /// samples <= MAXVAL.
    qt: Box<[i8; QSIZE]>,
    /// Per line: the context ids (lossless) or 81 Q1 + 9 Q2 (near-lossless)
    /// of its samples.
    q: Vec<i32>,
    /// Per line, lossless: the MED predictions of its samples.
    pred: Vec<i32>,
}

impl Model {
    fn new(p: Coding, width: usize) -> Model {
        // Calloc'd: only the entries of d in -MAXVAL..=MAXVAL are written.
        let mut qt: Box<[i8; QSIZE]> = vec![0i8; QSIZE].into_boxed_slice().try_into().unwrap();
        if p.near > 0 {
            let m = p.maxval as usize;
            for (d, t) in qt[..=m].iter_mut().enumerate() {
                *t = qcalc(&p, d as i32) as i8;
            }
            // Index QSIZE - m + i holds d = i - m.
            for (i, t) in qt[QSIZE - m..].iter_mut().enumerate() {
                *t = qcalc(&p, i as i32 - m as i32) as i8;
            }
        }
        Model {
            p,
            ctx: [Ctx::default(); 512],
            run: [RunCtx::default(); 2],
            qt,
            q: vec![0; width * 4],
            pred: vec![0; width * 4],
        }
    }

    /// Initial state (start of a scan or of a restart interval).
    fn reset(&mut self) {
        let a = self.p.a_init();
        self.ctx = [Ctx {
            a,
            b: 0,
            c: 0,
            n: 1,
        }; 512];
        self.run = [RunCtx { a, n: 1, nn: 0 }; 2];
    }
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
    let line = pick_line(nc, lossless, pow2);
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

/// ceil(2^32 / step): x / step = (x · it) >> 32 for 0 <= x < 2^17.
fn reciprocal(step: i32) -> u64 {
    (1u64 << 32).div_ceil(step as u64)
}

/// Quantised gradient Q(d) (T.87 A.3.3) by comparisons (branch-free, so
/// that the per-line pass vectorises).
#[inline(always)]
fn qcalc(p: &Coding, d: i32) -> i32 {
    let a = d.abs();
    let m = (a > p.near) as i32 + (a >= p.t1) as i32 + (a >= p.t2) as i32 + (a >= p.t3) as i32;
    let s = d >> 31;
    (m ^ s) - s
}

/// +1 or -1 (sign(0) = +1).
#[inline(always)]
fn sign(v: i32) -> i32 {
    (v >> 31) | 1
}

/// Sets the edge samples of a line pair: x = -1 of the current line is Rb
/// of x = 0; x = width of the previous line repeats x = width - 1.
#[inline(always)]
fn init_edges<const NC: usize>(prev: &mut [i32], cur: &mut [i32], width: usize) {
    for c in 0..NC {
        cur[c] = prev[NC + c];
        prev[(width + 1) * NC + c] = prev[width * NC + c];
    }
}

/// Regular-mode context update (T.87 A.6), branch-free; `be` is
/// E = 2 NEAR + 1. Valid input keeps A far below overflow (it halves every
/// RESET samples).
///
/// The bias correction in one step: with d = [B + N <= 0] - [B > 0], B
/// becomes B + d N and C becomes C - d, then B is clamped to 1 - N..=0 and
/// C to -128..=127 (the clamps are no-ops when d = 0: B + N > 0 and B <= 0
/// then).
#[inline(always)]
fn update(cx: &mut Ctx, e: i32, be: i32, reset: i32) {
    let h = (cx.n == reset) as u32;
    let a = (cx.a + e.abs()) >> h;
    let b = (cx.b + be) >> h;
    let n = (cx.n >> h) + 1;
    let d = (b + n <= 0) as i32 - (b > 0) as i32;
    cx.b = (b + d * n).max(1 - n).min(0);
    cx.c = (cx.c - d).clamp(-128, 127);
    cx.a = a;
    cx.n = n;
}

/// Codes one regular-mode sample `ix` with signed context id `q` and MED
/// prediction `pred`; returns the reconstructed sample. `LOSSLESS`: NEAR =
/// 0; `POW2`: and RANGE = 2^(32 - `sh`).
#[allow(clippy::too_many_arguments)]
#[inline(always)]
fn regular<const LOSSLESS: bool, const POW2: bool>(
    ctx: &mut [Ctx; 512],
    p: &Coding,
    w: &mut LineWriter<'_>,
    max: u32,
    sh: u32,
    inv: u64,
    q: i32,
    pred: i32,
    ix: i32,
) -> i32 {
    let sg = q >> 31;
    let qi = ((q ^ sg) - sg) as usize & 511;
    let cx = ctx[qi];
    let px = (pred + ((cx.c ^ sg) - sg)).max(0).min(p.maxval);
    let mut e = ((ix - px) ^ sg) - sg;
    let rx = if LOSSLESS {
        ix
    } else {
        // Quantise (T.87 A.4.4); the reconstruction uses E before the
        // modulo reduction, then clamps.
        let s = e >> 31;
        let qe = (((e.abs() + p.near) as u64 * inv) >> 32) as i32;
        e = (qe ^ s) - s;
        (px + ((e ^ sg) - sg) * p.step).max(0).min(p.maxval)
    };
    // Modulo RANGE into -RANGE/2..RANGE/2 (T.87 A.4.5).
    if POW2 {
        e = (e << sh) >> sh;
    } else {
        if e < 0 {
            e += p.range;
        }
        if e >= (p.range + 1) / 2 {
            e -= p.range;
        }
    }
    let k = golomb_k(cx.n, cx.a);
    // Lossless, k = 0 and 2 B <= -N: the mapping is inverted (A.5.2).
    let em = if LOSSLESS {
        e ^ (-((k == 0) as i32) & ((2 * cx.b + cx.n - 1) >> 31))
    } else {
        e
    };
    w.golomb(((em << 1) ^ (em >> 31)) as u32, k, max, p.qbpp);
    let be = if LOSSLESS { e } else { e * p.step };
    update(&mut ctx[qi], e, be, p.reset);
    rx
}

/// Encodes one line of `NC` interleaved components; `cur` receives the
/// reconstructed samples (lossless: holds the source samples already, and
/// `src` is empty).
#[inline(always)]
fn encode_line<const NC: usize, const LOSSLESS: bool, const POW2: bool>(
    m: &mut Model,
    bw: &mut BitWriter,
    src: &[i32],
    prev: &mut [i32],
    cur: &mut [i32],
    width: usize,
    ri: &mut usize,
) {
    init_edges::<NC>(prev, cur, width);
    // Worst case: LIMIT (<= 64) bits a sample, 8/7 for stuffing, plus the
    // run bits; then the writer lives in locals for the line.
    bw.reserve(width * NC * 10 + 64);
    let mut w = LineWriter::new(bw);
    if LOSSLESS {
        lossless_line::<NC, POW2>(m, &mut w, prev, cur, width, ri);
    } else {
        near_line::<NC>(m, &mut w, src, prev, cur, width, ri);
    }
    (bw.pos, bw.acc, bw.nbits, bw.after_ff) = w.state();
}

/// [`encode_line`], lossless: first the context ids and predictions of the
/// whole line (vectorised), then the serial coding.
#[inline(always)]
fn lossless_line<const NC: usize, const POW2: bool>(
    m: &mut Model,
    w: &mut LineWriter<'_>,
    prev: &[i32],
    cur: &[i32],
    width: usize,
    ri: &mut usize,
) {
    let n = width * NC;
    let p = m.p;
    let prev = &prev[..n + 2 * NC];
    let cur = &cur[..n + NC];
    {
        let q = &mut m.q[..n];
        let pred = &mut m.pred[..n];
        let (rc, rb, rd) = (&prev[..n], &prev[NC..n + NC], &prev[2 * NC..]);
        let ra = &cur[..n];
        for (((q, pr), (&ra, &rb)), (&rc, &rd)) in q
            .iter_mut()
            .zip(pred.iter_mut())
            .zip(ra.iter().zip(rb))
            .zip(rc.iter().zip(rd))
        {
            *q = (qcalc(&p, rd - rb) * 9 + qcalc(&p, rb - rc)) * 9 + qcalc(&p, rc - ra);
            *pr = med(ra, rb, rc);
        }
    }
    let q = &m.q[..n];
    let pred = &m.pred[..n];
    let ix = &cur[NC..];
    let max = p.limit - p.qbpp - 1;
    let sh = 32 - p.qbpp;
    let mut x = 0;
    while x < width {
        let j = x * NC;
        let (qv, pv, iv) = (&q[j..j + NC], &pred[j..j + NC], &ix[j..j + NC]);
        if qv.iter().any(|&q| q != 0) {
            unroll!(NC, c => {
                regular::<true, POW2>(&mut m.ctx, &p, w, max, sh, 0, qv[c], pv[c], iv[c]);
            });
            x += 1;
        } else {
            x += run_lossless::<NC>(&mut m.run, &p, w, prev, cur, x, width, ri);
        }
    }
}

/// Samples compared at once when scanning a run (a multiple of 1-4
/// components).
const RUN: usize = 24;

/// Run mode from pixel `x`, lossless; returns the pixels done.
#[allow(clippy::too_many_arguments)]
#[inline(always)]
fn run_lossless<const NC: usize>(
    run: &mut [RunCtx; 2],
    p: &Coding,
    w: &mut LineWriter<'_>,
    prev: &[i32],
    cur: &[i32],
    x: usize,
    width: usize,
    ri: &mut usize,
) -> usize {
    let mut ra = [0i32; NC];
    ra.copy_from_slice(&cur[x * NC..(x + 1) * NC]);
    let rest = &cur[(x + 1) * NC..(width + 1) * NC];
    // RUN (24 / NC pixels) at a time, then pixel by pixel.
    let pat: [i32; RUN] = std::array::from_fn(|i| ra[i % NC]);
    let mut done = 0;
    for ch in rest.chunks_exact(RUN) {
        if *ch != pat {
            break;
        }
        done += RUN;
    }
    let count = done / NC
        + rest[done..]
            .chunks_exact(NC)
            .take_while(|px| *px == ra)
            .count();
    if run_bits(w, count, x + count == width, ri) {
        return count;
    }
    let xi = x + count;
    for c in 0..NC {
        let ra = cur[xi * NC + c];
        let rb = prev[(xi + 1) * NC + c];
        let ix = cur[(xi + 1) * NC + c];
        interruption::<NC>(run, w, p, ra, rb, ix, 0, *ri);
    }
    *ri = ri.saturating_sub(1);
    count + 1
}

/// Writes the run-length bits of a run of `count` pixels (T.87 A.7.1.2);
/// `eol`: the run ends the line (true is returned: no interruption sample).
#[inline(always)]
fn run_bits(w: &mut LineWriter<'_>, count: usize, eol: bool, ri: &mut usize) -> bool {
    let mut rem = count;
    while rem >= 1 << J[*ri] {
        w.put(1, 1);
        rem -= 1 << J[*ri];
        *ri = (*ri + 1).min(31);
    }
    if eol {
        if rem > 0 {
            w.put(1, 1);
        }
        return true;
    }
    w.put(0, 1);
    w.put(rem as u32, J[*ri]);
    false
}

/// Codes a run-interruption sample `ix` (T.87 A.7.2) after `ra`, above
/// `rb`; returns the reconstructed sample.
#[allow(clippy::too_many_arguments)]
#[inline(always)]
fn interruption<const NC: usize>(
    run: &mut [RunCtx; 2],
    w: &mut LineWriter<'_>,
    p: &Coding,
    ra: i32,
    rb: i32,
    ix: i32,
    inv: u64,
    ri: usize,
) -> i32 {
    let (t, px, sg) = if NC == 1 && (ra - rb).abs() <= p.near {
        (1usize, ra, 1)
    } else {
        (0usize, rb, sign(rb - ra))
    };
    let mut e = (ix - px) * sg;
    let rx = if p.near == 0 {
        ix
    } else {
        let s = e >> 31;
        let qe = (((e.abs() + p.near) as u64 * inv) >> 32) as i32;
        e = (qe ^ s) - s;
        (px + e * sg * p.step).max(0).min(p.maxval)
    };
    if e < 0 {
        e += p.range;
    }
    if e >= (p.range + 1) / 2 {
        e -= p.range;
    }
    let cx = run[t];
    let temp = if t == 1 { cx.a + (cx.n >> 1) } else { cx.a };
    let k = golomb_k(cx.n, temp);
    let map =
        (k == 0 && e > 0 && 2 * cx.nn < cx.n) || (e < 0 && 2 * cx.nn >= cx.n) || (e < 0 && k != 0);
    let em = 2 * e.abs() - t as i32 - map as i32;
    let limit = p.limit - J[ri] - 1;
    w.golomb(em as u32, k, limit - p.qbpp - 1, p.qbpp);
    let cx = &mut run[t];
    if e < 0 {
        cx.nn += 1;
    }
    cx.a += (em + 1 - t as i32) >> 1;
    if cx.n == p.reset {
        cx.a >>= 1;
        cx.n >>= 1;
        cx.nn >>= 1;
    }
    cx.n += 1;
    rx
}

/// [`encode_line`], near-lossless: 81 Q1 + 9 Q2 of the line (from the line
/// above, vectorised), then the serial coding.
#[inline(always)]
fn near_line<const NC: usize>(
    m: &mut Model,
    w: &mut LineWriter<'_>,
    src: &[i32],
    prev: &[i32],
    cur: &mut [i32],
    width: usize,
    ri: &mut usize,
) {
    let n = width * NC;
    let p = m.p;
    let prev = &prev[..n + 2 * NC];
    let cur = &mut cur[..n + NC];
    let src = &src[..n];
    {
        let q = &mut m.q[..n];
        let (rc, rb, rd) = (&prev[..n], &prev[NC..n + NC], &prev[2 * NC..]);
        for (q, ((&rc, &rb), &rd)) in q.iter_mut().zip(rc.iter().zip(rb).zip(rd)) {
            *q = (qcalc(&p, rd - rb) * 9 + qcalc(&p, rb - rc)) * 9;
        }
    }
    let inv = reciprocal(p.step);
    let max = p.limit - p.qbpp - 1;
    let (q12, qt) = (&m.q[..n], &*m.qt);
    // One component: Ra in a register (the serial chain); more: reloaded.
    let mut ra1 = cur[0];
    let mut x = 0;
    while x < width {
        let j = x * NC;
        // Rc, Rb, Rd of component c at c, NC + c, 2 NC + c; Ra at c, the
        // sample coded at NC + c.
        let pv = &prev[j..j + 3 * NC];
        let cv = &mut cur[j..j + 2 * NC];
        let ra = |c: usize, cv: &[i32], r: i32| if NC == 1 { r } else { cv[c] };
        let mut qs = [0i32; NC];
        unroll!(NC, c => {
            qs[c] = q12[j + c] + qt[(pv[c] - ra(c, cv, ra1)) as usize & QMASK] as i32;
        });
        if qs.iter().any(|&q| q != 0) {
            unroll!(NC, c => {
                let a = ra(c, cv, ra1);
                let v = regular::<false, false>(
                    &mut m.ctx,
                    &p,
                    w,
                    max,
                    0,
                    inv,
                    qs[c],
                    med(a, pv[NC + c], pv[c]),
                    src[j + c],
                );
                cv[NC + c] = v;
                if NC == 1 {
                    ra1 = v;
                }
            });
            x += 1;
        } else {
            x += run_near::<NC>(&mut m.run, &p, w, src, prev, cur, x, width, ri, inv);
            if NC == 1 && x < width {
                ra1 = cur[x];
            }
        }
    }
}

/// Run mode from pixel `x`, near-lossless; returns the pixels done.
#[allow(clippy::too_many_arguments)]
#[inline(always)]
fn run_near<const NC: usize>(
    run: &mut [RunCtx; 2],
    p: &Coding,
    w: &mut LineWriter<'_>,
    src: &[i32],
    prev: &[i32],
    cur: &mut [i32],
    x: usize,
    width: usize,
    ri: &mut usize,
    inv: u64,
) -> usize {
    let mut ra = [0i32; NC];
    ra.copy_from_slice(&cur[x * NC..(x + 1) * NC]);
    // RUN (24 / NC pixels) at a time (the reconstructed run written with
    // them), then pixel by pixel.
    let pat: [i32; RUN] = std::array::from_fn(|i| ra[i % NC]);
    let near = p.near;
    let rest = &src[x * NC..width * NC];
    let out = &mut cur[(x + 1) * NC..(width + 1) * NC];
    let mut done = 0;
    for (ch, o) in rest.chunks_exact(RUN).zip(out.chunks_exact_mut(RUN)) {
        let ok = ch
            .iter()
            .zip(&pat)
            .fold(true, |ok, (&v, &r)| ok & ((v - r).abs() <= near));
        if !ok {
            break;
        }
        o.copy_from_slice(&pat);
        done += RUN;
    }
    for (px, o) in rest[done..]
        .chunks_exact(NC)
        .zip(out[done..].chunks_exact_mut(NC))
    {
        if !(0..NC).all(|c| (px[c] - ra[c]).abs() <= near) {
            break;
        }
        o.copy_from_slice(&ra);
        done += NC;
    }
    let count = done / NC;
    if run_bits(w, count, x + count == width, ri) {
        return count;
    }
    let xi = x + count;
    for c in 0..NC {
        let ra = cur[xi * NC + c];
        let rb = prev[(xi + 1) * NC + c];
        let ix = src[xi * NC + c];
        cur[(xi + 1) * NC + c] = interruption::<NC>(run, w, p, ra, rb, ix, inv, *ri);
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

    #[test]
    fn computed_gradient_quantisation_is_the_standards() {
        for (bits, near) in [(8u8, 0u8), (8, 3), (12, 0), (16, 2), (5, 1)] {
            let c = Coding::new(bits, near, &Preset::default(), false, 0).unwrap();
            for d in -c.maxval..=c.maxval {
                assert_eq!(
                    qcalc(&c, d),
                    c.quantize(d) as i32,
                    "{bits} bits NEAR {near} d {d}"
                );
            }
        }
    }

    #[test]
    fn med_is_the_standards() {
        for ra in 0..12 {
            for rb in 0..12 {
                for rc in 0..12 {
                    let want = if rc >= ra.max(rb) {
                        ra.min(rb)
                    } else if rc <= ra.min(rb) {
                        ra.max(rb)
                    } else {
                        ra + rb - rc
                    };
                    assert_eq!(med(ra, rb, rc), want);
                }
            }
        }
    }
}
