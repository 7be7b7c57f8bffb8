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
//! (same required attributes, same ranges: [`super::describe`]) and returns
//! what the decoder needs.

use std::borrow::Cow;
use std::io::Read;
use std::ops::Range;

use super::dataset::{scan_dataset, ImageAttrs, PixelElementInfo};
use super::describe::describe;
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
    /// A 128-byte preamble and "DICM" were found.
    pub has_preamble: bool,
    /// A file meta group was found.
    pub has_file_meta: bool,
    /// The dataset was inflated (offsets refer to the inflated buffer).
    pub deflated: bool,
    /// Offset of the first dataset element.
    pub dataset_offset: usize,
    /// Encoding the dataset was read with.
    pub encoding: Encoding,
    /// The transfer syntax the dataset is read with.
    pub syntax: TransferSyntax,
    /// The Image Pixel attributes found.
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
    /// What the decoders are told.
    pub desc: PixelDescription,
    /// Frames in the output (Number of Frames, or more when encapsulated
    /// data holds extra frames, which pydicom also returns).
    pub frames: usize,
    /// Where the frames are.
    pub storage: FrameStorage,
    /// Tolerated oddities.
    pub warnings: Vec<String>,
}

impl PixelLayout {
    /// Shape of the decoded array of `n` frames: `(frames, rows, columns[,
    /// samples])`, without the frame axis when `squeeze_frames` (pydicom's
    /// rule for one frame, or a single frame index).
    pub fn array_shape(&self, n: usize, squeeze_frames: bool) -> Vec<usize> {
        let d = &self.desc;
        let mut s = Vec::with_capacity(4);
        if !squeeze_frames {
            s.push(n);
        }
        s.push(d.rows as usize);
        s.push(d.columns as usize);
        if d.samples_per_pixel > 1 {
            s.push(d.samples_per_pixel as usize);
        }
        s
    }
}

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
        if !meta.has_file_meta && !meta.deflated {
            super::detect::check_raw_start(buf, &meta)?;
        }
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
            None => super::detect::no_pixel_data(self.data.len()),
        })
    }

    /// Checks the Image Pixel module as pydicom does and returns the layout.
    pub fn layout(&self) -> Result<PixelLayout> {
        let p = self.pixel_element()?;
        if self.syntax.storage() == Some(PixelStorage::Referenced) {
            return Err(Error::unsupported_feature(
                crate::error::Feature::TransferSyntax(self.syntax.uid.clone()),
                format!(
                    "{} does not store pixel data in the dataset",
                    self.syntax.describe()
                ),
            ));
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

#[cfg(test)]
pub(crate) mod tests;
