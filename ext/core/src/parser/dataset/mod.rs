//! Top-level dataset walker: finds the Image Pixel module attributes, the
//! Extended Offset Table and the first pixel data element, skipping every
//! other value (and every sequence, nested to any depth) by length without
//! building it.
//!
//! Like pydicom's `pixel_array(path)` (which reads with
//! `stop_when=_at_pixel_data`), the walk stops at the first top-level
//! (7FE0,0008) Float Pixel Data, (7FE0,0009) Double Float Pixel Data or
//! (7FE0,0010) Pixel Data element; the same tags inside sequences are
//! ignored. In implicit VR an undefined-length element other than Pixel Data
//! is a sequence; in explicit VR an undefined-length UN element is a sequence
//! encoded in implicit VR little endian (PS3.5 6.2.2).

use super::element::{
    read_header, tag_str, ElementHeader, Encoding, HeaderRead, Vr, ITEM, ITEM_DELIMITATION,
    SEQUENCE_DELIMITATION,
};
use super::encaps::decode_ov;
use crate::error::{Error, Result};
use crate::pixels::PixelElement;

/// (0028,0002) Samples Per Pixel.
pub const SAMPLES_PER_PIXEL: u32 = 0x0028_0002;
/// (0028,0004) Photometric Interpretation.
pub const PHOTOMETRIC_INTERPRETATION: u32 = 0x0028_0004;
/// (0028,0006) Planar Configuration.
pub const PLANAR_CONFIGURATION: u32 = 0x0028_0006;
/// (0028,0008) Number Of Frames.
pub const NUMBER_OF_FRAMES: u32 = 0x0028_0008;
/// (0028,0010) Rows.
pub const ROWS: u32 = 0x0028_0010;
/// (0028,0011) Columns.
pub const COLUMNS: u32 = 0x0028_0011;
/// (0028,0100) Bits Allocated.
pub const BITS_ALLOCATED: u32 = 0x0028_0100;
/// (0028,0101) Bits Stored.
pub const BITS_STORED: u32 = 0x0028_0101;
/// (0028,0102) High Bit.
pub const HIGH_BIT: u32 = 0x0028_0102;
/// (0028,0103) Pixel Representation.
pub const PIXEL_REPRESENTATION: u32 = 0x0028_0103;
/// (7FE0,0001) Extended Offset Table.
pub const EXTENDED_OFFSET_TABLE: u32 = 0x7FE0_0001;
/// (7FE0,0002) Extended Offset Table Lengths.
pub const EXTENDED_OFFSET_TABLE_LENGTHS: u32 = 0x7FE0_0002;
/// (7FE0,0008) Float Pixel Data.
pub const FLOAT_PIXEL_DATA: u32 = 0x7FE0_0008;
/// (7FE0,0009) Double Float Pixel Data.
pub const DOUBLE_FLOAT_PIXEL_DATA: u32 = 0x7FE0_0009;
/// (7FE0,0010) Pixel Data.
pub const PIXEL_DATA: u32 = 0x7FE0_0010;

/// Image Pixel module attributes as found (`None` = absent or empty).
/// Numbers are kept wide so that out-of-range values can be reported.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ImageAttrs {
    /// (0028,0002) Samples per Pixel.
    pub samples_per_pixel: Option<i64>,
    /// (0028,0004) Photometric Interpretation.
    pub photometric_interpretation: Option<String>,
    /// (0028,0006) Planar Configuration.
    pub planar_configuration: Option<i64>,
    /// (0028,0008) Number of Frames; `None` when absent, empty or 0 (a warning
    /// is recorded for the last two, as pydicom does).
    pub number_of_frames: Option<i64>,
    /// (0028,0010) Rows.
    pub rows: Option<i64>,
    /// (0028,0011) Columns.
    pub columns: Option<i64>,
    /// (0028,0100) Bits Allocated.
    pub bits_allocated: Option<i64>,
    /// (0028,0101) Bits Stored.
    pub bits_stored: Option<i64>,
    /// (0028,0102) High Bit.
    pub high_bit: Option<i64>,
    /// (0028,0103) Pixel Representation.
    pub pixel_representation: Option<i64>,
    /// (7FE0,0001) Extended Offset Table, decoded.
    pub extended_offsets: Option<Vec<u64>>,
    /// (7FE0,0002) Extended Offset Table Lengths, decoded.
    pub extended_lengths: Option<Vec<u64>>,
}

