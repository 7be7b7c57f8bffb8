//! (0008,0005) Specific Character Set, decoded exactly as pydicom 3's
//! `pydicom.charset.decode_bytes` does.
//!
//! The algorithm is pydicom's: the terms map to Python codecs
//! (`python_encoding`), stand-alone character sets drop code extensions, a
//! value without ESC is decoded with the first character set, a value with
//! escape sequences is cut before each ESC and every fragment is decoded with
//! the character set its escape sequence designates (when that set is
//! declared), a text delimiter (CR, LF, TAB, FF) switching back to the first.
//!
//! The byte decoders reproduce Python's codecs: ISO 8859-1 and UTF-8 by
//! hand; ISO 8859-2/3/4/5/6/7/8 with `encoding_rs` (identical to Python's
//! codecs for every byte); ISO 8859-9 and the JIS X 0201 half of Shift JIS
//! (ISO_IR 13) by hand; JIS X 0208 (ISO 2022 IR 87) and KS X 1001 (ISO 2022
//! IR 149) with `encoding_rs`, restricted to the codes Python's `iso2022_jp`
//! and `euc_kr` accept and with the six JIS X 0208 code points Python maps
//! differently remapped (both checked code by code in the tests). Anything
//! else — GB18030, GBK, JIS X 0212, Thai, an unknown term, bytes Python
//! would reject — returns `None`, and the caller leaves the value to pydicom.

use encoding_rs::Encoding;
use std::borrow::Cow;

/// The Python codec pydicom uses for a term (identity matters: pydicom only
/// honours an escape sequence whose codec is among the declared ones).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PyCodec {
    /// `"iso8859"`: the default repertoire (decodes as ISO 8859-1).
    Iso8859,
    /// `"latin_1"`: ISO_IR 100.
    Latin1,
    /// Python codec for ShiftJis.
    ShiftJis,
    /// Python codec for Iso2022Jp.
    Iso2022Jp,
    /// Python codec for Iso2022Jp2.
    Iso2022Jp2,
    /// Python codec for IsoIr58.
    IsoIr58,
    /// Python codec for EucKr.
    EucKr,
    /// Python codec for Iso8859_2.
    Iso8859_2,
    /// Python codec for Iso8859_3.
    Iso8859_3,
    /// Python codec for Iso8859_4.
    Iso8859_4,
    /// Python codec for IsoIr126.
    IsoIr126,
    /// Python codec for IsoIr127.
    IsoIr127,
    /// Python codec for IsoIr138.
    IsoIr138,
    /// Python codec for IsoIr144.
    IsoIr144,
    /// Python codec for IsoIr148.
    IsoIr148,
    /// Python codec for IsoIr166.
    IsoIr166,
    /// UTF-8 strings.
    Utf8,
    /// Python codec for Gb18030.
    Gb18030,
    /// Python codec for Gbk.
    Gbk,
    /// Python codec for Gb2312.
    Gb2312,
    /// Not in pydicom's table (pydicom would guess or warn).
    Unknown,
}

use PyCodec::*;

fn python_encoding(term: &[u8]) -> PyCodec {
    match term {
        b"" | b"ISO_IR 6" | b"ISO 2022 IR 6" => Iso8859,
        b"ISO_IR 13" | b"ISO 2022 IR 13" => ShiftJis,
        b"ISO_IR 100" | b"ISO 2022 IR 100" => Latin1,
        b"ISO_IR 101" | b"ISO 2022 IR 101" => Iso8859_2,
        b"ISO_IR 109" | b"ISO 2022 IR 109" => Iso8859_3,
        b"ISO_IR 110" | b"ISO 2022 IR 110" => Iso8859_4,
        b"ISO_IR 126" | b"ISO 2022 IR 126" => IsoIr126,
        b"ISO_IR 127" | b"ISO 2022 IR 127" => IsoIr127,
        b"ISO_IR 138" | b"ISO 2022 IR 138" => IsoIr138,
        b"ISO_IR 144" | b"ISO 2022 IR 144" => IsoIr144,
        b"ISO_IR 148" | b"ISO 2022 IR 148" => IsoIr148,
        b"ISO_IR 166" | b"ISO 2022 IR 166" => IsoIr166,
        b"ISO 2022 IR 87" => Iso2022Jp,
        b"ISO 2022 IR 149" => EucKr,
        b"ISO 2022 IR 159" => Iso2022Jp2,
        b"ISO 2022 IR 58" => IsoIr58,
        b"ISO_IR 192" => Utf8,
        b"GB18030" => Gb18030,
        b"ISO 2022 GBK" | b"GBK" => Gbk,
        b"ISO 2022 58" => Gb2312,
        _ => corrected_encoding(term),
    }
}

