//! What the caller asks for: a tag with its data-dictionary VR and VM, and
//! the Arrow type of its column.

use super::arrow::ColumnType;
use crate::error::{Error, Result};
use crate::parser::element::{tag_str, Vr};

/// A data-dictionary VR (as `pydicom.datadict.dictionary_VR` gives it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DictVr {
    /// One VR.
    Known([u8; 2]),
    /// "US or SS": resolved by Pixel Representation in implicit VR data.
    UsSs,
    /// "OB or OW", "US or OW", "US or SS or OW": kept as bytes.
    Bytes,
    /// Not in the dictionary (private or unknown tags).
    Unknown,
}

/// One requested tag.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TagSpec {
    /// The tag.
    pub tag: u32,
    /// Its dictionary VR.
    pub dict_vr: DictVr,
    /// The dictionary VM allows more than one value: the column is a list.
    pub multi: bool,
}

const TEXT_VRS: &[&[u8; 2]] = &[
    b"AE", b"AS", b"CS", b"DA", b"DT", b"LO", b"LT", b"PN", b"SH", b"ST", b"TM", b"UC", b"UI",
    b"UR", b"UT",
];

/// The kind of values a column holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Base {
    Int,
    UInt,
    Float,
    Text,
    Bytes,
}

impl TagSpec {
    /// `vr`: the dictionary VR ("" when unknown); `vm`: the dictionary VM
    /// ("1", "2", "1-n", …; "" when unknown).
    pub fn new(tag: u32, vr: &str, vm: &str) -> Result<TagSpec> {
        if tag >= super::dataset::STOP_GROUP_TAG {
            return Err(Error::invalid_argument(format!(
                "tag {} is Pixel Data or after it: the scanner never reads group 7FE0 and above",
                tag_str(tag)
            )));
        }
        let dict_vr = match vr.trim() {
            "" => DictVr::Unknown,
            "US or SS" => DictVr::UsSs,
            "OB or OW" | "US or OW" | "US or SS or OW" => DictVr::Bytes,
            "SQ" => {
                return Err(Error::invalid_argument(format!(
                    "tag {} is a sequence (SQ): the scanner reads top-level values only",
                    tag_str(tag)
                )))
            }
            v if v.len() == 2 && v.bytes().all(|c| c.is_ascii_uppercase()) => {
                let b = v.as_bytes();
                DictVr::Known([b[0], b[1]])
            }
            v => return Err(Error::invalid_argument(format!("unknown VR {v:?}"))),
        };
        let vm = vm.trim();
        let multi = !(vm.is_empty() || vm == "1");
        Ok(TagSpec {
            tag,
            dict_vr,
            multi,
        })
    }

    fn is_private_creator(&self) -> bool {
        (self.tag >> 16) % 2 == 1 && (0x10..=0xFF).contains(&(self.tag & 0xFFFF))
    }

    /// VR the column is typed by.
    fn column_vr(&self) -> Option<[u8; 2]> {
        match self.dict_vr {
            DictVr::Known(v) => Some(v),
            DictVr::UsSs => Some(*b"SS"),
            DictVr::Bytes => None,
            DictVr::Unknown if self.is_private_creator() => Some(*b"LO"),
            DictVr::Unknown if self.tag & 0xFFFF == 0 => Some(*b"UL"),
            DictVr::Unknown => None,
        }
    }

    pub(crate) fn base(&self) -> Base {
        match self.column_vr() {
            None => Base::Bytes,
            Some(v) => match &v {
                b"US" | b"SS" | b"UL" | b"SL" | b"SV" | b"IS" | b"AT" => Base::Int,
                b"UV" => Base::UInt,
                b"FL" | b"FD" | b"DS" => Base::Float,
                v if TEXT_VRS.contains(&v) => Base::Text,
                _ => Base::Bytes,
            },
        }
    }

    /// Whether the column is a list column.
    pub(crate) fn is_list(&self) -> bool {
        let single_text = matches!(
            self.column_vr().as_ref().map(|v| &v[..]),
            Some(b"LT" | b"ST" | b"UT" | b"UR")
        );
        self.multi && self.base() != Base::Bytes && !single_text
    }

    /// The Arrow type of the column.
    pub fn column_type(&self) -> ColumnType {
        let inner = match self.base() {
            Base::Int => ColumnType::Int64,
            Base::UInt => ColumnType::UInt64,
            Base::Float => ColumnType::Float64,
            Base::Text => ColumnType::Utf8,
            Base::Bytes => ColumnType::Binary,
        };
        if self.is_list() {
            ColumnType::List(Box::new(inner))
        } else {
            inner
        }
    }

    /// The VR a found value is read with: the stored VR in explicit VR data,
    /// else (implicit VR, or "UN" where the dictionary knows better, as
    /// pydicom's `replace_un_with_known_vr`) the dictionary VR.
    pub(crate) fn effective_vr(&self, stored: Vr, len: usize, pixrep: Option<u16>) -> [u8; 2] {
        let from_dict = stored == Vr::IMPLICIT || (stored == Vr::UN && len < 0xFFFF);
        if !from_dict {
            return stored.0;
        }
        match self.dict_vr {
            DictVr::Known(v) => v,
            DictVr::UsSs => {
                if pixrep == Some(1) {
                    *b"SS"
                } else {
                    *b"US"
                }
            }
            DictVr::Bytes => *b"OB",
            DictVr::Unknown => match self.column_vr() {
                Some(v) if stored == Vr::IMPLICIT || self.is_private_creator() => v,
                _ => *b"UN",
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn types_from_dictionary() {
        let t = |tag, vr, vm| TagSpec::new(tag, vr, vm).unwrap().column_type();
        assert_eq!(t(0x0010_0010, "PN", "1"), ColumnType::Utf8);
        assert_eq!(t(0x0028_0010, "US", "1"), ColumnType::Int64);
        assert_eq!(
            t(0x0028_0030, "DS", "2"),
            ColumnType::List(Box::new(ColumnType::Float64))
        );
        assert_eq!(
            t(0x0008_0008, "CS", "2-n"),
            ColumnType::List(Box::new(ColumnType::Utf8))
        );
        assert_eq!(t(0x0028_0106, "US or SS", "1"), ColumnType::Int64);
        assert_eq!(t(0x0009_0010, "", ""), ColumnType::Utf8);
        assert_eq!(t(0x0009_1001, "", ""), ColumnType::Binary);
        assert_eq!(t(0x0008_0000, "", ""), ColumnType::Int64);
        assert!(TagSpec::new(0x7FE0_0010, "OB or OW", "1").is_err());
        assert!(TagSpec::new(0x0008_1140, "SQ", "1").is_err());
    }

    #[test]
    fn effective_vr_rules() {
        let s = TagSpec::new(0x0028_0106, "US or SS", "1").unwrap();
        assert_eq!(&s.effective_vr(Vr::IMPLICIT, 2, Some(1)), b"SS");
        assert_eq!(&s.effective_vr(Vr::IMPLICIT, 2, None), b"US");
        assert_eq!(&s.effective_vr(Vr(*b"SS"), 2, None), b"SS");
        let s = TagSpec::new(0x0010_0010, "PN", "1").unwrap();
        assert_eq!(&s.effective_vr(Vr::UN, 8, None), b"PN");
        let s = TagSpec::new(0x0009_1001, "", "").unwrap();
        assert_eq!(&s.effective_vr(Vr::UN, 8, None), b"UN");
    }
}
