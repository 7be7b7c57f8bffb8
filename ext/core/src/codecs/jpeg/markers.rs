//! JPEG marker segments (T.81 Annex B): the marker walk and the parsers of
//! the segments a lossless decoder needs (SOF3, DHT, DRI, SOS, DNL).

use super::huffman::HuffSpec;
use crate::error::{Error, Result};

/// Marker SOI (0xFFD8): start of image.
pub const SOI: u8 = 0xD8;
/// Marker EOI (0xFFD9): end of image.
pub const EOI: u8 = 0xD9;
/// Marker SOS (0xFFDA): start of scan.
pub const SOS: u8 = 0xDA;
/// Marker DHT (0xFFC4): define Huffman tables.
pub const DHT: u8 = 0xC4;
/// Marker DAC (0xFFCC): define arithmetic coding conditioning.
pub const DAC: u8 = 0xCC;
/// Marker DQT (0xFFDB): define quantization tables.
pub const DQT: u8 = 0xDB;
/// Marker DNL (0xFFDC): define number of lines.
pub const DNL: u8 = 0xDC;
/// Marker DRI (0xFFDD): define restart interval.
pub const DRI: u8 = 0xDD;
/// Marker DHP (0xFFDE): define hierarchical progression.
pub const DHP: u8 = 0xDE;
/// Marker EXP (0xFFDF): expand reference components.
pub const EXP: u8 = 0xDF;
/// Marker COM (0xFFFE): comment.
pub const COM: u8 = 0xFE;
/// Marker TEM (0xFF01): temporary (standalone).
pub const TEM: u8 = 0x01;
/// Marker SOF3 (0xFFC3): start of frame, lossless Huffman (process 14).
pub const SOF3: u8 = 0xC3;

pub(crate) const CTX: &str = "JPEG stream";

/// Name of a start-of-frame marker, or `None` when `m` is not one.
pub fn sof_name(m: u8) -> Option<&'static str> {
    Some(match m {
        0xC0 => "SOF0 (baseline DCT)",
        0xC1 => "SOF1 (extended sequential DCT, Huffman)",
        0xC2 => "SOF2 (progressive DCT, Huffman)",
        0xC3 => "SOF3 (lossless, Huffman)",
        0xC5 => "SOF5 (differential sequential DCT, Huffman)",
        0xC6 => "SOF6 (differential progressive DCT, Huffman)",
        0xC7 => "SOF7 (differential lossless, Huffman)",
        0xC9 => "SOF9 (extended sequential DCT, arithmetic)",
        0xCA => "SOF10 (progressive DCT, arithmetic)",
        0xCB => "SOF11 (lossless, arithmetic)",
        0xCD => "SOF13 (differential sequential DCT, arithmetic)",
        0xCE => "SOF14 (differential progressive DCT, arithmetic)",
        0xCF => "SOF15 (differential lossless, arithmetic)",
        0xF7 => "SOF55 (JPEG-LS)",
        _ => return None,
    })
}

/// True for markers that stand alone (no length field).
pub fn is_standalone(m: u8) -> bool {
    matches!(m, SOI | EOI | TEM | 0xD0..=0xD7)
}

/// One component of the frame header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Component {
    /// Component identifier.
    pub id: u8,
    /// Horizontal sampling factor.
    pub h: u8,
    /// Vertical sampling factor.
    pub v: u8,
}

/// SOF3 frame header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FrameHeader {
    /// Sample precision in bits.
    pub precision: u8,
    /// Number of lines; 0 when a DNL segment gives it.
    pub height: u16,
    /// Samples per line.
    pub width: u16,
    /// The frame components, in order.
    pub components: Vec<Component>,
    /// Offset of the SOF marker.
    pub offset: usize,
}

impl FrameHeader {
    /// Largest horizontal sampling factor.
    pub fn hmax(&self) -> u8 {
        self.components.iter().map(|c| c.h).max().unwrap_or(1)
    }
    /// Largest vertical sampling factor.
    pub fn vmax(&self) -> u8 {
        self.components.iter().map(|c| c.v).max().unwrap_or(1)
    }
    /// True when every component has the same sampling factors (all at
    /// full resolution).
    pub fn unsubsampled(&self) -> bool {
        let c0 = self.components[0];
        self.components.iter().all(|c| c.h == c0.h && c.v == c0.v)
    }
}