/// pydicom's `_python_encoding_for_corrected_encoding` for the common
/// misspellings it patches ("ISO-IR 100" -> "ISO_IR 100", "ISO_2022_IR_87"
/// -> "ISO 2022 IR 87"; a patched term not in the table means the default
/// repertoire). Other unknown terms may be Python codec names: `Unknown`.
fn corrected_encoding(term: &[u8]) -> PyCodec {
    // Regex "." matches anything but a newline; "[^_]" anything but "_".
    let any = |i: usize| term[i] != b'\n';
    let (head, skip): (&[u8], usize) =
        if term.len() >= 6 && term.starts_with(b"ISO") && term[3] != b'_' && &term[4..6] == b"IR" {
            // re.match("^ISO[^_]IR", term): "ISO_IR" + term[6:]
            (b"ISO_IR", 6)
        } else if term.len() >= 12
            && term.starts_with(b"ISO")
            && &term[4..8] == b"2022"
            && &term[9..11] == b"IR"
            && [3, 8, 11].into_iter().all(any)
            && !term.starts_with(b"ISO 2022 IR ")
        {
            // re.match("^(?=ISO.2022.IR.)(?!ISO 2022 IR )", term):
            // "ISO 2022 IR " + term[12:]
            (b"ISO 2022 IR ", 12)
        } else {
            return Unknown;
        };
    let mut patched = [0u8; 64];
    let n = head.len() + term.len() - skip;
    if n > patched.len() {
        // Longer than any term in the table.
        return Iso8859;
    }
    patched[..head.len()].copy_from_slice(head);
    patched[head.len()..n].copy_from_slice(&term[skip..]);
    match python_encoding(&patched[..n]) {
        // pydicom falls back to its default encoding.
        Unknown => Iso8859,
        c => c,
    }
}

fn is_stand_alone(term: &[u8]) -> bool {
    matches!(term, b"ISO_IR 192" | b"GBK" | b"GB18030")
}

/// pydicom's `CODES_TO_ENCODINGS` (`None`: unknown escape sequence).
fn codec_of_escape(seq: &[u8]) -> Option<PyCodec> {
    Some(match seq {
        b"\x1b(B" => Iso8859,
        b"\x1b-A" => Latin1,
        b"\x1b)I" | b"\x1b(J" => ShiftJis,
        b"\x1b$B" => Iso2022Jp,
        b"\x1b-B" => Iso8859_2,
        b"\x1b-C" => Iso8859_3,
        b"\x1b-D" => Iso8859_4,
        b"\x1b-F" => IsoIr126,
        b"\x1b-G" => IsoIr127,
        b"\x1b-H" => IsoIr138,
        b"\x1b-L" => IsoIr144,
        b"\x1b-M" => IsoIr148,
        b"\x1b-T" => IsoIr166,
        b"\x1b$)C" => EucKr,
        b"\x1b$(D" => Iso2022Jp2,
        b"\x1b$)A" => IsoIr58,
        _ => return None,
    })
}

