//! JPEG-LS marker segments (T.87 Annex C): SOF55, SOS, LSE, DRI, DNL, APPn,
//! COM, and the walk over a stream.

use super::params::Preset;
use crate::error::{Error, Result};

/// Context of malformed-stream errors.
pub const CTX: &str = "JPEG-LS stream";

pub const SOI: u8 = 0xD8;
pub const EOI: u8 = 0xD9;
pub const SOS: u8 = 0xDA;
pub const DNL: u8 = 0xDC;
pub const DRI: u8 = 0xDD;
pub const SOF55: u8 = 0xF7;
pub const LSE: u8 = 0xF8;
pub const APP8: u8 = 0xE8;

/// A frame header (SOF55), with the oversize dimensions of LSE type 4
/// applied when present.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FrameHeader {
    pub precision: u8,
    /// Lines; 0 when given later by DNL.
    pub height: u32,
    pub width: u32,
    /// Component identifiers.
    pub ids: Vec<u8>,
    /// Byte offset of the marker.
    pub offset: usize,
}

/// A scan header (SOS).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScanHeader {
    /// Indices into the frame's components, in scan order.
    pub comps: Vec<usize>,
    pub near: u8,
    /// 0 none, 1 line, 2 sample.
    pub ilv: u8,
    /// Byte offset of the marker.
    pub offset: usize,
    /// First byte of the entropy-coded data.
    pub data_start: usize,
}

/// What the walk met, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    Frame(FrameHeader),
    Preset(Preset),
    /// LSE type 4: oversize width and height (applied to the frame).
    Oversize {
        width: u32,
        height: u32,
    },
    /// An LSE mapping table (type 2 or 3) was present (not decoded).
    MappingTable,
    RestartInterval(u32),
    Lines(u32),
    /// APP8 "mrfx": an HP colour transform (0 = none).
    ColourTransform(u8),
    Scan(ScanHeader),
    Eoi,
    /// The data ended without EOI.
    End,
}

fn be16(b: &[u8], i: usize) -> u32 {
    u16::from_be_bytes([b[i], b[i + 1]]) as u32
}

fn be_n(b: &[u8]) -> u32 {
    b.iter().fold(0u32, |a, &x| (a << 8) | x as u32)
}

/// Walks marker segments; the caller skips entropy-coded data after a scan
/// with [`Walker::set_pos`].
pub struct Walker<'a> {
    src: &'a [u8],
    pos: usize,
    frame_seen: bool,
}

impl<'a> Walker<'a> {
    /// Starts after SOI (leading bytes before SOI are an error).
    pub fn new(src: &'a [u8]) -> Result<Self> {
        if src.len() < 2 || src[0] != 0xFF || src[1] != SOI {
            return Err(Error::malformed(0, CTX, "no SOI marker at the start"));
        }
        Ok(Walker {
            src,
            pos: 2,
            frame_seen: false,
        })
    }

    pub fn pos(&self) -> usize {
        self.pos
    }

    pub fn set_pos(&mut self, p: usize) {
        self.pos = p;
    }

