//! Text values as pydicom 3 decodes them.
//!
//! * Only SH, LO, ST, LT, UC, UT and PN follow (0008,0005) Specific Character
//!   Set (decoded by [`super::charset`]); every other string VR is decoded as
//!   ISO 8859-1 (pydicom's default `"iso8859"`).
//! * A value the charset module cannot decode exactly as pydicom would
//!   (GB18030, GBK, JIS X 0212, Thai, bytes Python's codec rejects…) is
//!   [`Decoded::Defer`]red: the bindings decode those rare values with
//!   pydicom's own functions.
//! * After decoding, each VR is split on `\` and trimmed exactly as pydicom's
//!   `pydicom.values` converters and `DataElement` do (see [`items`]).

use super::charset::{self, Charset};
use std::borrow::Cow;

pub use super::charset::latin1;

/// VRs whose text follows Specific Character Set.
#[inline]
pub fn uses_charset(vr: [u8; 2]) -> bool {
    matches!(&vr, b"SH" | b"LO" | b"ST" | b"LT" | b"UC" | b"UT" | b"PN")
}

/// Result of decoding a text value.
#[derive(Debug, PartialEq, Eq)]
pub enum Decoded<'a> {
    /// The decoded text.
    Text(Cow<'a, str>),
    /// Needs pydicom (escape sequences or a multi-byte character set).
    Defer,
}

/// Decodes a text value of VR `vr` with the file's character set.
pub fn decode<'a>(vr: [u8; 2], b: &'a [u8], cs: &Charset) -> Decoded<'a> {
    if !uses_charset(vr) {
        return Decoded::Text(latin1(b));
    }
    match charset::decode_bytes(b, cs) {
        Some(s) => Decoded::Text(s),
        None => Decoded::Defer,
    }
}

/// Python's `str.isspace` for one character (Unicode White_Space plus the
/// information separators U+001C..U+001F).
#[inline]
pub fn py_space(c: char) -> bool {
    c.is_whitespace() || ('\u{1c}'..='\u{1f}').contains(&c)
}

fn rstrip_sp_nul(s: &str) -> &str {
    s.trim_end_matches([' ', '\0'])
}

/// How a string VR is split into values and trimmed by pydicom.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextRule {
    /// AE: split, each value `strip()`ped.
    Ae,
    /// AS, CS, DA, DT, TM: trailing spaces/NULs of the whole value removed, then split.
    Plain,
    /// UI: as Plain, then each value `strip()`ped.
    Ui,
    /// UR: single value, `rstrip()`ped.
    Ur,
    /// SH, LO, UC: split, each value's trailing spaces/NULs removed.
    Multi,
    /// ST, LT, UT: single value, trailing spaces/NULs removed.
    Single,
    /// PN: trailing spaces/NULs of the bytes removed, split, trailing '='
    /// (empty component groups) removed from each name.
    Pn,
}

impl TextRule {
    /// The rule of a text VR (None for other VRs).
    pub fn for_vr(vr: [u8; 2]) -> Option<TextRule> {
        Some(match &vr {
            b"AE" => TextRule::Ae,
            b"AS" | b"CS" | b"DA" | b"DT" | b"TM" => TextRule::Plain,
            b"UI" => TextRule::Ui,
            b"UR" => TextRule::Ur,
            b"SH" | b"LO" | b"UC" => TextRule::Multi,
            b"ST" | b"LT" | b"UT" => TextRule::Single,
            b"PN" => TextRule::Pn,
            _ => return None,
        })
    }

    /// Whether values of this VR may be multi-valued.
    pub fn splits(self) -> bool {
        !matches!(self, TextRule::Ur | TextRule::Single)
    }
}

/// Calls `f` with each value of a decoded string, trimmed as pydicom does.
pub fn items<'s>(rule: TextRule, s: &'s str, mut f: impl FnMut(&'s str)) {
    match rule {
        TextRule::Ae => s.split('\\').for_each(|v| f(v.trim_matches(py_space))),
        TextRule::Plain => rstrip_sp_nul(s).split('\\').for_each(f),
        TextRule::Ui => rstrip_sp_nul(s)
            .split('\\')
            .for_each(|v| f(v.trim_matches(py_space))),
        TextRule::Ur => f(s.trim_end_matches(py_space)),
        TextRule::Multi => s.split('\\').for_each(|v| f(rstrip_sp_nul(v))),
        TextRule::Single => f(rstrip_sp_nul(s)),
        TextRule::Pn => rstrip_sp_nul(s)
            .split('\\')
            .for_each(|v| f(v.trim_end_matches('='))),
    }
}

