//! Marker walk of a DCT JPEG stream: frame, table and scan headers (T.81
//! B.2), APP0 (JFIF) and APP14 (Adobe) markers, DNL, and the geometry of
//! components (MCUs, blocks, downsampled sizes as libjpeg computes them).

use super::huff::Table;
use super::Px;
use crate::codecs::jpeg::markers::{
    is_standalone, parse_dht, parse_dnl, parse_dri, sof_name, Cursor, Marker, CTX, DHP, DHT, DNL,
    DQT, DRI, EOI, EXP, SOI, SOS,
};
use crate::error::{Error, Result};
use crate::limits;
use crate::pixels::FrameReport;
use std::sync::Arc;

pub(super) fn bad(offset: usize, msg: impl std::fmt::Display) -> Error {
    Error::malformed(offset as u64, CTX, msg)
}

/// A frame component as the SOF gives it: (id, h, v, quantisation table).
pub(super) type CompSpec = (u8, usize, usize, usize);

/// One frame component with its geometry.
pub(super) struct Comp<T> {
    pub h: usize,
    pub v: usize,
    /// Quantisation table selector.
    pub tq: usize,
    /// Downsampled size (libjpeg's `downsampled_width/height`).
    pub dw: usize,
    pub dh: usize,
    /// Blocks per row and block rows, MCU padded.
    pub bw: usize,
    pub bh: usize,
    /// Quantisation table latched at the first scan of the component,
    /// natural order.
    pub q: Option<[i32; 64]>,
    /// Samples after the IDCT: `bw * 8` per row, `bh * 8` rows.
    pub plane: Vec<T>,
    /// Coefficients of a progressive frame, natural order, 64 per block.
    pub coefs: Vec<i16>,
    /// DC predictor.
    pub pred: i32,
}

impl<T> Comp<T> {
    /// Blocks per row and rows of blocks that hold image data (the extent
    /// of a non-interleaved scan).
    pub fn real_blocks(&self) -> (usize, usize) {
        (self.dw.div_ceil(8), self.dh.div_ceil(8))
    }
    pub fn stride(&self) -> usize {
        self.bw * 8
    }
}

/// Frame header and derived geometry.
pub(super) struct Frame {
    pub sof: u8,
    pub precision: u32,
    pub width: usize,
    pub height: usize,
    pub hmax: usize,
    pub vmax: usize,
    pub mcux: usize,
    pub mcuy: usize,
    pub offset: usize,
    pub comp_ids: Vec<u8>,
}

impl Frame {
    pub fn progressive(&self) -> bool {
        self.sof == 0xC2
    }
}

/// A parsed SOS header of a DCT scan.
pub(super) struct Scan {
    /// (component index, DC table, AC table).
    pub comps: Vec<(usize, usize, usize)>,
    pub ss: usize,
    pub se: usize,
    pub ah: u32,
    pub al: u32,
    pub data_start: usize,
    pub offset: usize,
}

/// Everything the walk has seen so far.
pub(super) struct Headers {
    pub qt: [Option<[u16; 64]>; 4],
    pub dc: [Option<Arc<Table>>; 4],
    pub ac: [Option<Arc<Table>>; 4],
    pub dc_ok: [bool; 4],
    pub ri: usize,
    pub adobe: Option<u8>,
    pub jfif: bool,
}

impl Headers {
    pub fn new() -> Headers {
        Headers {
            qt: [None; 4],
            dc: Default::default(),
            ac: Default::default(),
            dc_ok: [true; 4],
            ri: 0,
            adobe: None,
            jfif: false,
        }
    }
}

/// What [`step`] found.
pub(super) enum Step {
    Frame(Frame, Vec<CompSpec>),
    Scan(Scan),
    Eoi,
    End,
}