    fn segment(&self, at: usize, marker: u8) -> Result<&'a [u8]> {
        let s = self.src;
        if at + 4 > s.len() {
            return Err(Error::malformed(
                at as u64,
                CTX,
                format!("marker segment FF{marker:02X} is truncated"),
            ));
        }
        let len = be16(s, at + 2) as usize;
        if len < 2 || at + 2 + len > s.len() {
            return Err(Error::malformed(
                at as u64 + 2,
                CTX,
                format!("marker segment FF{marker:02X} length {len} runs past the end"),
            ));
        }
        Ok(&s[at + 4..at + 2 + len])
    }

    /// The next event; `skipped` counts garbage bytes before its marker.
    pub fn next_event(&mut self) -> Result<(Event, usize)> {
        let s = self.src;
        let mut skipped = 0usize;
        loop {
            // Find 0xFF, skip fill bytes.
            while self.pos < s.len() && s[self.pos] != 0xFF {
                self.pos += 1;
                skipped += 1;
            }
            while self.pos + 1 < s.len() && s[self.pos + 1] == 0xFF {
                self.pos += 1;
            }
            if self.pos + 1 >= s.len() {
                self.pos = s.len();
                return Ok((Event::End, skipped));
            }
            let at = self.pos;
            let m = s[at + 1];
            match m {
                EOI => {
                    self.pos = at + 2;
                    return Ok((Event::Eoi, skipped));
                }
                0x00 | 0x01 | 0xD0..=0xD7 | SOI => {
                    // Stray byte pair / RST outside a scan: skip.
                    self.pos = at + 2;
                    skipped += 2;
                    continue;
                }
                _ => {}
            }
            let body = self.segment(at, m)?;
            let err = |off: usize, msg: String| Error::malformed((at + off) as u64, CTX, msg);
            self.pos = at + 2 + 2 + body.len();
            let ev = match m {
                SOF55 => {
                    if body.len() < 6 {
                        return Err(err(2, "SOF55 segment too short".into()));
                    }
                    let nf = body[5] as usize;
                    if body.len() < 6 + 3 * nf {
                        return Err(err(2, "SOF55 segment too short for its components".into()));
                    }
                    let precision = body[0];
                    if !(2..=16).contains(&precision) {
                        return Err(err(4, format!("sample precision {precision} is not 2-16")));
                    }
                    if nf == 0 {
                        return Err(err(9, "frame has no components".into()));
                    }
                    if nf > 4 {
                        return Err(Error::unsupported(format!(
                            "JPEG-LS frame of {nf} components (1-4 supported)"
                        )));
                    }
                    let ids: Vec<u8> = (0..nf).map(|i| body[6 + 3 * i]).collect();
                    for (i, &id) in ids.iter().enumerate() {
                        if ids[..i].contains(&id) {
                            return Err(err(
                                10 + 3 * i,
                                format!("component id {id} appears twice"),
                            ));
                        }
                        let hv = body[6 + 3 * i + 1];
                        if hv != 0x11 {
                            return Err(Error::unsupported(format!(
                                "JPEG-LS subsampled component (sampling factors {}x{})",
                                hv >> 4,
                                hv & 15
                            )));
                        }
                    }
                    if self.frame_seen {
                        return Err(err(0, "second frame header".into()));
                    }
                    self.frame_seen = true;
                    Event::Frame(FrameHeader {
                        precision,
                        height: be16(body, 1),
                        width: be16(body, 3),
                        ids,
                        offset: at,
                    })
                }
                0xC0..=0xCF if m != 0xC4 && m != 0xC8 && m != 0xCC => {
                    return Err(Error::unsupported(format!(
                        "SOF{} frame in a JPEG-LS stream (not JPEG-LS)",
                        m - 0xC0
                    )));
                }
                LSE => self.lse(at, body)?,
                SOS => {
                    if !self.frame_seen {
                        return Err(err(0, "SOS before the frame header".into()));
                    }
                    if body.is_empty() {
                        return Err(err(2, "SOS segment too short".into()));
                    }
                    let ns = body[0] as usize;
                    if ns == 0 || ns > 4 || body.len() < 1 + 2 * ns + 3 {
                        return Err(err(4, format!("SOS with {ns} components is invalid")));
                    }
                    let mut ids = Vec::with_capacity(ns);
                    for i in 0..ns {
                        let (id, tm) = (body[1 + 2 * i], body[2 + 2 * i]);
                        if tm != 0 {
                            return Err(Error::unsupported(
                                "JPEG-LS mapping tables (LSE type 2/3, a scan with table selector != 0)",
                            ));
                        }
                        ids.push(id);
                    }
                    let near = body[1 + 2 * ns];
                    let ilv = body[2 + 2 * ns];
                    let pt = body[3 + 2 * ns];
                    if ilv > 2 {
                        return Err(err(5 + 2 * ns, format!("interleave mode {ilv} is invalid")));
                    }
                    if ns > 1 && ilv == 0 {
                        return Err(err(
                            4,
                            "scan of several components without interleave".into(),
                        ));
                    }
                    if pt & 15 != 0 {
                        return Err(Error::unsupported(format!(
                            "JPEG-LS point transform {}",
                            pt & 15
                        )));
                    }
                    Event::Scan(ScanHeader {
                        comps: Vec::new(),
                        near,
                        ilv: if ns == 1 { 0 } else { ilv },
                        offset: at,
                        data_start: self.pos,
                    })
                    .with_ids(ids)
                }
                DRI => {
                    if !(2..=4).contains(&body.len()) {
                        return Err(err(2, format!("DRI length {} is invalid", body.len() + 2)));
                    }
                    Event::RestartInterval(be_n(body))
                }
                DNL => {
                    if !(2..=4).contains(&body.len()) {
                        return Err(err(2, format!("DNL length {} is invalid", body.len() + 2)));
                    }
                    Event::Lines(be_n(body))
                }
                APP8 if body.len() == 5 && &body[..4] == b"mrfx" => Event::ColourTransform(body[4]),
                _ => {
                    // APPn, COM and anything else with a length: skipped.
                    continue;
                }
            };
            return Ok((ev, skipped));
        }
    }

    fn lse(&self, at: usize, body: &[u8]) -> Result<Event> {
        let err = |msg: &str| Error::malformed(at as u64 + 4, CTX, msg);
        let Some(&id) = body.first() else {
            return Err(err("empty LSE segment"));
        };
        match id {
            1 => {
                if body.len() != 11 {
                    return Err(err("LSE type 1 must be 13 bytes long"));
                }
                Ok(Event::Preset(Preset {
                    maxval: be16(body, 1) as u16,
                    t1: be16(body, 3) as u16,
                    t2: be16(body, 5) as u16,
                    t3: be16(body, 7) as u16,
                    reset: be16(body, 9) as u16,
                }))
            }
            2 | 3 => Ok(Event::MappingTable),
            4 => {
                let w = *body.get(1).ok_or_else(|| err("LSE type 4 too short"))? as usize;
                if !(2..=4).contains(&w) || body.len() != 2 + 2 * w {
                    return Err(err("LSE type 4 (oversize dimensions) is invalid"));
                }
                Ok(Event::Oversize {
                    height: be_n(&body[2..2 + w]),
                    width: be_n(&body[2 + w..2 + 2 * w]),
                })
            }
            _ => Err(Error::unsupported(format!(
                "JPEG-LS LSE marker segment type {id}"
            ))),
        }
    }
}