const ESC: u8 = 0x1B;
/// pydicom's `TEXT_VR_DELIMS` (also used for PN values by `convert_PN`).
const DELIMS: [u8; 4] = [0x0D, 0x0A, 0x09, 0x0C];
const MAX_TERMS: usize = 8;

/// The character sets of a data set, as pydicom's `convert_encodings` lists them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Charset {
    codecs: [PyCodec; MAX_TERMS],
    n: usize,
}

impl Default for Charset {
    fn default() -> Self {
        Charset {
            codecs: [Iso8859; MAX_TERMS],
            n: 1,
        }
    }
}

impl Charset {
    /// From the raw value of (0008,0005) (`None`: absent).
    pub fn parse(raw: Option<&[u8]>) -> Charset {
        let mut cs = Charset::default();
        let Some(raw) = raw else {
            return cs;
        };
        // A CS value: trailing spaces/NULs removed, split on '\'.
        let end = raw
            .iter()
            .rposition(|&b| b != b' ' && b != 0)
            .map_or(0, |p| p + 1);
        let terms = raw[..end].split(|&b| b == b'\\');
        let count = raw[..end].iter().filter(|&&b| b == b'\\').count() + 1;
        if count > MAX_TERMS {
            cs.codecs[0] = Unknown;
            return cs;
        }
        let multi = count > 1;
        cs.n = 0;
        for (i, t) in terms.enumerate() {
            // A stand-alone set first drops the extensions; later, it is dropped.
            if multi && is_stand_alone(t) && i > 0 {
                continue;
            }
            cs.codecs[cs.n] = python_encoding(t);
            cs.n += 1;
            if i == 0 && multi && is_stand_alone(t) {
                break;
            }
        }
        cs
    }

    /// The codec of the first (default) term.
    pub fn first(&self) -> PyCodec {
        self.codecs[0]
    }

    fn declares(&self, c: PyCodec) -> bool {
        self.codecs[..self.n].contains(&c)
    }
}

/// Decodes text as pydicom's `decode_bytes(value, encodings, TEXT_VR_DELIMS)`;
/// `None` when the value must be left to pydicom.
pub fn decode_bytes<'a>(b: &'a [u8], cs: &Charset) -> Option<Cow<'a, str>> {
    if !b.contains(&ESC) {
        return decode_with(cs.first(), b);
    }
    let mut out = String::with_capacity(b.len() * 2);
    let mut rest = b;
    // The part before the first ESC uses the first character set.
    let lead = rest.iter().position(|&c| c == ESC).unwrap_or(rest.len());
    if lead > 0 {
        out.push_str(&decode_with(cs.first(), &rest[..lead])?);
    }
    rest = &rest[lead..];
    while !rest.is_empty() {
        let next = rest[1..]
            .iter()
            .position(|&c| c == ESC)
            .map_or(rest.len(), |p| p + 1);
        decode_escaped(&rest[..next], cs, &mut out)?;
        rest = &rest[next..];
    }
    Some(Cow::Owned(out))
}

/// One fragment that starts with ESC (pydicom's `_decode_escaped_fragment`).
fn decode_escaped(frag: &[u8], cs: &Charset, out: &mut String) -> Option<()> {
    let seq_len = if frag.starts_with(b"\x1b$(") || frag.starts_with(b"\x1b$)") {
        4
    } else {
        3
    };
    let codec = codec_of_escape(frag.get(..seq_len)?)?;
    if !(cs.declares(codec) || codec == Iso8859) {
        // pydicom decodes with replacement characters here: leave it to pydicom.
        return None;
    }
    if matches!(codec, Iso2022Jp | Iso2022Jp2 | IsoIr58) {
        // Python's codec reads the escape sequence itself.
        out.push_str(&decode_with(codec, frag)?);
        return Some(());
    }
    let body = &frag[seq_len..];
    match body.iter().position(|c| DELIMS.contains(c)) {
        Some(i) => {
            out.push_str(&decode_with(codec, &body[..i])?);
            out.push_str(&decode_with(cs.first(), &body[i..])?);
        }
        None => out.push_str(&decode_with(codec, body)?),
    }
    Some(())
}

