//! Is this DICOM at all? One verdict, one message, for the reader
//! ([`crate::parser::file::ParsedFile::parse`]) and the tag scanner.
//!
//! A file is DICOM when it has a file meta group ("DICM" at byte 128 or 0,
//! then group 0002), or — a raw dataset — when its first element looks like
//! one: an even group among those a dataset starts with (0002…0028), or any
//! even group followed by a valid explicit VR. Anything else is
//! "not a DICOM file: <reason>", as [`Error::Malformed`] at offset 0 with
//! context [`CONTEXT`] (so callers can tell this verdict from a broken file).

use crate::error::{Error, Result};
use crate::parser::element::Encoding;
use crate::parser::meta::{guess_encoding, FileMeta};

/// The message every "not DICOM" verdict starts with.
pub const NOT_DICOM: &str = "not a DICOM file";

/// The context of whole-file verdicts ([`not_dicom`], empty files).
pub const CONTEXT: &str = "file";

fn looks_like_vr(b: &[u8]) -> bool {
    b.len() == 2 && b[0].is_ascii_uppercase() && b[1].is_ascii_uppercase()
}

/// Whether a dataset without file meta may plausibly start at `pos`.
pub fn plausible_start(buf: &[u8], pos: usize, enc: Encoding) -> bool {
    let Some(g) = enc.u16_at(buf, pos) else {
        return false;
    };
    if g % 2 != 0 {
        return false;
    }
    (0x0002..=0x0028).contains(&g)
        || (enc.explicit_vr && g != 0 && buf.get(pos + 4..pos + 6).is_some_and(looks_like_vr))
}

/// Why `head` (the first bytes of a file) is not DICOM, in words.
pub fn foreign_reason(head: &[u8]) -> String {
    let what = match head {
        [] => "empty file (0 bytes)",
        [b'P', b'K', 3, 4, ..] | [b'P', b'K', 5, 6, ..] => "it is a ZIP archive",
        [0x1f, 0x8b, ..] => "it is gzip-compressed data",
        [b'B', b'Z', b'h', ..] => "it is bzip2-compressed data",
        [0xfd, b'7', b'z', b'X', b'Z', 0, ..] => "it is xz-compressed data",
        [b'%', b'P', b'D', b'F', ..] => "it is a PDF document",
        [0x89, b'P', b'N', b'G', ..] => "it is a PNG image",
        [0xff, 0xd8, 0xff, ..] => "it is a JPEG image",
        _ if head.get(257..262) == Some(b"ustar") => "it is a tar archive",
        _ if matches!(
            head.iter().find(|b| !b.is_ascii_whitespace()),
            Some(b'{' | b'[')
        ) =>
        {
            "it looks like JSON"
        }
        _ if head
            .iter()
            .take(512)
            .all(|&b| b.is_ascii_graphic() || b.is_ascii_whitespace()) =>
        {
            "it looks like text"
        }
        _ => "",
    };
    let detail = "no 'DICM' marker at byte 128 and no DICOM element at the start";
    if what.is_empty() {
        detail.to_owned()
    } else if head.is_empty() {
        what.to_owned()
    } else {
        format!("{what} ({detail})")
    }
}

/// The "not a DICOM file: <reason>" error for a file starting with `head`.
pub fn not_dicom(head: &[u8]) -> Error {
    Error::malformed(0, CONTEXT, format!("{NOT_DICOM}: {}", foreign_reason(head)))
}

/// For a file without file meta: refuses it unless a dataset plausibly
/// starts after the preamble (or at byte 0: a "DICM" at 128 can be chance).
/// A preamble and "DICM" with nothing after is an empty dataset.
pub fn check_raw_start(buf: &[u8], meta: &FileMeta) -> Result<()> {
    let at = meta.dataset_offset;
    if meta.has_preamble && buf.len() <= at {
        return Ok(());
    }
    if plausible_start(buf, at, meta.encoding)
        || plausible_start(buf, 0, guess_encoding(buf, 0, Encoding::IMPLICIT_LE))
    {
        return Ok(());
    }
    Err(not_dicom(&buf[..buf.len().min(1024)]))
}

/// The message a valid dataset without pixel data gets.
pub const NO_PIXEL_DATA: &str = "no pixel data";

/// The error of a dataset (of `len` bytes) without any pixel element.
pub fn no_pixel_data(len: usize) -> Error {
    Error::malformed(
        len as u64,
        "dataset",
        format!(
            "{NO_PIXEL_DATA}: the dataset has no Pixel Data, Float Pixel Data or Double Float \
             Pixel Data element"
        ),
    )
}

/// Whether `err` is a [`no_pixel_data`] verdict.
pub fn is_no_pixel_data(err: &Error) -> bool {
    matches!(err, Error::Malformed { context, message, .. }
        if context == "dataset" && message.starts_with(NO_PIXEL_DATA))
}

/// Whether `err` is a [`not_dicom`] verdict.
pub fn is_not_dicom(err: &Error) -> bool {
    matches!(err, Error::Malformed { offset: 0, context, message }
        if context == CONTEXT && message.starts_with(NOT_DICOM))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verdicts_name_the_reason() {
        let msg = |b: &[u8]| not_dicom(b).to_string();
        assert!(msg(b"").contains("not a DICOM file: empty file (0 bytes)"));
        assert!(msg(b"PK\x03\x04rest").contains("ZIP archive"));
        assert!(msg(b"\x1f\x8b\x08\x00").contains("gzip"));
        assert!(msg(b"  {\"a\": 1}").contains("JSON"));
        assert!(msg(b"# README\nhello").contains("looks like text"));
        assert!(msg(b"\x01\x02\x03\xff\xfe").contains("no 'DICM' marker"));
        assert!(is_not_dicom(&not_dicom(b"x")));
        assert!(!is_not_dicom(&Error::malformed(0, "file", "empty")));
    }

    #[test]
    fn plausible_starts() {
        let le = Encoding::EXPLICIT_LE;
        // (0008,0016) UI
        assert!(plausible_start(b"\x08\x00\x16\x00UI\x04\x00", 0, le));
        // (7FE0,0010) OW: pixel data only, explicit VR
        assert!(plausible_start(b"\xe0\x7f\x10\x00OW\x00\x00", 0, le));
        // text
        assert!(!plausible_start(b"This is a README", 0, le));
        assert!(!plausible_start(b"", 0, le));
    }
}
