//! A DICOM file (or a raw dataset, or a pydicom dataset's parts) parsed just
//! far enough to find and describe its pixel data.
//!
//! [`ParsedFile::parse`] takes the whole input as one byte slice (a memory map
//! or one read) and never copies it, except for deflated files: those are
//! inflated once into a buffer holding the original bytes up to the end of the
//! file meta group followed by the inflated dataset. **Every offset reported for
//! a deflated file is an offset into that buffer** (equal to the file offset up
//! to the end of the file meta group, then an offset into the inflated data
//! shifted by the meta group's size).
//!
//! [`ParsedFile::layout`] then checks the Image Pixel module as pydicom 3 does
//! (same required attributes, same ranges) and returns what the decoder needs.

use std::borrow::Cow;
use std::io::Read;
use std::ops::Range;

use super::dataset::{scan_dataset, ImageAttrs, PixelElementInfo};
use super::element::{Encoding, Vr, ITEM};
use super::encaps::{self, Encapsulated};
use super::meta::{read_file_meta, MetaRead};
use super::syntax::{PixelStorage, TransferSyntax};
use crate::codecs::native;
use crate::error::{Error, Result};
use crate::limits;
use crate::pixels::{PixelDescription, PixelElement};

/// The parsed file.
#[derive(Debug, Clone)]
pub struct ParsedFile<'a> {
    /// The bytes every offset refers to (the input, or for deflated files the
    /// meta group followed by the inflated dataset).
    pub data: Cow<'a, [u8]>,
    pub has_preamble: bool,
    pub has_file_meta: bool,
    /// The dataset was inflated (offsets refer to the inflated buffer).
    pub deflated: bool,
    /// Offset of the first dataset element.
    pub dataset_offset: usize,
    /// Encoding the dataset was read with.
    pub encoding: Encoding,
    pub syntax: TransferSyntax,
    pub attrs: ImageAttrs,
    /// The first top-level pixel data element, if any.
    pub pixel: Option<PixelElementInfo>,
    /// Items and frames of encapsulated pixel data.
    pub encapsulated: Option<Encapsulated>,
    /// Tolerated oddities found while parsing.
    pub warnings: Vec<String>,
    /// The dataset ended inside an element header at this offset.
    pub cut_at: Option<usize>,
}

/// Where the frames of the pixel data are and how they are stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FrameStorage {
    /// One value holding every frame back to back.
    Native {
        /// The bytes of the value present in the data.
        value: Range<usize>,
        /// Byte order of the value (8-bit OW in big endian is swapped
        /// pairwise, pydicom's `be_swap_ow`).
        order: native::ByteOrder,
    },
    /// Frames in [`ParsedFile::encapsulated`] (the codec is the registry's
    /// entry for the transfer syntax, see [`crate::codecs::registry`]).
    Encapsulated,
}

/// Everything a decoder needs, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PixelLayout {
    pub desc: PixelDescription,
    /// Frames in the output (Number of Frames, or more when encapsulated
    /// data holds extra frames, which pydicom also returns).
    pub frames: usize,
    pub storage: FrameStorage,
    pub warnings: Vec<String>,
}

/// Photometric interpretations pydicom accepts.
const PHOTOMETRIC: &[&str] = &[
    "MONOCHROME1",
    "MONOCHROME2",
    "PALETTE COLOR",
    "RGB",
    "YBR_FULL",
    "YBR_FULL_422",
    "YBR_PARTIAL_422",
    "YBR_PARTIAL_420",
    "YBR_ICT",
    "YBR_RCT",
    "HSV",
    "ARGB",
    "CMYK",
    "XYB",
];

fn inflate(buf: &[u8], start: usize) -> Result<Vec<u8>> {
    let limit = limits::max_alloc();
    limits::check_alloc("inflated dataset", start as u64)?;
    let mut out: Vec<u8> =
        Vec::with_capacity(start + (buf.len() - start).saturating_mul(4).min(1 << 26));
    out.extend_from_slice(&buf[..start]);
    let mut dec = flate2::read::DeflateDecoder::new(&buf[start..]);
    let mut chunk = vec![0u8; 1 << 16];
    loop {
        let n = match dec.read(&mut chunk) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) => {
                return Err(Error::malformed(
                    start as u64,
                    "deflated dataset",
                    format!("inflating failed after {} bytes: {e}", out.len() - start),
                ))
            }
        };
        let needed = out.len() as u64 + n as u64;
        limits::check_alloc("inflated dataset", needed)?;
        if out.len() + n > out.capacity() {
            let new_cap = (out.capacity() as u64 * 2).max(needed).min(limit);
            out.reserve_exact(new_cap as usize - out.len());
        }
        out.extend_from_slice(&chunk[..n]);
    }
    Ok(out)
}

