//! What `dicodec.frame_info` reports: the DICOM facts about a parsed file's
//! pixel data (frames, dtype, shape, where each frame is, whether it can be
//! decoded and why not), computed here so the bindings only convert.

use crate::decode;
use crate::error::Result;
use crate::parser::dataset::ImageAttrs;
use crate::parser::element::Vr;
use crate::parser::ParsedFile;
use crate::pixels::{PixelElement, SampleType};

/// A summary of a parsed file's pixel data (see `FrameInfo` in the README).
///
/// Byte offsets are offsets into [`ParsedFile::data`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileSummary {
    /// (0002,0010), or the UID inferred from the encoding.
    pub transfer_syntax_uid: String,
    /// Its name ("unknown transfer syntax" when not in the table).
    pub transfer_syntax_name: String,
    /// The UID was inferred (the file has no (0002,0010)).
    pub transfer_syntax_inferred: bool,
    /// Why the pixel data cannot be decoded; `None` when it can.
    pub unsupported_reason: Option<String>,
    /// A 128-byte preamble and "DICM" were found.
    pub has_preamble: bool,
    /// A file meta group was found.
    pub has_file_meta: bool,
    /// The dataset was inflated (Deflated Explicit VR Little Endian).
    pub deflated: bool,
    /// The Image Pixel attributes as stored.
    pub attrs: ImageAttrs,
    /// Which pixel element holds the data.
    pub pixel_element: PixelElement,
    /// Its VR as stored (`None` in implicit VR).
    pub pixel_vr: Option<String>,
    /// Offset of the first value byte.
    pub pixel_data_offset: usize,
    /// Value length, `None` for undefined length.
    pub pixel_data_length: Option<usize>,
    /// Frames `read_pixels` returns.
    pub frames: usize,
    /// Element type of the decoded array (`None` when not decodable).
    pub sample_type: Option<SampleType>,
    /// Shape of the array `read_pixels` returns for all frames.
    pub shape: Option<Vec<usize>>,
    /// The pixel data is encapsulated.
    pub encapsulated: bool,
    /// Basic Offset Table entries.
    pub basic_offset_table: Vec<u32>,
    /// The Extended Offset Table gave the frame positions.
    pub extended_offset_table: bool,
    /// Number of fragments.
    pub fragments: usize,
    /// Per frame, its `(offset, length)` byte ranges.
    pub frame_ranges: Vec<Vec<(u64, u64)>>,
    /// Why the frame layout could not be worked out, if it could not.
    pub problem: Option<String>,
    /// Tolerated oddities found while parsing.
    pub warnings: Vec<String>,
}

impl FileSummary {
    /// `read_pixels` can decode the pixel data.
    pub fn decodable(&self) -> bool {
        self.unsupported_reason.is_none()
    }
}

/// Summarizes `parsed`. Fails only when it has no pixel element; invalid
/// Image Pixel attributes and unsupported syntaxes are reported in
/// [`FileSummary::problem`] / [`FileSummary::unsupported_reason`].
pub fn summarize(parsed: &ParsedFile<'_>) -> Result<FileSummary> {
    let p = parsed.pixel_element()?;
    let mut warnings = parsed.warnings.clone();
    let enc = parsed.encapsulated.as_ref();
    let mut frames = enc
        .map_or(0, |e| e.frames.len())
        .max(parsed.attrs.number_of_frames.unwrap_or(1).max(1) as usize);
    let mut sample_type = None;
    let mut shape = None;
    let mut frame_ranges: Vec<Vec<(u64, u64)>> = enc
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
        .unwrap_or_default();
    let mut problem = None;
    let mut unsupported_reason = None;
    match parsed.layout() {
        Ok(layout) => {
            frames = layout.frames;
            sample_type = layout.desc.sample_type().ok();
            shape = Some(layout.array_shape(layout.frames, layout.frames == 1));
            match parsed.frame_ranges(&layout) {
                Ok(r) => frame_ranges = r,
                Err(e) => problem = Some(e.to_string()),
            }
            if let Err(e) = decode::check_supported(parsed, &layout) {
                unsupported_reason = Some(e.to_string());
            }
            warnings.extend(layout.warnings.iter().cloned());
        }
        Err(e) => {
            unsupported_reason = Some(e.to_string());
            problem = Some(e.to_string());
        }
    }
    Ok(FileSummary {
        transfer_syntax_uid: parsed.syntax.uid.clone(),
        transfer_syntax_name: parsed.syntax.name().to_owned(),
        transfer_syntax_inferred: parsed.syntax.inferred,
        unsupported_reason,
        has_preamble: parsed.has_preamble,
        has_file_meta: parsed.has_file_meta,
        deflated: parsed.deflated,
        attrs: parsed.attrs.clone(),
        pixel_element: p.element,
        pixel_vr: (p.vr != Vr::IMPLICIT).then(|| p.vr.as_str().to_owned()),
        pixel_data_offset: p.value_offset,
        pixel_data_length: p.length,
        frames,
        sample_type,
        shape,
        encapsulated: enc.is_some(),
        basic_offset_table: enc.map(|e| e.basic_offsets.clone()).unwrap_or_default(),
        extended_offset_table: enc.is_some_and(|e| e.used_extended_offsets),
        fragments: enc.map_or(0, |e| e.fragments.len()),
        frame_ranges,
        problem,
        warnings,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parser::dataset::testutil::elem;
    use crate::parser::dataset::PIXEL_DATA;
    use crate::parser::element::Encoding;
    use crate::parser::file::tests::{image, part10};
    use crate::uid;

    #[test]
    fn native_file_summary() {
        let enc = Encoding::EXPLICIT_LE;
        let mut body = image(enc, 2, 3, 1, 16, 1);
        body.extend(elem(enc, PIXEL_DATA, b"OW", &[0u8; 12]));
        let f = part10(uid::EXPLICIT_VR_LITTLE_ENDIAN, enc, &body);
        let p = ParsedFile::parse(&f).unwrap();
        let s = summarize(&p).unwrap();
        assert!(s.decodable() && s.problem.is_none());
        assert_eq!(s.frames, 1);
        assert_eq!(s.shape, Some(vec![2, 3]));
        assert_eq!(s.sample_type, Some(SampleType::U16));
        assert_eq!(s.frame_ranges.len(), 1);
        assert_eq!(s.frame_ranges[0][0].1, 12);
        assert!(!s.encapsulated && s.has_preamble && s.has_file_meta);
    }

    #[test]
    fn undecodable_syntax_is_a_reason_not_an_error() {
        let enc = Encoding::EXPLICIT_LE;
        let mut body = image(enc, 1, 1, 1, 8, 1);
        body.extend(elem(enc, PIXEL_DATA, b"OB", &[0u8; 2]));
        let f = part10(uid::JPIP_REFERENCED, enc, &body);
        let s = summarize(&ParsedFile::parse(&f).unwrap()).unwrap();
        assert!(!s.decodable());
        assert!(s.problem.is_some() && s.shape.is_none());
    }
}
