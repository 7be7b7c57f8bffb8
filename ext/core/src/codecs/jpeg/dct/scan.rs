//! Scans: the MCU walk shared by all scan kinds (interleaved or not,
//! restart intervals, data that ends early) and the sequential (SOF0/SOF1)
//! block decoder, which dequantises as it stores and runs the IDCT at once.

use super::frame::{Comp, Frame, Headers, Scan};
use super::huff::{extend, Table, AC2_COEF, AC2_COEF2, AC2_EOB, AC2_EOB2, COMPLETE};
use super::{arch, Px};
use crate::codecs::jpeg::bitreader::{BitReader, Bits, Cold};
use crate::pixels::FrameReport;

/// Zig-zag order to natural order, with extra entries so that a corrupt
/// run past coefficient 63 lands on 63 (as libjpeg's table does); 128 of
/// them so that `k & 127` needs no bounds check.
pub(super) const ZZ: [usize; 128] = {
    let base: [u8; 64] = [
        0, 1, 8, 16, 9, 2, 3, 10, 17, 24, 32, 25, 18, 11, 4, 5, 12, 19, 26, 33, 40, 48, 41, 34, 27,
        20, 13, 6, 7, 14, 21, 28, 35, 42, 49, 56, 57, 50, 43, 36, 29, 22, 15, 23, 30, 37, 44, 51,
        58, 59, 52, 45, 38, 31, 39, 46, 53, 60, 61, 54, 47, 55, 62, 63,
    ];
    let mut t = [63usize; 128];
    let mut i = 0;
    while i < 64 {
        t[i] = base[i] as usize;
        i += 1;
    }
    t
};

/// [`ZZ`] as bytes (a smaller table for the AC loop).
const ZZ8: [u8; 128] = {
    let mut t = [0u8; 128];
    let mut i = 0;
    while i < 128 {
        t[i] = ZZ[i] as u8;
        i += 1;
    }
    t
};

const NO_Q: [i32; 64] = [0; 64];

/// Decodes one Huffman symbol and its value: `(RS, value)`. `bad` is set on
/// an invalid code (decoded as symbol 0, as libjpeg does).
#[inline(always)]
pub(super) fn symbol(b: &mut Bits, c: &mut Cold, t: &Table, bad: &mut bool) -> (u32, i32) {
    if b.nbits < 32 {
        b.refill(c);
    }
    let e = t.lut[(b.buf >> 52) as usize];
    if e & COMPLETE != 0 {
        b.consume(e & 63);
        return ((e >> 8) & 255, (e >> 16) as i16 as i32);
    }
    let (l, rs) = if e != 0 {
        (e & 63, (e >> 8) & 255)
    } else {
        let (l, rs, ok) = t.slow(b.buf);
        *bad |= !ok;
        (l, rs)
    };
    b.consume(l);
    let s = rs & 15;
    if s == 0 {
        return (rs, 0);
    }
    let v = (b.buf >> (64 - s)) as u32;
    b.consume(s);
    (rs, extend(v, s))
}

/// What one step of [`ac_coefs`] found.
#[derive(PartialEq, Eq)]
enum Step {
    More,
    End,
    /// The entry is not in the table: decode one symbol the slow way.
    Slow,
}

/// One table step of [`ac_coefs`]: stores the entry's one or two
/// coefficients (dequantised) and takes their bits. The second symbol is
/// stored without a branch: an entry without one has run 0 and value 0,
/// which ORs 0 into a coefficient not yet written.
#[inline(always)]
fn ac_step(e: u64, k: &mut usize, blk: &mut [i32; 64], q: &[i32; 64], b: &mut Bits) -> Step {
    if e & AC2_COEF == 0 {
        if e & AC2_EOB != 0 {
            b.buf = b.buf.wrapping_shl(e as u32);
            b.nbits -= (e & 63) as u32;
            return Step::End;
        }
        return Step::Slow;
    }
    *k += ((e >> 8) & 15) as usize;
    let pos = ZZ8[*k & 127] as usize & 63;
    blk[pos] = ((e >> 32) as i16 as i32) * q[pos];
    *k += 1;
    // The second symbol belongs to the next block when the first ends
    // this one: then only the first one's bits are taken.
    let live = *k < 64;
    let k2 = *k + ((e >> 12) & 15) as usize;
    let pos2 = ZZ8[k2 & 127] as usize & 63;
    let v2 = if live { (e >> 48) as i16 as i32 } else { 0 };
    blk[pos2] |= v2 * q[pos2];
    // The shift count is the low 6 bits (no mask on the serial chain).
    let n = if live { e } else { e >> 20 } as u32;
    if live && e & AC2_COEF2 != 0 {
        *k = k2 + 1;
    }
    b.buf = b.buf.wrapping_shl(n);
    b.nbits -= n & 63;
    if *k >= 64 || e & AC2_EOB2 != 0 {
        Step::End
    } else {
        Step::More
    }
}