fn frames_hint(attrs: &ImageAttrs) -> u32 {
    attrs
        .number_of_frames
        .map_or(1, |n| n.clamp(1, u32::MAX as i64) as u32)
}

impl<'a> ParsedFile<'a> {
    /// Parses a Part 10 file (with or without preamble) or a raw dataset.
    pub fn parse(buf: &'a [u8]) -> Result<ParsedFile<'a>> {
        let meta = match read_file_meta(buf, true)? {
            MetaRead::Complete(m) => m,
            MetaRead::NeedMore(n) => {
                return Err(Error::malformed(
                    buf.len() as u64,
                    "file meta information",
                    format!("the data ends early ({n} bytes needed)"),
                ))
            }
        };
        let syntax = match &meta.transfer_syntax_uid {
            Some(uid) => TransferSyntax::from_uid(uid),
            None => TransferSyntax::inferred_from(meta.encoding),
        };
        let data: Cow<'a, [u8]> = if meta.deflated {
            Cow::Owned(inflate(buf, meta.dataset_offset)?)
        } else {
            Cow::Borrowed(buf)
        };
        let scan = scan_dataset(&data, meta.dataset_offset, meta.encoding)?;
        let mut file = ParsedFile {
            data,
            has_preamble: meta.has_preamble,
            has_file_meta: meta.has_file_meta,
            deflated: meta.deflated,
            dataset_offset: meta.dataset_offset,
            encoding: meta.encoding,
            syntax,
            attrs: scan.attrs,
            pixel: scan.pixel,
            encapsulated: None,
            warnings: scan.warnings,
            cut_at: scan.cut_at,
        };
        file.find_frames()?;
        Ok(file)
    }