/// Walks to the next frame header, scan header or end, handling table and
/// miscellaneous segments on the way.
pub(super) fn step(
    cur: &mut Cursor,
    hd: &mut Headers,
    frame: Option<&Frame>,
    report: &mut FrameReport,
) -> Result<Step> {
    loop {
        let at = cur.pos;
        let Some(m) = cur.next_marker() else {
            return Ok(Step::End);
        };
        if m.skipped > 0 {
            report.warn(format!(
                "{} bytes of garbage before a marker (after byte {at})",
                m.skipped
            ));
        }
        match m.code {
            EOI => return Ok(Step::Eoi),
            0xC0..=0xC2 => {
                let p = cur.segment(&m)?;
                if frame.is_some() {
                    return Err(bad(m.offset, "second frame header (SOF) in the stream"));
                }
                let (f, c) = parse_sof(p, &m)?;
                return Ok(Step::Frame(f, c));
            }
            c if sof_name(c).is_some() => {
                return Err(Error::unsupported(format!(
                    "{} at byte {}: dicodec decodes Huffman DCT (SOF0, SOF1, SOF2) and lossless (SOF3) JPEG",
                    sof_name(c).unwrap_or("SOF"),
                    m.offset
                )))
            }
            DHP | EXP => {
                return Err(Error::unsupported(format!(
                    "hierarchical JPEG (marker 0xFF{:02X} at byte {})",
                    m.code, m.offset
                )))
            }
            DHT => {
                for (tc, th, spec) in parse_dht(cur.segment(&m)?, m.offset)? {
                    let t = Table::cached(&spec, tc != 0);
                    if tc == 0 {
                        hd.dc_ok[th as usize] = spec.vals.iter().all(|&v| v <= 15);
                        hd.dc[th as usize] = Some(t);
                    } else {
                        hd.ac[th as usize] = Some(t);
                    }
                }
            }
            DQT => parse_dqt(cur.segment(&m)?, m.offset, &mut hd.qt)?,
            DRI => hd.ri = parse_dri(cur.segment(&m)?, m.offset)? as usize,
            SOS => {
                let p = cur.segment(&m)?;
                let Some(f) = frame else {
                    return Err(bad(m.offset, "scan (SOS) before the frame header (SOF)"));
                };
                return Ok(Step::Scan(parse_sos(p, &m, f, cur.pos)?));
            }
            DNL => {
                parse_dnl(cur.segment(&m)?, m.offset)?;
            }
            0xE0 => {
                let p = cur.segment(&m)?;
                hd.jfif |= p.starts_with(b"JFIF\0");
            }
            0xEE => {
                let p = cur.segment(&m)?;
                if p.len() >= 12 && p.starts_with(b"Adobe") {
                    hd.adobe = Some(p[11]);
                }
            }
            SOI => return Err(bad(m.offset, "SOI marker inside the stream")),
            c if is_standalone(c) => continue,
            _ => {
                cur.segment(&m)?;
            }
        }
    }
}

fn parse_sof(p: &[u8], m: &Marker) -> Result<(Frame, Vec<CompSpec>)> {
    let offset = m.offset;
    if p.len() < 6 {
        return Err(bad(offset, "SOF segment too short"));
    }
    let precision = p[0] as u32;
    let height = u16::from_be_bytes([p[1], p[2]]) as usize;
    let width = u16::from_be_bytes([p[3], p[4]]) as usize;
    let nf = p[5] as usize;
    if precision != 8 && precision != 12 {
        return Err(Error::unsupported(format!(
            "DCT JPEG sample precision {precision} (8 and 12 are supported)"
        )));
    }
    if width == 0 {
        return Err(bad(offset + 7, "frame width 0"));
    }
    if nf == 0 || p.len() != 6 + 3 * nf {
        return Err(bad(
            offset,
            format!("SOF length {} with {nf} components", p.len() + 2),
        ));
    }
    if nf > 4 {
        return Err(Error::unsupported(format!(
            "DCT JPEG frame with {nf} components (at most 4)"
        )));
    }
    let mut comps: Vec<CompSpec> = Vec::with_capacity(nf);
    for k in 0..nf {
        let c = &p[6 + 3 * k..9 + 3 * k];
        let (h, v, tq) = ((c[1] >> 4) as usize, (c[1] & 15) as usize, c[2] as usize);
        if !(1..=4).contains(&h) || !(1..=4).contains(&v) || tq > 3 {
            return Err(bad(
                offset + 10 + 3 * k,
                format!(
                    "component {} sampling factors {h}x{v}, quantisation table {tq}",
                    c[0]
                ),
            ));
        }
        if comps.iter().any(|x| x.0 == c[0]) {
            return Err(bad(
                offset + 10 + 3 * k,
                format!("duplicate component id {}", c[0]),
            ));
        }
        comps.push((c[0], h, v, tq));
    }
    let hmax = comps.iter().map(|c| c.1).max().unwrap_or(1);
    let vmax = comps.iter().map(|c| c.2).max().unwrap_or(1);
    for c in &comps {
        if hmax % c.1 != 0 || vmax % c.2 != 0 {
            return Err(Error::unsupported(format!(
                "component {} sampling {}x{} with maximum {hmax}x{vmax}: fractional upsampling",
                c.0, c.1, c.2
            )));
        }
    }
    let f = Frame {
        sof: m.code,
        precision,
        width,
        height,
        hmax,
        vmax,
        mcux: width.div_ceil(8 * hmax),
        mcuy: height.div_ceil(8 * vmax),
        offset,
        comp_ids: comps.iter().map(|c| c.0).collect(),
    };
    Ok((f, comps))
}