/// Splits a numeric string (DS, IS) into values as pydicom does: DS is
/// `strip()`ped first; both lose trailing spaces/NULs, then split on `\`.
pub fn numeric_items<'s>(vr: [u8; 2], s: &'s str, f: impl FnMut(&'s str)) {
    let s = if &vr == b"DS" {
        s.trim_matches(py_space)
    } else {
        s
    };
    rstrip_sp_nul(s).split('\\').for_each(f)
}

/// Python `float(str)` for the strings DICOM DS values hold (surrounding
/// whitespace allowed; `None` when not a number).
pub fn parse_f64(s: &str) -> Option<f64> {
    let t = s.trim_matches(py_space);
    if t.is_empty() {
        return None;
    }
    // Rust accepts "inf"/"infinity"/"nan" (any case) like Python; it rejects
    // forms Python rejects too ("1.2.3", "0x10").
    t.parse::<f64>().ok()
}

/// pydicom's `IS(str)`: `int(str)`, else `float(str)` when integral.
pub fn parse_is(s: &str) -> Option<i64> {
    let t = s.trim_matches(py_space);
    if t.is_empty() {
        return None;
    }
    if let Ok(v) = t.parse::<i64>() {
        return Some(v);
    }
    let f = parse_f64(t)?;
    if f.fract() == 0.0 && f.abs() < 9.2e18 {
        Some(f as i64)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn collect(rule: TextRule, s: &str) -> Vec<String> {
        let mut v = Vec::new();
        items(rule, s, |x| v.push(x.to_owned()));
        v
    }

    #[test]
    fn decode_rules() {
        let cs = |v: &[u8]| Charset::parse(Some(v));
        let text = |s: &str| Decoded::Text(s.to_owned().into());
        let cases: &[(&[u8; 2], &[u8], Charset, Decoded)] = &[
            (b"PN", b"M\xfcller", Charset::default(), text("Müller")),
            (
                b"LO",
                "Müller".as_bytes(),
                cs(b"ISO_IR 192"),
                text("Müller"),
            ),
            // Non-charset VRs are always ISO 8859-1.
            (b"CS", "é".as_bytes(), cs(b"ISO_IR 192"), text("Ã©")),
            (b"PN", b"Yamada\x1b$B", Charset::default(), Decoded::Defer),
            (b"LO", b"abc", cs(b"GB18030"), text("abc")),
            (b"LO", b"\xb0\xa1", cs(b"GB18030"), Decoded::Defer),
        ];
        for (vr, b, cs, want) in cases {
            assert_eq!(&decode(**vr, b, cs), want, "{vr:?} {b:?}");
        }
    }

    #[test]
    fn split_and_trim_like_pydicom() {
        assert_eq!(collect(TextRule::Ae, " A \\B "), vec!["A", "B"]);
        assert_eq!(
            collect(TextRule::Plain, "ORIGINAL \\PRIMARY "),
            vec!["ORIGINAL ", "PRIMARY"]
        );
        assert_eq!(collect(TextRule::Ui, "1.2.3\0"), vec!["1.2.3"]);
        assert_eq!(collect(TextRule::Multi, " a \\b\0"), vec![" a", "b"]);
        assert_eq!(collect(TextRule::Single, "a\\b  "), vec!["a\\b"]);
        assert_eq!(
            collect(TextRule::Pn, "Doe^John==\\X=Y= "),
            vec!["Doe^John", "X=Y"]
        );
        assert_eq!(collect(TextRule::Plain, ""), vec![""]);
    }

    #[test]
    fn numbers_like_python() {
        assert_eq!(parse_f64(" 1.5 "), Some(1.5));
        assert_eq!(parse_f64("1e3"), Some(1000.0));
        assert_eq!(parse_f64("abc"), None);
        assert_eq!(parse_f64(""), None);
        assert_eq!(parse_is(" 12 "), Some(12));
        assert_eq!(parse_is("+3"), Some(3));
        assert_eq!(parse_is("1.0"), Some(1));
        assert_eq!(parse_is("1.5"), None);
        let mut v = Vec::new();
        numeric_items(*b"DS", " 1.5 \\ 2 ", |x| v.push(parse_f64(x)));
        assert_eq!(v, vec![Some(1.5), Some(2.0)]);
    }
}