    /// Builds a file from the parts of an already-parsed dataset (pydicom):
    /// the transfer syntax, the attributes, which pixel element and its VR,
    /// and its value bytes (for encapsulated syntaxes: the items).
    pub fn from_parts(
        syntax_uid: &str,
        attrs: ImageAttrs,
        element: PixelElement,
        vr: Vr,
        value: &'a [u8],
    ) -> Result<ParsedFile<'a>> {
        let syntax = TransferSyntax::from_uid(syntax_uid);
        let encoding = syntax.info.map_or(Encoding::EXPLICIT_LE, |i| i.encoding);
        let mut file = ParsedFile {
            data: Cow::Borrowed(value),
            has_preamble: false,
            has_file_meta: false,
            deflated: false,
            dataset_offset: 0,
            encoding,
            syntax,
            attrs,
            pixel: Some(PixelElementInfo {
                element,
                vr,
                header_offset: 0,
                value_offset: 0,
                length: Some(value.len()),
            }),
            encapsulated: None,
            warnings: Vec::new(),
            cut_at: None,
        };
        file.find_frames()?;
        Ok(file)
    }

    /// The dataset is big endian.
    pub fn big_endian(&self) -> bool {
        !self.encoding.little_endian
    }

    fn starts_with_item(&self, pos: usize) -> bool {
        self.data.get(pos..pos + 4).is_some_and(|b| {
            u32::from(u16::from_le_bytes([b[0], b[1]])) << 16
                | u32::from(u16::from_le_bytes([b[2], b[3]]))
                == ITEM
        })
    }

    /// Parses the encapsulation when the pixel data is encapsulated: undefined
    /// length, or an encapsulated syntax whose defined-length value starts with
    /// an item (as pydicom datasets hand it over).
    fn find_frames(&mut self) -> Result<()> {
        let Some(p) = self.pixel else { return Ok(()) };
        let encapsulated_syntax = matches!(self.syntax.storage(), Some(PixelStorage::Encapsulated));
        let parse_it = match p.length {
            None => true,
            Some(_) => {
                (encapsulated_syntax || self.syntax.info.is_none())
                    && p.element == PixelElement::PixelData
                    && self.starts_with_item(p.value_offset)
            }
        };
        if !parse_it {
            return Ok(());
        }
        if p.element != PixelElement::PixelData {
            return Err(Error::malformed(
                p.header_offset as u64,
                "pixel data element",
                "Float Pixel Data and Double Float Pixel Data cannot have an undefined length",
            ));
        }
        let end = p.length.map(|l| p.value_offset.saturating_add(l));
        let enc = encaps::parse(
            &self.data,
            p.value_offset,
            end,
            frames_hint(&self.attrs),
            match (&self.attrs.extended_offsets, &self.attrs.extended_lengths) {
                (Some(o), Some(l)) => Some((o.as_slice(), l.as_slice())),
                _ => None,
            },
        )?;
        if self.attrs.extended_offsets.is_some() != self.attrs.extended_lengths.is_some() {
            self.warnings.push(
                "only one of (7FE0,0001) Extended Offset Table and (7FE0,0002) Extended Offset \
                 Table Lengths is present; ignored"
                    .to_owned(),
            );
        }
        self.warnings.extend(enc.warnings.iter().cloned());
        self.encapsulated = Some(enc);
        Ok(())
    }

    /// The first pixel element, or the error read_pixels gives without one.
    pub fn pixel_element(&self) -> Result<PixelElementInfo> {
        self.pixel.ok_or_else(|| match self.cut_at {
            Some(at) => Error::malformed(
                at as u64,
                "dataset",
                format!(
                    "no Pixel Data element before the data ends inside an element header \
                     ({} bytes in all): truncated?",
                    self.data.len()
                ),
            ),
            None => Error::malformed(
                self.data.len() as u64,
                "dataset",
                "no Pixel Data, Float Pixel Data or Double Float Pixel Data element",
            ),
        })
    }

    /// Checks the Image Pixel module as pydicom does and returns the layout.
    pub fn layout(&self) -> Result<PixelLayout> {
        let p = self.pixel_element()?;
        if self.syntax.storage() == Some(PixelStorage::Referenced) {
            return Err(Error::unsupported(format!(
                "{} does not store pixel data in the dataset",
                self.syntax.describe()
            )));
        }
        let desc = describe(&self.attrs, p.element)?;
        let mut warnings = Vec::new();
        let nr = desc.number_of_frames as usize;
        let storage_kind = self.syntax.storage();
        let (frames, storage) = match (&self.encapsulated, storage_kind) {
            (Some(_), Some(PixelStorage::Native)) => {
                return Err(Error::malformed(
                    p.header_offset as u64,
                    "element (7FE0,0010) Pixel Data",
                    format!(
                        "encapsulated (undefined length) but {} is a native transfer syntax",
                        self.syntax.describe()
                    ),
                ));
            }
            (Some(enc), _) => {
                let found = enc.frames.len();
                if found < nr {
                    return Err(Error::malformed(
                        p.value_offset as u64,
                        "encapsulated Pixel Data",
                        format!("{found} frames found but Number of Frames is {nr}"),
                    ));
                }
                if found > nr {
                    warnings.push(format!(
                        "{found} frames found in the encapsulated pixel data, more than the \
                         Number of Frames value of {nr}; the extra frames are returned too"
                    ));
                }
                (found, FrameStorage::Encapsulated)
            }
            (None, Some(PixelStorage::Encapsulated)) => {
                return Err(Error::malformed(
                    p.value_offset as u64,
                    "element (7FE0,0010) Pixel Data",
                    format!(
                        "{} is encapsulated but the Pixel Data value is not a sequence of items",
                        self.syntax.describe()
                    ),
                ));
            }
            (None, _) => {
                let Some(length) = p.length else {
                    // Unreachable: undefined length always parses as encapsulated.
                    return Err(Error::malformed(
                        p.header_offset as u64,
                        "Pixel Data",
                        "undefined length",
                    ));
                };
                let available = self.data.len().saturating_sub(p.value_offset);
                let present = length.min(available);
                if present < length {
                    warnings.push(format!(
                        "the pixel data value claims {length} bytes but the data ends after {present}"
                    ));
                }
                let frame_bits = native::stored_frame_bits(&desc)?;
                let total_bits = limits::checked_size("pixel data", &[frame_bits, nr as u64])?;
                let expected = total_bits.div_ceil(8);
                if (present as u64) < expected {
                    return Err(Error::malformed(
                        p.value_offset as u64,
                        format!("element {} pixel data", super::element::tag_str(pixel_tag(p.element))),
                        format!(
                            "{present} bytes of pixel data but {expected} are needed for {nr} frame(s) of \
                             {} x {} x {} samples at {} bits allocated{}",
                            desc.rows,
                            desc.columns,
                            desc.samples_per_pixel,
                            desc.bits_allocated,
                            if desc.photometric_interpretation == "YBR_FULL_422" { " (YBR_FULL_422)" } else { "" }
                        ),
                    ));
                }
                let padded = expected + expected % 2;
                if present as u64 > padded {
                    warnings.push(format!(
                        "the pixel data is {present} bytes long, which indicates it contains {} \
                         bytes of excess padding to be removed",
                        present as u64 - expected
                    ));
                }
                let order = if p.element == PixelElement::PixelData {
                    native::stored_byte_order(self.big_endian(), p.vr.0)
                } else {
                    native::stored_byte_order(self.big_endian(), *b"OF")
                };
                (
                    nr,
                    FrameStorage::Native {
                        value: p.value_offset..p.value_offset + present,
                        order,
                    },
                )
            }
        };
        Ok(PixelLayout {
            desc,
            frames,
            storage,
            warnings,
        })
    }

    /// Per-frame byte ranges `(offset, length)`: the fragments of each
    /// encapsulated frame, or the bytes holding each native frame (for 1-bit
    /// data the range covers every byte holding one of the frame's bits).
    pub fn frame_ranges(&self, layout: &PixelLayout) -> Result<Vec<Vec<(u64, u64)>>> {
        match &layout.storage {
            FrameStorage::Encapsulated => Ok(self
                .encapsulated
                .as_ref()
                .map(|e| {
                    e.frames
                        .iter()
                        .map(|f| {
                            f.iter()
                                .map(|g| (g.offset as u64, g.length as u64))
                                .collect()
                        })
                        .collect()
                })
                .unwrap_or_default()),
            FrameStorage::Native { value, order } => (0..layout.frames)
                .map(|i| {
                    let r = native::frame_stored_range(&layout.desc, i, *order)?;
                    Ok(vec![(value.start as u64 + r.start, r.end - r.start)])
                })
                .collect(),
        }
    }
}