impl Event {
    /// Keeps component identifiers in `comps` until the frame maps them.
    fn with_ids(self, ids: Vec<u8>) -> Event {
        match self {
            Event::Scan(mut s) => {
                s.comps = ids.into_iter().map(|i| i as usize).collect();
                Event::Scan(s)
            }
            e => e,
        }
    }
}

/// Maps the component identifiers of `scan.comps` to frame indices. A scan
/// naming identifiers the frame lacks is mapped by position, as CharLS does
/// (the next components not yet decoded); the returned warning says so.
pub fn resolve_components(
    frame: &FrameHeader,
    scan: &mut ScanHeader,
    covered: &[bool; 4],
) -> Result<Option<String>> {
    let ids: Vec<u8> = scan.comps.iter().map(|&c| c as u8).collect();
    let found: Vec<Option<usize>> = ids
        .iter()
        .map(|id| frame.ids.iter().position(|x| x == id))
        .collect();
    let mut warning = None;
    if found.iter().any(Option::is_none) {
        let free: Vec<usize> = (0..frame.ids.len()).filter(|&i| !covered[i]).collect();
        if free.len() < ids.len() {
            return Err(Error::malformed(
                scan.offset as u64,
                CTX,
                format!("scan names components {ids:?}, which the frame does not have"),
            ));
        }
        scan.comps = free[..ids.len()].to_vec();
        warning = Some(format!(
            "scan names components {ids:?}, which the frame does not have: taken as {:?}",
            scan.comps.iter().map(|&i| frame.ids[i]).collect::<Vec<_>>()
        ));
    } else {
        scan.comps = found.into_iter().flatten().collect();
    }
    for (i, c) in scan.comps.iter().enumerate() {
        if scan.comps[..i].contains(c) {
            return Err(Error::malformed(
                scan.offset as u64,
                CTX,
                format!("scan names component {} twice", frame.ids[*c]),
            ));
        }
    }
    Ok(warning)
}

/// Entropy-coded data of a scan from `start`: the restart intervals' byte
/// ranges (cut at RSTn markers) and the offset of the marker that ends the
/// scan. In entropy-coded data a 0xFF is followed by a byte < 0x80, so any
/// 0xFF followed by a byte >= 0x80 starts a marker (or fill bytes).
pub fn split_intervals(src: &[u8], start: usize) -> (Vec<(usize, usize)>, usize) {
    let mut out = Vec::new();
    let mut seg = start;
    let mut p = start;
    loop {
        let ff = crate::codecs::ff::next_ff(src, p);
        if ff >= src.len() {
            out.push((seg, src.len()));
            return (out, src.len());
        }
        let Some(&next) = src.get(ff + 1) else {
            out.push((seg, src.len()));
            return (out, src.len());
        };
        if next < 0x80 {
            p = ff + 2;
            continue;
        }
        // A marker: skip fill bytes.
        let mut m = ff + 1;
        while m < src.len() && src[m] == 0xFF {
            m += 1;
        }
        out.push((seg, ff));
        match src.get(m) {
            Some(0xD0..=0xD7) => {
                seg = m + 1;
                p = seg;
            }
            Some(_) => return (out, m - 1),
            None => return (out, src.len()),
        }
    }
}

/// The line count a frame with height 0 gets from its DNL segment (found by
/// searching for FF DC after the frame header: entropy-coded data cannot
/// hold it).
pub(crate) fn find_dnl(src: &[u8], from: usize) -> Option<u32> {
    let i = src
        .get(from..)?
        .windows(2)
        .position(|w| w == [0xFF, 0xDC])?
        + from;
    let body = src.get(i + 4..i + 6)?;
    Some(u16::from_be_bytes([body[0], body[1]]) as u32)
}