#[inline]
fn ascii(b: &[u8]) -> Option<Cow<'_, str>> {
    if b.is_ascii() {
        // ASCII is valid UTF-8: this cannot fail.
        std::str::from_utf8(b).ok().map(Cow::Borrowed)
    } else {
        None
    }
}

/// ISO 8859-1 (never fails).
pub fn latin1(b: &[u8]) -> Cow<'_, str> {
    match ascii(b) {
        Some(s) => s,
        None => Cow::Owned(b.iter().map(|&c| c as char).collect()),
    }
}

fn with_encoding_rs<'a>(enc: &'static Encoding, b: &'a [u8]) -> Option<Cow<'a, str>> {
    enc.decode_without_bom_handling_and_without_replacement(b)
}

/// One codec on bytes without escape sequences (or, for the ISO 2022
/// codecs Python handles itself, with them).
fn decode_with(codec: PyCodec, b: &[u8]) -> Option<Cow<'_, str>> {
    match codec {
        Iso8859 | Latin1 => Some(latin1(b)),
        Utf8 => std::str::from_utf8(b).ok().map(Cow::Borrowed),
        ShiftJis => jis_x_0201(b),
        Iso2022Jp => iso2022_jp(b),
        EucKr => euc_kr(b),
        Iso8859_2 => with_encoding_rs(encoding_rs::ISO_8859_2, b),
        Iso8859_3 => with_encoding_rs(encoding_rs::ISO_8859_3, b),
        Iso8859_4 => with_encoding_rs(encoding_rs::ISO_8859_4, b),
        IsoIr126 => with_encoding_rs(encoding_rs::ISO_8859_7, b),
        IsoIr127 => with_encoding_rs(encoding_rs::ISO_8859_6, b),
        IsoIr138 => with_encoding_rs(encoding_rs::ISO_8859_8, b),
        IsoIr144 => with_encoding_rs(encoding_rs::ISO_8859_5, b),
        IsoIr148 => Some(iso_8859_9(b)),
        // ASCII decodes to ASCII in every other codec pydicom names.
        IsoIr166 | Iso2022Jp2 | IsoIr58 | Gb18030 | Gbk | Gb2312 => ascii(b),
        Unknown => None,
    }
}

/// ISO 8859-9 (Latin-5): ISO 8859-1 but for six Turkish letters.
fn iso_8859_9(b: &[u8]) -> Cow<'_, str> {
    if b.is_ascii() {
        return latin1(b);
    }
    Cow::Owned(
        b.iter()
            .map(|&c| match c {
                0xD0 => '\u{011E}',
                0xDD => '\u{0130}',
                0xDE => '\u{015E}',
                0xF0 => '\u{011F}',
                0xFD => '\u{0131}',
                0xFE => '\u{015F}',
                c => c as char,
            })
            .collect(),
    )
}

/// Python's `shift_jis` on single bytes: ASCII and JIS X 0201 katakana
/// (ISO_IR 13). Two-byte Shift JIS is left to pydicom.
fn jis_x_0201(b: &[u8]) -> Option<Cow<'_, str>> {
    if let Some(s) = ascii(b) {
        return Some(s);
    }
    b.iter()
        .map(|&c| match c {
            0x00..=0x7F => Some(c as char),
            0xA1..=0xDF => char::from_u32(0xFF61 + (c - 0xA1) as u32),
            _ => None,
        })
        .collect::<Option<String>>()
        .map(Cow::Owned)
}

/// JIS X 0208 rows Python's `iso2022_jp` decodes (rows 9-15 and 85-94
/// hold vendor extensions there, which Python rejects).
fn jis_x_0208_row_ok(a: u8) -> bool {
    matches!(a, 0x21..=0x28 | 0x30..=0x74)
}