fn pixel_tag(e: PixelElement) -> u32 {
    match e {
        PixelElement::PixelData => super::dataset::PIXEL_DATA,
        PixelElement::FloatPixelData => super::dataset::FLOAT_PIXEL_DATA,
        PixelElement::DoubleFloatPixelData => super::dataset::DOUBLE_FLOAT_PIXEL_DATA,
    }
}

fn missing(tag: &str, name: &str) -> Error {
    Error::malformed(
        0,
        "Image Pixel module",
        format!("missing required element: {tag} '{name}'"),
    )
}

fn invalid(tag: &str, name: &str, value: impl std::fmt::Display, rule: &str) -> Error {
    Error::malformed(
        0,
        "Image Pixel module",
        format!("a {tag} '{name}' value of '{value}' is invalid, {rule}"),
    )
}

/// The Image Pixel module checks of pydicom's `RunnerBase._validate_options`,
/// then [`PixelDescription::validate`].
pub fn describe(a: &ImageAttrs, element: PixelElement) -> Result<PixelDescription> {
    let is_int = element == PixelElement::PixelData;
    let ba = a
        .bits_allocated
        .ok_or_else(|| missing("(0028,0100)", "Bits Allocated"))?;
    if !(1..=64).contains(&ba) || (ba != 1 && ba % 8 != 0) {
        return Err(invalid(
            "(0028,0100)",
            "Bits Allocated",
            ba,
            "it must be 1 or a multiple of 8 and in the range (1, 64)",
        ));
    }
    let float_bits = match element {
        PixelElement::FloatPixelData => Some(32),
        PixelElement::DoubleFloatPixelData => Some(64),
        PixelElement::PixelData => None,
    };
    if let Some(fb) = float_bits {
        if ba != fb {
            return Err(invalid(
                "(0028,0100)",
                "Bits Allocated",
                ba,
                &format!("it must be {fb} for this pixel data element"),
            ));
        }
    }
    let bs = if is_int {
        let bs = a
            .bits_stored
            .ok_or_else(|| missing("(0028,0101)", "Bits Stored"))?;
        if !(1..=ba).contains(&bs) {
            return Err(invalid(
                "(0028,0101)",
                "Bits Stored",
                bs,
                &format!("it must be in the range (1, 64) and no greater than the (0028,0100) 'Bits Allocated' value of '{ba}'"),
            ));
        }
        bs
    } else {
        ba
    };
    let columns = a.columns.ok_or_else(|| missing("(0028,0011)", "Columns"))?;
    if !(1..=65535).contains(&columns) {
        return Err(invalid(
            "(0028,0011)",
            "Columns",
            columns,
            "it must be in the range (1, 65535)",
        ));
    }
    let frames = a.number_of_frames.unwrap_or(1);
    if frames < 1 || frames > u32::MAX as i64 {
        return Err(invalid(
            "(0028,0008)",
            "Number of Frames",
            frames,
            "it must be greater than or equal to 1",
        ));
    }
    let pi = a
        .photometric_interpretation
        .clone()
        .ok_or_else(|| missing("(0028,0004)", "Photometric Interpretation"))?;
    if !PHOTOMETRIC.contains(&pi.as_str()) {
        return Err(Error::malformed(
            0,
            "Image Pixel module",
            format!("unknown (0028,0004) 'Photometric Interpretation' value '{pi}'"),
        ));
    }
    let pr = if is_int {
        let pr = a
            .pixel_representation
            .ok_or_else(|| missing("(0028,0103)", "Pixel Representation"))?;
        if !(0..=1).contains(&pr) {
            return Err(invalid(
                "(0028,0103)",
                "Pixel Representation",
                pr,
                "it must be 0 or 1",
            ));
        }
        pr
    } else {
        0
    };
    let rows = a.rows.ok_or_else(|| missing("(0028,0010)", "Rows"))?;
    if !(1..=65535).contains(&rows) {
        return Err(invalid(
            "(0028,0010)",
            "Rows",
            rows,
            "it must be in the range (1, 65535)",
        ));
    }
    let spp = a
        .samples_per_pixel
        .ok_or_else(|| missing("(0028,0002)", "Samples per Pixel"))?;
    if spp != 1 && spp != 3 {
        return Err(invalid(
            "(0028,0002)",
            "Samples per Pixel",
            spp,
            "it must be 1 or 3",
        ));
    }
    let planar = if spp == 3 {
        let pc = a
            .planar_configuration
            .ok_or_else(|| missing("(0028,0006)", "Planar Configuration"))?;
        if !(0..=1).contains(&pc) {
            return Err(invalid(
                "(0028,0006)",
                "Planar Configuration",
                pc,
                "it must be 0 or 1",
            ));
        }
        pc
    } else {
        0
    };
    let desc = PixelDescription {
        rows: rows as u32,
        columns: columns as u32,
        number_of_frames: frames as u32,
        samples_per_pixel: spp as u16,
        bits_allocated: ba as u16,
        bits_stored: bs as u16,
        high_bit: a
            .high_bit
            .filter(|h| (0..64).contains(h))
            .map_or(bs as u16 - 1, |h| h as u16),
        pixel_representation: pr as u16,
        planar_configuration: planar as u16,
        photometric_interpretation: pi,
        element,
    };
    desc.validate()?;
    Ok(desc)
}