/// Where the pixel data element is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PixelElementInfo {
    /// Which pixel element.
    pub element: PixelElement,
    /// The VR as stored ([`Vr::IMPLICIT`] in implicit VR data).
    pub vr: Vr,
    /// Offset of the element's tag.
    pub header_offset: usize,
    /// Offset of the first value byte.
    pub value_offset: usize,
    /// Value length in bytes; `None` for undefined length (encapsulated).
    pub length: Option<usize>,
}

/// What the walk found.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DatasetScan {
    /// The Image Pixel attributes found.
    pub attrs: ImageAttrs,
    /// The first top-level pixel element, if any.
    pub pixel: Option<PixelElementInfo>,
    /// Offset where the walk stopped (the pixel element or the end).
    pub end: usize,
    /// The data ended with fewer than 8 bytes left (inside an element
    /// header): where, if so.
    pub cut_at: Option<usize>,
    /// Tolerated oddities.
    pub warnings: Vec<String>,
}

fn truncated(pos: usize, what: impl std::fmt::Display, len: usize) -> Error {
    Error::malformed(
        pos as u64,
        what,
        format!("the data ends inside an element header ({len} bytes in all)"),
    )
}

fn header_at(buf: &[u8], pos: usize, enc: Encoding, ctx: &str) -> Result<ElementHeader> {
    match read_header(buf, pos, enc)? {
        HeaderRead::Header(h) => Ok(h),
        HeaderRead::NeedMore(_) => Err(truncated(pos, ctx, buf.len())),
    }
}

/// End offset of a defined-length value, checked against the buffer.
fn value_end(buf: &[u8], h: &ElementHeader, ctx: &str) -> Result<usize> {
    let end = h.value_offset() as u64 + h.length as u64;
    if end > buf.len() as u64 {
        return Err(Error::malformed(
            h.offset as u64,
            format!("{ctx} element {}", tag_str(h.tag)),
            format!(
                "value of {} bytes at byte offset {} runs past the end of the data ({} bytes)",
                h.length,
                h.value_offset(),
                buf.len()
            ),
        ));
    }
    Ok(end as usize)
}

/// Encoding of the items of an undefined-length element.
fn sequence_encoding(h: &ElementHeader, enc: Encoding) -> Encoding {
    if enc.explicit_vr && h.vr == Vr::UN {
        Encoding::IMPLICIT_LE
    } else {
        enc
    }
}

/// Skips the items of an undefined-length element whose value starts at
/// `pos`; returns the offset just past its sequence delimiter. Iterative (an
/// explicit stack), so nesting depth is bounded only by the input size.
pub fn skip_undefined(buf: &[u8], pos: usize, enc: Encoding) -> Result<usize> {
    #[derive(Clone, Copy)]
    enum Ctx {
        /// Inside a sequence: expecting items or the sequence delimiter.
        Items(Encoding),
        /// Inside an undefined-length item: elements until the item delimiter.
        Item(Encoding),
    }
    let mut stack = vec![Ctx::Items(enc)];
    let mut pos = pos;
    while let Some(&top) = stack.last() {
        match top {
            Ctx::Items(enc) => {
                let h = header_at(buf, pos, enc, "sequence item")?;
                match h.tag {
                    ITEM if h.is_undefined_length() => {
                        pos += 8;
                        stack.push(Ctx::Item(enc));
                    }
                    ITEM => pos = value_end(buf, &h, "sequence item")?,
                    SEQUENCE_DELIMITATION => {
                        pos += 8;
                        stack.pop();
                    }
                    t => {
                        return Err(Error::malformed(
                            pos as u64,
                            "sequence",
                            format!(
                                "unexpected tag {} where an item or the sequence delimiter was expected",
                                tag_str(t)
                            ),
                        ))
                    }
                }
            }
            Ctx::Item(enc) => {
                let h = header_at(buf, pos, enc, "item element")?;
                match h.tag {
                    ITEM_DELIMITATION => {
                        pos += 8;
                        stack.pop();
                    }
                    // A sequence delimiter ends the item and the sequence
                    // (some writers omit the item delimiter).
                    SEQUENCE_DELIMITATION => {
                        stack.pop();
                    }
                    _ if h.is_undefined_length() => {
                        pos = h.value_offset();
                        stack.push(Ctx::Items(sequence_encoding(&h, enc)));
                    }
                    _ => pos = value_end(buf, &h, "item")?,
                }
            }
        }
    }
    Ok(pos)
}

