//! Preamble, file meta information group and the main dataset's encoding.
//!
//! Works on a byte prefix: the scanner passes what it has read so far and
//! gets [`MetaRead::NeedMore`] when the prefix is too short; the reader passes
//! the whole file with `at_eof = true`.
//!
//! Without a file meta group (or without (0002,0010)) the encoding is guessed
//! as pydicom does: implicit VR little endian unless the first element carries
//! a valid explicit VR, and then big endian if its group reads as >= 1024 in
//! little endian.

use super::element::{read_header, tag_str, Encoding, HeaderRead};
use crate::error::{Error, Result};

/// What the start of a file says about the rest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileMeta {
    /// A 128-byte preamble followed by "DICM" was found.
    pub has_preamble: bool,
    /// A file meta information group (group 0002) was found.
    pub has_file_meta: bool,
    /// (0002,0010) Transfer Syntax UID, trailing NUL/space removed.
    pub transfer_syntax_uid: Option<String>,
    /// Offset of the first byte of the main dataset (for deflated files: of
    /// the deflated stream).
    pub dataset_offset: usize,
    /// Encoding of the main dataset (after inflation, for deflated files).
    pub encoding: Encoding,
    /// The main dataset is a raw deflate stream (Deflated Explicit VR LE).
    pub deflated: bool,
}

/// Result of [`read_file_meta`] on a prefix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MetaRead {
    Complete(FileMeta),
    /// The prefix is too short: at least this many bytes from the start of
    /// the file are needed.
    NeedMore(usize),
}

/// Encoding of the dataset for a transfer syntax UID (from the table in
/// [`super::syntax`]; unknown syntaxes are explicit VR little endian) and
/// whether it is deflated.
pub fn encoding_for_syntax(uid: &str) -> (Encoding, bool) {
    match super::syntax::lookup(uid) {
        Some(info) => (info.encoding, info.deflated),
        None => (Encoding::EXPLICIT_LE, false),
    }
}

fn looks_like_vr(b: &[u8]) -> bool {
    b.len() >= 2 && b[0].is_ascii_uppercase() && b[1].is_ascii_uppercase()
}

/// Guesses the encoding of a dataset starting at `pos` from its first element
/// (pydicom's rule, see the module docs). `default` is returned when the
/// buffer is too short to tell.
pub fn guess_encoding(buf: &[u8], pos: usize, default: Encoding) -> Encoding {
    let Some(head) = buf.get(pos..pos + 6) else {
        return default;
    };
    if looks_like_vr(&head[4..6]) {
        let group_le = u16::from_le_bytes([head[0], head[1]]);
        if group_le >= 1024 {
            Encoding::EXPLICIT_BE
        } else {
            Encoding::EXPLICIT_LE
        }
    } else {
        Encoding {
            explicit_vr: false,
            little_endian: default.little_endian,
        }
    }
}

/// Checks the transfer syntax's VR claim against the first dataset element
/// and corrects it as pydicom does (explicit claimed but implicit found, or
/// the reverse). Endianness is kept.
pub fn correct_vr_mode(buf: &[u8], pos: usize, enc: Encoding) -> Encoding {
    let Some(head) = buf.get(pos..pos + 6) else {
        return enc;
    };
    let group = enc.u16_at(head, 0).unwrap_or(0);
    if group == 0xFFFE {
        return enc;
    }
    let vr_ok = looks_like_vr(&head[4..6]);
    Encoding {
        explicit_vr: vr_ok,
        little_endian: enc.little_endian,
    }
}