/// Python's `iso2022_jp` maps these JIS X 0208 codes differently from the
/// WHATWG index `encoding_rs` uses.
fn python_jis_x_0208(c: char) -> char {
    match c {
        '\u{FF5E}' => '\u{301C}', // 0x2141 WAVE DASH
        '\u{2225}' => '\u{2016}', // 0x2142 DOUBLE VERTICAL LINE
        '\u{FF0D}' => '\u{2212}', // 0x215D MINUS SIGN
        '\u{FFE0}' => '\u{00A2}', // 0x2171 CENT SIGN
        '\u{FFE1}' => '\u{00A3}', // 0x2172 POUND SIGN
        '\u{FFE2}' => '\u{00AC}', // 0x224C NOT SIGN
        c => c,
    }
}

/// Python's `iso2022_jp` on the simple forms pydicom hands it: ASCII, and
/// runs of JIS X 0208 pairs after `ESC $ B`, `ESC ( B` back to ASCII. Any
/// other form returns `None`.
fn iso2022_jp(b: &[u8]) -> Option<Cow<'_, str>> {
    if let Some(s) = ascii(b).filter(|_| !b.contains(&ESC)) {
        return Some(s);
    }
    let mut out = String::with_capacity(b.len());
    let mut i = 0;
    let mut kanji = false;
    while i < b.len() {
        if b[i] == ESC {
            match b.get(i..i + 3)? {
                b"\x1b$B" => kanji = true,
                b"\x1b(B" => kanji = false,
                _ => return None,
            }
            i += 3;
            continue;
        }
        if !kanji {
            if b[i] >= 0x80 {
                return None;
            }
            out.push(b[i] as char);
            i += 1;
            continue;
        }
        let start = i;
        while i < b.len() && b[i] != ESC {
            let (a, c) = (b[i], *b.get(i + 1)?);
            if !jis_x_0208_row_ok(a) || !(0x21..=0x7E).contains(&c) {
                return None;
            }
            i += 2;
        }
        let mut run = Vec::with_capacity(3 + i - start);
        run.extend_from_slice(b"\x1b$B");
        run.extend_from_slice(&b[start..i]);
        let s =
            encoding_rs::ISO_2022_JP.decode_without_bom_handling_and_without_replacement(&run)?;
        out.extend(s.chars().map(python_jis_x_0208));
    }
    Some(Cow::Owned(out))
}

