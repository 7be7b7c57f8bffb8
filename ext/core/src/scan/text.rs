//! Text values as pydicom 3 decodes them.
//!
//! * Only SH, LO, ST, LT, UC, UT and PN follow (0008,0005) Specific Character
//!   Set; every other string VR is decoded as ISO 8859-1 (pydicom's default
//!   `"iso8859"`).
//! * Character sets decoded here: the default repertoire and ISO_IR 100
//!   (ISO 8859-1), ISO_IR 192 (UTF-8, invalid bytes replaced as Python's
//!   `errors="replace"` does), and pure-ASCII values of every other character
//!   set pydicom knows. Values that use ISO 2022 escape sequences or a
//!   non-ASCII byte under another character set (ISO 2022 IR 87/149/13, GB18030,
//!   Cyrillic…) are [`Decoded::Defer`]red: the bindings decode those rare
//!   values with pydicom's own `pydicom.charset` functions.
//! * After decoding, each VR is split on `\` and trimmed exactly as pydicom's
//!   `pydicom.values` converters and `DataElement` do (see [`items`]).

use std::borrow::Cow;

/// What the first value of Specific Character Set means for decoding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FirstCharset {
    /// Default repertoire / ISO_IR 100: decoded as ISO 8859-1.
    Latin1,
    /// ISO_IR 192.
    Utf8,
    /// Another character set pydicom knows: ASCII bytes decode to ASCII.
    AsciiCompatible,
    /// Not a term pydicom maps directly: left to pydicom.
    Unknown,
}

/// Terms of (0008,0005) that pydicom maps to ISO 8859-1.
const LATIN1_TERMS: &[&str] = &["ISO_IR 6", "ISO 2022 IR 6", "ISO_IR 100", "ISO 2022 IR 100"];

/// Other terms of `pydicom.charset.python_encoding` (all ASCII-compatible).
const OTHER_TERMS: &[&str] = &[
    "ISO_IR 13",
    "ISO_IR 101",
    "ISO_IR 109",
    "ISO_IR 110",
    "ISO_IR 126",
    "ISO_IR 127",
    "ISO_IR 138",
    "ISO_IR 144",
    "ISO_IR 148",
    "ISO_IR 166",
    "ISO 2022 IR 13",
    "ISO 2022 IR 87",
    "ISO 2022 IR 101",
    "ISO 2022 IR 109",
    "ISO 2022 IR 110",
    "ISO 2022 IR 126",
    "ISO 2022 IR 127",
    "ISO 2022 IR 138",
    "ISO 2022 IR 144",
    "ISO 2022 IR 148",
    "ISO 2022 IR 149",
    "ISO 2022 IR 159",
    "ISO 2022 IR 166",
    "ISO 2022 IR 58",
    "GB18030",
    "ISO 2022 GBK",
    "ISO 2022 58",
    "GBK",
];

/// Classifies the raw value of (0008,0005) (`None`: element absent).
pub fn first_charset(raw: Option<&[u8]>) -> FirstCharset {
    let Some(raw) = raw else {
        return FirstCharset::Latin1;
    };
    // CS value: ISO 8859-1, trailing spaces/NULs removed, split on '\'.
    let end = raw
        .iter()
        .rposition(|&b| b != b' ' && b != 0)
        .map_or(0, |p| p + 1);
    let first = raw[..end].split(|&b| b == b'\\').next().unwrap_or(b"");
    if first.is_empty() {
        return FirstCharset::Latin1;
    }
    let Ok(first) = std::str::from_utf8(first) else {
        return FirstCharset::Unknown;
    };
    if LATIN1_TERMS.contains(&first) {
        FirstCharset::Latin1
    } else if first == "ISO_IR 192" {
        FirstCharset::Utf8
    } else if OTHER_TERMS.contains(&first) {
        FirstCharset::AsciiCompatible
    } else {
        FirstCharset::Unknown
    }
}

/// VRs whose text follows Specific Character Set.
#[inline]
pub fn uses_charset(vr: [u8; 2]) -> bool {
    matches!(&vr, b"SH" | b"LO" | b"ST" | b"LT" | b"UC" | b"UT" | b"PN")
}

/// Result of decoding a text value.
#[derive(Debug, PartialEq, Eq)]
pub enum Decoded<'a> {
    Text(Cow<'a, str>),
    /// Needs pydicom (escape sequences or a multi-byte character set).
    Defer,
}

/// ISO 8859-1 to UTF-8 (borrowed when ASCII).
pub fn latin1(b: &[u8]) -> Cow<'_, str> {
    if b.is_ascii() {
        // ASCII is valid UTF-8.
        Cow::Borrowed(std::str::from_utf8(b).unwrap_or_default())
    } else {
        Cow::Owned(b.iter().map(|&c| c as char).collect())
    }
}

/// Decodes a text value of VR `vr` with the file's character set.
pub fn decode(vr: [u8; 2], b: &[u8], cs: FirstCharset) -> Decoded<'_> {
    if !uses_charset(vr) {
        return Decoded::Text(latin1(b));
    }
    if b.contains(&0x1B) {
        return Decoded::Defer;
    }
    match cs {
        FirstCharset::Latin1 => Decoded::Text(latin1(b)),
        FirstCharset::Utf8 => Decoded::Text(String::from_utf8_lossy(b)),
        FirstCharset::AsciiCompatible if b.is_ascii() => Decoded::Text(latin1(b)),
        _ => Decoded::Defer,
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
    fn charset_terms() {
        assert_eq!(first_charset(None), FirstCharset::Latin1);
        assert_eq!(first_charset(Some(b"ISO_IR 100")), FirstCharset::Latin1);
        assert_eq!(first_charset(Some(b"ISO_IR 192 ")), FirstCharset::Utf8);
        assert_eq!(
            first_charset(Some(b"\\ISO 2022 IR 87")),
            FirstCharset::Latin1
        );
        assert_eq!(
            first_charset(Some(b"ISO 2022 IR 149\\")),
            FirstCharset::AsciiCompatible
        );
        assert_eq!(first_charset(Some(b"KOI8")), FirstCharset::Unknown);
    }

    #[test]
    fn decode_rules() {
        use FirstCharset::*;
        let text = |s: &str| Decoded::Text(s.to_owned().into());
        let cases: &[(&[u8; 2], &[u8], FirstCharset, Decoded)] = &[
            (b"PN", b"M\xfcller", Latin1, text("Müller")),
            (b"LO", "Müller".as_bytes(), Utf8, text("Müller")),
            // Non-charset VRs are always ISO 8859-1.
            (b"CS", "é".as_bytes(), Utf8, text("Ã©")),
            (b"PN", b"Yamada\x1b$B", Latin1, Decoded::Defer),
            (b"LO", b"abc", AsciiCompatible, text("abc")),
            (b"LO", b"\xb0\xa1", AsciiCompatible, Decoded::Defer),
            // Invalid UTF-8 is replaced like Python's errors="replace".
            (b"LO", b"a\xffb", Utf8, text("a\u{fffd}b")),
        ];
        for (vr, b, cs, want) in cases {
            assert_eq!(&decode(**vr, b, *cs), want, "{vr:?} {b:?}");
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