#[cfg(test)]
mod tests {
    use super::super::dataset::testutil::*;
    use super::super::dataset::*;
    use super::super::encaps::build_items;
    use super::*;

    pub(crate) fn part10(ts: &str, enc: Encoding, body: &[u8]) -> Vec<u8> {
        let le = Encoding::EXPLICIT_LE;
        let mut f = vec![0u8; 128];
        f.extend_from_slice(b"DICM");
        let mut uid = ts.as_bytes().to_vec();
        if uid.len() % 2 == 1 {
            uid.push(0);
        }
        f.extend(elem(le, 0x0002_0001, b"OB", &[0, 1]));
        f.extend(elem(le, 0x0002_0010, b"UI", &uid));
        let _ = enc;
        f.extend_from_slice(body);
        f
    }

    pub(crate) fn image(
        enc: Encoding,
        rows: u16,
        cols: u16,
        frames: u32,
        ba: u16,
        spp: u16,
    ) -> Vec<u8> {
        let mut d = Vec::new();
        d.extend(us(enc, SAMPLES_PER_PIXEL, spp));
        d.extend(text(
            enc,
            PHOTOMETRIC_INTERPRETATION,
            b"CS",
            if spp == 3 { "RGB" } else { "MONOCHROME2" },
        ));
        if spp == 3 {
            d.extend(us(enc, PLANAR_CONFIGURATION, 0));
        }
        d.extend(text(enc, NUMBER_OF_FRAMES, b"IS", &frames.to_string()));
        d.extend(us(enc, ROWS, rows));
        d.extend(us(enc, COLUMNS, cols));
        d.extend(us(enc, BITS_ALLOCATED, ba));
        d.extend(us(enc, BITS_STORED, ba));
        d.extend(us(enc, HIGH_BIT, ba - 1));
        d.extend(us(enc, PIXEL_REPRESENTATION, 0));
        d
    }