/// One component of a scan header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ScanComponent {
    /// Index into [`FrameHeader::components`].
    pub index: usize,
    /// Huffman table (Td).
    pub table: u8,
}

/// SOS scan header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScanHeader {
    /// The scan components, in order.
    pub components: Vec<ScanComponent>,
    /// Predictor selection value (Ss), 1..=7.
    pub predictor: u8,
    /// Point transform (Al).
    pub point_transform: u8,
    /// Offset of the first entropy-coded byte.
    pub data_start: usize,
}

/// Walks markers and segments.
pub struct Cursor<'a> {
    /// The whole stream.
    pub data: &'a [u8],
    /// Offset of the next byte.
    pub pos: usize,
}

/// A marker found by [`Cursor::next_marker`].
#[derive(Debug, Clone, Copy)]
pub struct Marker {
    /// The marker code (the byte after 0xFF).
    pub code: u8,
    /// Offset of the marker's 0xFF.
    pub offset: usize,
    /// Bytes other than fill bytes skipped to reach it.
    pub skipped: usize,
}

impl<'a> Cursor<'a> {
    /// A cursor at the start of `data`.
    pub fn new(data: &'a [u8]) -> Cursor<'a> {
        Cursor { data, pos: 0 }
    }

    /// The next marker at or after `pos`, or `None` at the end of the data.
    pub fn next_marker(&mut self) -> Option<Marker> {
        let d = self.data;
        let mut i = self.pos;
        let start = i;
        loop {
            while i < d.len() && d[i] != 0xFF {
                i += 1;
            }
            let mut q = i + 1;
            while q < d.len() && d[q] == 0xFF {
                q += 1;
            }
            match d.get(q) {
                None => {
                    self.pos = d.len();
                    return None;
                }
                Some(0) => i = q + 1,
                Some(&code) => {
                    self.pos = q + 1;
                    return Some(Marker {
                        code,
                        offset: q - 1,
                        skipped: i - start,
                    });
                }
            }
        }
    }

    /// Reads the length field and payload of the segment of the marker just
    /// returned; leaves `pos` after it.
    pub fn segment(&mut self, m: &Marker) -> Result<&'a [u8]> {
        let d = self.data;
        let p = self.pos;
        let len = match d.get(p..p + 2) {
            Some(b) => u16::from_be_bytes([b[0], b[1]]) as usize,
            None => {
                return Err(Error::malformed(
                    m.offset as u64,
                    CTX,
                    format!("marker 0xFF{:02X}: data ends before its length", m.code),
                ))
            }
        };
        if len < 2 {
            return Err(Error::malformed(
                p as u64,
                CTX,
                format!("marker 0xFF{:02X}: segment length {len}", m.code),
            ));
        }
        let Some(payload) = d.get(p + 2..p + len) else {
            return Err(Error::malformed(
                p as u64,
                CTX,
                format!(
                    "marker 0xFF{:02X}: segment of {len} bytes runs past the end of the data ({} bytes)",
                    m.code,
                    d.len()
                ),
            ));
        };
        self.pos = p + len;
        Ok(payload)
    }
}

/// One step of the walk over a stream's markers ([`Walker::next_event`]).
#[derive(Debug)]
pub enum Event {
    /// The (only) SOF3 frame header.
    Frame(FrameHeader),
    /// A DHT segment: `(class, id, table)` entries.
    Tables(Vec<(u8, u8, HuffSpec)>),
    /// A DRI segment.
    RestartInterval(u16),
    /// A scan header; the caller moves past the entropy-coded data with
    /// [`Walker::set_pos`] before the next call.
    Scan(ScanHeader),
    /// A DNL segment.
    Lines(u16),
    /// EOI.
    Eoi,
    /// The data ended (no EOI).
    End,
}