/// Decodes the AC coefficients of a sequential block into `blk` (natural
/// order, dequantised by `q`); true when any symbol other than an
/// immediate end of block was read. `bad` is set on an invalid code.
///
/// Two table steps per loop: the first looks up, then refills (so that the
/// refill is off the serial shift, load, shift chain; branch-free while no
/// 0xFF byte is near), the second only looks up; no data-dependent branch
/// but the exit ([`ac_step`]). Invariant at the top of the loop: `nbits >=
/// 12`, the table index (bits below `nbits` are not always the stream's
/// next bits: the byte-by-byte refill clears them): established on entry
/// (the DC symbol may leave as little as 1 bit when it found 32 and took
/// 31), kept because a step takes at most 12 bits (56 - 2 * 12 >= 12) and
/// the slow path refills after its symbol.
#[inline(always)]
pub(super) fn ac_coefs(
    bits: &mut Bits,
    c: &mut Cold,
    t: &Table,
    q: &[i32; 64],
    blk: &mut [i32; 64],
    bad: &mut bool,
) -> bool {
    let lut = &*t.ac2;
    let mut k = 1usize;
    let mut slow_bad = false;
    // A local copy, so that the buffer stays in registers.
    let mut bb = *bits;
    let b = &mut bb;
    if b.nbits < 20 {
        b.refill(c);
    }
    loop {
        debug_assert!(b.nbits >= 12 && k < 64);
        let e = lut[(b.buf >> 52) as usize];
        b.refill(c);
        let mut st = ac_step(e, &mut k, blk, q, b);
        if st == Step::More {
            debug_assert!(b.nbits >= 12);
            let e = lut[(b.buf >> 52) as usize];
            st = ac_step(e, &mut k, blk, q, b);
            if st == Step::More {
                continue;
            }
        }
        if st == Step::End {
            break;
        }
        let (rs, v) = symbol(b, c, t, &mut slow_bad);
        if b.nbits < 32 {
            b.refill(c);
        }
        let r = (rs >> 4) as usize;
        if rs & 15 == 0 {
            if r == 15 {
                k += 16;
                if k >= 64 {
                    break;
                }
                continue;
            }
            break;
        }
        k += r;
        let pos = ZZ[k & 127] & 63;
        blk[pos] = v * q[pos];
        k += 1;
        if k >= 64 {
            break;
        }
    }
    *bad |= slow_bad;
    *bits = bb;
    k > 1
}

/// `n` raw bits (n <= 16).
#[inline(always)]
pub(super) fn bits(b: &mut Bits, c: &mut Cold, n: u32) -> u32 {
    if n == 0 {
        return 0;
    }
    if b.nbits < 32 {
        b.refill(c);
    }
    let v = (b.buf >> (64 - n)) as u32;
    b.consume(n);
    v
}

/// Per scan component: sampling factors and the blocks that hold image
/// data (per row, rows).
pub(super) type Geo = (usize, usize, usize, usize);

/// What a scan does with each block.
pub(super) trait Sink {
    /// Decodes (or with `skip`, fills in for missing data) the block at
    /// (`bx`, `by`) of the scan's `k`-th component.
    fn block(&mut self, b: &mut Bits, c: &mut Cold, k: usize, bx: usize, by: usize, skip: bool);
    /// Resets predictions at a restart marker (and at the scan start).
    fn restart(&mut self);
    /// True when an invalid Huffman code was met.
    fn bad_code(&self) -> bool;
}