    #[test]
    fn encapsulated_file_frames() {
        let enc = Encoding::EXPLICIT_LE;
        let mut body = image(enc, 2, 2, 2, 8, 1);
        let items = build_items(&[], &[b"ab", b"cd"]);
        body.extend(elem_len(enc, PIXEL_DATA, b"OB", &items, 0xFFFF_FFFF));
        let f = part10("1.2.840.10008.1.2.5", enc, &body);
        let p = ParsedFile::parse(&f).unwrap();
        assert!(p.has_preamble && p.has_file_meta);
        let l = p.layout().unwrap();
        assert_eq!(l.frames, 2);
        assert_eq!(l.storage, FrameStorage::Encapsulated);
        let r = p.frame_ranges(&l).unwrap();
        assert_eq!(r.len(), 2);
        let (o, n) = r[1][0];
        assert_eq!(&f[o as usize..(o + n) as usize], b"cd");
    }

    #[test]
    fn encapsulated_from_parts_and_unknown_syntax() {
        let items = build_items(&[], &[b"ab"]);
        let attrs = ImageAttrs {
            samples_per_pixel: Some(1),
            photometric_interpretation: Some("MONOCHROME2".into()),
            rows: Some(1),
            columns: Some(1),
            bits_allocated: Some(8),
            bits_stored: Some(8),
            pixel_representation: Some(0),
            ..Default::default()
        };
        let p = ParsedFile::from_parts(
            "1.2.840.10008.1.2.4.50",
            attrs.clone(),
            PixelElement::PixelData,
            Vr::OB,
            &items,
        )
        .unwrap();
        let l = p.layout().unwrap();
        assert_eq!(l.storage, FrameStorage::Encapsulated);
        let p = ParsedFile::from_parts(
            "1.2.3.4",
            attrs.clone(),
            PixelElement::PixelData,
            Vr::OB,
            &items,
        )
        .unwrap();
        assert_eq!(p.layout().unwrap().storage, FrameStorage::Encapsulated);
        // Encapsulated syntax but raw bytes: malformed.
        let p = ParsedFile::from_parts(
            "1.2.840.10008.1.2.5",
            attrs,
            PixelElement::PixelData,
            Vr::OB,
            &[1, 2, 3, 4],
        )
        .unwrap();
        assert!(p.layout().is_err());
    }