/// Builds the components of `f` (after the height is known) and allocates
/// their planes (and coefficients for a progressive frame).
///
/// With `external`, the planes are left empty: the caller decodes into its
/// own buffer (one component).
pub(super) fn make_comps<T: Px>(
    f: &mut Frame,
    c: &[CompSpec],
    external: bool,
) -> Result<Vec<Comp<T>>> {
    f.mcuy = f.height.div_ceil(8 * f.vmax);
    let mut total = 0u64;
    for &(_, h, v, _) in c {
        let n = limits::checked_size(
            "JPEG component",
            &[f.mcux as u64, f.mcuy as u64, 64, h as u64, v as u64],
        )?;
        total = total.saturating_add(n);
    }
    let per = std::mem::size_of::<T>() as u64 + if f.progressive() { 2 } else { 0 };
    limits::check_alloc("JPEG component planes", total.saturating_mul(per))?;
    Ok(c.iter()
        .map(|&(_, h, v, tq)| {
            let (bw, bh) = (f.mcux * h, f.mcuy * v);
            Comp {
                h,
                v,
                tq,
                dw: (f.width * h).div_ceil(f.hmax),
                dh: (f.height * v).div_ceil(f.vmax),
                bw,
                bh,
                q: None,
                plane: if external {
                    Vec::new()
                } else {
                    vec![T::default(); bw * bh * 64]
                },
                coefs: if f.progressive() {
                    vec![0i16; bw * bh * 64]
                } else {
                    Vec::new()
                },
                pred: 0,
            }
        })
        .collect())
}

fn parse_dqt(p: &[u8], offset: usize, qt: &mut [Option<[u16; 64]>; 4]) -> Result<()> {
    let mut i = 0;
    while i < p.len() {
        let (pq, tq) = (p[i] >> 4, (p[i] & 15) as usize);
        if pq > 1 || tq > 3 {
            return Err(bad(
                offset + 4 + i,
                format!("DQT precision {pq} table {tq}"),
            ));
        }
        let n = 64 * (1 + pq as usize);
        let Some(b) = p.get(i + 1..i + 1 + n) else {
            return Err(bad(offset + 4 + i, "DQT segment ends inside a table"));
        };
        let mut t = [0u16; 64];
        for (k, q) in t.iter_mut().enumerate() {
            *q = if pq == 0 {
                b[k] as u16
            } else {
                u16::from_be_bytes([b[2 * k], b[2 * k + 1]])
            };
        }
        qt[tq] = Some(t);
        i += 1 + n;
    }
    Ok(())
}

fn parse_sos(p: &[u8], m: &Marker, f: &Frame, data_start: usize) -> Result<Scan> {
    let offset = m.offset;
    let ns = p.first().copied().unwrap_or(0) as usize;
    if ns == 0 || ns > 4 || p.len() != 4 + 2 * ns {
        return Err(bad(
            offset,
            format!("SOS with {ns} components and length {}", p.len() + 2),
        ));
    }
    let mut comps: Vec<(usize, usize, usize)> = Vec::with_capacity(ns);
    for k in 0..ns {
        let cs = p[1 + 2 * k];
        let (td, ta) = ((p[2 + 2 * k] >> 4) as usize, (p[2 + 2 * k] & 15) as usize);
        let at = offset + 5 + 2 * k;
        let Some(idx) = f.comp_ids.iter().position(|&c| c == cs) else {
            return Err(bad(at, format!("scan component {cs} is not in the frame")));
        };
        if comps.iter().any(|c| c.0 == idx) {
            return Err(bad(at, format!("component {cs} twice in one scan")));
        }
        if td > 3 || ta > 3 {
            return Err(bad(at, format!("Huffman tables {td}/{ta}")));
        }
        comps.push((idx, td, ta));
    }
    let ss = p[1 + 2 * ns] as usize;
    let se = p[2 + 2 * ns] as usize;
    let (ah, al) = ((p[3 + 2 * ns] >> 4) as u32, (p[3 + 2 * ns] & 15) as u32);
    Ok(Scan {
        comps,
        ss,
        se,
        ah,
        al,
        data_start,
        offset,
    })
}

/// The line count a DNL segment gives, looked for after the frame header.
pub(super) fn find_dnl(src: &[u8], from: usize) -> Option<usize> {
    let mut cur = Cursor {
        data: src,
        pos: from,
    };
    loop {
        let m = cur.next_marker()?;
        match m.code {
            DNL => {
                return cur
                    .segment(&m)
                    .ok()
                    .and_then(|p| parse_dnl(p, m.offset).ok())
                    .map(|n| n as usize)
            }
            EOI => return None,
            c if is_standalone(c) => {}
            _ => {
                cur.segment(&m).ok()?;
            }
        }
    }
}