/// Walks the markers of a lossless JPEG stream: skips what a decoder does not
/// need (APPn, COM, DQT, fill bytes), refuses other JPEG processes (naming the
/// SOF) and hierarchical JPEG, and checks the order of frame and scan headers.
pub struct Walker<'a> {
    cur: Cursor<'a>,
    frame: Option<FrameHeader>,
}

impl<'a> Walker<'a> {
    /// Starts after the SOI marker that `src` must begin with.
    pub fn new(src: &'a [u8]) -> Result<Walker<'a>> {
        if src.get(0..2) != Some(&[0xFF, SOI]) {
            return Err(bad(
                0,
                "no SOI marker (0xFFD8) at the start: not a JPEG stream",
            ));
        }
        Ok(Walker {
            cur: Cursor { data: src, pos: 2 },
            frame: None,
        })
    }

    /// Continues the walk at `pos` (after a scan's entropy-coded data).
    pub fn set_pos(&mut self, pos: usize) {
        self.cur.pos = pos;
    }

    /// Offset where the walk stands.
    pub fn pos(&self) -> usize {
        self.cur.pos
    }

    /// The next event, with the bytes of garbage skipped before its marker.
    pub fn next_event(&mut self) -> Result<(Event, usize)> {
        loop {
            let Some(m) = self.cur.next_marker() else {
                return Ok((Event::End, 0));
            };
            let event = match m.code {
                EOI => Event::Eoi,
                SOF3 => {
                    let p = self.cur.segment(&m)?;
                    if self.frame.is_some() {
                        return Err(bad(m.offset, "second frame header (SOF) in the stream"));
                    }
                    let f = parse_sof(p, m.offset)?;
                    self.frame = Some(f.clone());
                    Event::Frame(f)
                }
                c if sof_name(c).is_some() => return Err(unsupported_sof(c, m.offset)),
                DHP | EXP => {
                    return Err(Error::unsupported(format!(
                        "hierarchical JPEG (marker 0xFF{:02X} at byte {})",
                        m.code, m.offset
                    )))
                }
                DHT => Event::Tables(parse_dht(self.cur.segment(&m)?, m.offset)?),
                DRI => Event::RestartInterval(parse_dri(self.cur.segment(&m)?, m.offset)?),
                SOS => {
                    let p = self.cur.segment(&m)?;
                    let Some(f) = &self.frame else {
                        return Err(bad(m.offset, "scan (SOS) before the frame header (SOF)"));
                    };
                    Event::Scan(parse_sos(p, m.offset, f, self.cur.pos)?)
                }
                DNL => Event::Lines(parse_dnl(self.cur.segment(&m)?, m.offset)?),
                SOI => return Err(bad(m.offset, "SOI marker inside the stream")),
                c if is_standalone(c) => continue,
                _ => {
                    self.cur.segment(&m)?;
                    continue;
                }
            };
            return Ok((event, m.skipped));
        }
    }
}

/// The error for a JPEG process other than lossless Huffman.
pub fn unsupported_sof(code: u8, offset: usize) -> Error {
    Error::unsupported_feature(
        crate::error::Feature::Sof(code),
        format!(
            "{} at byte {offset}: not lossless JPEG (SOF3); DCT streams (SOF0, SOF1, SOF2) are decoded by jpeg::dct",
            sof_name(code).unwrap_or("SOF")
        ),
    )
}

fn bad(offset: usize, msg: impl std::fmt::Display) -> Error {
    Error::malformed(offset as u64, CTX, msg)
}

/// Parses an SOF3 payload (`offset`: marker offset, for errors).
pub fn parse_sof(p: &[u8], offset: usize) -> Result<FrameHeader> {
    if p.len() < 6 {
        return Err(bad(offset, "SOF3 segment too short"));
    }
    let precision = p[0];
    let height = u16::from_be_bytes([p[1], p[2]]);
    let width = u16::from_be_bytes([p[3], p[4]]);
    let nf = p[5] as usize;
    if !(2..=16).contains(&precision) {
        return Err(bad(
            offset + 4,
            format!("sample precision {precision} (lossless JPEG allows 2 to 16)"),
        ));
    }
    if width == 0 {
        return Err(bad(offset + 7, "frame width 0"));
    }
    if nf == 0 {
        return Err(bad(offset + 9, "frame has no components"));
    }
    if p.len() != 6 + 3 * nf {
        return Err(bad(
            offset,
            format!("SOF3 length {} does not match {nf} components", p.len() + 2),
        ));
    }
    if nf > 4 {
        return Err(Error::unsupported(format!(
            "JPEG Lossless frame with {nf} components (at most 4)"
        )));
    }
    let mut components = Vec::with_capacity(nf);
    for k in 0..nf {
        let c = &p[6 + 3 * k..9 + 3 * k];
        let (h, v) = (c[1] >> 4, c[1] & 15);
        if !(1..=4).contains(&h) || !(1..=4).contains(&v) {
            return Err(bad(
                offset + 10 + 3 * k,
                format!("component {} sampling factors {h}x{v}", c[0]),
            ));
        }
        if components.iter().any(|x: &Component| x.id == c[0]) {
            return Err(bad(
                offset + 10 + 3 * k,
                format!("duplicate component id {}", c[0]),
            ));
        }
        components.push(Component { id: c[0], h, v });
    }
    Ok(FrameHeader {
        precision,
        height,
        width,
        components,
        offset,
    })
}

/// Parses a DHT payload into `(class, id, table)` entries.
pub fn parse_dht(p: &[u8], offset: usize) -> Result<Vec<(u8, u8, HuffSpec)>> {
    let mut out = Vec::new();
    let mut i = 0usize;
    while i < p.len() {
        let at = offset + 4 + i;
        let tc = p[i] >> 4;
        let th = p[i] & 15;
        if tc > 1 || th > 3 {
            return Err(bad(at, format!("Huffman table class {tc} id {th}")));
        }
        let Some(counts) = p.get(i + 1..i + 17) else {
            return Err(bad(at, "DHT segment ends inside the code length counts"));
        };
        let mut bits = [0u8; 17];
        bits[1..].copy_from_slice(counts);
        let n: usize = counts.iter().map(|&c| c as usize).sum();
        let Some(vals) = p.get(i + 17..i + 17 + n) else {
            return Err(bad(
                at,
                format!("DHT segment ends inside the {n} symbols of table {th}"),
            ));
        };
        let spec = HuffSpec {
            bits,
            vals: vals.to_vec(),
        };
        if let Err(m) = spec.codes() {
            return Err(bad(at, format!("bad Huffman table {th}: {m}")));
        }
        out.push((tc, th, spec));
        i += 17 + n;
    }
    Ok(out)
}

/// Parses an SOS payload; `data_start` is where the entropy-coded data begins.
pub fn parse_sos(
    p: &[u8],
    offset: usize,
    frame: &FrameHeader,
    data_start: usize,
) -> Result<ScanHeader> {
    let ns = p.first().copied().unwrap_or(0) as usize;
    if ns == 0 || ns > 4 || p.len() != 4 + 2 * ns {
        return Err(bad(
            offset,
            format!(
                "SOS with {ns} components and length {} (expected {})",
                p.len() + 2,
                6 + 2 * ns
            ),
        ));
    }
    let mut components: Vec<ScanComponent> = Vec::with_capacity(ns);
    for k in 0..ns {
        let cs = p[1 + 2 * k];
        let td = p[2 + 2 * k] >> 4;
        let at = offset + 5 + 2 * k;
        let Some(index) = frame.components.iter().position(|c| c.id == cs) else {
            return Err(bad(at, format!("scan component {cs} is not in the frame")));
        };
        if components.iter().any(|c| c.index == index) {
            return Err(bad(at, format!("component {cs} twice in one scan")));
        }
        if td > 3 {
            return Err(bad(at, format!("Huffman table id {td}")));
        }
        components.push(ScanComponent { index, table: td });
    }
    let ss = p[1 + 2 * ns];
    let al = p[3 + 2 * ns] & 15;
    if !(1..=7).contains(&ss) {
        return Err(bad(
            offset + 5 + 2 * ns,
            format!("predictor (Ss) {ss}: lossless JPEG allows 1 to 7"),
        ));
    }
    if al >= frame.precision {
        return Err(bad(
            offset + 7 + 2 * ns,
            format!("point transform {al} with precision {}", frame.precision),
        ));
    }
    Ok(ScanHeader {
        components,
        predictor: ss,
        point_transform: al,
        data_start,
    })
}

/// Parses a DRI payload.
pub fn parse_dri(p: &[u8], offset: usize) -> Result<u16> {
    match p {
        [a, b] => Ok(u16::from_be_bytes([*a, *b])),
        _ => Err(bad(offset, format!("DRI length {}", p.len() + 2))),
    }
}

/// Parses a DNL payload.
pub fn parse_dnl(p: &[u8], offset: usize) -> Result<u16> {
    match p {
        [a, b] if u16::from_be_bytes([*a, *b]) > 0 => Ok(u16::from_be_bytes([*a, *b])),
        _ => Err(bad(offset, "DNL segment malformed or 0 lines")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursor_skips_fill_and_garbage() {
        let d = [
            0xFF, 0xD8, 0x00, 0x01, 0xFF, 0xFF, 0xFE, 0x00, 0x03, 0x41, 0xFF, 0xD9,
        ];
        let mut c = Cursor::new(&d);
        let m = c.next_marker().unwrap();
        assert_eq!((m.code, m.offset, m.skipped), (SOI, 0, 0));
        let m = c.next_marker().unwrap();
        assert_eq!((m.code, m.offset, m.skipped), (COM, 5, 2));
        assert_eq!(c.segment(&m).unwrap(), &[0x41]);
        let m = c.next_marker().unwrap();
        assert_eq!(m.code, EOI);
        assert!(c.next_marker().is_none());
    }

    #[test]
    fn segment_past_end_is_malformed() {
        let d = [0xFF, 0xFE, 0x00, 0x10, 0x41];
        let mut c = Cursor::new(&d);
        let m = c.next_marker().unwrap();
        let e = c.segment(&m).unwrap_err();
        assert_eq!(e.offset(), Some(2));
    }

    #[test]
    fn sof_validation() {
        let ok = [16, 0, 4, 0, 5, 1, 1, 0x11, 0];
        let f = parse_sof(&ok, 10).unwrap();
        assert_eq!((f.precision, f.height, f.width), (16, 4, 5));
        assert!(parse_sof(&[17, 0, 4, 0, 5, 1, 1, 0x11, 0], 0).is_err());
        assert!(parse_sof(&[8, 0, 4, 0, 0, 1, 1, 0x11, 0], 0).is_err());
        assert!(parse_sof(&[8, 0, 4, 0, 4, 1, 1, 0x51, 0], 0).is_err());
        assert!(matches!(
            parse_sof(
                &[8, 0, 1, 0, 1, 5, 1, 0x11, 0, 2, 0x11, 0, 3, 0x11, 0, 4, 0x11, 0, 5, 0x11, 0],
                0
            ),
            Err(Error::Unsupported(_))
        ));
    }

    #[test]
    fn sos_validation() {
        let f = parse_sof(&[8, 0, 4, 0, 5, 1, 7, 0x11, 0], 0).unwrap();
        let s = parse_sos(&[1, 7, 0x10, 6, 0, 2], 0, &f, 99).unwrap();
        assert_eq!((s.predictor, s.point_transform, s.data_start), (6, 2, 99));
        assert_eq!(s.components[0].table, 1);
        assert!(parse_sos(&[1, 8, 0x00, 1, 0, 0], 0, &f, 0).is_err());
        assert!(parse_sos(&[1, 7, 0x00, 0, 0, 0], 0, &f, 0).is_err());
        assert!(parse_sos(&[1, 7, 0x00, 1, 0, 8], 0, &f, 0).is_err());
    }
}