fn read_uint(buf: &[u8], h: &ElementHeader, enc: Encoding, name: &str) -> Result<Option<i64>> {
    let v = &buf[h.value_offset()..h.value_offset() + h.length as usize];
    if v.is_empty() {
        return Ok(None);
    }
    // US (or a 32-bit VR some writers use); the first value counts.
    let four = matches!(&h.vr.0, b"UL" | b"SL");
    if four && v.len() >= 4 {
        let n = enc.u32_at(v, 0).unwrap_or(0);
        return Ok(Some(if &h.vr.0 == b"SL" {
            n as i32 as i64
        } else {
            n as i64
        }));
    }
    if v.len() < 2 {
        return Err(Error::malformed(
            h.offset as u64,
            format!("element {} {name}", tag_str(h.tag)),
            format!("value of {} byte is too short for US", v.len()),
        ));
    }
    let n = enc.u16_at(v, 0).unwrap_or(0);
    Ok(Some(if &h.vr.0 == b"SS" {
        n as i16 as i64
    } else {
        n as i64
    }))
}

fn read_text(buf: &[u8], h: &ElementHeader) -> String {
    let v = &buf[h.value_offset()..h.value_offset() + h.length as usize];
    String::from_utf8_lossy(v)
        .trim_matches(|c: char| c == '\0' || c.is_whitespace())
        .to_owned()
}

/// Parses an IS value (first value of a multi-valued string); `None` if empty.
pub fn parse_is(s: &str) -> Option<std::result::Result<i64, ()>> {
    let s = s
        .split('\\')
        .next()
        .unwrap_or("")
        .trim_matches(|c: char| c == '\0' || c.is_whitespace());
    if s.is_empty() {
        return None;
    }
    if let Ok(n) = s.parse::<i64>() {
        return Some(Ok(n));
    }
    match s.parse::<f64>() {
        Ok(f) if f.fract() == 0.0 && f.abs() < 1e15 => Some(Ok(f as i64)),
        _ => Some(Err(())),
    }
}

fn read_number_of_frames(
    buf: &[u8],
    h: &ElementHeader,
    enc: Encoding,
    warnings: &mut Vec<String>,
) -> Result<Option<i64>> {
    let n = if matches!(&h.vr.0, b"US" | b"SS" | b"UL" | b"SL") {
        read_uint(buf, h, enc, "Number of Frames")?
    } else {
        let s = read_text(buf, h);
        match parse_is(&s) {
            None => None,
            Some(Ok(n)) => Some(n),
            Some(Err(())) => {
                return Err(Error::malformed(
                    h.value_offset() as u64,
                    "element (0028,0008) Number of Frames",
                    format!("{s:?} is not an integer string"),
                ))
            }
        }
    };
    match n {
        None | Some(0) => {
            warnings.push(format!(
                "a value of '{}' for (0028,0008) 'Number of Frames' is invalid, assuming 1 frame",
                n.map_or("None".to_owned(), |n| n.to_string())
            ));
            Ok(None)
        }
        n => Ok(n),
    }
}

fn pixel_element(tag: u32) -> Option<PixelElement> {
    match tag {
        PIXEL_DATA => Some(PixelElement::PixelData),
        FLOAT_PIXEL_DATA => Some(PixelElement::FloatPixelData),
        DOUBLE_FLOAT_PIXEL_DATA => Some(PixelElement::DoubleFloatPixelData),
        _ => None,
    }
}