/// MCUs per row and rows of MCUs of a scan: the frame's MCUs when the scan
/// is interleaved, else the component's blocks that hold image data.
pub(super) fn mcus(f: &Frame, geom: &[Geo]) -> (usize, usize) {
    if geom.len() == 1 {
        (geom[0].2, geom[0].3)
    } else {
        (f.mcux, f.mcuy)
    }
}

/// Decodes the MCU at column `x`, row `y` of a scan: its blocks in scan
/// order.
#[inline(always)]
pub(super) fn mcu<S: Sink>(
    sink: &mut S,
    b: &mut Bits,
    c: &mut Cold,
    geom: &[Geo],
    x: usize,
    y: usize,
    skip: bool,
) {
    if geom.len() == 1 {
        sink.block(b, c, 0, x, y, skip);
    } else {
        for (k, &(h, v, _, _)) in geom.iter().enumerate() {
            for yy in 0..v {
                for xx in 0..h {
                    sink.block(b, c, k, x * h + xx, y * v + yy, skip);
                }
            }
        }
    }
}

/// Walks the MCUs of `scan`, calling `sink` for each block. Returns the
/// offset of the marker after the scan's entropy-coded data.
pub(super) fn walk<S: Sink>(
    src: &[u8],
    f: &Frame,
    geom: &[Geo],
    ri: usize,
    scan: &Scan,
    sink: &mut S,
    report: &mut FrameReport,
) -> usize {
    let (mx, my) = mcus(f, geom);
    let total = mx * my;
    let mut r = BitReader::new(src, scan.data_start);
    let mut skip = false;
    let mut expect = 0u8;
    let mut warned = false;
    sink.restart();
    let mut b = r.b;
    // The MCU's column and row (counted, not divided out of `m`).
    let (mut x, mut y) = (0usize, 0usize);
    for m in 0..total {
        if ri > 0 && m > 0 && m % ri == 0 {
            r.b = b;
            let mut skipped = 0;
            match r.restart(&mut skipped) {
                Ok(n) => {
                    if n != expect {
                        report.warn(format!(
                            "restart marker RST{n} where RST{expect} was expected"
                        ));
                    }
                    skip = false;
                }
                Err(stop) => {
                    if !skip {
                        report.warn(format!(
                            "restart marker missing at byte {} (MCU {m} of {total}): the rest of the scan is not decoded",
                            stop.offset
                        ));
                    }
                    skip = true;
                }
            }
            if skipped > 0 {
                report.warn(format!(
                    "{skipped} bytes of garbage before a restart marker"
                ));
            }
            expect = (expect + 1) & 7;
            sink.restart();
            b = r.b;
        }
        mcu(sink, &mut b, &mut r.c, geom, x, y, skip);
        x += 1;
        if x == mx {
            x = 0;
            y += 1;
        }
        if !skip && (BitReader { b, c: r.c }).overrun() {
            skip = true;
            if !warned {
                warned = true;
                report.warn(format!(
                    "entropy-coded data of the scan at byte {} ends early (MCU {} of {total}): the rest is not decoded",
                    scan.offset,
                    m + 1
                ));
            }
        }
    }
    r.b = b;
    if sink.bad_code() {
        report.warn(format!(
            "invalid Huffman code in the scan at byte {}",
            scan.offset
        ));
    }
    let (end, extra) = r.finish();
    if extra > 0 {
        report.warn(format!(
            "{extra} bytes of garbage after the scan at byte {}",
            scan.offset
        ));
    }
    end
}

/// One scan component of a sequential scan: where its blocks go.
pub(super) struct Lane<'a, T> {
    /// The component's plane from block row `by0` on.
    pub plane: &'a mut [T],
    pub stride: usize,
    pub by0: usize,
    /// Quantisation table, natural order.
    pub q: [i32; 64],
    pub pred: i32,
    pub dc: &'a Table,
    pub ac: &'a Table,
}