    #[test]
    fn deflated_offsets_refer_to_the_inflated_buffer() {
        use flate2::write::DeflateEncoder;
        use std::io::Write;
        let enc = Encoding::EXPLICIT_LE;
        let mut body = image(enc, 2, 2, 1, 8, 1);
        let items = build_items(&[], &[b"ab"]);
        // Encapsulated pixel data in a deflated dataset is odd but lets this
        // test run without the native unpacker.
        body.extend(elem_len(enc, PIXEL_DATA, b"OB", &items, 0xFFFF_FFFF));
        let mut e = DeflateEncoder::new(Vec::new(), flate2::Compression::default());
        e.write_all(&body).unwrap();
        let z = e.finish().unwrap();
        let f = part10("1.2.840.10008.1.2.1.99", enc, &z);
        let p = ParsedFile::parse(&f).unwrap();
        assert!(p.deflated);
        assert_eq!(&p.data[..p.dataset_offset], &f[..p.dataset_offset]);
        assert_eq!(&p.data[p.dataset_offset..], &body[..]);
        let frag = p.encapsulated.as_ref().unwrap().frames[0][0];
        assert_eq!(&p.data[frag.offset..frag.offset + 2], b"ab");
        // Garbage deflate stream: malformed.
        let f = part10("1.2.840.10008.1.2.1.99", enc, &[0xFF; 64]);
        assert!(ParsedFile::parse(&f).is_err());
        // Inflation respects the allocation limit.
        let big = vec![0u8; 1 << 20];
        let mut e = DeflateEncoder::new(Vec::new(), flate2::Compression::default());
        e.write_all(&big).unwrap();
        let f = part10("1.2.840.10008.1.2.1.99", enc, &e.finish().unwrap());
        let old = limits::max_alloc();
        limits::set_max_alloc(1 << 16);
        let r = ParsedFile::parse(&f);
        limits::set_max_alloc(old);
        assert!(matches!(r, Err(Error::LimitExceeded { .. })));
    }

    #[test]
    fn pydicom_validation_rules() {
        let base = ImageAttrs {
            samples_per_pixel: Some(3),
            photometric_interpretation: Some("RGB".into()),
            planar_configuration: Some(1),
            rows: Some(4),
            columns: Some(5),
            bits_allocated: Some(16),
            bits_stored: Some(12),
            pixel_representation: Some(1),
            ..Default::default()
        };
        let d = describe(&base, PixelElement::PixelData).unwrap();
        assert_eq!(
            (d.rows, d.columns, d.number_of_frames, d.high_bit),
            (4, 5, 1, 11)
        );
        let bad = |f: &dyn Fn(&mut ImageAttrs)| {
            let mut a = base.clone();
            f(&mut a);
            describe(&a, PixelElement::PixelData)
                .unwrap_err()
                .to_string()
        };
        assert!(bad(&|a| a.rows = None).contains("(0028,0010) 'Rows'"));
        assert!(bad(&|a| a.columns = Some(0)).contains("Columns"));
        assert!(bad(&|a| a.bits_allocated = Some(12)).contains("Bits Allocated"));
        assert!(bad(&|a| a.bits_stored = Some(17)).contains("Bits Stored"));
        assert!(bad(&|a| a.planar_configuration = None).contains("Planar"));
        assert!(bad(&|a| a.samples_per_pixel = Some(4)).contains("Samples"));
        assert!(bad(&|a| a.photometric_interpretation = Some("FOO".into())).contains("FOO"));
        assert!(bad(&|a| a.pixel_representation = Some(2)).contains("Pixel Representation"));
        assert!(bad(&|a| a.number_of_frames = Some(-1)).contains("Number of Frames"));
        // Float pixel data needs neither Bits Stored nor Pixel Representation.
        let mut f = base.clone();
        f.bits_allocated = Some(32);
        f.bits_stored = None;
        f.pixel_representation = None;
        f.samples_per_pixel = Some(1);
        assert!(describe(&f, PixelElement::FloatPixelData).is_ok());
        assert!(describe(&f, PixelElement::DoubleFloatPixelData).is_err());
        // 24 bits allocated passes pydicom's rule but has no numpy dtype.
        let mut g = base.clone();
        g.bits_allocated = Some(24);
        assert!(matches!(
            describe(&g, PixelElement::PixelData),
            Err(Error::Unsupported(_))
        ));
    }

    #[test]
    fn no_pixel_data_and_referenced_syntax() {
        let enc = Encoding::EXPLICIT_LE;
        let f = part10("1.2.840.10008.1.2.1", enc, &image(enc, 1, 1, 1, 8, 1));
        let p = ParsedFile::parse(&f).unwrap();
        assert!(p.pixel.is_none());
        assert!(p
            .layout()
            .unwrap_err()
            .to_string()
            .contains("no Pixel Data"));
        let mut body = image(enc, 1, 1, 1, 8, 1);
        body.extend(elem(enc, PIXEL_DATA, b"OB", &[0, 0]));
        let f = part10("1.2.840.10008.1.2.4.94", enc, &body);
        let p = ParsedFile::parse(&f).unwrap();
        assert!(matches!(p.layout(), Err(Error::Unsupported(_))));
    }
}
