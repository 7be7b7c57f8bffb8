//! Lowest layer of the DICOM parser: element headers over a byte slice.
//!
//! Shared by the reader (whole file in memory or mapped) and the scanner
//! (growing prefix). Nothing here allocates.

use crate::error::{Error, Result};

/// Undefined length (0xFFFFFFFF).
pub const UNDEFINED_LENGTH: u32 = 0xFFFF_FFFF;

/// Item, item delimitation and sequence delimitation tags.
pub const ITEM: u32 = 0xFFFE_E000;
/// (FFFE,E00D) Item Delimitation Item.
pub const ITEM_DELIMITATION: u32 = 0xFFFE_E00D;
/// (FFFE,E0DD) Sequence Delimitation Item.
pub const SEQUENCE_DELIMITATION: u32 = 0xFFFE_E0DD;

/// How a dataset is encoded (the part of the transfer syntax that matters to
/// the element layer).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Encoding {
    /// Explicit VR (else implicit).
    pub explicit_vr: bool,
    /// Little endian (else big endian).
    pub little_endian: bool,
}

impl Encoding {
    /// Implicit VR little endian.
    pub const IMPLICIT_LE: Encoding = Encoding {
        explicit_vr: false,
        little_endian: true,
    };
    /// Explicit VR little endian.
    pub const EXPLICIT_LE: Encoding = Encoding {
        explicit_vr: true,
        little_endian: true,
    };
    /// Explicit VR big endian.
    pub const EXPLICIT_BE: Encoding = Encoding {
        explicit_vr: true,
        little_endian: false,
    };

    #[inline]
    /// The 16-bit value at `pos`, in this byte order.
    pub fn u16_at(self, b: &[u8], pos: usize) -> Option<u16> {
        let s: [u8; 2] = b.get(pos..pos + 2)?.try_into().ok()?;
        Some(if self.little_endian {
            u16::from_le_bytes(s)
        } else {
            u16::from_be_bytes(s)
        })
    }

    #[inline]
    /// The 32-bit value at `pos`, in this byte order.
    pub fn u32_at(self, b: &[u8], pos: usize) -> Option<u32> {
        let s: [u8; 4] = b.get(pos..pos + 4)?.try_into().ok()?;
        Some(if self.little_endian {
            u32::from_le_bytes(s)
        } else {
            u32::from_be_bytes(s)
        })
    }
}

/// A two-letter value representation, as stored (e.g. `*b"OB"`). In implicit
/// VR data the element layer reports [`Vr::IMPLICIT`] (`"??"`) and callers
/// that need a VR look it up in a dictionary.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Vr(pub [u8; 2]);

impl Vr {
    /// No VR (implicit VR data).
    pub const IMPLICIT: Vr = Vr(*b"??");
    /// Sequence.
    pub const SQ: Vr = Vr(*b"SQ");
    /// Other Byte.
    pub const OB: Vr = Vr(*b"OB");
    /// Other Word.
    pub const OW: Vr = Vr(*b"OW");
    /// Unknown.
    pub const UN: Vr = Vr(*b"UN");

    /// VRs whose explicit encoding has 2 reserved bytes and a 32-bit length.
    #[inline]
    pub fn has_long_length(self) -> bool {
        matches!(
            &self.0,
            b"OB"
                | b"OD"
                | b"OF"
                | b"OL"
                | b"OV"
                | b"OW"
                | b"SQ"
                | b"SV"
                | b"UC"
                | b"UN"
                | b"UR"
                | b"UT"
                | b"UV"
        )
    }

    /// The two letters ("??" when implicit or not ASCII).
    pub fn as_str(&self) -> &str {
        std::str::from_utf8(&self.0).unwrap_or("??")
    }
}

/// One element header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ElementHeader {
    /// `(group << 16) | element`.
    pub tag: u32,
    /// The VR as stored.
    pub vr: Vr,
    /// Value length in bytes, or [`UNDEFINED_LENGTH`].
    pub length: u32,
    /// Offset of the first header byte.
    pub offset: usize,
    /// Size of the header (8 or 12 bytes).
    pub header_len: usize,
}

impl ElementHeader {
    #[inline]
    /// Offset of the first value byte.
    pub fn value_offset(&self) -> usize {
        self.offset + self.header_len
    }
    #[inline]
    /// The length is undefined (0xFFFFFFFF).
    pub fn is_undefined_length(&self) -> bool {
        self.length == UNDEFINED_LENGTH
    }
    #[inline]
    /// The group number.
    pub fn group(&self) -> u16 {
        (self.tag >> 16) as u16
    }
}

/// Formats a tag as `(GGGG,EEEE)`.
pub fn tag_str(tag: u32) -> String {
    format!("({:04X},{:04X})", tag >> 16, tag & 0xFFFF)
}