/// The lanes of `scan` over the whole planes of `comps`.
///
/// `ext`: the plane of component 0 when it is the caller's buffer (see
/// `planes`).
pub(super) fn lanes<'a, T>(
    comps: &'a mut [Comp<T>],
    tabs: &[(usize, &'a Table, &'a Table)],
    mut ext: Option<&'a mut [T]>,
) -> Vec<Lane<'a, T>> {
    let mut slots: Vec<Option<Lane<'a, T>>> = tabs.iter().map(|_| None).collect();
    for (ci, comp) in comps.iter_mut().enumerate() {
        if let Some(k) = tabs.iter().position(|t| t.0 == ci) {
            slots[k] = Some(Lane {
                stride: comp.stride(),
                by0: 0,
                q: comp.q.unwrap_or(NO_Q),
                pred: 0,
                dc: tabs[k].1,
                ac: tabs[k].2,
                plane: match if ci == 0 { ext.take() } else { None } {
                    Some(d) => d,
                    None => &mut comp.plane,
                },
            });
        }
    }
    slots.into_iter().flatten().collect()
}

/// Sequential scan: decodes, dequantises and transforms each block.
pub(super) struct Sequential<'a, T> {
    /// Per scan component, in scan order.
    pub lanes: Vec<Lane<'a, T>>,
    pub bits: u32,
    pub blk: [i32; 64],
    pub bad: bool,
    pub simd: arch::Idct,
}

impl<'a, T: Px> Sequential<'a, T> {
    /// A sink over `lanes`.
    pub fn new(lanes: Vec<Lane<'a, T>>, bits: u32, simd: arch::Idct) -> Self {
        Sequential {
            lanes,
            bits,
            blk: [0; 64],
            bad: false,
            simd,
        }
    }
}

impl<T: Px> Sink for Sequential<'_, T> {
    #[inline(always)]
    fn block(&mut self, b: &mut Bits, c: &mut Cold, k: usize, bx: usize, by: usize, skip: bool) {
        let lane = &mut self.lanes[k];
        let (dc, ac) = (lane.dc, lane.ac);
        let q = &lane.q;
        let stride = lane.stride;
        let at = (by - lane.by0) * 8 * stride + bx * 8;
        let out = &mut lane.plane[at..at + 7 * stride + 8];
        if skip {
            let v = T::from_i32(super::idct::dc_only(0, self.bits));
            for r in 0..8 {
                out[r * stride..r * stride + 8].fill(v);
            }
            return;
        }
        let (_, diff) = symbol(b, c, dc, &mut self.bad);
        lane.pred = lane.pred.wrapping_add(diff);
        let blk = &mut self.blk;
        blk[0] = (lane.pred as i16 as i32) * q[0];
        let any = self.simd.ac_coefs(b, c, ac, q, blk, &mut self.bad);
        if any {
            self.simd.run_clear(blk, out, stride, self.bits);
        } else {
            let v = T::from_i32(super::idct::dc_only(blk[0], self.bits));
            for r in 0..8 {
                out[r * stride..r * stride + 8].fill(v);
            }
        }
    }

    fn restart(&mut self) {
        for lane in &mut self.lanes {
            lane.pred = 0;
        }
    }

    fn bad_code(&self) -> bool {
        self.bad
    }
}

/// Checks the tables a scan needs and returns them.
pub(super) fn tables<'a>(
    hd: &'a Headers,
    scan: &Scan,
    need_dc: bool,
    need_ac: bool,
) -> crate::Result<Vec<(usize, &'a Table, &'a Table)>> {
    let mut out = Vec::new();
    // A placeholder for tables a scan kind does not use.
    for &(ci, td, ta) in &scan.comps {
        let dc = hd.dc[td].as_deref();
        let ac = hd.ac[ta].as_deref();
        if need_dc && dc.is_none() {
            return Err(super::frame::bad(
                scan.offset,
                format!("scan uses DC Huffman table {td}, which is not defined"),
            ));
        }
        if need_dc && !hd.dc_ok[td] {
            return Err(super::frame::bad(
                scan.offset,
                format!("DC Huffman table {td} has symbols above 15"),
            ));
        }
        if need_ac && ac.is_none() {
            return Err(super::frame::bad(
                scan.offset,
                format!("scan uses AC Huffman table {ta}, which is not defined"),
            ));
        }
        let any = dc
            .or(ac)
            .or(hd.dc.iter().flatten().next().map(|t| &**t))
            .or(hd.ac.iter().flatten().next().map(|t| &**t));
        let Some(any) = any else {
            return Err(super::frame::bad(scan.offset, "no Huffman table defined"));
        };
        out.push((ci, dc.unwrap_or(any), ac.unwrap_or(any)));
    }
    Ok(out)
}