/// Reads the preamble and file meta group from the start of a file.
pub fn read_file_meta(buf: &[u8], at_eof: bool) -> Result<MetaRead> {
    // Preamble + "DICM", or "DICM" at 0, or nothing.
    let (has_preamble, mut pos) = if buf.len() >= 132 && &buf[128..132] == b"DICM" {
        (true, 132)
    } else if buf.len() < 132 && !at_eof {
        return Ok(MetaRead::NeedMore(132));
    } else if buf.len() >= 4 && &buf[..4] == b"DICM" {
        (false, 4)
    } else {
        (false, 0)
    };

    // File meta group: always group 0002, explicit VR LE (a few writers use
    // implicit VR here; accept it).
    let meta_enc = match buf.get(pos + 4..pos + 6) {
        Some(vr) if looks_like_vr(vr) => Encoding::EXPLICIT_LE,
        Some(_) => Encoding::IMPLICIT_LE,
        None if !at_eof => return Ok(MetaRead::NeedMore(pos + 6)),
        None => Encoding::EXPLICIT_LE,
    };
    let mut has_file_meta = false;
    let mut ts: Option<String> = None;
    loop {
        if buf.len() < pos + 2 {
            if at_eof {
                break;
            }
            return Ok(MetaRead::NeedMore(pos + 8));
        }
        let group = u16::from_le_bytes([buf[pos], buf[pos + 1]]);
        if group != 0x0002 {
            break;
        }
        let h = match read_header(buf, pos, meta_enc)? {
            HeaderRead::Header(h) => h,
            HeaderRead::NeedMore(n) => {
                if at_eof {
                    return Err(Error::malformed(
                        pos as u64,
                        "file meta information",
                        "file ends inside an element header",
                    ));
                }
                return Ok(MetaRead::NeedMore(pos + n));
            }
        };
        if h.is_undefined_length() {
            return Err(Error::malformed(
                pos as u64,
                format!("file meta element {}", tag_str(h.tag)),
                "undefined length in the file meta group",
            ));
        }
        let end = h.value_offset() + h.length as usize;
        if end > buf.len() {
            if at_eof {
                return Err(Error::malformed(
                    pos as u64,
                    format!("file meta element {}", tag_str(h.tag)),
                    format!(
                        "value of {} bytes runs past the end of the file ({} bytes)",
                        h.length,
                        buf.len()
                    ),
                ));
            }
            return Ok(MetaRead::NeedMore(end));
        }
        has_file_meta = true;
        if h.tag == 0x0002_0010 {
            let v = &buf[h.value_offset()..end];
            let s = String::from_utf8_lossy(v);
            let s = s.trim_end_matches(['\0', ' ']).trim();
            if !s.is_empty() {
                ts = Some(s.to_owned());
            }
        }
        pos = end;
    }

    let (encoding, deflated) = match ts.as_deref() {
        Some(uid) => {
            let (enc, deflated) = encoding_for_syntax(uid);
            if deflated {
                (enc, true)
            } else {
                if buf.len() < pos + 6 && !at_eof {
                    return Ok(MetaRead::NeedMore(pos + 6));
                }
                (correct_vr_mode(buf, pos, enc), false)
            }
        }
        None => {
            if buf.len() < pos + 6 && !at_eof {
                return Ok(MetaRead::NeedMore(pos + 6));
            }
            (guess_encoding(buf, pos, Encoding::IMPLICIT_LE), false)
        }
    };
    Ok(MetaRead::Complete(FileMeta {
        has_preamble,
        has_file_meta,
        transfer_syntax_uid: ts,
        dataset_offset: pos,
        encoding,
        deflated,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::uid;

    fn explicit_le(tag: u32, vr: &[u8; 2], value: &[u8]) -> Vec<u8> {
        let mut v = Vec::new();
        v.extend_from_slice(&((tag >> 16) as u16).to_le_bytes());
        v.extend_from_slice(&((tag & 0xFFFF) as u16).to_le_bytes());
        v.extend_from_slice(vr);
        if matches!(vr, b"OB" | b"SQ" | b"UN" | b"OW") {
            v.extend_from_slice(&[0, 0]);
            v.extend_from_slice(&(value.len() as u32).to_le_bytes());
        } else {
            v.extend_from_slice(&(value.len() as u16).to_le_bytes());
        }
        v.extend_from_slice(value);
        v
    }

    fn part10(ts: &str, body: &[u8]) -> Vec<u8> {
        let mut f = vec![0u8; 128];
        f.extend_from_slice(b"DICM");
        let mut uid = ts.as_bytes().to_vec();
        if uid.len() % 2 == 1 {
            uid.push(0);
        }
        f.extend(explicit_le(0x0002_0001, b"OB", &[0, 1]));
        f.extend(explicit_le(0x0002_0010, b"UI", &uid));
        f.extend_from_slice(body);
        f
    }

    #[test]
    fn part10_with_each_syntax() {
        let body = explicit_le(0x0008_0060, b"CS", b"CT");
        let f = part10(uid::EXPLICIT_VR_LITTLE_ENDIAN, &body);
        let MetaRead::Complete(m) = read_file_meta(&f, true).unwrap() else {
            panic!()
        };
        assert!(m.has_preamble && m.has_file_meta && !m.deflated);
        assert_eq!(
            m.transfer_syntax_uid.as_deref(),
            Some(uid::EXPLICIT_VR_LITTLE_ENDIAN)
        );
        assert_eq!(m.encoding, Encoding::EXPLICIT_LE);
        assert_eq!(
            &f[m.dataset_offset..m.dataset_offset + 4],
            &[0x08, 0, 0x60, 0]
        );

        let f = part10(uid::DEFLATED_EXPLICIT_VR_LITTLE_ENDIAN, &[1, 2, 3]);
        let MetaRead::Complete(m) = read_file_meta(&f, true).unwrap() else {
            panic!()
        };
        assert!(m.deflated);

        // Implicit claimed but explicit found: corrected as pydicom does.
        let f = part10(uid::IMPLICIT_VR_LITTLE_ENDIAN, &body);
        let MetaRead::Complete(m) = read_file_meta(&f, true).unwrap() else {
            panic!()
        };
        assert_eq!(m.encoding, Encoding::EXPLICIT_LE);
    }

    #[test]
    fn prefix_needs_more() {
        let body = explicit_le(0x0008_0060, b"CS", b"CT");
        let f = part10(uid::EXPLICIT_VR_LITTLE_ENDIAN, &body);
        assert_eq!(
            read_file_meta(&f[..100], false).unwrap(),
            MetaRead::NeedMore(132)
        );
        assert!(matches!(
            read_file_meta(&f[..140], false).unwrap(),
            MetaRead::NeedMore(_)
        ));
        assert!(matches!(
            read_file_meta(&f, false).unwrap(),
            MetaRead::Complete(_)
        ));
    }

    #[test]
    fn raw_datasets_are_guessed() {
        // Implicit VR LE: (0008,0060) len 2 "CT"
        let imp = [0x08, 0, 0x60, 0, 2, 0, 0, 0, b'C', b'T'];
        let MetaRead::Complete(m) = read_file_meta(&imp, true).unwrap() else {
            panic!()
        };
        assert!(!m.has_preamble && !m.has_file_meta);
        assert_eq!((m.dataset_offset, m.encoding), (0, Encoding::IMPLICIT_LE));
        // Explicit VR BE: group 0x0008 reads as 0x0800 >= 1024 in LE.
        let be = [0, 0x08, 0, 0x60, b'C', b'S', 0, 2, b'C', b'T'];
        let MetaRead::Complete(m) = read_file_meta(&be, true).unwrap() else {
            panic!()
        };
        assert_eq!(m.encoding, Encoding::EXPLICIT_BE);
        let le = explicit_le(0x0008_0060, b"CS", b"CT");
        let MetaRead::Complete(m) = read_file_meta(&le, true).unwrap() else {
            panic!()
        };
        assert_eq!(m.encoding, Encoding::EXPLICIT_LE);
    }

    #[test]
    fn truncated_meta_is_malformed_with_offset() {
        let body = explicit_le(0x0008_0060, b"CS", b"CT");
        let f = part10(uid::EXPLICIT_VR_LITTLE_ENDIAN, &body);
        // Cut inside the (0002,0010) value.
        let e = read_file_meta(&f[..150], true).unwrap_err();
        assert!(e.offset().is_some());
        for n in 0..f.len() {
            let _ = read_file_meta(&f[..n], true);
            let _ = read_file_meta(&f[..n], false);
        }
    }
}