/// Walks the top-level dataset of `buf` from `start`.
pub fn scan_dataset(buf: &[u8], start: usize, enc: Encoding) -> Result<DatasetScan> {
    let mut out = DatasetScan::default();
    let mut pos = start;
    loop {
        let rest = buf.len().saturating_sub(pos);
        if rest == 0 {
            break;
        }
        if rest < 8 {
            // pydicom stops quietly when fewer than 8 bytes are left.
            out.warnings.push(format!(
                "{rest} trailing bytes at byte offset {pos} ignored"
            ));
            out.cut_at = Some(pos);
            break;
        }
        let h = header_at(buf, pos, enc, "dataset")?;
        if let Some(element) = pixel_element(h.tag) {
            let length = (!h.is_undefined_length()).then_some(h.length as usize);
            out.pixel = Some(PixelElementInfo {
                element,
                vr: h.vr,
                header_offset: h.offset,
                value_offset: h.value_offset(),
                length,
            });
            pos = h.offset;
            break;
        }
        if h.is_undefined_length() {
            if h.group() == 0xFFFE {
                return Err(Error::malformed(
                    pos as u64,
                    "dataset",
                    format!("{} with undefined length at the top level", tag_str(h.tag)),
                ));
            }
            pos = skip_undefined(buf, h.value_offset(), sequence_encoding(&h, enc))?;
            continue;
        }
        let end = value_end(buf, &h, "dataset")?;
        let a = &mut out.attrs;
        match h.tag {
            SAMPLES_PER_PIXEL => {
                a.samples_per_pixel = read_uint(buf, &h, enc, "Samples per Pixel")?
            }
            PHOTOMETRIC_INTERPRETATION => {
                let s = read_text(buf, &h);
                a.photometric_interpretation = (!s.is_empty()).then_some(s);
            }
            PLANAR_CONFIGURATION => {
                a.planar_configuration = read_uint(buf, &h, enc, "Planar Configuration")?
            }
            NUMBER_OF_FRAMES => {
                a.number_of_frames = read_number_of_frames(buf, &h, enc, &mut out.warnings)?
            }
            ROWS => a.rows = read_uint(buf, &h, enc, "Rows")?,
            COLUMNS => a.columns = read_uint(buf, &h, enc, "Columns")?,
            BITS_ALLOCATED => a.bits_allocated = read_uint(buf, &h, enc, "Bits Allocated")?,
            BITS_STORED => a.bits_stored = read_uint(buf, &h, enc, "Bits Stored")?,
            HIGH_BIT => a.high_bit = read_uint(buf, &h, enc, "High Bit")?,
            PIXEL_REPRESENTATION => {
                a.pixel_representation = read_uint(buf, &h, enc, "Pixel Representation")?
            }
            EXTENDED_OFFSET_TABLE | EXTENDED_OFFSET_TABLE_LENGTHS => {
                let what = if h.tag == EXTENDED_OFFSET_TABLE {
                    "element (7FE0,0001) Extended Offset Table"
                } else {
                    "element (7FE0,0002) Extended Offset Table Lengths"
                };
                let v = decode_ov(
                    &buf[h.value_offset()..end],
                    enc.little_endian,
                    h.offset,
                    what,
                )?;
                if h.tag == EXTENDED_OFFSET_TABLE {
                    a.extended_offsets = Some(v);
                } else {
                    a.extended_lengths = Some(v);
                }
            }
            _ => {}
        }
        pos = end;
    }
    out.end = pos;
    Ok(out)
}

#[cfg(test)]
pub(crate) mod testutil {
    //! Tiny dataset builders for the parser tests.
    use super::super::element::Encoding;

    /// One element in the given encoding (long-length VRs get 4-byte lengths).
    pub fn elem(enc: Encoding, tag: u32, vr: &[u8; 2], value: &[u8]) -> Vec<u8> {
        elem_len(enc, tag, vr, value, value.len() as u32)
    }

    /// One element with an explicit length field (e.g. undefined).
    pub fn elem_len(enc: Encoding, tag: u32, vr: &[u8; 2], value: &[u8], len: u32) -> Vec<u8> {
        let mut v = Vec::new();
        let (g, e) = ((tag >> 16) as u16, (tag & 0xFFFF) as u16);
        let p16 = |x: u16| {
            if enc.little_endian {
                x.to_le_bytes()
            } else {
                x.to_be_bytes()
            }
        };
        let p32 = |x: u32| {
            if enc.little_endian {
                x.to_le_bytes()
            } else {
                x.to_be_bytes()
            }
        };
        v.extend_from_slice(&p16(g));
        v.extend_from_slice(&p16(e));
        if g == 0xFFFE || !enc.explicit_vr {
            v.extend_from_slice(&p32(len));
        } else {
            v.extend_from_slice(vr);
            if super::Vr(*vr).has_long_length() {
                v.extend_from_slice(&[0, 0]);
                v.extend_from_slice(&p32(len));
            } else {
                v.extend_from_slice(&p16(len as u16));
            }
        }
        v.extend_from_slice(value);
        v
    }

    pub fn us(enc: Encoding, tag: u32, n: u16) -> Vec<u8> {
        let b = if enc.little_endian {
            n.to_le_bytes()
        } else {
            n.to_be_bytes()
        };
        elem(enc, tag, b"US", &b)
    }

    pub fn text(enc: Encoding, tag: u32, vr: &[u8; 2], s: &str) -> Vec<u8> {
        let mut b = s.as_bytes().to_vec();
        if b.len() % 2 == 1 {
            b.push(b' ');
        }
        elem(enc, tag, vr, &b)
    }
}

#[cfg(test)]
mod tests;