/// Outcome of reading a header from a possibly incomplete buffer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HeaderRead {
    /// A complete header.
    Header(ElementHeader),
    /// The buffer ends before the header does: at least this many bytes
    /// (counted from the header's start) are needed.
    NeedMore(usize),
}

/// Reads the element header at `pos`.
///
/// Item and delimitation tags (group FFFE) are always encoded as tag + 32-bit
/// length, even in explicit VR. An explicit VR whose two bytes are not upper-
/// case letters is treated as malformed, except that some writers put
/// implicit-VR elements in an explicit dataset: we do not guess here.
#[inline(always)]
pub fn read_header(buf: &[u8], pos: usize, enc: Encoding) -> Result<HeaderRead> {
    let rest = buf.len().saturating_sub(pos);
    if rest < 8 {
        return Ok(HeaderRead::NeedMore(8));
    }
    let group = enc.u16_at(buf, pos).unwrap_or(0);
    let elem = enc.u16_at(buf, pos + 2).unwrap_or(0);
    let tag = ((group as u32) << 16) | elem as u32;
    if group == 0xFFFE || !enc.explicit_vr {
        let length = enc.u32_at(buf, pos + 4).unwrap_or(0);
        let vr = if group == 0xFFFE {
            Vr(*b"  ")
        } else {
            Vr::IMPLICIT
        };
        return Ok(HeaderRead::Header(ElementHeader {
            tag,
            vr,
            length,
            offset: pos,
            header_len: 8,
        }));
    }
    let vr = Vr([buf[pos + 4], buf[pos + 5]]);
    if !(vr.0[0].is_ascii_uppercase() && vr.0[1].is_ascii_uppercase()) {
        return Err(Error::malformed(
            pos as u64 + 4,
            format!("element {}", tag_str(tag)),
            format!("invalid explicit VR bytes {:02X} {:02X}", vr.0[0], vr.0[1]),
        ));
    }
    if vr.has_long_length() {
        if rest < 12 {
            return Ok(HeaderRead::NeedMore(12));
        }
        let length = enc.u32_at(buf, pos + 8).unwrap_or(0);
        Ok(HeaderRead::Header(ElementHeader {
            tag,
            vr,
            length,
            offset: pos,
            header_len: 12,
        }))
    } else {
        let length = enc.u16_at(buf, pos + 6).unwrap_or(0) as u32;
        Ok(HeaderRead::Header(ElementHeader {
            tag,
            vr,
            length,
            offset: pos,
            header_len: 8,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn explicit_le_short_and_long() {
        // (0028,0010) US 2 bytes = 512
        let b = [0x28, 0x00, 0x10, 0x00, b'U', b'S', 2, 0, 0x00, 0x02];
        let HeaderRead::Header(h) = read_header(&b, 0, Encoding::EXPLICIT_LE).unwrap() else {
            panic!()
        };
        assert_eq!(
            (h.tag, h.vr, h.length, h.header_len),
            (0x0028_0010, Vr(*b"US"), 2, 8)
        );
        // (7FE0,0010) OW undefined
        let b = [
            0xE0, 0x7F, 0x10, 0x00, b'O', b'W', 0, 0, 0xFF, 0xFF, 0xFF, 0xFF,
        ];
        let HeaderRead::Header(h) = read_header(&b, 0, Encoding::EXPLICIT_LE).unwrap() else {
            panic!()
        };
        assert!(h.is_undefined_length());
        assert_eq!(h.header_len, 12);
        assert_eq!(
            read_header(&b[..10], 0, Encoding::EXPLICIT_LE).unwrap(),
            HeaderRead::NeedMore(12)
        );
    }

    #[test]
    fn big_endian_and_items() {
        let b = [0x00, 0x28, 0x00, 0x10, b'U', b'S', 0, 2];
        let HeaderRead::Header(h) = read_header(&b, 0, Encoding::EXPLICIT_BE).unwrap() else {
            panic!()
        };
        assert_eq!((h.tag, h.length), (0x0028_0010, 2));
        let b = [0xFE, 0xFF, 0x00, 0xE0, 4, 0, 0, 0];
        let HeaderRead::Header(h) = read_header(&b, 0, Encoding::EXPLICIT_LE).unwrap() else {
            panic!()
        };
        assert_eq!((h.tag, h.length, h.header_len), (ITEM, 4, 8));
    }

    #[test]
    fn bad_vr_is_malformed_with_offset() {
        let b = [0x28, 0x00, 0x10, 0x00, 0x01, 0x02, 2, 0, 0, 2];
        let e = read_header(&b, 0, Encoding::EXPLICIT_LE).unwrap_err();
        assert_eq!(e.offset(), Some(4));
    }
}