/// Python's `euc_kr`: ASCII and KS X 1001 pairs (both bytes 0xA1..0xFE;
/// 0xA4D4, the Hangul filler, is rejected by Python).
fn euc_kr(b: &[u8]) -> Option<Cow<'_, str>> {
    if let Some(s) = ascii(b) {
        return Some(s);
    }
    let mut i = 0;
    while i < b.len() {
        if b[i] < 0x80 {
            i += 1;
            continue;
        }
        let (a, c) = (b[i], *b.get(i + 1)?);
        if !(0xA1..=0xFE).contains(&a) || !(0xA1..=0xFE).contains(&c) || (a, c) == (0xA4, 0xD4) {
            return None;
        }
        i += 2;
    }
    with_encoding_rs(encoding_rs::EUC_KR, b)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dec(b: &[u8], cs: &[u8]) -> Option<String> {
        decode_bytes(b, &Charset::parse(Some(cs))).map(|s| s.into_owned())
    }

    #[test]
    fn terms_and_stand_alone_sets() {
        assert_eq!(Charset::parse(None).first(), Iso8859);
        let cs = Charset::parse(Some(b"\\ISO 2022 IR 87 "));
        assert_eq!((cs.first(), cs.n), (Iso8859, 2));
        assert!(cs.declares(Iso2022Jp));
        let cs = Charset::parse(Some(b"ISO_IR 192\\ISO 2022 IR 87"));
        assert_eq!((cs.first(), cs.n), (Utf8, 1));
        let cs = Charset::parse(Some(b"ISO 2022 IR 6\\ISO_IR 192\\ISO 2022 IR 149"));
        assert_eq!(cs.n, 2);
        assert!(cs.declares(EucKr) && !cs.declares(Utf8));
        assert_eq!(Charset::parse(Some(b"KOI8-R")).first(), Unknown);
    }

    #[test]
    fn misspelled_terms_corrected_as_pydicom_does() {
        for (term, want) in [
            (&b"ISO-IR 100"[..], Latin1),
            (b"ISO IR 192", Utf8),
            (b"ISO_2022_IR_87", Iso2022Jp),
            (b"ISO-2022-IR-149", EucKr),
            (b"ISO-IR 999", Iso8859),
            (b"ISO_2022-IR 6", Iso8859),
            (b"ISO 2022 IR 999", Unknown),
            (b"ISO_IR 999", Unknown),
            (b"ISO\n2022 IR 87", Unknown),
            (b"ISO-IR", Iso8859),
            (b"latin_1", Unknown),
            (b"ISO", Unknown),
        ] {
            assert_eq!(
                python_encoding(term),
                want,
                "{}",
                String::from_utf8_lossy(term)
            );
        }
    }

    #[test]
    fn japanese_korean_and_single_byte_sets() {
        // chrH31 PatientName.
        let jp =
            b"Yamada^Tarou=\x1b$B;3ED\x1b(B^\x1b$BB@O:\x1b(B=\x1b$B$d$^$@\x1b(B^\x1b$B$?$m$&\x1b(B";
        assert_eq!(
            dec(jp, b"\\ISO 2022 IR 87").as_deref(),
            Some("Yamada^Tarou=山田^太郎=やまだ^たろう")
        );
        // Not declared: left to pydicom.
        assert_eq!(dec(jp, b"ISO_IR 100"), None);
        // chrI2 PatientName.
        let kr = b"Hong^Gildong=\x1b$)C\xfb\xf3^\x1b$)C\xd1\xce\xd4\xd7=\x1b$)C\xc8\xab^\x1b$)C\xb1\xe6\xb5\xbf";
        assert_eq!(
            dec(kr, b"\\ISO 2022 IR 149").as_deref(),
            Some("Hong^Gildong=洪^吉洞=홍^길동")
        );
        assert_eq!(dec(b"\xbb\xa5\xe7", b"ISO_IR 144").as_deref(), Some("ЛЅч"));
        assert_eq!(dec(b"\xdd\xfd", b"ISO_IR 148").as_deref(), Some("İı"));
        assert_eq!(
            dec(b"\xd4\xcf\xc0\xde", b"ISO_IR 13").as_deref(),
            Some("ﾔﾏﾀﾞ")
        );
        // Python's mapping of JIS X 0208 0x2141, not the WHATWG one.
        assert_eq!(
            dec(b"\x1b$B!A", b"\\ISO 2022 IR 87").as_deref(),
            Some("\u{301C}")
        );
        // Vendor rows and malformed pairs are left to pydicom.
        assert_eq!(dec(b"\x1b$B-!", b"\\ISO 2022 IR 87"), None);
        assert_eq!(dec(b"\x1b$B;", b"\\ISO 2022 IR 87"), None);
        assert_eq!(dec(b"a\xff", b"ISO_IR 192"), None);
        assert_eq!(dec(b"abc", b"GB18030").as_deref(), Some("abc"));
        assert_eq!(dec(b"\xc4\xe3", b"GB18030"), None);
    }

    #[test]
    fn delimiters_return_to_the_first_set() {
        // After a delimiter the first character set applies again.
        let v = b"\x1b-L\xbb\r\n\xbb";
        assert_eq!(
            dec(v, b"ISO_IR 100\\ISO 2022 IR 144").as_deref(),
            Some("Л\r\n»")
        );
    }
}
